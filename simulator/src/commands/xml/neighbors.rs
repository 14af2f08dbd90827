//! Neighbor tables: LLDP (brief and detail), ARP (`get-arp-table-information`) and IPv6
//! neighbor discovery (`get-ipv6-nd-information`), from the router's links and
//! configuration.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::X;
use crate::commands::Pieces;
use crate::junos_config::ConfigTree;
use crate::spec::DeviceSpec;

/// The MAC address of the neighbor on this router's `k`-th up link.
fn neighbor_mac(spec: &DeviceSpec, k: usize) -> [u8; 6] {
    [
        0x56,
        0x68,
        0xa0 | ((spec.index + 1) % 10) as u8,
        0,
        k as u8,
        1,
    ]
}

fn mac_text(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A neighbor's IPv6 neighbor-discovery entry, as Junos lists it.
pub(crate) struct NdEntry {
    pub address: String,
    pub mac: String,
    pub interface: String,
}

/// The neighbor-discovery table: a neighbor's link-local address (EUI-64 of its MAC, as
/// Junos forms it) on each up link whose unit 0 runs `family inet6`. The factory
/// configuration is IPv4 only, so the table starts empty, as on a router without inet6.
pub(crate) fn nd_entries(spec: &DeviceSpec, running: &ConfigTree) -> Vec<NdEntry> {
    spec.interfaces()
        .iter()
        .filter(|i| i.up)
        .enumerate()
        .filter(|(_, i)| running.has(&["interfaces", &i.name, "unit", "0", "family", "inet6"]))
        .map(|(k, i)| {
            let m = neighbor_mac(spec, k);
            let address = format!(
                "fe80::{:x}:{:x}:{:x}:{:x}",
                u16::from_be_bytes([m[0] ^ 0x02, m[1]]),
                u16::from_be_bytes([m[2], 0xff]),
                u16::from_be_bytes([0xfe, m[3]]),
                u16::from_be_bytes([m[4], m[5]]),
            );
            NdEntry {
                address,
                mac: mac_text(m),
                interface: format!("{}.0", i.name),
            }
        })
        .collect()
}

/// `get-ipv6-nd-information`.
pub(super) fn ipv6_nd(spec: &DeviceSpec, running: &ConfigTree) -> Pieces {
    let mut x = X::with_ns("ipv6-nd-information", "junos-arp", None);
    let entries = nd_entries(spec, running);
    for e in &entries {
        x.open("ipv6-nd-entry")
            .leaf("ipv6-nd-neighbor-address", &e.address)
            .leaf("ipv6-nd-neighbor-l2-address", &e.mac)
            .leaf("ipv6-nd-state", "reachable")
            .leaf("ipv6-nd-expire", 28)
            .leaf("ipv6-nd-isrouter", "yes")
            .leaf("ipv6-nd-issecure", "no")
            .leaf("ipv6-nd-interface-name", &e.interface)
            .close("ipv6-nd-entry");
    }
    x.done("ipv6-nd-information")
}

/// `show ipv6 neighbors` as text.
pub(crate) fn ipv6_nd_text(spec: &DeviceSpec, running: &ConfigTree) -> String {
    let entries = nd_entries(spec, running);
    if entries.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "IPv6 Address                            Linklayer Address  State       Exp   Rtr  Secure  Interface\n",
    );
    for e in &entries {
        let _ = writeln!(
            s,
            "{:<40}{:<19}reachable   28    yes  no      {}",
            e.address, e.mac, e.interface
        );
    }
    s
}

/// An ARP entry's seconds to expiry: Junos's 1,200 s timer, part run down.
pub(crate) fn arp_time_to_expire(spec: &DeviceSpec, k: usize) -> u64 {
    1200 - 37 * k as u64 - (spec.index as u64 * 13) % 200
}

pub(super) fn arp(spec: &DeviceSpec, expiration: bool) -> Pieces {
    let mut x = X::with_ns("arp-table-information", "junos-arp", Some("normal"));
    let mut n = 0;
    let gw = Ipv4Addr::new(192, 168, 255, 254);
    let rows = spec
        .interfaces()
        .iter()
        .filter(|i| i.up)
        .enumerate()
        .map(|(k, i)| {
            (
                mac_text(neighbor_mac(spec, k)),
                i.neighbor,
                format!("{}.0", i.name),
            )
        })
        .chain(std::iter::once((
            "56:68:a0:ff:ff:fe".to_string(),
            gw,
            "fxp0.0".to_string(),
        )))
        .collect::<Vec<_>>();
    for (k, (mac, ip, interface)) in rows.iter().enumerate() {
        x.open("arp-table-entry")
            .leaf("mac-address", mac)
            .leaf("ip-address", ip)
            .leaf("hostname", ip)
            .leaf("interface-name", interface);
        if expiration {
            x.leaf("time-to-expire", arp_time_to_expire(spec, k));
        }
        x.open("arp-table-entry-flags")
            .flag("none")
            .close("arp-table-entry-flags")
            .close("arp-table-entry");
        n += 1;
    }
    x.leaf("arp-entry-count", n);
    x.done("arp-table-information")
}

pub(super) fn lldp(spec: &DeviceSpec) -> Pieces {
    let mut x = X::with_ns("lldp-neighbors-information", "junos-lldp", Some("brief"));
    for (k, i) in spec.interfaces().iter().filter(|i| i.up).enumerate() {
        x.open("lldp-neighbor-information")
            .leaf("lldp-local-port-id", &i.name)
            .leaf("lldp-local-parent-interface-name", "-");
        lldp_remote(&mut x, spec, k, &i.name);
        x.close("lldp-neighbor-information");
    }
    x.done("lldp-neighbors-information")
}

/// The neighbor's side of the LLDP entry on up interface number `k`, `name`: its
/// chassis, port and system name, in both the brief and the detailed reply.
fn lldp_remote(x: &mut X, spec: &DeviceSpec, k: usize, name: &str) {
    x.leaf("lldp-remote-chassis-id-subtype", "Mac address")
        .leaf(
            "lldp-remote-chassis-id",
            format!("56:68:a{}:00:{:02x}:00", (spec.index + 1) % 10, k),
        )
        .leaf("lldp-remote-port-id-subtype", "Interface name")
        .leaf("lldp-remote-port-id", name)
        .leaf("lldp-remote-port-description", name)
        .leaf("lldp-remote-system-name", format!("r{}", spec.index + 2));
}

/// `get-lldp-interface-neighbors-information` (`show lldp neighbors interface X`): the
/// neighbor on each up interface the name matches, in detail, as NAPALM's
/// `get_lldp_neighbors_detail` reads it.
pub(super) fn lldp_detail(spec: &DeviceSpec, interface: Option<&str>) -> Pieces {
    let mut x = X::with_ns("lldp-neighbors-information", "junos-lldp", Some("detail"));
    for (k, i) in spec.interfaces().iter().filter(|i| i.up).enumerate() {
        if interface.is_some_and(|pat| !crate::spec::glob_match(pat, &i.name)) {
            continue;
        }
        x.open("lldp-neighbor-information")
            .leaf("lldp-index", k + 1)
            .leaf("lldp-ttl", 120)
            .leaf("lldp-age", 12)
            .leaf("lldp-local-interface", &i.name)
            .leaf("lldp-local-parent-interface-name", "-")
            .leaf("lldp-local-port-id", 500 + k);
        lldp_remote(&mut x, spec, k, &i.name);
        x.open("lldp-system-description")
            .leaf(
                "lldp-remote-system-description",
                format!(
                    "Juniper Networks, Inc. vmx internet router, kernel JUNOS {}",
                    spec.version
                ),
            )
            .close("lldp-system-description")
            .leaf("lldp-remote-system-capabilities-supported", "Bridge Router")
            .leaf("lldp-remote-system-capabilities-enabled", "Bridge Router")
            .leaf("lldp-remote-management-address-type", "IPv4(1)")
            .leaf("lldp-remote-management-address", i.neighbor)
            .leaf("lldp-remote-management-address-port-id", 500 + k)
            .leaf("lldp-remote-management-address-sub-type", "ifIndex(2)")
            .leaf(
                "lldp-remote-management-address-interface-subtype",
                "ifIndex(2)",
            )
            .leaf(
                "lldp-remote-management-addr-oid",
                "1.3.6.1.2.1.31.1.1.1.1.500",
            )
            .leaf("lldp-remote-index", k + 1)
            .leaf("lldp-timemark", "Mon Nov 18 18:35:52 2026")
            .leaf("lldp-local-port-ageout-count", 0)
            // The neighbor's 802.3 TLVs: MAC/PHY configuration and maximum frame size.
            .leaf("lldp-remote-oui-802-3", "00-12-0f")
            .leaf("lldp-remote-subtype-mac", "MAC/PHY Configuration/Status")
            .leaf(
                "lldp-remote-subtype-mac-autonegotiation",
                "supported, enabled",
            )
            .leaf("lldp-remote-subtype-mac-pmd", "1000BASE-T full duplex")
            .leaf("lldp-remote-subtype-mac-mau", "1000BaseTFD")
            .leaf("lldp-remote-subtype-mtu", "Maximum Frame Size")
            .leaf("lldp-remote-subtype-mtu-size", 1514)
            .close("lldp-neighbor-information");
    }
    x.done("lldp-neighbors-information")
}
