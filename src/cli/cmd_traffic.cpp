// moesim traffic: a scenario's traffic for other programs: a JSON header and a
// CSV of the bytes each chip sends each chip, per layer, phase and stage
// (docs/harness.md), which harness/moesim_replay.py replays on GPUs.
#include <filesystem>
#include <iostream>
#include <memory>
#include <system_error>

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "engine/traffic_export.hpp"
#include "moesim/error.hpp"
#include "moesim/scenario.hpp"
#include "moesim/simulator.hpp"
#include "util/format.hpp"

namespace moesim::cli {
namespace {

struct TrafficOptions {
  std::string scenario, seed, out, json, csv;
  std::vector<std::string> sets;
};

namespace fs = std::filesystem;

// The CSV's name as the header gives it: relative to the header's folder,
// or null where the header does not sit beside a CSV file.
nlohmann::ordered_json flows_file(const std::string& json, const std::string& csv) {
  if (json.empty() || json == "-" || csv.empty() || csv == "-") return nullptr;
  const fs::path folder = fs::absolute(json).parent_path();
  return fs::absolute(csv).lexically_relative(folder).generic_string();
}

int traffic(const TrafficOptions& o) {
  if (o.out.empty() && o.json.empty() && o.csv.empty())
    fail("-o", "", "say where the traffic goes: -o DIR (traffic.json and traffic.csv), --json or --csv");
  const bool piped = claims_stdout({{"--json", o.json}, {"--csv", o.csv}});
  if (o.out == "-") fail("-o", "-", "a folder, for two files (--json - or --csv - for stdout)");
  std::vector<std::string> sets = o.sets;
  if (!o.seed.empty()) sets.push_back("seed=" + o.seed);
  // Loaded again with the point's settings: a measurement row of them is this scenario.
  const std::vector<Setting> point = point_settings(load_scenario(o.scenario, sets), sets);
  const Scenario s = load_scenario(o.scenario, overrides_of(point));
  const Topology topology = load_any_topology(s.platform);
  if (!o.out.empty()) {
    std::error_code ec;
    fs::create_directories(o.out, ec);
    if (ec || !fs::is_directory(o.out)) fail("-o", o.out, "cannot make the folder: " + ec.message());
  }
  TrafficExport t = export_traffic(s, topology, point, o.out.empty() ? "" : "traffic.csv");
  if (!o.out.empty()) {
    write_output((fs::path(o.out) / "traffic.csv").string(), t.csv, "-o");
    write_output((fs::path(o.out) / "traffic.json").string(), t.header.dump(2) + "\n", "-o");
  }
  if (!o.csv.empty()) write_output(o.csv, t.csv, "--csv");
  if (!o.json.empty()) {
    t.header["flows"]["file"] = flows_file(o.json, o.csv);
    write_output(o.json, t.header.dump(2) + "\n", "--json");
  }
  if (!piped) {
    const auto& flows = t.header["flows"];
    std::cout << "traffic of " << s.name << ": " << plural(s.model.moe_layers, "layer") << ", "
              << plural(flows["rows"].get<std::size_t>(), "row") << ", " << flows["bytes"] << " B over "
              << plural(t.header["ranks"].size(), "chip") << "\n";
    if (!o.out.empty())
      std::cout << "wrote " << (fs::path(o.out) / "traffic.json").string() << " and "
                << (fs::path(o.out) / "traffic.csv").string() << "\n";
  }
  return 0;
}

}  // namespace

Body setup_traffic(CLI::App& c) {
  auto o = std::make_shared<TrafficOptions>();
  c.add_option("scenario", o->scenario, "Scenario YAML file")->required();
  c.add_option("--set", o->sets, "Edit the scenario before validation: key=value, e.g. deployment.ep=8");
  c.add_option("--seed", o->seed, "Seed of the routing models (same as --set seed=N)");
  c.add_option("-o,--out", o->out, "Write DIR/traffic.json (the header) and DIR/traffic.csv (the flows)");
  c.add_option("--json", o->json, "Write the header to this file ('-' for stdout)");
  c.add_option("--csv", o->csv, "Write the flows, layer,phase,stage,src,dst,bytes, to this file ('-' for stdout)");
  return [o] { return traffic(*o); };
}

}  // namespace moesim::cli
