// moesim bytes: the specification's byte-count model of one MoE layer.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "moesim/bytes.hpp"
#include "moesim/error.hpp"
#include "moesim/report.hpp"

namespace moesim::cli {
namespace {

struct BytesOptions {
  ByteModelInput in;
  std::string precision = "W8A8", dispatch_dtype, combine_dtype, json;
};

// The precision mode, with either dtype overridden ("custom").
Precision precision_of(const BytesOptions& o) {
  auto p = precision_by_name(o.precision);
  if (!p) fail("--precision", "", not_one_of(kPrecisionNames, o.precision, "a precision"));
  for (auto [text, slot, flag] : {std::tuple{&o.dispatch_dtype, &p->dispatch, "--dispatch-dtype"},
                                  std::tuple{&o.combine_dtype, &p->combine, "--combine-dtype"}}) {
    if (text->empty()) continue;
    auto t = parse_dtype(*text);
    if (!t) fail(flag, "", not_one_of(kDTypeNames, *text, "a dtype"));
    *slot = *t;
    p->name = "custom";
  }
  return *p;
}

int bytes(BytesOptions o) {
  const bool piped = claims_stdout({{"--json", o.json}});
  o.in.precision = precision_of(o);
  const Precision& p = o.in.precision;
  const LayerBytes b = layer_bytes(o.in);
  if (!piped)
    std::cout << "precision " << p.name << " (dispatch " << dtype_name(p.dispatch) << ", combine "
              << dtype_name(p.combine) << ")\n"
              << "tokens_per_ep_group " << b.tokens_per_ep_group << "\n"
              << "dispatch_bytes " << b.dispatch_bytes << "\n"
              << "combine_bytes " << b.combine_bytes << "\n";
  if (!o.json.empty()) {
    const ByteModelInput& in = o.in;
    nlohmann::json j = {{"input",
                         {{"hidden_dim", in.hidden_dim}, {"topk", in.topk}, {"ep", in.ep},
                          {"global_batch", in.global_batch}, {"seq_len", in.seq_len}, {"moe_tp", in.moe_tp},
                          {"precision", p.name}}},
                        {"bytes", bytes_json(b)}};
    write_output(o.json, j.dump(2) + "\n", "--json");
  }
  return 0;
}

}  // namespace

Body setup_bytes(CLI::App& c) {
  auto o = std::make_shared<BytesOptions>();
  ByteModelInput& in = o->in;
  c.add_option("--hidden-dim", in.hidden_dim, "Hidden size")->required()->check(kPositive);
  c.add_option("--topk", in.topk, "Activated experts per token")->required()->check(kPositive);
  c.add_option("--ep", in.ep, "Expert parallelism")->required()->check(kPositive);
  c.add_option("--global-batch", in.global_batch, "Global batch")->required()->check(kPositive);
  c.add_option("--seq-len", in.seq_len, "Sequence length")->default_val(1)->check(kPositive);
  c.add_option("--moe-tp", in.moe_tp, "MoE tensor parallelism")->default_val(1)->check(kPositive);
  c.add_option("--precision", o->precision, "W8A8 (default) or W16A16")->capture_default_str();
  c.add_option("--dispatch-dtype", o->dispatch_dtype, "Override: fp8, int8, bf16, fp16, fp32");
  c.add_option("--combine-dtype", o->combine_dtype, "Override: fp8, int8, bf16, fp16, fp32");
  c.add_option("--json", o->json, "Write the result as JSON to this file ('-' for stdout)");
  return [o] { return bytes(*o); };
}

}  // namespace moesim::cli
