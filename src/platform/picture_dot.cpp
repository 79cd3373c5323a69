// DOT for pictures of a platform: fixed positions for every node, tori on
// their grid, the rest by level.
#include "platform/picture_dot.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <queue>
#include <set>
#include <sstream>
#include <vector>

#include "platform/graph_io.hpp"

namespace moesim {
namespace {

// Colours told apart by colour-blind readers (Paul Tol's bright scheme), with
// the names the legend uses.
constexpr const char* kColour[] = {"#4477aa", "#228833", "#aa3377", "#ee6677", "#ccbb44", "#66ccee"};
constexpr const char* kColourName[] = {"blue", "green", "purple", "red", "yellow", "cyan"};
constexpr std::size_t kColours = 6;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}
std::string gbps(double bandwidth_Bps) { return num(bandwidth_Bps / 1e9) + " GB/s"; }

// A DOT double-quoted string; '\n' breaks the line.
std::string q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Text inside a Graphviz HTML-like label.
std::string html(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

// The graph label: the platform's name, what it is, then the legend, one
// left-aligned line per entry.
std::string title_attrs(const std::string& name, const std::string& what, const std::vector<std::string>& legend) {
  std::string label = "<<FONT POINT-SIZE=\"20\"><B>" + html(name) + "</B></FONT><BR ALIGN=\"LEFT\"/>" +
                      "<FONT POINT-SIZE=\"14\">" + html(what) + "</FONT><BR ALIGN=\"LEFT\"/>";
  for (const auto& line : legend) label += "<FONT POINT-SIZE=\"12\">" + html(line) + "</FONT><BR ALIGN=\"LEFT\"/>";
  return "graph [fontname=\"sans\", labelloc=t, labeljust=l, label=" + label + ">];\n";
}

std::string chips_and_links(const Topology& t) {
  return std::to_string(t.num_chips()) + " chips, " + std::to_string(t.num_physical_links()) + " links";
}

// Nodes and edges, counted, then the whole graph.
class DotBuilder {
 public:
  void node(const std::string& id, const std::string& attrs) {
    body_ << "  " << q(id) << " [" << attrs << "];\n";
    ++nodes_;
  }
  // A node at (x, y) points, y upwards.
  void node_at(const std::string& id, const std::string& attrs, double x, double y) {
    node(id, attrs + ", pos=\"" + num(x) + "," + num(y) + "!\"");
  }
  void edge(const std::string& a, const std::string& b, const std::string& attrs) {
    body_ << "  " << q(a) << " -- " << q(b) << " [" << attrs << "];\n";
    ++edges_;
  }
  PictureDot finish(const std::string& header, bool fixed) const {
    PictureDot p;
    p.text = "graph picture {\n" + header + "node [fontname=\"sans\", fontsize=9];\nedge [fontname=\"sans\"];\n" +
             body_.str() + "}\n";
    p.layout = fixed ? "neato" : "dot";
    p.fixed_positions = fixed;
    p.nodes = nodes_;
    p.edges = edges_;
    return p;
  }

 private:
  std::ostringstream body_;
  std::size_t nodes_ = 0, edges_ = 0;
};

// The number after the last '-' of a name ("chip-12" -> 12).
std::size_t index_of(const std::string& name) { return std::stoul(name.substr(name.rfind('-') + 1)); }

// The split-duplex links once each (their UP side), with known ends.
std::vector<const Link*> physical_links(const Topology& t) {
  std::vector<const Link*> out;
  for (const Link& l : t.links)
    if (!l.from.empty() && !l.to.empty() && (l.duplex.empty() || l.up)) out.push_back(&l);
  return out;
}

// "50 GB/s", or "25 to 50 GB/s" when the links differ.
std::string bandwidths(const std::set<double>& bws) {
  if (bws.empty()) return "?";
  if (bws.size() == 1) return gbps(*bws.begin());
  return num(*bws.begin() / 1e9) + " to " + gbps(*bws.rbegin());
}

// ---------------------------------------------------------------- tori

struct TorusPlan {
  std::size_t nd = 1, X = 1, Y = 1, Z = 1;
  std::vector<std::size_t> planes;  // the z of each plane drawn, left to right
  std::vector<double> left;         // the x of each drawn plane's column 0, points
  double ellipsis_x = -1;           // where the summary of the planes not drawn goes (< 0: none)
  static constexpr double kCol = 54, kRow = 46;
  double base = kRow * 1.5;  // the y of the bottom row

  double x_of(std::size_t slot, std::size_t x) const { return left[slot] + x * kCol; }
  double y_of(std::size_t y) const { return base + (Y - 1 - y) * kRow; }
  long slot_of(std::size_t z) const {
    const auto it = std::find(planes.begin(), planes.end(), z);
    return it == planes.end() ? -1 : it - planes.begin();
  }
};

TorusPlan torus_plan(const std::vector<std::uint64_t>& dims) {
  TorusPlan p;
  p.nd = dims.size();
  p.X = dims[0];
  p.Y = p.nd > 1 ? dims[1] : 1;
  p.Z = p.nd > 2 ? dims[2] : 1;
  if (p.Z <= 4) {
    for (std::size_t z = 0; z < p.Z; ++z) p.planes.push_back(z);
  } else {
    p.planes = {0, 1, p.Z - 1};
  }
  const double width = (p.X - 1) * TorusPlan::kCol, gap = 3.4 * TorusPlan::kCol;
  double x = TorusPlan::kCol;
  for (std::size_t i = 0; i < p.planes.size(); ++i) {
    p.left.push_back(x);
    x += width + gap;
    if (i == 1 && p.planes.size() == 3 && p.Z > 4) {
      p.ellipsis_x = x;
      x += gap;
    }
  }
  return p;
}

// Where chip c sits: x, y, z.
std::array<std::size_t, 3> torus_coords(const TorusPlan& p, std::size_t c) {
  return {c % p.X, c / p.X % p.Y, c / (p.X * p.Y)};
}

// The chips of the drawn planes, plane titles and the notes on z links.
void torus_chips(DotBuilder& dot, const Topology& t, const TorusPlan& p, std::size_t z_links) {
  for (std::size_t c = 0; c < t.num_chips(); ++c) {
    const auto xyz = torus_coords(p, c);
    const long slot = p.slot_of(xyz[2]);
    if (slot < 0) continue;
    dot.node_at(t.chips[c],
                "shape=box, style=\"rounded,filled\", fillcolor=\"#eeeeee\", width=0.42, height=0.3, fixedsize=true, "
                "label=" +
                    q(std::to_string(c)),
                p.x_of(slot, xyz[0]), p.y_of(xyz[1]));
  }
  if (p.nd < 3) return;
  const double top = p.y_of(0) + 1.5 * TorusPlan::kRow, middle = (p.y_of(0) + p.y_of(p.Y - 1)) / 2;
  const double half = (p.X - 1) * TorusPlan::kCol / 2;
  const std::string note = "shape=plaintext, fontsize=10, fontcolor=\"" + std::string(kColour[2]) + "\", label=";
  const std::string per_pair = std::to_string(p.X * p.Y) + " z links";
  for (std::size_t i = 0; i < p.planes.size(); ++i) {
    dot.node_at("plane-" + std::to_string(i),
                "shape=plaintext, fontsize=14, label=" + q("z = " + std::to_string(p.planes[i])), p.x_of(i, 0) + half,
                top);
    const double right = p.x_of(i, p.X - 1) + 1.7 * TorusPlan::kCol;
    if (i + 1 < p.planes.size()) {
      dot.node_at("z-note-" + std::to_string(i), note + q("\u21c4\n" + per_pair), right, middle);
    } else if (p.Z > 2 && z_links > p.X * p.Y * (p.Z - 1)) {
      dot.node_at("z-note-" + std::to_string(i), note + q("\u21c4 z = 0\n" + per_pair + "\nwrap around"), right,
                  middle);
    }
  }
  if (p.ellipsis_x >= 0) {
    dot.node_at("more-planes",
                "shape=box, style=\"rounded,dashed\", fontsize=11, label=" +
                    q("\u2026\n" + std::to_string(p.Z - 3) + " more\nz-planes\n(z = 2 to " + std::to_string(p.Z - 2) +
                      ")\nlike these"),
                p.ellipsis_x, middle);
    dot.node_at("z-note-more", note + q("\u21c4\n" + per_pair), p.ellipsis_x + 1.7 * TorusPlan::kCol, middle);
  }
}

// A wrap-around link's end at chip c: a short stub in dimension d, `sign`
// the way it leaves the grid, labelled with the chip at its other end.
void torus_stub(DotBuilder& dot, const Topology& t, const TorusPlan& p, std::size_t c, std::size_t d, int sign,
                std::size_t other, const std::string& id) {
  const auto xyz = torus_coords(p, c);
  const long slot = p.slot_of(xyz[2]);
  if (slot < 0) return;
  double x = p.x_of(slot, xyz[0]), y = p.y_of(xyz[1]);
  if (d == 0)
    x += sign * 0.8 * TorusPlan::kCol;
  else
    y -= sign * 0.72 * TorusPlan::kRow;  // y grows downwards in the picture
  dot.node_at(id,
              "shape=plaintext, fontsize=8, width=0.3, height=0.2, fontcolor=\"" + std::string(kColour[d]) +
                  "\", label=" + q("to " + std::to_string(other)),
              x, y);
  dot.edge(t.chips[c], id, "color=\"" + std::string(kColour[d]) + "\", penwidth=1.6");
}

// The torus's links: neighbours in a plane as lines, wrap-around links as
// stubs at both ends; z links counted, not drawn. Per dimension, its bandwidths.
std::vector<std::set<double>> torus_links(DotBuilder& dot, const Topology& t, const TorusPlan& p,
                                          std::size_t& z_links) {
  std::map<std::string, std::size_t> chip;
  for (std::size_t c = 0; c < t.num_chips(); ++c) chip.emplace(t.chips[c], c);
  std::vector<std::set<double>> bw(p.nd);
  std::size_t stubs = 0;
  for (const Link* l : physical_links(t)) {
    const std::string& name = l->duplex.empty() ? l->name : l->duplex;  // "ici-x-12"
    const std::size_t d = name.size() > 5 ? std::string("xyz").find(name[4]) : std::string::npos;
    if (d >= p.nd || !chip.count(l->from) || !chip.count(l->to)) continue;
    bw[d].insert(l->bandwidth_Bps);
    const std::size_t a = chip.at(l->from), b = chip.at(l->to);
    if (d == 2) {
      ++z_links;
      continue;
    }
    auto ca = torus_coords(p, a), cb = torus_coords(p, b);
    const bool neighbour = cb[d] == ca[d] + 1 && cb[1 - d] == ca[1 - d] && cb[2] == ca[2];
    if (neighbour) {
      if (p.slot_of(ca[2]) >= 0) dot.edge(l->from, l->to, "color=\"" + std::string(kColour[d]) + "\", penwidth=1.6");
      continue;
    }
    torus_stub(dot, t, p, a, d, +1, b, "stub-" + std::to_string(stubs++));
    torus_stub(dot, t, p, b, d, -1, a, "stub-" + std::to_string(stubs++));
  }
  return bw;
}

std::vector<std::string> torus_legend(const TorusPlan& p, const std::vector<std::set<double>>& bw) {
  static const char* kDim[] = {"x", "y", "z"};
  std::vector<std::string> legend;
  std::string id = "Boxes are chips, numbered by chip id = x";
  if (p.nd > 1) id += " + " + std::to_string(p.X) + "\u00b7y";
  if (p.nd > 2) id += " + " + std::to_string(p.X * p.Y) + "\u00b7z";
  legend.push_back(id + (p.nd > 1 ? "; x grows to the right, y downwards." : "; x grows to the right."));
  std::string lines;
  std::set<double> all;
  for (std::size_t d = 0; d < p.nd; ++d) {
    lines += std::string(d ? ", " : "") + kColourName[d] + " = " + kDim[d] + " links (" + bandwidths(bw[d]) + ")";
    all.insert(bw[d].begin(), bw[d].end());
  }
  legend.push_back("Lines: " + lines + "; bandwidths are per direction.");
  legend.push_back("A short stub at a plane's edge is a wrap-around link; its label names the chip at the other end.");
  if (p.nd > 2)
    legend.push_back(
        "z links are not drawn as lines: each chip links to the chip at its place in the next plane "
        "(\u21c4), the last plane back to z = 0.");
  return legend;
}

PictureDot torus_picture(const Topology& t, const TorusSpec& spec) {
  const TorusPlan p = torus_plan(spec.dims);
  DotBuilder dot;
  std::size_t z_links = 0;
  const std::vector<std::set<double>> bw = torus_links(dot, t, p, z_links);
  torus_chips(dot, t, p, z_links);
  std::string shape = std::to_string(p.nd) + "D " + (spec.wraparound ? "torus " : "mesh ");
  for (std::size_t d = 0; d < p.nd; ++d) shape += (d ? " \u00d7 " : "") + std::to_string(spec.dims[d]);
  if (spec.twisted) shape += ", twisted";
  std::vector<std::string> legend = torus_legend(p, bw);
  if (p.ellipsis_x >= 0)
    legend.push_back("Planes z = 2 to " + std::to_string(p.Z - 2) +
                     " are summarised by the dashed box: they are like "
                     "z = 1.");
  return dot.finish(title_attrs(t.name, shape + ": " + chips_and_links(t), legend), true);
}

// ---------------------------------------------------------------- fat-trees

PictureDot fat_tree_picture(const Topology& t, const FatTreeSpec& spec) {
  constexpr double kCol = 64, kRow = 120;
  const std::size_t per_level = t.num_chips() / spec.k;
  DotBuilder dot;
  std::map<std::string, std::size_t> colour;  // link class -> its colour
  std::map<std::string, std::set<double>> bw;
  std::vector<std::string> classes;
  for (const Link* l : physical_links(t)) {
    if (!colour.count(l->link_class)) {
      colour.emplace(l->link_class, classes.size() % kColours);
      classes.push_back(l->link_class);
    }
    bw[l->link_class].insert(l->bandwidth_Bps);
    const std::string c = "color=\"" + std::string(kColour[colour.at(l->link_class)]) + "\"";
    if (l->link_class != "leaf")
      dot.edge(l->from, l->to, c + ", penwidth=1.2");
    else if (index_of(l->from) % spec.k == 0)
      dot.edge("leaf-chips-" + std::to_string(index_of(l->from) / spec.k), l->to, c + ", penwidth=3");
  }
  for (std::size_t w = 0; w < per_level; ++w) {
    dot.node_at("leaf-chips-" + std::to_string(w),
                "shape=box, style=\"rounded,filled\", fillcolor=\"#eeeeee\", width=0.8, height=0.45, fixedsize=true, "
                "label=" +
                    q("chips\n" + std::to_string(w * spec.k) + "\u2013" + std::to_string(w * spec.k + spec.k - 1)),
                w * kCol, 0);
    for (std::uint64_t l = 1; l <= spec.levels; ++l)
      dot.node_at("sw-" + std::to_string(l) + "-" + std::to_string(w),
                  "shape=ellipse, width=0.55, height=0.35, fixedsize=true, label=" + q(std::to_string(w)), w * kCol,
                  l * kRow);
  }
  for (std::uint64_t l = 0; l <= spec.levels; ++l) {
    std::string name = "level " + std::to_string(l) + "\nswitches";
    if (l == 0)
      name = "chips";
    else if (l == spec.levels)
      name = "core\nswitches";
    else if (l == 1)
      name = "leaf\nswitches";
    dot.node_at("level-" + std::to_string(l), "shape=plaintext, fontsize=12, label=" + q(name), -1.6 * kCol, l * kRow);
  }
  std::vector<std::string> legend = {
      "Ellipses are switches, numbered within their level; each bottom box is the " + std::to_string(spec.k) +
          " chips of one leaf switch, each with its own link to it (the thick line).",
  };
  std::string lines;
  for (const auto& c : classes)
    lines +=
        std::string(lines.empty() ? "" : ", ") + kColourName[colour.at(c)] + " = " +
        (c == "leaf" ? "chip to leaf" : "level " + c.substr(6) + " to " + std::to_string(std::stoul(c.substr(6)) + 1)) +
        " (" + bandwidths(bw.at(c)) + ")";
  legend.push_back("Lines: " + lines + "; bandwidths are per direction.");
  const std::string what = std::to_string(spec.k) + "-ary " + std::to_string(spec.levels) +
                           "-tree (fat-tree): " + chips_and_links(t) + ", " + std::to_string(t.switches.size()) +
                           " switches";
  return dot.finish(title_attrs(t.name, what, legend), true);
}

// ---------------------------------------------------------------- GPU clusters

struct GpuPlan {
  std::size_t nodes = 1, gpus = 1;
  std::vector<std::size_t> shown;  // the nodes drawn in full, left to right
  std::vector<double> left;        // the x of each shown node's first GPU, points
  double ellipsis_x = -1;          // the box of the nodes not drawn (< 0: none)
  double width = 0;
  static constexpr double kCol = 46, kSwitchY = 40, kGpuY = 110, kRailY = 290;
  long slot_of(std::size_t node) const {
    const auto it = std::find(shown.begin(), shown.end(), node);
    return it == shown.end() ? -1 : it - shown.begin();
  }
};

GpuPlan gpu_plan(const GpuClusterSpec& spec) {
  GpuPlan p;
  p.nodes = spec.nodes;
  p.gpus = spec.gpus;
  if (p.nodes <= 4) {
    for (std::size_t n = 0; n < p.nodes; ++n) p.shown.push_back(n);
  } else {
    p.shown = {0, 1, p.nodes - 1};
  }
  const double block = (p.gpus - 1) * GpuPlan::kCol, gap = 1.6 * GpuPlan::kCol;
  double x = 0;
  for (std::size_t i = 0; i < p.shown.size(); ++i) {
    p.left.push_back(x);
    x += block + gap;
    if (i == 1 && p.nodes > 4) {
      p.ellipsis_x = x + 1.2 * GpuPlan::kCol;
      x += 2.4 * GpuPlan::kCol + gap;
    }
  }
  p.width = x - gap;
  return p;
}

// The shown nodes' GPUs, NVSwitches and frames, the box of the others, the rails.
void gpu_nodes(DotBuilder& dot, const Topology& t, const GpuPlan& p) {
  const double block = (p.gpus - 1) * GpuPlan::kCol;
  for (std::size_t i = 0; i < p.shown.size(); ++i) {
    const std::size_t n = p.shown[i], first = n * p.gpus;
    const std::string frame = "node " + std::to_string(n) + " (chips " + std::to_string(first) + "\u2013" +
                              std::to_string(first + p.gpus - 1) + ")";
    dot.node_at("frame-" + std::to_string(n),
                "shape=box, style=\"rounded,dashed\", color=\"#888888\", fontsize=11, labelloc=b, width=" +
                    num((block + 44) / 72) + ", height=" + num((GpuPlan::kGpuY + 20) / 72) +
                    ", fixedsize=true, label=" + q(frame),
                p.left[i] + block / 2, (GpuPlan::kGpuY + 20) / 2 - 4);
    dot.node_at("nvswitch-" + std::to_string(n),
                "shape=ellipse, width=1.1, height=0.36, fixedsize=true, label=\"NVSwitch\"", p.left[i] + block / 2,
                GpuPlan::kSwitchY);
    for (std::size_t g = 0; g < p.gpus; ++g)
      dot.node_at(t.chips[first + g],
                  "shape=box, style=\"rounded,filled\", fillcolor=\"#eeeeee\", width=0.46, height=0.3, fixedsize=true, "
                  "label=" +
                      q(std::to_string(first + g)),
                  p.left[i] + g * GpuPlan::kCol, GpuPlan::kGpuY);
  }
  for (std::size_t r = 0; r < p.gpus; ++r)
    dot.node_at("rail-" + std::to_string(r),
                "shape=ellipse, width=0.8, height=0.36, fixedsize=true, label=" + q("rail " + std::to_string(r)),
                (r + 0.5) * p.width / p.gpus, GpuPlan::kRailY);
  if (p.ellipsis_x < 0) return;
  const std::size_t more = p.nodes - 3;
  dot.node_at("more-nodes",
              "shape=box, style=\"rounded,dashed\", fontsize=11, width=1.5, height=1.2, fixedsize=true, label=" +
                  q("\u2026\n" + std::to_string(more) + " more nodes\nlike these\n(nodes 2 to " +
                    std::to_string(p.nodes - 2) + ")"),
              p.ellipsis_x, GpuPlan::kGpuY / 2 + 10);
  for (std::size_t r = 0; r < p.gpus; ++r)
    dot.edge("more-nodes", "rail-" + std::to_string(r), "color=\"#999999\", style=dotted, penwidth=1.2");
}

PictureDot gpu_cluster_picture(const Topology& t, const GpuClusterSpec& spec) {
  const GpuPlan p = gpu_plan(spec);
  DotBuilder dot;
  gpu_nodes(dot, t, p);
  std::map<std::string, std::set<double>> bw;
  for (const Link* l : physical_links(t)) {
    bw[l->link_class].insert(l->bandwidth_Bps);
    const std::size_t c = static_cast<std::size_t>(t.chip_index(l->from));
    if (p.slot_of(c / p.gpus) < 0) continue;
    dot.edge(l->from, l->to, std::string("color=\"") + kColour[l->link_class == "nic" ? 0 : 1] + "\", penwidth=1.4");
  }
  std::vector<std::string> legend = {
      "Boxes are GPUs (chips), numbered by chip id; ellipses are switches: one NVSwitch per node, one switch per rail.",
      "Lines: green = NVLink, a GPU to its node's NVSwitch (" + bandwidths(bw["nvlink"]) +
          "); blue = NIC, GPU i of "
          "every node to rail i (" +
          bandwidths(bw["nic"]) + "); bandwidths are per direction.",
  };
  if (p.ellipsis_x >= 0)
    legend.push_back("The dashed box in the middle stands for " + std::to_string(p.nodes - 3) +
                     " more nodes like these; the grey dotted lines are their GPUs' links to the rails.");
  const std::string what = "GPU cluster, " + std::to_string(spec.nodes) + " nodes of " + std::to_string(spec.gpus) +
                           " GPUs (rail-optimised): " + chips_and_links(t) + ", " + std::to_string(t.switches.size()) +
                           " switches";
  return dot.finish(title_attrs(t.name, what, legend), true);
}

// ---------------------------------------------------------------- tiers, dragonflies, graphs: by level

// What a kind of platform tells the level layout: how chips group in the
// bottom row, which are drawn, and words for what is left out.
struct LevelHints {
  // Gap units before chip c (c > 0): 0 beside the previous chip, 1 a new
  // group, 2 or more a group of groups.
  std::function<int(std::size_t)> gap_before;
  std::function<bool(std::size_t)> shown = [](std::size_t) { return true; };
  // The dashed box for `count` chips not drawn from `first` on.
  std::function<std::string(std::size_t first, std::size_t count)> hidden;
  std::map<int, std::string> row_names;  // row -> its label; "level N" otherwise
  std::vector<std::string> legend;       // what the kind's groups are, first in the legend
};

// Every node (chips first, in chip order) and its links and memberships.
struct LevelGraph {
  std::vector<std::string> names;
  std::map<std::string, std::size_t> index;
  struct Edge {
    std::size_t a, b;
    const Link* link;  // null: a membership (a a chip, b its group's ports)
  };
  std::vector<Edge> edges;
  std::vector<std::vector<std::size_t>> adjacent;  // node -> edges
  std::vector<int> level;
  std::vector<bool> shown;
  std::vector<double> x, width;

  std::size_t add(const std::string& name) {
    const auto [it, added] = index.emplace(name, names.size());
    if (added) {
      names.push_back(name);
      adjacent.emplace_back();
    }
    return it->second;
  }
  void connect(const std::string& a, const std::string& b, const Link* link) {
    const std::size_t ia = add(a), ib = add(b);
    adjacent[ia].push_back(edges.size());
    adjacent[ib].push_back(edges.size());
    edges.push_back({ia, ib, link});
  }
  std::size_t other(const Edge& e, std::size_t n) const { return e.a == n ? e.b : e.a; }
};

LevelGraph level_graph(const Topology& t) {
  LevelGraph g;
  for (const auto& c : t.chips) g.add(c);
  for (const auto& s : t.switches) g.add(s);
  for (const Link* l : physical_links(t)) g.connect(l->from, l->to, l);
  for (const auto& [member, group] : t.members) g.connect(member, group, nullptr);
  return g;
}

// Chips are level 0. A group's ports (a node with members) sit one above
// the highest ports whose chips they contain (a board's under a rack's);
// any other node one above its nearest node of a known level (BFS).
std::vector<int> node_levels(const LevelGraph& g, std::size_t chips) {
  const std::size_t n = g.names.size();
  std::vector<int> level(n, -1);
  std::map<std::size_t, std::vector<std::size_t>> members;  // ports -> their chips, sorted
  for (const auto& e : g.edges)
    if (!e.link) members[e.b].push_back(e.a);
  for (auto& [ports, chips_of] : members) std::sort(chips_of.begin(), chips_of.end());
  std::vector<std::size_t> by_size;
  for (const auto& m : members) by_size.push_back(m.first);
  std::stable_sort(by_size.begin(), by_size.end(),
                   [&](std::size_t a, std::size_t b) { return members[a].size() < members[b].size(); });
  for (std::size_t c = 0; c < chips; ++c) level[c] = 0;
  for (std::size_t i = 0; i < by_size.size(); ++i) {
    const auto& outer = members[by_size[i]];
    int below = 0;
    for (std::size_t j = 0; j < i; ++j) {
      const auto& inner = members[by_size[j]];
      if (inner.size() < outer.size() && std::includes(outer.begin(), outer.end(), inner.begin(), inner.end()))
        below = std::max(below, level[by_size[j]]);
    }
    level[by_size[i]] = below + 1;
  }
  // Dijkstra with unit steps from every node placed so far.
  using Item = std::pair<int, std::size_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
  for (std::size_t v = 0; v < n; ++v)
    if (level[v] >= 0) queue.push({level[v], v});
  std::vector<bool> done(n, false);
  while (!queue.empty()) {
    const auto [l, v] = queue.top();
    queue.pop();
    if (done[v]) continue;
    done[v] = true;
    for (std::size_t e : g.adjacent[v]) {
      const std::size_t w = g.other(g.edges[e], v);
      if (level[w] < 0 || (!done[w] && level[w] > l + 1 && !members.count(w))) {
        level[w] = l + 1;
        queue.push({l + 1, w});
      }
    }
  }
  for (auto& l : level)
    if (l < 0) l = 1;  // not joined to any chip
  return level;
}

struct LevelPlan {
  static constexpr double kChip = 34, kGap = 24, kRow = 120, kMore = 120;
  std::vector<std::pair<double, std::string>> more;  // the dashed boxes: x, text
  int top = 0;
  double left = 0, right = 0;
  double y(int level) const { return level * kRow; }
};

double label_width(const std::string& label, double min_pt) {
  std::size_t longest = 0, line = 0;
  for (char c : label) {
    if (c == '\n') line = 0;
    else if ((c & 0xc0) != 0x80) longest = std::max(longest, ++line);
  }
  return std::max(min_pt, longest * 5.6 + 16);
}

std::string chip_label(const Topology& t, std::size_t c) {
  return t.chips[c] == "chip-" + std::to_string(c) ? std::to_string(c) : t.chips[c];
}

// The bottom row: shown chips left to right, a dashed box for each run of
// chips not drawn.
void place_chips(const Topology& t, const LevelHints& hints, LevelGraph& g, LevelPlan& p) {
  double x = 0;
  std::size_t run = 0;  // hidden chips since the last shown
  auto close_run = [&](std::size_t end) {
    if (run == 0) return;
    x += LevelPlan::kGap;
    p.more.emplace_back(x + LevelPlan::kMore / 2, hints.hidden(end - run, run));
    x += LevelPlan::kMore + LevelPlan::kGap;
    run = 0;
  };
  for (std::size_t c = 0; c < t.num_chips(); ++c) {
    g.shown[c] = hints.shown(c);
    if (!g.shown[c]) {
      ++run;
      continue;
    }
    close_run(c);
    if (c > 0 && hints.gap_before) x += hints.gap_before(c) * LevelPlan::kGap;
    g.width[c] = label_width(chip_label(t, c), 30);
    g.x[c] = x;
    x += std::max(LevelPlan::kChip, g.width[c] + 8);
  }
  close_run(t.num_chips());
  p.right = x - LevelPlan::kChip;
}

// Rows above the chips: a node is drawn if a node below it is, at the mean x
// of its drawn neighbours below, then pushed apart where they overlap.
void place_upper_rows(LevelGraph& g, LevelPlan& p, std::size_t chips) {
  for (int l : g.level) p.top = std::max(p.top, l);
  for (int l = 1; l <= p.top; ++l) {
    std::vector<std::size_t> row;
    for (std::size_t v = chips; v < g.names.size(); ++v) {
      if (g.level[v] != l) continue;
      double sum = 0;
      int below = 0, lower = 0;
      for (std::size_t e : g.adjacent[v]) {
        const std::size_t w = g.other(g.edges[e], v);
        if (g.level[w] >= l) continue;
        ++lower;
        if (g.shown[w]) sum += g.x[w], ++below;
      }
      g.shown[v] = below > 0 || lower == 0;
      if (!g.shown[v]) continue;
      g.x[v] = below ? sum / below : p.right;
      g.width[v] = label_width(g.names[v], 44);
      row.push_back(v);
    }
    std::stable_sort(row.begin(), row.end(), [&](std::size_t a, std::size_t b) { return g.x[a] < g.x[b]; });
    double moved = 0;  // keeps the row centred over where its nodes would be
    for (std::size_t i = 1; i < row.size(); ++i) {
      const double least = g.x[row[i - 1]] + (g.width[row[i - 1]] + g.width[row[i]]) / 2 + 10;
      if (g.x[row[i]] < least) moved += least - g.x[row[i]], g.x[row[i]] = least;
    }
    for (std::size_t v : row) g.x[v] -= moved / row.size();
  }
}

// A link between two nodes of one row: an arc, below the chips, above the others.
std::string arc(double x1, double x2, double y, bool below) {
  const double span = std::abs(x2 - x1), h = std::min(14 + 0.2 * span, 1.3 * LevelPlan::kRow);
  const double c = (below ? -h : h) / 0.75;  // a cubic's control points rise 4/3 of its peak
  return "pos=\"" + num(x1) + "," + num(y) + " " + num(x1 + 0.1 * (x2 - x1)) + "," + num(y + c) + " " +
         num(x2 - 0.1 * (x2 - x1)) + "," + num(y + c) + " " + num(x2) + "," + num(y) + "\"";
}

// Link classes in order of first appearance, each with its colour, links and bandwidths.
struct LinkClasses {
  std::vector<std::string> names;
  std::map<std::string, std::size_t> colour, links;
  std::map<std::string, std::set<double>> bw;
  const std::string& add(const Link& l) {
    static const std::string kUnnamed = "unnamed";
    const std::string& name = l.link_class.empty() ? kUnnamed : l.link_class;
    if (!colour.count(name)) {
      colour.emplace(name, names.size() % kColours);
      names.push_back(name);
    }
    ++links[name];
    bw[name].insert(l.bandwidth_Bps);
    return name;
  }
  std::string attrs(const std::string& name) const {
    return "color=\"" + std::string(kColour[colour.at(name)]) + "\", penwidth=1.4";
  }
};

// What is drawn, for the legend.
struct LevelDrawn {
  bool members = false, stubs = false, arcs = false;
};

// The links: lines between rows, arcs within one, dashed lines to a group's
// ports, and a stub with a label per node and class for links to nodes not drawn.
LevelDrawn level_edges(DotBuilder& dot, const Topology& t, const LevelGraph& g, const LevelPlan& p,
                       LinkClasses& classes) {
  LevelDrawn drawn;
  std::map<std::pair<std::size_t, std::string>, std::vector<std::size_t>> stubs;  // (node, class) -> hidden ends
  for (const auto& e : g.edges) {
    if (!e.link) {
      if (g.shown[e.a] && g.shown[e.b]) {
        dot.edge(g.names[e.a], g.names[e.b], "color=\"#999999\", style=dashed");
        drawn.members = true;
      }
      continue;
    }
    const std::string& cls = classes.add(*e.link);
    if (!g.shown[e.a] || !g.shown[e.b]) {  // links down to nodes not drawn go with the dashed boxes
      if (g.shown[e.a] && g.level[e.b] >= g.level[e.a]) stubs[{e.a, cls}].push_back(e.b);
      if (g.shown[e.b] && g.level[e.a] >= g.level[e.b]) stubs[{e.b, cls}].push_back(e.a);
      continue;
    }
    std::string attrs = classes.attrs(cls);
    if (g.level[e.a] == g.level[e.b]) {
      attrs += ", " + arc(g.x[e.a], g.x[e.b], p.y(g.level[e.a]), g.level[e.a] == 0);
      drawn.arcs = true;
    }
    dot.edge(g.names[e.a], g.names[e.b], attrs);
  }
  std::map<std::size_t, int> per_node, placed;
  for (const auto& s : stubs) ++per_node[s.first.first];
  for (const auto& [key, ends] : stubs) {
    const std::size_t v = key.first;
    const std::string& cls = key.second;
    auto name = [&](std::size_t w) { return w < t.num_chips() ? chip_label(t, w) : g.names[w]; };
    std::string label = "to " + name(ends[0]);
    if (ends.size() > 1) label += (name(ends[1]).size() > 4 ? "\n" : ", ") + name(ends[1]);
    if (ends.size() > 2) label += "\nand " + std::to_string(ends.size() - 2) + " more";
    const std::string id = "stub-" + std::to_string(v) + "-" + cls;
    // Up, but below the chips where rows are above them; neighbours' labels at two heights.
    const double dx = (placed[v]++ - (per_node[v] - 1) / 2.0) * 60;
    const double dy = (g.level[v] == 0 && p.top > 0 ? -1 : 1) * (g.level[v] == 0 ? 30 + 22 * (v % 2) : 44);
    dot.node_at(id,
                "shape=plaintext, style=filled, fillcolor=white, margin=0.02, width=0, height=0, fontsize=8, "
                "fontcolor=\"" + std::string(kColour[classes.colour.at(cls)]) + "\", label=" + q(label),
                g.x[v] + dx, p.y(g.level[v]) + dy);
    dot.edge(g.names[v], id, classes.attrs(cls));
    drawn.stubs = true;
  }
  return drawn;
}

// The drawn nodes, the dashed boxes for chips not drawn and the row labels.
void level_nodes(DotBuilder& dot, const Topology& t, const LevelGraph& g, const LevelPlan& p,
                 const LevelHints& hints) {
  double left = 0;
  for (std::size_t v = 0; v < g.names.size(); ++v) {
    if (!g.shown[v]) continue;
    left = std::min(left, g.x[v] - g.width[v] / 2);
    const std::string size = "width=" + num(g.width[v] / 72) + ", height=0.3, fixedsize=true, label=";
    if (v < t.num_chips())
      dot.node_at(g.names[v],
                  "shape=box, style=\"rounded,filled\", fillcolor=\"#eeeeee\", " + size + q(chip_label(t, v)), g.x[v],
                  p.y(0));
    else
      dot.node_at(g.names[v], "shape=ellipse, style=filled, fillcolor=white, " + size + q(g.names[v]), g.x[v],
                  p.y(g.level[v]));
  }
  for (std::size_t i = 0; i < p.more.size(); ++i)
    dot.node_at("more-" + std::to_string(i),
                "shape=box, style=\"rounded,dashed\", fontsize=10, width=" + num(LevelPlan::kMore / 72) +
                    ", height=0.95, fixedsize=true, label=" + q(p.more[i].second),
                p.more[i].first, p.y(0));
  for (int l = 0; l <= p.top; ++l) {
    const auto name = hints.row_names.find(l);
    const std::string label = l == 0                          ? "chips"
                              : name != hints.row_names.end() ? name->second
                                                              : "level " + std::to_string(l);
    dot.node_at("row-" + std::to_string(l), "shape=plaintext, fontsize=12, label=" + q(label), left - 60, p.y(l));
  }
}

std::vector<std::string> level_legend(const LevelHints& hints, const LinkClasses& classes, const LevelDrawn& drawn,
                                      const LevelPlan& p) {
  std::vector<std::string> legend = hints.legend;
  legend.push_back(p.top == 0 ? "Boxes are chips, numbered by chip id."
                              : "Boxes are chips, numbered by chip id; ellipses are the other nodes (switches, "
                                "routers, a board's or rack's ports), named as in the platform.");
  std::string lines;
  for (const auto& c : classes.names)
    lines += std::string(lines.empty() ? "" : ", ") + kColourName[classes.colour.at(c)] + " = " + c + " (" +
             std::to_string(classes.links.at(c)) + " links, " + bandwidths(classes.bw.at(c)) + ")";
  if (!lines.empty())
    legend.push_back("Lines: " + lines + "; bandwidths are per direction" +
                     (drawn.arcs ? "; links within a row are arcs (below the chips, above the other rows)." : "."));
  if (drawn.members)
    legend.push_back(
        "Dashed grey lines: a chip reaches its board's (or rack's) ports without crossing a link (a direct uplink).");
  if (drawn.stubs) legend.push_back("A short line to a \u201cto X\u201d label is a link to a node not drawn.");
  if (!p.more.empty())
    legend.push_back("Each dashed box stands for chips not drawn, with their nodes and links, like those beside it.");
  return legend;
}

PictureDot level_picture(const Topology& t, const LevelHints& hints, const std::string& what) {
  LevelGraph g = level_graph(t);
  g.level = node_levels(g, t.num_chips());
  g.shown.assign(g.names.size(), false);
  g.x.assign(g.names.size(), 0);
  g.width.assign(g.names.size(), 0);
  LevelPlan p;
  place_chips(t, hints, g, p);
  place_upper_rows(g, p, t.num_chips());
  DotBuilder dot;
  LinkClasses classes;
  const LevelDrawn drawn = level_edges(dot, t, g, p, classes);
  level_nodes(dot, t, g, p, hints);
  const std::string header = title_attrs(t.name, what, level_legend(hints, classes, drawn, p)) +
                             "graph [outputorder=edgesfirst, size=\"20,30\"];\n";
  return dot.finish(header, true);
}

// The member of level i's group that chip c belongs to, and how many chips that is.
struct TierIndex {
  std::vector<std::size_t> span;  // chips in one group of level i
  explicit TierIndex(const TiersSpec& spec) {
    std::size_t n = 1;
    for (const auto& lv : spec.levels) span.push_back(n *= lv.count);
  }
  std::size_t member_span(std::size_t i) const { return i == 0 ? 1 : span[i - 1]; }
};

// At most 16 chips of a board and 4 members of any higher group are drawn;
// beyond that the first two and the last.
bool tier_member_shown(std::uint64_t index, std::uint64_t count, std::size_t level) {
  return count <= (level == 0 ? 16u : 4u) || index < 2 || index + 1 == count;
}

std::string tier_legend_line(const TiersSpec& spec, std::size_t i) {
  const TierLevel& lv = spec.levels[i];
  const std::string members = i == 0 ? "chips" : spec.levels[i - 1].name + "s";
  std::string fabric = lv.fabric == TierLevel::Fabric::kFullMesh ? "a full mesh"
                       : leaf_spine(lv) ? "a leaf/spine of " + std::to_string(lv.switch_ports) + "-port switches"
                                        : "a switch";
  std::string line = "A " + lv.name + " is " + std::to_string(lv.count) + " " + members + " joined by " + fabric +
                     " of " + lv.link_class + " links (" + gbps(lv.bandwidth_Bps) + ")";
  if (i > 0 && lv.count > 1)
    line += lv.uplink == TierLevel::Uplink::kDirect
                ? ", from ports (ellipses named after the " + spec.levels[i - 1].name +
                      ") that every chip of a " + spec.levels[i - 1].name + " reaches directly"
                : ", from the first chip of each " + spec.levels[i - 1].name;
  return line + ".";
}

PictureDot tiers_picture(const Topology& t, const TiersSpec& spec) {
  const TierIndex ix(spec);
  const std::size_t nl = spec.levels.size();
  // The highest level at which chip c's member is not drawn; -1 if it is drawn.
  auto hidden_at = [=](std::size_t c) {
    for (std::size_t i = nl; i-- > 0;)
      if (!tier_member_shown(c / ix.member_span(i) % spec.levels[i].count, spec.levels[i].count, i))
        return static_cast<long>(i);
    return -1L;
  };
  LevelHints hints;
  hints.gap_before = [=](std::size_t c) {
    int gap = 0;
    for (std::size_t s : ix.span) gap += c % s == 0;
    return gap;
  };
  hints.shown = [=](std::size_t c) { return hidden_at(c) < 0; };
  hints.hidden = [=](std::size_t first, std::size_t count) {
    const auto i = static_cast<std::size_t>(hidden_at(first));
    const std::string noun = i == 0 ? "chip" : spec.levels[i - 1].name;
    const std::size_t a = first / ix.member_span(i), k = count / ix.member_span(i);
    return "\u2026\n" + std::to_string(k) + " more " + noun + "s\n(" + noun + "s " + std::to_string(a) + "\u2013" +
           std::to_string(a + k - 1) + ")";
  };
  for (std::size_t i = 0; i < nl; ++i) hints.legend.push_back(tier_legend_line(spec, i));
  // Full meshes of direct ports: row i holds level i's ports, named after level i - 1.
  bool meshes = true;
  for (std::size_t i = 0; i < nl; ++i)
    meshes = meshes && spec.levels[i].fabric == TierLevel::Fabric::kFullMesh &&
             (i == 0 || (spec.levels[i].uplink == TierLevel::Uplink::kDirect && spec.levels[i].count > 1));
  for (std::size_t i = 1; meshes && i < nl; ++i)
    hints.row_names[static_cast<int>(i)] = spec.levels[i - 1].name + " ports";
  std::string what = "tiers, a " + spec.levels.back().name;
  for (std::size_t i = nl; i-- > 0;)
    what += " of " + std::to_string(spec.levels[i].count) + " " + (i == 0 ? "chips" : spec.levels[i - 1].name + "s");
  return level_picture(t, hints, what + ": " + chips_and_links(t));
}

PictureDot dragonfly_picture(const Topology& t, const DragonflySpec& spec) {
  const std::size_t group = spec.routers * spec.chips, groups = spec.groups;
  LevelHints hints;
  hints.gap_before = [=](std::size_t c) { return c % group == 0 ? 2 : c % spec.chips == 0 ? 1 : 0; };
  hints.shown = [=](std::size_t c) {
    const std::size_t g = c / group;
    return groups <= 4 || g < 2 || g + 1 == groups;
  };
  hints.hidden = [=](std::size_t first, std::size_t count) {
    const std::size_t a = first / group, k = count / group;
    return "\u2026\n" + std::to_string(k) + " more groups\n(groups " + std::to_string(a) + "\u2013" +
           std::to_string(a + k - 1) + ")";
  };
  hints.row_names[1] = "routers";
  hints.legend.push_back(std::to_string(groups) + " groups of " + std::to_string(spec.routers) + " routers, " +
                         std::to_string(spec.chips) +
                         " chips a router (terminal links); the routers of a group are joined all-to-all (local "
                         "links), every pair of groups by one global link. Router g-r is router r of group g.");
  const std::string what = "dragonfly, " + std::to_string(groups) + " groups of " + std::to_string(spec.routers) +
                           " routers: " + chips_and_links(t);
  return level_picture(t, hints, what);
}

PictureDot graph_picture(const Topology& t, const std::string& kind) {
  // Chips side by side that share the first node above them are a group (8
  // chips where that gives 4 groups or fewer); a graph of more than 32 chips
  // draws the first two groups and the last.
  const LevelGraph g = level_graph(t);
  const std::vector<int> level = node_levels(g, t.num_chips());
  std::vector<std::size_t> above(t.num_chips(), g.names.size()), group(t.num_chips(), 0);
  for (std::size_t c = 0; c < t.num_chips(); ++c) {
    for (std::size_t e : g.adjacent[c]) {
      const std::size_t w = g.other(g.edges[e], c);
      if (level[w] == 1) above[c] = std::min(above[c], w);
    }
    if (c > 0) group[c] = group[c - 1] + (above[c] != above[c - 1]);
  }
  std::size_t groups = t.num_chips() ? group.back() + 1 : 0;
  if (t.num_chips() > 32 && groups <= 4) {  // few nodes above the chips (or none): groups of 8 chips
    for (std::size_t c = 0; c < t.num_chips(); ++c) group[c] = c / 8;
    groups = (t.num_chips() + 7) / 8;
  }
  const bool summarise = t.num_chips() > 32;
  LevelHints hints;
  hints.gap_before = [group](std::size_t c) { return group[c] != group[c - 1] ? 1 : 0; };
  hints.shown = [=](std::size_t c) { return !summarise || group[c] < 2 || group[c] + 1 == groups; };
  hints.hidden = [=](std::size_t first, std::size_t count) {
    const std::size_t k = group[first + count - 1] - group[first] + 1;
    return "\u2026\n" + std::to_string(k) + " more groups\nof chips\n(chips " + std::to_string(first) + "\u2013" +
           std::to_string(first + count - 1) + ")";
  };
  if (!t.switches.empty())
    hints.legend.push_back(
        "Rows by distance from the chips: each node sits one row above its nearest neighbour toward the chips; "
        "chips that share the first node above them are side by side.");
  std::string what = kind + ": " + chips_and_links(t);
  if (!t.switches.empty())
    what += ", " + std::to_string(t.switches.size()) + (t.switches.size() == 1 ? " other node" : " other nodes");
  return level_picture(t, hints, what);
}

// ---------------------------------------------------------------- anything else

PictureDot plain_picture(const Topology& t, const std::string& kind) {
  std::map<std::string, std::pair<std::size_t, std::set<double>>> classes;
  for (const Link* l : physical_links(t)) {
    auto& c = classes[l->link_class.empty() ? "unnamed" : l->link_class];
    ++c.first;
    c.second.insert(l->bandwidth_Bps);
  }
  std::vector<std::string> legend = {
      "Boxes are chips, ellipses are switches or a board's or rack's ports; the label on a line is its bandwidth per direction."};
  if (!t.members.empty())
    legend.push_back("Dashed lines: direct uplinks (a chip reaches its board's or rack's links without crossing a link).");
  std::string list;
  for (const auto& [name, c] : classes)
    list += (list.empty() ? "" : ", ") + name + " (" + std::to_string(c.first) + ", " + bandwidths(c.second) + ")";
  if (!list.empty()) legend.push_back("Link classes: " + list + ".");
  PictureDot p;
  p.text = plain_picture_dot(t);
  p.text.insert(p.text.find('{') + 1, "\n" + title_attrs(t.name, kind + ": " + chips_and_links(t), legend));
  p.layout = t.switches.empty() ? "neato" : "dot";
  p.nodes = t.num_chips() + t.switches.size();
  p.edges = t.num_physical_links() + t.members.size();
  return p;
}

std::string kind_name(PlatformSpec::Kind kind) {
  switch (kind) {
    case PlatformSpec::Kind::kTorus:
      return "torus";
    case PlatformSpec::Kind::kTiers:
      return "tiers (Tier6 hierarchy)";
    case PlatformSpec::Kind::kGpuCluster:
      return "GPU cluster";
    case PlatformSpec::Kind::kFatTree:
      return "fat-tree";
    case PlatformSpec::Kind::kDragonfly:
      return "dragonfly";
    case PlatformSpec::Kind::kGraph:
      return "graph";
    case PlatformSpec::Kind::kXml:
      return "SimGrid XML";
  }
  return "platform";
}

}  // namespace

PictureDot picture_dot(const Topology& t, const PlatformSpec& spec) {
  switch (spec.kind) {
    case PlatformSpec::Kind::kTorus:
      if (spec.torus.dims.size() <= 3) return torus_picture(t, spec.torus);
      break;
    case PlatformSpec::Kind::kFatTree:
      return fat_tree_picture(t, spec.fat_tree);
    case PlatformSpec::Kind::kGpuCluster:
      return gpu_cluster_picture(t, spec.gpu);
    case PlatformSpec::Kind::kTiers:
      return tiers_picture(t, spec.tiers);
    case PlatformSpec::Kind::kDragonfly:
      return dragonfly_picture(t, spec.dragonfly);
    case PlatformSpec::Kind::kGraph:
    case PlatformSpec::Kind::kXml:
      return graph_picture(t, kind_name(spec.kind));
    default:
      break;
  }
  return plain_picture(t, kind_name(spec.kind));
}

}  // namespace moesim
