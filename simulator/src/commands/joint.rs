//! Commands kept whole in one place: each one's RPC name, CLI words, arguments and both
//! renderers are here or in its module (`igp`, `engine`, `l2`). Adding such a command is
//! one variant and its arms in this file; the compiler checks every arm. (The older
//! commands of [`Show`](super::Show) are still spread over `rpc.rs`, `parse.rs`,
//! `text.rs` and `xml/`.)

use netconf_wire::Element;

use super::{engine, igp, l2, Level, Pieces};
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
}

/// Arguments Junos takes for RPCs its published YANG (21.4R1) leaves out. The YANG has
/// no `get-ppm-adjacencies`; PyEZ's `PPMTable` sends it `<level>detail</level>`.
pub(super) const UNPUBLISHED_ARGS: &[(&str, &[&str])] = &[(
    "get-ppm-adjacencies",
    &["level", "detail", "brief", "protocol"],
)];

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
    /// The command an RPC asks for; `None` when the RPC is not one of these. `level` is
    /// the output level its flags name, `detail` whether `detail` was asked in any form.
    pub(super) fn from_rpc(op: &Element, level: Level) -> Option<Joint> {
        let detail = matches!(level, Level::Detail | Level::Extensive)
            || op.child_text("level").is_some_and(|l| l.trim() == "detail");
        let text = |what: &str| {
            op.child_text(what)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        Some(match op.name.as_str() {
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
        })
    }

    /// The command the CLI words after `show` name; `None` when they name none of these,
    /// `Err(k)` when word `k` (counted from `show`) is wrong.
    pub(super) fn parse(w: &[&str]) -> Option<Result<Joint, usize>> {
        let arg = |i: usize| w.get(i).copied().unwrap_or("");
        // Words from index `from` on are only an output level.
        let level_from = |from: usize, make: fn(Level) -> Joint| Some(level_of(w, from).map(make));
        let only = |n: usize, cmd: Joint| Some(if w.len() > n { Err(n) } else { Ok(cmd) });
        let detail_only = |make: fn(bool) -> Joint| {
            Some(match &w[3.min(w.len())..] {
                [] => Ok(make(false)),
                [d] if is(d, "detail") => Ok(make(true)),
                _ => Err(3),
            })
        };
        match (arg(1), arg(2)) {
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
