// What a run cannot honour of its scenario, named before the run.
#include "model/unused_settings.hpp"

#include <sstream>

namespace moesim {

namespace {

// A setting as the scenario gives it: "simgrid.network_model LV08".
struct Given {
  std::string key, value;
};

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// "a x, b y and c z"
std::string listed(const std::vector<Given>& given) {
  std::string out;
  for (std::size_t i = 0; i < given.size(); ++i)
    out += (i == 0 ? "" : i + 1 == given.size() ? " and " : ", ") + given[i].key + " " + given[i].value;
  return out;
}

// The simgrid section's settings that differ from their defaults.
std::vector<Given> simgrid_given(const SimgridSpec& sg) {
  const SimgridSpec d;
  std::vector<Given> out;
  if (sg.network_model != d.network_model) out.push_back({"simgrid.network_model", sg.network_model});
  if (sg.fidelity != d.fidelity) out.push_back({"simgrid.fidelity", fidelity_name(sg.fidelity)});
  if (sg.ptask_max_links != d.ptask_max_links)
    out.push_back({"simgrid.ptask_max_links", std::to_string(sg.ptask_max_links)});
  if (sg.link_load != d.link_load) out.push_back({"simgrid.link_load", sg.link_load ? "true" : "false"});
  if (!sg.cfg.empty()) {
    std::string cfg;
    for (const auto& c : sg.cfg) cfg += (cfg.empty() ? "[" : ", ") + c;
    out.push_back({"simgrid.cfg", cfg + "]"});
  }
  return out;
}

// What Tier6's closed form leaves out: it times the byte model's per-chip
// bytes as one direct all-to-all, with no message cost and its own start
// latencies, wherever the chips are.
std::vector<Given> closed_form_ignores(const Scenario& s) {
  std::vector<Given> out;
  const CommSpec d;
  if (s.comm.algorithm != d.algorithm) out.push_back({"comm.algorithm", comm_algorithm_name(s.comm.algorithm)});
  if (s.comm.token_overhead_bytes != d.token_overhead_bytes)
    out.push_back({"comm.token_overhead_bytes", std::to_string(s.comm.token_overhead_bytes)});
  if (s.comm.message_bytes != d.message_bytes)
    out.push_back({"comm.message_bytes", std::to_string(s.comm.message_bytes)});
  if (s.comm.per_message_us != d.per_message_us) out.push_back({"comm.per_message_us", number(s.comm.per_message_us)});
  if (!s.platform.faults.empty())
    out.push_back({"faults", std::to_string(s.platform.faults.size()) + " fault" +
                                 (s.platform.faults.size() == 1 ? "" : "s")});
  if (s.platform.fault_draw.given) out.push_back({"fault_draw", "seed " + std::to_string(s.platform.fault_draw.seed)});
  const Calibration& cal = s.platform.calibration;
  if (!cal.per_message_us.empty() || cal.message_bytes > 0)
    out.push_back({"the platform's calibrated message cost", cal.per_message_us.describe()});
  if (!cal.per_peer_us.empty()) out.push_back({"the platform's calibrated peer cost", cal.per_peer_us.describe()});
  if (cal.dispatch_min_us > 0 || cal.combine_min_us > 0 || cal.allgather_min_us > 0)
    out.push_back({"the platform's calibrated least phase times", number(cal.dispatch_min_us) + " / " +
                                                                      number(cal.combine_min_us) + " / " +
                                                                      number(cal.allgather_min_us) + " us"});
  if (cal.dispatch_startup_us > 0 || cal.combine_startup_us > 0 || cal.allgather_startup_us > 0)
    out.push_back({"the platform's calibrated start-ups", number(cal.dispatch_startup_us) + " / " +
                                                               number(cal.combine_startup_us) + " / " +
                                                               number(cal.allgather_startup_us) + " us"});
  if (s.routing.model != RoutingSpec::Model::kUniform)
    out.push_back({"traffic.routing", routing_model_name(s.routing.model)});
  if (!s.deployment.placement.empty()) out.push_back({"deployment.placement", "(a host list)"});
  if (s.deployment.group_placement == DeploymentSpec::GroupPlacement::kStrided)
    out.push_back({"deployment.group_placement", "strided"});
  if (s.deployment.group_placement == DeploymentSpec::GroupPlacement::kExplicit)
    out.push_back({"deployment.group_placement", "(host lists)"});
  return out;
}

// The engines that run no SimGrid replay: what they leave out.
void core_engine_lines(const Scenario& s, std::vector<std::string>& out) {
  const std::string engine = engine_name(s.engine);
  if (s.engine == Engine::kAnalytic) {
    const std::vector<Given> ignored = closed_form_ignores(s);
    if (!ignored.empty())
      out.push_back("the analytic engine is Tier6's closed form (the byte model's per-chip bytes, one direct "
                    "all-to-all, no message cost, its own start latencies): it ignores " + listed(ignored));
  }
  const std::vector<Given> simgrid = simgrid_given(s.simgrid);
  if (!simgrid.empty())
    out.push_back("the " + engine + " engine replays nothing in SimGrid: it ignores " + listed(simgrid) +
                  " (they are for --engine simgrid)");
}

// The simgrid engine: what its fidelity or the platform leaves out.
void simgrid_lines(const Scenario& s, std::vector<std::string>& out) {
  const SimgridSpec& sg = s.simgrid;
  const SimgridSpec d;
  const bool xml = s.platform.kind == PlatformSpec::Kind::kXml;
  if (sg.fidelity == Fidelity::kPtask) {
    if (sg.network_model != d.network_model)
      out.push_back("simgrid.network_model " + sg.network_model +
                    " is for the flow fidelity: the ptask fidelity shares bandwidth in SimGrid's ptask_L07 model, "
                    "with no network model (use --fidelity flow)");
    if (sg.link_load)
      out.push_back("simgrid.link_load is for the flow fidelity: SimGrid's link_load plugin counts comms, not the "
                    "ptask fidelity's tasks, so the report has no SimGrid link bytes (use --fidelity flow)");
    if (xml && sg.ptask_max_links != d.ptask_max_links)
      out.push_back("simgrid.ptask_max_links " + std::to_string(sg.ptask_max_links) +
                    " is for a generated platform: on a SimGrid XML platform each ptask loads chip pairs, whole");
  } else {
    if (sg.ptask_max_links != d.ptask_max_links)
      out.push_back("simgrid.ptask_max_links " + std::to_string(sg.ptask_max_links) +
                    " is for the ptask fidelity: the flow fidelity replays one comm per flow");
    if (xml && sg.link_load)
      out.push_back("simgrid.link_load is for a generated platform: SimGrid 3.32's link_load plugin cannot track "
                    "an XML platform's links, so the report has no SimGrid link bytes");
    if (sg.network_model != d.network_model)
      out.push_back("simgrid.network_model " + sg.network_model +
                    " scales bandwidth and latency by its own factors: the bound engine's lower bound holds for "
                    "CM02 only");
  }
}

// Tier6's parameters are the closed form's alone.
void comm_params_line(const Scenario& s, std::vector<std::string>& out) {
  if (s.engine == Engine::kAnalytic || s.where_comm_params.empty()) return;
  out.push_back("comm_params (" + s.where_comm_params + ") is for the analytic engine's closed form: the " +
                engine_name(s.engine) + " engine uses the platform's links and calibration");
}

// Message sizes matter only through a per-message cost.
void message_lines(const Scenario& s, std::vector<std::string>& out) {
  if (s.engine == Engine::kAnalytic || s.comm.message_bytes == 0) return;
  if (s.comm.per_message_us > 0 || !s.platform.calibration.per_message_us.empty()) return;
  out.push_back("comm.message_bytes " + std::to_string(s.comm.message_bytes) +
                " changes only the message counts: no time depends on them without a per-message cost "
                "(comm.per_message_us, or the platform's calibration)");
}

// Routing keys the chosen routing model does not read.
void routing_lines(const Scenario& s, std::vector<std::string>& out) {
  const RoutingSpec& r = s.routing;
  const RoutingSpec d;
  const std::string model = routing_model_name(r.model);
  std::vector<Given> unread;
  if (r.model != RoutingSpec::Model::kZipf) {
    if (r.zipf_exponent != d.zipf_exponent) unread.push_back({"traffic.zipf_exponent", number(r.zipf_exponent)});
    if (r.redraw_per_layer != d.redraw_per_layer) unread.push_back({"traffic.redraw_per_layer", "false"});
  }
  if (r.model == RoutingSpec::Model::kUniform) {
    if (r.dedup != d.dedup) unread.push_back({"traffic.dedup", "false"});
    if (r.placement != d.placement)
      unread.push_back({"traffic.expert_placement",
                        r.placement == RoutingSpec::Placement::kExplicit ? "(a rank list)" : "round_robin"});
    if (s.seed != Scenario{}.seed) unread.push_back({"seed", std::to_string(s.seed)});
    if (s.samples != Scenario{}.samples) unread.push_back({"samples", std::to_string(s.samples)});
  }
  if (unread.empty()) return;
  std::string why;
  if (r.model == RoutingSpec::Model::kUniform)
    why = s.samples > 1 ? " (uniform shares draw no experts: every sample is the same)" : " (uniform shares draw no experts)";
  out.push_back("traffic.routing " + model + " does not read " + listed(unread) + why);
}

}  // namespace

bool simgrid_counts_link_bytes(const Scenario& s) {
  return s.engine == Engine::kSimgrid && s.simgrid.fidelity == Fidelity::kFlow &&
         s.platform.kind != PlatformSpec::Kind::kXml;
}

std::vector<std::string> unused_settings(const Scenario& s) {
  std::vector<std::string> out;
  if (s.engine == Engine::kSimgrid)
    simgrid_lines(s, out);
  else
    core_engine_lines(s, out);
  comm_params_line(s, out);
  message_lines(s, out);
  routing_lines(s, out);
  return out;
}

}  // namespace moesim
