#!/usr/bin/env bash
# Wall time and peak memory of every all-to-all algorithm: one DeepSeek-V3
# layer (128 tokens a chip; uniform shares, except node_dedup, which needs
# drawn tokens: random routing, seed 1) on the 256-chip TPU v5e
# 16x16 torus under the reference fidelity (flow), the fast one (ptask) and
# the bound, with the fast fidelity's error against the reference (the
# larger of dispatch and combine); and on a 4096-chip 16x16x16 torus (50
# GB/s, 1 us a link) under ptask and the bound. node_dedup's node: 4
# consecutive chips; at 4096 chips the model has 4096 experts (EP must
# divide them). /usr/bin/time -v, median of REPEAT runs (default 1). SIZES
# (default "256 4096") picks the sections.
# Writes a Markdown table to stdout.
#
#   bench/algorithms-speed.sh [MOESIM_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
moesim=${1:-$root/build/moesim}
repeat=${REPEAT:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The flow fidelity on skewed routing at 256 chips takes many minutes a layer
# (the next issue's); uniform shares keep this table to minutes.
base() {
  if [[ $1 == node_dedup ]]; then echo "$root/scenarios/deepseek-v3-decode-v5e-16x16-random.yaml"
  else echo "$root/scenarios/deepseek-v3-decode-v5e-16x16.yaml"; fi
}
node() { [[ $1 == node_dedup ]] && echo "traffic.node_chips=4" || echo "seed=1"; }
printf 'name: torus-16x16x16\ntopology: {kind: torus, dims: [16, 16, 16], bandwidth: 50GBps, latency: 1us}\n' \
  >"$work/t4096.yaml"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# measure TAG ARGS...: median wall seconds and peak MB of `moesim run ARGS`; the report in $work/TAG.json.
measure() {
  local tag=$1 walls=() mems=()
  shift
  for ((i = 0; i < repeat; i++)); do
    /usr/bin/time -v "$moesim" run "$@" --json "$work/$tag.json" >/dev/null 2>"$work/$tag.err" ||
      { echo "failed: $* : $(grep -m1 error "$work/$tag.err")" >&2; exit 1; }
    walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$work/$tag.err")")
    mems+=("$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$work/$tag.err")")
  done
  echo "$(printf '%s\n' "${walls[@]}" | median) $(printf '%s\n' "${mems[@]}" | median)"
}

error() {  # the fast report against the reference, largest relative difference
  python3 - "$work/$1.json" "$work/$2.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
e = max(abs(lb[k] / la[k] - 1) for la, lb in zip(a["layers"], b["layers"]) for k in ("dispatch_us", "combine_us"))
print(f"{100 * e:.2f}%")
PY
}

echo "| chips | algorithm | flow wall s | flow MB | ptask wall s | ptask MB | ptask error | bound wall s |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|"
sizes=${SIZES:-256 4096}
for algorithm in direct node_dedup per_expert dimension_ordered; do
  [[ $sizes == *256* ]] || break
  sets=(--set model.moe_layers=1 --set deployment.global_batch= --set deployment.tokens_per_chip=128
        --set "comm.algorithm=$algorithm" --set "$(node "$algorithm")")
  read -r fw fm <<<"$(measure flow "$(base "$algorithm")" "${sets[@]}" --fidelity flow)"
  read -r pw pm <<<"$(measure ptask "$(base "$algorithm")" "${sets[@]}" --fidelity ptask)"
  read -r bw _ <<<"$(measure bound "$(base "$algorithm")" "${sets[@]}" --engine bound)"
  echo "| 256 | $algorithm | $fw | $fm | $pw | $pm | $(error flow ptask) | $bw |"
done
for algorithm in direct node_dedup per_expert dimension_ordered; do
  [[ $sizes == *4096* ]] || break
  sets=(--set model.moe_layers=1 --set "platform=$work/t4096.yaml" --set deployment.ep=4096 --set model.num_experts=4096
        --set deployment.global_batch= --set deployment.tokens_per_chip=128
        --set "comm.algorithm=$algorithm" --set "$(node "$algorithm")")
  read -r pw pm <<<"$(measure ptask "$(base "$algorithm")" "${sets[@]}" --fidelity ptask)"
  read -r bw _ <<<"$(measure bound "$(base "$algorithm")" "${sets[@]}" --engine bound)"
  echo "| 4096 | $algorithm | - | - | $pw | $pm | - | $bw |"
done
