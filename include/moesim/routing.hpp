// Routing models: which experts each token of an MoE layer picks, where
// those experts live, and the traffic that follows (dispatch token counts
// per source chip and destination EP rank).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "moesim/enum_table.hpp"

namespace moesim {

struct RoutingSpec {
  enum class Model { kUniform, kRandom, kZipf, kHotspot, kTrace };
  Model model = Model::kUniform;
  double zipf_exponent = 1.0;  // zipf: the i-th most popular expert gets weight 1 / i^zipf_exponent
  std::vector<std::uint64_t> hot_experts;  // hotspot: these experts...
  double hot_share = 0;                    // ...get this share of the picks
  bool redraw_per_layer = true;            // zipf: a new popularity order each layer
  std::string trace_path;
  bool dedup = true;  // a token goes once to a rank holding several of its experts

  enum class Placement { kContiguous, kRoundRobin, kExplicit };
  Placement placement = Placement::kContiguous;
  std::vector<std::uint64_t> expert_rank;  // kExplicit: the EP rank of each expert
  // Redundant experts: that many extra copies of the hottest experts, each on
  // the rank with the least expected load; or an explicit map expert -> extra ranks.
  std::uint64_t redundant = 0;
  std::map<std::uint64_t, std::vector<std::uint64_t>> redundant_map;

  // DeepSeek-V3 group-limited routing: experts in n_groups contiguous groups,
  // a token picks topk_groups groups, then its experts inside them. 0 = off.
  std::uint64_t n_groups = 0;
  std::uint64_t topk_groups = 0;
  // Node-limited routing: a token's experts sit on at most max_nodes nodes of
  // node_chips chips each (by platform chip id). 0 = off.
  std::uint64_t max_nodes = 0;
  std::uint64_t node_chips = 0;
  std::string node_level;  // or: a tier of the platform ("board", "rack") is the node
};

inline constexpr EnumTable<RoutingSpec::Model, 5> kRoutingModelNames{{{RoutingSpec::Model::kUniform, "uniform"},
                                                                     {RoutingSpec::Model::kRandom, "random"},
                                                                     {RoutingSpec::Model::kZipf, "zipf"},
                                                                     {RoutingSpec::Model::kHotspot, "hotspot"},
                                                                     {RoutingSpec::Model::kTrace, "trace"}}};
inline std::string routing_model_name(RoutingSpec::Model m) { return enum_name(kRoutingModelNames, m); }
// The placements with a name; kExplicit is a list of ranks.
inline constexpr EnumTable<RoutingSpec::Placement, 2> kExpertPlacementNames{
    {{RoutingSpec::Placement::kContiguous, "contiguous"}, {RoutingSpec::Placement::kRoundRobin, "round_robin"}}};

// Per-layer token -> experts choices read from a trace file (see docs/routing.md).
struct RoutingTrace {
  // choices[layer][token]: the experts that token picks in that layer.
  std::vector<std::vector<std::vector<std::uint32_t>>> choices;
};
// Reads the CSV trace format: "layer,token,experts" with experts separated by
// ';'. Throws InputError naming file:line for anything malformed.
RoutingTrace load_trace(const std::string& path, std::uint64_t layers, std::uint64_t tokens,
                        std::uint64_t num_experts, std::uint64_t topk);

// Where the tokens and experts of one EP group are.
struct GroupLayout {
  std::uint64_t ep = 0;
  std::uint64_t moe_tp = 1;
  std::uint64_t num_experts = 0;
  std::uint64_t topk = 0;
  std::uint64_t tokens = 0;         // global_batch * seq_len
  std::vector<std::uint32_t> node;  // node of each chip of the group (group index), numbered from 0
};

// Tokens held by each of the n chips: floor(T / n), the first T mod n one more.
std::vector<std::uint64_t> tokens_per_chip(std::uint64_t tokens, std::uint64_t chips);

// One layer's routing outcome for one group.
struct LayerRouting {
  // [src chip * ep + rank]: tokens sent from a chip of the group to an EP
  // rank, once per rank however many of the token's experts it holds (dedup),
  // and once per expert (every copy counted, as Tier6's byte formula does).
  std::vector<std::uint64_t> counts_dedup;
  std::vector<std::uint64_t> counts_all;
  // [src chip * nodes + node]: tokens from a chip with an expert on a node,
  // once per node (node_dedup's inter-node tokens); nodes: the largest of
  // GroupLayout::node plus one.
  std::vector<std::uint64_t> counts_node;
  // Distinct experts activated on each rank (Tier6's "max expert" is the max).
  std::vector<std::uint32_t> distinct_experts;
  // Tokens assigned to each rank (every copy counted).
  std::vector<std::uint64_t> rank_tokens;
};

class Router {
 public:
  // Validates the spec against the layout; throws InputError (key traffic.*).
  Router(const RoutingSpec& spec, const GroupLayout& layout, const RoutingTrace* trace);

  // Samples one layer. `seed`, `layer` and `group` pick an independent stream.
  LayerRouting route(std::uint64_t seed, std::uint64_t layer, std::uint64_t group) const;

  // Expected popularity of the experts in a layer (sums to 1).
  std::vector<double> popularity(std::uint64_t seed, std::uint64_t layer) const;
  // Ranks holding each expert (primary first) for given popularity.
  std::vector<std::vector<std::uint32_t>> copies(const std::vector<double>& popularity) const;

 private:
  RoutingSpec spec_;
  GroupLayout layout_;
  const RoutingTrace* trace_;
  std::vector<std::uint32_t> primary_rank_;
};

}  // namespace moesim
