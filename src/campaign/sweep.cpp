#include "campaign/sweep.hpp"

#include <cmath>
#include <map>
#include <sstream>

#include "moesim/error.hpp"
#include "moesim/platform.hpp"
#include "moesim/scenario.hpp"
#include "util/yaml_util.hpp"

namespace moesim {

namespace {

std::string folder_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

std::string flow_yaml(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

std::string stem(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  return name.substr(0, name.find('.'));
}

// Keys whose values are file paths, relative to the sweep's folder (a
// platform string, "torus:8x8:45GBps", names no file).
bool is_path_key(const std::string& key) { return key == "platform" || key == "traffic.trace"; }
bool is_relative_path(const std::string& key, const std::string& value) {
  return is_path_key(key) && !value.empty() && value.front() != '/' && !is_platform_string(value);
}

std::string number_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 9.0e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream s;
  s.precision(15);
  s << v;
  return s.str();
}

// One axis: a list of values, or a range {from, to, step | factor}.
std::vector<SweepParam> read_axis(const YamlMap& section, const std::string& key, const std::string& folder) {
  const YAML::Node node = section.self()[key];
  std::vector<SweepParam> values;
  auto add = [&](const YAML::Node& v) {
    if (!v.IsScalar() && !v.IsMap() && !v.IsSequence())
      section.fail_at(key, "expected a value, got " + quote(v));
    SweepParam p;
    p.key = key;
    p.value = flow_yaml(v);
    p.label = v.IsScalar() ? v.Scalar() : p.value;
    if (is_path_key(key)) {
      if (!v.IsScalar() || v.Scalar().empty()) section.fail_at(key, "expected file paths, got " + quote(v));
      const std::string& path = v.Scalar();
      p.value = is_relative_path(key, path) ? folder + path : path;
      p.label = is_platform_string(path) ? path : stem(path);
    }
    values.push_back(p);
  };
  if (node.IsSequence()) {
    if (node.size() == 0) section.fail_at(key, "an empty list (an axis needs at least one value)");
    for (const auto& v : node) add(v);
    return values;
  }
  if (!node.IsMap()) section.fail_at(key, "expected a list of values or a range {from, to, step}, got " + quote(node));
  YamlMap range(section.doc(), node, section.key_path(key));
  range.allow_only({"from", "to", "step", "factor"});
  const double from = range.number("from"), to = range.number("to");
  if (range.has("step") == range.has("factor")) range.fail_at("from", "a range needs one of step and factor");
  const bool by_step = range.has("step");
  const double by = by_step ? range.number("step") : range.number("factor");
  if (by_step && !(by > 0)) range.fail_at("step", "must be more than 0");
  if (!by_step && !(by > 1)) range.fail_at("factor", "must be more than 1");
  if (!(to >= from)) range.fail_at("to", number_text(to) + " is less than from " + number_text(from));
  if (!by_step && !(from > 0)) range.fail_at("from", "must be more than 0 for a factor range");
  const double slack = 1e-9 * std::max(std::fabs(from), std::fabs(to));
  for (double v = from; v <= to + slack; v = by_step ? v + by : v * by) {
    if (values.size() >= 100000) range.fail_at("to", "more than 100000 values");
    add(YAML::Node(number_text(v)));
  }
  return values;
}

// Short names for the run names: the key's last component, unless two axes share it.
std::map<std::string, std::string> short_names(const std::vector<std::string>& axes) {
  std::map<std::string, int> count;
  auto last = [](const std::string& k) { return k.substr(k.find_last_of('.') + 1); };
  for (const auto& a : axes) count[last(a)]++;
  std::map<std::string, std::string> out;
  for (const auto& a : axes) out[a] = count[last(a)] > 1 ? a : last(a);
  return out;
}

// `set`: overrides of every run; paths relative to the sweep's folder.
std::vector<std::string> read_set(const YamlMap& root, const std::string& folder, Sweep& sweep) {
  std::vector<std::string> set;
  if (auto s = root.map_if("set")) {
    for (const std::string& key : s->keys()) {
      const YAML::Node v = s->node(key);
      std::string value = flow_yaml(v);
      if (v.IsScalar() && is_relative_path(key, v.Scalar())) value = folder + v.Scalar();
      set.push_back(key + "=" + value);
      sweep.keys.push_back({key, value, s->where(key), "set"});
    }
  }
  return set;
}

// A key no scenario has fails at its line in the sweep file. Other errors
// (a value this base rejects alone) are left to the runs, where other axes'
// values may make them valid.
void check_keys(const Sweep& sweep) {
  for (const SweepKey& k : sweep.keys) {
    try {
      load_scenario(sweep.base, {k.key + "=" + k.value});
    } catch (const InputError& e) {
      const std::string what = e.what();
      if (what.find(": unknown key") != std::string::npos)
        fail(k.where, k.section + "." + k.key, "not a key of the base scenario " + sweep.base + ": " + what);
    }
  }
}

// The axes' values: the grid's, then the zip's (lists of one length).
struct Axes {
  std::vector<std::vector<SweepParam>> grid, zip;
};

Axes read_axes(const YamlMap& root, const std::string& folder, Sweep& sweep) {
  Axes axes;
  if (auto g = root.map_if("grid")) {
    for (const std::string& key : g->keys()) {
      sweep.axes.push_back(key);
      axes.grid.push_back(read_axis(*g, key, folder));
      sweep.keys.push_back({key, axes.grid.back().front().value, g->where(key), "grid"});
    }
  }
  if (auto z = root.map_if("zip")) {
    std::string first;
    for (const std::string& key : z->keys()) {
      for (const auto& a : sweep.axes)
        if (a == key) z->fail_at(key, "is also a grid axis");
      sweep.axes.push_back(key);
      auto& zip = axes.zip;
      zip.push_back(read_axis(*z, key, folder));
      sweep.keys.push_back({key, zip.back().front().value, z->where(key), "zip"});
      if (zip.size() == 1) first = key;
      if (zip.back().size() != zip.front().size())
        z->fail_at(key, std::to_string(zip.back().size()) + " values where " + first + " has " +
                            std::to_string(zip.front().size()) + " (zip lists walk together)");
    }
  }
  if (sweep.axes.empty()) fail(sweep.path, "grid", "a sweep needs a grid or a zip with at least one axis");
  return axes;
}

// Every combination: the grid's mixed-radix counter, the zip row fastest.
void expand_runs(const Axes& axes, const std::vector<std::string>& set, Sweep& sweep) {
  const auto& grid = axes.grid;
  const auto& zip = axes.zip;
  const std::size_t rows = zip.empty() ? 1 : zip.front().size();
  std::size_t total = rows;
  for (const auto& axis : grid) {
    if (total > 1000000 / axis.size()) fail(sweep.path, "grid", "more than 1000000 runs");
    total *= axis.size();
  }
  const auto names = short_names(sweep.axes);
  for (std::size_t i = 0; i < total; ++i) {
    SweepRun run;
    run.index = i;
    run.set = set;
    std::size_t rest = i;
    const std::size_t row = rest % rows;
    rest /= rows;
    std::vector<std::size_t> digit(grid.size());
    for (std::size_t a = grid.size(); a-- > 0;) {
      digit[a] = rest % grid[a].size();
      rest /= grid[a].size();
    }
    for (std::size_t a = 0; a < grid.size(); ++a) run.params.push_back(grid[a][digit[a]]);
    for (const auto& axis : zip) run.params.push_back(axis[row]);
    for (const auto& p : run.params)
      run.name += (run.name.empty() ? "" : ",") + names.at(p.key) + "=" + p.label;
    sweep.runs.push_back(std::move(run));
  }
}

}  // namespace

std::vector<std::string> SweepRun::overrides() const {
  std::vector<std::string> out = set;
  for (const auto& p : params) out.push_back(p.key + "=" + p.value);
  return out;
}

Sweep load_sweep(const std::string& path) {
  YamlDoc doc = YamlDoc::load_file(path);
  if (!doc.root().IsMap()) fail(path, "", "a sweep file is a mapping (name, base, set, grid, zip, unfit)");
  YamlMap root(doc, doc.root(), "");
  root.allow_only({"name", "base", "set", "grid", "zip", "unfit"});
  Sweep sweep;
  sweep.path = path;
  const std::string folder = folder_of(path);
  sweep.name = root.str_or("name", stem(path));
  const std::string base = root.str("base");
  sweep.where_base = root.where("base");
  if (base.empty()) root.fail_at("base", "an empty path");
  sweep.base = base.front() == '/' ? base : folder + base;
  const std::vector<std::string> set = read_set(root, folder, sweep);
  const std::string unfit = root.str_or("unfit", "fail");
  if (unfit != "fail" && unfit != "skip") root.fail_at("unfit", "'" + unfit + "' is not one of: fail, skip");
  sweep.skip_unfit = unfit == "skip";
  expand_runs(read_axes(root, folder, sweep), set, sweep);
  check_keys(sweep);
  return sweep;
}

Shard parse_shard(const std::string& text) {
  Shard s;
  const auto slash = text.find('/');
  auto number = [&](const std::string& part, std::size_t& out) {
    if (part.empty() || part.size() > 9 || part.find_first_not_of("0123456789") != std::string::npos) return false;
    out = std::stoul(part);
    return true;
  };
  if (slash == std::string::npos || !number(text.substr(0, slash), s.index) ||
      !number(text.substr(slash + 1), s.count) || s.count == 0 || s.index >= s.count)
    fail("--shard", "", "'" + text + "' is not i/N with 0 <= i < N, e.g. 0/4");
  return s;
}

std::vector<SweepRun> shard_runs(const Sweep& sweep, const Shard& shard) {
  std::vector<SweepRun> out;
  for (const auto& r : sweep.runs)
    if (r.index % shard.count == shard.index) out.push_back(r);
  return out;
}

}  // namespace moesim
