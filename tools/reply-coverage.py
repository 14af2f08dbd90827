#!/usr/bin/env python3
"""How much of real Junos replies junos-sim reproduces: for each RPC with a captured real
reply in a fixtures directory, the share of the capture's element paths (local names from
the reply's first element down) that junos-sim's reply to the same RPC holds.

Usage:
  tools/reply-coverage.py FIXTURES HOST PORT [USER PASSWORD] [-v]

FIXTURES is a directory of captured replies named like `...get-<rpc>.xml` (for example a
checkout of NAPALM's `test/junos/mocked_data`, whose files are collected with
`find ... -name '*.xml'`); a file may hold the bare reply element or a whole
`<rpc-reply>`. Paths under `multi-routing-engine-results` (dual routing engines and SRX
clusters) are left out: a vMX has one routing engine. `-v` lists the missing paths.

Needs PyEZ (tests/interop/requirements.txt). Prints one line per RPC and a total.
"""
import glob
import os
import re
import sys
from collections import defaultdict

from jnpr.junos import Device
from lxml import etree

# The arguments each RPC is asked with: every level of the interface reply is merged, as
# the captures hold replies taken at several levels.
ASK = {
    "get-lldp-interface-neighbors": [{"interface_device": "ge-0/0/0"}],
    "get-lldp-interface-neighbors-information": [{"interface_name": "ge-0/0/0"}],
    "get-route-information": [{"extensive": True}],
    "get-interface-information": [
        {"extensive": True}, {"terse": True}, {"brief": True}, {"detail": True},
    ],
}


def paths(el, prefix, out):
    if not isinstance(el.tag, str):
        return
    p = f"{prefix}/{etree.QName(el).localname}" if prefix else etree.QName(el).localname
    out.add(p)
    for c in el:
        paths(c, p, out)


def main():
    verbose = "-v" in sys.argv
    args = [a for a in sys.argv[1:] if a != "-v"]
    if len(args) < 3:
        sys.exit(__doc__)
    fixtures_dir, host, port = args[0], args[1], int(args[2])
    user, password = (args[3], args[4]) if len(args) >= 5 else ("lab", "lab123")
    want = defaultdict(set)
    for f in glob.glob(os.path.join(fixtures_dir, "**", "*.xml"), recursive=True):
        m = re.search(r"(get-[a-z0-9-]+?)(master|frontend|backend|vrf2|vrf)?\.xml$",
                      os.path.basename(f))
        if not m:
            continue
        try:
            root = etree.parse(f, etree.XMLParser(recover=True)).getroot()
        except etree.XMLSyntaxError:
            continue
        if root is None:
            continue
        tops = list(root) if etree.QName(root).localname == "rpc-reply" else [root]
        for top in tops:
            paths(top, "", want[m.group(1)])
    dev = Device(host=host, port=port, user=user, passwd=password, gather_facts=False)
    dev.open()
    have_all = want_all = 0
    for rpc in sorted(want):
        wanted = {p for p in want[rpc] if not p.startswith("multi-routing-engine-results")}
        ours = set()
        try:
            for kw in ASK.get(rpc, [{}]):
                reply = getattr(dev.rpc, rpc.replace("-", "_"))(normalize=True, **kw)
                if reply is not None and reply is not True:
                    paths(reply, "", ours)
        except Exception as e:  # noqa: BLE001 -- an RPC the simulator refuses is reported
            print(f"{rpc:48} not answered: {str(e)[:70]}")
            continue
        have = wanted & ours
        have_all += len(have)
        want_all += len(wanted)
        print(f"{rpc:48} {len(have):4}/{len(wanted):4} {100 * len(have) / max(len(wanted), 1):5.1f}%")
        if verbose:
            for p in sorted(wanted - ours):
                print("    missing", p)
    dev.close()
    print(f"{'all':48} {have_all:4}/{want_all:4} {100 * have_all / max(want_all, 1):5.1f}%")


if __name__ == "__main__":
    main()
