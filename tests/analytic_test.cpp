// The Tier6 / DS_TPU closed form against a hand computation.
#include "engine/analytic.hpp"

#include <catch2/catch.hpp>

using namespace moesim;

namespace {
CommParams sg2262() {
  CommParams p;
  p.bandwidth_utilization = 0.95;
  p.c2c_latency_us = 0.2;  // the c2c link's latency (interconnect.links.c2c.latency_us)
  p.memory_read_latency_us = 0.15;
  p.memory_write_latency_us = 0.01;
  p.noc_latency_us = 0.05;
  p.die_to_die_latency_us = 0.04;
  p.switch_latency_us = 1.0;
  p.cable_latency_us = 0.025;
  p.cpu_fetch_delay_us = 0;
  p.inter_bw_Bps = 450e9;
  p.c2c_bw_Bps = 400e9;
  return p;
}
}  // namespace

TEST_CASE("Tier6 benchmark on SG2262 by hand", "[analytic]") {
  const CommParams p = sg2262();
  // start_lat = 2*0.2 + 0.15 + 0.01 + 0.05 + 2*0.04 = 0.69 us
  CHECK(start_latency_us(p) == Approx(0.69));
  // dispatch_start_lat = 0.69 + 2*1.0 + 2*0.025 = 2.74 us
  CHECK(dispatch_start_latency_us(p) == Approx(2.74));
  // global batch 2048, top-8, ep 32: 512 tokens, dispatch 512 * 7168 = 3,670,016 B (FP8)
  // 3670016 / 450e9 / 0.95 * 1e6 = 8.584832... us, + 2.74
  CHECK(alltoall_us(3670016, p) == Approx(3670016 / 450e9 / 0.95 * 1e6 + 2.74).epsilon(1e-12));
  // Tier6-Model's regression (docs/TODO/regression-test-findings.md): 11.32 us and 19.91 us.
  CHECK(alltoall_us(3670016, p) == Approx(11.3248).epsilon(1e-5));
  CHECK(alltoall_us(7340032, p) == Approx(19.9097).epsilon(1e-5));  // BF16 combine
  // moe_tp 4: 3 * bytes / c2c_bw / 0.95 * 1e6 + 3 * 0.69
  CHECK(allgather_us(1000000, 4, p) == Approx(3 * 1e6 / 400e9 / 0.95 * 1e6 + 3 * 0.69));
  CHECK(allgather_us(1000000, 1, p) == 0);
}

TEST_CASE("analytic layer picks dispatch and combine bytes", "[analytic]") {
  LayerBytes b{512, 3670016, 7340032};
  LayerTraffic t;
  t.phases = {Phase(PhaseKind::kDispatch), Phase(PhaseKind::kCombine), Phase(PhaseKind::kAllgather)};
  LayerResult r = analytic_layer(b, t, 2, sg2262());
  CHECK(r.phase_us(PhaseKind::kDispatch) == Approx(alltoall_us(3670016, sg2262())));
  CHECK(r.phase_us(PhaseKind::kCombine) == Approx(alltoall_us(7340032, sg2262())));
  CHECK(r.phase_us(PhaseKind::kAllgather) == Approx(allgather_us(7340032, 2, sg2262())));
}
