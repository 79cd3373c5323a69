// moesim check: a scenario against measured latencies, nothing fitted.
#include <iostream>
#include <memory>

#include "campaign/check.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "util/process.hpp"

namespace moesim::cli {
namespace {

struct CheckCommand {
  CheckOptions check;
  std::string json;
};

int check_points(CheckCommand o) {
  const bool piped = claims_stdout({{"--json", o.json}});
  o.check.moesim = self_executable();
  const nlohmann::json report = check_measurements(o.check);
  if (!piped) std::cout << check_table(report);
  if (!o.json.empty()) write_output(o.json, report.dump(2) + "\n", "--json");
  return 0;
}

}  // namespace

Body setup_check(CLI::App& c) {
  auto o = std::make_shared<CheckCommand>();
  c.add_option("scenario", o->check.scenario, "Scenario the measurements describe")->required();
  c.add_option("--measurements", o->check.measurements, "CSV: scenario keys, phase, measured_us (one row a point)")
      ->required();
  c.add_option("--set", o->check.sets, "Override a scenario key for every point, key=value (repeatable)");
  c.add_option("--json", o->json, "Write the report as JSON to this file ('-' for stdout, without the table)");
  return [o] { return check_points(*o); };
}

}  // namespace moesim::cli
