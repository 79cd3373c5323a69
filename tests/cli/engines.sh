#!/usr/bin/env bash
# Small whole runs of the moesim binary through every engine, fidelity,
# algorithm and command that computes: each must exit 0, write nothing but
# log lines to stderr (no sanitizer report, no leak) and a report that
# parses. CI runs it on the sanitized build (-fsanitize=address,undefined) as
# well as the normal one.
#
#   bash tests/cli/engines.sh /path/to/moesim      (from the repository root)
set -u
if [[ $# -ne 1 ]]; then
  echo "usage: bash tests/cli/engines.sh /path/to/moesim" >&2
  exit 2
fi
MOESIM=$1
[[ $MOESIM == /* ]] || MOESIM=$PWD/$MOESIM
[[ -d platforms && -d scenarios ]] || { echo "engines.sh: run from the repository root" >&2; exit 2; }
export LC_ALL=C NO_COLOR=1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/moesim-engines.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

# check NAME ARGS...: runs moesim ARGS (its JSON report to $TMP/out.json when
# ARGS contain it); passes if it exits 0 and stderr has only moesim's log lines.
check() {
  local name=$1
  shift
  local status=0
  (cd "$TMP" && timeout 600 "$MOESIM" "$@") >"$TMP/stdout" 2>"$TMP/stderr" || status=$?
  local strange
  strange=$(grep -vE '^(\[[a-z]+\] (info|warning): |moesim [a-z]+: )' "$TMP/stderr" | head -5)
  if [[ $status -ne 0 || -n $strange ]]; then
    echo "FAIL  $name: exit $status"
    sed 's/^/      /' "$TMP/stderr" | head -30
    failed=$((failed + 1))
    return
  fi
  if [[ -f $TMP/out.json ]] && ! python3 -m json.tool "$TMP/out.json" >/dev/null; then
    echo "FAIL  $name: the JSON report does not parse"
    failed=$((failed + 1))
    return
  fi
  rm -f "$TMP/out.json"
  echo "PASS  $name"
  passed=$((passed + 1))
}

R=$PWD
V4=$R/scenarios/deepseek-v3-decode-v4-4x4x4.yaml
SMALL=(--set model.moe_layers=2 --json out.json)
check "simgrid ptask (v4 4x4x4)" run "$V4" "${SMALL[@]}" --set simgrid.fidelity=ptask
check "simgrid flow (v4 4x4x4)" run "$V4" "${SMALL[@]}" --set simgrid.fidelity=flow
check "simgrid flow, LV08, link load" run "$V4" "${SMALL[@]}" --set simgrid.fidelity=flow \
  --set simgrid.network_model=LV08 --set simgrid.link_load=true
check "simgrid, two workers, random routing" run "$V4" "${SMALL[@]}" --set traffic.routing=random -j 2
check "bound engine" run "$V4" "${SMALL[@]}" --engine bound
check "analytic engine (SG2262)" run "$R/scenarios/tier6-benchmark-sg2262.yaml" "${SMALL[@]}" --engine analytic
check "SimGrid XML platform" run "$V4" "${SMALL[@]}" --set "platform=$R/platforms/simgrid-torus-4x4x4.xml"
check "routing trace" run "$R/scenarios/trace-example-v4.yaml" --json out.json
check "node_dedup, ptask" run "$R/scenarios/deepseek-v3-decode-h100-node-dedup.yaml" "${SMALL[@]}"
check "per_expert, flow" run "$R/scenarios/deepseek-v3-decode-h100-per-expert.yaml" "${SMALL[@]}" \
  --set simgrid.fidelity=flow --set deployment.ep=16
check "dimension_ordered, bound" run "$R/scenarios/deepseek-v3-decode-v5e-16x16-dimension-ordered.yaml" \
  "${SMALL[@]}" --engine bound
check "zipf, 2 samples, trace and heatmap data" run "$V4" "${SMALL[@]}" --set traffic.routing=zipf \
  --set samples=2 --trace trace.json
TBO=$R/scenarios/deepseek-v3-decode-tbo-h800.yaml
check "two-batch overlap, random routing, flow, trace and time line" run "$TBO" --set model.moe_layers=2 \
  --set deployment.ep=16 --set traffic.routing=random --set simgrid.fidelity=flow --trace tbo.json --timeline tbo.png
check "single-batch overlap, ptask, two workers" run "$TBO" --set model.moe_layers=2 --set deployment.ep=16 \
  --set overlap=sbo --set traffic.routing=zipf -j 2 --json sbo.json
check "platform string" run "$V4" "${SMALL[@]}" --set platform=torus:4x4x4:45GBps:1us
check "bytes" bytes --hidden-dim 7168 --topk 8 --ep 32 --global-batch 64 --precision W16A16 --json out.json
check "topo with a scenario" topo "$R/platforms/tpu-v4-4x4x4.yaml" --scenario "$V4" --json out.json
check "platform export" platform "$R/platforms/h100-ib-8x8.yaml" --xml p.xml --dot p.dot --graphml p.graphml
printf 'name: q\nbase: %s\nset: {engine: bound}\ngrid:\n  deployment.ep: [8, 32]\n  precision: [W8A8, W16A16]\n' \
  "$R/scenarios/reference-ep32.yaml" >"$TMP/q.yaml"
check "sweep (bound engine, 2 workers)" sweep "$TMP/q.yaml" --db q.db -j 2
check "results" results q.db
check "compare" compare "$V4" --platform "$R/platforms/tpu-v4-4x4x8.yaml" --engine bound
check "check against measurements" check "$R/examples/deepseek-v3-decode-h800.yaml" \
  --measurements "$R/examples/h800-measurements.csv"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
