// Torus and tier generators: chips, links and routes.
#include "moesim/topology.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "engine/bound.hpp"
#include "moesim/traffic.hpp"

using namespace moesim;

namespace {

// Hops of the shortest way round a ring of k from a to b.
std::uint64_t ring_hops(std::uint64_t a, std::uint64_t b, std::uint64_t k) {
  std::uint64_t f = (b + k - a) % k;
  return std::min(f, k - f);
}

// Every route is a walk: each link leaves the chip the previous one reached.
// Checked through the names of the torus links: ici-<dim>-<owner>.
void check_routes_complete(const Topology& t) {
  for (ChipId s = 0; s < t.num_chips(); ++s)
    for (ChipId d = 0; d < t.num_chips(); ++d) {
      if (s == d) continue;
      REQUIRE_FALSE(t.route(s, d).empty());
      std::set<LinkId> seen(t.route(s, d).begin(), t.route(s, d).end());
      REQUIRE(seen.size() == t.route(s, d).size());  // no link twice
    }
}

}  // namespace

TEST_CASE("torus chip and link counts", "[topology]") {
  struct Row {
    std::vector<std::uint64_t> dims;
    std::size_t chips, links;
  };
  for (const Row& r : {Row{{4, 4, 4}, 64, 192}, Row{{16, 16}, 256, 512}, Row{{8}, 8, 8}, Row{{2}, 2, 1},
                       Row{{4, 2}, 8, 12}, Row{{1, 4}, 4, 4}}) {
    Topology t = make_torus("t", TorusSpec{r.dims, 45e9, 1e-6});
    CHECK(t.num_chips() == r.chips);
    CHECK(t.num_physical_links() == r.links);
    CHECK(t.links.size() == 2 * r.links);
  }
}

TEST_CASE("torus routes are dimension order, shortest way round", "[topology]") {
  const std::vector<std::uint64_t> dims = {4, 3, 2};
  Topology t = make_torus("t", TorusSpec{dims, 45e9, 1e-6});
  check_routes_complete(t);
  for (ChipId s = 0; s < t.num_chips(); ++s)
    for (ChipId d = 0; d < t.num_chips(); ++d) {
      if (s == d) continue;
      std::uint64_t hops = ring_hops(s % 4, d % 4, 4) + ring_hops(s / 4 % 3, d / 4 % 3, 3) +
                           ring_hops(s / 12, d / 12, 2);
      CHECK(t.route(s, d).size() == hops);
      CHECK(t.route_latency_s(s, d) == Approx(hops * 1e-6));
      // x links come before y links, y before z.
      std::string order;
      for (LinkId l : t.route(s, d)) order += t.links[l].name.substr(4, 1);
      CHECK(std::is_sorted(order.begin(), order.end()));
    }
}

TEST_CASE("torus: the antipodal hop goes the positive way and directions are split", "[topology]") {
  Topology t = make_torus("ring", TorusSpec{{4}, 45e9, 1e-6});
  // 0 -> 2 on a ring of 4: through 1, on the UP sides of 0's and 1's links.
  auto r = t.route(0, 2);
  REQUIRE(r.size() == 2);
  CHECK(t.links[*r.begin()].name == "ici-x-0_UP");
  CHECK(t.links[*std::next(r.begin())].name == "ici-x-1_UP");
  // 0 -> 3 goes backward over 3's link, DOWN side.
  auto back = t.route(0, 3);
  REQUIRE(back.size() == 1);
  CHECK(t.links[*back.begin()].name == "ici-x-3_DOWN");
  // A ring of 2 has one link, used UP one way and DOWN the other.
  Topology two = make_torus("two", TorusSpec{{2}, 45e9, 1e-6});
  CHECK(two.links[*two.route(0, 1).begin()].name == "ici-x-0_UP");
  CHECK(two.links[*two.route(1, 0).begin()].name == "ici-x-0_DOWN");
}

TEST_CASE("tiers: Tier6 P1-R1-B4-C32", "[topology]") {
  TierLevel board{"board", "c2c", 8, TierLevel::Fabric::kFullMesh, TierLevel::Uplink::kDirect, 400e9, 0.2e-6};
  TierLevel rack{"rack", "b2b", 4, TierLevel::Fabric::kFullMesh, TierLevel::Uplink::kDirect, 450e9, 0.35e-6};
  SECTION("direct uplink: one b2b hop between boards") {
    Topology t = make_tiers("sg", TiersSpec{{board, rack}});
    CHECK(t.num_chips() == 32);
    CHECK(t.num_physical_links() == 4 * 28 + 6);
    check_routes_complete(t);
    CHECK(t.route(0, 7).size() == 1);
    CHECK(t.links[*t.route(0, 7).begin()].link_class == "c2c");
    auto r = t.route(3, 9);  // board 0 -> board 1
    REQUIRE(r.size() == 1);
    CHECK(t.links[*r.begin()].link_class == "b2b");
    CHECK(t.links[*r.begin()].name == "rack-0-0-1_UP");
    CHECK(t.links[*t.route(9, 3).begin()].name == "rack-0-0-1_DOWN");
    CHECK(t.route_latency_s(3, 9) == Approx(0.35e-6));
  }
  SECTION("gateway uplink: c2c to the board's first chip, b2b, c2c down") {
    rack.uplink = TierLevel::Uplink::kGateway;
    Topology t = make_tiers("sg", TiersSpec{{board, rack}});
    check_routes_complete(t);
    auto r = t.route(3, 9);
    REQUIRE(r.size() == 3);
    std::vector<std::string> names;
    for (LinkId l : r) names.push_back(t.links[l].name);
    CHECK(names == std::vector<std::string>{"board-0-0-3_DOWN", "rack-0-0-1_UP", "board-1-0-1_UP"});
    CHECK(t.route(0, 8).size() == 1);  // gateway to gateway
    CHECK(t.route_latency_s(3, 9) == Approx(0.75e-6));
  }
  SECTION("switch fabric: up to the switch and down") {
    rack.fabric = TierLevel::Fabric::kSwitch;
    Topology t = make_tiers("sg", TiersSpec{{board, rack}});
    CHECK(t.num_physical_links() == 4 * 28 + 4);
    check_routes_complete(t);
    auto r = t.route(3, 17);
    REQUIRE(r.size() == 2);
    CHECK(t.links[*r.begin()].name == "rack-0-0-sw_UP");
    CHECK(t.links[*std::next(r.begin())].name == "rack-0-2-sw_DOWN");
  }
}

TEST_CASE("GPU cluster: NVLink inside a node, rails between, PXN across rails", "[topology]") {
  Topology t = make_gpu_cluster("gpu", GpuClusterSpec{4, 8, 160e9, 1e-6, 50e9, 2e-6});
  CHECK(t.num_chips() == 32);
  CHECK(t.num_physical_links() == 64);
  check_routes_complete(t);
  auto names = [&](ChipId s, ChipId d) {
    std::vector<std::string> out;
    for (LinkId l : t.route(s, d)) out.push_back(t.links[l].name);
    return out;
  };
  CHECK(names(1, 5) == std::vector<std::string>{"nvlink-1_UP", "nvlink-5_DOWN"});
  CHECK(names(1, 9) == std::vector<std::string>{"nic-1_UP", "nic-9_DOWN"});  // same rail
  CHECK(names(1, 13) == std::vector<std::string>{"nvlink-1_UP", "nvlink-5_DOWN", "nic-5_UP", "nic-13_DOWN"});
  CHECK(t.route_latency_s(1, 13) == Approx(6e-6));
}

TEST_CASE("tiers: three levels", "[topology]") {
  TierLevel board{"board", "c2c", 2, TierLevel::Fabric::kFullMesh, TierLevel::Uplink::kDirect, 400e9, 1e-7};
  TierLevel rack{"rack", "b2b", 3, TierLevel::Fabric::kSwitch, TierLevel::Uplink::kGateway, 200e9, 1e-6};
  TierLevel pod{"pod", "r2r", 2, TierLevel::Fabric::kFullMesh, TierLevel::Uplink::kGateway, 100e9, 1e-5};
  Topology t = make_tiers("p", TiersSpec{{board, rack, pod}});
  CHECK(t.num_chips() == 12);
  check_routes_complete(t);
  // chip 3 (rack 0, board 1, member 1) -> chip 11 (rack 1, board 2, member 1):
  // up to rack 0's gateway chip 0 (board 1 -> switch -> board 0, after c2c 3->2),
  // the r2r link, then from rack 1's gateway chip 6 through the switch to
  // board 5's gateway chip 10, and c2c to 11.
  auto r = t.route(3, 11);
  std::vector<std::string> names;
  for (LinkId l : r) names.push_back(t.links[l].name);
  CHECK(names == std::vector<std::string>{"board-1-0-1_DOWN", "rack-0-1-sw_UP", "rack-0-0-sw_DOWN",
                                          "pod-0-0-1_UP", "rack-1-0-sw_UP", "rack-1-2-sw_DOWN",
                                          "board-5-0-1_UP"});
  CHECK(t.chip_index("chip-11") == 11);
  CHECK(t.chip_index("chip-12") == -1);
}

TEST_CASE("tiers: a switch with too few ports becomes a leaf/spine", "[topology]") {
  TierLevel board{"board", "c2c", 32, TierLevel::Fabric::kSwitch, TierLevel::Uplink::kDirect, 100e9, 1e-6};
  Topology single = make_tiers("one", TiersSpec{{board}});
  board.switch_ports = 8;  // leaves of 4 chips, 8 leaves, 4 spines
  REQUIRE(leaf_spine(board));
  Topology t = make_tiers("clos", TiersSpec{{board}});
  CHECK(t.switches.size() == 8 + 4);
  CHECK(t.num_physical_links() == 32 + 8 * 4);
  check_routes_complete(t);
  for (ChipId s = 0; s < 32; ++s)
    for (ChipId d = 0; d < 32; ++d) {
      if (s == d) continue;
      auto r = t.route(s, d);
      CHECK(r.size() == (s / 4 == d / 4 ? 2u : 4u));
      std::string at = t.chips[s];
      for (LinkId l : r) {
        REQUIRE(t.links[l].from == at);
        at = t.links[l].to;
      }
      CHECK(at == t.chips[d]);
    }
  // Non-blocking: uniform all-to-all is bounded by the chips' own links, as on one big switch.
  std::vector<ChipId> g(32);
  for (ChipId i = 0; i < 32; ++i) g[i] = i;
  const Stage d = uniform_layer(LayerBytes{1, 3200000, 6400000}, g, 1).phases[0].stages()[0];
  CHECK(bound_phase(t, d).drain_us == Approx(bound_phase(single, d).drain_us));
  CHECK(bound_phase(t, d).critical_link.find("-sw_") != std::string::npos);
}
