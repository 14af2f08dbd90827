//! The commands without arguments, one entry each: the RPC that asks for one, its CLI
//! words after `show` (each with the fewest letters the CLI takes: `sh sys up`), and the
//! command. The served RPC list, the RPC parser and the CLI parser read this table; the
//! renderers and the service time match on [`Show`], so the compiler asks for them when a
//! variant is added. (Commands with arguments are one entry each of `arguments.rs`; the
//! [`Joint`](super::Joint) ones live in `joint.rs`.)

use super::words::Words;
use super::Show;

/// One argument-free command.
pub(super) struct Plain {
    /// The RPC that asks for it (`None`: the CLI only).
    pub(super) rpc: Option<&'static str>,
    /// Its words after `show` and the shortest abbreviation of each; empty where it has
    /// no CLI form.
    pub(super) cli: Words,
    /// The command.
    pub(super) show: Show,
}

const fn plain(rpc: &'static str, cli: Words, show: Show) -> Plain {
    Plain {
        rpc: Some(rpc),
        cli,
        show,
    }
}

/// In the CLI's order: within a group (`system`, `chassis`, ...) the first entry whose
/// word the typed one abbreviates wins, as in the Junos CLI's completion order.
#[rustfmt::skip]
pub(super) const PLAIN: &[Plain] = &[
    plain("get-software-information", &[("version", 2)], Show::Version),
    plain("get-system-uptime-information", &[("system", 2), ("uptime", 1)], Show::SystemUptime),
    plain("get-system-information", &[("system", 2), ("information", 1)],
        Show::SystemInformation),
    plain("get-system-users-information", &[("system", 2), ("users", 2)], Show::SystemUsers),
    plain("get-system-memory-information", &[("system", 2), ("memory", 2)], Show::SystemMemory),
    plain("get-system-alarm-information", &[("system", 2), ("alarms", 2)], Show::SystemAlarms),
    plain("get-system-storage", &[("system", 2), ("storage", 2)], Show::SystemStorage),
    plain("get-commit-information", &[("system", 2), ("commit", 2)], Show::SystemCommit),
    plain("get-chassis-inventory", &[("chassis", 2), ("hardware", 1)], Show::ChassisHardware),
    plain("get-route-engine-information", &[("chassis", 2), ("routing-engine", 1)],
        Show::RouteEngine),
    plain("get-alarm-information", &[("chassis", 2), ("alarms", 2)], Show::ChassisAlarms),
    plain("get-environment-information", &[("chassis", 2), ("environment", 1)],
        Show::ChassisEnvironment),
    plain("get-temperature-threshold-information",
        &[("chassis", 2), ("temperature-thresholds", 1)], Show::TemperatureThresholds),
    plain("get-power-usage-information-detail", &[("chassis", 2), ("power", 1)],
        Show::PowerUsage),
    plain("get-fpc-information", &[("chassis", 2), ("fpc", 1)], Show::ChassisFpc),
    Plain { rpc: None, cli: &[("ntp", 2), ("associations", 1)], show: Show::NtpAssociations },
    plain("get-ipv6-nd-information", &[("ipv6", 2), ("neighbors", 1)], Show::Ipv6Neighbors),
    plain("get-bfd-session-information", &[("bfd", 2), ("session", 1)], Show::BfdSessions),
    plain("get-ospf-interface-information", &[("ospf", 1), ("interface", 1)],
        Show::OspfInterface),
    plain("get-ospf-database-information", &[("ospf", 1), ("database", 1)], Show::OspfDatabase),
    plain("get-ospf-neighbor-information", &[("ospf", 1), ("neighbor", 1)], Show::OspfNeighbor),
    plain("get-ospf-overview-information", &[("ospf", 1), ("overview", 1)], Show::OspfOverview),
    plain("get-route-summary-information", &[("route", 2), ("summary", 1)], Show::RouteSummary),
    plain("get-instance-information", &[("route", 2), ("instance", 2)], Show::RouteInstance),
    plain("get-lldp-neighbors-information", &[("lldp", 2), ("neighbors", 1)],
        Show::LldpNeighbors),
    plain("get-bgp-summary-information", &[("bgp", 2), ("summary", 1)], Show::BgpSummary),
    // RPC only: the CLI forms are not simulated.
    plain("get-interface-optics-diagnostics-information", &[], Show::Optics),
    plain("get-probe-results", &[], Show::ProbeResults),
    plain("get-bridge-instance-information", &[], Show::BridgeInstances),
];

/// The RPCs of the table.
pub(super) fn rpcs() -> impl Iterator<Item = &'static str> {
    PLAIN.iter().filter_map(|p| p.rpc)
}

/// The command the RPC `name` asks for, if it is one of the table's.
pub(super) fn by_rpc(name: &str) -> Option<Show> {
    PLAIN
        .iter()
        .find(|p| p.rpc == Some(name))
        .map(|p| p.show.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_command_and_rpc_stands_once() {
        let mut rpcs: Vec<&str> = rpcs().collect();
        let n = rpcs.len();
        rpcs.sort();
        rpcs.dedup();
        assert_eq!(rpcs.len(), n, "an RPC twice");
        for (i, p) in PLAIN.iter().enumerate() {
            assert!(
                PLAIN[..i].iter().all(|q| q.show != p.show),
                "{:?} twice",
                p.show
            );
        }
    }
}
