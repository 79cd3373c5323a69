// Tier6 topology import: the fixtures give the shipped platform, and bad
// files are named in one error.
#include "platform/tier6.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "engine/analytic.hpp"
#include "moesim/error.hpp"
#include "moesim/platform.hpp"

using namespace moesim;

namespace {

std::string source(const std::string& rel) { return std::string(MOESIM_SOURCE_DIR) + "/" + rel; }

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string temp_file(const std::string& name, const std::string& text) {
  const std::string path = "/tmp/moesim-tier6-" + std::to_string(getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("Tier6 P1-R1-B4-C32 is the shipped sg2262-p1r1b4c32", "[tier6]") {
  PlatformSpec tier6 = load_platform_spec(source("tests/fixtures/tier6/P1-R1-B4-C32.yaml"));
  PlatformSpec shipped = load_platform_spec(source("platforms/sg2262-p1r1b4c32.yaml"));
  CHECK(tier6.name == "P1-R1-B4-C32");
  REQUIRE(tier6.kind == PlatformSpec::Kind::kTiers);
  REQUIRE(tier6.tiers.levels.size() == shipped.tiers.levels.size());
  for (std::size_t i = 0; i < tier6.tiers.levels.size(); ++i) {
    const TierLevel &a = tier6.tiers.levels[i], &b = shipped.tiers.levels[i];
    CHECK(a.name == b.name);
    CHECK(a.link_class == b.link_class);
    CHECK(a.count == b.count);
    CHECK(a.fabric == b.fabric);
    CHECK(a.uplink == b.uplink);
    CHECK(a.bandwidth_Bps == Approx(b.bandwidth_Bps));
    CHECK(a.latency_s == Approx(b.latency_s));
  }
  // The same links and routes, so the same SimGrid platform.
  Topology ta = build_topology(tier6), tb = build_topology(shipped);
  tb.name = ta.name;
  CHECK(to_simgrid_xml(ta) == to_simgrid_xml(tb));
  // And the same closed-form parameters.
  const CommParams ca = resolved_comm_params(tier6, ta), cb = resolved_comm_params(shipped, tb);
  CHECK(ca.bandwidth_utilization == cb.bandwidth_utilization);
  CHECK(*ca.c2c_latency_us == 0.2);  // links.c2c.latency_us: Tier6 writes no c2c_latency_us
  CHECK(*ca.c2c_latency_us == Approx(*cb.c2c_latency_us));
  CHECK(ca.memory_read_latency_us == cb.memory_read_latency_us);
  CHECK(ca.memory_write_latency_us == cb.memory_write_latency_us);
  CHECK(ca.noc_latency_us == cb.noc_latency_us);
  CHECK(ca.die_to_die_latency_us == cb.die_to_die_latency_us);
  CHECK(ca.switch_latency_us == cb.switch_latency_us);
  CHECK(ca.cable_latency_us == cb.cable_latency_us);
  CHECK(ca.inter_bw_Bps == cb.inter_bw_Bps);
  CHECK(ca.c2c_bw_Bps == cb.c2c_bw_Bps);
}

TEST_CASE("Tier6's file gives Tier6's closed form: 11.32 us dispatch, 19.91 us combine", "[tier6][analytic]") {
  // Tier6-Model's regression (docs/TODO/regression-test-findings.md): DeepSeek-V3
  // decode, B2048, EP32, W8A8 on P1-R1-B4-C32: 11.32 us and 19.91 us a layer.
  const std::string file = source("tests/fixtures/tier6/P1-R1-B4-C32.yaml");
  // The file as Tier6 writes it: no c2c_latency_us, a chips section of cores, memory and DMA engines.
  const YAML::Node yaml = YAML::LoadFile(file);
  CHECK_FALSE(yaml["interconnect"]["comm_params"]["c2c_latency_us"].IsDefined());
  for (const char* key : {"cores", "compute_units", "memory", "dma_engines", "interconnect"})
    CHECK(yaml["chips"]["SG2262"][key].IsMap());
  const PlatformSpec spec = load_platform_spec(file);
  const CommParams c = resolved_comm_params(spec, build_topology(spec));
  CHECK(start_latency_us(c) == Approx(0.69));           // 2*0.2 + 0.15 + 0.01 + 0.05 + 2*0.04
  CHECK(dispatch_start_latency_us(c) == Approx(2.74));  // + 2*1 + 2*0.025
  CHECK(alltoall_us(3670016, c) == Approx(11.3248).epsilon(1e-5));
  CHECK(alltoall_us(7340032, c) == Approx(19.9097).epsilon(1e-5));
}

TEST_CASE("Tier6's c2c latency holds where a board has one chip", "[tier6][analytic]") {
  // No c2c link is built, but Tier6 still reads links.c2c.latency_us.
  std::string text = read(source("tests/fixtures/tier6/P1-R1-B4-C32.yaml"));
  text.replace(text.find("        count: 8\n"), 17, "        count: 1\n");
  text.erase(text.find("connections:\n"));
  const std::string path = temp_file("one-chip.yaml", text);
  const PlatformSpec spec = load_platform_spec(path);
  const Topology t = build_topology(spec);
  CHECK(t.num_chips() == 4);
  CHECK(*resolved_comm_params(spec, t).c2c_latency_us == 0.2);
  std::remove(path.c_str());
}

TEST_CASE("Tier6 P1-R1-B1-C8: one board, a full mesh of c2c links", "[tier6]") {
  PlatformSpec p = load_platform_spec(source("tests/fixtures/tier6/P1-R1-B1-C8.yaml"));
  REQUIRE(p.tiers.levels.size() == 1);
  Topology t = build_topology(p);
  CHECK(t.num_chips() == 8);
  CHECK(t.num_physical_links() == 28);
  CHECK(t.links.front().link_class == "c2c");
  CHECK(t.links.front().bandwidth_Bps == Approx(400e9));
}

TEST_CASE("Tier6 switch_config turns a level into a switch", "[tier6]") {
  std::string text = read(source("tests/fixtures/tier6/P1-R1-B4-C32.yaml"));
  const std::string off = "  inter_board:\n    enabled: false\n";
  text.replace(text.find(off), off.size(), "  inter_board:\n    enabled: true\n");
  // With the boards' b2b mesh, the switch's own links as Tier6 lists them (ignored).
  text += "- source: pod_0/rack_0/board_0\n  target: pod_0/rack_0/switch_0\n  type: switch\n"
          "  connection_role: downlink\n  latency: 100.0\n";
  Topology t = build_topology(load_platform_spec(temp_file("switched.yaml", text)));
  CHECK(t.num_physical_links() == 4 * 28 + 4);
  CHECK(t.route(0, 8).size() == 2);  // up to the boards' switch and down
}

TEST_CASE("bad Tier6 files get one clear error", "[tier6]") {
  const std::string base = read(source("tests/fixtures/tier6/P1-R1-B4-C32.yaml"));
  struct Case {
    const char* name;
    std::string from, to;
    const char* message;
  };
  for (const Case& c : {
           Case{"type", "  type: b2b\n", "  type: x2x\n", "connections[112].type: 'x2x' is not a connection type (allowed: c2c, b2b, r2r, p2p)"},
           Case{"path", "- source: pod_0/rack_0/board_0/chip_0\n  target: pod_0/rack_0/board_0/chip_1\n",
                "- source: pod_0/rack_0/board_0/chip_0\n  target: pod_0/rack_0/board_0\n",
                "connections[0].target: 'pod_0/rack_0/board_0' is not a chip path (like 'pod_0/rack_0/board_0/chip_1')"},
           Case{"outside", "  target: pod_0/rack_0/board_0/chip_1\n", "  target: pod_0/rack_0/board_0/chip_9\n",
                "connections[0].target: 'pod_0/rack_0/board_0/chip_9' is outside the hierarchy"},
           Case{"across", "  target: pod_0/rack_0/board_0/chip_1\n", "  target: pod_0/rack_0/board_1/chip_1\n",
                "connections[0].target: joins two different groups"},
           Case{"partial", "- source: pod_0/rack_0/board_0/chip_0\n  target: pod_0/rack_0/board_0/chip_1\n  type: c2c\n", "",
                "the c2c links of board 0/0/0/ join 27 of its 28 pairs"},
           Case{"nolinks", "    c2c:\n      bandwidth_gbps: 400\n      latency_us: 0.2\n", "",
                "interconnect.links: missing c2c"},
           Case{"custom", "  type: b2b\n", "  type: custom\n  bandwidth: 100\n  latency: 1\n  is_manual: true\n",
                "connections[112].type: 'custom' (a link with its own bandwidth) is not imported"},
           Case{"top", "switch_config:\n", "switch_confg:\n",
                "switch_confg: unknown key (allowed here: name, description, pods, chips, interconnect, "
                "switch_config, connections, manual_connections, generated_topology, comm_params)"},
           Case{"link", "      latency_us: 0.35\n", "      latency: 0.35\n",
                "interconnect.links.b2b.latency: unknown key (allowed here: bandwidth_gbps, latency_us)"},
           Case{"board", "      u_height: 2\n", "      height: 2\n",
                "pods[0].racks[0].boards[0].height: unknown key"},
           Case{"connection", "  type: b2b\n", "  type: b2b\n  weight: 2\n", "connections[112].weight: unknown key"},
           Case{"switch", "    switch_u_height: 1\n", "    switch_u_hieght: 1\n",
                "switch_config.inter_board.switch_u_hieght: unknown key"},
           Case{"kinds", "      chips:\n", "    - count: 1\n      chips: [{name: X, count: 8}]\n    - count: 1\n      chips:\n",
                "pods[0].racks[0].boards: has 3 kinds"},
       }) {
    INFO(c.name);
    std::string text = base;
    const auto at = text.find(c.from);
    REQUIRE(at != std::string::npos);
    text.replace(at, c.from.size(), c.to);
    const std::string path = temp_file(std::string(c.name) + ".yaml", text);
    try {
      build_topology(load_platform_spec(path));
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK_THAT(std::string(e.what()), Catch::StartsWith(path) && Catch::Contains(c.message));
    }
    std::remove(path.c_str());
  }
}
