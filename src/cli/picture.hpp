// Pictures of a topology through Graphviz (Debian's graphviz package).
#pragma once

#include <string>

#include "moesim/topology.hpp"

namespace moesim {

// Renders the topology to `path` (.svg, .png or .pdf) with Graphviz: `dot`
// for switched fabrics, `neato` for direct networks. Throws InputError if the
// format is unknown, Graphviz is missing or fails.
void render_picture(const Topology& topology, const std::string& path);

}  // namespace moesim
