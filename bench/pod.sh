#!/usr/bin/env bash
# Issue 16's speed table: wall time and peak memory (medians of REPEAT runs,
# default 3; /usr/bin/time -v) of
#   - DeepSeek-V3 decode, 58 layers, random routing, EP 256 x 16 groups on a
#     16x16x16 torus (4096 chips, 50 GB/s and 1 us a link), default options;
#   - DeepSeek-V3 decode, 58 layers, random routing on tpu-v5e-16x16, default options;
#   - one uniform layer on a 16x24x24 torus (9216 chips, EP 9216, 9216 experts);
#   - one uniform layer of the twisted and the plain 4x4x8 under the flow fidelity;
#   - every shipped scenario with its default options (SHIPPED=0 skips them).
# Prints a Markdown table, one row per case, with the command of each.
#
#   bench/pod.sh [MOESIM_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
moesim=${1:-$root/build/moesim}
repeat=${REPEAT:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'name: torus-16x16x16\ntopology: {kind: torus, dims: [16, 16, 16], bandwidth: 50GBps, latency: 1us}\n' \
  >"$work/torus-16x16x16.yaml"
printf 'name: torus-16x24x24\ntopology: {kind: torus, dims: [16, 24, 24], bandwidth: 50GBps, latency: 1us}\n' \
  >"$work/torus-16x24x24.yaml"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# row NAME REPEAT ARGS...: one table row for `moesim run ARGS`.
row() {
  local name=$1 n=$2 walls=() mems=()
  shift 2
  for ((i = 0; i < n; i++)); do
    /usr/bin/time -v "$moesim" run "$@" >/dev/null 2>"$work/err" ||
      { echo "failed: $* : $(grep -m1 error "$work/err")" >&2; exit 1; }
    walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$work/err")")
    mems+=("$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$work/err")")
  done
  local shown=${*//$root\//}
  shown=${shown//$work\//}
  echo "| $name | $(printf '%s\n' "${walls[@]}" | median) | $(printf '%s\n' "${mems[@]}" | median) | \`moesim run $shown\` |"
}

echo "| case | wall s | peak MB | command |"
echo "|---|---:|---:|---|"
v5e_random=$root/scenarios/deepseek-v3-decode-v5e-16x16-random.yaml
row "4096 chips, 58 layers, random, EP 256 x 16 groups" "$repeat" "$v5e_random" \
  --set "platform=$work/torus-16x16x16.yaml" --set deployment.groups=16
row "tpu-v5e-16x16, 58 layers, random" "$repeat" "$v5e_random"
row "9216 chips, one uniform layer, EP 9216" "$repeat" "$root/scenarios/deepseek-v3-decode-v5e-16x16.yaml" \
  --set "platform=$work/torus-16x24x24.yaml" --set deployment.ep=9216 --set model.num_experts=9216 \
  --set deployment.global_batch=1179648 --set model.moe_layers=1
for p in tpu-v4-4x4x8 tpu-v4-4x4x8-twisted; do
  row "$p, one uniform layer, EP 128, flow" "$repeat" "$root/scenarios/deepseek-v3-decode-v4-4x4x4.yaml" \
    --set "platform=$root/platforms/$p.yaml" --set deployment.ep=128 --set model.moe_layers=1 --fidelity flow
done
if [[ ${SHIPPED:-1} != 0 ]]; then
  for s in "$root"/scenarios/*.yaml; do row "$(basename "$s" .yaml)" "$repeat" "$s"; done
fi
