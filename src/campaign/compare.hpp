// moesim compare: one scenario on several platforms or variants, side by
// side. SimGrid allows one engine per process, so every run is a child
// process of the moesim binary itself (`moesim run ... --json`).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace moesim {

struct CompareOptions {
  std::string scenario;
  std::vector<std::string> platforms;  // a column each
  std::vector<std::string> sets;       // a column each: "k=v" or "k=v,k2=v2"
  std::vector<std::string> common;     // --set applied to every column (from --all)
  std::string engine = "simgrid";      // the main engine; bound and analytic always run too
  std::string binary;                  // this program
};

// Runs every column; throws InputError with the child's message if a run fails.
nlohmann::json compare(const CompareOptions& options);
std::string compare_table(const nlohmann::json& result);

}  // namespace moesim
