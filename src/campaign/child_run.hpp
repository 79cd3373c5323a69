// Children of the moesim binary: `moesim run SCENARIO --json FILE [--engine
// E] [--set k=v]...`, one run each (SimGrid allows one engine per process).
// A campaign starts several and reaps them as they end; compare and
// calibrate run one at a time. Each child's report and stderr are files in
// the caller's work folder (a TempDir), removed once read.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "campaign/run_summary.hpp"
#include "util/files.hpp"

namespace moesim {

struct RunRequest {
  std::string binary;             // the moesim executable (self_executable())
  std::string scenario;           // the scenario file
  std::string engine;             // "": the scenario's own
  std::vector<std::string> sets;  // --set key=value, in order
};

// A started child.
struct ChildRun {
  pid_t pid = -1;
  std::string json_path, err_path;
};

// Starts a child (stdin and stdout on /dev/null; the report to
// <folder>/<tag>.json, stderr to <folder>/<tag>.err) without waiting.
// Throws InputError naming `where` if it cannot start.
ChildRun start_run(const RunRequest& request, const TempDir& folder, const std::string& tag, const std::string& where);

// How a child ended, from its wait status; its files read and removed.
class RunOutcome {
 public:
  RunOutcome(const ChildRun& child, int wait_status);

  // Exit status 0 and a report that reads.
  bool ok() const { return summary_.has_value(); }
  // Exit status 0, whether the report reads or not.
  bool exited_ok() const;
  // Ended by SIGKILL, SIGTERM, SIGINT or SIGHUP: stopped from outside, no answer.
  bool stopped_from_outside() const;
  const RunSummary& summary() const { return *summary_; }
  // Why not ok(): "no readable report: ...", the last line the child wrote to
  // stderr (as it wrote it: "moesim: error: ..."), "exit status N" without
  // one, or "crashed with signal N (name)" and that line.
  std::string failure() const;
  // The failure without moesim's "moesim: error: " in front, for an error of the parent.
  std::string error() const;

 private:
  int status_;
  std::string err_line_, report_error_;
  std::optional<RunSummary> summary_;
};

// Runs one child and waits for it. Throws InputError "WHERE: KEY: the
// child's error" if it fails.
RunSummary run_and_wait(const RunRequest& request, const TempDir& folder, const std::string& where,
                        const std::string& key);

}  // namespace moesim
