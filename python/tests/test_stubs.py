"""The type stubs match the extension (mypy.stubtest) and type-check real use (mypy --strict)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def test_stubs_match_the_extension():
    res = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "netpool._netpool", "--ignore-disjoint-bases",
         "--allowlist", str(HERE / "stubtest-allowlist.txt")],
        capture_output=True, text=True, cwd=os.path.expanduser("~"),
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_typical_code_type_checks_strictly():
    res = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(HERE / "typed_usage.py")],
        capture_output=True, text=True, cwd=os.path.expanduser("~"),
    )
    assert res.returncode == 0, res.stdout + res.stderr
