// Graphviz DOT for pictures of a platform a person can read: tori on their
// grid, the others by level with repeated groups summarised, each with a
// title and a legend.
#pragma once

#include <cstddef>
#include <string>

#include "moesim/platform.hpp"
#include "moesim/topology.hpp"

namespace moesim {

struct PictureDot {
  std::string text;
  // Graphviz's layout engine: "neato" or "dot". With fixed_positions every
  // node has a `pos` in points and Graphviz only draws (`neato -n2`), which
  // takes well under a second whatever the size.
  std::string layout = "dot";
  bool fixed_positions = false;
  std::size_t nodes = 0, edges = 0;  // what Graphviz is given, for progress
};

// Tori (generated, twisted or not): chips at their grid places, z-planes
// side by side (a 3D torus of more than 4 planes draws the first two and the
// last), wrap-around links as labelled stubs. Fat-trees: a row per level,
// the core on top, each leaf's chips as one box. GPU clusters: rail
// switches on top, the first two nodes and the last in full and one box for
// the others. Tiers, dragonflies and graphs (DOT, GraphML, SimGrid XML): by
// level, chips in the bottom row and every other node a row above its
// nearest neighbour toward the chips; past 4 groups (boards, dragonfly
// groups, chips under one switch) the first two and the last. A torus of
// more than 3 dimensions: every node and link, laid out by Graphviz.
PictureDot picture_dot(const Topology& topology, const PlatformSpec& spec);

}  // namespace moesim
