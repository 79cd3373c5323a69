// DOT for pictures of a platform: fixed positions for the shapes moesim
// generates, Graphviz's own layout for anything else.
#include "platform/picture_dot.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
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

// ---------------------------------------------------------------- anything else

PictureDot plain_picture(const Topology& t, const std::string& kind) {
  std::map<std::string, std::pair<std::size_t, std::set<double>>> classes;
  for (const Link* l : physical_links(t)) {
    auto& c = classes[l->link_class.empty() ? "unnamed" : l->link_class];
    ++c.first;
    c.second.insert(l->bandwidth_Bps);
  }
  std::vector<std::string> legend = {
      "Boxes are chips, ellipses are switches or a group's ports; the label on a line is its bandwidth per direction."};
  if (!t.members.empty())
    legend.push_back("Dashed lines: direct uplinks (a chip reaches its group's links without crossing a link).");
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
    default:
      break;
  }
  return plain_picture(t, kind_name(spec.kind));
}

}  // namespace moesim
