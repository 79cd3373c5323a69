// Traffic matrices and flows of one layer.
#include "moesim/traffic.hpp"

#include <catch2/catch.hpp>

using namespace moesim;

TEST_CASE("uniform shares keep the exact byte totals", "[traffic]") {
  for (std::size_t n : {1, 2, 7, 32}) {
    for (std::uint64_t bytes : {0ull, 1ull, 114688ull, 114689ull, 1000003ull}) {
      TrafficMatrix m = uniform_matrix(n, bytes);
      std::uint64_t total = 0;
      for (std::size_t d = 0; d < n; ++d) {
        CHECK(m.received_by(d) == bytes);
        total += m.received_by(d);
      }
      CHECK(total == bytes * n);
      // Shares differ by at most one byte.
      auto [lo, hi] = std::minmax_element(m.bytes.begin(), m.bytes.end());
      CHECK(*hi - *lo <= 1);
    }
  }
}

TEST_CASE("a layer: dispatch, combine reversed, all-gather with moe_tp", "[traffic]") {
  LayerBytes b{16, 114688, 229376};
  std::vector<ChipId> group;
  for (ChipId i = 0; i < 32; ++i) group.push_back(i);
  LayerTraffic t = uniform_layer(b, group, 1);
  REQUIRE(t.phases.size() == 2);
  const Stage& d = t.phases[0].stages().at(0);
  CHECK(d.kind == PhaseKind::kDispatch);
  CHECK(d.flows.size() == 32 * 31);
  CHECK(d.local_bytes == 32 * 3584);
  REQUIRE(d.kept.size() == 32);
  for (const Flow& f : d.kept) CHECK((f.src == f.dst && f.bytes == 3584));
  CHECK(d.network_bytes + d.local_bytes == 32 * 114688);
  CHECK(t.phases[1].kind() == PhaseKind::kCombine);
  CHECK(t.phases[1].network_bytes() + t.phases[1].local_bytes() == 32 * 229376);

  LayerTraffic tp = uniform_layer(b, std::vector<ChipId>(group.begin(), group.begin() + 8), 4);
  REQUIRE(tp.phases.size() == 3);
  const Stage& ag = tp.phases[2].stages().at(0);
  CHECK(ag.kind == PhaseKind::kAllgather);
  CHECK(ag.flows.size() == 2 * 4 * 3);  // two TP groups of 4, each chip to its 3 peers
  for (const Flow& f : ag.flows) {
    CHECK(f.src / 4 == f.dst / 4);
    CHECK(f.bytes == 229376);
  }
}

TEST_CASE("flows map group indices to the group's chips", "[traffic]") {
  TrafficMatrix m{3, {0, 5, 0, 0, 0, 7, 2, 0, 9}};
  Stage p = make_stage(m, {10, 20, 30});
  REQUIRE(p.flows.size() == 3);
  CHECK(p.flows[0].src == 10);
  CHECK(p.flows[0].dst == 20);
  CHECK(p.flows[0].bytes == 5);
  CHECK(p.flows[2].src == 30);
  CHECK(p.flows[2].dst == 10);
  CHECK(p.local_bytes == 9);
  REQUIRE(p.kept.size() == 1);  // only chip 30 keeps bytes for itself
  CHECK(p.kept[0].src == 30);
  CHECK(p.kept[0].dst == 30);
  CHECK(p.kept[0].bytes == 9);
  CHECK(p.network_bytes == 14);
  CHECK(m.transposed().at(1, 0) == 5);
}

TEST_CASE("equal traffic, equal fingerprints", "[traffic]") {
  LayerBytes b{16, 114688, 229376};
  std::vector<ChipId> g = {0, 1, 2, 3};
  CHECK(uniform_layer(b, g, 1).fingerprint == uniform_layer(b, g, 1).fingerprint);
  LayerBytes other{16, 114689, 229376};
  CHECK(uniform_layer(b, g, 1).fingerprint != uniform_layer(other, g, 1).fingerprint);
  CHECK(uniform_layer(b, g, 1).fingerprint != uniform_layer(b, {0, 1, 3, 2}, 1).fingerprint);
}
