//! Operational RPCs: which [`Show`] each one asks for, with its arguments, and how long
//! the routing engine works on it.

use std::net::Ipv4Addr;

use netconf_wire::{Element, RpcError};

use super::parse::parse_dest;
use super::{Level, Show};

/// The operational RPCs with arguments the simulator answers (the argument-free ones are
/// in [`super::table`], the joint ones in [`super::joint`]). The arguments each takes come
/// from Junos's published RPC schema ([`crate::schema::rpc_args`]); any other is refused
/// with Junos's `syntax error` naming it. `format` and the namespace are attributes,
/// always allowed.
const WITH_ARGUMENTS: &[&str] = &[
    "get-interface-information",
    "get-arp-table-information",
    "get-bgp-neighbor-information",
    "get-route-information",
    "get-forwarding-table-information",
    "get-bridge-mac-table",
    "get-lldp-interface-neighbors-information",
    "get-lldp-interface-neighbors",
    "ping",
    "traceroute",
];

/// Every operational RPC the simulator answers (the configuration RPCs aside): what
/// `docs/junos.md` lists, one row each.
pub fn served_rpcs() -> impl Iterator<Item = &'static str> {
    super::table::rpcs()
        .chain(WITH_ARGUMENTS.iter().copied())
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
        if plain.is_none() && !WITH_ARGUMENTS.contains(&op.name.as_str()) && joint.is_none() {
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
        if let Some(show) = plain {
            return Ok(Some(show));
        }
        let text = |what: &str| super::arg_text(op, what);
        Ok(Some(match op.name.as_str() {
            "get-interface-information" => Show::Interfaces {
                name: text("interface-name"),
                level,
            },
            "get-arp-table-information" => Show::Arp {
                expiration: op.has("expiration-time"),
            },
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
            "get-bridge-mac-table" => Show::BridgeMacTable {
                count: op.has("count"),
            },
            "get-lldp-interface-neighbors-information" => Show::LldpDetail {
                interface: text("interface-name"),
            },
            "get-lldp-interface-neighbors" => Show::LldpDetail {
                interface: text("interface-device"),
            },
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
