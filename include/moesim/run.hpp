// One scenario, start to finish: its platform as a topology, its layers'
// traffic, an engine's times, the start-ups and explanations, the report.
//
//   Topology t = load_topology(scenario.platform, xml_loader);
//   RunReport r = run_scenario(scenario, t, *make_bound_engine());
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "moesim/engine.hpp"
#include "moesim/result.hpp"
#include "moesim/scenario.hpp"
#include "moesim/traffic.hpp"

namespace moesim {

// Reads a SimGrid XML platform into a topology. Only SimGrid can, so the
// SimGrid layer provides one (Simulator::load_xml); the core takes it as a
// function and never includes SimGrid.
using XmlLoader = std::function<Topology(const std::string& path)>;

// A platform as a topology: built from its generator, or read by `xml` from
// a SimGrid XML file (its hosts renamed to the spec's name). Throws
// InputError for an XML platform without a loader.
Topology load_topology(const PlatformSpec& spec, const XmlLoader& xml);

// The analytic or bound engine a scenario names, set up for its topology.
// Throws InputError for the simgrid engine, which lives in src/sim/.
std::unique_ptr<LayerEngine> make_core_engine(const Scenario& scenario, const Topology& topology);

// How a run is carried out, which never changes its results.
struct RunControl {
  std::size_t jobs = 1;   // replay workers at once (the simgrid engine)
  bool progress = false;  // a progress line on stderr when it is a terminal
};

// Runs every layer (and sample) of the scenario on `topology`, which must be
// its platform's, through `engine`.
RunReport run_scenario(const Scenario& scenario, const Topology& topology, LayerEngine& engine,
                       const RunControl& control = {});

// The traffic of a scenario's first MoE layer (first sample) on a topology,
// every group's flows together.
LayerTraffic first_layer_traffic(const Scenario& scenario, const Topology& topology);

}  // namespace moesim
