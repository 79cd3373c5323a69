// What an engine says about a run: per phase, per layer, and the whole run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "moesim/bytes.hpp"
#include "moesim/comm.hpp"
#include "moesim/platform.hpp"
#include "moesim/schedule.hpp"
#include "moesim/topology.hpp"
#include "moesim/traffic.hpp"

namespace moesim {

// One link's share of a phase.
struct LinkUse {
  LinkId id = 0;
  std::string name, where;  // where: link_where(), e.g. "dimension y"
  double bytes = 0;
  double simgrid_bytes = -1;  // SimGrid's link_load count (flow fidelity), else -1
  double busy_us = 0;       // bytes over the bandwidth: the time at full rate
  double utilization = 0;   // busy_us over the phase's latency
};

// The resource that bounds a phase.
struct Bottleneck {
  std::string link;         // the bound's critical link
  std::string where;        // link_where() of it
  double link_bytes = 0;
  double bound_us = 0;      // the phase's lower bound
  double measured_us = 0;   // what the engine gives
  double above_bound = 0;   // measured / bound
  std::vector<std::string> slowest_path;  // links of the slowest flow's route
};

struct PhaseResult {
  PhaseKind kind = PhaseKind::kDispatch;
  std::string stage;              // a multi-stage algorithm's stage (Stage::name), else empty
  // An overlapped run's round ("step 1: combine.b+dispatch.a"): the label
  // the report shows instead of the kind and stage.
  std::string label;
  std::uint32_t stage_index = 0;
  // Of every stage of its phase at once: an engine that computes the phase
  // as a whole (EngineInfo::honours_algorithm false).
  bool whole_phase = false;
  double latency_us = 0;
  std::uint64_t network_bytes = 0;
  std::size_t flows = 0;
  std::uint64_t messages = 0;  // of all its flows
  // The flow that finished last (simgrid) or crosses the critical link (bound).
  bool has_slowest = false;
  Flow slowest;
  double slowest_finish_us = 0;  // from the start of the phase
  // The most loaded link and what it carries (bound engine only).
  std::string critical_link;
  double critical_link_bytes = 0;
  // Per EP group (index: group), when several run at once: when the group's
  // last flow arrived (simgrid), or the group's own bound (bound).
  std::vector<double> group_us;
  double drain_us = 0;             // critical link's bytes over its bandwidth
  double max_path_latency_us = 0;  // longest route latency of the phase's flows

  // Bytes per link (index: LinkId): every flow's bytes on every link of its
  // route (on a fat-pipe link, the largest flow's). Under the flow fidelity
  // also SimGrid's own count (its link_load plugin), which integrates each
  // link's load between the comm events that touch the link and so can
  // over-count by up to bandwidth x latency per link.
  std::vector<double> link_bytes;
  std::vector<double> simgrid_link_bytes;
  std::vector<LinkUse> top_links;
  bool has_bottleneck = false;
  Bottleneck bottleneck;
  // Flow fidelity: when each chip's own sends and receives were done (index:
  // ChipId; negative for chips outside the groups), and the flows' finish
  // times (the latest ones, at most kMaxFlowSpans), both from the phase start.
  std::vector<double> chip_done_us;
  struct FlowSpan {
    Flow flow;
    double finish_us = 0;
  };
  std::vector<FlowSpan> flow_spans;
  static constexpr std::size_t kMaxFlowSpans = 2048;
};

// What a stage's traffic says of its result, before any engine: its kind,
// stage, bytes, flows and messages (engine/report.cpp).
PhaseResult traffic_result(const Stage& stage);

// What a whole phase's traffic says of its result, its stages together (an
// engine that computes the phase as a whole, such as the analytic one).
PhaseResult traffic_result(const Phase& phase);

// "dispatch", or "dispatch/inter-node" for a stage of a multi-stage algorithm.
inline std::string stage_label(const PhaseResult& p) {
  if (!p.label.empty()) return p.label;
  return phase_name(p.kind) + (p.stage.empty() ? "" : "/" + p.stage);
}

// A layer under an overlap schedule (moesim/schedule.hpp): its steps' times
// and what it spends computing and communicating.
struct OverlapResult {
  double layer_us = 0;
  double compute_us = 0;  // the busiest chip's compute, every micro-batch
  double comm_us = 0;     // every round's time (rounds in flight at once counted once)
  double exposed_us = 0;  // layer_us - compute_us: what communication adds
  double overlap_efficiency = 0;  // the share of comm_us hidden under compute
  std::vector<double> step_us;
  std::vector<std::size_t> critical_lane;  // per step
  // Compute per operation on the busiest chip for it, by "experts.a" etc.
  std::vector<std::pair<std::string, double>> op_us;
  // The layer's time line on the chip with the most compute: every
  // operation's start and length from the layer's start.
  ChipId busiest_chip = 0;
  std::uint32_t micro_batches = 1;
  std::vector<OpSpan> spans;
};

struct LayerResult {
  std::size_t layer = 0;
  std::vector<PhaseResult> phases;
  double expert_us = 0;
  // Index of the layer whose identical traffic was simulated (== layer if this
  // one was); with several samples, sample * moe_layers + layer.
  std::size_t simulated_as = 0;
  LayerStats stats;
  bool overlapped = false;  // its phases are an overlap schedule's rounds; total_us is overlap.layer_us
  OverlapResult overlap;

  // Of all the stages of phase k.
  double phase_us(PhaseKind k) const;
  std::uint64_t phase_bytes(PhaseKind k) const;
  // Group g's time in phase k, its stages summed (0 without per-group times).
  double group_phase_us(PhaseKind k, std::size_t g) const;
  double total_us() const;
};

// What a scenario's faults cost: the same run (engine, traffic, seed) on the
// healthy platform beside it, per phase summed over the layers.
struct PhaseFaultCost {
  std::string label;  // stage_label() of the phase
  double healthy_us = 0, faulty_us = 0;
  // Of the layer the faults slowed most: each run's bottleneck link, the
  // bytes that left links (healthy minus faulty load, where positive: what
  // moved off dead links) and the links whose load grew most.
  std::string healthy_bottleneck, faulty_bottleneck;
  double moved_bytes = 0;
  std::vector<std::pair<std::string, double>> gained;  // link, bytes gained
  double slowdown() const { return healthy_us > 0 ? faulty_us / healthy_us : 0; }
};

struct FaultCost {
  double healthy_us = 0, faulty_us = 0;  // every MoE layer (first sample)
  std::size_t worst_layer = 0;           // the layer the faults slowed most
  std::vector<PhaseFaultCost> phases;
  double slowdown() const { return healthy_us > 0 ? faulty_us / healthy_us : 0; }
};

struct RunReport {
  std::string scenario_name;
  std::string scenario_path;
  std::string platform_name;
  std::string platform_path;
  std::size_t platform_chips = 0;
  std::size_t platform_links = 0;
  std::vector<std::string> chip_names;  // by ChipId
  std::vector<Link> links;              // by LinkId, for per-link reports
  std::vector<std::uint64_t> torus_dims;  // a generated torus's dimensions (heatmaps)
  std::size_t group_chips = 0;
  std::string engine;
  std::string network_model;  // simgrid only
  std::string fidelity;       // simgrid only: flow or ptask
  std::string fidelity_note;  // ptask only: its measured error for this traffic, or that none is measured
  bool fidelity_error_measured = false;
  double fidelity_max_error = 0;  // ptask only: the error the tests assert for this traffic (0.01 = 1%)
  std::vector<std::string> simgrid_cfg;
  ByteModelInput input;
  LayerBytes bytes;
  std::uint64_t num_experts = 0;
  std::uint64_t shared_experts = 0;  // no traffic: they run where the token is
  std::uint64_t moe_layers = 0;
  CommSpec comm;  // how the bytes moved
  // Which calibration the run used: "none" (the nominal network: the
  // platform has none, or the scenario set calibration: none) or what the
  // platform's was fitted on; and every cost a sender paid (the scenario's
  // comm.per_message_us and the platform's), per message and per peer.
  std::string calibration = "none";
  bool calibration_set_aside = false;  // the platform has one, the scenario said none
  SendCosts per_message, per_peer;
  std::vector<LinkFault> faults;  // the scenario's faults, drawn ones included
  std::size_t rerouted_pairs = 0;  // pairs whose route goes around a dead link
  std::optional<FaultCost> fault_cost;  // with faults: against the healthy platform
  std::string routing = "uniform";
  bool dedup = true;
  std::size_t groups = 1;
  std::vector<LayerResult> layers;  // of the first sample
  // With --samples K: the seed and the layers of every sample (the first too).
  std::vector<std::uint64_t> sample_seeds;
  std::vector<std::vector<LayerResult>> sample_layers;
  std::size_t distinct_layers = 0;  // layers actually computed
  // An overlapped run: the schedule, its steps as text, each micro-batch's
  // tokens an EP group, and the chip's compute it was priced on.
  std::string schedule;  // empty: not overlapped
  std::vector<std::string> schedule_steps;
  std::vector<std::uint64_t> micro_batch_tokens;
  std::string chip_compute;  // "989 BF16 / 1979 8-bit TFLOP/s, 3.35 TB/s HBM (H800 ...)", or empty
  std::string experts_priced;  // how the experts' time was found
  double wall_s = 0;
};

}  // namespace moesim
