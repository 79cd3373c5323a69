// The link-load lower bound.
#include "engine/bound.hpp"

#include <algorithm>
#include <limits>

#include "moesim/engine.hpp"
#include "util/parallel.hpp"

namespace moesim {

std::vector<double> link_loads(const Topology& t, const Stage& phase) {
  std::vector<double> load(t.links.size(), 0.0);
  for (const Flow& f : phase.flows)
    for (LinkId l : t.route(f.src, f.dst)) {
      const double b = static_cast<double>(f.bytes);
      load[l] = t.links[l].sharing == Sharing::kFatpipe ? std::max(load[l], b) : load[l] + b;
    }
  return load;
}

PhaseResult bound_phase(const Topology& t, const Stage& phase, const std::vector<double>& busy_s) {
  PhaseResult r = traffic_result(phase);
  if (phase.flows.empty()) return r;
  r.link_bytes = link_loads(t, phase);  // kept: the report's per-link load
  const std::vector<double>& load = r.link_bytes;
  // Under SimGrid's flow model a flow pays its route latency before it takes
  // bandwidth, so a link cannot start draining before the smallest latency of
  // the flows that cross it.
  std::vector<double> first_s(t.links.size(), std::numeric_limits<double>::infinity());
  double bound_s = 0;
  for (const Flow& f : phase.flows) {
    const Topology::Route route = t.route(f.src, f.dst);
    double path_s = 0;  // as route_latency_s sums it
    for (LinkId l : route) path_s += t.links[l].latency_s;
    const double lat = path_s + (busy_s.empty() ? 0.0 : busy_s[f.src]);
    double slowest_bw = std::numeric_limits<double>::infinity();
    for (LinkId l : route) {
      first_s[l] = std::min(first_s[l], lat);
      slowest_bw = std::min(slowest_bw, t.links[l].bandwidth_Bps);
    }
    const double alone_s = lat + static_cast<double>(f.bytes) / slowest_bw;
    r.max_path_latency_us = std::max(r.max_path_latency_us, lat * 1e6);
    if (alone_s > bound_s || !r.has_slowest) {
      bound_s = std::max(bound_s, alone_s);
      r.has_slowest = true;
      r.slowest = f;
    }
  }
  for (std::size_t l = 0; l < load.size(); ++l) {
    if (load[l] == 0) continue;
    const double drain_s = load[l] / t.links[l].bandwidth_Bps;
    if (drain_s * 1e6 > r.drain_us) {
      r.drain_us = drain_s * 1e6;
      r.critical_link = t.links[l].name;
      r.critical_link_bytes = load[l];
    }
    bound_s = std::max(bound_s, first_s[l] + drain_s);
  }
  r.latency_us = bound_s * 1e6;
  r.slowest_finish_us = r.latency_us;
  return r;
}

namespace {

// The flows of one group within a stage.
Stage group_part(const Stage& p, std::uint32_t group) {
  Stage out;
  out.kind = p.kind;
  out.name = p.name;
  out.index = p.index;
  for_flows_of_groups(
      p, [group](std::uint32_t g) { return g == group; },
      [&out](const Flow& f) {
        out.flows.push_back(f);
        out.network_bytes += f.bytes;
      });
  return out;
}

class BoundEngine final : public LayerEngine {
 public:
  EngineInfo info() const override { return EngineInfo{"bound", "", "", {}, true, false, true}; }

  // With several groups, each group's own bound as if it ran alone.
  std::vector<LayerResult> compute(const Topology& topology, const Workload& w) override {
    const auto groups = static_cast<std::uint32_t>(w.groups.size());
    std::vector<LayerResult> out(w.layers.size());
    const SenderCosts costs(w.per_message, w.per_peer, topology);
    parallel_for(w.layers.size(), w.threads, [&](std::size_t l) {
      LayerResult& r = out[l];
      for (const Stage* st : w.layers[l].stages()) {
        const Stage& ph = *st;
        const std::vector<double> busy = costs.busy_s(ph, topology.num_chips());
        r.phases.push_back(bound_phase(topology, ph, busy));
        if (groups > 1)
          for (std::uint32_t g = 0; g < groups; ++g)
            r.phases.back().group_us.push_back(bound_phase(topology, group_part(ph, g), busy).latency_us);
      }
    });
    return out;
  }
};

}  // namespace

std::unique_ptr<LayerEngine> make_bound_engine() { return std::make_unique<BoundEngine>(); }

}  // namespace moesim
