#include "campaign/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "campaign/quantiles.hpp"
#include "campaign/results_db.hpp"
#include "util/format.hpp"
#include "moesim/error.hpp"
#include "util/natural_sort.hpp"
#include "util/process.hpp"

namespace moesim {

namespace {

// Colours told apart by colour-blind readers (Paul Tol's bright scheme).
constexpr const char* kColour[] = {"#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb"};
constexpr std::size_t kColours = 7;
std::string colour(std::size_t i) { return std::string("lc rgb \"") + kColour[i % kColours] + "\""; }

std::string text_of(const nlohmann::json& v) { return value_text(v, "", false, 9); }

// A value as a reader wants it: a platform file as its name
// ("../platforms/tpu-v5e-16x16.yaml" -> "tpu-v5e-16x16").
std::string shown_value(const nlohmann::json& v) {
  std::string s = text_of(v);
  const auto slash = s.find_last_of('/');
  const auto dot = s.find_last_of('.');
  if (slash != std::string::npos && dot != std::string::npos && dot > slash) s = s.substr(slash + 1, dot - slash - 1);
  return s;
}

// A string as a gnuplot double-quoted string.
std::string gq(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";  // a line break inside gnuplot's double quotes
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string terminal_for(const std::string& output, const std::string& flag = "--out", int width = 960,
                         int height = 600) {
  const auto dot = output.find_last_of('.');
  const std::string ext = dot == std::string::npos ? "" : output.substr(dot + 1);
  const std::string size = " size " + std::to_string(width) + "," + std::to_string(height);
  if (ext == "png") return "set terminal pngcairo" + size + " font \"sans,11\"";
  if (ext == "svg") return "set terminal svg" + size + " dynamic font \"sans,11\"";
  fail(flag, "", "'" + output + "' does not end in .png or .svg");
}

// Words for the columns people plot; any other column is shown as it is,
// with "(us)" when its name says microseconds.
std::string axis_label(const std::string& column) {
  static const std::map<std::string, std::string> kLabels = {
      {"deployment.ep", "EP size (chips)"},
      {"deployment.tokens_per_chip", "tokens per chip"},
      {"deployment.moe_tp", "MoE TP size"},
      {"deployment.global_batch", "global batch (tokens)"},
      {"deployment.groups", "EP groups"},
      {"deployment.placement", "placement"},
      {"model.hidden_dim", "hidden size"},
      {"model.num_experts", "experts"},
      {"model.topk", "experts a token (top-k)"},
      {"traffic.routing", "routing"},
      {"traffic.zipf_exponent", "zipf exponent"},
      {"comm.per_message_us", "cost a message (us)"},
      {"comm.message_bytes", "largest message (B)"},
      {"simgrid.fidelity", "fidelity"},
      {"engine", "engine"},
      {"calibration", "calibration"},
      {"overlap", "overlap schedule"},
      {"moe_layers_us", "MoE layers, overlapped (us)"},
      {"exposed_us", "exposed transfers (us)"},
      {"overlap_efficiency", "share of the transfers hidden"},
      {"tokens_per_s_per_chip", "tokens a chip a second"},
      {"slowdown", "slowdown against the healthy platform (x)"},
      {"fault_draw.links", "dead links (a random draw)"},
      {"fault_draw.probability", "each link's odds of being dead"},
      {"fault_draw.seed", "fault draw seed"},
      {"healthy_us", "MoE layers on the healthy platform (us)"},
      {"platform_name", "platform"},
      {"model.moe_layers", "MoE layers"},
      {"comm.algorithm", "all-to-all algorithm"},
      {"platform", "platform"},
      {"precision", "precision"},
      {"chips", "chips"},
      {"group_chips", "chips per EP group"},
      {"wall_s", "simulation wall time (s)"},
      {"dispatch_bytes", "dispatch bytes per layer"},
      {"combine_bytes", "combine bytes per layer"},
      {"dispatch_us_mean", "dispatch latency, mean over layers (us)"},
      {"dispatch_us_max", "dispatch latency, slowest layer (us)"},
      {"dispatch_us_sum", "dispatch latency, sum over layers (us)"},
      {"combine_us_mean", "combine latency, mean over layers (us)"},
      {"combine_us_max", "combine latency, slowest layer (us)"},
      {"combine_us_sum", "combine latency, sum over layers (us)"},
      {"total_us_mean", "MoE layer time (dispatch + experts + combine), mean over layers (us)"},
      {"total_us_max", "MoE layer time (dispatch + experts + combine), slowest layer (us)"},
      {"total_us_sum", "MoE time (dispatch + experts + combine), sum over layers (us)"},
      {"total_us_p50", "MoE layer time (dispatch + experts + combine), median layer (us)"},
      {"total_us_p99", "MoE layer time (dispatch + experts + combine), 99th percentile layer (us)"},
  };
  const auto it = kLabels.find(column);
  if (it != kLabels.end()) return it->second;
  if (column.size() > 3 && column.find("_us") != std::string::npos) return column + " (us)";
  // Any other dotted key: its last part, in words ("traffic.hot_share" -> "hot share").
  std::string words = column.substr(column.find_last_of('.') + 1);
  std::replace(words.begin(), words.end(), '_', ' ');
  return words;
}

// A file path as its name without folder and extension; anything else as it is.
std::string short_file(const std::string& value) {
  if (value.find('/') == std::string::npos) return value;
  std::string base = value.substr(value.find_last_of('/') + 1);
  return base.substr(0, base.find_last_of('.'));
}

// The label without its unit: "dispatch latency, mean over layers".
std::string quantity(const std::string& column) {
  const std::string label = axis_label(column);
  const auto paren = label.rfind(" (");
  return paren == std::string::npos ? label : label.substr(0, paren);
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
  // The key beside the plot, where no bar can hide it.
  s << terminal_for(output) << "\nset output " << gq(output) << "\n"
    << "set title " << gq(o.title.empty() ? "dispatch and combine time of each MoE layer\nrun " + o.layers_of : o.title)
    << " noenhanced\n"
    << "set style data histograms\nset style histogram rowstacked\nset style fill solid 0.9 border rgb \"white\"\n"
    << "set boxwidth 0.8\nset key outside right top vertical Left reverse noenhanced\nset grid ytics\n"
    << "set xlabel \"MoE layer\"\nset ylabel \"time (us)\"\nset yrange [0:*]\n"
    << "$layers << EOD\n"
    << data.str() << "EOD\n"
    << "plot $layers using 2:xtic(int($0) % " << (n > 20 ? 5 : 1) << " == 0 ? stringcolumn(1) : \"\") title "
    << "\"dispatch\" " << colour(0) << ", '' using 3 title "
    << "\"combine (on top)\" " << colour(1) << "\n";
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
// What every plotted run shares, for the title: the platform, the tokens
// a chip, and each parameter with one value ("tpu-v5e-16x16, 128 tokens a
// chip; routing = zipf, EP size = 256").
std::string what_is_fixed(const std::vector<const nlohmann::json*>& rows, const std::vector<std::string>& params,
                          const PlotOptions& o) {
  auto one_value = [&](const std::string& key) -> std::optional<std::string> {
    std::optional<std::string> only;
    for (const auto* r : rows) {
      if (!r->contains(key)) return std::nullopt;
      const std::string v = text_of((*r)[key]);
      if (only && *only != v) return std::nullopt;
      only = v;
    }
    return only;
  };
  std::vector<std::string> parts;
  if (auto platform = one_value("platform_name")) parts.push_back(*platform);
  std::optional<double> per_chip;
  // tokens_per_ep_group is the token copies a chip receives (x top-k): the
  // tokens a chip are the scenario's own, recorded since they had a column.
  for (const auto* r : rows) {
    if (!r->contains("tokens_per_chip") || !(*r)["tokens_per_chip"].is_number()) {
      per_chip.reset();
      break;
    }
    const double t = (*r)["tokens_per_chip"].get<double>();
    if (!(t > 0) || (per_chip && *per_chip != t)) {
      per_chip.reset();
      break;
    }
    per_chip = t;
  }
  if (per_chip) {
    char b[64];
    std::snprintf(b, sizeof b, "%g tokens a chip", *per_chip);
    parts.push_back(b);
  }
  std::string fixed;
  for (const auto& p : params) {
    if (p == o.x || std::count(o.by.begin(), o.by.end(), p) || p == "platform") continue;
    if (auto v = one_value(p)) fixed += (fixed.empty() ? "" : ", ") + quantity(p) + " = " + short_file(*v);
  }
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  if (!fixed.empty()) out += (out.empty() ? "" : "; ") + fixed;
  return out;
}

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
    if (!o.quantiles.empty() || p == o.x || std::find(o.by.begin(), o.by.end(), p) != o.by.end()) continue;
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

// What is drawn: a y per (series, x), x as its text. Series are the --by
// tuples; x is numeric when every value is a number, else categories.
struct Series {
  std::vector<std::string> labels;                         // in natural order
  std::vector<std::string> xs;                             // every x, in natural (numeric: value) order
  std::map<std::string, std::map<std::string, double>> y;  // label -> x -> y
  std::map<std::string, double> x_value;                   // x -> its number (numeric x)
  bool numeric_x = true;
  std::map<std::string, std::map<std::string, std::vector<double>>> draws;  // label -> x -> every y
};

// --quantiles: each series becomes a line per percentile of its draws at each x.
void percentile_lines(Series& s, std::set<std::string>& labels, const PlotOptions& o) {
  s.y.clear();
  std::set<std::string> out;
  for (const auto& label : labels)
    for (double q : o.quantiles) {
      const std::string name = format("p%g", q) + (o.by.empty() ? "" : " of " + label);
      for (auto& [x, ys] : s.draws[label]) {
        std::sort(ys.begin(), ys.end());
        s.y[name][x] = quantile_value(ys, q / 100);  // the line only: no interval
      }
      out.insert(name);
    }
  labels = out;
}

Series series_of(const std::vector<const nlohmann::json*>& rows, const PlotOptions& o) {
  Series s;
  std::set<std::string> labels, xs;
  for (const auto* r : rows)
    if (!(*r)[o.x].is_number()) s.numeric_x = false;
  for (const auto* r : rows) {
    std::string label;
    for (const auto& b : o.by)
      label += (label.empty() ? "" : ", ") + (o.by.size() > 1 ? quantity(b) + " " : "") + shown_value((*r)[b]);
    if (o.by.empty()) label = quantity(o.y);
    const nlohmann::json& yv = (*r)[o.y];
    if (!yv.is_number()) continue;
    const std::string x = shown_value((*r)[o.x]);
    if (s.numeric_x) s.x_value[x] = (*r)[o.x].get<double>();
    s.y[label][x] = yv.get<double>();
    s.draws[label][x].push_back(yv.get<double>());
    labels.insert(label);
    xs.insert(x);
  }
  if (!o.quantiles.empty()) percentile_lines(s, labels, o);
  auto natural = [](const std::string& a, const std::string& b) { return natural_less(a, b); };
  s.labels.assign(labels.begin(), labels.end());
  std::sort(s.labels.begin(), s.labels.end(), natural);
  s.xs.assign(xs.begin(), xs.end());
  if (s.numeric_x)
    std::sort(s.xs.begin(), s.xs.end(),
              [&](const std::string& a, const std::string& b) { return s.x_value[a] < s.x_value[b]; });
  else
    std::sort(s.xs.begin(), s.xs.end(), natural);
  return s;
}

// Numbers on the x axis: a line per series, a tick at every x (when few).
void line_plot(std::ostringstream& out, Series& s, const PlotOptions& o) {
  out << "set style data linespoints\n";
  const double lo = s.x_value[s.xs.front()], hi = s.x_value[s.xs.back()];
  if (o.logx && lo > 0) {
    out << "set logscale x 2\nset xrange [" << lo / 1.25 << ":" << hi * 1.25 << "]\n";
  } else {
    const double pad = hi > lo ? (hi - lo) * 0.05 : 1;
    out << "set xrange [" << lo - pad << ":" << hi + pad << "]\n";
  }
  if (s.xs.size() <= 12) {
    std::string tics;
    for (const auto& x : s.xs) tics += (tics.empty() ? "" : ", ") + gq(x) + " " + text_of(s.x_value[x]);
    out << "set xtics (" << tics << ")\n";
  }
  std::string plot_cmd = "plot ";
  for (std::size_t i = 0; i < s.labels.size(); ++i) {
    std::vector<std::pair<double, double>> pts;
    for (const auto& [x, y] : s.y[s.labels[i]]) pts.emplace_back(s.x_value[x], y);
    std::sort(pts.begin(), pts.end());
    out << "$line" << i << " << EOD\n";
    for (const auto& [x, y] : pts) out << x << " " << y << "\n";
    out << "EOD\n";
    plot_cmd += (i ? ", " : "") + std::string("$line") + std::to_string(i) + " using 1:2 title " + gq(s.labels[i]) +
                " lw 2 pt 7 ps 1.2 " + colour(i);
  }
  out << plot_cmd << "\n";
}

// Categories on the x axis (platform names): a group of bars per category,
// a bar per series; "?" where a series has no run.
void bar_plot(std::ostringstream& out, Series& s) {
  out << "set style data histograms\nset style histogram clustered gap 1\n"
      << "set style fill solid 0.9 border rgb \"white\"\nset boxwidth 0.9\nset datafile missing \"?\"\n"
      << "set xtics nomirror\nset grid noxtics\n$bars << EOD\n";
  for (const auto& x : s.xs) {
    out << gq(x);
    for (const auto& label : s.labels) {
      const auto& ys = s.y[label];
      const auto it = ys.find(x);
      out << " " << (it == ys.end() ? std::string("?") : text_of(it->second));
    }
    out << "\n";
  }
  out << "EOD\nplot ";
  for (std::size_t i = 0; i < s.labels.size(); ++i)
    out << (i ? ", " : "") << "$bars using " << i + 2 << (i ? "" : ":xtic(1)") << " title " << gq(s.labels[i]) << " "
        << colour(i);
  out << "\n";
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
  std::string param_list;
  for (const auto& p : params) param_list += (param_list.empty() ? "" : ", ") + p;
  for (const auto& b : o.by)
    if (!param_set.count(b)) fail("--by", "", "'" + b + "' is not a parameter of the database (parameters: " + param_list + ")");
  if (!runs.empty() && !runs.front().contains(o.y)) {
    std::string numbers;
    for (const auto& [k, v] : runs.front().items())
      if (v.is_number() && !param_set.count(k) && k != "run_index")
        numbers += (numbers.empty() ? "" : ", ") + k;
    fail("--y", "", "'" + o.y + "' is not a column of the runs (columns with numbers: " + numbers + ")");
  }
  const Filters filters = where_filters(runs, param_set, o);
  const std::vector<const nlohmann::json*> rows = plotted_rows(runs, params, filters, o);
  Series series = series_of(rows, o);
  if (series.xs.empty()) fail("--y", "", "'" + o.y + "' has no number in these runs (nothing to plot)");
  std::string title = o.title;
  if (title.empty()) {
    title = quantity(o.y) + ", by " + quantity(o.x);
    if (!o.quantiles.empty()) title += format(", percentiles of the runs at each point (%zu in all)", rows.size());
    const std::string fixed = what_is_fixed(rows, params, o);
    if (!fixed.empty()) title += "\n" + fixed;
  }
  std::ostringstream s;
  s << terminal_for(output) << "\nset output " << gq(output) << "\n"
    << "set title " << gq(title) << " noenhanced\n"
    << "set xlabel " << gq(axis_label(o.x)) << " noenhanced\nset ylabel " << gq(axis_label(o.y)) << " noenhanced\n"
    << "set key outside right top vertical Left reverse noenhanced";
  if (o.by.size() == 1) s << " title " << gq(quantity(o.by.front()) + ":");
  // A ratio to a healthy run starts near 1, not 0.
  s << "\nset grid\nset yrange [" << (o.y == "slowdown" ? "*" : "0") << ":*]\n";
  if (series.numeric_x)
    line_plot(s, series, o);
  else
    bar_plot(s, series);
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

// A heatmap panel: link utilisation in % as a matrix (NaN: no link) or as bars.
struct Panel {
  std::string title, xlabel, ylabel;
  bool bars = false;
  // Matrix: cells [row][column]. Bars: a row per bar group, its x then a
  // value per series.
  std::vector<std::vector<double>> rows;
  std::vector<std::string> row_names, col_names;  // matrix tick labels (empty: numbers)
  std::vector<std::string> series;                // bars: the title of each series
  // Faulty links: a label at the cell (matrix: column, row) or above the bar (x).
  struct Mark {
    double x = 0, y = 0;
    std::string text;
  };
  std::vector<Mark> marks;
};

// A link's mark when a scenario's fault names it (or a node at its end):
// "dead", the share of its bandwidth it keeps ("50%"), "+2us" of latency;
// empty when healthy.
std::string fault_mark(const RunReport& r, std::size_t id) {
  const Link& l = r.links[id];
  for (const LinkFault& f : r.faults) {
    const bool named = f.node.empty() ? f.link == l.name || (!l.duplex.empty() && f.link == l.duplex)
                                      : f.node == l.from || f.node == l.to;
    if (!named) continue;
    if (f.down) return "dead";
    if (f.bandwidth < 1) return format("%g%%", 100 * f.bandwidth);
    return format("+%gus", f.latency_us);
  }
  return "";
}

// " (labels: faults)" when the panel has marks.
std::string marks_note(const Panel& panel) {
  return panel.marks.empty() ? "" : " (labels: faults)";
}

// A link's utilisation in a phase, in %: its busy time over the phase's latency.
double utilisation(const RunReport& r, const PhaseResult& p, std::size_t id) {
  const Link& l = r.links[id];
  const double busy = l.bandwidth_Bps > 0 ? p.link_bytes[id] / l.bandwidth_Bps * 1e6 : 0;
  return p.latency_us > 0 ? 100 * busy / p.latency_us : 0;
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
    panel.title = stage_label(p) + ": " + kDim[d] + " links, each chip's to its " + kDim[d] + " + 1 neighbour";
    panel.xlabel = "chip's x";
    if (dims.size() == 2) panel.ylabel = "chip's y";
    if (dims.size() == 3) panel.ylabel = "chip's y + " + std::to_string(dims[1]) + "\u00b7z";
    panel.rows.assign(height, std::vector<double>(width, 0.0));
    const std::string prefix = std::string("ici-") + kDim[d] + "-";
    for (std::size_t id = 0; id < r.links.size(); ++id) {
      const std::string& name = r.links[id].name;
      if (name.rfind(prefix, 0) != 0) continue;
      const std::size_t c = std::stoul(name.substr(prefix.size()));
      if (c >= chips) continue;
      double& cell = panel.rows[c / width][c % width];
      cell = std::max(cell, utilisation(r, p, id));
      const std::string mark = fault_mark(r, id);
      if (!mark.empty())
        panel.marks.push_back({static_cast<double>(c % width), static_cast<double>(c / width), mark});
    }
    panel.title += marks_note(panel);
    panels.push_back(std::move(panel));
  }
  return panels;
}

// Links between a chip and a switch: bars by chip, one series per direction.
Panel access_panel(const RunReport& r, const PhaseResult& p, const std::vector<std::size_t>& ids,
                   const std::map<std::string, std::size_t>& chip) {
  std::map<std::size_t, std::pair<double, double>> by_chip;  // chip -> (from it, to it)
  std::string other;                                         // the switch end, for the legend
  for (std::size_t id : ids) {
    const Link& l = r.links[id];
    const bool from_chip = chip.count(l.from) > 0;
    auto& cell = by_chip[chip.at(from_chip ? l.from : l.to)];
    (from_chip ? cell.first : cell.second) = utilisation(r, p, id);
    if (other.empty()) other = from_chip ? l.to : l.from;
  }
  Panel panel;
  for (std::size_t id : ids) {
    const Link& l = r.links[id];
    const std::string mark = fault_mark(r, id);
    if (!mark.empty()) panel.marks.push_back({static_cast<double>(chip.at(chip.count(l.from) ? l.from : l.to)), 110, mark});
  }
  panel.bars = true;
  panel.xlabel = "chip id";
  const std::string sw = other.substr(0, other.find_last_of('-'));  // "rail-3" -> "rail"
  panel.series = {"chip to " + sw, sw + " to chip"};
  for (const auto& [c, u] : by_chip) panel.rows.push_back({static_cast<double>(c), u.first, u.second});
  return panel;
}

// Links between any nodes: a matrix, a row per node they leave, a column per
// node they enter.
Panel matrix_panel(const RunReport& r, const PhaseResult& p, const std::vector<std::size_t>& ids,
                   const std::map<std::string, std::size_t>& chip) {
  std::set<std::string> names;
  bool all_chips = true;
  for (std::size_t id : ids)
    for (const std::string& end : {r.links[id].from, r.links[id].to}) {
      names.insert(end);
      all_chips = all_chips && chip.count(end);
    }
  std::vector<std::string> order(names.begin(), names.end());
  std::sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    return all_chips ? chip.at(a) < chip.at(b) : natural_less(a, b);
  });
  std::map<std::string, std::size_t> at;
  for (std::size_t i = 0; i < order.size(); ++i) at[order[i]] = i;
  Panel panel;
  panel.rows.assign(order.size(), std::vector<double>(order.size(), std::numeric_limits<double>::quiet_NaN()));
  for (std::size_t id : ids) {
    const std::size_t row = at[r.links[id].from], col = at[r.links[id].to];
    panel.rows[row][col] = utilisation(r, p, id);
    const std::string mark = fault_mark(r, id);
    if (!mark.empty()) panel.marks.push_back({static_cast<double>(col), static_cast<double>(row), mark});
  }
  for (const auto& n : order) panel.row_names.push_back(all_chips ? std::to_string(chip.at(n)) : n);
  panel.col_names = panel.row_names;
  panel.xlabel = all_chips ? "to chip" : "to";
  panel.ylabel = all_chips ? "from chip" : "from";
  return panel;
}

// Any other platform: a panel per link class. Links between a chip and a
// switch as bars by chip; links between other nodes as a from x to matrix;
// links with unknown ends (SimGrid XML) as bars by link id.
std::vector<Panel> class_panels(const RunReport& r, const PhaseResult& p) {
  std::map<std::string, std::size_t> chip;
  for (std::size_t c = 0; c < r.chip_names.size(); ++c) chip.emplace(r.chip_names[c], c);
  std::vector<std::string> classes;
  std::map<std::string, std::vector<std::size_t>> by_class;
  for (std::size_t id = 0; id < r.links.size(); ++id) {
    const std::string c = r.links[id].link_class.empty() ? "unnamed" : r.links[id].link_class;
    if (!by_class.count(c)) classes.push_back(c);
    by_class[c].push_back(id);
  }
  std::vector<Panel> panels;
  for (const auto& c : classes) {
    const auto& ids = by_class[c];
    bool ends = true, access = true;
    double busiest = 0;
    for (std::size_t id : ids) {
      const Link& l = r.links[id];
      ends = ends && !l.from.empty() && !l.to.empty();
      access = access && (chip.count(l.from) + chip.count(l.to) == 1);
      busiest = std::max(busiest, utilisation(r, p, id));
    }
    Panel panel;
    if (ends && access) {
      panel = access_panel(r, p, ids, chip);
    } else if (ends) {
      panel = matrix_panel(r, p, ids, chip);
    } else {
      panel.bars = true;
      panel.xlabel = "link id";
      panel.series = {c + " links"};
      for (std::size_t i = 0; i < ids.size(); ++i)
        panel.rows.push_back({static_cast<double>(ids[i]), utilisation(r, p, ids[i])});
    }
    panel.title = stage_label(p) + ": " + c + " links" + (busiest > 0 ? "" : " (idle in this phase)") +
                  (ends && !access ? ", hatched: no link" : "") + marks_note(panel);
    panels.push_back(std::move(panel));
  }
  return panels;
}

// Ticks at whole numbers, about `most` of them at most, from 0 to n - 1.
std::string integer_tics(const std::string& axis, std::size_t n, std::size_t most = 16) {
  const std::size_t step = std::max<std::size_t>(1, (n + most - 1) / most);
  return "set " + axis + "tics 0," + std::to_string(step) + "," + std::to_string(n ? n - 1 : 0) + " format \"%.0f\"\n";
}

// Ticks named, every k-th of them when there are many.
std::string named_tics(const std::string& axis, const std::vector<std::string>& names) {
  const std::size_t step = std::max<std::size_t>(1, (names.size() + 31) / 32);
  std::string tics;
  for (std::size_t i = 0; i < names.size(); i += step)
    tics += (tics.empty() ? "" : ", ") + gq(names[i]) + " " + std::to_string(i);
  return "set " + axis + "tics (" + tics + ")" + (axis == "x" ? " rotate by 90 right" : "") + "\n";
}

void matrix_commands(std::ostringstream& s, const Panel& panel, std::size_t k) {
  const std::size_t w = panel.rows.empty() ? 1 : panel.rows.front().size(), h = panel.rows.size();
  s << "$m" << k << " << EOD\n";
  for (const auto& row : panel.rows) {
    for (std::size_t i = 0; i < row.size(); ++i)
      s << (i ? " " : "") << (std::isnan(row[i]) ? std::string("NaN") : text_of(row[i]));
    s << "\n";
  }
  // Row 0 at the top, as in the platform's picture; the hatching shows through
  // the cells of no link (NaN).
  s << "EOD\n";
  bool holes = false;
  for (const auto& row : panel.rows)
    for (double v : row) holes = holes || std::isnan(v);
  if (holes)
    s << "set object 1 rectangle from graph 0,0 to graph 1,1 behind fillcolor rgb \"#777777\" fillstyle pattern 2\n";
  else
    s << "unset object 1\n";
  s << "unset key\nset colorbox\nset cblabel \"utilisation, %\"\n"
    << "set xrange [-0.5:" << w - 0.5 << "]\nset yrange [" << h - 0.5 << ":-0.5]\n"
    << (panel.col_names.empty() ? integer_tics("x", w) : named_tics("x", panel.col_names))
    << (panel.row_names.empty() ? integer_tics("y", h) : named_tics("y", panel.row_names)) << "plot $m" << k
    << " matrix with image\n";
}

void bar_commands(std::ostringstream& s, const Panel& panel, std::size_t k) {
  double lo = 0, hi = 0;
  s << "$m" << k << " << EOD\n";
  for (const auto& row : panel.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) s << (i ? " " : "") << text_of(row[i]);
    s << "\n";
    lo = std::min(lo, row[0]);
    hi = std::max(hi, row[0]);
  }
  const double width = 0.8 / panel.series.size();
  // The key in the room above 100 %, where no bar reaches.
  s << "EOD\nunset object 1\nset key inside top center horizontal noenhanced\nunset colorbox\n"
    << "set style fill solid 0.9 noborder\nset boxwidth " << width << " absolute\nset xrange [" << lo - 1 << ":"
    << hi + 1 << "]\nset yrange [0:122]\nset ylabel \"utilisation, %\"\n"
    << integer_tics("x", static_cast<std::size_t>(hi) + 1) << "set ytics 0,20,100 format \"%g\"\nplot ";
  for (std::size_t i = 0; i < panel.series.size(); ++i) {
    const double shift = (i - (panel.series.size() - 1) / 2.0) * width;
    s << (i ? ", " : "") << "$m" << k << " using ($1 + " << shift << "):" << i + 2 << " with boxes title "
      << gq(panel.series[i]) << " " << colour(i);
  }
  s << "\n";
}

}  // namespace

std::string heatmap_script(const RunReport& r, const std::string& output) {
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
  const int width = static_cast<int>(std::min<std::size_t>(2400, 80 + 540 * cols));
  const int height = static_cast<int>(std::min<std::size_t>(2400, 90 + 430 * grid.size()));
  std::ostringstream s;
  s << terminal_for(output, "--heatmap", width, height) << "\nset output " << gq(output) << "\n"
    << "set multiplot layout " << grid.size() << "," << cols << " title "
    << gq("link utilisation (busy time / phase time) in layer " + std::to_string(slow->layer) + ", the slowest, of " +
          r.scenario_name + " on " + r.platform_name + (torus ? "; each cell the busier direction" : ""))
    << " noenhanced\n"
    << "set cbrange [0:100]\nset palette defined (0 '#f7fbff', 50 '#6baed6', 80 '#fd8d3c', 100 '#bd0026')\n"
    << "set tics out\nset tics nomirror\n";
  std::size_t k = 0;
  for (const auto& g : grid) {
    for (const auto& panel : g) {
      s << "set title " << gq(panel.title) << " noenhanced\nset xlabel " << gq(panel.xlabel)
        << " noenhanced\nset ylabel " << gq(panel.ylabel) << " noenhanced\n";
      s << "unset label\n";
      for (const auto& m : panel.marks)
        s << "set label " << gq(m.text) << " at " << text_of(m.x) << "," << text_of(m.y)
          << " center front noenhanced font \",9\" textcolor rgb \"#000000\"\n";
      if (panel.bars)
        bar_commands(s, panel, k++);
      else
        matrix_commands(s, panel, k++);
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

namespace {

// The colour of an operation's box, by what it does, and the legend's words.
struct OpStyle {
  const char* colour;
  const char* legend;
};
OpStyle op_style(OpKind k) {
  switch (k) {
    case OpKind::kDispatch: return {"#7b3294", "dispatch"};
    case OpKind::kCombine: return {"#d7191c", "combine"};
    case OpKind::kExperts:
    case OpKind::kExpertsUp:
    case OpKind::kExpertsDown: return {"#fdae61", "routed experts"};
    case OpKind::kShared: return {"#1a9641", "shared expert"};
    default: return {"#4e79a7", "attention, gate, output"};
  }
}

}  // namespace

std::string timeline_script(const RunReport& r, const std::string& output) {
  const LayerResult* slow = nullptr;
  for (const auto& l : r.layers)
    if (!slow || l.total_us() > slow->total_us()) slow = &l;
  if (!slow || !slow->overlapped)
    fail("--timeline", "", "this run has no overlap schedule to draw: give the scenario a compute section or overlap");
  const OverlapResult& o = slow->overlap;
  const std::size_t rows = 2 * o.micro_batches;
  const int height = static_cast<int>(190 + 70 * rows);
  std::ostringstream s;
  const std::string chip = o.busiest_chip < r.chip_names.size() ? r.chip_names[o.busiest_chip] : "a chip";
  s << terminal_for(output, "--timeline", 1400, height) << "\nset output " << gq(output) << "\n"
    << "set title " << gq("layer " + std::to_string(slow->layer) + " of " + r.scenario_name + " on " + r.platform_name +
                          " under " + r.schedule + ": " + format("%.1f us, %.0f%% of the transfers hidden", o.layer_us,
                                                                100 * o.overlap_efficiency) +
                          "\non " + chip + ", the chip with the most compute; dashed: the steps, which all chips end together")
    << " noenhanced\n"
    << "set xlabel \"time from the layer's start (us)\"\nset xrange [0:" << o.layer_us << "]\n"
    << "set yrange [" << rows << "-0.5:-0.5]\nset ytics (";
  for (std::size_t m = 0; m < o.micro_batches; ++m) {
    const std::string mb = o.micro_batches > 1 ? "micro-batch " + std::string(1, static_cast<char>('a' + m)) : "the batch";
    s << (m ? ", " : "") << gq(mb + ": compute") << " " << 2 * m << ", " << gq(mb + ": transfers") << " " << 2 * m + 1;
  }
  s << ") nomirror\nset xtics nomirror out\nset grid xtics\nset key outside bottom center horizontal maxcols 5 width 2\n"
    << "set style fill solid 0.9 border rgb \"#333333\"\n";
  int object = 1;
  for (const OpSpan& sp : o.spans) {
    if (sp.dur_us <= 0) continue;
    const double y = static_cast<double>(2 * sp.op.micro_batch + (is_comm(sp.op.kind) ? 1 : 0));
    s << "set object " << object++ << " rect from " << sp.start_us << "," << y - 0.35 << " to "
      << sp.start_us + sp.dur_us << "," << y + 0.35 << " fc rgb " << gq(op_style(sp.op.kind).colour)
      << " fs solid 0.9 border rgb \"#333333\"\n";
    if (sp.dur_us > 0.06 * o.layer_us)
      s << "set label " << gq(op_text(sp.op, o.micro_batches)) << " at " << sp.start_us + sp.dur_us / 2 << "," << y
        << " center front noenhanced font \",10\"\n";
  }
  double at = 0;
  for (std::size_t i = 0; i < o.step_us.size(); ++i) {
    s << "set arrow from " << at << "," << rows << "-0.5 to " << at << ",-0.5 nohead dt 2 lc rgb \"#555555\"\n"
      << "set label " << gq("step " + std::to_string(i + 1)) << " at " << at + o.step_us[i] / 2
      << ",-0.45 center front font \",9\"\n";
    at += o.step_us[i];
  }
  s << "plot";
  const OpKind kinds[] = {OpKind::kAttnCore, OpKind::kShared, OpKind::kExperts, OpKind::kDispatch, OpKind::kCombine};
  for (std::size_t i = 0; i < std::size(kinds); ++i)
    s << (i ? "," : "") << " NaN with boxes fc rgb " << gq(op_style(kinds[i]).colour) << " title "
      << gq(op_style(kinds[i]).legend);
  s << "\n";
  return s.str();
}

void write_timeline(const RunReport& report, const std::string& output) {
  pipe_to_program({"gnuplot"}, timeline_script(report, output), "--timeline",
                  "install it with apt-get install gnuplot-nox");
}

}  // namespace moesim
