// Expert compute and overlap schedules: the rooflines, the schedule checks,
// and overlapped runs against the closed forms of InferSim and
// DeepSeek_Simulator where no two transfers are in flight at once.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "moesim/compute.hpp"
#include "moesim/error.hpp"
#include "moesim/report.hpp"
#include "moesim/run.hpp"
#include "moesim/scenario.hpp"
#include "moesim/schedule.hpp"
#include "campaign/plot.hpp"
#include "util/files.hpp"

using namespace moesim;

namespace {

// The compute times every case gives (us a micro-batch).
constexpr double kAttnPre = 31, kAttnCore = 47, kShared = 23, kExperts = 59, kOutput = 7;

// A scenario on an 8-chip ring, uniform shares, the bound engine; `extra`
// adds keys (compute, overlap).
RunReport run_text(const TempDir& dir, const std::string& name, std::uint64_t batch, const std::string& extra) {
  const std::string path = dir.file(name + ".yaml");
  std::ofstream(path) << "platform: ring:8:50GBps:1us\n"
                      << "model: {hidden_dim: 7168, num_experts: 64, topk: 8, moe_layers: 2}\n"
                      << "deployment: {global_batch: " << batch << ", ep: 8}\n"
                      << "engine: bound\n"
                      << extra;
  const Scenario s = load_scenario(path);
  const Topology t = load_topology(s.platform, nullptr);
  return run_scenario(s, t, *make_core_engine(s, t));
}

std::string compute_block() {
  return "compute: {attn_pre: " + std::to_string(kAttnPre) + ", attn_core: " + std::to_string(kAttnCore) +
         ", shared: " + std::to_string(kShared) + ", experts: " + std::to_string(kExperts) +
         ", output: " + std::to_string(kOutput) + "}\n";
}

}  // namespace

TEST_CASE("expert roofline: FLOPs bound with many tokens, weights bound with few", "[compute]") {
  ChipCompute h800;
  h800.bf16_flops = 989e12;
  h800.fp8_flops = 1979e12;
  h800.hbm_Bps = 3.35e12;
  const ExpertShape v3{7168, 2048};
  // 4096 tokens on 8 experts: 6 x 4096 x 7168 x 2048 FLOPs at FP8 rate.
  const double flop = 6.0 * 4096 * 7168 * 2048;
  const double bytes = 8.0 * 3 * 7168 * 2048 + 4096.0 * (7168 + 2 * 2048 * 2 + 2048 + 7168 * 2);
  CHECK(expert_us(h800, v3, DType::kFp8, 1, {4096, 8}) ==
        Approx(std::max(flop / 1979e12, bytes / 3.35e12) * 1e6));
  CHECK(flop / 1979e12 > bytes / 3.35e12);  // compute bound
  // 16 tokens on 8 experts: the weights dominate.
  const double few = expert_us(h800, v3, DType::kFp8, 1, {16, 8});
  CHECK(few == Approx((8.0 * 3 * 7168 * 2048 + 16.0 * (7168 + 8192 + 2048 + 14336)) / 3.35e12 * 1e6));
  // The two GEMMs of the FFN add up to the whole where each is weight bound.
  CHECK(expert_us(h800, v3, DType::kFp8, 1, {16, 8}, FfnPart::kUp) +
            expert_us(h800, v3, DType::kFp8, 1, {16, 8}, FfnPart::kDown) ==
        Approx(few));
  // BF16 halves the rate; moe_tp 2 halves the work; no tokens, no time.
  CHECK(expert_us(h800, v3, DType::kBf16, 1, {4096, 8}) > expert_us(h800, v3, DType::kFp8, 1, {4096, 8}));
  CHECK(expert_us(h800, v3, DType::kFp8, 2, {4096, 8}) == Approx(expert_us(h800, v3, DType::kFp8, 1, {4096, 8}) / 2));
  CHECK(expert_us(h800, v3, DType::kFp8, 1, {0, 0}) == 0);
  // 256 experts, 8 local, 1024 copies: almost every local expert is hit.
  CHECK(expected_distinct(8, 256, 1024) == Approx(8 * (1 - std::pow(255.0 / 256, 1024))));
}

TEST_CASE("schedules: shipped ones pass their own checks, bad ones are refused", "[schedule]") {
  for (const std::string& name : schedule_names())
    for (bool decode : {true, false}) {
      Schedule s;
      REQUIRE(shipped_schedule(name, decode, s));
      INFO(name);
      CHECK_NOTHROW(check_schedule(s, "x"));
    }
  Schedule tbo;
  REQUIRE(shipped_schedule("tbo", true, tbo));
  CHECK(tbo.name == "tbo-decode");
  CHECK(tbo.micro_batches == 2);
  // DeepSeek's order never has two transfers in flight; SGLang's sends b's
  // combine with a's dispatch: one round of two.
  for (const Step& step : tbo.steps) CHECK(comm_rounds(step).size() <= 1);
  for (const Step& step : tbo.steps)
    for (const auto& round : comm_rounds(step)) CHECK(round.size() == 1);
  Schedule sglang;
  REQUIRE(shipped_schedule("tbo-decode-sglang", true, sglang));
  const auto rounds = comm_rounds(sglang.steps.front());
  REQUIRE(rounds.size() == 1);
  CHECK(rounds.front().size() == 2);

  auto refused = [](std::vector<std::vector<std::string>> steps, std::uint32_t mb, const std::string& says) {
    Schedule s;
    s.micro_batches = mb;
    for (const auto& lanes : steps) {
      Step step;
      for (const auto& l : lanes) step.lanes.push_back(parse_lane(l, mb, "t"));
      s.steps.push_back(step);
    }
    CHECK_THROWS_WITH(check_schedule(s, "f.yaml:3"), Catch::Contains(says));
  };
  refused({{"experts dispatch combine"}}, 1, "experts runs before dispatch");
  refused({{"dispatch combine experts"}}, 1, "combine runs before its experts");
  refused({{"dispatch experts combine dispatch"}}, 1, "dispatch runs twice");
  refused({{"dispatch.a experts.a combine.a"}}, 2, "dispatch.b is missing");
  refused({{"dispatch experts_up combine"}}, 1, "experts_up then experts_down");
  CHECK_THROWS_WITH(parse_lane("dispatch.c", 2, "w"), Catch::Contains("a to b"));
  CHECK_THROWS_WITH(parse_lane("disptach", 1, "w"), Catch::Contains("'disptach' is not an operation"));
}

TEST_CASE("evaluate_schedule: a lane is its compute on its busiest chip plus its rounds", "[schedule]") {
  Schedule s;
  s.micro_batches = 1;
  s.steps = {Step{{parse_lane("attn_pre", 1, "t"), parse_lane("dispatch", 1, "t")}},
             Step{{parse_lane("experts combine", 1, "t")}}};
  const LayerTimeline t = evaluate_schedule(
      s,
      [](const Op& op) {
        return op.kind == OpKind::kExperts ? std::vector<double>{10, 30, 20} : std::vector<double>{5, 5, 5};
      },
      {{40}, {12}});
  REQUIRE(t.step_us.size() == 2);
  CHECK(t.step_us[0] == 40);       // the dispatch outlasts the attention
  CHECK(t.critical_lane[0] == 1);
  CHECK(t.step_us[1] == 30 + 12);  // the busiest chip's experts, then the combine
  CHECK(t.layer_us == 82);
  CHECK(t.compute_us == 35);  // chip 1: 5 + 30
  CHECK(t.comm_us == 52);
  CHECK(t.exposed_us() == 47);
  CHECK(t.overlap_efficiency() == Approx(1 - 47.0 / 52));
}

TEST_CASE("overlapped runs equal the closed forms of InferSim and DeepSeek_Simulator on uncontended links",
          "[overlap]") {
  TempDir dir("moesim-overlap-test");
  // Each micro-batch's transfers, from a run of half the batch alone.
  const RunReport half = run_text(dir, "half", 256, "");
  const double d = half.layers.front().phase_us(PhaseKind::kDispatch);
  const double c = half.layers.front().phase_us(PhaseKind::kCombine);
  REQUIRE(d > 0);
  REQUIRE(c > d);
  const double attn = kAttnPre + kAttnCore;
  auto layer_us = [&](const std::string& name, const std::string& overlap) {
    const RunReport r = run_text(dir, name, 512, compute_block() + overlap);
    REQUIRE(r.layers.size() == 2);
    CHECK(r.layers[1].total_us() == Approx(r.layers[0].total_us()));
    return r.layers.front().total_us();
  };
  SECTION("InferSim decode TBO: 2 max(attention, experts + dispatch + combine)") {
    const double got = layer_us("infersim-decode",
                                "overlap:\n  micro_batches: 2\n  steps:\n"
                                "    - ['attn_pre.a attn_core.a', 'dispatch.b experts.b combine.b']\n"
                                "    - ['attn_pre.b attn_core.b', 'dispatch.a experts.a combine.a']\n");
    CHECK(got == Approx(2 * std::max(attn, kExperts + d + c)).epsilon(0.01));
  }
  SECTION("InferSim prefill TBO: max(A, d) + max(A, c) + max(M, d) + max(M, c)") {
    const double got = layer_us("infersim-prefill",
                                "overlap:\n  micro_batches: 2\n  steps:\n"
                                "    - ['attn_pre.b attn_core.b', 'dispatch.a']\n"
                                "    - ['experts.a', 'dispatch.b']\n"
                                "    - ['experts.b', 'combine.a']\n"
                                "    - ['attn_pre.a attn_core.a', 'combine.b']\n");
    CHECK(got == Approx(std::max(attn, d) + std::max(attn, c) + std::max(kExperts, d) + std::max(kExperts, c))
                     .epsilon(0.01));
  }
  SECTION("DeepSeek_Simulator two micro-batches: 2 (max(d, shared + qkv) + up + max(attn + o, c))") {
    const double got = layer_us("dss-two",
                                "overlap:\n  micro_batches: 2\n  steps:\n"
                                "    - ['dispatch.a', 'shared.a attn_pre.b']\n"
                                "    - ['experts.a']\n"
                                "    - ['combine.a', 'attn_core.b output.b']\n"
                                "    - ['dispatch.b', 'shared.b attn_pre.a']\n"
                                "    - ['experts.b']\n"
                                "    - ['combine.b', 'attn_core.a output.a']\n");
    CHECK(got == Approx(2 * (std::max(d, kShared + kAttnPre) + kExperts + std::max(kAttnCore + kOutput, c)))
                     .epsilon(0.01));
  }
  SECTION("DeepSeek_Simulator single batch: max(d, shared) + qkv + max(up, c) + attn + o") {
    const RunReport one = run_text(dir, "dss-single", 256,
                                   compute_block() +
                                       "overlap:\n  steps:\n"
                                       "    - ['dispatch', 'shared']\n"
                                       "    - ['attn_pre']\n"
                                       "    - ['experts', 'combine']\n"
                                       "    - ['attn_core output']\n");
    CHECK(one.layers.front().total_us() ==
          Approx(std::max(d, kShared) + kAttnPre + std::max(kExperts, c) + kAttnCore + kOutput).epsilon(0.01));
  }
  SECTION("none with compute: the layer is its compute plus its transfers") {
    const RunReport one = run_text(dir, "none", 256, compute_block());
    CHECK(one.layers.front().total_us() ==
          Approx(kAttnPre + kAttnCore + kShared + kExperts + kOutput + d + c).epsilon(1e-9));
    CHECK(one.layers.front().overlap.exposed_us == Approx(d + c));
    CHECK(one.layers.front().overlap.overlap_efficiency == Approx(0).margin(1e-12));
  }
}

TEST_CASE("overlap input errors name the key and the value", "[overlap]") {
  TempDir dir("moesim-overlap-errors");
  auto fails = [&](const std::string& extra, const std::string& says) {
    const std::string path = dir.file("bad.yaml");
    std::ofstream(path) << "platform: ring:8:50GBps:1us\n"
                        << "model: {hidden_dim: 7168, num_experts: 64, topk: 8}\n"
                        << "deployment: {global_batch: 512, ep: 8}\n"
                        << extra;
    CHECK_THROWS_WITH(load_scenario(path), Catch::Contains(says));
  };
  fails("overlap: tbx\n", "'tbx' is not a schedule (allowed: none, sbo, tbo, tbo-decode, tbo-prefill, tbo-decode-sglang");
  fails("overlap: tbo\n", "the experts' time is unknown");
  fails("overlap: tbo\ncompute: {experts: 10, attn_core: {flop_per_token: 1e9}}\n",
        "compute.attn_core: a roofline needs the chip's compute");
  fails("overlap: tbo\ncompute: {experts: 10}\nengine: analytic\n", "use engine bound or simgrid");
  fails("overlap: {micro_batches: 2, steps: [['dispatch.a experts.a combine.a']]}\ncompute: {experts: 1}\n",
        "dispatch.b is missing");
  fails("overlap: {micro_batches: 2, steps: [['dispatch.z']]}\ncompute: {experts: 1}\n", "overlap.steps[0][0]");
  fails("compute: {experts: -1}\n", "compute.experts");
}

TEST_CASE("two-batch overlap loses at 32 tokens a GPU and gains about a quarter at 256, as SGLang measured",
          "[overlap]") {
  // campaigns/tbo-crossover.yaml's runs under the bound engine: DeepSeek-V3
  // decode, EP 64 on 8 nodes of 8 H100s, one MoE layer.
  auto tokens_per_s = [](const std::string& overlap, int tokens) {
    const Scenario s = load_scenario(std::string(MOESIM_SOURCE_DIR) + "/scenarios/deepseek-v3-decode-tbo-h800.yaml",
                                     {"platform=" + std::string(MOESIM_SOURCE_DIR) + "/platforms/h100-ib-8x8.yaml",
                                      "deployment.ep=64", "model.moe_layers=1", "engine=bound", "overlap=" + overlap,
                                      "deployment.tokens_per_chip=" + std::to_string(tokens)});
    const Topology t = load_topology(s.platform, nullptr);
    const nlohmann::json j = to_json(run_scenario(s, t, *make_core_engine(s, t)));
    return j["summary"]["overlap"]["tokens_per_s_per_chip"].get<double>();
  };
  const double at32 = tokens_per_s("tbo-decode-sglang", 32) / tokens_per_s("none", 32) - 1;
  const double at256 = tokens_per_s("tbo-decode-sglang", 256) / tokens_per_s("none", 256) - 1;
  INFO("gain at 32: " << at32 << ", at 256: " << at256);
  CHECK(at32 < 0);
  CHECK(at256 == Approx(0.25).margin(0.10));
  // DeepSeek's order never sends two transfers at once: it hides more.
  CHECK(tokens_per_s("tbo-decode", 256) > tokens_per_s("tbo-decode-sglang", 256));
}

TEST_CASE("an overlapped run's trace and time line show every micro-batch's compute and transfers", "[overlap]") {
  const Scenario s = load_scenario(std::string(MOESIM_SOURCE_DIR) + "/scenarios/deepseek-v3-decode-tbo-h800.yaml",
                                   {"deployment.ep=16", "model.moe_layers=2", "engine=bound", "traffic.routing=random"});
  const Topology t = load_topology(s.platform, nullptr);
  const RunReport r = run_scenario(s, t, *make_core_engine(s, t));
  REQUIRE(r.layers.size() == 2);
  const OverlapResult& o = r.layers.front().overlap;
  // Every operation of both micro-batches is on the time line once, inside the layer.
  CHECK(o.spans.size() == 2 * 8);
  for (const OpSpan& sp : o.spans) {
    CHECK(sp.start_us >= 0);
    CHECK(sp.start_us + sp.dur_us <= o.layer_us + 1e-9);
  }
  const nlohmann::json trace = to_trace(r);
  std::size_t dispatch_b = 0, threads = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name" && e["pid"] == 5) ++threads;
    if (e["ph"] == "X" && e["pid"] == 5 && e["name"].get<std::string>().rfind("dispatch.b ", 0) == 0) ++dispatch_b;
  }
  CHECK(threads == 4);     // a and b, compute and transfers
  CHECK(dispatch_b == 2);  // once a layer
  const std::string script = timeline_script(r, "t.png");
  CHECK_THAT(script, Catch::Contains("\"micro-batch b: transfers\" 3"));
  CHECK_THAT(script, Catch::Contains("\"dispatch.a\""));
  // A run without a schedule has no time line to draw.
  const Scenario plain = load_scenario(std::string(MOESIM_SOURCE_DIR) + "/scenarios/reference-ep32.yaml", {"engine=bound"});
  const Topology pt = load_topology(plain.platform, nullptr);
  CHECK_THROWS_WITH(timeline_script(run_scenario(plain, pt, *make_core_engine(plain, pt)), "t.png"),
                    Catch::Contains("no overlap schedule to draw"));
}
