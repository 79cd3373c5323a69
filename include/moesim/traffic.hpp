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

// One stage of a phase: flows that run at once. A phase of one stage (the
// direct algorithm) has an unnamed stage; a multi-stage algorithm's stages
// run in turn, a barrier between them (moesim/comm.hpp). A stage's kind and
// index are set by the Phase that owns it.
struct Stage {
  PhaseKind kind = PhaseKind::kDispatch;
  std::string name;               // empty for a phase of one stage
  std::uint32_t index = 0;        // its place in its phase, from 0
  std::vector<Flow> flows;        // between distinct chips, bytes > 0
  std::vector<Flow> kept;         // each chip's share for itself (src == dst, bytes > 0), from make_stage
  // Where each EP group's flows lie in `flows`, by group id: [begin, end),
  // when each group's are consecutive (join_groups); empty when not known.
  std::vector<std::pair<std::size_t, std::size_t>> group_span;
  std::uint64_t network_bytes = 0;  // sum of flows
  std::uint64_t local_bytes = 0;    // kept on the chip: no network time
};

// Calls f(flow) for each flow of stage s whose EP group want(group) accepts,
// in order: a group's run through s.group_span where known, else a scan of
// every flow.
template <class Want, class F>
void for_flows_of_groups(const Stage& s, Want&& want, F&& f) {
  auto take = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i)
      if (want(s.flows[i].group)) f(s.flows[i]);
  };
  if (s.group_span.empty()) {
    take(0, s.flows.size());
    return;
  }
  for (std::size_t g = 0; g < s.group_span.size(); ++g)
    if (want(static_cast<std::uint32_t>(g))) take(s.group_span[g].first, s.group_span[g].second);
}

// A phase of a layer (dispatch, combine or all-gather): its stages in the
// order they run. Nothing pairs stages up by position across phases or
// groups; they are reached through the phase that owns them.
class Phase {
 public:
  explicit Phase(PhaseKind kind = PhaseKind::kDispatch) : kind_(kind) {}
  PhaseKind kind() const { return kind_; }
  const std::vector<Stage>& stages() const { return stages_; }
  // Appends a stage, which becomes this phase's (its kind and index set).
  Stage& add_stage(Stage s);
  // The flows of stage i may grow (joining groups); its place may not change.
  Stage& stage(std::size_t i) { return stages_.at(i); }
  std::uint64_t network_bytes() const;
  std::uint64_t local_bytes() const;
  std::size_t flow_count() const;

 private:
  PhaseKind kind_;
  std::vector<Stage> stages_;
};

// The flows of a matrix, with group indices mapped to the chips of `group`,
// as one unnamed stage (its kind and index are set when a phase takes it).
// message_bytes > 0: a flow of B bytes is ceil(B / message_bytes) messages
// (else one).
Stage make_stage(const TrafficMatrix& m, const std::vector<ChipId>& group, std::uint32_t group_id = 0,
                 std::uint64_t message_bytes = 0);

// A phase of one stage: make_stage's flows.
Phase make_phase(PhaseKind kind, const TrafficMatrix& m, const std::vector<ChipId>& group,
                 std::uint32_t group_id = 0, std::uint64_t message_bytes = 0);

// What a chip spends, one thing after another, before its flows of a stage
// start: per message it sends and per peer (distinct receiver) it sends to.
// A flow is one (sender, receiver) pair of a stage, so its messages are the
// flow's and it is one peer.
class SenderCosts {
 public:
  SenderCosts() = default;
  // Class costs need the topology's routes; a class no link of `topology`
  // has costs nothing (platform loading refuses it, naming the classes there).
  SenderCosts(const SendCosts& per_message, const SendCosts& per_peer, const Topology& topology);
  // Uniform costs only (no classes): what the tests and older callers use.
  explicit SenderCosts(double per_message_s);
  bool empty() const { return empty_; }
  // Seconds by ChipId (`chips` entries); empty when there is no cost.
  std::vector<double> busy_s(const Stage& stage, std::size_t chips) const;
  // What one flow costs its sender, in seconds.
  double flow_s(const Flow& f) const;

 private:
  bool empty_ = true;
  double message_s_ = 0, peer_s_ = 0;
  std::vector<double> class_message_s_, class_peer_s_;  // by class index
  std::vector<std::uint8_t> class_of_link_;             // by LinkId
  const Topology* topology_ = nullptr;
};

// The time each chip spends sending a stage's messages, one after another:
// messages x per_message_s, by ChipId (`chips` entries); empty when
// per_message_s is 0.
std::vector<double> sender_busy_s(const Stage& stage, double per_message_s, std::size_t chips);

// One MoE layer: dispatch, combine (the dispatch reversed, with combine
// bytes) and, with moe_tp > 1, the all-gather of the combine output; each
// kind at most once, in that order.
struct LayerTraffic {
  std::vector<Phase> phases;
  std::uint64_t fingerprint = 0;  // equal traffic gives equal fingerprints

  // The phase of kind k, or null.
  const Phase* phase(PhaseKind k) const;
  // Every stage of every phase in the order they run.
  std::vector<const Stage*> stages() const;
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

// The phases of several EP groups run at once: each group starts a phase
// with the others, so the flows of stage i of a phase are those of every
// group's stage i of that phase (a group of fewer stages is done sooner).
// Phases are matched by kind, never by position.
LayerTraffic join_groups(std::vector<LayerTraffic> per_group);

// A hash of every flow of every phase (equal layers are verified flow by flow).
std::uint64_t fingerprint(const std::vector<Phase>& phases);

}  // namespace moesim
