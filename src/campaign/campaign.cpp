#include "campaign/campaign.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "campaign/child_run.hpp"
#include "campaign/results_db.hpp"
#include "moesim/error.hpp"
#include "moesim/platform.hpp"
#include "moesim/scenario.hpp"
#include "util/files.hpp"
#include "util/process.hpp"
#include "util/progress.hpp"
#include "util/yaml_util.hpp"

namespace moesim {

namespace {

// An error about a value the sweep gave a run names the sweep file's line,
// not the --set the run received it by.
std::string in_sweep_terms(const Sweep& sweep, const std::string& error) {
  const auto at = error.find("--set ");
  if (at == std::string::npos) return error;
  const auto colon = error.find(": ", at);
  if (colon == std::string::npos) return error;
  const std::string key = error.substr(at + 6, colon - at - 6);
  for (const auto& k : sweep.keys)
    if (k.key == key)
      return error.substr(0, at) + k.where + error.substr(colon) + " (a value of the sweep's " + k.section + ")";
  return error;
}


volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

// While it lives, SIGINT and SIGTERM only set g_stop_signal; the handlers
// before are restored after.
class StopSignals {
 public:
  StopSignals() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    g_stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

// Progress on stderr: a redrawn bar on a terminal, a line every 10 s otherwise.
class Progress {
 public:
  explicit Progress(std::size_t total) : total_(total), tty_(isatty(STDERR_FILENO) == 1), start_(seconds_now()) {}
  void update(const CampaignTally& t, bool force = false) {
    const double elapsed = seconds_now() - start_;
    if (!force && elapsed - last_ < (tty_ ? 0.1 : 10.0)) return;
    last_ = elapsed;
    const std::size_t done = t.ok + t.failed + t.skipped + t.lost + t.elsewhere;
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    const double left = rate > 0 ? static_cast<double>(total_ - done) / rate : NAN;
    char line[256];
    if (tty_) {
      const int width = 24;
      const int fill = total_ ? static_cast<int>(width * done / total_) : width;
      std::string bar(static_cast<std::size_t>(fill), '#');
      bar.resize(width, '.');
      std::snprintf(line, sizeof line, "\r[%s] %zu/%zu  %zu failed  %.2f runs/s  %s left ", bar.c_str(), done,
                    total_, t.failed, rate, duration(left).c_str());
      std::cerr << line << std::flush;
    } else {
      std::snprintf(line, sizeof line, "moesim sweep: %zu/%zu runs done (%zu failed), %.2f runs/s, %s elapsed, %s left\n",
                    done, total_, t.failed, rate, duration(elapsed).c_str(), duration(left).c_str());
      std::cerr << line << std::flush;
    }
  }
  void finish(const CampaignTally& t) {
    update(t, true);
    if (tty_) std::cerr << "\n";
  }

 private:
  std::size_t total_;
  bool tty_;
  double start_, last_ = 0;
};

// The runs to do: those not recorded yet (with retry_failed, also those recorded as failed).
std::vector<const PreparedRun*> runs_to_do(const std::vector<PreparedRun>& prepared,
                                           const std::map<std::string, RunStatus>& recorded, bool retry_failed) {
  std::vector<const PreparedRun*> todo;
  for (const auto& p : prepared) {
    auto it = recorded.find(p.key);
    if (it == recorded.end() || (retry_failed && it->second == RunStatus::kFailed)) todo.push_back(&p);
  }
  return todo;
}

// --dry-run: every run and what is known of it, then the counts.
// Lists the runs; returns how many of those to do fail before they start.
std::size_t list_runs(const std::vector<PreparedRun>& prepared, const std::map<std::string, RunStatus>& recorded,
               std::size_t todo, const std::string& db_path) {
  for (const auto& p : prepared) {
    auto it = recorded.find(p.key);
    const std::string state = it != recorded.end() ? "recorded " + enum_name(kRunStatusNames, it->second)
                              : !p.status          ? "to run"
                                                   : enum_name(kRunStatusNames, *p.status) + ": " + p.error;
    std::cout << p.run.index << "\t" << p.run.name << "\t" << state << "\n";
  }
  std::size_t failing = 0;
  for (const auto& p : prepared)
    failing += !recorded.count(p.key) && p.status == RunStatus::kFailed;
  std::cout << prepared.size() << " runs (" << todo << " to do, " << prepared.size() - todo << " already in "
            << db_path << ")";
  if (failing) std::cout << "; " << failing << " of those to do will fail as written (\"failed:\" above)";
  std::cout << "\n";
  return failing;
}

// The runs of a campaign, `jobs` child processes at a time, each result
// recorded (one transaction) as its child ends. A stop signal stops the
// children; a run whose child was stopped or killed from outside is lost,
// not recorded, so a re-run does it.
class Workers {
 public:
  Workers(const Sweep& sweep, const CampaignOptions& o, ResultsDb& db, CampaignTally& tally)
      : sweep_(sweep), o_(o), db_(db), tally_(tally) {}
  // Left by an error (the database could not be written): no child outlives it.
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;
  void run(const std::vector<const PreparedRun*>& todo);

 private:
  struct Worker {
    const PreparedRun* run;
    ChildRun child;
    double started;
  };
  void start(const PreparedRun& p, std::size_t n);
  bool reap_one();
  void ended(const Worker& w, int wait_status);
  void record(const PreparedRun& p, RunStatus status, const std::string& error, double wall_s,
              const std::optional<RunSummary>& report);

  const Sweep& sweep_;
  const CampaignOptions& o_;
  ResultsDb& db_;
  CampaignTally& tally_;
  TempDir work_{"moesim-sweep"};
  std::map<pid_t, Worker> running_;
  std::vector<std::string> lost_names_;
};

Workers::~Workers() {
  for (const auto& [pid, w] : running_) kill(pid, SIGTERM);
  for (const auto& [pid, w] : running_) waitpid(pid, nullptr, 0);
}

void Workers::run(const std::vector<const PreparedRun*>& todo) {
  const StopSignals stop;
  Progress progress(todo.size());
  std::size_t next = 0;
  const unsigned jobs = std::max(1u, o_.jobs);
  while (next < todo.size() || !running_.empty()) {
    if (g_stop_signal && !tally_.interrupted) {
      tally_.interrupted = true;
      for (const auto& [pid, w] : running_) kill(pid, SIGTERM);
    }
    while (!tally_.interrupted && next < todo.size() && running_.size() < jobs) {
      start(*todo[next], next);
      ++next;
    }
    if (running_.empty()) {
      if (tally_.interrupted) break;
      continue;
    }
    if (!reap_one()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    progress.update(tally_);
  }
  if (!todo.empty()) progress.finish(tally_);
  for (const auto& name : lost_names_)
    std::cerr << "moesim sweep: " << name << ": stopped before it finished; not recorded, a re-run does it\n";
}

void Workers::start(const PreparedRun& p, std::size_t n) {
  // Another sweep on the same database may have recorded it since this one
  // began: it is done, not done twice.
  if (auto now = db_.status_of(p.key); now && !(o_.retry_failed && *now == RunStatus::kFailed)) {
    tally_.elsewhere++;
    return;
  }
  if (p.status) {  // invalid or unfit: recorded without a process
    record(p, *p.status, p.error, 0, std::nullopt);
    return;
  }
  const RunRequest request{o_.moesim, sweep_.base, "", p.run.overrides()};
  const ChildRun child = start_run(request, work_, std::to_string(n), "sweep");
  running_[child.pid] = Worker{&p, child, seconds_now()};
}

// Handles one child that ended, if any has; whether one had.
bool Workers::reap_one() {
  int status = 0;
  const pid_t pid = waitpid(-1, &status, WNOHANG);
  if (pid <= 0) return false;
  auto it = running_.find(pid);
  if (it == running_.end()) return true;
  const Worker w = it->second;
  running_.erase(it);
  ended(w, status);
  return true;
}

void Workers::ended(const Worker& w, int wait_status) {
  const double wall_s = seconds_now() - w.started;
  const RunOutcome outcome(w.child, wait_status);
  // After a stop signal, which reached the workers too, only a clean exit is
  // an answer: SimGrid turns SIGINT into exit(1).
  const bool stopped = g_stop_signal != 0;
  if ((stopped && !outcome.exited_ok()) || outcome.stopped_from_outside()) {
    tally_.lost++;
    lost_names_.push_back(w.run->run.name);
  } else if (outcome.ok()) {
    record(*w.run, RunStatus::kOk, "", wall_s, outcome.summary());
  } else {
    record(*w.run, RunStatus::kFailed, in_sweep_terms(sweep_, outcome.failure()), wall_s, std::nullopt);
  }
}

void Workers::record(const PreparedRun& p, RunStatus status, const std::string& error, double wall_s,
                     const std::optional<RunSummary>& report) {
  RunRecord r;
  r.key = p.key;
  r.campaign = sweep_.name;
  r.name = p.run.name;
  r.index = static_cast<std::int64_t>(p.run.index);
  r.status = status;
  r.error = error;
  r.params = p.run.params;
  r.scenario_yaml = p.scenario_yaml;
  r.wall_s = wall_s;
  r.report = report;
  db_.record(r);
  switch (status) {
    case RunStatus::kOk: tally_.ok++; break;
    case RunStatus::kFailed: tally_.failed++; break;
    case RunStatus::kSkipped: tally_.skipped++; break;
  }
}

}  // namespace

std::vector<PreparedRun> prepare_runs(const Sweep& sweep, const std::vector<SweepRun>& runs) {
  std::vector<PreparedRun> out;
  std::map<std::string, std::string> files;  // path -> contents, read once
  auto contents = [&](const std::string& path) -> const std::string& {
    auto it = files.find(path);
    if (it == files.end()) it = files.emplace(path, read_file(path)).first;
    return it->second;
  };
  try {  // a missing or broken base fails the whole sweep
    YamlDoc::load_file(sweep.base);
  } catch (const InputError& e) {
    throw InputError(std::string(e.what()) + " (the base of " + sweep.where_base + ")");
  }
  for (const auto& run : runs) {
    PreparedRun p;
    p.run = run;
    std::vector<std::string> file_texts;
    try {
      YamlDoc doc = YamlDoc::load_file(sweep.base);
      for (const auto& o : run.overrides()) doc.set(o);
      YAML::Emitter e;
      e << doc.root();
      p.scenario_yaml = e.c_str();
      const Scenario s = load_scenario(sweep.base, run.overrides());
      // A platform string is in the scenario's text already: it is its own key.
      if (!is_platform_string(s.platform_path)) file_texts.push_back(contents(s.platform_path));
      if (!s.trace_path.empty()) file_texts.push_back(contents(s.trace_path));
      const auto chips = platform_chips(s.platform);
      const std::uint64_t need = s.group_chips() * s.deployment.groups;
      if (sweep.skip_unfit && chips && need > *chips) {
        p.status = RunStatus::kSkipped;
        p.error = "needs " + std::to_string(need) + " chips, the platform has " + std::to_string(*chips);
      }
    } catch (const InputError& e) {
      p.status = RunStatus::kFailed;
      p.error = in_sweep_terms(sweep, e.what());
    }
    p.key = run_key(p.scenario_yaml.empty() ? run.name : p.scenario_yaml, file_texts);
    out.push_back(std::move(p));
  }
  return out;
}

CampaignTally run_campaign(const Sweep& sweep, const CampaignOptions& options) {
  const std::vector<PreparedRun> prepared = prepare_runs(sweep, shard_runs(sweep, options.shard));
  // A dry run reads the database if there is one, and creates none.
  const bool exists = access(options.db_path.c_str(), F_OK) == 0;
  std::unique_ptr<ResultsDb> db;
  if (!options.dry_run || exists)
    db = std::make_unique<ResultsDb>(options.db_path, options.dry_run ? ResultsDb::Mode::kRead : ResultsDb::Mode::kCreate);
  const auto recorded = db ? db->statuses() : std::map<std::string, RunStatus>{};
  const std::vector<const PreparedRun*> todo = runs_to_do(prepared, recorded, options.retry_failed);
  CampaignTally tally;
  tally.total = prepared.size();
  tally.recorded = prepared.size() - todo.size();
  if (options.dry_run) {
    tally.failed = list_runs(prepared, recorded, todo.size(), options.db_path);
    return tally;
  }
  Workers(sweep, options, *db, tally).run(todo);
  return tally;
}

std::string shard_db_path(const std::string& db_path, std::size_t index, std::size_t count) {
  std::string stem = db_path;
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".db") == 0) stem.resize(stem.size() - 3);
  return stem + ".shard-" + std::to_string(index) + "-of-" + std::to_string(count) + ".db";
}

namespace {

std::string absolute(const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) fail(path, "", "cannot read the current folder");
  return std::string(cwd) + "/" + path;
}

// A word for bash, in single quotes.
std::string sh(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string slurm_script(const Sweep& sweep, const SlurmOptions& o) {
  const std::string db = absolute(o.db_path);
  std::string stem = db;
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".db") == 0) stem.resize(stem.size() - 3);
  const std::string n = std::to_string(o.shards);
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# moesim campaign " << sweep.name << ": " << sweep.runs.size() << " runs in " << n << " shards.\n"
    << "# Written by moesim sweep --slurm; when every task is done:\n"
    << "#   moesim merge " << db << " " << stem << ".shard-*-of-" << n << ".db\n"
    << "#SBATCH --job-name=moesim-" << sweep.name << "\n"
    << "#SBATCH --array=0-" << o.shards - 1 << "\n"
    << "#SBATCH --cpus-per-task=" << o.cpus << "\n"
    << "#SBATCH --output=" << stem << ".slurm-%A_%a.out\n"
    << "set -uo pipefail\n"
    << "cd " << sh(absolute(".")) << "\n"
    << "# Exit status 1 means some runs failed: they are recorded, the task did its work.\n"
    << sh(o.moesim) << " sweep " << sh(absolute(sweep.path)) << " --shard \"${SLURM_ARRAY_TASK_ID}/" << n
    << "\" --db " << sh(stem) << "\".shard-${SLURM_ARRAY_TASK_ID}-of-" << n << ".db\" -j \"${SLURM_CPUS_PER_TASK:-"
    << o.cpus << "}\"\n"
    << "rc=$?\n"
    << "[[ $rc -eq 1 ]] && exit 0\n"
    << "exit $rc\n";
  return s.str();
}

std::pair<std::string, std::string> submit_slurm(const Sweep& sweep, const SlurmOptions& o) {
  std::string stem = o.db_path;
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".db") == 0) stem.resize(stem.size() - 3);
  const std::string script = stem + ".slurm.sh";
  {
    std::ofstream out(script);
    out << slurm_script(sweep, o);
    if (!out) fail("--slurm", "", "cannot write the job script '" + script + "'");
  }
  std::vector<std::string> args = {"sbatch", "--parsable"};
  args.insert(args.end(), o.sbatch_args.begin(), o.sbatch_args.end());
  args.push_back(script);
  return {script, run_program(args, "", "--slurm", "is Slurm installed (sbatch in PATH)?")};
}

int run_slurm_campaign(const Sweep& sweep, const SlurmOptions& so, std::ostream& out, std::ostream& err) {
  const auto [script, submitted] = submit_slurm(sweep, so);
  std::string job = submitted;
  while (!job.empty() && (job.back() == '\n' || job.back() == '\r')) job.pop_back();
  out << "submitted " << script << " as Slurm job " << job << ": " << so.shards << " shards of " << sweep.name
      << " (" << sweep.runs.size() << " runs)\n";
  std::vector<std::string> dbs;
  for (std::size_t i = 0; i < so.shards; ++i) dbs.push_back(shard_db_path(so.db_path, i, so.shards));
  const auto& args = so.sbatch_args;
  const bool waited =
      std::find(args.begin(), args.end(), "--wait") != args.end() || std::find(args.begin(), args.end(), "-W") != args.end();
  if (!waited) {
    out << "when it is done: moesim merge " << so.db_path;
    for (const auto& d : dbs) out << " " << d;
    out << "\n";
    return 0;
  }
  ResultsDb db(so.db_path);
  std::size_t added = 0;
  for (const auto& d : dbs) added += db.merge_from(d);
  out << "merged " << added << " runs from " << dbs.size() << " shard databases into " << so.db_path << "\n";
  std::size_t failed = 0;
  for (const auto& r : db.runs())
    failed += r["campaign"] == sweep.name && row_status(r, so.db_path) == RunStatus::kFailed;
  if (failed) err << "moesim sweep: " << failed << " runs failed (moesim results " << so.db_path << ")\n";
  return failed ? 1 : 0;
}

int report_campaign(const Sweep& sweep, const CampaignOptions& o, const CampaignTally& t, std::ostream& out,
                    std::ostream& err) {
  out << "campaign " << sweep.name << ": " << t.total << " runs, " << t.recorded << " already in " << o.db_path
      << "; this time " << t.ok << " ok, " << t.failed << " failed, " << t.skipped << " skipped";
  if (t.lost) out << ", " << t.lost << " stopped before the end";
  if (t.elsewhere) out << ", " << t.elsewhere << " recorded meanwhile by another process";
  out << "\n";
  if (t.failed) {
    std::size_t shown = 0;
    for (const auto& r : ResultsDb(o.db_path).runs())
      if (r["campaign"] == sweep.name && row_status(r, o.db_path) == RunStatus::kFailed && shown++ < 5)
        err << "moesim sweep: failed: " << r["name"].get<std::string>() << ": "
            << (r["error"].is_string() ? r["error"].get<std::string>() : "") << "\n";
  }
  if (t.interrupted) return 130;
  return t.failed || t.lost ? 1 : 0;
}

}  // namespace moesim
