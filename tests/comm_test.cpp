// The all-to-all algorithms: their stages conserve the routed bytes, and
// message costs count messages.
#include "moesim/comm.hpp"

#include <catch2/catch.hpp>

#include "engine/bound.hpp"
#include "moesim/error.hpp"
#include "moesim/routing.hpp"
#include "moesim/topology.hpp"

using namespace moesim;

namespace {

std::vector<ChipId> first_chips(std::size_t n) {
  std::vector<ChipId> g(n);
  for (std::size_t i = 0; i < n; ++i) g[i] = static_cast<ChipId>(i);
  return g;
}

// Torus coordinates of chips 0..n-1 (dimension 0 fastest).
std::vector<std::uint64_t> coords(const std::vector<std::uint64_t>& dims) {
  std::size_t n = 1;
  for (auto k : dims) n *= k;
  std::vector<std::uint64_t> c;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t rest = i;
    for (auto k : dims) {
      c.push_back(rest % k);
      rest /= k;
    }
  }
  return c;
}

// A matrix with distinct, uneven entries.
TrafficMatrix uneven(std::size_t n) {
  TrafficMatrix m{n, std::vector<std::uint64_t>(n * n)};
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t d = 0; d < n; ++d) m.bytes[s * n + d] = 1000 + 37 * s + 101 * d + (s * d) % 13;
  return m;
}

std::uint64_t off_diagonal(const TrafficMatrix& m) {
  std::uint64_t sum = 0;
  for (std::size_t s = 0; s < m.n; ++s)
    for (std::size_t d = 0; d < m.n; ++d)
      if (s != d) sum += m.at(s, d);
  return sum;
}

LayerRouting routed(std::uint64_t ep, std::uint64_t tokens, std::uint64_t node_chips, std::uint64_t topk,
                    std::uint64_t layer = 0) {
  GroupLayout g{ep, 1, 64, topk, tokens, {}};
  for (std::uint64_t c = 0; c < ep; ++c) g.node.push_back(static_cast<std::uint32_t>(c / node_chips));
  RoutingSpec s;
  s.model = RoutingSpec::Model::kRandom;
  return Router(s, g, nullptr).route(7, layer, 0);
}

}  // namespace

TEST_CASE("dimension_ordered: each stage moves along one dimension and every byte arrives", "[comm]") {
  for (const auto& dims : std::vector<std::vector<std::uint64_t>>{{4, 4}, {2, 3, 4}, {8}}) {
    const std::vector<std::uint64_t> c = coords(dims);
    const std::size_t n = c.size() / dims.size(), nd = dims.size();
    const TrafficMatrix m = uneven(n);
    const std::vector<StageMatrix> st = dimension_ordered_stages(m, dims, c);
    REQUIRE(st.size() == nd);
    std::vector<std::int64_t> net(n, 0);  // what each chip ends with, minus what it started with
    for (std::size_t k = 0; k < st.size(); ++k) {
      std::uint64_t expected = 0;  // the bytes whose ends differ in dimension k
      for (std::size_t s = 0; s < n; ++s)
        for (std::size_t d = 0; d < n; ++d)
          if (c[s * nd + k] != c[d * nd + k]) expected += m.at(s, d);
      CHECK(off_diagonal(st[k].m) == expected);
      for (std::size_t s = 0; s < n; ++s)
        for (std::size_t d = 0; d < n; ++d) {
          if (s == d || st[k].m.at(s, d) == 0) continue;
          for (std::size_t j = 0; j < nd; ++j)
            if (j != k) CHECK(c[s * nd + j] == c[d * nd + j]);  // a line of dimension k
          net[d] += static_cast<std::int64_t>(st[k].m.at(s, d));
          net[s] -= static_cast<std::int64_t>(st[k].m.at(s, d));
        }
    }
    for (std::size_t j = 0; j < n; ++j) {
      std::int64_t want = 0;
      for (std::size_t s = 0; s < n; ++s)
        if (s != j) want += static_cast<std::int64_t>(m.at(s, j)) - static_cast<std::int64_t>(m.at(j, s));
      CHECK(net[j] == want);
      CHECK(st.front().m.at(j, j) == m.at(j, j));  // kept on the chip, counted once
    }
    // More bytes on the wire than direct, unless there is one dimension.
    std::uint64_t wire = 0;
    for (const auto& s : st) wire += off_diagonal(s.m);
    if (nd == 1) CHECK(wire == off_diagonal(m));
    else CHECK(wire > off_diagonal(m));
  }
}

TEST_CASE("dimension_ordered on a ring is direct", "[comm]") {
  const std::vector<std::uint64_t> dims{16};
  const TrafficMatrix m = uneven(16);
  const auto st = dimension_ordered_stages(m, dims, coords(dims));
  REQUIRE(st.size() == 1);
  CHECK(st[0].m.bytes == m.bytes);
  const Phase ph = staged_phase(PhaseKind::kDispatch, st, first_chips(16), 0, 0);
  REQUIRE(ph.stages().size() == 1);
  const Phase direct = make_phase(PhaseKind::kDispatch, m, first_chips(16));
  CHECK(ph.stages()[0].name.empty());
  CHECK(fingerprint({ph}) == fingerprint({direct}));
}

TEST_CASE("dimension_ordered refuses a group that is not a sub-grid", "[comm]") {
  // Chips (0,0), (1,1): bytes from one to the other pass through (1,0), not in the group.
  const std::vector<std::uint64_t> dims{2, 2}, c{0, 0, 1, 1};
  TrafficMatrix m{2, {0, 5, 5, 0}};
  CHECK_THROWS_AS(dimension_ordered_stages(m, dims, c), InputError);
  // A 2 x 2 block of a 4 x 4 torus is a sub-grid.
  const std::vector<std::uint64_t> block{0, 0, 1, 0, 0, 1, 1, 1};
  CHECK(dimension_ordered_stages(uneven(4), {4, 4}, block).size() == 2);
}

TEST_CASE("node_dedup: fewer inter-node bytes than direct, exactly as dedup predicts", "[comm]") {
  const std::uint64_t ep = 32, node = 8;
  for (std::uint64_t topk : {1, 8}) {
    const LayerRouting r = routed(ep, 4096, node, topk);
    std::vector<std::uint32_t> nodes;
    for (std::uint64_t c = 0; c < ep; ++c) nodes.push_back(static_cast<std::uint32_t>(c / node));
    const std::vector<StageMatrix> st = node_dedup_stages(r.counts_dedup, r.counts_node, nodes, 1);
    REQUIRE(st.size() == 2);
    const TrafficMatrix &inter = st[0].m, &intra = st[1].m;
    std::uint64_t direct_inter = 0, node_tokens = 0;
    for (std::uint64_t c = 0; c < ep; ++c) {
      for (std::uint64_t j = 0; j < ep; ++j)
        if (nodes[c] != nodes[j]) direct_inter += r.counts_dedup[c * ep + j];
      for (std::uint64_t b = 0; b < ep / node; ++b)
        if (b != nodes[c]) node_tokens += r.counts_node[c * (ep / node) + b];
    }
    CHECK(off_diagonal(inter) == node_tokens);  // a token once per remote node
    if (topk == 1) CHECK(node_tokens == direct_inter);
    else CHECK(node_tokens < direct_inter);
    for (std::uint64_t s = 0; s < ep; ++s)
      for (std::uint64_t d = 0; d < ep; ++d) {
        if (inter.at(s, d)) CHECK((nodes[s] != nodes[d] && s % node == d % node));  // its rail
        if (intra.at(s, d) && s != d) CHECK(nodes[s] == nodes[d]);                  // inside a node
      }
    // Every chip gets the tokens of its rank, as direct sends them.
    for (std::uint64_t j = 0; j < ep; ++j) {
      std::uint64_t want = 0;
      for (std::uint64_t c = 0; c < ep; ++c) want += r.counts_dedup[c * ep + j];
      CHECK(intra.received_by(j) == want);
    }
  }
}

TEST_CASE("per_expert sends every copy, a message per token", "[comm]") {
  const std::uint64_t ep = 16;
  const LayerRouting r = routed(ep, 2048, 4, 8);
  const TokenBytes token{7168, 14336};
  GroupComm per;
  per.algorithm = CommAlgorithm::kPerExpert;
  LayerStats st;
  const LayerTraffic direct = routed_layer(r, token, true, first_chips(ep), 1, 0, 0, &st);
  const LayerTraffic copies = routed_layer(r, token, true, first_chips(ep), 1, 0, 0, nullptr, &per);
  CHECK(direct.phases[0].network_bytes() == st.dispatch_bytes_dedup);
  CHECK(copies.phases[0].network_bytes() == st.dispatch_bytes_all);
  CHECK(copies.phases[0].network_bytes() > direct.phases[0].network_bytes());
  for (const Flow& f : copies.phases[0].stages()[0].flows) CHECK(f.messages == f.bytes / token.dispatch);
  for (const Flow& f : copies.phases[1].stages()[0].flows) CHECK(f.messages == f.bytes / token.combine);
  for (const Flow& f : direct.phases[0].stages()[0].flows) CHECK(f.messages == 1);
}

TEST_CASE("the combine retraces the dispatch's stages backwards", "[comm]") {
  const std::vector<std::uint64_t> dims{4, 4};
  GroupComm dim;
  dim.algorithm = CommAlgorithm::kDimensionOrdered;
  dim.dims = dims;
  dim.coord = coords(dims);
  const LayerTraffic t = uniform_layer(LayerBytes{16, 114688, 229376}, first_chips(16), 1, 0, &dim);
  REQUIRE(t.phases.size() == 2);
  const auto& d = t.phases[0].stages();
  const auto& c = t.phases[1].stages();
  REQUIRE(d.size() == 2);
  REQUIRE(c.size() == 2);
  CHECK(d[0].name == "dimension x");
  CHECK(d[1].name == "dimension y");
  CHECK(c[0].name == "dimension y");
  CHECK(c[1].name == "dimension x");
  CHECK(c[0].kind == PhaseKind::kCombine);
  CHECK(c[0].index == 0);
  CHECK(c[1].index == 1);
  // Combine bytes are twice the dispatch's (BF16 over FP8), stage by stage.
  CHECK(c[1].network_bytes == 2 * d[0].network_bytes);
  CHECK(c[0].network_bytes == 2 * d[1].network_bytes);
}

TEST_CASE("messages: ceil(bytes / message_bytes), and each chip issues its own in turn", "[comm]") {
  TrafficMatrix m{3, {0, 1000, 2500, 999, 0, 0, 1, 0, 0}};
  const Stage p = make_stage(m, {0, 1, 2}, 0, 1000);
  std::vector<std::uint32_t> messages;
  for (const Flow& f : p.flows) messages.push_back(f.messages);
  CHECK(messages == std::vector<std::uint32_t>{1, 3, 1, 1});
  CHECK(sender_busy_s(p, 0, 3).empty());
  const std::vector<double> busy = sender_busy_s(p, 2e-6, 3);
  CHECK(busy[0] == Approx(8e-6));
  CHECK(busy[1] == Approx(2e-6));
  CHECK(busy[2] == Approx(2e-6));
  CHECK_THROWS_AS(make_phase(PhaseKind::kDispatch, TrafficMatrix{2, {0, 1ull << 40, 0, 0}}, {0, 1}, 0, 1),
                  InputError);
}

TEST_CASE("the bound adds a sender's message time exactly", "[comm][bound]") {
  const Topology t = make_torus("pair", TorusSpec{{2}, 100e9, 1e-6});
  TrafficMatrix m{2, {0, 1000000, 0, 0}};
  const Stage p = make_stage(m, {0, 1}, 0, 4096);
  REQUIRE(p.flows.size() == 1);
  CHECK(p.flows[0].messages == 245);  // ceil(1e6 / 4096)
  const double plain = bound_phase(t, p).latency_us;
  CHECK(plain == Approx(1 + 10));
  CHECK(bound_phase(t, p, sender_busy_s(p, 0.5e-6, 2)).latency_us == Approx(plain + 245 * 0.5));
}

TEST_CASE("sender costs: every message and peer, and each link class the route crosses once", "[comm][bound]") {
  // 2 nodes of 2 GPUs: chip 0 -> 1 stays on NVLink; 0 -> 2 is the same rail
  // (NIC up, NIC down); 0 -> 3 goes NVLink to chip 1, then its NIC (PXN).
  const Topology t = make_gpu_cluster("2x2", GpuClusterSpec{2, 2, 100e9, 1e-6, 50e9, 2e-6});
  TrafficMatrix m{4, {0, 1000, 3000, 2000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
  const Stage p = make_stage(m, {0, 1, 2, 3}, 0, 1000);  // 1, 3 and 2 messages
  SendCosts message{1, {{"nvlink", 2}, {"nic", 5}}}, peer{10, {{"nic", 100}}};
  const SenderCosts costs(message, peer, t);
  REQUIRE_FALSE(costs.empty());
  const std::vector<double> busy = costs.busy_s(p, 4);
  const double to1 = 1 * (1 + 2) + 10, to2 = 3 * (1 + 5) + 10 + 100, to3 = 2 * (1 + 2 + 5) + 10 + 100;
  CHECK(busy[0] == Approx((to1 + to2 + to3) * 1e-6));
  CHECK(busy[1] == 0);
  // A route crossing two NIC links pays the NIC once: 0 -> 2 is NIC up and NIC down.
  CHECK(costs.flow_s(p.flows[1]) == Approx(to2 * 1e-6));
  // Uniform costs alone need no routes; nothing at all is empty.
  CHECK(SenderCosts(SendCosts{}, SendCosts{}, t).empty());
  CHECK(SenderCosts(SendCosts{0, {{"nic", 0}}}, SendCosts{}, t).empty());
  CHECK(SenderCosts(SendCosts{}, SendCosts{3, {}}, t).busy_s(p, 4)[0] == Approx(9e-6));
  CHECK(message.describe() == "1 us, nic 5 us, nvlink 2 us");
  CHECK(SendCosts{}.describe() == "0 us");
  // The bound starts each flow after its sender's costs.
  const double plain = bound_phase(t, p).latency_us;
  CHECK(bound_phase(t, p, busy).latency_us >= plain + 0.0);
  CHECK(bound_phase(t, p, busy).latency_us >= to1 + to2 + to3);
}
