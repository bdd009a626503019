#!/usr/bin/env python3
"""The table CI prints before the README's test command: for each configuration it ran, the tests run,
the tests skipped, and why (each reason once, with its count).

    python3 Tools/ci-table.py "default=LOG" "without Open MPI=LOG" ...

Each LOG is the output of a `swift test` run (Swift Testing's lines), or of Tools/cross/check-aarch64.sh
(its "aarch64: N passed, M failed" line). A skip with no reason fails the table: every skip is explained.
"""
import re
import sys
from collections import Counter


def summarize(text):
    """(tests run, tests skipped, Counter of reasons) of one log."""
    cross = re.search(r"^aarch64: (\d+) passed, (\d+) failed$", text, re.M)
    if cross:
        return int(cross.group(1)) + int(cross.group(2)), 0, Counter()
    totals = re.findall(r"Test run with (\d+) tests? in \d+ suites?", text)
    if not totals:
        raise SystemExit("error: a log holds no 'Test run with N tests' line: did the run start?")
    reasons = Counter()
    skipped = 0
    for kind, reason in re.findall(r'^➜ (Test|Suite) .*? skipped(?:: "(.*)")?$', text, re.M):
        if not reason:
            raise SystemExit("error: a test was skipped without a reason")
        if kind == "Test":  # a skipped suite also names each of its tests
            skipped += 1
            reasons[reason] += 1
    return int(totals[-1]), skipped, reasons


def main(arguments):
    rows = []
    for argument in arguments:
        name, _, path = argument.rpartition("=")  # the path is last; a name may hold "="
        with open(path, encoding="utf-8", errors="replace") as log:
            rows.append((name, *summarize(log.read())))
    print("| configuration | tests run | skipped | why skipped (count) |")
    print("|---|---|---|---|")
    for name, run, skipped, reasons in rows:
        why = "; ".join(f"{reason} ({count})" for reason, count in reasons.most_common()) or "–"
        print(f"| {name} | {run} | {skipped} | {why} |")


if __name__ == "__main__":
    main(sys.argv[1:])
