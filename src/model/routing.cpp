// Routing models: sampled top-k expert choices, expert placement, redundant
// copies, group- and node-limited routing, traces.
#include "moesim/routing.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

#include "moesim/error.hpp"
#include "util/rng.hpp"
#include "util/units.hpp"

namespace moesim {

std::vector<std::uint64_t> tokens_per_chip(std::uint64_t tokens, std::uint64_t chips) {
  std::vector<std::uint64_t> out(chips, tokens / chips);
  for (std::uint64_t i = 0; i < tokens % chips; ++i) ++out[i];
  return out;
}

RoutingTrace load_trace(const std::string& path, std::uint64_t layers, std::uint64_t tokens,
                        std::uint64_t num_experts, std::uint64_t topk) {
  std::ifstream in(path);
  if (!in) fail(path, "traffic.trace", "cannot open the routing trace");
  // A row takes at least 6 bytes ("0,0,1\n"): refuse a large allocation for
  // more tokens than the file can hold (small cases get the row-level errors).
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(std::max<std::streamoff>(0, in.tellg()));
  in.seekg(0);
  const std::uint64_t rows_max = size / 6 / std::max<std::uint64_t>(layers, 1);
  if (tokens > rows_max && tokens > 1000000)
    fail(path, "traffic.trace",
         "a file of " + std::to_string(size) + " bytes cannot hold a row for each of " + std::to_string(tokens) +
             " tokens (global_batch x seq_len) in each of " + std::to_string(layers) + " layers");
  RoutingTrace t;
  t.choices.assign(layers, std::vector<std::vector<std::uint32_t>>(tokens));
  std::string line;
  std::size_t lineno = 0;
  bool header = false;
  auto number = [&](const std::string& text, const char* what) -> std::uint64_t {
    auto v = parse_uint(text);
    if (!v) fail(path + ":" + std::to_string(lineno), what, "'" + text + "' is not a non-negative integer");
    return *v;
  };

  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (!header) {
      if (line != "layer,token,experts")
        fail(path + ":" + std::to_string(lineno), "", "expected the header 'layer,token,experts', got '" + line + "'");
      header = true;
      continue;
    }
    std::stringstream row(line);
    std::string f_layer, f_token, f_experts, extra;
    if (!std::getline(row, f_layer, ',') || !std::getline(row, f_token, ',') || !std::getline(row, f_experts, ',') ||
        std::getline(row, extra, ','))
      fail(path + ":" + std::to_string(lineno), "", "expected 3 fields layer,token,experts, got '" + line + "'");
    const std::string where = path + ":" + std::to_string(lineno);
    const std::uint64_t layer = number(f_layer, "layer"), token = number(f_token, "token");
    if (layer >= layers)
      fail(where, "layer", std::to_string(layer) + " is not below model.moe_layers " + std::to_string(layers));
    if (token >= tokens)
      fail(where, "token", std::to_string(token) + " is not below global_batch x seq_len " + std::to_string(tokens));
    auto& slot = t.choices[layer][token];
    if (!slot.empty()) fail(where, "token", "layer " + f_layer + " token " + f_token + " is listed twice");
    std::stringstream ex(f_experts);
    for (std::string e; std::getline(ex, e, ';');) {
      const std::uint64_t id = number(e, "experts");
      if (id >= num_experts)
        fail(where, "experts", "expert " + e + " is not below model.num_experts " + std::to_string(num_experts));
      if (std::find(slot.begin(), slot.end(), id) != slot.end())
        fail(where, "experts", "expert " + e + " is listed twice for one token");
      slot.push_back(static_cast<std::uint32_t>(id));
    }
    if (slot.size() != topk)
      fail(where, "experts", std::to_string(slot.size()) + " experts, but model.topk is " + std::to_string(topk));
  }
  if (!header) fail(path, "", "empty routing trace (expected the header 'layer,token,experts')");
  for (std::uint64_t l = 0; l < layers; ++l)
    for (std::uint64_t k = 0; k < tokens; ++k)
      if (t.choices[l][k].empty())
        fail(path, "", "no row for layer " + std::to_string(l) + " token " + std::to_string(k) +
                           " (the trace must give every token of every layer)");
  return t;
}

Router::Router(const RoutingSpec& spec, const GroupLayout& layout, const RoutingTrace* trace)
    : spec_(spec), layout_(layout), trace_(trace) {
  const std::uint64_t E = layout.num_experts, ep = layout.ep;
  assert(E > 0 && ep > 0);
  primary_rank_.resize(E);
  for (std::uint64_t e = 0; e < E; ++e) {
    switch (spec.placement) {
      case RoutingSpec::Placement::kContiguous: primary_rank_[e] = static_cast<std::uint32_t>(e / (E / ep)); break;
      case RoutingSpec::Placement::kRoundRobin: primary_rank_[e] = static_cast<std::uint32_t>(e % ep); break;
      case RoutingSpec::Placement::kExplicit: primary_rank_[e] = static_cast<std::uint32_t>(spec.expert_rank[e]); break;
    }
  }
  if (spec.max_nodes > 0) {
    // Every token must be able to find topk experts on max_nodes nodes.
    std::map<std::uint32_t, std::uint64_t> per_node;
    for (std::uint64_t e = 0; e < E; ++e) per_node[layout.node[primary_rank_[e] * layout.moe_tp]]++;
    std::vector<std::uint64_t> sizes;
    for (auto& [n, c] : per_node) sizes.push_back(c);
    std::sort(sizes.begin(), sizes.end());
    std::uint64_t smallest = 0;
    for (std::size_t i = 0; i < std::min<std::size_t>(spec.max_nodes, sizes.size()); ++i) smallest += sizes[i];
    if (smallest < layout.topk && spec.n_groups == 0)
      fail("", "traffic.max_nodes",
           std::to_string(spec.max_nodes) + " nodes of " + std::to_string(spec.node_chips) +
               " chips can hold as few as " + std::to_string(smallest) + " experts, fewer than model.topk " +
               std::to_string(layout.topk));
  }
}

std::vector<double> Router::popularity(std::uint64_t seed, std::uint64_t layer) const {
  const std::uint64_t E = layout_.num_experts;
  std::vector<double> w(E, 1.0 / static_cast<double>(E));
  if (spec_.model == RoutingSpec::Model::kTrace && trace_) {
    // The layer's own picks: what a load balancer placing copies would see.
    std::fill(w.begin(), w.end(), 0.0);
    double picks = 0;
    for (const auto& token : trace_->choices[layer])
      for (auto e : token) w[e] += 1, picks += 1;
    for (double& x : w) x /= picks;
  } else if (spec_.model == RoutingSpec::Model::kZipf) {
    // A random popularity order (re-drawn per layer unless told otherwise).
    Rng rng(seed, spec_.redraw_per_layer ? layer : 0, 0x706f70756cull);
    std::vector<std::uint32_t> order(E);
    std::iota(order.begin(), order.end(), 0);
    for (std::uint64_t i = E - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
    double sum = 0;
    for (std::uint64_t i = 0; i < E; ++i) sum += w[order[i]] = 1.0 / std::pow(static_cast<double>(i + 1), spec_.zipf_exponent);
    for (double& x : w) x /= sum;
  } else if (spec_.model == RoutingSpec::Model::kHotspot) {
    const double hot = spec_.hot_share / static_cast<double>(spec_.hot_experts.size());
    const std::uint64_t cold_count = E - spec_.hot_experts.size();
    const double cold = cold_count ? (1.0 - spec_.hot_share) / static_cast<double>(cold_count) : 0.0;
    std::fill(w.begin(), w.end(), cold);
    for (auto e : spec_.hot_experts) w[e] = hot;
  }
  return w;
}

std::vector<std::vector<std::uint32_t>> Router::copies(const std::vector<double>& pop) const {
  const std::uint64_t E = layout_.num_experts;
  std::vector<std::vector<std::uint32_t>> c(E);
  for (std::uint64_t e = 0; e < E; ++e) c[e].push_back(primary_rank_[e]);
  for (const auto& [e, ranks] : spec_.redundant_map)
    for (auto r : ranks) c[e].push_back(static_cast<std::uint32_t>(r));
  if (spec_.redundant > 0) {
    // The hottest experts get one extra copy each, on the rank with the least
    // expected load (ties: the lowest rank), as a load balancer would place them.
    std::vector<double> load(layout_.ep, 0.0);
    for (std::uint64_t e = 0; e < E; ++e)
      for (auto r : c[e]) load[r] += pop[e] / static_cast<double>(c[e].size());
    std::vector<std::uint32_t> by_pop(E);
    std::iota(by_pop.begin(), by_pop.end(), 0);
    std::stable_sort(by_pop.begin(), by_pop.end(), [&](std::uint32_t a, std::uint32_t b) { return pop[a] > pop[b]; });
    for (std::uint64_t i = 0; i < std::min<std::uint64_t>(spec_.redundant, E); ++i) {
      const std::uint32_t e = by_pop[i];
      std::uint32_t best = 0;
      bool found = false;
      for (std::uint32_t r = 0; r < layout_.ep; ++r) {
        if (std::find(c[e].begin(), c[e].end(), r) != c[e].end()) continue;
        if (!found || load[r] < load[best]) best = r, found = true;
      }
      if (!found) continue;  // already on every rank
      const double before = pop[e] / static_cast<double>(c[e].size());
      const double after = pop[e] / static_cast<double>(c[e].size() + 1);
      for (auto r : c[e]) load[r] -= before - after;
      load[best] += after;
      c[e].push_back(best);
    }
  }
  return c;
}

namespace {

// Index in [lo, hi) of the cumulative weight `cum` where `u` falls.
std::size_t locate(const std::vector<double>& cum, std::size_t lo, std::size_t hi, double u) {
  auto it = std::upper_bound(cum.begin() + static_cast<long>(lo), cum.begin() + static_cast<long>(hi), u);
  return std::min(static_cast<std::size_t>(it - cum.begin()), hi - 1);
}

// Draws one item by weight among those `ok` accepts: candidates from
// `propose` (a draw from a superset, by weight) until one is accepted, then,
// if that keeps failing, an exact scan of the eligible ones.
template <typename Propose, typename Ok>
long draw(Rng& rng, const std::vector<double>& w, Propose propose, Ok ok) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    const long e = propose();
    if (e < 0) break;
    if (w[static_cast<std::size_t>(e)] > 0 && ok(static_cast<std::size_t>(e))) return e;
  }
  double sum = 0;
  std::size_t eligible = 0;
  for (std::size_t e = 0; e < w.size(); ++e)
    if (ok(e)) sum += w[e], ++eligible;
  if (eligible == 0) return -1;
  if (sum > 0) {
    double u = rng.uniform() * sum;
    for (std::size_t e = 0; e < w.size(); ++e)
      if (ok(e) && w[e] > 0) {
        if (u < w[e]) return static_cast<long>(e);
        u -= w[e];
      }
  }
  // Only zero-weight items are left (a hotspot taking every pick): uniform among them.
  std::uint64_t k = rng.below(eligible);
  for (std::size_t e = 0; e < w.size(); ++e)
    if (ok(e) && k-- == 0) return static_cast<long>(e);
  return -1;
}

// The draws of one layer in one group: a token's experts by popularity
// (within its expert groups, and its nodes once it has max_nodes of them)
// and the copies that serve them. Every draw takes from one stream, in token order.
class TokenDraw {
 public:
  TokenDraw(const RoutingSpec& spec, const GroupLayout& layout, const std::vector<double>& w,
            const std::vector<std::vector<std::uint32_t>>& where, Rng& rng)
      : spec_(spec), layout_(layout), w_(w), where_(where), rng_(rng) {
    const std::uint64_t E = layout.num_experts;
    cum_.resize(E);
    std::partial_sum(w.begin(), w.end(), cum_.begin());
    // Group-limited routing: weights of the expert groups.
    groups_ = spec.n_groups;
    per_group_ = groups_ ? E / groups_ : 0;
    gw_.assign(groups_, 0.0);
    gcum_.resize(groups_);
    for (std::uint64_t e = 0; groups_ && e < E; ++e) gw_[e / per_group_] += w[e];
    std::partial_sum(gw_.begin(), gw_.end(), gcum_.begin());
  }

  // Appends a token's topk experts to `chosen` and the ranks serving them to
  // `chosen_rank`; next_copy[e] counts the tokens expert e has served.
  void token(std::vector<std::uint32_t>& chosen, std::vector<std::uint32_t>& chosen_rank,
             std::vector<std::uint64_t>& next_copy) {
    draw_groups();
    for (std::uint64_t k = 0; k < layout_.topk; ++k) {
      const long e = draw(rng_, w_, [&] { return propose(); }, [&](std::size_t x) { return eligible(x, chosen); });
      if (e < 0)
        fail("", "traffic", "a token found only " + std::to_string(chosen.size()) + " of its " +
                                std::to_string(layout_.topk) +
                                " experts within traffic.topk_groups and traffic.max_nodes");
      chosen.push_back(static_cast<std::uint32_t>(e));
      const std::uint32_t r = serving_rank(static_cast<std::uint32_t>(e), next_copy);
      chosen_rank.push_back(r);
      if (!on_chosen_node(r)) chosen_nodes_.push_back(rank_node(r));
    }
  }

 private:
  std::uint32_t rank_node(std::uint32_t r) const { return layout_.node[r * layout_.moe_tp]; }
  bool on_chosen_node(std::uint32_t r) const {
    return std::find(chosen_nodes_.begin(), chosen_nodes_.end(), rank_node(r)) != chosen_nodes_.end();
  }
  bool node_limit_reached() const { return spec_.max_nodes && chosen_nodes_.size() >= spec_.max_nodes; }

  // The token's topk_groups expert groups, by weight; resets its nodes.
  void draw_groups() {
    chosen_groups_.clear();
    chosen_nodes_.clear();
    const bool flat = spec_.model == RoutingSpec::Model::kRandom;
    auto propose_group = [&] {
      return static_cast<long>(flat ? rng_.below(groups_) : locate(gcum_, 0, groups_, rng_.uniform() * gcum_.back()));
    };
    auto new_group = [&](std::size_t x) {
      return std::find(chosen_groups_.begin(), chosen_groups_.end(), x) == chosen_groups_.end();
    };
    for (std::uint64_t g = 0; g < spec_.topk_groups; ++g)
      chosen_groups_.push_back(static_cast<std::uint32_t>(draw(rng_, gw_, propose_group, new_group)));
    chosen_weight_ = 0;
    for (auto g : chosen_groups_) chosen_weight_ += gw_[g];
  }

  // A candidate expert by weight: from the whole distribution, or from the
  // chosen groups only (a group by its weight, then an expert in it).
  long propose() {
    const std::uint64_t E = layout_.num_experts;
    if (spec_.model == RoutingSpec::Model::kRandom) {  // equal weights: no search needed
      if (!groups_) return static_cast<long>(rng_.below(E));
      const std::uint32_t g = chosen_groups_[rng_.below(chosen_groups_.size())];
      return static_cast<long>(g * per_group_ + rng_.below(per_group_));
    }
    if (!groups_) return static_cast<long>(locate(cum_, 0, E, rng_.uniform() * cum_.back()));
    double u = rng_.uniform() * chosen_weight_;
    for (auto g : chosen_groups_) {
      if (u < gw_[g] || g == chosen_groups_.back()) {
        const double before = g == 0 ? 0.0 : cum_[g * per_group_ - 1];
        return static_cast<long>(locate(cum_, g * per_group_, (g + 1) * per_group_, before + u));
      }
      u -= gw_[g];
    }
    return -1;
  }

  // Whether expert x may be the token's next: not chosen yet, in a chosen
  // group, and, with the node limit reached, with a copy on a chosen node.
  bool eligible(std::size_t x, const std::vector<std::uint32_t>& chosen) const {
    if (std::find(chosen.begin(), chosen.end(), x) != chosen.end()) return false;
    if (groups_ && std::find(chosen_groups_.begin(), chosen_groups_.end(), x / per_group_) == chosen_groups_.end())
      return false;
    if (node_limit_reached()) {
      for (auto r : where_[x])
        if (on_chosen_node(r)) return true;
      return false;
    }
    return true;
  }

  // The copy that serves expert e: the next in turn, among those on chosen
  // nodes once the node limit is reached.
  std::uint32_t serving_rank(std::uint32_t e, std::vector<std::uint64_t>& next_copy) const {
    const auto& copies_of = where_[e];
    const std::uint32_t r = copies_of[next_copy[e]++ % copies_of.size()];
    if (node_limit_reached())
      for (std::size_t i = 0; i < copies_of.size(); ++i) {
        const std::uint32_t candidate = copies_of[(next_copy[e] - 1 + i) % copies_of.size()];
        if (on_chosen_node(candidate)) return candidate;
      }
    return r;
  }

  const RoutingSpec& spec_;
  const GroupLayout& layout_;
  const std::vector<double>& w_;
  const std::vector<std::vector<std::uint32_t>>& where_;  // ranks holding each expert
  Rng& rng_;
  std::vector<double> cum_;  // cumulative popularity
  std::uint64_t groups_ = 0, per_group_ = 0;
  std::vector<double> gw_, gcum_;  // weight of each expert group, cumulative
  // The current token's groups, their total weight, and its nodes.
  std::vector<std::uint32_t> chosen_groups_;
  double chosen_weight_ = 0;
  std::vector<std::uint32_t> chosen_nodes_;
};

}  // namespace

LayerRouting Router::route(std::uint64_t seed, std::uint64_t layer, std::uint64_t group) const {
  const std::uint64_t E = layout_.num_experts, ep = layout_.ep, n = ep * layout_.moe_tp;
  const std::vector<double> w = popularity(seed, layer);
  const std::vector<std::vector<std::uint32_t>> where = copies(w);
  LayerRouting out;
  out.counts_dedup.assign(n * ep, 0);
  out.counts_all.assign(n * ep, 0);
  out.rank_tokens.assign(ep, 0);
  const std::size_t nodes =
      layout_.node.empty() ? 1 : *std::max_element(layout_.node.begin(), layout_.node.end()) + std::size_t{1};
  out.counts_node.assign(n * nodes, 0);
  std::vector<std::uint32_t> token_nodes;
  std::vector<std::uint8_t> active(ep * E, 0);
  std::vector<std::uint64_t> next_copy(E, 0);

  Rng rng(seed, layer, group, 0x726f757465ull);
  TokenDraw sampled(spec_, layout_, w, where, rng);
  std::vector<std::uint32_t> chosen, chosen_rank, ranks;
  const std::vector<std::uint64_t> held = tokens_per_chip(layout_.tokens, n);
  std::uint64_t token = 0;
  for (std::uint64_t c = 0; c < n; ++c) {
    for (std::uint64_t i = 0; i < held[c]; ++i, ++token) {
      chosen.clear();
      chosen_rank.clear();
      if (spec_.model == RoutingSpec::Model::kTrace) {
        chosen = trace_->choices[layer][token];
        // A replicated expert's tokens go round its copies in turn.
        for (std::uint32_t e : chosen) chosen_rank.push_back(where[e][next_copy[e]++ % where[e].size()]);
      } else if (spec_.model == RoutingSpec::Model::kUniform) {
        assert(false && "uniform traffic is not sampled");
      } else {
        sampled.token(chosen, chosen_rank, next_copy);
      }
      ranks.clear();
      token_nodes.clear();
      for (std::size_t k = 0; k < chosen.size(); ++k) {
        const std::uint32_t e = chosen[k], r = chosen_rank[k];
        out.counts_all[c * ep + r]++;
        out.rank_tokens[r]++;
        active[r * E + e] = 1;
        if (std::find(ranks.begin(), ranks.end(), r) == ranks.end()) {
          ranks.push_back(r);
          out.counts_dedup[c * ep + r]++;
          const std::uint32_t b = layout_.node.empty() ? 0 : layout_.node[r * layout_.moe_tp];
          if (std::find(token_nodes.begin(), token_nodes.end(), b) == token_nodes.end()) {
            token_nodes.push_back(b);
            out.counts_node[c * nodes + b]++;
          }
        }
      }
    }
  }
  out.distinct_experts.assign(ep, 0);
  for (std::uint64_t r = 0; r < ep; ++r)
    for (std::uint64_t e = 0; e < E; ++e) out.distinct_experts[r] += active[r * E + e];
  return out;
}

}  // namespace moesim
