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
  // efficiency.<class>, latency_us.<class>, startup_us.<phase>, per_message_us
  std::vector<std::string> knobs;
  std::vector<std::string> sets;     // --set key=value for every point, before the point's own
  std::vector<std::string> holdout;  // point names kept out of the fit; none: leave-one-out
  std::string moesim;                // the binary a SimGrid point runs
  std::size_t max_iterations = 40;   // of each start
  std::size_t starts = 4;            // starts besides the platform's own values
};

struct CalibrationResult {
  // Points measured / before / after; the knobs with their standard errors,
  // those the points cannot tell apart and why; the residuals before and
  // after; held-out errors; how the fit went.
  nlohmann::json report;
  // The calibrated platform file: the original with the knobs set, and a
  // header saying what they were fitted on and how well they predict.
  std::string platform_yaml;
};

// Bounded least squares of relative error over the fitted points
// (util/least_squares: projected Levenberg-Marquardt from several starts),
// over the knobs the points can tell apart; the others keep their values.
// Throws InputError if no knob moves the points, or if the fit would end
// worse than the platform as it was (it cannot, by construction: a guard).
CalibrationResult calibrate(const CalibrateOptions& options);

// The report as text.
std::string calibrate_table(const nlohmann::json& report);

}  // namespace moesim
