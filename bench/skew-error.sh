#!/usr/bin/env bash
# The fast fidelity (ptask) against the reference (flow) on skewed routing:
# one DeepSeek-V3 decode layer (128 tokens a chip, 8 groups / top-4 groups,
# seed 1) under random and zipf routing at 64 chips (tpu-v4-4x4x4), 128
# (tpu-v4-4x4x8) and 256 (tpu-v5e-16x16), all chips one EP group. Prints a
# Markdown row per case: wall time and peak memory of each fidelity (one run
# each, /usr/bin/time -v) and ptask's error (the larger of dispatch and
# combine). A flow replay that runs past LIMIT seconds (default 600) is
# stopped and reported as such. SIZES (default "64 128 256") picks the rows.
# With CHECK=1 (as CTest runs it) it exits 1 when a run fails or a row's
# error is above the error the ptask report states for its traffic.
#
#   bench/skew-error.sh [MOESIM_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
moesim=${1:-$root/build/moesim}
limit=${LIMIT:-600}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

platform() {
  case $1 in
    64) echo "$root/platforms/tpu-v4-4x4x4.yaml" ;;
    128) echo "$root/platforms/tpu-v4-4x4x8.yaml" ;;
    256) echo "$root/platforms/tpu-v5e-16x16.yaml" ;;
  esac
}

# measure TAG ARGS...: "wall_s peak_MB" of `moesim run ARGS`, or "- -" past the limit.
measure() {
  local tag=$1
  shift
  if ! timeout "$limit" /usr/bin/time -v "$moesim" run "$@" --json "$work/$tag.json" >/dev/null 2>"$work/$tag.err"; then
    grep -q "Command terminated by signal\|timed out" "$work/$tag.err" || [[ ! -s $work/$tag.json ]] || true
    echo "- -"
    return
  fi
  echo "$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$work/$tag.err") $(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$work/$tag.err")"
}

failures=0
error() {
  [[ -s $work/$1.json && -s $work/$2.json ]] || { echo "-"; failures=$((failures + 1)); return; }
  python3 - "$work/$1.json" "$work/$2.json" <<'PY' || failures=$((failures + 1))
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
e = max(abs(lb[k] / la[k] - 1) for la, lb in zip(a["layers"], b["layers"]) for k in ("dispatch_us", "combine_us"))
stated = b["simgrid"]["fidelity_error"]["max_error"]
print(f"{100 * e:.2f}%" + ("" if e <= stated else f" (above the stated {100 * stated:.0f}%)"))
sys.exit(0 if e <= stated else 1)
PY
}

echo "| chips | routing | flow wall s | flow MB | ptask wall s | ptask MB | ptask error |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for n in ${SIZES:-64 128 256}; do
  for routing in random zipf; do
    args=("$root/scenarios/deepseek-v3-decode-v5e-16x16-$routing.yaml" --set "platform=$(platform "$n")"
      --set "deployment.ep=$n" --set "deployment.global_batch=$((128 * n))" --set model.moe_layers=1)
    rm -f "$work"/*.json
    read -r fw fm < <(measure flow "${args[@]}" --fidelity flow)
    read -r pw pm < <(measure ptask "${args[@]}" --fidelity ptask)
    e=$(error flow ptask) || true
    [[ $e == - || $e == *above* ]] && failures=$((failures + 1))
    echo "| $n | $routing | $fw | $fm | $pw | $pm | $e |"
  done
done
if [[ ${CHECK:-0} == 1 && $failures -gt 0 ]]; then
  echo "skew-error: $failures row(s) failed or above the stated error" >&2
  exit 1
fi
