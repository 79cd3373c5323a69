#include "campaign/run_summary.hpp"

#include <limits>

#include "moesim/error.hpp"
#include "util/files.hpp"

namespace moesim {

namespace {

// An object of the report and its dotted path, for errors.
class Reader {
 public:
  Reader(const nlohmann::json& node, const std::string& where, std::string path)
      : node_(node), where_(where), path_(std::move(path)) {
    if (node_.is_object()) return;
    if (path_.empty()) fail(where_, "", "expected a run report (a JSON object), got " + shown(node_));
    fail(where_, path_, "expected an object, got " + shown(node_));
  }
  bool has(const std::string& key) const { return node_.contains(key); }
  const nlohmann::json& get(const std::string& key) const {
    if (!has(key)) fail(where_, path_of(key), "missing from the run report");
    return node_.at(key);
  }
  Reader object(const std::string& key) const { return Reader(get(key), where_, path_of(key)); }
  const nlohmann::json& array(const std::string& key) const {
    const nlohmann::json& v = get(key);
    if (!v.is_array()) fail(where_, path_of(key), "expected a list, got " + shown(v));
    return v;
  }
  // null reads as NaN: the report writes a NaN as null.
  double number(const std::string& key) const {
    const nlohmann::json& v = get(key);
    if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!v.is_number()) fail(where_, path_of(key), "expected a number, got " + shown(v));
    return v.get<double>();
  }
  std::uint64_t count(const std::string& key) const {
    const nlohmann::json& v = get(key);
    if (!v.is_number_unsigned()) fail(where_, path_of(key), "expected a count (an integer >= 0), got " + shown(v));
    return v.get<std::uint64_t>();
  }
  std::string text(const std::string& key) const {
    const nlohmann::json& v = get(key);
    if (!v.is_string()) fail(where_, path_of(key), "expected a string, got " + shown(v));
    return v.get<std::string>();
  }
  std::string path_of(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const std::string& where() const { return where_; }

 private:
  static std::string shown(const nlohmann::json& v) {
    std::string s = v.dump();
    return s.size() > 40 ? s.substr(0, 37) + "..." : s;
  }
  const nlohmann::json& node_;
  const std::string& where_;
  std::string path_;
};

Stats read_stats(const Reader& r) {
  Stats s;
  s.sum = r.number("sum");
  s.mean = r.number("mean");
  s.p50 = r.number("p50");
  s.p99 = r.number("p99");
  s.max = r.number("max");
  return s;
}

CriticalLink read_link(const Reader& r) {
  CriticalLink l;
  l.name = r.text("name");
  l.bytes = r.number("bytes");
  l.drain_us = r.number("drain_us");
  l.max_path_latency_us = r.number("max_path_latency_us");
  return l;
}

LayerSummary read_layer(const Reader& r) {
  LayerSummary l;
  l.layer = r.count("layer");
  l.dispatch_us = r.number("dispatch_us");
  l.combine_us = r.number("combine_us");
  l.total_us = r.number("total_us");
  l.dispatch_bytes = r.count("dispatch_bytes");
  l.combine_bytes = r.count("combine_bytes");
  if (r.has("imbalance")) l.imbalance = r.number("imbalance");
  if (!r.has("phases")) return l;
  const nlohmann::json& phases = r.array("phases");
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const Reader p(phases[i], r.where(), r.path_of("phases[" + std::to_string(i) + "]"));
    PhaseSummary ps;
    ps.phase = p.text("phase");
    ps.latency_us = p.number("latency_us");
    if (p.has("critical_link")) ps.critical_link = read_link(p.object("critical_link"));
    l.phases.push_back(std::move(ps));
  }
  return l;
}

nlohmann::json stats_json(const Stats& s) {
  return {{"sum", s.sum}, {"mean", s.mean}, {"p50", s.p50}, {"p99", s.p99}, {"max", s.max}};
}

}  // namespace

const Stats* RunSummary::column(const std::string& name) const {
  auto it = columns.find(name);
  return it == columns.end() ? nullptr : &it->second;
}

RunSummary read_run_summary(const nlohmann::json& report, const std::string& where) {
  const Reader r(report, where, "");
  RunSummary out;
  if (r.has("engine")) out.engine = r.text("engine");
  if (r.has("simgrid")) out.fidelity = r.object("simgrid").text("fidelity");
  if (r.has("platform")) {
    const Reader p = r.object("platform");
    out.platform = PlatformSummary{p.text("name"), p.text("path"), p.count("chips"), p.count("links"),
                                   p.count("group_chips")};
  }
  if (r.has("scenario")) {
    const Reader sc = r.object("scenario");
    TokenSummary t{sc.count("global_batch"), sc.count("seq_len"), sc.count("ep"), 0};
    t.tokens_per_chip = t.ep ? static_cast<double>(t.global_batch * t.seq_len) / static_cast<double>(t.ep) : 0.0;
    out.tokens = t;
  }
  const Reader b = r.object("bytes");
  out.bytes.tokens_per_ep_group = b.count("tokens_per_ep_group");
  out.bytes.dispatch_bytes = b.count("dispatch_bytes");
  out.bytes.combine_bytes = b.count("combine_bytes");
  const nlohmann::json& layers = r.array("layers");
  for (std::size_t i = 0; i < layers.size(); ++i)
    out.per_layer.push_back(read_layer(Reader(layers[i], where, "layers[" + std::to_string(i) + "]")));
  const Reader s = r.object("summary");
  out.layers = s.count("layers");
  out.distinct_layers = s.count("distinct_layers");
  for (const char* required : {"total_us", "dispatch_us", "combine_us"}) s.get(required);
  for (const auto& [key, value] : report.at("summary").items())
    if (value.is_object() && key != "overlap" && key != "fault_cost") out.columns[key] = read_stats(s.object(key));
  if (s.has("fault_cost")) {
    const Reader f = s.object("fault_cost");
    out.fault_cost = RunSummary::FaultCost{f.number("healthy_us"), f.number("faulty_us"), f.number("slowdown")};
  }
  if (s.has("overlap")) {
    const Reader o = s.object("overlap");
    out.overlap = RunSummary::Overlap{o.number("moe_layers_us"), o.number("compute_us"),        o.number("comm_us"),
                                      o.number("exposed_us"),    o.number("overlap_efficiency"), o.number("tokens_per_s_per_chip")};
  }
  return out;
}

RunSummary read_run_summary_file(const std::string& path) {
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail(path, "", std::string("not a JSON run report: ") + e.what());
  }
  return read_run_summary(report, path);
}

nlohmann::json summary_json(const RunSummary& s) {
  nlohmann::json out = {{"layers", s.layers}, {"distinct_layers", s.distinct_layers}};
  for (const auto& [name, stats] : s.columns) out[name] = stats_json(stats);
  if (s.overlap)
    out["overlap"] = {{"moe_layers_us", s.overlap->moe_layers_us},
                      {"compute_us", s.overlap->compute_us},
                      {"comm_us", s.overlap->comm_us},
                      {"exposed_us", s.overlap->exposed_us},
                      {"overlap_efficiency", s.overlap->overlap_efficiency},
                      {"tokens_per_s_per_chip", s.overlap->tokens_per_s_per_chip}};
  if (s.fault_cost)
    out["fault_cost"] = {{"healthy_us", s.fault_cost->healthy_us},
                         {"faulty_us", s.fault_cost->faulty_us},
                         {"slowdown", s.fault_cost->slowdown}};
  return out;
}

nlohmann::json platform_json(const PlatformSummary& p) {
  return {{"name", p.name}, {"path", p.path}, {"chips", p.chips}, {"links", p.links}, {"group_chips", p.group_chips}};
}

nlohmann::json critical_link_json(const CriticalLink& l) {
  return {{"name", l.name}, {"bytes", l.bytes}, {"drain_us", l.drain_us}, {"max_path_latency_us", l.max_path_latency_us}};
}

}  // namespace moesim
