// Bounded least squares: the optimum found inside, on a bound and at zero;
// never worse than the start; identifiability named.
#include "util/least_squares.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace moesim;

namespace {

// A latency model like calibration's: t = bytes / (efficiency * bw) + startup,
// relative residuals against measurements made with known knobs.
struct Latencies {
  std::vector<double> bytes, measured;
  std::vector<double> operator()(const std::vector<double>& x) const {
    std::vector<double> r;
    for (std::size_t i = 0; i < bytes.size(); ++i) r.push_back((bytes[i] / x[0] + x[1]) / measured[i] - 1);
    return r;
  }
};

Latencies made_with(double efficiency, double startup) {
  Latencies l;
  for (double b : {10.0, 40.0, 100.0, 250.0}) {
    l.bytes.push_back(b);
    l.measured.push_back(b / efficiency + startup);
  }
  return l;
}

const std::vector<LsqParameter> kKnobs = {{"efficiency", 0.01, 1.0, 1.0}, {"startup_us", 0.0, 1e6, 10.0}};

}  // namespace

TEST_CASE("least squares recovers knobs inside their bounds", "[least_squares]") {
  const Latencies l = made_with(0.8, 7);
  const LsqFit f = least_squares(l, kKnobs, {{1.0, 0.0}}, {});
  CHECK(f.x[0] == Approx(0.8).epsilon(1e-5));
  CHECK(f.x[1] == Approx(7).epsilon(1e-4));
  CHECK(f.cost < 1e-12);
  CHECK(f.cost < f.cost_start);
  CHECK(f.evaluations > 2);
}

TEST_CASE("least squares stops on a bound the optimum lies beyond", "[least_squares]") {
  SECTION("efficiency above 1: it ends at 1") {
    const Latencies l = made_with(1.25, 3);  // faster than nominal: efficiency 1 is the best allowed
    const LsqFit f = least_squares(l, kKnobs, {{0.5, 20.0}}, {});
    CHECK(f.x[0] == 1.0);
    CHECK(f.cost < f.cost_start);
  }
  SECTION("a start-up below 0: it ends at 0") {
    const Latencies l = made_with(0.9, -4);  // a negative start-up fits best: 0 is the best allowed
    const LsqFit f = least_squares(l, kKnobs, {{1.0, 10.0}}, {});
    CHECK(f.x[1] == 0.0);
    CHECK(f.x[0] > 0.85);
    CHECK(f.x[0] <= 1.0);
  }
  SECTION("an optimum exactly at 0") {
    const Latencies l = made_with(0.7, 0);
    const LsqFit f = least_squares(l, kKnobs, {{1.0, 5.0}}, {});
    CHECK(f.x[1] == Approx(0).margin(1e-6));
    CHECK(f.x[0] == Approx(0.7).epsilon(1e-5));
  }
}

TEST_CASE("least squares never ends worse than its first start, and keeps the best start", "[least_squares]") {
  // Two minima: r = (x - 1)(x - 4) has zeros at 1 and 4; a third residual
  // makes x = 4 the better one.
  const Residuals f = [](const std::vector<double>& x) {
    return std::vector<double>{(x[0] - 1) * (x[0] - 4), 0.1 * (x[0] - 4)};
  };
  const std::vector<LsqParameter> p = {{"x", 0, 10, 1}};
  const LsqFit one = least_squares(f, p, {{0.5}}, {});
  CHECK(one.x[0] == Approx(1.0).margin(0.05));  // the nearby, worse minimum
  CHECK(one.cost <= one.cost_start);
  const LsqFit two = least_squares(f, p, {{0.5}, {6.0}}, {});
  CHECK(two.x[0] == Approx(4.0).epsilon(1e-4));
  CHECK(two.start == 1);
  CHECK(two.cost_start == Approx(one.cost_start));

  // A start already at the best point stays there.
  const LsqFit at = least_squares(f, p, {{4.0}}, {});
  CHECK(at.x[0] == 4.0);
  CHECK(at.cost == 0);
}

TEST_CASE("least squares keeps a start outside the bounds inside them", "[least_squares]") {
  const Latencies l = made_with(0.6, 2);
  const LsqFit f = least_squares(l, kKnobs, {{3.0, -5.0}}, {});
  CHECK(f.x[0] <= 1.0);
  CHECK(f.x[1] >= 0.0);
  CHECK(f.x[0] == Approx(0.6).epsilon(1e-4));
  CHECK_THROWS(least_squares(l, kKnobs, {}, {}));
  CHECK_THROWS(least_squares(l, kKnobs, {{1.0}}, {}));
}

TEST_CASE("identifiability names a knob nothing moves and knobs that move alike", "[least_squares]") {
  // Columns: a start-up (1 everywhere), one that moves nothing, one equal to
  // twice the first, one independent.
  const Matrix j = {{1, 0, 2, 1}, {1, 0, 2, 2}, {1, 0, 2, 3}};
  const std::vector<LsqParameter> p = {{"a"}, {"b"}, {"c"}, {"d"}};
  const Identifiability id = identifiability(j, p);
  CHECK(id.kept == std::vector<std::size_t>{0, 3});
  REQUIRE(id.dropped.size() == 2);
  CHECK(id.dropped[0].parameter == 1);
  CHECK(id.dropped[0].why == "changes no fitted point");
  CHECK(id.dropped[1].parameter == 2);
  CHECK(id.dropped[1].why.find("as a does") != std::string::npos);
  CHECK(id.dropped[1].why.find("correlation 1.00000") != std::string::npos);
  CHECK(id.condition > 1);

  // More parameters than points.
  const Matrix two = {{1, 0, 1}, {0, 1, 2}};
  const Identifiability few = identifiability(two, {{"x"}, {"y"}, {"z"}});
  CHECK(few.kept == std::vector<std::size_t>{0, 1});
  REQUIRE(few.dropped.size() == 1);
  CHECK(few.dropped[0].why == "the 2 fitted points determine at most 2 parameters");

  // Orthogonal columns: condition 1.
  CHECK(identifiability({{1, 0}, {0, 3}}, {{"x"}, {"y"}}).condition == Approx(1));
}

TEST_CASE("covariance and eigenvalues", "[least_squares]") {
  const auto e = symmetric_eigenvalues({{2, 1}, {1, 2}});
  CHECK(e[0] == Approx(1));
  CHECK(e[1] == Approx(3));
  // J = I over 2 columns, 4 rows: (J^T J) = 2 I; cost 2 over m - p = 2.
  const Matrix j = {{1, 0}, {0, 1}, {1, 0}, {0, 1}};
  const Matrix c = covariance(j, {0, 1}, 2.0);
  REQUIRE(c.size() == 2);
  CHECK(c[0][0] == Approx(0.5));
  CHECK(c[0][1] == Approx(0));
  CHECK(covariance(j, {0, 1, 1}, 2.0).empty());  // singular
  CHECK(covariance({{1, 0}}, {0, 1}, 1.0).empty());  // m <= p
}
