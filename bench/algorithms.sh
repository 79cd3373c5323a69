#!/usr/bin/env bash
# docs/routing.md's "which all-to-all algorithm for which topology" table: one
# DeepSeek-V3 MoE layer (hidden 7168, top-8 of 256 experts, FP8 dispatch,
# BF16 combine, random routing, seed 1) at decode (128 tokens a chip) and
# prefill (4096 tokens a chip), every algorithm the platform allows, on the
# 16x16 and 4x4x8 tori, the H800 cluster and the H100 cluster, replayed by
# the fast fidelity (ptask). PER_MESSAGE_US (default 0) is comm.per_message_us,
# a message a flow (per_expert: a message a token copy). On the tori a node
# (node_dedup) is 4 consecutive chips. "Bytes sent" are what the chips
# inject, every stage counted (a forwarded byte again at each stop); "link
# bytes" are each link's bytes summed (a byte once per link it crosses).
# Writes a Markdown table to stdout.
#
#   bench/algorithms.sh [MOESIM_BINARY]
#   PER_MESSAGE_US=0.5 bench/algorithms.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
moesim=${1:-$root/build/moesim}
per_message=${PER_MESSAGE_US:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
base=$root/scenarios/deepseek-v3-decode-v5e-16x16-random.yaml

echo "| platform | EP | tokens a chip | algorithm | dispatch_us | combine_us | dispatch + combine us | dispatch bytes sent | dispatch link bytes | stages | replay / bound |"
echo "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
# platform file, ep, algorithms, extra sets
while read -r platform ep algorithms extra; do
  for tokens in 128 4096; do
    for algorithm in ${algorithms//,/ }; do
      sets=(--set model.moe_layers=1 --set "platform=$root/platforms/$platform.yaml" --set "deployment.ep=$ep"
            --set deployment.global_batch= --set "deployment.tokens_per_chip=$tokens"
            --set "comm.algorithm=$algorithm" --set "comm.per_message_us=$per_message")
      [[ $extra == - ]] || sets+=(--set "$extra")
      "$moesim" run "$base" "${sets[@]}" --fidelity ptask --json "$work/r.json" 2>"$work/err" >/dev/null ||
        { echo "failed: $platform $algorithm $tokens: $(tail -n 1 "$work/err")" >&2; exit 1; }
      "$moesim" run "$base" "${sets[@]}" --engine bound --json "$work/b.json" --links "$work/l.csv" 2>"$work/err" >/dev/null
      python3 - "$work/r.json" "$work/b.json" "$platform" "$ep" "$tokens" "$algorithm" "$work/l.csv" <<'PY'
import csv, json, sys
r, b = (json.load(open(p)) for p in sys.argv[1:3])
# Every link's bytes, summed over the dispatch's stages: each byte once per link it crosses.
link_bytes = sum(int(row["bytes"]) for row in csv.DictReader(open(sys.argv[7]))
                 if row["phase"].split("/")[0] == "dispatch")
l, lb = r["layers"][0], b["layers"][0]
t = l["dispatch_us"] + l["combine_us"]
tb = lb["dispatch_us"] + lb["combine_us"]
stages = sum(1 for p in l["phases"] if p["phase"] == "dispatch")
print(f"| {sys.argv[3]} | {sys.argv[4]} | {sys.argv[5]} | {sys.argv[6]} | {l['dispatch_us']:.1f} | {l['combine_us']:.1f} "
      f"| {t:.1f} | {l['dispatch_bytes']:,} | {link_bytes:,} | {stages} | {t / tb:.3f} |")
PY
    done
  done
done <<LIST
tpu-v5e-16x16 256 direct,node_dedup,per_expert,dimension_ordered traffic.node_chips=4
tpu-v4-4x4x8 128 direct,node_dedup,per_expert,dimension_ordered traffic.node_chips=4
h800-ib-32x8 256 direct,node_dedup,per_expert -
h100-ib-8x8 64 direct,node_dedup,per_expert -
LIST
