// `moesim topo`: what a platform is without simulating (size, hops,
// injection and bisection bandwidth) and, with a scenario, how its first
// layer loads the links (flows, bytes, the bound, the most loaded links).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "moesim/platform.hpp"
#include "moesim/topology.hpp"

namespace moesim {

struct TopoReport {
  std::string text;     // the lines `moesim topo` prints
  nlohmann::json json;  // the same, for --json
};

// `scenario_path` may be empty (no link loads); `top`: links listed per phase.
TopoReport topo_report(const std::string& platform_path, const PlatformSpec& spec, const Topology& topology,
                       const std::string& scenario_path, std::size_t top);

}  // namespace moesim
