// The moesim command line: run, bytes, platform, topo, compare, and campaigns
// (sweep, results, merge, plot).
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <thread>
#include <unistd.h>

#include "platform/analysis.hpp"
#include "engine/bound.hpp"
#include "engine/explain.hpp"
#include "moesim/bytes.hpp"
#include "campaign/calibrate.hpp"
#include "campaign/campaign.hpp"
#include "campaign/compare.hpp"
#include "moesim/error.hpp"
#include "platform/graph_io.hpp"
#include "cli/picture.hpp"
#include "moesim/platform.hpp"
#include "campaign/plot.hpp"
#include "campaign/results_db.hpp"
#include "moesim/report.hpp"
#include "moesim/run.hpp"
#include "moesim/scenario.hpp"
#include "moesim/simulator.hpp"
#include "campaign/sweep.hpp"
#include "util/units.hpp"

using namespace moesim;

namespace {

// CLI11's PositiveNumber prints its range as a 300-digit number.
const CLI::Validator kPositive(
    [](std::string& text) -> std::string {
      auto v = parse_uint(text);
      if (v && *v > 0) return "";
      return "'" + text + "' is not a positive integer";
    },
    "POSITIVE");

const char* const kPlatformFiles = "Platform: moesim YAML, Tier6 topology YAML, SimGrid XML, DOT (.dot, .gv) or GraphML";

void write_file(const std::string& path, const std::string& text, const std::string& flag) {
  std::ofstream out(path);
  if (!out) fail(flag, "", "cannot write '" + path + "'");
  out << text;
  if (!out) fail(flag, "", "error writing '" + path + "'");
}

void setup_logging(const std::string& level) {
  auto lv = spdlog::level::from_str(level);
  if (lv == spdlog::level::off && level != "off")
    fail("--log-level", "", "'" + level + "' is not a level (allowed: trace, debug, info, warn, error, off)");
  for (const char* name : {"run", "replay", "moesim"}) {
    auto logger = spdlog::stderr_color_mt(name);
    logger->set_level(lv);
    logger->set_pattern("[%n] %^%l%$: %v");
  }
}

void run_topo(const std::string& path, const std::string& scenario_path, std::size_t top, const std::string& json_path) {
  PlatformSpec spec = load_platform_spec(path);
  Topology t = load_any_topology(spec);
  const TopologySummary s = summarize(spec, t);
  nlohmann::json j = {{"platform", {{"name", spec.name}, {"path", path}}},
                      {"chips", s.chips},
                      {"links", s.links},
                      {"directed_links", s.directed_links},
                      {"routing", s.routing},
                      {"diameter_hops", s.diameter_hops},
                      {"average_hops", s.average_hops},
                      {"max_route_latency_us", s.max_route_latency_us},
                      {"injection_Bps", {{"min", s.min_injection_Bps}, {"max", s.max_injection_Bps}}},
                      {"bisection_Bps", s.bisection_Bps},
                      {"bisection_method", s.bisection_method}};
  std::printf("platform %s: %zu chips, %zu links (%zu directed)\n", spec.name.c_str(), s.chips, s.links,
              s.directed_links);
  std::printf("routing: %s\n", s.routing.c_str());
  std::printf("diameter %zu hops, average %.4f hops, longest route latency %.3f us\n", s.diameter_hops,
              s.average_hops, s.max_route_latency_us);
  std::printf("injection bandwidth per chip: %.1f .. %.1f GB/s\n", s.min_injection_Bps / 1e9, s.max_injection_Bps / 1e9);
  std::printf("bisection bandwidth: %.1f GB/s one way (%s)\n", s.bisection_Bps / 1e9, s.bisection_method.c_str());
  if (!scenario_path.empty()) {
    Scenario sc = load_scenario(scenario_path, {"platform=" + path});
    const LayerTraffic traffic = first_layer_traffic(sc, t);
    nlohmann::json phases = nlohmann::json::array();
    for (const Phase& p : traffic.phases) {
      const PhaseResult b = bound_phase(t, p);
      std::printf("%s of %s (layer 0): %zu flows, %llu B on the network, lower bound %.3f us\n",
                  phase_name(p.kind).c_str(), sc.name.c_str(), p.flows.size(),
                  static_cast<unsigned long long>(p.network_bytes), b.latency_us);
      nlohmann::json links = nlohmann::json::array();
      for (const LinkLoad& l : top_links(t, p, top)) {
        std::printf("  %-28s %14.0f B  %10.3f us\n", l.link.c_str(), l.bytes, l.drain_us);
        links.push_back({{"link", l.link}, {"bytes", l.bytes}, {"drain_us", l.drain_us}});
      }
      phases.push_back({{"phase", phase_name(p.kind)},
                        {"flows", p.flows.size()},
                        {"network_bytes", p.network_bytes},
                        {"bound_us", b.latency_us},
                        {"top_links", links}});
    }
    j["scenario"] = {{"name", sc.name}, {"path", scenario_path}, {"phases", phases}};
  }
  if (!json_path.empty()) write_file(json_path, j.dump(2) + "\n", "--json");
}

// Writes text to a file, or to stdout for "-".
void write_output(const std::string& path, const std::string& text, const std::string& flag) {
  if (path == "-") std::cout << text;
  else write_file(path, text, flag);
}

int run_sweep(const std::string& path, CampaignOptions o, bool slurm, std::size_t shards,
              const std::vector<std::string>& sbatch_args) {
  const Sweep sweep = load_sweep(path);
  if (o.db_path.empty()) o.db_path = sweep.name + ".db";
  o.moesim = self_executable();
  if (!slurm && !sbatch_args.empty())
    fail("sweep", "", "unexpected arguments '" + sbatch_args.front() + "' (sbatch options go after --slurm --)");
  if (slurm) {
    SlurmOptions so;
    so.db_path = o.db_path;
    so.moesim = o.moesim;
    so.shards = shards ? shards : std::min<std::size_t>(sweep.runs.size(), 64);
    so.cpus = o.jobs;
    so.sbatch_args = sbatch_args;
    if (so.shards > sweep.runs.size())
      fail("--shards", "", std::to_string(so.shards) + " shards for " + std::to_string(sweep.runs.size()) + " runs");
    const auto [script, out] = submit_slurm(sweep, so);
    std::string job = out;
    while (!job.empty() && (job.back() == '\n' || job.back() == '\r')) job.pop_back();
    std::cout << "submitted " << script << " as Slurm job " << job << ": " << so.shards << " shards of "
              << sweep.name << " (" << sweep.runs.size() << " runs)\n";
    std::vector<std::string> dbs;
    for (std::size_t i = 0; i < so.shards; ++i) dbs.push_back(shard_db_path(o.db_path, i, so.shards));
    const bool waited = std::find(sbatch_args.begin(), sbatch_args.end(), "--wait") != sbatch_args.end() ||
                        std::find(sbatch_args.begin(), sbatch_args.end(), "-W") != sbatch_args.end();
    if (!waited) {
      std::cout << "when it is done: moesim merge " << o.db_path;
      for (const auto& d : dbs) std::cout << " " << d;
      std::cout << "\n";
      return 0;
    }
    ResultsDb db(o.db_path);
    std::size_t added = 0;
    for (const auto& d : dbs) added += db.merge_from(d);
    std::cout << "merged " << added << " runs from " << dbs.size() << " shard databases into " << o.db_path << "\n";
    std::size_t failed = 0;
    for (const auto& r : db.runs()) failed += r["campaign"] == sweep.name && r["status"] == "failed";
    if (failed) std::cerr << "moesim sweep: " << failed << " runs failed (moesim results " << o.db_path << ")\n";
    return failed ? 1 : 0;
  }
  const CampaignTally t = run_campaign(sweep, o);
  if (o.dry_run) return 0;
  std::cout << "campaign " << sweep.name << ": " << t.total << " runs, " << t.recorded << " already in " << o.db_path
            << "; this time " << t.ok << " ok, " << t.failed << " failed, " << t.skipped << " skipped";
  if (t.lost) std::cout << ", " << t.lost << " stopped before the end";
  std::cout << "\n";
  if (t.failed) {
    std::size_t shown = 0;
    for (const auto& r : ResultsDb(o.db_path).runs())
      if (r["status"] == "failed" && r["campaign"] == sweep.name && shown++ < 5)
        std::cerr << "moesim sweep: failed: " << r["name"].get<std::string>() << ": "
                  << (r["error"].is_string() ? r["error"].get<std::string>() : "") << "\n";
  }
  if (t.interrupted) return 130;
  return t.failed || t.lost ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"moesim: simulate the all-to-all traffic of MoE layers on a chip network (SimGrid)"};
  app.set_version_flag("--version", std::string(MOESIM_VERSION));
  app.require_subcommand(1);
  app.fallthrough();  // --log-level also after the subcommand
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")->capture_default_str();

  // moesim run
  auto* run = app.add_subcommand("run", "Run a scenario file and print per-layer latency");
  std::string scenario_path, engine, json_path, csv_path;
  std::vector<std::string> sets;
  run->add_option("scenario", scenario_path, "Scenario YAML file")->required();
  run->add_option("--engine", engine, "simgrid (default), analytic or bound");
  run->add_option("--set", sets, "Edit the scenario before validation: key=value, e.g. deployment.ep=64");
  std::string seed, samples;
  run->add_option("--seed", seed, "Seed of the routing models (same as --set seed=N)");
  std::string fidelity;
  run->add_option("--fidelity", fidelity, "flow (one comm per flow, the default) or ptask (fast; same as --set simgrid.fidelity=...)");
  run->add_option("--samples", samples, "Repeat the run with K seeds and report the spread (same as --set samples=K)");
  run->add_option("--json", json_path, "Write the full report as JSON to this file");
  run->add_option("--csv", csv_path, "Write per-layer rows as CSV to this file");
  std::string links_path, trace_path, paje_path;
  run->add_option("--links", links_path, "Write every link's bytes, busy time and utilisation, per phase, as CSV");
  run->add_option("--trace", trace_path, "Write a Chrome / Perfetto trace (JSON) of the run to this file");
  std::string heatmap_path;
  run->add_option("--heatmap", heatmap_path, "Draw the slowest layer's link utilisation to this .png or .svg (gnuplot)");
  run->add_option("--simgrid-trace", paje_path, "Let SimGrid write its own Paje trace to this file (simgrid engine)");

  // moesim bytes
  auto* bytes = app.add_subcommand("bytes", "Print the byte-count model of one MoE layer");
  ByteModelInput in;
  std::string precision = "W8A8", dispatch_dtype, combine_dtype, bytes_json_path;
  bytes->add_option("--hidden-dim", in.hidden_dim, "Hidden size")->required()->check(kPositive);
  bytes->add_option("--topk", in.topk, "Activated experts per token")->required()->check(kPositive);
  bytes->add_option("--ep", in.ep, "Expert parallelism")->required()->check(kPositive);
  bytes->add_option("--global-batch", in.global_batch, "Global batch")->required()->check(kPositive);
  bytes->add_option("--seq-len", in.seq_len, "Sequence length")->default_val(1)->check(kPositive);
  bytes->add_option("--moe-tp", in.moe_tp, "MoE tensor parallelism")->default_val(1)->check(kPositive);
  bytes->add_option("--precision", precision, "W8A8 (default) or W16A16")->capture_default_str();
  bytes->add_option("--dispatch-dtype", dispatch_dtype, "Override: fp8, int8, bf16, fp16, fp32");
  bytes->add_option("--combine-dtype", combine_dtype, "Override: fp8, int8, bf16, fp16, fp32");
  bytes->add_option("--json", bytes_json_path, "Write the result as JSON to this file");

  // moesim platform
  auto* platform = app.add_subcommand("platform", "Describe a platform, or write it as SimGrid XML, DOT, GraphML or a picture");
  std::string platform_path, xml_path, dot_path, graphml_path, picture_path;
  platform->add_option("file", platform_path, kPlatformFiles)->required();
  auto* xml_opt = platform->add_option("--xml", xml_path, "Write the platform as SimGrid XML to this file ('-' for stdout)");
  auto* dot_opt = platform->add_option("--dot", dot_path, "Write its nodes and links as Graphviz DOT ('-' for stdout)");
  auto* graphml_opt = platform->add_option("--graphml", graphml_path, "Write its nodes and links as GraphML ('-' for stdout)");
  platform->add_option("--picture", picture_path, "Draw it with Graphviz to this .svg, .png or .pdf file");

  // moesim topo
  auto* topo = app.add_subcommand("topo", "Analyse a platform without simulating (and a scenario's link load)");
  std::string topo_path, topo_scenario, topo_json;
  std::size_t topo_top = 5;
  topo->add_option("platform", topo_path, kPlatformFiles)->required();
  topo->add_option("--scenario", topo_scenario, "Also load the links with this scenario's first layer");
  topo->add_option("--top", topo_top, "How many of the most loaded links to list")->capture_default_str();
  topo->add_option("--json", topo_json, "Write the analysis as JSON to this file");

  // moesim compare
  auto* cmp = app.add_subcommand("compare", "One scenario on several platforms or variants, side by side");
  CompareOptions copt;
  std::string compare_json;
  cmp->add_option("scenario", copt.scenario, "Scenario YAML file")->required();
  cmp->add_option("--platform", copt.platforms, "A column on this platform (repeatable)");
  cmp->add_option("--set", copt.sets, "A column with these edits, k=v or k=v,k2=v2 (repeatable)");
  cmp->add_option("--all", copt.common, "An edit applied to every column, k=v (repeatable)");
  cmp->add_option("--engine", copt.engine, "simgrid (default), analytic or bound; bound and analytic always run too");
  cmp->add_option("--json", compare_json, "Write every column, layer by layer, as JSON to this file");

  // moesim sweep
  auto* sweep = app.add_subcommand("sweep", "Run a campaign: every run of a sweep file, in parallel, into a results database");
  std::string sweep_path, shard_text;
  CampaignOptions campaign;
  campaign.jobs = std::max(1u, std::thread::hardware_concurrency());
  bool slurm = false;
  std::size_t shards = 0;
  std::vector<std::string> sbatch_args;
  sweep->add_option("file", sweep_path, "Sweep YAML file")->required();
  sweep->add_option("--db", campaign.db_path, "Results database (SQLite; default: the sweep's name + .db)");
  sweep->add_option("-j,--jobs", campaign.jobs, "Runs at once (default: the number of cores)")->check(kPositive);
  sweep->add_flag("--dry-run", campaign.dry_run, "List the runs, their count and what is already recorded");
  sweep->add_flag("--retry-failed", campaign.retry_failed, "Run again the runs recorded as failed");
  sweep->add_option("--shard", shard_text, "Only shard i of N (runs i, i+N, ...), as i/N");
  sweep->add_flag("--slurm", slurm, "Submit the campaign as a Slurm job array (sbatch options after --)");
  sweep->add_option("--shards", shards, "Tasks of the Slurm job array (default: runs, at most 64)")->check(kPositive);
  sweep->add_option("sbatch", sbatch_args, "With --slurm: options for sbatch, after --");

  // moesim results
  auto* results = app.add_subcommand("results", "Print or export a results database");
  std::string results_db, results_csv, results_json;
  results->add_option("db", results_db, "Results database")->required();
  results->add_option("--csv", results_csv, "Write one row per run (parameters as columns) as CSV ('-' for stdout)");
  results->add_option("--json", results_json, "Write every run, with its layers, as JSON ('-' for stdout)");

  // moesim merge
  auto* merge = app.add_subcommand("merge", "Merge results databases (e.g. Slurm shards) into one");
  std::string merge_out;
  std::vector<std::string> merge_in;
  merge->add_option("out", merge_out, "Database to merge into (created if missing)")->required();
  merge->add_option("inputs", merge_in, "Databases to merge from")->required();

  // moesim plot
  auto* plot_cmd = app.add_subcommand("plot", "Plot a results database with gnuplot (PNG, SVG)");
  std::string plot_db;
  PlotOptions popt;
  plot_cmd->add_option("db", plot_db, "Results database")->required();
  plot_cmd->add_option("--x", popt.x, "Parameter on the x axis, e.g. deployment.ep");
  plot_cmd->add_option("--y", popt.y, "Result on the y axis (total_us_mean, dispatch_us_mean, combine_us_max, ...)")
      ->capture_default_str();
  plot_cmd->add_option("--by", popt.by, "One line per value of this parameter (repeatable)");
  plot_cmd->add_option("--where", popt.where, "Only runs with key=value (repeatable)");
  plot_cmd->add_option("--campaign", popt.campaign, "Only this campaign's runs");
  plot_cmd->add_option("--layers", popt.layers_of, "Instead: per-layer dispatch and combine bars of this run");
  plot_cmd->add_flag("--logx", popt.logx, "Logarithmic x axis (base 2)");
  plot_cmd->add_option("--title", popt.title, "Title (default: what is plotted)");
  plot_cmd->add_option("--out", popt.outputs, "Write to this .png or .svg file (repeatable)")->required();

  // moesim calibrate
  auto* cal = app.add_subcommand("calibrate", "Fit a platform's calibration knobs to measured latencies");
  CalibrateOptions calo;
  std::string cal_json;
  cal->add_option("scenario", calo.scenario, "Scenario the measurements describe (its platform is calibrated)")->required();
  cal->add_option("--measurements", calo.measurements, "CSV: scenario keys, phase, measured_us (one row a point)")
      ->required();
  cal->add_option("--fit", calo.knobs, "Knob to fit: efficiency.<link class> or startup_us.<phase> (repeatable)")
      ->required();
  cal->add_option("--holdout", calo.holdout, "A point kept out of the fit (repeatable; none: leave-one-out)");
  cal->add_option("--out", calo.out, "Write the calibrated platform YAML to this file")->required();
  cal->add_option("--json", cal_json, "Write the report as JSON to this file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "moesim: error: " << e.what() << " (see moesim --help)\n";
    return 2;
  }

  try {
    setup_logging(log_level);
    if (*run) {
      std::vector<std::string> overrides = sets;
      if (!seed.empty()) overrides.push_back("seed=" + seed);
      if (!fidelity.empty()) overrides.push_back("simgrid.fidelity=" + fidelity);
      if (!samples.empty()) overrides.push_back("samples=" + samples);
      Scenario s = load_scenario(scenario_path, overrides);
      if (!engine.empty()) {
        auto e = enum_parse(kEngineNames, engine);
        if (!e) fail("--engine", "", not_one_of(kEngineNames, engine, "an engine"));
        s.engine = *e;
      }
      if (!heatmap_path.empty()) check_image_name(heatmap_path, "--heatmap");  // before the run
      if (!links_path.empty()) s.simgrid.link_load = true;  // SimGrid's own count beside the routes'
      if (!paje_path.empty()) {
        if (s.engine != Engine::kSimgrid) fail("--simgrid-trace", "", "needs the simgrid engine");
        for (const char* o : {"tracing:yes", "tracing/uncategorized:yes", "tracing/platform:yes"})
          s.simgrid.cfg.push_back(o);
        s.simgrid.cfg.push_back("tracing/filename:" + paje_path);
      }
      RunReport r = run_scenario_with_simgrid(s);
      std::cout << to_table(r);
      if (!json_path.empty()) write_file(json_path, to_json(r).dump(2) + "\n", "--json");
      if (!csv_path.empty()) write_file(csv_path, to_csv(r), "--csv");
      if (!links_path.empty()) write_file(links_path, links_csv(r), "--links");
      if (!trace_path.empty()) write_file(trace_path, to_trace(r).dump() + "\n", "--trace");
      if (!heatmap_path.empty()) write_heatmap(r, heatmap_path);
    } else if (*bytes) {
      auto p = precision_by_name(precision);
      if (!p) fail("--precision", "", "'" + precision + "' is not a precision (allowed: W8A8, W16A16)");
      for (auto [text, slot] : {std::pair{&dispatch_dtype, &p->dispatch}, std::pair{&combine_dtype, &p->combine}}) {
        if (text->empty()) continue;
        auto t = parse_dtype(*text);
        if (!t) fail("--" + std::string(slot == &p->dispatch ? "dispatch" : "combine") + "-dtype", "",
                     "'" + *text + "' is not a dtype (allowed: fp8, int8, bf16, fp16, fp32)");
        *slot = *t;
        p->name = "custom";
      }
      in.precision = *p;
      LayerBytes b = layer_bytes(in);
      std::cout << "precision " << p->name << " (dispatch " << dtype_name(p->dispatch) << ", combine "
                << dtype_name(p->combine) << ")\n"
                << "tokens_per_ep_group " << b.tokens_per_ep_group << "\n"
                << "dispatch_bytes " << b.dispatch_bytes << "\n"
                << "combine_bytes " << b.combine_bytes << "\n";
      if (!bytes_json_path.empty()) {
        nlohmann::json j = {{"input",
                             {{"hidden_dim", in.hidden_dim}, {"topk", in.topk}, {"ep", in.ep},
                              {"global_batch", in.global_batch}, {"seq_len", in.seq_len}, {"moe_tp", in.moe_tp},
                              {"precision", p->name}}},
                            {"bytes", bytes_json(b)}};
        write_file(bytes_json_path, j.dump(2) + "\n", "--json");
      }
    } else if (*cmp) {
      if (!enum_parse(kEngineNames, copt.engine))
        fail("--engine", "", not_one_of(kEngineNames, copt.engine, "an engine"));
      char self[4096];
      const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
      copt.binary = len > 0 ? std::string(self, static_cast<std::size_t>(len)) : std::string(argv[0]);
      const nlohmann::json r = compare(copt);
      std::cout << compare_table(r);
      if (!compare_json.empty()) write_file(compare_json, r.dump(2) + "\n", "--json");
    } else if (*cal) {
      calo.moesim = self_executable();
      const nlohmann::json r = calibrate(calo);
      std::cout << calibrate_table(r) << "wrote " << calo.out << "\n";
      if (!cal_json.empty()) write_file(cal_json, r.dump(2) + "\n", "--json");
    } else if (*sweep) {
      if (!shard_text.empty()) campaign.shard = parse_shard(shard_text);
      return run_sweep(sweep_path, campaign, slurm, shards, sbatch_args);
    } else if (*results) {
      ResultsDb db(results_db, false);
      const nlohmann::json runs = db.runs();
      if (!results_csv.empty()) write_output(results_csv, runs_csv(runs, db.param_columns()), "--csv");
      if (!results_json.empty()) {
        nlohmann::json j = {{"runs", runs}, {"layers", db.layers()}, {"parameters", db.param_columns()}};
        write_output(results_json, j.dump(2) + "\n", "--json");
      }
      if (results_csv.empty() && results_json.empty()) {
        std::map<std::string, std::map<std::string, std::size_t>> tally;  // campaign -> status -> runs
        for (const auto& r : runs) tally[r["campaign"].is_string() ? r["campaign"].get<std::string>() : ""][r["status"]]++;
        std::cout << results_db << ": " << runs.size() << " runs\n";
        for (const auto& [c, by] : tally) {
          std::cout << "  campaign " << c << ":";
          for (const auto& [status, n] : by) std::cout << " " << n << " " << status;
          std::cout << "\n";
        }
        for (const auto& r : runs)
          if (r["status"] == "failed")
            std::cout << "  failed: " << r["name"].get<std::string>() << ": " << r["error"].get<std::string>() << "\n";
      }
    } else if (*merge) {
      for (const auto& in : merge_in) ResultsDb check(in, false);  // before creating the output
      ResultsDb db(merge_out);
      for (const auto& in : merge_in) {
        const std::size_t added = db.merge_from(in);
        std::cout << "merged " << added << " new runs from " << in << "\n";
      }
      std::cout << merge_out << ": " << db.runs().size() << " runs\n";
    } else if (*plot_cmd) {
      check_plot_outputs(popt);  // a bad file name before any work
      ResultsDb db(plot_db, false);
      plot(db.runs(), db.layers(), db.param_columns(), popt);
      for (const auto& out : popt.outputs) std::cout << "wrote " << out << "\n";
    } else if (*topo) {
      run_topo(topo_path, topo_scenario, topo_top, topo_json);
    } else if (*platform) {
      PlatformSpec spec = load_platform_spec(platform_path);
      Topology t = load_any_topology(spec);
      bool to_stdout = false;
      auto emit = [&](const CLI::Option* opt, const std::string& path, const char* flag, auto writer) {
        if (!*opt) return;
        if (path == "-") {
          if (to_stdout) fail(flag, "", "only one export can go to stdout ('-')");
          to_stdout = true;
          std::cout << writer(t);
        } else {
          write_file(path, writer(t), flag);
        }
      };
      emit(xml_opt, xml_path, "--xml", to_simgrid_xml);
      emit(dot_opt, dot_path, "--dot", write_dot);
      emit(graphml_opt, graphml_path, "--graphml", write_graphml);
      if (!picture_path.empty()) render_picture(t, picture_path);
      if (!to_stdout) {
        const CommParams c = resolved_comm_params(spec, t);
        std::cout << "platform " << spec.name << ": " << t.num_chips() << " chips, " << t.num_physical_links()
                  << " links (" << t.links.size() << " directed)\n"
                  << "analytic: inter_bw " << c.inter_bw_Bps / 1e9 << " GB/s, c2c_bw " << c.c2c_bw_Bps / 1e9
                  << " GB/s, bandwidth_utilization " << c.bandwidth_utilization << "\n";
      }
    }
  } catch (const InputError& e) {
    // One line, whatever a library put in the message.
    std::string what = e.what();
    for (char& c : what)
      if (c == '\n') c = ' ';
    std::cerr << "moesim: error: " << what << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "moesim: error: internal error (please report): " << e.what() << "\n";
    return 3;
  }
  return 0;
}
