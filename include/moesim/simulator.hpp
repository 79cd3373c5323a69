// The SimGrid replay, behind an interface that does not include SimGrid.
// One Simulator per process: SimGrid allows one engine per process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "moesim/engine.hpp"
#include "moesim/result.hpp"
#include "moesim/run.hpp"
#include "moesim/scenario.hpp"
#include "moesim/topology.hpp"
#include "moesim/traffic.hpp"

namespace moesim {

// moesim's SimGrid options for a replay, then the spec's own cfg: with CM02,
// cross-traffic and the TCP window off, so one flow on one idle link takes
// latency + bytes / bandwidth; ptask_L07 for the ptask fidelity.
std::vector<std::string> simgrid_options(const SimgridSpec& spec);

// The SimGrid engine: loads or builds the platform and replays layers.
class Simulator final : public LayerEngine {
 public:
  // quiet: SimGrid's own log at warning level. Throws InputError for an
  // option SimGrid refuses.
  explicit Simulator(const SimgridSpec& spec, bool quiet = true);
  ~Simulator() override;
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Loads a SimGrid XML platform and reads back its hosts (in natural order
  // of their names), links and routes. Throws InputError for an unreadable or
  // invalid file, an empty platform or a pair of chips with no route.
  Topology load_xml(const std::string& path);

  // Builds the SimGrid platform of a generated topology: one Full zone with
  // an explicit route for every ordered pair of chips.
  void build(const Topology& topology);

  EngineInfo info() const override;

  // Which groups a replay takes (index: group); empty for all.
  using GroupFilter = std::vector<char>;

  // How many replay workers compute runs at once (1 by default).
  void set_jobs(std::size_t jobs);

  // Replays the workload's layers on the chips of all its groups; builds
  // `topology` first unless it came from load_xml or build. Each layer (and
  // each set of the workload's independent groups) is replayed in a worker
  // process forked from the built platform, at simulated time 0, so results
  // do not depend on the number of workers. With SimGrid's tracing on, one
  // replay of every layer runs here instead (SimGrid writes its trace as it
  // ends).
  std::vector<LayerResult> compute(const Topology& topology, const Workload& workload) override;

 private:
  // Replays every layer in turn, phases (and stages) separated by a barrier
  // and the expert phase between dispatch and combine; actors run on `chips`.
  // A chip's flows of a phase start once it has issued their messages
  // (SenderCosts: per message and per peer). With groups > 1, each phase also reports when
  // each group's last flow arrived. Only the flows of the groups `only`
  // marks (index: group; empty for all).
  std::vector<LayerResult> replay_groups(const std::vector<const LayerTraffic*>& layers,
                                         const std::vector<ChipId>& chips, double expert_us, std::uint32_t groups,
                                         const SenderCosts& costs, const GroupFilter& only);
  std::vector<LayerResult> replay_ptask(const std::vector<const LayerTraffic*>& layers, double expert_us,
                                        std::uint32_t groups, const SenderCosts& costs, const GroupFilter& only);
  bool in_process() const;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs a scenario file's scenario end to end with the engine it names:
// SimGrid replays it, or SimGrid only reads its XML platform for a core engine.
RunReport run_scenario_with_simgrid(const Scenario& scenario, const RunControl& control = {});

// A platform as a topology; SimGrid reads an XML one.
Topology load_any_topology(const PlatformSpec& spec);

}  // namespace moesim
