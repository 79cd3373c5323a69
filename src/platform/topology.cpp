// Torus and tier generators, and the route table.
#include "moesim/topology.hpp"

#include <cassert>
#include <cstdio>
#include <algorithm>
#include <functional>
#include <limits>
#include <set>
#include <stdexcept>

namespace moesim {

bool SendCosts::empty() const {
  if (all_us != 0) return false;
  for (const auto& [cls, us] : class_us)
    if (us != 0) return false;
  return true;
}

std::string SendCosts::describe() const {
  auto us = [](double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g us", v);
    return std::string(buf);
  };
  std::string out = all_us != 0 ? us(all_us) : "";
  for (const auto& [cls, v] : class_us)
    if (v != 0) out += (out.empty() ? "" : ", ") + cls + " " + us(v);
  return out.empty() ? us(0) : out;
}

std::size_t Topology::num_physical_links() const {
  std::size_t n = 0;
  std::set<std::string> duplex;
  for (const auto& l : links) n += l.duplex.empty() ? 1 : duplex.insert(l.duplex).second;
  return n;
}

void Topology::add_route(ChipId src, ChipId dst, const std::vector<LinkId>& route) {
  const std::size_t n = chips.size();
  if (route_offset_.empty()) route_offset_.assign(1, 0);
  // Pairs come in order; the diagonal (src == dst) gets an empty route.
  const std::size_t pair = static_cast<std::size_t>(src) * n + dst;
  assert(pair >= next_pair_);
  while (next_pair_ < pair) {
    route_offset_.push_back(route_links_.size());
    ++next_pair_;
  }
  route_links_.insert(route_links_.end(), route.begin(), route.end());
  route_offset_.push_back(route_links_.size());
  ++next_pair_;
  if (next_pair_ + 1 == n * n) {  // the last pair is the diagonal (n-1, n-1)
    route_offset_.push_back(route_links_.size());
    ++next_pair_;
  }
}

void Topology::set_dimension_routes(std::shared_ptr<const DimensionRoutes> routes) {
  assert(routes && routes->dims.size() < Route::kMaxRuns);
  dimension_routes_ = std::move(routes);
}

void Topology::override_route(ChipId src, ChipId dst, std::vector<LinkId> route) {
  assert(src < chips.size() && dst < chips.size());
  overridden_src_.resize(chips.size(), 0);
  overridden_dst_.resize(chips.size(), 0);
  overridden_src_[src] = overridden_dst_[dst] = 1;
  overrides_[std::uint64_t{src} << 32 | dst] = std::move(route);
}

bool Topology::cut_pair(ChipId src, ChipId dst) const {
  if (src == dst || overrides_.empty()) return false;
  const auto it = overrides_.find(std::uint64_t{src} << 32 | dst);
  return it != overrides_.end() && it->second.empty();
}

std::vector<std::pair<ChipId, ChipId>> Topology::cut_pairs() const {
  std::vector<std::pair<ChipId, ChipId>> out;
  for (const auto& [pair, r] : overrides_)
    if (r.empty()) out.emplace_back(static_cast<ChipId>(pair >> 32), static_cast<ChipId>(pair & 0xffffffffu));
  std::sort(out.begin(), out.end());
  return out;
}

Topology::Route Topology::route(ChipId src, ChipId dst) const {
  if (!overrides_.empty() && overridden_src_[src] && overridden_dst_[dst]) {
    const auto it = overrides_.find(std::uint64_t{src} << 32 | dst);
    if (it != overrides_.end()) return Route{it->second.data(), it->second.data() + it->second.size()};
  }
  if (const DimensionRoutes* t = dimension_routes_.get()) {
    Route r;
    const std::size_t nd = t->dims.size();
    std::size_t cur = src;
    const std::uint32_t* from = &t->coord[src * nd];
    const std::uint32_t* to = &t->coord[dst * nd];
    for (std::size_t d = 0; d < nd; ++d) {
      // The chip reached so far has dst's coordinates below d, src's from d.
      const std::uint64_t a = from[d], b = to[d];
      if (a == b) continue;
      const std::size_t i = (cur * nd + d) * t->kmax + b;
      r.add(t->links.data() + t->begin[i], t->links.data() + t->begin[i + 1]);
      cur = cur - a * t->stride[d] + b * t->stride[d];
    }
    return r;
  }
  const std::size_t pair = static_cast<std::size_t>(src) * chips.size() + dst;
  assert(pair + 1 < route_offset_.size());
  return Route{route_links_.data() + route_offset_[pair], route_links_.data() + route_offset_[pair + 1]};
}

double Topology::route_latency_s(ChipId src, ChipId dst) const {
  double lat = 0;
  for (LinkId l : route(src, dst)) lat += links[l].latency_s;
  return lat;
}

LinkId Topology::add_duplex(const std::string& name, const std::string& from, const std::string& to, double bw,
                            double lat, const std::string& link_class) {
  const LinkId up = static_cast<LinkId>(links.size());
  links.push_back(Link{name + "_UP", bw, lat, Sharing::kShared, name, true, link_class, from, to, false});
  links.push_back(Link{name + "_DOWN", bw, lat, Sharing::kShared, name, false, link_class, to, from, false});
  return up;
}

long Topology::chip_index(const std::string& name) const {
  for (std::size_t i = 0; i < chips.size(); ++i)
    if (chips[i] == name) return static_cast<long>(i);
  return -1;
}

namespace {

std::vector<std::string> chip_names(std::size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back("chip-" + std::to_string(i));
  return out;
}

}  // namespace

std::string torus_routing_name(const TorusSpec& spec) {
  if (spec.twisted)
    return std::string("dimension order (x, y, z) along a shortest displacement (a wraparound of the short "
                       "dimensions moves the long ones by half), ties ") +
           (spec.antipodal == TorusSpec::Antipodal::kSplit ? "spread over destinations" : "the positive way") +
           ", moved to every chip by the torus's translations";
  std::string r = "dimension order (x, y, z), shortest way";
  if (!spec.wraparound) return r + ", no wraparound (mesh)";
  return r + (spec.antipodal == TorusSpec::Antipodal::kSplit ? ", antipodal ties split by coordinate parity"
                                                             : ", antipodal ties the positive way");
}

namespace {

// Where the chips of a torus sit: chip c has coordinate c / stride[d] % dims[d] in dimension d.
struct TorusGrid {
  explicit TorusGrid(const std::vector<std::uint64_t>& dims_) : dims(dims_), stride(dims_.size(), 1) {
    for (auto k : dims) n *= k;
    for (std::size_t d = 1; d < nd(); ++d) stride[d] = stride[d - 1] * dims[d - 1];
    for (auto k : dims) kmax = std::max<std::size_t>(kmax, k);
    coord.resize(n * nd());
    for (std::size_t c = 0; c < n; ++c)
      for (std::size_t d = 0; d < nd(); ++d) coord[c * nd() + d] = c / stride[d] % dims[d];
  }
  std::size_t nd() const { return dims.size(); }

  std::vector<std::uint64_t> dims;
  std::size_t n = 1;  // chips
  std::vector<std::size_t> stride;
  std::size_t kmax = 0;              // the largest dimension
  std::vector<std::uint64_t> coord;  // [c * nd + d]
};

const LinkId kNoLink = ~LinkId{0};

// Adds the links; returns link_of[chip * nd + d]: the UP side of the link
// from chip to its successor in d, kNoLink if it owns none.
std::vector<LinkId> add_torus_links(Topology& t, const TorusSpec& spec, const TorusGrid& grid) {
  static const char* kDimName[] = {"x", "y", "z"};
  auto bw = [&](std::size_t d) {
    return d < spec.dim_bandwidth_Bps.size() ? spec.dim_bandwidth_Bps[d] : spec.bandwidth_Bps;
  };
  auto lat = [&](std::size_t d) { return d < spec.dim_latency_s.size() ? spec.dim_latency_s[d] : spec.latency_s; };
  const std::size_t nd = grid.nd();
  std::vector<LinkId> link_of(grid.n * nd, kNoLink);
  for (std::size_t c = 0; c < grid.n; ++c)
    for (std::size_t d = 0; d < nd; ++d) {
      const std::uint64_t k = spec.dims[d];
      const std::uint64_t coord = c / grid.stride[d] % k;
      // A ring of 2 has one link; a mesh has no link from its last coordinate.
      if (k < 2 || (k == 2 && coord == 1) || (!spec.wraparound && coord == k - 1)) continue;
      const std::size_t next = c - coord * grid.stride[d] + (coord + 1) % k * grid.stride[d];
      link_of[c * nd + d] = t.add_duplex(std::string("ici-") + kDimName[d] + "-" + std::to_string(c), t.chips[c],
                                         t.chips[next], bw(d), lat(d), "ici");
    }
  return link_of;
}

// Whether a route in a ring (or line) of k goes from coordinate a to b the
// positive way: the shorter way round, ties as spec.antipodal says.
bool goes_forward(const TorusSpec& spec, std::uint64_t k, std::uint64_t a, std::uint64_t b) {
  const std::uint64_t fwd = (b + k - a) % k;
  if (!spec.wraparound) return b > a;
  if (k == 2) return a == 0;
  if (fwd * 2 == k) return spec.antipodal == TorusSpec::Antipodal::kPositive || a % 2 == 0;
  return fwd * 2 < k;
}

// The links from chip c along dimension d to coordinate b, for every (c, d,
// b): a route is then one such run per dimension, in order.
std::shared_ptr<const Topology::DimensionRoutes> torus_segments(const TorusSpec& spec, const TorusGrid& grid,
                                                               const std::vector<LinkId>& link_of) {
  const std::size_t nd = grid.nd(), kmax = grid.kmax;
  auto table = std::make_shared<Topology::DimensionRoutes>();
  table->dims = grid.dims;
  table->stride.assign(grid.stride.begin(), grid.stride.end());
  table->coord.assign(grid.coord.begin(), grid.coord.end());
  table->kmax = kmax;
  Topology::DimensionRoutes& seg = *table;
  seg.begin.assign(grid.n * nd * kmax + 1, 0);
  for (std::size_t c = 0; c < grid.n; ++c)
    for (std::size_t d = 0; d < nd; ++d)
      for (std::uint64_t b = 0; b < kmax; ++b) {
        seg.begin[(c * nd + d) * kmax + b] = static_cast<std::uint32_t>(seg.links.size());
        const std::uint64_t k = spec.dims[d], a = grid.coord[c * nd + d];
        if (b >= k || a == b) continue;
        const std::uint64_t fwd = (b + k - a) % k;
        const bool forward = goes_forward(spec, k, a, b);
        const std::uint64_t steps = !spec.wraparound ? (forward ? b - a : a - b) : (forward ? fwd : k - fwd);
        std::size_t cur = c;
        for (std::uint64_t i = 0; i < steps; ++i) {
          const std::uint64_t at = cur / grid.stride[d] % k;
          const std::uint64_t next = forward ? (at + 1) % k : (at + k - 1) % k;
          const std::size_t next_chip = cur - at * grid.stride[d] + next * grid.stride[d];
          if (k == 2 && spec.wraparound) {
            const std::size_t owner = at == 0 ? cur : next_chip;
            seg.links.push_back(link_of[owner * nd + d] + (at == 0 ? 0 : 1));
          } else if (forward) {
            seg.links.push_back(link_of[cur * nd + d]);  // UP: owner -> successor
          } else {
            seg.links.push_back(link_of[next_chip * nd + d] + 1);  // DOWN: successor -> owner
          }
          cur = next_chip;
        }
      }
  if (seg.links.size() > std::numeric_limits<std::uint32_t>::max())
    throw std::length_error("a torus route table of more than 2^32 links");
  seg.begin.back() = static_cast<std::uint32_t>(seg.links.size());
  return table;
}

}  // namespace

Topology make_torus(const std::string& name, const TorusSpec& spec) {
  assert(!spec.dims.empty() && spec.dims.size() <= 3);
  Topology t;
  t.name = name;
  t.routing = torus_routing_name(spec);
  const TorusGrid grid(spec.dims);
  t.chips = chip_names(grid.n);
  const std::vector<LinkId> link_of = add_torus_links(t, spec, grid);
  t.set_dimension_routes(torus_segments(spec, grid, link_of));
  return t;
}

bool leaf_spine(const TierLevel& lv) {
  return lv.fabric == TierLevel::Fabric::kSwitch && lv.switch_ports > 0 && lv.count > lv.switch_ports;
}

namespace {

// Builds a tiers topology: level i joins `count` members, each a group of
// level i - 1 (a chip at level 0); span[i] chips make one group of level i.
class TierBuilder {
 public:
  TierBuilder(Topology& t, const TiersSpec& spec)
      : t_(t), spec_(spec), span_(spec.levels.size()), first_link_(spec.levels.size()) {
    std::size_t n = 1;
    for (std::size_t i = 0; i < span_.size(); ++i) span_[i] = n *= spec.levels[i].count;
  }
  std::size_t chips() const { return span_.back(); }

  // Every group's links, level by level, group by group.
  void add_links() {
    for (std::size_t i = 0; i < span_.size(); ++i)
      for (std::size_t g = 0; g < chips() / span_[i]; ++g) add_group_links(i, g);
  }

  // Up to the lowest level whose group holds both chips, across it, down.
  void route(std::size_t c, std::size_t d, std::vector<LinkId>& out) const {
    if (c == d) return;
    std::size_t i = 0;
    while (c / span_[i] != d / span_[i]) ++i;
    const TierLevel& lv = spec_.levels[i];
    const std::size_t g = c / span_[i], ms = member_span(i);
    const std::uint64_t ma = c / ms % lv.count, mb = d / ms % lv.count;
    const bool via_gateway = i > 0 && lv.uplink == TierLevel::Uplink::kGateway;
    if (via_gateway) route(c, c / ms * ms, out);
    if (lv.fabric == TierLevel::Fabric::kFullMesh) {
      out.push_back(mesh_link(i, g, ma, mb));
    } else if (leaf_spine(lv)) {
      const std::uint64_t half = lv.switch_ports / 2;
      const LinkId first = first_link_[i][g], spines = first + static_cast<LinkId>(2 * lv.count);
      out.push_back(first + static_cast<LinkId>(2 * ma));  // up to its leaf
      if (ma / half != mb / half) {
        const std::uint64_t s = (ma + mb) % half;
        out.push_back(spines + static_cast<LinkId>(2 * (ma / half * half + s)));      // leaf up to the spine
        out.push_back(spines + static_cast<LinkId>(2 * (mb / half * half + s)) + 1);  // spine down to the leaf
      }
      out.push_back(first + static_cast<LinkId>(2 * mb) + 1);  // down from its leaf
    } else {
      out.push_back(first_link_[i][g] + static_cast<LinkId>(2 * ma));      // up to the switch
      out.push_back(first_link_[i][g] + static_cast<LinkId>(2 * mb) + 1);  // down from it
    }
    if (via_gateway) route(d / ms * ms, d, out);
  }

 private:
  std::size_t member_span(std::size_t i) const { return i == 0 ? 1 : span_[i - 1]; }

  // The node a level-i link of member `a` of group g starts at: the chip
  // itself at level 0; above, the member group (direct) or its first chip (gateway).
  std::string member_node(std::size_t i, std::size_t g, std::uint64_t a) const {
    const std::size_t index = g * spec_.levels[i].count + a;
    if (i == 0) return t_.chips[index];
    if (spec_.levels[i].uplink == TierLevel::Uplink::kGateway) return t_.chips[index * member_span(i)];
    return spec_.levels[i - 1].name + "-" + std::to_string(index);
  }

  // first_link_[i][g]: first link id of group g of level i. Full mesh: the
  // pair (a, b), a < b, is UP for a -> b; switch: member a's link, UP toward the switch.
  void add_group_links(std::size_t i, std::size_t g) {
    const TierLevel& lv = spec_.levels[i];
    first_link_[i].push_back(static_cast<LinkId>(t_.links.size()));
    const std::string group = lv.name + "-" + std::to_string(g);
    auto add = [&](const std::string& link, const std::string& from, const std::string& to) {
      t_.add_duplex(link, from, to, lv.bandwidth_Bps, lv.latency_s, lv.link_class);
    };
    if (i > 0 && lv.uplink == TierLevel::Uplink::kDirect && lv.count > 1) {
      for (std::uint64_t a = 0; a < lv.count; ++a) {
        const std::string member = member_node(i, g, a);
        t_.switches.push_back(member);
        for (std::size_t c = 0; c < member_span(i); ++c)
          t_.members.emplace_back(t_.chips[(g * lv.count + a) * member_span(i) + c], member);
      }
    }
    if (lv.fabric == TierLevel::Fabric::kFullMesh) {
      for (std::uint64_t a = 0; a < lv.count; ++a)
        for (std::uint64_t b = a + 1; b < lv.count; ++b)
          add(group + "-" + std::to_string(a) + "-" + std::to_string(b), member_node(i, g, a), member_node(i, g, b));
    } else if (lv.count > 1 && leaf_spine(lv)) {
      const std::uint64_t half = lv.switch_ports / 2, leaves = (lv.count + half - 1) / half;
      for (std::uint64_t l = 0; l < leaves; ++l) t_.switches.push_back(group + "-leaf-" + std::to_string(l));
      for (std::uint64_t s = 0; s < half; ++s) t_.switches.push_back(group + "-spine-" + std::to_string(s));
      for (std::uint64_t a = 0; a < lv.count; ++a)
        add(group + "-" + std::to_string(a) + "-sw", member_node(i, g, a), group + "-leaf-" + std::to_string(a / half));
      for (std::uint64_t l = 0; l < leaves; ++l)
        for (std::uint64_t s = 0; s < half; ++s)
          add(group + "-leaf-" + std::to_string(l) + "-spine-" + std::to_string(s),
              group + "-leaf-" + std::to_string(l), group + "-spine-" + std::to_string(s));
    } else if (lv.count > 1) {
      t_.switches.push_back(group + "-sw");
      for (std::uint64_t a = 0; a < lv.count; ++a)
        add(group + "-" + std::to_string(a) + "-sw", member_node(i, g, a), group + "-sw");
    }
  }

  LinkId mesh_link(std::size_t i, std::size_t g, std::uint64_t a, std::uint64_t b) const {
    const std::uint64_t k = spec_.levels[i].count;
    const std::uint64_t lo = std::min(a, b), hi = std::max(a, b);
    // Index of pair (lo, hi) in the order add_group_links created them.
    const std::uint64_t index = lo * k - lo * (lo + 1) / 2 + (hi - lo - 1);
    return first_link_[i][g] + static_cast<LinkId>(2 * index) + (a < b ? 0 : 1);
  }

  Topology& t_;
  const TiersSpec& spec_;
  std::vector<std::size_t> span_;
  std::vector<std::vector<LinkId>> first_link_;
};

}  // namespace

Topology make_tiers(const std::string& name, const TiersSpec& spec) {
  assert(!spec.levels.empty());
  Topology t;
  t.name = name;
  t.routing = "hierarchical: up to the lowest common tier, across it, down";
  TierBuilder tiers(t, spec);
  t.chips = chip_names(tiers.chips());
  tiers.add_links();
  std::vector<LinkId> route;
  for (std::size_t s = 0; s < tiers.chips(); ++s)
    for (std::size_t d = 0; d < tiers.chips(); ++d) {
      if (s == d) continue;
      route.clear();
      tiers.route(s, d, route);
      t.add_route(static_cast<ChipId>(s), static_cast<ChipId>(d), route);
    }
  return t;
}

Topology make_gpu_cluster(const std::string& name, const GpuClusterSpec& spec) {
  Topology t;
  t.name = name;
  // No NICs (nic_Bps 0) is one node: no rails, every route is NVLink.
  const bool nics = spec.nic_Bps > 0;
  assert(nics || spec.nodes == 1);
  t.routing = nics ? "rail-optimised: NVLink inside a node, the NIC rail between nodes, PXN across rails"
                   : "one node: NVLink up to the NVSwitch, NVLink down";
  const std::size_t n = spec.nodes * spec.gpus;
  t.chips = chip_names(n);
  std::vector<LinkId> nvl(n), nic(n);  // UP sides: chip -> switch
  for (std::size_t node = 0; node < spec.nodes; ++node) t.switches.push_back("nvswitch-" + std::to_string(node));
  if (nics)
    for (std::size_t rail = 0; rail < spec.gpus; ++rail) t.switches.push_back("rail-" + std::to_string(rail));
  for (std::size_t c = 0; c < n; ++c)
    nvl[c] = t.add_duplex("nvlink-" + std::to_string(c), t.chips[c], "nvswitch-" + std::to_string(c / spec.gpus),
                          spec.nvlink_Bps, spec.nvlink_latency_s, "nvlink");
  for (std::size_t c = 0; nics && c < n; ++c)
    nic[c] = t.add_duplex("nic-" + std::to_string(c), t.chips[c], "rail-" + std::to_string(c % spec.gpus),
                          spec.nic_Bps, spec.nic_latency_s, "nic");
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t d = 0; d < n; ++d) {
      if (s == d) continue;
      const std::size_t node_s = s / spec.gpus, node_d = d / spec.gpus, rail_d = d % spec.gpus;
      std::vector<LinkId> r;
      if (node_s == node_d) {
        r = {nvl[s], nvl[d] + 1};
      } else {
        const std::size_t proxy = node_s * spec.gpus + rail_d;  // the source node's chip on the destination's rail
        if (proxy != s) r = {nvl[s], nvl[proxy] + 1};
        r.push_back(nic[proxy]);
        r.push_back(nic[d] + 1);
      }
      t.add_route(static_cast<ChipId>(s), static_cast<ChipId>(d), r);
    }
  return t;
}

}  // namespace moesim
