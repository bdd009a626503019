#!/usr/bin/env python3
"""Who waits for whom in a step at several threads: each thread's samples split into products, spinning
and other work, and the calling thread's spin at the end of a parallel region put under the layer whose
region it was. Reads `perf script` of a `perf record --call-graph dwarf` run of `step-benchmark --profile`:

    perf record -F 999 --call-graph dwarf,16384 -o steps.data -- .build/release/step-benchmark \\
        --preset fashion --precision fp32 --threads 2 --profile --steps 40 --reference-batch 0
    perf script -i steps.data -F tid,ip,sym | swift demangle --simplified > steps.txt
    python3 Benchmarks/profile/waiting.py steps.txt

The calling thread is the one with the most samples. Its spin is `WorkerPool.run` waiting for a helper
that still holds a chunk (a region's work split unevenly, or a helper running slower); a helper's spin
is a helper with nothing to do (the caller working alone, or finishing its own last chunk).
"""
import collections
import sys

LAYERS = ["DINOHead", "Attention", "MLP", "PatchEmbedding", "LayerNorm", "Block.", "DINOLoss", "AdamW", "updateTeacher"]


def samples(path):
    """(thread id, frames leaf first) for each sample of `perf script -F tid,ip,sym`."""
    thread, frames = None, []
    with open(path, encoding="utf-8", errors="replace") as text:
        for line in text:
            if not line.strip():
                if thread is not None:
                    yield thread, frames
                thread, frames = None, []
            elif not line[0].isspace():
                thread, frames = line.split()[0], []
            else:
                fields = line.strip().split(" ", 1)
                frames.append(fields[1] if len(fields) > 1 else "?")
    if thread is not None:
        yield thread, frames


def layer(frames):
    """The nearest layer on the stack, or "other"."""
    for frame in frames:
        for name in LAYERS:
            if name in frame:
                return name.rstrip(".")
    return "other"


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} PERF_SCRIPT_OUTPUT (see this file's doc string for how to make it)")
    by_thread, caller_spin, caller_work = collections.Counter(), collections.Counter(), collections.Counter()
    recorded = [(thread, frames) for thread, frames in samples(sys.argv[1]) if frames]
    if not recorded:
        sys.exit(f"error: {sys.argv[1]} holds no samples with call stacks; expected `perf script -F tid,ip,sym` output")
    caller = collections.Counter(thread for thread, _ in recorded).most_common(1)[0][0]
    for thread, frames in recorded:
        leaf = frames[0]
        spinning = leaf.startswith("dino_spin_pause") or "helperLoop" in leaf
        kind = "products" if leaf.startswith("sgemm") or "bf16" in leaf else "spinning" if spinning else "other"
        by_thread[(thread, kind)] += 1
        if thread == caller:
            (caller_spin if spinning else caller_work)[layer(frames)] += 1
    total = len(recorded)
    print(f"{total} samples; the calling thread is {caller}\n")
    print("| thread | products | spinning | other |\n|---|---:|---:|---:|")
    for thread in sorted({thread for thread, _ in by_thread}, key=lambda t: (t != caller, t)):
        row = [by_thread[(thread, kind)] for kind in ("products", "spinning", "other")]
        if sum(row) * 100 < total:
            continue  # threads with under 1% of the samples (the loader, the kernel's)
        name = f"{thread} (caller)" if thread == caller else thread
        print(f"| {name} | " + " | ".join(f"{100 * count / total:.1f}%" for count in row) + " |")
    print("\n| layer | the caller working | the caller waiting for a helper | waiting per unit of work |\n|---|---:|---:|---:|")
    for name, work in caller_work.most_common():
        wait = caller_spin[name]
        ratio = f"{100 * wait / work:.1f}%" if work else "—"
        print(f"| {name} | {100 * work / total:.1f}% | {100 * wait / total:.1f}% | {ratio} |")


if __name__ == "__main__":
    main()
