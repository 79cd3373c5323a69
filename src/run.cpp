// Runs one scenario through the chosen engine.
#include "moesim/run.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>

#include "moesim/analytic.hpp"
#include "moesim/bound.hpp"
#include "moesim/error.hpp"
#include "moesim/simulator.hpp"

namespace moesim {
namespace {

bool same_traffic(const LayerTraffic& a, const LayerTraffic& b) {
  if (a.phases.size() != b.phases.size()) return false;
  for (std::size_t p = 0; p < a.phases.size(); ++p) {
    const auto &x = a.phases[p].flows, &y = b.phases[p].flows;
    if (a.phases[p].kind != b.phases[p].kind || x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (x[i].src != y[i].src || x[i].dst != y[i].dst || x[i].bytes != y[i].bytes) return false;
  }
  return true;
}

}  // namespace

RunReport run_scenario(const Scenario& s) {
  const auto wall0 = std::chrono::steady_clock::now();
  auto log = spdlog::get("run");
  RunReport rep;
  rep.scenario_name = s.name;
  rep.scenario_path = s.path;
  rep.engine = engine_name(s.engine);
  rep.input = s.byte_model_input();
  rep.bytes = layer_bytes(rep.input);

  // SimGrid reads XML platforms, so an XML platform needs the engine even
  // for the analytic and bound engines.
  std::unique_ptr<Simulator> sim;
  const bool xml = s.platform.kind == PlatformSpec::Kind::kXml;
  if (xml || s.engine == Engine::kSimgrid) {
    try {
      sim = std::make_unique<Simulator>(SimConfig{s.simgrid.network_model, s.simgrid.cfg,
                                                  !(log && log->should_log(spdlog::level::debug))});
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
  const std::vector<ChipId> group = group_chips(s, topo);
  rep.group_chips = group.size();
  if (log)
    log->info("{}: {} chips, {} links; group of {} chips; dispatch {} B, combine {} B per chip", topo.name,
              topo.num_chips(), topo.num_physical_links(), group.size(), rep.bytes.dispatch_bytes,
              rep.bytes.combine_bytes);

  // One traffic per layer; identical layers are computed once.
  std::vector<LayerTraffic> distinct;
  std::map<std::uint64_t, std::size_t> by_fingerprint;
  std::vector<std::size_t> layer_to_distinct;
  std::vector<std::size_t> first_layer;
  for (std::size_t l = 0; l < s.model.moe_layers; ++l) {
    LayerTraffic t = uniform_layer(rep.bytes, group, s.deployment.moe_tp);
    auto it = by_fingerprint.find(t.fingerprint);
    if (it != by_fingerprint.end() && same_traffic(distinct[it->second], t)) {
      layer_to_distinct.push_back(it->second);
      continue;
    }
    by_fingerprint[t.fingerprint] = distinct.size();
    layer_to_distinct.push_back(distinct.size());
    first_layer.push_back(l);
    distinct.push_back(std::move(t));
  }

  std::vector<LayerResult> computed;
  switch (s.engine) {
    case Engine::kAnalytic: {
      const CommParams comm = resolved_comm_params(s.platform, topo);
      for (const auto& t : distinct) computed.push_back(analytic_layer(rep.bytes, t, s.deployment.moe_tp, comm));
      break;
    }
    case Engine::kBound:
      for (const auto& t : distinct) {
        LayerResult r;
        for (const auto& ph : t.phases) r.phases.push_back(bound_phase(topo, ph));
        computed.push_back(r);
      }
      break;
    case Engine::kSimgrid: {
      rep.network_model = s.simgrid.network_model;
      rep.simgrid_cfg = simgrid_options(SimConfig{s.simgrid.network_model, s.simgrid.cfg, true});
      if (!xml) sim->build(topo);
      std::vector<const LayerTraffic*> todo;
      for (const auto& t : distinct) todo.push_back(&t);
      if (log) log->info("replaying {} distinct layer(s) of {} on SimGrid", distinct.size(), s.model.moe_layers);
      computed = sim->replay(todo, group, s.expert_time_us);
      break;
    }
  }
  for (std::size_t l = 0; l < s.model.moe_layers; ++l) {
    LayerResult r = computed[layer_to_distinct[l]];
    r.layer = l;
    r.simulated_as = first_layer[layer_to_distinct[l]];
    r.expert_us = s.expert_time_us;
    rep.layers.push_back(std::move(r));
  }
  rep.distinct_layers = distinct.size();
  rep.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (log) log->info("done in {:.3f} s", rep.wall_s);
  return rep;
}

}  // namespace moesim
