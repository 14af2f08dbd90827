//! The CLI parser: abbreviations (`sh ver`), arguments and pipes, with Junos's syntax
//! errors.

use std::net::Ipv4Addr;

use super::{CommandLine, Pipe, Show, SyntaxError};

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
}

pub(crate) fn parse_dest(s: &str) -> Option<Ipv4Addr> {
    s.split('/').next()?.parse().ok()
}
