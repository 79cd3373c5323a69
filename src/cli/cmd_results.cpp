// moesim results: a results database summarised, or exported as CSV or JSON.
#include <iostream>
#include <memory>

#include "campaign/quantiles.hpp"
#include "campaign/results_db.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "moesim/error.hpp"

namespace moesim::cli {
namespace {

struct ResultsOptions {
  std::string db, csv, json, quantiles;
  std::vector<std::string> by;
};

int results(const ResultsOptions& o) {
  claims_stdout({{"--csv", o.csv}, {"--json", o.json}});
  ResultsDb db(o.db, ResultsDb::Mode::kRead);
  const nlohmann::json runs = db.runs();
  if (!o.csv.empty()) write_output(o.csv, runs_csv(runs, db.param_columns()), "--csv");
  if (!o.json.empty()) {
    nlohmann::json j = {{"runs", runs}, {"layers", db.layers()}, {"parameters", db.param_columns()}};
    write_output(o.json, j.dump(2) + "\n", "--json");
  }
  if (!o.by.empty() && o.quantiles.empty()) fail("--by", "", "groups the runs for --quantiles COLUMN: name one");
  if (!o.quantiles.empty()) std::cout << quantile_table(runs, o.quantiles, o.by);
  if (o.csv.empty() && o.json.empty() && o.quantiles.empty()) std::cout << runs_summary(o.db, runs, db.param_columns());
  return 0;
}

}  // namespace

Body setup_results(CLI::App& c) {
  auto o = std::make_shared<ResultsOptions>();
  c.add_option("db", o->db, "Results database")->required();
  c.add_option("--csv", o->csv, "Write one row per run (parameters as columns) as CSV ('-' for stdout)");
  c.add_option("--json", o->json, "Write every run, with its layers, as JSON ('-' for stdout)");
  c.add_option("--quantiles", o->quantiles,
               "Print p50, p95 and p99 of this result column (e.g. slowdown) with 95% intervals");
  c.add_option("--by", o->by, "With --quantiles: a row per value of this parameter (repeatable)");
  return [o] { return results(*o); };
}

}  // namespace moesim::cli
