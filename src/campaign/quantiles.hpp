// Percentiles of a result over many runs (a Monte-Carlo campaign's seeds):
// the value and its distribution-free confidence interval from order
// statistics, and the table `moesim results --quantiles` prints.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace moesim {

struct QuantileCI {
  double value = 0;            // the nearest-rank quantile: the ceil(p n)-th smallest
  double low = 0, high = 0;    // the interval's ends, when the runs are enough for them
  bool has_low = false, has_high = false;
};

// The nearest-rank p-quantile (0 < p <= 1) of `sorted` (ascending, not
// empty): its ceil(p n)-th smallest, at least the first.
double quantile_value(const std::vector<double>& sorted, double p);

// The p-quantile (0 < p < 1) of `sorted` (ascending, not empty) and the
// order statistics x_(l) <= x_(u) that hold it with at least `level`
// confidence whatever the distribution: l the largest rank with
// P(B <= l - 1) <= (1 - level) / 2 and u the smallest with
// P(B <= u - 1) >= (1 + level) / 2, B ~ Binomial(n, p). An end the runs are
// too few for is left out (has_low / has_high false).
QuantileCI quantile_ci(const std::vector<double>& sorted, double p, double level = 0.95);

// A row per value (tuple) of the `by` parameters over the successful runs of
// `runs` (ResultsDb::runs()): how many, the mean, p50, p95 and p99 of
// `column` with their 95% intervals, and the largest. Throws InputError
// naming `--quantiles` or `--by` for a column or parameter the runs lack.
std::string quantile_table(const nlohmann::json& runs, const std::string& column, const std::vector<std::string>& by);

}  // namespace moesim
