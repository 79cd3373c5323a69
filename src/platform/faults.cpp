// Routes around dead links: the pairs whose route crosses one, found without
// walking every route where the routing allows (dimension-order tori), given
// a detour (the other way round a torus ring, a neighbour GPU's NIC) or a
// shortest path over the healthy links; and faults drawn from a seed.
#include <algorithm>
#include <cassert>
#include <limits>
#include <optional>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "moesim/error.hpp"
#include "moesim/platform.hpp"
#include "util/format.hpp"
#include "util/rng.hpp"

namespace moesim {
namespace {

using Pair = std::pair<ChipId, ChipId>;

bool crosses_dead(const Topology& t, const Topology::Route& r) {
  for (LinkId l : r)
    if (t.links[l].down) return true;
  return false;
}

// The healthy links as a graph for Dijkstra. Each named node N has two
// vertices: 2N, reached by a link (or the start), and 2N + 1, reached from
// a member (a tier's chip or group reaching its group's ports without a
// link), which leaves only by a link: members of one group never reach one
// another without crossing a link.
class HealthyGraph {
 public:
  explicit HealthyGraph(const Topology& t) {
    for (const std::string& c : t.chips) node(c);
    for (const std::string& s : t.switches) node(s);
    for (LinkId l = 0; l < t.links.size(); ++l) {
      const Link& link = t.links[l];
      if (link.down || link.from.empty() || link.to.empty()) continue;
      const std::size_t a = node(link.from), b = node(link.to);
      edge(2 * a, 2 * b, l, 1.0 + link.latency_s);  // fewest links, then least latency
      edge(2 * a + 1, 2 * b, l, 1.0 + link.latency_s);
    }
    for (const auto& [member, group] : t.members) {
      const std::size_t m = node(member), g = node(group);
      edge(2 * m, 2 * g + 1, kNoLink, 0);
      edge(2 * m + 1, 2 * g + 1, kNoLink, 0);
      edge(2 * g, 2 * m, kNoLink, 0);
    }
  }

  // The shortest route from chip s to each of `dsts` (empty when cut off);
  // equal-cost ties go to the first link found, links in id order.
  std::vector<std::vector<LinkId>> from(ChipId s, const std::vector<ChipId>& dsts) {
    const double inf = std::numeric_limits<double>::infinity();
    dist_.assign(out_.size(), inf);
    prev_.assign(out_.size(), {kNoVertex, kNoLink});
    using Item = std::pair<double, std::size_t>;
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
    dist_[2 * s] = 0;
    queue.emplace(0.0, 2 * s);
    while (!queue.empty()) {
      const auto [d, v] = queue.top();
      queue.pop();
      if (d > dist_[v]) continue;
      for (const Edge& e : out_[v])
        if (d + e.cost < dist_[e.to]) {
          dist_[e.to] = d + e.cost;
          prev_[e.to] = {v, e.link};
          queue.emplace(dist_[e.to], e.to);
        }
    }
    std::vector<std::vector<LinkId>> routes(dsts.size());
    for (std::size_t i = 0; i < dsts.size(); ++i) {
      std::size_t v = 2 * dsts[i];
      if (dist_[v] == inf) continue;
      for (; v != 2 * s; v = prev_[v].first)
        if (prev_[v].second != kNoLink) routes[i].push_back(prev_[v].second);
      std::reverse(routes[i].begin(), routes[i].end());
    }
    return routes;
  }

 private:
  static constexpr LinkId kNoLink = ~LinkId{0};
  static constexpr std::size_t kNoVertex = ~std::size_t{0};
  struct Edge {
    std::size_t to;
    LinkId link;
    double cost;
  };
  std::size_t node(const std::string& name) {
    const auto [it, fresh] = index_.emplace(name, index_.size());
    if (fresh) out_.resize(2 * index_.size());
    return it->second;
  }
  void edge(std::size_t a, std::size_t b, LinkId l, double cost) { out_[a].push_back(Edge{b, l, cost}); }

  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::vector<Edge>> out_;
  std::vector<double> dist_;
  std::vector<std::pair<std::size_t, LinkId>> prev_;
};

// The pairs whose dimension-order route crosses a dead link, from
// coordinates: a route crosses a link of dimension d only in its run along
// d, which starts at the chip x with the destination's coordinates below d
// and the source's from d on. So for every start x on the link's ring and
// every coordinate b whose run from x holds the link, the pairs are the
// sources that agree with x from d on (any coordinates below d) and the
// destinations with x's coordinates below d and b in d (any above d).
std::vector<Pair> torus_pairs_crossing(const Topology& t, const std::vector<LinkId>& dead) {
  const Topology::DimensionRoutes& r = *t.dimension_routes();
  const std::size_t nd = r.dims.size(), n = t.num_chips();
  std::unordered_map<std::string, ChipId> chip_of;
  for (ChipId c = 0; c < n; ++c) chip_of.emplace(t.chips[c], c);
  std::unordered_set<std::uint64_t> seen;
  std::vector<Pair> out;
  for (LinkId l : dead) {
    const ChipId f = chip_of.at(t.links[l].from), g = chip_of.at(t.links[l].to);
    std::size_t d = 0;
    while (d < nd && r.coord[f * nd + d] == r.coord[g * nd + d]) ++d;
    assert(d < nd);
    const std::uint64_t k = r.dims[d], stride = r.stride[d], low = stride, high = n / (stride * k);
    for (std::uint64_t a = 0; a < k; ++a) {
      const std::size_t x = f - r.coord[f * nd + d] * stride + a * stride;
      for (std::uint64_t b = 0; b < k; ++b) {
        const std::size_t i = (x * nd + d) * r.kmax + b;
        if (b == a || std::find(r.links.begin() + r.begin[i], r.links.begin() + r.begin[i + 1], l) ==
                          r.links.begin() + r.begin[i + 1])
          continue;
        for (std::uint64_t sl = 0; sl < low; ++sl)
          for (std::uint64_t th = 0; th < high; ++th) {
            const auto s = static_cast<ChipId>(x / stride * stride + sl);
            const auto dst = static_cast<ChipId>(x % stride + b * stride + th * stride * k);
            if (seen.insert(std::uint64_t{s} << 32 | dst).second) out.emplace_back(s, dst);
          }
      }
    }
  }
  return out;
}

// The pairs whose stored route crosses a dead link: every route read once.
std::vector<Pair> stored_pairs_crossing(const Topology& t) {
  std::vector<Pair> out;
  for (ChipId s = 0; s < t.num_chips(); ++s)
    for (ChipId d = 0; d < t.num_chips(); ++d)
      if (s != d && crosses_dead(t, t.route(s, d))) out.emplace_back(s, d);
  return out;
}

// Dimension order with a detour: a dimension whose run crosses a dead link
// goes the other way round its ring instead; nullopt if that crosses one
// too, or the ring has no other way (a mesh, a ring of 2).
std::optional<std::vector<LinkId>> torus_detour(const Topology& t, const TorusSpec& spec, ChipId s, ChipId dst) {
  const Topology::DimensionRoutes& r = *t.dimension_routes();
  const std::size_t nd = r.dims.size();
  auto run = [&](std::size_t x, std::size_t d, std::uint64_t b) {
    const std::size_t i = (x * nd + d) * r.kmax + b;
    return Topology::Route(r.links.data() + r.begin[i], r.links.data() + r.begin[i + 1]);
  };
  std::vector<LinkId> out;
  std::size_t cur = s;
  for (std::size_t d = 0; d < nd; ++d) {
    const std::uint64_t k = r.dims[d], a = r.coord[cur * nd + d], b = r.coord[dst * nd + d];
    if (a == b) continue;
    const Topology::Route way = run(cur, d, b);
    if (!crosses_dead(t, way)) {
      out.insert(out.end(), way.begin(), way.end());
    } else {
      if (!spec.wraparound || k < 3) return std::nullopt;
      // On a ring of 3 or more the UP side of a link goes forward, and a run
      // of one step is the single link to the neighbour.
      const bool forward = !t.links[way[0]].up;
      std::size_t x = cur;
      for (std::uint64_t step = way.size(); step < k; ++step) {
        const std::uint64_t at = r.coord[x * nd + d], next = forward ? (at + 1) % k : (at + k - 1) % k;
        const LinkId hop = run(x, d, next)[0];
        if (t.links[hop].down) return std::nullopt;
        out.push_back(hop);
        x = x - at * r.stride[d] + next * r.stride[d];
      }
    }
    cur = cur - a * r.stride[d] + b * r.stride[d];
  }
  return out;
}

// A GPU cluster's route between nodes through a neighbour GPU: NVLink to the
// GPU of the next rail after the destination's (then the one after, ...)
// whose NVLinks and NICs at both ends are up, its NIC, that rail, the
// destination node's GPU on it, NVLink to the destination (NCCL's PXN).
std::optional<std::vector<LinkId>> gpu_neighbour_route(const Topology& t, const GpuClusterSpec& spec, ChipId s,
                                                       ChipId dst) {
  const std::size_t g = spec.gpus, n = spec.nodes * g, node_s = s / g, node_d = dst / g;
  if (node_s == node_d || spec.nic_Bps <= 0) return std::nullopt;
  // make_gpu_cluster adds NVLink c as link 2c (UP: to the switch), then NIC c as link 2n + 2c.
  auto nvl = [&](std::size_t c) { return static_cast<LinkId>(2 * c); };
  auto nic = [&](std::size_t c) { return static_cast<LinkId>(2 * n + 2 * c); };
  for (std::size_t i = 1; i < g; ++i) {
    const std::size_t rail = (dst % g + i) % g, out = node_s * g + rail, in = node_d * g + rail;
    std::vector<LinkId> r;
    if (out != s) r = {nvl(s), nvl(out) + 1};
    r.push_back(nic(out));
    r.push_back(nic(in) + 1);
    if (in != dst) r.insert(r.end(), {nvl(in), nvl(dst) + 1});
    if (std::none_of(r.begin(), r.end(), [&](LinkId l) { return t.links[l].down; })) return r;
  }
  return std::nullopt;
}

}  // namespace

std::size_t route_around_faults(Topology& t, const PlatformSpec& spec) {
  std::vector<LinkId> dead;
  for (LinkId l = 0; l < t.links.size(); ++l)
    if (t.links[l].down) dead.push_back(l);
  if (dead.empty()) return 0;
  const bool dimension_order = t.dimension_routes() != nullptr;
  const std::vector<Pair> pairs = dimension_order ? torus_pairs_crossing(t, dead) : stored_pairs_crossing(t);
  // The rule of the platform first; what it cannot serve, by source, to Dijkstra.
  std::vector<std::vector<ChipId>> left(t.num_chips());
  for (const auto& [s, d] : pairs) {
    std::optional<std::vector<LinkId>> r;
    if (dimension_order)
      r = torus_detour(t, spec.torus, s, d);
    else if (spec.kind == PlatformSpec::Kind::kGpuCluster)
      r = gpu_neighbour_route(t, spec.gpu, s, d);
    if (r)
      t.override_route(s, d, std::move(*r));
    else
      left[s].push_back(d);
  }
  std::optional<HealthyGraph> graph;
  for (ChipId s = 0; s < t.num_chips(); ++s) {
    if (left[s].empty()) continue;
    if (!graph) graph.emplace(t);
    std::vector<std::vector<LinkId>> routes = graph->from(s, left[s]);
    for (std::size_t i = 0; i < routes.size(); ++i) t.override_route(s, left[s][i], std::move(routes[i]));
  }
  return pairs.size();
}

std::string fault_cut(const Topology& t, const std::vector<ChipId>& chips, const std::string& what) {
  if (t.num_overridden_routes() == 0) return "";
  std::vector<char> in(t.num_chips(), 0);
  for (ChipId c : chips) in[c] = 1;
  std::vector<std::string> dead;
  for (const Link& l : t.links)
    if (l.down && (dead.empty() || dead.back() != (l.duplex.empty() ? l.name : l.duplex)))
      dead.push_back(l.duplex.empty() ? l.name : l.duplex);
  std::string names;
  for (std::size_t i = 0; i < std::min<std::size_t>(dead.size(), 8); ++i) names += (i ? ", " : "") + dead[i];
  if (dead.size() > 8) names += format(" and %zu more", dead.size() - 8);
  // A dead chip (every link at it down) of the group: the group does not shrink.
  std::unordered_map<std::string, std::pair<std::size_t, std::size_t>> at;  // chip -> (links, dead ones)
  for (ChipId c : chips) at.emplace(t.chips[c], std::pair<std::size_t, std::size_t>{0, 0});
  for (const Link& l : t.links)
    for (const std::string* end : {&l.from, &l.to})
      if (auto it = at.find(*end); it != at.end()) {
        ++it->second.first;
        it->second.second += l.down;
      }
  for (ChipId c : chips)
    if (const auto& [links, down] = at.at(t.chips[c]); links > 0 && down == links)
      return "chip " + t.chips[c] + " of " + what + " is down (dead: " + names +
             "): place the group on live chips (deployment.placement)";
  for (const auto& [s, d] : t.cut_pairs())
    if (in[s] && in[d])
      return "chips " + t.chips[s] + " and " + t.chips[d] + " of " + what + " have no route left (dead: " + names + ")";
  return "";
}

std::vector<LinkFault> drawn_faults(const FaultDraw& draw, const Topology& t) {
  std::vector<std::string> physical;  // in link order, a duplex pair once
  for (const Link& l : t.links)
    if (l.duplex.empty() || l.up) physical.push_back(l.duplex.empty() ? l.name : l.duplex);
  std::vector<std::size_t> picked;
  Rng rng(draw.seed, 0x6661756c74ull);  // a stream of its own ("fault")
  if (draw.by_probability) {
    for (std::size_t i = 0; i < physical.size(); ++i)
      if (rng.uniform() < draw.probability) picked.push_back(i);
  } else {
    if (draw.links > physical.size())
      fail(draw.where, "fault_draw.links",
           format("%llu is more than the %zu links of platform ", static_cast<unsigned long long>(draw.links),
                  physical.size()) +
               t.name);
    std::vector<std::size_t> order(physical.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    for (std::size_t i = 0; i < draw.links; ++i) std::swap(order[i], order[i + rng.below(order.size() - i)]);
    picked.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(draw.links));
    std::sort(picked.begin(), picked.end());
  }
  std::vector<LinkFault> out;
  for (std::size_t i : picked) {
    LinkFault f;
    f.link = physical[i];
    f.down = draw.bandwidth <= 0;
    f.bandwidth = f.down ? 1.0 : draw.bandwidth;
    f.where = draw.where;
    f.key = "fault_draw";
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace moesim
