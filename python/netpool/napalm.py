"""NAPALM's junos driver with its PyEZ session pooled.

NAPALM's ``JunOSDriver`` builds its own ``jnpr.junos.Device``, so the import to change is
the driver's: ``from netpool.napalm import JunOSDriver`` in place of
``napalm.get_network_driver("junos")``. Every getter and the configuration methods are
NAPALM's own code; ``open()`` leases a pooled session and ``close()`` hands it back
(see ``netpool.pyez``).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from napalm.junos import junos as _junos

from .pyez import Device

__all__ = ["JunOSDriver"]


class JunOSDriver(_junos.JunOSDriver):
    """``napalm.junos.JunOSDriver`` on ``netpool.pyez.Device``."""

    def __init__(
        self,
        hostname: str,
        username: str,
        password: str,
        timeout: int = 60,
        optional_args: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(hostname, username, password, timeout, optional_args)
        # The same keywords NAPALM gives PyEZ's Device (a None key file is PyEZ's default).
        self.device = Device(
            hostname,
            user=username,
            password=password,
            ssh_private_key_file=self.key_file,
            ssh_config=self.ssh_config_file,
            port=self.port,
            huge_tree=self.huge_tree,
        )
