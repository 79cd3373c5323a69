#include "engine/fidelity_error.hpp"

#include <cstdio>

namespace moesim {
namespace {

// One comparison of bench/results.md: the largest error over the phases of
// one layer, for the group sizes it was run at.
struct Measured {
  const char* routing;
  CommAlgorithm algorithm;
  std::size_t min_chips, max_chips;
  double max_error;
};

// bench/algorithms-speed.sh (uniform shares and node_dedup, 256 chips),
// the twisted-torus table (128 chips) and bench/skew-error.sh (random and
// zipf, 64 and 128 chips: the 256-chip references did not finish).
constexpr Measured kMeasured[] = {
    {"uniform", CommAlgorithm::kDirect, 128, 256, 0.0021},
    {"uniform", CommAlgorithm::kPerExpert, 256, 256, 0.0},
    {"uniform", CommAlgorithm::kDimensionOrdered, 256, 256, 0.0},
    {"random", CommAlgorithm::kNodeDedup, 256, 256, 0.0096},
    {"random", CommAlgorithm::kDirect, 64, 128, 0.0341},
    {"zipf", CommAlgorithm::kDirect, 64, 128, 0.0002},
};

std::string percent(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * x);
  return buf;
}

}  // namespace

FidelityError ptask_error(const std::string& routing, CommAlgorithm algorithm, std::size_t group_chips) {
  FidelityError e;
  const std::string traffic = routing + " routing, " + comm_algorithm_name(algorithm);
  for (const Measured& m : kMeasured)
    if (routing == m.routing && algorithm == m.algorithm) {
      e.measured = true;
      e.max_error = m.max_error;
      e.min_chips = m.min_chips;
      e.max_chips = m.max_chips;
    }
  if (!e.measured) {
    e.note = "ptask's error against the flow fidelity is not measured for " + traffic +
             ": compare a layer with --fidelity flow";
    return e;
  }
  const std::string sizes = e.min_chips == e.max_chips ? std::to_string(e.max_chips)
                                                       : std::to_string(e.min_chips) + "-" + std::to_string(e.max_chips);
  e.note = "ptask, within " + percent(e.max_error) + " of the flow fidelity for " + traffic + " at " + sizes +
           " chips a group (bench/results.md)";
  if (group_chips > e.max_chips)
    e.note += "; not measured at " + std::to_string(group_chips) + " chips";
  return e;
}

}  // namespace moesim
