// moesim sweep: a campaign of runs, here in parallel or as a Slurm job array.
#include <algorithm>
#include <iostream>
#include <memory>
#include <thread>

#include "campaign/campaign.hpp"
#include "campaign/sweep.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "moesim/error.hpp"
#include "util/process.hpp"

namespace moesim::cli {
namespace {

struct SweepOptions {
  std::string path, shard;
  CampaignOptions campaign;
  bool slurm = false;
  std::size_t shards = 0;
  std::vector<std::string> sbatch_args;
};

int sweep(SweepOptions so) {
  CampaignOptions& o = so.campaign;
  if (!so.shard.empty()) o.shard = parse_shard(so.shard);
  const Sweep sweep = load_sweep(so.path);
  if (o.db_path.empty()) o.db_path = sweep.name + ".db";
  o.moesim = self_executable();
  if (!so.slurm && !so.sbatch_args.empty())
    fail("sweep", "", "unexpected arguments '" + so.sbatch_args.front() + "' (sbatch options go after --slurm --)");
  if (so.slurm) {
    SlurmOptions slurm;
    slurm.db_path = o.db_path;
    slurm.moesim = o.moesim;
    slurm.shards = so.shards ? so.shards : std::min<std::size_t>(sweep.runs.size(), 64);
    slurm.cpus = o.jobs;
    slurm.sbatch_args = so.sbatch_args;
    if (slurm.shards > sweep.runs.size())
      fail("--shards", "", std::to_string(slurm.shards) + " shards for " + std::to_string(sweep.runs.size()) + " runs");
    return run_slurm_campaign(sweep, slurm, std::cout, std::cerr);
  }
  const CampaignTally t = run_campaign(sweep, o);
  if (o.dry_run) return t.failed ? 1 : 0;
  return report_campaign(sweep, o, t, std::cout, std::cerr);
}

}  // namespace

Body setup_sweep(CLI::App& c) {
  auto o = std::make_shared<SweepOptions>();
  o->campaign.jobs = std::max(1u, std::thread::hardware_concurrency());
  c.add_option("file", o->path, "Sweep YAML file")->required();
  c.add_option("--db", o->campaign.db_path, "Results database (SQLite; default: the sweep's name + .db)");
  c.add_option("-j,--jobs", o->campaign.jobs, "Runs at once (default: the number of cores)")->check(kPositive);
  c.add_flag("--dry-run", o->campaign.dry_run, "List the runs, their count and what is already recorded");
  c.add_flag("--retry-failed", o->campaign.retry_failed, "Run again the runs recorded as failed");
  c.add_option("--shard", o->shard, "Only shard i of N (runs i, i+N, ...), as i/N");
  c.add_flag("--slurm", o->slurm, "Submit the campaign as a Slurm job array (sbatch options after --)");
  c.add_option("--shards", o->shards, "Tasks of the Slurm job array (default: runs, at most 64)")->check(kPositive);
  c.add_option("sbatch", o->sbatch_args, "With --slurm: options for sbatch, after --");
  return [o] { return sweep(*o); };
}

}  // namespace moesim::cli
