#include "campaign/campaign.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "moesim/error.hpp"
#include "moesim/platform.hpp"
#include "util/process.hpp"
#include "campaign/results_db.hpp"
#include "moesim/scenario.hpp"
#include "util/yaml_util.hpp"

extern char** environ;

namespace moesim {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

// Progress on stderr: a redrawn bar on a terminal, a line every 10 s otherwise.
class Progress {
 public:
  explicit Progress(std::size_t total) : total_(total), tty_(isatty(STDERR_FILENO) == 1), start_(now()) {}
  void update(const CampaignTally& t, bool force = false) {
    const double elapsed = now() - start_;
    if (!force && elapsed - last_ < (tty_ ? 0.1 : 10.0)) return;
    last_ = elapsed;
    const std::size_t done = t.ok + t.failed + t.skipped + t.lost;
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
  static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  std::size_t total_;
  bool tty_;
  double start_, last_ = 0;
};

struct Worker {
  const PreparedRun* run;
  std::string json, err;
  double started;
};

pid_t spawn(const std::vector<std::string>& args, const std::string& err_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // The child gets default SIGINT/SIGTERM handling, whatever the parent installed.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGINT);
  sigaddset(&def, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &def);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) fail(args[0], "", std::string("cannot start a run: ") + std::strerror(rc));
  return pid;
}

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
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
      file_texts.push_back(contents(s.platform_path));
      if (!s.trace_path.empty()) file_texts.push_back(contents(s.trace_path));
      const auto chips = platform_chips(s.platform);
      const std::uint64_t need = s.group_chips() * s.deployment.groups;
      if (sweep.skip_unfit && chips && need > *chips) {
        p.status = "skipped";
        p.error = "needs " + std::to_string(need) + " chips, the platform has " + std::to_string(*chips);
      }
    } catch (const InputError& e) {
      p.status = "failed";
      p.error = e.what();
    }
    p.key = run_key(p.scenario_yaml.empty() ? run.name : p.scenario_yaml, file_texts);
    out.push_back(std::move(p));
  }
  return out;
}

CampaignTally run_campaign(const Sweep& sweep, const CampaignOptions& options) {
  const std::vector<SweepRun> mine = shard_runs(sweep, options.shard);
  const std::vector<PreparedRun> prepared = prepare_runs(sweep, mine);
  // A dry run reads the database if there is one, and creates none.
  const bool exists = access(options.db_path.c_str(), F_OK) == 0;
  std::unique_ptr<ResultsDb> db_ptr;
  if (!options.dry_run || exists) db_ptr = std::make_unique<ResultsDb>(options.db_path);
  const auto recorded = db_ptr ? db_ptr->statuses() : std::map<std::string, std::string>{};
  CampaignTally tally;
  tally.total = prepared.size();
  std::vector<const PreparedRun*> todo;
  for (const auto& p : prepared) {
    auto it = recorded.find(p.key);
    const bool done = it != recorded.end() && !(options.retry_failed && it->second == "failed");
    if (done) tally.recorded++;
    else todo.push_back(&p);
  }
  if (options.dry_run) {
    for (const auto& p : prepared) {
      auto it = recorded.find(p.key);
      const std::string state = it != recorded.end() ? "recorded " + it->second
                                : p.status.empty()   ? "to run"
                                                     : p.status + ": " + p.error;
      std::cout << p.run.index << "\t" << p.run.name << "\t" << state << "\n";
    }
    std::cout << prepared.size() << " runs (" << todo.size() << " to do, " << tally.recorded
              << " already in " << options.db_path << ")\n";
    return tally;
  }

  auto record = [&](const PreparedRun& p, const std::string& status, const std::string& error, double wall,
                    const nlohmann::json& report) {
    RunRecord r;
    r.key = p.key;
    r.campaign = sweep.name;
    r.name = p.run.name;
    r.index = static_cast<std::int64_t>(p.run.index);
    r.status = status;
    r.error = error;
    r.params = p.run.params;
    r.scenario_yaml = p.scenario_yaml;
    r.wall_s = wall;
    r.report = report;
    db_ptr->record(r);
    (status == "ok" ? tally.ok : status == "failed" ? tally.failed : tally.skipped)++;
  };

  char dir_template[] = "/tmp/moesim-sweep.XXXXXX";
  if (!mkdtemp(dir_template)) fail("/tmp", "", std::string("cannot make a work folder: ") + std::strerror(errno));
  const std::string work = dir_template;

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {}, old_term {};
  g_stop_signal = 0;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  Progress progress(todo.size());
  std::map<pid_t, Worker> workers;
  std::size_t next = 0;
  std::vector<std::string> lost_names;
  const unsigned jobs = std::max(1u, options.jobs);
  while (next < todo.size() || !workers.empty()) {
    if (g_stop_signal && !tally.interrupted) {
      tally.interrupted = true;
      for (const auto& [pid, w] : workers) kill(pid, SIGTERM);
    }
    while (!tally.interrupted && next < todo.size() && workers.size() < jobs) {
      const PreparedRun& p = *todo[next];
      const std::string tag = work + "/" + std::to_string(next++);
      if (!p.status.empty()) {  // invalid or unfit: recorded without a process
        record(p, p.status, p.error, 0, nullptr);
        continue;
      }
      std::vector<std::string> args = {options.moesim, "run", sweep.base, "--json", tag + ".json"};
      for (const auto& o : p.run.overrides()) {
        args.push_back("--set");
        args.push_back(o);
      }
      const pid_t pid = spawn(args, tag + ".err");
      workers[pid] = Worker{&p, tag + ".json", tag + ".err", seconds_now()};
    }
    if (workers.empty()) {
      if (tally.interrupted) break;
      continue;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      progress.update(tally);
      continue;
    }
    auto it = workers.find(pid);
    if (it == workers.end()) continue;
    const Worker w = it->second;
    workers.erase(it);
    const double wall = seconds_now() - w.started;
    const std::string err = read_file(w.err);
    const bool stopped = g_stop_signal != 0;  // the signal reached the workers too
    if (stopped && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      // SimGrid turns SIGINT into exit(1): not an answer either.
      tally.lost++;
      lost_names.push_back(w.run->run.name);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      nlohmann::json report;
      try {
        report = nlohmann::json::parse(read_file(w.json));
        record(*w.run, "ok", "", wall, report);
      } catch (const nlohmann::json::exception& e) {
        record(*w.run, "failed", std::string("no readable report: ") + e.what(), wall, nullptr);
      }
    } else if (WIFEXITED(status)) {
      record(*w.run, "failed", last_line(err).empty() ? "exit status " + std::to_string(WEXITSTATUS(status))
                                                      : last_line(err),
             wall, nullptr);
    } else {
      const int sig = WTERMSIG(status);
      if (sig == SIGKILL || sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
        // Stopped from outside: not an answer. Not recorded, so a re-run does it.
        tally.lost++;
        lost_names.push_back(w.run->run.name);
      } else {
        std::string why = "crashed with signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
        if (!last_line(err).empty()) why += ": " + last_line(err);
        record(*w.run, "failed", why, wall, nullptr);
      }
    }
    std::remove(w.json.c_str());
    std::remove(w.err.c_str());
    progress.update(tally);
  }
  if (!todo.empty()) progress.finish(tally);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  rmdir(work.c_str());
  for (const auto& name : lost_names)
    std::cerr << "moesim sweep: " << name << ": stopped before it finished; not recorded, a re-run does it\n";
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
  for (const auto& r : db.runs()) failed += r["campaign"] == sweep.name && r["status"] == "failed";
  if (failed) err << "moesim sweep: " << failed << " runs failed (moesim results " << so.db_path << ")\n";
  return failed ? 1 : 0;
}

int report_campaign(const Sweep& sweep, const CampaignOptions& o, const CampaignTally& t, std::ostream& out,
                    std::ostream& err) {
  out << "campaign " << sweep.name << ": " << t.total << " runs, " << t.recorded << " already in " << o.db_path
      << "; this time " << t.ok << " ok, " << t.failed << " failed, " << t.skipped << " skipped";
  if (t.lost) out << ", " << t.lost << " stopped before the end";
  out << "\n";
  if (t.failed) {
    std::size_t shown = 0;
    for (const auto& r : ResultsDb(o.db_path).runs())
      if (r["status"] == "failed" && r["campaign"] == sweep.name && shown++ < 5)
        err << "moesim sweep: failed: " << r["name"].get<std::string>() << ": "
            << (r["error"].is_string() ? r["error"].get<std::string>() : "") << "\n";
  }
  if (t.interrupted) return 130;
  return t.failed || t.lost ? 1 : 0;
}

}  // namespace moesim
