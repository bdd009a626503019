#!/usr/bin/env bash
# The race on the `fashion` recipe: DINO in Swift (`--preset fashion`), then the book's PyTorch DINO
# (Benchmarks/reference/dino_torch.py) configured the same way, one after the other on this machine,
# each until 83% k-NN or 2 hours; then the table of minutes to 75/80/83/85.69% and the chart.
# Run nothing else meanwhile (up to 4 hours).
#   Benchmarks/race_fashion.sh                 # both sides
#   Benchmarks/race_fashion.sh torch           # the PyTorch side only (ours recorded already)
# Each side's epoch records go to Benchmarks/results/runs/race-{swift,torch}-DATE/metrics.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
sides=${1:-swift torch}
date=$(date -u +%Y-%m-%d)
records=Benchmarks/results/runs
mkdir -p runs "$records"

if [[ $sides == *swift* ]]; then
  swift build -c release --product ch09-trainer >/dev/null
  rm -rf "runs/race-swift-$date"
  .build/release/ch09-trainer train --preset fashion --output-dir "runs/race-swift-$date" | tee "runs/race-swift-$date.log"
  python3 Benchmarks/study/study.py record "runs/race-swift-$date" "race-swift-$date"
fi

if [[ $sides == *torch* ]]; then
  python=$(Tools/torch-venv.sh | tail -1)
  precision=fp32
  grep -qw avx512_bf16 /proc/cpuinfo && precision=bf16  # as the preset: bf16 products where the CPU has them
  mkdir -p "runs/race-torch-$date" "$records/race-torch-$date"
  # The fashion preset's options under the script's names; the rest are B1's, as the preset's.
  # (The race of 2026-12-06 ran the preset as it stood then: six blocks, 12 epochs.)
  "$python" Benchmarks/reference/dino_torch.py --patch-size 7 --local-size 14 --depth 4 --batch-size 32 --momentum-teacher 0.99 \
      --out-dim 1024 --blur 0 0 0 --train-subset 60000 --epochs 37 --precision "$precision" \
      --stop-at-knn 83 --time-limit-minutes 120 --metrics "runs/race-torch-$date/metrics.jsonl" \
      --output "runs/race-torch-$date/teacher_backbone.safetensors" | tee "runs/race-torch-$date.log"
  cp "runs/race-torch-$date/metrics.jsonl" "$records/race-torch-$date/metrics.jsonl"
fi

# The newest record of each side, by the date that ends its name (ours: a race run, else the fashion
# preset's own run of the same recipe, four blocks over 37 epochs); a pattern that matches nothing is skipped.
newest() { for d in "$@"; do if [ -d "$d" ]; then echo "${d: -10} $d"; fi; done | sort | tail -1 | cut -d' ' -f2; }
swift_record=$(newest "$records"/race-swift-2* "$records"/fashion-d4-37ep-2*)
torch_record=$(newest "$records"/race-torch-2*)
[ -n "$swift_record" ] && [ -n "$torch_record" ] || { echo "error: no record of one side under $records; run both: $0"; exit 1; }
python3 Benchmarks/race.py "$swift_record" "$torch_record" --names "DINO in Swift,PyTorch (dino_torch.py)" \
    --chart book/figures/runs/race-fashion.svg
