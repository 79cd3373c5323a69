// Routing models: sampled expert choices, placement, dedup, group and node
// limits, traces, and the statistics checked against Tier6's Monte Carlo.
#include "moesim/routing.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <set>
#include <unistd.h>

#include "util/rng.hpp"
#include "moesim/traffic.hpp"

using namespace moesim;

namespace {

GroupLayout layout(std::uint64_t ep, std::uint64_t tokens, std::uint64_t experts = 256, std::uint64_t topk = 8,
                   std::uint64_t tp = 1, std::uint64_t node_chips = 0) {
  GroupLayout g{ep, tp, experts, topk, tokens, {}};
  for (std::uint64_t c = 0; c < ep * tp; ++c)
    g.node.push_back(static_cast<std::uint32_t>(node_chips ? c / node_chips : 0));
  return g;
}

RoutingSpec spec(RoutingSpec::Model m) {
  RoutingSpec s;
  s.model = m;
  return s;
}

std::uint64_t sum(const std::vector<std::uint64_t>& v) {
  std::uint64_t s = 0;
  for (auto x : v) s += x;
  return s;
}

}  // namespace

TEST_CASE("tokens spread over the group's chips, remainder to the first", "[routing]") {
  CHECK(tokens_per_chip(10, 4) == std::vector<std::uint64_t>{3, 3, 2, 2});
  CHECK(tokens_per_chip(3, 4) == std::vector<std::uint64_t>{1, 1, 1, 0});
  CHECK(tokens_per_chip(8, 4) == std::vector<std::uint64_t>{2, 2, 2, 2});
}

TEST_CASE("the stream is reproducible and the streams differ", "[routing]") {
  Rng a(7, 1, 2), b(7, 1, 2), c(7, 2, 1);
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    CHECK(x == b.next());
    CHECK(x != c.next());
  }
  Rng r(1);
  for (int i = 0; i < 1000; ++i) {
    CHECK(r.below(7) < 7);
    const double u = r.uniform();
    CHECK(u >= 0);
    CHECK(u < 1);
  }
}

TEST_CASE("random routing: every token picks topk distinct experts", "[routing]") {
  Router router(spec(RoutingSpec::Model::kRandom), layout(32, 64), nullptr);
  LayerRouting r = router.route(1, 0, 0);
  CHECK(sum(r.counts_all) == 64 * 8);  // every expert copy counted: the byte formula's total
  CHECK(sum(r.rank_tokens) == 64 * 8);
  CHECK(sum(r.counts_dedup) <= sum(r.counts_all));
  // Same seed, same routing; another layer, another routing.
  CHECK(router.route(1, 0, 0).counts_dedup == r.counts_dedup);
  CHECK(router.route(1, 1, 0).counts_dedup != r.counts_dedup);
  CHECK(router.route(1, 0, 1).counts_dedup != r.counts_dedup);
}

TEST_CASE("random routing: a rank's tokens converge to tokens_per_ep_group", "[routing]") {
  // 2048 tokens, top-8 of 256 experts, ep 32: tokens_per_ep_group = 512.
  const std::uint64_t T = 2048, E = 256, K = 8, ep = 32, m = E / ep, layers = 200;
  Router router(spec(RoutingSpec::Model::kRandom), layout(ep, T), nullptr);
  double mean = 0;
  for (std::uint64_t l = 0; l < layers; ++l) mean += static_cast<double>(router.route(3, l, 0).rank_tokens[0]);
  mean /= layers;
  // A token's picks on one rank are hypergeometric: K draws, m of E experts there.
  const double p = static_cast<double>(m) / E;
  const double var_token = K * p * (1 - p) * (E - K) / (E - 1.0);
  const double sigma_mean = std::sqrt(T * var_token / layers);
  CHECK(std::abs(mean - 512.0) < 5 * sigma_mean);
}

TEST_CASE("Tier6's max-expert Monte Carlo: 256 experts, top-8, contiguous, ep 32", "[routing]") {
  struct Row {
    std::uint64_t batch;
    double expected, tolerance;
  };
  for (const Row& row : {Row{4, 3.18, 0.05}, Row{64, 8.0, 0.01}}) {
    Router router(spec(RoutingSpec::Model::kRandom), layout(32, row.batch), nullptr);
    const int layers = 4000;
    double mean = 0;
    for (int l = 0; l < layers; ++l) {
      const LayerRouting r = router.route(11, static_cast<std::uint64_t>(l), 0);
      mean += *std::max_element(r.distinct_experts.begin(), r.distinct_experts.end());
    }
    mean /= layers;
    INFO("global batch " << row.batch);
    CHECK(mean == Approx(row.expected).margin(row.tolerance));
  }
}

TEST_CASE("dedup never increases bytes", "[routing]") {
  for (auto m : {RoutingSpec::Model::kRandom, RoutingSpec::Model::kZipf, RoutingSpec::Model::kHotspot}) {
    RoutingSpec s = spec(m);
    s.hot_experts = {0, 1, 2};
    s.hot_share = 0.6;
    s.zipf_exponent = 1.5;
    Router router(s, layout(8, 512, 64, 6), nullptr);
    for (std::uint64_t l = 0; l < 10; ++l) {
      LayerRouting r = router.route(5, l, 0);
      for (std::size_t i = 0; i < r.counts_all.size(); ++i) CHECK(r.counts_dedup[i] <= r.counts_all[i]);
      std::vector<ChipId> g(8);
      for (ChipId c = 0; c < 8; ++c) g[c] = c;
      LayerStats st;
      routed_layer(r, TokenBytes{7168, 14336}, true, g, 1, 0, 0, &st);
      CHECK(st.dispatch_bytes_dedup <= st.dispatch_bytes_all);
      CHECK(st.routed);
    }
  }
}

TEST_CASE("skew: zipf and hotspot load the hot experts' ranks", "[routing]") {
  RoutingSpec hot = spec(RoutingSpec::Model::kHotspot);
  hot.hot_experts = {0, 1};  // both on rank 0 (contiguous, 8 experts a rank)
  hot.hot_share = 0.5;
  Router router(hot, layout(8, 4096, 64, 4), nullptr);
  LayerRouting r = router.route(1, 0, 0);
  // Rank 0 gets about half of the picks, far above the uniform 1/8.
  CHECK(static_cast<double>(r.rank_tokens[0]) / (4096.0 * 4) > 0.35);
  RoutingSpec z = spec(RoutingSpec::Model::kZipf);
  z.zipf_exponent = 1.2;
  Router zr(z, layout(8, 4096, 64, 4), nullptr);
  auto w = zr.popularity(1, 0);
  CHECK(*std::max_element(w.begin(), w.end()) > 10 * *std::min_element(w.begin(), w.end()));
  // The hot set is re-drawn per layer unless told otherwise.
  CHECK(zr.popularity(1, 1) != w);
  z.redraw_per_layer = false;
  Router fixed(z, layout(8, 4096, 64, 4), nullptr);
  CHECK(fixed.popularity(1, 1) == fixed.popularity(1, 0));
}

TEST_CASE("placement: contiguous, round robin, explicit, redundant copies", "[routing]") {
  RoutingSpec s = spec(RoutingSpec::Model::kRandom);
  Router contiguous(s, layout(4, 16, 16, 2), nullptr);
  auto c = contiguous.copies(contiguous.popularity(1, 0));
  CHECK(c[0] == std::vector<std::uint32_t>{0});
  CHECK(c[5] == std::vector<std::uint32_t>{1});
  CHECK(c[15] == std::vector<std::uint32_t>{3});
  s.placement = RoutingSpec::Placement::kRoundRobin;
  Router rr(s, layout(4, 16, 16, 2), nullptr);
  CHECK(rr.copies(rr.popularity(1, 0))[5] == std::vector<std::uint32_t>{1});
  CHECK(rr.copies(rr.popularity(1, 0))[6] == std::vector<std::uint32_t>{2});
  s.placement = RoutingSpec::Placement::kExplicit;
  s.expert_rank = std::vector<std::uint64_t>(16, 3);
  Router ex(s, layout(4, 16, 16, 2), nullptr);
  CHECK(ex.copies(ex.popularity(1, 0))[0] == std::vector<std::uint32_t>{3});
  // A hot expert with an extra copy: its tokens split between the two.
  RoutingSpec h = spec(RoutingSpec::Model::kHotspot);
  h.hot_experts = {0};
  h.hot_share = 0.9;
  h.redundant = 1;
  Router red(h, layout(4, 4000, 16, 1), nullptr);
  auto copies = red.copies(red.popularity(1, 0));
  REQUIRE(copies[0].size() == 2);
  CHECK(copies[0][0] == 0);
  CHECK(copies[0][1] != 0);
  LayerRouting r = red.route(1, 0, 0);
  const double on_copy = static_cast<double>(r.rank_tokens[copies[0][1]]);
  CHECK(on_copy > 0.4 * 4000 * 0.9);
  h.redundant = 0;
  h.redundant_map = {{0, {2, 3}}};
  Router mapped(h, layout(4, 4000, 16, 1), nullptr);
  CHECK(mapped.copies(mapped.popularity(1, 0))[0] == std::vector<std::uint32_t>{0, 2, 3});
}

TEST_CASE("group- and node-limited routing keep tokens within their limits", "[routing]") {
  // One token a chip, so a chip's row of the count matrix is one token's ranks.
  const std::uint64_t ep = 32, E = 256;
  RoutingSpec s = spec(RoutingSpec::Model::kRandom);
  s.max_nodes = 2;
  s.node_chips = 8;  // 4 nodes of 8 ranks, 64 experts a node
  Router router(s, layout(ep, ep, E, 8, 1, 8), nullptr);
  for (std::uint64_t l = 0; l < 50; ++l) {
    LayerRouting r = router.route(9, l, 0);
    for (std::uint64_t c = 0; c < ep; ++c) {
      std::set<std::uint64_t> nodes;
      for (std::uint64_t rank = 0; rank < ep; ++rank)
        if (r.counts_all[c * ep + rank]) nodes.insert(rank / 8);
      CHECK(nodes.size() <= 2);
    }
  }
  // DeepSeek-V3: 8 groups of 32 experts, top-4 groups.
  RoutingSpec g = spec(RoutingSpec::Model::kZipf);
  g.n_groups = 8;
  g.topk_groups = 4;
  Router grouped(g, layout(ep, ep, E, 8), nullptr);
  for (std::uint64_t l = 0; l < 50; ++l) {
    LayerRouting r = grouped.route(9, l, 0);
    for (std::uint64_t c = 0; c < ep; ++c) {
      std::set<std::uint64_t> groups;
      for (std::uint64_t rank = 0; rank < ep; ++rank)
        if (r.counts_all[c * ep + rank]) groups.insert(rank / 4);  // 4 ranks (32 experts) a group
      CHECK(groups.size() <= 4);
      std::uint64_t picks = 0;
      for (std::uint64_t rank = 0; rank < ep; ++rank) picks += r.counts_all[c * ep + rank];
      CHECK(picks == 8);
    }
  }
}

TEST_CASE("traces: the documented CSV format", "[routing]") {
  const std::string path = "/tmp/moesim_routing_test_" + std::to_string(getpid()) + ".csv";
  std::ofstream(path) << "# comment\nlayer,token,experts\n0,0,1;2\n0,1,3;0\n1,0,2;3\n1,1,0;1\n";
  RoutingTrace t = load_trace(path, 2, 2, 4, 2);
  CHECK(t.choices[0][1] == std::vector<std::uint32_t>{3, 0});
  RoutingSpec s = spec(RoutingSpec::Model::kTrace);
  Router router(s, layout(2, 2, 4, 2), &t);
  LayerRouting r = router.route(1, 0, 0);
  // chip 0 holds token 0 (experts 1, 2: ranks 0, 1); chip 1 holds token 1 (3, 0: ranks 1, 0).
  CHECK(r.counts_dedup == std::vector<std::uint64_t>{1, 1, 1, 1});
  struct Bad {
    const char* body;
    const char* message;
  };
  for (const Bad& b : {Bad{"layer,token\n", "expected the header"},
                       Bad{"layer,token,experts\n0,0,1;2\n", "no row for layer 0 token 1"},
                       Bad{"layer,token,experts\n0,0,1;9\n", ":2: experts: expert 9 is not below"},
                       Bad{"layer,token,experts\n0,0,1;1\n", "listed twice"},
                       Bad{"layer,token,experts\n0,x,1;2\n", ":2: token: 'x' is not a non-negative integer"},
                       Bad{"layer,token,experts\n5,0,1;2\n", "layer: 5 is not below model.moe_layers 2"},
                       Bad{"layer,token,experts\n0,0,1\n", "1 experts, but model.topk is 2"}}) {
    std::ofstream(path) << b.body;
    CHECK_THROWS_WITH(load_trace(path, 2, 2, 4, 2), Catch::Contains(b.message));
  }
  std::remove(path.c_str());
}

TEST_CASE("the node limit holds for the copies of redundant experts too", "[routing]") {
  RoutingSpec s = spec(RoutingSpec::Model::kZipf);
  s.max_nodes = 1;
  s.node_chips = 2;  // 2 nodes of 2 ranks, 4 experts a rank
  s.redundant = 4;
  Router router(s, layout(4, 4, 16, 2, 1, 2), nullptr);
  for (std::uint64_t l = 0; l < 200; ++l) {
    LayerRouting r = router.route(3, l, 0);
    for (std::uint64_t c = 0; c < 4; ++c) {  // one token a chip
      std::set<std::uint64_t> nodes;
      for (std::uint64_t rank = 0; rank < 4; ++rank)
        if (r.counts_all[c * 4 + rank]) nodes.insert(rank / 2);
      CHECK(nodes.size() == 1);
    }
  }
}

TEST_CASE("redundant copies of a trace go to the experts the trace picks", "[routing]") {
  RoutingTrace t;
  t.choices = {std::vector<std::vector<std::uint32_t>>(8, std::vector<std::uint32_t>{14, 15})};
  RoutingSpec s = spec(RoutingSpec::Model::kTrace);
  s.redundant = 2;
  Router router(s, layout(8, 8, 16, 2), &t);
  auto copies = router.copies(router.popularity(1, 0));
  CHECK(copies[14].size() == 2);
  CHECK(copies[15].size() == 2);
  CHECK(copies[0].size() == 1);
}
