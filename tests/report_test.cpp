// Summary statistics and the JSON, table and CSV writers.
#include "moesim/report.hpp"

#include <catch2/catch.hpp>

using namespace moesim;

TEST_CASE("stats: nearest-rank percentiles", "[report]") {
  Stats s = stats({5, 1, 4, 2, 3});
  CHECK(s.sum == 15);
  CHECK(s.mean == 3);
  CHECK(s.p50 == 3);
  CHECK(s.p99 == 5);
  CHECK(s.max == 5);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  CHECK(stats(hundred).p50 == 50);
  CHECK(stats(hundred).p99 == 99);
  CHECK(stats({}).max == 0);
}

TEST_CASE("report names stay as documented", "[report]") {
  RunReport r;
  r.scenario_name = "s";
  r.platform_name = "p";
  r.platform_chips = 4;
  r.platform_links = 4;
  r.engine = "bound";
  r.input.moe_tp = 1;
  r.bytes = LayerBytes{16, 114688, 229376};
  for (std::size_t l = 0; l < 3; ++l) {
    LayerResult lr;
    lr.layer = l;
    PhaseResult d, c;
    d.kind = PhaseKind::kDispatch;
    d.latency_us = 10.0 + l;
    d.network_bytes = 100;
    c.kind = PhaseKind::kCombine;
    c.latency_us = 20;
    c.network_bytes = 200;
    lr.phases = {d, c};
    lr.expert_us = 1;
    r.layers.push_back(lr);
  }
  r.distinct_layers = 3;
  nlohmann::json j = to_json(r);
  for (const char* key : {"scenario", "platform", "bytes", "layers", "summary"}) CHECK(j.contains(key));
  CHECK(j["platform"]["chips"] == 4);
  CHECK(j["platform"]["links"] == 4);
  CHECK(j["bytes"]["dispatch_bytes"] == 114688);
  CHECK(j["layers"].size() == 3);
  CHECK(j["layers"][2]["dispatch_us"] == 12.0);
  CHECK(j["layers"][2]["combine_us"] == 20.0);
  CHECK(j["layers"][2]["total_us"] == 33.0);
  CHECK(j["layers"][2]["dispatch_bytes"] == 100);
  CHECK(j["layers"][2]["combine_bytes"] == 200);
  CHECK(j["summary"]["total_us"]["sum"] == 31.0 + 32.0 + 33.0);
  CHECK(j["summary"]["total_us"]["max"] == 33.0);
  const std::string table = to_table(r);
  CHECK(table.find("layer    dispatch_us     combine_us       total_us") != std::string::npos);
  CHECK(table.find("summary over 3 layers") != std::string::npos);
  const std::string csv = to_csv(r);
  CHECK(csv.rfind("seed,layer,dispatch_us,combine_us,", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 4);
}
