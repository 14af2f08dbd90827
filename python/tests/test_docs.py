"""Every Python block in the README and docs/ runs, against a simulated fleet.

A block is run as written, in a process of its own (its own HOME, so ``accept-new`` learns
into a temporary known_hosts; its working directory holds the fleet's inventory as
``lab.toml`` and ``fleet.toml``), with only the addresses and the password of the doc's
placeholders put in. A block that defines ``async def main()`` has it run as well. A block
the docs show that does not run fails here, naming the file and the block.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import List, Tuple

import pytest

from conftest import PASSWORD, ROOT, Fleet, fleet_fixture

DOCS = ["README.md", "python/README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
MAIN = """
import asyncio as _asyncio, inspect as _inspect
if _inspect.iscoroutinefunction(globals().get("main")):
    _asyncio.run(main())
"""


def blocks() -> List[Tuple[str, int, str]]:
    out = []
    for doc in DOCS:
        text = (ROOT / doc).read_text()
        for m in BLOCK.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            out.append((doc, line, m.group(1)))
    return out


def placed(code: str, host: str, port: int) -> str:
    """The doc's placeholders made real: documentation addresses, `...` passwords, a port."""
    code = code.replace('"192.0.2.1", "lab",', f'"{host}", "lab", port={port},')
    code = code.replace('host="127.0.1.1", port=2222', f'host="{host}", port={port}')
    code = code.replace('password="..."', f'password="{PASSWORD}"')
    code = code.replace("start_http_server(9464)", "start_http_server(0, addr='127.0.0.1')")
    return code


doc_fleet = fleet_fixture("doc_fleet", 4, "instant", "module", "Four routers of their own: the blocks change configuration.")


def test_the_docs_hold_python_blocks() -> None:
    # The test below is parametrized over what it finds: finding nothing must fail too.
    found = {doc for doc, _, _ in blocks()}
    assert {"README.md", "docs/python.md", "python/README.md"} <= found, found


@pytest.mark.parametrize("doc,line,code", [pytest.param(*b, id=f"{b[0]}:{b[1]}") for b in blocks()])
def test_a_python_block_of_the_docs_runs(doc: str, line: int, code: str, doc_fleet: Fleet) -> None:
    host, port = doc_fleet.hosts[0]
    work = tempfile.mkdtemp(prefix="netpool-doc-")
    try:
        for name in ("lab.toml", "fleet.toml"):
            shutil.copy(doc_fleet.inventory, os.path.join(work, name))
        script = os.path.join(work, "block.py")
        with open(script, "w") as f:
            f.write(placed(code, host, port) + MAIN)
        res = subprocess.run(
            [sys.executable, script], cwd=work, capture_output=True, text=True, timeout=120,
            env={**os.environ, "HOME": work},
        )
        assert res.returncode == 0, f"{doc}:{line}: the block failed\n{res.stderr[-3000:]}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
