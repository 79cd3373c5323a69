// How a run's layers get their times: one interface, three engines. The
// analytic (Tier6's closed form) and bound (the physical lower bound) engines
// are pure and live in the core; the SimGrid replay is `Simulator`
// (moesim/simulator.hpp, src/sim/).
//
//   auto engine = make_bound_engine();
//   std::vector<LayerResult> r = engine->compute(topology, workload);
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "moesim/bytes.hpp"
#include "moesim/platform.hpp"
#include "moesim/result.hpp"
#include "moesim/topology.hpp"
#include "moesim/traffic.hpp"

namespace moesim {

// What an engine computes: the distinct layers of a run, each its phases'
// flows over the chips of every EP group.
struct Workload {
  std::vector<LayerTraffic> layers;
  std::vector<std::vector<ChipId>> groups;  // the chips of each EP group, in group order
  double expert_us = 0;                     // the expert phase between dispatch and combine
  // What a chip pays per message it sends (comm.per_message_us and the
  // platform's calibration) and per peer it sends to (SenderCosts).
  SendCosts per_message, per_peer;
  // Sets of groups (indices into `groups`) whose traffic loads no common
  // link, which an engine may compute apart; empty: not known.
  std::vector<std::vector<std::uint32_t>> independent;
  // How many consecutive layers one replay worker computes (a worker is a
  // forked process: an overlapped run's short rounds of one layer share one).
  std::size_t layers_per_worker = 1;
  // How many layers an engine that computes in this process (the bound) may
  // compute at once, each on a thread.
  std::size_t threads = 1;
  // Called as parts of the work finish (done of total), when set.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

// What the report says about the engine that ran.
struct EngineInfo {
  std::string name;                      // simgrid, analytic or bound
  std::string network_model;             // simgrid only: CM02, ..., or ptask_L07
  std::string fidelity;                  // simgrid only: flow or ptask
  std::vector<std::string> simgrid_cfg;  // simgrid only: the options SimGrid was given
  // false: the engine computes each phase as a whole, one result per phase,
  // whatever comm.algorithm cut it into (the analytic closed form); true:
  // one result per stage, in the order the stages run.
  bool honours_algorithm = true;
  // true: the engine keeps its own start latencies (Tier6's), so no
  // calibrated start-up is added to its phases.
  bool own_startups = false;
  // true: its results are the physical lower bound itself.
  bool lower_bound = false;
};

class LayerEngine {
 public:
  virtual ~LayerEngine() = default;
  virtual EngineInfo info() const = 0;
  // One result per layer of the workload, in its order, each with one phase
  // result per stage of the traffic (LayerTraffic::stages), or one per phase
  // where the engine does not honour the algorithm (EngineInfo). With several groups, each phase's
  // group_us has one entry per group. Every layer is computed in one call:
  // the SimGrid replay runs them on one simulated clock, one engine per process.
  virtual std::vector<LayerResult> compute(const Topology& topology, const Workload& workload) = 0;
};

// Every phase bounded by its most constrained link or flow (engine/bound.hpp).
std::unique_ptr<LayerEngine> make_bound_engine();

// Tier6's closed form; `comm` must be resolved (resolved_comm_params).
std::unique_ptr<LayerEngine> make_analytic_engine(const LayerBytes& bytes, std::uint64_t moe_tp,
                                                  const CommParams& comm);

}  // namespace moesim
