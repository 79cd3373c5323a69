// Topology analysis against closed forms.
#include "platform/analysis.hpp"

#include <catch2/catch.hpp>

#include "engine/bound.hpp"
#include "engine/explain.hpp"

using namespace moesim;

namespace {

PlatformSpec torus_spec(std::vector<std::uint64_t> dims, bool wrap = true,
                        TorusSpec::Antipodal a = TorusSpec::Antipodal::kPositive) {
  PlatformSpec p;
  p.name = "t";
  p.kind = PlatformSpec::Kind::kTorus;
  p.torus = TorusSpec{dims, 50e9, 1e-6};
  p.torus.wraparound = wrap;
  p.torus.antipodal = a;
  return p;
}

// Mean distance over all ordered pairs of one ring (or line) of k, self included.
double ring_mean(double k) { return static_cast<long>(k) % 2 == 0 ? k / 4 : (k * k - 1) / (4 * k); }
double line_mean(double k) { return (k * k - 1) / (3 * k); }

}  // namespace

TEST_CASE("diameter and average hops of rings, meshes and tori", "[analysis]") {
  struct Row {
    std::vector<std::uint64_t> dims;
    bool wrap;
  };
  for (const Row& r : {Row{{8}, true}, Row{{7}, true}, Row{{8}, false}, Row{{4, 4, 4}, true}, Row{{5, 3}, true},
                       Row{{4, 6}, false}, Row{{16, 16}, true}}) {
    PlatformSpec p = torus_spec(r.dims, r.wrap);
    TopologySummary s = summarize(p, build_topology(p));
    double n = 1, mean = 0;
    std::size_t diameter = 0;
    for (auto k : r.dims) {
      n *= static_cast<double>(k);
      mean += r.wrap ? ring_mean(static_cast<double>(k)) : line_mean(static_cast<double>(k));
      diameter += r.wrap ? k / 2 : k - 1;
    }
    INFO("dims " << r.dims.size() << " first " << r.dims[0] << " wrap " << r.wrap);
    CHECK(s.diameter_hops == diameter);
    CHECK(s.average_hops == Approx(mean * n / (n - 1)));
    CHECK(s.chips == static_cast<std::size_t>(n));
  }
}

TEST_CASE("bisection of tori against the closed form and the cut", "[analysis]") {
  // 4x4x8: halving z (8) crosses 2 x 16 links; chip-order halves cut exactly there.
  PlatformSpec p = torus_spec({4, 4, 8});
  Topology t = build_topology(p);
  TopologySummary s = summarize(p, t);
  CHECK(s.bisection_Bps == Approx(2 * 16 * 50e9));
  CHECK(*min_cut_of_halves_Bps(t, {chip_order_halves(t.num_chips())}) == Approx(s.bisection_Bps));
  PlatformSpec m = torus_spec({4, 8}, false);
  CHECK(summarize(m, build_topology(m)).bisection_Bps == Approx(4 * 50e9));
  CHECK(*min_cut_of_halves_Bps(build_topology(m), {chip_order_halves(32)}) == Approx(4 * 50e9));
  // A 16x16 torus: 2 x 16 links of 50 GB/s.
  PlatformSpec v5e = torus_spec({16, 16});
  CHECK(summarize(v5e, build_topology(v5e)).bisection_Bps == Approx(1.6e12));
  CHECK(summarize(v5e, build_topology(v5e)).min_injection_Bps == Approx(4 * 50e9));
}

TEST_CASE("split antipodal routing never loses to one direction on uniform traffic", "[analysis]") {
  for (auto dims : {std::vector<std::uint64_t>{4}, std::vector<std::uint64_t>{8}, std::vector<std::uint64_t>{4, 4},
                    std::vector<std::uint64_t>{4, 4, 4}, std::vector<std::uint64_t>{16, 16},
                    std::vector<std::uint64_t>{8, 6}, std::vector<std::uint64_t>{5, 4}}) {
    PlatformSpec one = torus_spec(dims), split = torus_spec(dims, true, TorusSpec::Antipodal::kSplit);
    Topology a = build_topology(one), b = build_topology(split);
    std::vector<ChipId> g(a.num_chips());
    for (ChipId i = 0; i < g.size(); ++i) g[i] = i;
    LayerTraffic t = uniform_layer(LayerBytes{1, 3670016, 7340032}, g, 1);
    for (const Stage* st : t.stages()) {
      const Stage& ph = *st;
      const double positive = bound_phase(a, ph).latency_us, halved = bound_phase(b, ph).latency_us;
      CHECK(halved <= positive * (1 + 1e-12));
      // On a ring of 4 one direction loads the busiest link 1.5x as much as splitting does.
      if (dims == std::vector<std::uint64_t>{4}) CHECK(bound_phase(a, ph).drain_us == Approx(1.5 * bound_phase(b, ph).drain_us));
    }
  }
}

TEST_CASE("per-dimension bandwidth and the most loaded links", "[analysis]") {
  PlatformSpec p = torus_spec({4, 4});
  p.torus.dim_bandwidth_Bps = {100e9, 25e9};
  Topology t = build_topology(p);
  std::vector<ChipId> g(16);
  for (ChipId i = 0; i < 16; ++i) g[i] = i;
  const Stage d = uniform_layer(LayerBytes{1, 1600000, 3200000}, g, 1).phases[0].stages()[0];
  auto top = top_links(t, d, 3);
  REQUIRE(top.size() == 3);
  CHECK(top[0].link.rfind("ici-y-", 0) == 0);  // the slow dimension is the hot one
  CHECK(top[0].drain_us >= top[1].drain_us);
  CHECK(bound_phase(t, d).critical_link.rfind("ici-y-", 0) == 0);
}

TEST_CASE("groups whose routes share no link are independent", "[analysis]") {
  const Topology t = make_torus("t", TorusSpec{{4, 4, 4}, 50e9, 1e-6});
  auto block = [](ChipId first, ChipId n) {
    std::vector<ChipId> g;
    for (ChipId c = first; c < first + n; ++c) g.push_back(c);
    return g;
  };
  // z-planes (16 consecutive chips): dimension order keeps their routes in the plane.
  const auto planes = independent_groups(t, {block(0, 16), block(16, 16), block(32, 16), block(48, 16)});
  CHECK(planes == std::vector<std::vector<std::uint32_t>>{{0}, {1}, {2}, {3}});
  // Halves of two planes each: z = 0, 1 and z = 2, 3 use different z links.
  CHECK(independent_groups(t, {block(0, 32), block(32, 32)}) == std::vector<std::vector<std::uint32_t>>{{0}, {1}});
  // Every fourth chip (one x coordinate each): routes stay in their y-z plane.
  std::vector<std::vector<ChipId>> strided(4);
  for (ChipId c = 0; c < 64; ++c) strided[c % 4].push_back(c);
  CHECK(independent_groups(t, strided).size() == 4);
  // Even and odd x: x = 0 -> 2 and x = 1 -> 3 both cross the link from x = 1 to x = 2.
  std::vector<std::vector<ChipId>> interleaved(2);
  for (ChipId c = 0; c < 64; ++c) interleaved[c % 2].push_back(c);
  CHECK(independent_groups(t, interleaved) == std::vector<std::vector<std::uint32_t>>{{0, 1}});
  // Sets keep the order of their first group.
  std::vector<std::vector<ChipId>> mixed = {block(0, 16), interleaved[0], block(16, 16), interleaved[1]};
  CHECK(independent_groups(t, mixed) == std::vector<std::vector<std::uint32_t>>{{0, 1, 2, 3}});
}
