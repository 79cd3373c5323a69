#!/usr/bin/env bash
# docs/routing.md's "what skew does" table: DeepSeek-V3 decode on SG2262, EP 32,
# 128 tokens a chip, 58 layers, seed 1, the default simgrid engine, under
# uniform, random and zipf routing. A Markdown table on stdout; each row under
# a second on 2 cores.
#
#   bench/skew-table.sh [MOESIM_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
moesim=${1:-$root/build/moesim}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "| traffic | dispatch us p50 / max | combine us p50 | layer us mean / p99 | imbalance mean / max |"
echo "|---|---|---|---|---|"
# label; scenario; edits
while IFS=';' read -r label scenario edits; do
  sets=()
  for e in $edits; do sets+=(--set "$e"); done
  "$moesim" run "$root/scenarios/$scenario.yaml" "${sets[@]}" --json "$work/r.json" >/dev/null 2>"$work/err" ||
    { echo "failed: $label: $(tail -n 1 "$work/err")" >&2; exit 1; }
  python3 - "$work/r.json" "$label" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(f"| {sys.argv[2]} | {s['dispatch_us']['p50']:.1f} / {s['dispatch_us']['max']:.1f} | {s['combine_us']['p50']:.1f} "
      f"| {s['total_us']['mean']:.1f} / {s['total_us']['p99']:.1f} | {s['imbalance']['mean']:.2f} / {s['imbalance']['max']:.2f} |")
PY
done <<'LIST'
uniform shares (`tier6-benchmark-sg2262 --set deployment.global_batch=4096`);tier6-benchmark-sg2262;deployment.global_batch=4096
random, 4 of 8 groups (`deepseek-v3-decode-sg2262-random --set traffic.max_nodes=4`);deepseek-v3-decode-sg2262-random;traffic.max_nodes=4
random, 4 of 8 groups, at most 2 boards (`deepseek-v3-decode-sg2262-random`);deepseek-v3-decode-sg2262-random;
zipf 1.0, no redundant experts (`deepseek-v3-decode-sg2262-zipf --set traffic.redundant_experts=0`);deepseek-v3-decode-sg2262-zipf;traffic.redundant_experts=0
zipf 1.0, 32 redundant experts (`deepseek-v3-decode-sg2262-zipf`);deepseek-v3-decode-sg2262-zipf;
LIST
