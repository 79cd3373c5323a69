// Scenario parsing and validation.
#include "moesim/scenario.hpp"

#include <cmath>
#include <set>

#include "moesim/error.hpp"
#include "util/checked.hpp"
#include "util/format.hpp"
#include "util/units.hpp"
#include "util/yaml_util.hpp"

namespace moesim {

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

// A file named in a scenario is relative to the scenario's folder; one given
// on the command line (`where` is "--set ...") is relative to where moesim runs.
std::string resolve(const std::string& file, const std::string& where, const std::string& folder) {
  const bool from_command_line = where.rfind("--set", 0) == 0;
  return (!file.empty() && file.front() == '/') || from_command_line ? file : folder + file;
}

void read_model(const YamlMap& m, ModelSpec& model) {
  m.allow_only({"name", "hidden_dim", "num_experts", "topk", "moe_layers", "shared_experts", "moe_intermediate_size"});
  model.name = m.str_or("name", model.name);
  model.hidden_dim = m.positive("hidden_dim");
  model.num_experts = m.positive_or("num_experts", model.num_experts);
  model.topk = m.positive("topk");
  model.moe_layers = m.positive_or("moe_layers", model.moe_layers);
  model.shared_experts =
      static_cast<std::uint64_t>(m.non_negative_or("shared_experts", static_cast<double>(model.shared_experts)));
  model.moe_intermediate_size = m.positive_or("moe_intermediate_size", model.moe_intermediate_size);
  if (model.num_experts != 0 && model.topk > model.num_experts)
    m.fail_at("topk", std::to_string(model.topk) + " is more than the " + std::to_string(model.num_experts) +
                          " experts of model.num_experts");
}

// The group's size and its batch: global_batch, or the tokens each EP rank
// holds (global_batch x seq_len / ep). When the file gives one and --set the
// other, --set wins.
void read_batch(const YamlMap& dep, DeploymentSpec& d) {
  d.seq_len = dep.positive_or("seq_len", d.seq_len);
  d.ep = dep.positive("ep");
  bool by_tokens = dep.has("tokens_per_chip");
  if (by_tokens && dep.has("global_batch")) {
    const bool tokens_set = dep.doc().overridden("deployment.tokens_per_chip");
    if (tokens_set == dep.doc().overridden("deployment.global_batch"))
      dep.fail_at("tokens_per_chip", "give deployment.global_batch or deployment.tokens_per_chip, not both");
    by_tokens = tokens_set;
  }
  if (by_tokens) {
    const std::uint64_t per_chip = dep.positive("tokens_per_chip");
    if (per_chip > (1ull << 40) / d.ep) dep.fail_at("tokens_per_chip", "tokens_per_chip x ep is more than 2^40 tokens");
    if (per_chip * d.ep % d.seq_len != 0)
      dep.fail_at("tokens_per_chip", std::to_string(per_chip) + " x ep " + std::to_string(d.ep) +
                                         " tokens is not a whole number of sequences of seq_len " +
                                         std::to_string(d.seq_len));
    d.global_batch = per_chip * d.ep / d.seq_len;
  } else {
    d.global_batch = dep.positive("global_batch");
  }
  d.moe_tp = dep.positive_or("moe_tp", d.moe_tp);
}

// The model and the deployment against each other, and against the sizes
// beyond which the byte model overflows or no real machine lies.
void check_sizes(const YamlMap& model, const YamlMap& dep, const Scenario& s) {
  const ModelSpec& m = s.model;
  const DeploymentSpec& d = s.deployment;
  if (m.hidden_dim > (1ull << 32)) model.fail_at("hidden_dim", "is more than 2^32");
  if (d.global_batch > (1ull << 40) / d.seq_len)
    dep.fail_at("global_batch", "global_batch x seq_len is more than 2^40 tokens");
  if (m.topk > (1ull << 16)) model.fail_at("topk", "is more than 65536");
  if (d.ep > (1ull << 24) / d.moe_tp) dep.fail_at("ep", "ep x moe_tp is more than 2^24 chips");
  if (m.num_experts != 0 && m.num_experts % d.ep != 0)
    dep.fail_at("ep", std::to_string(d.ep) + " does not divide the " + std::to_string(m.num_experts) +
                          " experts of model.num_experts");
  if (d.moe_tp > m.hidden_dim)
    dep.fail_at("moe_tp",
                std::to_string(d.moe_tp) + " is larger than model.hidden_dim " + std::to_string(m.hidden_dim));
}

// deployment.placement: the hosts of the one group.
void read_placement(const YamlMap& dep, Scenario& s) {
  if (!dep.has("placement")) return;
  s.deployment.placement = dep.str_list("placement");
  s.where_placement = dep.where("placement");
  std::set<std::string> seen;
  for (const auto& h : s.deployment.placement)
    if (!seen.insert(h).second) dep.fail_at("placement", "host '" + h + "' is listed twice");
  if (s.deployment.placement.size() != s.group_chips())
    dep.fail_at("placement", "lists " + std::to_string(s.deployment.placement.size()) +
                                 " hosts, but the group has ep x moe_tp = " + std::to_string(s.group_chips()) +
                                 " chips");
}

// deployment.group_placement given as host lists, one per group.
void read_group_hosts(const YamlMap& dep, Scenario& s) {
  DeploymentSpec& d = s.deployment;
  d.group_placement = DeploymentSpec::GroupPlacement::kExplicit;
  for (const auto& g : dep.node("group_placement")) {
    if (!g.IsSequence()) dep.fail_at("group_placement", "expected a list of host lists, got an item " + quote(g));
    std::vector<std::string> hosts;
    for (const auto& h : g) hosts.push_back(h.Scalar());
    if (hosts.size() != s.group_chips())
      dep.fail_at("group_placement", "an EP group lists " + std::to_string(hosts.size()) + " hosts, but ep x moe_tp = " +
                                         std::to_string(s.group_chips()));
    d.group_hosts.push_back(hosts);
  }
  if (dep.has("groups") && d.group_hosts.size() != d.groups)
    dep.fail_at("group_placement", "lists " + std::to_string(d.group_hosts.size()) +
                                       " groups, but deployment.groups is " + std::to_string(d.groups));
  d.groups = d.group_hosts.size();
  if (d.groups == 0) dep.fail_at("group_placement", "lists no EP groups");
}

// deployment.groups and deployment.group_placement.
void read_groups(const YamlMap& dep, Scenario& s) {
  DeploymentSpec& d = s.deployment;
  d.groups = dep.positive_or("groups", d.groups);
  if (d.groups > (1ull << 24)) dep.fail_at("groups", "is more than 2^24");
  if (d.groups > 1) s.where_group = dep.where("groups");
  if (dep.has("group_placement")) {
    s.where_placement = dep.where("group_placement");
    YAML::Node gp = dep.node("group_placement");
    const auto named = gp.IsScalar() ? enum_parse(kGroupPlacementNames, gp.Scalar()) : std::nullopt;
    if (named)
      d.group_placement = *named;
    else if (gp.IsSequence())
      read_group_hosts(dep, s);
    else
      dep.fail_at("group_placement", quote(gp) + " is not a group placement (allowed: " +
                                         enum_allowed(kGroupPlacementNames) + ", or a list of host lists)");
  }
  if (!d.placement.empty() && d.groups > 1)
    dep.fail_at("placement", "gives one group's hosts, but deployment.groups is " + std::to_string(d.groups) +
                                 " (use deployment.group_placement)");
}

void read_deployment(const YamlMap& model, const YamlMap& dep, Scenario& s) {
  dep.allow_only({"global_batch", "tokens_per_chip", "seq_len", "ep", "moe_tp", "placement", "groups",
                  "group_placement"});
  read_batch(dep, s.deployment);
  s.where_group = dep.where("ep");
  check_sizes(model, dep, s);
  read_placement(dep, s);
  read_groups(dep, s);
}

Precision read_precision(const YamlMap& root) {
  YAML::Node n = root.node("precision");
  if (!n.IsDefined() || n.IsNull()) return Precision{};
  if (n.IsScalar()) {
    auto p = precision_by_name(n.Scalar());
    if (!p)
      root.fail_at("precision", "'" + n.Scalar() + "' is not a precision (allowed: " + enum_allowed(kPrecisionNames) +
                                    ", or {dispatch: DTYPE, combine: DTYPE})");
    return *p;
  }
  YamlMap m = root.map("precision");
  m.allow_only({"dispatch", "combine"});
  Precision p;
  p.name = "custom";
  p.dispatch = m.enum_value("dispatch", kDTypeNames, "a dtype");
  p.combine = m.enum_value("combine", kDTypeNames, "a dtype");
  return p;
}

void read_simgrid(const YamlMap& sg, SimgridSpec& spec) {
  sg.allow_only({"network_model", "fidelity", "ptask_max_links", "link_load", "cfg"});
  spec.link_load = sg.boolean_or("link_load", spec.link_load);
  spec.ptask_max_links = sg.positive_or("ptask_max_links", spec.ptask_max_links);
  spec.fidelity = sg.enum_or("fidelity", kFidelityNames, spec.fidelity, "a fidelity");
  spec.network_model = sg.str_or("network_model", spec.network_model);
  // Constant has no links, ns-3 is not in Debian's build: neither can replay a platform.
  static const char* const kNetworkModels[] = {"CM02", "LV08", "SMPI", "IB"};
  std::string allowed;
  bool known = false;
  for (const char* m : kNetworkModels) {
    allowed += (allowed.empty() ? "" : ", ") + std::string(m);
    known |= spec.network_model == m;
  }
  if (!known)
    sg.fail_at("network_model",
               "'" + spec.network_model + "' is not a SimGrid network model (allowed: " + allowed + ")");
  if (sg.has("cfg")) {
    spec.cfg = sg.str_list("cfg");
    for (const auto& c : spec.cfg)
      if (c.find(':') == std::string::npos || c.front() == ':')
        sg.fail_at("cfg", "'" + c + "' is not a SimGrid option of the form name:value");
  }
}

// A true or false given as a string (a list is "expected a string").
bool flag(const YamlMap& t, const char* key, bool fallback) {
  if (!t.has(key)) return fallback;
  const std::string v = t.str(key);
  if (v == "true") return true;
  if (v == "false") return false;
  t.fail_at(key, "'" + v + "' is not true or false");
}

void read_hotspot(const YamlMap& t, RoutingSpec& r, std::uint64_t E) {
  for (const auto& text : t.str_list("hot_experts")) {
    auto v = parse_uint(text);
    if (!v || *v >= E)
      t.fail_at("hot_experts", "'" + text + "' is not an expert id below model.num_experts " + std::to_string(E));
    r.hot_experts.push_back(*v);
  }
  if (r.hot_experts.empty()) t.fail_at("hot_experts", "lists no experts");
  if (std::set<std::uint64_t>(r.hot_experts.begin(), r.hot_experts.end()).size() != r.hot_experts.size())
    t.fail_at("hot_experts", "lists an expert twice");
  r.hot_share = t.number("hot_share");
  if (!(r.hot_share > 0 && r.hot_share <= 1)) t.fail_at("hot_share", quote(t.node("hot_share")) + " is not in (0, 1]");
}

void read_expert_placement(const YamlMap& t, RoutingSpec& r, std::uint64_t E, std::uint64_t ep) {
  YAML::Node p = t.node("expert_placement");
  const auto named = p.IsScalar() ? enum_parse(kExpertPlacementNames, p.Scalar()) : std::nullopt;
  if (named) {
    r.placement = *named;
  } else if (p.IsSequence()) {
    r.placement = RoutingSpec::Placement::kExplicit;
    for (const auto& text : t.str_list("expert_placement")) {
      auto v = parse_uint(text);
      if (!v || *v >= ep)
        t.fail_at("expert_placement", "rank '" + text + "' is not below deployment.ep " + std::to_string(ep));
      r.expert_rank.push_back(*v);
    }
    if (r.expert_rank.size() != E)
      t.fail_at("expert_placement", "gives " + std::to_string(r.expert_rank.size()) + " ranks for " +
                                        std::to_string(E) + " experts (model.num_experts)");
  } else {
    t.fail_at("expert_placement", quote(p) + " is not a placement (allowed: " + enum_allowed(kExpertPlacementNames) +
                                      ", or a list of ranks, one per expert)");
  }
}

// traffic.redundant_experts: a count, or a map expert -> extra ranks.
void read_redundant_experts(const YamlMap& t, RoutingSpec& r, std::uint64_t E, std::uint64_t ep) {
  YAML::Node red = t.node("redundant_experts");
  if (!red.IsMap()) {
    auto count = red.IsScalar() ? parse_uint(red.Scalar()) : std::nullopt;
    if (!count) t.fail_at("redundant_experts", quote(red) + " is not a count of experts or a map expert: [ranks]");
    r.redundant = *count;
    if (r.redundant > E)
      t.fail_at("redundant_experts",
                std::to_string(r.redundant) + " is more than model.num_experts " + std::to_string(E));
    return;
  }
  YamlMap m = t.map("redundant_experts");
  for (const auto& kv : red) {
    const std::string e = kv.first.Scalar();
    auto expert = parse_uint(e);
    if (!expert || *expert >= E)
      m.fail_at(e, "'" + e + "' is not an expert id below model.num_experts " + std::to_string(E));
    if (!kv.second.IsSequence()) m.fail_at(e, "expected a list of ranks, got " + quote(kv.second));
    std::vector<std::uint64_t> ranks;
    for (const auto& item : kv.second) {
      auto rank = item.IsScalar() ? parse_uint(item.Scalar()) : std::nullopt;
      if (!rank || *rank >= ep)
        m.fail_at(e, "rank " + quote(item) + " is not below deployment.ep " + std::to_string(ep));
      const std::uint64_t primary = r.placement == RoutingSpec::Placement::kContiguous   ? *expert / (E / ep)
                                    : r.placement == RoutingSpec::Placement::kRoundRobin ? *expert % ep
                                                                                         : r.expert_rank[*expert];
      if (*rank == primary || std::find(ranks.begin(), ranks.end(), *rank) != ranks.end())
        m.fail_at(e, "rank " + quote(item) + " already holds expert " + e);
      ranks.push_back(*rank);
    }
    r.redundant_map[*expert] = ranks;
  }
}

// "random, zipf, hotspot or trace": the routing models that draw experts.
std::string drawing_models() {
  std::vector<std::string> names;
  for (const auto& [model, name] : kRoutingModelNames)
    if (model != RoutingSpec::Model::kUniform) names.push_back(name);
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return out;
}

// Group- and node-limited routing, and what uniform shares cannot do.
void read_limits(const YamlMap& t, Scenario& s) {
  RoutingSpec& r = s.routing;
  const std::uint64_t E = s.model.num_experts;
  r.n_groups = t.positive_or("n_groups", r.n_groups);
  r.topk_groups = t.positive_or("topk_groups", r.topk_groups);
  if ((r.n_groups == 0) != (r.topk_groups == 0))
    t.fail_at(r.n_groups ? "topk_groups" : "n_groups", "n_groups and topk_groups go together");
  if (r.n_groups) {
    if (E % r.n_groups != 0)
      t.fail_at("n_groups", std::to_string(r.n_groups) + " does not divide model.num_experts " + std::to_string(E));
    if (r.topk_groups > r.n_groups)
      t.fail_at("topk_groups", std::to_string(r.topk_groups) + " is more than n_groups " + std::to_string(r.n_groups));
    if (s.model.topk > r.topk_groups * (E / r.n_groups))
      t.fail_at("topk_groups", std::to_string(r.topk_groups) + " groups of " + std::to_string(E / r.n_groups) +
                                   " experts hold fewer than model.topk " + std::to_string(s.model.topk));
  }
  if (r.model != RoutingSpec::Model::kUniform && s.model.hidden_dim % s.deployment.moe_tp != 0)
    t.fail_at("routing", "sampled routing sends hidden_dim / moe_tp per token: model.hidden_dim " +
                             std::to_string(s.model.hidden_dim) + " is not a multiple of deployment.moe_tp " +
                             std::to_string(s.deployment.moe_tp));
  r.max_nodes = t.positive_or("max_nodes", r.max_nodes);
  r.node_chips = t.positive_or("node_chips", r.node_chips);
  r.node_level = t.str_or("node_level", r.node_level);
  s.where_traffic = t.where("node_level");
  if (r.node_chips && !r.node_level.empty()) t.fail_at("node_level", "give node_chips or node_level, not both");
  if (r.model == RoutingSpec::Model::kUniform && (r.n_groups || r.max_nodes || r.redundant || !r.redundant_map.empty()))
    t.fail_at("routing", "uniform shares draw no experts: n_groups, max_nodes and redundant_experts need " +
                             drawing_models() + " routing");
}

void read_traffic(const YamlMap& t, Scenario& s, const std::string& folder) {
  t.allow_only({"routing", "zipf_exponent", "hot_experts", "hot_share", "redraw_per_layer", "trace", "dedup",
                "expert_placement", "redundant_experts", "n_groups", "topk_groups", "max_nodes", "node_chips",
                "node_level"});
  RoutingSpec& r = s.routing;
  r.model = t.enum_or("routing", kRoutingModelNames, r.model, "a routing model");
  const std::uint64_t E = s.model.num_experts, ep = s.deployment.ep;
  if (r.model != RoutingSpec::Model::kUniform && E == 0)
    t.fail_at("routing", "'" + routing_model_name(r.model) + "' routing needs model.num_experts");
  r.zipf_exponent = t.number_or("zipf_exponent", r.zipf_exponent);
  if (!(r.zipf_exponent >= 0)) t.fail_at("zipf_exponent", quote(t.node("zipf_exponent")) + " must be zero or more");
  r.redraw_per_layer = flag(t, "redraw_per_layer", r.redraw_per_layer);
  r.dedup = flag(t, "dedup", r.dedup);
  if (r.model == RoutingSpec::Model::kHotspot) read_hotspot(t, r, E);
  if (r.model == RoutingSpec::Model::kTrace) s.trace_path = resolve(t.str("trace"), t.where("trace"), folder);
  if (t.has("expert_placement")) read_expert_placement(t, r, E, ep);
  if (t.has("redundant_experts")) read_redundant_experts(t, r, E, ep);
  read_limits(t, s);
}

// A whole number of zero or more (a count of bytes).
std::uint64_t count_or(const YamlMap& m, const std::string& key, std::uint64_t fallback) {
  if (!m.has(key)) return fallback;
  auto v = m.node(key).IsScalar() ? parse_uint(m.node(key).Scalar()) : std::nullopt;
  if (!v) m.fail_at(key, quote(m.node(key)) + " is not a whole number of bytes (0 or more)");
  return *v;
}

void read_comm(const YamlMap& c, Scenario& s) {
  c.allow_only({"algorithm", "token_overhead_bytes", "message_bytes", "per_message_us"});
  CommSpec& comm = s.comm;
  comm.algorithm = c.enum_or("algorithm", kCommAlgorithmNames, comm.algorithm, "an all-to-all algorithm");
  comm.token_overhead_bytes = count_or(c, "token_overhead_bytes", comm.token_overhead_bytes);
  comm.message_bytes = count_or(c, "message_bytes", comm.message_bytes);
  comm.per_message_us = c.non_negative_or("per_message_us", comm.per_message_us);
  s.where_comm = c.where("algorithm");
}

// An operation's cost: a time in us, or a roofline's FLOPs and bytes.
OpCost read_op_cost(const YamlMap& c, const std::string& key) {
  OpCost op;
  if (!c.has(key)) return op;
  if (c.node(key).IsScalar()) {
    op.given = true;
    op.us = c.non_negative_or(key, 0.0);
    return op;
  }
  const YamlMap m = c.map(key);
  m.allow_only({"flop_per_token", "bytes", "bytes_per_token"});
  op.work = {m.non_negative_or("flop_per_token", 0.0), m.non_negative_or("bytes", 0.0),
             m.non_negative_or("bytes_per_token", 0.0)};
  if (op.empty()) c.fail_at(key, "a roofline needs flop_per_token, bytes or bytes_per_token above 0");
  return op;
}

void read_compute(const YamlMap& c, Scenario& s) {
  c.allow_only({"attn_pre", "attn_core", "gate", "output", "shared", "experts"});
  ComputeSpec& cs = s.compute;
  cs.given = true;
  cs.attn_pre = read_op_cost(c, "attn_pre");
  cs.attn_core = read_op_cost(c, "attn_core");
  cs.gate = read_op_cost(c, "gate");
  cs.output = read_op_cost(c, "output");
  cs.shared = read_op_cost(c, "shared");
  cs.experts = read_op_cost(c, "experts");
}

// `overlap: NAME` (a shipped schedule) or `overlap: {micro_batches: N,
// steps: [[LANE, ...], ...]}`, each lane a string of operations.
void read_overlap(const YamlMap& root, Scenario& s) {
  const bool decode = s.deployment.seq_len == 1;
  if (root.node("overlap").IsScalar()) {
    const std::string name = root.str("overlap");
    std::string names;
    for (const auto& n : schedule_names()) names += (names.empty() ? "" : ", ") + n;
    if (!shipped_schedule(name, decode, s.schedule))
      root.fail_at("overlap", "'" + name + "' is not a schedule (allowed: " + names + ", or a map of micro_batches and steps)");
    return;
  }
  const YamlMap o = root.map("overlap");
  o.allow_only({"micro_batches", "steps"});
  Schedule& sc = s.schedule;
  sc.name = "custom";
  const std::uint64_t mb = o.positive_or("micro_batches", 1);
  if (mb > 26) o.fail_at("micro_batches", std::to_string(mb) + " is more than 26 (micro-batches are named a to z)");
  sc.micro_batches = static_cast<std::uint32_t>(mb);
  const YAML::Node steps = o.node("steps");
  if (!steps.IsSequence() || steps.size() == 0)
    o.fail_at("steps", "expected a list of steps, each a list of lanes such as ['attn_pre.a', 'dispatch.b experts.b']");
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string what = o.where("steps") + ": overlap.steps[" + std::to_string(i) + "]";
    const YAML::Node lanes = steps[i];
    Step step;
    if (lanes.IsScalar()) {
      step.lanes.push_back(parse_lane(lanes.Scalar(), sc.micro_batches, what));
    } else if (lanes.IsSequence() && lanes.size() > 0) {
      for (std::size_t j = 0; j < lanes.size(); ++j) {
        if (!lanes[j].IsScalar()) fail(what, "", "lane " + std::to_string(j) + " is not a string of operations");
        step.lanes.push_back(parse_lane(lanes[j].Scalar(), sc.micro_batches, what + "[" + std::to_string(j) + "]"));
      }
    } else {
      fail(what, "", "expected a list of lanes, each a string of operations such as 'dispatch.b experts.b'");
    }
    sc.steps.push_back(std::move(step));
  }
  check_schedule(sc, o.where("steps"));
}

// `faults: [{link: NAME, down: true}, {node: SWITCH, down: true},
// {link: NAME, bandwidth: FRACTION, latency_us: EXTRA}, ...]`: dead or
// degraded links and nodes of the platform (a generated one: SimGrid reads
// an XML platform's links itself).
void read_faults(const YamlMap& root, Scenario& s) {
  const YAML::Node list = root.node("faults");
  if (!list.IsSequence())
    root.fail_at("faults", "expected a list of faults such as [{link: ici-x-0, down: true}, {link: ici-y-0, bandwidth: 0.5}]");
  if (s.platform.kind == PlatformSpec::Kind::kXml && list.size() > 0)
    root.fail_at("faults", "a SimGrid XML platform's links are SimGrid's own: faults need a moesim platform");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string key = "faults[" + std::to_string(i) + "]";
    if (!list[i].IsMap()) root.fail_at("faults", key + " is not a map of link (or node), down, bandwidth and latency_us");
    const YamlMap f(root.doc(), list[i], key);
    f.allow_only({"link", "node", "chip", "down", "bandwidth", "latency_us"});
    LinkFault fault;
    fault.key = key;
    fault.where = root.where("faults");
    if (f.has("link") + f.has("node") + f.has("chip") != 1) f.fail_at("link", "give a link, a node or a chip (one of them)");
    fault.link = f.str_or("link", "");
    // A chip is a node whose links are its own: by name, or by index as chip-N.
    const std::string chip = f.str_or("chip", "");
    const bool index = !chip.empty() && parse_uint(chip).has_value();
    fault.node = f.has("chip") ? (index ? "chip-" + chip : chip) : f.str_or("node", "");
    fault.down = f.boolean_or("down", false);
    fault.bandwidth = f.number_or("bandwidth", 1.0);
    if (!(fault.bandwidth > 0 && fault.bandwidth <= 1))
      f.fail_at("bandwidth", format("%g is not in (0, 1]: the fraction of its bandwidth the link keeps", fault.bandwidth));
    fault.latency_us = f.non_negative_or("latency_us", 0.0);
    const std::string named = fault.link.empty() ? fault.node : fault.link;
    if (fault.down && (f.has("bandwidth") || f.has("latency_us")))
      f.fail_at("down", "'" + named + "' is down: it carries nothing, so it has no bandwidth or latency to give");
    if (!fault.down && fault.bandwidth == 1 && fault.latency_us == 0)
      f.fail_at(fault.link.empty() ? "node" : "link",
                "'" + named + "': the fault changes nothing (give down: true, bandwidth below 1 or latency_us above 0)");
    s.platform.faults.push_back(fault);
  }
}

// `fault_draw: {links: K | probability: P, seed: S, bandwidth: FRACTION}`:
// physical links drawn from a seed, down unless `bandwidth` is given.
void read_fault_draw(const YamlMap& draw, const std::string& where, Scenario& s) {
  draw.allow_only({"links", "probability", "seed", "bandwidth"});
  FaultDraw& d = s.platform.fault_draw;
  d.given = true;
  d.where = where;
  if (s.platform.kind == PlatformSpec::Kind::kXml)
    draw.fail_at("links", "a SimGrid XML platform's links are SimGrid's own: faults need a moesim platform");
  if (draw.has("links") == draw.has("probability"))
    draw.fail_at("links", "give links (how many to draw) or probability (each link's), one of them");
  auto count = [&](const std::string& key) {
    const YAML::Node v = draw.self()[key];
    const auto n = v.IsScalar() ? parse_uint(v.Scalar()) : std::nullopt;
    if (!n) draw.fail_at(key, quote(v) + " is not a non-negative integer of at most 18 digits");
    return *n;
  };
  if (draw.has("links")) d.links = count("links");
  if (draw.has("seed")) d.seed = count("seed");
  d.by_probability = draw.has("probability");
  d.probability = draw.number_or("probability", 0.0);
  if (!(d.probability >= 0 && d.probability <= 1))
    draw.fail_at("probability", format("%g is not in [0, 1]: the chance that each link fails", d.probability));
  d.bandwidth = draw.number_or("bandwidth", 0.0);
  if (draw.has("bandwidth") && !(d.bandwidth > 0 && d.bandwidth <= 1))
    draw.fail_at("bandwidth", format("%g is not in (0, 1]: the fraction of its bandwidth a drawn link keeps", d.bandwidth));
}

// What an overlapped run needs: the experts' time (given, or a roofline of
// the model on the platform's chip), a chip for any roofline, and an engine
// that prices a micro-batch's own traffic.
void check_compute(const Scenario& s) {
  const ComputeSpec& c = s.compute;
  const bool chip = !s.platform.compute.empty();
  if (s.engine == Engine::kAnalytic)
    fail(s.where_overlap, "engine",
         "analytic prices the scenario's whole batch by Tier6's closed form, not each micro-batch's own traffic: "
         "use engine bound or simgrid with compute or overlap");
  if (!c.experts.given && !(s.model.moe_intermediate_size && s.model.num_experts && chip) && s.expert_time_us <= 0)
    fail(s.where_overlap, "compute.experts",
         "the experts' time is unknown: give compute.experts (us), or model.moe_intermediate_size and "
         "model.num_experts on a platform with a compute block" +
             std::string(chip ? "" : " (platform " + s.platform.name + " has none)"));
  if (s.model.shared_experts > 0 && !c.shared.given && c.shared.empty() && !(s.model.moe_intermediate_size && chip))
    fail(s.where_overlap, "compute.shared",
         "the shared expert's time is unknown: give compute.shared (us), or model.moe_intermediate_size on a "
         "platform with a compute block");
  const std::pair<const char*, const OpCost*> ops[] = {{"attn_pre", &c.attn_pre}, {"attn_core", &c.attn_core},
                                                       {"gate", &c.gate},         {"output", &c.output},
                                                       {"shared", &c.shared},     {"experts", &c.experts}};
  for (const auto& [name, op] : ops)
    if (!op->given && !op->empty() && !chip)
      fail(s.where_overlap, std::string("compute.") + name,
           "a roofline needs the chip's compute, and platform " + s.platform.name +
               " has no compute block: give a time in us");
  if (s.deployment.global_batch < s.schedule.micro_batches)
    fail(s.where_group, "deployment.global_batch",
         std::to_string(s.deployment.global_batch) + " cannot be cut into " +
             std::to_string(s.schedule.micro_batches) + " micro-batches");
}

// What the algorithm needs of the traffic and the platform.
void check_comm(const Scenario& s) {
  const std::string algorithm = comm_algorithm_name(s.comm.algorithm);
  if (s.comm.algorithm == CommAlgorithm::kNodeDedup) {
    if (s.routing.model == RoutingSpec::Model::kUniform)
      fail(s.where_comm, "comm.algorithm",
           "node_dedup needs each token's experts: set traffic.routing (random, zipf, hotspot or trace)");
    if (!s.routing.dedup)
      fail(s.where_comm, "comm.algorithm",
           "node_dedup sends a token once to each EP rank it picked (once to each node): traffic.dedup false, "
           "every expert copy sent, contradicts it (per_expert sends every copy)");
    if (node_chips(s) == 0)
      fail(s.where_comm, "comm.algorithm",
           "node_dedup needs a node: platform " + s.platform.name +
               " has no tiers or GPU nodes, so give traffic.node_chips (chips per node)");
    if (node_chips(s) % s.deployment.moe_tp != 0)
      fail(s.where_comm, "comm.algorithm",
           "node_dedup needs each EP rank inside one node: " + std::to_string(node_chips(s)) +
               " chips per node is not a multiple of moe_tp " + std::to_string(s.deployment.moe_tp));
  }
  if (s.comm.algorithm == CommAlgorithm::kDimensionOrdered && s.platform.kind != PlatformSpec::Kind::kTorus)
    fail(s.where_comm, "comm.algorithm",
         "dimension_ordered needs a torus or mesh platform; " + s.platform.name + " is not one (" + algorithm +
             " moves bytes along its dimensions)");
}

// The platform file, loaded, with the scenario's comm_params over its own.
void read_platform(const YamlMap& root, Scenario& s, const std::string& folder) {
  const std::string platform = root.str("platform");
  s.where_platform = root.where("platform");
  // A platform string ("torus:8x8:45GBps") names no file: nothing to resolve.
  s.platform_path = is_platform_string(platform) ? platform : resolve(platform, s.where_platform, folder);
  try {
    s.platform = load_platform_spec(s.platform_path);
  } catch (const InputError& err) {
    // Say which scenario key led to the platform that failed to load.
    throw InputError(std::string(err.what()) + " (platform of " + s.where_platform + ")");
  }
  if (root.has("calibration")) {
    const std::string which = root.str("calibration");
    if (which != "platform" && which != "none")
      root.fail_at("calibration", "'" + which + "' is not platform (the platform file's calibration) or none (its nominal network)");
    s.nominal_network = which == "none";
    if (s.nominal_network) s.platform.calibration = Calibration{};
  }
  if (auto cp = root.map_if("comm_params")) {
    read_comm_params(*cp, s.platform.comm);
    s.where_comm_params = root.where("comm_params");
  }
}

}  // namespace

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  YamlDoc doc = YamlDoc::load_file(path);
  for (const auto& o : overrides) doc.set(o);
  YamlMap root(doc, doc.root(), "");
  root.allow_only({"name", "description", "platform", "model", "deployment", "precision",
                   "expert_time_us", "engine", "simgrid", "comm_params", "comm", "traffic", "seed", "samples",
                   "calibration", "compute", "overlap", "faults", "fault_draw"});
  Scenario s;
  s.path = path;
  std::string base = path.substr(path.find_last_of('/') + 1);
  s.name = root.str_or("name", base.substr(0, base.find_last_of('.')));
  const YamlMap model = root.map("model");
  read_model(model, s.model);
  read_deployment(model, root.map("deployment"), s);
  s.precision = read_precision(root);
  s.expert_time_us = root.non_negative_or("expert_time_us", s.expert_time_us);
  s.engine = root.enum_or("engine", kEngineNames, s.engine, "an engine");
  s.where_simgrid = root.where("simgrid");
  if (auto sg = root.map_if("simgrid")) read_simgrid(*sg, s.simgrid);
  if (root.has("seed")) {
    auto seed = root.node("seed").IsScalar() ? parse_uint(root.node("seed").Scalar()) : std::nullopt;
    if (!seed) root.fail_at("seed", quote(root.node("seed")) + " is not a non-negative integer of at most 18 digits");
    s.seed = *seed;
  }
  s.samples = root.positive_or("samples", s.samples);
  if (auto t = root.map_if("traffic")) read_traffic(*t, s, folder_of(path));
  s.where_comm = root.where("comm");
  if (auto c = root.map_if("comm")) read_comm(*c, s);
  read_platform(root, s, folder_of(path));
  check_comm(s);
  s.where_overlap = root.has("overlap") ? root.where("overlap") : root.where("compute");
  if (auto c = root.map_if("compute")) read_compute(*c, s);
  if (root.has("overlap")) read_overlap(root, s);
  if (root.has("faults")) read_faults(root, s);
  if (auto d = root.map_if("fault_draw")) read_fault_draw(*d, root.where("fault_draw"), s);
  if (s.schedule.steps.empty()) shipped_schedule("none", s.deployment.seq_len == 1, s.schedule);
  if (s.scheduled()) check_compute(s);
  try {  // each factor is capped; their product must fit too
    const LayerBytes b = layer_bytes(s.byte_model_input());
    const std::string key = "comm.token_overhead_bytes";
    checked_add(b.dispatch_bytes, checked_mul(s.comm.token_overhead_bytes, b.tokens_per_ep_group, key, "overhead bytes"),
                key, "dispatch bytes with the token overhead");
  } catch (const InputError& e) {
    throw InputError(path + ": " + e.what());
  }
  return s;
}

namespace {

std::vector<std::vector<ChipId>> placed_groups(const Scenario& s, const Topology& topology) {
  const std::uint64_t per = s.group_chips(), groups = s.deployment.groups;
  if (per * groups > topology.num_chips())
    fail(s.where_group, groups > 1 ? "deployment.groups" : "deployment.ep",
         "ep x moe_tp = " + std::to_string(s.deployment.ep) + " x " + std::to_string(s.deployment.moe_tp) + " = " +
             std::to_string(per) + " chips" + (groups > 1 ? " x " + std::to_string(groups) + " EP groups" : "") +
             " is more than the " + std::to_string(topology.num_chips()) + " chips of platform " + topology.name);
  auto lookup = [&](const std::vector<std::string>& hosts, const std::string& key) {
    std::vector<ChipId> out;
    for (const auto& h : hosts) {
      long id = topology.chip_index(h);
      if (id < 0)
        fail(s.where_placement, key,
             "host '" + h + "' is not a chip of platform " + topology.name + " (chips are " +
                 topology.chips.front() + " .. " + topology.chips.back() + ")");
      out.push_back(static_cast<ChipId>(id));
    }
    return out;
  };
  std::vector<std::vector<ChipId>> out(groups);
  if (!s.deployment.placement.empty()) {
    out[0] = lookup(s.deployment.placement, "deployment.placement");
    return out;
  }
  switch (s.deployment.group_placement) {
    case DeploymentSpec::GroupPlacement::kContiguous:
      for (std::uint64_t g = 0; g < groups; ++g)
        for (std::uint64_t i = 0; i < per; ++i) out[g].push_back(static_cast<ChipId>(g * per + i));
      break;
    case DeploymentSpec::GroupPlacement::kStrided:
      for (std::uint64_t g = 0; g < groups; ++g)
        for (std::uint64_t i = 0; i < per; ++i) out[g].push_back(static_cast<ChipId>(i * groups + g));
      break;
    case DeploymentSpec::GroupPlacement::kExplicit: {
      std::set<ChipId> used;
      for (std::uint64_t g = 0; g < groups; ++g) {
        out[g] = lookup(s.deployment.group_hosts[g], "deployment.group_placement");
        for (ChipId c : out[g])
          if (!used.insert(c).second)
            fail(s.where_placement, "deployment.group_placement", "host '" + topology.chips[c] + "' is in two EP groups");
      }
      break;
    }
  }
  return out;
}

}  // namespace

std::vector<std::vector<ChipId>> group_chips(const Scenario& s, const Topology& topology) {
  std::vector<std::vector<ChipId>> groups = placed_groups(s, topology);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::string cut =
        fault_cut(topology, groups[g], groups.size() > 1 ? "EP group " + std::to_string(g) : "the EP group");
    if (cut.empty()) continue;
    const bool drawn = s.platform.faults.empty();
    fail(drawn ? s.platform.fault_draw.where : s.platform.faults.front().where, drawn ? "fault_draw" : "faults", cut);
  }
  return groups;
}

std::uint64_t node_chips(const Scenario& s) {
  if (s.routing.node_chips) return s.routing.node_chips;
  const bool tiers = s.platform.kind == PlatformSpec::Kind::kTiers;
  if (!s.routing.node_level.empty()) {
    std::uint64_t chips = 1;
    std::string names;
    for (const auto& level : tiers ? s.platform.tiers.levels : std::vector<TierLevel>{}) {
      chips *= level.count;
      if (level.name == s.routing.node_level) return chips;
      names += (names.empty() ? "" : ", ") + level.name;
    }
    fail(s.where_traffic, "traffic.node_level",
         "'" + s.routing.node_level + "' is not a tier of platform " + s.platform.name +
             (tiers ? " (tiers: " + names + ")" : " (it has no tiers: give traffic.node_chips)"));
  }
  if (tiers) return s.platform.tiers.levels.front().count;
  if (s.platform.kind == PlatformSpec::Kind::kGpuCluster) return s.platform.gpu.gpus;
  return 0;
}

}  // namespace moesim
