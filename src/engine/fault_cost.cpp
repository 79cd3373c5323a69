// What a scenario's faults cost: its run against the same run on the healthy
// platform, phase by phase, with the links that took the moved traffic.
#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "moesim/run.hpp"

namespace moesim {

bool has_faults(const Scenario& s) { return !s.platform.faults.empty() || s.platform.fault_draw.given; }

Scenario healthy_scenario(const Scenario& s) {
  Scenario h = s;
  h.platform.faults.clear();
  h.platform.fault_draw = FaultDraw{};
  return h;
}

// Each layer's total and, per phase, its label, time, bottleneck and the
// links it loaded (id, bytes; unloaded links left out).
std::string encode_baseline(const RunReport& healthy) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerResult& l : healthy.layers) {
    nlohmann::json phases = nlohmann::json::array();
    for (const PhaseResult& p : l.phases) {
      nlohmann::json loads = nlohmann::json::array();
      for (std::size_t id = 0; id < p.link_bytes.size(); ++id)
        if (p.link_bytes[id] > 0) loads.push_back({id, p.link_bytes[id]});
      phases.push_back({{"label", stage_label(p)},
                        {"us", p.latency_us},
                        {"bottleneck", p.has_bottleneck ? p.bottleneck.link : ""},
                        {"links", loads}});
    }
    layers.push_back({{"total_us", l.total_us()}, {"phases", phases}});
  }
  return nlohmann::json{{"links", healthy.links.size()}, {"layers", layers}}.dump();
}

namespace {

// What moved in one phase: bytes that left links, and the links that gained most.
void moved(const PhaseResult& faulty, const nlohmann::json& healthy, const std::vector<Link>& links,
           PhaseFaultCost& out) {
  std::vector<double> before(faulty.link_bytes.size(), 0.0);
  for (const auto& load : healthy.at("links")) {
    const auto id = load.at(0).get<std::size_t>();
    if (id >= before.size()) throw std::runtime_error("a healthy baseline of another platform");
    before[id] = load.at(1).get<double>();
  }
  std::vector<std::pair<double, std::size_t>> gains;
  for (std::size_t id = 0; id < before.size(); ++id) {
    const double delta = faulty.link_bytes[id] - before[id];
    if (delta < 0) out.moved_bytes -= delta;
    if (delta > 0) gains.emplace_back(delta, id);
  }
  std::sort(gains.begin(), gains.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = 0; i < std::min<std::size_t>(3, gains.size()); ++i)
    out.gained.emplace_back(gains[i].second < links.size() ? links[gains[i].second].name : "?", gains[i].first);
}

}  // namespace

FaultCost fault_cost(const RunReport& faulty, const std::string& baseline) {
  const nlohmann::json base = nlohmann::json::parse(baseline, nullptr, false);
  if (base.is_discarded() || !base.contains("layers") || !base.contains("links"))
    throw std::runtime_error("not a healthy baseline");
  if (base.at("links").get<std::size_t>() != faulty.links.size())
    throw std::runtime_error("a healthy baseline of another platform");
  const nlohmann::json& layers = base.at("layers");
  if (layers.size() != faulty.layers.size()) throw std::runtime_error("a healthy baseline of other layers");
  FaultCost cost;
  double worst = -1;
  for (std::size_t i = 0; i < faulty.layers.size(); ++i) {
    const LayerResult& l = faulty.layers[i];
    const nlohmann::json& h = layers[i];
    if (h.at("phases").size() != l.phases.size()) throw std::runtime_error("a healthy baseline of other phases");
    const double healthy_us = h.at("total_us").get<double>();
    cost.healthy_us += healthy_us;
    cost.faulty_us += l.total_us();
    if (cost.phases.empty())
      for (const PhaseResult& p : l.phases) {
        cost.phases.emplace_back();
        cost.phases.back().label = stage_label(p);
      }
    for (std::size_t j = 0; j < l.phases.size(); ++j) {
      cost.phases[j].healthy_us += h.at("phases")[j].at("us").get<double>();
      cost.phases[j].faulty_us += l.phases[j].latency_us;
    }
    const double slowdown = healthy_us > 0 ? l.total_us() / healthy_us : 0;
    if (slowdown > worst) {
      worst = slowdown;
      cost.worst_layer = i;
    }
  }
  const LayerResult& l = faulty.layers.at(cost.worst_layer);
  for (std::size_t j = 0; j < l.phases.size(); ++j) {
    const nlohmann::json& h = layers[cost.worst_layer].at("phases")[j];
    PhaseFaultCost& p = cost.phases[j];
    p.healthy_bottleneck = h.at("bottleneck").get<std::string>();
    p.faulty_bottleneck = l.phases[j].has_bottleneck ? l.phases[j].bottleneck.link : "";
    moved(l.phases[j], h, faulty.links, p);
  }
  return cost;
}

}  // namespace moesim
