//! Commands kept whole in one place: each one's RPC name, CLI words, arguments and both
//! renderers are here or in its module (`igp`, `engine`, `l2`). Adding such a command is
//! one variant and its arms in this file; the compiler checks every arm. (The other
//! commands of [`Show`](super::Show): argument-free ones are one entry of `table.rs`,
//! those with arguments are parsed in `rpc.rs` and `parse.rs`, and all are rendered in
//! `text.rs` and `xml/`.)

use netconf_wire::{Element, RpcError};

use super::{engine, host, igp, l2, Level, Pieces};
use crate::spec::DeviceSpec;
use crate::state::DeviceState;

/// A command whose parts live together (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joint {
    /// `show ospf route` / get-ospf-route-information.
    OspfRoute,
    /// `show ospf statistics` / get-ospf-statistics-information.
    OspfStatistics,
    /// `show ospf io-statistics` / get-ospf-io-statistics-information.
    OspfIoStatistics,
    /// `show isis adjacency [detail|extensive]` / get-isis-adjacency-information.
    IsisAdjacency(Level),
    /// `show ldp neighbor [detail|extensive]` / get-ldp-neighbor-information.
    LdpNeighbor(Level),
    /// `show ted database [detail|extensive]` / get-ted-database-information.
    TedDatabase(Level),
    /// `show pfe statistics traffic` / get-pfe-statistics.
    PfeStatistics,
    /// `show ppm adjacencies [detail]` / get-ppm-adjacencies.
    PpmAdjacencies {
        /// `detail` asked.
        detail: bool,
    },
    /// `show task memory [detail]` / get-task-memory-information.
    TaskMemory {
        /// `detail` asked.
        detail: bool,
    },
    /// `show ddos-protection statistics` / get-ddos-statistics-information.
    DdosStatistics,
    /// `show l2circuit connections` / get-l2ckt-connection-information.
    L2circuitConnections,
    /// `show connections` / get-ccc-information.
    CccConnections,
    /// `show lacp interfaces [NAME]` / get-lacp-interface-information.
    LacpInterfaces {
        /// Only bundles this name or pattern matches.
        name: Option<String>,
    },
    /// `file list [detail] [PATH]` / file-list.
    FileList {
        /// The path asked for (`~` when none).
        path: String,
        /// `detail` asked.
        detail: bool,
    },
    /// `file show PATH` / file-show (the path is a file of the tree: checked when asked).
    FileShow {
        /// The file, resolved.
        path: String,
    },
    /// `show system commit revision [detail]` / get-commit-revision-information.
    CommitRevision {
        /// `detail` asked.
        detail: bool,
    },
    /// `request pfe execute target T command C` / request-pfe-execute (the target is
    /// checked when asked).
    PfeExecute {
        /// The line card shell command.
        command: String,
    },
}

impl Joint {
    /// The command's service-time weight (see [`super::Show::service_ms`]): none of these
    /// is in the published per-command rows. Listed by variant, so that a new command is
    /// given one.
    pub fn service_ms(&self) -> u64 {
        match self {
            Joint::OspfRoute
            | Joint::OspfStatistics
            | Joint::OspfIoStatistics
            | Joint::IsisAdjacency(_)
            | Joint::LdpNeighbor(_)
            | Joint::TedDatabase(_)
            | Joint::PfeStatistics
            | Joint::PpmAdjacencies { .. }
            | Joint::TaskMemory { .. }
            | Joint::DdosStatistics
            | Joint::L2circuitConnections
            | Joint::CccConnections
            | Joint::LacpInterfaces { .. }
            | Joint::FileList { .. }
            | Joint::FileShow { .. }
            | Joint::CommitRevision { .. }
            | Joint::PfeExecute { .. } => super::UNTIMED_MS,
        }
    }
}

/// The RPCs these commands answer (each maps to its command in [`Joint::from_rpc`]; a
/// unit test checks the two agree).
pub(super) const RPCS: &[&str] = &[
    "file-list",
    "file-show",
    "get-commit-revision-information",
    "request-pfe-execute",
    "get-ospf-route-information",
    "get-ospf-statistics-information",
    "get-ospf-io-statistics-information",
    "get-isis-adjacency-information",
    "get-ldp-neighbor-information",
    "get-ted-database-information",
    "get-pfe-statistics",
    "get-ppm-adjacencies",
    "get-task-memory-information",
    "get-ddos-statistics-information",
    "get-l2ckt-connection-information",
    "get-ccc-information",
    "get-lacp-interface-information",
];

/// Arguments Junos takes for RPCs its published YANG (21.4R1) leaves out. The YANG has
/// no `get-ppm-adjacencies` (PyEZ's `PPMTable` sends it `<level>detail</level>`), no
/// `request-pfe-execute` (the published MCP server's PFE tool), and no arguments for the
/// pre-13.2 `get-lldp-interface-neighbors-information` (NAPALM's older path).
pub(super) const UNPUBLISHED_ARGS: &[(&str, &[&str])] = &[
    (
        "get-ppm-adjacencies",
        &["level", "detail", "brief", "protocol"],
    ),
    ("request-pfe-execute", &["target", "command", "timeout"]),
    (
        "get-lldp-interface-neighbors-information",
        &["interface-name"],
    ),
];

/// Whether `word` abbreviates `keyword` (the CLI takes any unique prefix).
fn is(word: &str, keyword: &str) -> bool {
    !word.is_empty() && keyword.starts_with(word)
}

/// The output level the words from `from` on name (the last one wins), or the default;
/// `Err(k)` when word `k` is not a level.
fn level_of(words: &[&str], from: usize) -> Result<Level, usize> {
    let mut level = Level::Normal;
    for (k, w) in words.iter().enumerate().skip(from) {
        level = ["brief", "detail", "extensive"]
            .into_iter()
            .find(|l| is(w, l) && w.len() >= 2)
            .and_then(Level::from_word)
            .ok_or(k)?;
    }
    Ok(level)
}

impl Joint {
    /// The command an RPC asks for; `None` when the RPC is not one of these, an error
    /// when its arguments name something that is not there. `level` is the output level
    /// its flags name.
    pub(super) fn from_rpc(op: &Element, level: Level) -> Option<Result<Joint, Box<RpcError>>> {
        let detail = matches!(level, Level::Detail | Level::Extensive)
            || op.child_text("level").is_some_and(|l| l.trim() == "detail");
        let text = |what: &str| super::arg_text(op, what);
        Some(Ok(match op.name.as_str() {
            "file-list" => Joint::FileList {
                path: text("path").unwrap_or_else(|| "~".into()),
                detail: detail || op.child_text("style").is_some_and(|s| s.trim() == "detail"),
            },
            "file-show" => match host::check_file_show(text("filename").as_deref()) {
                Ok(path) => Joint::FileShow { path },
                Err(e) => return Some(Err(e)),
            },
            "get-commit-revision-information" => Joint::CommitRevision { detail },
            "request-pfe-execute" => {
                if let Err(e) = host::check_pfe_target(text("target").as_deref()) {
                    return Some(Err(e));
                }
                match text("command") {
                    Some(command) => Joint::PfeExecute { command },
                    None => return Some(Err(host::missing("command"))),
                }
            }
            "get-ospf-route-information" => Joint::OspfRoute,
            "get-ospf-statistics-information" => Joint::OspfStatistics,
            "get-ospf-io-statistics-information" => Joint::OspfIoStatistics,
            "get-isis-adjacency-information" => Joint::IsisAdjacency(level),
            "get-ldp-neighbor-information" => Joint::LdpNeighbor(level),
            "get-ted-database-information" => Joint::TedDatabase(level),
            "get-pfe-statistics" => Joint::PfeStatistics,
            "get-ppm-adjacencies" => Joint::PpmAdjacencies { detail },
            "get-task-memory-information" => Joint::TaskMemory { detail },
            "get-ddos-statistics-information" => Joint::DdosStatistics,
            "get-l2ckt-connection-information" => Joint::L2circuitConnections,
            "get-ccc-information" => Joint::CccConnections,
            "get-lacp-interface-information" => Joint::LacpInterfaces {
                name: text("interface-name"),
            },
            _ => return None,
        }))
    }

    /// The command a CLI line that is not `show ...` names (`file list`, `file show`,
    /// `request pfe execute`); `None` when it names none of these, `Err(k)` when word `k`
    /// is wrong, or an error the RPC would answer too.
    pub(super) fn parse_other(line: &str) -> Option<Result<Result<Joint, Box<RpcError>>, usize>> {
        let w: Vec<&str> = line.split_whitespace().collect();
        let arg = |i: usize| w.get(i).copied().unwrap_or("");
        match (arg(0), arg(1)) {
            (a, b) if is(a, "file") && is(b, "list") => {
                // `detail` before or after the path.
                let mut detail = false;
                let mut path = None;
                for (k, word) in w.iter().enumerate().skip(2) {
                    if is(word, "detail") && word.len() >= 2 {
                        detail = true;
                    } else if path.is_none() {
                        path = Some(word.to_string());
                    } else {
                        return Some(Err(k));
                    }
                }
                let path = path.unwrap_or_else(|| "~".into());
                Some(Ok(Ok(Joint::FileList { path, detail })))
            }
            (a, b) if is(a, "file") && is(b, "show") => match &w[2.min(w.len())..] {
                [p] => Some(Ok(
                    host::check_file_show(Some(p)).map(|path| Joint::FileShow { path })
                )),
                [] => Some(Ok(Err(host::missing("filename")))),
                _ => Some(Err(3)),
            },
            (a, b) if is(a, "request") && is(b, "pfe") => {
                if !is(arg(2), "execute") {
                    return Some(Err(2));
                }
                if !is(arg(3), "target") {
                    return Some(Err(3));
                }
                if !is(arg(5), "command") {
                    return Some(Err(5));
                }
                // The command is the rest of the line, its quotes removed.
                let at = line.find(arg(5)).map_or(line.len(), |i| i + arg(5).len());
                let command = line[at..].trim().trim_matches('"').to_string();
                Some(Ok(host::check_pfe_target(Some(arg(4))).and_then(|()| {
                    if command.is_empty() {
                        Err(host::missing("command"))
                    } else {
                        Ok(Joint::PfeExecute { command })
                    }
                })))
            }
            _ => None,
        }
    }

    /// The command the CLI words after `show` name; `None` when they name none of these,
    /// `Err(k)` when word `k` (counted from `show`) is wrong.
    pub(super) fn parse(w: &[&str]) -> Option<Result<Joint, usize>> {
        let arg = |i: usize| w.get(i).copied().unwrap_or("");
        // Words from index `from` on are only an output level.
        let level_from = |from: usize, make: fn(Level) -> Joint| Some(level_of(w, from).map(make));
        let only = |n: usize, cmd: Joint| Some(if w.len() > n { Err(n) } else { Ok(cmd) });
        let detail_only_at = |from: usize, make: fn(bool) -> Joint| {
            Some(match &w[from.min(w.len())..] {
                [] => Ok(make(false)),
                [d] if is(d, "detail") => Ok(make(true)),
                _ => Err(from),
            })
        };
        let detail_only = |make: fn(bool) -> Joint| detail_only_at(3, make);
        match (arg(1), arg(2)) {
            (a, b) if is(a, "system") && is(b, "commit") && is(arg(3), "revision") => {
                detail_only_at(4, |detail| Joint::CommitRevision { detail })
            }
            (a, b) if is(a, "ospf") && is(b, "route") => only(3, Joint::OspfRoute),
            (a, b) if is(a, "ospf") && is(b, "statistics") && b.len() >= 2 => {
                only(3, Joint::OspfStatistics)
            }
            (a, b) if is(a, "ospf") && is(b, "io-statistics") => only(3, Joint::OspfIoStatistics),
            (a, b) if is(a, "isis") && is(b, "adjacency") => level_from(3, Joint::IsisAdjacency),
            (a, b) if is(a, "ldp") && is(b, "neighbor") => level_from(3, Joint::LdpNeighbor),
            (a, b) if is(a, "ted") && is(b, "database") => level_from(3, Joint::TedDatabase),
            (a, b) if is(a, "pfe") && is(b, "statistics") => match arg(3) {
                c if is(c, "traffic") => only(4, Joint::PfeStatistics),
                _ => Some(Err(3)),
            },
            (a, b) if is(a, "ppm") && is(b, "adjacencies") => {
                detail_only(|detail| Joint::PpmAdjacencies { detail })
            }
            (a, b) if is(a, "task") && is(b, "memory") => {
                detail_only(|detail| Joint::TaskMemory { detail })
            }
            (a, b) if is(a, "ddos-protection") && is(b, "statistics") => {
                only(3, Joint::DdosStatistics)
            }
            (a, b) if is(a, "l2circuit") && is(b, "connections") => {
                only(3, Joint::L2circuitConnections)
            }
            (a, "") if is(a, "connections") && a.len() >= 3 => Some(Ok(Joint::CccConnections)),
            (a, b) if is(a, "lacp") && is(b, "interfaces") => match &w[3.min(w.len())..] {
                [] => Some(Ok(Joint::LacpInterfaces { name: None })),
                [n] => Some(Ok(Joint::LacpInterfaces {
                    name: Some(n.to_string()),
                })),
                _ => Some(Err(4)),
            },
            _ => None,
        }
    }

    /// The command's reply: the RPC's XML, or the CLI's text.
    pub(super) fn render(&self, spec: &DeviceSpec, state: &DeviceState, xml: bool) -> Pieces {
        match self {
            Joint::OspfRoute => igp::ospf_routes(spec, xml),
            Joint::OspfStatistics => igp::ospf_statistics(spec, state, xml),
            Joint::OspfIoStatistics => igp::ospf_io_statistics(spec, state, xml),
            Joint::IsisAdjacency(level) => igp::isis_adjacencies(spec, state, *level, xml),
            Joint::LdpNeighbor(level) => igp::ldp_neighbors(spec, state, *level, xml),
            Joint::TedDatabase(level) => igp::ted_database(spec, state, *level, xml),
            Joint::PfeStatistics => engine::pfe_statistics(spec, state, xml),
            Joint::PpmAdjacencies { detail } => engine::ppm_adjacencies(spec, state, *detail, xml),
            Joint::TaskMemory { detail } => engine::task_memory(spec, *detail, xml),
            Joint::DdosStatistics => engine::ddos_statistics(xml),
            Joint::L2circuitConnections => l2::l2circuit_connections(spec, state, xml),
            Joint::CccConnections => l2::ccc_connections(spec, state, xml),
            Joint::LacpInterfaces { name } => {
                l2::lacp_interfaces(spec, state, name.as_deref(), xml)
            }
            Joint::FileList { path, detail } => host::file_list(path, *detail, spec, state, xml),
            Joint::FileShow { path } => host::file_show(path, spec, state, xml),
            Joint::CommitRevision { detail } => host::commit_revision(state, *detail, xml),
            Joint::PfeExecute { command } => host::pfe_execute(command, spec, state, xml),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Option<Result<Joint, usize>> {
        let w: Vec<&str> = line.split_whitespace().collect();
        Joint::parse(&w)
    }

    #[test]
    fn every_listed_rpc_is_answered_and_no_other() {
        for rpc in RPCS {
            // The two that need arguments get them.
            let xml = match *rpc {
                "file-show" => "<file-show><filename>/etc/hosts.junos</filename></file-show>".into(),
                "request-pfe-execute" => "<request-pfe-execute><target>fpc0</target><command>show nhdb summary</command></request-pfe-execute>".into(),
                other => format!("<{other}/>"),
            };
            let op = Element::parse(xml.as_bytes()).unwrap();
            assert!(
                matches!(Joint::from_rpc(&op, Level::Normal), Some(Ok(_))),
                "{rpc} is listed but not answered"
            );
        }
        let other = Element::parse(b"<get-software-information/>").unwrap();
        assert!(Joint::from_rpc(&other, Level::Normal).is_none());
    }

    #[test]
    fn cli_words_name_each_command_with_abbreviations_and_levels() {
        assert_eq!(parse("show ospf route"), Some(Ok(Joint::OspfRoute)));
        assert_eq!(parse("sh ospf st"), Some(Ok(Joint::OspfStatistics)));
        assert_eq!(
            parse("show ospf io-statistics"),
            Some(Ok(Joint::OspfIoStatistics))
        );
        assert_eq!(
            parse("show isis adjacency extensive"),
            Some(Ok(Joint::IsisAdjacency(Level::Extensive)))
        );
        assert_eq!(
            parse("show ldp neighbor"),
            Some(Ok(Joint::LdpNeighbor(Level::Normal)))
        );
        assert_eq!(
            parse("show task memory detail"),
            Some(Ok(Joint::TaskMemory { detail: true }))
        );
        assert_eq!(
            parse("show pfe statistics traffic"),
            Some(Ok(Joint::PfeStatistics))
        );
        assert_eq!(parse("show connections"), Some(Ok(Joint::CccConnections)));
        assert_eq!(
            parse("show lacp interfaces ae0"),
            Some(Ok(Joint::LacpInterfaces {
                name: Some("ae0".into())
            }))
        );
        // The word that is wrong is the one named.
        assert_eq!(parse("show isis adjacency bogus"), Some(Err(3)));
        assert_eq!(parse("show isis adjacency extensive bogus"), Some(Err(4)));
        assert_eq!(parse("show pfe statistics bogus"), Some(Err(3)));
        assert_eq!(parse("show ospf route extra"), Some(Err(3)));
        // Not one of these: the older parser decides.
        assert_eq!(parse("show ospf neighbor"), None);
    }
}
