// moesim compare: one scenario on several platforms or variants, side by side.
#include <iostream>
#include <memory>

#include "campaign/compare.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "moesim/error.hpp"
#include "moesim/scenario.hpp"
#include "util/process.hpp"

namespace moesim::cli {
namespace {

struct CompareCommand {
  CompareOptions compare;
  std::string json;
};

int compare_runs(CompareCommand o) {
  const bool piped = claims_stdout({{"--json", o.json}});
  if (!enum_parse(kEngineNames, o.compare.engine))
    fail("--engine", "", not_one_of(kEngineNames, o.compare.engine, "an engine"));
  // Each column's run is given --engine, which wins over a scenario key: an
  // engine= edit would be silently ignored.
  for (const auto& [option, edits] : {std::make_pair("--all", &o.compare.common), std::make_pair("--set", &o.compare.sets)})
    for (const std::string& e : *edits)
      if (e.rfind("engine=", 0) == 0 || e.find(",engine=") != std::string::npos)
        fail(option, "engine", "'" + e + "': compare picks the engine with --engine (e.g. --engine bound), not an edit");
  o.compare.binary = self_executable();
  const nlohmann::json r = compare(o.compare);
  if (!piped) std::cout << compare_table(r);
  if (!o.json.empty()) write_output(o.json, r.dump(2) + "\n", "--json");
  return 0;
}

}  // namespace

Body setup_compare(CLI::App& c) {
  auto o = std::make_shared<CompareCommand>();
  CompareOptions& copt = o->compare;
  c.add_option("scenario", copt.scenario, "Scenario YAML file")->required();
  c.add_option("--platform", copt.platforms, "A column on this platform (repeatable)");
  c.add_option("--set", copt.sets, "A column with these edits, k=v or k=v,k2=v2 (repeatable)");
  c.add_option("--all", copt.common, "An edit applied to every column, k=v (repeatable)");
  c.add_option("--engine", copt.engine, "simgrid (default), analytic or bound; bound and analytic always run too");
  c.add_option("--json", o->json, "Write every column, layer by layer, as JSON to this file ('-' for stdout)");
  return [o] { return compare_runs(*o); };
}

}  // namespace moesim::cli
