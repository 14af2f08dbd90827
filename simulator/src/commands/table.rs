//! The commands without arguments, one entry each: the RPC that asks for one, its CLI
//! words after `show` (each with the fewest letters the CLI takes: `sh sys up`), and the
//! command. The served RPC list, the RPC parser and the CLI parser read this table; the
//! renderers and the service time match on [`Show`], so the compiler asks for them when a
//! variant is added. (Commands with arguments are one entry each of `rpc.rs` as RPCs and
//! are parsed from the CLI in `parse.rs`; the [`Joint`](super::Joint) ones live in
//! `joint.rs`.)

use super::Show;

/// One argument-free command.
pub(super) struct Plain {
    /// The RPC that asks for it (`None`: the CLI only).
    pub(super) rpc: Option<&'static str>,
    /// Its words after `show` and the shortest abbreviation of each; empty where its CLI
    /// form is parsed beside commands with arguments of the same group (`show route
    /// summary` beside `show route ...`), or where there is none.
    pub(super) cli: &'static [(&'static str, usize)],
    /// The command.
    pub(super) show: Show,
}

const fn plain(rpc: &'static str, cli: &'static [(&'static str, usize)], show: Show) -> Plain {
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
    // The CLI forms of these are parsed with their group's commands with arguments.
    plain("get-route-summary-information", &[], Show::RouteSummary),
    plain("get-instance-information", &[], Show::RouteInstance),
    plain("get-lldp-neighbors-information", &[], Show::LldpNeighbors),
    plain("get-bgp-summary-information", &[], Show::BgpSummary),
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

/// Whether `word` abbreviates `keyword` with at least `min` letters.
fn abbreviates(word: &str, (keyword, min): (&str, usize)) -> bool {
    word.len() >= min.max(1) && keyword.starts_with(word)
}

/// The command the words of a `show` line name (`w[0]` is `show`): `None` when `w[1]`
/// names none of the table's groups, `Err(index)` for the word that names no command of
/// its group. Words after the command are not read, as before the table.
pub(super) fn by_words(w: &[&str]) -> Option<Result<Show, usize>> {
    let first = w.get(1).copied().unwrap_or("");
    let group = PLAIN
        .iter()
        .filter(|p| !p.cli.is_empty())
        .find(|p| abbreviates(first, p.cli[0]))?
        .cli[0]
        .0;
    let second = w.get(2).copied().unwrap_or("");
    let found = PLAIN
        .iter()
        .filter(|p| p.cli.first().is_some_and(|c| c.0 == group))
        .find(|p| p.cli.get(1).is_none_or(|&c| abbreviates(second, c)));
    Some(found.map(|p| p.show.clone()).ok_or(2))
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

    #[test]
    fn abbreviations_follow_the_cli() {
        let show = |line: &str| {
            let w: Vec<&str> = line.split_whitespace().collect();
            by_words(&w)
        };
        assert_eq!(show("sh ve"), Some(Ok(Show::Version)));
        assert_eq!(show("sh v"), None, "one letter is not enough for version");
        assert_eq!(show("sh sys up"), Some(Ok(Show::SystemUptime)));
        assert_eq!(
            show("sh sys u"),
            Some(Ok(Show::SystemUptime)),
            "uptime comes first"
        );
        assert_eq!(show("sh sys us"), Some(Ok(Show::SystemUsers)));
        assert_eq!(show("sh sys"), Some(Err(2)));
        assert_eq!(show("sh sys bogus"), Some(Err(2)));
        assert_eq!(show("sh o n"), Some(Ok(Show::OspfNeighbor)));
        assert_eq!(
            show("sh chassis hardware detail"),
            Some(Ok(Show::ChassisHardware))
        );
        assert_eq!(show("sh route"), None, "not a group of the table");
    }
}
