// Runs one scenario through the chosen engine.
#include "moesim/run.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <thread>

#include "engine/analytic.hpp"
#include "engine/bound.hpp"
#include "engine/explain.hpp"
#include "engine/fidelity_error.hpp"
#include "engine/overlap.hpp"
#include "engine/run_parts.hpp"
#include "moesim/error.hpp"
#include "moesim/routing.hpp"
#include "platform/analysis.hpp"
#include "util/format.hpp"
#include "util/parallel.hpp"
#include "util/process.hpp"
#include "util/progress.hpp"

namespace moesim {
namespace {

bool same_flows(const std::vector<Flow>& x, const std::vector<Flow>& y) {
  if (x.size() != y.size()) return false;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i].src != y[i].src || x[i].dst != y[i].dst || x[i].bytes != y[i].bytes || x[i].group != y[i].group ||
        x[i].messages != y[i].messages)
      return false;
  return true;
}

// Flow by flow, the chips' own shares too (an export writes them).
bool same_traffic(const LayerTraffic& a, const LayerTraffic& b) {
  const std::vector<const Stage*> sa = a.stages(), sb = b.stages();
  if (sa.size() != sb.size()) return false;
  for (std::size_t p = 0; p < sa.size(); ++p) {
    if (sa[p]->kind != sb[p]->kind || sa[p]->index != sb[p]->index || sa[p]->name != sb[p]->name ||
        !same_flows(sa[p]->flows, sb[p]->flows) || !same_flows(sa[p]->kept, sb[p]->kept))
      return false;
  }
  return true;
}

// The node of each chip of a group (nodes of node_chips consecutive chip
// ids), numbered from 0 in order of first appearance; all 0 without nodes.
std::vector<std::uint32_t> group_nodes(const std::vector<ChipId>& chips, std::uint64_t node_chips) {
  std::map<std::uint64_t, std::uint32_t> number;
  std::vector<std::uint32_t> out;
  for (ChipId c : chips) {
    const std::uint64_t platform_node = node_chips ? c / node_chips : 0;
    out.push_back(number.emplace(platform_node, static_cast<std::uint32_t>(number.size())).first->second);
  }
  return out;
}

// The scenario's comm with the platform's calibrated message costs: per-message
// costs add up; a flow is cut at the smaller message size.
CommSpec effective_comm(const Scenario& s) {
  CommSpec c = s.comm;
  const Calibration& cal = s.platform.calibration;
  c.per_message_us += cal.per_message_us.all_us;
  if (cal.message_bytes && (!c.message_bytes || cal.message_bytes < c.message_bytes)) c.message_bytes = cal.message_bytes;
  return c;
}

// node_dedup forwards a token inside the node of its rank: each EP rank's
// moe_tp chips (consecutive in the group) must sit in one node, which a
// strided placement can break.
void check_ranks_in_nodes(const Scenario& s, const std::vector<ChipId>& chips, const std::vector<std::uint32_t>& node,
                          std::ptrdiff_t group) {
  const std::uint64_t tp = s.deployment.moe_tp;
  const std::string placement = s.deployment.group_placement == DeploymentSpec::GroupPlacement::kExplicit
                                    ? "as listed"
                                    : enum_name(kGroupPlacementNames, s.deployment.group_placement);
  for (std::size_t i = 0; i < chips.size(); ++i)
    if (node[i] != node[i - i % tp])
      fail(s.where_comm, "comm.algorithm",
           "node_dedup needs each EP rank inside one node, but EP group " + std::to_string(group) + "'s rank " +
               std::to_string(i / tp) + " has chips " + std::to_string(chips[i - i % tp]) + " and " +
               std::to_string(chips[i]) + " in different nodes of " + std::to_string(node_chips(s)) +
               " chips (deployment.group_placement " + placement + ")");
}

// How each group's bytes move: the algorithm and where the group's chips sit.
std::vector<GroupComm> group_comms(const Scenario& s, const std::vector<std::vector<ChipId>>& groups) {
  std::vector<GroupComm> out;
  const std::uint64_t message_bytes = effective_comm(s).message_bytes;
  for (const auto& chips : groups) {
    GroupComm c;
    c.algorithm = s.comm.algorithm;
    c.message_bytes = message_bytes;
    if (c.algorithm == CommAlgorithm::kNodeDedup) {
      c.node = group_nodes(chips, node_chips(s));
      check_ranks_in_nodes(s, chips, c.node, &chips - groups.data());
    }
    if (c.algorithm == CommAlgorithm::kDimensionOrdered) {
      c.dims = s.platform.torus.dims;
      for (ChipId chip : chips) {
        std::uint64_t rest = chip;
        for (std::uint64_t k : c.dims) {
          c.coord.push_back(rest % k);
          rest /= k;
        }
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

// The routing models of every EP group (none for uniform traffic); a trace
// file is loaded into `trace`, which the routers read.
std::vector<std::unique_ptr<Router>> make_routers(const Scenario& s, const std::vector<std::vector<ChipId>>& groups,
                                                  std::unique_ptr<RoutingTrace>& trace) {
  std::vector<std::unique_ptr<Router>> routers;
  if (s.routing.model == RoutingSpec::Model::kUniform) return routers;
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t tokens = s.deployment.global_batch * s.deployment.seq_len;
  if (s.routing.model == RoutingSpec::Model::kTrace)
    trace = std::make_unique<RoutingTrace>(
        load_trace(s.trace_path, s.model.moe_layers, tokens, s.model.num_experts, s.model.topk));
  const std::uint64_t node = node_chips(s);
  if (s.routing.max_nodes && node == 0)
    fail(s.where_traffic, "traffic.max_nodes",
         "a node needs traffic.node_chips (chips per node) on platform " + s.platform.name + ", which has no tiers");
  RoutingSpec spec = s.routing;
  spec.node_chips = node;  // the effective node size, for messages too
  for (const auto& chips : groups) {
    GroupLayout layout{s.deployment.ep, s.deployment.moe_tp, s.model.num_experts, s.model.topk, tokens, {}};
    layout.node = group_nodes(chips, node);
    try {
      routers.push_back(std::make_unique<Router>(spec, layout, trace.get()));
    } catch (const InputError& e) {
      throw InputError(s.where_traffic + ": " + e.what());
    }
  }
  if (auto log = spdlog::get("run"))
    log->info("routers ready in {:.3f} s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return routers;
}

// What each EP rank's experts receive under uniform shares: an equal share
// of the token copies, spread over its experts.
RankLoad uniform_load(const Scenario& s) {
  const double copies = static_cast<double>(s.deployment.global_batch * s.deployment.seq_len * s.model.topk);
  const double experts = static_cast<double>(s.model.num_experts), ep = static_cast<double>(s.deployment.ep);
  return {copies / ep, expected_distinct(experts / ep, experts, copies)};
}

// What the experts of each chip's EP rank receive, for `chips` chips of a
// group (EP ranks of moe_tp consecutive chips).
void append_loads(const LayerRouting& r, std::uint64_t tp, std::size_t chips, std::vector<RankLoad>& loads) {
  for (std::size_t i = 0; i < chips; ++i)
    loads.push_back({static_cast<double>(r.rank_tokens[i / tp]), static_cast<double>(r.distinct_experts[i / tp])});
}

// One layer's traffic, its stats and (when kept) its ranks' loads.
struct BuiltLayer {
  LayerTraffic traffic;
  LayerStats stats;
  std::vector<RankLoad> loads;
};

// Builds any layer of any sample, on any thread: every input is read only,
// and each group's routing is drawn from (seed, layer, group) alone.
class LayerBuilder {
 public:
  LayerBuilder(const Scenario& s, const std::vector<std::vector<ChipId>>& groups, const LayerBytes& bytes,
               std::uint64_t stream, bool keep_loads)
      : s_(s), groups_(groups), bytes_(bytes), stream_(stream), keep_loads_(keep_loads),
        routers_(make_routers(s, groups, trace_)), comms_(group_comms(s, groups)) {
    const std::uint64_t per_token = s.model.hidden_dim / s.deployment.moe_tp;
    const std::uint64_t overhead = s.comm.token_overhead_bytes;
    token_ = {per_token * dtype_bytes(s.precision.dispatch) + overhead, per_token * dtype_bytes(s.precision.combine)};
    wire_ = bytes;  // uniform shares: every token copy carries the overhead too
    wire_.dispatch_bytes += bytes.tokens_per_ep_group * overhead;
  }
  bool routed() const { return !routers_.empty(); }

  BuiltLayer build(std::uint64_t k, std::uint64_t l) const {
    const std::uint64_t tp = s_.deployment.moe_tp;
    std::vector<LayerTraffic> parts;
    BuiltLayer out;
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      const auto gid = static_cast<std::uint32_t>(g);
      LayerStats part;
      if (routed()) {
        LayerRouting r;
        try {
          r = routers_[g]->route(s_.seed + k, l, g + stream_ * groups_.size());
        } catch (const InputError& e) {
          throw InputError(s_.where_traffic + ": " + e.what() + " (layer " + std::to_string(l) + ")");
        }
        parts.push_back(routed_layer(r, token_, s_.routing.dedup, groups_[g], tp, bytes_.combine_bytes, gid, &part,
                                     &comms_[g]));
        if (keep_loads_) append_loads(r, tp, groups_[g].size(), out.loads);
      } else {
        if (keep_loads_) out.loads.resize(out.loads.size() + groups_[g].size(), uniform_load(s_));
        parts.push_back(uniform_layer(wire_, groups_[g], tp, gid, &comms_[g]));
        // direct's network bytes: all but each chip's own share
        const std::uint64_t n = groups_[g].size(), b = wire_.dispatch_bytes;
        part = uniform_stats(wire_, groups_[g], n * b - (n * (b / n) + b % n));
      }
      if (g == 0)
        out.stats = part;
      else
        merge_stats(out.stats, part, g);
    }
    out.traffic = groups_.size() == 1 ? std::move(parts.front()) : join_groups(std::move(parts));
    return out;
  }

 private:
  const Scenario& s_;
  const std::vector<std::vector<ChipId>>& groups_;
  const LayerBytes& bytes_;
  std::uint64_t stream_;
  bool keep_loads_;
  std::unique_ptr<RoutingTrace> trace_;  // before routers_, which read it
  std::vector<std::unique_ptr<Router>> routers_;
  std::vector<GroupComm> comms_;
  TokenBytes token_;
  LayerBytes wire_;
};

// Adds flattened layer `flat` to the plan: a new distinct layer, or the
// index of the one with the same traffic.
void add_layer(LayerPlan& w, BuiltLayer&& one, std::size_t flat, bool keep_loads,
               std::map<std::uint64_t, std::vector<std::size_t>>& by_fingerprint) {
  w.stats.push_back(one.stats);
  if (keep_loads) w.loads.push_back(std::move(one.loads));
  LayerTraffic& t = one.traffic;
  std::size_t found = w.work.layers.size();
  for (std::size_t i : by_fingerprint[t.fingerprint])
    if (same_traffic(w.work.layers[i], t)) found = i;
  w.to_distinct.push_back(found);
  if (found == w.work.layers.size()) {
    by_fingerprint[t.fingerprint].push_back(found);
    w.first_index.push_back(flat);
    w.work.layers.push_back(std::move(t));
  }
}

}  // namespace

LayerPlan plan_layers(const Scenario& s, const std::vector<std::vector<ChipId>>& groups, const LayerBytes& bytes,
                      bool show_progress, std::uint64_t stream, bool keep_loads, std::size_t threads) {
  auto log = spdlog::get("run");
  const LayerBuilder builder(s, groups, bytes, stream, keep_loads);
  LayerPlan w;
  w.work.groups = groups;
  w.work.expert_us = s.expert_time_us;
  w.work.per_message = s.platform.calibration.per_message_us;
  w.work.per_message.all_us += s.comm.per_message_us;
  w.work.per_peer = s.platform.calibration.per_peer_us;
  std::map<std::uint64_t, std::vector<std::size_t>> by_fingerprint;
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t layers = s.model.moe_layers, total = s.samples * layers;
  std::unique_ptr<ProgressLine> progress;
  if (show_progress && builder.routed()) progress = std::make_unique<ProgressLine>("built the traffic of layer", total);
  // Sampled layers a batch at a time, one a thread, then added in order:
  // the plan is the same for any number of threads. A layer being built
  // holds its groups' parts and their join, so no more than the cores.
  threads = std::clamp<std::size_t>(threads, 1, std::max(1u, std::thread::hardware_concurrency()));
  const std::size_t batch = builder.routed() ? threads : 1;
  for (std::size_t first = 0; first < total; first += batch) {
    if (progress) progress->update(first);
    if (!builder.routed() && !w.work.layers.empty()) {  // uniform shares: every layer is the first
      w.stats.push_back(w.stats.front());
      if (keep_loads) w.loads.push_back(w.loads.front());
      w.to_distinct.push_back(0);
      continue;
    }
    std::vector<BuiltLayer> built(std::min(batch, total - first));
    parallel_for(built.size(), threads,
                 [&](std::size_t i) { built[i] = builder.build((first + i) / layers, (first + i) % layers); });
    for (std::size_t i = 0; i < built.size(); ++i) add_layer(w, std::move(built[i]), first + i, keep_loads, by_fingerprint);
  }
  if (log)
    log->info("traffic of {} built in {:.3f} s, {} distinct", plural(total, "layer"),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), w.work.layers.size());
  return w;
}

// The report's description of the scenario and its platform.
RunReport report_head(const Scenario& s, const Topology& topo, const std::vector<std::vector<ChipId>>& groups) {
  RunReport rep;
  rep.scenario_name = s.name;
  rep.scenario_path = s.path;
  rep.input = s.byte_model_input();
  rep.bytes = layer_bytes(rep.input);
  rep.routing = routing_model_name(s.routing.model);
  rep.num_experts = s.model.num_experts;
  rep.shared_experts = s.model.shared_experts;
  rep.moe_layers = s.model.moe_layers;
  rep.dedup = s.routing.dedup;
  rep.comm = effective_comm(s);
  const Calibration& cal = s.platform.calibration;
  rep.per_message = cal.per_message_us;
  rep.per_message.all_us += s.comm.per_message_us;
  rep.per_peer = cal.per_peer_us;
  rep.calibration_set_aside = s.nominal_network;
  if (!cal.empty()) rep.calibration = cal.fitted.empty() ? "the platform's (no source given)" : cal.fitted;
  rep.platform_name = topo.name;
  rep.platform_path = s.platform_path;
  if (s.platform.kind != PlatformSpec::Kind::kXml) rep.faults = platform_faults(s.platform, topo);
  rep.rerouted_pairs = topo.num_overridden_routes();
  rep.platform_chips = topo.num_chips();
  rep.platform_links = topo.num_physical_links();
  rep.chip_names = topo.chips;
  rep.group_chips = groups.front().size();
  rep.groups = groups.size();
  rep.links = topo.links;
  if (s.platform.kind == PlatformSpec::Kind::kTorus) rep.torus_dims = s.platform.torus.dims;
  return rep;
}

// The platform's calibrated start-up cost of a phase.
double startup_us(const Calibration& cal, PhaseKind k) {
  return k == PhaseKind::kDispatch  ? cal.dispatch_startup_us
         : k == PhaseKind::kCombine ? cal.combine_startup_us
                                    : cal.allgather_startup_us;
}

// The platform's calibrated least time of a phase.
double min_us(const Calibration& cal, PhaseKind k) {
  return k == PhaseKind::kDispatch  ? cal.dispatch_min_us
         : k == PhaseKind::kCombine ? cal.combine_min_us
                                    : cal.allgather_min_us;
}

// A phase pays its start-up once, in its first stage; a phase (its stages
// together) shorter than its least time is lengthened to it in its first
// stage, each group's likewise.
void add_startups(const Calibration& cal, std::vector<LayerResult>& computed) {
  for (auto& r : computed) {
    for (auto& p : r.phases) {
      const double add = p.stage_index == 0 ? startup_us(cal, p.kind) : 0.0;
      p.latency_us += add;
      for (double& g : p.group_us) g += add;
      if (p.has_slowest) p.slowest_finish_us += add;
    }
    for (PhaseKind k : {PhaseKind::kDispatch, PhaseKind::kCombine, PhaseKind::kAllgather}) {
      const double least = min_us(cal, k);
      if (least <= 0) continue;
      PhaseResult* first = nullptr;
      double total = 0;
      std::vector<double> groups;
      for (auto& p : r.phases) {
        if (p.kind != k) continue;
        if (!first) first = &p;
        total += p.latency_us;
        if (groups.size() < p.group_us.size()) groups.resize(p.group_us.size(), 0.0);
        for (std::size_t g = 0; g < p.group_us.size(); ++g) groups[g] += p.group_us[g];
      }
      if (!first) continue;
      if (total < least) {
        first->latency_us += least - total;
        if (first->has_slowest) first->slowest_finish_us += least - total;
      }
      for (std::size_t g = 0; g < first->group_us.size(); ++g)
        if (groups[g] < least) first->group_us[g] += least - groups[g];
    }
  }
}

namespace {

// The stages a result is of: its phase's stage of the result's index, or
// every stage of the phase for an engine that computes it whole.
std::vector<const Stage*> stages_of(const LayerTraffic& t, const PhaseResult& p) {
  const Phase* ph = t.phase(p.kind);
  assert(ph && "an engine's result of a phase the traffic lacks");
  std::vector<const Stage*> out;
  for (const Stage& s : ph->stages())
    if (p.whole_phase || s.index == p.stage_index) out.push_back(&s);
  assert(!out.empty() && "an engine's result of a stage the phase lacks");
  return out;
}

// The bound of stages run in turn: their bounds added (a barrier between
// them), their link bytes added, the slowest stage's critical link and flow.
PhaseResult bound_of_stages(const Topology& topo, const std::vector<const Stage*>& stages, const SenderCosts& costs) {
  PhaseResult sum;
  double slowest = -1;
  for (const Stage* s : stages) {
    PhaseResult b = bound_phase(topo, *s, costs.busy_s(*s, topo.num_chips()));
    if (b.link_bytes.empty()) b.link_bytes = link_loads(topo, *s);
    if (sum.link_bytes.empty()) sum.link_bytes.assign(b.link_bytes.size(), 0.0);
    for (std::size_t l = 0; l < b.link_bytes.size(); ++l) sum.link_bytes[l] += b.link_bytes[l];
    const double latency = sum.latency_us + b.latency_us;
    if (b.latency_us > slowest) {
      slowest = b.latency_us;
      std::vector<double> bytes = std::move(sum.link_bytes);
      sum = std::move(b);
      sum.link_bytes = std::move(bytes);
    }
    sum.latency_us = latency;
  }
  return sum;
}

}  // namespace

// Every phase explains itself: its links' bytes, the busiest, the bottleneck.
// A bound engine's result is its own bound; the others get one (which counts
// the link bytes once). A result finds its traffic by its kind and stage.
void explain_phases(const Topology& topo, const Calibration& cal, bool own_bound, const Workload& work,
                    std::vector<LayerResult>& computed, std::size_t threads) {
  const SenderCosts costs(work.per_message, work.per_peer, topo);
  parallel_for(computed.size(), threads, [&](std::size_t d) {
    for (PhaseResult& p : computed[d].phases) {
      const std::vector<const Stage*> stages = stages_of(work.layers[d], p);
      PhaseResult other;
      const PhaseResult* b = &p;
      if (!own_bound) {
        other = bound_of_stages(topo, stages, costs);
        if (p.stage_index == 0) other.latency_us += startup_us(cal, p.kind);
        if (p.stage_index == 0 && work.layers[d].phase(p.kind)->stages().size() == 1)
          other.latency_us = std::max(other.latency_us, min_us(cal, p.kind));
        p.link_bytes = std::move(other.link_bytes);
        b = &other;
      }
      if (p.link_bytes.empty()) p.link_bytes = link_loads(topo, *stages.front());  // a stage without flows
      p.has_bottleneck = !b->critical_link.empty();
      if (p.has_bottleneck) p.bottleneck = attribute(topo, p, *b);
      p.top_links = busiest_links(topo, p.link_bytes, p.latency_us, 5);
      if (p.simgrid_link_bytes.size() == p.link_bytes.size())
        for (auto& u : p.top_links) u.simgrid_bytes = p.simgrid_link_bytes[u.id];
    }
  });
}

namespace {

// Every layer of every sample, from the distinct ones the engine computed.
void fill_layers(const Scenario& s, const LayerPlan& plan, const std::vector<LayerResult>& computed, RunReport& rep) {
  for (std::uint64_t k = 0; k < s.samples; ++k) {
    std::vector<LayerResult> layers;
    for (std::uint64_t l = 0; l < s.model.moe_layers; ++l) {
      const std::size_t flat = k * s.model.moe_layers + l;
      LayerResult r = computed[plan.to_distinct[flat]];
      r.layer = l;
      r.simulated_as = plan.first_index[plan.to_distinct[flat]];
      r.expert_us = s.expert_time_us;
      r.stats = plan.stats[flat];
      layers.push_back(std::move(r));
    }
    rep.sample_seeds.push_back(s.seed + k);
    rep.sample_layers.push_back(std::move(layers));
  }
  rep.layers = rep.sample_layers.front();
  rep.distinct_layers = plan.work.layers.size();
}

// Directed links of a generated platform, before it is built: a torus's
// 2 per dimension a chip, and a generous 8 a chip for any other fabric.
double estimated_links(const PlatformSpec& spec, double chips) {
  if (spec.kind == PlatformSpec::Kind::kTorus) return chips * 2.0 * static_cast<double>(spec.torus.dims.size());
  return chips * 8.0;
}

// Links a flow crosses on average along a ring of d chips: floor(d^2 / 4) / d.
double ring_hops(double d) { return d > 1 ? std::floor(d * d / 4) / d : 0; }

// Links a flow crosses on average: the sum of its torus's rings; about 4 on
// other fabrics.
double mean_hops(const PlatformSpec& spec) {
  if (spec.kind != PlatformSpec::Kind::kTorus) return 4;
  double hops = 0;
  for (std::uint64_t d : spec.torus.dims) hops += ring_hops(static_cast<double>(d));
  return std::max(1.0, hops);
}

// One stage of a phase, for one EP group: its flows and the links each crosses.
struct StageShape {
  double flows, hops;
};

// The stages a phase's flows go through (moesim/comm.hpp), for one group of
// G chips: direct, G (G - 1) flows; node_dedup, each chip to its peer in
// every other node, then inside its node; dimension_ordered, each chip to
// the others of its line, a stage per dimension the group spans (filling
// the torus's dimensions in order, as contiguous groups do).
std::vector<StageShape> stage_shapes(const Scenario& s) {
  const double g = static_cast<double>(s.group_chips());
  const double hops = mean_hops(s.platform);
  std::vector<StageShape> out;
  auto add = [&out](double flows, double h) {
    if (flows > 0) out.push_back({flows, std::max(1.0, h)});
  };
  if (s.comm.algorithm == CommAlgorithm::kNodeDedup) {
    const double c = std::clamp(static_cast<double>(node_chips(s)), 1.0, std::max(1.0, g));
    add(g * (std::ceil(g / c) - 1), hops);
    add(g * (c - 1), 1);
  } else if (s.comm.algorithm == CommAlgorithm::kDimensionOrdered && s.platform.kind == PlatformSpec::Kind::kTorus) {
    double left = g;
    for (std::uint64_t d : s.platform.torus.dims) {
      const double k = std::min(static_cast<double>(d), left);
      add(g * (k - 1), ring_hops(k));
      left = std::ceil(left / std::max(1.0, k));
    }
  }
  if (out.empty()) add(g * std::max(0.0, g - 1), hops);
  return out;
}

// CPU seconds a flow costs, per engine, its traffic built and its phase
// explained (bench/results.md, the 2-core machine; the 9,216-chip pod for
// ptask and the bound): ptask 0.75 us, the bound 0.6 us, flow about 100 us.
double seconds_per_flow(const Scenario& s) {
  switch (s.engine) {
    case Engine::kAnalytic: return 0;
    case Engine::kBound: return 0.6e-6;
    case Engine::kSimgrid: return s.simgrid.fidelity == Fidelity::kFlow ? 1e-4 : 0.75e-6;
  }
  return 0;
}

// CPU seconds of one stage of the flow fidelity on skewed (sampled) traffic,
// all groups: its flows end one at a time, and each end re-solves every flow
// in flight on every link it crosses, flows^2 / 2 x hops (flow, link) visits
// in all. A visit costs 60 ns while a stage's visits stay in the caches, and
// more, to 300 ns, as they outgrow them (a miss for the flow, one for the
// link): measured from 64 to 256 chips under direct, node_dedup and
// dimension_ordered (bench/results.md, "The flow reference's estimate").
double skewed_flow_stage_s(const Scenario& s, const StageShape& st) {
  const double elements = st.flows * st.hops;
  const double visit_s = 60e-9 * std::pow(std::max(1.0, elements / 15000), 0.45);
  return static_cast<double>(s.deployment.groups) * st.flows * st.flows / 2 * st.hops * visit_s;
}

}  // namespace

RunEstimate estimate_run(const Scenario& s, std::optional<std::size_t> links, std::size_t jobs) {
  RunEstimate e;
  e.chips = static_cast<double>(platform_chips(s.platform).value_or(0));
  e.route_bytes = route_table_bytes(s.platform);
  const double layers = static_cast<double>(s.samples) * static_cast<double>(s.model.moe_layers);
  e.distinct_layers = s.routing.model == RoutingSpec::Model::kUniform ? 1 : layers;
  const double group = static_cast<double>(s.group_chips());
  const std::vector<StageShape> shapes = stage_shapes(s);
  const auto stages = static_cast<double>(shapes.size());
  double stage_flows = 0;
  for (const StageShape& st : shapes) stage_flows += st.flows;
  e.flows_per_layer = 2 * static_cast<double>(s.deployment.groups) * stage_flows;
  e.traffic_bytes = e.distinct_layers * e.flows_per_layer * 24;  // source, destination and bytes a flow
  const double link_count = links ? static_cast<double>(*links) : estimated_links(s.platform, e.chips);
  // A layer's results: two phases' bytes per link and per chip, at least.
  e.result_bytes = layers * (2.0 * 8.0 * (link_count + e.chips) + 1024);
  // tokens, dispatch, combine and its transpose, and a dispatch and combine matrix a stage.
  const double ep = static_cast<double>(s.deployment.ep);
  e.matrix_bytes = 8.0 * ((4.0 + 2.0 * stages) * group * group + 3.0 * group * ep);
  // Layers are built, replayed and explained on `jobs` cores at once (the
  // flow fidelity's one layer: its stages).
  const bool flow = s.engine == Engine::kSimgrid && s.simgrid.fidelity == Fidelity::kFlow;
  const double units = e.distinct_layers * (flow && e.distinct_layers == 1 ? 2 * stages : 1);
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  const double at_once = std::max(1.0, std::min({static_cast<double>(jobs), cores, units}));
  double per_layer = e.flows_per_layer * seconds_per_flow(s);
  double largest_stage = 0;  // a stage runs in one worker: the one layer takes at least its longest
  if (flow && s.routing.model != RoutingSpec::Model::kUniform) {
    per_layer = 0;
    for (const StageShape& st : shapes) {
      const double stage_s = skewed_flow_stage_s(s, st);
      per_layer += 2 * stage_s;  // dispatch and combine
      largest_stage = std::max(largest_stage, stage_s);
    }
  }
  e.seconds = e.distinct_layers * per_layer / at_once;
  if (flow && e.distinct_layers == 1) e.seconds = std::max(e.seconds, largest_stage);
  return e;
}

std::string RunEstimate::memory_text() const {
  return "about " + byte_size(memory_bytes()) + " (routes " + byte_size(route_bytes) + ", traffic " +
         byte_size(traffic_bytes) + ", matrices " + byte_size(matrix_bytes) + ", results " +
         byte_size(result_bytes) + ")";
}

std::string RunEstimate::describe() const {
  std::string out = memory_text() + (seconds >= 1 ? " and " + duration(seconds) : " and under a second");
  const std::size_t distinct = static_cast<std::size_t>(distinct_layers);
  out += ": " + plural(distinct, "distinct layer") + " of up to " + format("%.3g", flows_per_layer) + " flows";
  return out;
}

void check_run_memory(const Scenario& s, const RunEstimate& e) {
  const double have = machine_memory_bytes();
  if (have <= 0 || e.memory_bytes() <= have) return;
  const std::string beyond = e.memory_text() + ", more than this machine's " + byte_size(have) + " of memory";
  // Named by what drives it: the platform's routes, or the layers.
  if (e.route_bytes >= e.traffic_bytes && e.route_bytes >= e.result_bytes)
    fail(s.where_platform, "platform", "this run needs " + beyond + ": use a smaller platform");
  fail(s.path, "model.moe_layers",
       plural(s.model.moe_layers, "layer") + " x " + plural(s.samples, "sample") + ": this run needs " + beyond);
}

Topology load_topology(const PlatformSpec& spec, const XmlLoader& xml) {
  if (spec.kind != PlatformSpec::Kind::kXml) return build_topology(spec);
  if (!xml) fail(spec.path, "", "a SimGrid XML platform needs SimGrid to read it");
  Topology t = xml(spec.path);
  if (!spec.name.empty()) t.name = spec.name;
  return t;
}

std::unique_ptr<LayerEngine> make_core_engine(const Scenario& s, const Topology& topology) {
  switch (s.engine) {
    case Engine::kAnalytic:
      return make_analytic_engine(layer_bytes(s.byte_model_input()), s.deployment.moe_tp,
                                  resolved_comm_params(s.platform, topology));
    case Engine::kBound:
      return make_bound_engine();
    case Engine::kSimgrid:
      break;
  }
  fail(s.where_platform, "engine", "the simgrid engine is not a core engine (it needs src/sim/)");
}

LayerTraffic first_layer_traffic(const Scenario& scenario, const Topology& topology) {
  Scenario one = scenario;
  one.model.moe_layers = 1;
  one.samples = 1;
  const LayerBytes bytes = layer_bytes(one.byte_model_input());
  LayerPlan plan = plan_layers(one, group_chips(one, topology), bytes);
  return std::move(plan.work.layers.front());
}

void engine_head(const Scenario& s, const EngineInfo& info, RunReport& rep) {
  rep.engine = info.name;
  rep.network_model = info.network_model;
  rep.fidelity = info.fidelity;
  rep.simgrid_cfg = info.simgrid_cfg;
  if (info.fidelity == "ptask") {
    const FidelityError e = ptask_error(rep.routing, s.comm.algorithm, rep.group_chips,
                                         !rep.per_message.empty() || !rep.per_peer.empty());
    rep.fidelity_note = e.note;
    rep.fidelity_error_measured = e.measured && rep.group_chips <= e.max_chips;
    rep.fidelity_max_error = e.max_error;
  }
}

RunReport run_scenario(const Scenario& s, const Topology& topo, LayerEngine& engine, const RunControl& control) {
  if (s.scheduled()) return run_overlapped(s, topo, engine, control);
  const auto wall0 = std::chrono::steady_clock::now();
  auto log = spdlog::get("run");
  const std::vector<std::vector<ChipId>> groups = group_chips(s, topo);
  RunReport rep = report_head(s, topo, groups);
  const EngineInfo info = engine.info();
  engine_head(s, info, rep);
  if (log)
    log->info("{}: {} chips, {} links; {} of {} chips; dispatch {} B, combine {} B per chip", topo.name,
              topo.num_chips(), topo.num_physical_links(), plural(groups.size(), "EP group"), rep.group_chips,
              rep.bytes.dispatch_bytes, rep.bytes.combine_bytes);

  check_run_memory(s, estimate_run(s, topo.links.size()));
  LayerPlan plan = plan_layers(s, groups, rep.bytes, control.progress, 0, false, control.jobs);
  plan.work.threads = control.jobs;
  if (groups.size() > 1) {
    plan.work.independent = independent_groups(topo, groups);
    if (log)
      log->info("{} of EP groups load no common link: each replayed apart",
                plural(plan.work.independent.size(), "set"));
  }
  std::unique_ptr<ProgressLine> progress;
  if (control.progress) {
    const std::size_t layers = plan.work.layers.size();
    progress = std::make_unique<ProgressLine>("simulated layer", layers);
    plan.work.progress = [&progress, layers](std::size_t done, std::size_t total) {
      progress->update(done * layers / total);
    };
  }
  if (log)
    log->info("computing {} distinct of {} with the {} engine", plan.work.layers.size(),
              plural(s.samples * s.model.moe_layers, "layer"), info.name);
  std::vector<LayerResult> computed = engine.compute(topo, plan.work);
  progress.reset();
  // Simulated and bound phases pay the calibrated start-ups; the analytic
  // engine keeps Tier6's own start latencies.
  const Calibration& cal = s.platform.calibration;
  if (!info.own_startups) add_startups(cal, computed);
  explain_phases(topo, cal, info.lower_bound, plan.work, computed, control.jobs);
  fill_layers(s, plan, computed, rep);
  rep.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (log) log->info("done in {:.3f} s", rep.wall_s);
  return rep;
}

}  // namespace moesim
