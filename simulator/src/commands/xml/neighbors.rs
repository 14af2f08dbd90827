//! Neighbor tables: ARP (`get-arp-table-information`) and IPv6 neighbor discovery
//! (`get-ipv6-nd-information`), from the router's links and configuration.

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
