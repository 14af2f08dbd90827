//! Operational RPCs: which [`Show`] each one asks for, with its arguments, and how long
//! the routing engine works on it.

use std::net::Ipv4Addr;

use netconf_wire::{Element, RpcError};

use super::parse::parse_dest;
use super::{Level, Show};

/// The operational RPCs the simulator answers. The arguments each takes come from
/// Junos's published RPC schema ([`crate::schema::rpc_args`]); any other is refused
/// with Junos's `syntax error` naming it. `format` and the namespace are attributes,
/// always allowed.
const SERVED: &[&str] = &[
    "get-software-information",
    "get-interface-information",
    "get-chassis-inventory",
    "get-route-engine-information",
    "get-system-uptime-information",
    "get-system-users-information",
    "get-system-information",
    "get-system-memory-information",
    "get-system-alarm-information",
    "get-system-storage",
    "get-alarm-information",
    "get-route-summary-information",
    "get-ospf-interface-information",
    "get-ospf-neighbor-information",
    "get-ospf-database-information",
    "get-ospf-overview-information",
    "get-fpc-information",
    "get-lldp-neighbors-information",
    "get-bfd-session-information",
    "get-arp-table-information",
    "get-bgp-summary-information",
    "get-bgp-neighbor-information",
    "get-route-information",
    "get-forwarding-table-information",
    "get-environment-information",
    "get-temperature-threshold-information",
    "get-power-usage-information-detail",
    "get-instance-information",
    "get-bridge-mac-table",
    "get-ipv6-nd-information",
    "get-commit-information",
    "get-lldp-interface-neighbors-information",
    "get-lldp-interface-neighbors",
    "get-interface-optics-diagnostics-information",
    "get-probe-results",
    "get-bridge-instance-information",
    "ping",
    "traceroute",
];

/// Every operational RPC the simulator answers (the configuration RPCs aside): what
/// `docs/junos.md` lists, one row each.
pub fn served_rpcs() -> impl Iterator<Item = &'static str> {
    SERVED.iter().chain(super::joint::RPCS).copied()
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
        if !SERVED.contains(&op.name.as_str()) && joint.is_none() {
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
        let dest = |what: &str| -> Result<Option<Ipv4Addr>, Box<RpcError>> {
            // An empty argument (`<neighbor-address/>`, as NAPALM sends it) is none.
            match op.child_text(what).map(str::trim).filter(|d| !d.is_empty()) {
                None => Ok(None),
                Some(d) => parse_dest(d)
                    .map(Some)
                    .ok_or_else(|| Box::new(bad_value(what, d))),
            }
        };
        if let Some(joint) = joint {
            return joint.map(|j| Some(Show::Joint(j)));
        }
        let text = |what: &str| super::arg_text(op, what);
        Ok(Some(match op.name.as_str() {
            "get-software-information" => Show::Version,
            "get-interface-information" => Show::Interfaces {
                name: text("interface-name"),
                level,
            },
            "get-chassis-inventory" => Show::ChassisHardware,
            "get-route-engine-information" => Show::RouteEngine,
            "get-system-uptime-information" => Show::SystemUptime,
            "get-system-users-information" => Show::SystemUsers,
            "get-system-information" => Show::SystemInformation,
            "get-system-memory-information" => Show::SystemMemory,
            "get-system-alarm-information" => Show::SystemAlarms,
            "get-system-storage" => Show::SystemStorage,
            "get-alarm-information" => Show::ChassisAlarms,
            "get-route-summary-information" => Show::RouteSummary,
            "get-ospf-interface-information" => Show::OspfInterface,
            "get-ospf-neighbor-information" => Show::OspfNeighbor,
            "get-ospf-overview-information" => Show::OspfOverview,
            "get-fpc-information" => Show::ChassisFpc,
            "get-ospf-database-information" => Show::OspfDatabase,
            "get-lldp-neighbors-information" => Show::LldpNeighbors,
            "get-bfd-session-information" => Show::BfdSessions,
            "get-arp-table-information" => Show::Arp {
                expiration: op.has("expiration-time"),
            },
            "get-bgp-summary-information" => Show::BgpSummary,
            "get-bgp-neighbor-information" => Show::BgpNeighbor(dest("neighbor-address")?),
            "get-route-information" if op.has("summary") => Show::RouteSummary,
            "get-route-information" => {
                let dest = dest("destination")?;
                Show::Route {
                    dest,
                    extensive: matches!(level, Level::Detail | Level::Extensive),
                    table: text("table"),
                    protocol: text("protocol").map(|p| p.to_ascii_lowercase()),
                    terse: level == Level::Terse,
                }
            }
            "get-forwarding-table-information" => Show::ForwardingTable {
                dest: dest("destination")?,
            },
            "get-environment-information" => Show::ChassisEnvironment,
            "get-temperature-threshold-information" => Show::TemperatureThresholds,
            "get-power-usage-information-detail" => Show::PowerUsage,
            "get-instance-information" => Show::RouteInstance,
            "get-bridge-mac-table" => Show::BridgeMacTable {
                count: op.has("count"),
            },
            "get-ipv6-nd-information" => Show::Ipv6Neighbors,
            "get-commit-information" => Show::SystemCommit,
            "get-lldp-interface-neighbors-information" => Show::LldpDetail {
                interface: text("interface-name"),
            },
            "get-lldp-interface-neighbors" => Show::LldpDetail {
                interface: text("interface-device"),
            },
            "get-interface-optics-diagnostics-information" => Show::Optics,
            "get-probe-results" => Show::ProbeResults,
            "get-bridge-instance-information" => Show::BridgeInstances,
            "ping" | "traceroute" => {
                let host = match text("host").map(|h| h.parse::<Ipv4Addr>()) {
                    Some(Ok(h)) => h,
                    Some(Err(_)) => {
                        return Err(Box::new(bad_value(
                            "host",
                            &text("host").unwrap_or_default(),
                        )))
                    }
                    None => {
                        return Err(Box::new(
                            RpcError::new(
                                "protocol",
                                "missing-element",
                                "missing mandatory argument",
                            )
                            .with_info("bad-element", "host"),
                        ))
                    }
                };
                if op.name == "ping" {
                    let count = match text("count") {
                        Some(c) => c.parse().map_err(|_| Box::new(bad_value("count", &c)))?,
                        None => 5,
                    };
                    Show::Ping { host, count }
                } else {
                    Show::Traceroute { host }
                }
            }
            _ => return Ok(None),
        }))
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
