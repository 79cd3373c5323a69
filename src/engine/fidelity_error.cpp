// The fast fidelity's stated error, which the tests assert: the report's
// sentence and the tests read the same figures, so they cannot drift apart.
#include "engine/fidelity_error.hpp"

#include <cstdio>

namespace moesim {
namespace {

// The tolerance tests/property_test.cpp asserts on every random scenario it
// replays under both fidelities (every platform kind, algorithm, routing
// model and group layout, groups of up to kAssertedChips chips), and
// tests/run_test.cpp on the shipped scenarios; bench/results.md has larger
// cases. Uniform shares load links alike; drawn routing does not, and ptask
// couples the flows of a task. Without a per-message cost only.
constexpr double kUniformError = 0.15;
constexpr double kSkewedError = 0.25;
constexpr std::size_t kAssertedChips = 64;

std::string percent(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100 * x);
  return buf;
}

}  // namespace

FidelityError ptask_error(const std::string& routing, CommAlgorithm algorithm, std::size_t group_chips,
                          bool message_costs) {
  (void)algorithm;  // asserted alike for every algorithm
  FidelityError e;
  if (message_costs) {
    e.note = "ptask with a per-message cost is not held to the flow fidelity (each sender's flows progress "
             "together; the tests saw 33% on a 32-chip fat-tree): compare a layer with --fidelity flow";
    return e;
  }
  e.measured = true;
  const bool uniform = routing == "uniform";
  e.max_error = uniform ? kUniformError : kSkewedError;
  e.min_chips = 2;
  e.max_chips = kAssertedChips;
  e.note = "ptask, within " + percent(e.max_error) + " of the flow fidelity for " +
           (uniform ? "uniform shares" : "drawn routing (" + routing + ")") +
           " on EP groups of up to " + std::to_string(kAssertedChips) +
           " chips (asserted by the tests on random scenarios)";
  if (group_chips > e.max_chips) e.note += "; not asserted at " + std::to_string(group_chips) + " chips";
  return e;
}

}  // namespace moesim
