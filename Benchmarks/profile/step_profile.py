#!/usr/bin/env python3
"""Groups a `perf report` of training steps by kind of work, and sets it beside the step's fraction of
its products' 2048³ peak. Benchmarks/profile_step.sh makes the inputs and calls it:

    python3 Benchmarks/profile/step_profile.py FOLDER

FOLDER holds, per configuration NAME (PRESET-PRECISION-THREADS), NAME.step (`step-benchmark --step-only
--json`) and NAME.report (`perf report --stdio --no-children --sort dso,symbol`, demangled). Prints one
Markdown table: rows are kinds of work, columns configurations, cells the share of all sampled CPU time
(every core's) in percent; then the products' share and what the step's fraction implies for them.
"""
import json
import re
import sys
from pathlib import Path

# First match wins: a function is put under the kind of work it does. Patterns are searched in the
# demangled symbol (kernel functions are marked [k] by perf and fall to "kernel" unless named here).
KINDS = [
    # Making the model and the random crops before the first step: not the step, left out of the shares.
    (SETUP := "setup before the steps (random weights and crops)", r"nextNormal|^__cos|^__sin|__ieee754_log|^__log|Tensor\.normal|SyntheticShapes"),
    ("products: OpenBLAS sgemm kernel", r"sgemm_kernel|sgemm_small"),
    ("products: OpenBLAS packing, beta", r"sgemm_(on|ot|in|it)copy|sgemm_beta|_copy_|copy_HASWELL|copy_SKYLAKEX|copy_COOPERLAKE|copy_ZEN"),
    ("products: OpenBLAS dispatch", r"^(sgemm_|gemm_|blas_|exec_blas|inner_thread|cblas_)|openblas"),
    ("products: bf16 kernel", r"dino_bf16_gemm|dino_bf16_micro|dino_bf16_kernel|bf16_block"),
    ("products: bf16 packing, rounding", r"^pack$|dino_bf16_pack|dino_bf16_round|roundedToBFloat16"),
    ("products: attention's small per-head products", r"dino_small_gemm|smallGemm|small_gemm|smallTimesB|transposeInto"),
    ("GELU (forward, backward)", r"(?i)gelu|erf"),
    ("LayerNorm", r"(?i)layer_?norm"),
    ("softmax, log-softmax (attention, loss)", r"(?i)softmax"),
    ("AdamW, EMA, clipping", r"(?i)adamw|MovingAverage|updateTeacher|clip"),
    ("loss, centre, L2 normalisation", r"DINOLoss|crossEntropy|Centering|L2Normali|normalizedRows|WeightNormalized"),
    ("waiting (a core spinning or asleep)", r"WorkerPool|spin|sched_yield|futex|pthread_cond|__lll_|do_sched_yield|schedule|cpuidle|pause"),
    ("memory: page faults, zeroing, copies", r"clear_page|memset|memcpy|memmove|page_fault|do_anonymous|__mem|handle_mm_fault|rep_stos|copy_user|zap_|free_pages|alloc_pages|get_page_from_freelist|rmqueue|lru|folio|pte"),
    ("allocation, reference counting", r"malloc|free\b|_int_free|_int_malloc|swift_retain|swift_release|swift_alloc|swift_dealloc|swift_bridgeObject|swift_beginAccess|swift_endAccess|swift_isUniquely|cfree"),
    ("elementwise passes and sums (residual, bias, DropPath, sums)", r"Tensor|addResidual|columnSums|sumOverRows|DropPath|multiply|add\(|Parallel|forEach|MultiCrop|Block|Attention|MLP|Linear|PatchEmbedding|VisionTransformer|DINOHead"),
]
# "  12.34%  dso  [.] symbol" (perf may pad the symbol and add "-  -" columns after it).
LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*?)(?:\s+-\s+-)?\s*$")


def kind_of(dso, mark, symbol):
    for name, pattern in KINDS:
        if re.search(pattern, symbol):
            return name
    if mark == "k" or dso.startswith("[kernel"):
        return "kernel (other)"
    return "other"


def shares(report):
    """Each kind's share of the steps' samples (setup left out), and its functions."""
    totals, top = {}, {}
    for line in report.read_text(errors="replace").splitlines():
        match = LINE.match(line)
        if not match:
            continue
        percent, dso, mark, symbol = float(match.group(1)), match.group(2), match.group(3), match.group(4).strip()
        kind = kind_of(dso, mark, symbol)
        totals[kind] = totals.get(kind, 0) + percent
        top.setdefault(kind, []).append((percent, symbol[:70]))
    steps = 100 - totals.pop(SETUP, 0)
    top.pop(SETUP, None)
    scale = 100 / steps if steps > 0 else 1
    return ({k: v * scale for k, v in totals.items()},
            {k: [(p * scale, s) for p, s in items] for k, items in top.items()})


def step(path):
    lines = path.read_text().splitlines()
    record = json.loads([line for line in lines if line.startswith("{")][-1])
    run = next(value for key, value in record.items() if key.startswith("threads_"))
    return record, run


def main():
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        sys.exit("usage: step_profile.py FOLDER (the folder Benchmarks/profile_step.sh filled)")
    folder = Path(sys.argv[1])
    names = sorted(p.stem for p in folder.glob("*.report"))
    if not names:
        sys.exit(f"error: {folder} holds no .report file; expected the output of Benchmarks/profile_step.sh")
    columns = {}
    for name in names:
        totals, top = shares(folder / f"{name}.report")
        record, run = step(folder / f"{name}.step")
        columns[name] = (totals, top, run)
    kinds = [k for k, _ in KINDS if k != SETUP] + ["kernel (other)", "other"]
    print("\nshare of the steps' sampled CPU time (%, every core's; setup left out), by kind of work\n")
    print("| kind of work | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for kind in kinds:
        if any(columns[n][0].get(kind, 0) >= 0.05 for n in names):
            print(f"| {kind} | " + " | ".join(f"{columns[n][0].get(kind, 0):.1f}" for n in names) + " |")
    print("\nthe step against its products' 2048³ peak\n")
    print("| configuration | step (s) | GFLOPS | peak (GFLOPS) | fraction of peak | products' share of CPU time | the products' own speed, implied |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in names:
        totals, _, run = columns[name]
        products = sum(v for k, v in totals.items() if k.startswith("products"))
        fraction = run["fraction_of_peak"]
        # Nearly every FLOP counted is in the products (attention's included): the step's fraction divided
        # by their share of the time is the fraction of the peak they themselves run at, inside the step.
        implied = fraction / (products / 100) if products else float("nan")
        print(f"| {name} | {run['step_s']:.3f} | {run['gflops']:.1f} | {run['peak_gflops']:.1f} | {100 * fraction:.0f}% | "
              f"{products:.0f}% | {100 * implied:.0f}% of peak |")
    print("\nlargest functions per configuration (share %, demangled name)")
    for name in names:
        totals, top, _ = columns[name]
        flat = sorted(((p, s, k) for k, items in top.items() for p, s in items), reverse=True)[:12]
        print(f"\n{name}:")
        for percent, symbol, kind in flat:
            print(f"  {percent:5.1f}  {symbol}  [{kind}]")


if __name__ == "__main__":
    main()
