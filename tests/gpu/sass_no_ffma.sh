#!/usr/bin/env bash
# Fails when a named CUDA kernel's machine code holds a fused multiply-add (FFMA) in any architecture
# of the library: in these kernels the CPU rounds a product before the sum (ISO C++, no contraction) and
# the CUDA-vs-CPU tests expect the GPU's bits, so the device code must spell out __fmul_rn/__fadd_rn
# (kernels/quant_math.h) where nvcc would otherwise contract. Kernels that divide are not listed: IEEE
# division compiles to an FFMA sequence of its own.
#   tests/gpu/sass_no_ffma.sh OBJECT KERNEL_REGEX [OBJECT KERNEL_REGEX ...]
# OBJECT is an object file, a library, or LIBRARY:MEMBER (one object of a static library, read alone:
# the whole of libtango_kernels.a takes cuobjdump tens of seconds).
# KERNEL_REGEX (extended; alternatives with |, so a library is read once) is matched against the
# mangled names cuobjdump prints; each alternative must match at least one kernel, so a renamed kernel
# cannot make the check pass by matching nothing. Needs cuobjdump
# and nvdisasm (CUOBJDUMP, or on PATH; scripts/install-deps.sh installs both where nvcc is and they
# are not); without them it exits 77, which ctest reports as skipped, with the reason.
set -euo pipefail

cuobjdump="${CUOBJDUMP:-}"
[[ -x "$cuobjdump" ]] || cuobjdump="$(command -v cuobjdump || true)"
if [[ -z "$cuobjdump" ]]; then
  echo "SKIPPED: no cuobjdump (not in this CUDA toolkit; scripts/install-deps.sh installs it)"
  exit 77
fi
if ! PATH="$(dirname "$cuobjdump"):$PATH" command -v nvdisasm >/dev/null; then
  echo "SKIPPED: cuobjdump needs nvdisasm beside it or on PATH"
  exit 77
fi
export PATH="$(dirname "$cuobjdump"):$PATH"
[[ $# -ge 2 && $(($# % 2)) -eq 0 ]] || { echo "usage: $0 OBJECT KERNEL_REGEX [OBJECT KERNEL_REGEX ...]" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

failed=0
while [[ $# -gt 0 ]]; do
  library="$1" pattern="$2"
  shift 2
  file="$library"
  if [[ ! -f "$library" && "$library" == *:* ]]; then
    file="$scratch/${library##*:}"
    ar p "${library%:*}" "${library##*:}" > "$file" 2>/dev/null || rm -f "$file"
  fi
  [[ -s "$file" ]] || { echo "FAIL: $library does not exist"; failed=1; continue; }
  # One line per (architecture, kernel): "sm_90 <mangled name> <FFMA count>", then the FFMA lines.
  report=$("$cuobjdump" -sass "$file" | awk -v pattern="$pattern" '
    /code for sm_/ { arch = $3 }
    /Function :/ { name = $3; if (name ~ pattern) { key = arch " " name; count[key] += 0; order[++n] = key } }
    /FFMA/ { if (name ~ pattern) { count[arch " " name]++; lines[arch " " name] = lines[arch " " name] "    " $0 "\n" } }
    END {
      for (i = 1; i <= n; ++i) {
        key = order[i]
        if (seen[key]++) continue
        printf "%s %d\n", key, count[key]
        if (count[key] > 0) printf "%s", lines[key]
      }
    }')
  IFS='|' read -ra alternatives <<< "$pattern"
  for alternative in "${alternatives[@]}"; do
    if ! grep -qE "^sm_[0-9a-z]+ [^ ]*($alternative)" <<< "$report"; then
      echo "FAIL: no kernel in $library matches /$alternative/"
      failed=1
    fi
  done
  while IFS= read -r line; do
    if [[ "$line" =~ ^sm_[0-9a-z]+\ ([^ ]+)\ ([0-9]+)$ ]]; then
      name=$(c++filt "${BASH_REMATCH[1]}" 2>/dev/null || echo "${BASH_REMATCH[1]}")
      name="${name//(anonymous namespace)::/}"
      if [[ "${BASH_REMATCH[2]}" -eq 0 ]]; then
        echo "ok   ${line%% *} ${name%%(*}: no FFMA"
      else
        echo "FAIL ${line%% *} ${name%%(*}: ${BASH_REMATCH[2]} FFMA"
        failed=1
      fi
    else
      echo "$line"
    fi
  done <<< "$report"
done
exit $failed
