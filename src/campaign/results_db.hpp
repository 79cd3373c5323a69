// The results database of a campaign (SQLite): one row per run in `runs`,
// one per layer in `layers`, keyed by a hash of the fully expanded scenario,
// its platform file and the moesim version. Each run is written in one
// transaction (WAL journal, synchronous=FULL), so a crash loses at most the
// runs in flight and a re-run skips what is recorded.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "campaign/run_summary.hpp"
#include "campaign/sweep.hpp"
#include "moesim/enum_table.hpp"

struct sqlite3;

namespace moesim {

// A recorded run's status; the `status` column holds its name.
enum class RunStatus { kOk, kFailed, kSkipped };
inline constexpr EnumTable<RunStatus, 3> kRunStatusNames{
    {{RunStatus::kOk, "ok"}, {RunStatus::kFailed, "failed"}, {RunStatus::kSkipped, "skipped"}}};

// The status of a row of ResultsDb::runs(). Throws InputError naming `where`
// (the database) if the column holds something else.
RunStatus row_status(const nlohmann::json& row, const std::string& where);

struct RunRecord {
  std::string key;
  std::string campaign;
  std::string name;
  std::int64_t index = -1;  // in the sweep
  RunStatus status = RunStatus::kOk;
  std::string error;  // why it failed or was skipped
  std::vector<SweepParam> params;
  std::string scenario_yaml;  // the fully expanded scenario
  double wall_s = 0;
  std::optional<RunSummary> report;  // `moesim run --json`, for kOk
};

// The columns every `runs` row has; sweep axes become further columns, named by their key.
const std::vector<std::string>& run_columns();

class ResultsDb {
 public:
  // kCreate: opened to write, created if missing (a campaign); kWrite: an
  // existing one, to write; kRead: an existing one, only read, which works on
  // a read-only file or folder too. Throws InputError naming the file.
  enum class Mode { kCreate, kWrite, kRead };
  explicit ResultsDb(const std::string& path, Mode mode = Mode::kCreate);
  ~ResultsDb();
  ResultsDb(const ResultsDb&) = delete;
  ResultsDb& operator=(const ResultsDb&) = delete;

  // key -> status of every recorded run.
  std::map<std::string, RunStatus> statuses() const;
  // The status of one run, if it is recorded.
  std::optional<RunStatus> status_of(const std::string& key) const;
  // Writes (or replaces) one run and its layers, in one transaction.
  void record(const RunRecord& run);
  // Copies the runs (and their layers) of another database that this one
  // lacks; returns how many. Parameter columns are added as needed.
  std::size_t merge_from(const std::string& other);

  // Every run as one object: the run columns, the parameters, the summary.
  // Parameter columns keep their values' types (integer, real, text).
  nlohmann::json runs() const;
  nlohmann::json layers() const;
  // Parameter columns, in the order they were added.
  std::vector<std::string> param_columns() const;

  const std::string& path() const { return path_; }

 private:
  void create_tables();
  void exec(const std::string& sql) const;
  nlohmann::json rows(const std::string& sql) const;
  void add_param_column(const std::string& key);
  std::string path_;
  sqlite3* db_ = nullptr;
};

// The campaign's run key: FNV-1a 64 of the moesim version, the expanded
// scenario and the platform (and trace) file contents, as 16 hex digits.
std::string run_key(const std::string& scenario_yaml, const std::vector<std::string>& file_contents);

// `runs` as CSV: a header, then one line per run (RFC 4180 quoting).
std::string runs_csv(const nlohmann::json& runs, const std::vector<std::string>& params);

// A database value as text: a string as it is, a real with `digits` digits
// (after the point when `fixed`, else significant), null as `null_text`,
// anything else as JSON.
std::string value_text(const nlohmann::json& v, const char* null_text, bool fixed, int digits);

// `moesim results` without an export: the database's run count, runs by
// campaign and status, each campaign's parameters (those every run shares
// once, those that vary as columns) and its first 20 runs' latencies, and
// every failed run with its error.
std::string runs_summary(const std::string& db_path, const nlohmann::json& runs, const std::vector<std::string>& params);

}  // namespace moesim
