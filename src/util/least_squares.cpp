#include "util/least_squares.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "util/format.hpp"

namespace moesim {

namespace {

// Solves a x = b for a symmetric positive definite a (Cholesky); false if a
// is not positive definite.
bool cholesky_solve(Matrix a, std::vector<double> b, std::vector<double>& x) {
  const std::size_t n = b.size();
  for (std::size_t j = 0; j < n; ++j) {
    double d = a[j][j];
    for (std::size_t k = 0; k < j; ++k) d -= a[j][k] * a[j][k];
    if (!(d > 1e-12 * std::fabs(a[j][j]))) return false;  // (numerically) singular
    a[j][j] = std::sqrt(d);
    for (std::size_t i = j + 1; i < n; ++i) {
      double s = a[i][j];
      for (std::size_t k = 0; k < j; ++k) s -= a[i][k] * a[j][k];
      a[i][j] = s / a[j][j];
    }
  }
  for (std::size_t i = 0; i < n; ++i) {  // L y = b
    for (std::size_t k = 0; k < i; ++k) b[i] -= a[i][k] * b[k];
    b[i] /= a[i][i];
  }
  for (std::size_t i = n; i-- > 0;) {  // L^T x = y
    for (std::size_t k = i + 1; k < n; ++k) b[i] -= a[k][i] * b[k];
    b[i] /= a[i][i];
  }
  x = b;
  return true;
}

double step_of(const LsqParameter& p, double x) { return 0.01 * std::max(std::fabs(x), p.scale); }

// J^T J and J^T r over the columns `cols`, in scaled parameters (x / scale).
void normal_equations(const Matrix& jac, const std::vector<double>& r, const std::vector<LsqParameter>& params,
                      const std::vector<std::size_t>& cols, Matrix& jtj, std::vector<double>& jtr) {
  const std::size_t p = cols.size();
  jtj.assign(p, std::vector<double>(p, 0.0));
  jtr.assign(p, 0.0);
  for (std::size_t i = 0; i < r.size(); ++i)
    for (std::size_t a = 0; a < p; ++a) {
      const double ja = jac[i][cols[a]] * params[cols[a]].scale;
      jtr[a] += ja * r[i];
      for (std::size_t b = 0; b < p; ++b) jtj[a][b] += ja * jac[i][cols[b]] * params[cols[b]].scale;
    }
}

// One start of projected Levenberg-Marquardt.
struct Run {
  std::vector<double> x, r;
  Matrix jac;
  double cost_start = 0;
  std::size_t iterations = 0;
  std::string stop;
};

class Solver {
 public:
  Solver(const Residuals& f, const std::vector<LsqParameter>& params, const LsqOptions& o)
      : f_(f), params_(params), o_(o) {}

  std::vector<double> evaluate(const std::vector<double>& x) {
    ++evaluations;
    return f_(x);
  }

  Run run(std::vector<double> x) {
    Run s;
    s.x = clamp_to_bounds(std::move(x), params_);
    s.r = evaluate(s.x);
    s.cost_start = sum_of_squares(s.r);
    double cost = s.cost_start, lambda = 1e-3;
    for (s.iterations = 0; s.iterations < o_.max_iterations; ++s.iterations) {
      if (cost == 0) return finish(s, "the residuals are zero");
      s.jac = jacobian(f_, params_, s.x, s.r, evaluations);
      const std::vector<std::size_t> free = free_parameters(s);
      if (free.empty()) return finish(s, "every parameter is held at a bound", false);
      Matrix jtj;
      std::vector<double> jtr;
      normal_equations(s.jac, s.r, params_, free, jtj, jtr);
      double gradient = 0;
      for (double g : jtr) gradient = std::max(gradient, std::fabs(g));
      if (gradient <= 1e-14 * std::max(cost, 1e-300)) return finish(s, "the gradient is zero", false);
      // Damped steps until one lowers the cost.
      bool accepted = false;
      while (!accepted) {
        if (lambda > 1e12) return finish(s, "no step lowers the residuals further", false);
        std::vector<double> trial = s.x;
        if (!damped_step(jtj, jtr, free, lambda, trial)) {
          lambda *= 10;
          continue;
        }
        std::vector<double> r = evaluate(trial);
        const double c = sum_of_squares(r);
        if (std::isfinite(c) && c < cost) {
          const double gain = (cost - c) / cost;
          double moved = 0;
          for (std::size_t k = 0; k < trial.size(); ++k)
            moved = std::max(moved, std::fabs(trial[k] - s.x[k]) / params_[k].scale);
          s.x = trial;
          s.r = std::move(r);
          cost = c;
          lambda = std::max(lambda / 10, 1e-12);
          accepted = true;
          if (gain < o_.tolerance || moved < 1e-10) {
            ++s.iterations;
            return finish(s, "converged (the last step lowered the cost by " + format("%.2g", gain) + ")");
          }
        } else {
          lambda *= 10;
        }
      }
    }
    return finish(s, "the iteration limit (" + std::to_string(o_.max_iterations) + ")");
  }

  std::size_t evaluations = 0;

 private:
  // The parameters a step may move: not at a bound the gradient pushes past.
  std::vector<std::size_t> free_parameters(const Run& s) const {
    std::vector<std::size_t> free;
    for (std::size_t k = 0; k < params_.size(); ++k) {
      double g = 0;  // d(cost)/dx_k, up to a factor 2
      for (std::size_t i = 0; i < s.r.size(); ++i) g += s.jac[i][k] * s.r[i];
      bool column = false;
      for (std::size_t i = 0; i < s.r.size(); ++i) column = column || s.jac[i][k] != 0;
      if (!column) continue;
      if (s.x[k] <= params_[k].lo && g > 0) continue;
      if (s.x[k] >= params_[k].hi && g < 0) continue;
      free.push_back(k);
    }
    return free;
  }

  // x += the Levenberg-Marquardt step over `free` (Marquardt's scaling),
  // projected into the bounds. False if the damped system is singular.
  bool damped_step(const Matrix& jtj, const std::vector<double>& jtr, const std::vector<std::size_t>& free,
                   double lambda, std::vector<double>& x) const {
    Matrix a = jtj;
    double largest = 0;
    for (std::size_t k = 0; k < a.size(); ++k) largest = std::max(largest, a[k][k]);
    for (std::size_t k = 0; k < a.size(); ++k) a[k][k] += lambda * std::max(a[k][k], 1e-9 * largest);
    std::vector<double> minus_g(jtr.size()), d;
    for (std::size_t k = 0; k < jtr.size(); ++k) minus_g[k] = -jtr[k];
    if (!cholesky_solve(a, minus_g, d)) return false;
    for (std::size_t k = 0; k < free.size(); ++k) x[free[k]] += d[k] * params_[free[k]].scale;
    x = clamp_to_bounds(std::move(x), params_);
    return true;
  }

  Run& finish(Run& s, std::string why, bool fresh_jacobian = true) {
    s.stop = std::move(why);
    if (fresh_jacobian || s.jac.empty()) s.jac = jacobian(f_, params_, s.x, s.r, evaluations);
    return s;
  }

  const Residuals& f_;
  const std::vector<LsqParameter>& params_;
  const LsqOptions& o_;
};

}  // namespace

double sum_of_squares(const std::vector<double>& r) {
  double s = 0;
  for (double v : r) s += v * v;
  return s;
}

std::vector<double> clamp_to_bounds(std::vector<double> x, const std::vector<LsqParameter>& params) {
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = std::clamp(x[k], params[k].lo, params[k].hi);
  return x;
}

Matrix jacobian(const Residuals& f, const std::vector<LsqParameter>& params, const std::vector<double>& x,
                const std::vector<double>& r, std::size_t& evaluations) {
  Matrix jac(r.size(), std::vector<double>(params.size(), 0.0));
  for (std::size_t k = 0; k < params.size(); ++k) {
    double h = step_of(params[k], x[k]);
    if (x[k] + h > params[k].hi) h = x[k] - h >= params[k].lo ? -h : params[k].hi - x[k];
    if (h == 0) h = params[k].lo - x[k];  // a box of one point: no derivative
    if (h == 0) continue;
    std::vector<double> t = x;
    t[k] += h;
    const std::vector<double> r2 = f(t);
    ++evaluations;
    for (std::size_t i = 0; i < r.size(); ++i) jac[i][k] = (r2[i] - r[i]) / h;
  }
  return jac;
}

LsqFit least_squares(const Residuals& f, const std::vector<LsqParameter>& params,
                     const std::vector<std::vector<double>>& starts, const LsqOptions& options) {
  if (starts.empty()) throw std::invalid_argument("least_squares: no start");
  for (const auto& s : starts)
    if (s.size() != params.size()) throw std::invalid_argument("least_squares: a start of the wrong size");
  Solver solver(f, params, options);
  LsqFit best;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    Run run = solver.run(starts[i]);
    const double cost = sum_of_squares(run.r);
    if (i == 0) best.cost_start = run.cost_start;
    if (i == 0 || cost < best.cost) {
      best.x = run.x;
      best.residuals = run.r;
      best.cost = cost;
      best.jacobian = run.jac;
      best.start = i;
      best.iterations = run.iterations;
      best.stop = run.stop;
    }
  }
  best.evaluations = solver.evaluations;
  return best;
}

std::vector<double> symmetric_eigenvalues(Matrix a) {
  const std::size_t n = a.size();
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (std::size_t p = 0; p < n; ++p)
      for (std::size_t q = p + 1; q < n; ++q) off += a[p][q] * a[p][q];
    if (off < 1e-30) break;
    for (std::size_t p = 0; p < n; ++p)
      for (std::size_t q = p + 1; q < n; ++q) {
        if (a[p][q] == 0) continue;
        const double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const double t = (theta >= 0 ? 1 : -1) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (std::size_t k = 0; k < n; ++k) {  // columns p, q
          const double akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (std::size_t k = 0; k < n; ++k) {  // rows p, q
          const double apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
  }
  std::vector<double> eig(n);
  for (std::size_t i = 0; i < n; ++i) eig[i] = a[i][i];
  std::sort(eig.begin(), eig.end());
  return eig;
}

Identifiability identifiability(const Matrix& jac, const std::vector<LsqParameter>& params) {
  const std::size_t m = jac.size(), n = params.size();
  // Scaled columns, and the largest norm (what "not zero" is relative to).
  Matrix cols(n, std::vector<double>(m));
  std::vector<double> norm(n, 0.0);
  double largest = 0;
  for (std::size_t k = 0; k < n; ++k) {
    for (std::size_t i = 0; i < m; ++i) cols[k][i] = jac[i][k] * params[k].scale;
    norm[k] = std::sqrt(sum_of_squares(cols[k]));
    largest = std::max(largest, norm[k]);
  }
  Identifiability out;
  Matrix basis;  // orthonormal, spanning the kept columns
  for (std::size_t k = 0; k < n; ++k) {
    if (!(norm[k] > 1e-9 * largest) || norm[k] == 0) {
      out.dropped.push_back({k, "changes no fitted point"});
      continue;
    }
    std::vector<double> u(m);
    for (std::size_t i = 0; i < m; ++i) u[i] = cols[k][i] / norm[k];
    std::vector<double> v = u;
    for (const auto& b : basis) {
      double dot = 0;
      for (std::size_t i = 0; i < m; ++i) dot += b[i] * u[i];
      for (std::size_t i = 0; i < m; ++i) v[i] -= dot * b[i];
    }
    const double left = std::sqrt(sum_of_squares(v));  // sine of the angle to the kept span
    if (left < 0.01) {
      // Name the kept parameters it moves with, the most alike first.
      std::vector<std::pair<double, std::size_t>> alike;
      for (std::size_t j : out.kept) {
        double dot = 0;
        for (std::size_t i = 0; i < m; ++i) dot += cols[j][i] / norm[j] * u[i];
        if (std::fabs(dot) > 0.05) alike.push_back({std::fabs(dot), j});
      }
      std::sort(alike.rbegin(), alike.rend());
      std::string names;
      for (std::size_t a = 0; a < alike.size(); ++a)
        names += (a == 0 ? "" : a + 1 == alike.size() ? " and " : ", ") + params[alike[a].second].name;
      std::string why = out.kept.size() >= m
                            ? format("the %zu fitted points determine at most %zu parameters", m, m)
                            : format("moves the fitted points as %s %s (the part it adds alone is %.2g%%)",
                                     names.c_str(), alike.size() == 1 ? "does" : "do", 100 * left);
      if (alike.size() == 1) why += format("; correlation %.5f", alike[0].first);
      out.dropped.push_back({k, why});
      continue;
    }
    for (auto& x : v) x /= left;
    basis.push_back(v);
    out.kept.push_back(k);
  }
  if (!out.kept.empty()) {
    Matrix gram(out.kept.size(), std::vector<double>(out.kept.size(), 0.0));
    for (std::size_t a = 0; a < out.kept.size(); ++a)
      for (std::size_t b = 0; b < out.kept.size(); ++b)
        for (std::size_t i = 0; i < m; ++i)
          gram[a][b] += cols[out.kept[a]][i] / norm[out.kept[a]] * cols[out.kept[b]][i] / norm[out.kept[b]];
    const auto eig = symmetric_eigenvalues(gram);
    out.condition = std::sqrt(eig.back() / std::max(eig.front(), 1e-300));
  }
  return out;
}

Matrix covariance(const Matrix& jac, const std::vector<std::size_t>& which, double cost) {
  const std::size_t m = jac.size(), p = which.size();
  if (m <= p || p == 0) return {};
  Matrix jtj(p, std::vector<double>(p, 0.0));
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t a = 0; a < p; ++a)
      for (std::size_t b = 0; b < p; ++b) jtj[a][b] += jac[i][which[a]] * jac[i][which[b]];
  Matrix cov(p, std::vector<double>(p, 0.0));
  for (std::size_t j = 0; j < p; ++j) {
    std::vector<double> e(p, 0.0), col;
    e[j] = 1;
    if (!cholesky_solve(jtj, e, col)) return {};
    for (std::size_t i = 0; i < p; ++i) cov[i][j] = col[i] * cost / static_cast<double>(m - p);
  }
  return cov;
}

}  // namespace moesim
