// How an MoE layer's compute and its all-to-all overlap: the batch cut into
// micro-batches, each with its own routing draw and flows, and the layer
// written as synchronised steps. A step holds lanes that run at once; a
// lane runs its operations one after another; a step ends when its last
// lane does, and the next starts then. Communication of a step that sits
// at the same place among the communications of its lanes (its round) is
// in flight at once and shares the links in the replay.
//
//   none  one micro-batch, one lane: attention, gate, dispatch, shared,
//         experts, combine, output in turn (the layer as moesim had it).
//   sbo   single-batch overlap: the shared expert under the dispatch, the
//         down GEMM under the combine.
//   tbo   two-batch overlap as DeepSeek published it (deepseek-ai/profile-data),
//         decode when seq_len is 1, else prefill; tbo-decode-sglang: SGLang's
//         order of the same stages, where two transfers leave together.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "moesim/enum_table.hpp"

namespace moesim {

enum class OpKind { kAttnPre, kAttnCore, kGate, kShared, kExperts, kExpertsUp, kExpertsDown, kOutput, kDispatch, kCombine };
inline constexpr EnumTable<OpKind, 10> kOpNames{{{OpKind::kAttnPre, "attn_pre"},
                                                 {OpKind::kAttnCore, "attn_core"},
                                                 {OpKind::kGate, "gate"},
                                                 {OpKind::kShared, "shared"},
                                                 {OpKind::kExperts, "experts"},
                                                 {OpKind::kExpertsUp, "experts_up"},
                                                 {OpKind::kExpertsDown, "experts_down"},
                                                 {OpKind::kOutput, "output"},
                                                 {OpKind::kDispatch, "dispatch"},
                                                 {OpKind::kCombine, "combine"}}};
inline bool is_comm(OpKind k) { return k == OpKind::kDispatch || k == OpKind::kCombine; }

// One operation of one micro-batch (0 = a, 1 = b, ...).
struct Op {
  OpKind kind = OpKind::kAttnPre;
  std::uint32_t micro_batch = 0;
  bool operator==(const Op& o) const { return kind == o.kind && micro_batch == o.micro_batch; }
};
// "dispatch.b"; without the suffix when there is one micro-batch.
std::string op_text(const Op& op, std::uint32_t micro_batches);

using Lane = std::vector<Op>;
struct Step {
  std::vector<Lane> lanes;
};

struct Schedule {
  std::string name = "none";
  std::uint32_t micro_batches = 1;
  std::vector<Step> steps;
  bool overlaps() const { return micro_batches > 1 || name != "none"; }
};

// The shipped schedules by name: none, sbo, tbo (decode: seq_len 1),
// tbo-decode, tbo-prefill, tbo-decode-sglang; false for another name.
std::vector<std::string> schedule_names();
bool shipped_schedule(const std::string& name, bool decode, Schedule& out);

// A lane written as text: operations separated by spaces, each NAME or
// NAME.MB (MB a letter a, b, ...; a when left out). Throws InputError
// naming `what` (e.g. "overlap.steps[1][0]") and the bad word.
Lane parse_lane(const std::string& text, std::uint32_t micro_batches, const std::string& what);

// Checks a schedule: every micro-batch dispatches once, runs its experts
// (experts, or experts_up then experts_down) after its dispatch and
// combines after them, and runs each other operation at most once. Throws
// InputError naming `where` and the problem.
void check_schedule(const Schedule& s, const std::string& where);

// The comm operations of a step by round: round r holds the r-th comm op of
// every lane that has one.
std::vector<std::vector<Op>> comm_rounds(const Step& step);

// An operation's place in a layer's time line: from the layer's start, on
// the chip with the most compute (a transfer: its round's time).
struct OpSpan {
  Op op;
  std::size_t step = 0, lane = 0;
  double start_us = 0, dur_us = 0;
};

// One layer's times under a schedule. A lane's time on a chip is its
// compute operations' times on that chip plus its rounds' times; a step's
// is its slowest lane on its slowest chip.
struct LayerTimeline {
  std::vector<double> step_us;
  std::vector<std::size_t> critical_lane;  // per step
  double layer_us = 0;
  double compute_us = 0;  // the busiest chip's compute, every operation of every micro-batch
  double comm_us = 0;     // every round's time (rounds in flight at once counted once)
  std::size_t busiest_chip = 0;  // index into compute()'s vectors
  std::vector<OpSpan> spans;     // every operation on the busiest chip
  // What the layer takes beyond its compute, and the share of the
  // communication hidden under compute (1: all of it; 0 without any).
  double exposed_us() const { return layer_us > compute_us ? layer_us - compute_us : 0.0; }
  double overlap_efficiency() const { return comm_us > 0 ? 1.0 - std::min(1.0, exposed_us() / comm_us) : 0.0; }
};

// compute(op): the op's time on every chip (the same number of chips for
// every op; empty: 0 everywhere); round_us[step][round]: each round's time.
LayerTimeline evaluate_schedule(const Schedule& s, const std::function<std::vector<double>(const Op&)>& compute,
                                const std::vector<std::vector<double>>& round_us);

}  // namespace moesim
