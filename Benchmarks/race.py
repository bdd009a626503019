#!/usr/bin/env python3
"""Time to accuracy: runs of the same recipe side by side, from their epoch records (metrics.jsonl, as
the Swift trainer writes them and as Benchmarks/reference/dino_torch.py --metrics writes them).

    python3 Benchmarks/race.py Benchmarks/results/runs/fashion-2026-12-06 Benchmarks/results/runs/race-torch-DATE \\
        --names "DINO in Swift,PyTorch" --chart book/figures/runs/race-fashion.svg

prints, for each run, the wall-clock minutes at which its k-NN top-1 first reached each threshold
(">T" when it never did within its T minutes), and draws k-NN against minutes for every run beside the
raw pixels' line. Minutes count from the run's first step to the end of the epoch's evaluation:
evaluation time counts, for both. Benchmarks/race_fashion.sh runs both sides of the race.
"""
import argparse
import json
import sys
from pathlib import Path

THRESHOLDS = (75.0, 80.0, 83.0, 85.69)
COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")  # Okabe–Ito, told apart by colour-blind readers


def records(folder):
    path = Path(folder) / "metrics.jsonl"
    if not path.exists():
        sys.exit(f"error: {path} does not exist; expected a run's output folder or its record")
    epochs, pixels = {}, None
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill
        if record.get("type") == "epoch" and "knn_top1" in record:
            epochs[int(record["epoch"])] = record
        elif record.get("type") == "baselines":
            pixels = record.get("baseline_raw_pixels")
    if not epochs:
        sys.exit(f"error: {path} holds no evaluated epoch")
    return [epochs[e] for e in sorted(epochs)], pixels


def minutes_to(epochs, threshold):
    """The minutes at the end of the first epoch at or above `threshold`, or None."""
    return next((e["elapsed_seconds"] / 60 for e in epochs if e["knn_top1"] >= threshold), None)


def chart(runs, pixels, path):
    """An SVG of k-NN top-1 against minutes: one line per run, the pixels' dashed."""
    width, height, left, right, top, bottom = 640, 360, 64, 24, 40, 56
    points = [(e["elapsed_seconds"] / 60, e["knn_top1"]) for _, epochs in runs for e in epochs]
    x_max = max(x for x, _ in points) * 1.05
    y_values = [y for _, y in points] + ([pixels] if pixels else [])
    y_min, y_max = int(min(y_values)) - 1, int(max(y_values)) + 2
    def sx(x): return left + (width - left - right) * x / x_max
    def sy(y): return height - bottom - (height - top - bottom) * (y - y_min) / (y_max - y_min)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">k-NN top-1 against wall-clock minutes, 2 cores</text>']
    step = 10 if x_max <= 130 else 20
    for x in range(0, int(x_max) + 1, step):
        out.append(f'<line x1="{sx(x):.1f}" y1="{top}" x2="{sx(x):.1f}" y2="{height - bottom}" stroke="#e0e0e0"/>'
                   f'<text x="{sx(x):.1f}" y="{height - bottom + 16}" text-anchor="middle">{x}</text>')
    for y in range(y_min, y_max + 1, 2):
        out.append(f'<line x1="{left}" y1="{sy(y):.1f}" x2="{width - right}" y2="{sy(y):.1f}" stroke="#e0e0e0"/>'
                   f'<text x="{left - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{y}</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 16}" text-anchor="middle">minutes (evaluation included)</text>')
    out.append(f'<text transform="translate(18 {(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle">k-NN top-1 (%)</text>')
    if len(runs) > len(COLOURS):
        sys.exit(f"error: a chart draws at most {len(COLOURS)} runs, got {len(runs)}")
    legend = []
    for (name, epochs), colour in zip(runs, COLOURS):
        line = " ".join(f"{sx(e['elapsed_seconds'] / 60):.1f},{sy(e['knn_top1']):.1f}" for e in epochs)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{line}"/>')
        out += [f'<circle cx="{sx(e["elapsed_seconds"] / 60):.1f}" cy="{sy(e["knn_top1"]):.1f}" r="3" fill="{colour}"/>' for e in epochs]
        legend.append((name, colour, ""))
    if pixels:
        out.append(f'<line x1="{left}" y1="{sy(pixels):.1f}" x2="{width - right}" y2="{sy(pixels):.1f}" stroke="#555555" stroke-width="1.5" stroke-dasharray="6 4"/>')
        legend.append((f"raw pixels ({pixels:.2f}%)", "#555555", ' stroke-dasharray="6 4"'))
    for index, (name, colour, dash) in enumerate(legend):
        y = height - bottom - 12 - 18 * (len(legend) - 1 - index)
        out.append(f'<line x1="{width - right - 280}" y1="{y}" x2="{width - right - 260}" y2="{y}" stroke="{colour}" stroke-width="2"{dash}/>'
                   f'<text x="{width - right - 254}" y="{y + 4}">{name}</text>')
    out.append("</svg>")
    Path(path).write_text("\n".join(out) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="runs' output folders or their records under Benchmarks/results/runs/")
    parser.add_argument("--names", help="the runs' names, separated by commas")
    parser.add_argument("--chart", help="write the SVG chart here")
    a = parser.parse_args()
    names = a.names.split(",") if a.names else [Path(r).name for r in a.runs]
    if len(names) != len(a.runs):
        sys.exit(f"error: {len(a.runs)} runs but {len(names)} names")
    runs, pixels = [], None
    for name, folder in zip(names, a.runs):
        epochs, run_pixels = records(folder)
        runs.append((name, epochs))
        pixels = pixels or run_pixels
    print("| run | epochs | best k-NN top-1 (%) | " + " | ".join(f"minutes to {t:g}%" for t in THRESHOLDS) + " |")
    print("|---|---|---|" + "---|" * len(THRESHOLDS))
    for name, epochs in runs:
        last = epochs[-1]["elapsed_seconds"] / 60
        cells = [f"{m:.1f}" if (m := minutes_to(epochs, t)) is not None else f">{last:.1f}" for t in THRESHOLDS]
        print(f"| {name} | {len(epochs)} | {max(e['knn_top1'] for e in epochs):.2f} | " + " | ".join(cells) + " |")
    if a.chart:
        chart(runs, pixels, a.chart)


if __name__ == "__main__":
    main()
