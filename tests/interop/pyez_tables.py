"""Juniper PyEZ's shipped operational tables (jnpr/junos/op/*.yml), every one, against one
router: for each table, the rows it found, or the error it raised.

Usage: pyez_tables.py HOST PORT USER PASSWORD [--l2-services]

With --l2-services it first commits, through PyEZ's Config, what the Layer 2 tables read
and the simulated fleet does not carry by default: an LACP bundle, a Layer 2 circuit and a
CCC connection (L2_SERVICES below).

Prints one JSON object: {"tables": {NAME: {"rows": N, "keys": K} | {"error": "..."}}}:
the rows iterating the table yields (`for row in table`), and `len(table)`, which PyEZ
counts by the table's key (a table keyed on `re-name`, SystemStorageTable, has no keys on
a single routing engine, real or simulated). Which tables
must return rows on a vMX is decided by the caller (tests/tests/suite/interop/pyez.rs), which
also says why each of the others does not apply.
"""
import glob
import json
import os
import sys

import jnpr.junos.op
from jnpr.junos import Device
from jnpr.junos.factory import loadyaml
from jnpr.junos.factory.optable import OpTable

from jnpr.junos.utils.config import Config

L2_SERVICES = """
set chassis aggregated-devices ethernet device-count 1
delete interfaces ge-0/0/3 unit 0
set interfaces ge-0/0/3 gigether-options 802.3ad ae0
set interfaces ae0 aggregated-ether-options lacp active
set interfaces ae0 unit 0 family inet address 10.9.0.1/30
set interfaces xe-0/1/0 flexible-vlan-tagging
set interfaces xe-0/1/0 encapsulation flexible-ethernet-services
set interfaces xe-0/1/0 unit 100 encapsulation vlan-ccc
set interfaces xe-0/1/0 unit 100 vlan-id 100
set interfaces xe-0/1/0 unit 100 family ccc
set interfaces xe-0/1/0 unit 200 encapsulation vlan-ccc
set interfaces xe-0/1/0 unit 200 vlan-id 200
set interfaces xe-0/1/0 unit 200 family ccc
set protocols l2circuit neighbor 10.255.0.2 interface xe-0/1/0.100 virtual-circuit-id 100
set protocols l2circuit neighbor 10.255.0.2 interface xe-0/1/0.100 description customer-a
set protocols mpls label-switched-path to-r2 to 10.255.0.2
set protocols connections remote-interface-switch pw-b interface xe-0/1/0.200
set protocols connections remote-interface-switch pw-b transmit-lsp to-r2
set protocols connections remote-interface-switch pw-b receive-lsp from-r2
"""

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
dev = Device(host=host, port=port, user=user, passwd=password, gather_facts=False,
             look_for_keys=False, allow_agent=False)
dev.open()
if "--l2-services" in sys.argv[5:]:
    with Config(dev, mode="exclusive") as cu:
        cu.load(L2_SERVICES, format="set")
        cu.commit(comment="pyez_tables.py: Layer 2 services")
tables = {}
op_dir = os.path.dirname(jnpr.junos.op.__file__)
for path in sorted(glob.glob(os.path.join(op_dir, "*.yml"))):
    for name, cls in sorted(loadyaml(path).items()):
        if not (isinstance(cls, type) and issubclass(cls, OpTable)):
            continue  # a view, not a table
        try:
            table = cls(dev).get()
            rows = list(table)
            # Reading every field of every row is part of the check: a view that names an
            # element the reply lacks yields None, a malformed one raises here.
            for row in rows:
                for field in row.FIELDS:
                    getattr(row, field)
            tables[name] = {"rows": len(rows), "keys": len(table)}
        except Exception as e:  # noqa: BLE001 -- reported per table, not fatal
            tables[name] = {"error": f"{type(e).__name__}: {e}"[:300]}
dev.close()
print(json.dumps({"tables": tables}, sort_keys=True))
