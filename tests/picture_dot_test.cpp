// Pictures of platforms: tori on their grid with fixed positions, fat-trees
// with the core on top, GPU clusters summarised, tiers, dragonflies and
// graphs by level; each with a title and legend.
#include "platform/picture_dot.hpp"

#include <catch2/catch.hpp>
#include <regex>
#include <set>

using namespace moesim;

namespace {

struct Picture {
  PlatformSpec spec;
  Topology topology;
  PictureDot dot;
};

Picture picture_of(const std::string& name) {
  Picture p;
  p.spec = load_platform_spec(std::string(MOESIM_SOURCE_DIR) + "/platforms/" + name);
  p.topology = build_topology(p.spec);
  p.dot = picture_dot(p.topology, p.spec);
  return p;
}

// The y position (points) of every node whose id matches `id`.
std::vector<double> y_of(const std::string& dot, const std::string& id) {
  std::vector<double> ys;
  const std::regex node("\"(" + id + ")\" \\[[^\\n]*pos=\"([-0-9.e]+),([-0-9.e]+)!\"");
  for (auto it = std::sregex_iterator(dot.begin(), dot.end(), node); it != std::sregex_iterator(); ++it)
    ys.push_back(std::stod((*it)[3]));
  return ys;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a torus picture: every chip at a fixed grid place, a title, wrap-around stubs", "[picture]") {
  const Picture p = picture_of("tpu-v4-4x4x4.yaml");
  CHECK(p.dot.fixed_positions);
  CHECK(p.dot.layout == "neato");
  CHECK(y_of(p.dot.text, "chip-[0-9]+").size() == 64);  // every chip has a pos
  CHECK(p.dot.text.find("tpu-v4-4x4x4") != std::string::npos);
  CHECK(p.dot.text.find("3D torus 4 \u00d7 4 \u00d7 4: 64 chips, 192 links") != std::string::npos);
  CHECK(count(p.dot.text, "label=\"z = ") == 4);  // a plane per z
  // A ring of 4 in x and in y: one wrap-around link per row and per column
  // of each plane, drawn as two stubs each.
  CHECK(count(p.dot.text, "-- \"stub-") == 2 * 2 * 4 * 4);
  CHECK(p.dot.text.find("label=\"to 0\"") != std::string::npos);
  // Chips 0 and 4 (y = 0 and 1) are one row apart, y = 0 on top.
  const double y0 = y_of(p.dot.text, "chip-0").at(0), y4 = y_of(p.dot.text, "chip-4").at(0);
  CHECK(y0 > y4);
}

TEST_CASE("a large 3D torus draws three planes and says how many it leaves out", "[picture]") {
  const Picture p = picture_of("tpu-v5p-8x8x8.yaml");
  CHECK(p.dot.fixed_positions);
  CHECK(y_of(p.dot.text, "chip-[0-9]+").size() == 3 * 64);
  CHECK(p.dot.text.find("5 more\\nz-planes") != std::string::npos);
  CHECK(p.dot.nodes < 400);
}

TEST_CASE("a fat-tree picture puts the core switches in the top row", "[picture]") {
  const Picture p = picture_of("fat-tree-4ary3-50g.yaml");
  CHECK(p.dot.fixed_positions);
  const std::vector<double> core = y_of(p.dot.text, "sw-3-[0-9]+"), leaf = y_of(p.dot.text, "sw-1-[0-9]+");
  const std::vector<double> all = y_of(p.dot.text, "[^\"]+");
  REQUIRE(core.size() == 16);
  REQUIRE(leaf.size() == 16);
  const double top = *std::max_element(all.begin(), all.end());
  for (double y : core) CHECK(y == top);
  for (double y : leaf) CHECK(y < core.front());
  CHECK(p.dot.text.find("4-ary 3-tree") != std::string::npos);
  CHECK(y_of(p.dot.text, "leaf-chips-[0-9]+").size() == 16);  // a box per leaf's 4 chips, not 64
}

TEST_CASE("a GPU cluster picture draws three nodes and summarises the rest", "[picture]") {
  const Picture p = picture_of("h800-ib-32x8.yaml");
  CHECK(p.dot.fixed_positions);
  CHECK(y_of(p.dot.text, "chip-[0-9]+").size() == 3 * 8);
  CHECK(p.dot.nodes < 60);  // not 256 chips and 40 switches
  CHECK(p.dot.text.find("29 more nodes") != std::string::npos);
  CHECK(p.dot.text.find("32 nodes of 8 GPUs") != std::string::npos);
  CHECK(y_of(p.dot.text, "rail-[0-9]+").size() == 8);
  const std::vector<double> rails = y_of(p.dot.text, "rail-[0-9]+"), gpus = y_of(p.dot.text, "chip-[0-9]+");
  CHECK(*std::min_element(rails.begin(), rails.end()) > *std::max_element(gpus.begin(), gpus.end()));
}

namespace {

// Every node statement of a picture's DOT, and whether each has a fixed pos.
std::size_t unplaced_nodes(const std::string& dot) {
  std::size_t n = 0;
  const std::regex node("\n  \"[^\"]+\" \\[([^\\n]*)\\];");
  for (auto it = std::sregex_iterator(dot.begin(), dot.end(), node); it != std::sregex_iterator(); ++it)
    if ((*it)[1].str().find("pos=\"") == std::string::npos || (*it)[1].str().find("!\"") == std::string::npos) ++n;
  return n;
}

// The x extent of every fixed node, points.
double width_of(const std::string& dot) {
  const std::vector<double> xs = [&] {
    std::vector<double> out;
    const std::regex pos("pos=\"([-0-9.e]+),([-0-9.e]+)!\"");
    for (auto it = std::sregex_iterator(dot.begin(), dot.end(), pos); it != std::sregex_iterator(); ++it)
      out.push_back(std::stod((*it)[1]));
    return out;
  }();
  return xs.empty() ? 0 : *std::max_element(xs.begin(), xs.end()) - *std::min_element(xs.begin(), xs.end());
}

Picture picture_of_spec(PlatformSpec spec) {
  Picture p;
  p.spec = std::move(spec);
  p.topology = build_topology(p.spec);
  p.dot = picture_dot(p.topology, p.spec);
  return p;
}

}  // namespace

TEST_CASE("a tiers picture draws boards of chips with their ports above, at fixed places", "[picture]") {
  const Picture p = picture_of("sg2262-p1r1b4c32.yaml");
  CHECK(p.dot.fixed_positions);
  CHECK(p.dot.layout == "neato");
  CHECK(unplaced_nodes(p.dot.text) == 0);
  CHECK(y_of(p.dot.text, "chip-[0-9]+").size() == 32);
  const std::vector<double> chips = y_of(p.dot.text, "chip-[0-9]+"), ports = y_of(p.dot.text, "board-[0-9]+");
  REQUIRE(ports.size() == 4);
  for (double y : ports) CHECK(y > *std::max_element(chips.begin(), chips.end()));
  CHECK(p.dot.text.find("tiers, a rack of 4 boards of 8 chips: 32 chips, 118 links") != std::string::npos);
  CHECK(p.dot.text.find("blue = c2c (112 links, 400 GB/s), green = b2b (6 links, 450 GB/s)") != std::string::npos);
  CHECK(p.dot.text.find("style=dashed") != std::string::npos);  // the direct uplinks
  // A board's full mesh is arcs under its chips: edges with their own curve.
  CHECK(count(p.dot.text, "\"chip-0\" -- \"chip-") == 7);
  CHECK(p.dot.text.find("size=\"20,30\"") != std::string::npos);
  CHECK(width_of(p.dot.text) < 20 * 72);
  CHECK(p.dot.nodes < 50);
}

TEST_CASE("a large tiers picture draws two members and the last of each group, and counts the rest", "[picture]") {
  PlatformSpec spec;
  spec.name = "tiers-6x20";
  spec.kind = PlatformSpec::Kind::kTiers;
  spec.tiers.levels = {{"board", "c2c", 20, TierLevel::Fabric::kFullMesh, TierLevel::Uplink::kDirect, 400e9, 2e-7, 0},
                       {"rack", "b2b", 6, TierLevel::Fabric::kSwitch, TierLevel::Uplink::kDirect, 450e9, 3.5e-7, 0}};
  const Picture p = picture_of_spec(spec);
  CHECK(unplaced_nodes(p.dot.text) == 0);
  CHECK(y_of(p.dot.text, "chip-[0-9]+").size() == 3 * 3);  // chips 0, 1, 19 of boards 0, 1, 5
  CHECK(p.dot.text.find("3 more boards\\n(boards 2\u20134)") != std::string::npos);
  CHECK(p.dot.text.find("17 more chips\\n(chips 2\u201318)") != std::string::npos);
  const std::vector<double> sw = y_of(p.dot.text, "rack-0-sw"), ports = y_of(p.dot.text, "board-[0-9]+");
  REQUIRE(sw.size() == 1);
  REQUIRE(ports.size() == 3);
  CHECK(sw[0] > ports[0]);  // the rack's switch above the boards' ports
}

TEST_CASE("a dragonfly picture draws three groups, routers over their chips, global links to the rest as stubs",
          "[picture]") {
  const Picture p = picture_of("dragonfly-9x4x2.yaml");
  CHECK(p.dot.fixed_positions);
  CHECK(unplaced_nodes(p.dot.text) == 0);
  CHECK(y_of(p.dot.text, "chip-[0-9]+").size() == 3 * 8);
  CHECK(y_of(p.dot.text, "router-[0-9]+-[0-9]+").size() == 3 * 4);
  CHECK(p.dot.text.find("6 more groups\\n(groups 2\u20137)") != std::string::npos);
  CHECK(p.dot.text.find("label=\"to router-") != std::string::npos);
  CHECK(y_of(p.dot.text, "router-0-0").at(0) > y_of(p.dot.text, "chip-0").at(0));
  CHECK(p.dot.text.find("purple = global (36 links, 25 GB/s)") != std::string::npos);
  CHECK(width_of(p.dot.text) < 20 * 72);
}

TEST_CASE("a graph picture puts each node a row above its nearest neighbour toward the chips", "[picture]") {
  SECTION("a DOT file with one switch") {
    PlatformSpec spec = load_platform_spec(std::string(MOESIM_SOURCE_DIR) + "/tests/fuzz/corpus/dot/dgx-h100.dot");
    const Picture p = picture_of_spec(spec);
    CHECK(p.dot.fixed_positions);
    CHECK(unplaced_nodes(p.dot.text) == 0);
    const std::vector<double> chips = y_of(p.dot.text, "chip-[0-9]+"), sw = y_of(p.dot.text, "nvswitch-0");
    REQUIRE(chips.size() == 8);
    REQUIRE(sw.size() == 1);
    CHECK(sw[0] > chips[0]);
    CHECK(p.dot.text.find("graph: 8 chips, 8 links, 1 other node") != std::string::npos);
  }
  SECTION("a fat-tree read as a graph: levels in order, the core on top, 3 leaves of 16 drawn") {
    PlatformSpec spec;
    spec.name = "fat-tree-graph";
    spec.kind = PlatformSpec::Kind::kGraph;
    FatTreeSpec ft;
    ft.k = 4;
    ft.levels = 3;
    ft.bandwidth_Bps = 50e9;
    spec.graph = fat_tree_graph(ft);
    const Picture p = picture_of_spec(spec);
    CHECK(unplaced_nodes(p.dot.text) == 0);
    CHECK(y_of(p.dot.text, "chip-[0-9]+").size() == 3 * 4);
    const std::vector<double> l1 = y_of(p.dot.text, "sw-1-[0-9]+"), l2 = y_of(p.dot.text, "sw-2-[0-9]+"),
                              l3 = y_of(p.dot.text, "sw-3-[0-9]+");
    REQUIRE(l1.size() == 3);
    REQUIRE(!l2.empty());
    REQUIRE(l3.size() == 16);
    CHECK(*std::max_element(l1.begin(), l1.end()) < *std::min_element(l2.begin(), l2.end()));
    CHECK(*std::max_element(l2.begin(), l2.end()) < *std::min_element(l3.begin(), l3.end()));
    CHECK(p.dot.text.find("13 more groups") != std::string::npos);
  }
}
