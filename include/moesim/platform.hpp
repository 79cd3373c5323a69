// Platform files: a moesim platform YAML (torus or tiers generator plus the
// Tier6 communication parameters), or a SimGrid XML platform.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "moesim/fabrics.hpp"
#include "moesim/graph.hpp"
#include "moesim/topology.hpp"

namespace moesim {

class YamlMap;

// Tier6 / DS_TPU communication parameters, with Tier6's names (microseconds).
// Used by the analytic engine only.
struct CommParams {
  double bandwidth_utilization = 1.0;
  // The chip-to-chip latency of the start latency. Unset = the latency of the
  // platform's c2c link class (Tier6 reads interconnect.links.c2c.latency_us),
  // 0 if it has none; `c2c_latency_us` in comm_params overrides it.
  std::optional<double> c2c_latency_us;
  double memory_read_latency_us = 0;
  double memory_write_latency_us = 0;
  double noc_latency_us = 0;
  double die_to_die_latency_us = 0;
  double switch_latency_us = 0;
  double cable_latency_us = 0;
  double cpu_fetch_delay_us = 0;
  // Bandwidths the closed form divides by: inter_bw (board to board) and
  // c2c_bw (chip to chip). 0 = derive from the topology: the b2b link class
  // if there is one, else the chip link bandwidth.
  double inter_bw_Bps = 0;
  double c2c_bw_Bps = 0;
};

// Reads the keys of a `comm_params` mapping over `params` (keys it lacks keep their value).
void read_comm_params(const YamlMap& map, CommParams& params);

// Knobs fitted to measurements (`calibration` in a platform file). Defaults
// change nothing: efficiency 1, the links' own latencies, no start-up, no
// per-message cost, messages as the scenario makes them.
struct Calibration {
  std::map<std::string, double> efficiency;  // link class -> the fraction of nominal bandwidth, (0, 1]
  std::map<std::string, double> latency_us;  // link class -> each link's latency (replaces the nominal)
  double dispatch_startup_us = 0, combine_startup_us = 0, allgather_startup_us = 0;
  // The least time a phase takes, start-up included: its kernels'
  // synchronisation, which overlaps the transfer (0: none).
  double dispatch_min_us = 0, combine_min_us = 0, allgather_min_us = 0;
  // What the platform (NIC, driver) charges a chip per message it sends,
  // added to the scenario's comm.per_message_us, and per peer it sends to in
  // a stage (queue pairs, flags, synchronisation), each for every message
  // (peer) and for each link class its route crosses; and its largest
  // message: flows are cut at the smaller of it and comm.message_bytes (0: no limit).
  SendCosts per_message_us;
  SendCosts per_peer_us;
  std::uint64_t message_bytes = 0;
  std::string fitted;  // what a calibration was fitted on (written by moesim calibrate)
  std::string where;   // "file:line" of the calibration section, for errors
  bool empty() const {
    return efficiency.empty() && latency_us.empty() && dispatch_startup_us == 0 && combine_startup_us == 0 &&
           allgather_startup_us == 0 && dispatch_min_us == 0 && combine_min_us == 0 &&
           allgather_min_us == 0 && per_message_us.empty() && per_peer_us.empty() && message_bytes == 0;
  }
};

// A chip's compute, from a platform file's `compute:` block: dense peak
// FLOP/s per dtype and HBM bandwidth, and the fraction of each a kernel
// reaches (the efficiency a grouped GEMM or attention kernel shows on it).
struct ChipCompute {
  double bf16_flops = 0;  // FLOP/s, dense; fp16 runs at this rate too
  double fp8_flops = 0;   // FLOP/s, dense, 8-bit (FP8 or INT8); 0: at the BF16 rate
  double hbm_Bps = 0;     // bytes/s
  double flops_efficiency = 1.0;
  double hbm_efficiency = 1.0;
  std::string source;  // where the figures come from
  std::string where;   // "file:line" of the block, for errors
  bool empty() const { return bf16_flops <= 0 || hbm_Bps <= 0; }
  double bytes_per_s() const { return hbm_Bps * hbm_efficiency; }
};

// A fault from a scenario's `faults` list (or drawn by `fault_draw`): a
// directed link ("ici-x-0_UP"), both directions of a physical one
// ("ici-x-0") or every link at a node (a switch or router: "rail-3") is
// down (dead: routes go around it), or keeps a fraction of its bandwidth
// and gains latency.
struct LinkFault {
  std::string link;        // empty for a node's fault
  std::string node;        // empty for a link's fault
  bool down = false;       // dead: no route crosses it
  double bandwidth = 1.0;  // the fraction of its bandwidth it keeps, (0, 1]
  double latency_us = 0;   // added to its latency
  std::string where;       // "file:line" of the fault, for errors
  std::string key;         // "faults[0]", "fault_draw"
};

// A scenario's `fault_draw`: physical links (both directions of a duplex
// link) drawn from a seed, `links` of them or each with `probability`.
struct FaultDraw {
  bool given = false;
  bool by_probability = false;
  std::uint64_t links = 0;
  double probability = 0;  // [0, 1]
  std::uint64_t seed = 0;
  double bandwidth = 0;    // the fraction drawn links keep; 0: down
  std::string where;       // "file:line" of fault_draw, for errors
};

struct PlatformSpec {
  // kGraph: a graph read from DOT or GraphML, routed by shortest paths.
  enum class Kind { kTorus, kTiers, kGpuCluster, kFatTree, kDragonfly, kGraph, kXml };
  std::string name;
  std::string path;  // the file it came from, or the platform string
  Kind kind = Kind::kTorus;
  TorusSpec torus;
  TiersSpec tiers;
  GpuClusterSpec gpu;
  FatTreeSpec fat_tree;
  DragonflySpec dragonfly;
  NetGraph graph;
  CommParams comm;
  Calibration calibration;
  ChipCompute compute;  // the `compute` block: a chip's FLOP/s and HBM; empty if not given
  std::vector<LinkFault> faults;  // a scenario's faults, applied when built
  FaultDraw fault_draw;           // a scenario's drawn faults, applied when built
};

// Degrades, or takes down, every link each fault names; a name no link or
// node has is an InputError naming the nearest names. Routes that cross a
// dead link are then replaced (route_around_faults).
void apply_link_faults(Topology& topology, const std::vector<LinkFault>& faults);

// The faults a draw picks on a topology (its links' names and order, not
// their state): a fault per physical link, in link order. Throws
// InputError when it asks for more links than there are.
std::vector<LinkFault> drawn_faults(const FaultDraw& draw, const Topology& topology);

// The scenario's faults and its drawn ones, as build_topology applies them.
std::vector<LinkFault> platform_faults(const PlatformSpec& spec, const Topology& topology);

// Gives every pair whose route crosses a dead link a route around it
// (Topology::override_route): tori by dimension order the other way round
// the ring, GPU clusters through a neighbour GPU's NIC, anything else (and
// what those rules cannot serve) a shortest path over the healthy links; a
// pair with none left gets an empty route (Topology::cut_pair). Returns the
// number of pairs rerouted or cut.
std::size_t route_around_faults(Topology& topology, const PlatformSpec& spec);

// The first pair of `chips` that faults cut off, as "chips A and B ... have
// no route left (dead: L1, L2)"; empty when none is.
std::string fault_cut(const Topology& topology, const std::vector<ChipId>& chips, const std::string& what);

// Calls fail_with(reason) if a switch level's port count cannot hold its
// members in two layers (leaf/spine).
void check_switch_ports(const TierLevel& level, const std::function<void(const std::string&)>& fail_with);

// Whether `text` is a platform written as a string rather than a file name:
// KIND:XxYxZ:BANDWIDTH[:LATENCY] with KIND torus, mesh or ring, e.g.
// "torus:8x8x16:90GBps:1us" (latency 1us if left out). It names no file, so
// it is never resolved against a folder and is its own key.
bool is_platform_string(const std::string& text);

// Loads a platform file: "*.xml" is a SimGrid platform (loaded by SimGrid in
// the replay), anything else a moesim platform YAML; or a platform string
// (is_platform_string), the torus its YAML would give. Throws InputError.
PlatformSpec load_platform_spec(const std::string& path);

// The chips, links and routes of a generated (YAML) platform.
Topology build_topology(const PlatformSpec& spec);

// Scales the bandwidth (sets the latency) of every link of each class the
// calibration names, in a topology built without them; a class no link has
// is an InputError naming the classes there.
void apply_link_calibration(Topology& topology, const Calibration& calibration);

// A calibration's knobs in one line ("efficiency nic 0.895; start-ups
// 33.6 / 32.5 us; ..."), "none" when it has none.
std::string calibration_knobs(const Calibration& calibration);

// The bytes a generated platform's route table takes once built, estimated
// from its sizes alone (0 for SimGrid XML, which only SimGrid reads).
double route_table_bytes(const PlatformSpec& spec);

// The number of chips of a generated platform, without building it
// (nullopt for SimGrid XML, which only SimGrid reads).
std::optional<std::uint64_t> platform_chips(const PlatformSpec& spec);

// The parameters the analytic engine uses, with topology defaults filled in:
// both bandwidths and the c2c latency.
CommParams resolved_comm_params(const PlatformSpec& spec, const Topology& topology);

// A SimGrid XML platform (version 4.1) with the same hosts, links and routes:
// one Full zone, split-duplex links, one explicit route per ordered pair.
std::string to_simgrid_xml(const Topology& topology);

}  // namespace moesim
