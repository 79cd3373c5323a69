#include "campaign/calibrate.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <sstream>

#include "campaign/check.hpp"
#include "campaign/point_model.hpp"
#include "moesim/error.hpp"
#include "moesim/platform.hpp"
#include "moesim/scenario.hpp"
#include "util/format.hpp"
#include "util/least_squares.hpp"

namespace moesim {

namespace {

enum class KnobKind { kEfficiency, kLatency, kStartup, kMin, kPerMessage, kPerPeer };

struct Knob {
  KnobKind kind = KnobKind::kEfficiency;
  std::string what;   // the link class or the phase
  LsqParameter param;  // name as given, bounds, scale
  double start_lo = 0, start_hi = 1;  // where the extra starts are drawn
};

// A send cost's part for every message (peer) (`what` empty) or for one link class.
double& cost_at(SendCosts& c, const std::string& what) { return what.empty() ? c.all_us : c.class_us[what]; }
double cost_of(const SendCosts& c, const std::string& what) {
  if (what.empty()) return c.all_us;
  auto it = c.class_us.find(what);
  return it == c.class_us.end() ? 0.0 : it->second;
}

// The platform's calibration with the knobs at theta.
Calibration with(Calibration c, const std::vector<Knob>& knobs, const std::vector<double>& theta) {
  for (std::size_t k = 0; k < knobs.size(); ++k) {
    const Knob& kn = knobs[k];
    switch (kn.kind) {
      case KnobKind::kEfficiency: c.efficiency[kn.what] = theta[k]; break;
      case KnobKind::kLatency: c.latency_us[kn.what] = theta[k]; break;
      case KnobKind::kPerMessage: cost_at(c.per_message_us, kn.what) = theta[k]; break;
      case KnobKind::kPerPeer: cost_at(c.per_peer_us, kn.what) = theta[k]; break;
      case KnobKind::kStartup:
        (kn.what == "dispatch" ? c.dispatch_startup_us : kn.what == "combine" ? c.combine_startup_us
                                                                              : c.allgather_startup_us) = theta[k];
        break;
      case KnobKind::kMin:
        (kn.what == "dispatch" ? c.dispatch_min_us : kn.what == "combine" ? c.combine_min_us
                                                                          : c.allgather_min_us) = theta[k];
        break;
    }
  }
  return c;
}

// The smallest measured latency of a phase among the points (a start-up cannot exceed it).
double smallest_measured(const std::vector<MeasuredPoint>& pts, const std::string& phase) {
  double least = 0;
  for (const auto& p : pts)
    if (phase_name(p.phase) == phase && (least == 0 || p.measured_us < least)) least = p.measured_us;
  return least;
}

const char* kKnobHelp =
    "efficiency.<link class>, latency_us.<link class>, startup_us.<dispatch|combine|allgather>, "
    "min_us.<dispatch|combine|allgather>, per_message_us, "
    "per_message_us.<link class>, per_peer_us, per_peer_us.<link class> or message_bytes";

// A link-class knob: the class must be on the platform; its nominal latency (us).
double class_latency_us(const Topology& topo, const std::string& knob, const std::string& cls) {
  std::string classes;
  for (const auto& l : topo.links) {
    if (l.link_class == cls) return l.latency_s * 1e6;
    if (classes.find(l.link_class) == std::string::npos) classes += (classes.empty() ? "" : ", ") + l.link_class;
  }
  fail("--fit", knob, "the platform has no link of class '" + cls + "' (classes here: " + classes + ")");
}

// The knobs asked for, checked against the platform; theta: their values now.
std::vector<Knob> read_knobs(const CalibrateOptions& o, const Scenario& s, const std::vector<MeasuredPoint>& pts,
                             std::vector<double>& theta, bool& message_bytes) {
  if (o.knobs.empty()) fail("--fit", "", "name the knobs to fit, e.g. --fit efficiency.nic --fit startup_us.dispatch");
  PlatformSpec nominal = s.platform;
  nominal.calibration.efficiency.clear();
  nominal.calibration.latency_us.clear();
  nominal.calibration.per_message_us.class_us.clear();
  nominal.calibration.per_peer_us.class_us.clear();
  const Topology topo = build_topology(nominal);
  const Calibration& c = s.platform.calibration;
  std::vector<Knob> knobs;
  for (const auto& name : o.knobs) {
    for (const auto& k : knobs)
      if (k.param.name == name) fail("--fit", name, "a knob named twice");
    Knob kn;
    const auto dot = name.find('.');
    const std::string kind = name.substr(0, dot), what = dot == std::string::npos ? "" : name.substr(dot + 1);
    kn.what = what;
    if (kind == "efficiency" && !what.empty()) {
      class_latency_us(topo, name, what);
      kn.param = {name, 0.01, 1.0, 1.0};
      kn.start_lo = 0.3;
      kn.start_hi = 1.0;
      auto it = c.efficiency.find(what);
      theta.push_back(it == c.efficiency.end() ? 1.0 : it->second);
    } else if (kind == "latency_us" && !what.empty()) {
      kn.kind = KnobKind::kLatency;
      const double nominal_us = class_latency_us(topo, name, what);
      kn.param = {name, 0.0, 1e4, std::max(nominal_us, 1.0)};
      kn.start_hi = std::max(4 * nominal_us, 5.0);
      auto it = c.latency_us.find(what);
      theta.push_back(it == c.latency_us.end() ? nominal_us : it->second);
    } else if (kind == "startup_us" && (what == "dispatch" || what == "combine" || what == "allgather")) {
      kn.kind = KnobKind::kStartup;
      const double least = smallest_measured(pts, what);
      kn.param = {name, 0.0, 1e6, least > 0 ? std::max(0.1 * least, 1.0) : 10.0};
      kn.start_hi = least > 0 ? 0.5 * least : 50.0;
      theta.push_back(what == "dispatch" ? c.dispatch_startup_us : what == "combine" ? c.combine_startup_us
                                                                                      : c.allgather_startup_us);
    } else if (kind == "min_us" && (what == "dispatch" || what == "combine" || what == "allgather")) {
      kn.kind = KnobKind::kMin;
      const double least = smallest_measured(pts, what);
      kn.param = {name, 0.0, 1e6, least > 0 ? std::max(0.1 * least, 1.0) : 10.0};
      kn.start_hi = least > 0 ? least : 50.0;
      // A least time of 0 moves nothing: the fit starts it at the phase's smallest measured latency.
      const double now = what == "dispatch" ? c.dispatch_min_us : what == "combine" ? c.combine_min_us : c.allgather_min_us;
      theta.push_back(now > 0 ? now : least);
    } else if (name == "message_bytes") {
      if (message_bytes) fail("--fit", name, "a knob named twice");
      message_bytes = true;  // searched, not a continuous knob
      continue;
    } else if (kind == "per_message_us" || kind == "per_peer_us") {
      if (dot != std::string::npos) {
        if (what.empty()) fail("--fit", name, "'" + name + "' names no link class (" + kKnobHelp + ")");
        class_latency_us(topo, name, what);
      }
      const bool message = kind == "per_message_us";
      kn.kind = message ? KnobKind::kPerMessage : KnobKind::kPerPeer;
      kn.param = {name, 0.0, 1e3, message ? 0.1 : 1.0};
      kn.start_hi = message ? 0.5 : 2.0;
      theta.push_back(cost_of(message ? c.per_message_us : c.per_peer_us, what));
    } else {
      fail("--fit", name, "'" + name + "' is not a knob (" + kKnobHelp + ")");
    }
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

Points read_points(const CalibrateOptions& o) {
  Points pts;
  pts.all = load_measurements(o.measurements, o.scenario, o.sets);
  for (const auto& h : o.holdout)
    if (std::none_of(pts.all.begin(), pts.all.end(), [&](const MeasuredPoint& p) { return p.name == h; }))
      fail("--holdout", h, "no point named '" + h + "' in " + o.measurements);
  for (const auto& p : pts.all) (held_out(o, p) ? pts.held : pts.train).push_back(p);
  if (pts.train.empty()) fail("--holdout", "", "every point is held out: none is left to fit");
  return pts;
}

double relative_error(double model_us, const MeasuredPoint& p) { return model_us / p.measured_us - 1; }

// The fit's view of the points: relative residuals of the knobs `free` (the
// others at `fixed`).
class Objective {
 public:
  Objective(PointModel& model, const Calibration& base, const std::vector<Knob>& knobs, std::vector<double> fixed,
            std::vector<std::size_t> free)
      : model_(model), base_(base), knobs_(knobs), fixed_(std::move(fixed)), free_(std::move(free)) {}

  std::vector<double> full(const std::vector<double>& sub) const {
    std::vector<double> theta = fixed_;
    for (std::size_t k = 0; k < free_.size(); ++k) theta[free_[k]] = sub[k];
    return theta;
  }
  std::vector<double> sub(const std::vector<double>& theta) const {
    std::vector<double> out;
    for (std::size_t k : free_) out.push_back(theta[k]);
    return out;
  }
  std::vector<LsqParameter> params() const {
    std::vector<LsqParameter> out;
    for (std::size_t k : free_) out.push_back(knobs_[k].param);
    return out;
  }
  std::vector<double> latencies(const std::vector<double>& theta, const std::vector<MeasuredPoint>& pts) {
    const Calibration c = with(base_, knobs_, theta);
    return model_.latencies(pts, &c);
  }
  Residuals residuals(const std::vector<MeasuredPoint>& pts) {
    return [this, &pts](const std::vector<double>& sub) {
      const std::vector<double> us = latencies(full(sub), pts);
      std::vector<double> r;
      for (std::size_t i = 0; i < pts.size(); ++i) r.push_back(relative_error(us[i], pts[i]));
      return r;
    };
  }
  // Starts: `theta0`, then `n` more spread over the knobs' start ranges
  // (a Halton sequence: deterministic, evenly spread).
  std::vector<std::vector<double>> starts(const std::vector<double>& theta0, std::size_t n) const {
    static const int kPrimes[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
    std::vector<std::vector<double>> out = {sub(theta0)};
    for (std::size_t i = 1; i <= n; ++i) {
      std::vector<double> s;
      for (std::size_t k = 0; k < free_.size(); ++k) {
        const int b = kPrimes[k % 12];
        double f = 1, u = 0;
        for (std::size_t j = i; j > 0; j /= b) u += (f /= b) * static_cast<double>(j % b);
        const Knob& kn = knobs_[free_[k]];
        s.push_back(kn.start_lo + u * (kn.start_hi - kn.start_lo));
      }
      out.push_back(s);
    }
    return out;
  }

 private:
  PointModel& model_;
  const Calibration& base_;
  const std::vector<Knob>& knobs_;
  std::vector<double> fixed_;
  std::vector<std::size_t> free_;
};

// What the points can tell apart, at the platform's own values.
struct Plan {
  Identifiability id;
  std::vector<std::string> notes;  // few points, dropped knobs
};

Plan plan_fit(Objective& all_knobs, const std::vector<Knob>& knobs, const std::vector<double>& theta0,
              const Points& pts) {
  Plan plan;
  std::size_t evaluations = 0;
  const Residuals f = all_knobs.residuals(pts.train);
  const std::vector<double> r0 = f(theta0);
  std::vector<LsqParameter> params;
  for (const auto& k : knobs) params.push_back(k.param);
  plan.id = identifiability(jacobian(f, params, theta0, r0, evaluations), params);
  for (const auto& d : plan.id.dropped)
    plan.notes.push_back(knobs[d.parameter].param.name + " is not fitted (kept at " +
                         format("%g", theta0[d.parameter]) + "): it " + d.why);
  const std::size_t n = pts.train.size(), p = plan.id.kept.size();
  if (p > 0 && n == p)
    plan.notes.push_back(format("as many fitted points as knobs (%zu): the fit can match them exactly, and says "
                                "nothing of its error; add points or hold some out",
                                n));
  else if (p > 0 && n < 2 * p + 2)
    plan.notes.push_back(format("few points: %zu fitted points for %zu knobs leave %zu degree%s of freedom; the "
                                "standard errors are rough",
                                n, p, n - p, n - p == 1 ? "" : "s"));
  return plan;
}

struct Outcome {
  std::vector<double> theta;  // every knob
  LsqFit fit;
  std::vector<double> stderr_;      // every knob; 0 where not fitted, at a bound or not known
  std::vector<std::size_t> inside;  // the fitted knobs (indices into the fit) not at a bound
  Matrix correlation;               // of the estimates of `inside`
};

Outcome fit_knobs(Objective& objective, const std::vector<double>& theta0, const Points& pts, const Plan& plan,
                  const CalibrateOptions& o) {
  Outcome out;
  LsqOptions lo;
  lo.max_iterations = o.max_iterations;
  out.fit = least_squares(objective.residuals(pts.train), objective.params(), objective.starts(theta0, o.starts), lo);
  out.theta = objective.full(out.fit.x);
  out.stderr_.assign(theta0.size(), 0.0);
  // Standard errors and correlations of the knobs inside their bounds (one
  // at a bound is held there, as the method holds it).
  const std::vector<LsqParameter> params = objective.params();
  for (std::size_t k = 0; k < params.size(); ++k)
    if (out.fit.x[k] > params[k].lo && out.fit.x[k] < params[k].hi) out.inside.push_back(k);
  const Matrix cov = covariance(out.fit.jacobian, out.inside, out.fit.cost);
  if (!cov.empty()) {
    out.correlation.assign(cov.size(), std::vector<double>(cov.size(), 0.0));
    for (std::size_t a = 0; a < cov.size(); ++a) {
      out.stderr_[plan.id.kept[out.inside[a]]] = std::sqrt(std::max(0.0, cov[a][a]));
      for (std::size_t b = 0; b < cov.size(); ++b)
        out.correlation[a][b] = cov[a][b] / std::sqrt(std::max(cov[a][a] * cov[b][b], 1e-300));
    }
  }
  return out;
}

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

// RMS and mean |relative error| of the fitted and held-out points, before and after.
nlohmann::json residuals_json(const CalibrateOptions& o, const Points& pts, const std::vector<double>& before,
                              const std::vector<double>& after) {
  nlohmann::json out;
  for (const bool held : {false, true}) {
    double sb = 0, sa = 0, ab = 0, aa = 0;
    std::size_t n = 0;
    for (std::size_t i = 0; i < pts.all.size(); ++i) {
      if (held_out(o, pts.all[i]) != held) continue;
      const double eb = relative_error(before[i], pts.all[i]), ea = relative_error(after[i], pts.all[i]);
      sb += eb * eb;
      sa += ea * ea;
      ab += std::fabs(eb);
      aa += std::fabs(ea);
      ++n;
    }
    if (n == 0) continue;
    const double d = static_cast<double>(n);
    out[held ? "held_out" : "fitted"] = {{"points", n},
                                         {"rms_before", std::sqrt(sb / d)},
                                         {"rms_after", std::sqrt(sa / d)},
                                         {"mean_abs_before", ab / d},
                                         {"mean_abs_after", aa / d}};
  }
  return out;
}

// Prediction of points the fit did not see: the held-out ones, or each in
// turn (leave-one-out: a fit of the others each, from the fitted knobs).
nlohmann::json validation_json(const CalibrateOptions& o, Objective& objective, const Outcome& best,
                               const Plan& plan, const Points& pts, const std::vector<double>& after) {
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
  } else if (pts.train.size() > plan.id.kept.size()) {
    out["method"] = "leave-one-out";
    LsqOptions lo;
    lo.max_iterations = o.max_iterations;
    for (std::size_t i = 0; i < pts.train.size(); ++i) {
      std::vector<MeasuredPoint> rest = pts.train;
      rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
      const LsqFit f = least_squares(objective.residuals(rest), objective.params(), {best.fit.x}, lo);
      predicted(pts.train[i], objective.latencies(objective.full(f.x), {pts.train[i]}).front());
    }
  } else {
    out["method"] = "none (as many knobs as points)";
  }
  out["points"] = pred;
  out["mean_abs_error"] = pred.empty() ? 0.0 : abs_sum / static_cast<double>(pred.size());
  return out;
}

nlohmann::json knobs_json(const std::vector<Knob>& knobs, const std::vector<double>& theta0, const Outcome& best,
                          const Plan& plan) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t k = 0; k < knobs.size(); ++k) {
    const LsqParameter& p = knobs[k].param;
    nlohmann::json j = {{"knob", p.name}, {"before", theta0[k]}, {"value", best.theta[k]}, {"stderr", best.stderr_[k]},
                        {"lo", p.lo}, {"hi", p.hi}};
    const bool fitted = std::find(plan.id.kept.begin(), plan.id.kept.end(), k) != plan.id.kept.end();
    j["fitted"] = fitted;
    for (const auto& d : plan.id.dropped)
      if (d.parameter == k) j["not_fitted_because"] = "it " + d.why;
    if (fitted && (best.theta[k] <= p.lo || best.theta[k] >= p.hi))
      j["at_bound"] = best.theta[k] <= p.lo ? "lower" : "upper";
    out.push_back(j);
  }
  return out;
}

// The calibrated platform file: the original, with the knobs set and a note
// of what they were fitted on and how well they predict.
std::string platform_text(const CalibrateOptions& o, const Scenario& s, const Calibration& base,
                          const std::vector<Knob>& knobs, const std::vector<double>& theta,
                          const nlohmann::json& report) {
  const std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  const nlohmann::json& v = report["validation"];
  const nlohmann::json& fitted = report["residuals"]["fitted"];
  std::string knob_list;
  for (std::size_t k = 0; k < knobs.size(); ++k)
    if (report["knobs"][k]["fitted"].get<bool>()) knob_list += format(" %s=%g", knobs[k].param.name.c_str(), theta[k]);
  if (base.message_bytes) knob_list += format(" message_bytes=%llu", static_cast<unsigned long long>(base.message_bytes));
  const std::string fitted_on =
      format("by moesim calibrate on %s: %zu points of %s (scenario %s); fitted points rms error %.2f%% (was "
             "%.2f%%); %s: mean |error| %.2f%% over %zu points",
             when, fitted["points"].get<std::size_t>(), o.measurements.c_str(), o.scenario.c_str(),
             100 * fitted["rms_after"].get<double>(), 100 * fitted["rms_before"].get<double>(),
             v["method"].get<std::string>().c_str(), 100 * v["mean_abs_error"].get<double>(), v["points"].size());
  Calibration c = with(base, knobs, theta);
  c.fitted = fitted_on;
  YAML::Node out = YAML::LoadFile(s.platform_path);
  out["calibration"] = YAML::Load(calibration_yaml(c));
  YAML::Emitter e;
  e << out;
  std::ostringstream file;
  file << "# Calibrated by moesim calibrate on " << when << ": knobs" << knob_list << ",\n# fitted on "
       << o.measurements << " (" << fitted["points"].get<std::size_t>() << " points) from " << s.platform_path
       << "; held-out error (" << v["method"].get<std::string>() << "): "
       << format("%.2f%%", 100 * v["mean_abs_error"].get<double>()) << ".\n"
       << e.c_str() << "\n";
  return file.str();
}

// 0, 1, ..., knobs - 1: every knob free.
std::vector<std::size_t> every_knob(const std::vector<Knob>& knobs) {
  std::vector<std::size_t> all(knobs.size());
  for (std::size_t k = 0; k < all.size(); ++k) all[k] = k;
  return all;
}

// The continuous knobs fitted with the platform's calibration `base`.
struct Trial {
  Calibration base;
  Plan plan;
  Outcome best;
};

Trial fit_with(PointModel& model, const Calibration& base, const std::vector<Knob>& knobs,
               const std::vector<double>& theta0, const Points& pts, const CalibrateOptions& o) {
  Trial t{base, {}, {}};
  Objective all_knobs(model, t.base, knobs, theta0, every_knob(knobs));
  if (!knobs.empty()) t.plan = plan_fit(all_knobs, knobs, theta0, pts);
  if (t.plan.id.kept.empty()) {  // nothing continuous to fit: the cost where it stands
    t.best.theta = theta0;
    t.best.stderr_.assign(theta0.size(), 0.0);
    t.best.fit.cost = t.best.fit.cost_start = sum_of_squares(all_knobs.residuals(pts.train)(theta0));
    t.best.fit.stop = "nothing to fit";
    return t;
  }
  Objective objective(model, t.base, knobs, theta0, t.plan.id.kept);
  t.best = fit_knobs(objective, theta0, pts, t.plan, o);
  return t;
}

// The platform's largest message, searched: no limit, then powers of two
// from 512 B to 1 MiB (message counts are whole numbers: no derivative).
std::vector<std::uint64_t> message_sizes(std::uint64_t own, bool search) {
  std::vector<std::uint64_t> out = {own};
  if (!search) return out;
  for (std::uint64_t b : {std::uint64_t{0}, std::uint64_t{512}})
    if (b != own) out.push_back(b);
  for (std::uint64_t b = 1024; b <= (1u << 20); b *= 2)
    if (b != own) out.push_back(b);
  return out;
}

// Fits the continuous knobs at each message size (one, the platform's own,
// unless `search`) and keeps the best; `searched` gets each size's cost.
Trial best_trial(PointModel& model, const Calibration& own, const std::vector<Knob>& knobs,
                 const std::vector<double>& theta0, const Points& pts, const CalibrateOptions& o, bool search,
                 nlohmann::json& searched) {
  std::vector<Trial> trials;
  for (std::uint64_t bytes : message_sizes(own.message_bytes, search)) {
    Calibration base = own;
    base.message_bytes = bytes;
    trials.push_back(fit_with(model, base, knobs, theta0, pts, o));
    searched.push_back({{"message_bytes", bytes},
                        {"cost", trials.back().best.fit.cost},
                        {"cost_start", trials.back().best.fit.cost_start}});
  }
  // The best size; the platform's own (first) or a smaller count of
  // messages wins a near tie (within 0.1% of the cost).
  std::size_t pick = 0;
  for (std::size_t i = 1; i < trials.size(); ++i)
    if (trials[i].best.fit.cost < trials[pick].best.fit.cost * (1 - 1e-3) - 1e-15) pick = i;
  Trial chosen = trials[pick];
  std::string ties;
  for (std::size_t i = 0; i < trials.size(); ++i)
    if (i != pick && trials[i].base.message_bytes && trials[i].best.fit.cost <= chosen.best.fit.cost * (1 + 1e-3) + 1e-15)
      ties += format("%s%llu", ties.empty() ? "" : ", ", static_cast<unsigned long long>(trials[i].base.message_bytes));
  const bool flat = std::all_of(trials.begin(), trials.end(), [&](const Trial& t) {
    return std::fabs(t.best.fit.cost - trials.front().best.fit.cost) <= 1e-9 * trials.front().best.fit.cost;
  });
  if (search && flat)
    chosen.plan.notes.push_back(format("message_bytes is not fitted (kept at %llu): no size from 512 B to 1 MiB "
                                       "changes the fitted points (is there a per-message cost?)",
                                       static_cast<unsigned long long>(own.message_bytes)));
  else if (search && !ties.empty())
    chosen.plan.notes.push_back(
        "message_bytes " + std::to_string(chosen.base.message_bytes) + " fits as well as " + ties +
        ": where flows are many messages long, only the cost per byte (per_message_us / message_bytes) shows");
  return chosen;
}

}  // namespace

CalibrationResult calibrate(const CalibrateOptions& o) {
  const Scenario s = load_scenario(o.scenario, o.sets);
  if (s.platform.kind == PlatformSpec::Kind::kXml)
    fail(s.platform_path, "", "a SimGrid XML platform has no calibration knobs (use a moesim platform YAML)");
  if (is_platform_string(s.platform_path))
    fail(s.platform_path, "", "a platform string has no file to hold calibration knobs (write the torus as a "
                              "platform YAML: topology: {kind: torus, dims: [...], bandwidth: ..., latency: ...})");
  if (!YAML::LoadFile(s.platform_path)["topology"])
    fail(s.platform_path, "", "not a moesim platform YAML (no topology key) to calibrate");
  const Points pts = read_points(o);
  std::vector<double> theta0;
  bool search = false;
  const std::vector<Knob> knobs = read_knobs(o, s, pts.train, theta0, search);

  PointModel model(o.scenario, o.sets, o.moesim, o.measurements);
  const Calibration& own = s.platform.calibration;
  nlohmann::json searched = nlohmann::json::array();
  Trial chosen = best_trial(model, own, knobs, theta0, pts, o, search, searched);
  const bool sizes_matter = search && std::any_of(searched.begin(), searched.end(), [&](const nlohmann::json& t) {
                              return std::fabs(t["cost"].get<double>() - searched[0]["cost"].get<double>()) >
                                     1e-9 * searched[0]["cost"].get<double>();
                            });
  if (chosen.plan.id.kept.empty() && !sizes_matter)
    fail("--fit", "", "no knob asked for moves the fitted points: " + chosen.plan.notes.front());
  const double cost_start = searched[0]["cost_start"].get<double>();  // the platform as it was
  if (!(chosen.best.fit.cost <= cost_start))
    fail("--fit", "", format("the fit ends worse than the platform as it was (sum of squared relative errors %.4g, "
                             "was %.4g): not written",
                             chosen.best.fit.cost, cost_start));

  Objective before_model(model, own, knobs, theta0, every_knob(knobs)), objective(model, chosen.base, knobs, theta0,
                                                                          chosen.plan.id.kept);
  const std::vector<double> before = before_model.latencies(theta0, pts.all);
  const std::vector<double> after = objective.latencies(chosen.best.theta, pts.all);
  const Outcome& best = chosen.best;
  const Plan& plan = chosen.plan;

  CalibrationResult result;
  nlohmann::json& report = result.report;
  report["knobs"] = knobs_json(knobs, theta0, best, plan);
  if (search)
    report["knobs"].push_back({{"knob", "message_bytes"},
                               {"before", own.message_bytes},
                               {"value", chosen.base.message_bytes},
                               {"stderr", 0.0},
                               {"fitted", sizes_matter},
                               {"searched", searched}});
  report["correlation"] = {{"knobs", nlohmann::json::array()}, {"matrix", best.correlation}};
  for (std::size_t k : best.inside) report["correlation"]["knobs"].push_back(knobs[plan.id.kept[k]].param.name);
  report["condition"] = plan.id.condition;
  report["notes"] = plan.notes;
  report["points"] = points_json(o, pts, before, after);
  report["residuals"] = residuals_json(o, pts, before, after);
  report["validation"] = validation_json(o, objective, best, plan, pts, after);
  report["fit"] = {{"method",
                    "bounded Levenberg-Marquardt on relative error (projected steps, taken only if they lower it), "
                    "finite-difference Jacobian"},
                   {"starts", o.starts + 1},
                   {"best_start", best.fit.start},
                   {"iterations", best.fit.iterations},
                   {"stop", best.fit.stop},
                   {"cost_before", cost_start},
                   {"cost_after", best.fit.cost},
                   {"evaluations", best.fit.evaluations}};
  report["simulations"] = model.simulations();
  report["in_process"] = model.in_process();
  result.platform_yaml = platform_text(o, s, chosen.base, knobs, best.theta, report);
  return result;
}

std::string calibrate_table(const nlohmann::json& r) {
  const int w = point_name_width(r["points"]);
  std::string out = format("%-*s %-9s %12s %12s %8s %12s %8s\n", w, "point", "phase", "measured_us", "before_us",
                           "error", "after_us", "error");
  for (const auto& p : r["points"])
    out += format("%-*s %-9s %12.3f %12.3f %7.2f%% %12.3f %7.2f%%%s\n", w, p["name"].get<std::string>().c_str(),
                  p["phase"].get<std::string>().c_str(), p["measured_us"].get<double>(),
                  p["before_us"].get<double>(), 100 * p["error_before"].get<double>(), p["after_us"].get<double>(),
                  100 * p["error_after"].get<double>(), p["held_out"].get<bool>() ? "  (held out)" : "");
  for (const char* which : {"fitted", "held_out"}) {
    if (!r["residuals"].contains(which)) continue;
    const auto& x = r["residuals"][which];
    out += format("%s points (%zu): rms error %.2f%% -> %.2f%%, mean |error| %.2f%% -> %.2f%%\n",
                  std::string(which) == "fitted" ? "fitted" : "held-out", x["points"].get<std::size_t>(),
                  100 * x["rms_before"].get<double>(), 100 * x["rms_after"].get<double>(),
                  100 * x["mean_abs_before"].get<double>(), 100 * x["mean_abs_after"].get<double>());
  }
  for (const auto& k : r["knobs"]) {
    out += format("knob %s: %.6g (was %.6g)", k["knob"].get<std::string>().c_str(), k["value"].get<double>(),
                  k["before"].get<double>());
    if (!k["fitted"].get<bool>())
      out += ", not fitted";
    else if (k["stderr"].get<double>() > 0)
      out += format(", standard error %.3g", k["stderr"].get<double>());
    if (k.contains("at_bound")) out += format(", at its %s bound", k["at_bound"].get<std::string>().c_str());
    if (k.contains("searched")) out += format(", the best of %zu sizes (0: no limit)", k["searched"].size());
    out += "\n";
  }
  const auto& names = r["correlation"]["knobs"];
  const auto& c = r["correlation"]["matrix"];
  std::string pairs;
  for (std::size_t a = 0; a < c.size(); ++a)
    for (std::size_t b = a + 1; b < c.size(); ++b)
      if (std::fabs(c[a][b].get<double>()) > 0.9)
        pairs += format("%s%s ~ %s %.3f", pairs.empty() ? "" : ", ", names[a].get<std::string>().c_str(),
                        names[b].get<std::string>().c_str(), c[a][b].get<double>());
  if (!pairs.empty()) out += "correlated estimates (the points trade one knob for the other): " + pairs + "\n";
  for (const auto& n : r["notes"]) out += "note: " + n.get<std::string>() + "\n";
  const auto& v = r["validation"];
  out += format("validation (%s): mean |error| %.3f%% over %zu points\n", v["method"].get<std::string>().c_str(),
                100 * v["mean_abs_error"].get<double>(), v["points"].size());
  const auto& f = r["fit"];
  out += format("fit: best of %zu starts (start %zu%s), %zu iterations, %s; condition number %.3g; %zu "
                "simulations (%s)\n",
                f["starts"].get<std::size_t>(), f["best_start"].get<std::size_t>(),
                f["best_start"].get<std::size_t>() == 0 ? ": the platform's values" : "",
                f["iterations"].get<std::size_t>(), f["stop"].get<std::string>().c_str(),
                r["condition"].get<double>(), r["simulations"].get<std::size_t>(),
                r["in_process"].get<bool>() ? "in process" : "a moesim run each");
  return out;
}

}  // namespace moesim
