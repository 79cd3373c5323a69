#include "engine/traffic_export.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "engine/run_parts.hpp"
#include "moesim/error.hpp"
#include "moesim/run.hpp"
#include "util/files.hpp"
#include "util/format.hpp"

namespace moesim {
namespace {

bool has_key(const std::vector<Setting>& point, const std::string& key) {
  return std::any_of(point.begin(), point.end(), [&](const Setting& s) { return s.first == key; });
}

bool has_prefix(const std::vector<Setting>& point, const std::string& prefix) {
  return std::any_of(point.begin(), point.end(), [&](const Setting& s) { return s.first.rfind(prefix, 0) == 0; });
}

// FNV-1a, 64 bits: names the scenario file's content in the header.
std::string fnv1a64(const std::string& bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return format("%016llx", static_cast<unsigned long long>(h));
}

// A number of tokens: whole where it is, else as a fraction.
nlohmann::ordered_json tokens_per_chip(const DeploymentSpec& d) {
  const std::uint64_t tokens = d.global_batch * d.seq_len;
  if (tokens % d.ep == 0) return tokens / d.ep;
  return static_cast<double>(tokens) / static_cast<double>(d.ep);
}

// Every phase of the layers with its stages (index and name), in the order they run.
nlohmann::ordered_json phases_of(const std::vector<LayerTraffic>& layers) {
  std::vector<std::pair<PhaseKind, std::vector<std::string>>> phases;
  for (const LayerTraffic& t : layers)
    for (const Phase& p : t.phases) {
      auto it = std::find_if(phases.begin(), phases.end(), [&](const auto& q) { return q.first == p.kind(); });
      if (it == phases.end()) it = phases.insert(phases.end(), {p.kind(), {}});
      for (const Stage& st : p.stages())
        if (st.index >= it->second.size()) it->second.push_back(st.name);
    }
  std::sort(phases.begin(), phases.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& [kind, names] : phases) {
    nlohmann::ordered_json stages = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < names.size(); ++i) stages.push_back({{"stage", i}, {"name", names[i]}});
    out.push_back({{"phase", phase_name(kind)}, {"stages", stages}});
  }
  return out;
}

// The EP groups' chips in rank order: rank r is the r-th chip of the groups taken in turn.
nlohmann::ordered_json ranks_of(const std::vector<std::vector<ChipId>>& groups, const Topology& topology) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (ChipId c : groups[g])
      out.push_back({{"rank", out.size()}, {"chip", c}, {"name", topology.chips.at(c)}, {"group", g}});
  return out;
}

// What the scenario is, for the header (every field is in docs/harness.md).
nlohmann::ordered_json describe(const Scenario& s, const Topology& topology, const std::vector<Setting>& point,
                                const std::vector<std::vector<ChipId>>& groups) {
  nlohmann::ordered_json h;
  h["format"] = "moesim-traffic";
  h["format_version"] = 1;
  h["moesim_version"] = MOESIM_VERSION;
  h["scenario"] = {{"name", s.name}, {"path", s.path}, {"fnv1a64", fnv1a64(read_file(s.path))}};
  nlohmann::ordered_json settings = nlohmann::ordered_json::object();
  for (const auto& [key, value] : point) settings[key] = value;
  h["point"] = settings;
  h["seed"] = s.seed;
  h["platform"] = {{"name", topology.name}, {"path", s.platform_path}, {"chips", topology.num_chips()}};
  h["model"] = {{"name", s.model.name},
                {"hidden_dim", s.model.hidden_dim},
                {"topk", s.model.topk},
                {"num_experts", s.model.num_experts},
                {"moe_layers", s.model.moe_layers}};
  const DeploymentSpec& d = s.deployment;
  h["deployment"] = {{"ep", d.ep},           {"moe_tp", d.moe_tp},
                     {"groups", d.groups},   {"global_batch", d.global_batch},
                     {"seq_len", d.seq_len}, {"tokens_per_chip", tokens_per_chip(d)}};
  h["precision"] = {{"name", s.precision.name},
                    {"dispatch", dtype_name(s.precision.dispatch)},
                    {"combine", dtype_name(s.precision.combine)}};
  h["routing"] = {{"model", routing_model_name(s.routing.model)}, {"dedup", s.routing.dedup}};
  h["algorithm"] = comm_algorithm_name(s.comm.algorithm);
  h["groups"] = groups;
  h["ranks"] = ranks_of(groups, topology);
  return h;
}

using Row = std::tuple<ChipId, ChipId, std::uint64_t>;  // src, dst, bytes

// A stage's rows, its flows and the chips' own shares, by source then destination.
std::vector<Row> rows_of(const Stage& st) {
  std::vector<Row> rows;
  rows.reserve(st.flows.size() + st.kept.size());
  for (const auto* flows : {&st.flows, &st.kept})
    for (const Flow& f : *flows) rows.emplace_back(f.src, f.dst, f.bytes);
  std::sort(rows.begin(), rows.end());
  return rows;
}

}  // namespace

std::vector<Setting> point_settings(const Scenario& s, const std::vector<std::string>& sets) {
  std::vector<Setting> point;
  for (const std::string& set : sets) {
    const auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0) fail("--set", set, "expected key=value");
    const std::string key = set.substr(0, eq), value = set.substr(eq + 1);
    auto it = std::find_if(point.begin(), point.end(), [&](const Setting& p) { return p.first == key; });
    if (it == point.end())
      point.emplace_back(key, value);
    else
      it->second = value;
  }
  const DeploymentSpec& d = s.deployment;
  if (!has_key(point, "deployment.ep")) point.emplace_back("deployment.ep", std::to_string(d.ep));
  if (!has_key(point, "deployment.global_batch") && !has_key(point, "deployment.tokens_per_chip")) {
    const std::uint64_t tokens = d.global_batch * d.seq_len;
    if (tokens % d.ep == 0)
      point.emplace_back("deployment.tokens_per_chip", std::to_string(tokens / d.ep));
    else
      point.emplace_back("deployment.global_batch", std::to_string(d.global_batch));
  }
  if (!has_prefix(point, "precision") && s.precision.name != "custom")
    point.emplace_back("precision", s.precision.name);
  if (!has_key(point, "comm.algorithm")) point.emplace_back("comm.algorithm", comm_algorithm_name(s.comm.algorithm));
  if (s.routing.model != RoutingSpec::Model::kUniform && !has_key(point, "seed"))
    point.emplace_back("seed", std::to_string(s.seed));
  return point;
}

std::vector<std::string> overrides_of(const std::vector<Setting>& point) {
  std::vector<std::string> out;
  for (const auto& [key, value] : point) out.push_back(key + "=" + value);
  return out;
}

TrafficExport export_traffic(const Scenario& scenario, const Topology& topology, const std::vector<Setting>& point,
                             const std::string& flows_file) {
  if (scenario.schedule.overlaps())
    fail(scenario.where_overlap, "overlap",
         "'" + scenario.schedule.name +
             "': moesim traffic writes a layer's traffic whole, not split into micro-batches (--set overlap=none)");
  Scenario s = scenario;
  s.samples = 1;  // the scenario's seed
  check_run_memory(s, estimate_run(s, topology.links.size()));
  const std::vector<std::vector<ChipId>> groups = group_chips(s, topology);
  const LayerPlan plan = plan_layers(s, groups, layer_bytes(s.byte_model_input()));

  TrafficExport out;
  out.csv = "layer,phase,stage,src,dst,bytes\n";
  std::uint64_t rows = 0, total = 0, kept = 0;
  char line[128];
  for (std::uint64_t l = 0; l < s.model.moe_layers; ++l)
    for (const Phase& p : plan.work.layers[plan.to_distinct[l]].phases) {
      const std::string phase = phase_name(p.kind());
      for (const Stage& st : p.stages())
        for (const auto& [src, dst, bytes] : rows_of(st)) {
          const int n =
              std::snprintf(line, sizeof line, "%llu,%s,%u,%llu,%llu,%llu\n", static_cast<unsigned long long>(l),
                            phase.c_str(), st.index, static_cast<unsigned long long>(src),
                            static_cast<unsigned long long>(dst), static_cast<unsigned long long>(bytes));
          out.csv.append(line, static_cast<std::size_t>(n));
          ++rows;
          total += bytes;
          if (src == dst) kept += bytes;
        }
    }
  out.header = describe(s, topology, point, groups);
  out.header["layers"] = s.model.moe_layers;
  out.header["phases"] = phases_of(plan.work.layers);
  out.header["flows"] = {{"file", flows_file},
                         {"columns", {"layer", "phase", "stage", "src", "dst", "bytes"}},
                         {"rows", rows},
                         {"bytes", total},
                         {"kept_bytes", kept}};
  if (auto log = spdlog::get("moesim"))
    log->info("traffic of {}: {} rows, {} B ({} B kept on their chips)", plural(s.model.moe_layers, "layer"), rows,
              total, kept);
  return out;
}

}  // namespace moesim
