// Bounded nonlinear least squares for calibration: minimise the sum of
// squared residuals r(x) over a box lo <= x <= hi by a projected
// Levenberg-Marquardt method with finite-difference Jacobians, from several
// starts; and what the Jacobian says about which parameters the residuals
// can tell apart.
//
//   LsqFit f = least_squares(residuals, params, {x0, other_start}, {});
//   // f.cost <= cost at x0, always; f.x inside the bounds, always.
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace moesim {

struct LsqParameter {
  std::string name;
  double lo = 0;
  double hi = std::numeric_limits<double>::infinity();
  // A typical magnitude: parameters are compared in units of it, and its 1%
  // (or 1% of |x|, the larger) is the finite-difference step.
  double scale = 1;
};

using Matrix = std::vector<std::vector<double>>;  // row-major: m[row][column]
using Residuals = std::function<std::vector<double>(const std::vector<double>& x)>;

struct LsqOptions {
  std::size_t max_iterations = 40;  // per start
  // A start ends when an accepted step lowers the cost by less than this
  // fraction of it.
  double tolerance = 1e-9;
};

struct LsqFit {
  std::vector<double> x;          // the best point found (inside the bounds)
  std::vector<double> residuals;  // at x
  double cost_start = 0;          // sum of squared residuals at the first start
  double cost = 0;                // at x; never above cost_start
  Matrix jacobian;                // at x, by finite differences
  std::size_t start = 0;          // which start x came from
  std::size_t iterations = 0;     // of that start
  std::size_t evaluations = 0;    // of the residuals, over every start
  std::string stop;               // why that start ended
};

double sum_of_squares(const std::vector<double>& r);

// Projects x into the parameters' bounds.
std::vector<double> clamp_to_bounds(std::vector<double> x, const std::vector<LsqParameter>& params);

// The Jacobian of f at x (r = f(x)) by forward differences, stepping inward
// where x sits at a bound. Counts its evaluations.
Matrix jacobian(const Residuals& f, const std::vector<LsqParameter>& params, const std::vector<double>& x,
                const std::vector<double>& r, std::size_t& evaluations);

// Minimises sum_i r_i(x)^2 with lo <= x <= hi from each start (clamped into
// the bounds) and keeps the best. A step is taken only if it lowers the
// cost; parameters at a bound that the gradient pushes outward stay there;
// the step is projected into the box before it is evaluated. Throws
// std::invalid_argument for no start or a start of the wrong size.
LsqFit least_squares(const Residuals& f, const std::vector<LsqParameter>& params,
                     const std::vector<std::vector<double>>& starts, const LsqOptions& options);

// Which parameters a Jacobian can tell apart, taken in order: a parameter is
// kept if its column (scaled by its scale) is not zero and not (nearly) a
// combination of the columns kept before it.
struct Identifiability {
  struct Dropped {
    std::size_t parameter;
    std::string why;  // "changes no fitted point", "moves the fitted points as a and b do (...)"
  };
  std::vector<std::size_t> kept;
  std::vector<Dropped> dropped;
  // Of the kept columns, each scaled to unit length: the ratio of the
  // largest to the smallest singular value (1: orthogonal; large: nearly
  // dependent). 0 if none is kept.
  double condition = 0;
};
Identifiability identifiability(const Matrix& jacobian, const std::vector<LsqParameter>& params);

// The covariance of the estimates of the columns `which` at a fit with
// `cost` over m residuals: (J^T J)^-1 cost / (m - p); empty if m <= p or
// J^T J is singular.
Matrix covariance(const Matrix& jacobian, const std::vector<std::size_t>& which, double cost);

// The eigenvalues of a symmetric matrix (Jacobi rotations), ascending.
std::vector<double> symmetric_eigenvalues(Matrix a);

}  // namespace moesim
