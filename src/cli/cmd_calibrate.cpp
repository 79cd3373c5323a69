// moesim calibrate: a platform's calibration knobs fitted to measured latencies.
#include <iostream>
#include <memory>

#include "campaign/calibrate.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "util/process.hpp"

namespace moesim::cli {
namespace {

struct CalibrateCommand {
  CalibrateOptions calibrate;
  std::string out, json;
};

int calibrate_platform(CalibrateCommand o) {
  const bool piped = claims_stdout({{"--out", o.out}, {"--json", o.json}});
  o.calibrate.moesim = self_executable();
  const CalibrationResult r = calibrate(o.calibrate);
  write_output(o.out, r.platform_yaml, "--out");
  if (!piped) std::cout << calibrate_table(r.report) << "wrote " << o.out << "\n";
  if (!o.json.empty()) write_output(o.json, r.report.dump(2) + "\n", "--json");
  return 0;
}

}  // namespace

Body setup_calibrate(CLI::App& c) {
  auto o = std::make_shared<CalibrateCommand>();
  CalibrateOptions& calo = o->calibrate;
  c.add_option("scenario", calo.scenario, "Scenario the measurements describe (its platform is calibrated)")
      ->required();
  c.add_option("--measurements", calo.measurements, "CSV: scenario keys, phase, measured_us (one row a point)")
      ->required();
  c.add_option("--fit", calo.knobs, "Knob to fit: efficiency.<link class>, latency_us.<link class>, startup_us.<phase>, min_us.<phase>, per_message_us[.<link class>], per_peer_us[.<link class>] (repeatable)")
      ->required();
  c.add_option("--set", calo.sets, "Override a scenario key for every point, key=value (repeatable)");
  c.add_option("--holdout", calo.holdout, "A point kept out of the fit (repeatable; none: leave-one-out)");
  c.add_option("--out", o->out,
               "Write the calibrated platform YAML to this file ('-' for stdout, without the table)")
      ->required();
  c.add_option("--json", o->json, "Write the report as JSON to this file ('-' for stdout, without the table)");
  return [o] { return calibrate_platform(*o); };
}

}  // namespace moesim::cli
