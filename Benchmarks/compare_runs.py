#!/usr/bin/env python3
"""Two training runs side by side, epoch by epoch, from their metrics.jsonl: loss, h(P_t), KL and k-NN
top-1 of each, and the largest k-NN difference. How the bf16 run is held to the fp32 one:

    python3 Benchmarks/compare_runs.py runs/b1-fp32 runs/b1-bf16 --names fp32,bf16 --limit 0.5

With --limit it exits 1 when the k-NN curves differ by more than that many points at any epoch.
"""
import argparse
import json
import sys
from pathlib import Path


def epochs(folder):
    path = Path(folder) / "metrics.jsonl"
    if not path.exists():
        sys.exit(f"error: {path} does not exist: give the --output-dir of a run")
    records = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            # A run killed while writing leaves its last line cut; the resumed run starts a new line.
            print(f"warning: {path}, line {number}, is not JSON; skipped", file=sys.stderr)
            continue
        if record.get("type") == "epoch":
            records[int(record["epoch"])] = record  # a resumed run logs an epoch again: the last one counts
    return records


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--names", default="first,second", help="the two runs' names, comma-separated")
    parser.add_argument("--limit", type=float, default=None, help="the largest k-NN difference allowed, in points")
    arguments = parser.parse_args()
    names = arguments.names.split(",")
    if len(names) != 2:
        sys.exit(f"error: --names takes two names separated by a comma, got '{arguments.names}'")
    a, b = epochs(arguments.first), epochs(arguments.second)
    shared = sorted(set(a) & set(b))
    if not shared:
        sys.exit("error: the two runs have no epoch in common")
    print(f"| epoch | loss ({names[0]} / {names[1]}) | h(P_t) | KL | k-NN top-1 ({names[0]} / {names[1]}) | difference |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for epoch in shared:
        x, y = a[epoch], b[epoch]
        difference = y["knn_top1"] - x["knn_top1"]
        worst = max(worst, abs(difference))
        print(f"| {epoch} | {x['loss']:.4f} / {y['loss']:.4f} | {x['teacher_entropy']:.3f} / {y['teacher_entropy']:.3f} "
              f"| {x['kl']:.3f} / {y['kl']:.3f} | {x['knn_top1']:.2f} / {y['knn_top1']:.2f} | {difference:+.2f} |")
    print(f"\nlargest k-NN difference over {len(shared)} epochs: {worst:.2f} points")
    if arguments.limit is not None and worst > arguments.limit:
        print(f"FAIL: more than {arguments.limit} points")
        sys.exit(1)


if __name__ == "__main__":
    main()
