# Shared command-line helpers for Tango's bash scripts (sourced, not run). The caller's header comment
# (the lines after the shebang, up to the first non-comment line) is its --help text.
#   die MESSAGE...        print "<script>: error: MESSAGE" to stderr and exit 2 (bad input/usage)
#   usage                 print the caller's header comment
#   need_value FLAG VALUE fail with a clear message when a flag's value is missing
die() {
  echo "$(basename "$0"): error: $*" >&2
  exit 2
}
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
