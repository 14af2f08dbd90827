//! Junos operational commands: the [`Show`] enum with the RPC each maps from and its
//! service time, then its parser (`parse`), and its text and XML renderers (`text`,
//! `xml`). A new command is one arm here plus its two renderers.

use std::net::Ipv4Addr;
use std::time::SystemTime;

use netconf_wire::{escape_text, Element};

use crate::spec::{DeviceSpec, Route};
use crate::state::DeviceState;

mod engine;
mod host;
mod igp;
mod joint;
mod l2;
mod parse;
mod rpc;
mod text;
mod xml;

pub use joint::Joint;
pub use rpc::served_rpcs;

pub use text::render_text;
pub use xml::render_xml;

/// The seven commands of the design's seed workload, each with `| no-more`: the workload
/// the `vmx` service times are calibrated on.
pub const SEED_COMMANDS: [&str; 7] = [
    "show ospf interface | no-more",
    "show ospf database | no-more",
    "show ospf neighbor | no-more",
    "show route 10.0.14.0 | no-more",
    "show chassis hardware | no-more",
    "show route 10.0.15.0 extensive | no-more",
    "show route forwarding-table all destination 10.0.15.0 | no-more",
];

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

/// Output produced in pieces so that a 100,000-route table is never built whole.
pub type Pieces = Box<dyn Iterator<Item = String> + Send>;

pub(crate) fn one(s: String) -> Pieces {
    Box::new(std::iter::once(s))
}

pub(crate) fn nh(r: &Route) -> String {
    if r.next_hop.is_unspecified() {
        "rslv".into()
    } else {
        r.next_hop.to_string()
    }
}

/// An RPC's XML output as Junos writes it for `format="json"`: every element a key whose
/// value is a list of objects, text as `data`, attributes as `attributes`.
pub fn junos_json(xml: &str) -> Result<String, String> {
    use serde_json::{Map, Value};
    fn convert(el: &Element) -> Value {
        let mut obj = Map::new();
        if !el.attrs.is_empty() {
            let attrs: Map<String, Value> = el
                .attrs
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            obj.insert("attributes".into(), Value::Object(attrs));
        }
        let text = el.text.trim();
        if !text.is_empty() {
            obj.insert("data".into(), Value::String(text.to_string()));
        }
        for c in &el.children {
            match obj
                .entry(c.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(a) => a.push(convert(c)),
                other => *other = Value::Array(vec![convert(c)]),
            }
        }
        Value::Object(obj)
    }
    // The output may hold several top-level elements: wrap them for the parser.
    let root = Element::parse(format!("<r xmlns:junos=\"{JUNOS_NS}\">{xml}</r>").as_bytes())
        .map_err(|e| format!("json rendering: {e}"))?;
    let mut top = Map::new();
    for c in &root.children {
        top.insert(c.name.clone(), Value::Array(vec![convert(c)]));
    }
    serde_json::to_string_pretty(&Value::Object(top)).map_err(|e| e.to_string())
}

/// Whether a `table` argument names the one table the simulator has.
pub(crate) fn table_matches(table: &Option<String>) -> bool {
    table.as_deref().is_none_or(|t| t == "inet.0")
}

/// Whether a route is of the `protocol` asked for (any when none is).
pub(crate) fn proto_matches(r: &Route, protocol: &Option<String>) -> bool {
    protocol
        .as_deref()
        .is_none_or(|p| r.protocol.eq_ignore_ascii_case(p))
}

pub(crate) fn config_at(state: &DeviceState, path: &[String]) -> crate::junos_config::ConfigTree {
    // `show configuration system | display xml` shows that subtree, rooted.
    state.running.subtree(path)
}

/// `show configuration [PATH]` as text, with its configuration pipes: `display set`,
/// `display json`, `display inheritance` and `compare rollback N`. Without them, the
/// statements inside the level, as Junos prints them.
pub(crate) fn configuration_text(state: &DeviceState, path: &[String], pipes: &[Pipe]) -> String {
    let inherited;
    let tree = if pipes.contains(&Pipe::DisplayInheritance) {
        inherited = state.running.inherited();
        &inherited
    } else {
        &*state.running
    };
    if let Some(n) = pipes.iter().find_map(|p| match p {
        Pipe::CompareRollback(n) => Some(*n),
        _ => None,
    }) {
        let Some(old) = state.rollback(n) else {
            return format!("error: rollback {n} does not exist\n");
        };
        let diff = old.subtree(path).compare(&tree.subtree(path));
        return diff.iter().map(|l| format!("{l}\n")).collect();
    }
    if pipes.contains(&Pipe::DisplaySet) {
        let lines = tree.subtree(path).to_set_lines();
        return lines.iter().map(|l| format!("{l}\n")).collect();
    }
    if pipes.contains(&Pipe::DisplayJson) {
        return format!("{}\n", tree.subtree(path).to_json());
    }
    let (sid, level) = tree.level(path);
    level.to_text_at(sid)
}

/// How many routes `inet.0` holds: the synthetic ones, two per up interface, two more.
pub(crate) fn route_total(spec: &DeviceSpec) -> usize {
    spec.route_count as usize + 2 * spec.interfaces().iter().filter(|i| i.up).count() + 2
}

/// Seconds the device has been up.
pub fn uptime(state: &DeviceState) -> u64 {
    SystemTime::now()
        .duration_since(state.booted)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(crate) use crate::clock::unix_now;

/// Now, as Junos writes times in replies.
pub(crate) fn now_str() -> String {
    crate::clock::junos_time(unix_now())
}

pub(crate) fn fmt_dur(secs: u64) -> String {
    let d = secs / 86_400;
    let h = (secs / 3600) % 24;
    let m = (secs / 60) % 60;
    format!("{d} days, {h}:{m:02}")
}

pub(crate) fn fmt_age(secs: u64) -> String {
    let w = secs / 604_800;
    let d = (secs / 86_400) % 7;
    let h = (secs / 3600) % 24;
    let m = (secs / 60) % 60;
    let s = secs % 60;
    if w > 0 {
        format!("{w}w{d}d {h:02}:{m:02}:{s:02}")
    } else if d > 0 {
        format!("{d}d {h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// The rpc-reply body for a `| display xml` on the CLI.
pub fn display_xml(body: Pieces) -> Pieces {
    Box::new(
        std::iter::once(format!("<rpc-reply xmlns:junos=\"{JUNOS_NS}\">\n"))
            .chain(body)
            .chain(std::iter::once(
                "    <cli>\n        <banner></banner>\n    </cli>\n</rpc-reply>\n".to_string(),
            )),
    )
}

/// An argument's text, trimmed; `None` when it is absent or empty (`<neighbor-address/>`
/// is no argument).
fn arg_text(op: &Element, what: &str) -> Option<String> {
    op.child_text(what)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Escape CLI text for `<output>`.
pub fn output_element(text: &str) -> String {
    format!("<output>\n{}</output>\n", escape_text(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(state: &DeviceState, line: &str) -> String {
        let cmd = CommandLine::parse(line).unwrap_or_else(|e| panic!("{line}: {e:?}"));
        let Show::Configuration(path) = &cmd.show else {
            panic!("{line}");
        };
        cmd.filter_text(configuration_text(state, path, &cmd.pipes))
    }

    #[test]
    fn configured_description_mtu_and_disable_show_in_interface_replies() {
        let spec = DeviceSpec::new(0, 1, 4);
        let mut state = DeviceState::new(&spec);
        let show = Show::Interfaces {
            name: Some("ge-0/0/[01]".into()),
            level: Level::default(),
        };
        let before: String = render_xml(&show, &spec, &state).collect();
        assert!(!before.contains("<description>"), "{before}");
        state
            .edit_candidate(0, |c| {
                c.load_set(
                    "set interfaces ge-0/0/0 description \"to r2\"\n\
                     set interfaces ge-0/0/0 mtu 9192\nset interfaces ge-0/0/1 disable",
                )
            })
            .unwrap()
            .unwrap();
        state.commit(0, "lab", "cli", None).unwrap();
        let after: String = render_xml(&show, &spec, &state).collect();
        assert!(
            after.contains("<description>to r2</description>"),
            "{after}"
        );
        assert!(after.contains("<mtu>9192</mtu>"), "{after}");
        assert!(
            after.contains("<admin-status junos:format=\"Disabled\">down</admin-status>"),
            "{after}"
        );
        assert_eq!(after.matches("<physical-interface>").count(), 2, "{after}");
    }

    #[test]
    fn show_configuration_pipes_and_paths_are_junos_views() {
        let spec = DeviceSpec::new(0, 1, 4);
        let mut state = DeviceState::new(&spec);
        state
            .edit_candidate(0, |c| {
                c.load_set(
                    "set groups G system ntp server 192.0.2.9\nset apply-groups G\n\
                     set system login message hi",
                )
            })
            .unwrap()
            .unwrap();
        state.commit(0, "lab", "cli", None).unwrap();
        // A path prints the level's contents only, not its parents.
        let login = show(&state, "show configuration system login");
        assert_eq!(login, "user lab {\n    class super-user;\n}\nmessage hi;\n");
        let set = show(&state, "show configuration system login | display set");
        assert!(set.contains("set system login message hi\n"), "{set}");
        assert!(!set.contains('{'), "{set}");
        let json = show(&state, "show configuration system login | display json");
        assert!(
            json.starts_with(r#"{"configuration":{"system":{"login""#),
            "{json}"
        );
        assert_eq!(
            show(&state, "show configuration system host-name"),
            "host-name r1;\n"
        );
        let plain = show(&state, "show configuration system ntp");
        assert!(plain.is_empty(), "{plain}");
        let inherited = show(
            &state,
            "show configuration system ntp | display inheritance",
        );
        assert_eq!(inherited, "server 192.0.2.9;\n");
        let diff = show(&state, "show configuration | compare rollback 1");
        assert!(
            diff.contains("[edit system login]\n+    message hi;\n"),
            "{diff}"
        );
        assert!(
            diff.contains("[edit]\n+    apply-groups G;\n+    groups {\n+        G {\n"),
            "{diff}"
        );
        let none = show(&state, "show configuration | compare rollback 9");
        assert!(none.starts_with("error: rollback 9"), "{none}");
    }

    #[test]
    fn seed_workload_commands_parse() {
        let others = [
            "sh ver",
            "show interfaces terse | count",
            "show system uptime | display xml",
        ];
        for c in SEED_COMMANDS.into_iter().chain(others) {
            CommandLine::parse(c).unwrap_or_else(|e| panic!("{c}: {e:?}"));
        }
    }

    #[test]
    fn unknown_commands_give_junos_syntax_error() {
        let e = CommandLine::parse("show frobnicate").unwrap_err();
        assert!(
            e.message.contains("syntax error, expecting <command>."),
            "{}",
            e.message
        );
        assert!(e.message.contains("     ^"));
        assert_eq!(e.bad_word, "frobnicate");
        assert!(CommandLine::parse("show version | bogus").is_err());
    }

    #[test]
    fn big_route_table_is_streamed_in_pieces() {
        let spec = DeviceSpec::new(0, 7, 100_000);
        let state = DeviceState::new(&spec);
        let show = Show::route(None, false);
        let mut pieces = 0;
        let mut routes = 0;
        for p in render_xml(&show, &spec, &state) {
            pieces += 1;
            routes += p.matches("<rt ").count();
        }
        assert_eq!(routes, 100_000);
        assert!(pieces > 100);
        let found = spec.lookup(spec.synthetic_route(99_999).prefix);
        assert_eq!(found.len(), 1);
    }
}
