// The traffic export (moesim traffic): rows against the byte model, the
// header's ranks, and a point's settings that load the same scenario.
#include "engine/traffic_export.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <tuple>

#include "moesim/error.hpp"
#include "moesim/run.hpp"

using namespace moesim;

namespace {

const std::string kSource = MOESIM_SOURCE_DIR;

struct Row {
  std::uint64_t layer = 0, stage = 0, src = 0, dst = 0, bytes = 0;
  std::string phase;
};

std::vector<Row> parse(const std::string& csv) {
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  REQUIRE(line == "layer,phase,stage,src,dst,bytes");
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    for (char& c : line)
      if (c == ',') c = ' ';
    std::istringstream cells(line);
    Row r;
    cells >> r.layer >> r.phase >> r.stage >> r.src >> r.dst >> r.bytes;
    REQUIRE(cells);
    rows.push_back(r);
  }
  return rows;
}

TrafficExport export_of(const std::string& path, const std::vector<std::string>& sets) {
  const std::vector<Setting> point = point_settings(load_scenario(path, sets), sets);
  const Scenario s = load_scenario(path, overrides_of(point));
  return export_traffic(s, load_topology(s.platform, nullptr), point, "traffic.csv");
}

}  // namespace

TEST_CASE("uniform direct traffic: every chip receives the byte model's bytes", "[traffic_export]") {
  const std::string path = kSource + "/scenarios/reference-ep32.yaml";
  const TrafficExport t = export_of(path, {"model.moe_layers=3"});
  const Scenario s = load_scenario(path, {"model.moe_layers=3"});
  const LayerBytes model = layer_bytes(s.byte_model_input());
  const std::vector<Row> rows = parse(t.csv);
  std::map<std::tuple<std::uint64_t, std::string, std::uint64_t>, std::uint64_t> received;  // (layer, phase, dst)
  std::uint64_t kept_rows = 0;
  for (const Row& r : rows) {
    CHECK(r.stage == 0);
    received[{r.layer, r.phase, r.dst}] += r.bytes;
    kept_rows += r.src == r.dst;
  }
  CHECK(received.size() == 3 * 2 * 32);  // 3 layers, dispatch and combine, 32 chips
  for (const auto& [key, bytes] : received)
    CHECK(bytes == (std::get<1>(key) == "dispatch" ? model.dispatch_bytes : model.combine_bytes));
  CHECK(kept_rows == 3 * 2 * 32);  // each chip's share for itself is a row
  CHECK(rows.size() == t.header["flows"]["rows"].get<std::size_t>());
  CHECK(t.header["layers"] == 3);
  CHECK(t.header["ranks"].size() == 32);
  CHECK(t.header["algorithm"] == "direct");
  CHECK(t.header["phases"].size() == 2);
}

TEST_CASE("a point's settings load the scenario exported", "[traffic_export]") {
  const std::string path = kSource + "/scenarios/deepseek-v3-decode-h100-node-dedup.yaml";
  const std::vector<std::string> sets{"deployment.ep=32", "model.moe_layers=2", "deployment.ep=16", "seed=7"};
  const std::vector<Setting> point = point_settings(load_scenario(path, sets), sets);
  const std::vector<Setting> want{{"deployment.ep", "16"}, {"model.moe_layers", "2"},
                                  {"seed", "7"},           {"deployment.tokens_per_chip", "128"},
                                  {"precision", "W8A8"},   {"comm.algorithm", "node_dedup"}};
  CHECK(point == want);
  // Exported from the settings alone: the same rows as from the --set list.
  const TrafficExport a = export_of(path, sets);
  const Scenario s = load_scenario(path, overrides_of(point));
  const TrafficExport b = export_traffic(s, load_topology(s.platform, nullptr), point, "traffic.csv");
  CHECK(a.csv == b.csv);
  CHECK(a.header["point"]["seed"] == "7");
  // node_dedup: two stages a phase, each layer drawn apart.
  const std::vector<Row> rows = parse(a.csv);
  bool second_stage = false, layers_differ = false;
  std::map<std::tuple<std::string, std::uint64_t, std::uint64_t, std::uint64_t>, std::uint64_t> layer0;
  for (const Row& r : rows) {
    second_stage |= r.stage == 1;
    if (r.layer == 0) layer0[{r.phase, r.stage, r.src, r.dst}] = r.bytes;
  }
  for (const Row& r : rows)
    if (r.layer == 1) layers_differ |= layer0[{r.phase, r.stage, r.src, r.dst}] != r.bytes;
  CHECK(second_stage);
  CHECK(layers_differ);
  // The same seed gives the same rows; another seed other rows.
  CHECK(export_of(path, sets).csv == a.csv);
  std::vector<std::string> other = sets;
  other.back() = "seed=8";
  CHECK(export_of(path, other).csv != a.csv);
}

TEST_CASE("an overlapped scenario is refused", "[traffic_export]") {
  const std::string path = kSource + "/scenarios/deepseek-v3-decode-tbo-h800.yaml";
  CHECK_THROWS_WITH(export_of(path, {}), Catch::Contains("overlap") && Catch::Contains("micro-batches"));
}
