// Sweep files: expansion, names, ranges, shards and their errors; run
// reports read back; the results database; plot scripts.
#include "campaign/sweep.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>

#include "campaign/campaign.hpp"
#include "campaign/plot.hpp"
#include "campaign/quantiles.hpp"
#include "campaign/results_db.hpp"
#include "campaign/run_summary.hpp"
#include "moesim/error.hpp"
#include "util/files.hpp"

using namespace moesim;

namespace {

// This test binary's files, in a folder of its own, removed at exit.
std::string temp_path(const std::string& name) {
  static const TempDir dir("moesim-sweep-test");
  return dir.file(name);
}

std::string temp_sweep(const std::string& name, const std::string& body) {
  const std::string path = temp_path(name);
  std::ofstream(path) << "base: " << MOESIM_SOURCE_DIR << "/scenarios/reference-ep32.yaml\n" << body;
  return path;
}

struct TempDb {
  std::string path;
  explicit TempDb(const std::string& name) : path(temp_path(name)) { remove_all(); }
  ~TempDb() { remove_all(); }
  void remove_all() const {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  }
};

RunSummary summary_of(double total_us) {
  RunSummary s;
  s.engine = "bound";
  s.platform = PlatformSummary{"p", "p.yaml", 32, 64, 32};
  s.layers = 2;
  s.distinct_layers = 2;
  s.columns["total_us"] = Stats{2 * total_us, total_us, total_us, total_us, total_us};
  s.columns["dispatch_us"] = Stats{2.5, 1.25, 1.0, 1.5, 1.5};
  s.columns["combine_us"] = Stats{4.5, 2.25, 2.0, 2.5, 2.5};
  LayerSummary l0, l1;
  l0.layer = 0;
  l0.dispatch_us = 1.0;
  l0.combine_us = 2.0;
  l0.total_us = 3.0;
  l1.layer = 1;
  l1.dispatch_us = 1.5;
  l1.combine_us = 2.5;
  l1.total_us = 4.0;
  l1.imbalance = 1.25;
  s.per_layer = {l0, l1};
  return s;
}

RunRecord ok_run(const std::string& key, const std::string& name, std::vector<SweepParam> params, double total_us) {
  RunRecord r;
  r.key = key;
  r.campaign = "c";
  r.name = name;
  r.status = RunStatus::kOk;
  r.params = std::move(params);
  r.report = summary_of(total_us);
  return r;
}

nlohmann::json golden(const std::string& name) {
  return nlohmann::json::parse(read_file(std::string(MOESIM_SOURCE_DIR) + "/tests/golden/" + name));
}

}  // namespace

TEST_CASE("a grid expands to every combination, the last axis fastest, zip rows together", "[sweep]") {
  const std::string path = temp_sweep("grid.yaml",
                                      "name: g\n"
                                      "set: {engine: bound}\n"
                                      "grid:\n"
                                      "  deployment.ep: [8, 16]\n"
                                      "  precision: [W8A8, W16A16]\n"
                                      "zip:\n"
                                      "  seed: [1, 2, 3]\n"
                                      "  traffic.routing: [uniform, random, zipf]\n");
  const Sweep s = load_sweep(path);
  CHECK(s.name == "g");
  REQUIRE(s.runs.size() == 2 * 2 * 3);
  CHECK(s.axes == std::vector<std::string>{"deployment.ep", "precision", "seed", "traffic.routing"});
  CHECK(s.runs[0].name == "ep=8,precision=W8A8,seed=1,routing=uniform");
  CHECK(s.runs[1].name == "ep=8,precision=W8A8,seed=2,routing=random");
  CHECK(s.runs[3].name == "ep=8,precision=W16A16,seed=1,routing=uniform");
  CHECK(s.runs[11].name == "ep=16,precision=W16A16,seed=3,routing=zipf");
  CHECK(s.runs[5].overrides() ==
        std::vector<std::string>{"engine=bound", "deployment.ep=8", "precision=W16A16", "seed=3", "traffic.routing=zipf"});
  std::set<std::string> names;
  for (const auto& r : s.runs) names.insert(r.name);
  CHECK(names.size() == s.runs.size());
  std::remove(path.c_str());
}

TEST_CASE("ranges, platform paths and clashing short names", "[sweep]") {
  const std::string path = temp_sweep("range.yaml",
                                      "grid:\n"
                                      "  deployment.tokens_per_chip: {from: 16, to: 256, factor: 2}\n"
                                      "  expert_time_us: {from: 0, to: 1, step: 0.5}\n"
                                      "  platform: [../platforms/a.yaml, /abs/b.yaml]\n"
                                      "  model.name: [m]\n"
                                      "  name: [n]\n");
  const Sweep s = load_sweep(path);
  REQUIRE(s.runs.size() == 5 * 3 * 2);
  CHECK(s.runs[0].params[0].value == "16");
  CHECK(s.runs.back().params[0].value == "256");
  CHECK(s.runs[0].params[1].value == "0");
  CHECK(s.runs[2].params[1].value == "0.5");
  CHECK(s.runs[2].params[2].value == temp_path("../platforms/a.yaml"));  // relative to the sweep file
  CHECK(s.runs[3].params[2].value == "/abs/b.yaml");
  CHECK(s.runs[3].params[2].label == "b");
  CHECK(s.runs[5].params[1].value == "1");
  CHECK(s.name == "range");
  CHECK(s.runs[0].name == "tokens_per_chip=16,expert_time_us=0,platform=a,model.name=m,name=n");
  std::remove(path.c_str());
}

TEST_CASE("a platform string in a sweep is no path: kept as written, its own label and key", "[sweep]") {
  const std::string path = temp_sweep("strings.yaml",
                                      "set: {platform: 'torus:4x4x2:45GBps'}\n"
                                      "grid:\n"
                                      "  platform: ['torus:4x4x2:45.5GBps:1us', 'mesh:8x4:45GBps', ../platforms/a.yaml]\n");
  const Sweep s = load_sweep(path);
  REQUIRE(s.runs.size() == 3);
  CHECK(s.runs[0].params[0].value == "torus:4x4x2:45.5GBps:1us");
  CHECK(s.runs[0].params[0].label == "torus:4x4x2:45.5GBps:1us");  // not cut at its '.'
  CHECK(s.runs[0].name == "platform=torus:4x4x2:45.5GBps:1us");
  CHECK(s.runs[2].params[0].value == temp_path("../platforms/a.yaml"));
  CHECK(s.runs[0].overrides().front() == "platform=torus:4x4x2:45GBps");  // `set` is not made a path either
  // Both strings load (no file to read), and their keys differ by the string alone.
  const std::vector<PreparedRun> prepared = prepare_runs(s, {s.runs[0], s.runs[1]});
  REQUIRE(prepared.size() == 2);
  for (const PreparedRun& p : prepared) {
    INFO(p.run.name << ": " << p.error);
    CHECK_FALSE(p.status.has_value());
  }
  CHECK(prepared[0].key != prepared[1].key);
  CHECK(prepared[0].key == prepare_runs(s, {s.runs[0]}).front().key);
  std::remove(path.c_str());
}

TEST_CASE("bad sweep files are named", "[sweep]") {
  struct Case {
    const char* body;
    const char* message;
  };
  for (const Case& c : {
           Case{"grid: {deployment.ep: []}\n", "grid.deployment.ep: an empty list"},
           Case{"grid: {deployment.ep: 8}\n", "grid.deployment.ep: expected a list of values or a range"},
           Case{"grid: {deployment.ep: {from: 8, to: 4, step: 1}}\n", "grid.deployment.ep.to: 4 is less than from 8"},
           Case{"grid: {deployment.ep: {from: 8, to: 64}}\n", "a range needs one of step and factor"},
           Case{"grid: {deployment.ep: {from: 8, to: 64, factor: 1}}\n", "grid.deployment.ep.factor: must be more than 1"},
           Case{"zip: {seed: [1, 2], deployment.ep: [8]}\n", "zip.deployment.ep: 1 values where seed has 2"},
           Case{"grid: {seed: [1]}\nzip: {seed: [2]}\n", "zip.seed: is also a grid axis"},
           Case{"gird: {seed: [1]}\n", "gird: unknown key"},
           Case{"name: x\n", "a sweep needs a grid or a zip"},
           Case{"grid: {seed: [1]}\nunfit: drop\n", "unfit: 'drop' is not one of: fail, skip"},
           // Keys the base scenario does not have, at their line, before any run.
           Case{"grid:\n  seed: [1]\n  deployment.epp: [8, 16]\n",
                ":4: grid.deployment.epp: not a key of the base scenario"},
           Case{"set: {deploymnt.ep: 8}\ngrid: {seed: [1]}\n", ":2: set.deploymnt.ep: not a key of the base scenario"},
           Case{"grid: {seed: [1]}\nzip: {traffic.routng: [random]}\n", ":3: zip.traffic.routng: not a key"},
       }) {
    INFO(c.body);
    const std::string path = temp_sweep("bad.yaml", c.body);
    CHECK_THROWS_WITH(load_sweep(path), Catch::Contains(c.message) && Catch::Contains(path));
    std::remove(path.c_str());
  }
}

TEST_CASE("shards split the runs: each run in exactly one shard", "[sweep]") {
  const std::string path = temp_sweep("shard.yaml", "grid: {seed: {from: 1, to: 10, step: 1}}\n");
  const Sweep s = load_sweep(path);
  std::multiset<std::size_t> seen;
  for (std::size_t i = 0; i < 3; ++i)
    for (const auto& r : shard_runs(s, parse_shard(std::to_string(i) + "/3"))) seen.insert(r.index);
  CHECK(seen.size() == 10);
  for (std::size_t i = 0; i < 10; ++i) CHECK(seen.count(i) == 1);
  for (const char* bad : {"3/3", "1", "a/2", "1/0", "-1/2", ""})
    CHECK_THROWS_WITH(parse_shard(bad), Catch::Contains("--shard") && Catch::Contains("is not i/N"));
  std::remove(path.c_str());
}

TEST_CASE("the results database records, replaces, merges and exports runs", "[sweep][db]") {
  TempDb a("a.db"), b("b.db");
  {
    ResultsDb db(a.path);
    db.record(ok_run("k1", "ep=8", {{"deployment.ep", "8", "8"}}, 10.0));
    RunRecord failed;
    failed.key = "k2";
    failed.campaign = "c";
    failed.name = "ep=16";
    failed.status = RunStatus::kFailed;
    failed.error = "bad, \"quoted\" value";
    failed.params = {{"deployment.ep", "16", "16"}};
    db.record(failed);
    db.record(ok_run("k1", "ep=8", {{"deployment.ep", "8", "8"}}, 11.0));  // replaced, not doubled
    const auto st = db.statuses();
    CHECK(st.size() == 2);
    CHECK(st.at("k2") == RunStatus::kFailed);
    CHECK(st.at("k1") == RunStatus::kOk);
    const auto runs = db.runs();
    REQUIRE(runs.size() == 2);
    CHECK(runs[1]["name"] == "ep=8");
    CHECK(runs[1]["deployment.ep"] == 8);  // an integer column value, not text
    CHECK(runs[1]["total_us_mean"] == 11.0);
    CHECK(runs[1]["total_us_sum"] == 22.0);
    CHECK(runs[1]["status"] == "ok");  // the status column keeps its text
    CHECK(runs[0]["status"] == "failed");
    CHECK(runs[1]["chips"] == 32);
    CHECK(runs[1]["fidelity_ran"].is_null());
    CHECK(runs[0]["total_us_mean"].is_null());
    const auto layers = db.layers();
    REQUIRE(layers.size() == 2);
    CHECK(layers[0]["imbalance"].is_null());
    CHECK(layers[1]["imbalance"] == 1.25);
    CHECK(layers[1]["combine_us"] == 2.5);
    const std::string csv = runs_csv(runs, db.param_columns());
    CHECK(csv.rfind("name,status,deployment.ep,key,", 0) == 0);
    CHECK(csv.find("\"bad, \"\"quoted\"\" value\"") != std::string::npos);
  }
  {
    ResultsDb other(b.path);
    other.record(ok_run("k1", "ep=8", {{"deployment.ep", "8", "8"}}, 11.0));
    other.record(ok_run("k3", "ep=8,seed=2", {{"deployment.ep", "8", "8"}, {"seed", "2", "2"}}, 12.0));
  }
  ResultsDb db(a.path);
  CHECK(db.merge_from(b.path) == 1);  // k1 is already there
  CHECK(db.merge_from(b.path) == 0);
  CHECK(db.runs().size() == 3);
  CHECK(db.layers().size() == 4);
  CHECK(db.param_columns() == std::vector<std::string>{"deployment.ep", "seed"});
}

TEST_CASE("a file that is not a results database is refused", "[sweep][db]") {
  TempDb t("not.db");
  std::ofstream(t.path) << "hello\n";
  CHECK_THROWS_WITH(ResultsDb(t.path), Catch::Contains(t.path));
}

TEST_CASE("run keys follow the scenario and its files", "[sweep][db]") {
  const std::string k = run_key("a: 1", {"platform"});
  CHECK(k.size() == 16);
  CHECK(run_key("a: 1", {"platform"}) == k);
  CHECK(run_key("a: 2", {"platform"}) != k);
  CHECK(run_key("a: 1", {"platform2"}) != k);
  CHECK(run_key("a: 1", {"plat", "form"}) != k);
}

TEST_CASE("percentiles with their distribution-free intervals, as the order-statistic tables give", "[sweep][quantiles]") {
  std::vector<double> v;
  for (int i = 1; i <= 10; ++i) v.push_back(i);
  // n = 10: the median's 95% interval is x(2) .. x(9) (coverage 97.9%).
  QuantileCI m = quantile_ci(v, 0.5);
  CHECK(m.value == 5);
  CHECK((m.has_low && m.low == 2));
  CHECK((m.has_high && m.high == 9));
  // Ten runs are too few for an upper end of the 95th percentile.
  CHECK_FALSE(quantile_ci(v, 0.95).has_high);
  CHECK(quantile_ci(v, 0.95).value == 10);
  // n = 100: the median's interval is x(40) .. x(61).
  v.clear();
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  m = quantile_ci(v, 0.5);
  CHECK(m.value == 50);
  CHECK(m.low == 40);
  CHECK(m.high == 61);
  CHECK(quantile_ci(v, 0.99).value == 99);
  // The value alone, as a plot's line takes it: the nearest rank.
  CHECK(quantile_value(v, 0.5) == 50);
  CHECK(quantile_value(v, 0.001) == 1);
  CHECK(quantile_value(v, 1.0) == 100);
  CHECK(quantile_value({7.0}, 0.99) == 7);
}

TEST_CASE("a campaign's percentiles: a table by parameter, and a line per percentile", "[sweep][quantiles][plot]") {
  TempDb t("quantiles.db");
  ResultsDb db(t.path);
  for (int links : {1, 2})
    for (int seed = 1; seed <= 20; ++seed)
      db.record(ok_run(std::to_string(links) + "-" + std::to_string(seed), "r",
                       {{"fault_draw.links", std::to_string(links), std::to_string(links)},
                        {"seed", std::to_string(seed), std::to_string(seed)}},
                       100.0 * links + seed));
  const std::string table = quantile_table(db.runs(), "total_us_mean", {"fault_draw.links"});
  // links 1: values 101 .. 120; the median is the 10th, 110; 2: 201 .. 220.
  CHECK(table.find("110.000 [") != std::string::npos);
  CHECK(table.find("210.000 [") != std::string::npos);
  CHECK_THROWS_WITH(quantile_table(db.runs(), "nope", {}), Catch::Contains("--quantiles: 'nope'"));
  CHECK_THROWS_WITH(quantile_table(db.runs(), "total_us_mean", {"nope"}), Catch::Contains("--by: 'nope'"));
  PlotOptions o;
  o.x = "fault_draw.links";
  o.y = "total_us_mean";
  // The seed varies: refused without percentiles, taken together with them.
  CHECK_THROWS_WITH(plot_script(db.runs(), db.layers(), db.param_columns(), o, "/tmp/q.png"),
                    Catch::Contains("'seed' takes 20 values"));
  o.quantiles = {50, 99};
  const std::string script = plot_script(db.runs(), db.layers(), db.param_columns(), o, "/tmp/q.png");
  CHECK(script.find("title \"p50\"") != std::string::npos);
  CHECK(script.find("title \"p99\"") != std::string::npos);
  CHECK(script.find("1 110\n2 210\n") != std::string::npos);  // the medians
  CHECK(script.find("1 120\n2 220\n") != std::string::npos);  // the 99th percentiles: the 20th of 20
}

TEST_CASE("plot scripts: one line per --by value, and varying parameters refused", "[sweep][plot]") {
  TempDb t("plot.db");
  ResultsDb db(t.path);
  for (int ep : {8, 16, 32})
    for (const char* p : {"W8A8", "W16A16"})
      db.record(ok_run(std::to_string(ep) + p, "ep=" + std::to_string(ep) + "," + p,
                       {{"deployment.ep", std::to_string(ep), std::to_string(ep)}, {"precision", p, p}},
                       ep * (p[1] == '8' ? 1.0 : 2.0)));
  PlotOptions o;
  o.x = "deployment.ep";
  o.by = {"precision"};
  const std::string script = plot_script(db.runs(), db.layers(), db.param_columns(), o, "/tmp/x.png");
  CHECK(script.find("set terminal pngcairo") != std::string::npos);
  CHECK(script.find("title \"W8A8\"") != std::string::npos);  // the --by key names the legend
  CHECK(script.find("title \"precision:\"") != std::string::npos);
  CHECK(script.find("title \"W16A16\"") != std::string::npos);
  CHECK(script.find("set xlabel \"EP size (chips)\"") != std::string::npos);
  CHECK(script.find("set ylabel \"MoE layer time (dispatch + experts + combine), mean over layers (us)\"") !=
        std::string::npos);
  CHECK(script.find("set xtics (\"8\" 8, \"16\" 16, \"32\" 32)") != std::string::npos);
  CHECK(script.find("8 16\n16 32\n32 64\n") != std::string::npos);  // W16A16: y = 2 ep, in x order
  o.by.clear();
  CHECK_THROWS_WITH(plot_script(db.runs(), db.layers(), db.param_columns(), o, "/tmp/x.png"),
                    Catch::Contains("'precision' takes 2 values") && Catch::Contains("--where precision="));
  o.where = {"precision=W8A8"};
  CHECK(plot_script(db.runs(), db.layers(), db.param_columns(), o, "/tmp/x.svg").find("set terminal svg") !=
        std::string::npos);
  o.x = "nope";
  CHECK_THROWS_WITH(plot_script(db.runs(), db.layers(), db.param_columns(), o, "/tmp/x.png"),
                    Catch::Contains("--x: 'nope' is not a parameter"));
  o.x = "deployment.ep";
  CHECK_THROWS_WITH(plot_script(db.runs(), db.layers(), db.param_columns(), o, "/tmp/x.jpg"),
                    Catch::Contains("does not end in .png or .svg"));
  PlotOptions layers;
  layers.layers_of = "ep=8,W8A8";
  const std::string bars = plot_script(db.runs(), db.layers(), db.param_columns(), layers, "/tmp/l.png");
  CHECK(bars.find("0 1 2\n1 1.5 2.5\n") != std::string::npos);
  CHECK(bars.find("set key outside right") != std::string::npos);  // not behind the bars
  CHECK(bars.find("title \"dispatch") != std::string::npos);
  CHECK(bars.find("title \"combine") != std::string::npos);
  layers.layers_of = "missing";
  CHECK_THROWS_WITH(plot_script(db.runs(), db.layers(), db.param_columns(), layers, "/tmp/l.png"),
                    Catch::Contains("no run named 'missing'"));
}

TEST_CASE("plot scripts: a title with what every run shares, errors that list the valid names", "[sweep][plot]") {
  TempDb t("title.db");
  ResultsDb db(t.path);
  for (int ep : {8, 16})
    for (const char* r : {"random", "zipf"})
      db.record(ok_run(std::to_string(ep) + r, "ep=" + std::to_string(ep) + "," + r,
                       {{"deployment.ep", std::to_string(ep), std::to_string(ep)},
                        {"traffic.routing", r, r},
                        {"deployment.global_batch", "4096", "4096"}},
                       ep));
  PlotOptions o;
  o.x = "deployment.ep";
  o.by = {"traffic.routing"};
  const std::string script = plot_script(db.runs(), db.layers(), db.param_columns(), o, "/tmp/x.png");
  // The platform, then the parameters every plotted run shares, in words; the legend headed in words too.
  INFO(script);
  CHECK(script.find("by EP size\\np; global batch = 4096\"") != std::string::npos);
  CHECK(script.find("title \"routing:\"") != std::string::npos);
  o.y = "nope";
  CHECK_THROWS_WITH(plot_script(db.runs(), db.layers(), db.param_columns(), o, "/tmp/x.png"),
                    Catch::Contains("--y: 'nope' is not a column of the runs (columns with numbers: ") &&
                        Catch::Contains("total_us_mean"));
  o.y = "total_us_mean";
  o.by = {"nope"};
  CHECK_THROWS_WITH(plot_script(db.runs(), db.layers(), db.param_columns(), o, "/tmp/x.png"),
                    Catch::Contains("(parameters: deployment.ep, traffic.routing, deployment.global_batch)"));
  // moesim results: what every run shares, what varies as columns, each run's latencies.
  const std::string summary = runs_summary(t.path, db.runs(), db.param_columns());
  CHECK(summary.find("campaign c: 4 ok") != std::string::npos);
  CHECK(summary.find("the same in every run: deployment.global_batch = 4096") != std::string::npos);
  CHECK(summary.find("deployment.ep traffic.routing platform_name dispatch_us_mean combine_us_mean total_us_sum") !=
        std::string::npos);
  INFO(summary);
  CHECK(summary.find("16            zipf             p            1.250") != std::string::npos);
}

TEST_CASE("plot scripts: categorical x values are grouped bars", "[sweep][plot]") {
  TempDb t("bars.db");
  ResultsDb db(t.path);
  for (int ep : {8, 16})
    for (const char* p : {"../platforms/tpu-v5e-16x16.yaml", "../platforms/sg2262-p1r1b4c32.yaml"})
      db.record(ok_run(std::to_string(ep) + p, std::string("ep=") + std::to_string(ep) + "," + p,
                       {{"deployment.ep", std::to_string(ep), std::to_string(ep)}, {"platform", p, p}}, ep));
  PlotOptions o;
  o.x = "platform";
  o.by = {"deployment.ep"};
  o.y = "dispatch_us_mean";
  const std::string script = plot_script(db.runs(), db.layers(), db.param_columns(), o, "/tmp/x.png");
  CHECK(script.find("set style histogram clustered") != std::string::npos);
  CHECK(script.find("\"sg2262-p1r1b4c32\" ") != std::string::npos);  // a platform by its name, not its path
  CHECK(script.find("using 2:xtic(1) title \"8\"") != std::string::npos);
  CHECK(script.find("using 3 title \"16\"") != std::string::npos);
  CHECK(script.find("set ylabel \"dispatch latency, mean over layers (us)\"") != std::string::npos);
  CHECK(script.find("title \"EP size:\"") != std::string::npos);
  CHECK(script.find("linespoints") == std::string::npos);
}

namespace {

// Two chips on one switch (class "nic"), and a link between them ("c2c"),
// busy half of a 10 us dispatch.
RunReport small_report() {
  RunReport r;
  r.scenario_name = "s";
  r.platform_name = "p";
  r.chip_names = {"chip-0", "chip-1"};
  auto link = [&](const std::string& name, const std::string& from, const std::string& to, const std::string& c) {
    Link l;
    l.name = name;
    l.bandwidth_Bps = 1e9;
    l.from = from;
    l.to = to;
    l.link_class = c;
    r.links.push_back(l);
  };
  link("nic-0_UP", "chip-0", "sw", "nic");
  link("nic-0_DOWN", "sw", "chip-0", "nic");
  link("nic-1_UP", "chip-1", "sw", "nic");
  link("nic-1_DOWN", "sw", "chip-1", "nic");
  link("c2c_UP", "chip-0", "chip-1", "c2c");
  link("c2c_DOWN", "chip-1", "chip-0", "c2c");
  PhaseResult p;
  p.latency_us = 10;
  p.link_bytes = {5000, 0, 0, 5000, 0, 0};
  LayerResult l;
  l.phases = {p};
  r.layers = {l};
  return r;
}

}  // namespace

TEST_CASE("heatmaps of a switched platform: labelled bars and matrices, no empty panel", "[sweep][plot]") {
  const std::string s = heatmap_script(small_report(), "/tmp/h.png");
  CHECK(s.find("set multiplot layout 1,2") != std::string::npos);
  CHECK(s.find("dispatch: nic links\"") != std::string::npos);
  CHECK(s.find("dispatch: c2c links (idle in this phase), hatched: no link") != std::string::npos);
  CHECK(s.find("title \"chip to sw\"") != std::string::npos);
  CHECK(s.find("title \"sw to chip\"") != std::string::npos);
  CHECK(s.find("0 50 0\n1 0 50\n") != std::string::npos);  // chip, % up, % down
  CHECK(s.find("set xlabel \"chip id\"") != std::string::npos);
  CHECK(s.find("set ylabel \"utilisation, %\"") != std::string::npos);
  CHECK(s.find("set cblabel \"utilisation, %\"") != std::string::npos);
  CHECK(s.find("NaN 0\n0 NaN\n") != std::string::npos);  // from x to chip matrix, no self links
  CHECK(s.find("set ylabel \"from chip\"") != std::string::npos);
}

TEST_CASE("torus heatmaps have whole-number ticks and a labelled colour bar", "[sweep][plot]") {
  RunReport r = small_report();
  r.torus_dims = {2, 1};
  r.links.resize(2);
  r.links[0].name = "ici-x-0_UP";
  r.links[1].name = "ici-x-0_DOWN";
  r.layers[0].phases[0].link_bytes = {5000, 0};
  const std::string s = heatmap_script(r, "/tmp/h.png");
  CHECK(s.find("set xtics 0,1,1 format \"%.0f\"") != std::string::npos);
  CHECK(s.find("set cblabel \"utilisation, %\"") != std::string::npos);
  CHECK(s.find("set xlabel \"chip's x\"") != std::string::npos);
  CHECK(s.find("50 0\n") != std::string::npos);
}

TEST_CASE("heatmaps label the faulty links where they are drawn", "[sweep][plot][faults]") {
  RunReport r = small_report();
  LinkFault half;
  half.link = "nic-1";  // both directions of chip 1's NIC
  half.bandwidth = 0.5;
  LinkFault slow;
  slow.link = "c2c_UP";
  slow.latency_us = 2;
  r.faults = {half, slow};
  r.links[2].duplex = r.links[3].duplex = "nic-1";
  const std::string s = heatmap_script(r, "/tmp/h.png");
  // Chip 1's bars (x 1), above them; the c2c matrix's from chip 0 (row 0) to chip 1 (column 1).
  CHECK(s.find("set label \"50%\" at 1,110") != std::string::npos);
  CHECK(s.find("set label \"+2us\" at 1,0") != std::string::npos);
  CHECK(s.find("nic links (labels: faults)") != std::string::npos);
  // A healthy run draws no label.
  CHECK(heatmap_script(small_report(), "/tmp/h.png").find("set label \"") == std::string::npos);
  // A dead switch: every link at it labelled dead (chip 0's and chip 1's bars).
  LinkFault sw;
  sw.node = "sw";
  sw.down = true;
  r.faults = {sw};
  const std::string dead = heatmap_script(r, "/tmp/h.png");
  CHECK(dead.find("set label \"dead\" at 0,110") != std::string::npos);
  CHECK(dead.find("set label \"dead\" at 1,110") != std::string::npos);
  CHECK(dead.find("set label \"dead\" at 1,0") == std::string::npos);  // the c2c links do not touch it
}

TEST_CASE("a run report read back: a golden file, and a missing key named", "[sweep][summary]") {
  const nlohmann::json j = golden("reference-ep32.simgrid.json");
  const RunSummary s = read_run_summary(j, "golden");
  CHECK_FALSE(s.engine);  // the golden files keep the results only
  CHECK_FALSE(s.platform);
  CHECK(s.bytes.dispatch_bytes == j["bytes"]["dispatch_bytes"].get<std::uint64_t>());
  CHECK(s.bytes.tokens_per_ep_group == 16);
  CHECK(s.layers == j["summary"]["layers"].get<std::uint64_t>());
  REQUIRE(s.per_layer.size() == j["layers"].size());
  CHECK(s.per_layer[0].dispatch_us == j["layers"][0]["dispatch_us"].get<double>());
  CHECK(s.per_layer[0].combine_bytes == j["layers"][0]["combine_bytes"].get<std::uint64_t>());
  REQUIRE(s.column("total_us"));
  CHECK(s.column("total_us")->p99 == j["summary"]["total_us"]["p99"].get<double>());
  CHECK(s.column("imbalance"));
  CHECK_FALSE(s.column("allgather_us"));
  CHECK(summary_json(s) == j["summary"]);  // what compare writes is what the run wrote

  struct Case {
    void (*edit)(nlohmann::json&);
    const char* message;
  };
  for (const Case& c : {
           Case{[](nlohmann::json& r) { r["summary"]["total_us"].erase("p99"); },
                "golden: summary.total_us.p99: missing from the run report"},
           Case{[](nlohmann::json& r) { r.erase("bytes"); }, "golden: bytes: missing from the run report"},
           Case{[](nlohmann::json& r) { r["summary"].erase("combine_us"); },
                "golden: summary.combine_us: missing from the run report"},
           Case{[](nlohmann::json& r) { r["layers"][0]["dispatch_us"] = "fast"; },
                "golden: layers[0].dispatch_us: expected a number, got \"fast\""},
           Case{[](nlohmann::json& r) { r["layers"] = 3; }, "golden: layers: expected a list, got 3"},
           Case{[](nlohmann::json& r) { r["platform"] = {{"name", "p"}}; }, "golden: platform.path: missing"},
           Case{[](nlohmann::json& r) { r = nlohmann::json::array(); }, "golden: expected a run report"},
       }) {
    nlohmann::json bad = j;
    c.edit(bad);
    CHECK_THROWS_WITH(read_run_summary(bad, "golden"), Catch::StartsWith(c.message));
  }
  nlohmann::json nan = j;
  nan["summary"]["imbalance"]["max"] = nullptr;  // how a report writes a NaN
  CHECK(std::isnan(read_run_summary(nan, "golden").column("imbalance")->max));

  const std::string file = temp_path("report.json");
  std::ofstream(file) << "{\"layers\": [";
  CHECK_THROWS_WITH(read_run_summary_file(file), Catch::StartsWith(file + ": not a JSON run report"));
  CHECK_THROWS_WITH(read_run_summary_file(temp_path("none.json")), temp_path("none.json") + ": cannot open file");
}

TEST_CASE("run statuses: one name each, and the names round-trip", "[sweep][db]") {
  for (const auto& [status, name] : kRunStatusNames) {
    CHECK(enum_parse(kRunStatusNames, name) == status);
    CHECK(enum_name(kRunStatusNames, status) == name);
    CHECK(row_status({{"status", name}}, "x.db") == status);
  }
  CHECK(enum_allowed(kRunStatusNames) == "ok, failed, skipped");
  CHECK_THROWS_WITH(row_status({{"status", "done"}}, "x.db"),
                    "x.db: runs.status: 'done' is not a run status (allowed: ok, failed, skipped)");
}
