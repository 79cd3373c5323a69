#!/usr/bin/env bash
# The replay benchmark. One MoE layer (dispatch + combine) of uniform
# all-to-all on tori of 64 to 4096 chips, each chip receiving 3,670,016 B in
# the dispatch (512 tokens per EP group x hidden 7168, FP8) and twice that in
# the combine (BF16), 50 GB/s and 1 us a link; and DeepSeek-V3 decode with
# random routing (58 layers) on tpu-v5e-16x16. Each case runs under the
# reference fidelity (one comm per flow, `flow`) where it finishes in
# reasonable time, the fast one (`ptask`) and the `bound` engine. Wall time
# and peak memory from /usr/bin/time -v, median of REPEAT runs (default 3;
# BIG_REPEAT, default 1, for the 1024- and 4096-chip rows). The error column
# is the fast fidelity against the reference, the larger of dispatch and
# combine, over every layer. Writes a Markdown table to stdout.
#
#   bench/run.sh [MOESIM_BINARY]      (the table in bench/results.md)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
moesim=${1:-$here/../build/moesim}
repeat=${REPEAT:-3}
big_repeat=${BIG_REPEAT:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# torus NAME DIMS: writes the platform and its one-layer uniform scenario.
torus() {
  local name=$1 dims=$2 chips=1
  IFS=, read -ra d <<<"$dims"
  for k in "${d[@]}"; do chips=$((chips * k)); done
  printf 'name: %s\ntopology: {kind: torus, dims: [%s], bandwidth: 50GBps, latency: 1us}\n' "$name" "$dims" \
    >"$work/$name.yaml"
  printf 'name: bench-%s\nplatform: %s.yaml\nmodel: {hidden_dim: 7168, topk: 8, moe_layers: 1, num_experts: %d}\n' \
    "$name" "$name" "$chips" >"$work/$name-scenario.yaml"
  printf 'deployment: {global_batch: %d, seq_len: 1, ep: %d}\nprecision: W8A8\n' $((64 * chips)) "$chips" \
    >>"$work/$name-scenario.yaml"
}

# measure TAG RUNS SCENARIO ARGS...: runs moesim RUNS times; sets wall, mem,
# and keeps the CSV as $work/TAG.csv.
measure() {
  local tag=$1 runs=$2 scenario=$3
  shift 3
  local walls=() mems=()
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -v "$moesim" run "$scenario" "$@" --csv "$work/$tag.csv" >/dev/null 2>"$work/time.txt"
    walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(j=1;j<=n;j++) s=s*60+t[j]; print s}' "$work/time.txt")")
    mems+=("$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/time.txt")")
  done
  wall=$(printf '%s\n' "${walls[@]}" | median)
  mem=$(printf '%s\n' "${mems[@]}" | median)
}

# layer0 TAG: "dispatch combine" of the first layer.
layer0() {
  awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) col[$i] = i}
    NR == 2 {printf "%.3f %.3f\n", $col["dispatch_us"], $col["combine_us"]}' "$work/$1.csv"
}

# error TAG REF: the largest relative difference, in %, over layers and phases.
error() {
  paste -d, "$work/$1.csv" "$work/$2.csv" | awk -F, '
    NR == 1 {n = NF / 2; for (i = 1; i <= n; i++) if ($i == "dispatch_us" || $i == "combine_us") c[i] = 1; next}
    {for (i in c) {d = $i - $(i + n); if (d < 0) d = -d; e = d / $(i + n); if (e > m) m = e}}
    END {printf "%.2f%%\n", 100 * m}'
}

# case LABEL CHIPS TOPOLOGY ROUTING RUNS REFERENCE(yes/no) SCENARIO ARGS...
case_rows() {
  local chips=$1 topo=$2 routing=$3 runs=$4 reference=$5 scenario=$6
  shift 6
  local tag=c$chips-${topo//[^a-z0-9]/}-$routing
  if [[ $reference == yes ]]; then
    measure "$tag-flow" "$runs" "$scenario" --fidelity flow "$@"
    read -r dus cus < <(layer0 "$tag-flow")
    echo "| $chips | $topo | $routing | flow (reference) | $wall | $mem | $dus | $cus | |"
  fi
  measure "$tag-ptask" "$runs" "$scenario" --fidelity ptask "$@"
  read -r dus cus < <(layer0 "$tag-ptask")
  local err="not run"
  [[ $reference == yes ]] && err=$(error "$tag-ptask" "$tag-flow")
  echo "| $chips | $topo | $routing | ptask | $wall | $mem | $dus | $cus | $err |"
  measure "$tag-bound" "$runs" "$scenario" --engine bound "$@"
  read -r dus cus < <(layer0 "$tag-bound")
  echo "| $chips | $topo | $routing | bound engine | $wall | $mem | $dus | $cus | |"
}

echo "| chips | topology | routing | fidelity | wall time s | peak memory MB | dispatch us | combine us | ptask error against flow |"
echo "|---|---|---|---|---|---|---|---|---|"
torus t64 4,4,4
case_rows 64 "4x4x4 torus" uniform "$repeat" yes "$work/t64-scenario.yaml"
torus t128 8,4,4
case_rows 128 "8x4x4 torus" uniform "$repeat" yes "$work/t128-scenario.yaml"
torus t256c 8,8,4
case_rows 256 "8x8x4 torus" uniform "$repeat" yes "$work/t256c-scenario.yaml"
torus t256 16,16
case_rows 256 "16x16 torus" uniform "$repeat" yes "$work/t256-scenario.yaml"
torus t1024 32,32
case_rows 1024 "32x32 torus" uniform "$big_repeat" no "$work/t1024-scenario.yaml"
torus t4096 16,16,16
case_rows 4096 "16x16x16 torus" uniform "$big_repeat" no "$work/t4096-scenario.yaml"
# DeepSeek-V3 decode, random routing: 58 layers (the reference on 2 of them).
ds=$here/../scenarios/deepseek-v3-decode-v5e-16x16-random.yaml
case_rows 256 "tpu-v5e-16x16, DeepSeek-V3 2 layers" random "$repeat" yes "$ds" --set model.moe_layers=2
case_rows 256 "tpu-v5e-16x16, DeepSeek-V3 58 layers" random "$repeat" no "$ds"
