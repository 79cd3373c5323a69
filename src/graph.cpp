// Shortest-path routing and minimum cuts over a network graph, on Boost.Graph.
#include "moesim/graph.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/push_relabel_max_flow.hpp>
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "moesim/error.hpp"

namespace moesim {

const char* const kShortestPathRouting =
    "shortest paths (fewest links, then least latency), equal-cost ties spread by a hash of the pair";

long NetGraph::node_index(const std::string& name) const {
  for (std::size_t v = 0; v < num_nodes(); ++v)
    if (node_name(v) == name) return static_cast<long>(v);
  return -1;
}

std::size_t NetGraph::add_switch(const std::string& name) {
  switches.push_back(name);
  return num_nodes() - 1;
}

void NetGraph::add_edge(const std::string& name, std::size_t a, std::size_t b, double bandwidth_Bps,
                        double latency_s, const std::string& link_class) {
  edges.push_back(NetEdge{name, a, b, bandwidth_Bps, latency_s, link_class});
}

namespace {

using WeightedGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                          boost::property<boost::edge_weight_t, double, boost::property<boost::edge_index_t, std::size_t>>>;

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

Topology route_shortest_paths(const std::string& name, const NetGraph& g, const std::string& routing_name) {
  Topology t;
  t.name = name;
  t.routing = routing_name;
  t.chips = g.chips;
  t.switches = g.switches;
  const std::size_t nv = g.num_nodes(), n = g.chips.size();
  WeightedGraph wg(nv);
  // A hop costs 1 plus its latency in seconds: fewest hops first (latencies
  // of a path sum far below 1 s), then least latency.
  for (std::size_t e = 0; e < g.edges.size(); ++e) {
    const NetEdge& edge = g.edges[e];
    t.add_duplex(edge.name, g.node_name(edge.a), g.node_name(edge.b), edge.bandwidth_Bps, edge.latency_s,
                 edge.link_class);
    boost::add_edge(edge.a, edge.b, {1.0 + edge.latency_s, e}, wg);
  }
  auto weight = boost::get(boost::edge_weight, wg);
  auto index = boost::get(boost::edge_index, wg);

  // One Dijkstra per source; each route is walked back from its destination,
  // choosing among the equal-cost predecessors of every node.
  std::vector<double> dist(nv);
  std::vector<LinkId> route;
  std::vector<std::pair<std::size_t, LinkId>> ties;  // (previous node, link)
  for (std::size_t s = 0; s < n; ++s) {
    boost::dijkstra_shortest_paths(wg, s, boost::distance_map(dist.data()));
    for (std::size_t d = 0; d < n; ++d) {
      if (s == d) continue;
      if (dist[d] == std::numeric_limits<double>::max())
        throw InputError(name + ": chip " + g.chips[s] + " cannot reach chip " + g.chips[d] +
                         " (the graph is not connected)");
      route.clear();
      std::size_t u = d;
      while (u != s) {
        ties.clear();
        for (auto [it, end] = boost::out_edges(u, wg); it != end; ++it) {
          const std::size_t v = boost::target(*it, wg);
          if (std::fabs(dist[v] + weight[*it] - dist[u]) <= 1e-12 * dist[u]) {
            const std::size_t e = index[*it];
            ties.emplace_back(v, static_cast<LinkId>(2 * e + (g.edges[e].a == v ? 0 : 1)));
          }
        }
        const auto& pick = ties[mix(mix(s * n + d) ^ u) % ties.size()];
        route.push_back(pick.second);
        u = pick.first;
      }
      std::reverse(route.begin(), route.end());
      t.add_route(static_cast<ChipId>(s), static_cast<ChipId>(d), route);
    }
  }
  return t;
}

NetGraph graph_of(const Topology& t) {
  NetGraph g;
  g.chips = t.chips;
  g.switches = t.switches;
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t v = 0; v < g.num_nodes(); ++v) index.emplace(g.node_name(v), v);
  auto node = [&](const std::string& name) {
    auto it = index.find(name);
    if (it != index.end()) return it->second;
    const std::size_t v = g.add_switch(name);
    index.emplace(name, v);
    return v;
  };
  for (const Link& l : t.links) {
    if (l.from.empty() || l.to.empty()) return NetGraph{};
    if (!l.duplex.empty() && !l.up) continue;  // one edge per duplex pair
    g.add_edge(l.duplex.empty() ? l.name : l.duplex, node(l.from), node(l.to), l.bandwidth_Bps, l.latency_s,
               l.link_class);
  }
  return g;
}

double min_cut_Bps(const NetGraph& g, const std::vector<int>& side) {
  using Traits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
  using FlowGraph = boost::adjacency_list<
      boost::vecS, boost::vecS, boost::directedS, boost::no_property,
      boost::property<boost::edge_capacity_t, std::int64_t,
                      boost::property<boost::edge_residual_capacity_t, std::int64_t,
                                      boost::property<boost::edge_reverse_t, Traits::edge_descriptor>>>>;
  const std::size_t nv = g.num_nodes();
  const std::size_t source = nv, sink = nv + 1;
  FlowGraph fg(nv + 2);
  auto capacity = boost::get(boost::edge_capacity, fg);
  auto reverse = boost::get(boost::edge_reverse, fg);
  // Whole bytes per second: push-relabel checks its flow exactly, which
  // floating-point capacities do not always pass.
  auto arc = [&](std::size_t a, std::size_t b, std::int64_t cap) {
    auto e = boost::add_edge(a, b, fg).first;
    auto r = boost::add_edge(b, a, fg).first;
    capacity[e] = cap;
    capacity[r] = 0;
    reverse[e] = r;
    reverse[r] = e;
  };
  // An edge of infinite bandwidth (and the arcs from the source and into the
  // sink) gets more than all finite links together: no minimum cut crosses it.
  std::int64_t total = 0;
  for (const NetEdge& e : g.edges)
    if (std::isfinite(e.bandwidth_Bps)) total += std::llround(e.bandwidth_Bps);
  const std::int64_t unbounded = total + 1;
  for (const NetEdge& e : g.edges) {
    const std::int64_t cap = std::isfinite(e.bandwidth_Bps) ? std::llround(e.bandwidth_Bps) : unbounded;
    arc(e.a, e.b, cap);
    arc(e.b, e.a, cap);
  }
  for (std::size_t c = 0; c < g.chips.size() && c < side.size(); ++c) {
    if (side[c] == 0) arc(source, c, unbounded);
    if (side[c] == 1) arc(c, sink, unbounded);
  }
  return static_cast<double>(boost::push_relabel_max_flow(fg, source, sink));
}

}  // namespace moesim
