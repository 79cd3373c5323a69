#include "campaign/results_db.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include <sys/statvfs.h>
#include <unistd.h>

#include "moesim/error.hpp"
#include "util/format.hpp"

namespace moesim {

namespace {

// Fixed columns of `runs`, in order, with their SQL types.
const std::vector<std::pair<std::string, std::string>>& fixed_columns() {
  static const std::vector<std::pair<std::string, std::string>> cols = {
      {"key", "TEXT PRIMARY KEY"},   {"campaign", "TEXT"},         {"run_index", "INTEGER"},
      {"name", "TEXT"},              {"status", "TEXT"},           {"error", "TEXT"},
      {"moesim_version", "TEXT"},    {"finished_at", "TEXT"},      {"wall_s", "REAL"},
      {"engine_ran", "TEXT"},        {"fidelity_ran", "TEXT"},     {"platform_name", "TEXT"},
      {"chips", "INTEGER"},          {"group_chips", "INTEGER"},   {"layers", "INTEGER"},
      {"tokens_per_ep_group", "INTEGER"}, {"dispatch_bytes", "INTEGER"}, {"combine_bytes", "INTEGER"},
      {"dispatch_us_sum", "REAL"},   {"dispatch_us_mean", "REAL"}, {"dispatch_us_max", "REAL"},
      {"combine_us_sum", "REAL"},    {"combine_us_mean", "REAL"},  {"combine_us_max", "REAL"},
      {"total_us_sum", "REAL"},      {"total_us_mean", "REAL"},    {"total_us_p50", "REAL"},
      {"total_us_p99", "REAL"},      {"total_us_max", "REAL"},     {"scenario_yaml", "TEXT"},
      // An overlapped run's (NULL otherwise): summary.overlap of its report.
      {"moe_layers_us", "REAL"},     {"exposed_us", "REAL"},       {"overlap_efficiency", "REAL"},
      {"tokens_per_s_per_chip", "REAL"},
      // A run with faults (NULL otherwise): summary.fault_cost of its report.
      {"healthy_us", "REAL"},        {"slowdown", "REAL"},
      // The scenario's tokens a chip (global_batch x seq_len / ep).
      {"tokens_per_chip", "REAL"}};
  return cols;
}

std::string quoted(const std::string& id) {
  std::string out = "\"";
  for (char c : id) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// What went wrong, for one line: SQLite's message and, where it has a usual
// cause the message does not name, that cause.
std::string folder_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash + 1);
}

std::string sqlite_failure(sqlite3* db, const std::string& path, const std::string& message) {
  std::string out = "SQLite: " + message;
  const int code = db ? sqlite3_extended_errcode(db) & 0xff : SQLITE_ERROR;
  const std::string folder = folder_of(path);
  if (code == SQLITE_FULL || code == SQLITE_IOERR) {
    struct statvfs fs {};
    if (statvfs(folder.c_str(), &fs) == 0)
      out += " (the file system holding it has " +
             byte_size(static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize)) + " free)";
  } else if (code == SQLITE_READONLY || (code == SQLITE_CANTOPEN && access(folder.c_str(), W_OK) != 0)) {
    out += " (the file or its folder is read-only: a campaign writes the database and the -wal and -shm files "
           "beside it; `moesim results` and `plot` can read it where it is)";
  } else if (code == SQLITE_BUSY) {
    out += " (another process held it locked for over 10 s)";
  }
  return out;
}

// A statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql, const std::string& path) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK)
      fail(path, "", sqlite_failure(db, path, sqlite3_errmsg(db)));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  void bind(int i, const nlohmann::json& v) {
    if (v.is_null()) sqlite3_bind_null(s_, i);
    else if (v.is_number_integer()) sqlite3_bind_int64(s_, i, v.get<std::int64_t>());
    else if (v.is_number()) sqlite3_bind_double(s_, i, v.get<double>());
    else if (v.is_boolean()) sqlite3_bind_text(s_, i, v.get<bool>() ? "true" : "false", -1, SQLITE_TRANSIENT);
    else if (v.is_string()) sqlite3_bind_text(s_, i, v.get<std::string>().c_str(), -1, SQLITE_TRANSIENT);
    else sqlite3_bind_text(s_, i, v.dump().c_str(), -1, SQLITE_TRANSIENT);
  }
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail(path_, "", sqlite_failure(db_, path_, sqlite3_errmsg(db_)));
    return false;
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  int columns() const { return sqlite3_column_count(s_); }
  std::string name(int i) const { return sqlite3_column_name(s_, i); }
  nlohmann::json value(int i) const {
    switch (sqlite3_column_type(s_, i)) {
      case SQLITE_INTEGER: return sqlite3_column_int64(s_, i);
      case SQLITE_FLOAT: return sqlite3_column_double(s_, i);
      case SQLITE_NULL: return nullptr;
      default: return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s_, i)));
    }
  }
  std::string text(int i) const {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t ? reinterpret_cast<const char*>(t) : "";
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  std::string path_;
};

// A YAML scalar as the value a column keeps: an integer, a real or text.
nlohmann::json typed(const std::string& text) {
  if (text.empty()) return text;
  char* end = nullptr;
  const long long i = std::strtoll(text.c_str(), &end, 10);
  if (*end == '\0' && text.find_first_not_of("-0123456789") == std::string::npos) return i;
  const double d = std::strtod(text.c_str(), &end);
  if (*end == '\0' && text.find_first_not_of("-+.0123456789eE") == std::string::npos) return d;
  return text;
}

template <typename T>
nlohmann::json or_null(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

double stat_of(const Stats& s, const std::string& stat) {
  if (stat == "sum") return s.sum;
  if (stat == "mean") return s.mean;
  if (stat == "p50") return s.p50;
  if (stat == "p99") return s.p99;
  return s.max;
}

// The run columns a report fills (left null for a run without one). The
// database stores a NaN as NULL, as the report writes it as null.
void report_columns(const std::optional<RunSummary>& report, nlohmann::json& row) {
  if (!report) return;
  const RunSummary& r = *report;
  row["engine_ran"] = or_null(r.engine);
  row["fidelity_ran"] = or_null(r.fidelity);
  if (r.platform) {
    row["platform_name"] = r.platform->name;
    row["chips"] = r.platform->chips;
    row["group_chips"] = r.platform->group_chips;
  }
  row["layers"] = r.layers;
  row["tokens_per_ep_group"] = r.bytes.tokens_per_ep_group;
  if (r.tokens) row["tokens_per_chip"] = r.tokens->tokens_per_chip;
  row["dispatch_bytes"] = r.bytes.dispatch_bytes;
  row["combine_bytes"] = r.bytes.combine_bytes;
  for (const char* phase : {"dispatch_us", "combine_us", "total_us"})
    for (const char* stat : {"sum", "mean", "p50", "p99", "max"}) {
      const std::string col = std::string(phase) + "_" + stat;
      for (const auto& c : run_columns())
        if (c == col && r.column(phase)) row[col] = stat_of(*r.column(phase), stat);
    }
  if (r.overlap) {
    row["moe_layers_us"] = r.overlap->moe_layers_us;
    row["exposed_us"] = r.overlap->exposed_us;
    row["overlap_efficiency"] = r.overlap->overlap_efficiency;
    row["tokens_per_s_per_chip"] = r.overlap->tokens_per_s_per_chip;
  }
  if (r.fault_cost) {
    row["healthy_us"] = r.fault_cost->healthy_us;
    row["slowdown"] = r.fault_cost->slowdown;
  }
}

RunStatus status_named(const std::string& text, const std::string& where) {
  const auto status = enum_parse(kRunStatusNames, text);
  if (!status) fail(where, "runs.status", not_one_of(kRunStatusNames, text, "a run status"));
  return *status;
}

std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

RunStatus row_status(const nlohmann::json& row, const std::string& where) {
  const nlohmann::json& v = row.contains("status") ? row.at("status") : nlohmann::json();
  return status_named(v.is_string() ? v.get<std::string>() : v.dump(), where);
}

const std::vector<std::string>& run_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, type] : fixed_columns()) n.push_back(name);
    return n;
  }();
  return names;
}

namespace {

// The name SQLite opens: a read of a file this process cannot write (or in
// a folder it cannot write, where the -wal and -shm files would go) is
// opened as immutable, as a database on read-only media is.
std::string sqlite_name(const std::string& path, ResultsDb::Mode mode) {
  if (path.rfind("file:", 0) == 0) return sqlite_name("./" + path, mode);  // a file, not a URI
  if (mode != ResultsDb::Mode::kRead) return path;
  if (access(path.c_str(), W_OK) == 0 && access(folder_of(path).c_str(), W_OK) == 0) return path;
  std::string uri = "file:";
  for (char c : path) {
    if (c == '?' || c == '#' || c == '%') uri += format("%%%02X", static_cast<unsigned char>(c));
    else uri += c;
  }
  return uri + "?immutable=1";
}

}  // namespace

ResultsDb::ResultsDb(const std::string& path, Mode mode) : path_(path) {
  if (mode != Mode::kCreate && access(path.c_str(), F_OK) != 0) fail(path, "", "no such results database");
  const int flags = SQLITE_OPEN_URI | (mode == Mode::kRead     ? SQLITE_OPEN_READONLY
                                       : mode == Mode::kCreate ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                                               : SQLITE_OPEN_READWRITE);
  if (sqlite3_open_v2(sqlite_name(path, mode).c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string why = db_ ? sqlite_failure(db_, path, sqlite3_errmsg(db_)) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    fail(path, "", "cannot open the results database: " + why);
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    if (mode != Mode::kRead) create_tables();
    // A file that is a database but not ours.
    std::set<std::string> have;
    Stmt s(db_, "PRAGMA table_info(runs)", path_);
    while (s.step()) have.insert(s.text(1));
    for (const auto& c : run_columns())
      if (!have.count(c)) fail(path, "", "not a moesim results database (table runs has no column '" + c + "')");
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

void ResultsDb::create_tables() {
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=FULL");
  std::string cols;
  for (const auto& [name, type] : fixed_columns()) cols += (cols.empty() ? "" : ", ") + quoted(name) + " " + type;
  exec("CREATE TABLE IF NOT EXISTS runs (" + cols + ")");
  // A database from an older moesim lacks the columns added since: add them.
  std::set<std::string> have;
  {
    Stmt s(db_, "PRAGMA table_info(runs)", path_);
    while (s.step()) have.insert(s.text(1));
  }
  for (const auto& [name, type] : fixed_columns())
    if (!have.count(name)) exec("ALTER TABLE runs ADD COLUMN " + quoted(name) + " " + type);
  exec("CREATE TABLE IF NOT EXISTS layers (key TEXT, layer INTEGER, dispatch_us REAL, combine_us REAL, "
       "total_us REAL, dispatch_bytes INTEGER, combine_bytes INTEGER, imbalance REAL, PRIMARY KEY (key, layer))");
}

ResultsDb::~ResultsDb() { sqlite3_close(db_); }

void ResultsDb::exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    fail(path_, "", sqlite_failure(db_, path_, why));
  }
}

std::vector<std::string> ResultsDb::param_columns() const {
  std::set<std::string> fixed(run_columns().begin(), run_columns().end());
  std::vector<std::string> out;
  Stmt s(db_, "PRAGMA table_info(runs)", path_);
  while (s.step())
    if (!fixed.count(s.text(1))) out.push_back(s.text(1));
  return out;
}

void ResultsDb::add_param_column(const std::string& key) {
  for (const auto& c : param_columns())
    if (c == key) return;
  exec("ALTER TABLE runs ADD COLUMN " + quoted(key));
}

std::map<std::string, RunStatus> ResultsDb::statuses() const {
  std::map<std::string, RunStatus> out;
  Stmt s(db_, "SELECT key, status FROM runs", path_);
  while (s.step()) out[s.text(0)] = status_named(s.text(1), path_);
  return out;
}

std::optional<RunStatus> ResultsDb::status_of(const std::string& key) const {
  Stmt s(db_, "SELECT status FROM runs WHERE key = ?", path_);
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return status_named(s.text(0), path_);
}

void ResultsDb::record(const RunRecord& run) {
  exec("BEGIN IMMEDIATE");
  try {
    for (const auto& p : run.params) add_param_column(p.key);
    nlohmann::json row = {
        {"key", run.key},
        {"campaign", run.campaign},
        {"run_index", nullptr},
        {"name", run.name},
        {"status", enum_name(kRunStatusNames, run.status)},
        {"error", run.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(run.error)},
        {"moesim_version", MOESIM_VERSION},
        {"finished_at", now_utc()},
        {"wall_s", run.wall_s},
        {"scenario_yaml", run.scenario_yaml}};
    report_columns(run.report, row);
    if (run.index >= 0) row["run_index"] = run.index;
    std::string names, marks;
    std::vector<nlohmann::json> values;
    for (const auto& c : run_columns()) {
      names += (names.empty() ? "" : ", ") + quoted(c);
      marks += marks.empty() ? "?" : ", ?";
      values.push_back(row[c]);
    }
    for (const auto& p : run.params) {
      names += ", " + quoted(p.key);
      marks += ", ?";
      values.push_back(typed(p.label));  // a platform by its file's stem
    }
    Stmt ins(db_, "INSERT OR REPLACE INTO runs (" + names + ") VALUES (" + marks + ")", path_);
    for (std::size_t i = 0; i < values.size(); ++i) ins.bind(static_cast<int>(i + 1), values[i]);
    ins.step();
    Stmt del(db_, "DELETE FROM layers WHERE key = ?", path_);
    del.bind(1, run.key);
    del.step();
    if (run.report) {
      Stmt lay(db_, "INSERT INTO layers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", path_);
      for (const LayerSummary& l : run.report->per_layer) {
        lay.reset();
        const nlohmann::json values[] = {run.key,        l.layer,          l.dispatch_us,   l.combine_us,
                                         l.total_us,     l.dispatch_bytes, l.combine_bytes, or_null(l.imbalance)};
        for (std::size_t i = 0; i < std::size(values); ++i) lay.bind(static_cast<int>(i + 1), values[i]);
        lay.step();
      }
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::size_t ResultsDb::merge_from(const std::string& other) {
  {
    ResultsDb check(other, Mode::kRead);  // a moesim database (and the error names it if not)
  }
  Stmt attach(db_, "ATTACH DATABASE ? AS other", path_);
  attach.bind(1, sqlite_name(other, Mode::kRead));  // read-only media too
  attach.step();
  std::size_t added = 0;
  try {
    exec("BEGIN IMMEDIATE");
    std::vector<std::string> cols;
    {
      Stmt s(db_, "PRAGMA other.table_info(runs)", path_);
      while (s.step()) cols.push_back(s.text(1));
    }
    std::set<std::string> fixed(run_columns().begin(), run_columns().end());
    for (const auto& c : cols)
      if (!fixed.count(c)) add_param_column(c);
    std::string list;
    for (const auto& c : cols) list += (list.empty() ? "" : ", ") + quoted(c);
    exec("INSERT OR IGNORE INTO main.runs (" + list + ") SELECT " + list + " FROM other.runs");
    added = static_cast<std::size_t>(sqlite3_changes(db_));
    exec("INSERT OR IGNORE INTO main.layers SELECT * FROM other.layers");
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_exec(db_, "DETACH DATABASE other", nullptr, nullptr, nullptr);
    throw;
  }
  exec("DETACH DATABASE other");
  return added;
}

nlohmann::json ResultsDb::rows(const std::string& sql) const {
  nlohmann::json out = nlohmann::json::array();
  Stmt s(db_, sql, path_);
  while (s.step()) {
    nlohmann::json row = nlohmann::json::object();
    for (int i = 0; i < s.columns(); ++i) row[s.name(i)] = s.value(i);
    out.push_back(row);
  }
  return out;
}

nlohmann::json ResultsDb::runs() const { return rows("SELECT * FROM runs ORDER BY campaign, run_index, name"); }

nlohmann::json ResultsDb::layers() const { return rows("SELECT * FROM layers ORDER BY key, layer"); }

std::string run_key(const std::string& scenario_yaml, const std::vector<std::string>& file_contents) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;  // a separator no text contains
    h *= 1099511628211ull;
  };
  mix(MOESIM_VERSION);
  mix(scenario_yaml);
  for (const auto& f : file_contents) mix(f);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string runs_csv(const nlohmann::json& runs, const std::vector<std::string>& params) {
  // Identity, parameters, results; the expanded scenario stays in the database and JSON.
  std::vector<std::string> cols = {"name", "status"};
  cols.insert(cols.end(), params.begin(), params.end());
  for (const auto& c : run_columns())
    if (c != "name" && c != "status" && c != "scenario_yaml" && c != "error") cols.push_back(c);
  cols.push_back("error");
  auto cell = [](const nlohmann::json& v) {
    std::string t;
    if (v.is_null()) return t;
    if (v.is_string()) t = v.get<std::string>();
    else if (v.is_number_float()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.9g", v.get<double>());
      t = buf;
    } else t = v.dump();
    if (t.find_first_of(",\"\n\r") == std::string::npos) return t;
    std::string q = "\"";
    for (char c : t) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::string out;
  for (std::size_t i = 0; i < cols.size(); ++i) out += (i ? "," : "") + cell(cols[i]);
  out += "\n";
  for (const auto& r : runs) {
    for (std::size_t i = 0; i < cols.size(); ++i) out += (i ? "," : "") + cell(r.contains(cols[i]) ? r[cols[i]] : nullptr);
    out += "\n";
  }
  return out;
}

namespace {

std::string cell_text(const nlohmann::json& v) { return value_text(v, "-", true, 3); }

// A campaign's runs as a table: the parameters that vary, then what each run gave.
void campaign_table(const nlohmann::json& runs, const std::string& campaign, const std::vector<std::string>& params,
                    const std::string& db_path, std::ostream& out) {
  std::vector<const nlohmann::json*> rows;
  for (const auto& r : runs)
    if ((r["campaign"].is_string() ? r["campaign"].get<std::string>() : "") == campaign &&
        row_status(r, db_path) == RunStatus::kOk)
      rows.push_back(&r);
  if (rows.empty()) return;
  std::vector<std::string> varying, fixed;
  for (const auto& p : params) {
    std::set<std::string> values;
    bool present = false;
    for (const auto* r : rows)
      if (r->contains(p) && !(*r)[p].is_null()) {
        present = true;
        values.insert(cell_text((*r)[p]));
      }
    if (!present) continue;
    if (values.size() > 1)
      varying.push_back(p);
    else
      fixed.push_back(p + " = " + *values.begin());
  }
  if (!fixed.empty()) {
    out << "    the same in every run:";
    for (const auto& f : fixed) out << " " << f << (&f == &fixed.back() ? "" : ",");
    out << "\n";
  }
  std::vector<std::string> columns = varying;
  // Overlapped runs: their layers' time, the share of transfers hidden and
  // the tokens a chip a second, not per-phase times (a round may be two).
  const bool overlapped = std::any_of(rows.begin(), rows.end(), [](const nlohmann::json* r) {
    return r->contains("tokens_per_s_per_chip") && (*r)["tokens_per_s_per_chip"].is_number();
  });
  if (overlapped)
    for (const char* c : {"platform_name", "total_us_sum", "overlap_efficiency", "tokens_per_s_per_chip"})
      columns.push_back(c);
  else
    for (const char* c : {"platform_name", "dispatch_us_mean", "combine_us_mean", "total_us_sum"}) columns.push_back(c);
  if (std::any_of(rows.begin(), rows.end(),
                  [](const nlohmann::json* r) { return r->contains("slowdown") && (*r)["slowdown"].is_number(); }))
    columns.push_back("slowdown");
  std::vector<std::size_t> width;
  for (const auto& c : columns) width.push_back(c.size());
  constexpr std::size_t kShown = 20;
  const std::size_t shown = std::min(rows.size(), kShown);
  for (std::size_t i = 0; i < shown; ++i)
    for (std::size_t c = 0; c < columns.size(); ++c)
      width[c] = std::max(width[c], cell_text(rows[i]->value(columns[c], nlohmann::json())).size());
  out << "   ";
  for (std::size_t c = 0; c < columns.size(); ++c)
    out << " " << std::string(width[c] - columns[c].size(), ' ') << columns[c];
  out << "\n";
  for (std::size_t i = 0; i < shown; ++i) {
    out << "   ";
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::string t = cell_text(rows[i]->value(columns[c], nlohmann::json()));
      out << " " << std::string(width[c] - t.size(), ' ') << t;
    }
    out << "\n";
  }
  if (rows.size() > shown)
    out << "    ... " << rows.size() - shown << " more runs: moesim results " << db_path << " --csv -\n";
}

}  // namespace

std::string value_text(const nlohmann::json& v, const char* null_text, bool fixed, int digits) {
  if (v.is_null()) return null_text;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char b[64];
    std::snprintf(b, sizeof b, fixed ? "%.*f" : "%.*g", digits, v.get<double>());
    return b;
  }
  return v.dump();
}

std::string runs_summary(const std::string& db_path, const nlohmann::json& runs, const std::vector<std::string>& params) {
  // campaign -> status name -> runs (names in alphabetical order)
  std::map<std::string, std::map<std::string, std::size_t>> tally;
  for (const auto& r : runs) {
    const std::string campaign = r["campaign"].is_string() ? r["campaign"].get<std::string>() : "";
    tally[campaign][enum_name(kRunStatusNames, row_status(r, db_path))]++;
  }
  std::ostringstream out;
  out << db_path << ": " << runs.size() << " runs\n";
  for (const auto& [campaign, by] : tally) {
    out << "  campaign " << campaign << ":";
    for (const auto& [status, n] : by) out << " " << n << " " << status;
    out << "\n";
    campaign_table(runs, campaign, params, db_path, out);
  }
  for (const auto& r : runs)
    if (row_status(r, db_path) == RunStatus::kFailed)
      out << "  failed: " << r["name"].get<std::string>() << ": " << r["error"].get<std::string>() << "\n";
  return out.str();
}

}  // namespace moesim
