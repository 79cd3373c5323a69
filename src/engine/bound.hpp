// The physical lower bound of a phase. No correct simulation is faster.
//
// A flow pays its route latency, then takes bandwidth; so the phase lasts at
// least, for every link, the smallest route latency of the flows crossing it
// plus the link's bytes over its bandwidth, and, for every flow, its route
// latency plus its bytes over its slowest link. The bound is the largest of
// these. The most loaded link's drain time plus the longest path's latency
// is not a lower bound (flows pay their latencies concurrently; see
// docs/design.md); both of its terms are reported: drain_us and
// max_path_latency_us.
#pragma once

#include "moesim/result.hpp"
#include "moesim/topology.hpp"
#include "moesim/traffic.hpp"

namespace moesim {

// Per-link bytes of a stage (index: LinkId). On a fat-pipe link only the
// largest single flow counts, since flows do not share it.
std::vector<double> link_loads(const Topology& topology, const Stage& stage);

// The bound of one stage of a phase (a phase of one stage: of the phase).
// Also fills the result's link_bytes (link_loads of the stage). busy_s (by
// ChipId, or empty): how long each chip issues its messages before its flows
// start (sender_busy_s); a flow's latency counts from then.
PhaseResult bound_phase(const Topology& topology, const Stage& stage, const std::vector<double>& busy_s = {});

}  // namespace moesim
