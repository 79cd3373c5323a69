// Scenario parsing, --set overrides and validation messages.
#include "moesim/scenario.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "moesim/error.hpp"

using namespace moesim;

namespace {

std::string shipped(const std::string& name) { return std::string(MOESIM_SOURCE_DIR) + "/scenarios/" + name; }

// A scenario file in the temp folder, naming a shipped platform by absolute path.
struct TempScenario {
  std::string path;
  explicit TempScenario(const std::string& body, const std::string& name = "s.yaml") {
    // Unique per process: CTest runs test cases in parallel processes.
    path = "/tmp/moesim_scenario_test_" + std::to_string(getpid()) + "_" + name;
    std::ofstream(path) << "platform: " << MOESIM_SOURCE_DIR << "/platforms/tpu-v4-4x4x4.yaml\n" << body;
  }
  ~TempScenario() { std::remove(path.c_str()); }
};

const char* kModel =
    "model: {hidden_dim: 7168, num_experts: 256, topk: 8, moe_layers: 2}\n"
    "deployment: {global_batch: 64, ep: 32}\n";

}  // namespace

TEST_CASE("every shipped scenario loads", "[scenario]") {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(MOESIM_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path());
    Scenario s = load_scenario(entry.path().string());
    if (s.model.name == "Mixtral-8x7B") {
      CHECK(s.model.hidden_dim == 4096);
      CHECK(s.precision.name == "W16A16");
    } else {
      CHECK(s.model.hidden_dim == 7168);
      CHECK(s.precision.name == "W8A8");
    }
    CHECK(s.engine == Engine::kSimgrid);
    CHECK(s.name + ".yaml" == entry.path().filename().string());
    Topology t = build_topology(s.platform);
    CHECK(t.num_chips() >= s.group_chips() * s.deployment.groups);
    CHECK(group_chips(s, t).size() == s.deployment.groups);
    ++count;
  }
  CHECK(count >= 10);
  Scenario ds = load_scenario(shipped("deepseek-v3-decode-v5e-16x16.yaml"));
  CHECK(ds.model.moe_layers == 58);
  CHECK(ds.deployment.ep == 256);
  CHECK(ds.deployment.global_batch / ds.deployment.ep == 128);  // tokens a chip
  Scenario mixtral = load_scenario(shipped("mixtral-8x7b-dgx-h100.yaml"));
  CHECK(mixtral.model.num_experts == 8);
  CHECK(mixtral.model.topk == 2);
  CHECK(mixtral.model.moe_layers == 32);
  CHECK(mixtral.deployment.ep == 8);
  CHECK(mixtral.deployment.global_batch == 1024);  // 128 tokens on each of 8 GPUs
  CHECK(mixtral.platform.name == "dgx-h100");
}

TEST_CASE("defaults and overrides", "[scenario]") {
  TempScenario f(kModel);
  Scenario s = load_scenario(f.path);
  CHECK(s.deployment.seq_len == 1);
  CHECK(s.deployment.moe_tp == 1);
  CHECK(s.precision.dispatch == DType::kFp8);
  CHECK(s.precision.combine == DType::kBf16);
  CHECK(s.simgrid.network_model == "CM02");
  Scenario o = load_scenario(f.path, {"deployment.ep=64", "precision=W16A16", "engine=bound",
                                      "comm_params.bandwidth_utilization=0.5"});
  CHECK(o.deployment.ep == 64);
  CHECK(o.precision.dispatch == DType::kBf16);
  CHECK(o.engine == Engine::kBound);
  CHECK(o.platform.comm.bandwidth_utilization == Approx(0.5));
  Scenario c = load_scenario(f.path, {"precision={dispatch: fp32, combine: fp8}"});
  CHECK(c.precision.name == "custom");
  CHECK(c.precision.dispatch == DType::kFp32);
  CHECK(c.precision.combine == DType::kFp8);
}

TEST_CASE("placement picks the group's chips", "[scenario]") {
  TempScenario f("model: {hidden_dim: 16, topk: 1}\n"
                 "deployment: {global_batch: 4, ep: 2, placement: [chip-5, chip-3]}\n");
  Scenario s = load_scenario(f.path);
  Topology t = build_topology(s.platform);
  CHECK(group_chips(s, t).front() == std::vector<ChipId>{5, 3});
  Scenario bad = load_scenario(f.path, {"deployment.placement=[chip-5, gpu-1]"});
  CHECK_THROWS_WITH(group_chips(bad, t),
                    Catch::Contains("deployment.placement") && Catch::Contains("'gpu-1' is not a chip"));
}

TEST_CASE("bad scenarios name the file, line, key and value", "[scenario]") {
  struct Row {
    const char* body;
    const char* message;
  };
  const Row rows[] = {
      {"model: {hidden_dim: 7168, topk: 8}\ndeployment: {global_batch: 64, ep: 0}\n",
       "s.yaml:3: deployment.ep: '0' is not a positive integer"},
      {"model: {hidden_dim: -1, topk: 8}\ndeployment: {global_batch: 64, ep: 2}\n",
       "s.yaml:2: model.hidden_dim: '-1' is not a positive integer"},
      {"model: {hidden_dim: 7168, topk: 8}\ndeploymnet: {global_batch: 64, ep: 2}\n",
       "s.yaml:3: deploymnet: unknown key"},
      {"model: {topk: 8}\ndeployment: {global_batch: 64, ep: 2}\n", "s.yaml:2: model.hidden_dim: missing key"},
      {"model: {hidden_dim: [1, 2], topk: 8}\ndeployment: {global_batch: 64, ep: 2}\n",
       "model.hidden_dim: expected a positive integer, got [1, 2]"},
      {"model: {hidden_dim: 7168, topk: 8}\ndeployment: {global_batch: 64, ep: 2}\nprecision: W4A4\n",
       "s.yaml:4: precision: 'W4A4' is not a precision"},
      {"model: {hidden_dim: 7168, topk: 8}\ndeployment: {global_batch: 64, ep: 2}\n"
       "precision: {dispatch: fp4, combine: bf16}\n",
       "precision.dispatch: 'fp4' is not a dtype (allowed: fp8, int8, bf16, fp16, fp32)"},
      {"model: {hidden_dim: 7168, num_experts: 256, topk: 8}\ndeployment: {global_batch: 64, ep: 48}\n",
       "deployment.ep: 48 does not divide the 256 experts"},
      {"model: {hidden_dim: 7168, topk: 8}\ndeployment: {global_batch: 64, ep: 2}\nengine: fast\n",
       "s.yaml:4: engine: 'fast' is not an engine"},
      {"model: {hidden_dim: 7168, topk: 8\n", "s.yaml:3: invalid YAML"},
  };
  for (const Row& r : rows) {
    INFO(r.body);
    TempScenario f(r.body);
    CHECK_THROWS_WITH(load_scenario(f.path), Catch::Contains(r.message));
  }
}

TEST_CASE("a bad name lists every allowed one, with the prose of lists", "[scenario]") {
  TempScenario f(kModel);
  struct Row {
    const char* set;
    const char* message;
  };
  const Row rows[] = {
      {"precision=W4A4",
       "precision: 'W4A4' is not a precision (allowed: W8A8, W16A16, or {dispatch: DTYPE, combine: DTYPE})"},
      {"precision={dispatch: fp8, combine: fp4}",
       "precision.combine: 'fp4' is not a dtype (allowed: fp8, int8, bf16, fp16, fp32)"},
      {"traffic.routing=magic",
       "traffic.routing: 'magic' is not a routing model (allowed: uniform, random, zipf, hotspot, trace)"},
      {"traffic.expert_placement=diagonal",
       "traffic.expert_placement: 'diagonal' is not a placement (allowed: contiguous, round_robin, or a list of "
       "ranks, one per expert)"},
      {"deployment.group_placement=diagonal",
       "deployment.group_placement: 'diagonal' is not a group placement (allowed: contiguous, strided, or a list "
       "of host lists)"},
      {"engine=fast", "engine: 'fast' is not an engine (allowed: simgrid, analytic, bound)"},
      {"simgrid.fidelity=fast", "simgrid.fidelity: 'fast' is not a fidelity (allowed: flow, ptask)"},
      {"simgrid.network_model=FOO",
       "simgrid.network_model: 'FOO' is not a SimGrid network model (allowed: CM02, LV08, SMPI, IB)"},
  };
  for (const Row& r : rows) {
    INFO(r.set);
    CHECK_THROWS_WITH(load_scenario(f.path, {r.set}), Catch::EndsWith(r.message));
  }
}

TEST_CASE("a group larger than the platform is refused", "[scenario]") {
  TempScenario f(kModel);
  Scenario s = load_scenario(f.path, {"deployment.ep=128"});
  CHECK_THROWS_WITH(group_chips(s, build_topology(s.platform)),
                    Catch::Contains("--set deployment.ep: deployment.ep: ep x moe_tp = 128 x 1 = 128 chips is "
                                    "more than the 64 chips of platform tpu-v4-4x4x4"));
}

TEST_CASE("bad --set assignments", "[scenario]") {
  TempScenario f(kModel);
  CHECK_THROWS_WITH(load_scenario(f.path, {"deployment.ep"}), Catch::Contains("expected key=value"));
  CHECK_THROWS_WITH(load_scenario(f.path, {"deployment.ep=abc"}),
                    Catch::Contains("--set deployment.ep: deployment.ep: 'abc' is not a positive integer"));
  CHECK_THROWS_WITH(load_scenario(f.path, {"deployment.epp=3"}), Catch::Contains("deployment.epp: unknown key"));
}

TEST_CASE("the traffic section, seed, samples and groups", "[scenario]") {
  TempScenario f("model: {hidden_dim: 7168, num_experts: 256, topk: 8}\n"
                 "deployment: {global_batch: 64, ep: 16, groups: 2, group_placement: strided}\n"
                 "seed: 42\nsamples: 3\n"
                 "traffic: {routing: zipf, zipf_exponent: 1.5, redraw_per_layer: false, dedup: false,\n"
                 "          expert_placement: round_robin, redundant_experts: {3: [1, 2]},\n"
                 "          n_groups: 8, topk_groups: 4, max_nodes: 2, node_chips: 4}\n");
  Scenario s = load_scenario(f.path);
  CHECK(s.seed == 42);
  CHECK(s.samples == 3);
  CHECK(s.routing.model == RoutingSpec::Model::kZipf);
  CHECK(s.routing.zipf_exponent == 1.5);
  CHECK_FALSE(s.routing.redraw_per_layer);
  CHECK_FALSE(s.routing.dedup);
  CHECK(s.routing.placement == RoutingSpec::Placement::kRoundRobin);
  CHECK(s.routing.redundant_map.at(3) == std::vector<std::uint64_t>{1, 2});
  CHECK(s.routing.n_groups == 8);
  CHECK(s.routing.topk_groups == 4);
  CHECK(node_chips(s) == 4);
  auto groups = group_chips(s, build_topology(s.platform));
  REQUIRE(groups.size() == 2);
  CHECK(groups[0][1] == 2);  // strided: chip i * groups + g
  CHECK(groups[1][0] == 1);
  Scenario c = load_scenario(f.path, {"deployment.group_placement=contiguous"});
  CHECK(group_chips(c, build_topology(c.platform))[1][0] == 16);
}

TEST_CASE("tokens_per_chip gives the batch: global_batch x seq_len = tokens_per_chip x ep", "[scenario]") {
  TempScenario f("model: {hidden_dim: 7168, num_experts: 256, topk: 8, moe_layers: 1}\n"
                 "deployment: {tokens_per_chip: 128, ep: 32, seq_len: 2}\n", "tokens.yaml");
  CHECK(load_scenario(f.path).deployment.global_batch == 128 * 32 / 2);
  // The file gives one, --set the other: --set wins.
  TempScenario g(kModel);
  CHECK(load_scenario(g.path, {"deployment.tokens_per_chip=16"}).deployment.global_batch == 16 * 32);
  CHECK(load_scenario(f.path, {"deployment.global_batch=8"}).deployment.global_batch == 8);
  CHECK_THROWS_WITH(load_scenario(g.path, {"deployment.tokens_per_chip=16", "deployment.global_batch=8"}),
                    Catch::Contains("give deployment.global_batch or deployment.tokens_per_chip, not both"));
  CHECK_THROWS_WITH(load_scenario(f.path, {"deployment.tokens_per_chip=3", "deployment.ep=1"}),
                    Catch::Contains("deployment.tokens_per_chip: 3 x ep 1 tokens is not a whole number of sequences"));
}

TEST_CASE("a scenario whose byte count is past 2^64 names its file", "[scenario][bytes]") {
  // Each factor is within its cap; 1e12 tokens x top-8 / 64 x 4e9 elements is not.
  TempScenario f("model: {hidden_dim: 4000000000, num_experts: 256, topk: 8}\n"
                 "deployment: {global_batch: 1000000000000, ep: 64}\n");
  CHECK_THROWS_WITH(load_scenario(f.path), Catch::StartsWith(f.path + ": tokens_per_ep_group x hidden_dim") &&
                                               Catch::Contains("is more than 2^64 - 1"));
}
