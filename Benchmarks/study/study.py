#!/usr/bin/env python3
"""The recipe study on Fashion-MNIST: runs that each change one option of a stated baseline, and the
table of what each reached. Every run is a release `ch09-trainer train` writing into runs/study/NAME;
its epoch records are then copied to Benchmarks/results/runs/study-NAME/, which the table reads.

    swift build -c release --product ch09-trainer
    python3 Benchmarks/study/study.py run baseline
    python3 Benchmarks/study/study.py run momentum-0.99 --momentum-teacher 0.99
    python3 Benchmarks/study/study.py table      # the Markdown table of the committed study runs
    python3 Benchmarks/study/study.py curves     # each run's charts into Benchmarks/results/recipe-study/
    python3 Benchmarks/study/study.py record runs/fashion fashion-2026-12-06   # commit a run's epoch records
    python3 Benchmarks/study/study.py curve Benchmarks/results/runs/fashion-2026-12-06   # a run, epoch by epoch

A run's figures are published from its records: `record` copies the baselines and epoch lines of its
metrics.jsonl (not the step lines) into Benchmarks/results/runs/NAME/, with the study row's options, and
`table` and `curve` read them there, so every published table regenerates from committed files. The study
runs of 2026-12-03 and 12-04 predate this: their epoch records were not kept, and recipe-study.md says so.

The baseline is B1's recipe (`--preset b1`: ViT-Tiny depth 6, patch 4, K = 4096, 2 global crops of
28² and 6 local of 12², 7 680 training images, 10 epochs) in bfloat16 products where the CPU has them,
evaluated every 5 epochs on the full 60 000 / 10 000 split. A row's options are given after its name
and override the baseline's; the rows named p7-… start from a second baseline, B1 with
`--patch-size 7 --local-crop-size 14`, and give those two options too. Each row: k-NN top-1 (k = 20,
last class token), the linear probe (class tokens of the last 4 blocks), the k-NN of the same model
untrained (what the architecture alone gives), wall time, and the last epoch's mean h(P_t) and
KL(P_t ‖ P_s).
"""
import argparse
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS = ROOT / "runs" / "study"
RECORDS = ROOT / "Benchmarks" / "results" / "runs"
TRAINER = ROOT / ".build" / "release" / "ch09-trainer"
BASELINE = ["--preset", "b1", "--precision", "bf16", "--eval-every", "5"]


def cpu_has_bf16():
    try:
        return "avx512_bf16" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


def baseline():
    # Where the CPU lacks bf16 the study runs in fp32, slower: say so in the table.
    return BASELINE if cpu_has_bf16() else [option for option in BASELINE if option not in ("--precision", "bf16")]


def run(name, changes):
    if not TRAINER.exists():
        sys.exit(f"error: {TRAINER} does not exist; build it first: swift build -c release --product ch09-trainer")
    folder = RUNS / name
    if (folder / "checkpoint.safetensors").exists():
        sys.exit(f"error: {folder} holds a run already; resume it with {TRAINER} train --resume --output-dir {folder}, or pick another name")
    folder.mkdir(parents=True, exist_ok=True)
    command = [str(TRAINER), "train", *baseline(), *changes, "--output-dir", str(folder)]
    (folder / "study.json").write_text(json.dumps({"name": name, "changes": changes, "baseline": baseline()}) + "\n")
    print("$", shlex.join(command), flush=True)
    with open(folder / "train.log", "w") as log:
        status = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT)
    if status != 0:
        sys.exit(f"error: the run exited with status {status}; see {folder / 'train.log'}")
    record(folder, f"study-{name}")  # the row's records, to commit with the table


def records(folder):
    epochs, baselines = {}, {}
    for line in (folder / "metrics.jsonl").read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill
        if record.get("type") == "epoch":
            epochs[int(record["epoch"])] = record
        elif record.get("type") == "baselines":
            baselines = record
    return [epochs[e] for e in sorted(epochs)], baselines


def percent(value):
    """A table cell: the value with two decimals, or a dash where the run did not record it."""
    return "—" if value is None else f"{value:.2f}"


def record(folder, name):
    """Copies a run's baselines and epoch records (and a study row's options) to RECORDS/name."""
    folder, target = Path(folder), RECORDS / name
    if not (folder / "metrics.jsonl").exists():
        sys.exit(f"error: {folder / 'metrics.jsonl'} does not exist; expected the output folder of a run")
    kept = []
    for line in (folder / "metrics.jsonl").read_text().splitlines():
        try:
            kind = json.loads(line).get("type")
        except json.JSONDecodeError:
            continue  # a line cut by a kill, or edited by hand
        if kind in ("baselines", "epoch"):
            kept.append(line)
    if not any('"type":"epoch"' in line.replace(" ", "") for line in kept):
        sys.exit(f"error: {folder / 'metrics.jsonl'} holds no finished epoch; nothing to record")
    target.mkdir(parents=True, exist_ok=True)
    (target / "metrics.jsonl").write_text("\n".join(kept) + "\n")
    if (folder / "study.json").exists():
        shutil.copyfile(folder / "study.json", target / "study.json")
    print(target.relative_to(ROOT) / "metrics.jsonl")


def table():
    folders = sorted(p.parent for p in RECORDS.glob("*/study.json"))
    if not folders:
        sys.exit(f"error: no committed study runs in {RECORDS.relative_to(ROOT)}; run one: {sys.argv[0]} run baseline (it records itself there)")
    rows, pixels = [], {}
    for folder in folders:
        study = json.loads((folder / "study.json").read_text())
        epochs, baselines = records(folder)
        pixels = pixels or baselines
        if not epochs:
            continue
        last = epochs[-1]
        knn = [e for e in epochs if "knn_top1" in e]
        curve = ", ".join(f"{int(e['epoch'])}: {e['knn_top1']:.1f}" for e in knn)
        rows.append(f"| {study['name']} | `{shlex.join(study['changes']) or '(baseline)'}` | {int(last['epoch'])} "
                    f"| {last.get('knn_top1', float('nan')):.2f} | {percent(baselines.get('baseline_random_init'))} "
                    f"| {last.get('linear_probe', float('nan')):.2f} "
                    f"| {last.get('elapsed_seconds', float('nan')) / 60:.1f} | {last['teacher_entropy']:.3f} | {last['kl']:.3f} | {curve} |")
    print(f"Baseline: `ch09-trainer train {shlex.join(baseline())}`; each row changes what its options say.\n")
    if pixels:
        print(f"Raw normalised pixels on the same split: k-NN {pixels.get('baseline_raw_pixels', float('nan')):.2f}%, "
              f"linear probe {pixels.get('baseline_raw_pixels_linear_probe', float('nan')):.2f}%.\n")
    # The untrained model's k-NN beside the trained one's: what the training added, not the architecture.
    print("| run | options | epochs | k-NN top-1 (%) | k-NN at random init (%) | linear probe (%) | wall time (min) | h(P_t) | KL | k-NN by epoch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


def curves():
    """Copies each run's k-NN-against-time and collapse-monitor charts next to the table."""
    target = ROOT / "Benchmarks" / "results" / "recipe-study"
    for folder in sorted(p.parent for p in RUNS.glob("*/study.json")):
        for chart in ("knn-time.svg", "monitor.svg"):
            if (folder / chart).exists():
                (target / folder.name).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(folder / chart, target / folder.name / chart)
                print(target.relative_to(ROOT) / folder.name / chart)


def curve(folder):
    """A run's k-NN against steps and wall time, epoch by epoch, beside the raw pixels: the table of a
    preset's run (`runs/fashion`)."""
    folder = Path(folder)
    if not (folder / "metrics.jsonl").exists():
        sys.exit(f"error: {folder / 'metrics.jsonl'} does not exist; expected the output folder of a run")
    epochs, baselines = records(folder)
    if not epochs:
        sys.exit(f"error: {folder / 'metrics.jsonl'} holds no finished epoch yet")
    print(f"Raw normalised pixels: k-NN {baselines.get('baseline_raw_pixels', float('nan')):.2f}%, "
          f"linear probe {baselines.get('baseline_raw_pixels_linear_probe', float('nan')):.2f}%; "
          f"random initialisation: k-NN {percent(baselines.get('baseline_random_init'))}%.\n")
    print("| epoch | steps | minutes | k-NN top-1 (%) | linear probe (%) | h(P_t) | KL |")
    print("|---|---|---|---|---|---|---|")
    for e in epochs:
        probe = f"{e['linear_probe']:.2f}" if "linear_probe" in e else "—"
        knn = f"{e['knn_top1']:.2f}" if "knn_top1" in e else "—"
        print(f"| {int(e['epoch'])} | {int(e['iteration'])} | {e['elapsed_seconds'] / 60:.1f} | {knn} | {probe} "
              f"| {e['teacher_entropy']:.3f} | {e['kl']:.3f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("run", help="train one row: a name, then the options it changes")
    start.add_argument("name")
    start.add_argument("changes", nargs=argparse.REMAINDER)
    commands.add_parser("table", help="the Markdown table of every run so far")
    commands.add_parser("curves", help="copy each run's charts into Benchmarks/results/recipe-study/")
    one = commands.add_parser("curve", help="one run's k-NN against steps and minutes, epoch by epoch")
    one.add_argument("folder", help="the run's output folder or its record, e.g. Benchmarks/results/runs/fashion-2026-12-06")
    keep = commands.add_parser("record", help="commit a run's epoch records under Benchmarks/results/runs/NAME")
    keep.add_argument("folder", help="the run's output folder, e.g. runs/fashion")
    keep.add_argument("name", help="the record's name, e.g. fashion-2026-12-06 (or study-NAME for a study row)")
    arguments = parser.parse_args()
    if arguments.command == "run":
        run(arguments.name, arguments.changes)
    elif arguments.command == "record":
        record(arguments.folder, arguments.name)
    elif arguments.command == "curve":
        curve(arguments.folder)
    elif arguments.command == "curves":
        curves()
    else:
        table()


if __name__ == "__main__":
    main()
