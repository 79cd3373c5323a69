// The platform analysis and a scenario's first-layer link loads, as text and JSON.
#include "engine/topo_report.hpp"

#include <cstdio>

#include "engine/bound.hpp"
#include "engine/explain.hpp"
#include "moesim/run.hpp"
#include "moesim/scenario.hpp"
#include "platform/analysis.hpp"
#include "util/format.hpp"

namespace moesim {
namespace {

void add_summary(TopoReport& r, const std::string& path, const PlatformSpec& spec, const TopologySummary& s) {
  r.json = {{"platform", {{"name", spec.name}, {"path", path}}},
            {"chips", s.chips},
            {"links", s.links},
            {"directed_links", s.directed_links},
            {"routing", s.routing},
            {"diameter_hops", s.diameter_hops},
            {"average_hops", s.average_hops},
            {"max_route_latency_us", s.max_route_latency_us},
            {"injection_Bps", {{"min", s.min_injection_Bps}, {"max", s.max_injection_Bps}}},
            {"bisection_Bps", s.bisection_Bps},
            {"bisection_method", s.bisection_method}};
  r.text += format("platform %s: %zu chips, %zu links (%zu directed)\n", spec.name.c_str(), s.chips, s.links,
                   s.directed_links);
  r.text += format("routing: %s\n", s.routing.c_str());
  r.text += format("diameter %zu hops, average %.4f hops, longest route latency %.3f us\n", s.diameter_hops,
                   s.average_hops, s.max_route_latency_us);
  r.text += format("injection bandwidth per chip: %.1f .. %.1f GB/s\n", s.min_injection_Bps / 1e9,
                   s.max_injection_Bps / 1e9);
  r.text += format("bisection bandwidth: %.1f GB/s one way (%s)\n", s.bisection_Bps / 1e9, s.bisection_method.c_str());
}

void add_link_loads(TopoReport& r, const std::string& platform_path, const Topology& t,
                    const std::string& scenario_path, std::size_t top) {
  const Scenario sc = load_scenario(scenario_path, {"platform=" + platform_path});
  const LayerTraffic traffic = first_layer_traffic(sc, t);
  nlohmann::json phases = nlohmann::json::array();
  for (const Stage* st : traffic.stages()) {
    const Stage& p = *st;
    const PhaseResult b = bound_phase(t, p);
    r.text += format("%s of %s (layer 0): %zu flows, %llu B on the network, lower bound %.3f us\n",
                     stage_label(b).c_str(), sc.name.c_str(), p.flows.size(),
                     static_cast<unsigned long long>(p.network_bytes), b.latency_us);
    nlohmann::json links = nlohmann::json::array();
    for (const LinkLoad& l : top_links(t, p, top)) {
      r.text += format("  %-28s %14.0f B  %10.3f us\n", l.link.c_str(), l.bytes, l.drain_us);
      links.push_back({{"link", l.link}, {"bytes", l.bytes}, {"drain_us", l.drain_us}});
    }
    phases.push_back({{"phase", phase_name(p.kind)},
                      {"stage", p.name},
                      {"flows", p.flows.size()},
                      {"network_bytes", p.network_bytes},
                      {"bound_us", b.latency_us},
                      {"top_links", links}});
  }
  r.json["scenario"] = {{"name", sc.name}, {"path", scenario_path}, {"phases", phases}};
}

}  // namespace

TopoReport topo_report(const std::string& platform_path, const PlatformSpec& spec, const Topology& topology,
                       const std::string& scenario_path, std::size_t top) {
  TopoReport r;
  add_summary(r, platform_path, spec, summarize(spec, topology));
  if (!scenario_path.empty()) add_link_loads(r, platform_path, topology, scenario_path, top);
  return r;
}

}  // namespace moesim
