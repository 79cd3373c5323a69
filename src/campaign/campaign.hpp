// Running a sweep: each run in its own `moesim run` process (SimGrid allows
// one engine per process), N at a time, results into the SQLite database as
// each run ends. Runs already recorded are skipped, so a campaign that was
// interrupted (Ctrl-C, a killed worker, a crash) continues where it stopped.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "campaign/results_db.hpp"
#include "campaign/sweep.hpp"

namespace moesim {

// A run ready to start: its key, its expanded scenario, and whether it can
// run at all (a scenario that does not load, or does not fit with unfit: skip).
struct PreparedRun {
  SweepRun run;
  std::string key;
  std::string scenario_yaml;
  std::optional<RunStatus> status;  // none: to run; kFailed: invalid; kSkipped: unfit
  std::string error;
};
std::vector<PreparedRun> prepare_runs(const Sweep& sweep, const std::vector<SweepRun>& runs);

struct CampaignOptions {
  std::string db_path;
  std::string moesim;  // the binary each run starts
  unsigned jobs = 1;
  bool retry_failed = false;
  bool dry_run = false;
  Shard shard;
};

struct CampaignTally {
  std::size_t total = 0;     // runs in this shard
  std::size_t recorded = 0;  // already in the database, skipped
  std::size_t ok = 0, failed = 0, skipped = 0;
  std::size_t lost = 0;  // in flight when a worker was killed or the campaign stopped
  std::size_t elsewhere = 0;  // recorded by another process (a second sweep on the database) before their turn
  bool interrupted = false;
};

// Runs a sweep (or lists it, with dry_run). Progress goes to stderr: a bar
// on a terminal, a line every 10 s otherwise. Throws InputError for a bad
// database; failures of single runs are recorded, not thrown.
CampaignTally run_campaign(const Sweep& sweep, const CampaignOptions& options);

// Slurm: a job array of `shards` tasks, task i running shard i/shards of
// the sweep into its own database (shard_db_path), then `moesim merge`.
struct SlurmOptions {
  std::string db_path;
  std::string moesim;
  std::size_t shards = 1;
  unsigned cpus = 1;  // per task, the -j of each shard
  std::vector<std::string> sbatch_args;
};
std::string shard_db_path(const std::string& db_path, std::size_t index, std::size_t count);
// The job script.
std::string slurm_script(const Sweep& sweep, const SlurmOptions& options);
// Writes the script next to the database and submits it with sbatch;
// returns the script's path and sbatch's output.
std::pair<std::string, std::string> submit_slurm(const Sweep& sweep, const SlurmOptions& options);

// `moesim sweep --slurm`: submits the job array and says what to do next;
// when sbatch waits (--wait, -W), merges the shards into options.db_path and
// lists how many runs failed. Returns the command's exit code.
int run_slurm_campaign(const Sweep& sweep, const SlurmOptions& options, std::ostream& out, std::ostream& err);

// What a campaign did, a line on `out`, and its first failed runs on `err`.
// Returns the command's exit code: 130 if interrupted, 1 if runs failed or
// were lost, else 0.
int report_campaign(const Sweep& sweep, const CampaignOptions& options, const CampaignTally& tally,
                    std::ostream& out, std::ostream& err);

}  // namespace moesim
