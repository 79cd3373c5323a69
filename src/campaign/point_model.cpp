#include "campaign/point_model.hpp"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <optional>

#include "campaign/child_run.hpp"
#include "campaign/run_summary.hpp"
#include "moesim/error.hpp"
#include "moesim/report.hpp"
#include "moesim/run.hpp"
#include "moesim/scenario.hpp"

namespace moesim {

namespace {

// Runs with every logger at `error` (an in-process point logs what a child's
// stderr file would have held), and puts their levels back.
class QuietLogs {
 public:
  QuietLogs() {
    spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
      levels_.emplace_back(l, l->level());
      l->set_level(spdlog::level::err);
    });
  }
  ~QuietLogs() {
    for (auto& [logger, level] : levels_) logger->set_level(level);
  }

 private:
  std::vector<std::pair<std::shared_ptr<spdlog::logger>, spdlog::level::level_enum>> levels_;
};

std::string phase_column(const MeasuredPoint& p) { return phase_name(p.phase) + "_us"; }

}  // namespace

PointModel::PointModel(std::string scenario, std::vector<std::string> sets, std::string moesim, std::string where)
    : scenario_(std::move(scenario)), moesim_(std::move(moesim)), where_(std::move(where)), sets_(std::move(sets)) {
  const Scenario s = load_scenario(scenario_, sets_);
  in_process_ = s.engine != Engine::kSimgrid && s.platform.kind != PlatformSpec::Kind::kXml;
  platform_path_ = s.platform_path;
}

PointModel::~PointModel() = default;

std::vector<double> PointModel::latencies(const std::vector<MeasuredPoint>& points, const Calibration* calibration) {
  const std::string knobs = calibration ? calibration_yaml(*calibration) : "(the platform's own)";
  std::vector<double> out;
  for (const MeasuredPoint& p : points) {
    const std::string key = p.name + "\n" + knobs;
    auto it = memo_.find(key);
    if (it == memo_.end()) it = memo_.emplace(key, simulate(p, calibration)).first;
    out.push_back(it->second);
  }
  return out;
}

double PointModel::simulate(const MeasuredPoint& p, const Calibration* calibration) {
  ++simulations_;
  std::vector<std::string> sets = sets_;
  sets.insert(sets.end(), p.overrides.begin(), p.overrides.end());
  std::optional<RunSummary> summary;
  try {
    QuietLogs quiet;
    Scenario s = load_scenario(scenario_, sets);
    if (s.engine != Engine::kSimgrid && s.platform.kind != PlatformSpec::Kind::kXml) {
      if (calibration) {
        const std::string where = s.platform.calibration.where;
        s.platform.calibration = *calibration;
        s.platform.calibration.where = where.empty() ? s.platform_path : where;
      }
      const Topology& topology = calibrated_topology(s.platform);
      const std::unique_ptr<LayerEngine> engine = make_core_engine(s, topology);
      summary = read_run_summary(to_json(run_scenario(s, topology, *engine)), where_);
    }
  } catch (const InputError& e) {
    throw InputError(where_ + ": point '" + p.name + "': " + e.what());
  }
  if (!summary) {  // SimGrid: a child each
    if (!work_) work_ = std::make_unique<TempDir>("moesim-points");
    if (calibration) sets.insert(sets.begin() + static_cast<std::ptrdiff_t>(sets_.size()),
                                 "platform=" + platform_file(*calibration));
    summary = run_and_wait({moesim_, scenario_, "", sets}, *work_, where_, p.name);
  }
  const Stats* column = summary->column(phase_column(p));
  if (!column) fail(where_, p.name, "the simulation has no " + phase_column(p));
  return column->mean;
}

// Building a platform's routes is most of a point's time on a large
// platform: each is built once without link knobs, and each point resets its
// links to nominal and applies its own.
const Topology& PointModel::calibrated_topology(const PlatformSpec& spec) {
  auto it = topologies_.find(spec.path);
  if (it == topologies_.end()) {
    PlatformSpec nominal = spec;
    nominal.calibration.efficiency.clear();
    nominal.calibration.latency_us.clear();
    Nominal n{build_topology(nominal), {}};
    for (const Link& l : n.topology.links) n.links.emplace_back(l.bandwidth_Bps, l.latency_s);
    it = topologies_.emplace(spec.path, std::move(n)).first;
  }
  Nominal& n = it->second;
  for (std::size_t i = 0; i < n.links.size(); ++i) {
    n.topology.links[i].bandwidth_Bps = n.links[i].first;
    n.topology.links[i].latency_s = n.links[i].second;
  }
  apply_link_calibration(n.topology, spec.calibration);
  return n.topology;
}

std::string PointModel::platform_file(const Calibration& calibration) {
  YAML::Node root = YAML::LoadFile(platform_path_);
  root["calibration"] = YAML::Load(calibration_yaml(calibration));
  YAML::Emitter e;
  e << root;
  const std::string path = work_->file("platform-" + std::to_string(++platforms_) + ".yaml");
  std::ofstream(path) << e.c_str() << "\n";
  return path;
}

std::string calibration_yaml(const Calibration& c) {
  YAML::Emitter e;
  e.SetDoublePrecision(17);
  e << YAML::BeginMap;
  auto classes = [&](const char* key, const std::map<std::string, double>& m) {
    if (m.empty()) return;
    e << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const auto& [cls, v] : m) e << YAML::Key << cls << YAML::Value << v;
    e << YAML::EndMap;
  };
  classes("efficiency", c.efficiency);
  classes("latency_us", c.latency_us);
  // A figure of each phase (start-ups, least times), the ones that are set.
  auto by_phase = [&](const char* key, double dispatch, double combine, double allgather) {
    if (!dispatch && !combine && !allgather) return;
    e << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const auto& [phase, v] : {std::pair{"dispatch", dispatch}, {"combine", combine}, {"allgather", allgather}})
      if (v) e << YAML::Key << phase << YAML::Value << v;
    e << YAML::EndMap;
  };
  by_phase("startup_us", c.dispatch_startup_us, c.combine_startup_us, c.allgather_startup_us);
  by_phase("min_us", c.dispatch_min_us, c.combine_min_us, c.allgather_min_us);
  auto costs = [&](const char* key, const SendCosts& sc) {
    if (sc.empty()) return;
    if (sc.class_us.empty()) {
      e << YAML::Key << key << YAML::Value << sc.all_us;
      return;
    }
    e << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap;
    if (sc.all_us) e << YAML::Key << "all" << YAML::Value << sc.all_us;
    for (const auto& [cls, v] : sc.class_us) e << YAML::Key << cls << YAML::Value << v;
    e << YAML::EndMap;
  };
  costs("per_message_us", c.per_message_us);
  costs("per_peer_us", c.per_peer_us);
  if (c.message_bytes) e << YAML::Key << "message_bytes" << YAML::Value << c.message_bytes;
  if (!c.fitted.empty()) e << YAML::Key << "fitted" << YAML::Value << c.fitted;
  e << YAML::EndMap;
  return e.c_str();
}

}  // namespace moesim
