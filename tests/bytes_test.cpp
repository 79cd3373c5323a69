// The byte-count model against the specification's worked example.
#include "moesim/bytes.hpp"

#include <catch2/catch.hpp>

using namespace moesim;

namespace {
ByteModelInput reference(const std::string& precision) {
  ByteModelInput in;
  in.hidden_dim = 7168;
  in.topk = 8;
  in.global_batch = 64;
  in.seq_len = 1;
  in.ep = 32;
  in.moe_tp = 1;
  in.precision = *precision_by_name(precision);
  return in;
}
}  // namespace

TEST_CASE("reference case of the specification", "[bytes]") {
  SECTION("W8A8: FP8 dispatch, BF16 combine") {
    LayerBytes b = layer_bytes(reference("W8A8"));
    CHECK(b.tokens_per_ep_group == 16);
    CHECK(b.dispatch_bytes == 114688);
    CHECK(b.combine_bytes == 229376);
  }
  SECTION("W16A16: BF16 both ways") {
    LayerBytes b = layer_bytes(reference("W16A16"));
    CHECK(b.tokens_per_ep_group == 16);
    CHECK(b.dispatch_bytes == 229376);
    CHECK(b.combine_bytes == 229376);
  }
}

TEST_CASE("tokens per EP group rounds up", "[bytes]") {
  ByteModelInput in = reference("W8A8");
  in.global_batch = 3;  // 3 * 8 / 32 = 0.75 -> 1
  CHECK(layer_bytes(in).tokens_per_ep_group == 1);
  in.global_batch = 5;  // 40 / 32 -> 2
  CHECK(layer_bytes(in).tokens_per_ep_group == 2);
  in.seq_len = 4;  // 160 / 32 = 5 exactly
  CHECK(layer_bytes(in).tokens_per_ep_group == 5);
}

TEST_CASE("moe_tp divides the hidden size as integer division", "[bytes]") {
  ByteModelInput in = reference("W8A8");
  in.moe_tp = 4;
  CHECK(layer_bytes(in).dispatch_bytes == 16 * 7168 / 4);
  CHECK(layer_bytes(in).combine_bytes == 16 * 7168 / 4 * 2);
  in.hidden_dim = 7;
  in.moe_tp = 2;  // 16 * 7 = 112, / 2 = 56
  CHECK(layer_bytes(in).dispatch_bytes == 56);
  in.hidden_dim = 7;
  in.global_batch = 4;  // tokens 1: 1 * 7 // 2 = 3
  CHECK(layer_bytes(in).dispatch_bytes == 3);
}

TEST_CASE("dtypes and precision modes", "[bytes]") {
  struct Row {
    const char* name;
    std::uint64_t bytes;
  };
  for (Row r : {Row{"fp8", 1}, Row{"int8", 1}, Row{"bf16", 2}, Row{"fp16", 2}, Row{"fp32", 4}}) {
    auto t = parse_dtype(r.name);
    REQUIRE(t);
    CHECK(dtype_bytes(*t) == r.bytes);
    CHECK(dtype_name(*t) == r.name);
  }
  CHECK_FALSE(parse_dtype("fp4"));
  CHECK_FALSE(precision_by_name("W4A16"));
  const Precision w16 = *precision_by_name("W16A16");
  CHECK((w16.name == "W16A16" && w16.dispatch == DType::kBf16 && w16.combine == DType::kBf16));
  // The default precision is W8A8.
  const Precision w8 = *precision_by_name("W8A8"), fallback;
  CHECK((w8.name == fallback.name && w8.dispatch == fallback.dispatch && w8.combine == fallback.combine));
  ByteModelInput in = reference("W8A8");
  in.precision = Precision{"custom", DType::kFp32, DType::kFp8};
  CHECK(layer_bytes(in).dispatch_bytes == 16 * 7168 * 4);
  CHECK(layer_bytes(in).combine_bytes == 16 * 7168);
}

TEST_CASE("a byte count that does not fit 64 bits is an error, never a wrapped number", "[bytes]") {
  // The case: 1e12 tokens x top-60000 x hidden 4e9 is 2.4e26 bytes.
  ByteModelInput in = reference("W8A8");
  in.hidden_dim = 4000000000;
  in.topk = 60000;
  in.global_batch = 1000000000000;
  in.ep = 1;
  CHECK_THROWS_WITH(layer_bytes(in), "tokens_per_ep_group x hidden_dim x dtype bytes: elements per EP group: "
                                     "60000000000000000 x 4000000000 is more than 2^64 - 1");
  // Tokens that do not fit: 2^40 x 2^20 x 2^16.
  in.global_batch = 1ull << 40;
  in.seq_len = 1ull << 20;
  in.topk = 1ull << 16;
  CHECK_THROWS_WITH(layer_bytes(in), Catch::Contains("global_batch x seq_len x topk: routed tokens"));
  in.seq_len = 1;
  in.topk = 1;
  // The largest that fits is exact: 2^32 tokens of 2^31 FP8 elements; BF16's double wraps.
  in.global_batch = 1ull << 32;
  in.hidden_dim = 1ull << 31;
  in.precision = *precision_by_name("W8A8");
  CHECK_THROWS_WITH(layer_bytes(in), Catch::Contains("combine bytes per chip"));
  in.hidden_dim = 1ull << 30;
  const LayerBytes b = layer_bytes(in);
  CHECK(b.dispatch_bytes == 1ull << 62);
  CHECK(b.combine_bytes == 1ull << 63);
}
