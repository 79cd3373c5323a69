#include "campaign/calibrate.hpp"

#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "moesim/error.hpp"
#include "moesim/platform.hpp"
#include "util/process.hpp"
#include "moesim/scenario.hpp"

namespace moesim {

namespace {

struct Knob {
  std::string name;        // as given: efficiency.nic
  bool efficiency = true;  // else a start-up
  std::string what;        // the link class or the phase
};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Solves the small system a x = b (Gaussian elimination, partial pivoting).
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const std::size_t n = b.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
    std::swap(a[c], a[piv]);
    std::swap(b[c], b[piv]);
    if (std::fabs(a[c][c]) < 1e-300) fail("--fit", "", "the knobs cannot be told apart by these points (singular fit)");
    for (std::size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (std::size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = b[i] / a[i][i];
  return x;
}

std::vector<std::vector<double>> inverse(const std::vector<std::vector<double>>& a) {
  const std::size_t n = a.size();
  std::vector<std::vector<double>> inv(n, std::vector<double>(n));
  for (std::size_t j = 0; j < n; ++j) {
    std::vector<double> e(n, 0.0);
    e[j] = 1;
    const auto col = solve(a, e);
    for (std::size_t i = 0; i < n; ++i) inv[i][j] = col[i];
  }
  return inv;
}

class Evaluator {
 public:
  Evaluator(const CalibrateOptions& o, std::vector<Knob> knobs, YAML::Node platform)
      : o_(o), knobs_(std::move(knobs)), platform_(std::move(platform)) {
    char dir[] = "/tmp/moesim-calibrate.XXXXXX";
    if (!mkdtemp(dir)) fail("/tmp", "", "cannot make a work folder");
    dir_ = dir;
  }
  ~Evaluator() {
    std::remove((dir_ + "/platform.yaml").c_str());
    std::remove((dir_ + "/run.json").c_str());
    rmdir(dir_.c_str());
  }
  // The platform with these knob values.
  YAML::Node with(const std::vector<double>& theta) const {
    YAML::Node root = YAML::Clone(platform_);
    for (std::size_t k = 0; k < knobs_.size(); ++k)
      root["calibration"][knobs_[k].efficiency ? "efficiency" : "startup_us"][knobs_[k].what] = theta[k];
    return root;
  }
  // Each point's simulated phase latency (mean over layers), us.
  std::vector<double> operator()(const std::vector<double>& theta, const std::vector<MeasuredPoint>& pts) {
    YAML::Emitter e;
    e << with(theta);
    std::ofstream(dir_ + "/platform.yaml") << e.c_str() << "\n";
    std::vector<double> out;
    for (const auto& p : pts) {
      std::vector<std::string> args = {o_.moesim, "run", o_.scenario, "--set", "platform=" + dir_ + "/platform.yaml"};
      for (const auto& ov : p.overrides) {
        args.push_back("--set");
        args.push_back(ov);
      }
      args.push_back("--json");
      args.push_back(dir_ + "/run.json");
      run_program(args, "", "calibrate", "");
      ++simulations;
      const auto j = nlohmann::json::parse(read_text(dir_ + "/run.json"));
      const std::string key = phase_name(p.phase) + "_us";
      if (!j["summary"].contains(key)) fail(o_.measurements, p.name, "the simulation has no " + key);
      out.push_back(j["summary"][key]["mean"].get<double>());
    }
    return out;
  }
  std::size_t simulations = 0;

 private:
  const CalibrateOptions& o_;
  std::vector<Knob> knobs_;
  YAML::Node platform_;
  std::string dir_;
};

struct Fit {
  std::vector<double> theta, stderr_;
  std::vector<double> model;  // at theta, on the fitted points
  std::size_t iterations = 0;
};

Fit fit(Evaluator& eval, const std::vector<Knob>& knobs, std::vector<double> theta,
        const std::vector<MeasuredPoint>& pts, std::size_t max_iterations) {
  const std::size_t n = pts.size(), p = knobs.size();
  Fit f;
  std::vector<double> model = eval(theta, pts);
  for (f.iterations = 0; f.iterations < max_iterations; ++f.iterations) {
    // Relative residuals and their Jacobian by finite differences.
    std::vector<double> r(n);
    for (std::size_t i = 0; i < n; ++i) r[i] = model[i] / pts[i].measured_us - 1;
    std::vector<std::vector<double>> jac(n, std::vector<double>(p));
    for (std::size_t k = 0; k < p; ++k) {
      std::vector<double> t = theta;
      const double h = knobs[k].efficiency ? -0.01 * theta[k] : 1.0;
      t[k] += h;
      const auto m2 = eval(t, pts);
      for (std::size_t i = 0; i < n; ++i) jac[i][k] = (m2[i] - model[i]) / h / pts[i].measured_us;
    }
    std::vector<std::vector<double>> jtj(p, std::vector<double>(p, 0.0));
    std::vector<double> jtr(p, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t a = 0; a < p; ++a) {
        jtr[a] -= jac[i][a] * r[i];
        for (std::size_t b = 0; b < p; ++b) jtj[a][b] += jac[i][a] * jac[i][b];
      }
    const std::vector<double> step = solve(jtj, jtr);
    double biggest = 0;
    for (std::size_t k = 0; k < p; ++k) {
      double next = theta[k] + step[k];
      if (knobs[k].efficiency) next = std::clamp(next, 0.01, 1.0);
      else next = std::max(0.0, next);
      biggest = std::max(biggest, std::fabs(next - theta[k]) / std::max(std::fabs(theta[k]), 1e-3));
      theta[k] = next;
    }
    model = eval(theta, pts);
    // Standard errors from the last Jacobian.
    double rss = 0;
    for (std::size_t i = 0; i < n; ++i) rss += std::pow(model[i] / pts[i].measured_us - 1, 2);
    f.stderr_.assign(p, 0.0);
    if (n > p) {
      const auto cov = inverse(jtj);
      for (std::size_t k = 0; k < p; ++k) f.stderr_[k] = std::sqrt(std::max(0.0, cov[k][k] * rss / double(n - p)));
    }
    if (biggest < 1e-6) {
      ++f.iterations;
      break;
    }
  }
  f.theta = theta;
  f.model = model;
  return f;
}

}  // namespace

nlohmann::json calibrate(const CalibrateOptions& o) {
  const Scenario s = load_scenario(o.scenario);
  if (s.platform.kind == PlatformSpec::Kind::kXml)
    fail(s.platform_path, "", "a SimGrid XML platform has no calibration knobs (use a moesim platform YAML)");
  YAML::Node platform = YAML::LoadFile(s.platform_path);
  if (!platform["topology"]) fail(s.platform_path, "", "not a moesim platform YAML (no topology key) to calibrate");
  if (o.knobs.empty()) fail("--fit", "", "name the knobs to fit, e.g. --fit efficiency.nic --fit startup_us.dispatch");
  const Topology topo = build_topology(s.platform);
  std::vector<Knob> knobs;
  std::vector<double> theta;
  for (const auto& k : o.knobs) {
    Knob kn;
    kn.name = k;
    const auto dot = k.find('.');
    const std::string kind = k.substr(0, dot), what = dot == std::string::npos ? "" : k.substr(dot + 1);
    if (kind == "efficiency" && !what.empty()) {
      bool found = false;
      for (const auto& l : topo.links) found = found || l.link_class == what;
      if (!found) fail("--fit", k, "the platform has no link of class '" + what + "'");
      auto it = s.platform.calibration.efficiency.find(what);
      theta.push_back(it == s.platform.calibration.efficiency.end() ? 1.0 : it->second);
    } else if (kind == "startup_us" && (what == "dispatch" || what == "combine" || what == "allgather")) {
      kn.efficiency = false;
      const auto& c = s.platform.calibration;
      theta.push_back(what == "dispatch" ? c.dispatch_startup_us : what == "combine" ? c.combine_startup_us
                                                                                      : c.allgather_startup_us);
    } else {
      fail("--fit", k, "'" + k + "' is not a knob (efficiency.<link class> or startup_us.<dispatch|combine|allgather>)");
    }
    kn.what = what;
    knobs.push_back(kn);
  }
  std::vector<MeasuredPoint> all = load_measurements(o.measurements, o.scenario);
  std::vector<MeasuredPoint> train, held;
  for (const auto& h : o.holdout)
    if (std::none_of(all.begin(), all.end(), [&](const MeasuredPoint& p) { return p.name == h; }))
      fail("--holdout", h, "no point named '" + h + "' in " + o.measurements);
  for (const auto& p : all)
    (std::find(o.holdout.begin(), o.holdout.end(), p.name) != o.holdout.end() ? held : train).push_back(p);
  if (train.size() < knobs.size())
    fail("--fit", "", std::to_string(knobs.size()) + " knobs need at least as many fitted points, not " +
                          std::to_string(train.size()));

  Evaluator eval(o, knobs, platform);
  const std::vector<double> theta0 = theta;
  const std::vector<double> before = eval(theta0, all);
  const Fit best = fit(eval, knobs, theta0, train, o.max_iterations);
  const std::vector<double> after = eval(best.theta, all);

  nlohmann::json report;
  report["knobs"] = nlohmann::json::array();
  for (std::size_t k = 0; k < knobs.size(); ++k)
    report["knobs"].push_back({{"knob", knobs[k].name}, {"before", theta0[k]}, {"value", best.theta[k]},
                               {"stderr", best.stderr_[k]}});
  report["points"] = nlohmann::json::array();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const bool is_held = std::find(o.holdout.begin(), o.holdout.end(), all[i].name) != o.holdout.end();
    report["points"].push_back({{"name", all[i].name},
                                {"phase", phase_name(all[i].phase)},
                                {"measured_us", all[i].measured_us},
                                {"before_us", before[i]},
                                {"after_us", after[i]},
                                {"error_before", before[i] / all[i].measured_us - 1},
                                {"error_after", after[i] / all[i].measured_us - 1},
                                {"held_out", is_held}});
  }
  // Prediction of points the fit did not see: the held-out ones, or each in turn.
  nlohmann::json pred = nlohmann::json::array();
  double abs_sum = 0;
  if (!held.empty()) {
    report["validation"]["method"] = "holdout";
    for (std::size_t i = 0; i < all.size(); ++i)
      if (report["points"][i]["held_out"].get<bool>()) {
        pred.push_back({{"name", all[i].name}, {"error", after[i] / all[i].measured_us - 1}});
        abs_sum += std::fabs(after[i] / all[i].measured_us - 1);
      }
  } else if (train.size() > knobs.size()) {
    report["validation"]["method"] = "leave-one-out";
    for (std::size_t i = 0; i < train.size(); ++i) {
      std::vector<MeasuredPoint> rest = train;
      rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
      const Fit f = fit(eval, knobs, best.theta, rest, o.max_iterations);
      const double m = eval(f.theta, {train[i]}).front();
      pred.push_back({{"name", train[i].name}, {"error", m / train[i].measured_us - 1}});
      abs_sum += std::fabs(m / train[i].measured_us - 1);
    }
  } else {
    report["validation"]["method"] = "none (as many knobs as points)";
  }
  report["validation"]["points"] = pred;
  report["validation"]["mean_abs_error"] = pred.empty() ? 0.0 : abs_sum / static_cast<double>(pred.size());
  report["iterations"] = best.iterations;
  report["simulations"] = eval.simulations;
  report["method"] = "Gauss-Newton on relative error, finite-difference Jacobian, each evaluation a moesim run";

  // The calibrated platform: the original, with the knobs set and a note of what they were fitted on.
  const std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  YAML::Node out = eval.with(best.theta);
  out["calibration"]["fitted"] = std::string("by moesim calibrate on ") + when + " from " + o.measurements + " (" +
                                 std::to_string(train.size()) + " points)";
  YAML::Emitter e;
  e << out;
  std::ofstream file(o.out);
  file << "# Calibrated by moesim calibrate on " << when << ": knobs";
  for (std::size_t k = 0; k < knobs.size(); ++k) file << " " << knobs[k].name << "=" << best.theta[k];
  file << ",\n# fitted on " << o.measurements << " (" << train.size() << " points) from " << s.platform_path << ".\n"
       << e.c_str() << "\n";
  if (!file) fail("--out", "", "cannot write '" + o.out + "'");
  return report;
}

std::string calibrate_table(const nlohmann::json& r) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-24s %-9s %12s %12s %8s %12s %8s\n", "point", "phase", "measured_us", "before_us",
                "error", "after_us", "error");
  out << line;
  for (const auto& p : r["points"]) {
    std::snprintf(line, sizeof line, "%-24s %-9s %12.3f %12.3f %7.2f%% %12.3f %7.2f%%%s\n",
                  p["name"].get<std::string>().c_str(), p["phase"].get<std::string>().c_str(),
                  p["measured_us"].get<double>(), p["before_us"].get<double>(), 100 * p["error_before"].get<double>(),
                  p["after_us"].get<double>(), 100 * p["error_after"].get<double>(),
                  p["held_out"].get<bool>() ? "  (held out)" : "");
    out << line;
  }
  for (const auto& k : r["knobs"]) {
    std::snprintf(line, sizeof line, "knob %s: %.6g (was %.6g), standard error %.3g\n", k["knob"].get<std::string>().c_str(),
                  k["value"].get<double>(), k["before"].get<double>(), k["stderr"].get<double>());
    out << line;
  }
  std::snprintf(line, sizeof line, "validation (%s): mean |error| %.3f%% over %zu points\n",
                r["validation"]["method"].get<std::string>().c_str(), 100 * r["validation"]["mean_abs_error"].get<double>(),
                r["validation"]["points"].size());
  out << line;
  std::snprintf(line, sizeof line, "%zu Gauss-Newton iterations, %zu simulations\n", r["iterations"].get<std::size_t>(),
                r["simulations"].get<std::size_t>());
  out << line;
  return out.str();
}

}  // namespace moesim
