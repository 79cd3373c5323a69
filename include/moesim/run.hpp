// One scenario, start to finish: platform, traffic, the chosen engine, report.
#pragma once

#include "moesim/result.hpp"
#include "moesim/scenario.hpp"

namespace moesim {

RunReport run_scenario(const Scenario& scenario);

}  // namespace moesim
