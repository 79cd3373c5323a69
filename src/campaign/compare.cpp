// Side-by-side runs of one scenario, each in a child process.
#include "campaign/compare.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>

#include "campaign/child_run.hpp"
#include "moesim/error.hpp"
#include "moesim/platform.hpp"
#include "util/files.hpp"
#include "util/format.hpp"

namespace moesim {
namespace {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');)
    if (!part.empty()) out.push_back(part);
  return out;
}

// A column: the main engine's layers and summary beside the bound's and the analytic's.
// An overlapped run has no analytic column (the closed form prices the whole
// batch, not a micro-batch's traffic): null.
nlohmann::json column_json(const std::string& label, const std::vector<std::string>& sets, const RunSummary& main,
                           const RunSummary& bound, const RunSummary* analytic) {
  if (!main.platform) fail("compare", label, "the run report names no platform");
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t l = 0; l < main.per_layer.size(); ++l) {
    layers.push_back({{"layer", l},
                      {"dispatch_us", main.per_layer[l].dispatch_us},
                      {"combine_us", main.per_layer[l].combine_us},
                      {"bound_dispatch_us", bound.per_layer.at(l).dispatch_us},
                      {"bound_combine_us", bound.per_layer.at(l).combine_us}});
    if (analytic) {
      layers.back()["analytic_dispatch_us"] = analytic->per_layer.at(l).dispatch_us;
      layers.back()["analytic_combine_us"] = analytic->per_layer.at(l).combine_us;
    }
  }
  nlohmann::json hottest;  // the bound's critical link of layer 0's first phase
  if (!bound.per_layer.empty() && !bound.per_layer[0].phases.empty() && bound.per_layer[0].phases[0].critical_link)
    hottest = critical_link_json(*bound.per_layer[0].phases[0].critical_link);
  nlohmann::json tokens;
  if (main.tokens)
    tokens = {{"global_batch", main.tokens->global_batch},
              {"seq_len", main.tokens->seq_len},
              {"ep", main.tokens->ep},
              {"tokens_per_chip", main.tokens->tokens_per_chip}};
  return {{"label", label},
          {"sets", sets},
          {"platform", platform_json(*main.platform)},
          {"tokens", tokens},
          {"summary", summary_json(main)},
          {"bound_summary", summary_json(bound)},
          {"analytic_summary", analytic ? summary_json(*analytic) : nlohmann::json()},
          {"hottest_link", hottest},
          {"layers", layers}};
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
    columns.push_back({is_platform_string(p) ? p : stem.substr(0, stem.find_last_of('.')), {"platform=" + p}});
  }
  for (const auto& s : o.sets) columns.push_back({s, split_commas(s)});
  if (columns.empty()) columns.push_back({"as written", {}});
  nlohmann::json out = {
      {"scenario", o.scenario}, {"engine", o.engine}, {"all", o.common}, {"columns", nlohmann::json::array()}};
  const TempDir work("moesim-compare");
  double first_total_us = 0;
  for (auto& c : columns) {
    c.sets.insert(c.sets.begin(), o.common.begin(), o.common.end());
    auto run = [&](const std::string& engine) {
      return run_and_wait({o.binary, o.scenario, engine, c.sets}, work, "compare", c.label);
    };
    const RunSummary main = run(o.engine);
    const RunSummary bound = o.engine == "bound" ? main : run("bound");
    std::optional<RunSummary> analytic;
    if (o.engine == "analytic")
      analytic = main;
    else if (!main.overlap)
      analytic = run("analytic");
    out["columns"].push_back(column_json(c.label, c.sets, main, bound, analytic ? &*analytic : nullptr));
    const double total_us = main.column("total_us")->sum;
    if (out["columns"].size() == 1) first_total_us = total_us;
    out["columns"].back()["ratio_to_first"] = first_total_us > 0 ? total_us / first_total_us : 0.0;
  }
  return out;
}

namespace {

// A file named in an edit, as its name without folder and extension.
std::string short_value(const std::string& value) {
  auto ends = [&](const std::string& tail) {
    return value.size() > tail.size() && value.compare(value.size() - tail.size(), tail.size(), tail) == 0;
  };
  const bool file = value.find('/') != std::string::npos || ends(".yaml") || ends(".xml");
  if (!file) return value;
  std::string base = value.substr(value.find_last_of('/') + 1);
  return base.substr(0, base.find_last_of('.'));
}

// Column heads a reader can tell apart: each column's edits without those
// every column shares (returned in `shared`), a platform file by its name,
// a file value by its stem. Whole labels where that would make two alike.
std::vector<std::string> column_heads(const nlohmann::json& cols, std::vector<std::string>& shared) {
  std::vector<std::vector<std::string>> edits;
  for (const auto& c : cols) {
    std::vector<std::string> e;
    std::stringstream label(c["label"].get<std::string>());
    for (std::string part; std::getline(label, part, ',');) e.push_back(part);
    edits.push_back(e);
  }
  if (edits.size() > 1)
    for (const auto& e : edits.front()) {
      bool everywhere = true;
      for (const auto& other : edits) everywhere = everywhere && std::count(other.begin(), other.end(), e) > 0;
      if (everywhere) shared.push_back(e);
    }
  std::vector<std::string> heads;
  for (const auto& e : edits) {
    std::string head;
    for (const auto& edit : e) {
      if (std::count(shared.begin(), shared.end(), edit)) continue;
      const auto eq = edit.find('=');
      std::string text = edit;
      if (eq != std::string::npos) {
        const std::string key = edit.substr(0, eq), value = short_value(edit.substr(eq + 1));
        text = key == "platform" ? value : key + "=" + value;
      } else {
        text = short_value(edit);
      }
      head += (head.empty() ? "" : ",") + text;
    }
    heads.push_back(head.empty() ? "(as the scenario)" : head);
  }
  for (std::size_t i = 0; i < heads.size(); ++i)
    for (std::size_t j = i + 1; j < heads.size(); ++j)
      if (heads[i] == heads[j]) {
        shared.clear();
        heads.clear();
        for (const auto& c : cols) heads.push_back(c["label"].get<std::string>());
        return heads;
      }
  return heads;
}

// "compare SCENARIO (engine E; in every column: EDITS)"
std::string compare_title(const nlohmann::json& r, const std::vector<std::string>& shared) {
  std::string out = "compare " + r["scenario"].get<std::string>() + " (engine " + r["engine"].get<std::string>();
  std::vector<std::string> everywhere = shared;
  if (r.contains("all"))
    for (const auto& edit : r["all"]) everywhere.push_back(edit.get<std::string>());
  if (!everywhere.empty()) {
    out += "; in every column:";
    for (const auto& edit : everywhere) out += " " + edit;
  }
  return out + ")\n";
}

}  // namespace

// An overlapped column's rounds may carry two phases at once: it shows no
// per-phase figures, no analytic ones, and the overlap's own.
std::string compare_table(const nlohmann::json& r) {
  std::ostringstream out;
  const auto& cols = r["columns"];
  std::vector<std::string> shared;
  const std::vector<std::string> heads = column_heads(cols, shared);
  int width = 24;
  for (const auto& h : heads) width = std::max(width, static_cast<int>(h.size()));
  auto cell = [&](const std::string& text) { return " " + std::string(width - std::min<int>(width, text.size()), ' ') + text; };
  auto row = [&](const std::string& name, auto value) {
    char head[128];
    std::snprintf(head, sizeof head, "%-26s", name.c_str());
    out << head;
    for (const auto& c : cols) out << cell(value(c));
    out << "\n";
  };
  auto num = [](double v) { return format("%.3f", v); };
  out << compare_title(r, shared);
  std::size_t column = 0;
  row("", [&](const nlohmann::json&) { return heads[column++]; });
  row("chips (EP group of platform)", [](const nlohmann::json& c) {
    return std::to_string(c["platform"]["group_chips"].get<long>()) + " of " +
           std::to_string(c["platform"]["chips"].get<long>());
  });
  auto tokens = [](const char* key) {
    return [key](const nlohmann::json& c) {
      if (c["tokens"].is_null()) return std::string("-");
      char b[64];
      std::snprintf(b, sizeof b, "%g", c["tokens"][key].get<double>());
      return std::string(b);
    };
  };
  row("global_batch (an EP group)", tokens("global_batch"));
  row("tokens_per_chip", tokens("tokens_per_chip"));
  auto phase = [&num](const char* summary, const char* key, const char* stat) {
    return [&num, summary, key, stat](const nlohmann::json& c) {
      return c["summary"].contains("overlap") ? std::string("-") : num(c[summary][key][stat]);
    };
  };
  row("dispatch_us mean", phase("summary", "dispatch_us", "mean"));
  row("dispatch_us max", phase("summary", "dispatch_us", "max"));
  row("combine_us mean", phase("summary", "combine_us", "mean"));
  row("total_us sum", [&](const nlohmann::json& c) { return num(c["summary"]["total_us"]["sum"]); });
  row("bound dispatch_us mean", phase("bound_summary", "dispatch_us", "mean"));
  row("bound combine_us mean", phase("bound_summary", "combine_us", "mean"));
  auto analytic = [&num](const char* phase) {
    return [&num, phase](const nlohmann::json& c) {
      return c["analytic_summary"].is_null() ? std::string("-") : num(c["analytic_summary"][phase]["mean"]);
    };
  };
  row("analytic dispatch_us", analytic("dispatch_us"));
  row("analytic combine_us", analytic("combine_us"));
  const bool overlapped = std::any_of(cols.begin(), cols.end(), [](const auto& c) { return c["summary"].contains("overlap"); });
  auto overlap = [&num](const char* key, double scale) {
    return [&num, key, scale](const nlohmann::json& c) {
      return c["summary"].contains("overlap") ? num(scale * c["summary"]["overlap"][key].get<double>()) : std::string("-");
    };
  };
  if (overlapped) {
    row("overlap: comm_us", overlap("comm_us", 1));
    row("overlap: exposed_us", overlap("exposed_us", 1));
    row("overlap: % of comm hidden", overlap("overlap_efficiency", 100));
    row("overlap: tokens/s a chip", overlap("tokens_per_s_per_chip", 1));
  }
  if (std::any_of(cols.begin(), cols.end(), [](const auto& c) { return c["summary"].contains("fault_cost"); }))
    row("faults: x the healthy run", [&num](const nlohmann::json& c) {
      return c["summary"].contains("fault_cost") ? num(c["summary"]["fault_cost"]["slowdown"]) : std::string("-");
    });
  row("hottest link (dispatch)", [](const nlohmann::json& c) {
    return c["hottest_link"].is_null() ? std::string("-") : c["hottest_link"]["name"].get<std::string>();
  });
  row("total / first column", [&](const nlohmann::json& c) { return num(c["ratio_to_first"]); });
  return out.str();
}

}  // namespace moesim
