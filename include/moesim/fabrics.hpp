// Generators whose routes are shortest paths over their graph: twisted
// tori, fat-trees and dragonflies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "moesim/graph.hpp"
#include "moesim/topology.hpp"

namespace moesim {

// The graph of a torus or mesh, twisted or not (see TorusSpec), with the
// same chip and link names as make_torus.
NetGraph torus_graph(const TorusSpec& spec);
// Chip c moved by chip s's coordinates on a torus (wraparound, twisted or
// not): a translation, which maps the torus's links onto its links.
std::size_t torus_translate(const TorusSpec& spec, std::size_t s, std::size_t c);
// The chip at integer coordinates v (any integers, one per dimension) on a
// torus, twisted or not: v moved by the torus's periods into the grid.
std::size_t torus_chip_at(const TorusSpec& spec, std::vector<std::int64_t> v);
// Whether dims can be twisted: every dimension n or 2n, with both present.
bool twistable(const std::vector<std::uint64_t>& dims);
// Dimension-order routes on a twisted torus, the way TPU ICI routes (see
// docs/design.md): from chip 0 to chip c, the shortest displacement v that
// reaches c (a hop round a dimension of size n also moves every dimension of
// size 2n by n), walked |v_x| hops along x, then y, then z; chip s's routes are
// chip 0's moved by s (translation-invariant). Where several displacements tie,
// kPositive takes the largest (x first, positive before negative: every tie the
// positive way) and kSplit the (c mod ties)-th of them, spreading ties over
// destinations. Same chips and links as torus_graph(spec).
Topology route_twisted_dimension_order(const std::string& name, const TorusSpec& spec);

// A k-ary n-tree (Petrini and Vanneschi): k^n chips under n levels of
// k^(n-1) switches. A switch has k links down and, below the top, k up; chip
// c hangs off leaf c / k, and switch w of level l (1 = leaves) links up to
// the k switches of level l+1 whose index differs from w in base-k digit l-1
// only. oversubscription[l-1] divides the bandwidth of the links from level l
// up (cumulatively), so oversubscription {2} halves leaf uplinks and
// everything above them.
struct FatTreeSpec {
  std::uint64_t k = 4;
  std::uint64_t levels = 2;
  double bandwidth_Bps = 0;
  double latency_s = 0;
  std::vector<double> oversubscription;  // levels - 1 values >= 1 (missing: 1)
};
NetGraph fat_tree_graph(const FatTreeSpec& spec);
// k^n / 2 links of the top level's bandwidth: every link into the top level
// from one half of the tree (halved by the top digit; k even).
double fat_tree_bisection_Bps(const FatTreeSpec& spec);

// A dragonfly (Kim et al.): `groups` groups of `routers` routers, all-to-all
// inside a group (local links); each router has `chips` chips (terminal
// links) and `global` global links; every pair of groups is joined by one
// global link, group G's link to group T on router ((T - G - 1) mod groups)
// / global. Needs groups <= routers * global + 1.
struct DragonflySpec {
  std::uint64_t groups = 2, routers = 2, chips = 1, global = 1;
  double terminal_Bps = 0, terminal_latency_s = 0;
  double local_Bps = 0, local_latency_s = 0;
  double global_Bps = 0, global_latency_s = 0;
};
NetGraph dragonfly_graph(const DragonflySpec& spec);

}  // namespace moesim
