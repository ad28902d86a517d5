#!/bin/sh
# Checks `madre completion SHELL` with the shell's own parser (`SHELL -n`), then asks the loaded
# script to complete `madre intent sh` (zsh: with stubs of its completion builtins, which only
# run inside a completion widget), which must offer `show`.
# Usage: tools/check_completion.sh MADRE_BINARY SHELL_PROGRAM SHELL_NAME
# ctest runs it as completion_syntax_<shell> where that shell is installed (CMakeLists.txt).
set -eu
madre=$1 program=$2 shell=$3
script=$(mktemp "${TMPDIR:-/tmp}/madre-completion.XXXXXX")
trap 'rm -f "$script"' EXIT
"$madre" completion "$shell" >"$script"
grep -q 'conductor' "$script" || { echo "the $shell script names no conductor command" >&2; exit 1; }
"$program" -n "$script"
echo "$shell -n accepts madre completion $shell ($(wc -l <"$script") lines)"
case "$shell" in
  bash)
    offered=$("$program" -c ". '$script'; COMP_WORDS=(madre intent sh); COMP_CWORD=2; _madre;
      echo \"\${COMPREPLY[*]}\"") ;;
  zsh)
    offered=$("$program" -c "_describe() { print -l -- \"\${(@P)4}\" | cut -d: -f1; }
      compdef() { :; }
      . '$script'; words=(madre intent sh); CURRENT=3; _madre") ;;
  fish)
    offered=$("$program" -c "source '$script'; complete -C 'madre intent sh'") ;;
  *) echo "unknown shell $shell" >&2; exit 2 ;;
esac
echo "madre intent sh<TAB> offers: $(echo "$offered" | tr '\n\t' '  ')"
echo "$offered" | grep -q '^show' || { echo "show is not offered" >&2; exit 1; }
