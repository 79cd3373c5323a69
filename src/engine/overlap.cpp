// A run under an overlap schedule (engine/overlap.hpp).
#include "engine/overlap.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <tuple>

#include "engine/run_parts.hpp"
#include "moesim/error.hpp"
#include "platform/analysis.hpp"
#include "util/format.hpp"
#include "util/progress.hpp"

namespace moesim {
namespace {

// global_batch cut into `parts` micro-batches as evenly as it goes, the
// first ones a request larger.
std::vector<std::uint64_t> split_batch(std::uint64_t batch, std::uint32_t parts) {
  std::vector<std::uint64_t> out(parts, batch / parts);
  for (std::uint64_t i = 0; i < batch % parts; ++i) ++out[i];
  return out;
}

struct MicroBatch {
  Scenario scenario;  // the scenario with this micro-batch's global_batch
  LayerPlan plan;     // its traffic (its own routing draw) and each chip's expert load
  double tokens_chip = 0;  // tokens an EP rank holds: its batch x seq_len / ep
};

// The phases an operation's traffic runs, in order: a dispatch; a combine
// and, with moe_tp > 1, the all-gather of its output.
std::vector<const Phase*> op_phases(const LayerTraffic& t, OpKind k) {
  std::vector<const Phase*> out;
  for (PhaseKind p : k == OpKind::kDispatch ? std::vector<PhaseKind>{PhaseKind::kDispatch}
                                            : std::vector<PhaseKind>{PhaseKind::kCombine, PhaseKind::kAllgather})
    if (const Phase* ph = t.phase(p)) out.push_back(ph);
  return out;
}

// A round's traffic: stage i of every operation's phases joined into one
// stage, all of them in one phase of the kind whose start-up is longest
// (operations that leave together pay the longest start-up once).
LayerTraffic round_traffic(const std::vector<Op>& ops, const std::vector<const LayerTraffic*>& of_micro_batch,
                           const Calibration& cal, std::uint32_t micro_batches) {
  std::vector<std::vector<const Stage*>> lists;
  std::vector<std::string> names;
  PhaseKind kind = PhaseKind::kDispatch;
  double longest = -1;
  for (const Op& op : ops) {
    std::vector<const Stage*> list;
    for (const Phase* ph : op_phases(*of_micro_batch[op.micro_batch], op.kind))
      for (const Stage& st : ph->stages()) list.push_back(&st);
    lists.push_back(std::move(list));
    names.push_back(op_text(op, micro_batches));
    const PhaseKind k = op.kind == OpKind::kDispatch ? PhaseKind::kDispatch : PhaseKind::kCombine;
    if (startup_us(cal, k) > longest) {
      longest = startup_us(cal, k);
      kind = k;
    }
  }
  std::size_t stages = 0;
  for (const auto& l : lists) stages = std::max(stages, l.size());
  Phase phase(kind);
  for (std::size_t i = 0; i < std::max<std::size_t>(stages, 1); ++i) {
    Stage joined;
    for (std::size_t o = 0; o < lists.size(); ++o) {
      if (i >= lists[o].size()) continue;
      const Stage& st = *lists[o][i];
      joined.name += (joined.name.empty() ? "" : "+") + names[o] + (st.name.empty() ? "" : ":" + st.name);
      joined.flows.insert(joined.flows.end(), st.flows.begin(), st.flows.end());
      joined.network_bytes += st.network_bytes;
      joined.local_bytes += st.local_bytes;
    }
    phase.add_stage(std::move(joined));
  }
  LayerTraffic t;
  t.phases.push_back(std::move(phase));
  return t;
}

// Where a round of one flattened layer's step sits among the distinct
// rounds: the same operations on the same distinct traffic are one.
using RoundKey = std::tuple<std::size_t, std::size_t, std::vector<std::tuple<std::uint32_t, int, std::size_t>>>;

// What every compute operation takes on each chip of the EP groups (the
// groups' chips in turn), for one flattened layer.
class ComputePricer {
 public:
  ComputePricer(const Scenario& s, const std::vector<MicroBatch>& mbs, std::size_t chips)
      : s_(s), mbs_(mbs), chips_(chips), chip_(s.platform.compute),
        shape_{s.model.hidden_dim, s.model.moe_intermediate_size}, dtype_(s.precision.dispatch),
        roofline_experts_(!s.compute.experts.given && s.model.moe_intermediate_size && s.model.num_experts &&
                          !chip_.empty()) {}

  std::string experts_priced() const {
    if (s_.compute.experts.given) return format("given: %.3f us a micro-batch", s_.compute.experts.us);
    if (roofline_experts_)
      return format("roofline of moe_intermediate_size %llu on each chip's routed tokens and activated experts",
                    static_cast<unsigned long long>(s_.model.moe_intermediate_size));
    return format("expert_time_us %.3f on every chip", s_.expert_time_us);
  }

  std::vector<double> operator()(std::size_t flat, const Op& op) const {
    const MicroBatch& mb = mbs_[op.micro_batch];
    const double tokens = mb.tokens_chip;
    const std::uint64_t tp = s_.deployment.moe_tp;
    const ComputeSpec& c = s_.compute;
    auto uniform = [&](double us) { return std::vector<double>(chips_, us); };
    switch (op.kind) {
      case OpKind::kExperts:
      case OpKind::kExpertsUp:
      case OpKind::kExpertsDown: {
        const FfnPart part = op.kind == OpKind::kExperts ? FfnPart::kWhole
                             : op.kind == OpKind::kExpertsUp ? FfnPart::kUp
                                                             : FfnPart::kDown;
        const double share = part == FfnPart::kWhole ? 1.0 : part == FfnPart::kUp ? 2.0 / 3.0 : 1.0 / 3.0;
        if (!roofline_experts_) return uniform(share * (c.experts.given ? c.experts.us : s_.expert_time_us));
        std::vector<double> out(chips_);
        const std::vector<RankLoad>& loads = mb.plan.loads.at(flat);
        for (std::size_t i = 0; i < chips_; ++i) out[i] = expert_us(chip_, shape_, dtype_, tp, loads[i], part);
        return out;
      }
      case OpKind::kShared:
        if (c.shared.given || !c.shared.empty()) return uniform(c.shared.time_us(chip_, tokens, dtype_));
        if (s_.model.shared_experts == 0 || chip_.empty() || !s_.model.moe_intermediate_size) return uniform(0);
        return uniform(shared_us(chip_, shape_, s_.model.shared_experts, dtype_, tp, tokens));
      case OpKind::kAttnPre: return uniform(c.attn_pre.time_us(chip_, tokens, dtype_));
      case OpKind::kAttnCore: return uniform(c.attn_core.time_us(chip_, tokens, dtype_));
      case OpKind::kGate: return uniform(c.gate.time_us(chip_, tokens, dtype_));
      case OpKind::kOutput: return uniform(c.output.time_us(chip_, tokens, dtype_));
      case OpKind::kDispatch:
      case OpKind::kCombine: break;
    }
    return uniform(0);
  }

 private:
  const Scenario& s_;
  const std::vector<MicroBatch>& mbs_;
  std::size_t chips_;
  const ChipCompute& chip_;
  ExpertShape shape_;
  DType dtype_;
  bool roofline_experts_;
};

std::vector<std::string> steps_text(const Schedule& sc) {
  std::vector<std::string> out;
  for (const Step& step : sc.steps) {
    std::string text;
    for (const Lane& lane : step.lanes) {
      std::string l;
      for (const Op& op : lane) l += (l.empty() ? "" : " ") + op_text(op, sc.micro_batches);
      text += (text.empty() ? "" : " | ") + l;
    }
    out.push_back(text);
  }
  return out;
}

std::vector<MicroBatch> plan_micro_batches(const Scenario& s, const std::vector<std::vector<ChipId>>& groups,
                                           const RunControl& control) {
  std::vector<MicroBatch> mbs;
  const std::vector<std::uint64_t> batches = split_batch(s.deployment.global_batch, s.schedule.micro_batches);
  for (std::uint32_t m = 0; m < s.schedule.micro_batches; ++m) {
    MicroBatch mb;
    mb.scenario = s;
    mb.scenario.deployment.global_batch = batches[m];
    const LayerBytes bytes = layer_bytes(mb.scenario.byte_model_input());
    mb.plan = plan_layers(mb.scenario, groups, bytes, control.progress, m, true, control.jobs);
    mb.tokens_chip = static_cast<double>(batches[m] * s.deployment.seq_len) / static_cast<double>(s.deployment.ep);
    mbs.push_back(std::move(mb));
  }
  return mbs;
}

// Every round of every step of every layer: the distinct ones as the
// engine's workload, and where each layer's rounds are in it.
struct OverlapRounds {
  Workload work;
  std::vector<std::vector<std::vector<std::size_t>>> round_of;  // [flat][step][round] -> work.layers
};

OverlapRounds plan_rounds(const Scenario& s, const std::vector<std::vector<ChipId>>& groups, const Topology& topo,
                          const std::vector<MicroBatch>& mbs) {
  const Schedule& sc = s.schedule;
  const std::size_t flats = s.samples * s.model.moe_layers;
  OverlapRounds out;
  Workload& work = out.work;
  work.groups = groups;
  work.per_message = mbs.front().plan.work.per_message;
  work.per_peer = mbs.front().plan.work.per_peer;
  if (groups.size() > 1) work.independent = independent_groups(topo, groups);
  for (const Step& step : sc.steps) work.layers_per_worker += comm_rounds(step).size();
  work.layers_per_worker = std::max<std::size_t>(1, work.layers_per_worker - 1);  // a layer's rounds
  std::map<RoundKey, std::size_t> distinct;
  out.round_of.resize(flats);
  for (std::size_t f = 0; f < flats; ++f) {
    std::vector<const LayerTraffic*> traffic;
    for (const MicroBatch& mb : mbs) traffic.push_back(&mb.plan.work.layers[mb.plan.to_distinct[f]]);
    for (std::size_t i = 0; i < sc.steps.size(); ++i) {
      std::vector<std::size_t> rounds;
      for (const std::vector<Op>& ops : comm_rounds(sc.steps[i])) {
        RoundKey key{i, rounds.size(), {}};
        for (const Op& op : ops)
          std::get<2>(key).emplace_back(op.micro_batch, static_cast<int>(op.kind), mbs[op.micro_batch].plan.to_distinct[f]);
        auto [it, added] = distinct.emplace(key, work.layers.size());
        if (added) work.layers.push_back(round_traffic(ops, traffic, s.platform.calibration, sc.micro_batches));
        rounds.push_back(it->second);
      }
      out.round_of[f].push_back(std::move(rounds));
    }
  }
  return out;
}

// Layer l (flattened f): its rounds' results in step order, and its times
// under the schedule.
LayerResult overlapped_layer(const Schedule& sc, std::size_t f, std::size_t l, const LayerStats& stats,
                             const OverlapRounds& rounds, const std::vector<LayerResult>& computed,
                             const ComputePricer& price, const std::vector<ChipId>& chips) {
  LayerResult r;
  r.layer = l;
  r.simulated_as = f;
  r.stats = stats;
  r.overlapped = true;
  std::vector<std::vector<double>> round_us;
  for (std::size_t i = 0; i < sc.steps.size(); ++i) {
    round_us.emplace_back();
    for (std::size_t idx : rounds.round_of[f][i]) {
      double us = 0;
      for (PhaseResult p : computed[idx].phases) {
        us += p.latency_us;
        p.label = format("step %zu: %s", i + 1, p.stage.c_str());
        r.phases.push_back(std::move(p));
      }
      round_us.back().push_back(us);
    }
  }
  const LayerTimeline t = evaluate_schedule(sc, [&](const Op& op) { return price(f, op); }, round_us);
  OverlapResult& o = r.overlap;
  o.layer_us = t.layer_us;
  o.compute_us = t.compute_us;
  o.comm_us = t.comm_us;
  o.exposed_us = t.exposed_us();
  o.overlap_efficiency = t.overlap_efficiency();
  o.step_us = t.step_us;
  o.critical_lane = t.critical_lane;
  o.busiest_chip = t.busiest_chip < chips.size() ? chips[t.busiest_chip] : 0;
  o.micro_batches = sc.micro_batches;
  o.spans = t.spans;
  for (const Step& step : sc.steps)
    for (const Lane& lane : step.lanes)
      for (const Op& op : lane)
        if (!is_comm(op.kind)) {
          const std::vector<double> us = price(f, op);
          o.op_us.emplace_back(op_text(op, sc.micro_batches), us.empty() ? 0.0 : *std::max_element(us.begin(), us.end()));
        }
  return r;
}

}  // namespace

RunReport run_overlapped(const Scenario& s, const Topology& topo, LayerEngine& engine, const RunControl& control) {
  const auto wall0 = std::chrono::steady_clock::now();
  auto log = spdlog::get("run");
  const std::vector<std::vector<ChipId>> groups = group_chips(s, topo);
  RunReport rep = report_head(s, topo, groups);
  const EngineInfo info = engine.info();
  engine_head(s, info, rep);
  if (!info.honours_algorithm)
    fail(s.where_overlap, "engine",
         info.name + " prices the scenario's whole batch, not each micro-batch's own traffic: use engine bound or "
                     "simgrid with compute or overlap");
  check_run_memory(s, estimate_run(s, topo.links.size()));
  const Schedule& sc = s.schedule;
  std::vector<MicroBatch> mbs = plan_micro_batches(s, groups, control);
  std::vector<ChipId> chips;  // every group's chips in turn, as the pricer counts them
  for (const auto& g : groups) chips.insert(chips.end(), g.begin(), g.end());

  OverlapRounds rounds = plan_rounds(s, groups, topo, mbs);
  Workload& work = rounds.work;
  work.threads = control.jobs;
  // The rounds hold copies of every flow: the micro-batches' own traffic is
  // no longer needed (less to copy into each forked replay worker).
  for (MicroBatch& mb : mbs) std::vector<LayerTraffic>().swap(mb.plan.work.layers);
  if (log)
    log->info("overlap {}: {} micro-batches, {} layers' rounds in {} distinct", sc.name, sc.micro_batches,
              s.samples * s.model.moe_layers, work.layers.size());
  std::unique_ptr<ProgressLine> progress;
  if (control.progress) {
    const std::size_t rounds = work.layers.size();
    progress = std::make_unique<ProgressLine>("simulated round", rounds);
    work.progress = [&progress, rounds](std::size_t done, std::size_t total) { progress->update(done * rounds / total); };
  }
  std::vector<LayerResult> computed = engine.compute(topo, work);
  progress.reset();
  const Calibration& cal = s.platform.calibration;
  if (!info.own_startups) add_startups(cal, computed);
  explain_phases(topo, cal, info.lower_bound, work, computed, control.jobs);

  const ComputePricer price(s, mbs, chips.size());
  for (std::uint64_t k = 0; k < s.samples; ++k) {
    std::vector<LayerResult> layers;
    for (std::uint64_t l = 0; l < s.model.moe_layers; ++l) {
      const std::size_t f = k * s.model.moe_layers + l;
      layers.push_back(overlapped_layer(sc, f, l, mbs.front().plan.stats[f], rounds, computed, price, chips));
    }
    rep.sample_seeds.push_back(s.seed + k);
    rep.sample_layers.push_back(std::move(layers));
  }
  rep.layers = rep.sample_layers.front();
  rep.distinct_layers = s.samples * s.model.moe_layers;
  rep.schedule = sc.name;
  rep.schedule_steps = steps_text(sc);
  for (const MicroBatch& mb : mbs) rep.micro_batch_tokens.push_back(mb.scenario.deployment.global_batch * s.deployment.seq_len);
  rep.chip_compute = chip_compute_text(s.platform.compute);
  rep.experts_priced = price.experts_priced();
  rep.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (log) log->info("done in {:.3f} s", rep.wall_s);
  return rep;
}

}  // namespace moesim
