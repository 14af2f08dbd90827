//! The CLI parser: abbreviations (`sh ver`), arguments and pipes, with Junos's syntax
//! errors.

use std::net::Ipv4Addr;

use super::words::{abbreviates, is, CliError, Words};
use super::{CommandLine, Pipe, Show, SyntaxError};

/// What a `show` command's CLI words lead to.
#[derive(Clone, Copy)]
enum Form {
    /// An argument-free command: words after its own are not read.
    Plain(&'static Show),
    /// A command with arguments: the words after its own go to its parser.
    Args(super::arguments::CliParse),
}

/// Every `show` command's words, in the CLI's completion order: the argument-free ones,
/// then those with arguments.
fn forms() -> impl Iterator<Item = (Words, Form)> {
    let plain = super::table::PLAIN
        .iter()
        .filter(|p| !p.cli.is_empty())
        .map(|p| (p.cli, Form::Plain(&p.show)));
    let args = super::arguments::WITH_ARGUMENTS
        .iter()
        .filter_map(|e| e.cli)
        .map(|(words, parse)| (words, Form::Args(parse)));
    plain.chain(args)
}

/// The command the words of a `show` line name (`w[0]` is `show`), from the tables of
/// `table.rs` and `arguments.rs`. Word by word, the first command in completion order
/// whose next word the typed one abbreviates sets the keyword (`sh sys u`: `uptime`
/// comes before `users`); the command whose words end there is the one named. `None` when
/// `w[1]` abbreviates no command's first word; an error names the first word that leads
/// nowhere.
fn by_words(w: &[&str]) -> Option<Result<Show, CliError>> {
    const DEEPEST: usize = 4;
    let mut path = [""; DEEPEST];
    let mut depth = 0;
    // Whether a command's words start with the keywords matched so far (both callers
    // have checked it has that many).
    let on_path = |words: Words, path: &[&str]| words.iter().zip(path).all(|(k, p)| k.0 == *p);
    while depth < DEEPEST {
        let Some(typed) = w.get(depth + 1) else { break };
        let next = forms()
            .filter(|(words, _)| words.len() > depth && on_path(words, &path[..depth]))
            .find(|(words, _)| abbreviates(typed, words[depth]));
        let Some((words, _)) = next else { break };
        path[depth] = words[depth].0;
        depth += 1;
    }
    if depth == 0 {
        return None;
    }
    let named = forms().find(|(words, _)| words.len() == depth && on_path(words, &path[..depth]));
    Some(match named {
        Some((_, Form::Plain(show))) => Ok(show.clone()),
        Some((_, Form::Args(parse))) => parse(w, depth + 1),
        None => Err((depth + 1, "command")),
    })
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
        let show = match by_words(&w) {
            Some(named) => named.map_err(|(at, what)| err(at, what))?,
            None => return Err(err(1, "command")),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn show(line: &str) -> Option<Result<Show, CliError>> {
        let w: Vec<&str> = line.split_whitespace().collect();
        by_words(&w)
    }

    #[test]
    fn abbreviations_follow_the_cli() {
        assert_eq!(show("sh ve"), Some(Ok(Show::Version)));
        assert_eq!(show("sh v"), None, "one letter is not enough for version");
        assert_eq!(show("sh sys up"), Some(Ok(Show::SystemUptime)));
        assert_eq!(
            show("sh sys u"),
            Some(Ok(Show::SystemUptime)),
            "uptime comes first"
        );
        assert_eq!(show("sh sys us"), Some(Ok(Show::SystemUsers)));
        assert_eq!(show("sh sys"), Some(Err((2, "command"))));
        assert_eq!(show("sh sys bogus"), Some(Err((2, "command"))));
        assert_eq!(show("sh o n"), Some(Ok(Show::OspfNeighbor)));
        assert_eq!(
            show("sh chassis hardware detail"),
            Some(Ok(Show::ChassisHardware))
        );
    }

    #[test]
    fn argument_free_and_argument_taking_commands_share_their_groups() {
        let route = |dest: Option<Ipv4Addr>, extensive| Show::Route {
            dest,
            extensive,
            table: None,
            protocol: None,
            terse: false,
        };
        assert_eq!(show("sh route"), Some(Ok(route(None, false))));
        assert_eq!(show("sh ro sum"), Some(Ok(Show::RouteSummary)));
        assert_eq!(show("sh route in"), Some(Ok(Show::RouteInstance)));
        let d = Ipv4Addr::new(10, 0, 15, 0);
        assert_eq!(
            show("sh route 10.0.15.0 ext"),
            Some(Ok(route(Some(d), true)))
        );
        assert_eq!(
            show("sh route forwarding-table all destination 10.0.15.0"),
            Some(Ok(Show::ForwardingTable { dest: Some(d) }))
        );
        assert_eq!(
            show("sh route f destination"),
            Some(Err((4, "destination")))
        );
        assert_eq!(show("sh route i"), Some(Err((2, "command"))), "in, not i");
        assert_eq!(show("sh lldp neighbors"), Some(Ok(Show::LldpNeighbors)));
        assert_eq!(
            show("sh lldp n i ge-0/0/1"),
            Some(Ok(Show::LldpDetail {
                interface: Some("ge-0/0/1".into())
            }))
        );
        assert_eq!(
            show("sh lldp neighbors interface"),
            Some(Err((4, "interface-name")))
        );
        assert_eq!(show("sh lldp"), Some(Err((2, "command"))));
        assert_eq!(show("sh bgp summary"), Some(Ok(Show::BgpSummary)));
        assert_eq!(show("sh bgp neighbor"), Some(Ok(Show::BgpNeighbor(None))));
        assert_eq!(show("sh bgp neighbor 192.0.2.x"), Some(Err((3, "address"))));
        assert_eq!(
            show("sh bridge mac-table count"),
            Some(Ok(Show::BridgeMacTable { count: true }))
        );
        assert_eq!(show("sh bridge mac-table bogus"), Some(Err((3, "command"))));
        assert_eq!(show("sh bogus"), None);
    }
}
