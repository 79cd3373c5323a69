// Whole runs of the moesim binary: SimGrid allows one engine per process, so
// each simulated case runs the command line in a process of its own.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <sstream>
#include <tuple>
#include <sys/wait.h>
#include <unistd.h>

using nlohmann::json;

namespace {

const std::string kSource = MOESIM_SOURCE_DIR;
const std::string kBinary = MOESIM_BINARY;

// CTest runs test cases in parallel processes: each process has its own files.
std::string tmp_path(const std::string& name) {
  return "/tmp/moesim_run_test_" + std::to_string(getpid()) + "_" + name;
}

// Removes this process's files when the test binary exits.
struct Cleanup {
  ~Cleanup() { std::system(("rm -f " + tmp_path("*")).c_str()); }
} cleanup;

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `moesim ARGS`; returns its exit status.
int moesim(const std::string& args) {
  const std::string cmd = kBinary + " " + args + " > " + tmp_path("stdout") + " 2> " + tmp_path("stderr");
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs a scenario and returns its JSON report.
json run(const std::string& scenario, const std::string& extra = "") {
  const std::string out = tmp_path("report.json");
  std::remove(out.c_str());
  const int rc = moesim("run " + scenario + " " + extra + " --json " + out);
  INFO("moesim run " << scenario << " " << extra << "\n" << read(tmp_path("stderr")));
  REQUIRE(rc == 0);
  return json::parse(read(out));
}

std::string shipped_scenario(const std::string& name) { return kSource + "/scenarios/" + name + ".yaml"; }

// A two-chip platform: one split-duplex link, 45 GB/s and 1 us each way.
std::string two_chip_scenario(const std::string& extra = "") {
  write(tmp_path("two.yaml"),
        "name: two\ntopology: {kind: torus, dims: [2], bandwidth: 45GBps, latency: 1us}\n");
  // 1 token per group, hidden 4,500,000: dispatch 4.5 MB per chip (FP8), half of
  // it to the other chip.
  write(tmp_path("two-scenario.yaml"), "platform: " + tmp_path("two.yaml") +
                                           "\nmodel: {hidden_dim: 4500000, topk: 1, moe_layers: 3}\n"
                                           "deployment: {global_batch: 2, ep: 2}\n" +
                                           extra);
  return tmp_path("two-scenario.yaml");
}

// SG2262 with the b2b links reached through each board's first chip.
std::string gateway_platform() {
  const std::string path = tmp_path("gateway.yaml");
  std::string text = read(kSource + "/platforms/sg2262-p1r1b4c32.yaml");
  text.replace(text.find("uplink: direct"), 14, "uplink: gateway");
  write(path, text);
  return path;
}

double layer0(const json& j, const char* key) { return j["layers"][0][key].get<double>(); }

// Checks every phase of a simgrid report (and every group's part of it)
// against the bound engine's report of the same scenario.
void check_report_not_below_bound(const json& sim, const json& bound) {
  REQUIRE(sim["layers"].size() == bound["layers"].size());
  for (std::size_t l = 0; l < sim["layers"].size(); ++l)
    for (std::size_t p = 0; p < sim["layers"][l]["phases"].size(); ++p) {
      const json& sp = sim["layers"][l]["phases"][p];
      const json& bp = bound["layers"][l]["phases"][p];
      INFO("layer " << l << " phase " << sp["phase"]);
      CHECK(sp["latency_us"].get<double>() >= bp["latency_us"].get<double>() * (1 - 1e-9));
      CHECK(sp["network_bytes"] == bp["network_bytes"]);
      CHECK(bp["latency_us"].get<double>() > 0);
      if (sim["traffic"]["groups"].get<int>() > 1) {
        // Each group's own bound holds for that group, and no group outlasts the phase.
        const std::string key = sp["phase"].get<std::string>() + "_us";
        const json& sg = sim["layers"][l]["groups"];
        const json& bg = bound["layers"][l]["groups"];
        REQUIRE(sg.size() == sim["traffic"]["groups"].get<std::size_t>());
        REQUIRE(bg.size() == sg.size());
        for (std::size_t g = 0; g < sg.size(); ++g) {
          CHECK(sg[g][key].get<double>() >= bg[g][key].get<double>() * (1 - 1e-9));
          CHECK(sg[g][key].get<double>() <= sp["latency_us"].get<double>() * (1 + 1e-9));
          CHECK(sg[g][key].get<double>() > 0);
        }
      }
    }
}

// Runs a scenario file under simgrid and bound and checks the first against the second.
void check_file_not_below_bound(const std::string& path, const std::string& extra) {
  INFO(path << " " << extra);
  check_report_not_below_bound(run(path, extra), run(path, extra + " --engine bound"));
}

void check_not_below_bound(const std::string& scenario, const std::string& extra) {
  check_file_not_below_bound(shipped_scenario(scenario), extra);
}

// Every scenario file of scenarios/ and examples/, sorted.
std::vector<std::string> shipped_scenario_files() {
  std::vector<std::string> out;
  for (const char* folder : {"/scenarios", "/examples"})
    for (const auto& entry : std::filesystem::directory_iterator(kSource + folder))
      if (entry.path().extension() == ".yaml") out.push_back(entry.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("one flow on one idle link takes latency + bytes / bandwidth exactly", "[replay]") {
  // The default fidelity is ptask; flow is the reference.
  for (const auto& [option, model] : {std::pair{"", "ptask_L07"}, std::pair{"--fidelity flow", "CM02"}}) {
    INFO(option);
    json j = run(two_chip_scenario(), option);
    // dispatch: 2,250,000 B each way on separate directions: 1 us + 50 us
    CHECK(layer0(j, "dispatch_us") == Approx(51.0).epsilon(1e-9));
    // combine: BF16, 4,500,000 B each way: 1 us + 100 us
    CHECK(layer0(j, "combine_us") == Approx(101.0).epsilon(1e-9));
    CHECK(j["layers"].size() == 3);
    CHECK(j["summary"]["distinct_layers"] == 1);
    CHECK(j["simgrid"]["network_model"] == model);
    CHECK(j["layers"][0]["phases"][0]["slowest_flow"]["bytes"] == 2250000);
    CHECK(j["layers"][0]["phases"][0]["slowest_flow"]["finish_us"].get<double>() == Approx(51.0));
  }
}

TEST_CASE("the report says what the tests assert of the fast fidelity's error", "[replay][ptask]") {
  json uniform = run(two_chip_scenario());
  CHECK(uniform["simgrid"]["fidelity_error"]["measured"] == true);
  CHECK(uniform["simgrid"]["fidelity_error"]["max_error"] == 0.15);
  CHECK(uniform["simgrid"]["fidelity_error"]["note"].get<std::string>().find("within 15% of the flow fidelity for uniform shares") !=
        std::string::npos);
  json hotspot = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"),
                     "--set model.moe_layers=1 --set traffic.routing=hotspot --set traffic.hot_experts=[0] "
                     "--set traffic.hot_share=0.2");
  CHECK(hotspot["simgrid"]["fidelity_error"]["measured"] == true);
  CHECK(hotspot["simgrid"]["fidelity_error"]["max_error"] == 0.25);
  CHECK(read(tmp_path("stdout")).find("\nfidelity: ptask, within 25% of the flow fidelity for drawn routing (hotspot) on "
                                      "EP groups of up to 64 chips") != std::string::npos);
  json large = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"),
                   "--set model.moe_layers=1 --set platform=" + kSource + "/platforms/tpu-v4-4x4x8.yaml "
                   "--set deployment.ep=128 --set deployment.global_batch=1024");
  CHECK(large["simgrid"]["fidelity_error"]["measured"] == false);
  CHECK(large["simgrid"]["fidelity_error"]["note"].get<std::string>().find("; not asserted at 128 chips") !=
        std::string::npos);
  json costs = run(two_chip_scenario(), "--set comm.per_message_us=0.5");
  CHECK(costs["simgrid"]["fidelity_error"]["measured"] == false);
  CHECK(costs["simgrid"]["fidelity_error"]["note"].get<std::string>().find("compare a layer with --fidelity flow") !=
        std::string::npos);
  json flow = run(two_chip_scenario(), "--fidelity flow");
  CHECK(!flow["simgrid"].contains("fidelity_error"));
}

TEST_CASE("the expert phase sits between dispatch and combine", "[replay]") {
  json j = run(two_chip_scenario("expert_time_us: 7.5\n"));
  CHECK(layer0(j, "expert_us") == 7.5);
  CHECK(layer0(j, "total_us") == Approx(51.0 + 7.5 + 101.0).epsilon(1e-9));
  CHECK(layer0(j, "combine_us") == Approx(101.0).epsilon(1e-9));
}

TEST_CASE("simulated latency grows with bytes and falls with bandwidth", "[replay]") {
  const std::string s = shipped_scenario("reference-ep32");
  double small = layer0(run(s), "dispatch_us");
  double big = layer0(run(s, "--set deployment.global_batch=512"), "dispatch_us");
  CHECK(big > small);
  const std::string t = two_chip_scenario();
  double slow = layer0(run(t), "dispatch_us");
  write(tmp_path("two.yaml"), "name: two\ntopology: {kind: torus, dims: [2], bandwidth: 90GBps, latency: 1us}\n");
  double fast = layer0(run(t), "dispatch_us");
  CHECK(fast == Approx(1 + 25.0).epsilon(1e-9));
  CHECK(fast < slow);
}

TEST_CASE("simgrid is never below the bound", "[replay][bound]") {
  // Every shipped scenario, plus variants that
  // break the symmetry: moe_tp > 1, a placement, the gateway uplink, W16A16.
  struct Row {
    std::string scenario, extra;
  };
  const Row rows[] = {
      {"reference-ep32", ""},
      {"tier6-benchmark-sg2262", ""},
      {"deepseek-v3-decode-v4-4x4x4", ""},
      {"deepseek-v3-decode-v5e-16x16", ""},
      {"deepseek-v3-decode-v4-4x4x4", "--set deployment.ep=16 --set deployment.moe_tp=2 --set precision=W16A16"},
      {"deepseek-v3-decode-v4-4x4x4",
       "--set deployment.ep=8 --set 'deployment.placement=[chip-0, chip-5, chip-10, chip-15, chip-21, chip-42, "
       "chip-63, chip-33]'"},
      {"reference-ep32", "--set deployment.ep=8 --set deployment.moe_tp=4"},
      {"tier6-benchmark-sg2262", "--set platform=" + gateway_platform()},
      {"deepseek-v3-decode-v4-4x4x4", "--set platform=" + kSource + "/platforms/h800-ib-32x8.yaml --set deployment.ep=32 "
                                      "--set model.moe_layers=1"},
  };
  for (const Row& r : rows) check_not_below_bound(r.scenario, r.extra);
}

TEST_CASE("every shipped scenario replays at or above its bound, under both fidelities", "[replay][bound]") {
  // One layer (a trace keeps its own). Under the flow fidelity, the 256-chip
  // scenarios take from 20 s to over 15 minutes (bench/results.md): smaller
  // EP groups on the same platform, with the same routing, instead.
  const std::map<std::string, std::string> flow_cut = {
      {"deepseek-v3-decode-v5e-16x16", " --set deployment.ep=64"},
      {"deepseek-v3-decode-v5e-16x16-random", " --set deployment.ep=64 --set deployment.global_batch=2048"},
      {"deepseek-v3-decode-v5e-16x16-zipf", " --set deployment.ep=64 --set deployment.global_batch=2048"},
      {"four-groups-of-64-v5e-16x16", " --set deployment.ep=16"},
  };
  const std::vector<std::string> files = shipped_scenario_files();
  REQUIRE(files.size() >= 17);
  for (const std::string& path : files) {
    const std::string name = std::filesystem::path(path).stem().string();
    const std::string one = name.rfind("trace-", 0) == 0 ? "" : " --set model.moe_layers=1";
    const auto cut = flow_cut.find(name);
    if (cut != flow_cut.end()) {
      check_file_not_below_bound(path, "--set engine=simgrid --fidelity ptask" + one);
      check_file_not_below_bound(path, "--set engine=simgrid --fidelity flow" + one + cut->second);
      continue;
    }
    // The same scenario under both fidelities: the bound engine has none, one bound report serves both.
    INFO(path);
    const json bound = run(path, "--engine bound" + one);
    check_report_not_below_bound(run(path, "--set engine=simgrid --fidelity ptask" + one), bound);
    check_report_not_below_bound(run(path, "--set engine=simgrid --fidelity flow" + one), bound);
  }
}

TEST_CASE("the shipped machines run a scenario under every engine", "[replay][platform]") {
  struct Row {
    const char* scenario;
    std::string extra;
    int chips;
  };
  const std::string one = " --set model.moe_layers=1";
  const Row rows[] = {
      {"mixtral-8x7b-dgx-h100", one, 8},
      {"mixtral-8x7b-dgx-h100", "--set platform=" + kSource + "/platforms/dgx-h200.yaml" + one, 8},
      {"deepseek-v3-decode-v4-4x4x4",
       "--set platform=" + kSource + "/platforms/gb200-nvl72.yaml --set deployment.ep=64" + one, 72},  // 64 of 72
      {"deepseek-v3-decode-v4-4x4x4", "--set platform=" + kSource + "/platforms/tpu-7x-4x4x4.yaml" + one, 64},
  };
  for (const Row& r : rows) {
    check_not_below_bound(r.scenario, r.extra);
    json analytic = run(shipped_scenario(r.scenario), r.extra + " --engine analytic");
    CHECK(analytic["platform"]["chips"] == r.chips);
    CHECK(layer0(analytic, "dispatch_us") > 0);
  }
}

TEST_CASE("a platform string runs as the platform YAML with the same numbers", "[replay][platform]") {
  const std::string one = " --set model.moe_layers=1";
  for (const char* engine : {"simgrid", "bound", "analytic"}) {
    INFO(engine);
    const std::string extra = std::string(" --engine ") + engine + one;
    json file = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"), extra);
    json text = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"), extra + " --set platform=torus:4x4x4:45GBps:1us");
    CHECK(text["platform"]["path"] == "torus:4x4x4:45GBps:1us");
    CHECK(text["platform"]["chips"] == 64);
    for (const char* key : {"dispatch_us", "combine_us"})
      CHECK(layer0(text, key) == Approx(layer0(file, key)).epsilon(1e-12));
  }
  // In a scenario file the string is not made a path relative to the file's folder.
  write(tmp_path("string-scenario.yaml"), "platform: mesh:2x4:45GBps\n"
                                          "model: {hidden_dim: 7168, topk: 2, moe_layers: 1}\n"
                                          "deployment: {global_batch: 64, ep: 8}\n");
  json mesh = run(tmp_path("string-scenario.yaml"), "--engine bound");
  CHECK(mesh["platform"]["name"] == "mesh-2x4");
  CHECK(mesh["platform"]["links"] == 10);  // 2x4 without wraparound: 1 x 4 + 2 x 3
  // moesim platform takes one too.
  REQUIRE(moesim("platform torus:4x4x8:45GBps --xml -") == 0);
  const std::string xml = read(tmp_path("stdout"));
  std::size_t hosts = 0;
  for (auto at = xml.find("<host "); at != std::string::npos; at = xml.find("<host ", at + 1)) ++hosts;
  CHECK(hosts == 128);
  REQUIRE(moesim("platform ring:4:400Gbps") == 0);
  CHECK(read(tmp_path("stdout")).find("platform ring-4: 4 chips, 4 links (8 directed)") == 0);
}

TEST_CASE("the 256-chip scenario under bound and analytic", "[replay][bound]") {
  for (const char* e : {"bound", "analytic"}) {
    json j = run(shipped_scenario("deepseek-v3-decode-v5e-16x16"), std::string("--engine ") + e);
    CHECK(j["platform"]["chips"] == 256);
    CHECK(j["layers"].size() == 58);
    CHECK(j["bytes"]["tokens_per_ep_group"] == 1024);
    CHECK(j["bytes"]["dispatch_bytes"] == 1024 * 7168);
    CHECK(layer0(j, "dispatch_us") > 0);
  }
}

TEST_CASE("an XML platform gives the same answer as the YAML it was written from", "[replay][platform]") {
  const std::string xml = tmp_path("sg2262.xml");
  REQUIRE(moesim("platform " + kSource + "/platforms/sg2262-p1r1b4c32.yaml --xml " + xml) == 0);
  json from_yaml = run(shipped_scenario("tier6-benchmark-sg2262"));
  // The scenario's platform, swapped for the XML (comm params stay Tier6's defaults there).
  json from_xml = run(shipped_scenario("tier6-benchmark-sg2262"), "--set platform=" + xml);
  CHECK(from_xml["platform"]["chips"] == 32);
  CHECK(from_xml["platform"]["links"] == 118);  // the two sides of a split-duplex link count once
  CHECK(layer0(from_xml, "dispatch_us") == Approx(layer0(from_yaml, "dispatch_us")).epsilon(1e-9));
  CHECK(layer0(from_xml, "combine_us") == Approx(layer0(from_yaml, "combine_us")).epsilon(1e-9));
  json bound_xml = run(shipped_scenario("tier6-benchmark-sg2262"), "--set platform=" + xml + " --engine bound");
  CHECK(layer0(bound_xml, "dispatch_us") == Approx(layer0(from_yaml, "dispatch_us")).epsilon(1e-9));
}

TEST_CASE("the imported Tier6 P1-R1-B4-C32 gives the shipped sg2262's results", "[replay][platform][tier6]") {
  const std::string fixture = "--set platform=" + kSource + "/tests/fixtures/tier6/P1-R1-B4-C32.yaml";
  for (const char* engine : {"simgrid", "analytic", "bound"}) {
    INFO(engine);
    json shipped = run(shipped_scenario("tier6-benchmark-sg2262"), std::string("--engine ") + engine);
    json imported = run(shipped_scenario("tier6-benchmark-sg2262"), fixture + " --engine " + engine);
    CHECK(imported["platform"]["chips"] == 32);
    CHECK(layer0(imported, "dispatch_us") == Approx(layer0(shipped, "dispatch_us")).epsilon(1e-12));
    CHECK(layer0(imported, "combine_us") == Approx(layer0(shipped, "combine_us")).epsilon(1e-12));
    if (std::string(engine) != "analytic") continue;
    // Tier6-Model's regression prints 11.32 us and 19.91 us a layer, 1.812 ms over 58 MoE layers.
    for (const json* j : {&shipped, &imported}) {
      CHECK(layer0(*j, "dispatch_us") == Approx(11.3248).epsilon(1e-5));
      CHECK(layer0(*j, "combine_us") == Approx(19.9097).epsilon(1e-5));
      CHECK((*j)["summary"]["total_us"]["sum"].get<double>() == Approx(1811.6).epsilon(1e-5));
    }
  }
}

// The fast fidelity against the reference, layer by layer and phase by
// phase: within the error its report states (what tests/property_test.cpp
// asserts on random scenarios), and never below the bound. `unstated`: the
// tolerance of a case the report gives no bound for (a per-message cost).
void check_ptask_against_flow(const std::string& scenario, const std::string& extra, double unstated = 0) {
  INFO(scenario << " " << extra);
  json flow = run(shipped_scenario(scenario), extra + " --fidelity flow");
  json fast = run(shipped_scenario(scenario), extra + " --fidelity ptask");
  const double stated = fast["simgrid"]["fidelity_error"]["max_error"].get<double>();
  const double tolerance = stated > 0 ? stated : unstated;
  REQUIRE(tolerance > 0);
  CHECK(fast["simgrid"]["fidelity"] == "ptask");
  CHECK(flow["simgrid"]["fidelity"] == "flow");
  REQUIRE(flow["layers"].size() == fast["layers"].size());
  for (std::size_t l = 0; l < flow["layers"].size(); ++l)
    for (const char* key : {"dispatch_us", "combine_us"}) {
      const double ref = flow["layers"][l][key].get<double>(), got = fast["layers"][l][key].get<double>();
      INFO("layer " << l << " " << key << ": flow " << ref << " us, ptask " << got << " us");
      CHECK(std::fabs(got - ref) <= tolerance * ref);
    }
  // The ptask run above is the simgrid side of the bound check (a report is
  // byte for byte the same on every run: the determinism cases).
  check_report_not_below_bound(fast, run(shipped_scenario(scenario), extra + " --fidelity ptask --engine bound"));
}

TEST_CASE("the ptask fidelity is within its stated error of the reference on uniform traffic", "[replay][ptask]") {
  check_ptask_against_flow("deepseek-v3-decode-v4-4x4x4", "--set model.moe_layers=1");
  check_ptask_against_flow("deepseek-v3-decode-v4-4x4x4",
                           "--set model.moe_layers=1 --set platform=" + kSource + "/platforms/tpu-v4-4x4x8.yaml "
                           "--set deployment.ep=128 --set deployment.global_batch=1024");
  check_ptask_against_flow("tier6-benchmark-sg2262", "");
  check_ptask_against_flow("reference-ep32", "--set platform=" + kSource + "/platforms/fat-tree-4ary3-50g.yaml");
  // SimGrid XML: tasks of chip pairs rather than of links.
  check_ptask_against_flow("deepseek-v3-decode-v4-4x4x4",
                           "--set model.moe_layers=1 --set platform=" + kSource + "/platforms/simgrid-torus-4x4x4.xml");
}

TEST_CASE("the ptask fidelity is within its stated error of the reference on skewed routing", "[replay][ptask]") {
  check_ptask_against_flow("deepseek-v3-decode-v4-4x4x4", "--set traffic.routing=random --set model.moe_layers=2");
  check_ptask_against_flow("deepseek-v3-decode-sg2262-zipf", "--set model.moe_layers=2");
  check_ptask_against_flow("deepseek-v3-decode-v4-4x4x4",
                           "--set traffic.routing=zipf --set model.moe_layers=2 --set platform=" + kSource +
                               "/platforms/tpu-v4-4x4x8.yaml --set deployment.ep=128 --set deployment.global_batch=1024");
  check_ptask_against_flow("deepseek-v3-decode-v4-4x4x4",
                           "--set deployment.ep=16 --set deployment.moe_tp=2 --set model.moe_layers=1 "
                           "--set traffic.routing=random");
}

TEST_CASE("ptask tasks cut into blocks of links keep the answer", "[replay][ptask]") {
  // 384 links on 4x4x4 in blocks of 32: 12 tasks where there was one.
  const std::string cut = " --set simgrid.ptask_max_links=32";
  for (const std::string extra : {"--set model.moe_layers=1", "--set model.moe_layers=1 --set deployment.ep=16"}) {
    json whole = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"),
                     extra + " --fidelity ptask --set simgrid.ptask_max_links=1024");
    json blocks = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"), extra + cut + " --fidelity ptask");
    for (const char* key : {"dispatch_us", "combine_us"}) {
      INFO(extra << " " << key);
      CHECK(layer0(blocks, key) == Approx(layer0(whole, key)).epsilon(1e-9));
    }
  }
  // Skewed traffic: blocks of a task no longer wait for each other's bottleneck.
  const std::string random =
      "--set traffic.routing=random --set model.moe_layers=2 --fidelity ptask --set simgrid.ptask_max_links=1024";
  CHECK(layer0(run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"), random + cut), "dispatch_us") <
        layer0(run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"), random), "dispatch_us"));
  check_ptask_against_flow("deepseek-v3-decode-v4-4x4x4", "--set traffic.routing=random --set model.moe_layers=2" + cut);
  check_ptask_against_flow("deepseek-v3-decode-sg2262-zipf", "--set model.moe_layers=2 --set simgrid.ptask_max_links=8");
}

// With one link a task, the replay skips links that cannot decide a time;
// MOESIM_PTASK_EVERY_LINK replays them all. Groups of 16 on a 4x6x2 torus
// share their y rings (a group's rows wrap into the next one's), so group
// times there are decided on links of several groups.
TEST_CASE("ptask with one link a task skips only links that decide nothing", "[replay]") {
  write(tmp_path("t462.yaml"), "name: t462\ntopology: {kind: torus, dims: [4, 6, 2], bandwidth: 50GBps, latency: 1us}\n");
  const std::string base = "--set platform=" + tmp_path("t462.yaml") +
                           " --set deployment.ep=16 --set deployment.groups=3 --set model.moe_layers=2"
                           " --set simgrid.ptask_max_links=1 --fidelity ptask -j 1";
  for (const std::string routing : {"random", "zipf", "uniform"}) {
    const std::string extra = base + " --set traffic.routing=" + routing;
    json pruned = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"), extra);
    setenv("MOESIM_PTASK_EVERY_LINK", "1", 1);
    json every = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"), extra);
    unsetenv("MOESIM_PTASK_EVERY_LINK");
    REQUIRE(pruned["layers"].size() == every["layers"].size());
    for (std::size_t l = 0; l < every["layers"].size(); ++l) {
      INFO(routing << " layer " << l);
      for (const char* key : {"dispatch_us", "combine_us"})
        CHECK(pruned["layers"][l][key].get<double>() == Approx(every["layers"][l][key].get<double>()).epsilon(1e-9));
      const json& gp = pruned["layers"][l]["groups"];
      const json& ge = every["layers"][l]["groups"];
      REQUIRE(gp.size() == 3);
      REQUIRE(ge.size() == 3);
      for (std::size_t g = 0; g < 3; ++g)
        for (const char* key : {"dispatch_us", "combine_us"})
          CHECK(gp[g][key].get<double>() == Approx(ge[g][key].get<double>()).epsilon(1e-9));
    }
  }
}

TEST_CASE("SimGrid's own torus and fat-tree routing give moesim's results", "[replay][platform][fabrics]") {
  const std::string one = " --set model.moe_layers=1";
  json yaml = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"), one);
  json xml = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"),
                 "--set platform=" + kSource + "/platforms/simgrid-torus-4x4x4.xml" + one);
  CHECK(layer0(xml, "dispatch_us") == Approx(layer0(yaml, "dispatch_us")).epsilon(1e-9));
  CHECK(layer0(xml, "combine_us") == Approx(layer0(yaml, "combine_us")).epsilon(1e-9));
  // moesim's shortest paths spread a fat-tree's ties as SimGrid's routing does.
  const std::string ft = " --set deployment.ep=64 --set platform=" + kSource;
  json ours = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"), ft + "/platforms/fat-tree-4ary3-50g.yaml" + one);
  json theirs = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"), ft + "/platforms/simgrid-fat-tree-4ary3.xml" + one);
  CHECK(layer0(ours, "dispatch_us") == Approx(layer0(theirs, "dispatch_us")).epsilon(1e-9));
  CHECK(layer0(ours, "combine_us") == Approx(layer0(theirs, "combine_us")).epsilon(1e-9));
  check_not_below_bound("reference-ep32", "--set platform=" + kSource + "/platforms/simgrid-fat-tree-4ary3.xml" + one);
}

TEST_CASE("graph platforms replay at or above their bound", "[replay][bound][fabrics]") {
  const std::string one = " --set model.moe_layers=1";
  check_not_below_bound("reference-ep32", "--set platform=" + kSource + "/platforms/fat-tree-4ary3-50g.yaml" + one);
  check_not_below_bound("reference-ep32", "--set platform=" + kSource + "/platforms/dragonfly-9x4x2.yaml" + one);
  check_not_below_bound("deepseek-v3-decode-v4-4x4x4",
                        "--set platform=" + kSource + "/platforms/tpu-v4-4x4x8-twisted.yaml" + one);
  // A DOT file written from a platform replays like it.
  const std::string dot = tmp_path("df.dot");
  REQUIRE(moesim("platform " + kSource + "/platforms/dragonfly-9x4x2.yaml --dot " + dot) == 0);
  json a = run(shipped_scenario("reference-ep32"), "--set platform=" + kSource + "/platforms/dragonfly-9x4x2.yaml" + one);
  json b = run(shipped_scenario("reference-ep32"), "--set platform=" + dot + one);
  CHECK(layer0(b, "dispatch_us") == Approx(layer0(a, "dispatch_us")).epsilon(1e-9));
}

TEST_CASE("simgrid is never below the bound, for every routing model", "[replay][bound][routing]") {
  struct Row {
    std::string scenario, extra;
  };
  const std::string four = " --set model.moe_layers=4";
  const Row rows[] = {
      {"deepseek-v3-decode-sg2262-random", four},
      {"deepseek-v3-decode-sg2262-zipf", four},
      {"deepseek-v3-decode-sg2262-zipf", four + " --set traffic.dedup=false"},
      {"deepseek-v3-decode-v4-4x4x4", four + " --set traffic.routing=random"},
      {"deepseek-v3-decode-v4-4x4x4",
       four + " --set traffic.routing=hotspot --set 'traffic.hot_experts=[0, 1, 2, 3]' --set traffic.hot_share=0.3"},
      {"deepseek-v3-decode-v4-4x4x4",
       four + " --set deployment.ep=16 --set deployment.moe_tp=2 --set traffic.routing=zipf"},
      {"deepseek-v3-decode-v4-4x4x4",
       four + " --set deployment.ep=16 --set deployment.groups=4 --set deployment.group_placement=strided "
              "--set traffic.routing=random --set deployment.global_batch=2048"},
      {"trace-example-v4", ""},
      {"four-groups-of-64-v5e-16x16", " --set model.moe_layers=1"},
  };
  for (const Row& r : rows) check_not_below_bound(r.scenario, r.extra);
}

TEST_CASE("the same seed gives byte-identical output and other seeds differ", "[routing]") {
  const std::string s = shipped_scenario("deepseek-v3-decode-sg2262-random");
  const std::string a = tmp_path("a.json"), b = tmp_path("b.json"), c = tmp_path("c.json");
  REQUIRE(moesim("run " + s + " --engine bound --json " + a) == 0);
  REQUIRE(moesim("run " + s + " --engine bound --json " + b) == 0);
  REQUIRE(moesim("run " + s + " --engine bound --seed 2 --json " + c) == 0);
  CHECK(read(a) == read(b));
  CHECK(read(a) != read(c));
  json j = json::parse(read(a));
  CHECK(j["layers"][0]["dispatch_bytes"] != j["layers"][1]["dispatch_bytes"]);
  CHECK(j["summary"]["distinct_layers"] == 58);
}

TEST_CASE("routed bytes: every copy counted gives the byte formula's total", "[routing]") {
  // 4096 tokens x top-8 over ep 32: 1024 tokens a rank, dispatch_bytes 7,340,032 per chip.
  json j = run(shipped_scenario("deepseek-v3-decode-sg2262-random"),
               "--engine bound --set model.moe_layers=3 --set traffic.dedup=false");
  for (const auto& l : j["layers"]) {
    CHECK(l["mean_rank_tokens"].get<double>() == Approx(1024));
    CHECK(l["dispatch_bytes_all_copies"] == l["dispatch_bytes"]);
    CHECK(l["dispatch_bytes_dedup"].get<double>() <= l["dispatch_bytes_all_copies"].get<double>());
    CHECK(l["max_experts"].get<int>() <= 8);
    CHECK(l["imbalance"].get<double>() >= 1.0);
  }
  json dedup = run(shipped_scenario("deepseek-v3-decode-sg2262-random"), "--engine bound --set model.moe_layers=3");
  for (std::size_t l = 0; l < 3; ++l)
    CHECK(dedup["layers"][l]["dispatch_bytes"] == dedup["layers"][l]["dispatch_bytes_dedup"]);
}

TEST_CASE("samples: the run repeated with successive seeds", "[routing]") {
  json j = run(shipped_scenario("deepseek-v3-decode-sg2262-zipf"),
               "--engine bound --set model.moe_layers=5 --samples 3 --seed 10");
  REQUIRE(j["samples"].size() == 3);
  CHECK(j["samples"][0]["seed"] == 10);
  CHECK(j["samples"][2]["seed"] == 12);
  CHECK(j["spread"]["samples"] == 3);
  CHECK(j["spread"]["min_sum_us"].get<double>() <= j["spread"]["mean_sum_us"].get<double>());
  CHECK(j["spread"]["max_sum_us"].get<double>() >= j["spread"]["mean_sum_us"].get<double>());
  CHECK(j["samples"][0]["total_us"]["sum"] != j["samples"][1]["total_us"]["sum"]);
}

TEST_CASE("compare: columns side by side with bound, analytic and the ratio", "[compare]") {
  const std::string out = tmp_path("compare.json");
  const int rc = moesim("compare " + shipped_scenario("deepseek-v3-decode-v4-4x4x4") + " --platform " + kSource +
                        "/platforms/tpu-v5p-8x8x8.yaml --set deployment.ep=32 --all model.moe_layers=2 --json " + out);
  INFO(read(tmp_path("stderr")));
  REQUIRE(rc == 0);
  json j = json::parse(read(out));
  REQUIRE(j["columns"].size() == 2);
  const json& a = j["columns"][0];
  const json& b = j["columns"][1];
  CHECK(a["label"] == "tpu-v5p-8x8x8");
  CHECK(a["platform"]["chips"] == 512);
  CHECK(b["platform"]["chips"] == 64);
  CHECK(a["ratio_to_first"] == 1.0);
  CHECK(b["ratio_to_first"].get<double>() ==
        Approx(b["summary"]["total_us"]["sum"].get<double>() / a["summary"]["total_us"]["sum"].get<double>()));
  for (const json& c : j["columns"]) {
    REQUIRE(c["layers"].size() == 2);
    CHECK(c["layers"][0]["dispatch_us"].get<double>() >= c["layers"][0]["bound_dispatch_us"].get<double>() * (1 - 1e-9));
    CHECK(c["layers"][0]["analytic_dispatch_us"].get<double>() > 0);
    CHECK(c["hottest_link"]["name"].get<std::string>().rfind("ici-", 0) == 0);
  }
  CHECK(read(tmp_path("stdout")).find("total / first column") != std::string::npos);

  // Heads a reader can tell apart: a platform file by its name, the edits every column shares said once.
  REQUIRE(moesim("compare " + shipped_scenario("deepseek-v3-decode-v4-4x4x4") +
                 " --set platform=" + kSource + "/platforms/tpu-v4-4x4x8.yaml,deployment.ep=128 --set platform=" + kSource +
                 "/platforms/tpu-v4-4x4x8-twisted.yaml,deployment.ep=128 --all model.moe_layers=1"
                 " --engine bound") == 0);
  const std::string table = read(tmp_path("stdout"));
  CHECK(table.find("in every column: deployment.ep=128 model.moe_layers=1)") != std::string::npos);
  const std::string heads = table.substr(table.find('\n') + 1, table.find('\n', table.find('\n') + 1) - table.find('\n') - 1);
  CHECK(heads.find(" tpu-v4-4x4x8 ") != std::string::npos);
  CHECK(heads.find(" tpu-v4-4x4x8-twisted") != std::string::npos);
  CHECK(heads.find("...") == std::string::npos);
}

// Golden whole-run outputs: tests/golden/<scenario>.<engine>.json. Set
// MOESIM_UPDATE_GOLDEN=1 to rewrite them after an intended change.
TEST_CASE("golden outputs of the shipped scenarios", "[golden]") {
  struct Row {
    const char* scenario;
    const char* engine;
  };
  const Row rows[] = {{"reference-ep32", "simgrid"},
                      {"reference-ep32", "analytic"},
                      {"reference-ep32", "bound"},
                      {"tier6-benchmark-sg2262", "simgrid"},
                      {"tier6-benchmark-sg2262", "analytic"},
                      {"tier6-benchmark-sg2262", "bound"},
                      {"deepseek-v3-decode-v4-4x4x4", "simgrid"},
                      {"deepseek-v3-decode-v4-4x4x4", "analytic"},
                      {"deepseek-v3-decode-v4-4x4x4", "bound"},
                      {"deepseek-v3-decode-v5e-16x16", "simgrid"},
                      {"deepseek-v3-decode-v5e-16x16", "analytic"},
                      {"deepseek-v3-decode-v5e-16x16", "bound"},
                      {"deepseek-v3-decode-sg2262-random", "simgrid"},
                      {"deepseek-v3-decode-sg2262-random", "bound"},
                      {"deepseek-v3-decode-sg2262-zipf", "simgrid"},
                      {"deepseek-v3-decode-sg2262-zipf", "bound"},
                      {"deepseek-v3-decode-v5e-16x16-random", "bound"},
                      {"deepseek-v3-decode-v5e-16x16-random", "analytic"},
                      {"deepseek-v3-decode-v5e-16x16-zipf", "bound"},
                      {"four-groups-of-64-v5e-16x16", "bound"},
                      {"trace-example-v4", "simgrid"},
                      {"trace-example-v4", "bound"},
                      {"deepseek-v3-decode-tbo-h800", "simgrid"},
                      {"deepseek-v3-decode-tbo-h800", "bound"}};
  const bool update = std::getenv("MOESIM_UPDATE_GOLDEN") != nullptr;
  for (const Row& r : rows) {
    INFO(r.scenario << " " << r.engine);
    json j = run(shipped_scenario(r.scenario), std::string("--engine ") + r.engine);
    // What a golden file pins: the byte model, every layer's figures, the summary.
    json pinned = {{"bytes", j["bytes"]}, {"summary", j["summary"]}, {"layers", json::array()}};
    for (const auto& l : j["layers"])
      pinned["layers"].push_back({{"layer", l["layer"]},
                                  {"dispatch_us", l["dispatch_us"]},
                                  {"combine_us", l["combine_us"]},
                                  {"total_us", l["total_us"]},
                                  {"dispatch_bytes", l["dispatch_bytes"]},
                                  {"combine_bytes", l["combine_bytes"]}});
    const std::string path = kSource + "/tests/golden/" + r.scenario + "." + r.engine + ".json";
    if (update) write(path, pinned.dump(2) + "\n");
    const std::string text = read(path);
    REQUIRE_FALSE(text.empty());
    json golden = json::parse(text);
    CHECK(pinned["bytes"] == golden["bytes"]);
    REQUIRE(pinned["layers"].size() == golden["layers"].size());
    for (std::size_t l = 0; l < golden["layers"].size(); ++l)
      for (const char* key : {"dispatch_us", "combine_us", "total_us"}) {
        INFO("layer " << l << " " << key);
        CHECK(pinned["layers"][l][key].get<double>() ==
              Approx(golden["layers"][l][key].get<double>()).epsilon(1e-6));
      }
    for (std::size_t l = 0; l < golden["layers"].size(); ++l) {
      CHECK(pinned["layers"][l]["dispatch_bytes"] == golden["layers"][l]["dispatch_bytes"]);
      CHECK(pinned["layers"][l]["combine_bytes"] == golden["layers"][l]["combine_bytes"]);
    }
    CHECK(pinned["summary"]["total_us"]["sum"].get<double>() ==
          Approx(golden["summary"]["total_us"]["sum"].get<double>()).epsilon(1e-6));
  }
}

// ---------------------------------------------------------------------------
// Why a layer is slow: bottleneck, links, trace.

TEST_CASE("the bottleneck of uniform traffic on a torus is a link of its longest dimension", "[explain]") {
  // 4x4x8: the routes along z (8) are the longest, so z links carry the most.
  for (const char* fidelity : {"flow", "ptask"}) {
    INFO(fidelity);
    json j = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"),
                 "--set model.moe_layers=1 --set platform=" + kSource +
                     "/platforms/tpu-v4-4x4x8.yaml --set deployment.ep=128 --set deployment.global_batch=1024 "
                     "--fidelity " + fidelity);
    for (const auto& p : j["layers"][0]["phases"]) {
      INFO(p["phase"]);
      CHECK(p["bottleneck"]["where"] == "dimension z");
      CHECK(p["bottleneck"]["above_bound"].get<double>() >= 1.0 - 1e-9);
      CHECK(p["bottleneck"]["above_bound"].get<double>() < 1.2);
      CHECK(p["top_links"][0]["where"] == "dimension z");
      CHECK(p["top_links"][0]["utilization"].get<double>() <= 1.0 + 1e-9);
      CHECK(p["bottleneck"]["slowest_flow_path"].size() >= 1);
    }
  }
  // 8x4x4 (x longest), under the bound engine.
  write(tmp_path("t844.yaml"), "name: t844\ntopology: {kind: torus, dims: [8, 4, 4], bandwidth: 50GBps, latency: 1us}\n");
  json b = run(shipped_scenario("deepseek-v3-decode-v4-4x4x4"),
               "--engine bound --set model.moe_layers=1 --set platform=" + tmp_path("t844.yaml") +
                   " --set deployment.ep=128 --set deployment.global_batch=1024");
  CHECK(b["layers"][0]["phases"][0]["bottleneck"]["where"] == "dimension x");
}

TEST_CASE("per-link bytes: the routes' count, and SimGrid's own within a few percent", "[explain]") {
  const std::string csv = tmp_path("links.csv");
  std::remove(csv.c_str());
  REQUIRE(moesim("run " + shipped_scenario("deepseek-v3-decode-v4-4x4x4") +
                 " --set model.moe_layers=1 --set traffic.routing=random --fidelity flow --links " + csv) == 0);
  std::istringstream in(read(csv));
  std::string line;
  std::getline(in, line);
  CHECK(line == "layer,phase,link,where,bandwidth_Bps,bytes,simgrid_bytes,busy_us,utilization");
  double routes = 0, simgrid = 0;
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::string cell;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      else if (c == ',' && !quoted) f.push_back(cell), cell.clear();
      else cell += c;
    }
    f.push_back(cell);
    REQUIRE(f.size() == 9);
    if (f[1] != "dispatch") continue;
    routes += std::stod(f[5]);
    simgrid += std::stod(f[6]);
    CHECK(std::stod(f[8]) <= 1.0 + 1e-9);
    ++rows;
  }
  CHECK(rows == 384);  // every directed link of the 4x4x4 torus carries some of the dispatch
  // The routes' count is each flow's bytes times its hops (tested in the core);
  // SimGrid's link_load plugin integrates between comm events and over-counts a little.
  CHECK(simgrid >= 0.99 * routes);
  CHECK(simgrid <= 1.10 * routes);
}

TEST_CASE("the --trace option writes a Perfetto trace with phases, chips, flows and link counters", "[explain][trace]") {
  const std::string path = tmp_path("trace.json");
  std::remove(path.c_str());
  REQUIRE(moesim("run " + shipped_scenario("deepseek-v3-decode-v4-4x4x4") +
                 " --set model.moe_layers=2 --set expert_time_us=5 --fidelity flow --trace " + path) == 0);
  const json t = json::parse(read(path));
  REQUIRE(t["traceEvents"].is_array());
  std::size_t phases = 0, experts = 0, chips = 0, flows = 0, counters = 0;
  double last_end = 0;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] == "X" && e["pid"] == 1 && e["cat"] != "expert") {
      ++phases;
      CHECK(e["ts"].get<double>() >= last_end - 1e-6);  // back to back, in order
      last_end = e["ts"].get<double>() + e["dur"].get<double>();
    }
    if (e["ph"] == "X" && e["cat"] == "expert") ++experts;
    if (e["ph"] == "X" && e["pid"] == 2) ++chips;
    if (e["ph"] == "X" && e["pid"] == 3) ++flows;
    if (e["ph"] == "C") ++counters;
  }
  CHECK(phases == 4);
  CHECK(experts == 2);
  CHECK(chips == 64 * 4);
  CHECK(flows == 2 * 2048);  // layer 0: the 2048 latest of 4032 flows a phase
  CHECK(counters == 4 * 5 * 2);
}

TEST_CASE("a trace of 58 layers on 256 chips stays small", "[explain][trace]") {
  const std::string path = tmp_path("trace256.json");
  std::remove(path.c_str());
  REQUIRE(moesim("run " + shipped_scenario("deepseek-v3-decode-v5e-16x16-random") + " --fidelity ptask --trace " + path) ==
          0);
  const std::string text = read(path);
  CHECK(text.size() < 1000000);  // documented: 143 KB (ptask: no per-chip spans)
  CHECK(json::parse(text)["traceEvents"].size() > 58 * 2);
}

TEST_CASE("the --simgrid-trace option passes SimGrid's Paje tracing through", "[explain][trace]") {
  const std::string path = tmp_path("paje.trace");
  std::remove(path.c_str());
  REQUIRE(moesim("run " + shipped_scenario("reference-ep32") + " --simgrid-trace " + path) == 0);
  const std::string text = read(path);
  CHECK(text.find("%EventDef PajeDefineContainerType") != std::string::npos);
  CHECK(moesim("run " + shipped_scenario("reference-ep32") + " --engine bound --simgrid-trace " + path) == 2);
}

TEST_CASE("a calibrated platform: efficiency per link class, start-up per phase", "[calibration]") {
  const std::string s = two_chip_scenario();
  // 2,250,000 B at 0.5 x 45 GB/s after 1 us, plus a 10 us start-up: 111 us; the combine twice the bytes, 3 us start-up.
  write(tmp_path("two.yaml"), "name: two\ntopology: {kind: torus, dims: [2], bandwidth: 45GBps, latency: 1us}\n"
                              "calibration: {efficiency: {ici: 0.5}, startup_us: {dispatch: 10, combine: 3}}\n");
  for (const char* how : {"--fidelity flow", "--fidelity ptask", "--engine bound"}) {
    INFO(how);
    json j = run(s, how);
    CHECK(layer0(j, "dispatch_us") == Approx(10 + 1 + 100.0).epsilon(1e-9));
    CHECK(layer0(j, "combine_us") == Approx(3 + 1 + 200.0).epsilon(1e-9));
    CHECK(j["layers"][0]["phases"][0]["bottleneck"]["above_bound"].get<double>() == Approx(1.0).epsilon(1e-9));
  }
  // The analytic engine keeps Tier6's own start latencies (0 here) but divides by the calibrated bandwidth:
  // a chip's 4,500,000 dispatch bytes over 22.5 GB/s.
  json a = run(s, "--engine analytic");
  CHECK(layer0(a, "dispatch_us") == Approx(200.0).epsilon(1e-9));
  write(tmp_path("two.yaml"), "name: two\ntopology: {kind: torus, dims: [2], bandwidth: 45GBps, latency: 1us}\n");
}

TEST_CASE("calibrate recovers known knobs from measurements moesim made itself", "[calibration]") {
  // Truth: h800-ib-32x8 with NIC efficiency 0.8 and 10 us start-ups.
  const std::string nominal = kSource + "/platforms/h800-ib-32x8.yaml";
  std::string truth_text = read(nominal);
  truth_text = truth_text.substr(0, truth_text.find("\ncalibration:") + 1);  // without its shipped calibration
  truth_text += "calibration: {efficiency: {nic: 0.8}, startup_us: {dispatch: 10, combine: 10}}\n";
  write(tmp_path("truth.yaml"), truth_text);
  write(tmp_path("cal-scenario.yaml"), "platform: " + nominal +
                                           "\nmodel: {hidden_dim: 7168, num_experts: 256, topk: 8, moe_layers: 1}\n"
                                           "deployment: {tokens_per_chip: 128, ep: 32}\nengine: bound\n");
  std::string csv = "name,deployment.ep,deployment.tokens_per_chip,phase,measured_us\n";
  for (int ep : {16, 32, 64})
    for (int tokens : {64, 256}) {
      json j = run(tmp_path("cal-scenario.yaml"), "--set platform=" + tmp_path("truth.yaml") + " --set deployment.ep=" +
                                                       std::to_string(ep) + " --set deployment.tokens_per_chip=" +
                                                       std::to_string(tokens));
      for (const char* phase : {"dispatch", "combine"})
        csv += "ep" + std::to_string(ep) + "-t" + std::to_string(tokens) + "-" + phase + "," + std::to_string(ep) + "," +
               std::to_string(tokens) + "," + phase + "," +
               std::to_string(j["summary"][std::string(phase) + "_us"]["mean"].get<double>()) + "\n";
    }
  write(tmp_path("measured.csv"), csv);
  const std::string out = tmp_path("calibrated.yaml"), report = tmp_path("calibration.json");
  REQUIRE(moesim("calibrate " + tmp_path("cal-scenario.yaml") + " --measurements " + tmp_path("measured.csv") +
                 " --fit efficiency.nic --fit startup_us.dispatch --fit startup_us.combine --out " + out + " --json " +
                 report) == 0);
  const json r = json::parse(read(report));
  CHECK(r["knobs"][0]["value"].get<double>() == Approx(0.8).epsilon(0.01));
  CHECK(r["knobs"][1]["value"].get<double>() == Approx(10).epsilon(0.01));
  CHECK(r["knobs"][2]["value"].get<double>() == Approx(10).epsilon(0.01));
  for (const auto& p : r["points"]) CHECK(std::fabs(p["error_after"].get<double>()) < 0.01);
  CHECK(r["validation"]["method"] == "leave-one-out");
  CHECK(r["validation"]["mean_abs_error"].get<double>() < 0.01);
  // The calibrated platform is an ordinary platform: it reproduces a measured point.
  json again = run(tmp_path("cal-scenario.yaml"), "--set platform=" + out + " --set deployment.ep=64 --set deployment.tokens_per_chip=256");
  json truth = run(tmp_path("cal-scenario.yaml"), "--set platform=" + tmp_path("truth.yaml") +
                                                    " --set deployment.ep=64 --set deployment.tokens_per_chip=256");
  CHECK(layer0(again, "dispatch_us") == Approx(layer0(truth, "dispatch_us")).epsilon(0.01));
  CHECK(read(out).find("# Calibrated by moesim calibrate") == 0);

  // One point, one knob: the fit reproduces that point exactly.
  write(tmp_path("one.csv"), "deployment.ep,deployment.tokens_per_chip,phase,measured_us\n32,128,dispatch,150\n");
  REQUIRE(moesim("calibrate " + tmp_path("cal-scenario.yaml") + " --measurements " + tmp_path("one.csv") +
                 " --fit startup_us.dispatch --out " + out + " --json " + report) == 0);
  const json one = json::parse(read(report));
  CHECK(one["points"][0]["after_us"].get<double>() == Approx(150).epsilon(1e-6));  // nominal 114.1 us + 35.9 us
  CHECK(one["validation"]["method"] == "none (as many knobs as points)");
  // --out -: the calibrated platform on stdout, and no table there.
  REQUIRE(moesim("calibrate " + tmp_path("cal-scenario.yaml") + " --measurements " + tmp_path("one.csv") +
                 " --fit startup_us.dispatch --out -") == 0);
  const std::string piped = read(tmp_path("stdout"));
  CHECK(piped.rfind("# Calibrated by moesim calibrate", 0) == 0);
  CHECK(piped.find("\ncalibration:") != std::string::npos);
  CHECK(piped.find("fit: best of") == std::string::npos);
}

TEST_CASE("calibrate under the SimGrid engine: each point a child run on a candidate platform", "[calibration]") {
  // Two chips, 45 GB/s, 1 us: 2,250,000 B of dispatch each way, 50 us + 1 us
  // on the nominal platform; the combine twice the bytes.
  const std::string s = two_chip_scenario("simgrid: {fidelity: flow}\n");
  write(tmp_path("two-points.csv"), "name,phase,measured_us\nd,dispatch,109\nc,combine,201\n");
  const std::string report = tmp_path("two-cal.json");
  REQUIRE(moesim("calibrate " + s + " --measurements " + tmp_path("two-points.csv") +
                 " --fit efficiency.ici --fit startup_us.dispatch --out " + tmp_path("two-cal.yaml") + " --json " +
                 report) == 0);
  const json r = json::parse(read(report));
  CHECK_FALSE(r["in_process"].get<bool>());
  // combine: 100 / e + 1 = 201 -> e = 0.5; dispatch: 50 / e + 1 + startup = 109 -> 8 us.
  CHECK(r["knobs"][0]["value"].get<double>() == Approx(0.5).epsilon(1e-4));
  CHECK(r["knobs"][1]["value"].get<double>() == Approx(8).epsilon(1e-3));
  CHECK(std::fabs(r["points"][0]["error_after"].get<double>()) < 1e-4);
}

// ---------------------------------------------------------------------------
// All-to-all algorithms (comm.algorithm) and message costs.

namespace {

// The per-stage phases of layer 0 of a report: (label, latency, bytes).
std::vector<std::tuple<std::string, double, std::uint64_t>> stages(const json& j) {
  std::vector<std::tuple<std::string, double, std::uint64_t>> out;
  for (const auto& p : j["layers"][0]["phases"])
    out.emplace_back(p["phase"].get<std::string>() + "/" + p.value("stage", ""), p["latency_us"].get<double>(),
                     p["network_bytes"].get<std::uint64_t>());
  return out;
}

}  // namespace

TEST_CASE("every algorithm replays at or above its bound, stage by stage, on torus, tiers and GPU cluster",
          "[replay][bound][comm]") {
  struct Row {
    std::string scenario, extra;
  };
  const std::string v4 = "deepseek-v3-decode-v4-4x4x4", one = " --set model.moe_layers=1";
  const std::string h800 = " --set platform=" + kSource + "/platforms/h800-ib-32x8.yaml --set deployment.ep=32";
  const std::string random = " --set traffic.routing=random", zipf = " --set traffic.routing=zipf";
  const Row rows[] = {
      {v4, one + " --set comm.algorithm=dimension_ordered"},
      {v4, one + random + " --set comm.algorithm=dimension_ordered"},
      {v4, one + zipf + " --set comm.algorithm=per_expert --set comm.per_message_us=0.05"},
      {v4, one + random + " --set comm.algorithm=node_dedup --set traffic.node_chips=4"},
      {v4, one + " --set comm.algorithm=dimension_ordered --set comm.message_bytes=4096 --set comm.per_message_us=0.02"},
      {"deepseek-v3-decode-sg2262-zipf", " --set model.moe_layers=2 --set comm.algorithm=node_dedup"},
      {"deepseek-v3-decode-sg2262-random", " --set model.moe_layers=2 --set comm.algorithm=per_expert"},
      {v4, one + h800 + random + " --set comm.algorithm=node_dedup --set comm.per_message_us=0.1"},
      // per_expert with random or zipf routing on h800-ib-32x8 replays 0.03-2% below its bound, as direct
      // with traffic.dedup=false always has (SimGrid counts fewer bytes on the critical NIC than the
      // routes put there); uniform shares here until that is found.
      {v4, one + h800 + " --set comm.algorithm=per_expert --set comm.per_message_us=0.1"},
  };
  for (const Row& r : rows) {
    // The bound engine has no fidelity: one bound report serves both.
    const json bound = run(shipped_scenario(r.scenario), r.extra + " --engine bound");
    for (const char* fidelity : {" --fidelity flow", " --fidelity ptask"}) {
      INFO(r.scenario << r.extra << fidelity);
      const json sim = run(shipped_scenario(r.scenario), r.extra + fidelity);
      check_report_not_below_bound(sim, bound);
      // The stages are the same under every engine, with the same bytes.
      const auto a = stages(sim), b = stages(bound);
      REQUIRE(a.size() == b.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(std::get<0>(a[i]) == std::get<0>(b[i]));
        CHECK(std::get<2>(a[i]) == std::get<2>(b[i]));
      }
    }
  }
}

TEST_CASE("node_dedup and per_expert bytes against direct, from the same routing", "[comm]") {
  const std::string s = shipped_scenario("deepseek-v3-decode-sg2262-random");
  const json direct = run(s, "--engine bound");
  const json dedup = run(s, "--engine bound --set comm.algorithm=node_dedup");
  const json copies = run(s, "--engine bound --set comm.algorithm=per_expert");
  const json& d0 = direct["layers"][0];
  CHECK(copies["layers"][0]["dispatch_bytes"] == d0["dispatch_bytes_all_copies"]);
  CHECK(d0["dispatch_bytes"] == d0["dispatch_bytes_dedup"]);
  // node_dedup: the intra-node stage delivers what direct delivers; the
  // inter-node stage carries fewer bytes than direct sends between nodes.
  const auto st = stages(dedup);
  REQUIRE(st.size() == 4);
  CHECK(std::get<0>(st[0]) == "dispatch/inter-node");
  CHECK(std::get<0>(st[1]) == "dispatch/intra-node");
  CHECK(std::get<0>(st[2]) == "combine/intra-node");
  CHECK(std::get<0>(st[3]) == "combine/inter-node");
  CHECK(std::get<2>(st[0]) < d0["dispatch_bytes"].get<std::uint64_t>());
  CHECK(std::get<2>(st[3]) == 2 * std::get<2>(st[0]));  // BF16 combine over FP8 dispatch
  CHECK(dedup["comm"]["algorithm"] == "node_dedup");
}

TEST_CASE("dimension_ordered on a ring is direct, under both fidelities", "[comm][replay]") {
  write(tmp_path("ring.yaml"), "name: ring\ntopology: {kind: torus, dims: [8], bandwidth: 45GBps, latency: 1us}\n");
  const std::string s = shipped_scenario("deepseek-v3-decode-v4-4x4x4");
  const std::string base = "--set model.moe_layers=1 --set deployment.ep=8 --set platform=" + tmp_path("ring.yaml");
  for (const char* fidelity : {" --fidelity flow", " --fidelity ptask"}) {
    const json direct = run(s, base + fidelity);
    const json ring = run(s, base + fidelity + " --set comm.algorithm=dimension_ordered");
    for (const char* key : {"dispatch_us", "combine_us", "dispatch_bytes"})
      CHECK(layer0(ring, key) == Approx(layer0(direct, key)).epsilon(1e-12));
    CHECK(ring["layers"][0]["phases"].size() == 2);
  }
}

TEST_CASE("message costs add exactly n x per_message_us on two chips", "[comm][replay]") {
  // Dispatch: one flow of 2,250,000 B from each chip, in messages of 100,000 B: 23 messages.
  const std::string costs = "comm: {message_bytes: 100000, per_message_us: 0.5}\n";
  for (const char* engine : {" --fidelity flow", " --fidelity ptask", " --engine bound"}) {
    INFO(engine);
    const double plain = layer0(run(two_chip_scenario(), engine), "dispatch_us");
    const json j = run(two_chip_scenario(costs), engine);
    CHECK(layer0(j, "dispatch_us") == Approx(plain + 23 * 0.5).epsilon(1e-9));
    CHECK(j["layers"][0]["phases"][0]["messages"] == 2 * 23);
  }
}

TEST_CASE("the fast fidelity follows the flow fidelity for every algorithm", "[replay][ptask][comm]") {
  const std::string one = "--set model.moe_layers=1";
  check_ptask_against_flow("deepseek-v3-decode-v4-4x4x4", one + " --set comm.algorithm=dimension_ordered");
  check_ptask_against_flow("deepseek-v3-decode-v4-4x4x4",
                           one + " --set traffic.routing=random --set comm.algorithm=node_dedup --set traffic.node_chips=8");
  check_ptask_against_flow("deepseek-v3-decode-v4-4x4x4",
                           one + " --set traffic.routing=zipf --set comm.algorithm=per_expert --set comm.per_message_us=0.02"
                                 " --set simgrid.ptask_max_links=1024",
                           0.02);  // the report bounds no error with message costs; 1024-link blocks stay within
                                   // 2% here (one link a task, the default, is 5.5% below the flow's combine)
  check_ptask_against_flow("deepseek-v3-decode-sg2262-random", one + " --set comm.algorithm=node_dedup");
}

TEST_CASE("check: each measured point against the model, nothing fitted", "[check][comm]") {
  // The two-chip dispatch is 1 us + 2,250,000 B / 45 GB/s = 51 us; with 23
  // messages of 0.5 us, 62.5 us. Measured twice that: error -50%.
  const std::string scenario = two_chip_scenario();
  write(tmp_path("measured.csv"), "# two chips\nname,comm.per_message_us,comm.message_bytes,phase,measured_us\n"
                                  "plain,,,dispatch,102\ncosts,0.5,100000,dispatch,125\n");
  const std::string out = tmp_path("check.json");
  REQUIRE(moesim("check " + scenario + " --measurements " + tmp_path("measured.csv") + " --json " + out) == 0);
  const json j = json::parse(read(out));
  REQUIRE(j["points"].size() == 2);
  CHECK(j["points"][0]["model_us"].get<double>() == Approx(51).epsilon(1e-9));
  CHECK(j["points"][0]["error"].get<double>() == Approx(-0.5).epsilon(1e-9));
  CHECK(j["points"][1]["model_us"].get<double>() == Approx(62.5).epsilon(1e-9));
  CHECK(j["mean_abs_error"].get<double>() == Approx(0.5).epsilon(1e-9));
  // --set applies to every point; the table names each point and its error.
  REQUIRE(moesim("check " + scenario + " --measurements " + tmp_path("measured.csv") +
                 " --set comm.per_message_us=1 --set comm.message_bytes=100000") == 0);
  const std::string table = read(tmp_path("stdout"));
  CHECK(table.find("plain") != std::string::npos);
  CHECK(table.find("mean |error|") != std::string::npos);
  // A bad measurement file is one line naming it.
  write(tmp_path("bad.csv"), "name,phase,measured_us\nx,dispatch,-3\n");
  CHECK(moesim("check " + scenario + " --measurements " + tmp_path("bad.csv")) == 2);
}

TEST_CASE("the pplx-garden decode tables: per_expert follows their shape", "[check][comm]") {
  // On the nominal network: the shape is the topology's, not the calibration's.
  const std::string out = tmp_path("pplx.json");
  for (const char* nic : {"cx7", "efa"}) {
    INFO(nic);
    REQUIRE(moesim("check " + kSource + "/examples/pplx-garden-decode.yaml --measurements " + kSource +
                   "/examples/pplx-garden-decode-" + nic + ".csv --set engine=bound --set calibration=none --json " + out) == 0);
    const json j = json::parse(read(out));
    REQUIRE(j["points"].size() == 8);
    std::map<std::string, double> model;
    for (const auto& p : j["points"]) model[p["name"].get<std::string>()] = p["model_us"].get<double>();
    // Leaving the node (EP 8 to 16) costs far more than growing beyond it (EP 32 to 64).
    CHECK(model["ep16-d"] > 3 * model["ep8-d"]);
    CHECK(model["ep64-d"] < 1.5 * model["ep32-d"]);
    CHECK(model["ep64-c"] > model["ep64-d"]);  // BF16 combine, FP8 dispatch
  }
}

TEST_CASE("token_overhead_bytes: every dispatched token carries that many more bytes", "[comm]") {
  // Routed: a token is 7168 B of FP8, 7168 + 320 with the overhead; the combine is unchanged.
  const std::string routed = shipped_scenario("deepseek-v3-decode-sg2262-random");
  const json plain = run(routed, "--engine bound");
  const json more = run(routed, "--engine bound --set comm.token_overhead_bytes=320");
  const auto bytes = [](const json& j, const char* key) { return j["layers"][0][key].get<std::uint64_t>(); };
  CHECK(bytes(more, "dispatch_bytes") == bytes(plain, "dispatch_bytes") / 7168 * (7168 + 320));
  CHECK(bytes(more, "combine_bytes") == bytes(plain, "combine_bytes"));
  CHECK(more["bytes"] == plain["bytes"]);  // the specification's byte model is unchanged
  // Uniform shares: 16 token copies a chip, each 224 B more; each of the 32
  // chips keeps its own share.
  const json u = run(shipped_scenario("reference-ep32"), "--engine bound --set comm.token_overhead_bytes=224");
  const std::uint64_t n = 32, b = 114688 + 16 * 224;
  CHECK(u["layers"][0]["dispatch_bytes"].get<std::uint64_t>() == n * b - (n * (b / n) + b % n));
  CHECK(u["comm"]["token_overhead_bytes"] == 224);
}

TEST_CASE("layer workers give byte-identical reports whatever their number", "[replay][jobs]") {
  const std::string scenario = shipped_scenario("deepseek-v3-decode-sg2262-random") + " --set model.moe_layers=5";
  std::string reports[3];
  int i = 0;
  for (const char* jobs : {"1", "2", "3"}) {
    const std::string out = tmp_path(std::string("jobs") + jobs + ".json");
    REQUIRE(moesim("run " + scenario + " -j " + jobs + " --json " + out) == 0);
    reports[i++] = read(out);
  }
  REQUIRE(json::parse(reports[0])["layers"].size() == 5);
  CHECK(reports[0] == reports[1]);
  CHECK(reports[0] == reports[2]);
  // -j also builds, bounds and explains sampled layers on threads: the bound
  // engine and an overlapped run (micro-batches' own draws) the same way.
  for (const std::string& other : {scenario + " --engine bound",
                                  shipped_scenario("deepseek-v3-decode-tbo-h800") +
                                      " --set traffic.routing=zipf --set model.moe_layers=5"}) {
    INFO(other);
    std::string by_jobs[2];
    for (int k = 0; k < 2; ++k) {
      const std::string out = tmp_path("jobs-other-" + std::to_string(k) + ".json");
      REQUIRE(moesim("run " + other + " -j " + (k == 0 ? "1" : "3") + " --json " + out) == 0);
      by_jobs[k] = read(out);
    }
    CHECK(by_jobs[0] == by_jobs[1]);
  }
}

TEST_CASE("determinism: byte-identical reports across runs and -j, under both fidelities", "[replay][jobs]") {
  const std::string scenario = shipped_scenario("deepseek-v3-decode-sg2262-random") + " --set model.moe_layers=3";
  for (const char* fidelity : {"ptask", "flow"}) {
    INFO(fidelity);
    std::string reports[3];
    int i = 0;
    for (const char* jobs : {"1", "1", "2"}) {  // the same inputs twice, then other workers
      const std::string out = tmp_path(std::string("det-") + fidelity + "-" + std::to_string(i) + ".json");
      REQUIRE(moesim("run " + scenario + " --fidelity " + fidelity + " -j " + jobs + " --json " + out) == 0);
      reports[i++] = read(out);
    }
    CHECK(reports[0] == reports[1]);
    CHECK(reports[0] == reports[2]);
  }
}

TEST_CASE("determinism: a reused identical layer is byte for byte the layer computed alone", "[replay]") {
  // Uniform traffic makes every layer identical: layer 3 of 4 is reused from
  // layer 0, and must be what a run of that one layer computes.
  const std::string scenario = shipped_scenario("tier6-benchmark-sg2262");
  for (const char* fidelity : {"ptask", "flow"}) {
    INFO(fidelity);
    const json four = run(scenario, std::string("--fidelity ") + fidelity + " --set model.moe_layers=4");
    const json one = run(scenario, std::string("--fidelity ") + fidelity + " --set model.moe_layers=1");
    REQUIRE(four["summary"]["distinct_layers"] == 1);
    json reused = four["layers"][3], alone = one["layers"][0];
    CHECK(reused["simulated_as"] == 0);
    for (json* l : {&reused, &alone}) {
      l->erase("layer");
      l->erase("simulated_as");
    }
    CHECK(reused.dump() == alone.dump());
  }
}

TEST_CASE("groups on disjoint links replayed apart give the joint replay's times", "[replay][groups]") {
  // Four contiguous 16x4 blocks of the 16x16 torus: their routes stay in their
  // block. Under the flow fidelity (two minutes apart, longer joint), four
  // 16x2 blocks of EP 32 instead: routes in both dimensions, in seconds.
  const std::string scenario = shipped_scenario("four-groups-of-64-v5e-16x16") + " --set model.moe_layers=2";
  for (const char* fidelity : {"ptask", "flow --set deployment.ep=32"}) {
    INFO(fidelity);
    json apart = run(scenario, std::string("--fidelity ") + fidelity);
    REQUIRE(apart["traffic"]["groups"] == 4);
    // SimGrid's own trace keeps every layer and group in one simulation.
    json joint = run(scenario, std::string("--fidelity ") + fidelity + " --simgrid-trace " + tmp_path("paje.trace"));
    for (std::size_t l = 0; l < 2; ++l)
      for (const char* key : {"dispatch_us", "combine_us"}) {
        CHECK(apart["layers"][l][key].get<double>() == Approx(joint["layers"][l][key].get<double>()).epsilon(1e-9));
        for (std::size_t g = 0; g < 4; ++g)
          CHECK(apart["layers"][l]["groups"][g][key].get<double>() ==
                Approx(joint["layers"][l]["groups"][g][key].get<double>()).epsilon(1e-9));
      }
  }
}

TEST_CASE("faults: a ring link at half its bandwidth, the flow replay within 2% of the bound", "[faults][replay]") {
  for (int k = 4; k <= 16; ++k) {
    INFO(k << " chips");
    const std::string path = tmp_path("faulty-ring.yaml");
    write(path, "platform: ring:" + std::to_string(k) + ":50GBps:1us\nmodel: {hidden_dim: 7168, num_experts: " +
                    std::to_string(4 * k) + ", topk: 8}\ndeployment: {global_batch: 64, ep: " + std::to_string(k) +
                    "}\nsimgrid: {fidelity: flow}\nfaults: [{link: ici-x-0, bandwidth: 0.5}]\n");
    const json replay = run(path), bound = run(path, "--engine bound");
    for (const char* phase : {"dispatch_us", "combine_us"}) {
      INFO(phase);
      const double r = replay["layers"][0][phase].get<double>(), b = bound["layers"][0][phase].get<double>();
      CHECK(r >= b * (1 - 1e-9));
      CHECK(r <= b * 1.02);
    }
    // The cost: the healthy twin, replayed in a child process, as a run without the fault.
    if (k == 8) {
      write(path, "platform: ring:8:50GBps:1us\nmodel: {hidden_dim: 7168, num_experts: 32, topk: 8}\n"
                  "deployment: {global_batch: 64, ep: 8}\nsimgrid: {fidelity: flow}\n");
      const json healthy = run(path);
      const json& cost = replay["fault_cost"];
      CHECK(cost["healthy_us"].get<double>() == Approx(healthy["summary"]["total_us"]["sum"].get<double>()));
      CHECK(cost["phases"][0]["healthy_us"].get<double>() ==
            Approx(healthy["summary"]["dispatch_us"]["sum"].get<double>()));
      CHECK(cost["slowdown"].get<double>() > 1.2);
    }
  }
}

TEST_CASE("faults: a dead ring link, the flow replay within 2% of the bound", "[faults][replay]") {
  // Routes of up to k - 1 links start their flows up to k - 2 us after the
  // one-hop ones: with a batch of 512 the drain (over 100 us) hides that.
  for (int k = 4; k <= 16; ++k) {
    INFO(k << " chips");
    const std::string path = tmp_path("dead-ring.yaml");
    write(path, "platform: ring:" + std::to_string(k) + ":50GBps:1us\nmodel: {hidden_dim: 7168, num_experts: " +
                    std::to_string(4 * k) + ", topk: 8}\ndeployment: {global_batch: 512, ep: " + std::to_string(k) +
                    "}\nsimgrid: {fidelity: flow}\nfaults: [{link: ici-x-0, down: true}]\n");
    const json replay = run(path), bound = run(path, "--engine bound");
    CHECK(replay["rerouted_pairs"].get<int>() > 0);
    CHECK(replay["faults"][0]["link"] == "ici-x-0");
    CHECK(replay["faults"][0]["down"] == true);
    for (const char* phase : {"dispatch_us", "combine_us"}) {
      INFO(phase);
      const double r = replay["layers"][0][phase].get<double>(), b = bound["layers"][0][phase].get<double>();
      CHECK(r >= b * (1 - 1e-9));
      CHECK(r <= b * 1.02);
    }
  }
}

TEST_CASE("faults: a dead ICI link of a 4x4x4 torus slows DeepSeek-V3 decode; bound and replay within 5%",
          "[faults][replay]") {
  // ici-x-12 leaves chip-12, which zipf routing (seed 1) makes the busiest:
  // its loss slows zipf's combine; under uniform routing every link is alike.
  const std::string s = shipped_scenario("deepseek-v3-decode-v4-4x4x4");
  for (const char* routing : {"uniform", "zipf"}) {
    INFO(routing);
    const std::string common = std::string("--set model.moe_layers=1 --set simgrid.fidelity=flow --set traffic.routing=") +
                               routing;
    const std::string dead = common + " --set 'faults=[{link: ici-x-12, down: true}]'";
    const json healthy = run(s, common + " --engine bound"), faulty = run(s, dead + " --engine bound");
    const json replay = run(s, dead);
    // Runs of 1 or 2 links forward over it, of 1 back, from the 4 chips of
    // its x ring, to the 16 destinations of each: 4 x 16.
    CHECK(faulty["rerouted_pairs"].get<int>() == 64);
    CHECK(faulty["layers"][0]["total_us"].get<double>() > healthy["layers"][0]["total_us"].get<double>());
    for (const char* phase : {"dispatch_us", "combine_us"}) {
      INFO(phase);
      const double h = healthy["layers"][0][phase].get<double>(), f = faulty["layers"][0][phase].get<double>();
      const double r = replay["layers"][0][phase].get<double>();
      CHECK(f >= h * (1 - 1e-9));  // the detours only add load
      CHECK(r >= f * (1 - 1e-9));
      CHECK(r <= f * 1.05);
    }
  }
}

TEST_CASE("faults: a GPU cluster NIC at half its bandwidth, the replay doubles the bandwidth term (alpha-beta)",
          "[faults][replay]") {
  write(tmp_path("gpus.yaml"),
        "name: g\ntopology: {kind: gpu_cluster, nodes: 2, gpus_per_node: 8, nvlink: {bandwidth: 450GBps, latency: "
        "1us}, nic: {bandwidth: 50GBps, latency: 2us}}\n");
  const std::string path = tmp_path("gpus-scenario.yaml");
  write(path, "platform: " + tmp_path("gpus.yaml") +
                  "\nmodel: {hidden_dim: 7168, num_experts: 64, topk: 8}\ndeployment: {global_batch: 1024, ep: 16}\n"
                  "simgrid: {fidelity: flow}\n");
  const json healthy = run(path), half = run(path, "--set 'faults=[{link: nic-3, bandwidth: 0.5}]'");
  const json dead = run(path, "--set 'faults=[{link: nic-3, down: true}]'");
  // Alpha-beta: each GPU sends share = dispatch bytes / 16 to every GPU; a
  // NIC's outbound side carries its node's 8 shares to the GPU on its rail in
  // the other node (PXN), beta = 8 shares / 50 GB/s, alpha = 4 us (NIC and
  // NIC of its own GPU's flow). Half the bandwidth: alpha + 2 beta.
  const double share = healthy["bytes"]["dispatch_bytes"].get<double>() / 16;
  const double alpha_us = 4, beta_us = 8 * share / 50e9 * 1e6;
  CHECK(healthy["layers"][0]["dispatch_us"].get<double>() == Approx(alpha_us + beta_us).epsilon(0.05));
  CHECK(half["layers"][0]["dispatch_us"].get<double>() == Approx(alpha_us + 2 * beta_us).epsilon(0.05));
  // Dead, its 16 pairs go through GPU 4's NIC, which then carries its own
  // 8 shares and GPU 3's 8 each way: about the same as half a NIC.
  CHECK(dead["rerouted_pairs"].get<int>() == 16);
  CHECK(dead["layers"][0]["dispatch_us"].get<double>() == Approx(alpha_us + 2 * beta_us).epsilon(0.1));
}
