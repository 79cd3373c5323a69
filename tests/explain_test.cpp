// Per-link bytes, the busiest links and the words for where a link sits.
#include "engine/explain.hpp"

#include <catch2/catch.hpp>
#include <numeric>

#include "engine/bound.hpp"

using namespace moesim;

TEST_CASE("per-link bytes add up to every flow's bytes times its hops", "[explain]") {
  Topology t = make_torus("t", TorusSpec{{4, 3, 2}, 50e9, 1e-6});
  Stage ph;
  double expected = 0;
  for (ChipId s = 0; s < t.num_chips(); ++s)
    for (ChipId d = 0; d < t.num_chips(); ++d)
      if (s != d) {
        const std::uint64_t bytes = 1000 + 7 * s + 13 * d;
        ph.flows.push_back({s, d, bytes, 0});
        expected += static_cast<double>(bytes) * static_cast<double>(t.route(s, d).size());
      }
  const std::vector<double> load = link_loads(t, ph);
  CHECK(std::accumulate(load.begin(), load.end(), 0.0) == Approx(expected).epsilon(1e-12));
  const auto top = busiest_links(t, load, 100.0, 3);
  REQUIRE(top.size() == 3);
  CHECK(top[0].bytes >= top[1].bytes);
  CHECK(top[1].bytes >= top[2].bytes);
  CHECK(top[0].busy_us == Approx(top[0].bytes / 50e9 * 1e6));
  CHECK(top[0].utilization == Approx(top[0].busy_us / 100.0));
  CHECK(top[0].where.rfind("dimension ", 0) == 0);
  // The bound's critical link is the bottleneck, and the slowest flow's path its route.
  PhaseResult b = bound_phase(t, ph);
  const Bottleneck bn = attribute(t, b, b);
  CHECK(bn.link == b.critical_link);
  CHECK(bn.above_bound == Approx(1.0));
  CHECK(bn.slowest_path.size() == t.route(b.slowest.src, b.slowest.dst).size());
}

TEST_CASE("where a link sits, in words", "[explain]") {
  Link ici{"ici-y-5_UP", 1, 0, Sharing::kShared, "ici-y-5", true, "ici", "chip-5", "chip-9"};
  CHECK(link_where(ici) == "dimension y");
  Link nic{"nic-3_UP", 1, 0, Sharing::kShared, "nic-3", true, "nic", "gpu-3", "leaf-0"};
  CHECK(link_where(nic) == "nic injection of gpu-3");
  Link down{"nic-3_DOWN", 1, 0, Sharing::kShared, "nic-3", false, "nic", "leaf-0", "gpu-3"};
  CHECK(link_where(down) == "nic ejection to gpu-3");
  Link b2b{"b2b-0-3_UP", 1, 0, Sharing::kShared, "b2b-0-3", true, "b2b", "board-0", "board-3"};
  CHECK(link_where(b2b) == "b2b, board-0 to board-3");
  Link xml{"l", 1, 0, Sharing::kShared, "", true, "", "", ""};
  CHECK(link_where(xml) == "link");
}
