// Faults (a scenario's `faults` and `fault_draw`): degraded and dead links
// and switches, routes around them, the bound against hand derivations on
// rings and GPU clusters, and refused faults.
#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "moesim/error.hpp"
#include "moesim/report.hpp"
#include "moesim/run.hpp"
#include "moesim/scenario.hpp"
#include "util/files.hpp"

using namespace moesim;

namespace {

// A uniform all-to-all of k chips on a ring of 50 GB/s, 1 us links.
Scenario ring(const TempDir& dir, std::uint64_t k, const std::string& faults) {
  const std::string path = dir.file("ring" + std::to_string(k) + ".yaml");
  std::ofstream(path) << "platform: ring:" << k << ":50GBps:1us\n"
                      << "model: {hidden_dim: 7168, num_experts: " << 4 * k << ", topk: 8}\n"
                      << "deployment: {global_batch: 64, ep: " << k << "}\n"
                      << "engine: bound\n"
                      << faults;
  return load_scenario(path);
}

// Whether any route between two chips crosses a dead link; counts the pairs cut off.
bool any_route_crosses_dead(const Topology& t, std::size_t* cut = nullptr) {
  bool crosses = false;
  for (ChipId s = 0; s < t.num_chips(); ++s)
    for (ChipId d = 0; d < t.num_chips(); ++d) {
      if (s == d) continue;
      if (cut && t.cut_pair(s, d)) ++*cut;
      for (LinkId l : t.route(s, d)) crosses = crosses || t.links[l].down;
    }
  return crosses;
}

// The link names of a route, "a b c".
std::string route_names(const Topology& t, ChipId s, ChipId d) {
  std::string out;
  for (LinkId l : t.route(s, d)) out += (out.empty() ? "" : " ") + t.links[l].name;
  return out;
}

// A uniform all-to-all of `ep` chips on a platform written from its YAML.
Scenario on_platform(const TempDir& dir, const std::string& platform, std::uint64_t ep, std::uint64_t batch,
                     const std::string& extra) {
  const std::string plat = dir.file("platform.yaml"), path = dir.file("scenario.yaml");
  std::ofstream(plat) << platform;
  // `extra` may give the deployment itself.
  const std::string deployment =
      extra.find("deployment:") != std::string::npos
          ? ""
          : "deployment: {global_batch: " + std::to_string(batch) + ", ep: " + std::to_string(ep) + "}\n";
  std::ofstream(path) << "platform: " << plat << "\nmodel: {hidden_dim: 7168, num_experts: " << 4 * ep << ", topk: 8}\n"
                      << deployment << "engine: bound\n"
                      << extra;
  return load_scenario(path);
}

RunReport run(const Scenario& s) {
  const Topology t = load_topology(s.platform, nullptr);
  return run_scenario(s, t, *make_core_engine(s, t));
}

}  // namespace

TEST_CASE("a ring link at half its bandwidth doubles its drain time, as derived by hand", "[faults]") {
  TempDir dir("moesim-faults-test");
  for (std::uint64_t k = 4; k <= 16; ++k) {
    INFO(k << " chips");
    const RunReport healthy = run(ring(dir, k, ""));
    const RunReport faulty = run(ring(dir, k, "faults: [{link: ici-x-0, bandwidth: 0.5}]\n"));
    // Shortest way round, an antipodal pair the positive way: the positive
    // direction of every link carries the pairs 1 .. floor(k/2) apart, each
    // share = dispatch bytes / k, once a hop.
    const double m = static_cast<double>(k / 2), share = static_cast<double>(healthy.bytes.dispatch_bytes) / k;
    const double carried = share * m * (m + 1) / 2;
    const PhaseResult& d = faulty.layers.front().phases.front();
    REQUIRE(d.kind == PhaseKind::kDispatch);
    // (odd k: both directions carry as much, either may be named)
    CHECK(d.critical_link.rfind(k % 2 ? "ici-x-0_" : "ici-x-0_UP", 0) == 0);
    CHECK(d.critical_link_bytes == Approx(carried).epsilon(1e-3));
    // Half the bandwidth: the drain of the busiest link doubles, the rest stays.
    CHECK(faulty.layers.front().phase_us(PhaseKind::kDispatch) ==
          Approx(healthy.layers.front().phase_us(PhaseKind::kDispatch) + carried / 50e9 * 1e6).epsilon(1e-3));
    CHECK(faulty.layers.front().phase_us(PhaseKind::kCombine) > healthy.layers.front().phase_us(PhaseKind::kCombine));
  }
}

TEST_CASE("faults that name nothing, or change nothing, are refused in one line", "[faults]") {
  TempDir dir("moesim-faults-errors");
  CHECK_THROWS_WITH(run(ring(dir, 8, "faults: [{link: ici-x-99, bandwidth: 0.5}]\n")),
                    Catch::Contains("faults[0].link: 'ici-x-99' is not a link of platform ring-8 (nearest: ici-x-0"));
  CHECK_THROWS_WITH(ring(dir, 8, "faults: [{link: ici-x-0, bandwidth: 0}]\n"),
                    Catch::Contains("faults[0].bandwidth: 0 is not in (0, 1]"));
  CHECK_THROWS_WITH(ring(dir, 8, "faults: [{link: ici-x-0, bandwidth: 1.5}]\n"),
                    Catch::Contains("1.5 is not in (0, 1]"));
  CHECK_THROWS_WITH(ring(dir, 8, "faults: [{link: ici-x-0}]\n"), Catch::Contains("the fault changes nothing"));
  CHECK_THROWS_WITH(ring(dir, 8, "faults: {link: ici-x-0}\n"), Catch::Contains("expected a list of faults"));
  CHECK_THROWS_WITH(ring(dir, 8, "faults: [{link: ici-x-0, speed: 2}]\n"), Catch::Contains("speed: unknown key"));
  // A directed link alone, and an added latency.
  const RunReport up = run(ring(dir, 8, "faults: [{link: ici-x-0_DOWN, latency_us: 5}]\n"));
  CHECK(up.faults.size() == 1);
  CHECK(up.links.size() == 16);
  std::size_t slow = 0;
  for (const Link& l : up.links) slow += l.latency_s > 2e-6 ? 1 : 0;
  CHECK(slow == 1);
}

TEST_CASE("a fault's cost is the faulty run against the same run on the healthy platform", "[faults]") {
  TempDir dir("moesim-faults-test");
  const std::uint64_t k = 8;
  const RunReport healthy = run(ring(dir, k, ""));
  const RunReport faulty = run(ring(dir, k, "faults: [{link: ici-x-0, bandwidth: 0.5}]\n"));
  const FaultCost cost = fault_cost(faulty, encode_baseline(healthy));
  double healthy_us = 0, faulty_us = 0;
  for (const auto& l : healthy.layers) healthy_us += l.total_us();
  for (const auto& l : faulty.layers) faulty_us += l.total_us();
  CHECK(cost.healthy_us == Approx(healthy_us));
  CHECK(cost.faulty_us == Approx(faulty_us));
  CHECK(cost.slowdown() > 1);
  REQUIRE(cost.phases.size() == 2);
  CHECK(cost.phases[0].label == "dispatch");
  CHECK(cost.phases[0].healthy_us == Approx(healthy.layers.front().phase_us(PhaseKind::kDispatch) *
                                            static_cast<double>(healthy.layers.size())));
  CHECK(cost.phases[0].faulty_bottleneck.rfind("ici-x-0_UP", 0) == 0);
  // A slower link moves no traffic: the routes are the same.
  CHECK(cost.phases[0].moved_bytes == 0);
  CHECK(cost.phases[0].gained.empty());
  // Against a run of another shape, or text that is no baseline: refused.
  CHECK_THROWS(fault_cost(faulty, encode_baseline(run(ring(dir, 4, "")))));
  CHECK_THROWS(fault_cost(faulty, "{}"));
  // A run without faults has no cost to give.
  CHECK_FALSE(has_faults(ring(dir, k, "")));
  CHECK(has_faults(ring(dir, k, "faults: [{link: ici-x-0, bandwidth: 0.5}]\n")));
  CHECK_FALSE(has_faults(healthy_scenario(ring(dir, k, "faults: [{link: ici-x-0, bandwidth: 0.5}]\n"))));
}

TEST_CASE("a dead ring link: every pair that crossed it goes the long way round, the bound as derived by hand",
          "[faults]") {
  TempDir dir("moesim-faults-dead");
  for (std::uint64_t k = 4; k <= 16; ++k) {
    INFO(k << " chips");
    const Scenario healthy_s = ring(dir, k, "");
    const Scenario faulty_s = ring(dir, k, "faults: [{link: ici-x-0, down: true}]\n");
    const Topology healthy_t = load_topology(healthy_s.platform, nullptr);
    const Topology t = load_topology(faulty_s.platform, nullptr);
    CHECK_FALSE(any_route_crosses_dead(t));
    CHECK(any_route_crosses_dead(healthy_t) == false);  // the healthy ring has no dead link at all
    // The pairs rerouted: those whose shortest way crossed ici-x-0 (chip 0 ->
    // 1 forward, 1 -> 0 back): forward runs of 1 .. floor(k/2) links with
    // antipodal ties forward, backward runs of 1 .. ceil(k/2) - 1.
    const std::uint64_t f = k / 2, b = (k + 1) / 2 - 1;
    CHECK(t.num_overridden_routes() == f * (f + 1) / 2 + b * (b + 1) / 2);
    for (ChipId s = 0; s < k; ++s)
      for (ChipId d = 0; d < k; ++d) {
        if (s == d) continue;
        // The ring less ici-x-0 is the line 1, 2, ..., k-1, 0: one way only.
        const std::uint64_t at_s = (s + k - 1) % k, at_d = (d + k - 1) % k;
        INFO(s << " -> " << d << ": " << route_names(t, s, d));
        CHECK(t.route(s, d).size() == (at_s > at_d ? at_s - at_d : at_d - at_s));
      }
    const RunReport healthy = run(healthy_s);
    const RunReport faulty = run(faulty_s);
    // On the line, the link between positions i - 1 and i carries, each way,
    // the i * (k - i) pairs it separates, each share = dispatch bytes / k:
    // the busiest is the middle one, floor(k/2) * ceil(k/2) shares. Its drain
    // starts after one hop's latency (1 us: its neighbours' flows), so the
    // bound is 1 us + that load / 50 GB/s.
    const double share = static_cast<double>(healthy.bytes.dispatch_bytes) / k;
    const double carried = share * static_cast<double>((k / 2) * ((k + 1) / 2));
    const PhaseResult& d = faulty.layers.front().phases.front();
    REQUIRE(d.kind == PhaseKind::kDispatch);
    CHECK(d.critical_link_bytes == Approx(carried).epsilon(1e-3));
    CHECK(faulty.layers.front().phase_us(PhaseKind::kDispatch) == Approx(1.0 + carried / 50e9 * 1e6).epsilon(1e-3));
    CHECK(faulty.layers.front().phase_us(PhaseKind::kDispatch) > healthy.layers.front().phase_us(PhaseKind::kDispatch));
    // No flow crosses the dead link: it carries nothing.
    for (std::size_t l = 0; l < t.links.size(); ++l)
      if (t.links[l].down) CHECK(d.link_bytes[l] == 0);
    CHECK(faulty.faults.size() == 1);
    CHECK(faulty.rerouted_pairs == t.num_overridden_routes());
  }
}

TEST_CASE("a dead link of a 4x4x4 torus: the pairs through it found from coordinates, detours the other way round",
          "[faults]") {
  TempDir dir("moesim-faults-torus");
  for (const char* antipodal : {"positive", "split"}) {
    INFO(antipodal);
    const Scenario s = on_platform(dir,
                                   std::string("name: t\ntopology: {kind: torus, dims: [4, 4, 4], bandwidth: 45GBps, "
                                               "latency: 1us, antipodal: ") +
                                       antipodal + "}\n",
                                   64, 64, "faults: [{link: ici-y-5, down: true}, {link: ici-z-40, down: true}]\n");
    Scenario healthy_s = s;
    healthy_s.platform.faults.clear();
    const Topology healthy = load_topology(healthy_s.platform, nullptr);
    const Topology t = load_topology(s.platform, nullptr);
    CHECK_FALSE(any_route_crosses_dead(t));
    // Exactly the pairs whose healthy route crossed a dead link got a new one.
    std::size_t crossed = 0, changed = 0;
    for (ChipId a = 0; a < 64; ++a)
      for (ChipId b = 0; b < 64; ++b) {
        if (a == b) continue;
        bool was = false;
        for (LinkId l : healthy.route(a, b)) was = was || t.links[l].down;
        crossed += was;
        changed += route_names(healthy, a, b) != route_names(t, a, b);
        if (!was) CHECK(route_names(healthy, a, b) == route_names(t, a, b));
      }
    CHECK(crossed > 0);
    CHECK(t.num_overridden_routes() == crossed);
    CHECK(changed == crossed);
  }
}

TEST_CASE("a dead switch takes its links down; routes go around it or the group is cut off", "[faults]") {
  TempDir dir("moesim-faults-switch");
  const Scenario healthy_s = on_platform(
      dir, "name: ft\ntopology: {kind: fat_tree, k: 4, levels: 3, bandwidth: 50GBps, latency: 1us}\n", 64, 64, "");
  const Topology healthy = load_topology(healthy_s.platform, nullptr);
  REQUIRE(!healthy.switches.empty());
  // A switch some route crosses: the one a route from chip 0 to the last chip climbs to first.
  const std::string sw = healthy.links[*healthy.route(0, 63).begin()].to;
  Scenario s = healthy_s;
  LinkFault f;
  f.node = sw;
  f.down = true;
  s.platform.faults = {f};
  const Topology t = load_topology(s.platform, nullptr);
  std::size_t cut = 0;
  CHECK_FALSE(any_route_crosses_dead(t, &cut));
  CHECK(t.num_overridden_routes() > 0);
  // That switch holds the only uplinks of chips 0 to 3 (k = 4 a leaf): they
  // are cut off from the 60 others both ways and from one another: down.
  CHECK(cut == 2 * 4 * 60 + 4 * 3);
  CHECK_THROWS_WITH(run(s), Catch::Contains("faults: chip chip-0 of the EP group is down (dead: "));
  // A switch that is no leaf: every pair keeps a route.
  const std::string spine = healthy.links[healthy.route(0, 63)[1]].to;
  s.platform.faults[0].node = spine;
  const Topology around = load_topology(s.platform, nullptr);
  cut = 0;
  CHECK_FALSE(any_route_crosses_dead(around, &cut));
  CHECK(cut == 0);
  CHECK(around.num_overridden_routes() > 0);
  CHECK(run(s).layers.front().phase_us(PhaseKind::kDispatch) > 0);
  f.node = "nosuch-sw";
  s.platform.faults = {f};
  CHECK_THROWS_WITH(load_topology(s.platform, nullptr), Catch::Contains("is not a switch or chip of platform ft (nearest: sw-"));
}

namespace {

// A uniform all-to-all of 16 GPUs: 2 nodes of 8, NVLink 450 GB/s and 1 us,
// NICs of 50 GB/s and 2 us.
Scenario gpu_cluster(const TempDir& dir, const std::string& extra) {
  return on_platform(dir,
                     "name: g\ntopology: {kind: gpu_cluster, nodes: 2, gpus_per_node: 8, nvlink: {bandwidth: 450GBps, "
                     "latency: 1us}, nic: {bandwidth: 50GBps, latency: 2us}}\n",
                     16, 1024, extra);
}

}  // namespace

TEST_CASE("a GPU cluster's dead NIC: its traffic goes through the neighbour GPU's NIC", "[faults]") {
  TempDir dir("moesim-faults-gpu");
  const Scenario s = gpu_cluster(dir, "faults: [{link: nic-3, down: true}]\n");
  const Topology t = load_topology(s.platform, nullptr);
  CHECK_FALSE(any_route_crosses_dead(t));
  // Out of node 0 to rail 3: NVLink to GPU 4 (the next rail), its NIC, rail
  // 4 to GPU 12, NVLink to GPU 11.
  CHECK(route_names(t, 0, 11) == "nvlink-0_UP nvlink-4_DOWN nic-4_UP nic-12_DOWN nvlink-12_UP nvlink-11_DOWN");
  CHECK(route_names(t, 3, 11) == "nvlink-3_UP nvlink-4_DOWN nic-4_UP nic-12_DOWN nvlink-12_UP nvlink-11_DOWN");
  // Into GPU 3 likewise, through GPU 4's NIC.
  CHECK(route_names(t, 8, 3) == "nvlink-8_UP nvlink-12_DOWN nic-12_UP nic-4_DOWN nvlink-4_UP nvlink-3_DOWN");
  // Other rails and NVLink inside a node keep their routes.
  CHECK(route_names(t, 0, 9) == "nvlink-0_UP nvlink-1_DOWN nic-1_UP nic-9_DOWN");
  CHECK(route_names(t, 0, 3) == "nvlink-0_UP nvlink-3_DOWN");
  // The pairs through GPU 3's NIC: node 0's 8 GPUs to GPU 11 (through GPU
  // 3, on its rail) and node 1's 8 to GPU 3 (through GPU 11).
  CHECK(t.num_overridden_routes() == 2 * 8);
  // A dead NVLink: its GPU reaches its node's others through the NICs and
  // the other node.
  const Scenario one = gpu_cluster(dir, "faults: [{link: nvlink-5, down: true}]\n");
  const Topology cut = load_topology(one.platform, nullptr);
  CHECK_FALSE(any_route_crosses_dead(cut));
  CHECK(cut.route(5, 6).size() > 2);  // out by its NIC, through node 1 and back
}

TEST_CASE("a GPU cluster NIC at half its bandwidth doubles the all-to-all's bandwidth term (alpha-beta)", "[faults]") {
  TempDir dir("moesim-faults-gpu-half");
  const RunReport healthy = run(gpu_cluster(dir, ""));
  const RunReport faulty = run(gpu_cluster(dir, "faults: [{link: nic-3, bandwidth: 0.5}]\n"));
  // Alpha-beta: every GPU sends share = dispatch bytes / 16 to each GPU. A
  // NIC's outbound side carries its node's 8 shares to the GPU of its rail in
  // the other node (PXN: through the GPU on the destination's rail), so beta =
  // 8 * share / 50 GB/s; NVLinks carry at most 14 shares at 450 GB/s, less.
  // Alpha: the NIC's first flow's latency, its own GPU's (NIC 2 us, NIC 2 us).
  const double share = static_cast<double>(healthy.bytes.dispatch_bytes) / 16;
  const double alpha_us = 4, beta_us = 8 * share / 50e9 * 1e6;
  CHECK(healthy.layers.front().phase_us(PhaseKind::kDispatch) == Approx(alpha_us + beta_us).epsilon(0.05));
  CHECK(faulty.layers.front().phase_us(PhaseKind::kDispatch) == Approx(alpha_us + 2 * beta_us).epsilon(0.05));
}

TEST_CASE("fault draws: k links or each with probability p, the same links from the same seed", "[faults]") {
  TempDir dir("moesim-faults-draw");
  auto drawn = [&](const std::string& draw) {
    const Scenario s = ring(dir, 16, "fault_draw: " + draw + "\n");
    const Topology t = load_topology(s.platform, nullptr);
    std::vector<std::string> names;
    for (const LinkFault& f : platform_faults(s.platform, t)) names.push_back(f.link);
    return names;
  };
  const auto a = drawn("{links: 3, seed: 7, bandwidth: 0.5}");
  CHECK(a.size() == 3);
  CHECK(a == drawn("{links: 3, seed: 7, bandwidth: 0.5}"));
  CHECK(a != drawn("{links: 3, seed: 8, bandwidth: 0.5}"));
  CHECK(drawn("{links: 16, seed: 1, bandwidth: 0.5}").size() == 16);
  CHECK(drawn("{probability: 0, seed: 1}").empty());
  CHECK(drawn("{probability: 1, seed: 1, bandwidth: 0.5}").size() == 16);
  const auto half = drawn("{probability: 0.5, seed: 3, bandwidth: 0.5}");
  CHECK(half.size() > 2);
  CHECK(half.size() < 14);
  // A dotted --set reaches the draw's seed, as a sweep axis does.
  const std::string path = dir.file("ring16.yaml");  // written by the last ring()
  const Scenario reseeded =
      load_scenario(path, {"fault_draw={links: 3, seed: 7, bandwidth: 0.5}", "fault_draw.seed=8"});
  CHECK(reseeded.platform.fault_draw.seed == 8);
  CHECK(reseeded.platform.fault_draw.links == 3);
  // One dead link on a ring reroutes; two cut it.
  const Scenario one = ring(dir, 16, "fault_draw: {links: 1, seed: 5}\n");
  const RunReport r = run(one);
  REQUIRE(r.faults.size() == 1);
  CHECK(r.faults.front().down);
  CHECK(r.rerouted_pairs > 0);
  CHECK_THROWS_WITH(run(ring(dir, 16, "fault_draw: {links: 2, seed: 5}\n")), Catch::Contains("fault_draw: chip"));
  CHECK_THROWS_WITH(run(ring(dir, 16, "fault_draw: {links: 17, seed: 5}\n")),
                    Catch::Contains("fault_draw.links: 17 is more than the 16 links of platform ring-16"));
  CHECK_THROWS_WITH(ring(dir, 16, "fault_draw: {probability: 1.5}\n"), Catch::Contains("1.5 is not in [0, 1]"));
  CHECK_THROWS_WITH(ring(dir, 16, "fault_draw: {seed: 1}\n"), Catch::Contains("give links"));
}

TEST_CASE("a dead chip: its links down, routes through it go around; in the EP group it is an error", "[faults]") {
  TempDir dir("moesim-faults-chip");
  const std::string torus = "name: t\ntopology: {kind: torus, dims: [4, 4, 4], bandwidth: 45GBps, latency: 1us}\n";
  // Chip 5 sits at (1, 1, 0): chip 1 (1, 0, 0) reached chip 9 (1, 2, 0) through it.
  const Scenario apart =
      on_platform(dir, torus, 8, 64,
                  "faults: [{chip: 5, down: true}]\ndeployment: {global_batch: 64, ep: 8, placement: "
                  "[chip-0, chip-1, chip-2, chip-3, chip-4, chip-6, chip-7, chip-9]}\n");
  const Topology t = load_topology(apart.platform, nullptr);
  std::size_t dead = 0;
  for (const Link& l : t.links) dead += l.down;
  CHECK(dead == 12);  // 6 physical links, both ways
  CHECK_FALSE(any_route_crosses_dead(t));
  CHECK(route_names(t, 1, 9) == "ici-y-13_DOWN ici-y-9_DOWN");  // the other way round the y ring
  CHECK(run(apart).layers.front().phase_us(PhaseKind::kDispatch) > 0);
  const Scenario in_group = on_platform(dir, torus, 64, 64, "faults: [{chip: chip-5, down: true}]\n");
  CHECK_THROWS_WITH(run(in_group),
                    Catch::Contains("faults: chip chip-5 of the EP group is down (dead: ici-y-1, ici-x-4, "));
  const Scenario typo = on_platform(dir, torus, 64, 64, "faults: [{chip: chip-99, down: true}]\n");
  CHECK_THROWS_WITH(load_topology(typo.platform, nullptr),
                    Catch::Contains("faults[0].node: 'chip-99' is not a switch or chip of platform t (nearest: chip-"));
}
