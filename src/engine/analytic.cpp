// The Tier6 / DS_TPU closed form (Tier6-Model's CommProtocolCostModel in
// backend/perf_model/L4_evaluation/common/cost_models/comm_protocol.py).
#include "engine/analytic.hpp"

#include <cassert>

#include "moesim/engine.hpp"

namespace moesim {

double start_latency_us(const CommParams& p) {
  assert(p.c2c_latency_us && "resolve the comm params first (resolved_comm_params)");
  return 2 * *p.c2c_latency_us + p.memory_read_latency_us + p.memory_write_latency_us + p.noc_latency_us +
         2 * p.die_to_die_latency_us;
}

double dispatch_start_latency_us(const CommParams& p) {
  return start_latency_us(p) + 2 * p.switch_latency_us + 2 * p.cable_latency_us;
}

double alltoall_us(std::uint64_t bytes, const CommParams& p) {
  return static_cast<double>(bytes) / p.inter_bw_Bps / p.bandwidth_utilization * 1e6 +
         dispatch_start_latency_us(p) + p.cpu_fetch_delay_us;
}

double allgather_us(std::uint64_t bytes, std::uint64_t moe_tp, const CommParams& p) {
  const double peers = static_cast<double>(moe_tp - 1);
  return peers * static_cast<double>(bytes) / p.c2c_bw_Bps / p.bandwidth_utilization * 1e6 +
         peers * start_latency_us(p);
}

LayerResult analytic_layer(const LayerBytes& bytes, const LayerTraffic& traffic, std::uint64_t moe_tp,
                           const CommParams& comm) {
  LayerResult r;
  for (const Phase& ph : traffic.phases) {
    // The closed form prices the phase's bytes once, however many stages
    // an algorithm cuts it into.
    PhaseResult p = traffic_result(ph);
    switch (ph.kind()) {
      case PhaseKind::kDispatch: p.latency_us = alltoall_us(bytes.dispatch_bytes, comm); break;
      case PhaseKind::kCombine: p.latency_us = alltoall_us(bytes.combine_bytes, comm); break;
      case PhaseKind::kAllgather: p.latency_us = allgather_us(bytes.combine_bytes, moe_tp, comm); break;
    }
    r.phases.push_back(p);
  }
  return r;
}

namespace {

class AnalyticEngine final : public LayerEngine {
 public:
  AnalyticEngine(const LayerBytes& bytes, std::uint64_t moe_tp, const CommParams& comm)
      : bytes_(bytes), moe_tp_(moe_tp), comm_(comm) {}

  EngineInfo info() const override { return EngineInfo{"analytic", "", "", {}, false, true, false}; }

  // Every group runs the same closed form, so each takes the phase's time.
  std::vector<LayerResult> compute(const Topology&, const Workload& w) override {
    std::vector<LayerResult> out;
    for (const LayerTraffic& t : w.layers) {
      out.push_back(analytic_layer(bytes_, t, moe_tp_, comm_));
      if (w.groups.size() > 1)
        for (PhaseResult& p : out.back().phases) p.group_us.assign(w.groups.size(), p.latency_us);
    }
    return out;
  }

 private:
  LayerBytes bytes_;
  std::uint64_t moe_tp_;
  CommParams comm_;
};

}  // namespace

std::unique_ptr<LayerEngine> make_analytic_engine(const LayerBytes& bytes, std::uint64_t moe_tp,
                                                  const CommParams& comm) {
  return std::make_unique<AnalyticEngine>(bytes, moe_tp, comm);
}

}  // namespace moesim
