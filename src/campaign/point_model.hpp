// Measured points simulated as a scenario describes them, on its platform or
// on the platform with other calibration knobs: in this process for the
// analytic and bound engines (milliseconds a point), a child `moesim run`
// each for the SimGrid engine (one SimGrid engine per process). `check` and
// `calibrate` both evaluate points through it.
//
//   PointModel model(scenario, {}, self_executable(), measurements_path);
//   std::vector<double> us = model.latencies(points, &candidate_calibration);
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "campaign/measurements.hpp"
#include "moesim/platform.hpp"
#include "util/files.hpp"

namespace moesim {

class PointModel {
 public:
  // `sets`: --set key=value for every point, before each point's own
  // overrides; `where`: what errors name (the measurement file).
  PointModel(std::string scenario, std::vector<std::string> sets, std::string moesim, std::string where);
  ~PointModel();

  // Each point's phase latency (mean over layers), us, on the scenario's
  // platform with `calibration` in place of its own (null: its own).
  // Results are remembered: the same point and knobs are simulated once.
  std::vector<double> latencies(const std::vector<MeasuredPoint>& points, const Calibration* calibration = nullptr);

  // Points simulated (not counting those remembered).
  std::size_t simulations() const { return simulations_; }
  // Whether points run in this process (analytic, bound) or as children (simgrid).
  bool in_process() const { return in_process_; }

 private:
  double simulate(const MeasuredPoint& point, const Calibration* calibration);
  std::string platform_file(const Calibration& calibration);
  const Topology& calibrated_topology(const PlatformSpec& spec);

  struct Nominal {
    Topology topology;
    std::vector<std::pair<double, double>> links;  // each link's nominal bandwidth_Bps, latency_s
  };

  std::string scenario_, moesim_, where_;
  std::vector<std::string> sets_;
  bool in_process_ = false;
  std::string platform_path_;
  std::unique_ptr<TempDir> work_;  // children's files and candidate platforms
  std::map<std::string, double> memo_;
  std::map<std::string, Nominal> topologies_;  // by platform file
  std::size_t simulations_ = 0, platforms_ = 0;
};

// A calibration as the `calibration` section of a platform file writes it.
std::string calibration_yaml(const Calibration& calibration);

}  // namespace moesim
