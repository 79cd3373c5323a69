// Pictures of platforms: tori on their grid with fixed positions, fat-trees
// with the core on top, GPU clusters summarised; each with a title and legend.
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

TEST_CASE("other platforms are laid out by Graphviz, with a title and a legend", "[picture]") {
  const Picture p = picture_of("sg2262-p1r1b4c32.yaml");
  CHECK_FALSE(p.dot.fixed_positions);
  CHECK(p.dot.text.find("sg2262-p1r1b4c32") != std::string::npos);
  CHECK(p.dot.text.find("Dashed lines: direct uplinks") != std::string::npos);
  CHECK(p.dot.text.find("style=dashed") != std::string::npos);
}
