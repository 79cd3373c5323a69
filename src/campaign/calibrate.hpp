// Fitting a platform's calibration knobs to measured phase latencies.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "campaign/measurements.hpp"

namespace moesim {

struct CalibrateOptions {
  std::string scenario;
  std::string measurements;
  std::vector<std::string> knobs;    // "efficiency.<class>" or "startup_us.<phase>"
  std::vector<std::string> holdout;  // point names kept out of the fit; none: leave-one-out
  std::string moesim;                // the binary each evaluation runs
  std::size_t max_iterations = 8;
};

struct CalibrationResult {
  // Points measured / before / after, knobs with their standard errors,
  // held-out errors, simulations.
  nlohmann::json report;
  // The calibrated platform file: the original with the knobs set, and a
  // header saying what they were fitted on.
  std::string platform_yaml;
};

// Least squares of relative error over the points (Gauss-Newton with
// finite differences; every evaluation a real `moesim run`).
CalibrationResult calibrate(const CalibrateOptions& options);

// The report as text.
std::string calibrate_table(const nlohmann::json& report);

}  // namespace moesim
