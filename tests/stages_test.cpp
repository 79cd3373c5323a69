// A phase owns its stages: EP groups of different shapes are joined phase by
// phase, engines that price a phase whole ignore how it is cut, and listing
// the groups in another order changes nothing but the order.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>

#include "moesim/comm.hpp"
#include "moesim/engine.hpp"
#include "moesim/run.hpp"
#include "moesim/scenario.hpp"
#include "moesim/traffic.hpp"

using namespace moesim;

namespace {

const std::string kSource = MOESIM_SOURCE_DIR;

// Chips of an 8 x 8 torus (ChipId = x + 8 y) and dimension_ordered's view of them.
GroupComm on_8x8(const std::vector<ChipId>& chips) {
  GroupComm c;
  c.algorithm = CommAlgorithm::kDimensionOrdered;
  c.dims = {8, 8};
  for (ChipId id : chips) {
    c.coord.push_back(id % 8);
    c.coord.push_back(id / 8);
  }
  return c;
}

const std::vector<ChipId> kLine{0, 1, 2, 3, 4, 5, 6, 7};         // one stage: dimension x
const std::vector<ChipId> kBlock{8, 9, 10, 11, 16, 17, 18, 19};  // two stages: x, then y

// Network bytes per (phase kind, stage index, group).
std::map<std::tuple<int, std::uint32_t, std::uint32_t>, std::uint64_t> bytes_by_group(const LayerTraffic& t) {
  std::map<std::tuple<int, std::uint32_t, std::uint32_t>, std::uint64_t> out;
  for (const Phase& ph : t.phases)
    for (const Stage& st : ph.stages()) {
      CHECK(st.kind == ph.kind());
      for (const Flow& f : st.flows) out[{static_cast<int>(ph.kind()), st.index, f.group}] += f.bytes;
    }
  return out;
}

std::uint64_t group_phase_bytes(const LayerTraffic& t, PhaseKind k, std::uint32_t group) {
  std::uint64_t sum = 0;
  for (const auto& [key, bytes] : bytes_by_group(t))
    if (std::get<0>(key) == static_cast<int>(k) && std::get<2>(key) == group) sum += bytes;
  return sum;
}

// A scenario file in the temp folder.
struct TempYaml {
  std::string path;
  explicit TempYaml(const std::string& body) {
    path = "/tmp/moesim_stages_test_" + std::to_string(getpid()) + ".yaml";
    std::ofstream(path) << body;
  }
  ~TempYaml() { std::remove(path.c_str()); }
};

RunReport run_core(const Scenario& s) {
  const Topology t = load_topology(s.platform, nullptr);
  return run_scenario(s, t, *make_core_engine(s, t));
}

const char* kTwoShapes =
    "platform: torus:8x8:45GBps:1us\n"
    "model: {hidden_dim: 7168, num_experts: 64, topk: 8, moe_layers: 1}\n"
    "deployment: {tokens_per_chip: 64, ep: 8, groups: 2, group_placement: [%s]}\n"
    "precision: W8A8\n"
    "comm: {algorithm: dimension_ordered}\n";

std::string two_shapes(bool line_first) {
  const std::string line = "[chip-0, chip-1, chip-2, chip-3, chip-4, chip-5, chip-6, chip-7]";
  const std::string block = "[chip-8, chip-9, chip-10, chip-11, chip-16, chip-17, chip-18, chip-19]";
  std::string body = kTwoShapes;
  return body.replace(body.find("%s"), 2, line_first ? line + ", " + block : block + ", " + line);
}

}  // namespace

TEST_CASE("groups with different stage counts are joined phase by phase", "[stages]") {
  const LayerBytes bytes{64, 114688, 229376};
  const GroupComm line = on_8x8(kLine), block = on_8x8(kBlock);
  const LayerTraffic a = uniform_layer(bytes, kLine, 1, 0, &line);
  const LayerTraffic b = uniform_layer(bytes, kBlock, 1, 1, &block);
  REQUIRE(a.phases[0].stages().size() == 1);
  REQUIRE(b.phases[0].stages().size() == 2);
  for (bool line_first : {true, false}) {
    const LayerTraffic joined = line_first ? join_groups({a, b}) : join_groups({b, a});
    REQUIRE(joined.phases.size() == 2);
    CHECK(joined.phases[0].kind() == PhaseKind::kDispatch);
    CHECK(joined.phases[1].kind() == PhaseKind::kCombine);
    CHECK(joined.phases[0].stages().size() == 2);
    for (std::uint32_t g : {0u, 1u}) {
      const LayerTraffic& own = g == 0 ? a : b;
      INFO("group " << g << (line_first ? ", line first" : ", block first"));
      // Every group keeps its own bytes in each phase, and the combine
      // carries twice the dispatch's (BF16 over FP8).
      CHECK(group_phase_bytes(joined, PhaseKind::kDispatch, g) == own.phases[0].network_bytes());
      CHECK(group_phase_bytes(joined, PhaseKind::kCombine, g) == own.phases[1].network_bytes());
      CHECK(group_phase_bytes(joined, PhaseKind::kCombine, g) == 2 * group_phase_bytes(joined, PhaseKind::kDispatch, g));
    }
  }
  // The order the groups are listed in changes no stage's bytes.
  CHECK(bytes_by_group(join_groups({a, b})) == bytes_by_group(join_groups({b, a})));
}

TEST_CASE("a line and a block as two EP groups, either order, on the bound engine", "[stages][run]") {
  std::map<bool, RunReport> by_order;
  for (bool line_first : {true, false}) {
    TempYaml f(two_shapes(line_first));
    by_order[line_first] = run_core(load_scenario(f.path, {"engine=bound"}));
    const LayerResult& l = by_order[line_first].layers.at(0);
    for (std::size_t g = 0; g < 2; ++g) {
      INFO("group " << g << (line_first ? ", line first" : ", block first"));
      // The combine carries twice the bytes over the same routes.
      CHECK(l.group_phase_us(PhaseKind::kCombine, g) > l.group_phase_us(PhaseKind::kDispatch, g));
    }
  }
  const LayerResult &x = by_order[true].layers[0], &y = by_order[false].layers[0];
  for (PhaseKind k : {PhaseKind::kDispatch, PhaseKind::kCombine}) {
    CHECK(x.group_phase_us(k, 0) == Approx(y.group_phase_us(k, 1)));
    CHECK(x.group_phase_us(k, 1) == Approx(y.group_phase_us(k, 0)));
    CHECK(x.phase_us(k) == Approx(y.phase_us(k)));
  }
}

TEST_CASE("the analytic engine prices a phase once, whatever the algorithm", "[stages][analytic]") {
  const std::string h100 = kSource + "/scenarios/deepseek-v3-decode-h100-direct.yaml";
  const RunReport direct = run_core(load_scenario(h100, {"engine=analytic", "model.moe_layers=1"}));
  for (const char* algorithm : {"node_dedup", "per_expert"}) {
    INFO(algorithm);
    const RunReport other = run_core(
        load_scenario(h100, {"engine=analytic", "model.moe_layers=1", std::string("comm.algorithm=") + algorithm}));
    for (PhaseKind k : {PhaseKind::kDispatch, PhaseKind::kCombine})
      CHECK(other.layers[0].phase_us(k) == direct.layers[0].phase_us(k));
    // One result per phase, which explains itself against the whole phase's bound.
    CHECK(other.layers[0].phases.size() == 2);
    for (const PhaseResult& p : other.layers[0].phases) CHECK(p.has_bottleneck);
  }
  TempYaml f(two_shapes(true));
  const RunReport dim = run_core(load_scenario(f.path, {"engine=analytic"}));
  const RunReport flat = run_core(load_scenario(f.path, {"engine=analytic", "comm.algorithm=direct"}));
  for (PhaseKind k : {PhaseKind::kDispatch, PhaseKind::kCombine})
    CHECK(dim.layers[0].phase_us(k) == flat.layers[0].phase_us(k));
}

TEST_CASE("a stage's flows of some groups, through the groups' runs or a scan", "[stages]") {
  const LayerBytes bytes{64, 114688, 229376};
  const GroupComm line = on_8x8(kLine), block = on_8x8(kBlock);
  const LayerTraffic joined =
      join_groups({uniform_layer(bytes, kLine, 1, 0, &line), uniform_layer(bytes, kBlock, 1, 1, &block)});
  Stage st = joined.phases[0].stages()[0];  // both groups' first stage
  REQUIRE(st.group_span.size() == 2);
  // What a scan of every flow picks, in order.
  auto scan = [&st](std::uint32_t want) {
    std::vector<std::pair<ChipId, ChipId>> out;
    for (const Flow& f : st.flows)
      if (f.group == want) out.emplace_back(f.src, f.dst);
    return out;
  };
  auto picked = [](const Stage& s, std::uint32_t want) {
    std::vector<std::pair<ChipId, ChipId>> out;
    for_flows_of_groups(s, [want](std::uint32_t g) { return g == want; },
                        [&out](const Flow& f) { out.emplace_back(f.src, f.dst); });
    return out;
  };
  for (std::uint32_t g : {0u, 1u}) {
    INFO("group " << g);
    CHECK(!scan(g).empty());
    CHECK(picked(st, g) == scan(g));
    Stage unspanned = st;
    unspanned.group_span.clear();
    CHECK(picked(unspanned, g) == scan(g));
  }
  CHECK(picked(st, 2).empty());  // a group past the runs has no flows
  std::size_t all = 0;
  for_flows_of_groups(st, [](std::uint32_t) { return true; }, [&all](const Flow&) { ++all; });
  CHECK(all == st.flows.size());
}
