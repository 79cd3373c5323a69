// A run's results as a table (stdout), JSON and CSV.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "moesim/result.hpp"

namespace moesim {

struct Stats {
  double sum = 0, mean = 0, p50 = 0, p99 = 0, max = 0;
};
// Percentiles by the nearest-rank method. Empty input gives zeros.
Stats stats(std::vector<double> values);

nlohmann::json bytes_json(const LayerBytes& b);
nlohmann::json to_json(const RunReport& r);
std::string to_table(const RunReport& r);
std::string to_csv(const RunReport& r);
// Chrome / Perfetto trace JSON (ui.perfetto.dev, chrome://tracing): the
// layers back to back, a track of phases, a track per chip (flow fidelity:
// when the chip's own sends and receives were done), the latest flows of
// layer 0 by destination (at most PhaseResult::kMaxFlowSpans a phase), and
// counters of the busiest links' utilisation.
nlohmann::json to_trace(const RunReport& r);
// Every link with bytes, every phase of every layer: layer, phase, link,
// where, bandwidth_Bps, bytes, simgrid_bytes, busy_us, utilization.
std::string links_csv(const RunReport& r);

}  // namespace moesim
