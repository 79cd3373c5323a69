// Topologies as Graphviz DOT and GraphML, read and written with Boost.Graph.
//
// Nodes carry `kind` = chip (the default) or switch; chips are taken in the
// natural order of their names (chip-2 before chip-10), as SimGrid XML hosts. Links are undirected edges (split-duplex links) with
// `bandwidth` (a bandwidth with units, as in platform YAML: "50GBps"),
// `latency` (a time with units, default 0), `name` and `class` (optional).
// In DOT, node names are the node ids; in GraphML, the `name` data key
// (default: the node's position in the file, "node-<i>").
#pragma once

#include <string>

#include "moesim/graph.hpp"
#include "moesim/topology.hpp"

namespace moesim {

// Throw InputError naming the file, the element and the bad value.
NetGraph read_dot(const std::string& path);
NetGraph read_graphml(const std::string& path);

// Every node and link of a topology with its endpoints. Member relations
// (tiers' direct uplinks) are written as edges of kind "member", drawn
// dashed; they carry no bandwidth and are not read back.
std::string write_dot(const Topology& topology);
std::string write_graphml(const Topology& topology);

// DOT for a picture with no positions (Graphviz lays it out): chips as
// boxes, switches as ellipses, links labelled with their bandwidth, member
// edges dashed. platform/picture_dot.hpp adds titles and layouts.
std::string plain_picture_dot(const Topology& topology);

}  // namespace moesim
