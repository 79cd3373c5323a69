// What a chip computes in an MoE layer besides the all-to-all: the routed
// experts' grouped GEMM and the shared expert as a roofline of FLOPs and HBM
// bytes on the platform's chip, and the other per-layer work (attention,
// gate, output) as given times or the same roofline.
//
//   ChipCompute h800 = ...;                       // a platform's `compute:` block
//   double us = expert_us(h800, model, DType::kFp8, 1, {tokens, experts});
#pragma once

#include <cstdint>
#include <string>

#include "moesim/bytes.hpp"
#include "moesim/platform.hpp"

namespace moesim {

// FLOP/s of the chip for a GEMM whose operands are `t` (fp8 and int8 at
// the 8-bit rate where the chip has one, fp32 at half the BF16 rate),
// efficiency applied.
double chip_flops(const ChipCompute& chip, DType t);

// "989 BF16 / 1979 8-bit TFLOP/s, 3.35 TB/s HBM (H800 SXM5; source)"; empty
// for a chip without compute.
std::string chip_compute_text(const ChipCompute& chip);

// Work a roofline prices: FLOPs and HBM bytes, fixed and per token.
struct Roofline {
  double flop_per_token = 0;
  double bytes = 0;            // read once whatever the tokens (weights)
  double bytes_per_token = 0;  // activations in and out
};

// The time of `tokens` tokens of `work` on the chip: the larger of its
// FLOPs at the chip's rate for `t` and its bytes at the HBM rate, in us.
double roofline_us(const ChipCompute& chip, const Roofline& work, double tokens, DType t);

// One per-layer operation besides the experts: a given time (us, for one
// micro-batch as the schedule cuts the batch) or a roofline priced on the
// tokens of the chip.
struct OpCost {
  bool given = false;
  double us = 0;
  Roofline work;
  bool empty() const { return !given && work.flop_per_token <= 0 && work.bytes <= 0 && work.bytes_per_token <= 0; }
  // us for `tokens` tokens on `chip` (a roofline needs a chip's compute).
  double time_us(const ChipCompute& chip, double tokens, DType t) const;
};

// What an EP rank's experts receive in one layer: tokens (every copy, one
// per expert it activates) and the distinct experts that get any.
struct RankLoad {
  double tokens = 0;
  double experts = 0;
};

// The expert FFN of DeepSeek-style MoE: SwiGLU, gate and up projections of
// hidden x intermediate each, a down projection back.
struct ExpertShape {
  std::uint64_t hidden = 0;
  std::uint64_t intermediate = 0;  // moe_intermediate_size
};

// Which GEMMs of the expert FFN: all of it, the gate/up projection, or the
// down projection (single-batch overlap runs the combine under the latter).
enum class FfnPart { kWhole, kUp, kDown };

// The routed experts' grouped GEMM on one chip of an EP rank of moe_tp
// chips (each holds 1/moe_tp of every expert's intermediate dimension):
// 6 x tokens x hidden x intermediate / moe_tp FLOPs for the whole FFN; the
// weights of each activated expert (3 x hidden x intermediate / moe_tp at
// the dtype `t`) and the tokens' activations (in at `t`, the intermediate
// and the output in BF16) through HBM. A roofline of the part's FLOPs and
// bytes together, in us.
double expert_us(const ChipCompute& chip, const ExpertShape& shape, DType t, std::uint64_t moe_tp,
                 const RankLoad& load, FfnPart part = FfnPart::kWhole);

// The shared experts on the tokens a chip holds: a dense FFN of
// shared x intermediate, split like the routed experts over moe_tp.
double shared_us(const ChipCompute& chip, const ExpertShape& shape, std::uint64_t shared_experts, DType t,
                 std::uint64_t moe_tp, double tokens);

// The distinct experts a rank of `local` experts expects to activate when
// `copies` token copies pick among `experts` experts uniformly.
double expected_distinct(double local, double experts, double copies);

}  // namespace moesim
