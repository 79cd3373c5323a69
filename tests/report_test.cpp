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
  CHECK(table.find("layer  dispatch_us   combine_us     total_us  algbw_d  busbw_d  algbw_c  busbw_c") != std::string::npos);
  CHECK(table.find("summary over 3 layers") != std::string::npos);
  const std::string csv = to_csv(r);
  CHECK(csv.rfind("seed,layer,dispatch_us,combine_us,", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 4);
}

namespace {

// Four chips in one group, 1,000,000 B a chip by the byte model; layers with
// the given dispatch times, the combine 20 us; 3,000,000 B on the network in
// each phase (each chip keeps a quarter).
RunReport uniform_report(const std::vector<double>& dispatch_us) {
  RunReport r;
  r.scenario_name = "s";
  r.platform_name = "p";
  r.platform_chips = 8;
  r.group_chips = 4;
  r.engine = "bound";
  r.input.moe_tp = 1;
  r.input.ep = 4;
  r.input.global_batch = 64;
  r.input.seq_len = 1;
  r.bytes = LayerBytes{16, 1000000, 1000000};
  for (std::size_t l = 0; l < dispatch_us.size(); ++l) {
    LayerResult lr;
    lr.layer = l;
    PhaseResult d, c;
    d.kind = PhaseKind::kDispatch;
    d.latency_us = dispatch_us[l];
    d.network_bytes = 3000000;
    c.kind = PhaseKind::kCombine;
    c.latency_us = 20;
    c.network_bytes = 3000000;
    lr.phases = {d, c};
    r.layers.push_back(lr);
  }
  r.distinct_layers = dispatch_us.size();
  return r;
}

}  // namespace

TEST_CASE("algbw and busbw: bytes a chip over the phase's time, in GB/s", "[report]") {
  const RunReport r = uniform_report({10});
  // 1e6 B in 10 us is 100 GB/s; the network carried 3e6 B / 4 chips.
  CHECK(algbw_GBps(r, r.layers[0], PhaseKind::kDispatch) == Approx(100.0));
  CHECK(busbw_GBps(r, r.layers[0], PhaseKind::kDispatch) == Approx(75.0));  // algbw x (n - 1) / n
  CHECK(algbw_GBps(r, r.layers[0], PhaseKind::kCombine) == Approx(50.0));
  const nlohmann::json j = to_json(r);
  CHECK(j["layers"][0]["dispatch_algbw_GBps"].get<double>() == Approx(100.0));
  CHECK(j["layers"][0]["combine_busbw_GBps"].get<double>() == Approx(37.5));
  CHECK(j["layers"][0]["phases"][0]["busbw_GBps"].get<double>() == Approx(75.0));
  CHECK(j["scenario"]["tokens_per_chip"] == 16.0);
  const std::string csv = to_csv(r);
  CHECK(csv.find("dispatch_algbw_GBps,dispatch_busbw_GBps,combine_algbw_GBps,combine_busbw_GBps\n") !=
        std::string::npos);
  CHECK(csv.find(",100.000000,75.000000,50.000000,37.500000\n") != std::string::npos);
  RunReport idle = uniform_report({0});
  CHECK(algbw_GBps(idle, idle.layers[0], PhaseKind::kDispatch) == 0.0);  // no time, no division by it
}

TEST_CASE("the table collapses runs of identical layers and says when all are alike", "[report]") {
  RunReport r = uniform_report({10, 10, 10, 12, 10});
  std::string table = to_table(r);
  CHECK(table.find("      0-2 ") != std::string::npos);
  CHECK(table.find("(3 identical)") != std::string::npos);
  CHECK(table.find("\n        3 ") != std::string::npos);
  CHECK(table.find("\n        4 ") != std::string::npos);
  CHECK(table.find("summary over 5 layers") != std::string::npos);
  r = uniform_report({10, 10});
  table = to_table(r);
  CHECK(table.find("      0-1 ") != std::string::npos);
  CHECK(table.find("\n        1 ") == std::string::npos);
  r = uniform_report({10});
  table = to_table(r);
  CHECK(table.find("summary over 1 layer ") != std::string::npos);
  CHECK(table.find("identical") == std::string::npos);
  CHECK(table.find("tokens: global_batch 64 x seq_len 1 = 64 per EP group; tokens_per_chip 16 (over ep 4)") !=
        std::string::npos);
  CHECK(table.find("byte model, per chip: receives 16 token copies") != std::string::npos);
  const std::string quiet = to_table(r, TableOptions{false});
  CHECK(quiet.find("summary over 1 layer ") != std::string::npos);
  CHECK(quiet.find("dispatch_us") == std::string::npos);
}

TEST_CASE("link classes: each way, in bytes and bits, a duplex pair once", "[report]") {
  std::vector<Link> links;
  for (int i = 0; i < 3; ++i) {
    Link up;
    up.name = "l" + std::to_string(i) + "_UP";
    up.bandwidth_Bps = 45e9;
    up.latency_s = 1e-6;
    up.link_class = "ici";
    up.duplex = "l" + std::to_string(i);
    Link down = up;
    down.name = "l" + std::to_string(i) + "_DOWN";
    down.up = false;
    links.push_back(up);
    links.push_back(down);
  }
  Link nic;
  nic.name = "nic";
  nic.bandwidth_Bps = 5.625e9;
  nic.latency_s = 2e-6;
  nic.link_class = "nic";
  links.push_back(nic);
  const auto classes = link_classes(links);
  REQUIRE(classes.size() == 2);
  CHECK(classes[0].link_class == "ici");
  CHECK(classes[0].links == 3);
  CHECK(classes[1].links == 1);
  RunReport r = uniform_report({10});
  r.links = links;
  const std::string table = to_table(r);
  CHECK(table.find("links, each way: ici 45 GB/s (360 Gb/s), 1 us, 3 links; nic 5.625 GB/s (45 Gb/s), 2 us, 1 link\n") !=
        std::string::npos);
  const nlohmann::json j = to_json(r);
  CHECK(j["platform"]["link_classes"][1]["bandwidth_GBps"] == 5.625);
  CHECK(j["platform"]["link_classes"][1]["latency_us"] == 2.0);
}
