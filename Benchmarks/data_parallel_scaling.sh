#!/usr/bin/env bash
# Data-parallel scaling on one machine: the B1 configuration trained for STEPS steps by one process on
# 2 threads and by 2 MPI ranks on 1 thread each, the same global batch of 64. Prints the median images
# per second (steps after the first three) and, for the ranks, the median seconds per step spent in the
# gradients' all-reduce. Run nothing else meanwhile.
#   Benchmarks/data_parallel_scaling.sh [STEPS]      (default 30; about 3 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-30}"
swift build -c release --product ch09-trainer >/dev/null
trainer="$PWD/.build/release/ch09-trainer"
work="${TMPDIR:-/tmp}/dino-scaling-$$"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
options=(--preset b1 --dataset synthetic --train-subset $((64 * steps)) --epochs 1 --eval-train-subset 256 --eval-test-subset 64)
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

median() { python3 -c "
import json, statistics, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '\"type\":\"step\"' in l][3:]
values = [s[sys.argv[2]] for s in steps if sys.argv[2] in s]
print(f'{statistics.median(values):.4f}' if values else 'n/a')" "$1" "$2"; }

"$trainer" train "${options[@]}" --threads 2 --output-dir "$work/one" >/dev/null
mpirun -np 2 --bind-to none "$trainer" train "${options[@]}" --threads 1 --output-dir "$work/two" >/dev/null
echo "B1 (batch 64, $steps steps, medians after the first 3)"
echo "1 process × 2 threads: $(median "$work/one/metrics.jsonl" images_per_second) img/s"
echo "2 ranks × 1 thread:    $(median "$work/two/metrics.jsonl" images_per_second) img/s, all-reduce $(median "$work/two/metrics.jsonl" all_reduce_seconds) s per step"
