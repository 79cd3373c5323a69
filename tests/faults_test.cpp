// Degraded links (a scenario's `faults`): the bound against a hand
// derivation on rings, and refused faults.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "moesim/error.hpp"
#include "moesim/report.hpp"
#include "moesim/run.hpp"
#include "moesim/scenario.hpp"
#include "util/files.hpp"

using namespace moesim;

namespace {

// A uniform all-to-all of k chips on a ring of 50 GB/s, 1 us links.
Scenario ring(const TempDir& dir, std::uint64_t k, const std::string& faults) {
  const std::string path = dir.file("ring" + std::to_string(k) + ".yaml");
  std::ofstream(path) << "platform: ring:" << k << ":50GBps:1us\n"
                      << "model: {hidden_dim: 7168, num_experts: " << 4 * k << ", topk: 8}\n"
                      << "deployment: {global_batch: 64, ep: " << k << "}\n"
                      << "engine: bound\n"
                      << faults;
  return load_scenario(path);
}

RunReport run(const Scenario& s) {
  const Topology t = load_topology(s.platform, nullptr);
  return run_scenario(s, t, *make_core_engine(s, t));
}

}  // namespace

TEST_CASE("a ring link at half its bandwidth doubles its drain time, as derived by hand", "[faults]") {
  TempDir dir("moesim-faults-test");
  for (std::uint64_t k = 4; k <= 16; ++k) {
    INFO(k << " chips");
    const RunReport healthy = run(ring(dir, k, ""));
    const RunReport faulty = run(ring(dir, k, "faults: [{link: ici-x-0, bandwidth: 0.5}]\n"));
    // Shortest way round, an antipodal pair the positive way: the positive
    // direction of every link carries the pairs 1 .. floor(k/2) apart, each
    // share = dispatch bytes / k, once a hop.
    const double m = static_cast<double>(k / 2), share = static_cast<double>(healthy.bytes.dispatch_bytes) / k;
    const double carried = share * m * (m + 1) / 2;
    const PhaseResult& d = faulty.layers.front().phases.front();
    REQUIRE(d.kind == PhaseKind::kDispatch);
    // (odd k: both directions carry as much, either may be named)
    CHECK(d.critical_link.rfind(k % 2 ? "ici-x-0_" : "ici-x-0_UP", 0) == 0);
    CHECK(d.critical_link_bytes == Approx(carried).epsilon(1e-3));
    // Half the bandwidth: the drain of the busiest link doubles, the rest stays.
    CHECK(faulty.layers.front().phase_us(PhaseKind::kDispatch) ==
          Approx(healthy.layers.front().phase_us(PhaseKind::kDispatch) + carried / 50e9 * 1e6).epsilon(1e-3));
    CHECK(faulty.layers.front().phase_us(PhaseKind::kCombine) >
          healthy.layers.front().phase_us(PhaseKind::kCombine));
  }
}

TEST_CASE("faults that name nothing, or change nothing, are refused in one line", "[faults]") {
  TempDir dir("moesim-faults-errors");
  CHECK_THROWS_WITH(run(ring(dir, 8, "faults: [{link: ici-x-99, bandwidth: 0.5}]\n")),
                    Catch::Contains("faults[0].link: 'ici-x-99' is not a link of platform ring-8 (nearest: ici-x-0"));
  CHECK_THROWS_WITH(ring(dir, 8, "faults: [{link: ici-x-0, bandwidth: 0}]\n"),
                    Catch::Contains("faults[0].bandwidth: 0 is not in (0, 1]"));
  CHECK_THROWS_WITH(ring(dir, 8, "faults: [{link: ici-x-0, bandwidth: 1.5}]\n"),
                    Catch::Contains("1.5 is not in (0, 1]"));
  CHECK_THROWS_WITH(ring(dir, 8, "faults: [{link: ici-x-0}]\n"), Catch::Contains("the fault changes nothing"));
  CHECK_THROWS_WITH(ring(dir, 8, "faults: {link: ici-x-0}\n"), Catch::Contains("expected a list of faults"));
  CHECK_THROWS_WITH(ring(dir, 8, "faults: [{link: ici-x-0, speed: 2}]\n"), Catch::Contains("speed: unknown key"));
  // A directed link alone, and an added latency.
  const RunReport up = run(ring(dir, 8, "faults: [{link: ici-x-0_DOWN, latency_us: 5}]\n"));
  CHECK(up.faults.size() == 1);
  CHECK(up.links.size() == 16);
  std::size_t slow = 0;
  for (const Link& l : up.links) slow += l.latency_s > 2e-6 ? 1 : 0;
  CHECK(slow == 1);
}

TEST_CASE("a fault's cost is the faulty run against the same run on the healthy platform", "[faults]") {
  TempDir dir("moesim-faults-test");
  const std::uint64_t k = 8;
  const RunReport healthy = run(ring(dir, k, ""));
  const RunReport faulty = run(ring(dir, k, "faults: [{link: ici-x-0, bandwidth: 0.5}]\n"));
  const FaultCost cost = fault_cost(faulty, encode_baseline(healthy));
  double healthy_us = 0, faulty_us = 0;
  for (const auto& l : healthy.layers) healthy_us += l.total_us();
  for (const auto& l : faulty.layers) faulty_us += l.total_us();
  CHECK(cost.healthy_us == Approx(healthy_us));
  CHECK(cost.faulty_us == Approx(faulty_us));
  CHECK(cost.slowdown() > 1);
  REQUIRE(cost.phases.size() == 2);
  CHECK(cost.phases[0].label == "dispatch");
  CHECK(cost.phases[0].healthy_us == Approx(healthy.layers.front().phase_us(PhaseKind::kDispatch) *
                                            static_cast<double>(healthy.layers.size())));
  CHECK(cost.phases[0].faulty_bottleneck.rfind("ici-x-0_UP", 0) == 0);
  // A slower link moves no traffic: the routes are the same.
  CHECK(cost.phases[0].moved_bytes == 0);
  CHECK(cost.phases[0].gained.empty());
  // Against a run of another shape, or text that is no baseline: refused.
  CHECK_THROWS(fault_cost(faulty, encode_baseline(run(ring(dir, 4, "")))));
  CHECK_THROWS(fault_cost(faulty, "{}"));
  // A run without faults has no cost to give.
  CHECK_FALSE(has_faults(ring(dir, k, "")));
  CHECK(has_faults(ring(dir, k, "faults: [{link: ici-x-0, bandwidth: 0.5}]\n")));
  CHECK_FALSE(has_faults(healthy_scenario(ring(dir, k, "faults: [{link: ici-x-0, bandwidth: 0.5}]\n"))));
}
