// The byte-count model (specification: MoE communication precision).
#include "moesim/bytes.hpp"

#include <cassert>

namespace moesim {

std::optional<DType> parse_dtype(const std::string& name) {
  if (name == "fp8") return DType::kFp8;
  if (name == "int8") return DType::kInt8;
  if (name == "bf16") return DType::kBf16;
  if (name == "fp16") return DType::kFp16;
  if (name == "fp32") return DType::kFp32;
  return std::nullopt;
}

std::string dtype_name(DType t) {
  switch (t) {
    case DType::kFp8: return "fp8";
    case DType::kInt8: return "int8";
    case DType::kBf16: return "bf16";
    case DType::kFp16: return "fp16";
    case DType::kFp32: return "fp32";
  }
  return "?";
}

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

std::optional<Precision> precision_by_name(const std::string& name) {
  if (name == "W8A8") return Precision{"W8A8", DType::kFp8, DType::kBf16};
  if (name == "W16A16") return Precision{"W16A16", DType::kBf16, DType::kBf16};
  return std::nullopt;
}

LayerBytes layer_bytes(const ByteModelInput& in) {
  assert(in.hidden_dim > 0 && in.topk > 0 && in.global_batch > 0 && in.seq_len > 0 && in.ep > 0 &&
         in.moe_tp > 0);
  LayerBytes out;
  const std::uint64_t routed = in.global_batch * in.seq_len * in.topk;
  out.tokens_per_ep_group = (routed + in.ep - 1) / in.ep;
  const std::uint64_t per_tp = out.tokens_per_ep_group * in.hidden_dim / in.moe_tp;
  out.dispatch_bytes = per_tp * dtype_bytes(in.precision.dispatch);
  out.combine_bytes = per_tp * dtype_bytes(in.precision.combine);
  return out;
}

}  // namespace moesim
