// Percentiles of a result over many runs, with distribution-free intervals.
#include "campaign/quantiles.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>

#include "campaign/results_db.hpp"
#include "moesim/error.hpp"
#include "util/format.hpp"
#include "util/natural_sort.hpp"

namespace moesim {
namespace {

// P(B <= k) for k = 0 .. n, B ~ Binomial(n, p), 0 < p < 1, each term from logs.
std::vector<double> binomial_cdf(std::size_t n, double p) {
  std::vector<double> cdf(n + 1);
  const double lp = std::log(p), lq = std::log1p(-p), N = static_cast<double>(n), ln = std::lgamma(N + 1);
  double sum = 0;
  for (std::size_t i = 0; i <= n; ++i) {
    const double x = static_cast<double>(i);
    sum += std::exp(ln - std::lgamma(x + 1) - std::lgamma(N - x + 1) + x * lp + (N - x) * lq);
    cdf[i] = std::min(1.0, sum);
  }
  return cdf;
}

}  // namespace

double quantile_value(const std::vector<double>& sorted, double p) {
  const std::size_t n = sorted.size();
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(n)));
  return sorted.at(std::clamp<std::size_t>(rank, 1, std::max<std::size_t>(n, 1)) - 1);
}

QuantileCI quantile_ci(const std::vector<double>& sorted, double p, double level) {
  const std::size_t n = sorted.size();
  QuantileCI q;
  q.value = quantile_value(sorted, p);
  const double tail = (1 - level) / 2;
  const std::vector<double> cdf = binomial_cdf(n, p);
  // l: the largest rank with P(B <= l - 1) <= tail; u: the smallest with P(B <= u - 1) >= 1 - tail.
  for (std::size_t l = n; l >= 1; --l)
    if (cdf[l - 1] <= tail) {
      q.low = sorted[l - 1];
      q.has_low = true;
      break;
    }
  for (std::size_t u = 1; u <= n; ++u)
    if (cdf[u - 1] >= 1 - tail) {
      q.high = sorted[u - 1];
      q.has_high = true;
      break;
    }
  return q;
}

namespace {

std::string ci_text(const QuantileCI& q) {
  return format("%.3f [%s, %s]", q.value, q.has_low ? format("%.3f", q.low).c_str() : "-",
                q.has_high ? format("%.3f", q.high).c_str() : "-");
}

}  // namespace

std::string quantile_table(const nlohmann::json& runs, const std::string& column, const std::vector<std::string>& by) {
  std::map<std::string, std::vector<double>> groups;
  bool seen = false;
  for (const auto& r : runs) {
    if (row_status(r, "--quantiles") != RunStatus::kOk) continue;
    std::string key;
    for (const auto& b : by) {
      if (!r.contains(b)) fail("--by", "", "'" + b + "' is not a parameter of the database");
      key += (key.empty() ? "" : ", ") + value_text(r[b], "-", false, 6);
    }
    if (!r.contains(column)) fail("--quantiles", "", "'" + column + "' is not a column of the runs");
    seen = true;
    if (r[column].is_number()) groups[key].push_back(r[column].get<double>());
  }
  if (!seen) fail("--quantiles", "", "no successful run in the database");
  std::vector<std::string> keys;
  for (const auto& [k, v] : groups) keys.push_back(k);
  std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  std::string head;
  for (const auto& b : by) head += (head.empty() ? "" : ", ") + b;
  std::ostringstream out;
  out << column << " over the runs" << (by.empty() ? "" : " of each " + head)
      << "; p50, p95, p99 with their 95% intervals [low, high] (order statistics; - where the runs are too few)\n";
  out << format("%-24s %6s %10s %30s %30s %30s %10s\n", by.empty() ? "" : head.c_str(), "runs", "mean", "p50",
                "p95", "p99", "max");
  for (const auto& k : keys) {
    std::vector<double> v = groups[k];
    std::sort(v.begin(), v.end());
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    out << format("%-24s %6zu %10.3f %30s %30s %30s %10.3f\n", k.c_str(), v.size(), mean,
                  ci_text(quantile_ci(v, 0.50)).c_str(), ci_text(quantile_ci(v, 0.95)).c_str(),
                  ci_text(quantile_ci(v, 0.99)).c_str(), v.back());
  }
  return out.str();
}

}  // namespace moesim
