// What an engine says about a run: per phase, per layer, and the whole run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "moesim/bytes.hpp"
#include "moesim/traffic.hpp"

namespace moesim {

struct PhaseResult {
  PhaseKind kind = PhaseKind::kDispatch;
  double latency_us = 0;
  std::uint64_t network_bytes = 0;
  std::size_t flows = 0;
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
};

struct LayerResult {
  std::size_t layer = 0;
  std::vector<PhaseResult> phases;
  double expert_us = 0;
  // Index of the layer whose identical traffic was simulated (== layer if this
  // one was); with several samples, sample * moe_layers + layer.
  std::size_t simulated_as = 0;
  LayerStats stats;

  double phase_us(PhaseKind k) const;
  std::uint64_t phase_bytes(PhaseKind k) const;
  double total_us() const;
};

struct RunReport {
  std::string scenario_name;
  std::string scenario_path;
  std::string platform_name;
  std::string platform_path;
  std::size_t platform_chips = 0;
  std::size_t platform_links = 0;
  std::vector<std::string> chip_names;  // by ChipId
  std::size_t group_chips = 0;
  std::string engine;
  std::string network_model;  // simgrid only
  std::string fidelity;       // simgrid only: flow or ptask
  std::vector<std::string> simgrid_cfg;
  ByteModelInput input;
  LayerBytes bytes;
  std::uint64_t num_experts = 0;
  std::uint64_t shared_experts = 0;  // no traffic: they run where the token is
  std::uint64_t moe_layers = 0;
  std::string routing = "uniform";
  bool dedup = true;
  std::size_t groups = 1;
  std::vector<LayerResult> layers;  // of the first sample
  // With --samples K: the seed and the layers of every sample (the first too).
  std::vector<std::uint64_t> sample_seeds;
  std::vector<std::vector<LayerResult>> sample_layers;
  std::size_t distinct_layers = 0;  // layers actually computed
  double wall_s = 0;
};

}  // namespace moesim
