#!/usr/bin/env bash
# Checks the layers of docs/design.md: a file includes only headers of its own
# layer or of layers below it, public headers (include/moesim/) include no
# internal one, and nothing outside src/sim/ includes SimGrid.
#   util < platform < model < engine < {sim, campaign} < cli
# Usage: tests/layering.sh [repository root]
set -uo pipefail
cd "${1:-$(dirname "$0")/..}"

rank() {  # rank LAYER: prints its rank
  case $1 in
    util) echo 0 ;; platform) echo 1 ;; model) echo 2 ;; engine) echo 3 ;;
    sim) echo 4 ;; campaign) echo 4 ;; cli) echo 5 ;; *) echo "" ;;
  esac
}
# The layer of each public header.
declare -A public=(
  [error]=util [enum_table]=util [topology]=platform [graph]=platform [fabrics]=platform [platform]=platform
  [bytes]=model [routing]=model [traffic]=model [comm]=model [scenario]=model [compute]=model [schedule]=model
  [result]=engine [report]=engine [engine]=engine [run]=engine [simulator]=sim)

layer_of_header() {  # the layer of an include path, "" if not moesim's
  case $1 in
    moesim/*) local n=${1#moesim/}; echo "${public[${n%.hpp}]:-unknown}" ;;
    */*) echo "${1%%/*}" ;;
    *) echo "" ;;
  esac
}

bad=0
complain() { echo "layering: $*"; bad=$((bad + 1)); }

for f in $(find include/moesim src -name '*.hpp' -o -name '*.cpp' | sort); do
  case $f in
    include/moesim/*) n=$(basename "$f" .hpp); own=${public[$n]:-}
                      [ -n "$own" ] || complain "$f: a public header the layer table does not know" ;;
    src/*/*) own=$(echo "$f" | cut -d/ -f2) ;;
    *) complain "$f: outside a layer folder"; continue ;;
  esac
  [ -n "$(rank "$own")" ] || { complain "$f: unknown layer '$own'"; continue; }
  while IFS= read -r inc; do
    case $inc in
      simgrid/*|xbt/*|smpi/*) [ "$own" = sim ] || complain "$f includes <$inc>: SimGrid only in src/sim/" ;;
    esac
  done < <(sed -n 's/^#include <\([^>]*\)>.*/\1/p' "$f")
  while IFS= read -r inc; do
    l=$(layer_of_header "$inc")
    [ -n "$l" ] || continue
    if [ "$l" = unknown ] || [ -z "$(rank "$l")" ]; then complain "$f includes \"$inc\": no such layer"; continue; fi
    [[ $f == include/* && $inc != moesim/* ]] && complain "$f: a public header includes the internal \"$inc\""
    if [ "$(rank "$l")" -gt "$(rank "$own")" ] || { [ "$own" != "$l" ] && [ "$(rank "$l")" -eq "$(rank "$own")" ]; }; then
      complain "$f ($own) includes \"$inc\" ($l): a layer may include only its own and lower ones"
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
if [ "$bad" -gt 0 ]; then echo "layering: $bad problems"; exit 1; fi
echo "layering: every include follows the layers"
