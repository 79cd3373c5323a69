#include "campaign/measurements.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "moesim/error.hpp"
#include "moesim/platform.hpp"
#include "moesim/scenario.hpp"

namespace moesim {

namespace {

// One CSV record (RFC 4180 quotes; no newlines inside fields).
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cell);
      cell.clear();
    } else {
      cell += c;
    }
  }
  out.push_back(cell);
  for (auto& f : out) {  // trim spaces
    const auto a = f.find_first_not_of(" \t\r"), b = f.find_last_not_of(" \t\r");
    f = a == std::string::npos ? "" : f.substr(a, b - a + 1);
  }
  return out;
}

}  // namespace

std::vector<MeasuredPoint> load_measurements(const std::string& path, const std::string& scenario_path,
                                             const std::vector<std::string>& sets) {
  std::ifstream in(path);
  if (!in) fail(path, "", "cannot open file");
  std::vector<std::string> header;
  std::vector<MeasuredPoint> points;
  std::set<std::string> names;
  std::string line;
  std::size_t n = 0;
  long phase_col = -1, measured_col = -1, name_col = -1;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = path + ":" + std::to_string(n);
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
    const std::vector<std::string> cells = split_csv(line);
    if (header.empty()) {
      header = cells;
      for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i].empty()) fail(where, "", "column " + std::to_string(i + 1) + " has no name");
        for (std::size_t j = 0; j < i; ++j)
          if (header[j] == header[i]) fail(where, header[i], "a column named twice");
        if (header[i] == "phase") phase_col = static_cast<long>(i);
        if (header[i] == "measured_us") measured_col = static_cast<long>(i);
        if (header[i] == "name") name_col = static_cast<long>(i);
      }
      if (phase_col < 0) fail(where, "phase", "missing column (dispatch, combine or allgather per row)");
      if (measured_col < 0) fail(where, "measured_us", "missing column (the measured latency in microseconds)");
      continue;
    }
    if (cells.size() != header.size())
      fail(where, "", std::to_string(cells.size()) + " fields where the header has " + std::to_string(header.size()));
    MeasuredPoint p;
    p.line = n;
    p.name = name_col >= 0 && !cells[name_col].empty() ? cells[name_col] : "row " + std::to_string(points.size() + 1);
    if (!names.insert(p.name).second) fail(where, "name", "'" + p.name + "' names two rows");
    const std::string& phase = cells[phase_col];
    if (phase == "dispatch") p.phase = PhaseKind::kDispatch;
    else if (phase == "combine") p.phase = PhaseKind::kCombine;
    else if (phase == "allgather") p.phase = PhaseKind::kAllgather;
    else fail(where, "phase", "'" + phase + "' is not a phase (allowed: dispatch, combine, allgather)");
    const std::string& m = cells[measured_col];
    char* end = nullptr;
    p.measured_us = std::strtod(m.c_str(), &end);
    if (m.empty() || *end != '\0' || !(p.measured_us > 0))
      fail(where, "measured_us", "'" + m + "' is not a positive number of microseconds");
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (static_cast<long>(i) == phase_col || static_cast<long>(i) == measured_col || static_cast<long>(i) == name_col ||
          cells[i].empty())
        continue;
      p.overrides.push_back(header[i] + "=" + cells[i]);
    }
    // The row must describe a scenario, and its group must fit the platform.
    try {
      std::vector<std::string> all = sets;
      all.insert(all.end(), p.overrides.begin(), p.overrides.end());
      const Scenario s = load_scenario(scenario_path, all);
      const auto chips = platform_chips(s.platform);
      const std::uint64_t need = s.group_chips() * s.deployment.groups;
      if (chips && need > *chips)
        fail(where, "", "point '" + p.name + "' needs " + std::to_string(need) + " chips, the platform has " +
                            std::to_string(*chips));
      if (p.phase == PhaseKind::kAllgather && s.deployment.moe_tp == 1)
        fail(where, "phase", "point '" + p.name + "' is an allgather, but its moe_tp is 1 (no allgather)");
    } catch (const InputError& e) {
      const std::string what = e.what();
      if (what.rfind(where, 0) == 0) throw;
      throw InputError(where + ": point '" + p.name + "': " + what);
    }
    points.push_back(std::move(p));
  }
  if (header.empty()) fail(path, "", "no header line (name the columns: phase, measured_us and scenario keys)");
  if (points.empty()) fail(path, "", "no measured points");
  return points;
}

}  // namespace moesim
