//! Operational RPCs: which [`Show`] each one asks for (from the tables of
//! `table.rs`, `arguments.rs` and `joint.rs`), with its arguments checked against Junos's
//! published schema, and how long the routing engine works on it.

use netconf_wire::{Element, RpcError};

use super::arguments::Args;
use super::{Level, Show};

/// Every operational RPC the simulator answers (the configuration RPCs aside): what
/// `docs/junos.md` lists, one row each.
pub fn served_rpcs() -> impl Iterator<Item = &'static str> {
    super::table::rpcs()
        .chain(super::arguments::rpcs())
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
        let with_arguments = super::arguments::by_rpc(&op.name);
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
