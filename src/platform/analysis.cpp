// Topology analysis without simulation.
#include "platform/analysis.hpp"

#include <boost/pending/disjoint_sets.hpp>

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "moesim/graph.hpp"

namespace moesim {

double torus_bisection_Bps(const TorusSpec& spec) {
  std::size_t n = 1, widest = 0;
  for (std::size_t d = 0; d < spec.dims.size(); ++d) {
    n *= spec.dims[d];
    if (spec.dims[d] > spec.dims[widest]) widest = d;
  }
  const std::uint64_t k = spec.dims[widest];
  if (k < 2) return 0;
  const double bw = widest < spec.dim_bandwidth_Bps.size() ? spec.dim_bandwidth_Bps[widest] : spec.bandwidth_Bps;
  const double crossings = spec.wraparound && k > 2 ? 2.0 : 1.0;
  return crossings * static_cast<double>(n / k) * bw;
}

std::optional<double> min_cut_of_halves_Bps(const Topology& t, const std::vector<std::vector<int>>& halvings) {
  NetGraph g = graph_of(t);
  if (g.edges.empty()) return std::nullopt;
  // A chip reaches the ports of its group without crossing a link: an edge
  // no cut can go through.
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t v = 0; v < g.num_nodes(); ++v) index.emplace(g.node_name(v), v);
  for (const auto& [member, group] : t.members) {
    auto a = index.find(member), b = index.find(group);
    if (a != index.end() && b != index.end()) g.add_edge("member", a->second, b->second, std::numeric_limits<double>::infinity(), 0, "");
  }
  double best = std::numeric_limits<double>::infinity();
  for (const auto& side : halvings) best = std::min(best, min_cut_Bps(g, side));
  return best;
}

std::vector<int> chip_order_halves(std::size_t n) {
  std::vector<int> side(n);
  for (std::size_t c = 0; c < n; ++c) side[c] = c < n / 2 ? 0 : 1;
  return side;
}

std::vector<std::vector<int>> torus_halvings(const std::vector<std::uint64_t>& dims) {
  std::size_t n = 1;
  for (auto k : dims) n *= k;
  std::vector<std::vector<int>> out;
  std::size_t stride = 1;
  for (auto k : dims) {
    if (k >= 2) {
      std::vector<int> side(n);
      for (std::size_t c = 0; c < n; ++c) side[c] = c / stride % k < k / 2 ? 0 : 1;
      out.push_back(std::move(side));
    }
    stride *= k;
  }
  return out;
}

TopologySummary summarize(const PlatformSpec& spec, const Topology& t) {
  TopologySummary s;
  s.chips = t.num_chips();
  s.links = t.num_physical_links();
  s.directed_links = t.links.size();
  s.routing = t.routing.empty() ? "SimGrid's routes, as the platform file gives them" : t.routing;
  double hops = 0;
  s.min_injection_Bps = std::numeric_limits<double>::infinity();
  std::vector<char> first(t.links.size(), 0);  // links chip a's routes leave by
  std::vector<LinkId> touched;
  double max_latency_s = 0;
  for (ChipId a = 0; a < s.chips; ++a) {
    for (ChipId b = 0; b < s.chips; ++b) {
      if (a == b) continue;
      auto r = t.route(a, b);
      s.diameter_hops = std::max(s.diameter_hops, r.size());
      hops += static_cast<double>(r.size());
      double latency = 0;
      for (LinkId l : r) latency += t.links[l].latency_s;
      max_latency_s = std::max(max_latency_s, latency);
      if (!r.empty() && !first[*r.begin()]) {
        first[*r.begin()] = 1;
        touched.push_back(*r.begin());
      }
    }
    double inj = 0;
    for (LinkId l : touched) {
      inj += t.links[l].bandwidth_Bps;
      first[l] = 0;
    }
    touched.clear();
    s.min_injection_Bps = std::min(s.min_injection_Bps, inj);
    s.max_injection_Bps = std::max(s.max_injection_Bps, inj);
  }
  s.max_route_latency_us = max_latency_s * 1e6;
  if (s.chips < 2) s.min_injection_Bps = 0;
  s.average_hops = s.chips > 1 ? hops / (static_cast<double>(s.chips) * static_cast<double>(s.chips - 1)) : 0;
  if (spec.kind == PlatformSpec::Kind::kTorus && !spec.torus.twisted) {
    s.bisection_Bps = torus_bisection_Bps(spec.torus);
    s.bisection_method = "closed form: the largest dimension halved";
  } else if (spec.kind == PlatformSpec::Kind::kFatTree && spec.fat_tree.k % 2 == 0) {
    s.bisection_Bps = fat_tree_bisection_Bps(spec.fat_tree);
    s.bisection_method = "closed form: half the links into the top level";
  } else if (spec.kind == PlatformSpec::Kind::kTorus) {
    s.bisection_Bps = *min_cut_of_halves_Bps(t, torus_halvings(spec.torus.dims));
    s.bisection_method = "minimum cut halving one dimension, the smallest over dimensions (max flow; an upper bound)";
  } else if (auto cut = min_cut_of_halves_Bps(t, {chip_order_halves(t.num_chips())})) {
    s.bisection_Bps = *cut;
    s.bisection_method = "minimum cut between the chip-order halves (max flow; an upper bound on the bisection)";
  } else {
    s.bisection_method = "no links";
  }
  return s;
}


std::vector<std::vector<std::uint32_t>> independent_groups(const Topology& topology,
                                                           const std::vector<std::vector<ChipId>>& groups) {
  const std::size_t n = groups.size();
  boost::disjoint_sets_with_storage<> sets(n);
  constexpr std::uint32_t kFree = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> owner(topology.links.size(), kFree);  // the first group to load each link
  for (std::uint32_t g = 0; g < n; ++g)
    for (ChipId s : groups[g])
      for (ChipId d : groups[g]) {
        if (s == d) continue;
        for (LinkId l : topology.route(s, d)) {
          if (owner[l] == kFree)
            owner[l] = g;
          else if (owner[l] != g)
            sets.union_set(owner[l], g);
        }
      }
  std::vector<std::vector<std::uint32_t>> out;
  std::unordered_map<std::size_t, std::size_t> index;  // by a set's representative
  for (std::uint32_t g = 0; g < n; ++g) {
    auto [it, fresh] = index.emplace(sets.find_set(g), out.size());
    if (fresh) out.emplace_back();
    out[it->second].push_back(g);
  }
  return out;
}

}  // namespace moesim
