// A scenario against measured latencies, as it stands (nothing fitted): each
// measured point simulated by a child `moesim run`, and its error.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace moesim {

struct CheckOptions {
  std::string scenario;
  std::string measurements;
  std::vector<std::string> sets;  // --set key=value for every point, before the point's own
  std::string moesim;             // the binary each point runs
};

// {"points": [{name, phase, measured_us, model_us, error}], "mean_abs_error",
// "max_abs_error", "sets"}; error = model / measured - 1.
nlohmann::json check_measurements(const CheckOptions& options);

// The report as text: a row a point, then the mean and largest |error|.
std::string check_table(const nlohmann::json& report);

// The width of a table's point column: its longest name, at least 24.
int point_name_width(const nlohmann::json& points);

}  // namespace moesim
