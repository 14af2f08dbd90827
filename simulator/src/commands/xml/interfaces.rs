//! `get-interface-information` at every level, for ge / xe / lo0 / em0 / fxp0; the
//! optics and bridge-domain replies of a vMX (empty).

use std::net::Ipv4Addr;

use super::X;
use crate::commands::{Level, Pieces};
use crate::junos_config::ConfigTree;
use crate::spec::{glob_match, DeviceSpec, Port};

/// What the running configuration says of a port: its description, MTU, whether it is
/// disabled, and the families its unit 0 carries beyond `inet` (`iso`, `mpls`).
struct Configured {
    description: Option<String>,
    mtu: Option<String>,
    disabled: bool,
    families: Vec<&'static str>,
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
            families: ["iso", "mpls"]
                .into_iter()
                .filter(|f| config.has(&["interfaces", name, "unit", "0", "family", f]))
                .collect(),
        }
    }
}

/// A family beside `inet` on a unit: its name and the MTU Junos derives for it from the
/// unit's 1500 (ISO 1497, MPLS 1488).
fn family_mtu(family: &str) -> u32 {
    match family {
        "iso" => 1497,
        "mpls" => 1488,
        _ => 1500,
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
        let configured = Configured::of(config, &p.name);
        if pattern.is_some_and(|pat| pat.contains('.')) {
            // A logical interface alone, as Junos answers `show interfaces ge-0/0/0.0`.
            logical_interface(&mut x, &p, &configured, level);
            continue;
        }
        physical_interface(&mut x, &p, &configured, level, unit_ok);
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
        x.leaf_attr("admin-status", "junos:format", format, admin)
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
            .leaf("mtu", c.mtu.clone().unwrap_or_else(|| p.mtu.to_string()));
        if p.link_level_type == "Ethernet" {
            // An Ethernet port's MRU is its MTU plus the 8 bytes of two VLAN tags.
            let mtu: u32 = c.mtu.as_deref().unwrap_or(p.mtu).parse().unwrap_or(1514);
            x.leaf("mru", mtu + 8).leaf("sonet-mode", "LAN-PHY");
        }
        x.leaf("source-filtering", "disabled")
            .leaf("link-mode", "Full-duplex")
            .leaf("speed", p.speed)
            .leaf("bpdu-error", "none")
            .leaf("ld-pdu-error", "none")
            .leaf("l2pt-error", "none")
            .leaf("eth-switch-error", "none")
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
            "junos:seconds",
            273_720,
            "2026-11-18 18:35:40 UTC (3d 04:02 ago)",
        );
        let (inp, outp) = p.packets;
        if matches!(level, Level::Detail | Level::Extensive) {
            x.open_style("traffic-statistics", "verbose")
                .leaf("input-bytes", inp * IN_BYTES)
                .leaf("input-bps", 2_112)
                .leaf("output-bytes", outp * OUT_BYTES)
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
                ("input-bytes", inp * IN_BYTES),
                ("output-bytes", outp * OUT_BYTES),
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
                ("input-total-errors", 0),
                ("output-total-errors", 0),
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
                .leaf("interface-transmit-statistics", "Disabled");
            extensive_physical(x, p);
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
        logical_interface(x, p, c, level);
    }
    x.close("physical-interface");
}

fn logical_interface(x: &mut X, p: &Port, c: &Configured, level: Level) {
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
        for f in &c.families {
            x.open("address-family")
                .leaf("address-family-name", f)
                .close("address-family");
        }
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
            .flag("policer-overhead");
        if matches!(level, Level::Detail | Level::Extensive) {
            x.leaf("logical-interface-bandwidth", p.speed)
                .leaf("generation", 140 + p.local_index);
        }
        if matches!(level, Level::Detail | Level::Extensive) {
            // Junos splits a unit's counters into all, local (to and from the routing
            // engine) and transit traffic at these levels.
            let (local_in, local_out) = (inp / 10, outp / 10);
            x.open_style("traffic-statistics", "verbose");
            unit_counters(x, inp, outp);
            x.close("traffic-statistics")
                .open("local-traffic-statistics");
            unit_counters(x, local_in, local_out);
            x.close("local-traffic-statistics")
                .open("transit-traffic-statistics")
                .leaf("input-bytes", (inp - local_in) * IN_BYTES)
                .leaf("input-bps", 1_896)
                .leaf("output-bytes", (outp - local_out) * OUT_BYTES)
                .leaf("output-bps", 1_784)
                .leaf("input-packets", inp - local_in)
                .leaf("input-pps", 3)
                .leaf("output-packets", outp - local_out)
                .leaf("output-pps", 3)
                .close("transit-traffic-statistics");
        } else {
            x.open_style("traffic-statistics", "brief")
                .leaf("input-packets", inp)
                .leaf("output-packets", outp)
                .close("traffic-statistics");
        }
        x.flag("filter-information")
            .open("address-family")
            .leaf("address-family-name", "inet")
            .leaf("mtu", 1500);
        if matches!(level, Level::Detail | Level::Extensive) {
            x.leaf("max-local-cache", 75_000)
                .leaf("new-hold-limit", 75_000)
                .leaf("intf-curr-cnt", 0)
                .leaf("intf-unresolved-cnt", 0)
                .leaf("intf-dropcnt", 0)
                .leaf("generation", 150 + p.local_index)
                .leaf("route-table", 0);
        }
        x.open("address-family-flags")
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
        for f in &c.families {
            x.open("address-family")
                .leaf("address-family-name", f)
                .leaf("mtu", family_mtu(f));
            if *f == "mpls" {
                x.leaf("maximum-labels", 3);
            }
            if matches!(level, Level::Detail | Level::Extensive) {
                x.leaf("generation", 160 + p.local_index)
                    .leaf("route-table", 0);
            }
            x.open("address-family-flags")
                .flag("ifff-none")
                .close("address-family-flags")
                .close("address-family");
        }
    }
    x.close("logical-interface");
}

/// What `extensive` adds to a physical interface beyond its error and MAC counters: hold
/// times, PCS and FEC counters, the class-of-service queues and their counters, and where
/// the interface sits in the forwarding engine (element names as Junos writes them).
fn extensive_physical(x: &mut X, p: &Port) {
    let (_, outp) = p.packets;
    x.leaf("statistics-cleared", "Never")
        .leaf("pad-to-minimum-frame-size", "Disabled")
        .leaf("up-hold-time", 0)
        .leaf("down-hold-time", 0);
    zeros(x, "stp-traffic-statistics", "stp-input-bytes-dropped stp-output-bytes-dropped stp-input-packets-dropped stp-output-packets-dropped");
    zeros(
        x,
        "ethernet-pcs-statistics",
        "bit-error-seconds errored-blocks-seconds",
    );
    zeros(
        x,
        "ethernet-fec-statistics",
        "fec_ccw_count fec_nccw_count fec_ccw_error_rate fec_nccw_error_rate",
    );
    x.open("queue-counters")
        .open("interface-cos-short-summary")
        .leaf("intf-cos-num-queues-supported", 8)
        .leaf("intf-cos-num-queues-in-use", 4)
        .leaf("intf-cos-queue-type", "Egress queues")
        .close("interface-cos-short-summary");
    for (n, class) in QUEUES.iter().enumerate() {
        // Network control carries the routing protocols' few packets; best effort the rest.
        let sent = match n {
            0 => outp - outp / 20,
            3 => outp / 20,
            _ => 0,
        };
        x.open("queue")
            .leaf("queue-number", n)
            .leaf("forwarding-class-name", class)
            .leaf("queue-counters-queued-packets", sent)
            .leaf("queue-counters-trans-packets", sent)
            .leaf("queue-counters-total-drop-packets", 0)
            .close("queue");
    }
    x.close("queue-counters")
        .open("physical-interface-cos-information")
        .leaf("physical-interface-cos-hw-max-queues", 8)
        .leaf("physical-interface-cos-use-max-queues", 8)
        .close("physical-interface-cos-information")
        .open("pfe-information")
        .leaf("destination-slot", 0)
        .leaf("destination-mask", "(0x00)")
        .close("pfe-information")
        .open("cos-information")
        .open("cos-stream-information")
        .leaf("cos-direction", "Output");
    for (n, class, share) in [(0, QUEUES[0], 95u64), (3, QUEUES[3], 5)] {
        x.open("cos-queue-configuration")
            .leaf("cos-queue-number", n)
            .leaf("cos-queue-forwarding-class", class)
            .leaf("cos-queue-bandwidth", share)
            .leaf("cos-queue-bandwidth-bps", share * 10_000_000)
            .leaf("cos-queue-buffer", share)
            .leaf("cos-queue-buffer-bytes", 0)
            .leaf("cos-queue-priority", "low")
            .leaf("cos-queue-limit", "none")
            .close("cos-queue-configuration");
    }
    x.close("cos-stream-information").close("cos-information");
}

/// Junos's default forwarding classes, by queue number.
const QUEUES: [&str; 4] = [
    "best-effort",
    "expedited-forwarding",
    "assured-forwarding",
    "network-control",
];

/// Mean packet sizes of the simulated traffic, in and out (bytes per packet).
const IN_BYTES: u64 = 612;
const OUT_BYTES: u64 = 598;

/// A unit's byte and packet counters, in Junos's order.
fn unit_counters(x: &mut X, inp: u64, outp: u64) {
    x.leaf("input-bytes", inp * IN_BYTES)
        .leaf("output-bytes", outp * OUT_BYTES)
        .leaf("input-packets", inp)
        .leaf("output-packets", outp);
}

/// An element holding a zero counter for each name (space-separated).
fn zeros(x: &mut X, list: &str, names: &str) {
    x.open(list);
    for t in names.split_whitespace() {
        x.leaf(t, 0);
    }
    x.close(list);
}

/// `get-interface-optics-diagnostics-information`: a vMX's virtual ports have no
/// optics, so the reply holds no interface.
pub(super) fn optics() -> Pieces {
    let x = X::with_ns("interface-information", "junos-interface", Some("normal"));
    x.done("interface-information")
}

/// `get-bridge-instance-information` (`show bridge domain`): none configured.
pub(super) fn bridge_instances() -> Pieces {
    let x = X::with_ns("l2ald-bridge-instance-information", "junos-l2al", None);
    x.done("l2ald-bridge-instance-information")
}
