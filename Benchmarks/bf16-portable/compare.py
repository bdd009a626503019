#!/usr/bin/env python3
"""The portable bf16 path against the AVX-512 kernel on one training run: the first N step losses of two
runs' metrics.jsonl side by side, their largest relative difference, and the final k-NN of each.

    python3 Benchmarks/bf16-portable/compare.py KERNEL_RUN_FOLDER PORTABLE_RUN_FOLDER [N]

Made for Benchmarks/bf16-portable/run.sh, which trains the quick preset in bf16 both ways.
"""
import json
import sys


def records(folder):
    try:
        with open(f"{folder}/metrics.jsonl", encoding="utf-8") as file:
            return [json.loads(line) for line in file if line.strip()]
    except OSError as error:
        sys.exit(f"error: {folder}/metrics.jsonl cannot be read ({error.strerror}); did the run finish?")


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: compare.py KERNEL_RUN_FOLDER PORTABLE_RUN_FOLDER [N]")
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    kernel, portable = records(sys.argv[1]), records(sys.argv[2])
    steps = [[r["loss"] for r in run if r.get("type") == "step"][:count] for run in (kernel, portable)]
    if min(len(s) for s in steps) < count:
        sys.exit(f"error: a run has fewer than {count} steps")
    print("| step | kernel loss | portable loss | relative difference |")
    print("|---|---|---|---|")
    worst = 0.0
    for index, (a, b) in enumerate(zip(*steps)):
        difference = abs(a - b) / abs(a)
        worst = max(worst, difference)
        print(f"| {index + 1} | {a:.6f} | {b:.6f} | {difference:.2e} |")
    knn = [[r["knn_top1"] for r in run if "knn_top1" in r and r.get("type") != "baselines"] for run in (kernel, portable)]
    print()
    print(f"largest relative difference of the first {count} losses: {worst:.2e}")
    elapsed = [max((r.get("elapsed_seconds", 0) for r in run), default=0) / 60 for run in (kernel, portable)]
    print(f"wall time (training and evaluation): kernel {elapsed[0]:.1f} min, portable {elapsed[1]:.1f} min")
    print(f"final k-NN top-1: kernel {knn[0][-1]:.2f}%, portable {knn[1][-1]:.2f}% (difference {abs(knn[0][-1] - knn[1][-1]):.2f} points)")


if __name__ == "__main__":
    main()
