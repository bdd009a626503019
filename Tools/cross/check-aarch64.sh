#!/usr/bin/env bash
# Cross-compiles the C kernels (Sources/VectorKernels, Sources/CRC32CKernel) for aarch64 with -Wall -Werror
# and runs their static test driver under qemu-aarch64-static: the code an ARM user's CPU runs, checked on
# an x86 machine. Needs gcc-aarch64-linux-gnu, libc6-dev-arm64-cross and qemu-user-static
# (Tools/install-deps.sh --cross).
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in aarch64-linux-gnu-gcc qemu-aarch64-static; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing: Tools/install-deps.sh --cross installs it" >&2; exit 69; }
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
aarch64-linux-gnu-gcc -std=c11 -O2 -Wall -Werror -static \
  -I Sources/VectorKernels/include -I Sources/CRC32CKernel/include \
  Sources/VectorKernels/*.c Sources/CRC32CKernel/*.c Tools/cross/kernels_driver.c -lm -o "$out/kernels-aarch64"
readelf -h "$out/kernels-aarch64" | grep -q "AArch64" || { echo "error: the driver was not built for aarch64" >&2; exit 1; }
qemu-aarch64-static "$out/kernels-aarch64"
