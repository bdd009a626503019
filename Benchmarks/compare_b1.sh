#!/usr/bin/env bash
# Runs our B1 step benchmark and the PyTorch reference's side by side, in one run on this machine, and
# prints the ratios. Run nothing else meanwhile; the figures are medians over clean steps.
#   Benchmarks/compare_b1.sh                     # the PyTorch environment comes from Tools/torch-venv.sh
#   Benchmarks/compare_b1.sh 3                   # the fp32 comparison three times, then each ratio's spread
# The PyTorch reference (the book's script: timm's ViT, the authors' head and loss) is Benchmarks/reference/. On a CPU with AVX512_BF16 it then
# measures the mixed-precision rows too: our --precision bf16 against PyTorch's bf16 autocast and
# against our fp32 step; elsewhere it says so and measures fp32 only.
set -euo pipefail
cd "$(dirname "$0")/.."
reference=Benchmarks/reference
out="${TMPDIR:-/tmp}/dino-compare-$$"
mkdir -p "$out"
python=$(Tools/torch-venv.sh | tail -1) || { echo "could not make the PyTorch environment (Tools/torch-venv.sh)"; exit 1; }

repeat=${1:-1}
[[ $repeat =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [RUNS]: RUNS is how many times to compare fp32 (1 or more), got '$repeat'"; exit 2; }

swift build -c release --product step-benchmark >/dev/null
for run in $(seq 1 "$repeat"); do
dir="$out/fp32-$run"
mkdir -p "$dir"
# The reference path's speed (a minute a run) is measured in the first run only.
reference_batch=8
[ "$run" -gt 1 ] && reference_batch=0
echo "== ours (Swift), fp32 run $run of $repeat =="
/usr/bin/time -v .build/release/step-benchmark --threads 2,1 --json --reference-batch $reference_batch >"$dir/ours.txt" 2>"$dir/ours.time"
cat "$dir/ours.txt" | grep -v '^{'
echo "== PyTorch reference, fp32 run $run of $repeat =="
/usr/bin/time -v "$python" "$reference/bench_step.py" --threads 2,1 >"$dir/torch.txt" 2>"$dir/torch.time"
grep -E "^threads=|^inference|^FLOPs" "$dir/torch.txt"

python3 - "$dir" <<'PY'
import json, re, sys
out = sys.argv[1]
ours = json.loads([l for l in open(f"{out}/ours.txt") if l.startswith("{")][-1])
torch_text = open(f"{out}/torch.txt").read()
def torch_step(threads):
    m = re.search(rf"threads={threads}: step ([\d.]+)s\s+([\d.]+) img/s\s+([\d.]+) GFLOPS", torch_text)
    return float(m.group(2)), float(m.group(3))
inference = {int(m.group(1)): float(m.group(2)) for m in re.finditer(r"'threads': (\d+), 'images_per_s': ([\d.]+)", torch_text)}
def peak(path):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read())
    return int(m.group(1)) / 1024 if m else float("nan")
rows = []
for t in (2, 1):
    o = ours[f"threads_{t}"]
    ti, tg = torch_step(t)
    rows.append((f"training step, {t} thread{'s' if t > 1 else ''} (img/s)", o["images_per_s"], ti))
    rows.append((f"  achieved GFLOPS, {t} thread{'s' if t > 1 else ''}", o["gflops"], tg))
    rows.append((f"  fraction of our sgemm peak, {t} thread{'s' if t > 1 else ''}", o["fraction_of_peak"], float("nan")))
    rows.append((f"feature extraction, {t} thread{'s' if t > 1 else ''} (img/s)", o["inference_images_per_s"], inference.get(t, float("nan"))))
rows.append(("full pipeline, 2 threads (img/s)", ours["threads_2"]["pipeline_images_per_s"], float("nan")))
rows.append(("peak memory of the benchmark process (MB)", peak(f"{out}/ours.time"), peak(f"{out}/torch.time")))
print(f"\n{'measure':48} {'ours':>10} {'PyTorch':>10} {'ratio':>7}")
ratios = {}
for name, a, b in rows:
    ratio = a / b if b == b and b else float("nan")
    ratios[name.strip()] = ratio
    print(f"{name:48} {a:10.2f} {b:10.2f} {ratio:7.2f}")
json.dump(ratios, open(f"{out}/ratios.json", "w"))
PY
done

if [ "$repeat" -gt 1 ]; then
  python3 - "$out" "$repeat" <<'PY'
import json, sys
runs = [json.load(open(f"{sys.argv[1]}/fp32-{r}/ratios.json")) for r in range(1, int(sys.argv[2]) + 1)]
print(f"\nfp32 ratios over {len(runs)} runs, same machine, same hour: median (lowest–highest)")
for name in runs[0]:
    values = sorted(r[name] for r in runs if r[name] == r[name])
    if values:
        print(f"{name:48} {values[len(values) // 2]:7.2f} ({values[0]:.2f}–{values[-1]:.2f})")
PY
fi

if grep -qw avx512_bf16 /proc/cpuinfo; then
  echo "== bf16: ours (--precision bf16) and PyTorch (torch.autocast bfloat16) =="
  /usr/bin/time -v .build/release/step-benchmark --threads 2,1 --json --precision bf16 --reference-batch 0 >"$out/ours-bf16.txt" 2>"$out/ours-bf16.time"
  grep -v '^{' "$out/ours-bf16.txt"
  /usr/bin/time -v "$python" "$reference/bench_step.py" --threads 2,1 --precision bf16 >"$out/torch-bf16.txt" 2>"$out/torch-bf16.time"
  grep -E "^threads=|^precision" "$out/torch-bf16.txt"
  python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
def ours(name):
    return json.loads([l for l in open(f"{out}/{name}") if l.startswith("{")][-1])
def torch_rate(name, threads):
    return float(re.search(rf"threads={threads}: step [\d.]+s\s+([\d.]+) img/s", open(f"{out}/{name}").read()).group(1))
def peak(path):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read())
    return int(m.group(1)) / 1024 if m else float("nan")
fp32, bf16 = ours("fp32-1/ours.txt"), ours("ours-bf16.txt")
print(f"\n{'training step (img/s)':28} {'ours bf16':>10} {'PyTorch bf16':>13} {'ratio':>7} {'ours fp32':>10} {'bf16/fp32':>10}")
for t in (2, 1):
    a, b, c = bf16[f"threads_{t}"]["images_per_s"], torch_rate("torch-bf16.txt", t), fp32[f"threads_{t}"]["images_per_s"]
    print(f"{f'{t} thread' + ('s' if t > 1 else ''):28} {a:10.2f} {b:13.2f} {a / b:7.2f} {c:10.2f} {a / c:10.2f}")
print(f"{'peak memory (MB)':28} {peak(f'{out}/ours-bf16.time'):10.0f} {peak(f'{out}/torch-bf16.time'):13.0f}")
PY
else
  echo "== bf16: not measured: this CPU lacks AVX512_BF16 (fp32 only) =="
fi
echo "(raw outputs in $out)"
