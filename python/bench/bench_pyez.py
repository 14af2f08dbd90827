"""The seed workload through ``netpool.pyez.Device`` (``python/bench/bench.py`` runs it on
the vmx profile, after PyEZ per call and native netpool, in the same run):

- ``netpool.pyez`` in turn: for each operation, ``with Device(...) as dev: dev.cli(...)``,
  the code of a PyEZ program with its import changed;
- the same from threads: one thread per operation, every operation at once;
- the PyEZ layer's cost per RPC: the sequential time over native ``Pool.command``'s, per
  operation.
"""

from __future__ import annotations

import concurrent.futures
import os
import tempfile
import time
from typing import Any, Dict, List, Tuple

PASSWORD = "lab123"
USER = "lab"


def bench_pyez_layer(hosts: List[Tuple[str, int]], seed: List[str], rep: Any, out: Dict[str, float]) -> None:
    """Adds ``pyez_layer_seq_s``, ``pyez_layer_threads_s`` and ``pyez_layer_extra_ms_per_op``
    to ``out`` (which holds ``netpool_seq_s`` and ``pyez_per_call_s`` of the same run)."""
    import netpool.pyez as npyez

    npyez.close()
    with tempfile.TemporaryDirectory(prefix="netpool-bench-kh-") as kh:
        npyez.configure(known_hosts_file=os.path.join(kh, "known_hosts"))
        ops = [(h, c) for h in hosts for c in seed]

        def call(h: Tuple[str, int], c: str) -> str:
            with npyez.Device(host=h[0], port=h[1], user=USER, passwd=PASSWORD, gather_facts=False) as dev:
                text = dev.cli(c, warning=False)
            if not text or not text.strip():
                raise RuntimeError(f"empty reply to {c!r}")
            return text

        # Warm, as a long-running server is: a session per router for the sequential run,
        # then one per operation for the threaded one.
        for h in hosts:
            call(h, "show version")
        t0 = time.perf_counter()
        for h, c in ops:
            call(h, c)
        out["pyez_layer_seq_s"] = time.perf_counter() - t0
        with concurrent.futures.ThreadPoolExecutor(len(ops)) as ex:
            list(ex.map(lambda o: call(*o), ops))
            t0 = time.perf_counter()
            list(ex.map(lambda o: call(*o), ops))
            out["pyez_layer_threads_s"] = time.perf_counter() - t0
        npyez.close()
    out["pyez_layer_extra_ms_per_op"] = (out["pyez_layer_seq_s"] - out["netpool_seq_s"]) / len(ops) * 1000.0
    rep.add("seed_s", "netpool.pyez Device, seq", out["pyez_layer_seq_s"], "s")
    rep.add("seed_s", "netpool.pyez Device, threads", out["pyez_layer_threads_s"], "s", threads=len(ops))
    rep.add("pyez_layer_ms", "PyEZ layer over Pool.command", out["pyez_layer_extra_ms_per_op"], "ms/op")
