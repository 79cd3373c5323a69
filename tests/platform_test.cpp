// Shipped platform files: chip and link counts, comm params, XML export.
#include "moesim/platform.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

#include "engine/analytic.hpp"
#include "moesim/error.hpp"

using namespace moesim;

namespace {
std::string shipped(const std::string& name) { return std::string(MOESIM_SOURCE_DIR) + "/platforms/" + name; }

std::string temp_platform(const std::string& name, const std::string& text) {
  const std::string path = "/tmp/moesim-platform-" + std::to_string(getpid()) + "-" + name + ".yaml";
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST_CASE("every shipped platform builds with its chip and link counts", "[platform]") {
  struct Row {
    const char* file;
    std::size_t chips, links;
    double link_bw;
  };
  for (const Row& r : {Row{"tpu-v4-4x4x4.yaml", 64, 192, 45e9}, Row{"tpu-v5e-16x16.yaml", 256, 512, 45e9},
                       Row{"tpu-v5p-8x8x8.yaml", 512, 1536, 90e9}, Row{"tpu-v6e-16x16.yaml", 256, 512, 90e9},
                       Row{"sg2262-p1r1b4c32.yaml", 32, 118, 400e9}, Row{"h800-ib-32x8.yaml", 256, 512, 160e9},
                       Row{"tpu-v4-4x4x8.yaml", 128, 384, 45e9}, Row{"tpu-v4-4x4x8-twisted.yaml", 128, 384, 45e9},
                       Row{"tpu-v4-4x8x8.yaml", 256, 768, 45e9}, Row{"tpu-v4-4x8x8-twisted.yaml", 256, 768, 45e9},
                       Row{"fat-tree-4ary3-50g.yaml", 64, 192, 50e9}, Row{"dragonfly-9x4x2.yaml", 72, 162, 100e9},
                       Row{"h100-ib-8x8.yaml", 64, 128, 450e9}, Row{"dgx-h100.yaml", 8, 8, 450e9},
                       Row{"dgx-h200.yaml", 8, 8, 450e9}, Row{"gb200-nvl72.yaml", 72, 72, 900e9},
                       Row{"tpu-7x-4x4x4.yaml", 64, 192, 100e9}, Row{"h100-efa-8x8.yaml", 64, 128, 450e9},
                       Row{"aws-p5en-h200-efa-4x8.yaml", 32, 64, 450e9}, Row{"aws-p6-b200-efa-4x8.yaml", 32, 64, 900e9}}) {
    INFO(r.file);
    PlatformSpec spec = load_platform_spec(shipped(r.file));
    PlatformSpec nominal = spec;
    nominal.calibration = Calibration{};
    Topology t = build_topology(nominal);
    CHECK(t.num_chips() == r.chips);
    CHECK(platform_chips(spec) == r.chips);  // without building it
    CHECK(t.num_physical_links() == r.links);
    CHECK(t.links.front().bandwidth_Bps == Approx(r.link_bw));
    CHECK(spec.name + ".yaml" == r.file);
  }
}

TEST_CASE("shipped GPU platforms carry a calibration with its source, applied when built", "[platform][calibration]") {
  for (const char* file : {"h800-ib-32x8.yaml", "h100-ib-8x8.yaml", "h100-efa-8x8.yaml", "dgx-h100.yaml",
                           "dgx-h200.yaml", "gb200-nvl72.yaml", "aws-p5en-h200-efa-4x8.yaml", "aws-p6-b200-efa-4x8.yaml"}) {
    INFO(file);
    const PlatformSpec spec = load_platform_spec(shipped(file));
    REQUIRE_FALSE(spec.calibration.empty());
    CHECK_FALSE(spec.calibration.fitted.empty());
    CHECK(calibration_knobs(spec.calibration) != "none");
    CHECK(spec.calibration.dispatch_startup_us > 0);
    PlatformSpec nominal = spec;
    nominal.calibration = Calibration{};
    const Topology calibrated = build_topology(spec), plain = build_topology(nominal);
    REQUIRE(calibrated.links.size() == plain.links.size());
    for (std::size_t l = 0; l < plain.links.size(); ++l) {
      auto eff = spec.calibration.efficiency.find(plain.links[l].link_class);
      const double e = eff == spec.calibration.efficiency.end() ? 1.0 : eff->second;
      CHECK(calibrated.links[l].bandwidth_Bps == Approx(e * plain.links[l].bandwidth_Bps));
    }
  }
}

TEST_CASE("shipped GPU and TPU platforms give their chip's compute with its source", "[platform][compute]") {
  // docs/overlap.md's table: chip, BF16 and 8-bit TFLOP/s, HBM TB/s.
  struct Row {
    const char* file;
    double bf16, eight_bit, hbm;
  };
  const Row rows[] = {{"h100-ib-8x8.yaml", 989, 1979, 3.35},       {"h100-efa-8x8.yaml", 989, 1979, 3.35},
                      {"dgx-h100.yaml", 989, 1979, 3.35},          {"h800-ib-32x8.yaml", 989, 1979, 3.35},
                      {"dgx-h200.yaml", 989, 1979, 4.8},           {"aws-p5en-h200-efa-4x8.yaml", 989, 1979, 4.8},
                      {"aws-p6-b200-efa-4x8.yaml", 2250, 4500, 8}, {"gb200-nvl72.yaml", 2500, 5000, 8},
                      {"tpu-v4-4x4x4.yaml", 275, 275, 1.2},        {"tpu-v4-4x4x8.yaml", 275, 275, 1.2},
                      {"tpu-v4-4x4x8-twisted.yaml", 275, 275, 1.2}, {"tpu-v4-4x8x8.yaml", 275, 275, 1.2},
                      {"tpu-v4-4x8x8-twisted.yaml", 275, 275, 1.2}, {"tpu-v5e-16x16.yaml", 197, 394, 0.819},
                      {"tpu-v5p-8x8x8.yaml", 459, 918, 2.765},     {"tpu-v6e-16x16.yaml", 918, 1836, 1.64},
                      {"tpu-7x-4x4x4.yaml", 2307, 4614, 7.37}};
  for (const Row& r : rows) {
    INFO(r.file);
    const ChipCompute c = load_platform_spec(shipped(r.file)).compute;
    REQUIRE_FALSE(c.empty());
    CHECK(c.bf16_flops == Approx(r.bf16 * 1e12));
    CHECK(c.fp8_flops == Approx(r.eight_bit * 1e12));
    CHECK(c.hbm_Bps == Approx(r.hbm * 1e12));
    const bool cited = c.source.find("documentation") != std::string::npos || c.source.find("datasheet") != std::string::npos;
    CHECK(cited);
  }
  // Platforms of no one chip carry none.
  for (const char* file : {"sg2262-p1r1b4c32.yaml", "dragonfly-9x4x2.yaml", "fat-tree-4ary3-50g.yaml"})
    CHECK(load_platform_spec(shipped(file)).compute.empty());
}

TEST_CASE("a calibration's knobs in one line", "[platform][calibration]") {
  CHECK(calibration_knobs(Calibration{}) == "none");
  CHECK(calibration_knobs(load_platform_spec(shipped("gb200-nvl72.yaml")).calibration) ==
        "efficiency nvlink 0.729; start-ups 9.43 / 12.85 us; least times 18.78 / 32.36 us; a peer 0.141 us");
  Calibration c;
  c.latency_us["nic"] = 42.3;
  c.per_message_us = SendCosts{0.01, {{"nic", 0.5}}};
  c.message_bytes = 4096;
  CHECK(calibration_knobs(c) == "latency nic 42.3 us; a message 0.01 us, nic 0.5 us; messages of 4096 B at most");
}

TEST_CASE("per-message and per-peer costs: a number, or by link class", "[platform][calibration]") {
  const std::string base = "topology: {kind: gpu_cluster, nodes: 2, gpus_per_node: 2, nvlink: {bandwidth: 100GBps}, "
                           "nic: {bandwidth: 50GBps}}\n";
  PlatformSpec one = load_platform_spec(temp_platform("cost-one", base + "calibration: {per_message_us: 0.25}\n"));
  CHECK(one.calibration.per_message_us.all_us == 0.25);
  CHECK(one.calibration.per_message_us.class_us.empty());
  CHECK(one.calibration.per_peer_us.empty());
  PlatformSpec classes = load_platform_spec(
      temp_platform("cost-classes", base + "calibration: {per_message_us: {all: 0.1, nic: 0.5}, per_peer_us: {nvlink: 2}}\n"));
  CHECK(classes.calibration.per_message_us.all_us == 0.1);
  CHECK(classes.calibration.per_message_us.class_us == std::map<std::string, double>{{"nic", 0.5}});
  CHECK(classes.calibration.per_peer_us.class_us == std::map<std::string, double>{{"nvlink", 2}});
  CHECK_NOTHROW(build_topology(classes));
  PlatformSpec unknown =
      load_platform_spec(temp_platform("cost-unknown", base + "calibration: {per_peer_us: {ib: 2}}\n"));
  CHECK_THROWS_WITH(build_topology(unknown),
                    Catch::Contains("calibration.per_peer_us.ib: no link of class 'ib' (classes here: nic, nvlink)"));
  CHECK_THROWS_WITH(
      load_platform_spec(temp_platform("cost-negative", base + "calibration: {per_message_us: {nic: -1}}\n")),
      Catch::Contains("per_message_us '-1' is not 0 us or more"));
}

TEST_CASE("sg2262 carries Tier6's comm params", "[platform]") {
  PlatformSpec spec = load_platform_spec(shipped("sg2262-p1r1b4c32.yaml"));
  Topology t = build_topology(spec);
  CommParams c = resolved_comm_params(spec, t);
  CHECK(c.bandwidth_utilization == Approx(0.95));
  CHECK(*c.c2c_latency_us == Approx(0.2));  // the c2c link's, as Tier6 takes it
  CHECK(c.memory_read_latency_us == Approx(0.15));
  CHECK(c.memory_write_latency_us == Approx(0.01));
  CHECK(c.noc_latency_us == Approx(0.05));
  CHECK(c.die_to_die_latency_us == Approx(0.04));
  CHECK(c.switch_latency_us == Approx(1.0));
  CHECK(c.cable_latency_us == Approx(0.025));
  CHECK(c.cpu_fetch_delay_us == 0);
  CHECK(c.inter_bw_Bps == Approx(450e9));  // the b2b class
  CHECK(c.c2c_bw_Bps == Approx(400e9));
}

TEST_CASE("the start latency's c2c term: the c2c link's latency unless comm_params gives one", "[platform]") {
  const std::string tiers =
      "topology:\n  kind: tiers\n  levels:\n"
      "  - {name: board, link_class: c2c, count: 4, bandwidth: 400GBps, latency: 0.2us}\n"
      "  - {name: rack, link_class: b2b, count: 2, bandwidth: 450GBps, latency: 0.35us}\n"
      "comm_params: {memory_read_latency_us: 0.15, switch_latency_us: 1}\n";
  struct Row {
    const char* name;
    std::string text;
    double c2c_latency_us, start_us, dispatch_start_us;
  };
  for (const Row& r : {
           Row{"from the c2c link", tiers, 0.2, 0.55, 2.55},
           Row{"explicit", std::string(tiers).insert(tiers.find("{memory") + 1, "c2c_latency_us: 0.15, "), 0.15, 0.45,
               2.45},
           Row{"explicit zero", std::string(tiers).insert(tiers.find("{memory") + 1, "c2c_latency_us: 0, "), 0, 0.15,
               2.15},
           Row{"no c2c class", "topology: {kind: torus, dims: [4], bandwidth: 45GBps, latency: 1us}\n", 0, 0, 0},
       }) {
    INFO(r.name);
    const std::string path = temp_platform("c2c", r.text);
    const PlatformSpec spec = load_platform_spec(path);
    const CommParams c = resolved_comm_params(spec, build_topology(spec));
    CHECK(*c.c2c_latency_us == Approx(r.c2c_latency_us).margin(1e-12));
    CHECK(start_latency_us(c) == Approx(r.start_us).margin(1e-12));
    CHECK(dispatch_start_latency_us(c) == Approx(r.dispatch_start_us).margin(1e-12));
    std::remove(path.c_str());
  }
}

TEST_CASE("comm_params: Tier6's keys, its older names, and typos", "[platform]") {
  const std::string base = "topology: {kind: torus, dims: [4], bandwidth: 45GBps, latency: 1us}\ncomm_params: {";
  // Keys Tier6 writes that the closed form does not use are accepted.
  PlatformSpec spec = load_platform_spec(temp_platform(
      "tier6-keys", base + "sync_latency_us: 0, allreduce_algorithm: ring, alltoall_algorithm: pairwise, "
                           "enable_compute_comm_overlap: true, network_efficiency: 0.85, rtt_tp_us: 0.35}\n"));
  CHECK(spec.comm.switch_latency_us == 0);
  // Tier6-Model before v2.2.5 wrote switch_delay_us and cable_delay_us.
  spec = load_platform_spec(temp_platform("older", base + "switch_delay_us: 1, cable_delay_us: 0.025}\n"));
  CHECK(spec.comm.switch_latency_us == 1);
  CHECK(spec.comm.cable_latency_us == 0.025);
  CHECK_THROWS_WITH(load_platform_spec(temp_platform("both", base + "switch_latency_us: 1, switch_delay_us: 1}\n")),
                    Catch::EndsWith("comm_params.switch_delay_us: gives the same latency as switch_latency_us; keep one"));
  CHECK_THROWS_WITH(load_platform_spec(temp_platform("typo", base + "c2c_latncy_us: 0.2}\n")),
                    Catch::Contains("comm_params.c2c_latncy_us: unknown key"));
  CHECK_THROWS_WITH(load_platform_spec(temp_platform("negative", base + "c2c_latency_us: -1}\n")),
                    Catch::EndsWith("comm_params.c2c_latency_us: '-1' must be zero or more"));
  for (const char* n : {"tier6-keys", "older", "both", "typo", "negative"})
    std::remove(("/tmp/moesim-platform-" + std::to_string(getpid()) + "-" + n + ".yaml").c_str());
}

TEST_CASE("a torus's analytic bandwidth defaults to its link bandwidth", "[platform]") {
  PlatformSpec spec = load_platform_spec(shipped("tpu-v5e-16x16.yaml"));
  CommParams c = resolved_comm_params(spec, build_topology(spec));
  CHECK(c.inter_bw_Bps == Approx(45e9));
  CHECK(c.c2c_bw_Bps == Approx(45e9));
  CHECK(c.bandwidth_utilization == 1);
  CHECK(dispatch_start_latency_us(c) == 0);
}

TEST_CASE("SimGrid XML export lists every host, link and route", "[platform]") {
  Topology t = make_torus("ring", TorusSpec{{3}, 45e9, 1e-6});
  const std::string xml = to_simgrid_xml(t);
  CHECK(xml.find("<platform version=\"4.1\">") != std::string::npos);
  CHECK(xml.find("<host id=\"chip-2\" speed=\"1Gf\"/>") != std::string::npos);
  CHECK(xml.find("<link id=\"ici-x-0\" bandwidth=\"45000000000Bps\" latency=\"1e-06s\" "
                 "sharing_policy=\"SPLITDUPLEX\"/>") != std::string::npos);
  CHECK(xml.find("<route src=\"chip-0\" dst=\"chip-2\" symmetrical=\"NO\"><link_ctn id=\"ici-x-2\" "
                 "direction=\"DOWN\"/></route>") != std::string::npos);
  std::size_t routes = 0;
  for (std::size_t at = xml.find("<route "); at != std::string::npos; at = xml.find("<route ", at + 1)) ++routes;
  CHECK(routes == 6);
}

TEST_CASE("platform files: bad values are named", "[platform]") {
  CHECK_THROWS_WITH(load_platform_spec("/nonexistent/p.yaml"), Catch::Contains("cannot open file"));
  CHECK(load_platform_spec("whatever.xml").kind == PlatformSpec::Kind::kXml);
}

TEST_CASE("platform files: a bad name lists every allowed one", "[platform]") {
  struct Row {
    const char* name;
    const char* topology;
    const char* message;
  };
  const char* torus = "  kind: torus\n  dims: [4, 4]\n  bandwidth: 1GBps\n  latency: 1us\n";
  const char* tiers = "  kind: tiers\n  levels:\n  - {name: board, count: 4, bandwidth: 1GBps";
  const Row rows[] = {
      {"kind", "  kind: hypercube\n",
       "topology.kind: 'hypercube' is not a topology kind (allowed: torus, mesh, ring, tiers, gpu_cluster, "
       "fat_tree, dragonfly)"},
      {"antipodal", "  antipodal: sideways\n",
       "topology.antipodal: 'sideways' is not an antipodal routing (allowed: positive, split)"},
      {"routing", "  routing: adaptive\n",
       "topology.routing: 'adaptive' is not a torus routing (allowed: dimension_order, shortest_path)"},
      {"split", "  routing: shortest_path\n  antipodal: split\n",
       "topology.antipodal: applies to dimension-order routing only"},
      {"fabric", ", fabric: ring}\n", "topology.levels[0].fabric: 'ring' is not a fabric (allowed: full_mesh, switch)"},
      {"uplink", ", uplink: bridge}\n",
       "topology.levels[0].uplink: 'bridge' is not an uplink (allowed: direct, gateway)"},
  };
  for (const Row& r : rows) {
    INFO(r.name);
    const std::string name = r.name;
    const bool tier = name == "fabric" || name == "uplink";
    const std::string body = "topology:\n" + std::string(name == "kind" ? "" : tier ? tiers : torus) + r.topology;
    const std::string path = temp_platform(r.name, body);
    CHECK_THROWS_WITH(load_platform_spec(path), Catch::EndsWith(r.message));
    std::remove(path.c_str());
  }
}

TEST_CASE("a torus routes by dimension order, twisted or not, unless told shortest_path", "[platform]") {
  const std::string base = "topology:\n  kind: torus\n  dims: [2, 2, 4]\n  bandwidth: 1GBps\n  latency: 1us\n";
  const std::string plain = temp_platform("plain", base);
  CHECK(load_platform_spec(plain).torus.routing == TorusSpec::Routing::kDimensionOrder);
  const std::string twisted = temp_platform("twisted", base + "  twisted: true\n");
  const PlatformSpec t = load_platform_spec(twisted);
  CHECK(t.torus.routing == TorusSpec::Routing::kDimensionOrder);
  CHECK(t.torus.antipodal == TorusSpec::Antipodal::kPositive);
  CHECK(build_topology(t).routing == torus_routing_name(t.torus));
  const std::string shortest = temp_platform("shortest", base + "  twisted: true\n  routing: shortest_path\n");
  CHECK(load_platform_spec(shortest).torus.routing == TorusSpec::Routing::kShortestPath);
  const std::string split = temp_platform("split", base + "  twisted: true\n  antipodal: split\n");
  CHECK(load_platform_spec(split).torus.antipodal == TorusSpec::Antipodal::kSplit);
  for (const auto& path : {plain, twisted, shortest, split}) std::remove(path.c_str());
}

TEST_CASE("every shipped platform YAML is in the table above", "[platform]") {
  // A new file in platforms/ must get its row (chips, links, bandwidth) there.
  const std::set<std::string> listed = {"tpu-v4-4x4x4.yaml", "tpu-v5e-16x16.yaml", "tpu-v5p-8x8x8.yaml",
                                        "tpu-v6e-16x16.yaml", "sg2262-p1r1b4c32.yaml", "h800-ib-32x8.yaml",
                                        "tpu-v4-4x4x8.yaml", "tpu-v4-4x4x8-twisted.yaml", "tpu-v4-4x8x8.yaml",
                                        "tpu-v4-4x8x8-twisted.yaml", "fat-tree-4ary3-50g.yaml",
                                        "dragonfly-9x4x2.yaml", "h100-ib-8x8.yaml", "dgx-h100.yaml", "dgx-h200.yaml",
                                        "gb200-nvl72.yaml", "tpu-7x-4x4x4.yaml", "h100-efa-8x8.yaml",
                                        "aws-p5en-h200-efa-4x8.yaml", "aws-p6-b200-efa-4x8.yaml"};
  for (const auto& entry : std::filesystem::directory_iterator(std::string(MOESIM_SOURCE_DIR) + "/platforms"))
    if (entry.path().extension() == ".yaml") CHECK(listed.count(entry.path().filename().string()) == 1);
}

TEST_CASE("a one-node gpu_cluster needs no nic; more nodes do", "[platform]") {
  const std::string box = "topology:\n  kind: gpu_cluster\n  nodes: 1\n  gpus_per_node: 8\n"
                          "  nvlink: {bandwidth: 450GBps, latency: 1us}\n";
  const std::string one = temp_platform("one-node", box);
  const PlatformSpec spec = load_platform_spec(one);
  const Topology t = build_topology(spec);
  CHECK(t.num_chips() == 8);
  CHECK(t.num_physical_links() == 8);  // NVLink only: no NIC links
  CHECK(t.switches == std::vector<std::string>{"nvswitch-0"});  // and no rails
  for (std::size_t s = 0; s < 8; ++s)
    for (std::size_t d = 0; d < 8; ++d)
      if (s != d) CHECK(t.route(static_cast<ChipId>(s), static_cast<ChipId>(d)).size() == 2);
  const CommParams c = resolved_comm_params(spec, t);
  CHECK(c.inter_bw_Bps == Approx(450e9));  // no board-to-board class: the NVLink
  CHECK(c.c2c_bw_Bps == Approx(450e9));
  // A nic on one node is still accepted, and still built (a calibration may name it).
  const std::string with_nic = temp_platform("one-node-nic", box + "  nic: {bandwidth: 50GBps, latency: 2us}\n");
  CHECK(build_topology(load_platform_spec(with_nic)).num_physical_links() == 16);
  const std::string two = temp_platform("two-nodes", std::string(box).replace(box.find("nodes: 1"), 8, "nodes: 2"));
  CHECK_THROWS_WITH(load_platform_spec(two),
                    Catch::EndsWith("topology.nic: missing key: 2 nodes talk through their NICs (give nic: "
                                    "{bandwidth, latency}; only nodes: 1 may leave it out)"));
  CHECK_THROWS_WITH(load_platform_spec(two), Catch::StartsWith(two + ":"));
  for (const auto& path : {one, with_nic, two}) std::remove(path.c_str());
}

TEST_CASE("a platform string is the torus its YAML would give", "[platform]") {
  struct Row {
    const char* text;
    std::vector<std::uint64_t> dims;
    double bandwidth_Bps, latency_s;
    bool wraparound;
  };
  for (const Row& r : {Row{"torus:4x4x8:45GBps:1us", {4, 4, 8}, 45e9, 1e-6, true},
                       Row{"torus:8x8x16:90GBps", {8, 8, 16}, 90e9, 1e-6, true},  // latency 1us if left out
                       Row{"torus:16x16:400Gbps:0.5us", {16, 16}, 50e9, 0.5e-6, true},
                       Row{"mesh:4x4:45GBps:0", {4, 4}, 45e9, 0, false},
                       Row{"ring:8:1.5GBps:2ns", {8}, 1.5e9, 2e-9, true}}) {
    INFO(r.text);
    CHECK(is_platform_string(r.text));
    const PlatformSpec spec = load_platform_spec(r.text);
    CHECK(spec.kind == PlatformSpec::Kind::kTorus);
    CHECK(spec.path == r.text);
    CHECK(spec.torus.dims == r.dims);
    CHECK(spec.torus.bandwidth_Bps == Approx(r.bandwidth_Bps));
    CHECK(spec.torus.latency_s == Approx(r.latency_s).margin(1e-15));
    CHECK(spec.torus.wraparound == r.wraparound);
  }
  // The same routes and links as the shipped file with the same numbers.
  const Topology file = build_topology(load_platform_spec(shipped("tpu-v4-4x4x8.yaml")));
  const Topology text = build_topology(load_platform_spec("torus:4x4x8:45GBps:1us"));
  CHECK(text.name == "torus-4x4x8");
  REQUIRE(text.links.size() == file.links.size());
  for (std::size_t l = 0; l < text.links.size(); ++l) {
    CHECK(text.links[l].name == file.links[l].name);
    CHECK(text.links[l].bandwidth_Bps == file.links[l].bandwidth_Bps);
    CHECK(text.links[l].latency_s == file.links[l].latency_s);
  }
  for (ChipId s = 0; s < 128; s += 7)
    for (ChipId d = 0; d < 128; d += 5)
      if (s != d) {
        const auto a = text.route(s, d), b = file.route(s, d);
        CHECK(std::vector<LinkId>(a.begin(), a.end()) == std::vector<LinkId>(b.begin(), b.end()));
      }
  for (const char* file_name : {"platforms/tpu-v4-4x4x4.yaml", "/abs/torus:4.yaml", "torus.yaml", "torus", "tiers:4",
                                "fat_tree:4:1GBps", "a/torus:4x4:1GBps"})
    CHECK_FALSE(is_platform_string(file_name));
}

TEST_CASE("a bad platform string names itself and the form in one line", "[platform]") {
  const std::string form =
      "; expected KIND:XxYxZ:BANDWIDTH[:LATENCY] (KIND torus, mesh or ring; 1 to 3 dimensions; a bandwidth with its "
      "unit such as 90GBps; LATENCY a time such as 1us, 1us if left out), e.g. torus:8x8x16:90GBps:1us";
  struct Row {
    const char* text;
    const char* message;
  };
  for (const Row& r : {Row{"torus:8x0:45GBps", "'torus:8x0:45GBps': dimension '0' is not a positive integer"},
                       Row{"torus:8x8x16", "'torus:8x8x16': no link bandwidth"},
                       Row{"torus:8x8:45", "'torus:8x8:45': link bandwidth '45' is not a positive bandwidth with a "
                                           "unit (Bps, kBps, MBps, GBps, TBps, KiBps, MiBps, GiBps, TiBps, bps, kbps, "
                                           "Mbps, Gbps, Tbps)"},
                       Row{"torus:8x8:0GBps", "'torus:8x8:0GBps': link bandwidth '0GBps' is not a positive bandwidth "
                                              "with a unit (Bps, kBps, MBps, GBps, TBps, KiBps, MiBps, GiBps, TiBps, "
                                              "bps, kbps, Mbps, Gbps, Tbps)"},
                       Row{"torus:8x8:45GBps:1", "'torus:8x8:45GBps:1': link latency '1' is not a "
                                                 "non-negative time with a unit (s, ms, us, ns, ps)"},
                       Row{"torus:8x8:45GBps:-1us", "'torus:8x8:45GBps:-1us': link latency '-1us' is not a "
                                                    "non-negative time with a unit (s, ms, us, ns, ps)"},
                       Row{"torus:8x8:45GBps:1us:x", "'torus:8x8:45GBps:1us:x': too many fields"},
                       Row{"torus:2x2x2x2:45GBps", "'torus:2x2x2x2:45GBps': 4 dimensions"},
                       Row{"torus:x8:45GBps", "'torus:x8:45GBps': dimension '' is not a positive integer"},
                       Row{"ring:4x4:45GBps", "'ring:4x4:45GBps': a ring has one dimension, got 2"},
                       Row{"mesh:512x512:45GBps", "'mesh:512x512:45GBps': more than 65536 chips"},
                       Row{"tours:8x8:45GBps", "'tours:8x8:45GBps': no such file, nor a platform string"}}) {
    INFO(r.text);
    CHECK_THROWS_WITH(load_platform_spec(r.text), "platform: " + std::string(r.message) + form);
  }
}
