// The byte-count model of one MoE layer's all-to-all, from the project's
// specification (Tier6 / DS_TPU model/layers/moe.py). Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace moesim {

enum class DType { kFp8, kInt8, kBf16, kFp16, kFp32 };

std::optional<DType> parse_dtype(const std::string& name);
std::string dtype_name(DType t);
std::uint64_t dtype_bytes(DType t);

// Datatypes on the wire. W8A8 (the default): FP8 dispatch, BF16 combine.
// W16A16: BF16 both ways.
struct Precision {
  std::string name = "W8A8";  // "W8A8", "W16A16" or "custom"
  DType dispatch = DType::kFp8;
  DType combine = DType::kBf16;
};

// Nullopt for an unknown mode name.
std::optional<Precision> precision_by_name(const std::string& name);

struct ByteModelInput {
  std::uint64_t hidden_dim = 0;
  std::uint64_t topk = 0;  // activated experts per token
  std::uint64_t global_batch = 0;
  std::uint64_t seq_len = 0;
  std::uint64_t ep = 0;
  std::uint64_t moe_tp = 1;
  Precision precision;
};

struct LayerBytes {
  std::uint64_t tokens_per_ep_group = 0;
  std::uint64_t dispatch_bytes = 0;  // received by each chip of the group
  std::uint64_t combine_bytes = 0;
};

// tokens_per_ep_group = ceil(global_batch * seq_len * topk / ep)
// dispatch_bytes = tokens_per_ep_group * hidden_dim / moe_tp * dispatch dtype bytes
// combine_bytes  = tokens_per_ep_group * hidden_dim / moe_tp * combine dtype bytes
// (integer division by moe_tp, as DS_TPU's `//`). Inputs must be positive.
LayerBytes layer_bytes(const ByteModelInput& in);

}  // namespace moesim
