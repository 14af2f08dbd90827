//! The CLI parser: abbreviations (`sh ver`), arguments and pipes, with Junos's syntax
//! errors.

use std::net::Ipv4Addr;

use super::{CommandLine, Level, Pipe, Show, SyntaxError};

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
        if let Some(probe) = parse_probe(&w).transpose() {
            let show = probe.map_err(|at| err(at, "command"))?;
            let pipes = parse_pipes(parts)?;
            return Ok(CommandLine { show, pipes });
        }
        if let Some(other) = super::Joint::parse_other(cmd) {
            let joint = other
                .map_err(|at| err(at, "command"))?
                .map_err(|e| SyntaxError {
                    message: format!("error: {}\n", e.message.as_deref().unwrap_or("failed")),
                    bad_word: e
                        .info
                        .iter()
                        .find(|(k, _)| k == "bad-element")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                })?;
            let pipes = parse_pipes(parts)?;
            return Ok(CommandLine {
                show: Show::Joint(joint),
                pipes,
            });
        }
        if w.is_empty() || !is(w[0], "show") {
            return Err(err(0, "command"));
        }
        if let Some(joint) = super::Joint::parse(&w) {
            let show = Show::Joint(joint.map_err(|at| err(at, "command"))?);
            let pipes = parse_pipes(parts)?;
            return Ok(CommandLine { show, pipes });
        }
        if let Some(plain) = super::table::by_words(&w) {
            let show = plain.map_err(|at| err(at, "command"))?;
            let pipes = parse_pipes(parts)?;
            return Ok(CommandLine { show, pipes });
        }
        let arg = |i: usize| w.get(i).copied().unwrap_or("");
        let show = match arg(1) {
            a if is(a, "interfaces") && a.len() >= 2 => {
                let mut name = None;
                let mut level = Level::Normal;
                for (i, word) in w.iter().enumerate().skip(2) {
                    let lv = ["terse", "brief", "detail", "extensive"]
                        .into_iter()
                        .find(|k| is(word, k) && word.len() >= 2);
                    match lv.and_then(Level::from_word) {
                        Some(l) => level = l,
                        None if name.is_none() && looks_like_interface(word) => {
                            name = Some(word.to_string())
                        }
                        None => return Err(err(i, "command")),
                    }
                }
                Show::Interfaces { name, level }
            }
            a if is(a, "lldp") && a.len() >= 2 => match arg(2) {
                b if is(b, "neighbors") && is(arg(3), "interface") && w.len() == 5 => {
                    Show::LldpDetail {
                        interface: Some(w[4].to_string()),
                    }
                }
                b if is(b, "neighbors") && w.len() == 3 => Show::LldpNeighbors,
                _ => return Err(err(2, "command")),
            },
            a if is(a, "bridge") && a.len() >= 2 => match (arg(2), arg(3)) {
                (b, "") if is(b, "mac-table") => Show::BridgeMacTable { count: false },
                (b, c) if is(b, "mac-table") && is(c, "count") => {
                    Show::BridgeMacTable { count: true }
                }
                (b, _) if is(b, "mac-table") => return Err(err(3, "command")),
                _ => return Err(err(2, "command")),
            },
            a if is(a, "arp") && a.len() >= 2 => match arg(2) {
                "" => Show::Arp { expiration: false },
                b if is(b, "no-resolve") => Show::Arp {
                    expiration: is(arg(3), "expiration-time") && !arg(3).is_empty(),
                },
                b if is(b, "expiration-time") => Show::Arp { expiration: true },
                _ => return Err(err(2, "command")),
            },
            a if is(a, "bgp") && a.len() >= 2 => match arg(2) {
                b if is(b, "summary") => Show::BgpSummary,
                b if is(b, "neighbor") => match arg(3) {
                    "" => Show::BgpNeighbor(None),
                    n => Show::BgpNeighbor(Some(parse_dest(n).ok_or_else(|| err(3, "address"))?)),
                },
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
                } else if is(arg(2), "instance") && arg(2).len() >= 2 && w.len() == 3 {
                    Show::RouteInstance
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
                    let (mut table, mut protocol, mut terse) = (None, None, false);
                    while i < w.len() {
                        if let Some(d) = parse_dest(w[i]) {
                            if dest.is_some() {
                                return Err(err(i, "command"));
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
                            return Err(err(i, "command"));
                        }
                        i += 1;
                    }
                    Show::Route {
                        dest,
                        extensive,
                        table,
                        protocol,
                        terse,
                    }
                }
            }
            _ => return Err(err(1, "command")),
        };
        let pipes = parse_pipes(parts)?;
        Ok(CommandLine { show, pipes })
    }
}

/// The pipes after the command (`| display xml | no-more`).
fn parse_pipes<'a>(parts: impl Iterator<Item = &'a str>) -> Result<Vec<Pipe>, SyntaxError> {
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
                b if is(b, "json") => Pipe::DisplayJson,
                b if is(b, "inheritance") => Pipe::DisplayInheritance,
                _ => return Err(perr()),
            },
            a if is(a, "compare") => match (pw.get(1).copied(), pw.get(2)) {
                (Some(b), Some(n)) if is(b, "rollback") => {
                    Pipe::CompareRollback(n.parse().map_err(|_| perr())?)
                }
                _ => return Err(perr()),
            },
            a if is(a, "match") && pw.len() > 1 => {
                Pipe::Match(pw[1..].join(" ").trim_matches('"').to_string())
            }
            a if is(a, "except") && pw.len() > 1 => {
                Pipe::Except(pw[1..].join(" ").trim_matches('"').to_string())
            }
            a if is(a, "last") => Pipe::Last(pw.get(1).and_then(|n| n.parse().ok()).unwrap_or(10)),
            _ => return Err(perr()),
        };
        pipes.push(pipe);
    }
    Ok(pipes)
}

/// `ping HOST [OPTION VALUE | rapid]...` and `traceroute HOST [...]`: `Ok(None)` when
/// the line is neither, `Err(word index)` for a word that does not parse.
fn parse_probe(w: &[&str]) -> Result<Option<Show>, usize> {
    let ping = match w.first() {
        Some(&"ping") => true,
        Some(&"traceroute") => false,
        _ => return Ok(None),
    };
    let host: Ipv4Addr = w.get(1).and_then(|h| h.parse().ok()).ok_or(1usize)?;
    let mut count = 5;
    let mut i = 2;
    while i < w.len() {
        match w[i] {
            "rapid" | "no-resolve" | "do-not-fragment" | "bypass-routing" => i += 1,
            "count" if ping => {
                count = w.get(i + 1).and_then(|n| n.parse().ok()).ok_or(i + 1)?;
                i += 2;
            }
            "ttl" | "wait" | "size" | "source" | "routing-instance" | "interface" | "interval"
                if i + 1 < w.len() =>
            {
                i += 2
            }
            _ => return Err(i),
        }
    }
    Ok(Some(if ping {
        Show::Ping { host, count }
    } else {
        Show::Traceroute { host }
    }))
}

pub(crate) fn parse_dest(s: &str) -> Option<Ipv4Addr> {
    s.split('/').next()?.parse().ok()
}

/// Whether a word can name an interface (`ge-0/0/0`, `ge-*`, `lo0.0`, `fxp0`).
fn looks_like_interface(w: &str) -> bool {
    w.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '*')
        && w.chars().any(|c| c.is_ascii_digit() || c == '*')
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.' | ':' | '*'))
}
