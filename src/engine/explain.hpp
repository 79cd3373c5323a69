// Why a phase takes the time it takes: the load of every link, the busiest
// links, and the resource that bounds the phase.
#pragma once

#include <string>
#include <vector>

#include "moesim/result.hpp"
#include "moesim/topology.hpp"
#include "moesim/traffic.hpp"

namespace moesim {

// Where a link sits, in words: "dimension y" for a torus link (ici-y-...),
// "injection of chip-3" for a chip's link to a switch, else its class and
// ends ("b2b, board-0 to board-3").
std::string link_where(const Link& link);

// The `top` busiest links of a phase, by busy time at full rate (bytes /
// bandwidth), busiest first (ties by link id): bytes, busy time and
// utilisation (busy time over the phase's latency).
std::vector<LinkUse> busiest_links(const Topology& topology, const std::vector<double>& link_bytes,
                                   double phase_us, std::size_t top);

// The bound's critical link as the phase's bottleneck, against what the
// engine measured: how far above the bound it is, and the slowest flow's path.
Bottleneck attribute(const Topology& topology, const PhaseResult& measured, const PhaseResult& bound);

struct LinkLoad {
  std::string link;
  double bytes = 0;
  double drain_us = 0;  // bytes over the link's bandwidth
};
// The `top` most loaded links of a phase, most loaded first.
std::vector<LinkLoad> top_links(const Topology& topology, const Stage& stage, std::size_t top);

}  // namespace moesim
