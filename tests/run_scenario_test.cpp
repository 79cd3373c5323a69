// run_scenario in process, on the core engines (analytic, bound): the same
// figures as the golden whole runs of the moesim binary, and the engine
// contract (one result per distinct layer, group times, start-ups).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "engine/bound.hpp"
#include "moesim/engine.hpp"
#include "moesim/error.hpp"
#include "moesim/report.hpp"
#include "moesim/run.hpp"
#include "moesim/scenario.hpp"
#include "util/files.hpp"

using namespace moesim;
using nlohmann::json;

namespace {

const std::string kSource = MOESIM_SOURCE_DIR;

json golden(const std::string& scenario, const std::string& engine) {
  std::ifstream in(kSource + "/tests/golden/" + scenario + "." + engine + ".json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

RunReport run_core(const std::string& scenario, const std::string& engine) {
  Scenario s = load_scenario(kSource + "/scenarios/" + scenario + ".yaml", {"engine=" + engine});
  const Topology t = load_topology(s.platform, nullptr);
  return run_scenario(s, t, *make_core_engine(s, t));
}

}  // namespace

TEST_CASE("run_scenario on the core engines gives the golden figures", "[run]") {
  struct Row {
    const char* scenario;
    const char* engine;
  };
  const Row rows[] = {{"reference-ep32", "analytic"},
                      {"reference-ep32", "bound"},
                      {"tier6-benchmark-sg2262", "analytic"},
                      {"tier6-benchmark-sg2262", "bound"},
                      {"deepseek-v3-decode-v4-4x4x4", "analytic"},
                      {"deepseek-v3-decode-v4-4x4x4", "bound"},
                      {"deepseek-v3-decode-sg2262-zipf", "bound"},
                      {"trace-example-v4", "bound"}};
  for (const Row& r : rows) {
    INFO(r.scenario << " " << r.engine);
    const RunReport rep = run_core(r.scenario, r.engine);
    const json j = to_json(rep);
    const json g = golden(r.scenario, r.engine);
    CHECK(j["engine"] == r.engine);
    CHECK(j["bytes"] == g["bytes"]);
    REQUIRE(j["layers"].size() == g["layers"].size());
    for (std::size_t l = 0; l < g["layers"].size(); ++l) {
      INFO("layer " << l);
      for (const char* key : {"dispatch_us", "combine_us", "total_us"})
        CHECK(j["layers"][l][key].get<double>() == Approx(g["layers"][l][key].get<double>()).epsilon(1e-9));
      CHECK(j["layers"][l]["dispatch_bytes"] == g["layers"][l]["dispatch_bytes"]);
    }
  }
}

TEST_CASE("run_scenario: identical layers are computed once, routed ones each", "[run]") {
  const RunReport uniform = run_core("deepseek-v3-decode-v4-4x4x4", "bound");
  CHECK(uniform.distinct_layers == 1);
  CHECK(uniform.layers.size() == uniform.moe_layers);
  const RunReport routed = run_core("deepseek-v3-decode-sg2262-zipf", "bound");
  CHECK(routed.distinct_layers == routed.moe_layers);
  for (const LayerResult& l : routed.layers) CHECK(l.simulated_as == l.layer);
}

TEST_CASE("run_scenario: every phase names its bottleneck and busiest links", "[run][explain]") {
  for (const char* engine : {"analytic", "bound"}) {
    INFO(engine);
    const RunReport r = run_core("deepseek-v3-decode-v4-4x4x4", engine);
    for (const PhaseResult& p : r.layers.front().phases) {
      CHECK(p.has_bottleneck);
      CHECK_FALSE(p.top_links.empty());
      CHECK(p.link_bytes.size() == r.links.size());
    }
  }
}

TEST_CASE("run_scenario: the bound engine adds the calibrated start-ups to its bound", "[run]") {
  Scenario s = load_scenario(kSource + "/scenarios/deepseek-v3-decode-v4-4x4x4.yaml", {"engine=bound"});
  const Topology t = load_topology(s.platform, nullptr);
  const RunReport plain = run_scenario(s, t, *make_bound_engine());
  s.platform.calibration.dispatch_startup_us = 7;
  s.platform.calibration.combine_startup_us = 11;
  const RunReport slow = run_scenario(s, t, *make_bound_engine());
  const auto& a = plain.layers.front().phases;
  const auto& b = slow.layers.front().phases;
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double add = a[i].kind == PhaseKind::kDispatch ? 7 : a[i].kind == PhaseKind::kCombine ? 11 : 0;
    CHECK(b[i].latency_us == Approx(a[i].latency_us + add).epsilon(1e-12));
    // The bound of a phase with its start-up is the phase itself: 1x above it.
    CHECK(b[i].bottleneck.above_bound == Approx(1.0));
  }
}

TEST_CASE("the bound engine gives each of several groups its own bound", "[run]") {
  Scenario s = load_scenario(kSource + "/scenarios/four-groups-of-64-v5e-16x16.yaml",
                             {"engine=bound", "model.moe_layers=1", "traffic.routing=uniform"});
  const Topology t = load_topology(s.platform, nullptr);
  const RunReport r = run_scenario(s, t, *make_bound_engine());
  REQUIRE(r.groups == 4);
  for (const PhaseResult& p : r.layers.front().phases) {
    REQUIRE(p.group_us.size() == 4);
    for (double g : p.group_us) {
      CHECK(g > 0);
      CHECK(g <= p.latency_us * (1 + 1e-12));  // all groups at once are no faster than one alone
    }
  }
  // The analytic engine gives every group the phase's closed-form time.
  s.engine = Engine::kAnalytic;
  const RunReport a = run_scenario(s, t, *make_core_engine(s, t));
  for (const PhaseResult& p : a.layers.front().phases) CHECK(p.group_us == std::vector<double>(4, p.latency_us));
}

TEST_CASE("an XML platform needs a loader; the simgrid engine is not a core engine", "[run]") {
  PlatformSpec xml;
  xml.kind = PlatformSpec::Kind::kXml;
  xml.path = "p.xml";
  CHECK_THROWS_AS(load_topology(xml, nullptr), InputError);
  bool called = false;
  const Topology t = load_topology(xml, [&](const std::string& path) {
    called = path == "p.xml";
    Topology out;
    out.name = "from the loader";
    return out;
  });
  CHECK(called);
  CHECK(t.name == "from the loader");

  Scenario s = load_scenario(kSource + "/scenarios/reference-ep32.yaml");
  REQUIRE(s.engine == Engine::kSimgrid);
  CHECK_THROWS_AS(make_core_engine(s, load_topology(s.platform, nullptr)), InputError);
}

TEST_CASE("run_scenario: calibrated link latencies and message costs", "[run]") {
  // The H100 per_expert scenario under the bound: each flow's latency term is
  // its route's latency; per_expert makes a message per token copy.
  Scenario s = load_scenario(kSource + "/scenarios/deepseek-v3-decode-h100-per-expert.yaml",
                             {"engine=bound", "model.moe_layers=1"});
  const auto run = [&](const Calibration& c) {
    Scenario t = s;
    t.platform.calibration = c;
    const Topology topo = load_topology(t.platform, nullptr);
    return run_scenario(t, topo, *make_bound_engine());
  };
  const RunReport plain = run({});
  SECTION("latency_us replaces each link's latency of its class") {
    Calibration c;
    c.latency_us["nic"] = 2.0 + 10;  // nominal 2 us: 10 us more on each NIC hop
    const RunReport slow = run(c);
    const double d0 = plain.layers[0].phase_us(PhaseKind::kDispatch), d1 = slow.layers[0].phase_us(PhaseKind::kDispatch);
    // A NIC route crosses the NIC twice (up and down): 20 us more, at most.
    CHECK(d1 > d0 + 10);
    CHECK(d1 <= d0 + 20 + 1e-9);
    Calibration bad;
    bad.latency_us["ib"] = 1;
    CHECK_THROWS_WITH(run(bad), Catch::Contains("calibration.latency_us.ib: no link of class 'ib'"));
  }
  SECTION("the platform's per-message cost adds to the scenario's") {
    Calibration c;
    c.per_message_us.all_us = 0.01;
    const RunReport platform_only = run(c);
    CHECK(platform_only.comm.per_message_us == Approx(0.01));
    s.comm.per_message_us = 0.02;
    const RunReport both = run(c);
    CHECK(both.comm.per_message_us == Approx(0.03));
    const double d0 = plain.layers[0].phase_us(PhaseKind::kDispatch);
    CHECK(platform_only.layers[0].phase_us(PhaseKind::kDispatch) > d0);
    CHECK(both.layers[0].phase_us(PhaseKind::kDispatch) > platform_only.layers[0].phase_us(PhaseKind::kDispatch));
  }
  SECTION("a phase's least time lengthens a shorter phase to it, and leaves a longer one alone") {
    const double d0 = plain.layers[0].phase_us(PhaseKind::kDispatch), c0 = plain.layers[0].phase_us(PhaseKind::kCombine);
    Calibration c;
    c.dispatch_startup_us = 5;
    c.dispatch_min_us = d0 + 100;  // above the phase: it becomes the phase
    c.combine_min_us = c0 / 2;     // below: nothing changes
    const RunReport r = run(c);
    CHECK(r.layers[0].phase_us(PhaseKind::kDispatch) == Approx(d0 + 100));
    CHECK(r.layers[0].phase_us(PhaseKind::kCombine) == Approx(c0));
    c.dispatch_min_us = d0 + 2;  // below the phase with its start-up
    CHECK(run(c).layers[0].phase_us(PhaseKind::kDispatch) == Approx(d0 + 5));
  }
  SECTION("a per-peer cost by link class: a chip pays it for each peer across a NIC") {
    Calibration c;
    c.per_peer_us.class_us["nic"] = 1.0;
    const RunReport r = run(c);
    // EP 64 over 8 nodes: each chip sends to 56 chips of other nodes; its flows start after 56 us.
    CHECK(r.layers[0].phase_us(PhaseKind::kDispatch) >= 56.0);
    CHECK(r.layers[0].phase_us(PhaseKind::kDispatch) > plain.layers[0].phase_us(PhaseKind::kDispatch));
    CHECK(r.per_peer.class_us.at("nic") == 1.0);
  }
  SECTION("the platform's largest message cuts flows when the scenario's is larger or unset") {
    Calibration c;
    c.message_bytes = 4096;
    CHECK(run(c).comm.message_bytes == 4096);
    s.comm.message_bytes = 1024;
    CHECK(run(c).comm.message_bytes == 1024);
  }
}

TEST_CASE("a run's estimate, from its sizes before anything is built", "[run][estimate]") {
  const std::string v5e = kSource + "/scenarios/deepseek-v3-decode-v5e-16x16.yaml";
  // Uniform shares: one distinct layer of 256 x 255 pairs, each phase.
  RunEstimate e = estimate_run(load_scenario(v5e));
  CHECK(e.chips == 256);
  CHECK(e.distinct_layers == 1);
  CHECK(e.flows_per_layer == 2.0 * 256 * 255);
  CHECK(e.route_bytes > 0);
  CHECK(e.memory_bytes() == e.route_bytes + e.traffic_bytes + e.result_bytes + e.matrix_bytes);
  // The dense matrices of a group: six of 256 x 256 uint64 for one stage, and the routing's counts.
  CHECK(e.matrix_bytes == 8.0 * (6 * 256 * 256 + 3 * 256 * 256));
  // The links of the built platform replace the estimate of them.
  const Scenario s = load_scenario(v5e);
  const Topology t = load_topology(s.platform, nullptr);
  CHECK(estimate_run(s, t.links.size()).result_bytes == Approx(58 * (16.0 * (t.links.size() + 256) + 1024)));
  // Random routing: every layer is distinct; the flow fidelity costs over 100x ptask.
  RunEstimate random = estimate_run(load_scenario(v5e, {"traffic.routing=random"}));
  CHECK(random.distinct_layers == 58);
  RunEstimate flow = estimate_run(load_scenario(v5e, {"traffic.routing=random", "simgrid.fidelity=flow"}));
  CHECK(flow.seconds > 100 * random.seconds);
  CHECK(flow.describe().find("58 distinct layers of up to 1.31e+05 flows") != std::string::npos);
  // Skewed flows end one at a time, each end re-solving every flow in flight:
  // one 256-chip random layer is hours (bench/results.md), 64 chips seconds.
  const RunEstimate flow_one =
      estimate_run(load_scenario(v5e, {"traffic.routing=random", "simgrid.fidelity=flow", "model.moe_layers=1"}));
  CHECK(flow_one.seconds > 3600);
  const RunEstimate flow_64 = estimate_run(load_scenario(
      v5e, {"traffic.routing=random", "simgrid.fidelity=flow", "model.moe_layers=1", "deployment.ep=64",
            "deployment.global_batch=8192", "platform=" + kSource + "/platforms/tpu-v4-4x4x4.yaml"}));
  CHECK(flow_64.seconds > 0.5);  // measured 1.6 s
  CHECK(flow_64.seconds < 30);
  // A multi-stage algorithm's stages are small all-to-alls: 256 chips by
  // dimension order are 3,840 flows a stage (measured 3.6 s), not 65,280.
  const RunEstimate by_dims = estimate_run(load_scenario(
      v5e, {"traffic.routing=random", "simgrid.fidelity=flow", "model.moe_layers=1",
            "comm.algorithm=dimension_ordered"}));
  CHECK(by_dims.flows_per_layer == 2.0 * 2 * 256 * 15);
  CHECK(by_dims.seconds < 60);
  CHECK(by_dims.seconds < flow_one.seconds / 100);
  // Layers on several cores at once: at most `jobs` (and the machine's cores)
  // times faster, and one distinct layer is never split.
  const double two = estimate_run(load_scenario(v5e, {"traffic.routing=random"}), std::nullopt, 2).seconds;
  CHECK(two <= random.seconds);
  CHECK(two >= random.seconds / 2);
  CHECK(estimate_run(load_scenario(v5e), std::nullopt, 8).seconds == e.seconds);
  // Each algorithm's stages as the traffic builds them: the estimate's flows
  // of a layer are those of a built layer, every stage of both phases (all
  // of them on uniform shares; a few pairs may draw no token on sampled
  // routing).
  for (const auto& [file, sets] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"deepseek-v3-decode-h100-direct.yaml", {}},
           {"deepseek-v3-decode-h100-node-dedup.yaml", {}},
           {"deepseek-v3-decode-v5e-16x16.yaml", {"comm.algorithm=dimension_ordered"}},
           {"deepseek-v3-decode-v5e-16x16.yaml",
            {"comm.algorithm=node_dedup", "traffic.node_chips=4", "traffic.routing=random"}}}) {
    const Scenario sc = load_scenario(kSource + "/scenarios/" + file, sets);
    INFO(file << " " << comm_algorithm_name(sc.comm.algorithm));
    const Topology topo = load_topology(sc.platform, nullptr);
    const LayerTraffic built = first_layer_traffic(sc, topo);
    double flows = 0;
    std::size_t stages = 0;
    for (const Phase& ph : built.phases)
      for (const Stage& st : ph.stages()) {
        flows += static_cast<double>(st.flows.size());
        stages += !st.flows.empty();
      }
    const double estimated = estimate_run(sc).flows_per_layer;
    if (sc.routing.model == RoutingSpec::Model::kUniform)
      CHECK(estimated == flows);
    CHECK(flows <= estimated);
    CHECK(flows >= 0.95 * estimated);
    CHECK(stages == (sc.comm.algorithm == CommAlgorithm::kDirect ? 2u : 4u));
  }
}

TEST_CASE("a run that cannot fit in memory is refused before it starts", "[run][estimate]") {
  const std::string v5e = kSource + "/scenarios/deepseek-v3-decode-v5e-16x16.yaml";
  const Scenario many = load_scenario(v5e, {"model.moe_layers=100000000"});
  CHECK_THROWS_WITH(check_run_memory(many, estimate_run(many)),
                    Catch::Contains("model.moe_layers: 100000000 layers x 1 sample: this run needs about") &&
                        Catch::Contains("of memory"));
  TempDir dir("moesim-estimate-test");
  std::ofstream(dir.file("big.yaml")) << "name: big\ntopology: {kind: gpu_cluster, nodes: 8192, gpus_per_node: 8,\n"
                                         "  nvlink: {bandwidth: 450GBps, latency: 1us}, nic: {bandwidth: 50GBps, latency: 2us}}\n";
  const Scenario big = load_scenario(v5e, {"platform=" + dir.file("big.yaml")});
  CHECK_THROWS_WITH(check_run_memory(big, estimate_run(big)),
                    Catch::Contains("platform: this run needs") && Catch::Contains("use a smaller platform"));
  CHECK_NOTHROW(check_run_memory(load_scenario(v5e), estimate_run(load_scenario(v5e))));
}
