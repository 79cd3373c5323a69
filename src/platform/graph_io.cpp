// DOT and GraphML reading and writing through Boost.Graph.
#include "platform/graph_io.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphml.hpp>
#include <boost/graph/graphviz.hpp>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "moesim/enum_table.hpp"
#include "moesim/error.hpp"
#include "util/natural_sort.hpp"
#include "util/units.hpp"

namespace moesim {
namespace {

// A node's `kind` attribute; a node without one is a chip.
enum class NodeKind { kChip, kSwitch };
constexpr EnumTable<NodeKind, 2> kNodeKindNames{{{NodeKind::kChip, "chip"}, {NodeKind::kSwitch, "switch"}}};
// An edge's `kind` attribute; an edge without one is a link. Member edges
// (tiers' direct uplinks) are written for pictures, never read.
enum class EdgeKind { kLink, kMember };
constexpr EnumTable<EdgeKind, 2> kEdgeKindNames{{{EdgeKind::kLink, "link"}, {EdgeKind::kMember, "member"}}};

struct VertexProps {
  std::string name, kind, label, shape, pos;
};
struct EdgeProps {
  std::string name, bandwidth, latency, link_class, kind, label, style;
};
using IoGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, VertexProps, EdgeProps>;

boost::dynamic_properties properties(IoGraph& g, bool ignore_others) {
  boost::dynamic_properties dp = ignore_others ? boost::dynamic_properties(boost::ignore_other_properties)
                                               : boost::dynamic_properties();
  dp.property("kind", boost::get(&VertexProps::kind, g));
  dp.property("name", boost::get(&EdgeProps::name, g));
  dp.property("bandwidth", boost::get(&EdgeProps::bandwidth, g));
  dp.property("latency", boost::get(&EdgeProps::latency, g));
  dp.property("class", boost::get(&EdgeProps::link_class, g));
  dp.property("kind", boost::get(&EdgeProps::kind, g));
  return dp;
}

// The graph Boost read, as chips, switches and links, checked.
NetGraph to_net_graph(const IoGraph& g, const std::string& path) {
  NetGraph out;
  std::vector<std::size_t> node_of(boost::num_vertices(g));
  std::vector<std::size_t> switches;
  std::vector<char> is_chip(boost::num_vertices(g), 0);
  std::map<std::string, std::size_t> seen;
  for (std::size_t v = 0; v < boost::num_vertices(g); ++v) {
    const VertexProps& p = g[v];
    if (!seen.emplace(p.name, v).second) fail(path, "node " + p.name, "appears twice");
    const auto kind = p.kind.empty() ? std::optional<NodeKind>(NodeKind::kChip) : enum_parse(kNodeKindNames, p.kind);
    if (!kind) fail(path, "node " + p.name + ": kind", not_one_of(kNodeKindNames, p.kind, "a node kind"));
    if (*kind == NodeKind::kChip) {
      is_chip[v] = 1;
      node_of[v] = out.chips.size();
      out.chips.push_back(p.name);
    } else {
      switches.push_back(v);
    }
  }
  // Chips in natural order of their names, as SimGrid XML hosts are.
  std::vector<std::size_t> order(out.chips.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return natural_less(out.chips[a], out.chips[b]); });
  std::vector<std::size_t> rank(order.size());
  std::vector<std::string> sorted;
  for (std::size_t i = 0; i < order.size(); ++i) {
    rank[order[i]] = i;
    sorted.push_back(out.chips[order[i]]);
  }
  out.chips = std::move(sorted);
  for (std::size_t v = 0; v < boost::num_vertices(g); ++v)
    if (is_chip[v]) node_of[v] = rank[node_of[v]];
  for (std::size_t v : switches) node_of[v] = out.add_switch(g[v].name);
  if (out.chips.empty()) fail(path, "", "no chips (nodes of kind chip, the default)");
  std::map<std::string, int> names;
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    const EdgeProps& p = g[*it];
    const std::size_t a = boost::source(*it, g), b = boost::target(*it, g);
    const std::string what = "edge " + g[a].name + " -- " + g[b].name;
    const auto kind = enum_parse(kEdgeKindNames, p.kind);
    if (kind == EdgeKind::kMember)
      fail(path, what, "a member edge (tiers' direct uplink) has no link to simulate; moesim reads those from its "
                       "tiers YAML only");
    if (!p.kind.empty())
      fail(path, what + ": kind",
           "'" + p.kind + "' is not an edge kind (allowed: " + enum_name(kEdgeKindNames, EdgeKind::kLink) + ")");
    if (p.bandwidth.empty()) fail(path, what + ": bandwidth", "missing (a bandwidth such as '50GBps')");
    auto bw = parse_bandwidth_Bps(p.bandwidth);
    if (!bw && !unit_hint(p.bandwidth, true).empty())
      fail(path, what + ": bandwidth",
           unit_hint(p.bandwidth, true) + " (in DOT, quote a value with a unit: bandwidth=\"45GBps\"; unquoted, 45GBps "
                                          "reads as 45)");
    if (!bw || !(*bw > 0) || !std::isfinite(*bw))
      fail(path, what + ": bandwidth", "'" + p.bandwidth + "' is not a positive bandwidth (a number with one of " +
                                           kBandwidthUnits + ")");
    auto lat = p.latency.empty() ? std::optional<double>(0) : parse_time_s(p.latency);
    if (!lat && !unit_hint(p.latency, false).empty()) fail(path, what + ": latency", unit_hint(p.latency, false));
    if (!lat || !(*lat >= 0))
      fail(path, what + ": latency", "'" + p.latency + "' is not a time (a number with one of " + kTimeUnits + ")");
    if (*lat >= 1)  // a hop costs 1 + its latency in seconds (graph.cpp)
      fail(path, what + ": latency", "'" + p.latency + "' is a second or more: routes count hops first, then latency, "
                                     "so a link's latency must be under 1s");
    std::string name = p.name.empty() ? "link-" + std::to_string(out.edges.size()) : p.name;
    if (names[name]++) fail(path, what + ": name", "'" + name + "' names two links");
    out.add_edge(name, node_of[a], node_of[b], *bw, *lat, p.link_class);
  }
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, "", "cannot open file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A Topology as Boost's graph with our attributes.
IoGraph io_graph(const Topology& t) {
  IoGraph g;
  std::map<std::string, std::size_t> vertex;
  auto add = [&](const std::string& name, NodeKind kind) {
    const std::size_t v = boost::add_vertex(VertexProps{name, enum_name(kNodeKindNames, kind), "", "", ""}, g);
    vertex.emplace(name, v);
  };
  for (const auto& c : t.chips) add(c, NodeKind::kChip);
  for (const auto& s : t.switches) add(s, NodeKind::kSwitch);
  for (const Link& l : t.links) {
    if (l.from.empty() || l.to.empty()) continue;  // a link no route uses
    if (!l.duplex.empty() && !l.up) continue;
    for (const std::string& end : {l.from, l.to})
      if (!vertex.count(end)) add(end, NodeKind::kSwitch);
    boost::add_edge(vertex.at(l.from), vertex.at(l.to),
                    EdgeProps{l.duplex.empty() ? l.name : l.duplex, format_bandwidth(l.bandwidth_Bps),
                              format_time(l.latency_s), l.link_class, "", "", ""},
                    g);
  }
  for (const auto& [member, group] : t.members)
    boost::add_edge(vertex.at(member), vertex.at(group),
                    EdgeProps{"", "", "", "", enum_name(kEdgeKindNames, EdgeKind::kMember), "", ""}, g);
  return g;
}

}  // namespace

NetGraph read_dot(const std::string& path) {
  const std::string text = read_text(path);
  IoGraph g;
  boost::dynamic_properties dp = properties(g, true);
  dp.property("node_id", boost::get(&VertexProps::name, g));
  try {
    if (!boost::read_graphviz(text, g, dp, "node_id"))
      fail(path, "", "not a DOT graph Boost.Graph can read");
  } catch (const boost::directed_graph_error&) {
    fail(path, "", "a digraph: write an undirected 'graph' with '--' edges (moesim links are split-duplex)");
  } catch (const boost::graph_exception& e) {
    fail(path, "", std::string("not a DOT graph moesim can read: ") + e.what());
  }
  return to_net_graph(g, path);
}

NetGraph read_graphml(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, "", "cannot open file");
  IoGraph g;
  boost::dynamic_properties dp = properties(g, true);
  dp.property("name", boost::get(&VertexProps::name, g));
  try {
    boost::read_graphml(in, g, dp);
  } catch (const boost::directed_graph_error&) {
    fail(path, "", "a directed graph: write edgedefault=\"undirected\" (moesim links are split-duplex)");
  } catch (const boost::bad_any_cast&) {
    fail(path, "", "bandwidth, latency, name, class and kind must be keys of attr.type=\"string\"");
  } catch (const std::exception& e) {
    fail(path, "", std::string("not a GraphML graph moesim can read: ") + e.what());
  }
  for (std::size_t v = 0; v < boost::num_vertices(g); ++v)
    if (g[v].name.empty()) g[v].name = "node-" + std::to_string(v);
  return to_net_graph(g, path);
}

std::string write_dot(const Topology& t) {
  IoGraph g = io_graph(t);
  boost::dynamic_properties dp = properties(g, false);
  dp.property("node_id", boost::get(&VertexProps::name, g));
  std::ostringstream out;
  out << "// " << t.name << ": written by moesim; read back with `moesim topo FILE.dot`\n";
  boost::write_graphviz_dp(out, g, dp, "node_id");
  return out.str();
}

std::string write_graphml(const Topology& t) {
  IoGraph g = io_graph(t);
  boost::dynamic_properties dp = properties(g, false);
  dp.property("name", boost::get(&VertexProps::name, g));
  std::ostringstream out;
  boost::write_graphml(out, g, dp, true);
  return out.str();
}

std::string plain_picture_dot(const Topology& t) {
  IoGraph g = io_graph(t);
  for (auto [it, end] = boost::vertices(g); it != end; ++it) {
    VertexProps& p = g[*it];
    p.shape = p.kind == enum_name(kNodeKindNames, NodeKind::kChip) ? "box" : "ellipse";
    p.label = p.name;
  }
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    EdgeProps& p = g[*it];
    if (p.kind == enum_name(kEdgeKindNames, EdgeKind::kMember)) {
      p.style = "dashed";
    } else {
      auto bw = parse_bandwidth_Bps(p.bandwidth);
      char label[32];
      std::snprintf(label, sizeof label, "%g GB/s", bw ? *bw / 1e9 : 0.0);
      p.label = label;
    }
  }
  boost::dynamic_properties dp;
  dp.property("node_id", boost::get(&VertexProps::name, g));
  dp.property("shape", boost::get(&VertexProps::shape, g));
  dp.property("label", boost::get(&VertexProps::label, g));
  dp.property("label", boost::get(&EdgeProps::label, g));
  dp.property("style", boost::get(&EdgeProps::style, g));
  std::ostringstream out;
  boost::write_graphviz_dp(out, g, dp, "node_id");
  // Graph attributes after the opening brace: small type, no overlaps.
  std::string text = out.str();
  const auto brace = text.find('{');
  text.insert(brace + 1, "\ngraph [overlap=false, splines=true, fontsize=10];\nnode [fontsize=9];\nedge [fontsize=7];");
  return text;
}

}  // namespace moesim
