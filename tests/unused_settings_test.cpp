// The settings a run cannot honour, each named before the run.
#include "model/unused_settings.hpp"

#include <catch2/catch.hpp>
#include <functional>

using namespace moesim;

namespace {

struct Row {
  const char* what;
  std::function<void(Scenario&)> set;
  std::vector<std::string> lines;  // the expected lines, each by a piece of its text; empty: none
};

bool has(const std::string& line, const std::string& piece) { return line.find(piece) != std::string::npos; }

}  // namespace

TEST_CASE("every setting the engine, fidelity, platform or routing cannot honour is named", "[scenario]") {
  const auto flow = [](Scenario& s) { s.simgrid.fidelity = Fidelity::kFlow; };
  const auto xml = [](Scenario& s) { s.platform.kind = PlatformSpec::Kind::kXml; };
  const Row rows[] = {
      {"the defaults", [](Scenario&) {}, {}},
      // Issue 26: the same time for every network model under ptask, silently.
      {"ptask, LV08", [](Scenario& s) { s.simgrid.network_model = "LV08"; },
       {"simgrid.network_model LV08 is for the flow fidelity"}},
      {"ptask, IB", [](Scenario& s) { s.simgrid.network_model = "IB"; }, {"simgrid.network_model IB is for the flow"}},
      {"ptask, link_load", [](Scenario& s) { s.simgrid.link_load = true; }, {"simgrid.link_load is for the flow"}},
      {"ptask, blocks of links", [](Scenario& s) { s.simgrid.ptask_max_links = 32; }, {}},
      {"ptask, blocks of links on XML",
       [&](Scenario& s) {
         xml(s);
         s.simgrid.ptask_max_links = 32;
       },
       {"simgrid.ptask_max_links 32 is for a generated platform"}},
      {"flow, CM02", flow, {}},
      {"flow, SMPI",
       [&](Scenario& s) {
         flow(s);
         s.simgrid.network_model = "SMPI";
       },
       {"simgrid.network_model SMPI scales bandwidth and latency"}},
      {"flow, blocks of links",
       [&](Scenario& s) {
         flow(s);
         s.simgrid.ptask_max_links = 8;
       },
       {"simgrid.ptask_max_links 8 is for the ptask fidelity"}},
      {"flow, link_load",
       [&](Scenario& s) {
         flow(s);
         s.simgrid.link_load = true;
       },
       {}},
      {"flow, link_load on XML",
       [&](Scenario& s) {
         flow(s);
         xml(s);
         s.simgrid.link_load = true;
       },
       {"simgrid.link_load is for a generated platform"}},
      {"bound, every simgrid key in one line",
       [](Scenario& s) {
         s.engine = Engine::kBound;
         s.simgrid.network_model = "LV08";
         s.simgrid.fidelity = Fidelity::kFlow;
         s.simgrid.cfg = {"network/optim:Full"};
       },
       {"the bound engine replays nothing in SimGrid: it ignores simgrid.network_model LV08, simgrid.fidelity flow and "
        "simgrid.cfg [network/optim:Full]"}},
      {"bound, an algorithm and message costs",
       [](Scenario& s) {
         s.engine = Engine::kBound;
         s.comm.algorithm = CommAlgorithm::kNodeDedup;
         s.comm.per_message_us = 0.5;
         s.comm.message_bytes = 4096;
       },
       {}},
      {"bound, comm_params",
       [](Scenario& s) {
         s.engine = Engine::kBound;
         s.where_comm_params = "x.yaml:9";
       },
       {"comm_params (x.yaml:9) is for the analytic engine's closed form: the bound engine"}},
      {"simgrid, comm_params", [](Scenario& s) { s.where_comm_params = "x.yaml:9"; }, {"the simgrid engine uses"}},
      {"analytic, comm_params",
       [](Scenario& s) {
         s.engine = Engine::kAnalytic;
         s.where_comm_params = "x.yaml:9";
       },
       {}},
      {"analytic, the defaults", [](Scenario& s) { s.engine = Engine::kAnalytic; }, {}},
      {"analytic, what the closed form leaves out, in one line",
       [](Scenario& s) {
         s.engine = Engine::kAnalytic;
         s.comm.algorithm = CommAlgorithm::kNodeDedup;
         s.comm.token_overhead_bytes = 224;
         s.routing.model = RoutingSpec::Model::kRandom;
         s.platform.calibration.dispatch_startup_us = 3;
       },
       {"the analytic engine is Tier6's closed form (the byte model's per-chip bytes, one direct all-to-all, no "
        "message cost, its own start latencies): it ignores comm.algorithm node_dedup, comm.token_overhead_bytes 224, "
        "the platform's calibrated start-ups 3 / 0 / 0 us and traffic.routing random"}},
      {"analytic and simgrid keys: two lines",
       [](Scenario& s) {
         s.engine = Engine::kAnalytic;
         s.comm.per_message_us = 1;
         s.simgrid.link_load = true;
       },
       {"it ignores comm.per_message_us 1", "the analytic engine replays nothing in SimGrid: it ignores "
                                            "simgrid.link_load true"}},
      {"messages that cost nothing", [](Scenario& s) { s.comm.message_bytes = 4096; },
       {"comm.message_bytes 4096 changes only the message counts"}},
      {"messages with a calibrated cost",
       [](Scenario& s) {
         s.comm.message_bytes = 4096;
         s.platform.calibration.per_message_us.all_us = 0.2;
       },
       {}},
      {"zipf's exponent under random routing",
       [](Scenario& s) {
         s.routing.model = RoutingSpec::Model::kRandom;
         s.routing.zipf_exponent = 1.2;
       },
       {"traffic.routing random does not read traffic.zipf_exponent 1.2"}},
      {"zipf's exponent under zipf routing",
       [](Scenario& s) {
         s.routing.model = RoutingSpec::Model::kZipf;
         s.routing.zipf_exponent = 1.2;
         s.routing.redraw_per_layer = false;
       },
       {}},
      {"uniform shares draw nothing",
       [](Scenario& s) {
         s.routing.dedup = false;
         s.routing.placement = RoutingSpec::Placement::kRoundRobin;
         s.samples = 3;
       },
       {"traffic.routing uniform does not read traffic.dedup false, traffic.expert_placement round_robin and "
        "samples 3"}},
  };
  for (const Row& r : rows) {
    Scenario s;
    r.set(s);
    const std::vector<std::string> got = unused_settings(s);
    std::string text;
    for (const auto& line : got) text += "\n  " + line;
    INFO(r.what << ":" << text);
    REQUIRE(got.size() == r.lines.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(has(got[i], r.lines[i]));
  }
}

TEST_CASE("SimGrid counts link bytes under the flow fidelity on a generated platform only", "[scenario]") {
  Scenario s;
  CHECK_FALSE(simgrid_counts_link_bytes(s));  // ptask
  s.simgrid.fidelity = Fidelity::kFlow;
  CHECK(simgrid_counts_link_bytes(s));
  s.platform.kind = PlatformSpec::Kind::kXml;
  CHECK_FALSE(simgrid_counts_link_bytes(s));
  s.platform.kind = PlatformSpec::Kind::kGraph;
  s.engine = Engine::kBound;
  CHECK_FALSE(simgrid_counts_link_bytes(s));
}
