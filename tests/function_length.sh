#!/usr/bin/env bash
# Fails if a function (or lambda) in src/ is longer than the limit (default
# 80 lines): a reader should see a function whole. Lists the offenders.
# Usage: tests/function_length.sh [repository root] [limit]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
limit=${2:-80}
command -v ctags >/dev/null || { echo "function_length: universal-ctags is not installed"; exit 1; }
long=$(scripts/long-functions.sh 1000 src | awk -v limit="$limit" '$1 > limit')
if [ -n "$long" ]; then
  echo "function_length: functions over $limit lines:"
  echo "$long"
  exit 1
fi
echo "function_length: no function in src/ over $limit lines; the longest:"
scripts/long-functions.sh 3 src
