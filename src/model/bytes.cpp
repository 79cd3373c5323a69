// The byte-count model (specification: MoE communication precision).
#include "moesim/bytes.hpp"

#include <cassert>

#include "util/checked.hpp"

namespace moesim {

std::uint64_t dtype_bytes(DType t) {
  switch (t) {
    case DType::kFp8:
    case DType::kInt8: return 1;
    case DType::kBf16:
    case DType::kFp16: return 2;
    case DType::kFp32: return 4;
  }
  return 0;
}

Precision precision_of(PrecisionMode mode) {
  const std::string name = enum_name(kPrecisionNames, mode);
  switch (mode) {
    case PrecisionMode::kW8A8: return Precision{name, DType::kFp8, DType::kBf16};
    case PrecisionMode::kW16A16: return Precision{name, DType::kBf16, DType::kBf16};
  }
  return Precision{};
}

std::optional<Precision> precision_by_name(const std::string& name) {
  auto mode = enum_parse(kPrecisionNames, name);
  if (!mode) return std::nullopt;
  return precision_of(*mode);
}

LayerBytes layer_bytes(const ByteModelInput& in) {
  assert(in.hidden_dim > 0 && in.topk > 0 && in.global_batch > 0 && in.seq_len > 0 && in.ep > 0 &&
         in.moe_tp > 0);
  LayerBytes out;
  const std::string tokens = "global_batch x seq_len x topk";
  const std::uint64_t routed = checked_mul(checked_mul(in.global_batch, in.seq_len, tokens, "routed tokens"), in.topk,
                                           tokens, "routed tokens");
  out.tokens_per_ep_group = routed / in.ep + (routed % in.ep != 0);
  const std::string size = "tokens_per_ep_group x hidden_dim x dtype bytes";
  const std::uint64_t elements = checked_mul(out.tokens_per_ep_group, in.hidden_dim, size, "elements per EP group");
  const std::uint64_t per_tp = elements / in.moe_tp;
  out.dispatch_bytes = checked_mul(per_tp, dtype_bytes(in.precision.dispatch), size, "dispatch bytes per chip");
  out.combine_bytes = checked_mul(per_tp, dtype_bytes(in.precision.combine), size, "combine bytes per chip");
  return out;
}

}  // namespace moesim
