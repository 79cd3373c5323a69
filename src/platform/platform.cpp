// Platform YAML parsing, topology building and SimGrid XML export.
#include "moesim/platform.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "moesim/error.hpp"
#include "platform/graph_io.hpp"
#include "platform/tier6.hpp"
#include "util/format.hpp"
#include "util/process.hpp"
#include "util/units.hpp"
#include "util/yaml_util.hpp"

namespace moesim {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The generators a platform YAML's topology.kind names; a mesh and a ring are tori.
enum class TopologyKind { kTorus, kMesh, kRing, kTiers, kGpuCluster, kFatTree, kDragonfly };
constexpr EnumTable<TopologyKind, 7> kTopologyKindNames{{{TopologyKind::kTorus, "torus"},
                                                         {TopologyKind::kMesh, "mesh"},
                                                         {TopologyKind::kRing, "ring"},
                                                         {TopologyKind::kTiers, "tiers"},
                                                         {TopologyKind::kGpuCluster, "gpu_cluster"},
                                                         {TopologyKind::kFatTree, "fat_tree"},
                                                         {TopologyKind::kDragonfly, "dragonfly"}}};

std::string stem(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  auto dot = base.find_last_of('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

TorusSpec read_torus(const YamlMap& topo) {
  topo.allow_only({"kind", "dims", "bandwidth", "latency", "wraparound", "antipodal", "twisted", "routing"});
  TorusSpec spec;
  spec.dims = topo.positive_list("dims");
  if (spec.dims.empty() || spec.dims.size() > 3)
    topo.fail_at("dims", "expected 1 to 3 dimensions, got " + std::to_string(spec.dims.size()));
  // A bandwidth and a latency for every dimension, or one list with one per dimension.
  auto per_dim = [&](const char* key, bool bandwidth, double& all, std::vector<double>& each) {
    YAML::Node n = topo.node(key);
    if (!n.IsDefined() || !n.IsSequence()) {  // a missing key is the scalar's error
      all = bandwidth ? topo.bandwidth_Bps(key) : topo.time_s(key);
      return;
    }
    if (n.size() != spec.dims.size())
      topo.fail_at(key, "gives " + std::to_string(n.size()) + " values for " + std::to_string(spec.dims.size()) +
                            " dimensions");
    for (std::size_t d = 0; d < n.size(); ++d) {
      YAML::Node one;
      one[key] = n[d];
      YamlMap item(topo.doc(), one, topo.path());
      each.push_back(bandwidth ? item.bandwidth_Bps(key) : item.time_s(key));
    }
    all = each.front();
  };
  per_dim("bandwidth", true, spec.bandwidth_Bps, spec.dim_bandwidth_Bps);
  per_dim("latency", false, spec.latency_s, spec.dim_latency_s);
  spec.wraparound = topo.boolean_or("wraparound", spec.wraparound);
  spec.antipodal = topo.enum_or("antipodal", kAntipodalNames, spec.antipodal, "an antipodal routing");
  spec.twisted = topo.boolean_or("twisted", spec.twisted);
  if (spec.twisted && !twistable(spec.dims))
    topo.fail_at("twisted", "a twisted torus needs dimensions n and 2n (n x n x 2n, n x 2n x 2n, n x 2n), got " +
                                quote(topo.node("dims")));
  if (spec.twisted && !spec.wraparound) topo.fail_at("twisted", "a mesh has no wraparound links to twist");
  spec.routing = topo.enum_or("routing", kTorusRoutingNames, spec.routing, "a torus routing");
  if (spec.routing == TorusSpec::Routing::kShortestPath && spec.antipodal != TorusSpec::Antipodal::kPositive)
    topo.fail_at("antipodal", "applies to dimension-order routing only");
  return spec;
}

// A {bandwidth, latency} mapping.
void read_link(const YamlMap& parent, const char* key, double& bw, double& lat) {
  YamlMap m = parent.map(key);
  m.allow_only({"bandwidth", "latency"});
  bw = m.bandwidth_Bps("bandwidth");
  lat = m.time_s_or("latency", lat);
}

GpuClusterSpec read_gpu_cluster(const YamlMap& topo) {
  topo.allow_only({"kind", "nodes", "gpus_per_node", "nvlink", "nic"});
  GpuClusterSpec spec;
  spec.nodes = topo.positive("nodes");
  spec.gpus = topo.positive("gpus_per_node");
  read_link(topo, "nvlink", spec.nvlink_Bps, spec.nvlink_latency_s);
  // One node (an 8-GPU NVLink box) has no traffic between nodes: its NICs may be left out.
  if (topo.has("nic") || spec.nodes > 1) {
    if (!topo.has("nic"))
      topo.fail_at("nic", "missing key: " + std::to_string(spec.nodes) +
                              " nodes talk through their NICs (give nic: {bandwidth, latency}; only nodes: 1 may "
                              "leave it out)");
    read_link(topo, "nic", spec.nic_Bps, spec.nic_latency_s);
  }
  if (spec.nodes * spec.gpus > 65536) topo.fail_at("nodes", "nodes x gpus_per_node is more than 65536 chips");
  return spec;
}

FatTreeSpec read_fat_tree(const YamlMap& topo) {
  topo.allow_only({"kind", "k", "levels", "bandwidth", "latency", "oversubscription"});
  FatTreeSpec spec;
  spec.k = topo.positive("k");
  spec.levels = topo.positive("levels");
  double chips = 1;
  for (std::uint64_t l = 0; l < spec.levels; ++l) chips *= static_cast<double>(spec.k);
  if (chips > 65536) topo.fail_at("levels", "k^levels is more than 65536 chips");
  spec.bandwidth_Bps = topo.bandwidth_Bps("bandwidth");
  spec.latency_s = topo.time_s_or("latency", spec.latency_s);
  YAML::Node over = topo.node("oversubscription");
  if (over.IsDefined()) {
    if (!over.IsSequence() || over.size() + 1 != spec.levels)
      topo.fail_at("oversubscription", "expected a list of levels - 1 = " + std::to_string(spec.levels - 1) +
                                           " ratios, got " + quote(over));
    for (std::size_t i = 0; i < over.size(); ++i) {
      YAML::Node one;
      one["oversubscription"] = over[i];
      const double r = YamlMap(topo.doc(), one, topo.path()).number("oversubscription");
      if (!(r >= 1)) topo.fail_at("oversubscription", "ratios must be >= 1, got " + quote(over[i]));
      spec.oversubscription.push_back(r);
    }
  }
  return spec;
}

DragonflySpec read_dragonfly(const YamlMap& topo) {
  topo.allow_only({"kind", "groups", "routers_per_group", "chips_per_router", "global_links_per_router",
                   "terminal", "local", "global"});
  DragonflySpec spec;
  spec.groups = topo.positive("groups");
  spec.routers = topo.positive("routers_per_group");
  spec.chips = topo.positive("chips_per_router");
  spec.global = topo.positive("global_links_per_router");
  if (spec.groups > spec.routers * spec.global + 1)
    topo.fail_at("groups", std::to_string(spec.groups) + " groups need " + std::to_string(spec.groups - 1) +
                               " global links a group; " + std::to_string(spec.routers) + " routers x " +
                               std::to_string(spec.global) + " give " + std::to_string(spec.routers * spec.global));
  if (spec.groups * spec.routers * spec.chips > 65536) topo.fail_at("groups", "more than 65536 chips");
  read_link(topo, "terminal", spec.terminal_Bps, spec.terminal_latency_s);
  read_link(topo, "local", spec.local_Bps, spec.local_latency_s);
  read_link(topo, "global", spec.global_Bps, spec.global_latency_s);
  return spec;
}

}  // namespace

void check_switch_ports(const TierLevel& level, const std::function<void(const std::string&)>& fail_with) {
  const std::uint64_t ports = level.switch_ports;
  if (ports == 0 || level.count <= ports) return;
  if (ports < 2 || ports % 2 != 0)
    fail_with(std::to_string(level.count) + " members need a leaf/spine of switches with an even port count, got " +
              std::to_string(ports));
  const std::uint64_t leaves = (level.count + ports / 2 - 1) / (ports / 2);
  if (leaves > ports)
    fail_with(std::to_string(level.count) + " members need " + std::to_string(leaves) + " leaves of " +
              std::to_string(ports / 2) + " ports down, more than a " + std::to_string(ports) +
              "-port spine reaches (a third layer is not modelled)");
}

namespace {

TiersSpec read_tiers(const YamlMap& topo) {
  topo.allow_only({"kind", "levels"});
  TiersSpec spec;
  YAML::Node levels = topo.node("levels");
  if (!levels.IsDefined() || !levels.IsSequence() || levels.size() == 0)
    topo.fail_at("levels", "expected a non-empty list of levels (board, rack, pod, ...)");
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const std::string key = "levels[" + std::to_string(i) + "]";
    if (!levels[i].IsMap()) topo.fail_at("levels", key + " is not a mapping");
    YamlMap lv(topo.doc(), levels[i], topo.key_path(key));
    lv.allow_only({"name", "link_class", "count", "fabric", "uplink", "bandwidth", "latency", "switch_ports"});
    TierLevel level;
    level.name = lv.str("name");
    level.link_class = lv.str_or("link_class", level.link_class);
    level.count = lv.positive("count");
    level.fabric = lv.enum_or("fabric", kTierFabricNames, level.fabric, "a fabric");
    level.uplink = lv.enum_or("uplink", kTierUplinkNames, level.uplink, "an uplink");
    if (level.count > 1 || lv.has("bandwidth")) level.bandwidth_Bps = lv.bandwidth_Bps("bandwidth");
    level.latency_s = lv.time_s_or("latency", level.latency_s);
    if (lv.has("switch_ports")) {
      if (level.fabric != TierLevel::Fabric::kSwitch) lv.fail_at("switch_ports", "applies to a switch fabric only");
      level.switch_ports = lv.positive("switch_ports");
      check_switch_ports(level, [&](const std::string& what) { lv.fail_at("switch_ports", what); });
    }
    spec.levels.push_back(level);
  }
  return spec;
}

// A map of link class -> number, each checked by `bad` (which says what is wrong, or "").
std::map<std::string, double> class_numbers(const YamlMap& m, const std::string& what,
                                            const std::function<std::string(double)>& bad) {
  std::map<std::string, double> out;
  for (const std::string& cls : m.keys()) {
    const double v = m.number(cls);
    const std::string why = bad(v);
    if (!why.empty()) m.fail_at(cls, what + " " + quote(m.node(cls)) + " " + why);
    out[cls] = v;
  }
  return out;
}

// A cost for every message (peer): a number, or a map of link class -> number
// with `all` for the part every one pays.
SendCosts send_costs(const YamlMap& cal, const std::string& key, const SendCosts& fallback) {
  if (!cal.has(key)) return fallback;
  SendCosts out;
  auto at_least_0 = [](double v) { return v >= 0 && std::isfinite(v) ? "" : "is not 0 us or more"; };
  if (cal.node(key).IsMap()) {
    const YamlMap m = *cal.map_if(key);
    out.class_us = class_numbers(m, key, at_least_0);
    if (auto all = out.class_us.find("all"); all != out.class_us.end()) {
      out.all_us = all->second;
      out.class_us.erase(all);
    }
  } else {
    out.all_us = cal.non_negative_or(key, 0.0);
  }
  return out;
}

void read_calibration(const YamlMap& cal, const std::string& where, Calibration& c) {
  cal.allow_only({"efficiency", "latency_us", "startup_us", "min_us", "per_message_us", "per_peer_us", "message_bytes",
                  "fitted"});
  c.where = where;
  if (auto eff = cal.map_if("efficiency"))
    c.efficiency = class_numbers(*eff, "efficiency", [](double e) { return e > 0 && e <= 1 ? "" : "is not in (0, 1]"; });
  if (auto lat = cal.map_if("latency_us"))
    c.latency_us = class_numbers(*lat, "latency", [](double l) { return l >= 0 && std::isfinite(l) ? "" : "is not 0 us or more"; });
  if (auto st = cal.map_if("startup_us")) {
    st->allow_only({"dispatch", "combine", "allgather"});
    c.dispatch_startup_us = st->non_negative_or("dispatch", c.dispatch_startup_us);
    c.combine_startup_us = st->non_negative_or("combine", c.combine_startup_us);
    c.allgather_startup_us = st->non_negative_or("allgather", c.allgather_startup_us);
  }
  if (auto least = cal.map_if("min_us")) {
    least->allow_only({"dispatch", "combine", "allgather"});
    c.dispatch_min_us = least->non_negative_or("dispatch", c.dispatch_min_us);
    c.combine_min_us = least->non_negative_or("combine", c.combine_min_us);
    c.allgather_min_us = least->non_negative_or("allgather", c.allgather_min_us);
  }
  c.per_message_us = send_costs(cal, "per_message_us", c.per_message_us);
  c.per_peer_us = send_costs(cal, "per_peer_us", c.per_peer_us);
  c.message_bytes = cal.positive_or("message_bytes", c.message_bytes);
  c.fitted = cal.str_or("fitted", c.fitted);
}

// A chip's compute: dense TFLOP/s by dtype, HBM bandwidth, the fraction of
// each a kernel reaches, and where the figures come from.
void read_chip_compute(const YamlMap& m, const std::string& where, ChipCompute& c) {
  m.allow_only({"chip", "bf16_tflops", "fp8_tflops", "hbm", "flops_efficiency", "hbm_efficiency", "source"});
  c.where = where;
  c.bf16_flops = m.number("bf16_tflops") * 1e12;
  if (!(c.bf16_flops > 0) || !std::isfinite(c.bf16_flops)) m.fail_at("bf16_tflops", "is not above 0");
  c.fp8_flops = m.non_negative_or("fp8_tflops", 0.0) * 1e12;
  c.hbm_Bps = m.bandwidth_Bps("hbm");
  auto fraction = [&](const char* key) {
    const double f = m.number_or(key, 1.0);
    if (!(f > 0 && f <= 1)) m.fail_at(key, format("%g is not in (0, 1]", f));
    return f;
  };
  c.flops_efficiency = fraction("flops_efficiency");
  c.hbm_efficiency = fraction("hbm_efficiency");
  c.source = m.str_or("chip", "");
  const std::string source = m.str_or("source", "");
  if (!source.empty()) c.source += (c.source.empty() ? "" : "; ") + source;
}

// A latency under its name or under the older name Tier6 once wrote for it
// (Tier6-Model before v2.2.5: switch_delay_us, cable_delay_us).
double latency_or_older(const YamlMap& m, const char* key, const char* older, double fallback) {
  if (m.has(key) && m.has(older)) m.fail_at(older, std::string("gives the same latency as ") + key + "; keep one");
  return m.non_negative_or(m.has(older) ? older : key, fallback);
}

// A platform written as a string, KIND:DIMS:BANDWIDTH[:LATENCY]: what it must look like.
constexpr const char* kPlatformStringForm =
    "expected KIND:XxYxZ:BANDWIDTH[:LATENCY] (KIND torus, mesh or ring; 1 to 3 dimensions; a bandwidth with its "
    "unit such as 90GBps; LATENCY a time such as 1us, 1us if left out), e.g. torus:8x8x16:90GBps:1us";
constexpr double kPlatformStringLatency_s = 1e-6;  // the per-hop figure the shipped TPU platforms assume

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string::size_type start = 0;
  for (auto at = text.find(sep); at != std::string::npos; at = text.find(sep, start = at + 1))
    parts.push_back(text.substr(start, at - start));
  parts.push_back(text.substr(start));
  return parts;
}

std::string quoted(const std::string& text) { return "'" + text + "'"; }

std::optional<TopologyKind> string_kind(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  const auto kind = enum_parse(kTopologyKindNames, std::string_view(text).substr(0, colon));
  if (!kind || (*kind != TopologyKind::kTorus && *kind != TopologyKind::kMesh && *kind != TopologyKind::kRing))
    return std::nullopt;
  return kind;
}

// "torus:8x8x16:90GBps:1us" -> the torus a platform YAML with those keys gives.
PlatformSpec parse_platform_string(const std::string& text) {
  auto bad = [&](const std::string& what) { fail("platform", "", quoted(text) + ": " + what + "; " + kPlatformStringForm); };
  const std::vector<std::string> parts = split(text, ':');
  const TopologyKind kind = *string_kind(text);
  if (parts.size() < 3) bad("no link bandwidth");
  if (parts.size() > 4) bad("too many fields");
  PlatformSpec spec;
  spec.kind = PlatformSpec::Kind::kTorus;
  spec.path = text;
  spec.name = parts[0] + "-" + parts[1];
  double chips = 1;
  for (const std::string& d : split(parts[1], 'x')) {
    const auto k = parse_uint(d);
    if (!k || *k == 0) bad("dimension " + quoted(d) + " is not a positive integer");
    spec.torus.dims.push_back(*k);
    chips *= static_cast<double>(*k);
  }
  if (spec.torus.dims.size() > 3) bad(std::to_string(spec.torus.dims.size()) + " dimensions");
  if (kind == TopologyKind::kRing && spec.torus.dims.size() != 1)
    bad("a ring has one dimension, got " + std::to_string(spec.torus.dims.size()));
  if (chips > 65536) bad("more than 65536 chips");
  const auto bw = parse_bandwidth_Bps(parts[2]);
  if (!bw || !(*bw > 0))
    bad("link bandwidth " + quoted(parts[2]) + " is not a positive bandwidth with a unit (" + kBandwidthUnits + ")");
  spec.torus.bandwidth_Bps = *bw;
  spec.torus.latency_s = kPlatformStringLatency_s;
  if (parts.size() == 4) {
    const auto lat = parse_time_s(parts[3]);
    if (!lat || !(*lat >= 0))
      bad("link latency " + quoted(parts[3]) + " is not a non-negative time with a unit (" + kTimeUnits + ")");
    spec.torus.latency_s = *lat;
  }
  spec.torus.wraparound = kind != TopologyKind::kMesh;
  return spec;
}

}  // namespace

void read_comm_params(const YamlMap& m, CommParams& p) {
  m.allow_only({"bandwidth_utilization", "c2c_latency_us", "memory_read_latency_us", "memory_write_latency_us",
                "noc_latency_us", "die_to_die_latency_us", "switch_latency_us", "cable_latency_us",
                "cpu_fetch_delay_us", "inter_bw", "c2c_bw", "switch_delay_us", "cable_delay_us",
                // Tier6 writes these too; the closed form does not use them.
                "sync_latency_us", "rtt_tp_us", "rtt_ep_us", "allreduce_algorithm", "alltoall_algorithm",
                "enable_compute_comm_overlap", "network_efficiency"});
  p.bandwidth_utilization = m.number_or("bandwidth_utilization", p.bandwidth_utilization);
  if (!(p.bandwidth_utilization > 0 && p.bandwidth_utilization <= 1))
    m.fail_at("bandwidth_utilization", "must be in (0, 1], got " + quote(m.node("bandwidth_utilization")));
  if (m.has("c2c_latency_us")) p.c2c_latency_us = m.non_negative_or("c2c_latency_us", 0);
  p.memory_read_latency_us = m.non_negative_or("memory_read_latency_us", p.memory_read_latency_us);
  p.memory_write_latency_us = m.non_negative_or("memory_write_latency_us", p.memory_write_latency_us);
  p.noc_latency_us = m.non_negative_or("noc_latency_us", p.noc_latency_us);
  p.die_to_die_latency_us = m.non_negative_or("die_to_die_latency_us", p.die_to_die_latency_us);
  p.switch_latency_us = latency_or_older(m, "switch_latency_us", "switch_delay_us", p.switch_latency_us);
  p.cable_latency_us = latency_or_older(m, "cable_latency_us", "cable_delay_us", p.cable_latency_us);
  p.cpu_fetch_delay_us = m.non_negative_or("cpu_fetch_delay_us", p.cpu_fetch_delay_us);
  if (m.has("inter_bw")) p.inter_bw_Bps = m.bandwidth_Bps("inter_bw");
  if (m.has("c2c_bw")) p.c2c_bw_Bps = m.bandwidth_Bps("c2c_bw");
}

bool is_platform_string(const std::string& text) { return string_kind(text).has_value(); }

PlatformSpec load_platform_spec(const std::string& path) {
  if (is_platform_string(path)) return parse_platform_string(path);
  // "tours:8x8:45GBps": a string that names no file, meant as a platform string.
  if (path.find(':') != std::string::npos && !std::ifstream(path))
    fail("platform", "", quoted(path) + ": no such file, nor a platform string; " + kPlatformStringForm);
  PlatformSpec spec;
  spec.path = path;
  if (ends_with(path, ".xml")) {
    spec.kind = PlatformSpec::Kind::kXml;
    spec.name = stem(path);
    return spec;
  }
  if (ends_with(path, ".dot") || ends_with(path, ".gv") || ends_with(path, ".graphml")) {
    spec.kind = PlatformSpec::Kind::kGraph;
    spec.name = stem(path);
    spec.graph = ends_with(path, ".graphml") ? read_graphml(path) : read_dot(path);
    return spec;
  }
  YamlDoc doc = YamlDoc::load_file(path);
  if (is_tier6_topology(doc.root())) {
    spec.name = doc.root()["name"].IsScalar() ? doc.root()["name"].Scalar() : stem(path);
    read_tier6_topology(doc, spec);
    return spec;
  }
  YamlMap root(doc, doc.root(), "");
  root.allow_only({"name", "description", "topology", "comm_params", "calibration", "compute"});
  spec.name = root.str_or("name", stem(path));
  YamlMap topo = root.map("topology");
  switch (const TopologyKind kind = topo.enum_value("kind", kTopologyKindNames, "a topology kind")) {
    case TopologyKind::kTorus:
    case TopologyKind::kMesh:
    case TopologyKind::kRing:
      spec.kind = PlatformSpec::Kind::kTorus;
      spec.torus = read_torus(topo);
      if (kind == TopologyKind::kMesh) spec.torus.wraparound = false;
      if (kind == TopologyKind::kRing && spec.torus.dims.size() != 1)
        topo.fail_at("dims", "a ring has one dimension, got " + std::to_string(spec.torus.dims.size()));
      break;
    case TopologyKind::kGpuCluster:
      spec.kind = PlatformSpec::Kind::kGpuCluster;
      spec.gpu = read_gpu_cluster(topo);
      break;
    case TopologyKind::kFatTree:
      spec.kind = PlatformSpec::Kind::kFatTree;
      spec.fat_tree = read_fat_tree(topo);
      break;
    case TopologyKind::kDragonfly:
      spec.kind = PlatformSpec::Kind::kDragonfly;
      spec.dragonfly = read_dragonfly(topo);
      break;
    case TopologyKind::kTiers:
      spec.kind = PlatformSpec::Kind::kTiers;
      spec.tiers = read_tiers(topo);
      break;
  }
  if (auto cp = root.map_if("comm_params")) read_comm_params(*cp, spec.comm);
  if (auto cal = root.map_if("calibration")) read_calibration(*cal, root.where("calibration"), spec.calibration);
  if (auto c = root.map_if("compute")) read_chip_compute(*c, root.where("compute"), spec.compute);
  return spec;
}

void apply_link_calibration(Topology& t, const Calibration& c) {
  auto each_link = [&](const std::string& key, const std::string& cls, const std::function<void(Link&)>& set) {
    bool found = false;
    for (Link& l : t.links)
      if (l.link_class == cls) {
        set(l);
        found = true;
      }
    if (found) return;
    std::set<std::string> classes;
    for (const Link& l : t.links) classes.insert(l.link_class.empty() ? "(none)" : l.link_class);
    std::string list;
    for (const auto& k : classes) list += (list.empty() ? "" : ", ") + k;
    fail(c.where, "calibration." + key + "." + cls, "no link of class '" + cls + "' (classes here: " + list + ")");
  };
  for (const auto& [cls, e] : c.efficiency) each_link("efficiency", cls, [e = e](Link& l) { l.bandwidth_Bps *= e; });
  for (const auto& [cls, us] : c.per_message_us.class_us) each_link("per_message_us", cls, [](Link&) {});
  for (const auto& [cls, us] : c.per_peer_us.class_us) each_link("per_peer_us", cls, [](Link&) {});
  for (const auto& [cls, us] : c.latency_us)
    each_link("latency_us", cls, [us = us](Link& l) { l.latency_s = us * 1e-6; });
}

std::string calibration_knobs(const Calibration& c) {
  if (c.empty()) return "none";
  std::vector<std::string> parts;
  auto number = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return std::string(buf);
  };
  auto classes = [&](const char* what, const std::map<std::string, double>& m, const char* unit) {
    if (m.empty()) return;
    std::string p = what;
    for (const auto& [cls, v] : m) p += " " + cls + " " + number(v) + unit;
    parts.push_back(p);
  };
  auto phases = [&](const char* what, double d, double cb, double a) {
    if (d == 0 && cb == 0 && a == 0) return;
    parts.push_back(std::string(what) + " " + number(d) + " / " + number(cb) + (a ? " / " + number(a) : "") + " us");
  };
  classes("efficiency", c.efficiency, "");
  classes("latency", c.latency_us, " us");
  phases("start-ups", c.dispatch_startup_us, c.combine_startup_us, c.allgather_startup_us);
  phases("least times", c.dispatch_min_us, c.combine_min_us, c.allgather_min_us);
  if (!c.per_message_us.empty()) parts.push_back("a message " + c.per_message_us.describe());
  if (!c.per_peer_us.empty()) parts.push_back("a peer " + c.per_peer_us.describe());
  if (c.message_bytes) parts.push_back("messages of " + std::to_string(c.message_bytes) + " B at most");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// Bytes the routes of every ordered pair of chips take (8 B of offset and 4 B
// a link each, at the platform's average route length), estimated from its
// sizes before anything is built.
double route_table_bytes(const PlatformSpec& spec) {
  double chips = 1, hops = 4, kmax = 1;
  if (spec.kind == PlatformSpec::Kind::kTorus) {
    hops = 0;
    for (auto k : spec.torus.dims) {
      chips *= static_cast<double>(k);
      kmax = std::max(kmax, static_cast<double>(k));
      hops += static_cast<double>(k) / (spec.torus.wraparound ? 4.0 : 3.0);
    }
    hops = std::max(hops, 1.0);
    // Dimension order: runs of links per (chip, dimension, coordinate), not per pair.
    if (spec.torus.routing == TorusSpec::Routing::kDimensionOrder && !spec.torus.twisted)
      return chips * static_cast<double>(spec.torus.dims.size()) * kmax * (4 + 4 * kmax / 4);
  } else if (auto n = platform_chips(spec)) {
    chips = static_cast<double>(*n);
  } else {
    return 0;
  }
  return chips * chips * (8 + 4 * hops);
}

namespace {

// Refuses, in one line, a platform whose routes cannot fit in this machine's memory.
void check_route_memory(const PlatformSpec& spec) {
  const std::string beyond = beyond_memory(route_table_bytes(spec));
  if (!beyond.empty()) fail(spec.path, "topology", "its route table needs " + beyond + " (use a smaller platform)");
}

}  // namespace

namespace {

// Levenshtein distance, for the names nearest a misspelt one.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

namespace {

// The three names of `names` nearest `name`, comma-separated.
std::string nearest_names(const std::string& name, const std::vector<std::string>& names) {
  std::vector<std::pair<std::size_t, std::string>> near;
  std::set<std::string> seen;
  for (const std::string& n : names)
    if (!n.empty() && seen.insert(n).second) near.emplace_back(edit_distance(name, n), n);
  std::sort(near.begin(), near.end());
  std::string out;
  for (std::size_t i = 0; i < std::min<std::size_t>(3, near.size()); ++i) out += (i ? ", " : "") + near[i].second;
  return out;
}

// Whether link l is what fault f names: the link, its duplex, or a link at its node.
bool names_link(const LinkFault& f, const Link& l) {
  if (!f.node.empty()) return l.from == f.node || l.to == f.node;
  return l.name == f.link || (!l.duplex.empty() && l.duplex == f.link);
}

}  // namespace

void apply_link_faults(Topology& t, const std::vector<LinkFault>& faults) {
  for (const LinkFault& f : faults) {
    std::size_t hit = 0;
    for (Link& l : t.links)
      if (names_link(f, l)) {
        l.down = l.down || f.down;
        l.bandwidth_Bps *= f.bandwidth;
        l.latency_s += f.latency_us * 1e-6;
        ++hit;
      }
    if (hit) continue;
    if (!f.node.empty()) {
      std::vector<std::string> nodes = t.switches;
      nodes.insert(nodes.end(), t.chips.begin(), t.chips.end());
      fail(f.where, f.key + ".node",
           "'" + f.node + "' is not a switch or chip of platform " + t.name + " (nearest: " +
               nearest_names(f.node, nodes) + ")");
    }
    std::vector<std::string> names;
    for (const Link& l : t.links) {
      names.push_back(l.name);
      names.push_back(l.duplex);
    }
    fail(f.where, f.key + ".link",
         "'" + f.link + "' is not a link of platform " + t.name + " (nearest: " + nearest_names(f.link, names) + ")");
  }
}

std::vector<LinkFault> platform_faults(const PlatformSpec& spec, const Topology& topology) {
  std::vector<LinkFault> out = spec.faults;
  if (spec.fault_draw.given)
    for (LinkFault& f : drawn_faults(spec.fault_draw, topology)) out.push_back(std::move(f));
  return out;
}

Topology build_topology(const PlatformSpec& spec) {
  check_route_memory(spec);
  if (!spec.faults.empty() || spec.fault_draw.given) {
    PlatformSpec healthy = spec;
    healthy.faults.clear();
    healthy.fault_draw = FaultDraw{};
    Topology t = build_topology(healthy);
    apply_link_faults(t, platform_faults(spec, t));
    route_around_faults(t, spec);
    return t;
  }
  const Calibration& cal = spec.calibration;
  if (!cal.efficiency.empty() || !cal.latency_us.empty() || !cal.per_message_us.class_us.empty() ||
      !cal.per_peer_us.class_us.empty()) {
    PlatformSpec nominal = spec;
    nominal.calibration.efficiency.clear();
    nominal.calibration.latency_us.clear();
    nominal.calibration.per_message_us.class_us.clear();
    nominal.calibration.per_peer_us.class_us.clear();
    Topology t = build_topology(nominal);
    apply_link_calibration(t, spec.calibration);
    return t;
  }
  switch (spec.kind) {
    case PlatformSpec::Kind::kTorus:
      if (spec.torus.routing == TorusSpec::Routing::kShortestPath)
        return spec.torus.wraparound
                   ? route_translated(spec.name, torus_graph(spec.torus), kTranslatedShortestPathRouting,
                                      [&](std::size_t s, std::size_t c) { return torus_translate(spec.torus, s, c); })
                   : route_shortest_paths(spec.name, torus_graph(spec.torus), kShortestPathRouting);
      if (spec.torus.twisted) return route_twisted_dimension_order(spec.name, spec.torus);
      return make_torus(spec.name, spec.torus);
    case PlatformSpec::Kind::kFatTree:
      return route_shortest_paths(spec.name, fat_tree_graph(spec.fat_tree), kShortestPathRouting);
    case PlatformSpec::Kind::kDragonfly:
      return route_shortest_paths(spec.name, dragonfly_graph(spec.dragonfly), kShortestPathRouting);
    case PlatformSpec::Kind::kGraph: return route_shortest_paths(spec.name, spec.graph, kShortestPathRouting);
    case PlatformSpec::Kind::kTiers: return make_tiers(spec.name, spec.tiers);
    case PlatformSpec::Kind::kGpuCluster: return make_gpu_cluster(spec.name, spec.gpu);
    case PlatformSpec::Kind::kXml: break;
  }
  throw std::logic_error("build_topology: XML platforms are read by SimGrid");
}

std::optional<std::uint64_t> platform_chips(const PlatformSpec& spec) {
  std::uint64_t n = 1;
  switch (spec.kind) {
    case PlatformSpec::Kind::kTorus:
      for (auto k : spec.torus.dims) n *= k;
      return n;
    case PlatformSpec::Kind::kFatTree:
      for (std::uint64_t l = 0; l < spec.fat_tree.levels; ++l) n *= spec.fat_tree.k;
      return n;
    case PlatformSpec::Kind::kDragonfly:
      return spec.dragonfly.groups * spec.dragonfly.routers * spec.dragonfly.chips;
    case PlatformSpec::Kind::kGraph: return spec.graph.chips.size();
    case PlatformSpec::Kind::kTiers:
      for (const auto& level : spec.tiers.levels) n *= level.count;
      return n;
    case PlatformSpec::Kind::kGpuCluster: return spec.gpu.nodes * spec.gpu.gpus;
    case PlatformSpec::Kind::kXml: break;
  }
  return std::nullopt;
}

CommParams resolved_comm_params(const PlatformSpec& spec, const Topology& topology) {
  CommParams p = spec.comm;
  double chip_bw = topology.links.empty() ? 0 : topology.links.front().bandwidth_Bps;
  if (topology.num_chips() > 1) {  // the first hop out of chip 0
    auto r = topology.route(0, 1);
    if (!r.empty()) chip_bw = topology.links[*r.begin()].bandwidth_Bps;
  }
  double b2b_bw = 0, c2c_bw = 0;
  const Link* c2c = nullptr;
  for (const auto& l : topology.links) {
    if (l.link_class == "b2b" && b2b_bw == 0) b2b_bw = l.bandwidth_Bps;
    if (l.link_class == "c2c" && !c2c) c2c = &l;
  }
  if (c2c) c2c_bw = c2c->bandwidth_Bps;
  if (p.inter_bw_Bps == 0) p.inter_bw_Bps = b2b_bw > 0 ? b2b_bw : chip_bw;
  if (p.c2c_bw_Bps == 0) p.c2c_bw_Bps = c2c_bw > 0 ? c2c_bw : chip_bw;
  // Tier6: start_lat's c2c term is interconnect.links.c2c.latency_us, the c2c link's latency.
  if (!p.c2c_latency_us) p.c2c_latency_us = c2c ? c2c->latency_s * 1e6 : 0;
  return p;
}

std::string to_simgrid_xml(const Topology& t) {
  std::ostringstream out;
  out << "<?xml version='1.0'?>\n"
      << "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
      << "<!-- " << t.name << ": written by moesim platform --xml -->\n"
      << "<platform version=\"4.1\">\n"
      << "  <zone id=\"" << t.name << "\" routing=\"Full\">\n";
  for (const auto& c : t.chips) out << "    <host id=\"" << c << "\" speed=\"1Gf\"/>\n";
  for (const auto& l : t.links) {
    if (!l.duplex.empty() && !l.up) continue;
    out << "    <link id=\"" << (l.duplex.empty() ? l.name : l.duplex) << "\" bandwidth=\""
        << format_bandwidth(l.bandwidth_Bps) << "\" latency=\"" << format_time(l.latency_s) << "\"";
    if (!l.duplex.empty()) out << " sharing_policy=\"SPLITDUPLEX\"";
    if (l.sharing == Sharing::kFatpipe) out << " sharing_policy=\"FATPIPE\"";
    out << "/>\n";
  }
  for (std::size_t s = 0; s < t.num_chips(); ++s)
    for (std::size_t d = 0; d < t.num_chips(); ++d) {
      if (s == d) continue;
      out << "    <route src=\"" << t.chips[s] << "\" dst=\"" << t.chips[d] << "\" symmetrical=\"NO\">";
      for (LinkId id : t.route(static_cast<ChipId>(s), static_cast<ChipId>(d))) {
        const Link& l = t.links[id];
        if (l.duplex.empty())
          out << "<link_ctn id=\"" << l.name << "\"/>";
        else
          out << "<link_ctn id=\"" << l.duplex << "\" direction=\"" << (l.up ? "UP" : "DOWN") << "\"/>";
      }
      out << "</route>\n";
    }
  out << "  </zone>\n</platform>\n";
  return out.str();
}

}  // namespace moesim
