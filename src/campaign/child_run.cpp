#include "campaign/child_run.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>

#include "moesim/error.hpp"
#include "util/process.hpp"

namespace moesim {

ChildRun start_run(const RunRequest& r, const TempDir& folder, const std::string& tag, const std::string& where) {
  ChildRun child;
  child.json_path = folder.file(tag + ".json");
  child.err_path = folder.file(tag + ".err");
  // A campaign keeps one core per run: its runs are its parallelism.
  std::vector<std::string> args = {r.binary, "run", r.scenario, "--json", child.json_path, "--jobs", "1"};
  if (!r.engine.empty()) args.insert(args.end(), {"--engine", r.engine});
  for (const auto& s : r.sets) args.insert(args.end(), {"--set", s});
  ChildFiles files;
  files.err = child.err_path;
  child.pid = spawn_child(args, files, where);
  return child;
}

RunOutcome::RunOutcome(const ChildRun& child, int wait_status) : status_(wait_status) {
  try {
    err_line_ = last_line(read_file(child.err_path));
  } catch (const InputError&) {
    // No stderr file: the child never got as far as opening it.
  }
  if (exited_ok()) {
    try {
      summary_ = read_run_summary_file(child.json_path);
    } catch (const InputError& e) {
      report_error_ = std::string("no readable report: ") + e.what();
    }
  }
  std::remove(child.json_path.c_str());
  std::remove(child.err_path.c_str());
}

bool RunOutcome::exited_ok() const { return WIFEXITED(status_) && WEXITSTATUS(status_) == 0; }

bool RunOutcome::stopped_from_outside() const {
  if (!WIFSIGNALED(status_)) return false;
  const int sig = WTERMSIG(status_);
  return sig == SIGKILL || sig == SIGTERM || sig == SIGINT || sig == SIGHUP;
}

std::string RunOutcome::failure() const {
  if (ok()) return "";
  if (exited_ok()) return report_error_;
  if (WIFEXITED(status_)) return err_line_.empty() ? "exit status " + std::to_string(WEXITSTATUS(status_)) : err_line_;
  if (!WIFSIGNALED(status_)) return "lost (wait status " + std::to_string(status_) + ")";
  const int sig = WTERMSIG(status_);
  std::string why = "crashed with signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
  return err_line_.empty() ? why : why + ": " + err_line_;
}

std::string RunOutcome::error() const {
  const std::string prefix = "moesim: error: ";
  std::string why = failure();
  return why.rfind(prefix, 0) == 0 ? why.substr(prefix.size()) : why;
}

RunSummary run_and_wait(const RunRequest& request, const TempDir& folder, const std::string& where,
                        const std::string& key) {
  const ChildRun child = start_run(request, folder, "run", where);
  const RunOutcome outcome(child, wait_child(child.pid));
  if (!outcome.ok()) fail(where, key, outcome.error());
  return outcome.summary();
}

}  // namespace moesim
