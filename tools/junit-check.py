"""Read a JUnit XML report as CI systems do, with junitparser (PyPI), and check it.

Usage: junit-check.py FILE --tests N [--failures M] [--suite NAME]

Fails (exit 1, naming each problem) unless junitparser reads the file, it holds exactly N
test cases and M of them failed, every suite's counts match its cases, every case has a
name, a class name and a time, and every failure has a message. Used by .ci/run on the
reports of `netlab chaos`, `netlab validate` and `netlab calibrate --junit`.
"""

import argparse
import sys

from junitparser import Error, Failure, JUnitXml, TestSuite


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--tests", type=int, required=True)
    p.add_argument("--failures", type=int, default=0)
    p.add_argument("--suite")
    a = p.parse_args()
    xml = JUnitXml.fromfile(a.file)
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    problems = []
    cases = []
    for s in suites:
        mine = list(s)
        cases += mine
        failed = [c for c in mine if any(isinstance(r, (Failure, Error)) for r in c.result)]
        if s.tests != len(mine):
            problems.append(f"suite {s.name}: tests={s.tests} but {len(mine)} test cases")
        if (s.failures or 0) + (s.errors or 0) != len(failed):
            problems.append(f"suite {s.name}: failures={s.failures} errors={s.errors} but {len(failed)} failed cases")
        if a.suite and s.name != a.suite:
            problems.append(f"suite {s.name!r}, expected {a.suite!r}")
    failed = [c for c in cases if any(isinstance(r, (Failure, Error)) for r in c.result)]
    if len(cases) != a.tests:
        problems.append(f"{len(cases)} test cases, expected {a.tests}")
    if len(failed) != a.failures:
        problems.append(f"{len(failed)} failed, expected {a.failures}: {[c.name for c in failed]}")
    for c in cases:
        if not c.name or not c.classname or c.time is None:
            problems.append(f"a case without a name, class name or time: {c.name!r}")
    for c in failed:
        if not all(r.message for r in c.result):
            problems.append(f"{c.name}: a failure without a message")
    for c in cases:
        verdict = "FAIL" if c in failed else "ok"
        print(f"{a.file}: {c.classname} {c.name} {c.time:.3f}s {verdict}")
    if problems:
        for msg in problems:
            print(f"{a.file}: {msg}", file=sys.stderr)
        sys.exit(1)
    print(f"{a.file}: {len(cases)} test cases, {len(failed)} failed, read by junitparser")


if __name__ == "__main__":
    main()
