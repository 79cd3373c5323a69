#include "engine/explain.hpp"

#include <algorithm>
#include <numeric>

#include "engine/bound.hpp"

namespace moesim {

std::string link_where(const Link& link) {
  // Torus links are named ici-<dimension>-<chip>.
  if (link.name.rfind("ici-", 0) == 0 && link.name.size() > 6 && link.name[5] == '-')
    return "dimension " + std::string(1, link.name[4]);
  const bool from_chip = link.from.rfind("chip", 0) == 0 || link.from.rfind("gpu", 0) == 0;
  const bool to_chip = link.to.rfind("chip", 0) == 0 || link.to.rfind("gpu", 0) == 0;
  std::string cls = link.link_class.empty() ? "link" : link.link_class;
  if (link.from.empty() || link.to.empty()) return cls;
  if (from_chip && !to_chip) return cls + " injection of " + link.from;
  if (!from_chip && to_chip) return cls + " ejection to " + link.to;
  return cls + ", " + link.from + " to " + link.to;
}

std::vector<LinkUse> busiest_links(const Topology& t, const std::vector<double>& bytes, double phase_us,
                                   std::size_t top) {
  // Busiest: the longest time at full rate (a NIC can be busier than an NVLink with more bytes).
  std::vector<double> busy(bytes.size(), 0.0);
  for (std::size_t i = 0; i < bytes.size() && i < t.links.size(); ++i)
    busy[i] = t.links[i].bandwidth_Bps > 0 ? bytes[i] / t.links[i].bandwidth_Bps : bytes[i];
  std::vector<LinkId> order(bytes.size());
  std::iota(order.begin(), order.end(), 0);
  const std::size_t n = std::min(top, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                    [&](LinkId a, LinkId b) { return busy[a] > busy[b] || (busy[a] == busy[b] && a < b); });
  std::vector<LinkUse> out;
  for (std::size_t i = 0; i < n && bytes[order[i]] > 0; ++i) {
    const Link& l = t.links[order[i]];
    LinkUse u;
    u.id = order[i];
    u.name = l.name;
    u.where = link_where(l);
    u.bytes = bytes[order[i]];
    u.busy_us = l.bandwidth_Bps > 0 ? u.bytes / l.bandwidth_Bps * 1e6 : 0;
    u.utilization = phase_us > 0 ? u.busy_us / phase_us : 0;
    out.push_back(u);
  }
  return out;
}

Bottleneck attribute(const Topology& t, const PhaseResult& measured, const PhaseResult& bound) {
  Bottleneck b;
  b.link = bound.critical_link;
  for (const Link& l : t.links)
    if (l.name == b.link) {
      b.where = link_where(l);
      break;
    }
  b.link_bytes = bound.critical_link_bytes;
  b.bound_us = bound.latency_us;
  b.measured_us = measured.latency_us;
  b.above_bound = bound.latency_us > 0 ? measured.latency_us / bound.latency_us : 0;
  if (measured.has_slowest)
    for (LinkId id : t.route(measured.slowest.src, measured.slowest.dst)) b.slowest_path.push_back(t.links[id].name);
  return b;
}

std::vector<LinkLoad> top_links(const Topology& t, const Stage& stage, std::size_t top) {
  const std::vector<double> load = link_loads(t, stage);
  std::vector<LinkLoad> out;
  for (std::size_t l = 0; l < load.size(); ++l)
    if (load[l] > 0) out.push_back(LinkLoad{t.links[l].name, load[l], load[l] / t.links[l].bandwidth_Bps * 1e6});
  std::stable_sort(out.begin(), out.end(), [](const LinkLoad& a, const LinkLoad& b) { return a.drain_us > b.drain_us; });
  if (out.size() > top) out.resize(top);
  return out;
}

}  // namespace moesim
