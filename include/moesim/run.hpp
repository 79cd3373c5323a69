// One scenario, start to finish: its platform as a topology, its layers'
// traffic, an engine's times, the start-ups and explanations, the report.
//
//   Topology t = load_topology(scenario.platform, xml_loader);
//   RunReport r = run_scenario(scenario, t, *make_bound_engine());
#pragma once

#include <functional>
#include <memory>
#include <optional>
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

// What a run needs, from the scenario's sizes alone: estimated before the
// platform is built or a flow is routed. Memory is what the run holds at
// once; the time is rough, from the cost of a flow under each engine on the
// 2-core reference machine, and under the flow fidelity on sampled routing
// from each stage of the algorithm: its flows squared x hops, at a cost a
// (flow, link) visit that grows as they outgrow the caches (bench/results.md).
struct RunEstimate {
  double chips = 0;            // of the platform (0: a SimGrid XML, unknown)
  double route_bytes = 0;      // the platform's route table
  double traffic_bytes = 0;    // the flows of the distinct layers
  double result_bytes = 0;     // every layer's per-link and per-chip results
  // The dense chip-by-chip matrices (uint64) one EP group's layer is built
  // from: token counts, each phase's bytes, a combine's transpose and each
  // stage's, held at once while a group's flows are made.
  double matrix_bytes = 0;
  double distinct_layers = 0;  // layers computed (uniform shares: 1)
  double flows_per_layer = 0;  // both phases, every group and stage
  double seconds = 0;
  double memory_bytes() const { return route_bytes + traffic_bytes + result_bytes + matrix_bytes; }
  // "about 1.75 GB (routes 940 MB, traffic 805 MB, matrices 1 MB, results 0.2 MB)"
  std::string memory_text() const;
  // memory_text() and "and 0:20: 1 distinct layer of up to 3.36e+07 flows"
  std::string describe() const;
};

// `links`: the platform's directed links when it is built, else estimated;
// `jobs`: RunControl's, the layers at once (up to this machine's cores).
RunEstimate estimate_run(const Scenario& scenario, std::optional<std::size_t> links = std::nullopt,
                         std::size_t jobs = 1);

// Refuses, in one line naming the scenario, a run whose estimate does not
// fit in this machine's memory (what it needs, and has).
void check_run_memory(const Scenario& scenario, const RunEstimate& estimate);

// How a run is carried out, which never changes its results.
struct RunControl {
  std::size_t jobs = 1;   // replay workers at once (the simgrid engine), and threads building and explaining layers
  bool progress = false;  // progress on stderr: a line redrawn on a terminal (the flow replay: else every 10 s)
};

// Runs every layer (and sample) of the scenario on `topology`, which must be
// its platform's, through `engine`.
RunReport run_scenario(const Scenario& scenario, const Topology& topology, LayerEngine& engine,
                       const RunControl& control = {});

// Faults (moesim/platform.hpp LinkFault): the scenario without them, and
// what they cost. A faulty run is compared with the same run on the healthy
// platform; the healthy run travels as encode_baseline's text (a SimGrid
// run computes it in a child process, one engine a process).
bool has_faults(const Scenario& scenario);
Scenario healthy_scenario(const Scenario& scenario);
std::string encode_baseline(const RunReport& healthy);
// Throws std::runtime_error on text encode_baseline did not write or of
// another run's layers.
FaultCost fault_cost(const RunReport& faulty, const std::string& baseline);

// The traffic of a scenario's first MoE layer (first sample) on a topology,
// every group's flows together.
LayerTraffic first_layer_traffic(const Scenario& scenario, const Topology& topology);

}  // namespace moesim
