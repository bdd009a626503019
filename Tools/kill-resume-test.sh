#!/usr/bin/env bash
# Kill and resume: trains a small run while stopping it at random moments, resumes it each time: every
# other stop a SIGKILL while a checkpoint is being written, the others alternately a SIGINT (the run
# finishes its step, writes a checkpoint and exits 130) and a SIGKILL at a random moment; checks after every kill that the checkpoint
# on disk is readable, and finally compares the final checkpoint with an uninterrupted run's: every tensor
# bit for bit and every state field but the wall-clock seconds (Tools/compare-checkpoints.py).
#   Tools/kill-resume-test.sh [KILLS]      (default 12; a few minutes on 2 cores; CI runs 4)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
kills="${1:-12}"
swift build -c release --product ch09-trainer >/dev/null
trainer="$PWD/.build/release/ch09-trainer"
work="${TMPDIR:-/tmp}/dino-kill-resume-$$"
rm -rf "$work"; mkdir -p "$work/straight" "$work/killed"
# Both runs write to the relative folder `run` inside their own directory: same options, same metadata.
options=(--dataset synthetic --train-subset 640 --arch vit_tiny --depth 2 --patch-size 4 --global-crop-size 28
         --local-crop-size 12 --local-crops-number 2 --out-dim 256 --batch-size 32 --epochs 3 --warmup-epochs 1
         --eval-every 0 --checkpoint-every-iterations 3 --threads 2 --seed 7 --output-dir run)

echo "== uninterrupted run =="
(cd "$work/straight" && "$trainer" train "${options[@]}" >log)

echo "== interrupted run: $kills kills =="
cd "$work/killed"
start() { if [ -f run/checkpoint.safetensors ]; then "$trainer" train "${options[@]}" --resume >>log 2>&1 & else "$trainer" train "${options[@]}" >>log 2>&1 & fi; pid=$!; }
survived=0; unreadable=0; during_write=0; resumes=0; interrupted=0
start
for _ in $(seq 1 3000); do [ -f run/checkpoint.safetensors ] && break; sleep 0.01; done  # a first checkpoint to resume from
for ((k = 1; k <= kills; k++)); do
  if ((k % 2 == 0)); then
    # Kill while a checkpoint's temporary file exists, i.e. during the write.
    for _ in $(seq 1 3000); do
      ls run/.checkpoint.safetensors.tmp-* >/dev/null 2>&1 && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.002
    done
    ls run/.checkpoint.safetensors.tmp-* >/dev/null 2>&1 && during_write=$((during_write + 1))
  else
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.5, 3.0), 2))')"
  fi
  if ! kill -0 "$pid" 2>/dev/null; then wait "$pid" || true; echo "(the run finished before kill $k)"; break; fi
  if ((k % 4 == 1)); then
    kill -INT "$pid"; status=0; wait "$pid" 2>/dev/null || status=$?
    [ "$status" -eq 130 ] || { echo "FAIL: SIGINT ended the run with status $status, expected 130"; exit 1; }
    interrupted=$((interrupted + 1))
  else
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  fi
  survived=$((survived + 1))
  # The checkpoint on disk must always be complete: `features` reads every tensor of it.
  if ! "$trainer" features --checkpoint run/checkpoint.safetensors --split test --output f.safetensors --threads 1 >/dev/null 2>&1; then
    unreadable=$((unreadable + 1)); echo "kill $k: the checkpoint on disk is unreadable"
  fi
  resumes=$((resumes + 1))
  start
done
wait "$pid"
echo "stops: $survived (SIGINT: $interrupted; SIGKILL during a checkpoint write: $during_write); resumes: $resumes; unreadable checkpoints seen: $unreadable"
compare="$root/Tools/compare-checkpoints.py"
if python3 "$compare" "$work/straight/run/checkpoint.safetensors" run/checkpoint.safetensors \
   && python3 "$compare" "$work/straight/run/teacher_backbone.safetensors" run/teacher_backbone.safetensors; then
  echo "final checkpoint (student, teacher, optimiser, centre, state) and teacher backbone: identical to the uninterrupted run"
else
  echo "FAIL: the final checkpoint differs from the uninterrupted run's (above: what differs)"; exit 1
fi
[ "$unreadable" -eq 0 ] || { echo "FAIL: a checkpoint on disk was unreadable"; exit 1; }
rm -rf "$work"
