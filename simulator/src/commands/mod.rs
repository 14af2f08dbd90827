//! Junos operational commands: the [`Show`] enum and its service time, the RPCs and CLI
//! words that ask for each, and its text and XML renderers (`text`, `xml`). An
//! argument-free command is one entry of `table.rs` (its RPC and CLI words) beside its
//! variant here; the compiler then asks for its renderers and service time. A command
//! with arguments is parsed in `rpc.rs` and `parse.rs`; the [`Joint`] ones keep every
//! part in `joint.rs`.
//!
//! Beside them, by concern: `output` (pieces, JSON, `| display xml`), `routes` (route
//! helpers), `configuration` (`show configuration`'s views) and `time` (Junos's times).

use std::net::Ipv4Addr;

use netconf_wire::Element;

mod arguments;
mod engine;
mod host;
mod igp;
mod joint;
mod l2;
mod parse;
mod rpc;
mod table;
mod text;
mod xml;

mod configuration;
mod output;
mod routes;
mod time;
mod words;

pub(crate) use configuration::{config_at, configuration_text};
pub(crate) use output::one;
pub use output::{display_xml, junos_json, output_element, Pieces};
pub(crate) use routes::{nh, proto_matches, route_total, table_matches};
pub use time::uptime;
pub(crate) use time::{fmt_age, fmt_dur, now_str, unix_now};

pub use joint::Joint;
pub use rpc::served_rpcs;

pub use text::render_text;
pub use xml::render_xml;

/// The seven commands of the design's seed workload, each with `| no-more`: the workload
/// the `vmx` service times are calibrated on. One a line in `seed.txt`, which the Python
/// benchmarks (`python/bench/bench.py`, the MCP example) read too.
pub const SEED_COMMANDS: [&str; 7] = lines(include_str!("seed.txt"));

/// `text` as exactly `N` lines, each ended by a newline (checked when compiling).
const fn lines<const N: usize>(mut text: &'static str) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        let bytes = text.as_bytes();
        let mut end = 0;
        while end < bytes.len() && bytes[end] != b'\n' {
            end += 1;
        }
        assert!(end < bytes.len(), "fewer lines than expected");
        let (line, rest) = text.split_at(end);
        out[i] = line;
        text = rest.split_at(1).1;
        i += 1;
    }
    assert!(text.is_empty(), "more lines than expected");
    out
}

/// Junos reply namespace for the version the simulator claims.
pub const JUNOS_NS: &str = "http://xml.juniper.net/junos/21.4R0/junos";

/// How much `show interfaces` / `show route` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// `terse`.
    Terse,
    /// `brief`.
    Brief,
    /// The default.
    #[default]
    Normal,
    /// `detail`.
    Detail,
    /// `extensive`.
    Extensive,
}

impl Level {
    /// The level a keyword names.
    pub fn from_word(w: &str) -> Option<Level> {
        Some(match w {
            "terse" => Level::Terse,
            "brief" => Level::Brief,
            "detail" => Level::Detail,
            "extensive" => Level::Extensive,
            _ => return None,
        })
    }

    /// `junos:style` of the reply.
    pub fn style(self) -> &'static str {
        match self {
            Level::Terse => "terse",
            Level::Brief => "brief",
            Level::Normal => "normal",
            Level::Detail => "detail",
            Level::Extensive => "extensive",
        }
    }
}

/// The service-time weight of a command the published per-command rows do not time
/// (profile.rs: 16 ms on the `vmx` profile's scale).
pub(crate) const UNTIMED_MS: u64 = 80;

/// An operational command the simulator knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Show {
    /// `show version` / get-software-information.
    Version,
    /// `show interfaces [NAME] [terse|brief|detail|extensive]` / get-interface-information;
    /// the name may hold `*` wildcards (`ge-*`).
    Interfaces {
        /// Interface name or pattern (physical, or logical with `.unit`).
        name: Option<String>,
        /// Output level.
        level: Level,
    },
    /// `show system uptime`.
    SystemUptime,
    /// `show system users`.
    SystemUsers,
    /// `show system information` / get-system-information.
    SystemInformation,
    /// `show system memory` / get-system-memory-information.
    SystemMemory,
    /// `show system storage` / get-system-storage.
    SystemStorage,
    /// `show system alarms` / get-system-alarm-information.
    SystemAlarms,
    /// `show chassis alarms` / get-alarm-information.
    ChassisAlarms,
    /// `show route summary`.
    RouteSummary,
    /// `show chassis hardware` / get-chassis-inventory.
    ChassisHardware,
    /// `show chassis routing-engine` / get-route-engine-information.
    RouteEngine,
    /// `show ospf interface`.
    OspfInterface,
    /// `show ospf database`.
    OspfDatabase,
    /// `show ospf neighbor`.
    OspfNeighbor,
    /// `show ospf overview` / get-ospf-overview-information.
    OspfOverview,
    /// `show chassis fpc` / get-fpc-information.
    ChassisFpc,
    /// `show lldp neighbors` / get-lldp-neighbors-information.
    LldpNeighbors,
    /// `show bfd session` / get-bfd-session-information.
    BfdSessions,
    /// `show arp [no-resolve] [expiration-time]` / get-arp-table-information; with
    /// `expiration-time`, each entry's time to expire (NAPALM's ARP `age` reads it).
    Arp {
        /// `expiration-time` asked.
        expiration: bool,
    },
    /// `show bgp summary` / get-bgp-summary-information.
    BgpSummary,
    /// `show bgp neighbor [ADDR]` / get-bgp-neighbor-information.
    BgpNeighbor(Option<Ipv4Addr>),
    /// `show route [DEST] [table T] [protocol P] [LEVEL]`; no destination means the whole
    /// table.
    Route {
        /// Destination to look up.
        dest: Option<Ipv4Addr>,
        /// Extensive output (`detail` or `extensive`).
        extensive: bool,
        /// Only this routing table (the simulator has `inet.0`).
        table: Option<String>,
        /// Only routes of this protocol (`ospf`, `static`, `direct`, ...).
        protocol: Option<String>,
        /// `terse` output.
        terse: bool,
    },
    /// `show route forwarding-table [all] [destination D]`.
    ForwardingTable {
        /// Destination to look up.
        dest: Option<Ipv4Addr>,
    },
    /// `show configuration [path]`.
    Configuration(Vec<String>),
    /// `show chassis environment` / get-environment-information.
    ChassisEnvironment,
    /// `show chassis temperature-thresholds` / get-temperature-threshold-information.
    TemperatureThresholds,
    /// `show chassis power detail` / get-power-usage-information-detail.
    PowerUsage,
    /// `show route instance` / get-instance-information.
    RouteInstance,
    /// `show bridge mac-table [count]` / get-bridge-mac-table.
    BridgeMacTable {
        /// `count`: the number of entries only.
        count: bool,
    },
    /// `show ipv6 neighbors` / get-ipv6-nd-information.
    Ipv6Neighbors,
    /// `show system commit` / get-commit-information.
    SystemCommit,
    /// `show lldp neighbors interface X` / get-lldp-interface-neighbors-information.
    LldpDetail {
        /// The local interface (a pattern).
        interface: Option<String>,
    },
    /// `show interfaces diagnostics optics` / get-interface-optics-diagnostics-information.
    Optics,
    /// `show services rpm probe-results` / get-probe-results.
    ProbeResults,
    /// `show bridge domain` / get-bridge-instance-information.
    BridgeInstances,
    /// `show ntp associations [no-resolve]`.
    NtpAssociations,
    /// `ping HOST [count N]` / the `ping` RPC.
    Ping {
        /// The target.
        host: Ipv4Addr,
        /// Probes to send.
        count: u32,
    },
    /// `traceroute HOST` / the `traceroute` RPC.
    Traceroute {
        /// The target.
        host: Ipv4Addr,
    },
    /// A command kept whole in one place ([`Joint`]).
    Joint(Joint),
}

impl Show {
    /// `show route` for one destination or the whole table, no filter.
    pub fn route(dest: Option<Ipv4Addr>, extensive: bool) -> Show {
        Show::Route {
            dest,
            extensive,
            table: None,
            protocol: None,
            terse: false,
        }
    }
}

/// An output filter after `|`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pipe {
    /// `| no-more`: no pager (the simulator never pages).
    NoMore,
    /// `| display xml`.
    DisplayXml,
    /// `| display set` (configuration only).
    DisplaySet,
    /// `| display json` (configuration only here).
    DisplayJson,
    /// `| display inheritance`: the configuration with its groups applied.
    DisplayInheritance,
    /// `| compare rollback N` (configuration only).
    CompareRollback(usize),
    /// `| count`.
    Count,
    /// `| match REGEX` (substring match here).
    Match(String),
    /// `| except REGEX` (substring).
    Except(String),
    /// `| last N`.
    Last(usize),
}

/// A command line that does not parse, with Junos's error text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The full message as the CLI prints it, caret included.
    pub message: String,
    /// The offending word, for NETCONF `bad-element`.
    pub bad_word: String,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    /// The command.
    pub show: Show,
    /// Pipes in order.
    pub pipes: Vec<Pipe>,
}

impl CommandLine {
    /// Whether `| display xml` was asked for.
    pub fn wants_xml(&self) -> bool {
        self.pipes.contains(&Pipe::DisplayXml)
    }

    /// Apply text pipes (match, except, count, last) to rendered text.
    pub fn filter_text(&self, text: String) -> String {
        let mut text = text;
        for p in &self.pipes {
            text = match p {
                Pipe::Match(m) => keep_lines(&text, |l| l.contains(m.as_str())),
                Pipe::Except(m) => keep_lines(&text, |l| !l.contains(m.as_str())),
                Pipe::Last(n) => {
                    let lines: Vec<&str> = text.lines().collect();
                    let from = lines.len().saturating_sub(*n);
                    lines[from..].iter().map(|l| format!("{l}\n")).collect()
                }
                Pipe::Count => format!("Count: {} lines\n", text.lines().count()),
                _ => text,
            };
        }
        text
    }
}

fn keep_lines(text: &str, f: impl Fn(&str) -> bool) -> String {
    text.lines()
        .filter(|l| f(l))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// An argument's text, trimmed; `None` when it is absent or empty (`<neighbor-address/>`
/// is no argument).
fn arg_text(op: &Element, what: &str) -> Option<String> {
    op.child_text(what)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests;
