// One scenario, start to finish: platform, traffic, the chosen engine, report.
#pragma once

#include "moesim/result.hpp"
#include "moesim/scenario.hpp"
#include "moesim/traffic.hpp"

namespace moesim {

RunReport run_scenario(const Scenario& scenario);

// The traffic of a scenario's first MoE layer (first sample) on a topology,
// every group's flows together.
LayerTraffic first_layer_traffic(const Scenario& scenario, const Topology& topology);

}  // namespace moesim
