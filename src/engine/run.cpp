// Runs one scenario through the chosen engine.
#include "moesim/run.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <memory>

#include "engine/analytic.hpp"
#include "engine/bound.hpp"
#include "engine/explain.hpp"
#include "moesim/error.hpp"
#include "moesim/routing.hpp"
#include "moesim/simulator.hpp"

namespace moesim {
namespace {

bool same_traffic(const LayerTraffic& a, const LayerTraffic& b) {
  if (a.phases.size() != b.phases.size()) return false;
  for (std::size_t p = 0; p < a.phases.size(); ++p) {
    const auto &x = a.phases[p].flows, &y = b.phases[p].flows;
    if (a.phases[p].kind != b.phases[p].kind || x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (x[i].src != y[i].src || x[i].dst != y[i].dst || x[i].bytes != y[i].bytes || x[i].group != y[i].group)
        return false;
  }
  return true;
}

// The flows of one group within a phase.
Phase group_part(const Phase& p, std::uint32_t group) {
  Phase out;
  out.kind = p.kind;
  for (const Flow& f : p.flows)
    if (f.group == group) {
      out.flows.push_back(f);
      out.network_bytes += f.bytes;
    }
  return out;
}

// The traffic of every layer of every sample, with identical layers found.
struct Workload {
  std::vector<LayerTraffic> distinct;
  std::vector<std::size_t> first_index;  // flattened (sample * layers + layer) of each distinct one
  std::vector<std::size_t> to_distinct;  // per flattened layer
  std::vector<LayerStats> stats;         // per flattened layer
};

Workload build_workload(const Scenario& s, const std::vector<std::vector<ChipId>>& groups, const LayerBytes& bytes) {
  auto log = spdlog::get("run");
  const std::uint64_t tp = s.deployment.moe_tp, layers = s.model.moe_layers;
  const bool routed = s.routing.model != RoutingSpec::Model::kUniform;
  std::unique_ptr<RoutingTrace> trace;
  std::vector<std::unique_ptr<Router>> routers;
  TokenBytes token;
  if (routed) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t tokens = s.deployment.global_batch * s.deployment.seq_len;
    if (s.routing.model == RoutingSpec::Model::kTrace)
      trace = std::make_unique<RoutingTrace>(
          load_trace(s.trace_path, layers, tokens, s.model.num_experts, s.model.topk));
    const std::uint64_t node = node_chips(s);
    if (s.routing.max_nodes && node == 0)
      fail(s.where_traffic, "traffic.max_nodes",
           "a node needs traffic.node_chips (chips per node) on platform " + s.platform.name + ", which has no tiers");
    RoutingSpec spec = s.routing;
    spec.node_chips = node;  // the effective node size, for messages too
    for (std::size_t g = 0; g < groups.size(); ++g) {
      GroupLayout layout{s.deployment.ep, tp, s.model.num_experts, s.model.topk, tokens, {}};
      for (ChipId c : groups[g]) layout.node.push_back(static_cast<std::uint32_t>(node ? c / node : 0));
      try {
        routers.push_back(std::make_unique<Router>(spec, layout, trace.get()));
      } catch (const InputError& e) {
        throw InputError(s.where_traffic + ": " + e.what());
      }
    }
    const std::uint64_t per_token = s.model.hidden_dim / tp;
    token = TokenBytes{per_token * dtype_bytes(s.precision.dispatch), per_token * dtype_bytes(s.precision.combine)};
    if (log)
      log->info("routers ready in {:.3f} s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  Workload w;
  std::map<std::uint64_t, std::vector<std::size_t>> by_fingerprint;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t k = 0; k < s.samples; ++k)
    for (std::uint64_t l = 0; l < layers; ++l) {
      std::vector<LayerTraffic> parts;
      LayerStats stats;
      for (std::size_t g = 0; g < groups.size(); ++g) {
        const auto gid = static_cast<std::uint32_t>(g);
        LayerStats part;
        if (routed) {
          LayerRouting r;
          try {
            r = routers[g]->route(s.seed + k, l, g);
          } catch (const InputError& e) {
            throw InputError(s.where_traffic + ": " + e.what() + " (layer " + std::to_string(l) + ")");
          }
          parts.push_back(routed_layer(r, token, s.routing.dedup, groups[g], tp, bytes.combine_bytes, gid, &part));
        } else {
          parts.push_back(uniform_layer(bytes, groups[g], tp, gid));
          part = uniform_stats(bytes, groups[g], parts.back().phases[0].network_bytes);
        }
        if (g == 0)
          stats = part;
        else
          merge_stats(stats, part, g);
      }
      LayerTraffic t = groups.size() == 1 ? std::move(parts.front()) : join_groups(std::move(parts));
      w.stats.push_back(stats);
      std::size_t found = w.distinct.size();
      for (std::size_t i : by_fingerprint[t.fingerprint])
        if (same_traffic(w.distinct[i], t)) found = i;
      w.to_distinct.push_back(found);
      if (found == w.distinct.size()) {
        by_fingerprint[t.fingerprint].push_back(found);
        w.first_index.push_back(k * layers + l);
        w.distinct.push_back(std::move(t));
      }
    }
  if (log)
    log->info("traffic of {} layer(s) built in {:.3f} s, {} distinct", s.samples * layers,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), w.distinct.size());
  return w;
}

}  // namespace

LayerTraffic first_layer_traffic(const Scenario& scenario, const Topology& topology) {
  Scenario one = scenario;
  one.model.moe_layers = 1;
  one.samples = 1;
  const LayerBytes bytes = layer_bytes(one.byte_model_input());
  Workload w = build_workload(one, group_chips(one, topology), bytes);
  return std::move(w.distinct.front());
}

RunReport run_scenario(const Scenario& s) {
  const auto wall0 = std::chrono::steady_clock::now();
  auto log = spdlog::get("run");
  RunReport rep;
  rep.scenario_name = s.name;
  rep.scenario_path = s.path;
  rep.engine = engine_name(s.engine);
  rep.input = s.byte_model_input();
  rep.bytes = layer_bytes(rep.input);
  rep.routing = routing_model_name(s.routing.model);
  rep.num_experts = s.model.num_experts;
  rep.shared_experts = s.model.shared_experts;
  rep.moe_layers = s.model.moe_layers;
  rep.dedup = s.routing.dedup;

  // SimGrid reads XML platforms, so an XML platform needs the engine even
  // for the analytic and bound engines.
  std::unique_ptr<Simulator> sim;
  const Fidelity fidelity = s.simgrid.fidelity == "ptask" ? Fidelity::kPtask : Fidelity::kFlow;
  const bool xml = s.platform.kind == PlatformSpec::Kind::kXml;
  if (s.engine == Engine::kSimgrid && s.simgrid.network_model != "CM02" && log)
    log->warn("the bound engine's lower bound holds for CM02; {} scales bandwidth and latency by its own factors",
              s.simgrid.network_model);
  if (xml || s.engine == Engine::kSimgrid) {
    try {
      sim = std::make_unique<Simulator>(SimConfig{s.simgrid.network_model, fidelity, s.simgrid.cfg,
                                                  !(log && log->should_log(spdlog::level::debug)),
                                                  s.simgrid.ptask_max_links, s.simgrid.link_load});
    } catch (const InputError& e) {
      throw InputError(s.where_simgrid + ": simgrid: " + e.what());
    }
  }
  Topology topo;
  if (xml) {
    try {
      topo = sim->load_xml(s.platform_path);
    } catch (const InputError& e) {
      throw InputError(std::string(e.what()) + " (platform of " + s.where_platform + ")");
    }
  } else {
    topo = build_topology(s.platform);
  }
  if (!s.platform.name.empty()) topo.name = s.platform.name;
  rep.platform_name = topo.name;
  rep.platform_path = s.platform_path;
  rep.platform_chips = topo.num_chips();
  rep.platform_links = topo.num_physical_links();
  rep.chip_names = topo.chips;
  const std::vector<std::vector<ChipId>> groups = group_chips(s, topo);
  rep.group_chips = groups.front().size();
  rep.groups = groups.size();
  if (log)
    log->info("{}: {} chips, {} links; {} group(s) of {} chips; dispatch {} B, combine {} B per chip", topo.name,
              topo.num_chips(), topo.num_physical_links(), groups.size(), rep.group_chips, rep.bytes.dispatch_bytes,
              rep.bytes.combine_bytes);

  const Workload w = build_workload(s, groups, rep.bytes);
  const auto nG = static_cast<std::uint32_t>(groups.size());

  std::vector<LayerResult> computed;
  switch (s.engine) {
    case Engine::kAnalytic: {
      const CommParams comm = resolved_comm_params(s.platform, topo);
      for (const auto& t : w.distinct) {
        computed.push_back(analytic_layer(rep.bytes, t, s.deployment.moe_tp, comm));
        if (nG > 1)
          for (auto& p : computed.back().phases) p.group_us.assign(nG, p.latency_us);
      }
      break;
    }
    case Engine::kBound:
      for (const auto& t : w.distinct) {
        LayerResult r;
        for (const auto& ph : t.phases) {
          r.phases.push_back(bound_phase(topo, ph));
          if (nG > 1)
            for (std::uint32_t g = 0; g < nG; ++g)
              r.phases.back().group_us.push_back(bound_phase(topo, group_part(ph, g)).latency_us);
        }
        computed.push_back(r);
      }
      break;
    case Engine::kSimgrid: {
      rep.network_model = fidelity == Fidelity::kPtask ? "ptask_L07" : s.simgrid.network_model;
      rep.fidelity = fidelity_name(fidelity);
      rep.simgrid_cfg = simgrid_options(SimConfig{s.simgrid.network_model, fidelity, s.simgrid.cfg, true});
      if (!xml) sim->build(topo);
      std::vector<const LayerTraffic*> todo;
      for (const auto& t : w.distinct) todo.push_back(&t);
      std::vector<ChipId> all;
      for (const auto& g : groups) all.insert(all.end(), g.begin(), g.end());
      if (log)
        log->info("replaying {} distinct layer(s) of {} on SimGrid", w.distinct.size(), s.samples * s.model.moe_layers);
      computed = sim->replay(todo, all, s.expert_time_us, nG);
      break;
    }
  }
  // The platform's calibrated start-up cost of each phase (simulated and
  // bound alike; the analytic engine keeps Tier6's own start latencies).
  const Calibration& cal = s.platform.calibration;
  auto startup_us = [&](PhaseKind k) {
    return k == PhaseKind::kDispatch ? cal.dispatch_startup_us
           : k == PhaseKind::kCombine ? cal.combine_startup_us
                                      : cal.allgather_startup_us;
  };
  if (s.engine != Engine::kAnalytic)
    for (auto& r : computed)
      for (auto& p : r.phases) {
        const double add = startup_us(p.kind);
        p.latency_us += add;
        for (double& g : p.group_us) g += add;
        if (p.has_slowest) p.slowest_finish_us += add;
      }
  // Every phase explains itself: its links' bytes, the busiest, the bottleneck.
  for (std::size_t d = 0; d < computed.size(); ++d)
    for (std::size_t i = 0; i < computed[d].phases.size() && i < w.distinct[d].phases.size(); ++i) {
      PhaseResult& p = computed[d].phases[i];
      const Phase& ph = w.distinct[d].phases[i];
      if (p.kind != ph.kind) continue;
      // The bound engine's result is its own bound; the others get one (which counts the link bytes once).
      PhaseResult other;
      const PhaseResult* b = &p;
      if (s.engine != Engine::kBound) {
        other = bound_phase(topo, ph);
        other.latency_us += startup_us(other.kind);
        p.link_bytes = std::move(other.link_bytes);
        b = &other;
      }
      if (p.link_bytes.empty()) p.link_bytes = link_loads(topo, ph);  // a phase without flows
      p.has_bottleneck = !b->critical_link.empty();
      if (p.has_bottleneck) p.bottleneck = attribute(topo, p, *b);
      p.top_links = busiest_links(topo, p.link_bytes, p.latency_us, 5);
      if (p.simgrid_link_bytes.size() == p.link_bytes.size())
        for (auto& u : p.top_links) u.simgrid_bytes = p.simgrid_link_bytes[u.id];
    }
  rep.links = topo.links;
  if (s.platform.kind == PlatformSpec::Kind::kTorus) rep.torus_dims = s.platform.torus.dims;
  for (std::uint64_t k = 0; k < s.samples; ++k) {
    std::vector<LayerResult> layers;
    for (std::uint64_t l = 0; l < s.model.moe_layers; ++l) {
      const std::size_t flat = k * s.model.moe_layers + l;
      LayerResult r = computed[w.to_distinct[flat]];
      r.layer = l;
      r.simulated_as = w.first_index[w.to_distinct[flat]];
      r.expert_us = s.expert_time_us;
      r.stats = w.stats[flat];
      layers.push_back(std::move(r));
    }
    rep.sample_seeds.push_back(s.seed + k);
    rep.sample_layers.push_back(std::move(layers));
  }
  rep.layers = rep.sample_layers.front();
  rep.distinct_layers = w.distinct.size();
  rep.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (log) log->info("done in {:.3f} s", rep.wall_s);
  return rep;
}

}  // namespace moesim
