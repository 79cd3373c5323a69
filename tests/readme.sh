#!/usr/bin/env bash
# The README as a test: every command block in it runs, from a copy of the
# repository in a temporary folder, and what it shows is checked.
#
#   tests/readme.sh BUILD_DIR [README]
#
# - Blocks run: ```sh (every line a command; `\` continues a line, `#` lines
#   are comments) and ```console or bare ``` blocks with `$ ` lines (the lines
#   after a command, up to the next `$ `, are its output: each must appear
#   in what the command printed, spaces aside; a line `...` stands for lines
#   left out).
# - Directives, HTML comments on the lines just before a block or a table
#   (invisible on GitHub):
#     <!-- readme-test: skip: WHY -->        the block does not run; WHY is printed
#     <!-- readme-test: instead: CMD -->     CMD runs in the block's place
#     <!-- readme-test: shorten: ARGS -->    ARGS are appended to each command
#                                            (for long runs; outputs are not checked)
#     <!-- readme-test: exit: N -->          the commands must exit with N (default 0)
#     <!-- readme-test: file: PATH -->       the block must be PATH's contents
#     <!-- readme-test: table -->            (before a Markdown table) every row
#                                            must appear in the output of the last
#                                            block that ran
# - Every relative link must lead to a file that exists and an anchor
#   (`page.md#heading`) to a heading of that page.
# - build/ in the copy is BUILD_DIR, so the README's build/moesim is the
#   binary under test.
# - Afterwards no file of the copy may have changed, and every new file must be
#   one .gitignore ignores: README commands write only outputs.
set -uo pipefail
build=$(cd "${1:?usage: tests/readme.sh BUILD_DIR [README]}" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
readme=${2:-$repo/README.md}
work=$(mktemp -d "${TMPDIR:-/tmp}/moesim-readme.XXXXXX")
trap 'rm -rf "$work"' EXIT

if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$repo" && git ls-files -z -c -o --exclude-standard | tar --null -T - -cf -) | tar -C "$work" -xf -
else
  (cd "$repo" && tar --exclude='./build*' -cf - .) | tar -C "$work" -xf -
fi
ln -s "$build" "$work/build"
checksums() { (cd "$work" && find . -path ./build -prune -o -type f -print0 | sort -z | xargs -0 sha256sum); }
checksums >"$work.before"
trap 'rm -rf "$work" "$work.before" "$work.out" "$work.last" "$work.after"' EXIT

failures=0 commands=0 checks=0 skipped=()
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
normalize() { sed -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//'; }

# Runs one command from the copy; checks its exit status and expected lines.
run_command() {
  local cmd=$1 want_rc=$2 expected=$3 line_no=$4
  commands=$((commands + 1))
  echo "README:$line_no: \$ $cmd"
  (cd "$work" && timeout 900 bash -c "$cmd") >"$work.out" 2>&1
  local rc=$?
  if [[ $rc != "$want_rc" ]]; then
    fail "README:$line_no: exit $rc, expected $want_rc: $cmd"
    tail -n 20 "$work.out" | sed 's/^/    /'
    return
  fi
  local normalized
  normalized=$(normalize <"$work.out")
  cat "$work.out" >>"$work.last"
  while IFS= read -r want; do
    want=$(normalize <<<"$want")
    [[ -z $want || $want == "..." ]] && continue
    checks=$((checks + 1))
    grep -Fxq -- "$want" <<<"$normalized" || fail "README:$line_no: '$cmd' did not print: $want"
  done <<<"$expected"
}

# The commands of a block: "sh" (every line) or "console" ($ lines and their outputs).
run_block() {
  local kind=$1 start=$2 shorten=$3 want_rc=$4
  shift 4
  local cmd="" expected="" cmd_line=$start i=$start line
  : >"$work.last"
  flush() {
    [[ -z $cmd ]] && return
    if [[ -n $shorten ]]; then run_command "$cmd $shorten" "$want_rc" "" "$cmd_line"
    else run_command "$cmd" "$want_rc" "$expected" "$cmd_line"; fi
    cmd="" expected=""
  }
  local continuing=0
  for line in "$@"; do
    i=$((i + 1))
    if ((continuing)); then
      cmd+=" ${line%\\}"
      [[ $line == *\\ ]] || continuing=0
      continue
    fi
    if [[ $kind == sh ]]; then
      [[ -z ${line// /} || $line =~ ^[[:space:]]*# ]] && continue
      flush
      cmd=${line%\\} cmd_line=$i
      [[ $line == *\\ ]] && continuing=1
    elif [[ $line == '$ '* ]]; then
      flush
      cmd=${line#\$ } cmd_line=$i
      cmd=${cmd%\\}
      [[ $line == *\\ ]] && continuing=1
    elif [[ -n $cmd ]]; then
      expected+="$line"$'\n'
    fi
  done
  flush
}

mapfile -t lines <"$readme"
directives=()
n=${#lines[@]}
for ((k = 0; k < n; k++)); do
  line=${lines[k]}
  if [[ $line =~ ^[[:space:]]*\<\!--\ readme-test:\ (.*)\ --\>$ ]]; then
    directives+=("${BASH_REMATCH[1]}")
    continue
  fi
  if [[ $line == '|'* ]] && printf '%s\n' "${directives[@]}" | grep -qx table; then
    while [[ $k -lt $n && ${lines[k]} == '|'* ]]; do
      row=${lines[k]}
      if [[ ! $row =~ ^\|[-:\ \|]+\|$ && $k -gt 0 && ${lines[k - 1]} == '|'* ]]; then
        checks=$((checks + 1))
        grep -Fxq -- "$(normalize <<<"$row")" < <(normalize <"$work.last" 2>/dev/null) ||
          fail "README:$((k + 1)): this table row is not what the block before it printed: $row"
      fi
      k=$((k + 1))
    done
    directives=()
    continue
  fi
  if [[ $line =~ ^([[:space:]]*)\`\`\`([a-z]*)$ ]]; then
    indent=${BASH_REMATCH[1]} lang=${BASH_REMATCH[2]} start=$((k + 1)) body=()
    for ((k = k + 1; k < n; k++)); do
      [[ ${lines[k]} == "$indent"'```' ]] && break
      body+=("${lines[k]#"$indent"}")
    done
    skip="" instead="" shorten="" want_rc=0 file=""
    for d in "${directives[@]}"; do
      case $d in
        skip:*) skip=${d#skip: } ;;
        instead:*) instead=${d#instead: } ;;
        shorten:*) shorten=${d#shorten: } ;;
        exit:*) want_rc=${d#exit: } ;;
        file:*) file=${d#file: } ;;
        *) fail "README:$start: unknown directive '$d'" ;;
      esac
    done
    directives=()
    if [[ -n $file ]]; then
      checks=$((checks + 1))
      diff <(printf '%s\n' "${body[@]}") "$work/$file" >/dev/null ||
        fail "README:$start: the block is not $file as shipped"
      continue
    fi
    kind=""
    [[ $lang == sh ]] && kind=sh
    if [[ $lang == console || -z $lang ]] && printf '%s\n' "${body[@]}" | grep -q '^\$ '; then kind=console; fi
    [[ -z $kind ]] && continue
    if [[ -n $skip ]]; then
      skipped+=("README:$start: $skip")
      continue
    fi
    if [[ -n $instead ]]; then
      : >"$work.last"
      run_command "$instead" "$want_rc" "" "$start"
      continue
    fi
    run_block "$kind" "$start" "$shorten" "$want_rc" "${body[@]}"
    continue
  fi
  [[ -n ${line// /} ]] && directives=()
done

# Links: every relative link leads to a file that exists, and an anchor to
# a heading of its page (GitHub's slugs: lower case, punctuation dropped,
# spaces as hyphens).
slug() { tr 'A-Z' 'a-z' | sed -e 's/[^a-z0-9 _-]//g' -e 's/ /-/g'; }
page_dir=$(dirname "$readme")
while IFS= read -r link; do
  checks=$((checks + 1))
  target=${link%%#*} anchor=""
  [[ $link == *'#'* ]] && anchor=${link#*#}
  page=$readme
  [[ -n $target ]] && page=$page_dir/$target
  if [[ ! -e $page ]]; then
    fail "README: this link leads nowhere: $link"
  elif [[ -n $anchor && $page == *.md ]] &&
       ! sed -n 's/^#\{1,6\} //p' "$page" | slug | grep -Fxq -- "$anchor"; then
    fail "README: this link's anchor is no heading of its page: $link"
  fi
done < <(grep -o '](\([^)]*\))' "$readme" | sed -e 's/^](//' -e 's/)$//' | grep -Ev '^(https?|mailto):')

# What the commands left behind: nothing changed, nothing git would pick up.
checks=$((checks + 1))
checksums >"$work.after"
while read -r status path; do
  case $status in
    new) git -C "$repo" check-ignore -q --no-index -- "${path#./}" 2>/dev/null ||
           fail "a README command wrote ${path#./}, which .gitignore does not ignore" ;;
    *) fail "a README command $status ${path#./}" ;;
  esac
done < <(awk 'NR == FNR { before[$2] = $1; next }
              { after[$2] = $1; if (!($2 in before)) print "new", $2; else if (before[$2] != $1) print "changed", $2 }
              END { for (p in before) if (!(p in after)) print "removed", p }' "$work.before" "$work.after")
rm -f "$work.after"

for s in "${skipped[@]}"; do echo "skipped $s"; done
echo "README: $commands commands, $checks checks, ${#skipped[@]} blocks skipped, $failures failures"
((failures == 0))
