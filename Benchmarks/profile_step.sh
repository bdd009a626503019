#!/usr/bin/env bash
# Where a training step's time goes, by kind of work: for each shape, precision and thread count,
# `step-benchmark --step-only` for the step's fraction of its products' 2048³ peak, then `perf record`
# over `step-benchmark --profile` (the steps and nothing else), its samples grouped by what each function
# does (Benchmarks/profile/step_profile.py). Run nothing else meanwhile (about 10 minutes for all).
#   Benchmarks/profile_step.sh                       # b1 and fashion, fp32 and bf16 (where the CPU has it), 2 and 1 threads
#   Benchmarks/profile_step.sh fashion bf16 2        # one configuration
#   Benchmarks/profile_step.sh b1 fp32 2 DIR         # and keep the reports in DIR (a dated record:
#                                                      Benchmarks/results/profile-DATE; the table regenerates with
#                                                      python3 Benchmarks/profile/step_profile.py DIR)
# Needs perf (Debian: apt-get install linux-perf) and root, or kernel.perf_event_paranoid at most 1.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v perf >/dev/null || { echo "error: perf is not installed; expected it on PATH (Debian: apt-get install linux-perf)"; exit 1; }
presets=${1:-b1 fashion}
precisions=${2:-fp32 bf16}
threads=${3:-2 1}
if [[ $precisions == *bf16* ]] && ! grep -qw avx512_bf16 /proc/cpuinfo; then
  echo "note: this CPU lacks AVX512_BF16; bf16 would run on the portable path, so only fp32 is profiled"
  precisions=fp32
fi
out=${4:-"${TMPDIR:-/tmp}/dino-profile-$$"}
mkdir -p "$out"
swift build -c release --product step-benchmark >/dev/null
for preset in $presets; do
  for precision in $precisions; do
    for t in $threads; do
      name="$preset-$precision-$t"
      echo "== $name =="
      .build/release/step-benchmark --preset "$preset" --precision "$precision" --threads "$t" --step-only --steps 20 \
          --reference-batch 0 --json > "$out/$name.step"
      grep -E "^threads|^ +phases" "$out/$name.step"
      # Enough steps that making the model (left out of the shares) is a small part of the samples.
      steps=30; [ "$preset" = fashion ] && steps=150
      perf record -q -F 1999 -o "$out/$name.data" -- .build/release/step-benchmark --preset "$preset" --precision "$precision" \
          --threads "$t" --profile --steps "$steps" --reference-batch 0 > "$out/$name.profiled" 2>/dev/null
      # One line a function, its padding and empty columns dropped, names demangled.
      perf report -i "$out/$name.data" --stdio --no-children --sort dso,symbol --percent-limit 0.01 -q 2>/dev/null \
          | swift demangle --simplified | sed -E 's/ +- +- *$//; s/ +$//; s/  +/  /g' > "$out/$name.report"
      rm -f "$out/$name.data"
    done
  done
done
python3 Benchmarks/profile/step_profile.py "$out"
echo "(raw outputs in $out)"
