// A scenario's traffic written for other programs (the replay harness,
// docs/harness.md): a JSON header and a CSV with a row per (layer, phase,
// stage, src, dst), the bytes that chip src sends chip dst.
//
//   const auto point = point_settings(scenario, sets);
//   TrafficExport t = export_traffic(load_scenario(path, overrides_of(point)), topology, point, "traffic.csv");
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "moesim/scenario.hpp"
#include "moesim/topology.hpp"

namespace moesim {

// key, value: one scenario setting as --set takes it.
using Setting = std::pair<std::string, std::string>;

// The settings that name this scenario as a measured point: the --set
// overrides (key=value; a key given twice keeps its last value, in the
// order first given) with deployment.ep, the batch, the precision,
// comm.algorithm and (routed traffic) the seed added where they lack them.
// A measurement file (campaign/measurements.hpp) with these as columns
// describes this scenario. Throws InputError for an override without '='.
std::vector<Setting> point_settings(const Scenario& s, const std::vector<std::string>& sets);

// "key=value" for each setting, as load_scenario takes them.
std::vector<std::string> overrides_of(const std::vector<Setting>& point);

struct TrafficExport {
  nlohmann::ordered_json header;
  std::string csv;  // layer,phase,stage,src,dst,bytes; src == dst rows are a chip's share for itself
};

// Every MoE layer of the scenario (its seed: the first sample), every phase
// and stage of its comm algorithm, every EP group on `topology` (the
// scenario's platform). `point` goes into the header (point_settings of
// the scenario); `flows_file` is the CSV's name as the header gives it.
// Throws InputError for a scenario with an overlap schedule (micro-batches
// split its traffic).
TrafficExport export_traffic(const Scenario& s, const Topology& topology, const std::vector<Setting>& point,
                             const std::string& flows_file);

}  // namespace moesim
