// moesim run: a scenario file through its engine, a table on stdout and the
// outputs asked for (JSON, CSV, links, trace, heatmap, time line, SimGrid's Paje trace).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "campaign/plot.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "model/unused_settings.hpp"
#include "moesim/error.hpp"
#include "moesim/report.hpp"
#include "moesim/scenario.hpp"
#include "moesim/simulator.hpp"
#include "util/stop.hpp"

namespace moesim::cli {
namespace {

struct RunOptions {
  std::string scenario, engine, fidelity, seed, samples;
  std::vector<std::string> sets;
  std::string json, csv, links, trace, heatmap, timeline, paje;
  std::size_t jobs = std::max(1u, std::thread::hardware_concurrency());
  bool quiet = false;
};

// The scenario with the command line's edits, checked before any work.
Scenario scenario_of(const RunOptions& o) {
  std::vector<std::string> overrides = o.sets;
  if (!o.seed.empty()) overrides.push_back("seed=" + o.seed);
  if (!o.fidelity.empty()) overrides.push_back("simgrid.fidelity=" + o.fidelity);
  if (!o.samples.empty()) overrides.push_back("samples=" + o.samples);
  Scenario s = load_scenario(o.scenario, overrides);
  if (!o.engine.empty()) {
    auto e = enum_parse(kEngineNames, o.engine);
    if (!e) fail("--engine", "", not_one_of(kEngineNames, o.engine, "an engine"));
    s.engine = *e;
  }
  if (!o.heatmap.empty()) check_image_name(o.heatmap, "--heatmap");
  if (!o.timeline.empty()) check_image_name(o.timeline, "--timeline");
  // SimGrid's own count beside the routes', where it can make one.
  if (!o.links.empty() && simgrid_counts_link_bytes(s)) s.simgrid.link_load = true;
  if (!o.paje.empty()) {
    if (s.engine != Engine::kSimgrid) fail("--simgrid-trace", "", "needs the simgrid engine");
    for (const char* option : {"tracing:yes", "tracing/uncategorized:yes", "tracing/platform:yes"})
      s.simgrid.cfg.push_back(option);
    s.simgrid.cfg.push_back("tracing/filename:" + o.paje);
  }
  return s;
}

// A test hook (tests/cli/campaign.sh): with MOESIM_HOLD_DIR set, a run writes
// DIR/PID and waits until that file is removed or DIR/go exists, so that a test
// kills or interrupts runs in flight without a workload slow by design.
void hold_if_asked() {
  const char* dir = std::getenv("MOESIM_HOLD_DIR");
  if (dir == nullptr || *dir == '\0') return;
  const std::filesystem::path held = std::filesystem::path(dir) / std::to_string(getpid());
  std::ofstream(held).flush();
  while (std::filesystem::exists(held) && !std::filesystem::exists(std::filesystem::path(dir) / "go"))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

int run(const RunOptions& o) {
  exit_cleanly_on_stop_signals();
  hold_if_asked();
  const bool piped = claims_stdout({{"--json", o.json}, {"--csv", o.csv}, {"--links", o.links}, {"--trace", o.trace}});
  const Scenario s = scenario_of(o);
  const RunReport r = run_scenario_with_simgrid(s, RunControl{o.jobs, true});
  if (!piped) std::cout << to_table(r, TableOptions{!o.quiet});
  if (!o.json.empty()) write_output(o.json, to_json(r).dump(2) + "\n", "--json");
  if (!o.csv.empty()) write_output(o.csv, to_csv(r), "--csv");
  if (!o.links.empty()) write_output(o.links, links_csv(r), "--links");
  if (!o.trace.empty()) write_output(o.trace, to_trace(r).dump() + "\n", "--trace");
  if (!o.heatmap.empty()) write_heatmap(r, o.heatmap);
  if (!o.timeline.empty()) write_timeline(r, o.timeline);
  return 0;
}

}  // namespace

Body setup_run(CLI::App& c) {
  auto o = std::make_shared<RunOptions>();
  c.add_option("scenario", o->scenario, "Scenario YAML file")->required();
  c.add_option("--engine", o->engine, "simgrid (default), analytic or bound");
  c.add_option("--set", o->sets, "Edit the scenario before validation: key=value, e.g. deployment.ep=64");
  c.add_option("--seed", o->seed, "Seed of the routing models (same as --set seed=N)");
  c.add_option("--fidelity", o->fidelity,
               "ptask (fast, the default; its error against flow is measured) or flow (one comm per flow, the "
               "reference); same as --set simgrid.fidelity=...");
  c.add_option("-j,--jobs", o->jobs,
               "Layers replayed at once, each in a worker process, and layers of sampled traffic built and "
               "explained at once, each on a thread (default: the number of cores); the results do not depend on it")
      ->check(kPositive);
  c.add_flag("-q,--quiet", o->quiet,
             "Print the header and the summary only: no row per layer, no explanation of the slowest layer");
  c.add_option("--samples", o->samples, "Repeat the run with K seeds and report the spread (same as --set samples=K)");
  c.add_option("--json", o->json, "Write the full report as JSON to this file ('-' for stdout, without the table)");
  c.add_option("--csv", o->csv, "Write per-layer rows as CSV to this file ('-' for stdout)");
  c.add_option("--links", o->links, "Write every link's bytes, busy time and utilisation, per phase, as CSV ('-' for stdout)");
  c.add_option("--trace", o->trace, "Write a Chrome / Perfetto trace (JSON) of the run to this file ('-' for stdout)");
  c.add_option("--heatmap", o->heatmap, "Draw the slowest layer's link utilisation to this .png or .svg (gnuplot)");
  c.add_option("--timeline", o->timeline,
               "Draw the slowest layer's overlap time line (compute and transfers of each micro-batch) to this .png or .svg");
  c.add_option("--simgrid-trace", o->paje, "Let SimGrid write its own Paje trace to this file (simgrid engine)");
  return [o] { return run(*o); };
}

}  // namespace moesim::cli
