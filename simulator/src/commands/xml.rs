//! Commands rendered as the XML Junos returns for their RPCs, in the element structure
//! real Junos replies have (learned from public captures; the paths every reply must
//! hold are kept as data in `tests/shapes/junos-replies.toml` and tested).

use std::fmt::Display;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use netconf_wire::escape_text;

use super::{
    config_at, fmt_age, fmt_dur, nh, now_str, one, proto_matches, table_matches, unix_now, uptime,
    Level, Pieces, Show,
};
use crate::spec::{glob_match, DeviceSpec, Port, Route};
use crate::state::DeviceState;

const NS: &str = "http://xml.juniper.net/junos/21.4R0";

/// File systems of a vMX routing engine: (name, 1 KiB blocks, used, mount point).
pub(super) const STORAGE: [(&str, u64, u64, &str); 4] = [
    ("/dev/gpt/junos", 20_307_196, 1_483_724, "/.mount"),
    ("/dev/gpt/config", 1_453_920, 2_132, "/.mount/config"),
    ("/dev/gpt/var", 11_058_488, 1_034_236, "/.mount/var"),
    ("tmpfs", 3_523_812, 14_380, "/.mount/tmp"),
];

/// A small writer of Junos-style XML (one element a line, values escaped).
#[derive(Default)]
struct X(String);

impl X {
    fn with_ns(root: &str, ns: &str, style: Option<&str>) -> X {
        let mut x = X::default();
        let _ = write!(x.0, "<{root} xmlns=\"{NS}/{ns}\"");
        if let Some(s) = style {
            let _ = write!(x.0, " junos:style=\"{s}\"");
        }
        x.0.push_str(">\n");
        x
    }
    fn open(&mut self, tag: &str) -> &mut Self {
        let _ = writeln!(self.0, "<{tag}>");
        self
    }
    fn open_style(&mut self, tag: &str, style: &str) -> &mut Self {
        let _ = writeln!(self.0, "<{tag} junos:style=\"{style}\">");
        self
    }
    fn close(&mut self, tag: &str) -> &mut Self {
        let _ = writeln!(self.0, "</{tag}>");
        self
    }
    fn leaf(&mut self, tag: &str, v: impl Display) -> &mut Self {
        let v = v.to_string();
        let _ = writeln!(self.0, "<{tag}>{}</{tag}>", escape_text(&v));
        self
    }
    fn leaf_attr(&mut self, tag: &str, attr: &str, av: impl Display, v: impl Display) -> &mut Self {
        let v = v.to_string();
        let _ = writeln!(
            self.0,
            "<{tag} junos:{attr}=\"{av}\">{}</{tag}>",
            escape_text(&v)
        );
        self
    }
    fn flag(&mut self, tag: &str) -> &mut Self {
        let _ = writeln!(self.0, "<{tag}/>");
        self
    }
    fn leaves(&mut self, pairs: &[(&str, &dyn Display)]) -> &mut Self {
        for (t, v) in pairs {
            self.leaf(t, v);
        }
        self
    }
    fn done(mut self, root: &str) -> Pieces {
        let _ = writeln!(self.0, "</{root}>");
        one(self.0)
    }
}

/// Render a command as the XML Junos returns for its RPC (the reply's children).
pub fn render_xml(show: &Show, spec: &DeviceSpec, state: &DeviceState) -> Pieces {
    match show {
        Show::Version => version(spec),
        Show::Interfaces { name, level } => interfaces(spec, name.as_deref(), *level),
        Show::SystemUptime => system_uptime(state),
        Show::SystemInformation => {
            let mut x = X::default();
            x.open("system-information").leaves(&[
                ("hardware-model", &spec.model),
                ("os-name", &"junos"),
                ("os-version", &spec.version),
                ("serial-number", &spec.serial),
                ("host-name", &spec.hostname),
            ]);
            x.done("system-information")
        }
        Show::SystemUsers => system_users(state),
        Show::SystemMemory => system_memory(),
        Show::SystemStorage => {
            let mut x = X::with_ns("system-storage-information", "junos", None);
            for (fs, total, used, mount) in STORAGE {
                x.open("filesystem")
                    .leaf("filesystem-name", fs)
                    .leaf("total-blocks", total)
                    .leaf("used-blocks", used)
                    .leaf("available-blocks", total - used)
                    .leaf("used-percent", used * 100 / total)
                    .leaf("mounted-on", mount)
                    .close("filesystem");
            }
            x.done("system-storage-information")
        }
        Show::SystemAlarms => {
            let mut x = X::with_ns("alarm-information", "junos-alarm", None);
            x.open("alarm-summary")
                .flag("no-active-alarms")
                .close("alarm-summary");
            x.done("alarm-information")
        }
        Show::ChassisAlarms => {
            let mut x = X::with_ns("alarm-information", "junos-alarm", None);
            x.open("alarm-summary")
                .leaf("active-alarm-count", 1)
                .close("alarm-summary");
            x.open("alarm-detail")
                .leaf_attr("alarm-time", "seconds", unix_now() - 3600, now_str())
                .leaf("alarm-class", "Minor")
                .leaf("alarm-description", "fxp0: Ethernet Link Down")
                .leaf("alarm-short-description", "fxp0: Link Down")
                .leaf("alarm-type", "Ethernet")
                .close("alarm-detail");
            x.done("alarm-information")
        }
        Show::RouteSummary => route_summary(spec),
        Show::ChassisHardware => chassis_inventory(spec),
        Show::RouteEngine => route_engine(spec, state),
        Show::OspfInterface => ospf_interfaces(spec),
        Show::OspfDatabase => ospf_database(spec),
        Show::OspfNeighbor => ospf_neighbors(spec),
        Show::LldpNeighbors => lldp(spec),
        Show::BfdSessions => bfd(spec),
        Show::Arp => arp(spec),
        Show::BgpSummary => bgp_summary(spec),
        Show::BgpNeighbor(addr) => bgp_neighbors(spec, *addr),
        Show::Route {
            dest,
            extensive,
            table,
            protocol,
            terse,
        } => {
            let style = if *terse {
                "terse"
            } else if *extensive {
                "detail"
            } else {
                "brief"
            };
            route_xml(spec, *dest, style, table.clone(), protocol.clone())
        }
        Show::ForwardingTable { dest } => {
            let mut x = X::with_ns("forwarding-table-information", "junos-routing", None);
            x.open("route-table")
                .leaf("table-name", "default")
                .leaf("address-family", "Internet");
            for r in spec.lookup(dest.unwrap_or(Ipv4Addr::new(10, 0, 14, 1))) {
                x.open("rt-entry")
                    .leaf("rt-destination", format!("{}/{}", r.prefix, r.len))
                    .leaf("destination-type", "user")
                    .leaf("route-reference-count", 0)
                    .open("nh")
                    .leaf("to", nh(&r))
                    .leaf("nh-type", "unicast")
                    .leaf("nh-index", 589)
                    .leaf("nh-reference-count", 5)
                    .leaf("via", &r.via)
                    .close("nh")
                    .close("rt-entry");
            }
            x.close("route-table");
            x.done("forwarding-table-information")
        }
        Show::Configuration(path) => one(format!(
            "<configuration junos:commit-seconds=\"{}\">\n{}\n</configuration>\n",
            unix_now(),
            config_at(state, path).to_xml()
        )),
    }
}

fn version(spec: &DeviceSpec) -> Pieces {
    let mut x = X::default();
    x.open("software-information").leaves(&[
        ("host-name", &spec.hostname),
        ("product-model", &spec.model),
        ("product-name", &spec.model),
        ("junos-version", &spec.version),
    ]);
    for (name, comment) in [
        (
            "os-kernel",
            "JUNOS OS Kernel 64-bit  [20230321.a5b9d7f_builder_stable_12]",
        ),
        (
            "os-libs",
            "JUNOS OS libs [20230321.a5b9d7f_builder_stable_12]",
        ),
        ("junos", "JUNOS Software Release [VERSION]"),
        ("jroute", "JUNOS Routing Software Suite [VERSION]"),
    ] {
        x.open("package-information")
            .leaf("name", name)
            .leaf("comment", comment.replace("VERSION", &spec.version))
            .close("package-information");
    }
    x.done("software-information")
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
fn interfaces(spec: &DeviceSpec, pattern: Option<&str>, level: Level) -> Pieces {
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
        physical_interface(&mut x, &p, level, unit_ok);
    }
    x.done("interface-information")
}

fn physical_interface(x: &mut X, p: &Port, level: Level, with_unit: bool) {
    x.open("physical-interface").leaf("name", &p.name);
    if level == Level::Terse {
        x.leaf("admin-status", "up").leaf("oper-status", port_up(p));
    } else {
        x.leaf_attr("admin-status", "format", "Enabled", "up")
            .leaf("oper-status", port_up(p))
            .leaf("local-index", p.local_index)
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
            .leaf("mtu", p.mtu)
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
            x.open("input-error-list");
            for t in [
                "input-errors",
                "input-drops",
                "framing-errors",
                "input-runts",
                "input-discards",
                "input-l3-incompletes",
                "input-l2-channel-errors",
                "input-l2-mismatch-timeouts",
                "input-fifo-errors",
                "input-resource-errors",
            ] {
                x.leaf(t, 0);
            }
            x.close("input-error-list").open("output-error-list");
            for t in [
                "carrier-transitions",
                "output-errors",
                "output-collisions",
                "output-drops",
                "aged-packets",
                "mtu-errors",
                "hs-link-crc-errors",
                "output-fifo-errors",
                "output-resource-errors",
            ] {
                x.leaf(t, 0);
            }
            x.close("output-error-list").open("ethernet-mac-statistics");
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

fn system_uptime(state: &DeviceState) -> Pieces {
    let up = uptime(state);
    let now = unix_now();
    let booted = now.saturating_sub(up);
    let mut x = X::with_ns("system-uptime-information", "junos", None);
    x.open("current-time")
        .leaf_attr("date-time", "seconds", now, now_str())
        .close("current-time")
        .leaf("time-source", " LOCAL CLOCK ")
        .open("system-booted-time")
        .leaf_attr("date-time", "seconds", booted, "2026-11-18 18:33:12 UTC")
        .leaf_attr("time-length", "seconds", up, fmt_dur(up))
        .close("system-booted-time")
        .open("protocols-started-time")
        .leaf_attr(
            "date-time",
            "seconds",
            booted + 148,
            "2026-11-18 18:35:40 UTC",
        )
        .leaf_attr(
            "time-length",
            "seconds",
            up.saturating_sub(148),
            fmt_dur(up.saturating_sub(148)),
        )
        .close("protocols-started-time");
    let last = state
        .commits
        .last()
        .map_or("root".to_string(), |c| c.user.clone());
    x.open("last-configured-time")
        .leaf_attr(
            "date-time",
            "seconds",
            booted + 410,
            "2026-11-18 18:40:02 UTC",
        )
        .leaf_attr(
            "time-length",
            "seconds",
            up.saturating_sub(410),
            fmt_dur(up.saturating_sub(410)),
        )
        .leaf("user", last)
        .close("last-configured-time");
    uptime_information(&mut x, state, up, false);
    x.done("system-uptime-information")
}

fn uptime_information(x: &mut X, state: &DeviceState, up: u64, users: bool) {
    let n = state.sessions.len();
    x.open("uptime-information")
        .leaf_attr("date-time", "seconds", unix_now(), "10:37PM")
        .leaf_attr("up-time", "seconds", up, fmt_dur(up))
        .leaf_attr("active-user-count", "format", format!("{n} users"), n)
        .leaf("load-average-1", "0.21")
        .leaf("load-average-5", "0.18")
        .leaf("load-average-15", "0.16");
    x.open("user-table");
    if users {
        for (id, (user, client, _)) in &state.sessions {
            x.open("user-entry")
                .leaf("user", user)
                .leaf("tty", format!("pts/{id}"))
                .leaf("from", "127.0.0.1")
                .leaf_attr("login-time", "seconds", unix_now(), "10:37PM")
                .leaf_attr("idle-time", "seconds", 0, "-")
                .leaf("command", client)
                .close("user-entry");
        }
    }
    x.close("user-table").close("uptime-information");
}

fn system_users(state: &DeviceState) -> Pieces {
    let mut x = X::with_ns("system-users-information", "junos", None);
    uptime_information(&mut x, state, uptime(state), true);
    x.done("system-users-information")
}

fn system_memory() -> Pieces {
    let mut x = X::with_ns("system-memory-information", "junos-routing", None);
    x.open("system-memory-summary-information")
        .leaf("system-memory-total", "4057576")
        .leaf("system-memory-total-percent", "100%")
        .leaf("system-memory-reserved", "0")
        .leaf("system-memory-wired", "1112084")
        .leaf("system-memory-active", "1392740")
        .leaf("system-memory-inactive", "410584")
        .leaf("system-memory-cache", "0")
        .leaf("system-memory-free", "1142168")
        .leaf("system-memory-free-percent", "28%")
        .close("system-memory-summary-information");
    x.done("system-memory-information")
}

fn route_summary(spec: &DeviceSpec) -> Pieces {
    let up = spec.interfaces().iter().filter(|i| i.up).count() as u32;
    let direct = up + 2; // the up ge links, lo0 and fxp0
    let statics = (0..spec.route_count)
        .filter(|i| spec.synthetic_route(*i).protocol == "Static")
        .count() as u32;
    let ospf = spec.route_count - statics;
    let total = direct * 2 + statics + ospf;
    let mut x = X::with_ns("route-summary-information", "junos-routing", None);
    x.leaf("as-number", spec.autonomous_system())
        .leaf("router-id", spec.router_id())
        .open("route-table")
        .leaf("table-name", "inet.0")
        .leaf("destination-count", total)
        .leaf("total-route-count", total)
        .leaf("active-route-count", total)
        .leaf("holddown-route-count", 0)
        .leaf("hidden-route-count", 0);
    for (name, n) in [
        ("Direct", direct),
        ("Local", direct),
        ("OSPF", ospf),
        ("Static", statics),
    ] {
        x.open("protocols")
            .leaf("protocol-name", name)
            .leaf("protocol-route-count", n)
            .leaf("active-route-count", n)
            .close("protocols");
    }
    x.close("route-table");
    x.done("route-summary-information")
}

fn chassis_inventory(spec: &DeviceSpec) -> Pieces {
    let mut x = X::with_ns("chassis-inventory", "junos-chassis", None);
    x.open_style("chassis", "inventory")
        .leaf("name", "Chassis")
        .leaf("serial-number", &spec.serial)
        .leaf("description", "VMX");
    let module = |x: &mut X, name: &str, version: &str, part: &str, serial: &str, desc: &str| {
        x.leaf("name", name)
            .leaf("version", version)
            .leaf("part-number", part)
            .leaf("serial-number", serial)
            .leaf("description", desc);
    };
    x.open("chassis-module")
        .leaf("name", "Midplane")
        .close("chassis-module");
    x.open("chassis-module");
    module(&mut x, "Routing Engine 0", "", "", "", "RE-VMX");
    x.close("chassis-module");
    x.open("chassis-module");
    module(&mut x, "CB 0", "", "", "", "VMX SCB");
    x.close("chassis-module");
    x.open("chassis-module");
    module(&mut x, "FPC 0", "", "BUILTIN", "BUILTIN", "Virtual FPC");
    x.leaf("model-number", "VMX-FPC").leaf("clei-code", "");
    x.open("chassis-sub-module");
    module(&mut x, "CPU", "Rev. 1.0", "RIOT-LITE", "BUILTIN", "");
    x.close("chassis-sub-module");
    x.open("chassis-sub-module");
    module(&mut x, "MIC 0", "", "", "", "Virtual");
    for pic in 0..1 {
        x.open("chassis-sub-sub-module");
        module(
            &mut x,
            &format!("PIC {pic}"),
            "",
            "BUILTIN",
            "BUILTIN",
            "Virtual",
        );
        x.close("chassis-sub-sub-module");
    }
    x.close("chassis-sub-module").close("chassis-module");
    x.close("chassis");
    x.done("chassis-inventory")
}

fn route_engine(spec: &DeviceSpec, state: &DeviceState) -> Pieces {
    let up = uptime(state);
    let mut x = X::with_ns("route-engine-information", "junos-chassis", None);
    x.open("route-engine")
        .leaf("slot", 0)
        .leaf("mastership-state", "master")
        .leaf("mastership-priority", "master (default)")
        .leaf("status", "OK")
        .leaf_attr("temperature", "celsius", 34, "34 degrees C / 93 degrees F")
        .leaf_attr(
            "cpu-temperature",
            "celsius",
            34,
            "34 degrees C / 93 degrees F",
        )
        .leaf("memory-dram-size", "3968 MB")
        .leaf("memory-installed-size", "(4096 MB installed)")
        .leaf("memory-buffer-utilization", 31);
    for (suffix, values) in [
        ("", [2, 1, 0, 1, 96]),
        ("1", [3, 1, 0, 1, 95]),
        ("2", [2, 1, 0, 1, 96]),
        ("3", [2, 1, 0, 1, 96]),
    ] {
        for (name, v) in [
            "cpu-user",
            "cpu-background",
            "cpu-system",
            "cpu-interrupt",
            "cpu-idle",
        ]
        .iter()
        .zip(values)
        {
            x.leaf(&format!("{name}{suffix}"), v);
        }
    }
    x.leaf("model", "RE-VMX")
        .leaf("serial-number", &spec.serial)
        .leaf_attr(
            "start-time",
            "seconds",
            unix_now().saturating_sub(up),
            "2026-11-18 18:33:12 UTC",
        )
        .leaf_attr("up-time", "seconds", up, fmt_dur(up))
        .leaf(
            "last-reboot-reason",
            "Router rebooted after a normal shutdown.",
        )
        .leaf("load-average-one", "0.21")
        .leaf("load-average-five", "0.18")
        .leaf("load-average-fifteen", "0.16")
        .close("route-engine");
    x.done("route-engine-information")
}

fn ospf_interfaces(spec: &DeviceSpec) -> Pieces {
    let mut x = X::with_ns("ospf-interface-information", "junos-routing", None);
    for i in spec.interfaces().iter().filter(|i| i.up) {
        x.open("ospf-interface")
            .leaf("interface-name", format!("{}.0", i.name))
            .leaf("ospf-interface-state", "PtToPt")
            .leaf("ospf-area", "0.0.0.0")
            .leaf("dr-id", "0.0.0.0")
            .leaf("bdr-id", "0.0.0.0")
            .leaf("neighbor-count", 1)
            .close("ospf-interface");
    }
    x.open("ospf-interface")
        .leaf("interface-name", "lo0.0")
        .leaf("ospf-interface-state", "DRother")
        .leaf("ospf-area", "0.0.0.0")
        .leaf("dr-id", "0.0.0.0")
        .leaf("bdr-id", "0.0.0.0")
        .leaf("neighbor-count", 0)
        .close("ospf-interface");
    x.done("ospf-interface-information")
}

fn ospf_database(spec: &DeviceSpec) -> Pieces {
    let mut x = X::with_ns("ospf-database-information", "junos-routing", None);
    x.open("ospf-area-header")
        .leaf("ospf-area", "0.0.0.0")
        .close("ospf-area-header");
    let ifaces = spec.interfaces();
    let ids = std::iter::once(spec.router_id())
        .chain(ifaces.iter().filter(|i| i.up).map(|i| i.neighbor_id));
    for (k, id) in ids.enumerate() {
        x.open("ospf-database")
            .leaf("lsa-type", "Router")
            .leaf("lsa-id", id)
            .leaf("advertising-router", id)
            .leaf("sequence-number", "0x80000a3c")
            .leaf("age", 412 + 97 * k)
            .leaf("options", "0x22")
            .leaf("checksum", "0x5d2a")
            .leaf("lsa-length", 84);
        if k == 0 {
            x.flag("our-entry");
        }
        x.close("ospf-database");
    }
    x.done("ospf-database-information")
}

fn ospf_neighbors(spec: &DeviceSpec) -> Pieces {
    let mut x = X::with_ns("ospf-neighbor-information", "junos-routing", None);
    for i in spec.interfaces().iter().filter(|i| i.up) {
        x.open("ospf-neighbor")
            .leaf("neighbor-address", i.neighbor)
            .leaf("interface-name", format!("{}.0", i.name))
            .leaf("ospf-neighbor-state", "Full")
            .leaf("neighbor-id", i.neighbor_id)
            .leaf("neighbor-priority", 128)
            .leaf("activity-timer", 36)
            .close("ospf-neighbor");
    }
    x.done("ospf-neighbor-information")
}

fn lldp(spec: &DeviceSpec) -> Pieces {
    let mut x = X::with_ns("lldp-neighbors-information", "junos-lldp", Some("brief"));
    for (k, i) in spec.interfaces().iter().filter(|i| i.up).enumerate() {
        x.open("lldp-neighbor-information")
            .leaf("lldp-local-port-id", &i.name)
            .leaf("lldp-local-parent-interface-name", "-")
            .leaf("lldp-remote-chassis-id-subtype", "Mac address")
            .leaf(
                "lldp-remote-chassis-id",
                format!("56:68:a{}:00:{:02x}:00", (spec.index + 1) % 10, k),
            )
            .leaf("lldp-remote-port-id-subtype", "Interface name")
            .leaf("lldp-remote-port-id", &i.name)
            .leaf("lldp-remote-port-description", &i.name)
            .leaf("lldp-remote-system-name", format!("r{}", spec.index + 2))
            .close("lldp-neighbor-information");
    }
    x.done("lldp-neighbors-information")
}

fn bfd(spec: &DeviceSpec) -> Pieces {
    let up: Vec<_> = spec.interfaces().into_iter().filter(|i| i.up).collect();
    let mut x = X::with_ns("bfd-session-information", "junos-routing", None);
    for (k, i) in up.iter().enumerate() {
        x.open("bfd-session")
            .leaf("session-neighbor", i.neighbor)
            .leaf("session-state", "Up")
            .leaf("session-interface", format!("{}.0", i.name))
            .leaf("session-detection-time", "0.900")
            .leaf("session-transmission-interval", "0.300")
            .leaf("session-adaptive-multiplier", 3)
            .open("bfd-client")
            .leaf("client-name", "OSPF")
            .leaf("client-transmission-interval", "0.300")
            .leaf("client-reception-interval", "0.300")
            .close("bfd-client")
            .leaf("session-type", "Single hop BFD")
            .leaf("session-version", 1)
            .leaf("local-diagnostic", "None")
            .leaf("remote-diagnostic", "None")
            .leaf("remote-state", "Up")
            .leaf("minimum-asynchronous-interval", "0.300")
            .leaf("minimum-slow-interval", "1.000")
            .leaf("adaptive-asynchronous-transmission-interval", "0.300")
            .leaf("adaptive-reception-interval", "0.300")
            .leaf("minimum-transmission-interval", "0.300")
            .leaf("minimum-reception-interval", "0.300")
            .leaf("detection-multiplier", 3)
            .leaf("neighbor-minimum-transmission-interval", "0.300")
            .leaf("neighbor-minimum-reception-interval", "0.300")
            .leaf("neighbor-session-multiplier", 3)
            .leaf("local-discriminator", 17 + k)
            .leaf("remote-discriminator", 33 + k)
            .leaf("echo-mode-desired", "disabled")
            .leaf("echo-mode-state", "inactive")
            .flag("no-refresh")
            .flag("no-absorb")
            .close("bfd-session");
    }
    x.leaf("sessions", up.len())
        .leaf("clients", up.len())
        .leaf(
            "cumulative-transmission-rate",
            format!("{:.1}", up.len() as f64 * 3.3),
        )
        .leaf(
            "cumulative-reception-rate",
            format!("{:.1}", up.len() as f64 * 3.3),
        );
    x.done("bfd-session-information")
}

fn arp(spec: &DeviceSpec) -> Pieces {
    let mut x = X::with_ns("arp-table-information", "junos-arp", Some("normal"));
    let mut n = 0;
    for (k, i) in spec.interfaces().iter().filter(|i| i.up).enumerate() {
        x.open("arp-table-entry")
            .leaf(
                "mac-address",
                format!("56:68:a{}:00:{:02x}:01", (spec.index + 1) % 10, k),
            )
            .leaf("ip-address", i.neighbor)
            .leaf("hostname", i.neighbor)
            .leaf("interface-name", format!("{}.0", i.name))
            .open("arp-table-entry-flags")
            .flag("none")
            .close("arp-table-entry-flags")
            .close("arp-table-entry");
        n += 1;
    }
    let gw = Ipv4Addr::new(192, 168, 255, 254);
    x.open("arp-table-entry")
        .leaf("mac-address", "56:68:a0:ff:ff:fe")
        .leaf("ip-address", gw)
        .leaf("hostname", gw)
        .leaf("interface-name", "fxp0.0")
        .open("arp-table-entry-flags")
        .flag("none")
        .close("arp-table-entry-flags")
        .close("arp-table-entry");
    n += 1;
    x.leaf("arp-entry-count", n);
    x.done("arp-table-information")
}

fn bgp_summary(spec: &DeviceSpec) -> Pieces {
    let peers = spec.bgp_peers();
    let mut x = X::with_ns("bgp-information", "junos-routing", None);
    x.leaf("group-count", 1)
        .leaf("peer-count", peers.len())
        .leaf("down-peer-count", 0)
        .open("bgp-rib")
        .leaf("name", "inet.0")
        .leaf("total-prefix-count", peers.len() * 10)
        .leaf("received-prefix-count", peers.len() * 10)
        .leaf("accepted-prefix-count", peers.len() * 10)
        .leaf("active-prefix-count", 0)
        .leaf("suppressed-prefix-count", 0)
        .leaf("history-prefix-count", 0)
        .leaf("damped-prefix-count", 0)
        .leaf("total-external-prefix-count", 0)
        .leaf("active-external-prefix-count", 0)
        .leaf("accepted-external-prefix-count", 0)
        .leaf("suppressed-external-prefix-count", 0)
        .leaf("total-internal-prefix-count", peers.len() * 10)
        .leaf("active-internal-prefix-count", 0)
        .leaf("accepted-internal-prefix-count", peers.len() * 10)
        .leaf("suppressed-internal-prefix-count", 0)
        .leaf("pending-prefix-count", 0)
        .leaf("bgp-rib-state", "BGP restart is complete")
        .close("bgp-rib");
    for p in &peers {
        x.open_style("bgp-peer", "terse")
            .leaf("peer-address", p)
            .leaf("peer-as", spec.autonomous_system())
            .leaf("input-messages", 3312)
            .leaf("output-messages", 3305)
            .leaf("route-queue-count", 0)
            .leaf("flap-count", 0)
            .leaf_attr("elapsed-time", "seconds", 273_600, "3d 4:00:00")
            .leaf("peer-state", "Established")
            .open("bgp-rib")
            .leaf("name", "inet.0")
            .leaf("active-prefix-count", 0)
            .leaf("received-prefix-count", 10)
            .leaf("accepted-prefix-count", 10)
            .leaf("suppressed-prefix-count", 0)
            .close("bgp-rib")
            .close("bgp-peer");
    }
    x.done("bgp-information")
}

fn bgp_neighbors(spec: &DeviceSpec, only: Option<Ipv4Addr>) -> Pieces {
    let mut x = X::with_ns("bgp-information", "junos-routing", None);
    for p in spec
        .bgp_peers()
        .into_iter()
        .filter(|p| only.is_none_or(|o| o == *p))
    {
        x.open("bgp-peer")
            .leaf("peer-address", format!("{p}+179"))
            .leaf("peer-as", spec.autonomous_system())
            .leaf("local-address", format!("{}+54321", spec.router_id()))
            .leaf("local-as", spec.autonomous_system())
            .leaf("peer-group", "ibgp")
            .leaf("peer-type", "Internal")
            .leaf("peer-state", "Established")
            .leaf("peer-flags", "Sync")
            .leaf("last-state", "OpenConfirm")
            .leaf("last-event", "RecvKeepAlive")
            .leaf("last-error", "None")
            .open("bgp-option-information")
            .leaf("export-policy", "")
            .leaf("bgp-options", "Preference LocalAddress Refresh")
            .leaf("address-families", "inet-unicast")
            .leaf("local-address", spec.router_id())
            .leaf("holdtime", 90)
            .leaf("preference", 170)
            .close("bgp-option-information")
            .leaf("flap-count", 0)
            .leaf("peer-id", p)
            .leaf("local-id", spec.router_id())
            .leaf("active-holdtime", 90)
            .leaf("keepalive-interval", 30)
            .leaf("peer-index", 0)
            .open("bgp-rib")
            .leaf("name", "inet.0")
            .leaf("rib-bit", "10000")
            .leaf("bgp-rib-state", "BGP restart is complete")
            .leaf("active-prefix-count", 0)
            .leaf("received-prefix-count", 10)
            .leaf("accepted-prefix-count", 10)
            .leaf("suppressed-prefix-count", 0)
            .leaf("advertised-prefix-count", 10)
            .close("bgp-rib")
            .leaf("last-received", 12)
            .leaf("last-sent", 8)
            .leaf("last-checked", 273_600)
            .leaf("input-messages", 3312)
            .leaf("input-updates", 3)
            .leaf("output-messages", 3305)
            .leaf("output-updates", 2)
            .close("bgp-peer");
    }
    x.done("bgp-information")
}

fn route_entry_xml(s: &mut String, r: &Route, style: &str) {
    let _ = write!(s, "<rt junos:style=\"{style}\">\n<rt-destination>{}/{}</rt-destination>\n<rt-entry>\n<active-tag>*</active-tag>\n<current-active/>\n<last-active/>\n<protocol-name>{}</protocol-name>\n<preference>{}</preference>\n<age junos:seconds=\"{}\">{}</age>\n<metric>{}</metric>\n<nh>\n<selected-next-hop/>\n{}<via>{}</via>\n</nh>\n",
        r.prefix, r.len, r.protocol, r.preference, r.age_s, fmt_age(r.age_s), r.metric,
        if r.next_hop.is_unspecified() { String::new() } else { format!("<to>{}</to>\n", r.next_hop) }, r.via);
    if style == "detail" {
        let _ = write!(s, "<rt-entry-state>Active Int Ext</rt-entry-state>\n<task-name>{}</task-name>\n<announce-bits>2</announce-bits>\n<announce-tasks>0-KRT 2-Resolve tree 1</announce-tasks>\n<validation-state>unverified</validation-state>\n<as-path>I</as-path>\n", r.protocol);
    }
    s.push_str("</rt-entry>\n</rt>\n");
}

fn route_xml(
    spec: &DeviceSpec,
    dest: Option<Ipv4Addr>,
    style: &'static str,
    table: Option<String>,
    protocol: Option<String>,
) -> Pieces {
    let open = format!("<route-information xmlns=\"{NS}/junos-routing\">\n");
    if !table_matches(&table) {
        return one(open + "</route-information>\n");
    }
    let head = |n: usize| {
        format!(
            "<route-table>\n<table-name>inet.0</table-name>\n<destination-count>{n}</destination-count>\n<total-route-count>{n}</total-route-count>\n<active-route-count>{n}</active-route-count>\n<holddown-route-count>0</holddown-route-count>\n<hidden-route-count>0</hidden-route-count>\n"
        )
    };
    let close = "</route-table>\n</route-information>\n".to_string();
    match dest {
        Some(d) => {
            let routes: Vec<Route> = spec
                .lookup(d)
                .into_iter()
                .filter(|r| proto_matches(r, &protocol))
                .collect();
            let mut s = open + &head(routes.len());
            for r in &routes {
                route_entry_xml(&mut s, r, style);
            }
            s.push_str(&close);
            one(s)
        }
        None => {
            let spec = spec.clone();
            let n = spec.route_count;
            let total = spec.route_count as usize;
            Box::new(
                std::iter::once(open + &head(total))
                    .chain((0..n).step_by(500).map(move |start| {
                        let mut s = String::with_capacity(500 * 300);
                        for i in start..(start + 500).min(n) {
                            let r = spec.synthetic_route(i);
                            if proto_matches(&r, &protocol) {
                                route_entry_xml(&mut s, &r, style);
                            }
                        }
                        s
                    }))
                    .chain(std::iter::once(close)),
            )
        }
    }
}
