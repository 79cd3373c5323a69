#!/usr/bin/env bash
# tests/readme.sh checks what it claims: a README with wrong outputs, a
# failing command, a stale table, a block that is not the shipped file and
# commands that write into the repository is refused with each named; one
# without is accepted.
#
#   tests/readme_harness.sh BUILD_DIR
set -uo pipefail
build=${1:?usage: tests/readme_harness.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
failures=0
bash "$here/readme.sh" "$build" "$here/fixtures/readme/bad.md" >"$out" 2>&1
rc=$?
[[ $rc -ne 0 ]] || { echo "FAIL: bad.md passed"; failures=1; }
for want in \
  "did not print: tokens_per_ep_group 17" \
  "exit 2, expected 0: build/moesim run no-such-scenario.yaml" \
  "this table row is not what the block before it printed: | a | 2 |" \
  "the block is not campaigns/deepseek-v3-decode.yaml as shipped" \
  "a README command changed campaigns/deepseek-v3-decode.yaml" \
  "a README command wrote scenarios/stray.yaml, which .gitignore does not ignore" \
  "this link leads nowhere: no-such-page.md" \
  "this link's anchor is no heading of its page: good.md#no-such-heading"; do
  grep -Fq -- "$want" "$out" || { echo "FAIL: bad.md: no '$want'"; failures=1; }
done
bash "$here/readme.sh" "$build" "$here/fixtures/readme/good.md" >"$out" 2>&1 ||
  { echo "FAIL: good.md was refused:"; cat "$out"; failures=1; }
grep -q "skipped README:.*: shown, not run" "$out" || { echo "FAIL: good.md: the skip is not reported"; failures=1; }
((failures == 0)) && echo "readme harness: ok"
exit $failures
