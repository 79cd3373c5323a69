// Shortest-path routing and minimum cuts over a network graph, on Boost.Graph.
#include "moesim/graph.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/push_relabel_max_flow.hpp>
#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <unordered_map>

#include "moesim/error.hpp"

namespace moesim {

const char* const kShortestPathRouting =
    "shortest paths (fewest links, then least latency), equal-cost ties spread by source digits (S-mod-k)";
const char* const kTranslatedShortestPathRouting =
    "shortest paths (fewest links, then least latency) from chip 0, equal-cost ties spread by destination, moved "
    "to every chip by the torus's translations";

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


}  // namespace

namespace {

// Shortest routes over a graph: its links added to `t` (link 2e is edge e
// from a to b, 2e + 1 back), then routes from one source at a time.
class RouteFinder {
 public:
  RouteFinder(const std::string& name, const NetGraph& g) : name_(name), g_(g), wg_(g.num_nodes()) {
    // A hop costs 1 plus its latency in seconds: fewest hops first (latencies
    // of a path sum far below 1 s), then least latency.
    for (std::size_t e = 0; e < g.edges.size(); ++e)
      boost::add_edge(g.edges[e].a, g.edges[e].b, {1.0 + g.edges[e].latency_s, e}, wg_);
    dist_.resize(g.num_nodes());
  }

  // Every route from chip s, routes[d] (empty for d == s). Each is walked
  // back from its destination, choosing among the equal-cost predecessors of
  // every node by the source's digits (the i-th choice by digit i of s in the
  // base of the choices, as S-mod-k routing in fat-trees), offset by the
  // destination: sources spread evenly over parallel paths, and so do
  // destinations.
  std::vector<std::vector<LinkId>> from(std::size_t s) {
    auto weight = boost::get(boost::edge_weight, wg_);
    auto index = boost::get(boost::edge_index, wg_);
    const std::size_t n = g_.chips.size();
    boost::dijkstra_shortest_paths(wg_, s, boost::distance_map(dist_.data()));
    std::vector<std::vector<LinkId>> routes(n);
    std::vector<std::pair<std::size_t, LinkId>> ties;  // (previous node, link)
    for (std::size_t d = 0; d < n; ++d) {
      if (s == d) continue;
      if (dist_[d] == std::numeric_limits<double>::max())
        throw InputError(name_ + ": chip " + g_.chips[s] + " cannot reach chip " + g_.chips[d] +
                         " (the graph is not connected)");
      std::vector<LinkId>& route = routes[d];
      std::size_t u = d, spread = 1;
      while (u != s) {
        ties.clear();
        for (auto [it, end] = boost::out_edges(u, wg_); it != end; ++it) {
          const std::size_t v = boost::target(*it, wg_);
          // Strictly closer to the source, so that the walk always ends.
          if (dist_[v] < dist_[u] && std::fabs(dist_[v] + weight[*it] - dist_[u]) <= 1e-12 * dist_[u]) {
            const std::size_t e = index[*it];
            ties.emplace_back(v, static_cast<LinkId>(2 * e + (g_.edges[e].a == v ? 0 : 1)));
          }
        }
        if (ties.empty())  // only when latencies are too large for the hop count to show in a sum
          throw InputError(name_ + ": no route from chip " + g_.chips[s] + " to chip " + g_.chips[d] +
                           " can be told shortest: link latencies must be far below 1s");
        const auto& pick = ties[(s / spread + d) % ties.size()];
        if (spread <= n) spread *= ties.size();  // past n, every source's digit is 0
        route.push_back(pick.second);
        u = pick.first;
      }
      std::reverse(route.begin(), route.end());
    }
    return routes;
  }

 private:
  const std::string& name_;
  const NetGraph& g_;
  WeightedGraph wg_;
  std::vector<double> dist_;
};

// A topology of the graph's chips, switches and links (link 2e is edge e
// from a to b, 2e + 1 back), no routes yet.
Topology unrouted(const std::string& name, const NetGraph& g, const std::string& routing_name) {
  Topology t;
  t.name = name;
  t.routing = routing_name;
  t.chips = g.chips;
  t.switches = g.switches;
  for (const NetEdge& e : g.edges)
    t.add_duplex(e.name, g.node_name(e.a), g.node_name(e.b), e.bandwidth_Bps, e.latency_s, e.link_class);
  return t;
}


}  // namespace

std::unordered_map<std::uint64_t, LinkId> links_by_ends(const NetGraph& g) {
  std::unordered_map<std::uint64_t, LinkId> by_ends;
  if (!g.switches.empty()) return by_ends;
  for (std::size_t e = 0; e < g.edges.size(); ++e) {
    const std::uint64_t a = g.edges[e].a, b = g.edges[e].b;
    if (!by_ends.emplace(a << 32 | b, static_cast<LinkId>(2 * e)).second ||
        !by_ends.emplace(b << 32 | a, static_cast<LinkId>(2 * e + 1)).second)
      return {};
  }
  return by_ends;
}

Topology route_shortest_paths(const std::string& name, const NetGraph& g, const std::string& routing_name) {
  Topology t = unrouted(name, g, routing_name);
  RouteFinder finder(name, g);
  for (std::size_t s = 0; s < g.chips.size(); ++s) {
    const auto routes = finder.from(s);
    for (std::size_t d = 0; d < routes.size(); ++d)
      if (d != s) t.add_route(static_cast<ChipId>(s), static_cast<ChipId>(d), routes[d]);
  }
  return t;
}

Topology route_translated(const std::string& name, const NetGraph& g, const std::string& routing_name,
                          const std::function<std::size_t(std::size_t, std::size_t)>& translate) {
  if (links_by_ends(g).empty()) return route_shortest_paths(name, g, routing_name);
  return route_translated(name, g, routing_name, translate, RouteFinder(name, g).from(0));
}

Topology route_translated(const std::string& name, const NetGraph& g, const std::string& routing_name,
                          const std::function<std::size_t(std::size_t, std::size_t)>& translate,
                          const std::vector<std::vector<LinkId>>& base) {
  const std::size_t n = g.chips.size();
  const std::unordered_map<std::uint64_t, LinkId> by_ends = links_by_ends(g);
  assert(!by_ends.empty() && base.size() == n);
  Topology t = unrouted(name, g, routing_name);
  std::vector<std::vector<LinkId>> routes(n);
  std::vector<std::size_t> image(n);
  for (std::size_t s = 0; s < n; ++s) {
    for (std::size_t c = 0; c < n; ++c) image[c] = translate(s, c);
    // route(s, s + c) is route(0, c) moved by s.
    for (std::size_t c = 1; c < n; ++c) {
      std::vector<LinkId>& r = routes[image[c]];
      r.clear();
      for (LinkId l : base[c]) {
        const NetEdge& e = g.edges[l / 2];
        const std::uint64_t from = image[l % 2 ? e.b : e.a], to = image[l % 2 ? e.a : e.b];
        r.push_back(by_ends.at(from << 32 | to));
      }
    }
    for (std::size_t d = 0; d < n; ++d)
      if (d != s) t.add_route(static_cast<ChipId>(s), static_cast<ChipId>(d), routes[d]);
  }
  return t;
}

void infer_endpoints(Topology& t) {
  const std::size_t nl = t.links.size(), n = t.num_chips();
  // Slots: 2l is link l's start, 2l + 1 its end.
  std::vector<std::size_t> parent(2 * nl);
  for (std::size_t i = 0; i < parent.size(); ++i) parent[i] = i;
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  auto unite = [&](std::size_t a, std::size_t b) { parent[find(a)] = find(b); };
  std::unordered_map<std::string, std::pair<long, long>> sides;  // duplex -> (UP, DOWN)
  for (std::size_t l = 0; l < nl; ++l) {
    if (t.links[l].duplex.empty()) continue;
    auto& p = sides.try_emplace(t.links[l].duplex, -1, -1).first->second;
    (t.links[l].up ? p.first : p.second) = static_cast<long>(l);
  }
  for (const auto& [name, p] : sides)
    if (p.first >= 0 && p.second >= 0) {
      unite(2 * static_cast<std::size_t>(p.first), 2 * static_cast<std::size_t>(p.second) + 1);
      unite(2 * static_cast<std::size_t>(p.first) + 1, 2 * static_cast<std::size_t>(p.second));
    }
  std::vector<std::pair<std::size_t, ChipId>> at_chip;  // (slot, chip) a route starts or ends at
  for (ChipId s = 0; s < n; ++s)
    for (ChipId d = 0; d < n; ++d) {
      auto r = t.route(s, d);
      if (r.empty()) continue;
      at_chip.emplace_back(2 * *r.begin(), s);
      LinkId last = *r.begin();
      for (auto it = std::next(r.begin()); it != r.end(); ++it) {
        unite(2 * std::size_t{last} + 1, 2 * std::size_t{*it});
        last = *it;
      }
      at_chip.emplace_back(2 * std::size_t{last} + 1, d);
    }
  // A node where routes of one chip start or end is that chip; of several
  // chips, ports those chips share (tiers' direct uplinks): a node of its
  // own with the chips as members; of none, a switch.
  std::unordered_map<std::size_t, std::vector<ChipId>> chips_at;
  for (const auto& [slot, chip] : at_chip) {
    auto& v = chips_at[find(slot)];
    if (std::find(v.begin(), v.end(), chip) == v.end()) v.push_back(chip);
  }
  std::vector<char> used(2 * nl, 0);
  for (std::size_t x = 0; x < 2 * nl; ++x) used[find(x)] = 1;  // every set has a root
  std::unordered_map<std::size_t, std::string> name_of;
  std::map<std::vector<ChipId>, std::string> ports_of;  // one node per set of sharing chips
  t.switches.clear();
  t.members.clear();
  auto node = [&](std::size_t slot) -> const std::string& {
    auto [it, fresh] = name_of.try_emplace(find(slot));
    if (!fresh) return it->second;
    auto c = chips_at.find(find(slot));
    if (c != chips_at.end() && c->second.size() == 1) {
      it->second = t.chips[c->second.front()];
      return it->second;
    }
    std::vector<ChipId> sharing;
    if (c != chips_at.end()) {
      sharing = c->second;
      std::sort(sharing.begin(), sharing.end());
      auto known = ports_of.find(sharing);
      if (known != ports_of.end()) return it->second = known->second;
    }
    it->second = "node-" + std::to_string(t.switches.size());
    t.switches.push_back(it->second);
    if (!sharing.empty()) {
      ports_of.emplace(sharing, it->second);
      for (ChipId chip : sharing) t.members.emplace_back(t.chips[chip], it->second);
    }
    return it->second;
  };
  for (std::size_t l = 0; l < nl; ++l) {
    t.links[l].from = node(2 * l);
    t.links[l].to = node(2 * l + 1);
  }
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
    if (l.from.empty() || l.to.empty()) continue;  // a link no route uses
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
