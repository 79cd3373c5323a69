// Shortest-path routing, twisted tori, fat-trees and dragonflies: routes
// are connected paths of the graph, structures and bisections match their
// closed forms, and the twisted torus beats the untwisted one.
#include "moesim/fabrics.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "platform/analysis.hpp"
#include "engine/bound.hpp"
#include "moesim/error.hpp"
#include "moesim/platform.hpp"

using namespace moesim;

namespace {

// Every route leaves its source, enters its destination and is connected.
void check_routes_are_paths(const Topology& t) {
  for (ChipId s = 0; s < t.num_chips(); ++s)
    for (ChipId d = 0; d < t.num_chips(); ++d) {
      if (s == d) continue;
      auto r = t.route(s, d);
      REQUIRE(!r.empty());
      std::string at = t.chips[s];
      for (LinkId l : r) {
        INFO(t.chips[s] << " -> " << t.chips[d] << " at " << at << " via " << t.links[l].name);
        REQUIRE(t.links[l].from == at);
        at = t.links[l].to;
      }
      REQUIRE(at == t.chips[d]);
    }
}

PlatformSpec torus(std::vector<std::uint64_t> dims, bool twisted, bool shortest) {
  PlatformSpec p;
  p.name = "t";
  p.kind = PlatformSpec::Kind::kTorus;
  p.torus = TorusSpec{dims, 45e9, 1e-6};
  p.torus.twisted = twisted;
  if (shortest || twisted) p.torus.routing = TorusSpec::Routing::kShortestPath;
  return p;
}

PlatformSpec fat_tree(std::uint64_t k, std::uint64_t levels, std::vector<double> over = {}) {
  PlatformSpec p;
  p.name = "ft";
  p.kind = PlatformSpec::Kind::kFatTree;
  p.fat_tree.k = k;
  p.fat_tree.levels = levels;
  p.fat_tree.bandwidth_Bps = 50e9;
  p.fat_tree.latency_s = 1e-6;
  p.fat_tree.oversubscription = over;
  return p;
}

Stage uniform_dispatch(std::size_t chips) {
  std::vector<ChipId> g(chips);
  for (ChipId i = 0; i < chips; ++i) g[i] = i;
  return uniform_layer(LayerBytes{1, 114688, 229376}, g, 1).phases[0].stages()[0];
}

}  // namespace

TEST_CASE("shortest-path routes are connected paths on every graph generator", "[fabrics]") {
  check_routes_are_paths(build_topology(torus({4, 4, 8}, true, true)));
  check_routes_are_paths(build_topology(torus({4, 4, 4}, false, true)));
  check_routes_are_paths(build_topology(torus({2, 2, 4}, true, true)));
  check_routes_are_paths(build_topology(fat_tree(4, 3, {2, 2})));
  PlatformSpec df;
  df.name = "df";
  df.kind = PlatformSpec::Kind::kDragonfly;
  df.dragonfly = DragonflySpec{5, 2, 2, 2, 100e9, 0, 50e9, 0, 25e9, 1e-6};
  check_routes_are_paths(build_topology(df));
}

TEST_CASE("shortest-path routing on an untwisted torus has dimension order's hop counts", "[fabrics]") {
  Topology dor = build_topology(torus({4, 4, 4}, false, false));
  Topology sp = build_topology(torus({4, 4, 4}, false, true));
  for (ChipId s = 0; s < 64; ++s)
    for (ChipId d = 0; d < 64; ++d) CHECK(dor.route(s, d).size() == sp.route(s, d).size());
  // The same link names, so pictures and reports agree.
  std::set<std::string> a, b;
  for (const auto& l : dor.links) a.insert(l.name);
  for (const auto& l : sp.links) b.insert(l.name);
  CHECK(a == b);
}

TEST_CASE("twisted 4x4x8: shorter diameter, twice the bisection, a lower all-to-all bound", "[fabrics]") {
  PlatformSpec plain = torus({4, 4, 8}, false, false), twisted = torus({4, 4, 8}, true, true);
  Topology a = build_topology(plain), b = build_topology(twisted);
  TopologySummary sa = summarize(plain, a), sb = summarize(twisted, b);
  CHECK(sa.diameter_hops == 8);
  CHECK(sb.diameter_hops == 6);
  CHECK(sb.average_hops < sa.average_hops);
  CHECK(sa.bisection_Bps == Approx(32 * 45e9));
  CHECK(sb.bisection_Bps == Approx(64 * 45e9));
  const Stage d = uniform_dispatch(128);
  const double plain_us = bound_phase(a, d).latency_us, twisted_us = bound_phase(b, d).latency_us;
  INFO("untwisted " << plain_us << " us, twisted " << twisted_us << " us");
  CHECK(twisted_us < plain_us);
  // The wraparound of x lands 4 further along z.
  std::map<std::string, std::string> to;
  for (const auto& l : b.links) to[l.name] = l.to;
  CHECK(to["ici-x-3_UP"] == "chip-64");   // (3,0,0) -> (0,0,4)
  CHECK(to["ici-y-12_UP"] == "chip-64");  // (0,3,0) -> (0,0,4)
  CHECK(to["ici-z-112_UP"] == "chip-0");  // z wraps plainly
}

TEST_CASE("torus shortest-path routes are translations of chip 0's: every link of a kind loaded alike", "[fabrics]") {
  for (bool twisted : {true, false}) {
    INFO("twisted " << twisted);
    PlatformSpec p = torus({4, 4, 8}, twisted, true);
    const Topology t = build_topology(p);
    check_routes_are_paths(t);
    // The same hop counts as Dijkstra from every chip (every route shortest).
    const Topology every = route_shortest_paths("every", torus_graph(p.torus), "every source");
    for (ChipId s = 0; s < 128; ++s) {
      std::set<std::size_t> image;
      for (ChipId c = 0; c < 128; ++c) {
        const std::size_t d = torus_translate(p.torus, s, c);
        image.insert(d);
        if (c == 0) CHECK(d == s);
        if (c == 0 || s == d) continue;
        CHECK(t.route(s, static_cast<ChipId>(d)).size() == t.route(0, c).size());
        CHECK(t.route(s, static_cast<ChipId>(d)).size() == every.route(s, static_cast<ChipId>(d)).size());
      }
      CHECK(image.size() == 128);  // a translation is a bijection
    }
    // Uniform traffic: every link of one dimension and direction carries the same bytes.
    const std::vector<double> loads = link_loads(t, uniform_dispatch(128));
    std::map<std::string, std::set<double>> by_kind;  // "x_UP" -> the bytes its links carry
    for (LinkId l = 0; l < t.links.size(); ++l) {
      const std::string& name = t.links[l].name;  // ici-x-12_UP
      by_kind[name.substr(4, 1) + name.substr(name.rfind('_'))].insert(loads[l]);
    }
    for (const auto& [kind, bytes] : by_kind) {
      INFO(kind);
      CHECK(bytes.size() == 1);
    }
  }
}

namespace {

// Dimension index of a torus link from its name (ici-x-12_UP -> 0) and
// whether it is the UP side.
std::size_t link_dim(const Link& l) { return static_cast<std::size_t>(l.name[4] - 'x'); }

PlatformSpec twisted_order(std::vector<std::uint64_t> dims, TorusSpec::Antipodal ties) {
  PlatformSpec p = torus(std::move(dims), false, false);
  p.torus.twisted = true;  // dimension order: the default (TorusSpec)
  p.torus.antipodal = ties;
  return p;
}

}  // namespace

TEST_CASE("twisted dimension order: shortest routes, x then y then z, translation-invariant", "[fabrics]") {
  for (auto dims : {std::vector<std::uint64_t>{2, 4}, std::vector<std::uint64_t>{2, 2, 4},
                    std::vector<std::uint64_t>{4, 4, 8}, std::vector<std::uint64_t>{2, 4, 4},
                    std::vector<std::uint64_t>{1, 2}})
    for (auto ties : {TorusSpec::Antipodal::kPositive, TorusSpec::Antipodal::kSplit}) {
      const PlatformSpec p = twisted_order(dims, ties);
      INFO(p.torus.dims.size() << " dims, first " << dims[0] << ", last " << dims.back() << ", ties "
                               << enum_name(kAntipodalNames, ties));
      REQUIRE(p.torus.routing == TorusSpec::Routing::kDimensionOrder);
      const Topology t = build_topology(p);
      check_routes_are_paths(t);
      CHECK(t.routing == torus_routing_name(p.torus));
      const Topology every = route_shortest_paths("every", torus_graph(p.torus), "every source");
      const auto n = static_cast<ChipId>(t.num_chips());
      for (ChipId s = 0; s < n; ++s)
        for (ChipId d = 0; d < n; ++d) {
          if (s == d) continue;
          auto r = t.route(s, d);
          CHECK(r.size() == every.route(s, d).size());
          std::size_t dim = 0;  // dimensions never go back
          for (LinkId l : r) {
            CHECK(link_dim(t.links[l]) >= dim);
            dim = link_dim(t.links[l]);
          }
        }
      const std::vector<double> loads = link_loads(t, uniform_dispatch(n));
      std::map<std::string, std::set<double>> by_kind;  // "x_UP" -> the bytes its links carry
      for (LinkId l = 0; l < t.links.size(); ++l)
        by_kind[t.links[l].name.substr(4, 1) + t.links[l].name.substr(t.links[l].name.rfind('_'))].insert(loads[l]);
      for (const auto& [kind, bytes] : by_kind) {
        INFO(kind);
        CHECK(bytes.size() == 1);
      }
    }
}

TEST_CASE("twisted 2x4 by dimension order: link loads derived by hand", "[fabrics]") {
  // x (size 2) wraps from (1, y) to (0, y + 2). From (0, 0) the shortest
  // displacements, ties listed largest first, chip index in brackets:
  //   [1] (1,0): +x            [2] (0,1): +y           [5] (1,2): -x (across the wrap)
  //   [6] (0,3): -y            [3] (1,1): (1,1) or (-1,-1)
  //   [7] (1,3): (1,-1) or (-1,1)   [4] (0,2): (2,0), (0,2), (0,-2) or (-2,0)
  // positive takes the first tie: x+ hops 1 + 1 + 2 + 1 = 5, x- 1, y+ 2, y- 2.
  // split takes tie (chip mod ties): [3] (-1,-1), [4] (2,0), [7] (-1,1):
  // x+ 1 + 2 = 3, x- 3, y+ 2, y- 2. Every chip owns one x and one y link, so
  // under uniform traffic each link carries its kind's hops times a flow's bytes.
  struct Row {
    TorusSpec::Antipodal ties;
    double x_up, x_down, y_up, y_down;
  };
  for (const Row& row : {Row{TorusSpec::Antipodal::kPositive, 5, 1, 2, 2}, Row{TorusSpec::Antipodal::kSplit, 3, 3, 2, 2}}) {
    INFO(enum_name(kAntipodalNames, row.ties));
    const Topology t = build_topology(twisted_order({2, 4}, row.ties));
    const Stage d = uniform_dispatch(8);
    const double flow = static_cast<double>(d.flows.front().bytes);
    const std::vector<double> loads = link_loads(t, d);
    for (LinkId l = 0; l < t.links.size(); ++l) {
      const Link& link = t.links[l];
      INFO(link.name);
      const double hops = link_dim(link) == 0 ? (link.up ? row.x_up : row.x_down) : (link.up ? row.y_up : row.y_down);
      CHECK(loads[l] == Approx(hops * flow));
    }
  }
}

TEST_CASE("plain and twisted tori under the default routing: the TPU v4 paper's all-to-all ratios", "[fabrics]") {
  // Jouppi et al., TPU v4 (ISCA 2023), measure all-to-all throughput 1.63x
  // (4x4x8) and 1.31x (4x8x8) higher on the twisted torus. Uniform all-to-all
  // over every chip, 128 tokens a chip of DeepSeek-V3 (1024 token copies
  // received, 7168 B fp8 dispatch, bf16 combine): the bound's dispatch plus
  // combine on the plain torus over the twisted one, both dimension order with
  // ties the positive way (the defaults), and both with ties split.
  struct Row {
    std::vector<std::uint64_t> dims;
    TorusSpec::Antipodal ties;
    double measured, paper;
  };
  using A = TorusSpec::Antipodal;
  for (const Row& row : {Row{{4, 4, 8}, A::kPositive, 1.479, 1.63}, Row{{4, 8, 8}, A::kPositive, 1.249, 1.31},
                         Row{{4, 4, 8}, A::kSplit, 1.616, 1.63}, Row{{4, 8, 8}, A::kSplit, 1.242, 1.31}}) {
    PlatformSpec plain = torus(row.dims, false, false), twisted = twisted_order(row.dims, row.ties);
    plain.torus.antipodal = row.ties;
    double us[2] = {0, 0};
    for (int i = 0; i < 2; ++i) {
      const Topology t = build_topology(i == 0 ? plain : twisted);
      std::vector<ChipId> group(t.num_chips());
      for (ChipId c = 0; c < group.size(); ++c) group[c] = c;
      const LayerTraffic layer = uniform_layer(LayerBytes{1024, 1024 * 7168, 1024 * 7168 * 2}, group, 1);
      for (const Stage* st : layer.stages()) us[i] += bound_phase(t, *st).latency_us;
    }
    const double ratio = us[0] / us[1];
    INFO(row.dims[1] << " ties " << enum_name(kAntipodalNames, row.ties) << ": plain " << us[0] << " us, twisted "
                     << us[1] << " us, ratio " << ratio);
    CHECK(ratio == Approx(row.measured).epsilon(0.002));
    CHECK(ratio == Approx(row.paper).epsilon(0.10));
  }
}

TEST_CASE("torus bisection by minimum cut equals the closed form", "[fabrics]") {
  for (auto dims : {std::vector<std::uint64_t>{8}, std::vector<std::uint64_t>{4, 4, 8},
                    std::vector<std::uint64_t>{16, 16}, std::vector<std::uint64_t>{6, 4}}) {
    PlatformSpec p = torus(dims, false, false);
    Topology t = build_topology(p);
    CHECK(*min_cut_of_halves_Bps(t, torus_halvings(dims)) == Approx(torus_bisection_Bps(p.torus)));
  }
}

TEST_CASE("fat-tree: k-ary n-tree structure and bisection against the closed form", "[fabrics]") {
  struct Row {
    std::uint64_t k, levels;
    std::vector<double> over;
  };
  for (const Row& r : {Row{2, 3, {}}, Row{4, 2, {}}, Row{4, 3, {}}, Row{4, 3, {2, 1}}, Row{4, 3, {1, 4}},
                       Row{6, 2, {3}}, Row{8, 2, {}}}) {
    PlatformSpec p = fat_tree(r.k, r.levels, r.over);
    NetGraph g = fat_tree_graph(p.fat_tree);
    std::uint64_t chips = 1;
    for (std::uint64_t l = 0; l < r.levels; ++l) chips *= r.k;
    INFO("k " << r.k << " levels " << r.levels);
    CHECK(g.chips.size() == chips);
    CHECK(g.switches.size() == r.levels * chips / r.k);
    CHECK(g.edges.size() == chips * r.levels);  // k down-links per switch, every level
    Topology t = build_topology(p);
    TopologySummary s = summarize(p, t);
    double top_bw = 50e9;
    for (double o : r.over) top_bw /= o;
    CHECK(s.bisection_Bps == Approx(static_cast<double>(chips) / 2 * top_bw));
    CHECK(*min_cut_of_halves_Bps(t, {chip_order_halves(chips)}) == Approx(s.bisection_Bps));
    CHECK(s.diameter_hops == 2 * r.levels);
  }
}

TEST_CASE("fat-tree: uniform all-to-all spreads evenly over the upper levels", "[fabrics]") {
  // A non-blocking k-ary n-tree: every chip sends and receives at line rate,
  // so with ties spread evenly the bound is the chips' own links (one uplink
  // per leaf would give k times that).
  for (auto [k, levels] : {std::pair<std::uint64_t, std::uint64_t>{4, 2}, {4, 3}, {2, 4}, {3, 3}}) {
    PlatformSpec p = fat_tree(k, levels);
    p.fat_tree.latency_s = 0;
    Topology t = build_topology(p);
    const std::size_t chips = t.num_chips();
    const Stage d = uniform_dispatch(chips);
    const double line_rate_us = (114688.0 / chips) * (chips - 1) / 50e9 * 1e6;  // what each chip receives
    INFO("k " << k << " levels " << levels << ": bound " << bound_phase(t, d).latency_us << " us, line rate "
              << line_rate_us << " us");
    CHECK(bound_phase(t, d).latency_us == Approx(line_rate_us).epsilon(1e-3));
    CHECK(bound_phase(t, d).critical_link.rfind("down-", 0) == 0);
  }
}

TEST_CASE("dragonfly: one global link per pair of groups, within each router's ports", "[fabrics]") {
  const DragonflySpec spec{9, 4, 2, 2, 100e9, 0, 50e9, 0, 25e9, 1e-6};
  NetGraph g = dragonfly_graph(spec);
  CHECK(g.chips.size() == 72);
  CHECK(g.switches.size() == 36);
  std::map<std::size_t, int> global_ports;
  std::set<std::pair<std::size_t, std::size_t>> group_pairs;
  for (const auto& e : g.edges) {
    if (e.link_class != "global") continue;
    ++global_ports[e.a];
    ++global_ports[e.b];
    const std::size_t ga = (e.a - 72) / 4, gb = (e.b - 72) / 4;
    CHECK(ga != gb);
    CHECK(group_pairs.insert({std::min(ga, gb), std::max(ga, gb)}).second);
  }
  CHECK(group_pairs.size() == 36);  // 9 choose 2
  for (const auto& [router, ports] : global_ports) CHECK(ports <= 2);
  // Minimal routes: terminal, local, global, local, terminal at most.
  PlatformSpec p;
  p.name = "df";
  p.kind = PlatformSpec::Kind::kDragonfly;
  p.dragonfly = spec;
  CHECK(summarize(p, build_topology(p)).diameter_hops == 5);
}

TEST_CASE("a disconnected graph is named in one error", "[fabrics]") {
  NetGraph g;
  g.chips = {"a", "b", "c"};
  g.add_edge("ab", 0, 1, 1e9, 0, "");
  CHECK_THROWS_WITH(route_shortest_paths("island", g, kShortestPathRouting),
                    "island: chip a cannot reach chip c (the graph is not connected)");
}

TEST_CASE("endpoints inferred from routes rebuild the graph (SimGrid XML platforms)", "[fabrics]") {
  for (const char* file : {"fat-tree-4ary3-50g.yaml", "sg2262-p1r1b4c32.yaml", "tpu-v4-4x4x4.yaml", "h800-ib-32x8.yaml"}) {
    INFO(file);
    Topology t = build_topology(load_platform_spec(std::string(MOESIM_SOURCE_DIR) + "/platforms/" + file));
    Topology bare = t;
    for (auto& l : bare.links) l.from = l.to = "";
    bare.switches.clear();
    bare.members.clear();
    infer_endpoints(bare);
    CHECK(bare.switches.size() == t.switches.size());
    CHECK(bare.members.size() == t.members.size());
    // The same endpoints, up to the names of nodes that are not chips.
    std::map<std::string, std::string> rename;
    for (std::size_t l = 0; l < t.links.size(); ++l)
      for (auto [a, b] : {std::pair{&t.links[l].from, &bare.links[l].from}, std::pair{&t.links[l].to, &bare.links[l].to}}) {
        if (t.chip_index(*a) >= 0) {
          CHECK(*a == *b);
        } else {
          auto [it, fresh] = rename.emplace(*a, *b);
          CHECK(it->second == *b);
        }
      }
    const auto halves = std::vector<std::vector<int>>{chip_order_halves(t.num_chips())};
    CHECK(*min_cut_of_halves_Bps(bare, halves) == Approx(*min_cut_of_halves_Bps(t, halves)));
  }
}
