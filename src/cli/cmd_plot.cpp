// moesim plot: a results database drawn with gnuplot.
#include <iostream>
#include <memory>

#include "campaign/plot.hpp"
#include "campaign/results_db.hpp"
#include "cli/command.hpp"

namespace moesim::cli {
namespace {

struct PlotCommand {
  std::string db;
  PlotOptions plot;
};

int plot_db(const PlotCommand& o) {
  check_plot_outputs(o.plot);  // a bad file name before any work
  ResultsDb db(o.db, ResultsDb::Mode::kRead);
  plot(db.runs(), db.layers(), db.param_columns(), o.plot);
  for (const auto& out : o.plot.outputs) std::cout << "wrote " << out << "\n";
  return 0;
}

}  // namespace

Body setup_plot(CLI::App& c) {
  auto o = std::make_shared<PlotCommand>();
  PlotOptions& p = o->plot;
  c.add_option("db", o->db, "Results database")->required();
  c.add_option("--x", p.x, "Parameter on the x axis, e.g. deployment.ep");
  c.add_option("--y", p.y, "Result on the y axis (total_us_mean, dispatch_us_mean, combine_us_max, ...)")
      ->capture_default_str();
  c.add_option("--by", p.by, "One line per value of this parameter (repeatable)");
  c.add_option("--where", p.where, "Only runs with key=value (repeatable)");
  c.add_option("--campaign", p.campaign, "Only this campaign's runs");
  c.add_option("--layers", p.layers_of, "Instead: per-layer dispatch and combine bars of this run");
  c.add_flag("--logx", p.logx, "Logarithmic x axis (base 2)");
  c.add_option("--quantiles", p.quantiles,
               "Percentiles (e.g. 50 95 99): a line per percentile of the runs at each x, other parameters (seeds) "
               "taken together")
      ->check(CLI::Range(0.0, 100.0).description("a percentile in (0, 100]"));
  c.add_option("--title", p.title, "Title (default: what is plotted)");
  c.add_option("--out", p.outputs, "Write to this .png or .svg file (repeatable)")->required();
  return [o] { return plot_db(*o); };
}

}  // namespace moesim::cli
