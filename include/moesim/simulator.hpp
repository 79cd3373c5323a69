// The SimGrid replay, behind an interface that does not include SimGrid.
// One Simulator per process: SimGrid allows one engine per process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "moesim/result.hpp"
#include "moesim/topology.hpp"
#include "moesim/traffic.hpp"

namespace moesim {

// How flows become SimGrid activities. kFlow (the reference): one comm per
// flow, shared max-min by CM02. kPtask (fast): SimGrid's ptask_L07 host
// model, one parallel task per (phase, group, route latency): each task's
// flows progress together, tasks share links max-min, and every flow's
// latency is its own route's (flows are grouped by it).
enum class Fidelity { kFlow, kPtask };
std::string fidelity_name(Fidelity f);

struct SimConfig {
  std::string network_model = "CM02";
  Fidelity fidelity = Fidelity::kFlow;
  // SimGrid options "name:value", applied after moesim's defaults
  // (surf/precision:1e-12, and for CM02 network/crosstraffic:0 and
  // network/TCP-gamma:0), so they can override them.
  std::vector<std::string> cfg;
  bool quiet = true;  // SimGrid's own log at warning level
  // kPtask on a generated platform: a task loads at most this many links;
  // a phase's per-latency load is cut into blocks of consecutive links.
  // SimGrid's selective update walks a task's links in time quadratic in
  // their number at every event (lmm::System::update_modified_cnst_set_rec).
  std::size_t ptask_max_links = 1024;
  // kFlow: count every link's bytes with SimGrid's link_load plugin.
  bool link_load = false;
};

// moesim's SimGrid options for a network model: with CM02, cross-traffic and
// the TCP window off, one flow on one idle link takes latency + bytes / bandwidth.
std::vector<std::string> simgrid_options(const SimConfig& config);

class Simulator {
 public:
  explicit Simulator(const SimConfig& config);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Loads a SimGrid XML platform and reads back its hosts (in natural order
  // of their names), links and routes. Throws InputError for an unreadable or
  // invalid file, an empty platform or a pair of chips with no route.
  Topology load_xml(const std::string& path);

  // Builds the SimGrid platform of a generated topology: one Full zone with
  // an explicit route for every ordered pair of chips.
  void build(const Topology& topology);

  // Replays every layer in turn, phases separated by a barrier and the expert
  // phase between dispatch and combine; actors run on the `chips` of every
  // group. With groups > 1, each phase also reports when each group's last
  // flow arrived.
  std::vector<LayerResult> replay(const std::vector<const LayerTraffic*>& layers,
                                  const std::vector<ChipId>& chips, double expert_us, std::uint32_t groups = 1);

 private:
  std::vector<LayerResult> replay_ptask(const std::vector<const LayerTraffic*>& layers, double expert_us,
                                        std::uint32_t groups);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace moesim
