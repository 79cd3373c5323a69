// The settings of a scenario that its engine, fidelity, platform or routing
// cannot honour: each is named, with its value and what the run uses instead,
// so that no setting is dropped in silence. Pure; run_scenario_with_simgrid
// logs each line as a warning before the run.
//
//   for (const std::string& line : unused_settings(scenario)) log->warn("{}", line);
#pragma once

#include <string>
#include <vector>

#include "moesim/scenario.hpp"

namespace moesim {

// One line per cause (an engine or fidelity that ignores several keys names
// them all in its line); empty when the run honours every setting. A setting
// counts as given when it differs from its default.
std::vector<std::string> unused_settings(const Scenario& scenario);

// Whether SimGrid's link_load plugin can count the run's link bytes: the
// simgrid engine's flow fidelity on a generated platform.
bool simgrid_counts_link_bytes(const Scenario& scenario);

}  // namespace moesim
