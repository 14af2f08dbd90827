//! Junos operational commands: parsing (with abbreviations and pipes) and output in
//! text and XML. Every command maps to the RPC Junos uses for it.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::time::SystemTime;

use netconf_wire::escape_text;

use crate::device::{DeviceSpec, DeviceState, Route};

/// Junos reply namespace for the version the simulator claims.
pub const JUNOS_NS: &str = "http://xml.juniper.net/junos/21.4R0/junos";

/// An operational command the simulator knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Show {
    /// `show version` / get-software-information.
    Version,
    /// `show interfaces terse` / get-interface-information terse.
    InterfacesTerse,
    /// `show system uptime`.
    SystemUptime,
    /// `show system users`.
    SystemUsers,
    /// `show system information` / get-system-information.
    SystemInformation,
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
    /// `show route [DEST] [extensive]`; no destination means the whole table.
    Route {
        /// Destination to look up.
        dest: Option<Ipv4Addr>,
        /// Extensive output.
        extensive: bool,
    },
    /// `show route forwarding-table [all] [destination D]`.
    ForwardingTable {
        /// Destination to look up.
        dest: Option<Ipv4Addr>,
    },
    /// `show configuration [path]`.
    Configuration(Vec<String>),
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

fn is(word: &str, keyword: &str) -> bool {
    !word.is_empty() && keyword.starts_with(word)
}

fn syntax_error(line: &str, words: &[&str], at: usize, expecting: &str) -> SyntaxError {
    let offset: usize = words[..at.min(words.len())]
        .iter()
        .map(|w| w.len() + 1)
        .sum();
    let bad = words.get(at).copied().unwrap_or("");
    SyntaxError {
        message: format!(
            "{line}\n{}^\nsyntax error, expecting <{expecting}>.\n",
            " ".repeat(offset)
        ),
        bad_word: bad.to_string(),
    }
}

impl CommandLine {
    /// Parse a CLI line such as `show route 10.0.15.0 extensive | no-more`.
    pub fn parse(line: &str) -> Result<CommandLine, SyntaxError> {
        let mut parts = line.split('|');
        let cmd = parts.next().unwrap_or("").trim();
        let w: Vec<&str> = cmd.split_whitespace().collect();
        let err = |at: usize, what: &str| syntax_error(cmd, &w, at, what);
        if w.is_empty() || !is(w[0], "show") {
            return Err(err(0, "command"));
        }
        let arg = |i: usize| w.get(i).copied().unwrap_or("");
        let show = match arg(1) {
            a if is(a, "version") && a.len() >= 2 => Show::Version,
            a if is(a, "interfaces") && a.len() >= 2 => {
                if w.len() > 2 && !is(arg(2), "terse") {
                    return Err(err(2, "terse"));
                }
                Show::InterfacesTerse
            }
            a if is(a, "system") && a.len() >= 2 => match arg(2) {
                b if is(b, "uptime") => Show::SystemUptime,
                b if is(b, "information") => Show::SystemInformation,
                b if is(b, "users") && b.len() >= 2 => Show::SystemUsers,
                _ => return Err(err(2, "command")),
            },
            a if is(a, "chassis") && a.len() >= 2 => match arg(2) {
                b if is(b, "hardware") => Show::ChassisHardware,
                b if is(b, "routing-engine") => Show::RouteEngine,
                _ => return Err(err(2, "command")),
            },
            a if is(a, "ospf") => match arg(2) {
                b if is(b, "interface") => Show::OspfInterface,
                b if is(b, "database") => Show::OspfDatabase,
                b if is(b, "neighbor") => Show::OspfNeighbor,
                _ => return Err(err(2, "command")),
            },
            a if is(a, "configuration") && a.len() >= 2 => {
                Show::Configuration(w[2..].iter().map(|s| s.to_string()).collect())
            }
            a if is(a, "route") && a.len() >= 2 => {
                let mut dest = None;
                let mut extensive = false;
                let mut i = 2;
                if is(arg(2), "summary") && w.len() == 3 {
                    Show::RouteSummary
                } else if is(arg(2), "forwarding-table") {
                    let mut fdest = None;
                    i = 3;
                    while i < w.len() {
                        if is(w[i], "all") {
                            i += 1;
                        } else if is(w[i], "destination") {
                            fdest = Some(
                                parse_dest(arg(i + 1)).ok_or_else(|| err(i + 1, "destination"))?,
                            );
                            i += 2;
                        } else {
                            return Err(err(i, "command"));
                        }
                    }
                    Show::ForwardingTable { dest: fdest }
                } else {
                    while i < w.len() {
                        if let Some(d) = parse_dest(w[i]) {
                            if dest.is_some() {
                                return Err(err(i, "command"));
                            }
                            dest = Some(d);
                        } else if is(w[i], "extensive") {
                            extensive = true;
                        } else if is(w[i], "detail") || is(w[i], "terse") {
                        } else {
                            return Err(err(i, "command"));
                        }
                        i += 1;
                    }
                    Show::Route { dest, extensive }
                }
            }
            _ => return Err(err(1, "command")),
        };
        let mut pipes = Vec::new();
        for p in parts {
            let pw: Vec<&str> = p.split_whitespace().collect();
            let perr = || syntax_error(p.trim(), &pw, 0, "pipe");
            let pipe = match pw.first().copied().unwrap_or("") {
                a if is(a, "no-more") => Pipe::NoMore,
                a if is(a, "count") && a.len() >= 2 => Pipe::Count,
                a if is(a, "display") => match pw.get(1).copied().unwrap_or("") {
                    b if is(b, "xml") => Pipe::DisplayXml,
                    b if is(b, "set") => Pipe::DisplaySet,
                    _ => return Err(perr()),
                },
                a if is(a, "match") && pw.len() > 1 => {
                    Pipe::Match(pw[1..].join(" ").trim_matches('"').to_string())
                }
                a if is(a, "except") && pw.len() > 1 => {
                    Pipe::Except(pw[1..].join(" ").trim_matches('"').to_string())
                }
                a if is(a, "last") => {
                    Pipe::Last(pw.get(1).and_then(|n| n.parse().ok()).unwrap_or(10))
                }
                _ => return Err(perr()),
            };
            pipes.push(pipe);
        }
        Ok(CommandLine { show, pipes })
    }

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

fn parse_dest(s: &str) -> Option<Ipv4Addr> {
    s.split('/').next()?.parse().ok()
}

/// Output produced in pieces so that a 100,000-route table is never built whole.
pub type Pieces = Box<dyn Iterator<Item = String> + Send>;

fn one(s: String) -> Pieces {
    Box::new(std::iter::once(s))
}

/// Render a command as text.
pub fn render_text(show: &Show, spec: &DeviceSpec, state: &DeviceState) -> Pieces {
    match show {
        Show::Version => one(format!(
            "Hostname: {}\nModel: {}\nJunos: {}\nJUNOS OS Kernel 64-bit  [20230321.a5b9d7f_builder_stable_12]\nJUNOS OS libs [20230321.a5b9d7f_builder_stable_12]\nJUNOS OS runtime [20230321.a5b9d7f_builder_stable_12]\nJUNOS Packet Forwarding Engine Simulation Package [{}]\nJUNOS py base [{}]\nJUNOS Routing Software Suite [{}]\n",
            spec.hostname, spec.model, spec.version, spec.version, spec.version, spec.version
        )),
        Show::InterfacesTerse => {
            let mut s = String::from("Interface               Admin Link Proto    Local                 Remote\n");
            for i in spec.interfaces() {
                let link = if i.up { "up" } else { "down" };
                let _ = writeln!(s, "{:<24}up    {link:<4}", i.name);
                let _ = writeln!(s, "{:<24}up    {link:<4} inet     {}/{}", format!("{}.0", i.name), i.address, i.prefix_len);
            }
            let _ = writeln!(s, "{:<24}up    up", "lo0");
            let _ = writeln!(s, "{:<24}up    up   inet     {:<22}--> 0/0", "lo0.0", spec.router_id());
            one(s)
        }
        Show::SystemUptime => {
            let up = uptime(state);
            one(format!(
                "Current time: {}\nSystem booted: {} ({} ago)\nProtocols started: {} ({} ago)\nLast configured: {} by lab\n{}  up {}, {} users, load averages: 0.21, 0.18, 0.16\n",
                now_str(), "2026-11-18 18:33:12 UTC", fmt_dur(up), "2026-11-18 18:35:40 UTC", fmt_dur(up.saturating_sub(148)),
                "2026-11-18 18:40:02 UTC", "10:37PM", fmt_dur(up), state.sessions.len()
            ))
        }
        Show::SystemInformation => one(format!(
            "Model: {}\nFamily: junos\nJunos: {}\nHostname: {}\n",
            spec.model, spec.version, spec.hostname
        )),
        Show::SystemUsers => {
            let mut s = format!(
                "{}  up {}, {} users, load averages: 0.21, 0.18, 0.16\nUSER     TTY      FROM                              LOGIN@  IDLE WHAT\n",
                "10:37PM", fmt_dur(uptime(state)), state.sessions.len()
            );
            for (id, (user, client, _)) in &state.sessions {
                let _ = writeln!(s, "{user:<8} pts/{id:<4} 127.0.0.1                         10:37PM     - {client}");
            }
            one(s)
        }
        Show::RouteSummary => {
            let total = spec.route_count as usize + 2 * spec.interfaces().iter().filter(|i| i.up).count() + 2;
            one(format!(
                "Autonomous system number: 64512\nRouter ID: {}\n\ninet.0: {total} destinations, {total} routes ({total} active, 0 holddown, 0 hidden)\n              Direct:      4 routes,      4 active\n               Local:      4 routes,      4 active\n                OSPF: {:>6} routes, {:>6} active\n",
                spec.router_id(), spec.route_count, spec.route_count
            ))
        }
        Show::ChassisHardware => one(format!(
            "Hardware inventory:\nItem             Version  Part number  Serial number     Description\nChassis                                {:<18}VMX\nMidplane\nRouting Engine 0                                         RE-VMX\nCB 0                                                      VMX SCB\nFPC 0                                                     Virtual FPC\n  CPU            Rev. 1.0 RIOT-LITE    BUILTIN\n  MIC 0                                                   Virtual\n    PIC 0                 BUILTIN      BUILTIN           Virtual\n",
            spec.serial
        )),
        Show::RouteEngine => one(format!(
            "Routing Engine status:\n    Slot 0:\n    Current state                  Master\n    Model                          RE-VMX\n    Uptime                         {}\n    Last reboot reason             Router rebooted after a normal shutdown.\n",
            fmt_dur(uptime(state))
        )),
        Show::OspfInterface => {
            let mut s = String::from("Interface           State   Area            DR ID           BDR ID          Nbrs\n");
            for i in spec.interfaces().iter().filter(|i| i.up) {
                let _ = writeln!(s, "{:<20}PtToPt  0.0.0.0         0.0.0.0         0.0.0.0            1", format!("{}.0", i.name));
            }
            let _ = writeln!(s, "{:<20}DRother 0.0.0.0         0.0.0.0         0.0.0.0            0", "lo0.0");
            one(s)
        }
        Show::OspfDatabase => {
            let mut s = String::from("\n    OSPF database, Area 0.0.0.0\n Type       ID               Adv Rtr           Seq      Age  Opt  Cksum  Len\n");
            let _ = writeln!(s, "Router  *{:<17}{:<17}0x80000a3c   412  0x22 0x5d2a  84", spec.router_id(), spec.router_id());
            for i in spec.interfaces().iter().filter(|i| i.up) {
                let _ = writeln!(s, "Router   {:<17}{:<17}0x80000b11  1203  0x22 0x8f10  84", i.neighbor_id, i.neighbor_id);
            }
            one(s)
        }
        Show::OspfNeighbor => {
            let mut s = String::from("Address          Interface              State           ID               Pri  Dead\n");
            for i in spec.interfaces().iter().filter(|i| i.up) {
                let _ = writeln!(s, "{:<17}{:<23}Full            {:<17}128    36", i.neighbor, format!("{}.0", i.name), i.neighbor_id);
            }
            one(s)
        }
        Show::Route { dest, extensive } => route_text(spec, *dest, *extensive),
        Show::ForwardingTable { dest } => {
            let mut s = String::from("Routing table: default.inet\nInternet:\nDestination        Type RtRef Next hop           Type Index    NhRef Netif\n");
            let routes = match dest {
                Some(d) => spec.lookup(*d),
                None => spec.lookup(Ipv4Addr::new(10, 0, 14, 1)),
            };
            for r in routes {
                let _ = writeln!(s, "{:<19}user     0 {:<18} ucst      589     5 {}", format!("{}/{}", r.prefix, r.len), nh(&r), r.via);
            }
            one(s)
        }
        Show::Configuration(path) => one(config_at(state, path).to_text()),
    }
}

fn nh(r: &Route) -> String {
    if r.next_hop.is_unspecified() {
        "rslv".into()
    } else {
        r.next_hop.to_string()
    }
}

fn route_line(s: &mut String, r: &Route, extensive: bool) {
    let _ = writeln!(
        s,
        "{:<19}*[{}/{}] {}, metric {}\n                    >  {} via {}",
        format!("{}/{}", r.prefix, r.len),
        r.protocol,
        r.preference,
        fmt_age(r.age_s),
        r.metric,
        if r.next_hop.is_unspecified() {
            String::new()
        } else {
            format!("to {}", r.next_hop)
        },
        r.via
    );
    if extensive {
        let _ = writeln!(
            s,
            "        TSI:\n        KRT in-kernel {}/{} -> {{{}}}\n        *{}    Preference: {}\n                Next hop type: Router, Next hop index: 589\n                Address: 0x7a3c1f4\n                Next-hop reference count: 5\n                Next hop: {} via {}, selected\n                State: <Active Int Ext>\n                Age: {}      Metric: {}\n                Validation State: unverified\n                Task: {}\n                Announcement bits (2): 0-KRT 2-Resolve tree 1\n                AS path: I",
            r.prefix, r.len, r.via, r.protocol, r.preference, nh(r), r.via, fmt_age(r.age_s), r.metric, r.protocol
        );
    }
}

fn route_text(spec: &DeviceSpec, dest: Option<Ipv4Addr>, extensive: bool) -> Pieces {
    let header = "\ninet.0: routes (active, holddown, hidden)\n+ = Active Route, - = Last Active, * = Both\n\n".to_string();
    match dest {
        Some(d) => {
            let mut s = header;
            for r in spec.lookup(d) {
                route_line(&mut s, &r, extensive);
            }
            one(s)
        }
        None => {
            let spec = spec.clone();
            let n = spec.route_count;
            Box::new(
                std::iter::once(header).chain((0..n).step_by(500).map(move |start| {
                    let mut s = String::with_capacity(500 * 120);
                    for i in start..(start + 500).min(n) {
                        route_line(&mut s, &spec.synthetic_route(i), extensive);
                    }
                    s
                })),
            )
        }
    }
}

/// Render a command as the XML Junos returns for its RPC (the reply's children).
pub fn render_xml(show: &Show, spec: &DeviceSpec, state: &DeviceState) -> Pieces {
    match show {
        Show::Version => one(format!(
            "<software-information>\n<host-name>{}</host-name>\n<product-model>{}</product-model>\n<product-name>{}</product-name>\n<junos-version>{}</junos-version>\n<package-information>\n<name>junos</name>\n<comment>JUNOS Software Release [{}]</comment>\n</package-information>\n</software-information>\n",
            spec.hostname, spec.model, spec.model, spec.version, spec.version
        )),
        Show::InterfacesTerse => {
            let mut s = String::from("<interface-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-interface\" junos:style=\"terse\">\n");
            for i in spec.interfaces() {
                let link = if i.up { "up" } else { "down" };
                let _ = write!(s, "<physical-interface>\n<name>{}</name>\n<admin-status>up</admin-status>\n<oper-status>{link}</oper-status>\n<logical-interface>\n<name>{}.0</name>\n<admin-status>up</admin-status>\n<oper-status>{link}</oper-status>\n<address-family>\n<address-family-name>inet</address-family-name>\n<interface-address>\n<ifa-local>{}/{}</ifa-local>\n</interface-address>\n</address-family>\n</logical-interface>\n</physical-interface>\n", i.name, i.name, i.address, i.prefix_len);
            }
            s.push_str("</interface-information>\n");
            one(s)
        }
        Show::SystemUptime => {
            let up = uptime(state);
            one(format!("<system-uptime-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos\">\n<current-time>\n<date-time junos:seconds=\"{}\">{}</date-time>\n</current-time>\n<uptime-information>\n<up-time junos:seconds=\"{up}\">{}</up-time>\n<active-user-count>{}</active-user-count>\n</uptime-information>\n</system-uptime-information>\n",
                unix_now(), now_str(), fmt_dur(up), state.sessions.len()))
        }
        Show::SystemInformation => one(format!(
            "<system-information>\n<hardware-model>{}</hardware-model>\n<os-name>junos</os-name>\n<os-version>{}</os-version>\n<serial-number>{}</serial-number>\n<host-name>{}</host-name>\n</system-information>\n",
            spec.model, spec.version, spec.serial, spec.hostname
        )),
        Show::SystemUsers => {
            let mut s = format!("<system-users-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos\">\n<uptime-information>\n<active-user-count>{}</active-user-count>\n<user-table>\n", state.sessions.len());
            for (id, (user, client, _)) in &state.sessions {
                let _ = write!(s, "<user-entry>\n<user>{user}</user>\n<tty>pts/{id}</tty>\n<from>127.0.0.1</from>\n<command>{client}</command>\n</user-entry>\n");
            }
            s.push_str("</user-table>\n</uptime-information>\n</system-users-information>\n");
            one(s)
        }
        Show::RouteSummary => one(format!(
            "<route-summary-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-routing\">\n<as-number>64512</as-number>\n<router-id>{}</router-id>\n<route-table>\n<table-name>inet.0</table-name>\n<destination-count>{}</destination-count>\n<total-route-count>{}</total-route-count>\n</route-table>\n</route-summary-information>\n",
            spec.router_id(), spec.route_count + 8, spec.route_count + 8
        )),
        Show::ChassisHardware => one(format!(
            "<chassis-inventory xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-chassis\">\n<chassis junos:style=\"inventory\">\n<name>Chassis</name>\n<serial-number>{}</serial-number>\n<description>VMX</description>\n<chassis-module>\n<name>Midplane</name>\n</chassis-module>\n<chassis-module>\n<name>Routing Engine 0</name>\n<description>RE-VMX</description>\n</chassis-module>\n<chassis-module>\n<name>FPC 0</name>\n<description>Virtual FPC</description>\n</chassis-module>\n</chassis>\n</chassis-inventory>\n",
            spec.serial
        )),
        Show::RouteEngine => one(format!(
            "<route-engine-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-chassis\">\n<route-engine>\n<slot>0</slot>\n<mastership-state>master</mastership-state>\n<status>OK</status>\n<model>RE-VMX</model>\n<up-time junos:seconds=\"{}\">{}</up-time>\n<last-reboot-reason>Router rebooted after a normal shutdown.</last-reboot-reason>\n</route-engine>\n</route-engine-information>\n",
            uptime(state), fmt_dur(uptime(state))
        )),
        Show::OspfInterface => {
            let mut s = String::from("<ospf-interface-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-routing\">\n");
            for i in spec.interfaces().iter().filter(|i| i.up) {
                let _ = write!(s, "<ospf-interface>\n<interface-name>{}.0</interface-name>\n<ospf-interface-state>PtToPt</ospf-interface-state>\n<ospf-area>0.0.0.0</ospf-area>\n<neighbor-count>1</neighbor-count>\n</ospf-interface>\n", i.name);
            }
            s.push_str("</ospf-interface-information>\n");
            one(s)
        }
        Show::OspfDatabase => {
            let mut s = String::from("<ospf-database-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-routing\">\n<ospf-area-header>\n<ospf-area>0.0.0.0</ospf-area>\n</ospf-area-header>\n");
            let ifaces = spec.interfaces();
            let ids = std::iter::once(spec.router_id()).chain(ifaces.iter().filter(|i| i.up).map(|i| i.neighbor_id));
            for id in ids {
                let _ = write!(s, "<ospf-database>\n<lsa-type>Router</lsa-type>\n<lsa-id>{id}</lsa-id>\n<advertising-router>{id}</advertising-router>\n<sequence-number>0x80000a3c</sequence-number>\n<age>412</age>\n</ospf-database>\n");
            }
            s.push_str("</ospf-database-information>\n");
            one(s)
        }
        Show::OspfNeighbor => {
            let mut s = String::from("<ospf-neighbor-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-routing\">\n");
            for i in spec.interfaces().iter().filter(|i| i.up) {
                let _ = write!(s, "<ospf-neighbor>\n<neighbor-address>{}</neighbor-address>\n<interface-name>{}.0</interface-name>\n<ospf-neighbor-state>Full</ospf-neighbor-state>\n<neighbor-id>{}</neighbor-id>\n<neighbor-priority>128</neighbor-priority>\n<activity-timer>36</activity-timer>\n</ospf-neighbor>\n", i.neighbor, i.name, i.neighbor_id);
            }
            s.push_str("</ospf-neighbor-information>\n");
            one(s)
        }
        Show::Route { dest, extensive } => route_xml(spec, *dest, *extensive),
        Show::ForwardingTable { dest } => {
            let mut s = String::from("<forwarding-table-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-routing\">\n<route-table>\n<table-name>default</table-name>\n<address-family>Internet</address-family>\n");
            for r in spec.lookup(dest.unwrap_or(Ipv4Addr::new(10, 0, 14, 1))) {
                let _ = write!(s, "<rt-entry>\n<rt-destination>{}/{}</rt-destination>\n<destination-type>user</destination-type>\n<nh>\n<to>{}</to>\n<nh-type>unicast</nh-type>\n<nh-index>589</nh-index>\n<via>{}</via>\n</nh>\n</rt-entry>\n", r.prefix, r.len, nh(&r), r.via);
            }
            s.push_str("</route-table>\n</forwarding-table-information>\n");
            one(s)
        }
        Show::Configuration(path) => one(format!(
            "<configuration junos:commit-seconds=\"{}\">\n{}\n</configuration>\n",
            unix_now(),
            config_at(state, path).to_xml()
        )),
    }
}

fn route_entry_xml(s: &mut String, r: &Route, extensive: bool) {
    let _ = write!(s, "<rt junos:style=\"{}\">\n<rt-destination>{}/{}</rt-destination>\n<rt-entry>\n<active-tag>*</active-tag>\n<protocol-name>{}</protocol-name>\n<preference>{}</preference>\n<age junos:seconds=\"{}\">{}</age>\n<metric>{}</metric>\n<nh>\n<selected-next-hop/>\n{}<via>{}</via>\n</nh>\n",
        if extensive { "detail" } else { "brief" }, r.prefix, r.len, r.protocol, r.preference, r.age_s, fmt_age(r.age_s), r.metric,
        if r.next_hop.is_unspecified() { String::new() } else { format!("<to>{}</to>\n", r.next_hop) }, r.via);
    if extensive {
        let _ = write!(s, "<rt-entry-state>Active Int Ext</rt-entry-state>\n<task-name>{}</task-name>\n<validation-state>unverified</validation-state>\n<as-path>I</as-path>\n", r.protocol);
    }
    s.push_str("</rt-entry>\n</rt>\n");
}

fn route_xml(spec: &DeviceSpec, dest: Option<Ipv4Addr>, extensive: bool) -> Pieces {
    let open = "<route-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-routing\">\n<route-table>\n<table-name>inet.0</table-name>\n".to_string();
    let close = "</route-table>\n</route-information>\n".to_string();
    match dest {
        Some(d) => {
            let mut s = open;
            for r in spec.lookup(d) {
                route_entry_xml(&mut s, &r, extensive);
            }
            s.push_str(&close);
            one(s)
        }
        None => {
            let spec = spec.clone();
            let n = spec.route_count;
            Box::new(
                std::iter::once(open)
                    .chain((0..n).step_by(500).map(move |start| {
                        let mut s = String::with_capacity(500 * 300);
                        for i in start..(start + 500).min(n) {
                            route_entry_xml(&mut s, &spec.synthetic_route(i), extensive);
                        }
                        s
                    }))
                    .chain(std::iter::once(close)),
            )
        }
    }
}

fn config_at(state: &DeviceState, path: &[String]) -> crate::config::ConfigTree {
    // `show configuration system` shows only that subtree (rooted, for simplicity).
    let mut t = crate::config::ConfigTree::default();
    let lines: Vec<String> = state
        .running
        .to_set_lines()
        .into_iter()
        .filter(|l| {
            let words: Vec<&str> = l.split_whitespace().skip(1).collect();
            path.iter().zip(words.iter()).all(|(p, w)| p == w) && words.len() >= path.len()
        })
        .collect();
    t.load_set(&lines.join("\n"))
        .expect("running configuration re-parses");
    t
}

/// Seconds the device has been up.
pub fn uptime(state: &DeviceState) -> u64 {
    SystemTime::now()
        .duration_since(state.booted)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn now_str() -> String {
    let secs = unix_now();
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    format!("2026-11-21 {h:02}:{m:02}:{s:02} UTC")
}

fn fmt_dur(secs: u64) -> String {
    let d = secs / 86_400;
    let h = (secs / 3600) % 24;
    let m = (secs / 60) % 60;
    format!("{d} days, {h}:{m:02}")
}

fn fmt_age(secs: u64) -> String {
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

/// Escape CLI text for `<output>`.
pub fn output_element(text: &str) -> String {
    format!("<output>\n{}</output>\n", escape_text(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_workload_commands_parse() {
        for c in [
            "show ospf interface | no-more",
            "show ospf database | no-more",
            "show ospf neighbor | no-more",
            "show route 10.0.14.0 | no-more",
            "show chassis hardware | no-more",
            "show route 10.0.15.0 extensive | no-more",
            "show route forwarding-table all destination 10.0.15.0 | no-more",
            "sh ver",
            "show interfaces terse | count",
            "show system uptime | display xml",
        ] {
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
        let show = Show::Route {
            dest: None,
            extensive: false,
        };
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
