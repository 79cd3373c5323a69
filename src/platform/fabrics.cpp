// Twisted tori (and their dimension-order routes), fat-trees and dragonflies as graphs.
#include "moesim/fabrics.hpp"

#include <algorithm>
#include <cassert>
#include <functional>
#include <unordered_map>

namespace moesim {
namespace {

void add_chips(NetGraph& g, std::size_t n) {
  g.chips.reserve(n);
  for (std::size_t i = 0; i < n; ++i) g.chips.push_back("chip-" + std::to_string(i));
}

std::uint64_t power(std::uint64_t base, std::uint64_t exp) {
  std::uint64_t r = 1;
  while (exp--) r *= base;
  return r;
}

}  // namespace

bool twistable(const std::vector<std::uint64_t>& dims) {
  if (dims.size() < 2) return false;
  const std::uint64_t n = *std::min_element(dims.begin(), dims.end());
  bool has_long = false;
  for (auto k : dims) {
    if (k != n && k != 2 * n) return false;
    has_long |= k == 2 * n;
  }
  return has_long;
}

NetGraph torus_graph(const TorusSpec& spec) {
  assert(!spec.dims.empty() && spec.dims.size() <= 3);
  assert(!spec.twisted || twistable(spec.dims));
  NetGraph g;
  const std::size_t nd = spec.dims.size();
  std::size_t n = 1;
  for (auto k : spec.dims) n *= k;
  add_chips(g, n);
  std::vector<std::size_t> stride(nd, 1);
  for (std::size_t d = 1; d < nd; ++d) stride[d] = stride[d - 1] * spec.dims[d - 1];
  const std::uint64_t shortest = *std::min_element(spec.dims.begin(), spec.dims.end());
  static const char* kDimName[] = {"x", "y", "z"};
  for (std::size_t c = 0; c < n; ++c)
    for (std::size_t d = 0; d < nd; ++d) {
      const std::uint64_t k = spec.dims[d];
      const std::uint64_t coord = c / stride[d] % k;
      const bool wraps = coord == k - 1;
      const bool twist = spec.twisted && wraps && k == shortest;
      // A ring of 2 has one link unless its wraparound is twisted elsewhere.
      if (k < 2 || (!spec.wraparound && wraps) || (k == 2 && wraps && !twist)) continue;
      std::size_t next = c - coord * stride[d] + (coord + 1) % k * stride[d];
      if (twist)
        for (std::size_t e = 0; e < nd; ++e) {
          if (spec.dims[e] != 2 * shortest) continue;
          const std::uint64_t ce = next / stride[e] % spec.dims[e];
          next = next - ce * stride[e] + (ce + shortest) % spec.dims[e] * stride[e];
        }
      const double bw = d < spec.dim_bandwidth_Bps.size() ? spec.dim_bandwidth_Bps[d] : spec.bandwidth_Bps;
      const double lat = d < spec.dim_latency_s.size() ? spec.dim_latency_s[d] : spec.latency_s;
      g.add_edge(std::string("ici-") + kDimName[d] + "-" + std::to_string(c), c, next, bw, lat, "ici");
    }
  return g;
}

std::size_t torus_chip_at(const TorusSpec& spec, std::vector<std::int64_t> v) {
  const std::size_t nd = spec.dims.size();
  assert(v.size() == nd);
  const auto shortest = static_cast<std::int64_t>(*std::min_element(spec.dims.begin(), spec.dims.end()));
  // Twisted: going round a short dimension moves every long one by its half.
  if (spec.twisted)
    for (std::size_t d = 0; d < nd; ++d) {
      if (static_cast<std::int64_t>(spec.dims[d]) != shortest) continue;
      const std::int64_t rounds = v[d] >= 0 ? v[d] / shortest : -((-v[d] + shortest - 1) / shortest);
      v[d] -= rounds * shortest;
      for (std::size_t e = 0; e < nd; ++e)
        if (static_cast<std::int64_t>(spec.dims[e]) == 2 * shortest) v[e] += rounds * shortest;
    }
  std::size_t out = 0, stride = 1;
  for (std::size_t d = 0; d < nd; ++d) {
    const auto k = static_cast<std::int64_t>(spec.dims[d]);
    out += static_cast<std::size_t>((v[d] % k + k) % k) * stride;
    stride *= spec.dims[d];
  }
  return out;
}

std::size_t torus_translate(const TorusSpec& spec, std::size_t s, std::size_t c) {
  assert(spec.wraparound);
  std::vector<std::int64_t> v(spec.dims.size());
  std::size_t stride = 1;
  for (std::size_t d = 0; d < v.size(); ++d) {
    v[d] = static_cast<std::int64_t>(s / stride % spec.dims[d] + c / stride % spec.dims[d]);
    stride *= spec.dims[d];
  }
  return torus_chip_at(spec, std::move(v));
}

namespace {

// The shortest displacements from chip 0 to the chip at coordinates c of a
// twisted torus, largest first (x first, positive before negative). A short
// dimension (size n) is crossed without its wraparound (c_d) or with it (c_d -
// n, or +n from 0), each wraparound moving the long dimensions (size 2n) by n;
// a long dimension then goes the shorter way round, both ways at a tie.
std::vector<std::vector<std::int64_t>> shortest_displacements(const TorusSpec& spec,
                                                              const std::vector<std::int64_t>& c) {
  const std::size_t nd = spec.dims.size();
  const auto n = static_cast<std::int64_t>(*std::min_element(spec.dims.begin(), spec.dims.end()));
  // Per dimension, its (value, wraparounds) choices; long dimensions are settled last.
  std::vector<std::vector<std::pair<std::int64_t, int>>> shortv(nd);
  for (std::size_t d = 0; d < nd; ++d) {
    shortv[d] = {{c[d], 0}};
    if (static_cast<std::int64_t>(spec.dims[d]) != n || n < 2) continue;  // a dimension of 1 has no links
    shortv[d].push_back({c[d] - n, 1});
    if (c[d] == 0) shortv[d].push_back({n, 1});
  }
  std::vector<std::vector<std::int64_t>> best;
  std::int64_t best_hops = -1;
  std::vector<std::size_t> pick(nd, 0);
  for (;;) {
    std::vector<std::vector<std::int64_t>> partial(1, std::vector<std::int64_t>(nd, 0));
    int wraps = 0;
    for (std::size_t d = 0; d < nd; ++d)
      if (static_cast<std::int64_t>(spec.dims[d]) == n) wraps += shortv[d][pick[d]].second;
    for (std::size_t d = 0; d < nd; ++d) {
      const auto k = static_cast<std::int64_t>(spec.dims[d]);
      if (k == n) {
        for (auto& v : partial) v[d] = shortv[d][pick[d]].first;
        continue;
      }
      const std::int64_t w = (c[d] + wraps * n) % k;  // a long dimension: 2n
      std::vector<std::int64_t> ways{w * 2 <= k ? w : w - k};
      if (w * 2 == k && w != 0) ways.push_back(-w);
      std::vector<std::vector<std::int64_t>> next;
      for (const auto& v : partial)
        for (std::int64_t x : ways) {
          next.push_back(v);
          next.back()[d] = x;
        }
      partial = std::move(next);
    }
    for (auto& v : partial) {
      std::int64_t hops = 0;
      for (std::int64_t x : v) hops += x < 0 ? -x : x;
      if (best_hops < 0 || hops < best_hops) {
        best_hops = hops;
        best.clear();
      }
      if (hops == best_hops) best.push_back(std::move(v));
    }
    std::size_t d = 0;  // the next combination of short-dimension choices
    while (d < nd && ++pick[d] == shortv[d].size()) pick[d++] = 0;
    if (d == nd) break;
  }
  std::sort(best.begin(), best.end(), std::greater<>());
  best.erase(std::unique(best.begin(), best.end()), best.end());
  return best;
}

}  // namespace

Topology route_twisted_dimension_order(const std::string& name, const TorusSpec& spec) {
  assert(spec.twisted && spec.wraparound);
  const NetGraph g = torus_graph(spec);
  const std::unordered_map<std::uint64_t, LinkId> by_ends = links_by_ends(g);
  const std::size_t nd = spec.dims.size(), n = g.chips.size();
  std::vector<std::vector<LinkId>> base(n);
  std::vector<std::int64_t> c(nd);
  for (std::size_t chip = 1; chip < n; ++chip) {
    std::size_t stride = 1;
    for (std::size_t d = 0; d < nd; ++d) {
      c[d] = static_cast<std::int64_t>(chip / stride % spec.dims[d]);
      stride *= spec.dims[d];
    }
    const auto ties = shortest_displacements(spec, c);
    const auto& v = ties[spec.antipodal == TorusSpec::Antipodal::kSplit ? chip % ties.size() : 0];
    std::vector<std::int64_t> at(nd, 0);
    std::size_t cur = 0;
    for (std::size_t d = 0; d < nd; ++d)
      for (std::int64_t i = 0; i < (v[d] < 0 ? -v[d] : v[d]); ++i) {
        at[d] += v[d] < 0 ? -1 : 1;
        const std::size_t next = torus_chip_at(spec, at);
        base[chip].push_back(by_ends.at(std::uint64_t{cur} << 32 | next));
        cur = next;
      }
    assert(cur == chip);
  }
  return route_translated(name, g, torus_routing_name(spec),
                          [&](std::size_t s, std::size_t x) { return torus_translate(spec, s, x); }, base);
}

NetGraph fat_tree_graph(const FatTreeSpec& spec) {
  assert(spec.k >= 1 && spec.levels >= 1);
  NetGraph g;
  const std::uint64_t k = spec.k, nl = spec.levels;
  const std::uint64_t chips = power(k, nl), per_level = power(k, nl - 1);
  add_chips(g, chips);
  // switch_at[l-1][w]: node of switch w of level l.
  std::vector<std::vector<std::size_t>> switch_at(nl);
  for (std::uint64_t l = 1; l <= nl; ++l)
    for (std::uint64_t w = 0; w < per_level; ++w)
      switch_at[l - 1].push_back(g.add_switch("sw-" + std::to_string(l) + "-" + std::to_string(w)));
  for (std::uint64_t c = 0; c < chips; ++c)
    g.add_edge("down-" + std::to_string(c), c, switch_at[0][c / k], spec.bandwidth_Bps, spec.latency_s, "leaf");
  double bw = spec.bandwidth_Bps;
  for (std::uint64_t l = 1; l < nl; ++l) {
    if (l - 1 < spec.oversubscription.size()) bw /= spec.oversubscription[l - 1];
    const std::uint64_t digit = power(k, l - 1);
    for (std::uint64_t w = 0; w < per_level; ++w) {
      const std::uint64_t own = w / digit % k;
      for (std::uint64_t j = 0; j < k; ++j) {
        const std::uint64_t up = w - own * digit + j * digit;
        g.add_edge("up-" + std::to_string(l) + "-" + std::to_string(w) + "-" + std::to_string(j),
                   switch_at[l - 1][w], switch_at[l][up], bw, spec.latency_s, "level-" + std::to_string(l));
      }
    }
  }
  return g;
}

double fat_tree_bisection_Bps(const FatTreeSpec& spec) {
  double bw = spec.bandwidth_Bps;
  for (std::uint64_t l = 1; l < spec.levels; ++l)
    if (l - 1 < spec.oversubscription.size()) bw /= spec.oversubscription[l - 1];
  return static_cast<double>(power(spec.k, spec.levels)) / 2 * bw;
}

NetGraph dragonfly_graph(const DragonflySpec& spec) {
  assert(spec.groups <= spec.routers * spec.global + 1);
  NetGraph g;
  const std::uint64_t routers = spec.groups * spec.routers;
  add_chips(g, routers * spec.chips);
  std::vector<std::size_t> router(routers);
  for (std::uint64_t r = 0; r < routers; ++r)
    router[r] = g.add_switch("router-" + std::to_string(r / spec.routers) + "-" + std::to_string(r % spec.routers));
  for (std::uint64_t c = 0; c < routers * spec.chips; ++c)
    g.add_edge("terminal-" + std::to_string(c), c, router[c / spec.chips], spec.terminal_Bps,
               spec.terminal_latency_s, "terminal");
  for (std::uint64_t grp = 0; grp < spec.groups; ++grp)
    for (std::uint64_t a = 0; a < spec.routers; ++a)
      for (std::uint64_t b = a + 1; b < spec.routers; ++b)
        g.add_edge("local-" + std::to_string(grp) + "-" + std::to_string(a) + "-" + std::to_string(b),
                   router[grp * spec.routers + a], router[grp * spec.routers + b], spec.local_Bps,
                   spec.local_latency_s, "local");
  auto port_router = [&](std::uint64_t from, std::uint64_t to) {
    const std::uint64_t j = (to + spec.groups - from - 1) % spec.groups;
    return router[from * spec.routers + j / spec.global];
  };
  for (std::uint64_t a = 0; a < spec.groups; ++a)
    for (std::uint64_t b = a + 1; b < spec.groups; ++b)
      g.add_edge("global-" + std::to_string(a) + "-" + std::to_string(b), port_router(a, b), port_router(b, a),
                 spec.global_Bps, spec.global_latency_s, "global");
  return g;
}

}  // namespace moesim
