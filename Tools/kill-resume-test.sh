#!/usr/bin/env bash
# Kill and resume: trains a small run while killing it with SIGKILL at random moments (half of the kills
# while a checkpoint is being written), resumes it each time, checks after every kill that the checkpoint
# on disk is readable, and finally compares the last checkpoint with an uninterrupted run's, byte for byte.
#   Tools/kill-resume-test.sh [KILLS]      (default 12; about 5 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-12}"
swift build -c release --product ch09-trainer >/dev/null
trainer=.build/release/ch09-trainer
work="${TMPDIR:-/tmp}/dino-kill-resume-$$"
rm -rf "$work"; mkdir -p "$work"
options=(--dataset synthetic --train-subset 640 --arch vit_tiny --depth 2 --patch-size 4 --global-crop-size 28
         --local-crop-size 12 --local-crops-number 2 --out-dim 256 --batch-size 32 --epochs 3 --warmup-epochs 1
         --eval-every 0 --checkpoint-every-iterations 3 --threads 2 --seed 7)

echo "== uninterrupted run =="
"$trainer" train "${options[@]}" --output-dir "$work/straight" >"$work/straight.log"

echo "== interrupted run: $kills kills =="
survived=0; unreadable=0; during_write=0
"$trainer" train "${options[@]}" --output-dir "$work/killed" >"$work/killed.log" 2>&1 &
pid=$!
for ((k = 1; k <= kills; k++)); do
  if ((k % 2 == 0)); then
    # Wait for a checkpoint's temporary file to appear, then kill while it is being written.
    for _ in $(seq 1 2000); do
      ls "$work/killed"/.checkpoint.safetensors.tmp-* >/dev/null 2>&1 && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.005
    done
    ls "$work/killed"/.checkpoint.safetensors.tmp-* >/dev/null 2>&1 && during_write=$((during_write + 1))
  else
    sleep "$(python3 -c 'import random; print(round(random.uniform(1.0, 4.0), 2))')"
  fi
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true
    survived=$((survived + 1))
  else
    wait "$pid" 2>/dev/null || true
    echo "(the run finished before kill $k)"; break
  fi
  # The checkpoint on disk must always be complete: `features` reads it in full.
  if [ -f "$work/killed/checkpoint.safetensors" ]; then
    if ! "$trainer" features --checkpoint "$work/killed/checkpoint.safetensors" --split test --output "$work/f.safetensors" --threads 1 >/dev/null 2>&1; then
      unreadable=$((unreadable + 1)); echo "kill $k: the checkpoint on disk is unreadable"
    fi
    "$trainer" train "${options[@]}" --output-dir "$work/killed" --resume >>"$work/killed.log" 2>&1 &
  else
    "$trainer" train "${options[@]}" --output-dir "$work/killed" >>"$work/killed.log" 2>&1 &
  fi
  pid=$!
done
wait "$pid"

echo "kills: $survived (of them during a checkpoint write: $during_write); unreadable checkpoints seen: $unreadable"
if cmp -s "$work/straight/checkpoint.safetensors" "$work/killed/checkpoint.safetensors" \
   && cmp -s "$work/straight/teacher_backbone.safetensors" "$work/killed/teacher_backbone.safetensors"; then
  echo "final checkpoint and teacher backbone: identical to the uninterrupted run, byte for byte"
else
  echo "FAIL: the final weights differ from the uninterrupted run's"; exit 1
fi
[ "$unreadable" -eq 0 ] || { echo "FAIL: a checkpoint on disk was unreadable"; exit 1; }
rm -rf "$work"
