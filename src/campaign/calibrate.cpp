#include "campaign/calibrate.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "campaign/child_run.hpp"
#include "moesim/error.hpp"
#include "moesim/platform.hpp"
#include "moesim/scenario.hpp"
#include "util/files.hpp"

namespace moesim {

namespace {

struct Knob {
  std::string name;        // as given: efficiency.nic
  bool efficiency = true;  // else a start-up
  std::string what;        // the link class or the phase
};

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

// Simulates the points on the platform with candidate knob values, each
// point a child `moesim run` on a platform file in a work folder.
class Evaluator {
 public:
  Evaluator(const CalibrateOptions& o, std::vector<Knob> knobs, YAML::Node platform)
      : o_(o), knobs_(std::move(knobs)), platform_(std::move(platform)), work_("moesim-calibrate") {}
  // The platform with these knob values.
  YAML::Node with(const std::vector<double>& theta) const {
    YAML::Node root = YAML::Clone(platform_);
    for (std::size_t k = 0; k < knobs_.size(); ++k)
      root["calibration"][knobs_[k].efficiency ? "efficiency" : "startup_us"][knobs_[k].what] = theta[k];
    return root;
  }
  // Each point's simulated phase latency (mean over layers), us.
  std::vector<double> operator()(const std::vector<double>& theta, const std::vector<MeasuredPoint>& pts) {
    const std::string platform = work_.file("platform.yaml");
    YAML::Emitter e;
    e << with(theta);
    std::ofstream(platform) << e.c_str() << "\n";
    std::vector<double> out;
    for (const auto& p : pts) {
      RunRequest run{o_.moesim, o_.scenario, "", {"platform=" + platform}};
      run.sets.insert(run.sets.end(), p.overrides.begin(), p.overrides.end());
      const RunSummary summary = run_and_wait(run, work_, "calibrate", p.name);
      ++simulations;
      const std::string key = phase_name(p.phase) + "_us";
      const Stats* column = summary.column(key);
      if (!column) fail(o_.measurements, p.name, "the simulation has no " + key);
      out.push_back(column->mean);
    }
    return out;
  }
  std::size_t simulations = 0;

 private:
  const CalibrateOptions& o_;
  std::vector<Knob> knobs_;
  YAML::Node platform_;
  TempDir work_;
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

// The knobs asked for, checked against the platform; theta: their values now.
std::vector<Knob> read_knobs(const CalibrateOptions& o, const Scenario& s, std::vector<double>& theta) {
  if (o.knobs.empty()) fail("--fit", "", "name the knobs to fit, e.g. --fit efficiency.nic --fit startup_us.dispatch");
  const Topology topo = build_topology(s.platform);
  const auto& c = s.platform.calibration;
  std::vector<Knob> knobs;
  for (const auto& k : o.knobs) {
    Knob kn;
    kn.name = k;
    const auto dot = k.find('.');
    const std::string kind = k.substr(0, dot), what = dot == std::string::npos ? "" : k.substr(dot + 1);
    if (kind == "efficiency" && !what.empty()) {
      bool found = false;
      for (const auto& l : topo.links) found = found || l.link_class == what;
      if (!found) fail("--fit", k, "the platform has no link of class '" + what + "'");
      auto it = c.efficiency.find(what);
      theta.push_back(it == c.efficiency.end() ? 1.0 : it->second);
    } else if (kind == "startup_us" && (what == "dispatch" || what == "combine" || what == "allgather")) {
      kn.efficiency = false;
      theta.push_back(what == "dispatch" ? c.dispatch_startup_us : what == "combine" ? c.combine_startup_us
                                                                                      : c.allgather_startup_us);
    } else {
      fail("--fit", k, "'" + k + "' is not a knob (efficiency.<link class> or startup_us.<dispatch|combine|allgather>)");
    }
    kn.what = what;
    knobs.push_back(kn);
  }
  return knobs;
}

bool held_out(const CalibrateOptions& o, const MeasuredPoint& p) {
  return std::find(o.holdout.begin(), o.holdout.end(), p.name) != o.holdout.end();
}

// The measured points: all of them, those the fit sees and those held out.
struct Points {
  std::vector<MeasuredPoint> all, train, held;
};

Points read_points(const CalibrateOptions& o, std::size_t knobs) {
  Points pts;
  pts.all = load_measurements(o.measurements, o.scenario);
  for (const auto& h : o.holdout)
    if (std::none_of(pts.all.begin(), pts.all.end(), [&](const MeasuredPoint& p) { return p.name == h; }))
      fail("--holdout", h, "no point named '" + h + "' in " + o.measurements);
  for (const auto& p : pts.all) (held_out(o, p) ? pts.held : pts.train).push_back(p);
  if (pts.train.size() < knobs)
    fail("--fit", "", std::to_string(knobs) + " knobs need at least as many fitted points, not " +
                          std::to_string(pts.train.size()));
  return pts;
}

double relative_error(double model_us, const MeasuredPoint& p) { return model_us / p.measured_us - 1; }

nlohmann::json points_json(const CalibrateOptions& o, const Points& pts, const std::vector<double>& before,
                           const std::vector<double>& after) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < pts.all.size(); ++i) {
    const MeasuredPoint& p = pts.all[i];
    out.push_back({{"name", p.name},
                   {"phase", phase_name(p.phase)},
                   {"measured_us", p.measured_us},
                   {"before_us", before[i]},
                   {"after_us", after[i]},
                   {"error_before", relative_error(before[i], p)},
                   {"error_after", relative_error(after[i], p)},
                   {"held_out", held_out(o, p)}});
  }
  return out;
}

// Prediction of points the fit did not see: the held-out ones, or each in
// turn (leave-one-out, a fit of the others each).
nlohmann::json validation_json(const CalibrateOptions& o, Evaluator& eval, const std::vector<Knob>& knobs,
                               const Fit& best, const Points& pts, const std::vector<double>& after) {
  nlohmann::json out;
  nlohmann::json pred = nlohmann::json::array();
  double abs_sum = 0;
  auto predicted = [&](const MeasuredPoint& p, double model_us) {
    pred.push_back({{"name", p.name}, {"error", relative_error(model_us, p)}});
    abs_sum += std::fabs(relative_error(model_us, p));
  };
  if (!pts.held.empty()) {
    out["method"] = "holdout";
    for (std::size_t i = 0; i < pts.all.size(); ++i)
      if (held_out(o, pts.all[i])) predicted(pts.all[i], after[i]);
  } else if (pts.train.size() > knobs.size()) {
    out["method"] = "leave-one-out";
    for (std::size_t i = 0; i < pts.train.size(); ++i) {
      std::vector<MeasuredPoint> rest = pts.train;
      rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
      const Fit f = fit(eval, knobs, best.theta, rest, o.max_iterations);
      predicted(pts.train[i], eval(f.theta, {pts.train[i]}).front());
    }
  } else {
    out["method"] = "none (as many knobs as points)";
  }
  out["points"] = pred;
  out["mean_abs_error"] = pred.empty() ? 0.0 : abs_sum / static_cast<double>(pred.size());
  return out;
}

// The calibrated platform file: the original, with the knobs set and a note
// of what they were fitted on.
std::string platform_text(const CalibrateOptions& o, const Evaluator& eval, const std::vector<Knob>& knobs,
                          const Fit& best, std::size_t fitted_points, const std::string& original) {
  const std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  YAML::Node out = eval.with(best.theta);
  out["calibration"]["fitted"] = std::string("by moesim calibrate on ") + when + " from " + o.measurements + " (" +
                                 std::to_string(fitted_points) + " points)";
  YAML::Emitter e;
  e << out;
  std::ostringstream file;
  file << "# Calibrated by moesim calibrate on " << when << ": knobs";
  for (std::size_t k = 0; k < knobs.size(); ++k) file << " " << knobs[k].name << "=" << best.theta[k];
  file << ",\n# fitted on " << o.measurements << " (" << fitted_points << " points) from " << original << ".\n"
       << e.c_str() << "\n";
  return file.str();
}

}  // namespace

CalibrationResult calibrate(const CalibrateOptions& o) {
  const Scenario s = load_scenario(o.scenario);
  if (s.platform.kind == PlatformSpec::Kind::kXml)
    fail(s.platform_path, "", "a SimGrid XML platform has no calibration knobs (use a moesim platform YAML)");
  YAML::Node platform = YAML::LoadFile(s.platform_path);
  if (!platform["topology"]) fail(s.platform_path, "", "not a moesim platform YAML (no topology key) to calibrate");
  std::vector<double> theta0;
  const std::vector<Knob> knobs = read_knobs(o, s, theta0);
  const Points pts = read_points(o, knobs.size());

  Evaluator eval(o, knobs, platform);
  const std::vector<double> before = eval(theta0, pts.all);
  const Fit best = fit(eval, knobs, theta0, pts.train, o.max_iterations);
  const std::vector<double> after = eval(best.theta, pts.all);

  CalibrationResult result;
  nlohmann::json& report = result.report;
  report["knobs"] = nlohmann::json::array();
  for (std::size_t k = 0; k < knobs.size(); ++k)
    report["knobs"].push_back({{"knob", knobs[k].name}, {"before", theta0[k]}, {"value", best.theta[k]},
                               {"stderr", best.stderr_[k]}});
  report["points"] = points_json(o, pts, before, after);
  report["validation"] = validation_json(o, eval, knobs, best, pts, after);
  report["iterations"] = best.iterations;
  report["simulations"] = eval.simulations;
  report["method"] = "Gauss-Newton on relative error, finite-difference Jacobian, each evaluation a moesim run";
  result.platform_yaml = platform_text(o, eval, knobs, best, pts.train.size(), s.platform_path);
  return result;
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
