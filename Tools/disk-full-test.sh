#!/usr/bin/env bash
# Disk full: trains a small run whose output folder is a tmpfs with room for one checkpoint but not for
# the temporary file of the next, and checks that the run stops with a clear message and a non-zero exit,
# that no temporary file is left behind, and that the previous checkpoint is still complete and unchanged.
#   sudo Tools/disk-full-test.sh            (needs root for mount -t tmpfs; under a minute on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product ch09-trainer >/dev/null
trainer="$PWD/.build/release/ch09-trainer"
work="${TMPDIR:-/tmp}/dino-disk-full-$$"
mkdir -p "$work/sizing" "$work/full"
cleanup() { cd /; mountpoint -q "$work/full" && umount "$work/full"; rm -rf "$work"; }
trap cleanup EXIT
options=(--dataset synthetic --train-subset 128 --arch vit_tiny --depth 1 --patch-size 4 --global-crop-size 28
         --local-crop-size 12 --local-crops-number 2 --out-dim 256 --batch-size 32 --epochs 3 --warmup-epochs 1
         --eval-every 0 --checkpoint-every-iterations 2 --threads 2 --seed 3 --output-dir run)

# How much one epoch's output takes: checkpoint, teacher backbone, metrics and charts.
(cd "$work/sizing" && "$trainer" train "${options[@]}" --epochs 1 >log 2>&1)
bytes=$(du -sb "$work/sizing/run" | cut -f1)
# Room for every file once plus half a checkpoint: the first checkpoint fits, its successor's temporary does not.
checkpoint=$(stat -c %s "$work/sizing/run/checkpoint.safetensors")
size=$(( (bytes + checkpoint / 2) / 4096 * 4096 + 4096 ))
if ! mount -t tmpfs -o "size=$size" tmpfs "$work/full" 2>/dev/null; then
  echo "could not mount a tmpfs (needs root: sudo $0)"; exit 2
fi
echo "tmpfs of $size bytes for a checkpoint of $checkpoint bytes"

cd "$work/full"
status=0
"$trainer" train "${options[@]}" >log 2>&1 || status=$?
cp run/checkpoint.safetensors "$work/survivor.safetensors" 2>/dev/null || true
echo "exit status: $status"
grep -E "could not be written|No space" log | head -3 || true
failures=0
[ "$status" -ne 0 ] || { echo "FAIL: the run did not stop"; failures=$((failures + 1)); }
grep -q "No space left on device" log || { echo "FAIL: the message does not say the disk is full"; failures=$((failures + 1)); }
if ls run/.*.tmp-* >/dev/null 2>&1; then echo "FAIL: a temporary file was left behind"; failures=$((failures + 1)); fi
# The surviving checkpoint must be complete: `features` reads every tensor of it, and resuming from it
# on a disk with room finishes the run.
"$trainer" features --checkpoint run/checkpoint.safetensors --split test --output "$work/f.safetensors" --threads 1 >/dev/null \
  || { echo "FAIL: the previous checkpoint is unreadable"; failures=$((failures + 1)); }
mkdir -p "$work/roomy" && cp -r run "$work/roomy/run"
(cd "$work/roomy" && "$trainer" train "${options[@]}" --resume >log 2>&1) \
  || { echo "FAIL: resuming from the surviving checkpoint failed"; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] && echo "disk full: clear message, non-zero exit, no temporary left, previous checkpoint intact and resumable"
exit "$failures"
