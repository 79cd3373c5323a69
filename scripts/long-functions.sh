#!/usr/bin/env bash
# Lists the longest functions (lambdas included) under the given folders,
# longest first: lines, file:line, name. Uses universal-ctags.
# Usage: scripts/long-functions.sh [N] [folder...]   (default: 10 src)
set -euo pipefail
n=${1:-10}
shift || true
dirs=("${@:-src}")
find "${dirs[@]}" -name '*.cpp' -o -name '*.hpp' | sort |
  xargs ctags --fields=+ne --c++-kinds=f -o - 2>/dev/null |
  awk -F'\t' '{ line = ""; end = "";
                for (i = 4; i <= NF; i++) {
                  if ($i ~ /^line:/) line = substr($i, 6);
                  if ($i ~ /^end:/) end = substr($i, 5) }
                if (line != "" && end != "") printf "%5d  %s:%s  %s\n", end - line + 1, $2, line, $1 }' |
  sort -rn | awk -v n="$n" 'NR <= n'  # reads all its input: no SIGPIPE under pipefail
