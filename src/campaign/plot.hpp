// Plots of a results database through gnuplot (Debian's gnuplot-nox).
#pragma once

#include <nlohmann/json.hpp>

#include "moesim/result.hpp"

#include <string>
#include <vector>

namespace moesim {

struct PlotOptions {
  std::string x;                   // a parameter column, e.g. deployment.ep
  std::string y = "total_us_mean";  // a result column
  std::vector<std::string> by;     // one line per value (tuple) of these parameters
  std::vector<std::string> where;  // key=value filters
  std::string campaign;            // only this campaign's runs
  std::string layers_of;           // instead: per-layer bars of the run with this name
  bool logx = false;
  // Percentiles (e.g. 50 95 99): the runs at each x (and --by value) are
  // many draws, every other parameter that varies among them (seeds) taken
  // together; a line per percentile.
  std::vector<double> quantiles;
  std::string title;
  std::vector<std::string> outputs;  // .png or .svg files
};

// The gnuplot script of a plot over the database's rows (`runs` and
// `layers` from ResultsDb) for one output file: a line per --by value over
// a numeric x, grouped bars over categories (platform names); known columns
// get words and units on the axes. Throws InputError naming the
// option at fault: an unknown column, a parameter that varies but is neither
// the x axis, a --by nor fixed by --where, no run left.
std::string plot_script(const nlohmann::json& runs, const nlohmann::json& layers,
                        const std::vector<std::string>& params, const PlotOptions& options,
                        const std::string& output);

// Throws InputError naming `flag` unless the path ends in .png or .svg.
void check_image_name(const std::string& path, const std::string& flag);
// Throws InputError unless every output ends in .png or .svg.
void check_plot_outputs(const PlotOptions& options);

// A heatmap of link utilisation (%) in the slowest layer, one row of panels
// per phase: for a torus one panel per dimension (each chip's link along it,
// the busier direction; chips as x across, the other dimensions down), else
// one panel per link class: chip-to-switch links as bars by chip (a bar per
// direction), links between other nodes as a from x to matrix with the
// nodes named. Throws InputError for a bad output name or a run without
// per-link bytes.
std::string heatmap_script(const RunReport& report, const std::string& output);
void write_heatmap(const RunReport& report, const std::string& output);

// The time line of an overlapped run's slowest layer on the chip with the
// most compute: a row for each micro-batch's compute and one for its
// transfers, a box per operation (coloured by kind, named where it fits),
// the steps' boundaries dashed. Throws InputError for a bad output name or
// a run without an overlap schedule.
std::string timeline_script(const RunReport& report, const std::string& output);
void write_timeline(const RunReport& report, const std::string& output);

// Writes every output through gnuplot.
void plot(const nlohmann::json& runs, const nlohmann::json& layers, const std::vector<std::string>& params,
          const PlotOptions& options);

}  // namespace moesim
