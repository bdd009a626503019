#!/usr/bin/env bash
# The quick preset in bf16 twice on one machine: on the AVX-512 bf16 kernel (DINO_KERNELS unset, on a CPU
# with AVX512_BF16) and on the portable path every CPU runs (DINO_KERNELS=generic: no AVX2 either), then
# their first 20 losses and final k-NN side by side. Writes runs/bf16-kernel and runs/bf16-portable.
#   Benchmarks/bf16-portable/run.sh > Benchmarks/results/bf16-portable.md
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product ch09-trainer >/dev/null
trainer=.build/release/ch09-trainer
rm -rf runs/bf16-kernel runs/bf16-portable; mkdir -p runs
"$trainer" train --preset quick --precision bf16 --output-dir runs/bf16-kernel >runs/bf16-kernel.log 2>&1
DINO_KERNELS=generic "$trainer" train --preset quick --precision bf16 --output-dir runs/bf16-portable >runs/bf16-portable.log 2>&1
echo "# bf16: the portable path against the AVX-512 kernel"
echo
echo "\`Benchmarks/bf16-portable/run.sh\` on $(date -u +%Y-%m-%d) (commit $(git rev-parse --short HEAD)), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores:"
echo "\`ch09-trainer train --preset quick --precision bf16\`, once as it is and once under \`DINO_KERNELS=generic\`."
echo
python3 Benchmarks/bf16-portable/compare.py runs/bf16-kernel runs/bf16-portable 20

