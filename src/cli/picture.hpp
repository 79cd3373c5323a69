// Pictures of a topology through Graphviz (Debian's graphviz package).
#pragma once

#include <string>

#include "moesim/platform.hpp"
#include "moesim/topology.hpp"

namespace moesim {

// Renders the platform to `path` (.svg, .png or .pdf) with Graphviz (see
// platform/picture_dot.hpp for what it draws); logs at info on the "moesim"
// logger before and after. Throws InputError if the format is unknown,
// Graphviz is missing or fails.
void render_picture(const Topology& topology, const PlatformSpec& spec, const std::string& path);

}  // namespace moesim
