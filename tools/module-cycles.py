#!/usr/bin/env python3
"""Module circles inside each of our crates: exits 1, naming each circle, if any module
depends on itself through others.

A module depends on another when its code (tests aside: `#[cfg(test)]` onward is not read)
names it by a `crate::a::b` path, a `crate::a::{b, c}` group, or `super::x`. A parent's
`mod x;` and `pub use x::...` are not dependencies: a parent may gather its children.
Vendored code (third_party/) is not ours and is not read. CI runs this.

    python3 tools/module-cycles.py [REPO]
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

Module = Tuple[str, ...]

PATH = re.compile(r"\bcrate::((?:[a-z_][a-z0-9_]*::)*)(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)")
SUPER = re.compile(r"\bsuper::([a-z_][a-z0-9_]*)")
NAME = re.compile(r"[a-z_][a-z0-9_]*")


def crates(repo: Path) -> Dict[str, Dict[Module, Path]]:
    """Each crate's `src/` directory -> its modules (by path) -> their files."""
    listed = subprocess.run(["git", "-C", str(repo), "ls-files", "*.rs"], capture_output=True,
                            text=True, check=True).stdout.split()
    out: Dict[str, Dict[Module, Path]] = {}
    for f in listed:
        parts = f.split("/")
        if parts[0] == "third_party" or "src" not in parts:
            continue
        at = parts.index("src")
        rel = parts[at + 1:]
        if rel[0] == "bin" or rel == ["main.rs"]:
            continue  # binaries are crates of their own, over the library
        names = [p[:-3] if p.endswith(".rs") else p for p in rel]
        if names[-1] in ("mod", "lib"):
            names = names[:-1]
        out.setdefault("/".join(parts[:at + 1]), {})[tuple(names)] = repo / f
    return out


def deepest(mods: Dict[Module, Path], path: List[str]) -> Optional[Module]:
    """The longest prefix of `path` that is a module (the rest names an item in it)."""
    for n in range(len(path), 0, -1):
        if tuple(path[:n]) in mods:
            return tuple(path[:n])
    return None


def edges_of(mods: Dict[Module, Path]) -> Dict[Module, Set[Module]]:
    edges: Dict[Module, Set[Module]] = {m: set() for m in mods}
    for m, f in mods.items():
        code = f.read_text(encoding="utf-8", errors="replace").split("#[cfg(test)]")[0]
        code = re.sub(r"//[^\n]*", "", code)
        found: List[Optional[Module]] = []
        for g in PATH.finditer(code):
            base = [p for p in g.group(1).split("::") if p]
            last = g.group(2)
            if last.startswith("{"):
                found += [deepest(mods, base + [x]) for x in NAME.findall(last)] or [deepest(mods, base)]
            else:
                found.append(deepest(mods, base + [last]))
        parent = list(m[:-1])
        found += [deepest(mods, parent + [g.group(1)]) for g in SUPER.finditer(code)]
        edges[m] |= {t for t in found if t and t != m}
    return edges


def circles(edges: Dict[Module, Set[Module]]) -> List[List[Module]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: Dict[Module, int] = {}
    low: Dict[Module, int] = {}
    stack: List[Module] = []
    on: Set[Module] = set()
    found: List[List[Module]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def main(argv: List[str]) -> int:
    repo = Path(argv[1] if len(argv) > 1 else ".")
    total = 0
    for root, mods in sorted(crates(repo).items()):
        for comp in circles(edges_of(mods)):
            total += 1
            names = ", ".join("::".join(c) or "(root)" for c in comp)
            print(f"{root}: a circle: {names}")
    read = sum(len(m) for m in crates(repo).values())
    print(f"module circles: {total} ({read} modules read, third_party/ left out)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
