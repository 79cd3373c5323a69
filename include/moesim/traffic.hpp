// Who sends how many bytes to whom in one MoE layer: a traffic matrix per
// phase (dispatch, combine, and the moe_tp all-gather), and its flows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "moesim/bytes.hpp"
#include "moesim/enum_table.hpp"
#include "moesim/topology.hpp"

namespace moesim {

// bytes[src * n + dst] over the n chips of the group (group indices, not chip ids).
struct TrafficMatrix {
  std::size_t n = 0;
  std::vector<std::uint64_t> bytes;

  std::uint64_t at(std::size_t src, std::size_t dst) const { return bytes[src * n + dst]; }
  std::uint64_t received_by(std::size_t dst) const;
  TrafficMatrix transposed() const;
};

// Every chip receives `bytes_per_receiver` in equal shares from every chip of
// the group, itself included; when the shares don't divide evenly, the first
// (bytes_per_receiver mod n) senders send one byte more.
TrafficMatrix uniform_matrix(std::size_t n, std::uint64_t bytes_per_receiver);

// The moe_tp all-gather: chips [g*tp, (g+1)*tp) form tensor-parallel group g,
// and each sends `bytes` (its slice) to every other member.
TrafficMatrix allgather_matrix(std::size_t n, std::size_t moe_tp, std::uint64_t bytes);

struct Flow {
  ChipId src = 0;
  ChipId dst = 0;
  std::uint64_t bytes = 0;
  std::uint32_t group = 0;     // the EP group it belongs to
  std::uint32_t messages = 1;  // what the sender pays comm.per_message_us for (moesim/comm.hpp)
};

enum class PhaseKind { kDispatch, kCombine, kAllgather };
inline constexpr EnumTable<PhaseKind, 3> kPhaseNames{
    {{PhaseKind::kDispatch, "dispatch"}, {PhaseKind::kCombine, "combine"}, {PhaseKind::kAllgather, "allgather"}}};
inline std::string phase_name(PhaseKind k) { return enum_name(kPhaseNames, k); }

// A phase, or one stage of a multi-stage algorithm's phase (moesim/comm.hpp):
// a layer's stages of one kind run in turn, a barrier between them.
struct Phase {
  PhaseKind kind = PhaseKind::kDispatch;
  std::string stage;             // the stage's name; empty for a phase of one stage
  std::uint32_t stage_index = 0;  // 0 for the first (or only) stage of its phase
  std::vector<Flow> flows;         // between distinct chips, bytes > 0
  std::uint64_t network_bytes = 0;  // sum of flows
  std::uint64_t local_bytes = 0;    // kept on the chip: no network time
};

// The flows of a matrix, with group indices mapped to the chips of `group`.
// message_bytes > 0: a flow of B bytes is ceil(B / message_bytes) messages
// (else one).
Phase make_phase(PhaseKind kind, const TrafficMatrix& m, const std::vector<ChipId>& group,
                 std::uint32_t group_id = 0, std::uint64_t message_bytes = 0);

// The time each chip spends sending a phase's messages, one after another:
// messages x per_message_s, by ChipId (`chips` entries); empty when
// per_message_s is 0.
std::vector<double> sender_busy_s(const Phase& phase, double per_message_s, std::size_t chips);

// One MoE layer: dispatch, combine (the dispatch reversed, with combine
// bytes) and, with moe_tp > 1, the all-gather of the combine output.
struct LayerTraffic {
  std::vector<Phase> phases;
  std::uint64_t fingerprint = 0;  // equal traffic gives equal fingerprints
};

struct GroupComm;  // moesim/comm.hpp

// comm: how the dispatch and combine move (null: direct); node_dedup needs routed_layer.
LayerTraffic uniform_layer(const LayerBytes& bytes, const std::vector<ChipId>& group, std::uint64_t moe_tp,
                           std::uint32_t group_id = 0, const GroupComm* comm = nullptr);

struct LayerRouting;

// Bytes of one token on the wire: hidden_dim / moe_tp * dtype bytes.
struct TokenBytes {
  std::uint64_t dispatch = 0;
  std::uint64_t combine = 0;
};

// What a layer's routing did, for the report. Chip ids are platform chips.
struct LayerStats {
  bool routed = false;              // false for uniform shares (no experts drawn)
  ChipId busiest_chip = 0;          // receives the most dispatch bytes (local share included)
  std::uint64_t busiest_bytes = 0;
  std::uint32_t busiest_experts = 0;  // distinct experts its EP rank serves
  std::uint32_t max_experts = 0;      // most distinct experts on one rank (Tier6's "max expert")
  double imbalance = 1.0;             // max / mean dispatch bytes received per chip
  double mean_rank_tokens = 0;        // tokens an EP rank receives, every copy counted
  std::uint64_t dispatch_bytes_dedup = 0;  // network bytes, a token once per rank
  std::uint64_t dispatch_bytes_all = 0;    // network bytes, every expert copy counted
};

// A routed layer: the dispatch from the routing's token counts (dedup or every
// copy), each token's slice to every chip of the EP rank (ranks are moe_tp
// consecutive chips of the group); the combine mirrors it; moe_tp > 1 adds
// the all-gather of `allgather_bytes` per chip as in uniform_layer.
LayerTraffic routed_layer(const LayerRouting& routing, const TokenBytes& token, bool dedup,
                          const std::vector<ChipId>& group, std::uint64_t moe_tp,
                          std::uint64_t allgather_bytes, std::uint32_t group_id, LayerStats* stats,
                          const GroupComm* comm = nullptr);

// Stats of uniform shares: the busiest chip and the imbalance, no experts.
LayerStats uniform_stats(const LayerBytes& bytes, const std::vector<ChipId>& group, std::uint64_t network_bytes);

// Adds `more`'s stats (another group of the same layer) into `into`.
void merge_stats(LayerStats& into, const LayerStats& more, std::size_t groups_so_far);

// The phases of several groups run at once: flows of the same phase joined.
LayerTraffic join_groups(std::vector<LayerTraffic> per_group);

// A hash of every flow of every phase (equal layers are verified flow by flow).
std::uint64_t fingerprint(const std::vector<Phase>& phases);

}  // namespace moesim
