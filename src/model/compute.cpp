// Rooflines of the expert GEMMs and the other per-layer work on a chip.
#include "moesim/compute.hpp"

#include <algorithm>
#include <cmath>

#include "util/format.hpp"

namespace moesim {

double chip_flops(const ChipCompute& chip, DType t) {
  const bool eight_bit = t == DType::kFp8 || t == DType::kInt8;
  const double peak = eight_bit && chip.fp8_flops > 0 ? chip.fp8_flops
                     : t == DType::kFp32                ? chip.bf16_flops / 2
                                                        : chip.bf16_flops;
  return peak * chip.flops_efficiency;
}

// "989 BF16 / 1979 8-bit TFLOP/s, 3.35 TB/s HBM (H800 SXM5; source)".
std::string chip_compute_text(const ChipCompute& c) {
  if (c.empty()) return "";
  std::string out = format("%g BF16", c.bf16_flops / 1e12);
  if (c.fp8_flops > 0) out += format(" / %g 8-bit", c.fp8_flops / 1e12);
  out += format(" TFLOP/s, %g TB/s HBM", c.hbm_Bps / 1e12);
  if (c.flops_efficiency < 1 || c.hbm_efficiency < 1)
    out += format(" at %g%% / %g%% of peak", 100 * c.flops_efficiency, 100 * c.hbm_efficiency);
  if (!c.source.empty()) out += " (" + c.source + ")";
  return out;
}

double roofline_us(const ChipCompute& chip, const Roofline& work, double tokens, DType t) {
  const double flop = work.flop_per_token * tokens, bytes = work.bytes + work.bytes_per_token * tokens;
  if (flop <= 0 && bytes <= 0) return 0;
  return std::max(flop / chip_flops(chip, t), bytes / chip.bytes_per_s()) * 1e6;
}

double OpCost::time_us(const ChipCompute& chip, double tokens, DType t) const {
  if (given) return us;
  if (empty()) return 0;
  return roofline_us(chip, work, tokens, t);
}

namespace {

// The FLOPs and bytes of one FFN part over `tokens` tokens and `experts`
// weight sets, each of hidden x slice (gate/up: two such matrices).
Roofline ffn_work(const ExpertShape& shape, DType t, std::uint64_t moe_tp, double experts, FfnPart part) {
  const double h = static_cast<double>(shape.hidden);
  const double i = static_cast<double>(shape.intermediate) / static_cast<double>(moe_tp);
  const double w = static_cast<double>(dtype_bytes(t)), bf16 = 2.0;
  Roofline up{4 * h * i, experts * 2 * h * i * w, h * w + 2 * i * bf16};  // x in, gate and up out
  Roofline down{2 * h * i, experts * h * i * w, i * w + h * bf16};        // activated x in, y out
  if (part == FfnPart::kUp) return up;
  if (part == FfnPart::kDown) return down;
  return {up.flop_per_token + down.flop_per_token, up.bytes + down.bytes, up.bytes_per_token + down.bytes_per_token};
}

}  // namespace

double expert_us(const ChipCompute& chip, const ExpertShape& shape, DType t, std::uint64_t moe_tp,
                 const RankLoad& load, FfnPart part) {
  if (load.tokens <= 0) return 0;
  return roofline_us(chip, ffn_work(shape, t, moe_tp, load.experts, part), load.tokens, t);
}

double shared_us(const ChipCompute& chip, const ExpertShape& shape, std::uint64_t shared_experts, DType t,
                 std::uint64_t moe_tp, double tokens) {
  if (shared_experts == 0 || tokens <= 0) return 0;
  const ExpertShape wide{shape.hidden, shape.intermediate * shared_experts};
  return roofline_us(chip, ffn_work(wide, t, moe_tp, 1.0, FfnPart::kWhole), tokens, t);
}

double expected_distinct(double local, double experts, double copies) {
  if (experts <= 0 || copies <= 0) return 0;
  return local * (1.0 - std::pow(1.0 - 1.0 / experts, copies));
}

}  // namespace moesim
