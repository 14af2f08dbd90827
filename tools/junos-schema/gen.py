#!/usr/bin/env python3
"""Derive junos-sim's configuration and RPC schema tables from Juniper's published YANG.

Usage:
    python3 tools/junos-schema/gen.py YANG_DIR OUT_DIR

YANG_DIR is release 21.4R1 of https://github.com/Juniper/yang (Apache-2.0): the directory
holding `junos/conf`, `junos/rpc` and `common`, i.e. `yang/21.4/21.4R1`. OUT_DIR receives
`conf.schema` and `rpc.schema` (simulator/schema/ in this repository). CI reads only the
tables; this script is kept so that anyone can regenerate and audit them.

The YANG subset Junos uses is small: module, import, grouping, uses, augment, container,
list, leaf, leaf-list, choice, case and type. This script reads that subset (our own
parser, no dependency) and writes each grouping once, shared by every place that uses it,
so the table stays small while describing the whole tree.

Table format (one statement per line, children indented by one space per level):

    =ID                 a shared group of statements (a YANG grouping); ID is a number
    c NAME              container
    p NAME              presence container (it can stand alone: `set ... NAME`)
    l NAME KEY...       list, keyed by KEY...
    v NAME [=A|B|...]   leaf with a value (with its enumeration, when it has one)
    f NAME              leaf of type empty: a flag
    m NAME [=A|B|...]   leaf-list
    +ID                 the statements of group ID, in place

A kind letter is followed by `*` when Junos's CLI writes the statement without its keyword
(`interfaces ge-0/0/0` for `interfaces interface ge-0/0/0`, `autonomous-system 64512` for
`autonomous-system as-number 64512`), by `#` when the leaf's value is a number, and a line
ends with `^CHOICE/CASE` when the statement is one case of a YANG choice: setting it
removes the other cases' statements.

How the keyword-less statements are found (the YANG does not mark them):
- a list with no `description` is written without its keyword: Juniper's generator gives
  every other statement its CLI help text, and a keyword-less list has none (`interfaces
  interface`, `routing-instances instance`, `syslog file contents`, `prefix-list
  prefix-list-item`, `bridge-domains domain`); one list has help text and is still
  written without its keyword, `vlans vlan` (`set vlans v100 vlan-id 100`), named in
  KEYLESS below;
- Junos's hidden statements are not in the YANG; one that clients send is added: `enable`,
  the other case of every `enable-disable` choice (`disable`);
- a container whose first statement is a value leaf takes a bare value as that leaf
  (`metric 10` -> `<metric><metric-value>10`), but only where the value cannot be a
  keyword of the container; the simulator applies that rule at run time.
"""

import hashlib
import os
import re
import sys

TOP = [
    "version", "apply-groups", "groups", "system", "chassis", "interfaces", "snmp",
    "forwarding-options", "routing-options", "protocols", "policy-options", "class-of-service",
    "firewall", "routing-instances", "services", "vlans", "bridge-domains", "switch-options",
    "event-options", "applications", "access", "security",
]


# Keyword-less lists the YANG gives help text to: (enclosing container, list).
KEYLESS = {("vlans", "vlan")}


def tokenize(s):
    i, n, out = 0, len(s), []
    while i < n:
        c = s[i]
        if c.isspace():
            i += 1
        elif s.startswith("//", i):
            j = s.find("\n", i)
            i = n if j < 0 else j
        elif s.startswith("/*", i):
            i = s.index("*/", i) + 2
        elif c in "{};":
            out.append(c)
            i += 1
        elif c == '"':
            j, buf = i + 1, []
            while s[j] != '"':
                if s[j] == "\\":
                    buf.append(s[j + 1])
                    j += 2
                else:
                    buf.append(s[j])
                    j += 1
            out.append(("S", "".join(buf)))
            i = j + 1
        elif c == "'":
            j = s.index("'", i + 1)
            out.append(("S", s[i + 1:j]))
            i = j + 1
        else:
            j = i
            while j < n and not s[j].isspace() and s[j] not in "{};":
                j += 1
            out.append(s[i:j])
            i = j
    return out


class Stmt:
    __slots__ = ("kw", "arg", "subs")

    def __init__(self, kw, arg, subs):
        self.kw, self.arg, self.subs = kw, arg, subs

    def sub(self, kw):
        return next((s for s in self.subs if s.kw == kw), None)

    def all(self, kw):
        return [s for s in self.subs if s.kw == kw]


def parse(tokens):
    pos = 0

    def word(t):
        return t[1] if isinstance(t, tuple) else t

    def stmts():
        nonlocal pos
        out = []
        while pos < len(tokens) and tokens[pos] != "}":
            kw = word(tokens[pos])
            pos += 1
            arg = None
            parts = []
            joined = False
            while tokens[pos] not in ("{", ";"):
                t = tokens[pos]
                if t == "+":
                    joined = True
                    pos += 1
                    continue
                parts.append(word(t))
                pos += 1
            if parts:
                arg = "".join(parts) if joined else " ".join(parts)
            if tokens[pos] == "{":
                pos += 1
                subs = stmts()
                assert tokens[pos] == "}"
                pos += 1
            else:
                subs = []
                pos += 1
            out.append(Stmt(kw, arg, subs))
        return out

    return stmts()


def load(path):
    with open(path, encoding="utf-8") as f:
        top = parse(tokenize(f.read()))
    assert len(top) == 1 and top[0].kw == "module", path
    return top[0]


INT = re.compile(r"^(u?int(8|16|32|64))$")


def leaf_type(t):
    """(numeric, enums) for a leaf's `type` statement."""
    if t is None:
        return False, None
    if t.arg == "enumeration":
        return False, [e.arg for e in t.all("enum")]
    if INT.match(t.arg or ""):
        return True, None
    if t.arg == "union":
        kinds = [s for s in t.all("type")]
        # Junos unions a value with `<.*>|$.*` (a group wildcard or a variable).
        real = [s for s in kinds if not (s.arg == "string" and any(
            p.arg == "<.*>|$.*" for p in s.all("pattern")))]
        if len(real) == 1:
            return leaf_type(real[0])
    return False, None


class Gen:
    def __init__(self):
        self.groups = {}  # (module, grouping name) -> Stmt
        self.ids = {}  # (module, grouping name) -> emitted id
        self.bodies = [None]  # id -> lines; 0 is the root
        self.by_hash = {}  # hash of body -> id
        self.pending = {}

    def group_id(self, module, name):
        key = (module, name)
        if key in self.ids:
            return self.ids[key]
        g = self.groups[key]
        # Reserve the id first: groups can be recursive through their own uses.
        gid = len(self.bodies)
        self.ids[key] = gid
        self.bodies.append(None)
        body = self.body(module, g.subs, 0, None)
        h = hashlib.sha256("\n".join(body).encode()).hexdigest()
        if h in self.by_hash:
            self.bodies[gid] = ["+%d" % self.by_hash[h]]
        else:
            self.by_hash[h] = gid
            self.bodies[gid] = body
        return gid

    def body(self, module, subs, depth, choice, keys=(), parent=None):
        lines = []
        pad = " " * depth
        for s in subs:
            tag = ""
            if choice:
                tag = " ^" + choice
            if s.kw == "uses":
                name = s.arg.split(":")[-1]
                lines.append(pad + "+%d" % self.group_id(module, name) + tag)
            elif s.kw == "choice":
                for case in s.subs:
                    if case.kw == "case":
                        lines += self.body(module, case.subs, depth,
                                           "%s/%s" % (s.arg, case.arg))
                    elif case.kw in ("leaf", "leaf-list", "container", "list", "uses"):
                        lines += self.body(module, [case], depth,
                                           "%s/%s" % (s.arg, case.arg))
            elif s.kw == "leaf":
                if s.arg in keys:
                    continue
                t = s.sub("type")
                if t is not None and t.arg == "empty":
                    lines.append(pad + "f " + s.arg + tag)
                    if s.arg == "disable" and (choice or "").startswith("enable-disable/"):
                        # The choice's other case, `enable`, is a hidden statement the
                        # YANG leaves out; Junos takes it (Ansible's junos_interfaces
                        # writes `<enable/>`).
                        lines.append(pad + "f enable ^enable-disable/hidden-enable")
                else:
                    num, enums = leaf_type(t)
                    extra = " =" + "|".join(enums) if enums and len(enums) <= 24 else ""
                    lines.append(pad + ("v#" if num else "v") + " " + s.arg + extra + tag)
            elif s.kw == "leaf-list":
                num, enums = leaf_type(s.sub("type"))
                extra = " =" + "|".join(enums) if enums and len(enums) <= 24 else ""
                lines.append(pad + ("m#" if num else "m") + " " + s.arg + extra + tag)
            elif s.kw == "container":
                k = "p" if s.sub("presence") is not None else "c"
                lines.append(pad + k + " " + s.arg + tag)
                lines += self.body(module, s.subs, depth + 1, None, parent=s.arg)
            elif s.kw == "list":
                ks = (s.sub("key").arg or "name").split()
                star = "" if s.sub("description") is not None else "*"
                if (parent, s.arg) in KEYLESS:
                    star = "*"
                lines.append(pad + "l" + star + " " + s.arg + " " + " ".join(ks) + tag)
                lines += self.body(module, s.subs, depth + 1, None, keys=ks)
        return lines


def main():
    yang, out = sys.argv[1], sys.argv[2]
    conf_dir = os.path.join(yang, "junos", "conf")
    gen = Gen()
    root_children = {}
    mods = {}
    for f in sorted(os.listdir(conf_dir)):
        if not f.endswith(".yang"):
            continue
        m = load(os.path.join(conf_dir, f))
        mods[m.arg] = m
        for g in m.all("grouping"):
            gen.groups[(m.arg, g.arg)] = g
    root = mods["junos-conf-root"]
    config = root.sub("container")
    # The root's own statements (version, apply-groups, ...) and every module's
    # augment of /configuration, in the order Junos writes the hierarchies.
    parts = [("junos-conf-root", s) for s in config.subs if s.kw != "list" or s.arg != "groups"]
    for name, m in mods.items():
        for a in m.all("augment"):
            if a.arg.split("/")[-1].split(":")[-1] == "configuration":
                parts += [(name, s) for s in a.subs]
    # Expand the `uses` at the top so that each hierarchy can be picked by name.
    top = []
    for module, s in parts:
        if s.kw == "uses":
            g = gen.groups[(module, s.arg.split(":")[-1])]
            top += [(module, c) for c in g.subs]
        else:
            top.append((module, s))
    chosen = {}
    for module, s in top:
        if s.arg in TOP and s.arg not in chosen:
            chosen[s.arg] = (module, s)
    lines = []
    for name in TOP:
        if name == "groups":
            # Groups hold configuration, any of it: the table's root, group 0.
            lines.append("l groups name")
            lines.append(" +0")
            continue
        module, s = chosen[name]
        lines += gen.body(module, [s], 0, None)
    # Group 0 is the root; emit it last so its id is stable.
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "conf.schema"), "w", encoding="utf-8") as f:
        f.write(HEADER.format(what="configuration", src="junos/conf"))
        f.write("=0\n")
        for ln in lines:
            f.write(" " + ln + "\n" if not ln.startswith("+") else " " + ln + "\n")
        for gid, body in enumerate(gen.bodies):
            if gid == 0:
                continue
            f.write("=%d\n" % gid)
            for ln in body:
                f.write(" " + ln + "\n")
    write_rpcs(yang, out)


def write_rpcs(yang, out):
    rpc_dir = os.path.join(yang, "junos", "rpc")
    rows = {}
    for f in sorted(os.listdir(rpc_dir)):
        if not f.endswith(".yang"):
            continue
        m = load(os.path.join(rpc_dir, f))
        groups = {g.arg: g for g in m.all("grouping")}
        for r in m.all("rpc"):
            inp = r.sub("input")
            args = []

            def walk(subs):
                for s in subs:
                    if s.kw == "uses":
                        walk(groups[s.arg.split(":")[-1]].subs)
                    elif s.kw == "choice":
                        for c in s.subs:
                            walk(c.subs if c.kw == "case" else [c])
                    elif s.kw == "leaf":
                        t = s.sub("type")
                        kind = "f" if t is not None and t.arg == "empty" else "v"
                        num, enums = leaf_type(t)
                        if num:
                            kind += "#"
                        extra = " =" + "|".join(enums) if enums and len(enums) <= 24 else ""
                        args.append(kind + " " + s.arg + extra)
                    elif s.kw == "leaf-list":
                        args.append("m " + s.arg)
                    elif s.kw in ("container", "list"):
                        args.append("c " + s.arg)

            if inp is not None:
                walk(inp.subs)
            rows[r.arg] = args
    with open(os.path.join(out, "rpc.schema"), "w", encoding="utf-8") as f:
        f.write(HEADER.format(what="RPC argument", src="junos/rpc"))
        for name in sorted(rows):
            f.write("=" + name + "\n")
            for a in rows[name]:
                f.write(" " + a + "\n")


HEADER = """\
# junos-sim's Junos {what} schema: generated by tools/junos-schema/gen.py from
# Juniper Networks' published YANG modules, release 21.4R1 ({src}),
# https://github.com/Juniper/yang, Copyright (c) 2021 Juniper Networks, Inc., licensed
# under the Apache License 2.0 (see simulator/schema/NOTICE). Do not edit: regenerate.
"""

if __name__ == "__main__":
    main()
