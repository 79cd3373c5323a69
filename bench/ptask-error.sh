#!/usr/bin/env bash
# The fast fidelity (ptask) against the reference (flow) for every
# all-to-all algorithm and several ptask_max_links: one DeepSeek-V3 decode
# layer (128 tokens a chip, seed 1) as bench/skew-error.sh runs it. Prints a
# line per (chips, routing, algorithm, ptask_max_links): the reference's and
# ptask's wall time and ptask's error (ptask / flow - 1) of dispatch and
# combine. SIZES (default "64"), ROUTINGS ("random zipf"), ALGORITHMS
# ("direct node_dedup dimension_ordered"), LINKS ("1 1024 64 16") pick them;
# node_dedup takes 4 chips a node. A reference past LIMIT s (900) is stopped;
# the exit status is 1 when any line has no result.
#
#   bench/ptask-error.sh [MOESIM_BINARY]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
moesim=${1:-$root/build/moesim}
work=$(mktemp -d)
missing=0
trap 'rm -rf "$work"' EXIT

# wall TAG ARGS...: runs `moesim run ARGS --json TAG.json`, prints its wall seconds.
wall() {
  local tag=$1
  shift
  timeout "${LIMIT:-900}" /usr/bin/time -f "%e" -o "$work/$tag.time" "$moesim" run "$@" --json "$work/$tag.json" \
    >/dev/null 2>"$work/$tag.err" || true
  cat "$work/$tag.time" 2>/dev/null | tail -1
}

for n in ${SIZES:-64}; do
  case $n in 64) plat=tpu-v4-4x4x4 ;; 128) plat=tpu-v4-4x4x8 ;; 256) plat=tpu-v5e-16x16 ;; esac
  for routing in ${ROUTINGS:-random zipf}; do
    for algo in ${ALGORITHMS:-direct node_dedup dimension_ordered}; do
      args=("$root/scenarios/deepseek-v3-decode-v5e-16x16-$routing.yaml" --set "platform=$root/platforms/$plat.yaml"
        --set "deployment.ep=$n" --set "deployment.global_batch=$((128 * n))" --set model.moe_layers=1
        --set "comm.algorithm=$algo")
      [[ $algo == node_dedup ]] && args+=(--set traffic.node_chips=4)
      rm -f "$work"/*.json
      fw=$(wall flow "${args[@]}" --fidelity flow)
      for links in ${LINKS:-1 1024 64 16}; do
        pw=$(wall ptask "${args[@]}" --fidelity ptask --set "simgrid.ptask_max_links=$links")
        python3 - "$work/flow.json" "$work/ptask.json" "$n $routing $algo links=$links flow_s=$fw ptask_s=$pw" <<'PY' ||
import json, sys
try:
    a, b = (json.load(open(p))["layers"][0] for p in sys.argv[1:3])
    print(sys.argv[3], "dispatch %+.2f%% combine %+.2f%%" % tuple(100 * (b[k] / a[k] - 1) for k in ("dispatch_us", "combine_us")))
except (OSError, ValueError, KeyError):
    print(sys.argv[3], "no result (the reference stopped?)")
    sys.exit(1)
PY
          missing=$((missing + 1))
      done
    done
  done
done
[[ $missing == 0 ]]
