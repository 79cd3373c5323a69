#!/usr/bin/env bash
# What an overlap schedule costs: the same layers run without compute or
# overlap (dispatch and combine of the whole batch) and under two-batch
# overlap (two micro-batches, each layer's rounds replayed), on the shipped
# DeepSeek-V3 decode scenario (58 layers, random routing). Median of REPEAT
# runs (default 3) of wall time and peak memory (/usr/bin/time).
#
#   bash bench/overlap.sh build/moesim
set -euo pipefail
MOESIM=${1:?usage: bench/overlap.sh path/to/moesim}
REPEAT=${REPEAT:-3}
cd "$(dirname "$0")/.."
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
TBO=scenarios/deepseek-v3-decode-tbo-h800.yaml
# The same scenario with no compute section and no overlap key.
sed -e '/^compute:/,/^overlap:/d' -e "s|\.\./platforms|$PWD/platforms|" "$TBO" >"$TMP/plain.yaml"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
measure() {  # measure LABEL SCENARIO ARGS...: prints LABEL, median seconds and MB
  local label=$1 scenario=$2 s=() m=()
  shift 2
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f '%e %M' -o "$TMP/t" "$MOESIM" run "$scenario" -q "$@" >/dev/null
    read -r sec kb <"$TMP/t"
    s+=("$sec"); m+=("$kb")
  done
  printf '| %s | %s | %s |\n' "$label" "$(printf '%s\n' "${s[@]}" | median)" \
    "$(printf '%s\n' "${m[@]}" | median | awk '{ printf "%.0f", $1 / 1024 }')"
}
echo "| run | fidelity | wall time s | peak memory MB |"
echo "|---|---|---|---|"
for fid in ptask flow; do
  args=(--set traffic.routing=random --set simgrid.fidelity=$fid -j 1)
  [[ $fid == flow ]] && args+=(--set deployment.ep=32 --set model.moe_layers=8)
  measure "no overlap | $fid" "$TMP/plain.yaml" "${args[@]}"
  measure "two-batch overlap | $fid" "$TBO" "${args[@]}"
done
