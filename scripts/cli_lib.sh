# Shared command-line helpers for Tango's bash scripts (sourced, not run). The caller's header comment
# (the lines after the shebang, up to the first non-comment line) is its --help text.
#   die MESSAGE...        print "<script>: error: MESSAGE" to stderr and exit 2 (bad input/usage)
#   usage                 print the caller's header comment
#   need_value FLAG VALUE fail with a clear message when a flag's value is missing
#   quote_command ARGS... the arguments as one shell line for a report (plain words, commas included, as
#                         they are; others quoted with printf %q)
die() {
  echo "$(basename "$0"): error: $*" >&2
  exit 2
}
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
quote_command() {
  local arg line=""
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_,.:/=@+-]+$ ]]; then line+=" $arg"; else line+=" $(printf '%q' "$arg")"; fi
  done
  printf '%s' "${line# }"
}
