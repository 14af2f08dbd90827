//! Operational RPCs: which [`Show`] each one asks for, with its arguments, and how long
//! the routing engine works on it.

use std::net::Ipv4Addr;

use netconf_wire::{Element, RpcError};

use super::parse::parse_dest;
use super::{Level, Show};

/// The arguments each operational RPC takes (child elements); any other is refused with
/// Junos's `syntax error` naming it. `format` and the namespace are attributes, always
/// allowed.
const RPC_ARGS: &[(&str, &[&str])] = &[
    ("get-software-information", &["brief", "detail"]),
    (
        "get-interface-information",
        &[
            "interface-name",
            "terse",
            "brief",
            "detail",
            "extensive",
            "media",
            "statistics",
            "descriptions",
            "snmp-index",
        ],
    ),
    (
        "get-chassis-inventory",
        &["detail", "extensive", "models", "clei-models"],
    ),
    ("get-route-engine-information", &["slot", "detail", "bios"]),
    ("get-system-uptime-information", &[]),
    ("get-system-users-information", &["no-resolve"]),
    ("get-system-information", &[]),
    ("get-system-memory-information", &[]),
    ("get-system-alarm-information", &[]),
    ("get-system-storage", &["detail"]),
    ("get-alarm-information", &[]),
    ("get-route-summary-information", &["table"]),
    (
        "get-ospf-interface-information",
        &["interface-name", "brief", "detail", "extensive", "area"],
    ),
    (
        "get-ospf-neighbor-information",
        &[
            "neighbor",
            "brief",
            "detail",
            "extensive",
            "area",
            "interface",
        ],
    ),
    (
        "get-ospf-database-information",
        &["brief", "detail", "extensive", "area", "lsa-id", "router"],
    ),
    (
        "get-lldp-neighbors-information",
        &["interface-device", "interface-name"],
    ),
    (
        "get-bfd-session-information",
        &["address", "detail", "extensive", "summary"],
    ),
    (
        "get-arp-table-information",
        &[
            "no-resolve",
            "interface",
            "hostname",
            "vpn",
            "expiration-time",
        ],
    ),
    (
        "get-bgp-summary-information",
        &["instance", "group", "exact-instance", "logical-system"],
    ),
    (
        "get-bgp-neighbor-information",
        &[
            "neighbor-address",
            "instance",
            "exact-instance",
            "logical-system",
        ],
    ),
    (
        "get-route-information",
        &[
            "destination",
            "table",
            "protocol",
            "terse",
            "brief",
            "detail",
            "extensive",
            "summary",
            "all",
            "active-path",
            "best",
            "exact",
            "logical-system",
            "instance",
        ],
    ),
    (
        "get-forwarding-table-information",
        &[
            "destination",
            "all",
            "table",
            "family",
            "detail",
            "extensive",
        ],
    ),
];

impl Show {
    /// The command a Junos RPC asks for, with its arguments (`interface-name`,
    /// `destination`, `table`, `protocol`, the output level); `Ok(None)` when the RPC is
    /// not an operational command. An argument the RPC does not take is Junos's
    /// `syntax error` naming it.
    pub fn from_rpc(op: &Element) -> Result<Option<Show>, Box<RpcError>> {
        let Some((_, allowed)) = RPC_ARGS.iter().find(|(n, _)| *n == op.name) else {
            return Ok(None);
        };
        if let Some(bad) = op
            .children
            .iter()
            .find(|c| !allowed.contains(&c.name.as_str()))
        {
            return Err(Box::new(
                RpcError::new("protocol", "operation-failed", "syntax error")
                    .with_info("bad-element", bad.name.clone()),
            ));
        }
        let dest = |what: &str| -> Result<Option<Ipv4Addr>, Box<RpcError>> {
            match op.child_text(what) {
                None => Ok(None),
                Some(d) => parse_dest(d)
                    .map(Some)
                    .ok_or_else(|| Box::new(bad_value(what, d))),
            }
        };
        let level = ["terse", "brief", "detail", "extensive"]
            .into_iter()
            .filter(|l| op.has(l))
            .filter_map(Level::from_word)
            .next_back()
            .unwrap_or_default();
        let text = |what: &str| op.child_text(what).map(str::to_string);
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
            "get-ospf-database-information" => Show::OspfDatabase,
            "get-lldp-neighbors-information" => Show::LldpNeighbors,
            "get-bfd-session-information" => Show::BfdSessions,
            "get-arp-table-information" => Show::Arp,
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
            _ => return Ok(None),
        }))
    }

    /// How long a vMX routing engine works on this command, in milliseconds (scaled by
    /// the profile; see `profile.rs` for the sources).
    pub fn service_ms(&self) -> u64 {
        match self {
            Show::OspfInterface => 90,
            Show::OspfDatabase => 110,
            Show::OspfNeighbor => 70,
            Show::Route {
                dest: Some(_),
                extensive: false,
                ..
            } => 90,
            Show::ChassisHardware => 120,
            Show::Route {
                dest: Some(_),
                extensive: true,
                ..
            } => 150,
            Show::ForwardingTable { .. } => 130,
            Show::Route { dest: None, .. } => 400,
            _ => 80,
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
