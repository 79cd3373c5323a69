// Invariants on random small scenarios (RapidCheck): every platform kind,
// algorithm, routing model, EP group layout, precision and message cost,
// checked against facts that do not come from the program's own output
// (the byte model, flow conservation, relabelling, monotonicity, the bound).
//
// A fixed-seed slice runs in CTest (RC_PARAMS="seed=1 max_success=N");
// the long run is `RC_PARAMS="max_success=100000" build/moesim_property_tests`.
// A failing case is shrunk to a minimal one and printed with its scenario.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "engine/bound.hpp"
#include "engine/fidelity_error.hpp"
#include "moesim/comm.hpp"
#include "moesim/engine.hpp"
#include "moesim/error.hpp"
#include "moesim/report.hpp"
#include "moesim/run.hpp"
#include "moesim/scenario.hpp"
#include "moesim/simulator.hpp"
#include "moesim/traffic.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

using namespace moesim;

namespace {

// ---------------------------------------------------------------------------
// Random cases

enum class Kind { kTorus, kMesh, kRing, kTwisted, kGpuCluster, kFatTree, kDragonfly, kTiers };
const char* const kKindNames[] = {"torus", "mesh", "ring", "twisted", "gpu_cluster", "fat_tree", "dragonfly", "tiers"};

struct Case {
  Kind kind = Kind::kTorus;
  std::vector<std::uint64_t> dims;  // tori, meshes, rings; gpu_cluster: nodes, gpus; fat_tree: k, levels;
                                    // dragonfly: groups, routers, chips a router, global links; tiers: counts
  double bandwidth_GBps = 45;       // every link class gets a multiple of it
  double latency_us = 1;
  std::uint64_t moe_tp = 1, ep = 2, ep_groups = 1;
  bool strided = false;
  std::uint64_t hidden = 512, experts_per_rank = 2, topk = 2, tokens_per_chip = 4;
  bool w8a8 = true;
  std::string routing = "uniform";
  bool dedup = true;
  std::string algorithm = "direct";
  double per_message_us = 0;
  std::uint64_t token_overhead = 0;
  std::uint64_t seed = 1;
  std::uint64_t chips = 0;  // of the platform
};

std::string join(const std::vector<std::uint64_t>& v, const char* sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

std::string gbps(double x) { return std::to_string(x) + "GBps"; }
std::string us(double x) { return std::to_string(x) + "us"; }

// The platform: a platform string or the text of a platform YAML.
std::string platform_text(const Case& c) {
  const std::string bw = gbps(c.bandwidth_GBps), lat = us(c.latency_us);
  switch (c.kind) {
    case Kind::kTorus: return "torus:" + join(c.dims, "x") + ":" + bw + ":" + lat;
    case Kind::kMesh: return "mesh:" + join(c.dims, "x") + ":" + bw + ":" + lat;
    case Kind::kRing: return "ring:" + join(c.dims, "x") + ":" + bw + ":" + lat;
    case Kind::kTwisted:
      return "name: twisted\ntopology: {kind: torus, dims: [" + join(c.dims, ", ") + "], twisted: true, bandwidth: " +
             bw + ", latency: " + lat + "}\n";
    case Kind::kGpuCluster:
      return "name: gpus\ntopology: {kind: gpu_cluster, nodes: " + std::to_string(c.dims[0]) +
             ", gpus_per_node: " + std::to_string(c.dims[1]) + ", nvlink: {bandwidth: " + gbps(8 * c.bandwidth_GBps) +
             ", latency: " + lat + "}, nic: {bandwidth: " + bw + ", latency: " + us(2 * c.latency_us) + "}}\n";
    case Kind::kFatTree:
      return "name: ft\ntopology: {kind: fat_tree, k: " + std::to_string(c.dims[0]) +
             ", levels: " + std::to_string(c.dims[1]) + ", bandwidth: " + bw + ", latency: " + lat + "}\n";
    case Kind::kDragonfly:
      return "name: df\ntopology: {kind: dragonfly, groups: " + std::to_string(c.dims[0]) +
             ", routers_per_group: " + std::to_string(c.dims[1]) + ", chips_per_router: " +
             std::to_string(c.dims[2]) + ", global_links_per_router: " + std::to_string(c.dims[3]) +
             ", terminal: {bandwidth: " + gbps(4 * c.bandwidth_GBps) + ", latency: " + lat +
             "}, local: {bandwidth: " + gbps(2 * c.bandwidth_GBps) + ", latency: " + lat +
             "}, global: {bandwidth: " + bw + ", latency: " + us(2 * c.latency_us) + "}}\n";
    case Kind::kTiers:
      return "name: tiers\ntopology:\n  kind: tiers\n  levels:\n"
             "    - {name: board, link_class: c2c, count: " + std::to_string(c.dims[0]) +
             ", fabric: full_mesh, bandwidth: " + gbps(4 * c.bandwidth_GBps) + ", latency: " + lat + "}\n"
             "    - {name: rack, link_class: b2b, count: " + std::to_string(c.dims[1]) +
             ", fabric: full_mesh, bandwidth: " + bw + ", latency: " + us(2 * c.latency_us) + ", uplink: direct}\n";
  }
  return "";
}

// The scenario's YAML; `placement`: an explicit group_placement (host lists), else the case's.
std::string scenario_text(const Case& c, const std::string& platform, const std::string& placement = "") {
  std::ostringstream s;
  s << "name: property\nplatform: " << platform << "\n"
    << "model: {hidden_dim: " << c.hidden << ", num_experts: " << c.ep * c.experts_per_rank << ", topk: " << c.topk
    << ", moe_layers: 2}\n"
    << "deployment: {tokens_per_chip: " << c.tokens_per_chip << ", ep: " << c.ep << ", moe_tp: " << c.moe_tp
    << ", groups: " << c.ep_groups << ", group_placement: "
    << (!placement.empty() ? placement : c.strided ? "strided" : "contiguous") << "}\n"
    << "precision: " << (c.w8a8 ? "W8A8" : "W16A16") << "\n"
    << "seed: " << c.seed << "\n"
    << "traffic: {routing: " << c.routing << ", dedup: " << (c.dedup ? "true" : "false")
    << (c.routing == "hotspot" ? ", hot_experts: [0], hot_share: 0.5" : "") << "}\n"
    << "comm: {algorithm: " << c.algorithm << ", per_message_us: " << c.per_message_us
    << ", token_overhead_bytes: " << c.token_overhead << "}\n";
  return s.str();
}

std::ostream& operator<<(std::ostream& os, const Case& c) {
  const std::string p = platform_text(c);
  return os << "platform (" << kKindNames[static_cast<int>(c.kind)] << "):\n"
            << p << (p.back() == '\n' ? "" : "\n") << scenario_text(c, "<the platform>");
}

rc::Gen<std::vector<std::uint64_t>> gen_dims(Kind k) {
  using namespace rc;
  switch (k) {
    case Kind::kTorus:
    case Kind::kMesh:
      return gen::mapcat(gen::inRange<std::size_t>(1, 4), [](std::size_t n) {
        return gen::container<std::vector<std::uint64_t>>(n, gen::inRange<std::uint64_t>(2, 5));
      });
    case Kind::kRing: return gen::map(gen::inRange<std::uint64_t>(2, 9), [](std::uint64_t n) {
        return std::vector<std::uint64_t>{n};
      });
    case Kind::kTwisted:
      return gen::element(std::vector<std::uint64_t>{2, 4}, std::vector<std::uint64_t>{2, 2, 4},
                          std::vector<std::uint64_t>{2, 4, 4}, std::vector<std::uint64_t>{4, 8});
    case Kind::kGpuCluster:
      return gen::map(gen::pair(gen::element<std::uint64_t>(1, 2, 4), gen::element<std::uint64_t>(2, 4)),
                      [](std::pair<std::uint64_t, std::uint64_t> p) { return std::vector<std::uint64_t>{p.first, p.second}; });
    case Kind::kFatTree: return gen::element(std::vector<std::uint64_t>{4, 3}, std::vector<std::uint64_t>{2, 3});
    case Kind::kDragonfly:
      return gen::element(std::vector<std::uint64_t>{3, 2, 2, 1}, std::vector<std::uint64_t>{5, 2, 1, 2},
                          std::vector<std::uint64_t>{3, 2, 1, 1});
    case Kind::kTiers:
      return gen::container<std::vector<std::uint64_t>>(2, gen::element<std::uint64_t>(2, 4));
  }
  return gen::just(std::vector<std::uint64_t>{2});
}

// Divisors of n, 1 included.
std::vector<std::uint64_t> divisors(std::uint64_t n) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t d = 1; d <= n; ++d)
    if (n % d == 0) out.push_back(d);
  return out;
}

// The platform's chips, from its file.
std::uint64_t case_chips(const Case& c) {
  const std::string text = platform_text(c);
  if (text.find('\n') == std::string::npos) return build_topology(load_platform_spec(text)).num_chips();
  TempDir dir("moesim-property");
  std::ofstream(dir.file("p.yaml")) << text;
  return build_topology(load_platform_spec(dir.file("p.yaml"))).num_chips();
}

rc::Gen<Case> gen_case() {
  using namespace rc;
  return gen::exec([] {
    Case c;
    c.kind = *gen::element(Kind::kTorus, Kind::kMesh, Kind::kRing, Kind::kTwisted, Kind::kGpuCluster, Kind::kFatTree,
                           Kind::kDragonfly, Kind::kTiers);
    c.dims = *gen_dims(c.kind);
    c.bandwidth_GBps = *gen::element(10.0, 25.0, 45.0, 100.0);
    c.latency_us = *gen::element(0.0, 0.1, 1.0, 2.5);
    const std::uint64_t chips = c.chips = case_chips(c);
    c.moe_tp = *gen::element<std::uint64_t>(1, 1, 2);
    if (chips % c.moe_tp != 0 || chips < 2 * c.moe_tp) c.moe_tp = 1;
    std::vector<std::uint64_t> eps;
    for (auto d : divisors(chips / c.moe_tp))
      if (d >= 2 || c.moe_tp > 1) eps.push_back(d);
    c.ep = *gen::elementOf(eps);
    const std::uint64_t most = chips / (c.ep * c.moe_tp);
    c.ep_groups = *gen::inRange<std::uint64_t>(1, std::min<std::uint64_t>(most, 3) + 1);
    c.strided = *gen::arbitrary<bool>();
    c.hidden = *gen::element<std::uint64_t>(64, 256, 1000, 7168);
    c.experts_per_rank = *gen::element<std::uint64_t>(1, 2, 4);
    c.topk = *gen::inRange<std::uint64_t>(1, std::min<std::uint64_t>(8, c.ep * c.experts_per_rank) + 1);
    c.tokens_per_chip = *gen::inRange<std::uint64_t>(1, 33);
    c.w8a8 = *gen::arbitrary<bool>();
    c.routing = *gen::element<std::string>("uniform", "random", "zipf", "hotspot");
    c.dedup = *gen::element(true, true, false);
    const bool torus = c.kind == Kind::kTorus || c.kind == Kind::kMesh || c.kind == Kind::kRing;
    std::vector<std::string> algorithms{"direct", "per_expert"};
    if (c.routing != "uniform" && c.dedup && (c.kind == Kind::kGpuCluster || c.kind == Kind::kTiers))
      algorithms.push_back("node_dedup");
    if (torus && !c.strided) algorithms.push_back("dimension_ordered");
    c.algorithm = *gen::elementOf(algorithms);
    c.per_message_us = *gen::element(0.0, 0.0, 0.3);
    c.token_overhead = *gen::element<std::uint64_t>(0, 0, 96);
    c.seed = *gen::inRange<std::uint64_t>(1, 1000);
    return c;
  });
}

}  // namespace

namespace rc {
template <>
struct Arbitrary<Case> {
  static Gen<Case> arbitrary() { return gen_case(); }
};
}  // namespace rc

namespace {

// ---------------------------------------------------------------------------
// Running a case

// The case's files in a private folder, removed with it.
struct CaseFiles {
  TempDir dir{"moesim-property"};
  std::string platform, scenario;
  explicit CaseFiles(const Case& c, const std::string& placement = "") {
    platform = platform_text(c);
    if (platform.find('\n') != std::string::npos) {
      std::ofstream(dir.file("platform.yaml")) << platform;
      platform = dir.file("platform.yaml");
    }
    scenario = dir.file("scenario.yaml");
    std::ofstream(scenario) << scenario_text(c, platform, placement);
  }
};

// The case as a Scenario, or a discarded case when it is not a valid one
// (a group that is not a sub-grid for dimension_ordered, say): refusing it
// with an InputError is the program's contract, checked by its own tests.
Scenario load_or_discard(const CaseFiles& f, const std::vector<std::string>& overrides = {}) {
  try {
    return load_scenario(f.scenario, overrides);
  } catch (const InputError& e) {
    RC_DISCARD(std::string("not a valid scenario: ") + e.what());
    throw;
  }
}

RunReport run_core(const Scenario& s, const Topology& t) {
  try {
    return run_scenario(s, t, *make_core_engine(s, t));
  } catch (const InputError& e) {
    RC_DISCARD(std::string("refused: ") + e.what());
    throw;
  }
}

bool close(double a, double b, double rel = 1e-9) { return std::fabs(a - b) <= rel * std::max({std::fabs(a), std::fabs(b), 1e-9}); }

// Per chip, bytes in minus bytes out over a phase's stages (index: ChipId),
// the bytes kept on a chip counted as in.
std::vector<double> net_inflow(const Phase& ph, std::size_t chips) {
  std::vector<double> net(chips, 0.0);
  for (const Stage& s : ph.stages())
    for (const Flow& f : s.flows) {
      net[f.dst] += static_cast<double>(f.bytes);
      net[f.src] -= static_cast<double>(f.bytes);
    }
  return net;
}

// ---------------------------------------------------------------------------
// The invariants of one case on the core engines.

void check_bytes(const Case& c, const Scenario& s, const Topology& t) {
  const LayerTraffic traffic = first_layer_traffic(s, t);
  const LayerBytes model = layer_bytes(s.byte_model_input());
  const std::uint64_t n = c.ep * c.moe_tp * c.ep_groups;
  for (const Phase& ph : traffic.phases) {
    RC_ASSERT(!ph.stages().empty());
    for (const Stage& st : ph.stages()) {
      RC_ASSERT(st.kind == ph.kind());
      std::uint64_t sum = 0;
      for (const Flow& f : st.flows) {
        RC_ASSERT(f.src != f.dst);
        RC_ASSERT(f.bytes > 0u);
        sum += f.bytes;
      }
      RC_ASSERT(sum == st.network_bytes);
      // Network bytes are each flow's bytes on every link of its route.
      std::vector<double> load(t.links.size(), 0.0);
      double expected = 0;
      bool fatpipe = false;
      for (const Flow& f : st.flows) {
        const auto route = t.route(f.src, f.dst);
        expected += static_cast<double>(f.bytes) * static_cast<double>(route.size());
        for (LinkId l : route) fatpipe |= t.links[l].sharing == Sharing::kFatpipe;
      }
      if (!fatpipe) {
        double got = 0;
        for (double b : link_loads(t, st)) got += b;
        RC_ASSERT(close(got, expected));
      }
    }
  }
  // The specification's byte model, where every token copy is sent once:
  // each chip receives dispatch_bytes (combine_bytes), on average over the
  // group when the routing draws, exactly when the shares are uniform.
  const bool every_copy = c.routing == "uniform" || !c.dedup || c.algorithm == "per_expert";
  const bool exact = c.token_overhead == 0 && c.hidden % c.moe_tp == 0 &&
                     (c.tokens_per_chip * c.ep * c.moe_tp * c.topk) % c.ep == 0;
  const Phase* dispatch = traffic.phase(PhaseKind::kDispatch);
  const Phase* combine = traffic.phase(PhaseKind::kCombine);
  RC_ASSERT(dispatch && combine);
  if (every_copy && exact && (c.algorithm == "direct" || c.algorithm == "per_expert")) {
    RC_ASSERT(dispatch->network_bytes() + dispatch->local_bytes() == n * model.dispatch_bytes);
    RC_ASSERT(combine->network_bytes() + combine->local_bytes() == n * model.combine_bytes);
  }
  if (c.algorithm != "direct" && c.algorithm != "per_expert") {
    const Scenario direct = load_scenario(s.path, {"comm.algorithm=direct"});
    const LayerTraffic d = first_layer_traffic(direct, t);
    for (PhaseKind k : {PhaseKind::kDispatch, PhaseKind::kCombine}) {
      const Phase &ours = *traffic.phase(k), &theirs = *d.phase(k);
      if (c.algorithm == "dimension_ordered") {
        // Bytes are forwarded, never copied: each chip ends the phase with
        // what the direct exchange gives it.
        const std::vector<double> a = net_inflow(ours, t.num_chips()), b = net_inflow(theirs, t.num_chips());
        for (std::size_t i = 0; i < a.size(); ++i) RC_ASSERT(close(a[i], b[i]));
      } else {
        // node_dedup copies a token at the node it crossed to: the dispatch's
        // intra-node stage (its last) delivers what the direct exchange
        // delivers, and its inter-node stage carries no more than the direct
        // exchange; the combine retraces it (its first stage the intra-node one).
        RC_ASSERT(ours.stages().size() == 2u);
        const bool dispatch = k == PhaseKind::kDispatch;
        const Stage& intra = dispatch ? ours.stages().back() : ours.stages().front();
        const Stage& inter = dispatch ? ours.stages().front() : ours.stages().back();
        RC_ASSERT(intra.network_bytes + intra.local_bytes == theirs.network_bytes() + theirs.local_bytes());
        RC_ASSERT(inter.network_bytes <= theirs.network_bytes());
      }
    }
  }
}

std::map<PhaseKind, double> phase_times(const LayerResult& l) {
  return {{PhaseKind::kDispatch, l.phase_us(PhaseKind::kDispatch)},
          {PhaseKind::kCombine, l.phase_us(PhaseKind::kCombine)},
          {PhaseKind::kAllgather, l.phase_us(PhaseKind::kAllgather)}};
}

void check_same_times(const RunReport& a, const RunReport& b, double rel = 1e-9) {
  RC_ASSERT(a.layers.size() == b.layers.size());
  for (std::size_t l = 0; l < a.layers.size(); ++l)
    for (const auto& [k, t] : phase_times(a.layers[l])) RC_ASSERT(close(t, phase_times(b.layers[l])[k], rel));
}

// Groups listed the other way round: the same layer, each group's own time
// moved with it. Under uniform shares only: a routing draw belongs to the
// group's index (its own random stream), so listing groups otherwise gives
// each chip set another group's draw.
void check_group_order(const Case& c, const Scenario& s, const Topology& t, const RunReport& bound) {
  if (c.ep_groups < 2 || c.routing != "uniform") return;
  std::vector<std::vector<ChipId>> groups = group_chips(s, t);
  std::string lists = "[";
  for (std::size_t g = groups.size(); g-- > 0;) {
    lists += "[";
    for (std::size_t i = 0; i < groups[g].size(); ++i) lists += (i ? ", " : "") + t.chips[groups[g][i]];
    lists += g ? "], " : "]";
  }
  lists += "]";
  CaseFiles f(c, lists);
  const Scenario r = load_or_discard(f, {"engine=bound"});
  const RunReport other = run_core(r, t);
  check_same_times(bound, other);
  const std::size_t G = groups.size();
  for (std::size_t l = 0; l < bound.layers.size(); ++l)
    for (PhaseKind k : {PhaseKind::kDispatch, PhaseKind::kCombine})
      for (std::size_t g = 0; g < G; ++g)
        RC_ASSERT(close(bound.layers[l].group_phase_us(k, g), other.layers[l].group_phase_us(k, G - 1 - g)));
}

// A torus with wraparound is the same from every chip: the groups moved by
// one chip along dimension x give the same times (dimension-order routes
// are translation invariant).
void check_translation(const Case& c, const Scenario& s, const Topology& t, const RunReport& bound) {
  if (c.kind != Kind::kTorus && c.kind != Kind::kRing) return;
  if (c.algorithm == "node_dedup") return;  // nodes are runs of chip ids, which a move changes
  const std::uint64_t x = c.dims[0];
  std::string lists = "[";
  const std::vector<std::vector<ChipId>> groups = group_chips(s, t);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    lists += g ? ", [" : "[";
    for (std::size_t i = 0; i < groups[g].size(); ++i) {
      const ChipId id = groups[g][i];
      const ChipId moved = static_cast<ChipId>(id - id % x + (id % x + 1) % x);
      lists += (i ? ", " : "") + t.chips[moved];
    }
    lists += "]";
  }
  lists += "]";
  CaseFiles f(c, lists);
  check_same_times(bound, run_core(load_or_discard(f, {"engine=bound"}), t), 1e-6);
}

// Twice the bandwidth on every link is never slower.
void check_bandwidth(Case c, const RunReport& bound) {
  c.bandwidth_GBps *= 2;
  CaseFiles f(c);
  const Scenario s = load_or_discard(f, {"engine=bound"});
  const RunReport faster = run_core(s, build_topology(s.platform));
  for (std::size_t l = 0; l < bound.layers.size(); ++l)
    for (const auto& [k, us] : phase_times(faster.layers[l])) RC_ASSERT(us <= phase_times(bound.layers[l])[k] * (1 + 1e-9));
}

// The analytic engine prices a phase's bytes; no algorithm changes them.
void check_analytic(const CaseFiles& f, const Topology& t) {
  const RunReport a = run_core(load_or_discard(f, {"engine=analytic"}), t);
  const RunReport d = run_core(load_or_discard(f, {"engine=analytic", "comm.algorithm=direct"}), t);
  check_same_times(a, d, 0);
  // One result per phase, explained against the whole phase's bound when it moves bytes.
  for (const LayerResult& l : a.layers)
    for (const PhaseResult& p : l.phases) {
      RC_ASSERT(p.stage_index == 0u);
      RC_ASSERT(p.has_bottleneck == (p.network_bytes > 0));
    }
}

// Symmetric traffic with no latency and no message cost: the combine takes
// its dtype's share longer than the dispatch.
void check_dtype_ratio(const Case& c, const RunReport& bound) {
  if (c.routing != "uniform" || c.algorithm != "direct" || c.latency_us != 0 || c.per_message_us != 0 ||
      c.token_overhead != 0 || c.hidden % c.moe_tp != 0 || bound.bytes.dispatch_bytes < 1000000)
    return;
  const double ratio = c.w8a8 ? 2.0 : 1.0;
  const LayerResult& l = bound.layers[0];
  RC_ASSERT(close(l.phase_us(PhaseKind::kCombine), ratio * l.phase_us(PhaseKind::kDispatch), 1e-4));
}

}  // namespace

TEST_CASE("invariants of random scenarios on the core engines", "[property]") {
  rc::prop("bytes, bound, analytic, relabelling, monotonicity", [](const Case& c) {
    RC_TAG(kKindNames[static_cast<int>(c.kind)]);
    RC_CLASSIFY(c.algorithm != "direct", "multi-stage or per_expert");
    CaseFiles f(c);
    const Scenario s = load_or_discard(f, {"engine=bound"});
    const Topology t = build_topology(s.platform);
    const RunReport bound = run_core(s, t);
    for (const LayerResult& l : bound.layers)
      for (const PhaseResult& p : l.phases) RC_ASSERT(std::isfinite(p.latency_us) && p.latency_us >= 0);
    check_same_times(bound, run_core(s, t), 0);  // determinism
    check_bytes(c, s, t);
    check_analytic(f, t);
    check_group_order(c, s, t, bound);
    check_translation(c, s, t, bound);
    check_bandwidth(c, bound);
    check_dtype_ratio(c, bound);
  });
}

TEST_CASE("two chips: latency plus bytes over bandwidth", "[property]") {
  rc::prop("a flow alone is exact", [] {
    const double bw = *rc::gen::inRange(1, 1000) * 1e9, lat = *rc::gen::inRange(0, 5000) * 1e-9;
    const std::uint64_t bytes = *rc::gen::inRange<std::uint64_t>(1, 1ull << 34);
    const Topology t = make_torus("pair", TorusSpec{{2}, bw, lat});
    const Stage st = make_stage(TrafficMatrix{2, {0, bytes, 0, 0}}, {0, 1});
    RC_ASSERT(close(bound_phase(t, st).latency_us, (lat + static_cast<double>(bytes) / bw) * 1e6, 1e-12));
  });
}

// ---------------------------------------------------------------------------
// The SimGrid replays, one forked child per run (SimGrid allows one engine a
// process): each stage at or above its bound under both fidelities, the
// fast fidelity near the reference, the same answer with any -j.

namespace {

// The largest ptask error seen, by kind of routing: printed after the run.
std::map<std::string, double>& worst_ptask_error() {
  static std::map<std::string, double> worst;
  return worst;
}

RunReport replay(const Scenario& s, std::size_t jobs) {
  std::string out;
  try {
    run_forked(
      1, 1,
      [&](std::size_t) {
        RunReport r = run_scenario_with_simgrid(s, RunControl{jobs, false});
        return to_json(r).dump();
      },
      [&](std::size_t, std::string&& bytes) { out = std::move(bytes); }, "replay");
  } catch (const InputError& e) {
    RC_DISCARD(std::string("refused: ") + e.what());
  }
  RunReport r;
  const nlohmann::json j = nlohmann::json::parse(out);
  for (const auto& l : j["layers"]) {
    LayerResult lr;
    for (const auto& p : l["phases"]) {
      PhaseResult pr;
      pr.kind = *enum_parse(kPhaseNames, p["phase"].get<std::string>());
      pr.latency_us = p["latency_us"].get<double>();
      pr.network_bytes = p["network_bytes"].get<std::uint64_t>();
      if (p.contains("bottleneck")) {
        pr.has_bottleneck = true;
        pr.bottleneck.bound_us = p["bottleneck"]["bound_us"].get<double>();
      }
      lr.phases.push_back(pr);
    }
    r.layers.push_back(lr);
  }
  return r;
}

}  // namespace

TEST_CASE("invariants of random scenarios under the SimGrid replays", "[property][replay]") {
  rc::prop("replay at or above its bound, ptask near flow, any -j", [](const Case& c) {
    RC_PRE(c.chips <= 64);
    RC_TAG(kKindNames[static_cast<int>(c.kind)]);
    CaseFiles f(c);
    const Scenario flow = load_or_discard(f, {"engine=simgrid", "simgrid.fidelity=flow", "model.moe_layers=1"});
    const Scenario ptask = load_or_discard(f, {"engine=simgrid", "simgrid.fidelity=ptask", "model.moe_layers=1"});
    const RunReport a = replay(flow, 1), b = replay(ptask, 1);
    for (const RunReport* r : {&a, &b})
      for (const LayerResult& l : r->layers)
        for (const PhaseResult& p : l.phases) {
          RC_ASSERT(p.has_bottleneck == (p.network_bytes > 0));
          if (p.has_bottleneck) RC_ASSERT(p.latency_us >= p.bottleneck.bound_us * (1 - 1e-9));
        }
    // The report's statement of ptask's error is this tolerance (engine/fidelity_error).
    // With a per-message cost the report says the error is not bounded: recorded, not asserted.
    const FidelityError stated = ptask_error(c.routing, CommAlgorithm::kDirect, c.ep * c.moe_tp, c.per_message_us > 0);
    RC_ASSERT(stated.measured == (c.per_message_us == 0));
    for (PhaseKind k : {PhaseKind::kDispatch, PhaseKind::kCombine}) {
      const double flow_us = a.layers[0].phase_us(k), error = std::fabs(b.layers[0].phase_us(k) - flow_us) / flow_us;
      if (flow_us <= 0) continue;
      double& worst = worst_ptask_error()[!stated.measured           ? "a per-message cost"
                                          : c.routing == "uniform" ? "uniform shares"
                                                                   : "drawn routing"];
      worst = std::max(worst, error);
      if (stated.measured) RC_ASSERT(error <= stated.max_error);
    }
    check_same_times(a, replay(flow, 2), 0);
    // One link a task (simgrid.ptask_max_links=1): at or above the bound,
    // within the stated error, and replaying only the links that may decide
    // a time gives the times of replaying every link.
    const Scenario per_link = load_or_discard(
        f, {"engine=simgrid", "simgrid.fidelity=ptask", "model.moe_layers=1", "simgrid.ptask_max_links=1"});
    const RunReport one = replay(per_link, 1);
    for (const LayerResult& l : one.layers)
      for (const PhaseResult& p : l.phases)
        if (p.has_bottleneck) RC_ASSERT(p.latency_us >= p.bottleneck.bound_us * (1 - 1e-9));
    for (PhaseKind k : {PhaseKind::kDispatch, PhaseKind::kCombine}) {
      const double flow_us = a.layers[0].phase_us(k);
      if (flow_us > 0 && stated.measured) RC_ASSERT(std::fabs(one.layers[0].phase_us(k) - flow_us) / flow_us <= stated.max_error);
    }
    setenv("MOESIM_PTASK_EVERY_LINK", "1", 1);
    const RunReport every = replay(per_link, 1);
    unsetenv("MOESIM_PTASK_EVERY_LINK");
    check_same_times(one, every);
  });
  for (const auto& [routing, error] : worst_ptask_error())
    std::cout << "ptask against flow (" << routing << "): at most " << 100 * error << "%\n";
}
