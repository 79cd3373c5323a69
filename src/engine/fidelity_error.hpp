// What is known of the fast fidelity's error: ptask against the flow
// fidelity (the reference), the tolerance the tests assert, by kind of
// traffic (routing model and all-to-all algorithm) and group size.
#pragma once

#include <cstddef>
#include <string>

#include "moesim/comm.hpp"

namespace moesim {

struct FidelityError {
  bool measured = false;      // for this kind of traffic
  double max_error = 0;       // the largest relative difference the tests allow (0.01 = 1%)
  std::size_t min_chips = 0;  // the group sizes they assert it at
  std::size_t max_chips = 0;
  std::string note;           // one line for the report
};

// ptask's asserted error for a run's traffic: routing model name ("uniform",
// "random", ...), algorithm and chips per group; the note says so when
// group_chips is above the groups the tests replay.
// With a per-message cost (message_costs) ptask keys its tasks by each
// sender's busy time, a sender's flows progress together, and the error is
// not bounded: not measured, and the note says to compare with flow.
FidelityError ptask_error(const std::string& routing, CommAlgorithm algorithm, std::size_t group_chips,
                          bool message_costs = false);

}  // namespace moesim
