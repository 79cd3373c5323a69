// A run report (`moesim run --json`, written by to_json in engine/report.cpp)
// read back into types: what campaigns, comparisons and calibration use of
// it. One reader, so a key the report lacks is one clear error naming it,
// not a null somewhere downstream.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "moesim/bytes.hpp"
#include "moesim/report.hpp"

namespace moesim {

// The link that bounds a phase (engines that name one: bound).
struct CriticalLink {
  std::string name;
  double bytes = 0, drain_us = 0, max_path_latency_us = 0;
};

struct PhaseSummary {
  std::string phase;  // dispatch, combine, allgather
  double latency_us = 0;
  std::optional<CriticalLink> critical_link;
};

// A number the report wrote as null (NaN, which JSON cannot hold) reads as NaN.
struct LayerSummary {
  std::uint64_t layer = 0;
  double dispatch_us = 0, combine_us = 0, total_us = 0;
  std::uint64_t dispatch_bytes = 0, combine_bytes = 0;
  std::optional<double> imbalance;
  std::vector<PhaseSummary> phases;  // empty when the report leaves them out
};

struct PlatformSummary {
  std::string name, path;
  std::uint64_t chips = 0, links = 0, group_chips = 0;
};

// What the scenario held: the tokens of a group and of a chip.
struct TokenSummary {
  std::uint64_t global_batch = 0, seq_len = 1, ep = 0;
  double tokens_per_chip = 0;  // global_batch x seq_len / ep
};

struct RunSummary {
  // What a report names about itself (a trimmed report, as the golden files,
  // may leave these out).
  std::optional<std::string> engine;
  std::optional<std::string> fidelity;  // the simgrid engine's
  std::optional<PlatformSummary> platform;
  std::optional<TokenSummary> tokens;

  LayerBytes bytes;
  std::uint64_t layers = 0, distinct_layers = 0;
  // The summary's statistics by column: total_us, dispatch_us and combine_us
  // always; imbalance and allgather_us when the report has them.
  std::map<std::string, Stats> columns;
  std::vector<LayerSummary> per_layer;
  // An overlapped run's summary.overlap: the MoE layers' time, its compute,
  // transfers and exposed transfers (us), the share hidden, tokens a chip a second.
  struct Overlap {
    double moe_layers_us = 0, compute_us = 0, comm_us = 0, exposed_us = 0, overlap_efficiency = 0,
           tokens_per_s_per_chip = 0;
  };
  std::optional<Overlap> overlap;
  // A run with faults: summary.fault_cost, its MoE layers on the healthy
  // platform and on its own (us), and the ratio.
  struct FaultCost {
    double healthy_us = 0, faulty_us = 0, slowdown = 0;
  };
  std::optional<FaultCost> fault_cost;

  // A column of the summary, or null if the report has none of that name.
  const Stats* column(const std::string& name) const;
};

// Reads a report. Throws InputError "WHERE: KEY: ..." naming the dotted key
// (e.g. summary.total_us.p99) that is missing or of the wrong type.
RunSummary read_run_summary(const nlohmann::json& report, const std::string& where);
// The same from a report file (parsed first; a parse error is an InputError too).
RunSummary read_run_summary_file(const std::string& path);

// The report's "summary", "platform" and "critical_link" objects again, as
// to_json wrote them.
nlohmann::json summary_json(const RunSummary& summary);
nlohmann::json platform_json(const PlatformSummary& platform);
nlohmann::json critical_link_json(const CriticalLink& link);

}  // namespace moesim
