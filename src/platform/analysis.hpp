// Questions about a topology answered without simulating: hops, diameter,
// injection and bisection bandwidth.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "moesim/platform.hpp"
#include "moesim/topology.hpp"

namespace moesim {

struct TopologySummary {
  std::size_t chips = 0;
  std::size_t links = 0;           // physical (a split-duplex pair once)
  std::size_t directed_links = 0;
  std::size_t diameter_hops = 0;   // longest route, in links
  double average_hops = 0;         // over ordered pairs of distinct chips
  double max_route_latency_us = 0;
  double min_injection_Bps = 0;    // over chips: bandwidth of the links their routes leave by
  double max_injection_Bps = 0;
  // One direction's bandwidth across a cut into two halves.
  double bisection_Bps = 0;
  std::string bisection_method;    // closed form, minimum cut or route cut
  std::string routing;
};

TopologySummary summarize(const PlatformSpec& spec, const Topology& topology);

// The smallest minimum cut (max flow over the links' graph) among ways to
// halve the chips (side[c] is 0 or 1), or nothing when the links have no
// endpoints (SimGrid XML).
std::optional<double> min_cut_of_halves_Bps(const Topology& topology, const std::vector<std::vector<int>>& halvings);
std::vector<int> chip_order_halves(std::size_t chips);
// Per dimension of size >= 2: the chips with that coordinate below k/2, and the rest.
std::vector<std::vector<int>> torus_halvings(const std::vector<std::uint64_t>& dims);

// Closed form for a torus or mesh, halving its largest dimension: a ring of
// k > 2 is crossed twice, a ring of 2 or a mesh line once.
double torus_bisection_Bps(const TorusSpec& spec);

}  // namespace moesim

namespace moesim {

// The groups (of chips; index: group) whose routes between their own chips
// share no link with another's, as sets of group indices in order of their
// first group: groups in different sets never load a common link, so their
// traffic can be replayed apart. One set of every group when any route of
// one group shares a link with another's.
std::vector<std::vector<std::uint32_t>> independent_groups(const Topology& topology,
                                                           const std::vector<std::vector<ChipId>>& groups);

}  // namespace moesim
