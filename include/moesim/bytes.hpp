// The byte-count model of one MoE layer's all-to-all, from the project's
// specification (Tier6 / DS_TPU model/layers/moe.py). Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "moesim/enum_table.hpp"

namespace moesim {

enum class DType { kFp8, kInt8, kBf16, kFp16, kFp32 };
inline constexpr EnumTable<DType, 5> kDTypeNames{{{DType::kFp8, "fp8"},
                                                  {DType::kInt8, "int8"},
                                                  {DType::kBf16, "bf16"},
                                                  {DType::kFp16, "fp16"},
                                                  {DType::kFp32, "fp32"}}};

inline std::optional<DType> parse_dtype(const std::string& name) { return enum_parse(kDTypeNames, name); }
inline std::string dtype_name(DType t) { return enum_name(kDTypeNames, t); }
std::uint64_t dtype_bytes(DType t);

// The named precision modes. W8A8: FP8 dispatch, BF16 combine. W16A16: BF16 both ways.
enum class PrecisionMode { kW8A8, kW16A16 };
inline constexpr EnumTable<PrecisionMode, 2> kPrecisionNames{
    {{PrecisionMode::kW8A8, "W8A8"}, {PrecisionMode::kW16A16, "W16A16"}}};

// Datatypes on the wire; the default is W8A8.
struct Precision {
  std::string name = "W8A8";  // a name of kPrecisionNames, or "custom"
  DType dispatch = DType::kFp8;
  DType combine = DType::kBf16;
};

Precision precision_of(PrecisionMode mode);
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
// A product past 2^64 - 1 throws InputError naming the product, never wraps.
LayerBytes layer_bytes(const ByteModelInput& in);

}  // namespace moesim
