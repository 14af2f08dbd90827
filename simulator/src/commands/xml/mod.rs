//! Commands rendered as the XML Junos returns for their RPCs, in the element structure
//! real Junos replies have (learned from public captures; the paths every reply must
//! hold are kept as data in `tests/shapes/junos-replies.toml` and tested).

use std::fmt::Display;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use netconf_wire::escape_text;

use super::{config_at, nh, now_str, one, route_total, unix_now, Pieces, Show};
use crate::spec::DeviceSpec;
use crate::state::DeviceState;

mod interfaces;
mod probes;
mod routing;
mod system;

use interfaces::interfaces;

pub(crate) mod chassis;
use routing::{
    bfd, bgp_neighbors, bgp_summary, ospf_database, ospf_interfaces, ospf_neighbors, route_summary,
    route_xml,
};
mod neighbors;
use neighbors::{arp, lldp};
pub(crate) use neighbors::{arp_time_to_expire, ipv6_nd_text};
use system::{chassis_inventory, route_engine, system_memory, system_uptime, system_users};

pub(super) const NS: &str = "http://xml.juniper.net/junos/21.4R0";

/// File systems of a vMX routing engine: (name, 1 KiB blocks, used, mount point).
pub(super) const STORAGE: [(&str, u64, u64, &str); 4] = [
    ("/dev/gpt/junos", 20_307_196, 1_483_724, "/.mount"),
    ("/dev/gpt/config", 1_453_920, 2_132, "/.mount/config"),
    ("/dev/gpt/var", 11_058_488, 1_034_236, "/.mount/var"),
    ("tmpfs", 3_523_812, 14_380, "/.mount/tmp"),
];

/// A small writer of Junos-style XML (one element a line, values escaped).
#[derive(Default)]
pub(super) struct X(String);

impl X {
    pub(super) fn with_ns(root: &str, ns: &str, style: Option<&str>) -> X {
        let mut x = X::default();
        let _ = write!(x.0, "<{root} xmlns=\"{NS}/{ns}\"");
        if let Some(s) = style {
            let _ = write!(x.0, " junos:style=\"{s}\"");
        }
        x.0.push_str(">\n");
        x
    }
    pub(super) fn open(&mut self, tag: &str) -> &mut Self {
        let _ = writeln!(self.0, "<{tag}>");
        self
    }
    pub(super) fn open_style(&mut self, tag: &str, style: &str) -> &mut Self {
        let _ = writeln!(self.0, "<{tag} junos:style=\"{style}\">");
        self
    }
    pub(super) fn close(&mut self, tag: &str) -> &mut Self {
        let _ = writeln!(self.0, "</{tag}>");
        self
    }
    pub(super) fn leaf(&mut self, tag: &str, v: impl Display) -> &mut Self {
        let v = v.to_string();
        let _ = writeln!(self.0, "<{tag}>{}</{tag}>", escape_text(&v));
        self
    }
    /// A leaf with one attribute (`<date-time junos:seconds="...">`, `<file-date format="...">`).
    pub(super) fn leaf_attr(
        &mut self,
        tag: &str,
        attr: &str,
        av: impl Display,
        v: impl Display,
    ) -> &mut Self {
        let v = v.to_string();
        let av = av.to_string();
        let _ = writeln!(
            self.0,
            "<{tag} {attr}=\"{}\">{}</{tag}>",
            escape_text(&av),
            escape_text(&v)
        );
        self
    }
    /// Markup written as it is (already escaped).
    pub(super) fn raw(&mut self, markup: &str) -> &mut Self {
        self.0.push_str(markup);
        self
    }
    pub(super) fn flag(&mut self, tag: &str) -> &mut Self {
        let _ = writeln!(self.0, "<{tag}/>");
        self
    }
    pub(super) fn leaves(&mut self, pairs: &[(&str, &dyn Display)]) -> &mut Self {
        for (t, v) in pairs {
            self.leaf(t, v);
        }
        self
    }
    pub(super) fn done(mut self, root: &str) -> Pieces {
        let _ = writeln!(self.0, "</{root}>");
        one(self.0)
    }
}

/// Render a command as the XML Junos returns for its RPC (the reply's children).
pub fn render_xml(show: &Show, spec: &DeviceSpec, state: &DeviceState) -> Pieces {
    match show {
        Show::Version => version(spec, state),
        Show::Interfaces { name, level } => {
            interfaces(spec, &state.running, name.as_deref(), *level)
        }
        Show::SystemUptime => system_uptime(state),
        Show::SystemInformation => {
            let mut x = X::default();
            x.open("system-information").leaves(&[
                ("hardware-model", &spec.model),
                ("os-name", &"junos"),
                ("os-version", &spec.version),
                ("serial-number", &spec.serial),
                ("host-name", &state.host_name(spec)),
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
                .leaf_attr("alarm-time", "junos:seconds", unix_now() - 3600, now_str())
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
        Show::OspfOverview => routing::ospf_overview(spec),
        Show::ChassisFpc => chassis::fpc(),
        Show::LldpNeighbors => lldp(spec),
        Show::BfdSessions => bfd(spec),
        Show::Arp { expiration } => arp(spec, *expiration),
        Show::BgpSummary => bgp_summary(spec, &state.running),
        Show::BgpNeighbor(addr) => bgp_neighbors(spec, &state.running, *addr),
        route @ Show::Route { .. } => route_xml(spec, route),
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
        Show::ChassisEnvironment => chassis::environment(),
        Show::TemperatureThresholds => chassis::temperature_thresholds(),
        Show::PowerUsage => chassis::power_usage(),
        Show::RouteInstance => chassis::instance_information(state, route_total(spec)),
        Show::BridgeMacTable { count } => chassis::bridge_mac_table(*count),
        Show::Ipv6Neighbors => neighbors::ipv6_nd(spec, &state.running),
        Show::SystemCommit => chassis::commit_information(state),
        Show::LldpDetail { interface } => neighbors::lldp_detail(spec, interface.as_deref()),
        Show::Optics => interfaces::optics(),
        Show::ProbeResults => probes::probe_results(spec, &state.running),
        Show::BridgeInstances => interfaces::bridge_instances(),
        Show::NtpAssociations => one(super::output_element(&chassis::ntp_associations(state))),
        Show::Ping { host, count } => probes::ping(spec, *host, *count),
        Show::Traceroute { host } => probes::traceroute(spec, *host),
        Show::Joint(joint) => joint.render(spec, state, true),
        Show::Configuration(path) => one(format!(
            "<configuration junos:commit-seconds=\"{}\">\n{}\n</configuration>\n",
            unix_now(),
            config_at(state, path).to_xml()
        )),
    }
}

fn version(spec: &DeviceSpec, state: &DeviceState) -> Pieces {
    let mut x = X::default();
    x.open("software-information").leaves(&[
        ("host-name", &state.host_name(spec)),
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
