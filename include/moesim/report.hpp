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

// Bandwidths of a layer's phase in GB/s (1e9 B/s), as nccl-tests and DeepEP
// report them beside latency; 0 for a phase that took no time.
// algbw: the byte model's bytes a chip receives in the phase (its own share
// included: nccl-tests' size) over the phase's time; busbw: the bytes that
// crossed the network in every stage of the phase, per chip of the EP
// groups, over the phase's time. For uniform traffic and the direct
// algorithm, busbw = algbw x (n - 1) / n, nccl-tests' all-to-all factor.
double algbw_GBps(const RunReport& r, const LayerResult& l, PhaseKind k);
double busbw_GBps(const RunReport& r, const LayerResult& l, PhaseKind k);

// The platform's links by (class, bandwidth, latency), as read: what the run
// header and the JSON's platform.link_classes echo.
struct LinkClassSummary {
  std::string link_class;  // empty when the platform names none
  double bandwidth_Bps = 0, latency_s = 0;
  std::size_t links = 0;  // physical links (a split-duplex pair counts once)
};
std::vector<LinkClassSummary> link_classes(const std::vector<Link>& links);

struct TableOptions {
  bool rows = true;  // false: the header and the summary only (run --quiet)
};
// The header, a row per layer (runs of identical layers collapsed into one
// row), the summary and why the slowest layer is slow.
std::string to_table(const RunReport& r, const TableOptions& options = {});
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
