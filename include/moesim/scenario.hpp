// A scenario file, parsed and validated into plain structs: the MoE model,
// its deployment, the precision, the platform and how to run it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "moesim/bytes.hpp"
#include "moesim/comm.hpp"
#include "moesim/compute.hpp"
#include "moesim/enum_table.hpp"
#include "moesim/platform.hpp"
#include "moesim/routing.hpp"
#include "moesim/schedule.hpp"

namespace moesim {

enum class Engine { kSimgrid, kAnalytic, kBound };
inline constexpr EnumTable<Engine, 3> kEngineNames{
    {{Engine::kSimgrid, "simgrid"}, {Engine::kAnalytic, "analytic"}, {Engine::kBound, "bound"}}};
inline std::string engine_name(Engine e) { return enum_name(kEngineNames, e); }

// How the SimGrid replay turns flows into activities. kFlow (the reference):
// one comm per flow, shared max-min by the network model. kPtask (fast):
// SimGrid's ptask_L07 host model, one parallel task per (phase, group, route
// latency); each task's flows progress together, tasks share links max-min.
enum class Fidelity { kFlow, kPtask };
inline constexpr EnumTable<Fidelity, 2> kFidelityNames{{{Fidelity::kFlow, "flow"}, {Fidelity::kPtask, "ptask"}}};
inline std::string fidelity_name(Fidelity f) { return enum_name(kFidelityNames, f); }

// A scenario key left out keeps the value these initializers give (hidden_dim, topk, ep and the batch are required).
struct ModelSpec {
  std::string name;  // for reports only
  std::uint64_t hidden_dim = 0;
  std::uint64_t num_experts = 0;  // routed experts; 0 = not given (uniform shares only)
  std::uint64_t topk = 0;         // routed experts a token activates
  std::uint64_t moe_layers = 1;
  std::uint64_t shared_experts = 0;  // run where the token is: no traffic
  std::uint64_t moe_intermediate_size = 0;  // an expert FFN's inner width; 0 = not given (no expert roofline)
};

// The per-layer work besides the all-to-all (the `compute` section): each
// operation a given time or a roofline on the platform's chip. The experts
// and the shared expert are priced from the model when not given.
struct ComputeSpec {
  OpCost attn_pre, attn_core, gate, output, shared, experts;
  bool given = false;  // the scenario has a compute section
};

struct DeploymentSpec {
  std::uint64_t global_batch = 0;
  std::uint64_t seq_len = 1;  // tokens of a sequence
  std::uint64_t ep = 0;       // EP ranks of a group
  std::uint64_t moe_tp = 1;   // chips of an EP rank, splitting hidden_dim
  std::vector<std::string> placement;  // host names of the group; empty = first chips
  // Several EP groups (data-parallel replicas) on one fabric, each with its
  // own global_batch of tokens, all at once.
  std::uint64_t groups = 1;
  enum class GroupPlacement { kContiguous, kStrided, kExplicit };
  GroupPlacement group_placement = GroupPlacement::kContiguous;
  std::vector<std::vector<std::string>> group_hosts;  // kExplicit
};
// The group placements with a name; kExplicit is a list of host lists.
inline constexpr EnumTable<DeploymentSpec::GroupPlacement, 2> kGroupPlacementNames{
    {{DeploymentSpec::GroupPlacement::kContiguous, "contiguous"}, {DeploymentSpec::GroupPlacement::kStrided, "strided"}}};

// The scenario's `simgrid` section: how the SimGrid engine replays.
struct SimgridSpec {
  std::string network_model = "CM02";  // kFlow: CM02, LV08, SMPI or IB
  Fidelity fidelity = Fidelity::kPtask;
  // kPtask on a generated platform: the most links one task loads; a longer
  // task is cut into blocks of consecutive links (docs/design.md: SimGrid's
  // selective update is quadratic in a task's links). At 1, the default, each
  // link is replayed alone and only the links that can decide a group's end.
  std::uint64_t ptask_max_links = 1;
  // kFlow: also count each link's bytes with SimGrid's link_load plugin (slower).
  bool link_load = false;
  // Extra SimGrid options "name:value", applied after moesim's own
  // (simgrid_options), so they can override them.
  std::vector<std::string> cfg;
};

struct Scenario {
  std::string name;
  std::string path;           // the scenario file
  std::string platform_path;  // resolved against the scenario's folder
  ModelSpec model;
  DeploymentSpec deployment;
  Precision precision;
  double expert_time_us = 0;  // the expert phase between dispatch and combine
  ComputeSpec compute;
  // How compute and the all-to-all overlap (moesim/schedule.hpp); `none`
  // without a compute section is the run as moesim always had it.
  Schedule schedule;
  bool scheduled() const { return compute.given || schedule.overlaps(); }
  Engine engine = Engine::kSimgrid;
  RoutingSpec routing;
  CommSpec comm;              // how the bytes move (moesim/comm.hpp)
  std::string trace_path;     // resolved against the scenario's folder
  std::uint64_t seed = 1;
  std::uint64_t samples = 1;  // repeat the run with seeds seed, seed+1, ...
  SimgridSpec simgrid;
  // The platform file, loaded, with the scenario's comm_params overrides applied.
  PlatformSpec platform;
  // `calibration: none`: the platform's nominal network, its calibration
  // block set aside (default `platform`: the file's own calibration).
  bool nominal_network = false;
  std::string where_placement;  // "file:line" of deployment.placement, for errors
  std::string where_group;      // "file:line" of deployment.ep, for errors
  std::string where_platform;   // "file:line" of the platform key, for errors
  std::string where_simgrid;    // "file:line" of the simgrid section, for errors
  std::string where_traffic;    // "file:line" of traffic.node_level, for errors
  std::string where_comm;       // "file:line" of comm.algorithm, for errors
  std::string where_comm_params;  // "file:line" of the scenario's own comm_params; empty: none
  std::string where_overlap;      // "file:line" of overlap (or compute), for errors

  ByteModelInput byte_model_input() const;
  std::uint64_t group_chips() const { return deployment.ep * deployment.moe_tp; }
};

// Parses a scenario file, applying "key=value" overrides first. Throws InputError.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {});

// Checks the scenario against its platform (group size, placement hosts) and
// returns the chip ids of every EP group, each in group order.
std::vector<std::vector<ChipId>> group_chips(const Scenario& s, const Topology& topology);

// Chips of a node for node-limited routing: traffic.node_chips, or the
// chips of one group of the tier named by traffic.node_level, or the
// platform's first tier (a board) when it has tiers, or a GPU cluster's
// node. 0 if none applies.
std::uint64_t node_chips(const Scenario& s);

}  // namespace moesim
