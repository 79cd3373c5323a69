#include "campaign/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "campaign/results_db.hpp"
#include "moesim/error.hpp"
#include "util/natural_sort.hpp"
#include "util/process.hpp"

namespace moesim {

namespace {

std::string text_of(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v.get<double>());
    return buf;
  }
  return v.dump();
}

// A string as a gnuplot double-quoted string.
std::string gq(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string terminal_for(const std::string& output, const std::string& flag = "--out") {
  const auto dot = output.find_last_of('.');
  const std::string ext = dot == std::string::npos ? "" : output.substr(dot + 1);
  if (ext == "png") return "set terminal pngcairo size 960,600 font \"sans,11\"";
  if (ext == "svg") return "set terminal svg size 960,600 dynamic font \"sans,11\"";
  fail(flag, "", "'" + output + "' does not end in .png or .svg");
}

std::string axis_label(const std::string& column) {
  if (column.size() > 3 && column.find("_us") != std::string::npos) return column + " (us)";
  return column;
}

std::string layers_script(const nlohmann::json& runs, const nlohmann::json& layers, const PlotOptions& o,
                          const std::string& output) {
  const nlohmann::json* run = nullptr;
  for (const auto& r : runs)
    if (r["name"] == o.layers_of && (o.campaign.empty() || r["campaign"] == o.campaign)) {
      if (run) fail("--layers", "", "'" + o.layers_of + "' names runs of several campaigns: add --campaign");
      run = &r;
    }
  if (!run) fail("--layers", "", "no run named '" + o.layers_of + "' in the database");
  if (row_status(*run, "--layers") != RunStatus::kOk)
    fail("--layers", "", "run '" + o.layers_of + "' is " + text_of((*run)["status"]) + ": " + text_of((*run)["error"]));
  std::ostringstream data;
  std::size_t n = 0;
  for (const auto& l : layers)
    if (l["key"] == (*run)["key"]) {
      data << text_of(l["layer"]) << " " << text_of(l["dispatch_us"]) << " " << text_of(l["combine_us"]) << "\n";
      ++n;
    }
  if (n == 0) fail("--layers", "", "run '" + o.layers_of + "' has no layers recorded");
  std::ostringstream s;
  s << terminal_for(output) << "\nset output " << gq(output) << "\n"
    << "set title " << gq(o.title.empty() ? "per-layer latency: " + o.layers_of : o.title) << " noenhanced\n"
    << "set style data histograms\nset style histogram rowstacked\nset style fill solid 0.85 border -1\n"
    << "set boxwidth 0.8\nset key top left\nset grid ytics\nset xlabel \"MoE layer\"\n"
    << "set ylabel \"latency (us)\"\nset yrange [0:*]\n"
    << "$layers << EOD\n" << data.str() << "EOD\n"
    << "plot $layers using 2:xtic(int($0) % " << (n > 20 ? 5 : 1) << " == 0 ? stringcolumn(1) : \"\") title \"dispatch\" "
       "lc rgb \"#4477aa\", '' using 3 title \"combine\" lc rgb \"#ee6677\"\n";
  return s.str();
}

using Filters = std::vector<std::pair<std::string, std::string>>;

// --where key=value: each key a parameter or a column of the runs.
Filters where_filters(const nlohmann::json& runs, const std::set<std::string>& params, const PlotOptions& o) {
  Filters filters;
  for (const auto& w : o.where) {
    const auto eq = w.find('=');
    if (eq == std::string::npos || eq == 0) fail("--where", "", "'" + w + "' is not key=value");
    const std::string key = w.substr(0, eq);
    if (!params.count(key) && (runs.empty() || !runs.front().contains(key)))
      fail("--where", "", "'" + key + "' is not a column of the database");
    filters.emplace_back(key, w.substr(eq + 1));
  }
  return filters;
}

// The successful runs of the campaign asked for that pass the filters. Every
// parameter but x and the --by ones must take one value in them, or the
// lines would mix runs.
std::vector<const nlohmann::json*> plotted_rows(const nlohmann::json& runs, const std::vector<std::string>& params,
                                                const Filters& filters, const PlotOptions& o) {
  std::vector<const nlohmann::json*> rows;
  for (const auto& r : runs) {
    if (row_status(r, "--where") != RunStatus::kOk || (!o.campaign.empty() && r["campaign"] != o.campaign)) continue;
    bool keep = true;
    for (const auto& [k, v] : filters) keep = keep && r.contains(k) && text_of(r[k]) == v;
    if (keep) rows.push_back(&r);
  }
  if (rows.empty()) fail("--where", "", "no successful run matches (nothing to plot)");
  for (const auto& p : params) {
    if (p == o.x || std::find(o.by.begin(), o.by.end(), p) != o.by.end()) continue;
    std::set<std::string> values;
    for (const auto* r : rows) values.insert(text_of((*r)[p]));
    if (values.size() > 1) {
      std::string list;
      for (const auto& v : values) list += (list.empty() ? "" : ", ") + v;
      fail("--by", "", "'" + p + "' takes " + std::to_string(values.size()) + " values in these runs (" + list +
                           "): fix it with --where " + p + "=VALUE or add --by " + p);
    }
  }
  return rows;
}

}  // namespace

std::string plot_script(const nlohmann::json& runs, const nlohmann::json& layers,
                        const std::vector<std::string>& params, const PlotOptions& o, const std::string& output) {
  if (!o.layers_of.empty()) return layers_script(runs, layers, o, output);
  const std::set<std::string> param_set(params.begin(), params.end());
  if (o.x.empty()) fail("--x", "", "name the parameter of the x axis (or use --layers RUN)");
  if (!param_set.count(o.x)) {
    std::string list;
    for (const auto& p : params) list += (list.empty() ? "" : ", ") + p;
    fail("--x", "", "'" + o.x + "' is not a parameter of the database (parameters: " + list + ")");
  }
  for (const auto& b : o.by)
    if (!param_set.count(b)) fail("--by", "", "'" + b + "' is not a parameter of the database");
  if (!runs.empty() && !runs.front().contains(o.y)) fail("--y", "", "'" + o.y + "' is not a column of the runs");
  const Filters filters = where_filters(runs, param_set, o);
  // One line per --by tuple, points in x order.
  auto natural = [](const std::string& a, const std::string& b) { return natural_less(a, b); };
  std::map<std::string, std::vector<std::pair<double, double>>, decltype(natural)> lines(natural);
  for (const auto* r : plotted_rows(runs, params, filters, o)) {
    std::string label;
    for (const auto& b : o.by) label += (label.empty() ? "" : ", ") + b + "=" + text_of((*r)[b]);
    const nlohmann::json& xv = (*r)[o.x];
    const nlohmann::json& yv = (*r)[o.y];
    if (!xv.is_number()) fail("--x", "", "'" + o.x + "' has a value that is not a number: " + text_of(xv));
    if (!yv.is_number()) continue;
    lines[label.empty() ? o.y : label].emplace_back(xv.get<double>(), yv.get<double>());
  }
  std::ostringstream s;
  s << terminal_for(output) << "\nset output " << gq(output) << "\n";
  std::string title = o.title;
  if (title.empty()) {
    title = o.y + " against " + o.x;
    for (const auto& [k, v] : filters) title += ", " + k + "=" + v;
  }
  s << "set title " << gq(title) << " noenhanced\n"
    << "set xlabel " << gq(o.x) << " noenhanced\nset ylabel " << gq(axis_label(o.y)) << " noenhanced\n"
    << "set key outside right top noenhanced\nset grid\nset yrange [0:*]\n"
    << "set style data linespoints\n";
  if (o.logx) s << "set logscale x 2\n";
  std::size_t i = 0;
  std::string plot_cmd = "plot ";
  for (auto& [label, pts] : lines) {
    std::sort(pts.begin(), pts.end());
    s << "$line" << i << " << EOD\n";
    for (const auto& [x, y] : pts) s << x << " " << y << "\n";
    s << "EOD\n";
    plot_cmd += (i ? ", " : "") + std::string("$line") + std::to_string(i) + " using 1:2 title " + gq(label) +
                " lw 2 pt 7";
    ++i;
  }
  s << plot_cmd << "\n";
  return s.str();
}

void check_image_name(const std::string& path, const std::string& flag) { terminal_for(path, flag); }

void check_plot_outputs(const PlotOptions& options) {
  if (options.outputs.empty()) fail("--out", "", "name at least one .png or .svg file to write");
  for (const auto& out : options.outputs) terminal_for(out);
}

void plot(const nlohmann::json& runs, const nlohmann::json& layers, const std::vector<std::string>& params,
          const PlotOptions& options) {
  check_plot_outputs(options);
  for (const auto& out : options.outputs)
    pipe_to_program({"gnuplot"}, plot_script(runs, layers, params, options, out), "--out",
                    "install it with apt-get install gnuplot-nox");
}

namespace {

// A heatmap panel: its title and its matrix of link utilisation.
struct Panel {
  std::string title;
  std::vector<std::vector<double>> rows;
};

// A link's utilisation in a phase: its busy time over the phase's latency.
double utilisation(const RunReport& r, const PhaseResult& p, std::size_t id) {
  const Link& l = r.links[id];
  const double busy = l.bandwidth_Bps > 0 ? p.link_bytes[id] / l.bandwidth_Bps * 1e6 : 0;
  return p.latency_us > 0 ? busy / p.latency_us : 0;
}

// A torus: a panel per dimension, each chip's link along it (the busier
// direction) at the chip's place; x across, the other dimensions down.
std::vector<Panel> torus_panels(const RunReport& r, const PhaseResult& p) {
  static const char* kDim = "xyzwuv";
  const auto& dims = r.torus_dims;
  std::size_t chips = 1;
  for (auto k : dims) chips *= k;
  const std::size_t width = dims.front(), height = chips / dims.front();
  std::vector<Panel> panels;
  for (std::size_t d = 0; d < dims.size() && d < 6; ++d) {
    Panel panel;
    panel.title = phase_name(p.kind) + ", dimension " + kDim[d];
    panel.rows.assign(height, std::vector<double>(width, 0.0));
    const std::string prefix = std::string("ici-") + kDim[d] + "-";
    for (std::size_t id = 0; id < r.links.size(); ++id) {
      const std::string& name = r.links[id].name;
      if (name.rfind(prefix, 0) != 0) continue;
      const std::size_t c = std::stoul(name.substr(prefix.size()));
      if (c >= chips) continue;
      double& cell = panel.rows[c / width][c % width];
      cell = std::max(cell, utilisation(r, p, id));
    }
    panels.push_back(std::move(panel));
  }
  return panels;
}

// Any other platform: a panel per link class, its links in order in a square.
std::vector<Panel> class_panels(const RunReport& r, const PhaseResult& p) {
  std::vector<std::string> classes;
  std::map<std::string, std::vector<double>> by_class;
  for (std::size_t id = 0; id < r.links.size(); ++id) {
    const std::string c = r.links[id].link_class.empty() ? "link" : r.links[id].link_class;
    if (!by_class.count(c)) classes.push_back(c);
    by_class[c].push_back(utilisation(r, p, id));
  }
  std::vector<Panel> panels;
  for (const auto& c : classes) {
    Panel panel;
    panel.title = phase_name(p.kind) + ", " + c + " links";
    const auto& v = by_class[c];
    const std::size_t width = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(std::sqrt(v.size()))));
    panel.rows.assign((v.size() + width - 1) / width, std::vector<double>(width, 0.0));
    for (std::size_t i = 0; i < v.size(); ++i) panel.rows[i / width][i % width] = v[i];
    panels.push_back(std::move(panel));
  }
  return panels;
}

}  // namespace

std::string heatmap_script(const RunReport& r, const std::string& output) {
  const std::string terminal = terminal_for(output, "--heatmap");
  const LayerResult* slow = nullptr;
  for (const auto& l : r.layers)
    if (!slow || l.total_us() > slow->total_us()) slow = &l;
  if (!slow || slow->phases.empty() || slow->phases.front().link_bytes.size() != r.links.size() || r.links.empty())
    fail("--heatmap", "", "this run has no per-link bytes to draw");
  const bool torus = !r.torus_dims.empty();
  std::vector<std::vector<Panel>> grid;  // a row of panels per phase
  for (const auto& p : slow->phases) grid.push_back(torus ? torus_panels(r, p) : class_panels(r, p));
  std::size_t cols = 0;
  for (const auto& g : grid) cols = std::max(cols, g.size());
  std::ostringstream s;
  s << terminal << "\nset output " << gq(output) << "\n"
    << "set multiplot layout " << grid.size() << "," << cols << " title "
    << gq("link utilisation, layer " + std::to_string(slow->layer) + " of " + r.scenario_name + " on " + r.platform_name +
          (torus ? " (busier direction)" : ""))
    << " noenhanced\n"
    << "set cbrange [0:1]\nset palette defined (0 '#f7fbff', 0.5 '#6baed6', 0.8 '#fd8d3c', 1 '#bd0026')\n"
    << "set view map\nunset key\nset tics out\n"
    << (torus ? "set xlabel \"x\"\nset ylabel \"chip row (y, z, ...)\"\n" : "set xlabel \"\"\nset ylabel \"\"\n");
  std::size_t k = 0;
  for (const auto& g : grid) {
    for (const auto& panel : g) {
      s << "$m" << k << " << EOD\n";
      for (const auto& row : panel.rows) {
        for (std::size_t i = 0; i < row.size(); ++i) s << (i ? " " : "") << row[i];
        s << "\n";
      }
      const std::size_t w = panel.rows.empty() ? 1 : panel.rows.front().size();
      s << "EOD\nset title " << gq(panel.title) << " noenhanced\n"
        << "set xrange [-0.5:" << w - 0.5 << "]\nset yrange [-0.5:" << panel.rows.size() - 0.5 << "]\n"
        << "plot $m" << k << " matrix with image\n";
      ++k;
    }
    for (std::size_t i = g.size(); i < cols; ++i) s << "set multiplot next\n";
  }
  s << "unset multiplot\n";
  return s.str();
}

void write_heatmap(const RunReport& report, const std::string& output) {
  pipe_to_program({"gnuplot"}, heatmap_script(report, output), "--heatmap",
                  "install it with apt-get install gnuplot-nox");
}

}  // namespace moesim
