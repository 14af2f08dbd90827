#!/usr/bin/env python3
"""Criterion's text output, as the benchmarks' comparisons read it.

    ... | criterion-table.py read LABEL      prints "LABEL BENCH MICROSECONDS" per bench
    criterion-table.py table FILE A B          the runs of FILE side by side: each bench's
                                               estimates under A and under B, and B/A of
                                               the medians
"""

import re
import statistics
import sys

UNITS = {"ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6}


def read(label: str) -> None:
    name = None
    for line in sys.stdin:
        m = re.match(r"^([a-z_]+/\S+)", line)
        if m:
            name = m.group(1)
        m = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
        if m and name:
            print(f"{label} {name} {float(m.group(1)) * UNITS[m.group(2)]:.3f}", flush=True)
            name = None


def table(path: str, a: str, b: str) -> None:
    runs = {}
    for line in open(path):
        label, name, us = line.split()
        runs.setdefault(name, {}).setdefault(label, []).append(float(us))
    print()
    print(f"{'bench':44} {a + ' (us)':>24} {b + ' (us)':>24} {b + '/' + a:>9}")
    for name, by in sorted(runs.items()):
        xa, xb = by.get(a, []), by.get(b, [])
        if not xa or not xb:
            continue
        fmt = lambda xs: " ".join(f"{x:.1f}" if x >= 10 else f"{x:.3f}" for x in xs)
        print(f"{name:44} {fmt(xa):>24} {fmt(xb):>24} {statistics.median(xb) / statistics.median(xa):9.3f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["read"]:
        read(sys.argv[2])
    elif sys.argv[1:2] == ["table"]:
        table(*sys.argv[2:5])
    else:
        sys.exit(__doc__)
