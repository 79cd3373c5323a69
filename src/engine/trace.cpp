// Chrome / Perfetto trace JSON of a run, and the per-link CSV.
#include <cstdio>
#include <sstream>

#include "engine/explain.hpp"
#include "moesim/report.hpp"

namespace moesim {

namespace {

constexpr int kPhasesPid = 1, kChipsPid = 2, kFlowsPid = 3, kLinksPid = 4, kMicroBatchesPid = 5;

nlohmann::json meta(int pid, int tid, const char* what, const std::string& name) {
  nlohmann::json m = {{"ph", "M"}, {"pid", pid}, {"name", what}, {"args", {{"name", name}}}};
  if (tid >= 0) m["tid"] = tid;
  return m;
}

nlohmann::json span(int pid, int tid, const std::string& name, const char* cat, double ts, double dur) {
  return {{"ph", "X"}, {"pid", pid}, {"tid", tid}, {"name", name}, {"cat", cat}, {"ts", ts}, {"dur", dur}};
}

// An overlapped layer from `t`: its steps on the phases' thread, each
// micro-batch's compute and transfers on threads of their own (on the chip
// with the most compute), and the busiest links of each round.
void overlapped_layer_events(const LayerResult& l, double t, nlohmann::json& ev) {
  const OverlapResult& o = l.overlap;
  double at = t;
  for (std::size_t i = 0; i < o.step_us.size(); ++i) {
    nlohmann::json s = span(kPhasesPid, 0, "step " + std::to_string(i + 1) + " " + std::to_string(l.layer), "step", at,
                            o.step_us[i]);
    s["args"] = {{"layer", l.layer}, {"critical_lane", o.critical_lane[i] + 1}};
    ev.push_back(s);
    at += o.step_us[i];
  }
  for (const OpSpan& sp : o.spans) {
    const bool comm = is_comm(sp.op.kind);
    const int tid = static_cast<int>(sp.op.micro_batch * 2 + (comm ? 1 : 0));
    nlohmann::json s = span(kMicroBatchesPid, tid, op_text(sp.op, o.micro_batches) + " " + std::to_string(l.layer),
                            comm ? "transfer" : "compute", t + sp.start_us, sp.dur_us);
    s["args"] = {{"layer", l.layer}, {"step", sp.step + 1}, {"lane", sp.lane + 1}};
    ev.push_back(s);
  }
}

}  // namespace

nlohmann::json to_trace(const RunReport& r) {
  nlohmann::json ev = nlohmann::json::array();
  ev.push_back(meta(kPhasesPid, -1, "process_name", "phases of " + r.scenario_name + " on " + r.platform_name));
  ev.push_back(meta(kPhasesPid, 0, "thread_name", "all chips"));
  ev.push_back(meta(kChipsPid, -1, "process_name", "chips (when each chip's own sends and receives were done)"));
  ev.push_back(meta(kFlowsPid, -1, "process_name", "flows of layer 0, by destination (the latest to finish)"));
  ev.push_back(meta(kLinksPid, -1, "process_name", "link utilisation (the busiest links of each phase)"));
  std::vector<bool> chip_named(r.chip_names.size(), false), dest_named(r.chip_names.size(), false);
  if (!r.layers.empty() && r.layers.front().overlapped) {
    const OverlapResult& o = r.layers.front().overlap;
    ev.push_back(meta(kMicroBatchesPid, -1, "process_name",
                      "micro-batches on " + (o.busiest_chip < r.chip_names.size() ? r.chip_names[o.busiest_chip] : std::string("a chip")) +
                          " (the chip with the most compute)"));
    for (std::uint32_t m = 0; m < o.micro_batches; ++m) {
      const std::string mb = o.micro_batches > 1 ? "micro-batch " + std::string(1, static_cast<char>('a' + m)) : "the batch";
      ev.push_back(meta(kMicroBatchesPid, static_cast<int>(2 * m), "thread_name", mb + ": compute"));
      ev.push_back(meta(kMicroBatchesPid, static_cast<int>(2 * m + 1), "thread_name", mb + ": transfers"));
    }
  }
  double t = 0;  // layers back to back, in microseconds
  for (const auto& l : r.layers) {
    if (l.overlapped) {
      overlapped_layer_events(l, t, ev);
      t += l.total_us();
      continue;
    }
    for (const auto& p : l.phases) {
      if (p.kind == PhaseKind::kCombine && p.stage_index == 0 && l.expert_us > 0) {
        ev.push_back(span(kPhasesPid, 0, "expert " + std::to_string(l.layer), "expert", t, l.expert_us));
        t += l.expert_us;
      }
      const std::string name = stage_label(p) + " " + std::to_string(l.layer);
      nlohmann::json s = span(kPhasesPid, 0, name, phase_name(p.kind).c_str(), t, p.latency_us);
      s["args"] = {{"layer", l.layer}, {"flows", p.flows}, {"network_bytes", p.network_bytes}};
      if (!p.stage.empty()) s["args"]["stage"] = p.stage;
      if (p.has_bottleneck) {
        s["args"]["bottleneck"] = p.bottleneck.link + " (" + p.bottleneck.where + ")";
        s["args"]["above_bound"] = p.bottleneck.above_bound;
      }
      ev.push_back(s);
      for (std::size_t c = 0; c < p.chip_done_us.size() && c < r.chip_names.size(); ++c) {
        if (p.chip_done_us[c] < 0) continue;
        if (!chip_named[c]) {
          ev.push_back(meta(kChipsPid, static_cast<int>(c), "thread_name", r.chip_names[c]));
          chip_named[c] = true;
        }
        ev.push_back(span(kChipsPid, static_cast<int>(c), name, phase_name(p.kind).c_str(), t, p.chip_done_us[c]));
      }
      for (const auto& f : l.layer == 0 ? p.flow_spans : std::vector<PhaseResult::FlowSpan>{}) {
        const ChipId d = f.flow.dst;
        if (d < dest_named.size() && !dest_named[d]) {
          ev.push_back(meta(kFlowsPid, static_cast<int>(d), "thread_name", "to " + r.chip_names[d]));
          dest_named[d] = true;
        }
        nlohmann::json fs = span(kFlowsPid, static_cast<int>(d),
                                 (f.flow.src < r.chip_names.size() ? r.chip_names[f.flow.src] : std::to_string(f.flow.src)) +
                                     " -> " + (d < r.chip_names.size() ? r.chip_names[d] : std::to_string(d)),
                                 "flow", t, f.finish_us);
        fs["args"] = {{"bytes", f.flow.bytes}, {"phase", stage_label(p)}};
        ev.push_back(fs);
      }
      for (const auto& u : p.top_links) {
        ev.push_back({{"ph", "C"}, {"pid", kLinksPid}, {"name", u.name}, {"ts", t}, {"args", {{"utilization", u.utilization}}}});
        ev.push_back({{"ph", "C"}, {"pid", kLinksPid}, {"name", u.name}, {"ts", t + p.latency_us}, {"args", {{"utilization", 0.0}}}});
      }
      t += p.latency_us;
    }
  }
  return {{"traceEvents", ev}, {"displayTimeUnit", "ns"},
          {"otherData", {{"scenario", r.scenario_name}, {"platform", r.platform_name}, {"engine", r.engine},
                         {"fidelity", r.fidelity}, {"moesim_version", MOESIM_VERSION}}}};
}

std::string links_csv(const RunReport& r) {
  std::ostringstream out;
  out << "layer,phase,link,where,bandwidth_Bps,bytes,simgrid_bytes,busy_us,utilization\n";
  char line[512];
  for (const auto& l : r.layers)
    for (const auto& p : l.phases)
      for (std::size_t id = 0; id < p.link_bytes.size() && id < r.links.size(); ++id) {
        if (p.link_bytes[id] <= 0) continue;
        const Link& link = r.links[id];
        const double busy = link.bandwidth_Bps > 0 ? p.link_bytes[id] / link.bandwidth_Bps * 1e6 : 0;
        std::string sg = id < p.simgrid_link_bytes.size() ? std::to_string(p.simgrid_link_bytes[id]) : "";
        std::snprintf(line, sizeof line, "%zu,%s,%s,\"%s\",%.6g,%.0f,%s,%.6f,%.6f\n", l.layer, stage_label(p).c_str(),
                      link.name.c_str(), link_where(link).c_str(), link.bandwidth_Bps, p.link_bytes[id], sg.c_str(),
                      busy, p.latency_us > 0 ? busy / p.latency_us : 0);
        out << line;
      }
  return out.str();
}

}  // namespace moesim
