// A network as a graph of chips and switches joined by links, and what
// Boost.Graph answers about it: shortest-path routes (handed to SimGrid as
// explicit routes) and the minimum cut between two sets of chips.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "moesim/topology.hpp"

namespace moesim {

struct NetEdge {
  std::string name;  // the split-duplex link's name
  std::size_t a = 0, b = 0;  // node indices; UP goes a -> b
  double bandwidth_Bps = 0;
  double latency_s = 0;
  std::string link_class;
};

struct NetGraph {
  // Chips first, in chip order, then switches.
  std::vector<std::string> chips;
  std::vector<std::string> switches;
  std::vector<NetEdge> edges;

  std::size_t num_nodes() const { return chips.size() + switches.size(); }
  const std::string& node_name(std::size_t v) const {
    return v < chips.size() ? chips[v] : switches[v - chips.size()];
  }
  std::size_t add_switch(const std::string& name);
  void add_edge(const std::string& name, std::size_t a, std::size_t b, double bandwidth_Bps, double latency_s,
                const std::string& link_class);
};

// Routes every ordered chip pair along a shortest path: fewest links first,
// then least latency. Where several paths tie, the i-th choice on the way
// (walked from the destination back) takes option (digit i of the source in
// the base of the options + destination) mod options, as fat-trees' S-mod-k
// routing does: deterministic, and even over parallel paths for all-to-all. Every edge becomes a split-duplex
// link. Throws InputError naming the pair when a chip cannot reach another.
Topology route_shortest_paths(const std::string& name, const NetGraph& graph, const std::string& routing_name);

// The same routes for a graph whose chips are a group that moves it onto
// itself (a torus: translate(s, c) is chip c moved by chip s's coordinates,
// translate(s, 0) == s): the shortest routes from chip 0, and every other
// chip's routes those moved by it. Uniform traffic then loads every link of
// a kind alike, as real torus routing does. Graphs with switches or parallel
// links fall back to route_shortest_paths.
Topology route_translated(const std::string& name, const NetGraph& graph, const std::string& routing_name,
                          const std::function<std::size_t(std::size_t s, std::size_t c)>& translate);
// The same with chip 0's routes given: base[c] is the route from chip 0 to
// chip c as link ids (2e: edge e from a to b, 2e + 1 back). The graph has
// neither switches nor parallel links.
Topology route_translated(const std::string& name, const NetGraph& graph, const std::string& routing_name,
                          const std::function<std::size_t(std::size_t s, std::size_t c)>& translate,
                          const std::vector<std::vector<LinkId>>& base);
// Each link of a graph by its ends, (a << 32 | b) -> the link from a to b
// (2e: edge e from a to b, 2e + 1 back); empty when the graph has switches or
// parallel links.
std::unordered_map<std::uint64_t, LinkId> links_by_ends(const NetGraph& graph);
// How a torus's shortest-path routes are chosen (route_translated).
extern const char* const kTranslatedShortestPathRouting;
extern const char* const kShortestPathRouting;

// Gives a topology read from SimGrid XML (links without endpoints) the
// nodes its routes imply: a route's first link leaves its source chip, each
// link ends where the next begins, the last enters the destination, and the
// two sides of a split-duplex link join the same two nodes. Nodes that are
// not chips are named "node-<k>" and listed as switches. Links no route uses
// keep empty endpoints.
void infer_endpoints(Topology& topology);

// The graph of a topology's links (from its links' endpoints). Topologies
// whose links have no endpoints (SimGrid XML) give an empty graph.
NetGraph graph_of(const Topology& topology);

// Maximum flow, one direction, from the chips of `side` == 0 to those of
// `side` == 1 (chips in neither set: side 2), every duplex link an edge of
// its bandwidth each way (rounded to whole bytes per second; an infinite
// bandwidth is never cut): the smallest total bandwidth of links whose
// removal separates the two sets. Switches go wherever the cut is smallest.
double min_cut_Bps(const NetGraph& graph, const std::vector<int>& side);

}  // namespace moesim
