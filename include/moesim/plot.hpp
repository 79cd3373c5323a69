// Plots of a results database through gnuplot (Debian's gnuplot-nox).
#pragma once

#include <nlohmann/json.hpp>

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
  std::string title;
  std::vector<std::string> outputs;  // .png or .svg files
};

// The gnuplot script of a plot over the database's rows (`runs` and
// `layers` from ResultsDb) for one output file. Throws InputError naming the
// option at fault: an unknown column, a parameter that varies but is neither
// the x axis, a --by nor fixed by --where, no run left.
std::string plot_script(const nlohmann::json& runs, const nlohmann::json& layers,
                        const std::vector<std::string>& params, const PlotOptions& options,
                        const std::string& output);

// Throws InputError unless every output ends in .png or .svg.
void check_plot_outputs(const PlotOptions& options);

// Writes every output through gnuplot.
void plot(const nlohmann::json& runs, const nlohmann::json& layers, const std::vector<std::string>& params,
          const PlotOptions& options);

}  // namespace moesim
