#!/usr/bin/env bash
# Routing benchmark: sampling DeepSeek-V3 decode routing (16,384 tokens x
# top-8 of 256 experts x 58 MoE layers) and building the layers' traffic
# matrices, as moesim logs it ("traffic of 58 layer(s) built in X s"); no
# simulation (--engine analytic). Median of REPEAT runs (default 3).
#
#   bench/routing.sh [MOESIM_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
moesim=${1:-$here/../build/moesim}
repeat=${REPEAT:-3}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "| scenario (global_batch 16384) | routing | EP | sampling + matrices s (median of $repeat) | peak memory MB |"
echo "|---|---|---|---|---|"
for s in deepseek-v3-decode-sg2262-random deepseek-v3-decode-v5e-16x16-random deepseek-v3-decode-v5e-16x16-zipf; do
  times=() mems=()
  for ((i = 0; i < repeat; i++)); do
    out=$( { /usr/bin/time -f "peak %M" "$moesim" run "$here/../scenarios/$s.yaml" --engine analytic \
               --set deployment.global_batch=16384 --log-level info >/dev/null; } 2>&1)
    times+=("$(sed -n 's/.*traffic of [0-9]* layer(s) built in \([0-9.]*\) s.*/\1/p' <<<"$out")")
    mems+=("$(awk '/^peak/ {printf "%.0f", $2/1024}' <<<"$out")")
  done
  routing=$(sed -n 's/^ *routing: \([a-z]*\).*/\1/p' "$here/../scenarios/$s.yaml")
  ep=$(sed -n 's/.*ep: \([0-9]*\).*/\1/p' "$here/../scenarios/$s.yaml")
  echo "| $s | $routing | $ep | $(printf '%s\n' "${times[@]}" | median) | $(printf '%s\n' "${mems[@]}" | median) |"
done
