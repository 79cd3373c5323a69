// moesim check: measured points against the model, uncalibrated.
#include "campaign/check.hpp"

#include <algorithm>
#include <cmath>

#include "campaign/measurements.hpp"
#include "campaign/point_model.hpp"
#include "moesim/error.hpp"
#include "moesim/scenario.hpp"
#include "util/format.hpp"

namespace moesim {

nlohmann::json check_measurements(const CheckOptions& o) {
  const std::vector<MeasuredPoint> points = load_measurements(o.measurements, o.scenario, o.sets);
  PointModel model(o.scenario, o.sets, o.moesim, o.measurements);
  const std::vector<double> model_us = model.latencies(points);
  nlohmann::json rows = nlohmann::json::array();
  double abs_sum = 0, abs_max = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const MeasuredPoint& p = points[i];
    const double error = model_us[i] / p.measured_us - 1;
    abs_sum += std::fabs(error);
    abs_max = std::max(abs_max, std::fabs(error));
    rows.push_back({{"name", p.name},
                    {"phase", phase_name(p.phase)},
                    {"measured_us", p.measured_us},
                    {"model_us", model_us[i]},
                    {"error", error}});
  }
  const Scenario s = load_scenario(o.scenario, o.sets);
  const Calibration& cal = s.platform.calibration;
  const std::string calibration = s.nominal_network ? "none (set aside by calibration=none: the nominal network)"
                                  : cal.empty()     ? "none (the platform has none: the nominal network)"
                                                    : "the platform's: " + (cal.fitted.empty() ? "(no source given)" : cal.fitted);
  return {{"scenario", o.scenario},
          {"calibration", calibration},
          {"measurements", o.measurements},
          {"sets", o.sets},
          {"points", rows},
          {"mean_abs_error", points.empty() ? 0.0 : abs_sum / static_cast<double>(points.size())},
          {"max_abs_error", abs_max}};
}

int point_name_width(const nlohmann::json& points) {
  std::size_t w = 24;
  for (const auto& p : points) w = std::max(w, p["name"].get<std::string>().size());
  return static_cast<int>(w);
}

std::string check_table(const nlohmann::json& r) {
  const int w = point_name_width(r["points"]);
  std::string out = format("%-*s %-9s %12s %12s %9s\n", w, "point", "phase", "measured_us", "model_us", "error");
  for (const auto& p : r["points"])
    out += format("%-*s %-9s %12.3f %12.3f %8.1f%%\n", w, p["name"].get<std::string>().c_str(),
                  p["phase"].get<std::string>().c_str(), p["measured_us"].get<double>(),
                  p["model_us"].get<double>(), 100 * p["error"].get<double>());
  out += format("mean |error| %.1f%%, largest %.1f%% over %zu points (model / measured - 1; nothing fitted)\n",
                100 * r["mean_abs_error"].get<double>(), 100 * r["max_abs_error"].get<double>(),
                r["points"].size());
  out += "calibration: " + r["calibration"].get<std::string>() + "\n";
  return out;
}

}  // namespace moesim
