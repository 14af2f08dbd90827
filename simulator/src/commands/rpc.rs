//! Operational RPCs: which [`Show`] each one asks for, with its arguments, and how long
//! the routing engine works on it.

use std::net::Ipv4Addr;

use netconf_wire::{Element, RpcError};

use super::parse::parse_dest;
use super::{Level, Show};

/// An RPC with arguments, as its parser sees it.
struct Args<'a> {
    op: &'a Element,
    /// `terse`, `brief`, `detail` or `extensive` (the last given).
    level: Level,
}

impl Args<'_> {
    fn has(&self, what: &str) -> bool {
        self.op.has(what)
    }

    /// An argument's text, trimmed (`None` when absent or empty).
    fn text(&self, what: &str) -> Option<String> {
        super::arg_text(self.op, what)
    }

    /// An address argument (`None` when absent or empty, as NAPALM sends
    /// `<neighbor-address/>`); a malformed one is Junos's `invalid value`.
    fn dest(&self, what: &str) -> Result<Option<Ipv4Addr>, Box<RpcError>> {
        match self.text(what) {
            None => Ok(None),
            Some(d) => parse_dest(&d)
                .map(Some)
                .ok_or_else(|| Box::new(bad_value(what, &d))),
        }
    }

    /// The mandatory `host` of `ping` and `traceroute`.
    fn host(&self) -> Result<Ipv4Addr, Box<RpcError>> {
        let host = self.text("host").ok_or_else(|| {
            Box::new(
                RpcError::new("protocol", "missing-element", "missing mandatory argument")
                    .with_info("bad-element", "host"),
            )
        })?;
        host.parse().map_err(|_| Box::new(bad_value("host", &host)))
    }
}

type Parse = fn(&Args) -> Result<Show, Box<RpcError>>;

/// The operational RPCs with arguments the simulator answers, one entry each: the RPC and
/// how its arguments make the command (the argument-free ones are in [`super::table`], the
/// joint ones in [`super::joint`]). The arguments each takes come from Junos's published
/// RPC schema ([`crate::schema::rpc_args`]); any other is refused with Junos's
/// `syntax error` naming it. `format` and the namespace are attributes, always allowed.
const WITH_ARGUMENTS: &[(&str, Parse)] = &[
    ("get-interface-information", |a| {
        Ok(Show::Interfaces {
            name: a.text("interface-name"),
            level: a.level,
        })
    }),
    ("get-arp-table-information", |a| {
        Ok(Show::Arp {
            expiration: a.has("expiration-time"),
        })
    }),
    ("get-bgp-neighbor-information", |a| {
        Ok(Show::BgpNeighbor(a.dest("neighbor-address")?))
    }),
    ("get-route-information", |a| {
        if a.has("summary") {
            return Ok(Show::RouteSummary);
        }
        Ok(Show::Route {
            dest: a.dest("destination")?,
            extensive: matches!(a.level, Level::Detail | Level::Extensive),
            table: a.text("table"),
            protocol: a.text("protocol").map(|p| p.to_ascii_lowercase()),
            terse: a.level == Level::Terse,
        })
    }),
    ("get-forwarding-table-information", |a| {
        Ok(Show::ForwardingTable {
            dest: a.dest("destination")?,
        })
    }),
    ("get-bridge-mac-table", |a| {
        Ok(Show::BridgeMacTable {
            count: a.has("count"),
        })
    }),
    ("get-lldp-interface-neighbors-information", |a| {
        Ok(Show::LldpDetail {
            interface: a.text("interface-name"),
        })
    }),
    ("get-lldp-interface-neighbors", |a| {
        Ok(Show::LldpDetail {
            interface: a.text("interface-device"),
        })
    }),
    ("ping", |a| {
        let host = a.host()?;
        let count = match a.text("count") {
            Some(c) => c.parse().map_err(|_| Box::new(bad_value("count", &c)))?,
            None => 5,
        };
        Ok(Show::Ping { host, count })
    }),
    ("traceroute", |a| Ok(Show::Traceroute { host: a.host()? })),
];

/// Every operational RPC the simulator answers (the configuration RPCs aside): what
/// `docs/junos.md` lists, one row each.
pub fn served_rpcs() -> impl Iterator<Item = &'static str> {
    super::table::rpcs()
        .chain(WITH_ARGUMENTS.iter().map(|(rpc, _)| *rpc))
        .chain(super::joint::RPCS.iter().copied())
}

impl Show {
    /// The command a Junos RPC asks for, with its arguments (`interface-name`,
    /// `destination`, `table`, `protocol`, the output level); `Ok(None)` when the RPC is
    /// not an operational command. An argument the RPC does not take is Junos's
    /// `syntax error` naming it.
    pub fn from_rpc(op: &Element) -> Result<Option<Show>, Box<RpcError>> {
        let level = ["terse", "brief", "detail", "extensive"]
            .into_iter()
            .filter(|l| op.has(l))
            .filter_map(Level::from_word)
            .next_back()
            .unwrap_or_default();
        let joint = super::Joint::from_rpc(op, level);
        let plain = super::table::by_rpc(&op.name);
        let with_arguments = WITH_ARGUMENTS
            .iter()
            .find(|(rpc, _)| *rpc == op.name)
            .map(|(_, parse)| parse);
        if plain.is_none() && with_arguments.is_none() && joint.is_none() {
            return Ok(None);
        }
        let unpublished = super::joint::UNPUBLISHED_ARGS
            .iter()
            .find(|(rpc, _)| *rpc == op.name)
            .map_or(&[][..], |(_, args)| *args);
        if let Some(bad) = op.children.iter().find(|c| {
            !crate::schema::rpc_takes(&op.name, &c.name) && !unpublished.contains(&c.name.as_str())
        }) {
            return Err(Box::new(
                RpcError::new("protocol", "operation-failed", "syntax error")
                    .with_info("bad-element", bad.name.clone()),
            ));
        }
        if let Some(joint) = joint {
            return joint.map(|j| Some(Show::Joint(j)));
        }
        if let Some(show) = plain {
            return Ok(Some(show));
        }
        with_arguments.map_or(Ok(None), |parse| parse(&Args { op, level }).map(Some))
    }

    /// How long a vMX routing engine works on this command, in milliseconds (scaled by
    /// the profile; see `profile.rs` for the sources).
    pub fn service_ms(&self) -> u64 {
        // The seed commands' weights follow the published per-command rows (the table
        // and its derivation are in profile.rs).
        match self {
            Show::OspfInterface => 65,
            Show::OspfDatabase => 26,
            Show::OspfNeighbor => 24,
            Show::Route {
                dest: Some(_),
                extensive: false,
                ..
            } => 163,
            Show::ChassisHardware => 26,
            Show::Route {
                dest: Some(_),
                extensive: true,
                ..
            } => 25,
            Show::ForwardingTable { .. } => 431,
            Show::Route { dest: None, .. } => 400,
            // Every other command by name, so that a new one is given a weight (the
            // compiler asks): the published rows do not time these.
            Show::Version
            | Show::Interfaces { .. }
            | Show::SystemUptime
            | Show::SystemUsers
            | Show::SystemInformation
            | Show::SystemMemory
            | Show::SystemStorage
            | Show::SystemAlarms
            | Show::ChassisAlarms
            | Show::RouteSummary
            | Show::RouteEngine
            | Show::OspfOverview
            | Show::ChassisFpc
            | Show::LldpNeighbors
            | Show::BfdSessions
            | Show::Arp { .. }
            | Show::BgpSummary
            | Show::BgpNeighbor(_)
            | Show::Configuration(_)
            | Show::ChassisEnvironment
            | Show::TemperatureThresholds
            | Show::PowerUsage
            | Show::RouteInstance
            | Show::BridgeMacTable { .. }
            | Show::Ipv6Neighbors
            | Show::SystemCommit
            | Show::LldpDetail { .. }
            | Show::Optics
            | Show::ProbeResults
            | Show::BridgeInstances
            | Show::NtpAssociations
            | Show::Ping { .. }
            | Show::Traceroute { .. } => super::UNTIMED_MS,
            Show::Joint(j) => j.service_ms(),
        }
    }
}

fn bad_value(what: &str, value: &str) -> RpcError {
    RpcError::new(
        "protocol",
        "invalid-value",
        format!("invalid value for {what}: {value}"),
    )
    .with_info("bad-element", what)
}
