//! A vMX's chassis environment (`show chassis environment`, temperature thresholds,
//! power), its routing instances (`show route instance`), its bridge MAC table, IPv6
//! neighbors and commit history: the replies NAPALM's environment, BGP and facts
//! getters and PyEZ's facts read. Shapes follow Junos 21.4 (NAPALM's captured MX
//! replies in its `mocked_data`, and Juniper's documentation); the values are a vMX's.

use std::fmt::Write as _;

use super::X;
use crate::commands::Pieces;
use crate::junos_config::ConfigTree;
use crate::state::{Commit, DeviceState};

/// Temperature sensors of a vMX: (name, degrees C, yellow alarm, red alarm).
pub(crate) const SENSORS: [(&str, u32, u32, u32); 4] = [
    ("Routing Engine 0", 38, 85, 100),
    ("Routing Engine 0 CPU", 42, 85, 100),
    ("CB 0 Intake", 31, 75, 85),
    ("FPC 0 Intake", 33, 75, 85),
];

/// Fans: (name, status text).
const FANS: [&str; 2] = ["Fan Tray 0 Fan 0", "Fan Tray 0 Fan 1"];

/// `get-environment-information`.
pub(super) fn environment() -> Pieces {
    let mut x = X::with_ns("environment-information", "junos-chassis", None);
    for (name, c, ..) in SENSORS {
        x.open("environment-item")
            .leaf("name", name)
            .leaf("class", "Temp")
            .leaf("status", "OK")
            .leaf_attr(
                "temperature",
                "junos:celsius",
                c,
                format!("{c} degrees C / {} degrees F", c * 9 / 5 + 32),
            )
            .close("environment-item");
    }
    for name in FANS {
        x.open("environment-item")
            .leaf("name", name)
            .leaf("class", "Fans")
            .leaf("status", "OK")
            .leaf("comment", "Spinning at normal speed")
            .close("environment-item");
    }
    x.open("environment-item")
        .leaf("name", "PEM 0")
        .leaf("class", "Power")
        .leaf("status", "OK")
        .close("environment-item");
    x.done("environment-information")
}

/// `get-fpc-information` (`show chassis fpc`): a vMX has one virtual FPC, in slot 0.
pub(super) fn fpc() -> Pieces {
    let mut x = X::with_ns("fpc-information", "junos-chassis", Some("brief"));
    x.open("fpc")
        .leaf("slot", 0)
        .leaf("state", "Online")
        .leaf_attr(
            "temperature",
            "junos:celsius",
            37,
            "37 degrees C / 98 degrees F",
        )
        .leaf("cpu-total", 6)
        .leaf("cpu-interrupt", 0)
        .leaf("cpu-1min-avg", 6)
        .leaf("cpu-5min-avg", 5)
        .leaf("cpu-15min-avg", 5)
        .leaf("memory-dram-size", 2048)
        .leaf("memory-heap-utilization", 22)
        .leaf("memory-buffer-utilization", 0)
        .close("fpc");
    for slot in 1..12 {
        x.open("fpc")
            .leaf("slot", slot)
            .leaf("state", "Empty")
            .close("fpc");
    }
    x.done("fpc-information")
}

/// `get-temperature-threshold-information`.
pub(super) fn temperature_thresholds() -> Pieces {
    let mut x = X::with_ns("temperature-threshold-information", "junos-chassis", None);
    for (name, _, yellow, red) in SENSORS {
        x.open("temperature-threshold")
            .leaf("name", name)
            .leaf("fan-normal-speed", 48)
            .leaf("fan-high-speed", 54)
            .leaf("bad-fan-yellow-alarm", yellow)
            .leaf("bad-fan-red-alarm", red)
            .leaf("yellow-alarm", yellow)
            .leaf("red-alarm", red)
            .leaf("fire-shutdown", red + 2)
            .close("temperature-threshold");
    }
    x.done("temperature-threshold-information")
}

/// `get-power-usage-information-detail`: one PEM.
pub(super) fn power_usage() -> Pieces {
    let mut x = X::with_ns("power-usage-information", "junos-chassis", None);
    x.open("power-usage-item")
        .leaf("name", "PEM 0")
        .leaf("state", "Online")
        .open("ac-input-detail")
        .leaf("ac-input", "OK")
        .leaf("ac-expect-feed", 1)
        .leaf("ac-actual-feed", 1)
        .close("ac-input-detail")
        .open("pem-capacity-detail")
        .leaf("capacity-actual", 1600)
        .leaf("capacity-max", 1600)
        .close("pem-capacity-detail")
        .open("dc-output-detail")
        .leaf("dc-power", 180)
        .leaf("zone", 0)
        .leaf("dc-current", 15)
        .leaf("dc-voltage", 12)
        .leaf("dc-load", 11)
        .close("dc-output-detail")
        .close("power-usage-item");
    x.open("power-usage-system")
        .open("power-usage-zone-information")
        .leaf("zone", 0)
        .leaf("capacity-actual", 1600)
        .leaf("capacity-max", 1600)
        .leaf("capacity-allocated", 180)
        .leaf("capacity-remaining", 1420)
        .leaf("capacity-actual-usage", 180)
        .close("power-usage-zone-information")
        .leaf("capacity-sys-actual", 1600)
        .leaf("capacity-sys-max", 1600)
        .leaf("capacity-sys-remaining", 1420)
        .close("power-usage-system");
    // What each line card draws (a vMX has FPC 0).
    x.open("power-usage-fru-item")
        .leaf("name", "FPC 0")
        .leaf("dc-power", 120)
        .close("power-usage-fru-item");
    x.done("power-usage-information")
}

/// The routing instances: `master` and the internal ones, then each configured
/// `routing-instances` entry with its type: (name, type).
fn instances(config: &ConfigTree) -> Vec<(String, String)> {
    let mut out = vec![
        ("master".to_string(), "forwarding".to_string()),
        ("__juniper_private1__".into(), "forwarding".into()),
        ("__juniper_private2__".into(), "forwarding".into()),
        ("__master.anon__".into(), "forwarding".into()),
        ("mgmt_junos".into(), "forwarding".into()),
    ];
    for name in config.entries(&["routing-instances"], "instance") {
        let kind = config
            .value(&["routing-instances", &name, "instance-type"])
            .unwrap_or("forwarding")
            .to_string();
        out.push((name, kind));
    }
    out
}

/// `get-instance-information` (`show route instance`), terse as NAPALM asks for it.
pub(super) fn instance_information(state: &DeviceState, routes: usize) -> Pieces {
    let mut x = X::with_ns("instance-information", "junos-routing", Some("terse"));
    for (name, kind) in instances(&state.running) {
        x.open("instance-core")
            .leaf("instance-name", &name)
            .leaf("instance-type", &kind);
        let rib = if name == "master" {
            Some(("inet.0".to_string(), routes))
        } else if name.starts_with("__juniper_private") {
            Some((format!("{name}.inet.0"), 2))
        } else if kind == "vrf" || kind == "virtual-router" {
            Some((format!("{name}.inet.0"), 0))
        } else {
            None
        };
        if let Some((rib, active)) = rib {
            x.open("instance-rib")
                .leaf("irib-name", rib)
                .leaf("irib-active-count", active)
                .leaf("irib-holddown-count", 0)
                .leaf("irib-hidden-count", 0)
                .close("instance-rib");
        }
        x.close("instance-core");
    }
    x.done("instance-information")
}

/// `show route instance` as text.
pub(crate) fn instance_text(state: &DeviceState, routes: usize) -> String {
    let mut s = String::from(
        "Instance             Type\n         Primary RIB                                     Active/holddown/hidden\n",
    );
    for (name, kind) in instances(&state.running) {
        let _ = writeln!(s, "{name:<21}{kind}");
        if name == "master" {
            let _ = writeln!(
                s,
                "         inet.0                                          {routes}/0/0"
            );
        }
    }
    s.push('\n');
    s
}

/// `get-bridge-mac-table` and `show bridge mac-table count`: a vMX has bridge domains
/// (PyEZ's `switch_style` fact reads `BRIDGE_DOMAIN` from the count's element) and,
/// with none configured, no MAC entries.
pub(super) fn bridge_mac_table(count: bool) -> Pieces {
    if count {
        let mut x = X::with_ns("l2ald-rtb-mac-count", "junos-l2al", None);
        x.open("l2ald-mac-count-entry")
            .leaf("l2-bridge-mac-count", 0)
            .close("l2ald-mac-count-entry");
        return x.done("l2ald-rtb-mac-count");
    }
    let x = X::with_ns("l2ald-rtb-macdb", "junos-l2al", None);
    x.done("l2ald-rtb-macdb")
}

/// The commit history, newest first; a router that was never committed to shows the
/// commit that installed its factory configuration, at boot, as Junos always has one.
fn history(state: &DeviceState) -> Vec<Commit> {
    if state.commits.is_empty() {
        return vec![Commit {
            user: "root".into(),
            client: "other",
            at: state.booted,
            comment: None,
        }];
    }
    state.commits.iter().rev().cloned().collect()
}

/// `get-commit-information` (`show system commit`): the newest commit first.
pub(super) fn commit_information(state: &DeviceState) -> Pieces {
    let mut x = X::with_ns("commit-information", "junos-commit", None);
    for (n, c) in history(state).iter().enumerate() {
        let secs = crate::clock::unix_secs(c.at);
        x.open("commit-history")
            .leaf("sequence-number", n)
            .leaf("user", &c.user)
            .leaf("client", c.client)
            .leaf_attr(
                "date-time",
                "junos:seconds",
                secs,
                crate::clock::junos_time(secs),
            );
        if let Some(comment) = &c.comment {
            x.leaf("log", comment);
        }
        x.close("commit-history");
    }
    x.done("commit-information")
}

/// `show system commit` as text.
pub(crate) fn commit_text(state: &DeviceState) -> String {
    let mut s = String::new();
    for (n, c) in history(state).iter().enumerate() {
        let _ = writeln!(
            s,
            "{n}   {} by {} via {}",
            crate::clock::junos_time(crate::clock::unix_secs(c.at)),
            c.user,
            c.client
        );
        if let Some(comment) = &c.comment {
            let _ = writeln!(s, "    {comment}");
        }
    }
    s
}

/// `show chassis environment` as text.
pub(crate) fn environment_text() -> String {
    let mut s = String::from("Class Item                           Status     Measurement\n");
    for (i, (name, c, ..)) in SENSORS.iter().enumerate() {
        let class = if i == 0 { "Temp " } else { "     " };
        let _ = writeln!(
            s,
            "{class} {name:<30} OK         {c} degrees C / {} degrees F",
            c * 9 / 5 + 32
        );
    }
    for (i, name) in FANS.iter().enumerate() {
        let class = if i == 0 { "Fans " } else { "     " };
        let _ = writeln!(s, "{class} {name:<30} OK         Spinning at normal speed");
    }
    s.push_str("Power PEM 0                          OK\n");
    s
}

/// `show ntp associations`: one line per configured server (and peer), synchronised to
/// the first.
pub(crate) fn ntp_associations(state: &DeviceState) -> String {
    let mut s = String::from(
        "     remote           refid      st t when poll reach   delay   offset  jitter\n==============================================================================\n",
    );
    let servers = state.running.entries(&["system", "ntp"], "server");
    for (n, server) in servers.iter().enumerate() {
        let mark = if n == 0 { '*' } else { '+' };
        let _ = writeln!(
            s,
            "{mark}{server:<16} .GPS.            1 u   {:>3}   64  377    0.{:03}   -0.{:03}   0.{:03}",
            12 + n,
            512 + n,
            100 + n,
            40 + n
        );
    }
    s
}
