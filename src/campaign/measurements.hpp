// Measurement files for calibration: one measured phase latency per row.
//
//   # DeepEP-style dispatch/combine kernels on 4 nodes (comments start with #)
//   name,deployment.ep,deployment.tokens_per_chip,precision,phase,measured_us
//   ep32-t128-d,32,128,W8A8,dispatch,41.2
//
// `phase` (dispatch, combine or allgather) and `measured_us` (> 0) are
// required; `name` is optional (default "row N"); every other column is a
// dotted scenario key, its cell the value --set would take (empty: not set).
#pragma once

#include <string>
#include <vector>

#include "moesim/traffic.hpp"

namespace moesim {

struct MeasuredPoint {
  std::string name;
  std::size_t line = 0;                // in the file, for errors
  std::vector<std::string> overrides;  // key=value, for load_scenario
  PhaseKind phase = PhaseKind::kDispatch;
  double measured_us = 0;
};

// Reads and checks a measurement file against the scenario it describes
// (with `sets`, key=value, applied before each row's own): every row must
// load (its keys exist and its values are valid) and its EP group must fit
// the platform. Throws InputError naming the file, the line, the column and
// the bad value.
std::vector<MeasuredPoint> load_measurements(const std::string& path, const std::string& scenario_path,
                                             const std::vector<std::string>& sets = {});

}  // namespace moesim
