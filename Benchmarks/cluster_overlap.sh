#!/usr/bin/env bash
# The B1 step on 2 machines simulated on this one (Tools/cluster-sim.sh, as root), links shaped to RATE
# (default 1gbit): the gradients summed in buckets during the backward pass (--overlap-communication true,
# the default) against one all-reduce after it (false). Each rank computes on 1 thread (the two ranks share
# the 2 cores). Prints the median step time and the median time a step waits for its sums, over STEPS steps
# after the first 3.
#   sudo Benchmarks/cluster_overlap.sh [STEPS] [RATE]      (default 20 steps; about 3 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-20}" rate="${2:-1gbit}"
work=$(mktemp -d "${TMPDIR:-/tmp}/dino-overlap.XXXX")
trap 'rm -rf "$work"' EXIT
median() { python3 -c "
import json, statistics, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '\"type\":\"step\"' in l][3:]
values = [s[sys.argv[2]] for s in steps if sys.argv[2] in s]
print(f'{statistics.median(values):.3f}' if values else 'n/a')" "$1" "$2"; }
echo "B1 on 2 simulated machines, links $rate, 1 thread per rank, $steps steps (medians after the first 3)"
for overlap in true false; do
  Tools/cluster-sim.sh 2 --bandwidth "$rate" -- --preset b1 --dataset synthetic --train-subset $((64 * steps)) --epochs 1 \
    --eval-train-subset 64 --eval-test-subset 16 --threads 1 --overlap-communication "$overlap" --output-dir "$work/$overlap" >/dev/null 2>&1
  ips=$(median "$work/$overlap/metrics.jsonl" images_per_second)
  wait=$(median "$work/$overlap/metrics.jsonl" all_reduce_seconds)
  echo "overlap $overlap: $(python3 -c "print(f'{64 / $ips:.3f}')") s per step ($ips img/s), waiting for the sums $wait s"
done
