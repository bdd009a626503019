#!/usr/bin/env bash
# The numerics subset (Tools/numerics-filter: fast path against reference, the trace against PyTorch, the
# trainer, the chapters' outputs, bf16) under each OpenBLAS kernel family a user's CPU may get: Haswell
# (AVX2), SkylakeX and Cooperlake (AVX-512; Cooperlake is what OpenBLAS picks by itself on an AVX-512
# Zen 4), Zen, Prescott (SSE3 only), and whatever OpenBLAS picks by itself. Run by hand, not in CI: CI
# leaves OPENBLAS_CORETYPE as the machine sets it. The AVX-512 kernels are skipped on a CPU without AVX-512.
# Writes a dated record with the CPU:
#   Tools/kernel-matrix.sh > Benchmarks/results/kernel-matrix.md     (one record a CPU: kernel-matrix-zen3.md is a Zen 3)
set -euo pipefail
cd "$(dirname "$0")/.."
filter=$(cat Tools/numerics-filter)
swift build --build-tests >/dev/null
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
corename() {  # the kernel OpenBLAS reports under the current environment
  python3 -c "import ctypes; lib = ctypes.CDLL('libopenblas.so.0'); lib.openblas_get_corename.restype = ctypes.c_char_p; print(lib.openblas_get_corename().decode())"
}
echo "# The numerics subset under each OpenBLAS kernel"
echo
echo "Made by \`Tools/kernel-matrix.sh\` on $(date -u +%Y-%m-%d) (commit $(git rev-parse --short HEAD)), on:"
echo
echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; flags include:" \
     "$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512_bf16)$' | paste -sd' ')"
echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME"); OpenBLAS $(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo unknown)"
echo "- the machine's own setting: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}, OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-(unset)}"
echo "- the subset: \`swift test --filter \"$filter\"\`"
echo
echo "| OPENBLAS_CORETYPE | kernel OpenBLAS reports | tests | result |"
echo "|---|---|---|---|"
status=0
has_avx512=false; grep -qw avx512f /proc/cpuinfo && has_avx512=true
for kernel in Haswell SkylakeX Cooperlake Zen Prescott default; do
  # OpenBLAS takes OPENBLAS_CORETYPE=SkylakeX on faith and would stop at its first AVX-512 instruction.
  if ! $has_avx512 && { [ "$kernel" = SkylakeX ] || [ "$kernel" = Cooperlake ]; }; then
    echo "| $kernel | - | - | skipped: this CPU lacks AVX-512 |"; continue
  fi
  if [ "$kernel" = default ]; then settings=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE); label="(unset: OpenBLAS's own choice)"
  else settings=(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="$kernel"); label=$kernel; fi
  reported=$("${settings[@]}" bash -c "$(declare -f corename); corename")
  if "${settings[@]}" swift test --skip-build --filter "$filter" >"$logs/$kernel.log" 2>&1; then result=passed; else result=FAILED; status=1; fi
  tests=$(grep -Eo "Test run with [0-9]+ tests" "$logs/$kernel.log" | tail -1 | grep -Eo "[0-9]+" || echo "?")
  echo "| $label | $reported | $tests | $result |"
  if [ "$result" = FAILED ]; then grep -E "^✘" "$logs/$kernel.log" | head -5 | sed 's/^/    /' >&2; fi
done
exit $status
