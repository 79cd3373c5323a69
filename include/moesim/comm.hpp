// How a layer's bytes move: the all-to-all algorithm of the MoE library, the
// bytes a token carries beyond the specification's, and what a message costs.
// The scenario's `comm` section.
//
//   direct             one flow per (sender, receiver) pair: the specification's traffic
//   node_dedup         DeepEP normal kernels: a token crosses to another node once, to
//                      the chip of its rail there, which forwards it inside the node;
//                      the combine reduces inside the node and crosses back once
//   per_expert         DeepEP low-latency kernels, pplx: one message per (token, expert)
//                      straight from the token's chip, no rank-level dedup
//   dimension_ordered  a torus all-to-all in one stage per dimension: each stage an
//                      all-to-all along lines of that dimension, forwarding what the
//                      later dimensions need
//
// A multi-stage phase is a Phase of several Stages (moesim/traffic.hpp);
// a stage starts when the one before it ended everywhere (docs/design.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "moesim/enum_table.hpp"
#include "moesim/traffic.hpp"

namespace moesim {

enum class CommAlgorithm { kDirect, kNodeDedup, kPerExpert, kDimensionOrdered };
inline constexpr EnumTable<CommAlgorithm, 4> kCommAlgorithmNames{{{CommAlgorithm::kDirect, "direct"},
                                                                 {CommAlgorithm::kNodeDedup, "node_dedup"},
                                                                 {CommAlgorithm::kPerExpert, "per_expert"},
                                                                 {CommAlgorithm::kDimensionOrdered, "dimension_ordered"}}};
inline std::string comm_algorithm_name(CommAlgorithm a) { return enum_name(kCommAlgorithmNames, a); }

// The scenario's `comm` section. The defaults keep the specification's model
// exact: direct flows, its bytes, no message cost.
struct CommSpec {
  CommAlgorithm algorithm = CommAlgorithm::kDirect;
  // Bytes a dispatched token carries beyond hidden_dim / moe_tp x dtype: FP8
  // scales, top-k indices and weights (DeepEP, DeepSeek-V3 FP8: 7168 / 128 x
  // 4 B of scales = 224 B, plus 8 x 8 B indices and 8 x 4 B weights).
  std::uint64_t token_overhead_bytes = 0;
  // A flow of B bytes is ceil(B / message_bytes) messages; 0: the
  // algorithm's own message, a whole flow (per_expert: one token copy).
  std::uint64_t message_bytes = 0;
  // What a chip pays to send one message, one message after another (LogGP's
  // o): a chip's flows of a stage start once all its messages are issued.
  double per_message_us = 0;
};

// Where the chips of one EP group sit, for the algorithm that needs it;
// index: group index.
struct GroupComm {
  CommAlgorithm algorithm = CommAlgorithm::kDirect;
  std::uint64_t message_bytes = 0;
  std::vector<std::uint32_t> node;   // node_dedup: each chip's node (its platform node)
  std::vector<std::uint64_t> dims;   // dimension_ordered: the torus's dimensions...
  std::vector<std::uint64_t> coord;  // ...and each chip's coordinates, [i * dims.size() + d]
};

// One stage of a phase as a matrix over the group's chips, and its name.
struct StageMatrix {
  std::string name;
  TrafficMatrix m;
};

// The stages of a torus all-to-all of `m` in dimension order: stage d moves
// every byte along dimension d to its destination's coordinate there, from
// the chip that holds it after the stages before. Dimensions of size 1 (or
// that no byte crosses) have no stage. Throws InputError (key
// comm.algorithm) when a chip the bytes pass through is not in the group.
std::vector<StageMatrix> dimension_ordered_stages(const TrafficMatrix& m, const std::vector<std::uint64_t>& dims,
                                            const std::vector<std::uint64_t>& coord);

// node_dedup's stages, in tokens: "inter-node" (from each chip, the tokens
// with an expert on another node, once per node, to the chip of the same
// local index there) and "intra-node" (each token to every chip of the ranks
// it picked, from its own chip inside its node or from the chip it crossed
// to). counts_dedup [chip * ep + rank], counts_node [chip * nodes + node]; a
// rank is moe_tp consecutive chips, and the inter-node stage carries a token
// whole (moe_tp slices).
std::vector<StageMatrix> node_dedup_stages(const std::vector<std::uint64_t>& counts_dedup,
                                     const std::vector<std::uint64_t>& counts_node,
                                     const std::vector<std::uint32_t>& node, std::uint64_t moe_tp);

// A phase of these stages: the dispatch's in order; a combine's are its
// dispatch-shaped stages mirrored (reversed and transposed), since it
// retraces the dispatch's path.
Phase staged_phase(PhaseKind kind, const std::vector<StageMatrix>& stages, const std::vector<ChipId>& group,
                   std::uint32_t group_id, std::uint64_t message_bytes);

}  // namespace moesim
