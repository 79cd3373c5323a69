// Side-by-side runs of one scenario, each in a child process.
#include "campaign/compare.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "moesim/error.hpp"

namespace moesim {
namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `moesim run` with the given --set assignments; returns its JSON report.
nlohmann::json run_child(const CompareOptions& o, const std::vector<std::string>& sets, const std::string& engine,
                         const std::string& label) {
  const std::string base = "/tmp/moesim_compare_" + std::to_string(getpid());
  const std::string json_path = base + ".json", err_path = base + ".err";
  std::string cmd = shell_quote(o.binary) + " run " + shell_quote(o.scenario) + " --engine " + engine;
  for (const auto& s : sets) cmd += " --set " + shell_quote(s);
  cmd += " --json " + shell_quote(json_path) + " > /dev/null 2> " + shell_quote(err_path);
  const int status = std::system(cmd.c_str());
  std::string err = slurp(err_path);
  std::remove(err_path.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::remove(json_path.c_str());
    const std::string prefix = "moesim: error: ";
    if (err.rfind(prefix, 0) == 0) err = err.substr(prefix.size());
    while (!err.empty() && err.back() == '\n') err.pop_back();
    fail("compare", label, err.empty() ? "the " + engine + " run failed" : err);
  }
  nlohmann::json j = nlohmann::json::parse(slurp(json_path));
  std::remove(json_path.c_str());
  return j;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');)
    if (!part.empty()) out.push_back(part);
  return out;
}

}  // namespace

nlohmann::json compare(const CompareOptions& o) {
  struct Column {
    std::string label;
    std::vector<std::string> sets;
  };
  std::vector<Column> columns;
  for (const auto& p : o.platforms) {
    std::string stem = p.substr(p.find_last_of('/') + 1);
    columns.push_back({stem.substr(0, stem.find_last_of('.')), {"platform=" + p}});
  }
  for (const auto& s : o.sets) columns.push_back({s, split_commas(s)});
  if (columns.empty()) columns.push_back({"as written", {}});
  nlohmann::json out = {{"scenario", o.scenario}, {"engine", o.engine}, {"columns", nlohmann::json::array()}};
  for (auto& c : columns) {
    c.sets.insert(c.sets.begin(), o.common.begin(), o.common.end());
    const nlohmann::json main = run_child(o, c.sets, o.engine, c.label);
    const nlohmann::json bound = o.engine == "bound" ? main : run_child(o, c.sets, "bound", c.label);
    const nlohmann::json analytic = o.engine == "analytic" ? main : run_child(o, c.sets, "analytic", c.label);
    nlohmann::json layers = nlohmann::json::array();
    for (std::size_t l = 0; l < main["layers"].size(); ++l)
      layers.push_back({{"layer", l},
                        {"dispatch_us", main["layers"][l]["dispatch_us"]},
                        {"combine_us", main["layers"][l]["combine_us"]},
                        {"bound_dispatch_us", bound["layers"][l]["dispatch_us"]},
                        {"bound_combine_us", bound["layers"][l]["combine_us"]},
                        {"analytic_dispatch_us", analytic["layers"][l]["dispatch_us"]},
                        {"analytic_combine_us", analytic["layers"][l]["combine_us"]}});
    const auto& phase0 = bound["layers"][0]["phases"][0];
    nlohmann::json col = {{"label", c.label},
                          {"sets", c.sets},
                          {"platform", main["platform"]},
                          {"summary", main["summary"]},
                          {"bound_summary", bound["summary"]},
                          {"analytic_summary", analytic["summary"]},
                          {"hottest_link", phase0.contains("critical_link") ? phase0["critical_link"] : nlohmann::json()},
                          {"layers", layers}};
    const double first = out["columns"].empty() ? main["summary"]["total_us"]["sum"].get<double>()
                                                : out["columns"][0]["summary"]["total_us"]["sum"].get<double>();
    col["ratio_to_first"] = first > 0 ? main["summary"]["total_us"]["sum"].get<double>() / first : 0.0;
    out["columns"].push_back(col);
  }
  return out;
}

std::string compare_table(const nlohmann::json& r) {
  std::ostringstream out;
  const auto& cols = r["columns"];
  char cell[128];
  auto row = [&](const std::string& name, auto value) {
    std::snprintf(cell, sizeof cell, "%-26s", name.c_str());
    out << cell;
    for (const auto& c : cols) {
      std::snprintf(cell, sizeof cell, " %24s", value(c).c_str());
      out << cell;
    }
    out << "\n";
  };
  auto num = [](double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.3f", v);
    return std::string(b);
  };
  out << "compare " << r["scenario"].get<std::string>() << " (engine " << r["engine"].get<std::string>() << ")\n";
  row("", [](const nlohmann::json& c) {
    std::string l = c["label"].get<std::string>();
    return l.size() > 24 ? "..." + l.substr(l.size() - 21) : l;
  });
  row("chips", [](const nlohmann::json& c) { return std::to_string(c["platform"]["chips"].get<long>()); });
  row("dispatch_us mean", [&](const nlohmann::json& c) { return num(c["summary"]["dispatch_us"]["mean"]); });
  row("dispatch_us max", [&](const nlohmann::json& c) { return num(c["summary"]["dispatch_us"]["max"]); });
  row("combine_us mean", [&](const nlohmann::json& c) { return num(c["summary"]["combine_us"]["mean"]); });
  row("total_us sum", [&](const nlohmann::json& c) { return num(c["summary"]["total_us"]["sum"]); });
  row("bound dispatch_us mean", [&](const nlohmann::json& c) { return num(c["bound_summary"]["dispatch_us"]["mean"]); });
  row("bound combine_us mean", [&](const nlohmann::json& c) { return num(c["bound_summary"]["combine_us"]["mean"]); });
  row("analytic dispatch_us", [&](const nlohmann::json& c) { return num(c["analytic_summary"]["dispatch_us"]["mean"]); });
  row("analytic combine_us", [&](const nlohmann::json& c) { return num(c["analytic_summary"]["combine_us"]["mean"]); });
  row("hottest link (dispatch)", [](const nlohmann::json& c) {
    return c["hottest_link"].is_null() ? std::string("-") : c["hottest_link"]["name"].get<std::string>();
  });
  row("total / first column", [&](const nlohmann::json& c) { return num(c["ratio_to_first"]); });
  return out.str();
}

}  // namespace moesim
