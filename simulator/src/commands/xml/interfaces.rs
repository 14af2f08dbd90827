//! `get-interface-information` at every level, for ge / xe / lo0 / em0 / fxp0.

use std::net::Ipv4Addr;

use super::X;
use crate::commands::{Level, Pieces};
use crate::junos_config::ConfigTree;
use crate::spec::{glob_match, DeviceSpec, Port};

/// What the running configuration says of a port: its description, MTU and whether it
/// is disabled.
struct Configured {
    description: Option<String>,
    mtu: Option<String>,
    disabled: bool,
}

impl Configured {
    fn of(config: &ConfigTree, name: &str) -> Configured {
        Configured {
            description: config
                .value(&["interfaces", name, "description"])
                .map(str::to_string),
            mtu: config
                .value(&["interfaces", name, "mtu"])
                .map(str::to_string),
            disabled: config.has(&["interfaces", name, "disable"]),
        }
    }
}

fn port_up(p: &Port) -> &'static str {
    if p.up {
        "up"
    } else {
        "down"
    }
}

/// `get-interface-information` at every level, for every port a pattern matches. A
/// logical name (`ge-0/0/0.0`) selects that unit only.
pub(super) fn interfaces(
    spec: &DeviceSpec,
    config: &ConfigTree,
    pattern: Option<&str>,
    level: Level,
) -> Pieces {
    let mut x = X::with_ns(
        "interface-information",
        "junos-interface",
        Some(level.style()),
    );
    for p in spec.ports() {
        let logical = format!("{}.0", p.name);
        let (phys_ok, unit_ok) = match pattern {
            None => (true, true),
            Some(pat) if pat.contains('.') => {
                (glob_match(pat, &logical), glob_match(pat, &logical))
            }
            Some(pat) => (glob_match(pat, &p.name), glob_match(pat, &p.name)),
        };
        if !phys_ok {
            continue;
        }
        if pattern.is_some_and(|pat| pat.contains('.')) {
            // A logical interface alone, as Junos answers `show interfaces ge-0/0/0.0`.
            logical_interface(&mut x, &p, level);
            continue;
        }
        physical_interface(&mut x, &p, &Configured::of(config, &p.name), level, unit_ok);
    }
    x.done("interface-information")
}

fn physical_interface(x: &mut X, p: &Port, c: &Configured, level: Level, with_unit: bool) {
    x.open("physical-interface").leaf("name", &p.name);
    let (admin, oper) = if c.disabled {
        ("down", "down")
    } else {
        ("up", port_up(p))
    };
    if level == Level::Terse {
        x.leaf("admin-status", admin).leaf("oper-status", oper);
        if let Some(d) = &c.description {
            x.leaf("description", d);
        }
    } else {
        let format = if c.disabled { "Disabled" } else { "Enabled" };
        x.leaf_attr("admin-status", "format", format, admin)
            .leaf("oper-status", oper);
        if let Some(d) = &c.description {
            x.leaf("description", d);
        }
        x.leaf("local-index", p.local_index)
            .leaf("snmp-index", p.snmp_index)
            .leaf("link-level-type", p.link_level_type)
            .leaf(
                "if-type",
                if p.link_level_type == "Ethernet" {
                    "Ethernet"
                } else {
                    "Loopback"
                },
            )
            .leaf("mtu", c.mtu.clone().unwrap_or_else(|| p.mtu.to_string()))
            .leaf("source-filtering", "disabled")
            .leaf("link-mode", "Full-duplex")
            .leaf("speed", p.speed)
            .leaf("bpdu-error", "none")
            .leaf("ld-pdu-error", "none")
            .leaf("l2pt-error", "none")
            .leaf("loopback", "disabled")
            .leaf("if-flow-control", "enabled")
            .leaf("if-auto-negotiation", "enabled")
            .leaf("if-remote-fault", "online")
            .open("if-device-flags")
            .flag("ifdf-present")
            .flag("ifdf-running")
            .close("if-device-flags")
            .open("if-config-flags")
            .flag("iff-snmp-traps")
            .leaf("internal-flags", "0x4000")
            .close("if-config-flags")
            .open("if-media-flags")
            .flag("ifmf-none")
            .close("if-media-flags");
        if !p.mac.is_empty() {
            x.leaf("current-physical-address", &p.mac)
                .leaf("hardware-physical-address", &p.mac);
        }
        x.leaf_attr(
            "interface-flapped",
            "seconds",
            273_720,
            "2026-11-18 18:35:40 UTC (3d 04:02 ago)",
        );
        let (inp, outp) = p.packets;
        if matches!(level, Level::Detail | Level::Extensive) {
            x.open_style("traffic-statistics", "verbose")
                .leaf("input-bytes", inp * 612)
                .leaf("input-bps", 2_112)
                .leaf("output-bytes", outp * 598)
                .leaf("output-bps", 1_984)
                .leaf("input-packets", inp)
                .leaf("input-pps", 3)
                .leaf("output-packets", outp)
                .leaf("output-pps", 3)
                .close("traffic-statistics");
        } else {
            x.open_style("traffic-statistics", "brief")
                .leaf("input-bps", 2_112)
                .leaf("input-pps", 3)
                .leaf("output-bps", 1_984)
                .leaf("output-pps", 3)
                .close("traffic-statistics");
        }
        if level == Level::Extensive {
            zeros(x, "input-error-list", "input-errors input-drops framing-errors input-runts input-discards input-l3-incompletes input-l2-channel-errors input-l2-mismatch-timeouts input-fifo-errors input-resource-errors");
            zeros(x, "output-error-list", "carrier-transitions output-errors output-collisions output-drops aged-packets mtu-errors hs-link-crc-errors output-fifo-errors output-resource-errors");
            x.open("ethernet-mac-statistics");
            for (t, v) in [
                ("input-bytes", inp * 612),
                ("output-bytes", outp * 598),
                ("input-packets", inp),
                ("output-packets", outp),
                ("input-unicasts", inp - inp / 50),
                ("output-unicasts", outp - outp / 50),
                ("input-broadcasts", inp / 100),
                ("output-broadcasts", outp / 100),
                ("input-multicasts", inp / 100),
                ("output-multicasts", outp / 100),
                ("input-crc-errors", 0),
                ("output-crc-errors", 0),
                ("input-fifo-errors", 0),
                ("output-fifo-errors", 0),
                ("input-mac-control-frames", 0),
                ("output-mac-control-frames", 0),
                ("input-mac-pause-frames", 0),
                ("output-mac-pause-frames", 0),
                ("input-oversized-frames", 0),
                ("input-jabber-frames", 0),
                ("input-fragment-frames", 0),
                ("input-vlan-tagged-frames", 0),
                ("input-code-violations", 0),
            ] {
                x.leaf(t, v);
            }
            x.close("ethernet-mac-statistics")
                .open("ethernet-filter-statistics")
                .leaves(&[
                    ("input-packets", &inp),
                    ("input-reject-count", &0),
                    ("input-reject-destination-address-count", &0),
                    ("input-reject-source-address-count", &0),
                    ("output-packets", &outp),
                    ("output-packet-pad-count", &0),
                    ("output-packet-error-count", &0),
                    ("cam-destination-filter-count", &0),
                    ("cam-source-filter-count", &0),
                ])
                .close("ethernet-filter-statistics")
                .open("ethernet-autonegotiation")
                .leaf("autonegotiation-status", "complete")
                .leaf("link-partner-status", "OK")
                .leaf("link-partner-duplexity", "full-duplex")
                .leaf("flow-control", "Symmetric")
                .open("local-info")
                .leaf("local-flow-control", "Symmetric")
                .leaf("local-remote-fault", "Link OK")
                .close("local-info")
                .close("ethernet-autonegotiation")
                .open("interface-transmit-statistics")
                .close("interface-transmit-statistics");
        }
        x.open("active-alarms")
            .open("interface-alarms")
            .flag("alarm-not-present")
            .close("interface-alarms")
            .close("active-alarms")
            .open("active-defects")
            .open("interface-alarms")
            .flag("alarm-not-present")
            .close("interface-alarms")
            .close("active-defects");
    }
    if with_unit {
        logical_interface(x, p, level);
    }
    x.close("physical-interface");
}

fn logical_interface(x: &mut X, p: &Port, level: Level) {
    let net = u32::from(p.address) & (u32::MAX << (32 - u32::from(p.prefix_len)));
    let bcast = net | !(u32::MAX << (32 - u32::from(p.prefix_len)));
    x.open("logical-interface")
        .leaf("name", format!("{}.0", p.name));
    if level == Level::Terse {
        x.leaf("admin-status", "up")
            .leaf("oper-status", port_up(p))
            .flag("filter-information")
            .open("address-family")
            .leaf("address-family-name", "inet")
            .open("interface-address")
            .leaf("ifa-local", format!("{}/{}", p.address, p.prefix_len))
            .close("interface-address")
            .close("address-family");
    } else {
        let (inp, outp) = p.packets;
        x.leaf("local-index", p.local_index + 185)
            .leaf("snmp-index", p.snmp_index + 15)
            .open("if-config-flags")
            .flag("iff-up")
            .flag("iff-snmp-traps")
            .leaf("internal-flags", "0x4004000")
            .close("if-config-flags")
            .leaf("encapsulation", "ENET2")
            .flag("policer-overhead")
            .open_style("traffic-statistics", "brief")
            .leaf("input-packets", inp)
            .leaf("output-packets", outp)
            .close("traffic-statistics")
            .flag("filter-information")
            .open("address-family")
            .leaf("address-family-name", "inet")
            .leaf("mtu", 1500)
            .open("address-family-flags")
            .flag("ifff-is-primary")
            .flag("ifff-sendbcast-pkt-to-re")
            .close("address-family-flags")
            .open("interface-address")
            .open("ifa-flags")
            .flag("ifaf-current-preferred")
            .flag("ifaf-current-primary")
            .close("ifa-flags")
            .leaf(
                "ifa-destination",
                format!("{}/{}", Ipv4Addr::from(net), p.prefix_len),
            )
            .leaf("ifa-local", p.address)
            .leaf("ifa-broadcast", Ipv4Addr::from(bcast))
            .close("interface-address")
            .close("address-family");
    }
    x.close("logical-interface");
}

/// An element holding a zero counter for each name (space-separated).
fn zeros(x: &mut X, list: &str, names: &str) {
    x.open(list);
    for t in names.split_whitespace() {
        x.leaf(t, 0);
    }
    x.close(list);
}
