// Scenario parsing and validation.
#include "moesim/scenario.hpp"

#include <set>

#include "moesim/error.hpp"
#include "moesim/yaml_util.hpp"

namespace moesim {

std::optional<Engine> parse_engine(const std::string& name) {
  if (name == "simgrid") return Engine::kSimgrid;
  if (name == "analytic") return Engine::kAnalytic;
  if (name == "bound") return Engine::kBound;
  return std::nullopt;
}

std::string engine_name(Engine e) {
  switch (e) {
    case Engine::kSimgrid: return "simgrid";
    case Engine::kAnalytic: return "analytic";
    case Engine::kBound: return "bound";
  }
  return "?";
}

ByteModelInput Scenario::byte_model_input() const {
  ByteModelInput in;
  in.hidden_dim = model.hidden_dim;
  in.topk = model.topk;
  in.global_batch = deployment.global_batch;
  in.seq_len = deployment.seq_len;
  in.ep = deployment.ep;
  in.moe_tp = deployment.moe_tp;
  in.precision = precision;
  return in;
}

namespace {

std::string folder_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

Precision read_precision(const YamlMap& root) {
  YAML::Node n = root.node("precision");
  if (!n.IsDefined() || n.IsNull()) return Precision{};
  if (n.IsScalar()) {
    auto p = precision_by_name(n.Scalar());
    if (!p)
      root.fail_at("precision", "'" + n.Scalar() +
                                    "' is not a precision (allowed: W8A8, W16A16, or {dispatch: DTYPE, "
                                    "combine: DTYPE})");
    return *p;
  }
  YamlMap m = root.map("precision");
  m.allow_only({"dispatch", "combine"});
  Precision p;
  p.name = "custom";
  for (const char* key : {"dispatch", "combine"}) {
    const std::string name = m.str(key);
    auto t = parse_dtype(name);
    if (!t) m.fail_at(key, "'" + name + "' is not a dtype (allowed: fp8, int8, bf16, fp16, fp32)");
    (std::string(key) == "dispatch" ? p.dispatch : p.combine) = *t;
  }
  return p;
}

}  // namespace

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  YamlDoc doc = YamlDoc::load_file(path);
  for (const auto& o : overrides) doc.set(o);
  YamlMap root(doc, doc.root(), "");
  root.allow_only({"name", "description", "platform", "model", "deployment", "precision",
                   "expert_time_us", "engine", "simgrid", "comm_params"});
  Scenario s;
  s.path = path;
  std::string base = path.substr(path.find_last_of('/') + 1);
  s.name = root.str_or("name", base.substr(0, base.find_last_of('.')));

  YamlMap model = root.map("model");
  model.allow_only({"name", "hidden_dim", "num_experts", "topk", "moe_layers"});
  s.model.name = model.str_or("name", "");
  s.model.hidden_dim = model.positive("hidden_dim");
  s.model.num_experts = model.positive_or("num_experts", 0);
  s.model.topk = model.positive("topk");
  s.model.moe_layers = model.positive_or("moe_layers", 1);
  if (s.model.num_experts != 0 && s.model.topk > s.model.num_experts)
    model.fail_at("topk", std::to_string(s.model.topk) + " is more than the " +
                              std::to_string(s.model.num_experts) + " experts of model.num_experts");

  YamlMap dep = root.map("deployment");
  dep.allow_only({"global_batch", "seq_len", "ep", "moe_tp", "placement"});
  s.deployment.global_batch = dep.positive("global_batch");
  s.deployment.seq_len = dep.positive_or("seq_len", 1);
  s.deployment.ep = dep.positive("ep");
  s.deployment.moe_tp = dep.positive_or("moe_tp", 1);
  s.where_group = dep.where("ep");
  if (s.model.num_experts != 0 && s.model.num_experts % s.deployment.ep != 0)
    dep.fail_at("ep", std::to_string(s.deployment.ep) + " does not divide the " +
                          std::to_string(s.model.num_experts) + " experts of model.num_experts");
  if (s.deployment.moe_tp > s.model.hidden_dim)
    dep.fail_at("moe_tp", std::to_string(s.deployment.moe_tp) + " is larger than model.hidden_dim " +
                              std::to_string(s.model.hidden_dim));
  if (dep.has("placement")) {
    s.deployment.placement = dep.str_list("placement");
    s.where_placement = dep.where("placement");
    std::set<std::string> seen;
    for (const auto& h : s.deployment.placement)
      if (!seen.insert(h).second) dep.fail_at("placement", "host '" + h + "' is listed twice");
    if (s.deployment.placement.size() != s.group_chips())
      dep.fail_at("placement", "lists " + std::to_string(s.deployment.placement.size()) +
                                   " hosts, but the group has ep x moe_tp = " +
                                   std::to_string(s.group_chips()) + " chips");
  }

  s.precision = read_precision(root);
  s.expert_time_us = root.non_negative_or("expert_time_us", 0);

  const std::string engine = root.str_or("engine", "simgrid");
  auto e = parse_engine(engine);
  if (!e) root.fail_at("engine", "'" + engine + "' is not an engine (allowed: simgrid, analytic, bound)");
  s.engine = *e;

  s.where_simgrid = root.where("simgrid");
  if (auto sg = root.map_if("simgrid")) {
    sg->allow_only({"network_model", "cfg"});
    s.simgrid.network_model = sg->str_or("network_model", s.simgrid.network_model);
    // Constant has no links, ns-3 is not in Debian's build: neither can replay a platform.
    static const std::set<std::string> models = {"CM02", "LV08", "SMPI", "IB"};
    if (!models.count(s.simgrid.network_model))
      sg->fail_at("network_model", "'" + s.simgrid.network_model +
                                       "' is not a SimGrid network model (allowed: CM02, LV08, SMPI, IB)");
    if (sg->has("cfg")) {
      s.simgrid.cfg = sg->str_list("cfg");
      for (const auto& c : s.simgrid.cfg)
        if (c.find(':') == std::string::npos || c.front() == ':')
          sg->fail_at("cfg", "'" + c + "' is not a SimGrid option of the form name:value");
    }
  }

  const std::string platform = root.str("platform");
  s.where_platform = root.where("platform");
  s.platform_path = !platform.empty() && platform.front() == '/' ? platform : folder_of(path) + platform;
  try {
    s.platform = load_platform_spec(s.platform_path);
  } catch (const InputError& err) {
    // Say which scenario key led to the platform that failed to load.
    throw InputError(std::string(err.what()) + " (platform of " + s.where_platform + ")");
  }
  if (auto cp = root.map_if("comm_params")) read_comm_params(*cp, s.platform.comm);
  return s;
}

std::vector<ChipId> group_chips(const Scenario& s, const Topology& topology) {
  const std::uint64_t need = s.group_chips();
  if (need > topology.num_chips())
    fail(s.where_group, "deployment.ep",
         "ep x moe_tp = " + std::to_string(s.deployment.ep) + " x " + std::to_string(s.deployment.moe_tp) +
             " = " + std::to_string(need) + " chips is more than the " +
             std::to_string(topology.num_chips()) + " chips of platform " + topology.name);
  std::vector<ChipId> out;
  if (s.deployment.placement.empty()) {
    for (std::uint64_t i = 0; i < need; ++i) out.push_back(static_cast<ChipId>(i));
    return out;
  }
  for (const auto& h : s.deployment.placement) {
    long id = topology.chip_index(h);
    if (id < 0)
      fail(s.where_placement, "deployment.placement",
           "host '" + h + "' is not a chip of platform " + topology.name + " (chips are " +
               topology.chips.front() + " .. " + topology.chips.back() + ")");
    out.push_back(static_cast<ChipId>(id));
  }
  return out;
}

}  // namespace moesim
