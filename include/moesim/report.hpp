// A run's results as a table (stdout), JSON and CSV.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "moesim/result.hpp"

namespace moesim {

struct Stats {
  double sum = 0, mean = 0, p50 = 0, p99 = 0, max = 0;
};
// Percentiles by the nearest-rank method. Empty input gives zeros.
Stats stats(std::vector<double> values);

nlohmann::json bytes_json(const LayerBytes& b);
nlohmann::json to_json(const RunReport& r);
std::string to_table(const RunReport& r);
std::string to_csv(const RunReport& r);

}  // namespace moesim
