#!/usr/bin/env bash
# The replay benchmark: one MoE layer (dispatch + combine) of uniform
# all-to-all on tori of 64, 128 and 256 chips, each chip receiving 3,670,016 B
# in the dispatch (512 tokens per EP group x hidden 7168, FP8) and twice that
# in the combine (BF16). Wall time and peak memory from /usr/bin/time -v,
# median of REPEAT runs (default 3). Writes a Markdown table to stdout.
#
#   bench/run.sh [MOESIM_BINARY]      (the table in bench/results.md)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
moesim=${1:-$here/../build/moesim}
repeat=${REPEAT:-3}
engines=${ENGINES:-simgrid bound}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "| chips | topology | engine | wall time s (median of $repeat) | peak memory MB | dispatch us | combine us |"
echo "|---|---|---|---|---|---|---|"
for dims in "4,4,4" "8,4,4" "8,8,4" "16,16"; do
  IFS=, read -ra d <<<"$dims"
  chips=1; for k in "${d[@]}"; do chips=$((chips * k)); done
  name="torus-${dims//,/x}"
  cat >"$work/$name.yaml" <<YAML
name: $name
topology: {kind: torus, dims: [$dims], bandwidth: 50GBps, latency: 1us}
YAML
  cat >"$work/$name-scenario.yaml" <<YAML
name: bench-$name
platform: $name.yaml
model: {hidden_dim: 7168, topk: 8, moe_layers: 1}
deployment: {global_batch: $((64 * chips)), seq_len: 1, ep: $chips}
precision: W8A8
YAML
  for engine in $engines; do
    walls=() mems=()
    for ((i = 0; i < repeat; i++)); do
      /usr/bin/time -v "$moesim" run "$work/$name-scenario.yaml" --engine "$engine" \
        --csv "$work/out.csv" >/dev/null 2>"$work/time.txt"
      walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(j=1;j<=n;j++) s=s*60+t[j]; print s}' "$work/time.txt")")
      mems+=("$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/time.txt")")
    done
    wall=$(printf '%s\n' "${walls[@]}" | median)
    mem=$(printf '%s\n' "${mems[@]}" | median)
    read -r dus cus < <(awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) col[$i] = i}
      NR == 2 {printf "%.3f %.3f\n", $col["dispatch_us"], $col["combine_us"]}' "$work/out.csv")
    echo "| $chips | ${dims//,/x} torus | $engine | $wall | $mem | $dus | $cus |"
  done
done
