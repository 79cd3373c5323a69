// The parts of a run that run_scenario (run.cpp) and the overlapped run
// (overlap.cpp) share: the layers' traffic, the report's head, the
// calibrated start-ups and the phases' explanations.
#pragma once

#include <cstdint>
#include <vector>

#include "moesim/compute.hpp"
#include "moesim/engine.hpp"
#include "moesim/report.hpp"
#include "moesim/scenario.hpp"

namespace moesim {

// The traffic of every layer of every sample, with identical layers found:
// the engine computes work.layers, the distinct ones.
struct LayerPlan {
  Workload work;
  std::vector<std::size_t> first_index;  // flattened (sample * layers + layer) of each distinct one
  std::vector<std::size_t> to_distinct;  // per flattened layer
  std::vector<LayerStats> stats;         // per flattened layer
  // keep_loads: per flattened layer, what the experts of each chip's EP rank
  // receive, by chip in group order (every group's chips in turn).
  std::vector<std::vector<RankLoad>> loads;
};

// show_progress: a progress line on a terminal while the traffic is built.
// stream: which routing draw (0 the scenario's own; a micro-batch m > 0
// draws its own, independent stream). threads: sampled layers built at once
// (the plan is the same for any number).
LayerPlan plan_layers(const Scenario& s, const std::vector<std::vector<ChipId>>& groups, const LayerBytes& bytes,
                      bool show_progress = false, std::uint64_t stream = 0, bool keep_loads = false,
                      std::size_t threads = 1);

// The report's description of the scenario and its platform.
RunReport report_head(const Scenario& s, const Topology& topo, const std::vector<std::vector<ChipId>>& groups);

// The report's lines on the engine: its name, model, fidelity and the
// ptask fidelity's stated error.
void engine_head(const Scenario& s, const EngineInfo& info, RunReport& rep);

// The platform's calibrated start-up and least time of a phase.
double startup_us(const Calibration& cal, PhaseKind k);
double min_us(const Calibration& cal, PhaseKind k);

// A phase pays its start-up once, in its first stage, and lasts at least
// its least time.
void add_startups(const Calibration& cal, std::vector<LayerResult>& computed);

// Every phase explains itself: its links' bytes, the busiest, the bottleneck.
// threads: layers explained at once.
void explain_phases(const Topology& topo, const Calibration& cal, bool own_bound, const Workload& work,
                    std::vector<LayerResult>& computed, std::size_t threads = 1);

}  // namespace moesim
