// moesim topo: a platform analysed without simulating, and a scenario's link load.
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "engine/topo_report.hpp"
#include "moesim/simulator.hpp"

namespace moesim::cli {
namespace {

struct TopoOptions {
  std::string platform, scenario, json;
  std::size_t top = 5;
};

int topo(const TopoOptions& o) {
  const bool piped = claims_stdout({{"--json", o.json}});
  const PlatformSpec spec = load_platform_spec(o.platform);
  const TopoReport r = topo_report(o.platform, spec, load_any_topology(spec), o.scenario, o.top);
  if (!piped) std::cout << r.text;
  if (!o.json.empty()) write_output(o.json, r.json.dump(2) + "\n", "--json");
  return 0;
}

}  // namespace

Body setup_topo(CLI::App& c) {
  auto o = std::make_shared<TopoOptions>();
  c.add_option("platform", o->platform, kPlatformFiles)->required();
  c.add_option("--scenario", o->scenario, "Also load the links with this scenario's first layer");
  c.add_option("--top", o->top, "How many of the most loaded links to list")->capture_default_str();
  c.add_option("--json", o->json, "Write the analysis as JSON to this file ('-' for stdout)");
  return [o] { return topo(*o); };
}

}  // namespace moesim::cli
