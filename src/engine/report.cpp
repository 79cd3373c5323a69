// Table, JSON and CSV writers of a run report.
#include "moesim/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "util/format.hpp"

namespace moesim {

double LayerResult::phase_us(PhaseKind k) const {
  double sum = 0;
  for (const auto& p : phases)
    if (p.kind == k) sum += p.latency_us;
  return sum;
}

std::uint64_t LayerResult::phase_bytes(PhaseKind k) const {
  std::uint64_t sum = 0;
  for (const auto& p : phases)
    if (p.kind == k) sum += p.network_bytes;
  return sum;
}

PhaseResult traffic_result(const Stage& phase) {
  PhaseResult r;
  r.kind = phase.kind;
  r.stage = phase.name;
  r.stage_index = phase.index;
  r.network_bytes = phase.network_bytes;
  r.flows = phase.flows.size();
  for (const Flow& f : phase.flows) r.messages += f.messages;
  return r;
}

PhaseResult traffic_result(const Phase& phase) {
  PhaseResult r;
  r.kind = phase.kind();
  r.whole_phase = phase.stages().size() > 1;
  for (const Stage& s : phase.stages()) {
    const PhaseResult one = traffic_result(s);
    r.network_bytes += one.network_bytes;
    r.flows += one.flows;
    r.messages += one.messages;
  }
  return r;
}

double LayerResult::group_phase_us(PhaseKind k, std::size_t g) const {
  double sum = 0;
  for (const auto& p : phases)
    if (p.kind == k && g < p.group_us.size()) sum += p.group_us[g];
  return sum;
}

double LayerResult::total_us() const {
  if (overlapped) return overlap.layer_us;
  double t = expert_us;
  for (const auto& p : phases) t += p.latency_us;
  return t;
}

Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  for (double x : v) s.sum += x;
  s.mean = s.sum / static_cast<double>(v.size());
  auto rank = [&](double p) {
    std::size_t k = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::min(v.size(), std::max<std::size_t>(k, 1)) - 1];
  };
  s.p50 = rank(50);
  s.p99 = rank(99);
  s.max = v.back();
  return s;
}

namespace {

nlohmann::json stats_json(const Stats& s) {
  return {{"sum", s.sum}, {"mean", s.mean}, {"p50", s.p50}, {"p99", s.p99}, {"max", s.max}};
}

std::vector<double> column(const RunReport& r, PhaseKind k) {
  std::vector<double> v;
  for (const auto& l : r.layers) v.push_back(l.phase_us(k));
  return v;
}

std::vector<double> totals(const std::vector<LayerResult>& layers) {
  std::vector<double> v;
  for (const auto& l : layers) v.push_back(l.total_us());
  return v;
}
std::vector<double> totals(const RunReport& r) { return totals(r.layers); }

std::string chip_name(const RunReport& r, ChipId c) {
  return c < r.chip_names.size() ? r.chip_names[c] : "chip " + std::to_string(c);
}

// The spread of the per-sample sums over layers.
nlohmann::json spread_json(const std::vector<double>& sums) {
  const Stats s = stats(sums);
  double var = 0;
  for (double x : sums) var += (x - s.mean) * (x - s.mean);
  const double n = static_cast<double>(sums.size());
  return {{"samples", sums.size()},
          {"mean_sum_us", s.mean},
          {"min_sum_us", *std::min_element(sums.begin(), sums.end())},
          {"max_sum_us", s.max},
          {"stddev_sum_us", n > 1 ? std::sqrt(var / (n - 1)) : 0.0}};
}

bool has_allgather(const RunReport& r) { return r.input.moe_tp > 1; }

// Layer i's total_us over the samples: min, mean, max.
struct Spread {
  double min = 0, mean = 0, max = 0;
};
Spread sample_spread(const RunReport& r, std::size_t i) {
  std::vector<double> v;
  for (const auto& sample : r.sample_layers) v.push_back(sample.at(i).total_us());
  const Stats s = stats(v);
  return {*std::min_element(v.begin(), v.end()), s.mean, s.max};
}


}  // namespace

namespace {

// Bytes over a time in microseconds, in GB/s; 0 for no time.
double GBps(double bytes, double us) { return us > 0 ? bytes / us / 1e3 : 0.0; }

// Chips of the EP groups: what per-chip bandwidths divide by.
double group_chips_all(const RunReport& r) {
  return static_cast<double>(std::max<std::size_t>(1, r.group_chips * std::max<std::size_t>(1, r.groups)));
}

}  // namespace

double algbw_GBps(const RunReport& r, const LayerResult& l, PhaseKind k) {
  double bytes = 0;  // the byte model's, per chip
  if (k == PhaseKind::kDispatch) bytes = static_cast<double>(r.bytes.dispatch_bytes);
  if (k == PhaseKind::kCombine) bytes = static_cast<double>(r.bytes.combine_bytes);
  if (k == PhaseKind::kAllgather)
    bytes = static_cast<double>(r.input.moe_tp > 0 ? r.input.moe_tp - 1 : 0) * static_cast<double>(r.bytes.combine_bytes);
  return GBps(bytes, l.phase_us(k));
}

double busbw_GBps(const RunReport& r, const LayerResult& l, PhaseKind k) {
  return GBps(static_cast<double>(l.phase_bytes(k)) / group_chips_all(r), l.phase_us(k));
}

std::vector<LinkClassSummary> link_classes(const std::vector<Link>& links) {
  std::vector<LinkClassSummary> out;
  for (const Link& l : links) {
    if (!l.duplex.empty() && !l.up) continue;  // a split-duplex link counts once
    auto same = [&](const LinkClassSummary& c) {
      return c.link_class == l.link_class && c.bandwidth_Bps == l.bandwidth_Bps && c.latency_s == l.latency_s;
    };
    auto it = std::find_if(out.begin(), out.end(), same);
    if (it == out.end())
      out.push_back({l.link_class, l.bandwidth_Bps, l.latency_s, 1});
    else
      ++it->links;
  }
  return out;
}

nlohmann::json bytes_json(const LayerBytes& b) {
  return {{"tokens_per_ep_group", b.tokens_per_ep_group},
          {"dispatch_bytes", b.dispatch_bytes},
          {"combine_bytes", b.combine_bytes}};
}

namespace {

// global_batch x seq_len / ep: the scenario's tokens_per_chip.
double tokens_per_chip(const RunReport& r) {
  return r.input.ep ? static_cast<double>(r.input.global_batch * r.input.seq_len) / static_cast<double>(r.input.ep)
                    : 0.0;
}

nlohmann::json scenario_json(const RunReport& r) {
  return {{"name", r.scenario_name},
          {"path", r.scenario_path},
          {"hidden_dim", r.input.hidden_dim},
          {"num_experts", r.num_experts},
          {"shared_experts", r.shared_experts},
          {"moe_layers", r.moe_layers},
          {"topk", r.input.topk},
          {"global_batch", r.input.global_batch},
          {"seq_len", r.input.seq_len},
          {"tokens_per_chip", tokens_per_chip(r)},
          {"ep", r.input.ep},
          {"moe_tp", r.input.moe_tp},
          {"precision",
           {{"name", r.input.precision.name},
            {"dispatch", dtype_name(r.input.precision.dispatch)},
            {"combine", dtype_name(r.input.precision.combine)}}}};
}

nlohmann::json phase_json(const PhaseResult& p, double chips) {
  nlohmann::json pj = {{"phase", phase_name(p.kind)},
                       {"latency_us", p.latency_us},
                       {"network_bytes", p.network_bytes},
                       {"busbw_GBps", GBps(static_cast<double>(p.network_bytes) / chips, p.latency_us)},
                       {"flows", p.flows},
                       {"messages", p.messages}};
  if (!p.stage.empty()) pj["stage"] = p.stage;
  if (p.has_slowest)
    pj["slowest_flow"] = {{"src", p.slowest.src},
                          {"dst", p.slowest.dst},
                          {"bytes", p.slowest.bytes},
                          {"finish_us", p.slowest_finish_us}};
  if (!p.critical_link.empty())
    pj["critical_link"] = {{"name", p.critical_link},
                           {"bytes", p.critical_link_bytes},
                           {"drain_us", p.drain_us},
                           {"max_path_latency_us", p.max_path_latency_us}};
  if (!p.link_bytes.empty()) {
    nlohmann::json top = nlohmann::json::array();
    for (const auto& u : p.top_links) {
      top.push_back({{"name", u.name},
                     {"where", u.where},
                     {"bytes", u.bytes},
                     {"busy_us", u.busy_us},
                     {"utilization", u.utilization}});
      if (u.simgrid_bytes >= 0) top.back()["simgrid_bytes"] = u.simgrid_bytes;
    }
    pj["top_links"] = top;
  }
  if (p.has_bottleneck)
    pj["bottleneck"] = {{"link", p.bottleneck.link},
                        {"where", p.bottleneck.where},
                        {"link_bytes", p.bottleneck.link_bytes},
                        {"bound_us", p.bottleneck.bound_us},
                        {"measured_us", p.bottleneck.measured_us},
                        {"above_bound", p.bottleneck.above_bound},
                        {"slowest_flow_path", p.bottleneck.slowest_path}};
  return pj;
}

nlohmann::json layer_json(const RunReport& r, const LayerResult& l) {
  nlohmann::json lj = {{"layer", l.layer},
                       {"dispatch_us", l.phase_us(PhaseKind::kDispatch)},
                       {"combine_us", l.phase_us(PhaseKind::kCombine)},
                       {"expert_us", l.expert_us},
                       {"total_us", l.total_us()},
                       {"dispatch_bytes", l.phase_bytes(PhaseKind::kDispatch)},
                       {"combine_bytes", l.phase_bytes(PhaseKind::kCombine)},
                       {"simulated_as", l.simulated_as}};
  for (PhaseKind k : {PhaseKind::kDispatch, PhaseKind::kCombine}) {
    lj[phase_name(k) + "_algbw_GBps"] = algbw_GBps(r, l, k);
    lj[phase_name(k) + "_busbw_GBps"] = busbw_GBps(r, l, k);
  }
  if (has_allgather(r)) {
    lj["allgather_us"] = l.phase_us(PhaseKind::kAllgather);
    lj["allgather_bytes"] = l.phase_bytes(PhaseKind::kAllgather);
  }
  const LayerStats& st = l.stats;
  lj["busiest_receiver"] = {{"chip", chip_name(r, st.busiest_chip)}, {"bytes", st.busiest_bytes}};
  if (st.routed) lj["busiest_receiver"]["experts"] = st.busiest_experts;
  lj["imbalance"] = st.imbalance;
  if (st.routed) {
    lj["max_experts"] = st.max_experts;
    lj["mean_rank_tokens"] = st.mean_rank_tokens;
    lj["dispatch_bytes_dedup"] = st.dispatch_bytes_dedup;
    lj["dispatch_bytes_all_copies"] = st.dispatch_bytes_all;
  }
  if (r.groups > 1) {
    nlohmann::json groups = nlohmann::json::array();
    for (std::size_t g = 0; g < r.groups; ++g) {
      nlohmann::json gj = {{"group", g}};
      for (const auto& p : l.phases)
        if (g < p.group_us.size()) gj[phase_name(p.kind) + "_us"] = l.group_phase_us(p.kind, g);
      groups.push_back(gj);
    }
    lj["groups"] = groups;
  }
  nlohmann::json phases = nlohmann::json::array();
  for (const auto& p : l.phases) phases.push_back(phase_json(p, group_chips_all(r)));
  lj["phases"] = phases;
  if (l.overlapped) {
    const OverlapResult& o = l.overlap;
    nlohmann::json ops = nlohmann::json::object();
    for (const auto& [op, us] : o.op_us) ops[op] = us;
    lj["overlap"] = {{"layer_us", o.layer_us},          {"compute_us", o.compute_us},
                     {"comm_us", o.comm_us},            {"exposed_us", o.exposed_us},
                     {"overlap_efficiency", o.overlap_efficiency},
                     {"step_us", o.step_us},            {"critical_lane", o.critical_lane},
                     {"compute_op_us", ops}};
  }
  return lj;
}

// An overlapped run's layers together: the whole forward pass of its MoE
// layers, and the tokens a chip gets through it a second.
struct OverlapSummary {
  double step_us = 0, compute_us = 0, comm_us = 0, exposed_us = 0, tokens_per_s = 0, efficiency = 0;
};
OverlapSummary overlap_summary(const RunReport& r) {
  OverlapSummary o;
  for (const auto& l : r.layers) {
    o.step_us += l.overlap.layer_us;
    o.compute_us += l.overlap.compute_us;
    o.comm_us += l.overlap.comm_us;
    o.exposed_us += l.overlap.exposed_us;
  }
  double tokens = 0;
  for (std::uint64_t t : r.micro_batch_tokens) tokens += static_cast<double>(t);
  if (r.input.ep) tokens /= static_cast<double>(r.input.ep);
  o.tokens_per_s = o.step_us > 0 ? tokens / o.step_us * 1e6 : 0;
  o.efficiency = o.comm_us > 0 ? 1.0 - std::min(1.0, o.exposed_us / o.comm_us) : 0;
  return o;
}

nlohmann::json summary_json(const RunReport& r) {
  nlohmann::json summary = {{"layers", r.layers.size()},
                            {"distinct_layers", r.distinct_layers},
                            {"total_us", stats_json(stats(totals(r)))},
                            {"dispatch_us", stats_json(stats(column(r, PhaseKind::kDispatch)))},
                            {"combine_us", stats_json(stats(column(r, PhaseKind::kCombine)))}};
  if (has_allgather(r)) summary["allgather_us"] = stats_json(stats(column(r, PhaseKind::kAllgather)));
  if (r.fault_cost)
    summary["fault_cost"] = {{"healthy_us", r.fault_cost->healthy_us},
                             {"faulty_us", r.fault_cost->faulty_us},
                             {"slowdown", r.fault_cost->slowdown()}};
  std::vector<double> imbalance;
  for (const auto& l : r.layers) imbalance.push_back(l.stats.imbalance);
  summary["imbalance"] = stats_json(stats(imbalance));
  if (!r.schedule.empty()) {
    const OverlapSummary o = overlap_summary(r);
    summary["overlap"] = {{"moe_layers_us", o.step_us},          {"compute_us", o.compute_us},
                          {"comm_us", o.comm_us},                {"exposed_us", o.exposed_us},
                          {"overlap_efficiency", o.efficiency}, {"tokens_per_s_per_chip", o.tokens_per_s}};
  }
  return summary;
}

nlohmann::json fault_cost_json(const RunReport& r) {
  const FaultCost& c = *r.fault_cost;
  nlohmann::json phases = nlohmann::json::array();
  for (const auto& p : c.phases) {
    nlohmann::json gained = nlohmann::json::array();
    for (const auto& [link, bytes] : p.gained) gained.push_back({{"link", link}, {"bytes", bytes}});
    phases.push_back({{"phase", p.label},
                      {"healthy_us", p.healthy_us},
                      {"faulty_us", p.faulty_us},
                      {"slowdown", p.slowdown()},
                      {"healthy_bottleneck", p.healthy_bottleneck},
                      {"faulty_bottleneck", p.faulty_bottleneck},
                      {"moved_bytes", p.moved_bytes},
                      {"gained", gained}});
  }
  return {{"healthy_us", c.healthy_us},
          {"faulty_us", c.faulty_us},
          {"slowdown", c.slowdown()},
          {"worst_layer", r.layers.at(c.worst_layer).layer},
          {"phases", phases}};
}

}  // namespace

nlohmann::json to_json(const RunReport& r) {
  nlohmann::json j;
  j["moesim_version"] = MOESIM_VERSION;
  j["scenario"] = scenario_json(r);
  j["platform"] = {{"name", r.platform_name},
                   {"path", r.platform_path},
                   {"chips", r.platform_chips},
                   {"links", r.platform_links},
                   {"group_chips", r.group_chips},
                   {"link_classes", nlohmann::json::array()}};
  for (const LinkClassSummary& c : link_classes(r.links))
    j["platform"]["link_classes"].push_back({{"class", c.link_class},
                                             {"bandwidth_GBps", c.bandwidth_Bps / 1e9},
                                             {"latency_us", c.latency_s * 1e6},
                                             {"links", c.links}});
  j["engine"] = r.engine;
  if (!r.network_model.empty()) {
    j["simgrid"] = {{"network_model", r.network_model}, {"fidelity", r.fidelity}, {"cfg", r.simgrid_cfg}};
    if (!r.fidelity_note.empty())
      j["simgrid"]["fidelity_error"] = {
          {"measured", r.fidelity_error_measured}, {"max_error", r.fidelity_max_error}, {"note", r.fidelity_note}};
  }
  j["bytes"] = bytes_json(r.bytes);
  j["comm"] = {{"algorithm", comm_algorithm_name(r.comm.algorithm)},
               {"token_overhead_bytes", r.comm.token_overhead_bytes},
               {"message_bytes", r.comm.message_bytes},
               {"per_message_us", r.comm.per_message_us}};
  auto costs = [](const SendCosts& c) {
    nlohmann::json j = {{"all_us", c.all_us}, {"class_us", nlohmann::json::object()}};
    for (const auto& [cls, us] : c.class_us) j["class_us"][cls] = us;
    return j;
  };
  j["comm"]["sender_costs"] = {{"per_message", costs(r.per_message)}, {"per_peer", costs(r.per_peer)}};
  j["calibration"] = r.calibration_set_aside ? "none (set aside by the scenario)" : r.calibration;
  j["faults"] = nlohmann::json::array();
  for (const LinkFault& f : r.faults) {
    nlohmann::json one = {{"down", f.down}, {"bandwidth", f.bandwidth}, {"latency_us", f.latency_us},
                          {"drawn", f.key == "fault_draw"}};
    one[f.node.empty() ? "link" : "node"] = f.node.empty() ? f.link : f.node;
    j["faults"].push_back(one);
  }
  j["rerouted_pairs"] = r.rerouted_pairs;
  if (r.fault_cost) j["fault_cost"] = fault_cost_json(r);
  if (!r.schedule.empty())
    j["overlap"] = {{"schedule", r.schedule},
                    {"steps", r.schedule_steps},
                    {"micro_batch_tokens", r.micro_batch_tokens},
                    {"chip_compute", r.chip_compute},
                    {"experts", r.experts_priced}};
  j["layers"] = nlohmann::json::array();
  for (const auto& l : r.layers) j["layers"].push_back(layer_json(r, l));
  j["summary"] = summary_json(r);
  j["traffic"] = {{"routing", r.routing},
                  {"dedup", r.dedup},
                  {"groups", r.groups},
                  {"seed", r.sample_seeds.empty() ? 0 : r.sample_seeds.front()},
                  {"samples", std::max<std::size_t>(1, r.sample_seeds.size())}};
  if (r.sample_layers.size() > 1) {
    nlohmann::json samples = nlohmann::json::array();
    std::vector<double> sums;
    for (std::size_t k = 0; k < r.sample_layers.size(); ++k) {
      const Stats t = stats(totals(r.sample_layers[k]));
      sums.push_back(t.sum);
      samples.push_back({{"seed", r.sample_seeds[k]}, {"total_us", stats_json(t)}});
    }
    j["samples"] = samples;
    j["spread"] = spread_json(sums);
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
      const Spread sp = sample_spread(r, i);
      j["layers"][i]["total_us_samples"] = {{"min", sp.min}, {"mean", sp.mean}, {"max", sp.max}};
    }
  }
  return j;
}

namespace {

// "c2c 400 GB/s (3200 Gb/s), 0.2 us, 112 links": bytes and bits, so that
// a platform's 45Gbps is not taken for 45GBps.
std::string link_class_text(const LinkClassSummary& c) {
  return format("%s%g GB/s (%g Gb/s), %g us, %s", c.link_class.empty() ? "" : (c.link_class + " ").c_str(),
                c.bandwidth_Bps / 1e9, c.bandwidth_Bps * 8 / 1e9, c.latency_s * 1e6,
                plural(c.links, "link").c_str());
}

void head_links(const RunReport& r, std::ostream& out) {
  const std::vector<LinkClassSummary> classes = link_classes(r.links);
  if (classes.empty()) return;
  constexpr std::size_t kShown = 6;
  out << "links, each way:";
  for (std::size_t i = 0; i < classes.size() && i < kShown; ++i)
    out << (i ? "; " : " ") << link_class_text(classes[i]);
  if (classes.size() > kShown) out << "; and " << classes.size() - kShown << " more (the JSON's platform.link_classes)";
  out << "\n";
}

void head_traffic(const RunReport& r, bool routed, std::ostream& out) {
  const std::uint64_t tokens = r.input.global_batch * r.input.seq_len;
  out << format("tokens: global_batch %llu x seq_len %llu = %llu per EP group; tokens_per_chip %g (over ep %llu)\n",
                static_cast<unsigned long long>(r.input.global_batch),
                static_cast<unsigned long long>(r.input.seq_len), static_cast<unsigned long long>(tokens),
                tokens_per_chip(r), static_cast<unsigned long long>(r.input.ep));
  out << format("byte model, per chip: receives %llu token copies (tokens_per_ep_group), dispatch %llu B (%s), "
                "combine %llu B (%s)\n",
                static_cast<unsigned long long>(r.bytes.tokens_per_ep_group),
                static_cast<unsigned long long>(r.bytes.dispatch_bytes),
                dtype_name(r.input.precision.dispatch).c_str(),
                static_cast<unsigned long long>(r.bytes.combine_bytes),
                dtype_name(r.input.precision.combine).c_str());
  if (r.routing != "uniform" || r.groups > 1)
    out << "traffic: " << r.routing << " routing"
        << (routed ? (r.dedup ? ", a token once per rank" : ", every expert copy counted") : "") << ", "
        << plural(r.groups, "EP group") << ", seed " << (r.sample_seeds.empty() ? 0 : r.sample_seeds.front())
        << "\n";
}

void head_comm(const RunReport& r, std::ostream& out) {
  const CommSpec& c = r.comm;
  if (c.algorithm == CommAlgorithm::kDirect && !c.token_overhead_bytes && !c.message_bytes && r.per_message.empty() &&
      r.per_peer.empty())
    return;
  out << "all-to-all: " << comm_algorithm_name(c.algorithm);
  if (c.token_overhead_bytes)
    out << format(", %llu B more a dispatched token", static_cast<unsigned long long>(c.token_overhead_bytes));
  if (c.message_bytes) out << format(", messages of %llu B", static_cast<unsigned long long>(c.message_bytes));
  if (!r.per_message.empty()) {
    if (r.per_message.class_us.empty())
      out << format(", %.3f us a message", r.per_message.all_us);
    else
      out << ", a message " << r.per_message.describe() << " (by the link classes its route crosses)";
    out << " (" << (c.message_bytes                              ? "ceil(flow bytes / message bytes) messages a flow"
                    : c.algorithm == CommAlgorithm::kPerExpert ? "a message a token copy"
                                                               : "a message a flow")
        << ")";
  }
  if (!r.per_peer.empty())
    out << ", a peer " << r.per_peer.describe() << (r.per_peer.class_us.empty() ? "" : " (by the link classes crossed)");
  out << "\n";
}

void table_head(const RunReport& r, bool routed, std::ostream& out) {
  out << "scenario " << r.scenario_name << " on " << r.platform_name << " (" << r.group_chips << " of "
      << plural(r.platform_chips, "chip") << "), engine " << r.engine;
  if (!r.network_model.empty())
    out << " ("
        << (r.fidelity == "ptask" ? "ptask_L07, one task per phase, EP group and route latency"
                                  : r.network_model + ", one comm per flow")
        << ")";
  out << "\n";
  if (!r.fidelity_note.empty()) out << "fidelity: " << r.fidelity_note << "\n";
  head_links(r, out);
  head_traffic(r, routed, out);
  head_comm(r, out);
  for (std::size_t i = 0; i < r.faults.size(); ++i) {
    const LinkFault& f = r.faults[i];
    out << (i == 0 ? "faults: " : "; ") << (f.node.empty() ? f.link : "node " + f.node);
    if (f.key == "fault_draw") out << " (drawn)";
    if (f.down) out << " down";
    if (f.bandwidth < 1) out << format(" keeps %g%% of its bandwidth", 100 * f.bandwidth);
    if (f.latency_us > 0) out << (f.bandwidth < 1 ? " and" : "") << format(" gains %g us of latency", f.latency_us);
    if (i + 1 < r.faults.size()) continue;
    if (r.rerouted_pairs) out << format("; %zu pairs routed around dead links", r.rerouted_pairs);
    out << "\n";
  }
  if (r.calibration_set_aside)
    out << "calibration: none (the scenario's calibration: none; the platform's nominal network)\n";
  else if (r.calibration != "none")
    out << "calibration: " << r.calibration << "\n";
  if (r.schedule.empty()) return;
  std::string tokens;
  for (std::uint64_t t : r.micro_batch_tokens) tokens += (tokens.empty() ? "" : " + ") + std::to_string(t);
  const std::size_t n = r.micro_batch_tokens.size();
  out << "overlap: " << r.schedule << ", " << n << (n == 1 ? " micro-batch" : " micro-batches") << " of " << tokens
      << " tokens an EP group" << (n > 1 && r.routing != "uniform" ? ", each with its own routing draw" : "")
      << "; steps (lanes at once, separated by |):\n";
  for (std::size_t i = 0; i < r.schedule_steps.size(); ++i)
    out << format("  %zu  %s\n", i + 1, r.schedule_steps[i].c_str());
  out << "compute: experts " << r.experts_priced;
  if (!r.chip_compute.empty()) out << "; chip " << r.chip_compute;
  out << "\n";
}

// An overlapped layer's row without its label.
std::string overlap_row_text(const LayerResult& l) {
  const OverlapResult& o = l.overlap;
  return format("%12.3f %12.3f %12.3f %12.3f %8.1f%%", o.compute_us, o.comm_us, o.exposed_us, o.layer_us,
                100 * o.overlap_efficiency);
}

// A layer's row without its label.
std::string row_text(const RunReport& r, const LayerResult& l, std::size_t i, bool routed) {
  std::string row = format("%12.3f %12.3f ", l.phase_us(PhaseKind::kDispatch), l.phase_us(PhaseKind::kCombine));
  if (has_allgather(r)) row += format("%12.3f ", l.phase_us(PhaseKind::kAllgather));
  row += format("%12.3f %8.2f %8.2f %8.2f %8.2f %16llu %16llu", l.total_us(), algbw_GBps(r, l, PhaseKind::kDispatch),
                busbw_GBps(r, l, PhaseKind::kDispatch), algbw_GBps(r, l, PhaseKind::kCombine),
                busbw_GBps(r, l, PhaseKind::kCombine),
                static_cast<unsigned long long>(l.phase_bytes(PhaseKind::kDispatch)),
                static_cast<unsigned long long>(l.phase_bytes(PhaseKind::kCombine)));
  if (r.sample_layers.size() > 1) {
    const Spread sp = sample_spread(r, i);
    row += format(" %12.3f %12.3f %12.3f", sp.min, sp.mean, sp.max);
  }
  if (routed)
    row += format("  %9.3f  %11u  %s", l.stats.imbalance, l.stats.max_experts, chip_name(r, l.stats.busiest_chip).c_str());
  return row;
}

// A row per layer; consecutive layers with the same row are one row,
// labelled with their range ("0-57") and "(58 identical)".
void table_rows(const RunReport& r, bool routed, std::ostream& out) {
  if (!r.schedule.empty()) {
    out << format("%9s %12s %12s %12s %12s %9s\n", "layer", "compute_us", "comm_us", "exposed_us", "total_us",
                  "hidden");
    for (std::size_t i = 0; i < r.layers.size();) {
      const std::string row = overlap_row_text(r.layers[i]);
      std::size_t j = i + 1;
      while (j < r.layers.size() && overlap_row_text(r.layers[j]) == row) ++j;
      const std::string label = j - i == 1 ? std::to_string(r.layers[i].layer)
                                           : format("%zu-%zu", r.layers[i].layer, r.layers[j - 1].layer);
      out << format("%9s ", label.c_str()) << row << (j - i > 1 ? format("  (%zu identical)", j - i) : "") << "\n";
      i = j;
    }
    out << "          (compute: the busiest chip's, every micro-batch; comm: the rounds' times; exposed: total - "
           "compute;\n           hidden: the share of comm under compute)\n";
    return;
  }
  out << format("%9s %12s %12s %s%12s %8s %8s %8s %8s %16s %16s%s%s\n", "layer", "dispatch_us", "combine_us",
                has_allgather(r) ? "allgather_us " : "", "total_us", "algbw_d", "busbw_d", "algbw_c", "busbw_c",
                "dispatch_net_B", "combine_net_B",
                r.sample_layers.size() > 1 ? "  total_us_min total_us_mean total_us_max" : "",
                routed ? "  imbalance  max_experts  busiest_chip" : "");
  for (std::size_t i = 0; i < r.layers.size();) {
    const std::string row = row_text(r, r.layers[i], i, routed);
    std::size_t j = i + 1;
    while (j < r.layers.size() && row_text(r, r.layers[j], j, routed) == row) ++j;
    const std::size_t first = r.layers[i].layer, last = r.layers[j - 1].layer;
    const std::string label = j - i == 1 ? std::to_string(first) : format("%zu-%zu", first, last);
    out << format("%9s ", label.c_str()) << row << (j - i > 1 ? format("  (%zu identical)", j - i) : "") << "\n";
    i = j;
  }
  out << "          (algbw, busbw: GB/s per chip, _d dispatch, _c combine; *_net_B: bytes all EP groups put on the "
         "network)\n";
}

void table_samples(const RunReport& r, std::ostream& out) {
  if (r.sample_layers.size() < 2) return;
  std::vector<double> sums;
  for (std::size_t k = 0; k < r.sample_layers.size(); ++k) {
    const Stats s = stats(totals(r.sample_layers[k]));
    sums.push_back(s.sum);
    out << format("sample seed %llu: sum %.3f  mean %.3f  p99 %.3f  max %.3f\n",
                  static_cast<unsigned long long>(r.sample_seeds[k]), s.sum, s.mean, s.p99, s.max);
  }
  const nlohmann::json sp = spread_json(sums);
  out << format("spread over %zu samples of the sum: mean %.3f  min %.3f  max %.3f  stddev %.3f us\n", sums.size(),
                sp["mean_sum_us"].get<double>(), sp["min_sum_us"].get<double>(), sp["max_sum_us"].get<double>(),
                sp["stddev_sum_us"].get<double>());
}

void table_summary(const RunReport& r, std::ostream& out) {
  const Stats t = stats(totals(r));
  out << format("summary over %s (total_us): sum %.3f  mean %.3f  p50 %.3f  p99 %.3f  max %.3f\n",
                plural(r.layers.size(), "layer").c_str(), t.sum, t.mean, t.p50, t.p99, t.max);
  for (std::size_t g = 0; r.groups > 1 && g < r.groups; ++g) {
    std::vector<double> d, c;
    for (const auto& l : r.layers) {
      d.push_back(l.group_phase_us(PhaseKind::kDispatch, g));
      c.push_back(l.group_phase_us(PhaseKind::kCombine, g));
    }
    out << format("EP group %zu: dispatch mean %.3f us, max %.3f us; combine mean %.3f us, max %.3f us\n", g,
                  stats(d).mean, stats(d).max, stats(c).mean, stats(c).max);
  }
  table_samples(r, out);
  if (!r.schedule.empty()) {
    const OverlapSummary o = overlap_summary(r);
    out << format("MoE layers together: %.3f us, compute %.3f us, communication %.3f us of which %.3f us exposed "
                  "(%.1f%% hidden); %.0f tokens a chip a second through them\n",
                  o.step_us, o.compute_us, o.comm_us, o.exposed_us, 100 * o.efficiency, o.tokens_per_s);
  }
  const std::size_t all_layers = r.sample_layers.empty() ? r.layers.size() : r.sample_layers.size() * r.layers.size();
  if (r.distinct_layers < all_layers)
    out << r.distinct_layers << " distinct traffic matri" << (r.distinct_layers == 1 ? "x" : "ces")
        << " computed; the other " << plural(all_layers - r.distinct_layers, "layer") << " "
        << (all_layers - r.distinct_layers == 1 ? "has identical traffic and reuses" : "have identical traffic and reuse")
        << " the result\n";
}

// "why layer 3 (the slowest) takes", or, when every layer takes as long,
// "why each of the 58 layers takes".
std::string why_title(const RunReport& r, const LayerResult& slow) {
  const bool alike = std::all_of(r.layers.begin(), r.layers.end(),
                                 [&](const LayerResult& l) { return l.total_us() == slow.total_us(); });
  if (r.layers.size() == 1) return format("why layer %zu takes %.3f us:\n", slow.layer, slow.total_us());
  if (alike)
    return format("why each of the %zu layers takes %.3f us (they all take as long; layer %zu shown):\n",
                  r.layers.size(), slow.total_us(), slow.layer);
  return format("why layer %zu (the slowest) takes %.3f us:\n", slow.layer, slow.total_us());
}

// Why the slowest layer is slow: each phase against its bound, its bottleneck, its busiest links.
void table_why(const RunReport& r, std::ostream& out) {
  const LayerResult* slow = nullptr;
  for (const auto& l : r.layers)
    if (!slow || l.total_us() > slow->total_us()) slow = &l;
  if (!slow || std::none_of(slow->phases.begin(), slow->phases.end(),
                            [](const PhaseResult& p) { return p.has_bottleneck; }))
    return;
  out << why_title(r, *slow);
  if (slow->overlapped) {
    const OverlapResult& o = slow->overlap;
    out << "  steps:";
    for (std::size_t i = 0; i < o.step_us.size(); ++i)
      out << format(" %zu %.3f us (lane %zu)%s", i + 1, o.step_us[i], o.critical_lane[i] + 1,
                    i + 1 < o.step_us.size() ? "," : "");
    out << "\n  compute on its busiest chip:";
    for (std::size_t i = 0; i < o.op_us.size(); ++i)
      out << format(" %s %.3f us%s", o.op_us[i].first.c_str(), o.op_us[i].second, i + 1 < o.op_us.size() ? "," : "");
    out << "\n";
  }
  int width = 9;  // the longest label: "allgather", or a stage's
  for (const auto& p : slow->phases) width = std::max(width, static_cast<int>(stage_label(p).size()));
  for (const auto& p : slow->phases) {
    if (!p.has_bottleneck) continue;
    const Bottleneck& b = p.bottleneck;
    const std::string name = stage_label(p);
    out << format("  %-*s %10.3f us = %.3f x its bound %.3f us; bottleneck %s (%s), %.0f B", width,
                  name.c_str(), p.latency_us, b.above_bound, b.bound_us, b.link.c_str(),
                  b.where.c_str(), b.link_bytes);
    if (p.has_slowest)
      out << "; slowest flow " << chip_name(r, p.slowest.src) << " -> " << chip_name(r, p.slowest.dst) << " ("
          << plural(b.slowest_path.size(), "link") << ")";
    out << "\n";
    if (p.top_links.empty()) continue;
    out << "            busiest links:";
    const std::size_t shown = std::min<std::size_t>(3, p.top_links.size());
    for (std::size_t i = 0; i < shown; ++i)
      out << format(" %s %.0f B %.1f%%", p.top_links[i].name.c_str(), p.top_links[i].bytes,
                    100 * p.top_links[i].utilization)
          << (i + 1 < shown ? "," : "");
    out << "\n";
  }
}

// What the faults cost: each phase on the healthy platform and on this one.
void table_fault_cost(const RunReport& r, std::ostream& out) {
  if (!r.fault_cost) return;
  const FaultCost& c = *r.fault_cost;
  out << format("fault cost, against the same run on the healthy platform: MoE layers %.3f us healthy, %.3f us "
                "faulty (x%.3f)\n",
                c.healthy_us, c.faulty_us, c.slowdown());
  int width = 9;
  for (const auto& p : c.phases) width = std::max(width, static_cast<int>(p.label.size()));
  out << format("  %-*s %12s %12s %9s  bottleneck healthy -> faulty, moved and gained in layer %zu\n", width,
                "phase", "healthy_us", "faulty_us", "slowdown", r.layers.at(c.worst_layer).layer);
  for (const auto& p : c.phases) {
    out << format("  %-*s %12.3f %12.3f %9s  %s -> %s", width, p.label.c_str(), p.healthy_us, p.faulty_us,
                  format("x%.3f", p.slowdown()).c_str(), p.healthy_bottleneck.c_str(), p.faulty_bottleneck.c_str());
    if (p.moved_bytes > 0) out << format("; %.0f B moved", p.moved_bytes);
    for (std::size_t i = 0; i < p.gained.size(); ++i)
      out << (i == 0 ? "; gained: " : ", ") << p.gained[i].first << format(" +%.0f B", p.gained[i].second);
    out << "\n";
  }
}

}  // namespace

std::string to_table(const RunReport& r, const TableOptions& options) {
  std::ostringstream out;
  const bool routed = !r.layers.empty() && r.layers.front().stats.routed;
  table_head(r, routed, out);
  if (options.rows) table_rows(r, routed, out);
  table_summary(r, out);
  table_fault_cost(r, out);
  if (options.rows) table_why(r, out);
  return out.str();
}

std::string to_csv(const RunReport& r) {
  std::ostringstream out;
  out << "seed,layer,dispatch_us,combine_us,allgather_us,expert_us,total_us,dispatch_bytes,combine_bytes,"
         "allgather_bytes,imbalance,max_experts,busiest_chip,busiest_bytes,dispatch_bytes_dedup,"
         "dispatch_bytes_all_copies,simulated_as,dispatch_algbw_GBps,dispatch_busbw_GBps,combine_algbw_GBps,"
         "combine_busbw_GBps\n";
  char line[512];
  const std::vector<std::vector<LayerResult>> one = {r.layers};
  const auto& samples = r.sample_layers.empty() ? one : r.sample_layers;
  for (std::size_t k = 0; k < samples.size(); ++k)
    for (const auto& l : samples[k]) {
      const LayerStats& st = l.stats;
      std::snprintf(line, sizeof line, "%llu,%zu,%.6f,%.6f,%.6f,%.6f,%.6f,%llu,%llu,%llu,%.6f,%u,%s,%llu,%llu,%llu,%zu",
                    static_cast<unsigned long long>(k < r.sample_seeds.size() ? r.sample_seeds[k] : 0), l.layer,
                    l.phase_us(PhaseKind::kDispatch), l.phase_us(PhaseKind::kCombine),
                    l.phase_us(PhaseKind::kAllgather), l.expert_us, l.total_us(),
                    static_cast<unsigned long long>(l.phase_bytes(PhaseKind::kDispatch)),
                    static_cast<unsigned long long>(l.phase_bytes(PhaseKind::kCombine)),
                    static_cast<unsigned long long>(l.phase_bytes(PhaseKind::kAllgather)), st.imbalance,
                    st.max_experts, chip_name(r, st.busiest_chip).c_str(),
                    static_cast<unsigned long long>(st.busiest_bytes),
                    static_cast<unsigned long long>(st.dispatch_bytes_dedup),
                    static_cast<unsigned long long>(st.dispatch_bytes_all), l.simulated_as);
      out << line
          << format(",%.6f,%.6f,%.6f,%.6f\n", algbw_GBps(r, l, PhaseKind::kDispatch),
                    busbw_GBps(r, l, PhaseKind::kDispatch), algbw_GBps(r, l, PhaseKind::kCombine),
                    busbw_GBps(r, l, PhaseKind::kCombine));
    }
  return out.str();
}

}  // namespace moesim
