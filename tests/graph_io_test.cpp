// DOT and GraphML: round trips keep every node and link, and bad files are
// named in one error.
#include "platform/graph_io.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <tuple>

#include "moesim/error.hpp"
#include "moesim/platform.hpp"

using namespace moesim;

namespace {

std::string shipped(const std::string& name) { return std::string(MOESIM_SOURCE_DIR) + "/platforms/" + name; }

std::string temp_file(const std::string& name, const std::string& text) {
  const std::string path = "/tmp/moesim-graph-io-" + std::to_string(getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

// Every physical link as (name, from, to, class) -> (bandwidth, latency).
using LinkKey = std::tuple<std::string, std::string, std::string, std::string>;
std::map<LinkKey, std::pair<double, double>> links_of(const Topology& t) {
  std::map<LinkKey, std::pair<double, double>> out;
  for (const Link& l : t.links)
    if (l.duplex.empty() || l.up)
      out[{l.duplex.empty() ? l.name : l.duplex, l.from, l.to, l.link_class}] = {l.bandwidth_Bps, l.latency_s};
  return out;
}

void check_same_links(const Topology& a, const Topology& b) {
  CHECK(a.chips == b.chips);
  CHECK(a.switches.size() == b.switches.size());
  auto la = links_of(a), lb = links_of(b);
  REQUIRE(la.size() == lb.size());
  for (const auto& [key, value] : la) {
    INFO("link " << std::get<0>(key));
    REQUIRE(lb.count(key) == 1);
    CHECK(lb[key].first == Approx(value.first));
    CHECK(lb[key].second == Approx(value.second).margin(1e-18));
  }
}

}  // namespace

TEST_CASE("DOT and GraphML round trips keep every link", "[graph_io]") {
  for (const char* file : {"tpu-v4-4x4x4.yaml", "tpu-v4-4x4x8-twisted.yaml", "fat-tree-4ary3-50g.yaml",
                           "dragonfly-9x4x2.yaml", "h800-ib-32x8.yaml"}) {
    INFO(file);
    Topology t = build_topology(load_platform_spec(shipped(file)));
    for (bool dot : {true, false}) {
      const std::string path = temp_file(std::string(file) + (dot ? ".dot" : ".graphml"),
                                         dot ? write_dot(t) : write_graphml(t));
      PlatformSpec back = load_platform_spec(path);
      CHECK(back.kind == PlatformSpec::Kind::kGraph);
      check_same_links(t, build_topology(back));
      std::remove(path.c_str());
    }
  }
}

TEST_CASE("a graph read back routes like the generator where paths are unique", "[graph_io]") {
  // On a full mesh of switches' chips every shortest path is unique: the same routes.
  Topology t = build_topology(load_platform_spec(shipped("dragonfly-9x4x2.yaml")));
  const std::string path = temp_file("df.dot", write_dot(t));
  Topology back = build_topology(load_platform_spec(path));
  for (ChipId s = 0; s < t.num_chips(); s += 7)
    for (ChipId d = 0; d < t.num_chips(); d += 5) {
      auto a = t.route(s, d), b = back.route(s, d);
      REQUIRE(a.size() == b.size());
      for (std::size_t i = 0; i < a.size(); ++i) CHECK(t.links[a[i]].name == back.links[b[i]].name);
    }
  std::remove(path.c_str());
}

TEST_CASE("a hand-written DOT file: chips in natural order, switches, units", "[graph_io]") {
  const std::string path = temp_file("hand.dot", R"(graph pair {
  b; a10; a9;
  s [kind=switch];
  a10 -- s [bandwidth="1GBps"];
  a9 -- s [bandwidth="1GBps"];
  a -- s [bandwidth="100GBps", latency="0.5us", name=up_a];
  b -- s [bandwidth="800Gbps", label="anything else is ignored"];
})");
  PlatformSpec spec = load_platform_spec(path);
  Topology t = build_topology(spec);
  CHECK(t.chips == std::vector<std::string>{"a", "a9", "a10", "b"});
  CHECK(t.switches == std::vector<std::string>{"s"});
  auto r = t.route(0, 3);  // a -> s -> b
  REQUIRE(r.size() == 2);
  CHECK(t.links[r[0]].name == "up_a_UP");
  CHECK(t.links[r[1]].name == "link-3_DOWN");
  CHECK(t.links[r[0]].bandwidth_Bps == Approx(100e9));
  CHECK(t.links[r[1]].bandwidth_Bps == Approx(100e9));  // 800 Gb/s
  CHECK(t.route_latency_s(0, 3) == Approx(0.5e-6));
  std::remove(path.c_str());
}

TEST_CASE("bad DOT and GraphML files get one clear error", "[graph_io]") {
  struct Case {
    const char* name;
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"digraph.dot", "digraph g { a -> b [bandwidth=\"1GBps\"]; }", "a digraph: write an undirected 'graph'"},
           Case{"nobw.dot", "graph g { a -- b; }", "edge a -- b: bandwidth: missing"},
           Case{"badbw.dot", "graph g { a -- b [bandwidth=fast]; }", "edge a -- b: bandwidth: 'fast' is not a positive bandwidth"},
           Case{"badlat.dot", "graph g { a -- b [bandwidth=\"1GBps\", latency=soon]; }", "edge a -- b: latency: 'soon' is not a time"},
           Case{"kind.dot", "graph g { a [kind=router]; a -- b [bandwidth=\"1GBps\"]; }", "node a: kind: 'router' is not a node kind (allowed: chip, switch)"},
           Case{"edgekind.dot", "graph g { a -- b [bandwidth=\"1GBps\", kind=cable]; }",
                "edge a -- b: kind: 'cable' is not an edge kind (allowed: link)"},
           Case{"twice.dot", "graph g { a -- b [bandwidth=\"1GBps\", name=l]; b -- c [bandwidth=\"1GBps\", name=l]; }",
                "edge b -- c: name: 'l' names two links"},
           Case{"syntax.dot", "graph g { a -- ", "not a DOT graph moesim can read"},
           Case{"nochips.dot", "graph g { s [kind=switch]; }", "no chips"},
           Case{"island.dot", "graph g { a -- b [bandwidth=\"1GBps\"]; c; }", "chip a cannot reach chip c"},
           Case{"broken.graphml", "<graphml><graph edgedefault=\"undirected\"><node id=\"a\"/>", "not a GraphML graph moesim can read"},
       }) {
    INFO(c.name);
    const std::string path = temp_file(c.name, c.text);
    try {
      build_topology(load_platform_spec(path));
      FAIL("no error for " << c.name);
    } catch (const InputError& e) {
      const std::string what = e.what();
      CHECK_THAT(what, Catch::Contains(c.message));
      if (std::string(c.name) != "island.dot") CHECK_THAT(what, Catch::StartsWith(path));
    }
    std::remove(path.c_str());
  }
}

TEST_CASE("tiers' member edges are written, drawn dashed and refused on reading", "[graph_io]") {
  Topology t = build_topology(load_platform_spec(shipped("sg2262-p1r1b4c32.yaml")));
  const std::string dot = write_dot(t);
  CHECK(dot.find("kind=member") != std::string::npos);
  CHECK(plain_picture_dot(t).find("style=dashed") != std::string::npos);
  CHECK(plain_picture_dot(t).find("label=\"400 GB/s\"") != std::string::npos);
  const std::string path = temp_file("tiers.dot", dot);
  CHECK_THROWS_WITH(load_platform_spec(path), Catch::Contains("a member edge (tiers' direct uplink)"));
  std::remove(path.c_str());
}
