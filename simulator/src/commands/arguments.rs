//! The commands with arguments, one entry each: the RPC that asks for one and how its
//! arguments make the command, and its CLI words after `show` (each with the fewest
//! letters the CLI takes) and how the words after them make the command. The served RPC
//! list, the RPC parser and the CLI parser read this table; the renderers and the service
//! time match on [`Show`], so the compiler asks for them when a variant is added. (The
//! argument-free commands are in [`super::table`], the [`Joint`](super::Joint) ones in
//! `joint.rs`.)

use std::net::Ipv4Addr;

use netconf_wire::{Element, RpcError};

use super::words::{abbreviates, is, looks_like_interface, parse_dest, CliError, Words};
use super::{Level, Show};

/// An RPC with arguments, as its parser sees it.
pub(super) struct Args<'a> {
    pub(super) op: &'a Element,
    /// `terse`, `brief`, `detail` or `extensive` (the last given).
    pub(super) level: Level,
}

impl Args<'_> {
    fn has(&self, what: &str) -> bool {
        self.op.has(what)
    }

    /// An argument's text, trimmed (`None` when absent or empty).
    fn text(&self, what: &str) -> Option<String> {
        super::arg_text(self.op, what)
    }

    /// An address argument (`None` when absent or empty, as NAPALM sends
    /// `<neighbor-address/>`); a malformed one is Junos's `invalid value`.
    fn dest(&self, what: &str) -> Result<Option<Ipv4Addr>, Box<RpcError>> {
        match self.text(what) {
            None => Ok(None),
            Some(d) => parse_dest(&d)
                .map(Some)
                .ok_or_else(|| Box::new(bad_value(what, &d))),
        }
    }

    /// The mandatory `host` of `ping` and `traceroute`.
    fn host(&self) -> Result<Ipv4Addr, Box<RpcError>> {
        let host = self.text("host").ok_or_else(|| {
            Box::new(
                RpcError::new("protocol", "missing-element", "missing mandatory argument")
                    .with_info("bad-element", "host"),
            )
        })?;
        host.parse().map_err(|_| Box::new(bad_value("host", &host)))
    }
}

/// How an RPC's arguments make the command.
pub(super) type RpcParse = fn(&Args) -> Result<Show, Box<RpcError>>;

/// How the CLI words after the command's own make it: the line's words and the index of
/// the first argument word; an error names the word that does not parse.
pub(super) type CliParse = fn(&[&str], usize) -> Result<Show, CliError>;

/// One command with arguments.
pub(super) struct WithArguments {
    /// The RPC and how its arguments make the command (`None`: the CLI only).
    pub(super) rpc: Option<(&'static str, RpcParse)>,
    /// The CLI words after `show` and how the words after them make the command (`None`:
    /// the RPC only).
    pub(super) cli: Option<(Words, CliParse)>,
}

const fn both(rpc: &'static str, parse: RpcParse, words: Words, cli: CliParse) -> WithArguments {
    WithArguments {
        rpc: Some((rpc, parse)),
        cli: Some((words, cli)),
    }
}

const fn rpc_only(rpc: &'static str, parse: RpcParse) -> WithArguments {
    WithArguments {
        rpc: Some((rpc, parse)),
        cli: None,
    }
}

/// The commands with arguments the simulator answers. The arguments each RPC takes come
/// from Junos's published RPC schema ([`crate::schema::rpc_args`]); any other is refused
/// with Junos's `syntax error` naming it. `format` and the namespace are attributes,
/// always allowed. In the CLI's completion order after [`super::table::PLAIN`].
#[rustfmt::skip]
pub(super) const WITH_ARGUMENTS: &[WithArguments] = &[
    both("get-interface-information", |a| Ok(Show::Interfaces {
        name: a.text("interface-name"),
        level: a.level,
    }), &[("interfaces", 2)], interfaces_cli),
    both("get-lldp-interface-neighbors-information", |a| Ok(Show::LldpDetail {
        interface: a.text("interface-name"),
    }), &[("lldp", 2), ("neighbors", 1), ("interface", 1)], |w, at| match &w[at..] {
        [name] => Ok(Show::LldpDetail { interface: Some(name.to_string()) }),
        _ => Err((at, "interface-name")),
    }),
    rpc_only("get-lldp-interface-neighbors", |a| Ok(Show::LldpDetail {
        interface: a.text("interface-device"),
    })),
    both("get-bridge-mac-table", |a| Ok(Show::BridgeMacTable {
        count: a.has("count"),
    }), &[("bridge", 2), ("mac-table", 1)], |w, at| match w.get(at) {
        None => Ok(Show::BridgeMacTable { count: false }),
        Some(c) if is(c, "count") => Ok(Show::BridgeMacTable { count: true }),
        Some(_) => Err((at, "command")),
    }),
    both("get-arp-table-information", |a| Ok(Show::Arp {
        expiration: a.has("expiration-time"),
    }), &[("arp", 2)], |w, at| {
        let arg = |i: usize| w.get(i).copied().unwrap_or("");
        match arg(at) {
            "" => Ok(Show::Arp { expiration: false }),
            b if is(b, "no-resolve") => Ok(Show::Arp {
                expiration: is(arg(at + 1), "expiration-time"),
            }),
            b if is(b, "expiration-time") => Ok(Show::Arp { expiration: true }),
            _ => Err((at, "command")),
        }
    }),
    both("get-bgp-neighbor-information", |a| Ok(Show::BgpNeighbor(a.dest("neighbor-address")?)),
        &[("bgp", 2), ("neighbor", 1)], |w, at| match w.get(at) {
            None => Ok(Show::BgpNeighbor(None)),
            Some(n) => Ok(Show::BgpNeighbor(Some(parse_dest(n).ok_or((at, "address"))?))),
        }),
    WithArguments {
        rpc: None,
        cli: Some((&[("configuration", 2)], |w, at| {
            Ok(Show::Configuration(w[at..].iter().map(|s| s.to_string()).collect()))
        })),
    },
    both("get-route-information", |a| {
        if a.has("summary") {
            return Ok(Show::RouteSummary);
        }
        Ok(Show::Route {
            dest: a.dest("destination")?,
            extensive: matches!(a.level, Level::Detail | Level::Extensive),
            table: a.text("table"),
            protocol: a.text("protocol").map(|p| p.to_ascii_lowercase()),
            terse: a.level == Level::Terse,
        })
    }, &[("route", 2)], route_cli),
    both("get-forwarding-table-information", |a| Ok(Show::ForwardingTable {
        dest: a.dest("destination")?,
    }), &[("route", 2), ("forwarding-table", 1)], |w, at| {
        let mut dest = None;
        let mut i = at;
        while i < w.len() {
            if is(w[i], "all") {
                i += 1;
            } else if is(w[i], "destination") {
                let d = w.get(i + 1).copied().and_then(parse_dest);
                dest = Some(d.ok_or((i + 1, "destination"))?);
                i += 2;
            } else {
                return Err((i, "command"));
            }
        }
        Ok(Show::ForwardingTable { dest })
    }),
    rpc_only("ping", |a| {
        let host = a.host()?;
        let count = match a.text("count") {
            Some(c) => c.parse().map_err(|_| Box::new(bad_value("count", &c)))?,
            None => 5,
        };
        Ok(Show::Ping { host, count })
    }),
    rpc_only("traceroute", |a| Ok(Show::Traceroute { host: a.host()? })),
];

/// `show interfaces [NAME] [terse|brief|detail|extensive]`.
fn interfaces_cli(w: &[&str], at: usize) -> Result<Show, CliError> {
    let mut name = None;
    let mut level = Level::Normal;
    for (i, word) in w.iter().enumerate().skip(at) {
        let lv = ["terse", "brief", "detail", "extensive"]
            .into_iter()
            .find(|k| abbreviates(word, (k, 2)));
        match lv.and_then(Level::from_word) {
            Some(l) => level = l,
            None if name.is_none() && looks_like_interface(word) => name = Some(word.to_string()),
            None => return Err((i, "command")),
        }
    }
    Ok(Show::Interfaces { name, level })
}

/// `show route [DEST] [extensive|detail|terse|brief] [table T] [protocol P]`.
fn route_cli(w: &[&str], at: usize) -> Result<Show, CliError> {
    let (mut dest, mut extensive, mut table, mut protocol, mut terse) =
        (None, false, None, None, false);
    let mut i = at;
    while i < w.len() {
        if let Some(d) = parse_dest(w[i]) {
            if dest.is_some() {
                return Err((i, "command"));
            }
            dest = Some(d);
        } else if is(w[i], "extensive") || is(w[i], "detail") {
            extensive = true;
        } else if is(w[i], "terse") {
            terse = true;
        } else if is(w[i], "brief") {
        } else if is(w[i], "table") && i + 1 < w.len() {
            table = Some(w[i + 1].to_string());
            i += 1;
        } else if is(w[i], "protocol") && i + 1 < w.len() {
            protocol = Some(w[i + 1].to_ascii_lowercase());
            i += 1;
        } else {
            return Err((i, "command"));
        }
        i += 1;
    }
    Ok(Show::Route {
        dest,
        extensive,
        table,
        protocol,
        terse,
    })
}

/// The RPCs of the table.
pub(super) fn rpcs() -> impl Iterator<Item = &'static str> {
    WITH_ARGUMENTS
        .iter()
        .filter_map(|e| e.rpc.map(|(rpc, _)| rpc))
}

/// How the RPC `name`'s arguments make its command, if it is one of the table's.
pub(super) fn by_rpc(name: &str) -> Option<RpcParse> {
    WITH_ARGUMENTS
        .iter()
        .filter_map(|e| e.rpc)
        .find(|(rpc, _)| *rpc == name)
        .map(|(_, parse)| parse)
}

fn bad_value(what: &str, value: &str) -> RpcError {
    RpcError::new(
        "protocol",
        "invalid-value",
        format!("invalid value for {what}: {value}"),
    )
    .with_info("bad-element", what)
}
