#!/usr/bin/env bash
# Command-line tests of the moesim binary: bad inputs must fail cleanly, and a
# few good ones must work.
#
#   bash tests/cli/errors.sh /path/to/moesim      (from the repository root)
#
# Every error case checks that moesim
#   1. exits non-zero (2 for moesim's input errors; CLI11 parse errors use
#      CLI11's own codes), and neither times out nor dies of a signal;
#   2. writes exactly one line to stderr (no SimGrid abort, no backtrace);
#   3. writes a line that matches an extended regex naming the file (and the
#      line where there is one), the key and the bad value.
# The script prints one PASS/FAIL line per case and exits 1 if any case failed.
# The bad inputs are written to a temporary directory, removed on exit.
set -u

if [[ $# -ne 1 ]]; then
  echo "usage: bash tests/cli/errors.sh /path/to/moesim" >&2
  exit 2
fi
MOESIM=$1
[[ $MOESIM == /* ]] || MOESIM=$PWD/$MOESIM
if [[ ! -x $MOESIM ]]; then
  echo "errors.sh: '$MOESIM' is not an executable" >&2
  exit 2
fi
ROOT=$PWD
if [[ ! -d $ROOT/platforms || ! -d $ROOT/scenarios ]]; then
  echo "errors.sh: run from the repository root (no platforms/ and scenarios/ in $ROOT)" >&2
  exit 2
fi
TIMEOUT=${MOESIM_CLI_TIMEOUT:-120}  # seconds a case may take
export LC_ALL=C
export NO_COLOR=1

TMP=$(mktemp -d "${TMPDIR:-/tmp}/moesim-cli.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/.stdout
ERR=$TMP/.stderr

passed=0
failed=0

pass() {
  passed=$((passed + 1))
  printf 'PASS  %s\n' "$1"
}

# fail NAME REASON: one line, with the reason and what stderr said.
fail() {
  failed=$((failed + 1))
  local said
  said=$(head -c 600 "$ERR" | tr '\n' '|' | tr -cd '[:print:]')
  printf 'FAIL  %s: %s [stderr: %s]\n' "$1" "$2" "$said"
}

# q TEXT: TEXT as an extended regex matching itself.
# shellcheck disable=SC2016  # the $ is a regex character, not an expansion
q() { printf '%s' "$1" | sed 's/[][\.*^$(){}+?|]/\\&/g'; }

# run_moesim ARGS...: runs moesim with a timeout; sets rc.
run_moesim() {
  timeout -k 5 "$TIMEOUT" "$MOESIM" "$@" >"$OUT" 2>"$ERR" </dev/null
  rc=$?
}

# Describes a bad exit status, or prints nothing if rc is a clean failure.
bad_status() {
  local want=$1
  if [[ $rc -eq 0 ]]; then
    echo "exit status 0 on bad input"
  elif [[ $rc -eq 124 ]]; then
    echo "timed out after ${TIMEOUT}s"
  elif [[ $rc -ge 128 ]]; then
    echo "killed by signal $((rc - 128)) (exit status $rc)"
  elif [[ $want != any && $rc -ne $want ]]; then
    echo "exit status $rc, expected $want"
  fi
}

# expect_error NAME STATUS REGEX ARGS...
#   STATUS: 2 for a moesim input error, or "any" for a CLI11 parse error.
expect_error() {
  local name=$1 want=$2 regex=$3
  shift 3
  run_moesim "$@"
  local why lines
  why=$(bad_status "$want")
  if [[ -n $why ]]; then
    fail "$name" "$why"
    return
  fi
  lines=$(awk 'END { print NR }' "$ERR")
  if [[ $lines -ne 1 ]]; then
    fail "$name" "stderr has $lines lines, expected exactly 1"
  elif ! grep -Eq -- "$regex" "$ERR"; then
    fail "$name" "stderr does not match /$regex/"
  else
    pass "$name"
  fi
}

# ---------------------------------------------------------------------------
# Fixtures.

V4=$ROOT/platforms/tpu-v4-4x4x4.yaml  # 64 chips, chip-0 .. chip-63

# scenario NAME PLATFORM [SED] [EXTRA]: writes $TMP/scenario-NAME.yaml, prints its
# path. The base scenario (line numbers matter to the expected messages):
#   1 name: NAME
#   2 platform: PLATFORM
#   3 model:
#   4   hidden_dim: 7168
#   5   topk: 8
#   6 deployment:
#   7   global_batch: 64
#   8   ep: 4
# SED edits it; EXTRA lines are appended (from line 9 on).
scenario() {
  local name=$1 platform=$2 edit=${3:-} extra=${4:-}
  local f=$TMP/scenario-$name.yaml
  {
    printf 'name: %s\nplatform: %s\n' "$name" "$platform"
    printf 'model:\n  hidden_dim: 7168\n  topk: 8\n'
    printf 'deployment:\n  global_batch: 64\n  ep: 4\n'
    [[ -n $extra ]] && printf '%s\n' "$extra"
  } >"$f"
  [[ -n $edit ]] && sed -i -e "$edit" "$f"
  printf '%s' "$f"
}

# platform_yaml NAME SED: writes $TMP/platform-NAME.yaml, a torus platform
# edited by SED, and prints its path. Line 3 is the kind, line 5 the bandwidth.
platform_yaml() {
  local f=$TMP/platform-$1.yaml
  printf 'name: %s\ntopology:\n  kind: torus\n  dims: [4, 4]\n  bandwidth: 45GBps\n  latency: 1us\n' "$1" >"$f"
  sed -i -e "$2" "$f"
  printf '%s' "$f"
}

XML_HEAD="<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">
<platform version=\"4.1\">
  <zone id=\"z\" routing=\"Full\">"
XML_TAIL="  </zone>
</platform>"

# platform_xml NAME BODY: writes $TMP/platform-NAME.xml, a SimGrid platform
# with BODY inside a Full zone (BODY starts on line 5), and prints its path.
platform_xml() {
  local f=$TMP/platform-$1.xml
  printf '%s\n%s\n%s\n' "$XML_HEAD" "$2" "$XML_TAIL" >"$f"
  printf '%s' "$f"
}

E='^moesim: error: '  # every moesim input error starts so

# ---------------------------------------------------------------------------
# Scenario files.

F=$TMP/no-such-scenario.yaml
expect_error "missing scenario file" 2 \
  "$E$(q "$F"): cannot open file" run "$F"

F=$TMP/broken.yaml
printf 'name: broken\nmodel:\n  hidden_dim: [7168, 2\n  topk: 8\n' >"$F"
expect_error "broken YAML (unclosed bracket)" 2 \
  "$E$(q "$F"):[0-9]+: invalid YAML: .*(sequence|flow|\])" run "$F"

F=$(scenario typo-top "$V4" 's/^deployment:/deploymnet:/')
expect_error "unknown key deploymnet (top level)" 2 \
  "$E$(q "$F"):6: deploymnet: unknown key \(allowed here: .*deployment" run "$F"

F=$(scenario typo-model "$V4" 's/hidden_dim:/hiden_dim:/')
expect_error "unknown key model.hiden_dim" 2 \
  "$E$(q "$F"):4: model\.hiden_dim: unknown key \(allowed here: .*hidden_dim" run "$F"

F=$(scenario no-hidden "$V4" '/hidden_dim:/d')
expect_error "missing key model.hidden_dim" 2 \
  "$E$(q "$F"):[34]: model\.hidden_dim: missing key" run "$F"

F=$(scenario hidden-list "$V4" 's/hidden_dim: 7168/hidden_dim: [1, 2]/')
expect_error "wrong type hidden_dim: [1, 2]" 2 \
  "$E$(q "$F"):4: model\.hidden_dim: .*\[1, 2\]" run "$F"

F=$(scenario hidden-abc "$V4" 's/hidden_dim: 7168/hidden_dim: abc/')
expect_error "wrong type hidden_dim: abc" 2 \
  "$E$(q "$F"):4: model\.hidden_dim: 'abc' is not a positive integer" run "$F"

F=$(scenario ep-zero "$V4" 's/ep: 4/ep: 0/')
expect_error "zero size ep: 0" 2 \
  "$E$(q "$F"):8: deployment\.ep: '0' is not a positive integer" run "$F"

F=$(scenario batch-negative "$V4" 's/global_batch: 64/global_batch: -5/')
expect_error "negative size global_batch: -5" 2 \
  "$E$(q "$F"):7: deployment\.global_batch: '-5' is not a positive integer" run "$F"

F=$(scenario ep-128 "$V4" 's/ep: 4/ep: 128/')
big="deployment\.ep: .*128.* chips is more than the 64 chips of platform tpu-v4-4x4x4"
expect_error "ep 128 on tpu-v4-4x4x4 (64 chips), engine bound" 2 \
  "$E$(q "$F"):8: $big" run "$F" --engine bound
expect_error "ep 128 on tpu-v4-4x4x4 (64 chips), engine simgrid" 2 \
  "$E$(q "$F"):8: $big" run "$F"
expect_error "ep 128 on tpu-v4-4x4x4 (64 chips), --set deployment.ep=128" 2 \
  "$E--set deployment\.ep: $big" \
  run scenarios/deepseek-v3-decode-v4-4x4x4.yaml --engine bound --set deployment.ep=128

F=$(scenario precision-w4a4 "$V4" '' 'precision: W4A4')
expect_error "unknown precision W4A4" 2 \
  "$E$(q "$F"):9: precision: 'W4A4' is not a precision \(allowed: .*W8A8" run "$F"

F=$(scenario dtype-fp4 "$V4" '' 'precision: {dispatch: fp4, combine: bf16}')
expect_error "unknown dtype precision.dispatch: fp4" 2 \
  "$E$(q "$F"):9: precision\.dispatch: 'fp4' is not a dtype \(allowed: .*fp8" run "$F"

F=$(scenario placement-host "$V4" '' '  placement: [chip-0, chip-1, chip-2, chip-99]')
expect_error "unknown host chip-99 in deployment.placement" 2 \
  "$E$(q "$F"):9: deployment\.placement: host 'chip-99' is not a chip of platform tpu-v4-4x4x4" \
  run "$F" --engine bound

F=$(scenario placement-length "$V4" '' '  placement: [chip-0, chip-1]')
expect_error "deployment.placement of 2 hosts for ep 4" 2 \
  "$E$(q "$F"):9: deployment\.placement: lists 2 hosts, but the group has .*= 4 chips" \
  run "$F" --engine bound

F=$(scenario network-model "$V4" '' 'simgrid: {network_model: FOO}')
expect_error "unknown SimGrid network model FOO" 2 \
  "$E$(q "$F"):9: simgrid\.network_model: 'FOO' is not a SimGrid network model" run "$F"

# ns-3 is a SimGrid model name, but this SimGrid build cannot replay with it.
F=$(scenario network-ns3 "$V4" '' 'simgrid: {network_model: ns-3}')
expect_error "SimGrid network model ns-3 (must not hang)" 2 \
  "$E$(q "$F"):9: simgrid\.network_model: 'ns-3'" run "$F"

F=$(scenario simgrid-cfg "$V4" '' 'simgrid: {cfg: ["foo:bar"]}')
expect_error "unknown SimGrid option in simgrid.cfg" 2 \
  "$E$(q "$F"):9: simgrid(\.cfg)?: .*'foo:bar'" run "$F"

# ---------------------------------------------------------------------------
# Platforms: YAML.

P=$TMP/no-such-platform.yaml
F=$(scenario missing-platform-yaml "$P")
expect_error "missing platform YAML (run)" 2 \
  "$E$(q "$P"): cannot open file \(platform of $(q "$F"):2\)" run "$F" --engine bound
expect_error "missing platform YAML (platform)" 2 \
  "$E$(q "$P"): cannot open file" platform "$P"

P=$TMP/no-such-platform.xml
F=$(scenario missing-platform-xml "$P")
expect_error "missing platform XML (run)" 2 \
  "$E$(q "$P"): .*(cannot open|Unable to open|not exist).*\(platform of $(q "$F"):2\)" \
  run "$F" --engine bound
expect_error "missing platform XML (platform)" 2 \
  "$E$(q "$P"): .*(cannot open|Unable to open|not exist)" platform "$P"

P=$(platform_yaml bad-bandwidth 's/45GBps/45GBs/')
F=$(scenario bad-bandwidth "$P")
expect_error "platform bandwidth 45GBs (platform)" 2 \
  "$E$(q "$P"):5: topology\.bandwidth: '45GBs' is not a bandwidth" platform "$P"
expect_error "platform bandwidth 45GBs (run)" 2 \
  "$E$(q "$P"):5: topology\.bandwidth: '45GBs' is not a bandwidth.*\(platform of $(q "$F"):2\)" \
  run "$F" --engine bound

# A bandwidth or latency without a unit: refused, not read as B/s or seconds.
P=$(platform_yaml bare-bandwidth 's/45GBps/45/')
expect_error "platform bandwidth 45, no unit" 2 \
  "$E$(q "$P"):5: topology\.bandwidth: '45' has no unit: write 45GBps \(bytes per second\) or 45Gbps \(bits per second\)" \
  run "$(scenario bare-bandwidth "$P")" --engine bound
# Found by fuzzing: a torus without a bandwidth was an internal error.
P=$(platform_yaml no-bandwidth '/bandwidth/d')
expect_error "torus without a bandwidth" 2 "$E$(q "$P"):2: topology\.bandwidth: missing key" platform "$P"
P=$(platform_yaml bare-latency 's/latency: 1us/latency: 1/')
expect_error "platform latency 1, no unit" 2 \
  "$E$(q "$P"):6: topology\.latency: '1' has no unit: write 1us, 1ms or 1s" platform "$P"
# Found by fuzzing: a latency of 1e206 s made the shortest-route walk loop forever.
P=$TMP/platform-slow-link.dot
printf 'graph g { a -- b [bandwidth="45GBps", latency="1e206s"]; }\n' >"$P"
expect_error "DOT latency of a second or more" 2 \
  "$E$(q "$P"): edge a -- b: latency: '1e206s' is a second or more: routes count hops first, then latency" platform "$P"
P=$TMP/platform-bare.dot
printf 'graph g { a -- b [bandwidth=45GBps]; }\n' >"$P"
expect_error "DOT bandwidth unquoted (45GBps reads as 45)" 2 \
  "$E$(q "$P"): edge a -- b: bandwidth: '45' has no unit: .*quote a value with a unit" platform "$P"

P=$(platform_yaml bad-kind 's/kind: torus/kind: hypercube/')
F=$(scenario bad-kind "$P")
expect_error "unknown topology kind hypercube (platform)" 2 \
  "$E$(q "$P"):3: topology\.kind: 'hypercube' is not a topology kind" platform "$P"
expect_error "unknown topology kind hypercube (run)" 2 \
  "$E$(q "$P"):3: topology\.kind: 'hypercube' is not a topology kind.*\(platform of $(q "$F"):2\)" \
  run "$F" --engine bound

# A one-node gpu_cluster may leave out its nic; two nodes may not.
P=$TMP/platform-two-nodes.yaml
printf 'name: two-nodes\ntopology:\n  kind: gpu_cluster\n  nodes: 2\n  gpus_per_node: 8\n  nvlink: {bandwidth: 450GBps}\n' >"$P"
expect_error "gpu_cluster of 2 nodes without a nic" 2 \
  "$E$(q "$P"):3: topology\.nic: missing key: 2 nodes talk through their NICs \(give nic: \{bandwidth, latency\}; only nodes: 1 may leave it out\)$" \
  platform "$P"

# ---------------------------------------------------------------------------
# Platforms: strings (KIND:XxYxZ:BANDWIDTH[:LATENCY]).

FORM="; expected KIND:XxYxZ:BANDWIDTH\[:LATENCY\] \(KIND torus, mesh or ring; .*\), e\.g\. torus:8x8x16:90GBps:1us"
expect_error "platform string with a zero dimension (run)" 2 \
  "${E}platform: 'torus:8x0:45GBps': dimension '0' is not a positive integer$FORM \(platform of --set platform\)$" \
  run scenarios/reference-ep32.yaml --engine bound --set platform=torus:8x0:45GBps
expect_error "platform string without a bandwidth (platform)" 2 \
  "${E}platform: 'torus:4x4x8': no link bandwidth$FORM$" platform torus:4x4x8
expect_error "platform string with a bare bandwidth (topo)" 2 \
  "${E}platform: 'mesh:8x8:45': link bandwidth '45' is not a positive bandwidth with a unit \(Bps, .*\)$FORM$" \
  topo mesh:8x8:45
expect_error "platform string with a misspelt kind (platform)" 2 \
  "${E}platform: 'tours:8x8:45GBps': no such file, nor a platform string$FORM$" platform tours:8x8:45GBps
F=$(scenario string-too-small 'ring:8:45GBps' 's/ep: 4/ep: 16/')
expect_error "platform string too small for the scenario (run)" 2 \
  "$E$(q "$F"):8: deployment\.ep: .*16.*ring-8" run "$F" --engine bound

# ---------------------------------------------------------------------------
# Platforms: SimGrid XML.

P=$TMP/garbage.xml
printf 'this is not a platform\n\001\002 <<< garbage >>> \377\n' >"$P"
expect_error "garbage XML platform (platform)" 2 \
  "$E$(q "$P"): invalid SimGrid platform: .*$(q "$P"):1" platform "$P"
F=$(scenario garbage-xml "$P")
expect_error "garbage XML platform (run)" 2 \
  "$E$(q "$P"): invalid SimGrid platform: .*$(q "$P"):1" run "$F" --engine bound

# Line 6 lacks its closing "/>", which the parser finds on line 7.
P=$(platform_xml syntax-error '    <host id="h0" speed="1Gf"/>
    <host id="h1" speed="1Gf"')
expect_error "XML platform with a syntax error" 2 \
  "$E$(q "$P"): invalid SimGrid platform: .*$(q "$P"):[67]" platform "$P"

P=$(platform_xml unreachable '    <host id="h0" speed="1Gf"/>
    <host id="h1" speed="1Gf"/>
    <host id="h2" speed="1Gf"/>
    <link id="l01" bandwidth="1GBps" latency="1us"/>
    <route src="h0" dst="h1"><link_ctn id="l01"/></route>')
unreach="$E$(q "$P"): .*\bh2\b.*unreachable from h0"
expect_error "XML platform with an unreachable chip (platform)" 2 "$unreach" platform "$P"
F=$(scenario unreachable "$P" 's/ep: 4/ep: 3/')
expect_error "XML platform with an unreachable chip (run, bound)" 2 "$unreach" run "$F" --engine bound
expect_error "XML platform with an unreachable chip (run, simgrid)" 2 "$unreach" run "$F"

P=$(platform_xml unknown-route-host '    <host id="h0" speed="1Gf"/>
    <host id="h1" speed="1Gf"/>
    <link id="l01" bandwidth="1GBps" latency="1us"/>
    <route src="h0" dst="h9"><link_ctn id="l01"/></route>')
expect_error "XML route to an unknown host h9" 2 \
  "$E$(q "$P"): .*$(q "$P"):[0-9]+: .*'h9'" platform "$P"

# ---------------------------------------------------------------------------
# Command-line options.

REF=scenarios/reference-ep32.yaml

expect_error "unknown engine --engine foo" 2 \
  "$E--engine: .*'foo' is not an engine" run "$REF" --engine foo

expect_error "--set without '='" 2 \
  "$E--set: deployment\.ep: expected key=value" run "$REF" --engine bound --set deployment.ep
expect_error "--set deployment.ep=abc" 2 \
  "$E--set deployment\.ep: deployment\.ep: 'abc' is not a positive integer" \
  run "$REF" --engine bound --set deployment.ep=abc
expect_error "--set deployment.epp=3 (unknown key)" 2 \
  "$E--set deployment\.epp: deployment\.epp: unknown key" \
  run "$REF" --engine bound --set deployment.epp=3

expect_error "--log-level loud (before the subcommand)" 2 \
  "$E--log-level: 'loud' is not a level" --log-level loud run "$REF" --engine bound
expect_error "--log-level loud (after the subcommand)" 2 \
  "$E--log-level: 'loud' is not a level" run "$REF" --engine bound --log-level loud

BYTES=(bytes --hidden-dim 7168 --topk 8 --ep 32 --global-batch 64)
expect_error "bytes --precision W4A4" 2 \
  "$E--precision: 'W4A4' is not a precision" "${BYTES[@]}" --precision W4A4
expect_error "bytes --dispatch-dtype fp4" 2 \
  "$E--dispatch-dtype: 'fp4' is not a dtype" "${BYTES[@]}" --dispatch-dtype fp4
# A CLI11 check: any non-zero status, but still one line that says what is wrong.
expect_error "bytes --hidden-dim 0 (CLI11 check)" any \
  "--hidden-dim.*\b0\b.*positive" bytes --hidden-dim 0 --topk 8 --ep 32 --global-batch 64

# The issue's case: 2.4e26 bytes used to wrap to 1288063333206851584, exit 0.
expect_error "bytes whose product is past 2^64" 2 \
  "${E}tokens_per_ep_group x hidden_dim x dtype bytes: elements per EP group: 60000000000000000 x 4000000000 is more than 2\\^64 - 1" \
  bytes --hidden-dim 4000000000 --topk 60000 --ep 1 --global-batch 1000000000000 --seq-len 1 --moe-tp 1

expect_error "run --json into a missing folder" 2 \
  "$E--json: cannot write '$(q "$TMP")/no-such-dir/r\.json'" \
  run "$REF" --engine bound --json "$TMP/no-such-dir/r.json"

# ---------------------------------------------------------------------------
# Routing models (traffic.*). With '5a' num_experts: 16 becomes line 6 and the
# EXTRA lines start at line 10.

NUM='5a\  num_experts: 16'
F=$(scenario routing-magic "$V4" "$NUM" 'traffic: {routing: magic}')
expect_error "unknown routing model" 2 \
  "$E$(q "$F"):10: traffic\.routing: 'magic' is not a routing model \(allowed: uniform, random" run "$F"
F=$(scenario routing-no-experts "$V4" '' 'traffic: {routing: random}')
expect_error "random routing without model.num_experts" 2 \
  "$E$(q "$F"):9: traffic\.routing: 'random' routing needs model\.num_experts" run "$F"
F=$(scenario comm-ring "$V4" '' 'comm: {algorithm: ring}')
expect_error "unknown all-to-all algorithm" 2 \
  "$E$(q "$F"):9: comm\.algorithm: 'ring' is not an all-to-all algorithm \(allowed: direct, node_dedup, per_expert, dimension_ordered\)" run "$F"
F=$(scenario comm-dedup-uniform "$V4" '' 'comm: {algorithm: node_dedup}')
expect_error "node_dedup with uniform shares" 2 \
  "$E$(q "$F"):9: comm\.algorithm: node_dedup needs each token's experts: set traffic\.routing" run "$F"
F=$(scenario comm-dedup-no-node "$V4" "$NUM" $'traffic: {routing: random}\ncomm: {algorithm: node_dedup}')
expect_error "node_dedup on a torus without a node size" 2 \
  "$E$(q "$F"):11: comm\.algorithm: node_dedup needs a node: platform tpu-v4-4x4x4 has no tiers or GPU nodes, so give traffic\.node_chips" run "$F"
F=$(scenario comm-dedup-every-copy "$V4" "$NUM" $'traffic: {routing: random, dedup: false, node_chips: 4}\ncomm: {algorithm: node_dedup}')
expect_error "node_dedup with every copy sent" 2 \
  "$E$(q "$F"):11: comm\.algorithm: node_dedup sends a token once to each EP rank it picked \(once to each node\): traffic\.dedup false" run "$F"
# Found by tests/property_test.cpp: a strided placement split an EP rank over two nodes.
expect_error "node_dedup with a rank split over nodes" 2 \
  "${E}scenarios/deepseek-v3-decode-h100-node-dedup\.yaml:11: comm\.algorithm: node_dedup needs each EP rank inside one node, but EP group 0's rank 0 has chips 0 and 8 in different nodes of 8 chips \(deployment\.group_placement strided\)" \
  run scenarios/deepseek-v3-decode-h100-node-dedup.yaml --set deployment.ep=4 --set deployment.moe_tp=2 \
  --set deployment.groups=8 --set deployment.group_placement=strided
F=$(scenario comm-dim-gpu "$ROOT/platforms/h800-ib-32x8.yaml" '' 'comm: {algorithm: dimension_ordered}')
expect_error "dimension_ordered on a GPU cluster" 2 \
  "$E$(q "$F"):9: comm\.algorithm: dimension_ordered needs a torus or mesh platform; h800-ib-32x8 is not one" run "$F"
F=$(scenario comm-message-bytes "$V4" '' 'comm: {message_bytes: 1.5}')
expect_error "message_bytes not a whole number" 2 \
  "$E$(q "$F"):9: comm\.message_bytes: '1\.5' is not a whole number of bytes" run "$F"
F=$(scenario comm-per-message "$V4" '' 'comm: {per_message_us: -1}')
expect_error "negative per_message_us" 2 "$E$(q "$F"):9: comm\.per_message_us: " run "$F"
F=$(scenario comm-typo "$V4" '' 'comm: {algo: direct}')
expect_error "unknown key in comm" 2 "$E$(q "$F"):9: .*algo" run "$F"
F=$(scenario hot-share "$V4" "$NUM" 'traffic: {routing: hotspot, hot_experts: [0], hot_share: 1.5}')
expect_error "hot_share 1.5" 2 "$E$(q "$F"):10: traffic\.hot_share: '1\.5' is not in \(0, 1\]" run "$F"
F=$(scenario hot-expert "$V4" "$NUM" 'traffic: {routing: hotspot, hot_experts: [99], hot_share: 0.5}')
expect_error "hot expert 99 of 16" 2 "$E$(q "$F"):10: traffic\.hot_experts: '99' is not an expert id" run "$F"
F=$(scenario trace-missing "$V4" "$NUM" "traffic: {routing: trace, trace: $TMP/none.csv}")
expect_error "missing trace file" 2 "$E$(q "$TMP/none.csv"): traffic\.trace: cannot open" run "$F" --engine bound
printf 'layer,token,experts\n0,0,1;2;3;4;5;6;7;99\n' >"$TMP/bad.csv"
F=$(scenario trace-bad "$V4" "$NUM" "traffic: {routing: trace, trace: $TMP/bad.csv}")
expect_error "trace row naming expert 99" 2 \
  "$E$(q "$TMP/bad.csv"):2: experts: expert 99 is not below model\.num_experts 16" run "$F" --engine bound
F=$(scenario nodes-torus "$V4" "$NUM" 'traffic: {routing: random, max_nodes: 2}')
expect_error "max_nodes on a torus without node_chips" 2 \
  "$E$(q "$F"):10: traffic\.max_nodes: a node needs traffic\.node_chips" run "$F" --engine bound
F=$(scenario node-level "$ROOT/platforms/sg2262-p1r1b4c32.yaml" "$NUM" 'traffic: {routing: random, max_nodes: 2, node_level: pod}')
expect_error "node_level pod on sg2262" 2 \
  "$E$(q "$F"):10: traffic\.node_level: 'pod' is not a tier of platform sg2262-p1r1b4c32 \(tiers: board, rack\)" \
  run "$F" --engine bound
F=$(scenario redundant "$V4" "$NUM" 'traffic: {routing: zipf, redundant_experts: 17}')
expect_error "17 redundant experts of 16" 2 \
  "$E$(q "$F"):10: traffic\.redundant_experts: 17 is more than model\.num_experts 16" run "$F"
F=$(scenario n-groups "$V4" "$NUM" 'traffic: {routing: random, n_groups: 3, topk_groups: 2}')
expect_error "n_groups 3 of 16 experts" 2 "$E$(q "$F"):10: traffic\.n_groups: 3 does not divide" run "$F"
F=$(scenario uniform-limits "$V4" "$NUM" 'traffic: {n_groups: 4, topk_groups: 2}')
expect_error "group limit on uniform shares" 2 "$E$(q "$F"):10: traffic\.routing: uniform shares draw no experts" run "$F"
F=$(scenario groups-too-many "$V4" "$NUM" '')
expect_error "32 groups of 4 on 64 chips" 2 \
  "$E--set deployment\.groups: deployment\.groups: .*x 32 EP groups is more than the 64 chips" \
  run "$F" --engine bound --set deployment.groups=32
expect_error "group_placement diagonal" 2 \
  "$E--set deployment\.group_placement: deployment\.group_placement: 'diagonal' is not a group placement" \
  run "$F" --set deployment.group_placement=diagonal
expect_error "--seed abc" 2 "$E--set seed: seed: 'abc' is not a non-negative integer" run "$F" --seed abc
expect_error "--samples 0" 2 "$E--set samples: samples: '0' is not a positive integer" run "$F" --samples 0

# Torus options and the topo command.
P=$(platform_yaml antipodal 's/latency: 1us/latency: 1us\n  antipodal: sideways/')
expect_error "antipodal sideways" 2 "$E$(q "$P"):7: topology\.antipodal: 'sideways' is not an antipodal routing" topo "$P"
P=$(platform_yaml bw-list 's/bandwidth: 45GBps/bandwidth: [45GBps, 45GBps, 45GBps]/')
expect_error "three bandwidths for two dimensions" 2 "$E$(q "$P"):5: topology\.bandwidth: gives 3 values for 2 dimensions" topo "$P"
P=$(platform_yaml bw-item 's/bandwidth: 45GBps/bandwidth: [45GBps, fast]/')
expect_error "a bad bandwidth in a list" 2 "$E$(q "$P"):5: topology\.bandwidth: 'fast' is not a bandwidth" topo "$P"
P=$(platform_yaml twist-4x4 's/latency: 1us/latency: 1us\n  twisted: true/')
expect_error "twisted 4x4" 2 "$E$(q "$P"):7: topology\.twisted: a twisted torus needs dimensions n and 2n .*got \[4, 4\]" topo "$P"
P=$(platform_yaml twist-yes 's/dims: \[4, 4\]/dims: [4, 8]/; s/latency: 1us/latency: 1us\n  twisted: yes/')
expect_error "twisted yes" 2 "$E$(q "$P"):7: topology\.twisted: 'yes' is not true or false" topo "$P"
P=$(platform_yaml twist-sp-split 's/dims: \[4, 4\]/dims: [4, 8]/; s/latency: 1us/latency: 1us\n  twisted: true\n  routing: shortest_path\n  antipodal: split/')
expect_error "twisted, shortest paths, antipodal split" 2 "$E$(q "$P"):9: topology\.antipodal: applies to dimension-order routing only" topo "$P"
P=$(platform_yaml routing-bad 's/latency: 1us/latency: 1us\n  routing: adaptive/')
expect_error "torus routing adaptive" 2 "$E$(q "$P"):7: topology\.routing: 'adaptive' is not a torus routing" topo "$P"
P=$(platform_yaml ft-over 's/kind: torus/kind: fat_tree\n  k: 4\n  levels: 3\n  oversubscription: [2]/; /dims/d')
expect_error "fat-tree oversubscription of the wrong length" 2 \
  "$E$(q "$P"):6: topology\.oversubscription: expected a list of levels - 1 = 2 ratios, got \[2\]" topo "$P"
P=$(platform_yaml ft-half 's/kind: torus/kind: fat_tree\n  k: 4\n  levels: 2\n  oversubscription: [0.5]/; /dims/d')
expect_error "fat-tree oversubscription below 1" 2 "$E$(q "$P"):6: topology\.oversubscription: ratios must be >= 1, got '0.5'" topo "$P"
P=$TMP/platform-df.yaml
printf 'topology:\n  kind: dragonfly\n  groups: 10\n  routers_per_group: 4\n  chips_per_router: 2\n  global_links_per_router: 2\n' >"$P"
expect_error "dragonfly with too many groups" 2 \
  "$E$(q "$P"):3: topology\.groups: 10 groups need 9 global links a group; 4 routers x 2 give 8" topo "$P"
# Tier6 topology files and graphs.
T6=$ROOT/tests/fixtures/tier6/P1-R1-B4-C32.yaml
P=$TMP/tier6-type.yaml
sed 's/  type: b2b/  type: x2x/' "$T6" >"$P"
expect_error "Tier6 connection type x2x" 2 "$E$(q "$P"):[0-9]+: connections\[112\]\.type: 'x2x' is not a connection type" topo "$P"
# Found by fuzzing: a connection that is not a mapping was an internal error.
P=$TMP/tier6-connection.yaml
sed 's/^connections:$/connections:\n- 5/' "$T6" >"$P"
expect_error "Tier6 connection that is not a mapping" 2 "$E$(q "$P"):[0-9]+: connections\[0\]: expected a mapping of keys, got '5'" topo "$P"
P=$TMP/tier6-bw.yaml
sed 's/bandwidth_gbps: 400$/bandwidth_gbps: fast/' "$T6" >"$P"
expect_error "Tier6 c2c bandwidth fast" 2 "$E$(q "$P"):[0-9]+: interconnect\.links\.c2c\.bandwidth_gbps: 'fast' is not a number" platform "$P"
P=$TMP/tier6-key.yaml
sed 's/^switch_config:/switch_confg:/' "$T6" >"$P"
expect_error "Tier6 unknown key" 2 "$E$(q "$P"):[0-9]+: switch_confg: unknown key \(allowed here: name, description, pods," platform "$P"
P=$TMP/tier6-c2c-latency.yaml
sed 's/^    bandwidth_utilization: 0.95$/    bandwidth_utilization: 0.95\n    c2c_latency_us: -0.15/' "$T6" >"$P"
expect_error "Tier6 c2c_latency_us -0.15" 2 \
  "$E$(q "$P"):[0-9]+: interconnect\.comm_params\.c2c_latency_us: '-0\.15' must be zero or more" platform "$P"
P=$TMP/graph-bw.dot
printf 'graph g {\n  a -- b [bandwidth=fast];\n}\n' >"$P"
expect_error "DOT edge bandwidth fast" 2 "$E$(q "$P"): edge a -- b: bandwidth: 'fast' is not a positive bandwidth" topo "$P"
P=$TMP/graph-di.dot
printf 'digraph g { a -> b [bandwidth="1GBps"]; }\n' >"$P"
expect_error "DOT digraph" 2 "$E$(q "$P"): a digraph: write an undirected 'graph'" topo "$P"
expect_error "--picture .bmp" 2 "$E--picture: '$(q "$TMP/x.bmp")' does not end in \.svg, \.png or \.pdf" \
  platform "$V4" --picture "$TMP/x.bmp"
expect_error "two exports to stdout" 2 "$E--dot: only one export can go to stdout" platform "$V4" --xml - --dot -
P=$TMP/platform-clos.yaml
printf 'topology:\n  kind: tiers\n  levels:\n    - {name: board, count: 8, bandwidth: 100GBps}\n    - {name: rack, count: 64, fabric: switch, switch_ports: 8, bandwidth: 50GBps}\n' >"$P"
expect_error "switch ports too few for two layers" 2 \
  "$E$(q "$P"):5: topology\.levels\[1\]\.switch_ports: 64 members need 16 leaves of 4 ports down, more than a 8-port spine" topo "$P"
expect_error "--fidelity fast" 2 "$E--set simgrid\.fidelity: simgrid\.fidelity: 'fast' is not a fidelity \(allowed: flow, ptask\)" \
  run "$REF" --fidelity fast
expect_error "ptask_max_links 0" 2 "$E--set simgrid\.ptask_max_links: simgrid\.ptask_max_links: '0' is not a positive integer" \
  run "$REF" --fidelity ptask --set simgrid.ptask_max_links=0
expect_error "--simgrid-trace without SimGrid" 2 "$E--simgrid-trace: needs the simgrid engine" \
  run "$REF" --engine bound --simgrid-trace "$TMP/paje.trace"
expect_error "--trace into a missing folder" 2 "$E--trace: cannot write '$(q "$TMP/none/t.json")'" \
  run "$REF" --engine bound --trace "$TMP/none/t.json"
expect_error "--heatmap .jpg" 2 "$E--heatmap: '$(q "$TMP/h.jpg")' does not end in \.png or \.svg" \
  run "$REF" --engine bound --heatmap "$TMP/h.jpg"
expect_error "--links into a missing folder" 2 "$E--links: cannot write '$(q "$TMP/none/l.csv")'" \
  run "$REF" --engine bound --links "$TMP/none/l.csv"
P=$TMP/platform-huge.yaml
printf 'name: huge\ntopology: {kind: torus, dims: [1000, 1000, 1000], bandwidth: 45GBps, latency: 1us}\n' >"$P"
expect_error "a platform whose routes cannot fit in memory" 2 \
  "$E$(q "$P"): topology: its route table needs about 3\.01e\+06 GB, more than this machine's [0-9.]+ GB of memory" \
  platform "$P"
expect_error "more layers than the machine can hold the results of" 2 \
  "${E}scenarios/deepseek-v3-decode-v5e-16x16\.yaml: model\.moe_layers: 100000000 layers x 1 sample: this run needs about 2\.15 TB \(routes 164 kB, traffic 3\.13 MB, matrices 4\.72 MB, results 2\.15 TB\), more than this machine's [0-9.]+ [GT]B of memory$" \
  run scenarios/deepseek-v3-decode-v5e-16x16.yaml --set model.moe_layers=100000000
expect_error "a run on a platform whose routes cannot fit in memory, before it is built" 2 \
  "$E--set platform: platform: this run needs about 3\.0[12] PB \(routes 3\.01 PB, .*\), more than this machine's [0-9.]+ [GT]B of memory: use a smaller platform" \
  run "$REF" --engine bound --set "platform=$P"
# Calibration knobs in a platform file.
P=$TMP/platform-cal-class.yaml
{ sed '/^calibration:/,$d' "$ROOT/platforms/h800-ib-32x8.yaml"; printf 'calibration:\n  efficiency: {ici: 0.8}\n'; } >"$P"
expect_error "calibration of a link class the platform lacks" 2 \
  "$E$(q "$P"):[0-9]+: calibration\.efficiency\.ici: no link of class 'ici' \(classes here: nic, nvlink\)" platform "$P"
P=$TMP/platform-cal-eff.yaml
{ sed '/^calibration:/,$d' "$ROOT/platforms/h800-ib-32x8.yaml"; printf 'calibration:\n  efficiency: {nic: 1.5}\n'; } >"$P"
expect_error "calibration efficiency above 1" 2 \
  "$E$(q "$P"):[0-9]+: calibration\.efficiency\.nic: efficiency '1\.5' is not in \(0, 1\]" platform "$P"
P=$TMP/platform-cal-latency.yaml
{ sed '/^calibration:/,$d' "$ROOT/platforms/h800-ib-32x8.yaml"; printf 'calibration:\n  latency_us: {nic: -1}\n'; } >"$P"
expect_error "calibration latency below 0" 2 \
  "$E$(q "$P"):[0-9]+: calibration\.latency_us\.nic: latency '-1' is not 0 us or more" platform "$P"
P=$TMP/platform-cal-phase.yaml
{ sed '/^calibration:/,$d' "$ROOT/platforms/h800-ib-32x8.yaml"; printf 'calibration:\n  startup_us: {expert: 3}\n'; } >"$P"
expect_error "calibration start-up of an unknown phase" 2 \
  "$E$(q "$P"):[0-9]+: calibration\.startup_us\.expert: unknown key" platform "$P"
P=$TMP/platform-cal-twice.yaml
{ cat "$ROOT/platforms/h800-ib-32x8.yaml"; printf 'calibration:\n  efficiency: {nic: 0.5}\n'; } >"$P"
expect_error "a platform key given twice (the shipped calibration and another)" 2 \
  "$E$(q "$P"):[0-9]+: calibration: is given twice" platform "$P"
expect_error "a scenario's calibration neither platform nor none" 2 \
  "${E}--set calibration: calibration: 'nominal' is not platform \(the platform file's calibration\) or none \(its nominal network\)" \
  run "$REF" --engine bound --set calibration=nominal
P=$TMP/platform-cost-class.yaml
{ sed '/^calibration:/,$d' "$ROOT/platforms/h800-ib-32x8.yaml"; printf 'calibration:\n  per_peer_us: {ib: 2}\n'; } >"$P"
expect_error "a per-peer cost of a link class the platform lacks" 2 \
  "$E$(q "$P"):[0-9]+: calibration\.per_peer_us\.ib: no link of class 'ib' \(classes here: nic, nvlink\)" platform "$P"
# Compute and overlap schedules.
expect_error "an unknown overlap schedule" 2 \
  "${E}--set overlap: overlap: 'tbx' is not a schedule \(allowed: none, sbo, tbo, tbo-decode, tbo-prefill, tbo-decode-sglang, or a map of micro_batches and steps\)" \
  run "$REF" --engine bound --set overlap=tbx
expect_error "overlap on a platform without compute and no expert time" 2 \
  "${E}--set overlap: compute\.experts: the experts' time is unknown: .* \(platform sg2262-p1r1b4c32 has none\)" \
  run "$REF" --engine bound --set overlap=tbo
expect_error "a roofline on a platform without compute" 2 \
  "${E}--set overlap: compute\.attn_core: a roofline needs the chip's compute, and platform sg2262-p1r1b4c32 has no compute block: give a time in us" \
  run "$REF" --engine bound --set overlap=tbo --set compute.experts=10 --set compute.attn_core.flop_per_token=1e9
expect_error "overlap under the analytic engine" 2 \
  "${E}--set overlap: engine: analytic prices the scenario's whole batch.*: use engine bound or simgrid with compute or overlap" \
  run "$REF" --engine analytic --set overlap=tbo --set compute.experts=10
S=$TMP/overlap-lane.yaml
{ sed "s|\\.\\./platforms|$ROOT/platforms|" "$REF"; printf 'compute: {experts: 10}\noverlap:\n  micro_batches: 2\n  steps:\n    - [dispatch.a experts.a combine.a, dispatch.b expert.b combine.b]\n'; } >"$S"
expect_error "an unknown operation in a lane" 2 \
  "$E$(q "$S"):[0-9]+: overlap\.steps\[0\]\[1\]: 'expert' is not an operation \(allowed: attn_pre, .*\)" run "$S" --engine bound
S=$TMP/overlap-order.yaml
{ sed "s|\\.\\./platforms|$ROOT/platforms|" "$REF"; printf 'compute: {experts: 10}\noverlap:\n  steps:\n    - [combine experts dispatch]\n'; } >"$S"
expect_error "a combine before its experts" 2 \
  "$E$(q "$S"):[0-9]+: overlap\.steps: experts runs before dispatch has brought its tokens" run "$S" --engine bound
P=$TMP/platform-compute.yaml
{ cat "$ROOT/platforms/h800-ib-32x8.yaml" | sed '/^compute:/,$d'; printf 'compute:\n  bf16_tflops: 989\n  hbm: 3.35\n'; } >"$P"
expect_error "a platform's HBM bandwidth without a unit" 2 \
  "$E$(q "$P"):[0-9]+: compute\.hbm: '3\.35' has no unit" platform "$P"
# Faults: degraded links.
expect_error "a fault on a link the platform lacks" 2 \
  "${E}--set faults: faults\[0\]\.link: 'ici-x-99' is not a link of platform ring-8 \(nearest: ici-x-0, ici-x-1, ici-x-2\)" \
  run "$REF" --engine bound --set platform=ring:8:50GBps:1us --set deployment.ep=8 --set 'faults=[{link: ici-x-99, bandwidth: 0.5}]'
expect_error "a fault's bandwidth outside (0, 1]" 2 \
  "${E}--set faults: faults\[0\]\.bandwidth: 2 is not in \(0, 1\]: the fraction of its bandwidth the link keeps" \
  run "$REF" --engine bound --set platform=ring:8:50GBps:1us --set deployment.ep=8 --set 'faults=[{link: ici-x-0, bandwidth: 2}]'
# Faults: dead links and switches, drawn links.
RING="run $REF --engine bound --set platform=ring:8:50GBps:1us --set deployment.ep=8"
expect_error "a dead link the platform lacks" 2 \
  "${E}--set faults: faults\[0\]\.link: 'ici-x-80' is not a link of platform ring-8 \(nearest: ici-x-0, ici-x-1, ici-x-2\)" \
  $RING --set 'faults=[{link: ici-x-80, down: true}]'
expect_error "a dead switch the platform lacks" 2 \
  "${E}--set faults: faults\[0\]\.node: 'nvswitch-9' is not a switch or chip of platform dgx-h100 \(nearest: nvswitch-0, " \
  run scenarios/mixtral-8x7b-dgx-h100.yaml --engine bound --set 'faults=[{node: nvswitch-9, down: true}]'
expect_error "dead links that cut the EP group" 2 \
  "${E}--set faults: faults: chips chip-0 and chip-1 of the EP group have no route left \(dead: ici-x-0, ici-x-2\)" \
  $RING --set 'faults=[{link: ici-x-0, down: true}, {link: ici-x-2, down: true}]'
expect_error "a dead chip in the EP group" 2 \
  "${E}--set faults: faults: chip chip-3 of the EP group is down \(dead: ici-x-2, ici-x-3\): place the group on live chips" \
  $RING --set 'faults=[{chip: 3, down: true}]'
expect_error "a dead chip the platform lacks" 2 \
  "${E}--set faults: faults\[0\]\.node: 'chip-80' is not a switch or chip of platform ring-8 \(nearest: chip-0, " \
  $RING --set 'faults=[{chip: chip-80, down: true}]'
expect_error "a dead link given a bandwidth" 2 \
  "${E}--set faults: faults\[0\]\.down: 'ici-x-0' is down: it carries nothing" \
  $RING --set 'faults=[{link: ici-x-0, down: true, bandwidth: 0.5}]'
expect_error "a fault draw of more links than there are" 2 \
  "${E}--set fault_draw: fault_draw\.links: 9 is more than the 8 links of platform ring-8" \
  $RING --set 'fault_draw={links: 9, seed: 1}'
expect_error "a fault draw's probability outside [0, 1]" 2 \
  "${E}--set fault_draw: fault_draw\.probability: 1\.5 is not in \[0, 1\]: the chance that each link fails" \
  $RING --set 'fault_draw={probability: 1.5, seed: 1}'
expect_error "a fault draw's bandwidth outside (0, 1]" 2 \
  "${E}--set fault_draw: fault_draw\.bandwidth: 0 is not in \(0, 1\]" \
  $RING --set 'fault_draw={links: 1, bandwidth: 0}'
# Calibration from measurements.
HX=examples/deepseek-v3-decode-h800.yaml
HM=examples/h800-measurements.csv
expect_error "calibrate: an unknown knob" 2 "$E--fit: efficiency: 'efficiency' is not a knob" \
  calibrate "$HX" --measurements "$HM" --fit efficiency --out "$TMP/cal.yaml"
expect_error "calibrate: a link class the platform lacks" 2 "$E--fit: efficiency\.ici: the platform has no link of class 'ici'" \
  calibrate "$HX" --measurements "$HM" --fit efficiency.ici --out "$TMP/cal.yaml"
expect_error "calibrate: an unknown held-out point" 2 "$E--holdout: nope: no point named 'nope'" \
  calibrate "$HX" --measurements "$HM" --fit startup_us.dispatch --holdout nope --out "$TMP/cal.yaml"
expect_error "calibrate: a knob named twice" 2 "$E--fit: startup_us\.dispatch: a knob named twice" \
  calibrate "$HX" --measurements "$HM" --fit startup_us.dispatch --fit startup_us.dispatch --out "$TMP/cal.yaml"
expect_error "calibrate: a latency of a link class the platform lacks" 2 \
  "$E--fit: latency_us\.ib: the platform has no link of class 'ib' \(classes here: nvlink, nic\)" \
  calibrate "$HX" --measurements "$HM" --fit latency_us.ib --out "$TMP/cal.yaml"
HOLD=(); for n in ep16-t64-d ep16-t64-c ep32-t128-d ep32-t128-c ep64-t128-d ep64-t128-c ep64-t256-d ep64-t256-c; do HOLD+=(--holdout "$n"); done
expect_error "calibrate: every point held out" 2 "$E--holdout: every point is held out: none is left to fit" \
  calibrate "$HX" --measurements "$HM" --fit startup_us.dispatch "${HOLD[@]}" --out "$TMP/cal.yaml"
expect_error "calibrate: no knob moves the points" 2 "$E--fit: no knob asked for moves the fitted points: startup_us\.allgather is not fitted \(kept at 0\): it changes no fitted point" \
  calibrate "$HX" --measurements "$HM" --fit startup_us.allgather --out "$TMP/cal.yaml"
printf 'deployment.ep,phase,measured_us\n16,dispatch,abc\n' >"$TMP/m.csv"
expect_error "calibrate: a non-numeric measurement" 2 "$E$(q "$TMP/m.csv"):2: measured_us: 'abc' is not a positive number" \
  calibrate "$HX" --measurements "$TMP/m.csv" --fit startup_us.dispatch --out "$TMP/cal.yaml"
# Campaigns: sweep files, databases, plots.
S=$TMP/sweep-bad-key.yaml
printf 'base: %s\ngird:\n  seed: [1, 2]\n' "$REF" >"$S"
expect_error "sweep: unknown key" 2 "$E$(q "$S"):2: gird: unknown key \(allowed here: name, base, set, grid, zip, unfit\)" sweep "$S" --dry-run
S=$TMP/sweep-zip.yaml
printf 'base: %s\nzip:\n  seed: [1, 2]\n  deployment.ep: [8]\n' "$REF" >"$S"
expect_error "sweep: zip lists of two lengths" 2 "$E$(q "$S"):4: zip\.deployment\.ep: 1 values where seed has 2" sweep "$S" --dry-run
# Found by fuzzing (tests/fuzz): an axis given twice ran as one axis, a key
# that is not a name was an internal error.
S=$TMP/sweep-twice.yaml
printf 'base: %s\ngrid:\n  seed: [1, 2]\n  seed: [3]\n' "$REF" >"$S"
expect_error "sweep: an axis given twice" 2 "$E$(q "$S"):4: grid\.seed: is given twice" sweep "$S" --dry-run
S=$TMP/sweep-null-key.yaml
printf 'base: %s\nzip:\n  ~: [1, 2]\n' "$REF" >"$S"
expect_error "sweep: a null axis key" 2 "$E$(q "$S"):3: zip: a key must be a name, got \(empty\)" sweep "$S" --dry-run
S=$TMP/sweep-range.yaml
printf 'base: %s\ngrid:\n  deployment.ep: {from: 8, to: 64}\n' "$REF" >"$S"
expect_error "sweep: a range without a step" 2 "$E$(q "$S"):3: grid\.deployment\.ep\.from: a range needs one of step and factor" sweep "$S" --dry-run
S=$TMP/sweep-grid-key.yaml
printf 'base: %s\ngrid:\n  seed: [1, 2]\n  deployment.epp: [8]\n' "$ROOT/$REF" >"$S"
expect_error "sweep: a grid key no scenario has, before any run" 2 "$E$(q "$S"):4: grid\.deployment\.epp: not a key of the base scenario .*deployment\.epp: unknown key" sweep "$S" --db "$TMP/grid-key.db"
[[ ! -e $TMP/grid-key.db ]] && pass "sweep: a bad key creates no database" || fail "sweep: a bad key creates no database" "it did"
S=$TMP/sweep-will-fail.yaml
printf 'base: %s\ngrid:\n  traffic.routing: [uniform, hotspot]\n' "$ROOT/$REF" >"$S"
run_moesim sweep "$S" --dry-run --db "$TMP/will-fail.db"
if [[ $rc == 1 ]] && grep -q "1 of those to do will fail as written" "$OUT"; then
  pass "sweep --dry-run: runs that will fail are counted, exit 1"
else
  fail "sweep --dry-run: runs that will fail are counted, exit 1" "exit $rc: $(tail -n 1 "$OUT")"
fi
S=$TMP/sweep-base.yaml
printf 'base: none.yaml\ngrid:\n  seed: [1]\n' >"$S"
expect_error "sweep: a missing base" 2 "$E$(q "$TMP/none.yaml"): cannot open file \(the base of $(q "$S"):1\)" sweep "$S"
expect_error "sweep: a missing file" 2 "$E$(q "$TMP/none.yaml"): cannot open file" sweep "$TMP/none.yaml"
Q=$ROOT/tests/fixtures/sweep-quick.yaml
expect_error "sweep --shard 3/3" 2 "$E--shard: '3/3' is not i/N with 0 <= i < N" sweep "$Q" --shard 3/3 --dry-run
expect_error "sweep with a stray argument" 2 "$E""sweep: unexpected arguments 'extra' \(sbatch options go after --slurm --\)" sweep "$Q" extra
expect_error "results of a missing database" 2 "$E$(q "$TMP/none.db"): no such results database" results "$TMP/none.db"
printf 'hello\n' >"$TMP/text.db"
expect_error "results of a file that is not a database" 2 "$E$(q "$TMP/text.db"): SQLite: file is not a database" results "$TMP/text.db"
expect_error "merge from a missing database" 2 "$E$(q "$TMP/none.db"): no such results database" merge "$TMP/merged.db" "$TMP/none.db"
expect_error "plot --out .jpg" 2 "$E--out: '$(q "$TMP/x.jpg")' does not end in \.png or \.svg" plot "$TMP/text.db" --x seed --out "$TMP/x.jpg"
expect_error "compare with a missing platform" 2 \
  "$E""compare: none: $(q "$TMP/none.yaml"): cannot open file" \
  compare "$REF" --platform "$TMP/none.yaml" --engine bound
expect_error "compare --engine fast" 2 "$E--engine: 'fast' is not an engine" compare "$REF" --engine fast
expect_error "compare --all engine=bound" 2 "$E--all: engine: 'engine=bound': compare picks the engine with --engine" \
  compare "$REF" --all engine=bound
expect_error "compare --set ...,engine=analytic" 2 "$E--set: engine: 'deployment.ep=16,engine=analytic': compare picks the engine" \
  compare "$REF" --set deployment.ep=16,engine=analytic
expect_error "topo of a missing platform" 2 "$E$(q "$TMP/none.yaml"): cannot open file" topo "$TMP/none.yaml"

# ---------------------------------------------------------------------------
# Good inputs.

# expect_ok NAME CHECK ARGS...: exit 0, empty stderr, and CHECK (a function
# reading $OUT that prints what is wrong, or nothing) is happy.
expect_ok() {
  local name=$1 check=$2 why
  shift 2
  run_moesim "$@"
  if [[ $rc -ne 0 ]]; then
    fail "$name" "exit status $rc"
  elif [[ -s $ERR ]]; then
    fail "$name" "wrote to stderr"
  else
    why=$($check)
    if [[ -n $why ]]; then fail "$name" "$why"; else pass "$name"; fi
  fi
}

check_table() {
  grep -Eq '^ *layer +(dispatch_us +combine_us|compute_us +comm_us +exposed_us) +total_us' "$OUT" ||
    { echo "no table header"; return; }
  grep -Eq '^ +0(-[0-9]+)? +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+' "$OUT" || { echo "no row for layer 0"; return; }
  grep -Eq '^summary over [0-9]+ layers? ' "$OUT" || echo "no summary line"
}

for s in scenarios/*.yaml; do
  expect_ok "run $s --engine bound" check_table run "$s" --engine bound
done

# expect_warning NAME REGEX ARGS...: a setting the run cannot honour is one
# warning line on stderr, and the run goes on (exit 0, its table).
expect_warning() {
  local name=$1 regex=$2 why
  shift 2
  run_moesim "$@"
  if [[ $rc -ne 0 ]]; then
    fail "$name" "exit status $rc"
  elif [[ $(awk 'END { print NR }' "$ERR") -ne 1 ]]; then
    fail "$name" "stderr has $(awk 'END { print NR }' "$ERR") lines, expected exactly 1"
  elif ! grep -Eq -- "$regex" "$ERR"; then
    fail "$name" "stderr does not match /$regex/"
  else
    why=$(check_table)
    if [[ -n $why ]]; then fail "$name" "$why"; else pass "$name"; fi
  fi
}
W='^\[run\] warning: '
RING=(run scenarios/deepseek-v3-decode-v4-4x4x4.yaml --set model.moe_layers=1 --set platform=ring:4:45GBps:1us
      --set deployment.ep=4 --set deployment.tokens_per_chip=128)
for m in LV08 SMPI IB; do
  expect_warning "ptask ignores simgrid.network_model=$m" \
    "${W}simgrid\.network_model $m is for the flow fidelity: the ptask fidelity" "${RING[@]}" --set "simgrid.network_model=$m"
done
expect_warning "flow: SMPI's factors and the bound" "${W}simgrid\.network_model SMPI scales bandwidth and latency" \
  "${RING[@]}" --set simgrid.network_model=SMPI --fidelity flow
expect_warning "flow ignores simgrid.ptask_max_links" "${W}simgrid\.ptask_max_links 8 is for the ptask fidelity" \
  "${RING[@]}" --set simgrid.ptask_max_links=8 --fidelity flow
expect_warning "ptask ignores simgrid.link_load" "${W}simgrid\.link_load is for the flow fidelity" \
  "${RING[@]}" --set simgrid.link_load=true
expect_warning "the bound engine ignores the simgrid section" \
  "${W}the bound engine replays nothing in SimGrid: it ignores simgrid\.network_model LV08 and simgrid\.cfg \[network/optim:Full\]" \
  "${RING[@]}" --engine bound --set simgrid.network_model=LV08 --set "simgrid.cfg=[network/optim:Full]"
expect_warning "the analytic engine ignores the algorithm and the routing" \
  "${W}the analytic engine is Tier6's closed form .*: it ignores comm\.algorithm per_expert and traffic\.routing random$" \
  run scenarios/deepseek-v3-decode-h100-per-expert.yaml --set model.moe_layers=1 --engine analytic --set calibration=none
expect_warning "the analytic engine ignores a shipped platform's start-ups" \
  "${W}the analytic engine is Tier6's closed form .*: it ignores comm\.algorithm per_expert, the platform's calibrated start-ups 33\.6 / 32\.5 / 0 us and traffic\.routing random$" \
  run scenarios/deepseek-v3-decode-h100-per-expert.yaml --set model.moe_layers=1 --engine analytic
expect_warning "messages that cost nothing" "${W}comm\.message_bytes 4096 changes only the message counts" \
  "${RING[@]}" --engine bound --set comm.message_bytes=4096
expect_warning "the bound engine ignores comm_params" \
  "${W}comm_params \(--set comm_params\.bandwidth_utilization\) is for the analytic engine's closed form: the bound engine" \
  "${RING[@]}" --engine bound --set comm_params.bandwidth_utilization=0.9
expect_warning "random routing ignores zipf's exponent" "${W}traffic\.routing random does not read traffic\.zipf_exponent 1\.5" \
  "${RING[@]}" --engine bound --set traffic.routing=random --set traffic.zipf_exponent=1.5

check_reference_bytes() {
  grep -qx 'tokens_per_ep_group 16' "$OUT" || echo "tokens_per_ep_group is not 16"
  grep -qx 'dispatch_bytes 114688' "$OUT" || echo "dispatch_bytes is not 114688"
  grep -qx 'combine_bytes 229376' "$OUT" || echo "combine_bytes is not 229376"
}
expect_ok "bytes of the reference case" check_reference_bytes "${BYTES[@]}"

# The XML must be SimGrid's, with a host per chip, and SimGrid must load it back.
check_xml() {
  [[ $(head -n 1 "$OUT") == "<?xml version='1.0'?>" ]] || { echo "no XML declaration"; return; }
  grep -q '^<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">$' "$OUT" || { echo "no DOCTYPE"; return; }
  grep -q '^<platform version="4.1">$' "$OUT" || { echo "no <platform version=\"4.1\">"; return; }
  [[ $(tail -n 1 "$OUT") == "</platform>" ]] || { echo "does not end with </platform>"; return; }
  local hosts want back
  hosts=$(grep -c '<host ' "$OUT")
  want=$("$MOESIM" platform "$PLATFORM" 2>/dev/null | sed -n 's/^platform .*: \([0-9][0-9]*\) chips,.*/\1/p')
  [[ -n $want && $hosts -eq $want ]] || { echo "$hosts hosts, but the platform has '$want' chips"; return; }
  cp "$OUT" "$TMP/roundtrip.xml"
  back=$(timeout -k 5 "$TIMEOUT" "$MOESIM" platform "$TMP/roundtrip.xml" 2>&1 |
         sed -n 's/^platform .*: \([0-9][0-9]*\) chips,.*/\1/p')
  [[ $back == "$want" ]] || echo "SimGrid loads the XML back as '$back' chips, not $want"
}
for PLATFORM in platforms/*.yaml platforms/*.xml; do
  expect_ok "platform $PLATFORM --xml -" check_xml platform "$PLATFORM" --xml -
done

check_svg() { grep -q '<svg' "$TMP/picture.svg" || echo "no SVG written"; }
expect_ok "platform --picture (Graphviz)" check_svg platform "$ROOT/platforms/fat-tree-4ary3-50g.yaml" --picture "$TMP/picture.svg"
check_heatmap() { grep -q '<svg' "$TMP/heatmap.svg" || echo "no SVG heatmap"; }
expect_ok "run --heatmap (gnuplot), a torus" check_heatmap run scenarios/deepseek-v3-decode-v4-4x4x4.yaml --engine bound --set model.moe_layers=1 --heatmap "$TMP/heatmap.svg"
rm -f "$TMP/heatmap.svg"
expect_ok "run --heatmap (gnuplot), tiers" check_heatmap run scenarios/tier6-benchmark-sg2262.yaml --engine bound --heatmap "$TMP/heatmap.svg"
check_calibrate() {
  grep -q '^validation (holdout): mean |error|' "$OUT" || { echo "no validation line"; return; }
  grep -q '^# Calibrated by moesim calibrate' "$TMP/h800-cal.yaml" || echo "no calibrated platform"
}
expect_ok "calibrate the shipped H800 example" check_calibrate calibrate examples/deepseek-v3-decode-h800.yaml \
  --measurements examples/h800-measurements.csv --fit efficiency.nic --fit startup_us.dispatch \
  --fit startup_us.combine --holdout ep64-t256-d --holdout ep64-t256-c --out "$TMP/h800-cal.yaml"
check_pplx_calibrate() {
  grep -q '^held-out points (4): rms error' "$OUT" || { echo "no held-out residuals"; return; }
  grep -q '^knob per_message_us: ' "$OUT" || { echo "no per-message knob"; return; }
  grep -q 'held-out error (holdout)' "$TMP/pplx-cal.yaml" || echo "the platform does not state its held-out error"
}
expect_ok "calibrate pplx-garden's CX7 table (docs/calibration.md)" check_pplx_calibrate calibrate examples/pplx-garden-decode.yaml \
  --set engine=bound --measurements examples/pplx-garden-decode-cx7.csv --fit per_message_us \
  --fit startup_us.dispatch --fit startup_us.combine --holdout ep8-d --holdout ep8-c --holdout ep32-d \
  --holdout ep32-c --out "$TMP/pplx-cal.yaml"
check_twisted() { grep -Eq '^ +0 +9\.602 +18\.203 ' "$OUT" || echo "not the twisted torus's 9.602 / 18.203 us (docs/platforms.md)"; }
expect_ok "the twisted torus bound (docs/platforms.md)" check_twisted run scenarios/deepseek-v3-decode-v4-4x4x4.yaml --engine bound \
  --set platform=platforms/tpu-v4-4x4x8-twisted.yaml --set deployment.ep=128 --set deployment.global_batch=1024 \
  --set model.moe_layers=1
check_deepep() { grep -q '^ep256-c ' "$OUT" || echo "no EP 256 row"; }
expect_ok "check DeepEP's low-latency table" check_deepep check examples/deepseek-v3-decode-h800.yaml \
  --measurements examples/deepep-low-latency-h800.csv
check_dot() { grep -q '^graph G {' "$OUT" || echo "no DOT graph on stdout"; }
expect_ok "platform --dot -" check_dot platform "$V4" --dot -
check_tier6() { grep -q '^platform P1-R1-B4-C32: 32 chips, 118 links' "$OUT" || echo "not the 32-chip platform"; }
expect_ok "a Tier6 topology file" check_tier6 platform "$T6"

check_topo() {
  grep -Eq '^diameter [0-9]+ hops, average [0-9.]+ hops' "$OUT" || { echo "no diameter line"; return; }
  grep -Eq '^bisection bandwidth: [0-9.]+ GB/s' "$OUT" || { echo "no bisection line"; return; }
  grep -Eq '^dispatch of .*lower bound [0-9.]+ us' "$OUT" || echo "no dispatch bound line"
}
for PLATFORM in platforms/*.yaml platforms/*.xml; do
  SCENARIO=scenarios/reference-ep32.yaml  # EP 32
  [[ $PLATFORM == platforms/dgx-h*.yaml ]] && SCENARIO=scenarios/mixtral-8x7b-dgx-h100.yaml  # 8 GPUs: EP 8
  expect_ok "topo $PLATFORM --scenario ${SCENARIO#scenarios/}" check_topo topo "$PLATFORM" --scenario "$SCENARIO"
done
expect_ok "topo torus:4x4x2:45GBps --scenario reference-ep32.yaml (a platform string)" check_topo \
  topo torus:4x4x2:45GBps --scenario scenarios/reference-ep32.yaml

# '-' means stdout for every output option, and the table then stays off stdout.
check_json_stdout() {
  [[ ! -e "$ROOT/-" ]] || { rm -f "$ROOT/-"; echo "wrote a file named '-'"; return; }
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT" 2>/dev/null || echo "stdout is not JSON alone"
}
for ARGS in "run scenarios/reference-ep32.yaml --engine bound --json -" \
            "run scenarios/reference-ep32.yaml --engine bound --trace -" \
            "bytes --hidden-dim 7168 --topk 8 --ep 32 --global-batch 128 --json -" \
            "topo $V4 --json -" \
            "compare scenarios/reference-ep32.yaml --engine bound --set deployment.ep=16 --json -"; do
  # shellcheck disable=SC2086  # ARGS is a list of words
  expect_ok "${ARGS%% *} ... --${ARGS##* --}" check_json_stdout $ARGS
done
check_csv_stdout() { head -1 "$OUT" | grep -q '^seed,layer,' || echo "stdout does not start with the CSV header"; }
expect_ok "run --csv -" check_csv_stdout run scenarios/reference-ep32.yaml --engine bound --csv -
expect_error "two run outputs to stdout" 2 "$E--csv: only one export can go to stdout \('-'\); --json already does" \
  run scenarios/reference-ep32.yaml --engine bound --json - --csv -

# moesim traffic: the export for the replay harness (docs/harness.md).
TBO=$ROOT/scenarios/deepseek-v3-decode-tbo-h800.yaml
expect_error "traffic without an output" 2 "$E-o: say where the traffic goes: -o DIR \(traffic\.json and traffic\.csv\), --json or --csv" \
  traffic scenarios/reference-ep32.yaml
expect_error "traffic -o to stdout" 2 "$E-o: -: a folder, for two files \(--json - or --csv - for stdout\)" \
  traffic scenarios/reference-ep32.yaml -o -
expect_error "traffic: header and flows both to stdout" 2 "$E--csv: only one export can go to stdout \('-'\); --json already does" \
  traffic scenarios/reference-ep32.yaml --json - --csv -
printf 'not a folder\n' >"$TMP/a-file"
expect_error "traffic -o a file" 2 "$E-o: $(q "$TMP/a-file"): cannot make the folder" \
  traffic scenarios/reference-ep32.yaml -o "$TMP/a-file"
expect_error "traffic of an overlapped scenario" 2 \
  "$E$(q "$TBO"):[0-9]+: overlap: 'tbo-decode': moesim traffic writes a layer's traffic whole, not split into micro-batches \(--set overlap=none\)" \
  traffic "$TBO" --csv "$TMP/t.csv"
expect_error "traffic: a group larger than the platform" 2 \
  "${E}--set deployment\.ep: deployment\.ep: ep x moe_tp = 128 x 1 = 128 chips is more than the 32 chips of platform .*" \
  traffic scenarios/reference-ep32.yaml --set deployment.ep=128 --csv "$TMP/t.csv"
check_traffic_csv() {
  head -1 "$OUT" | grep -qx 'layer,phase,stage,src,dst,bytes' || { echo "stdout does not start with the CSV header"; return; }
  grep -Eq '^0,combine,0,[0-9]+,[0-9]+,[0-9]+$' "$OUT" || echo "no combine row"
}
expect_ok "traffic --csv -" check_traffic_csv traffic scenarios/reference-ep32.yaml --csv -

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
