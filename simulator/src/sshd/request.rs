//! What a channel carries, decided by its first request, and the password check: the
//! parts of a channel's life both servers read the same way.

use russh::server::Msg;
use russh::{Channel, ChannelMsg};

/// What a channel's first deciding request asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Exec of one CLI command (trimmed).
    Command(String),
    /// NETCONF: the `netconf` subsystem, or exec of `xml-mode netconf ...`, `netconf` or
    /// `junoscript` (`over_exec`), which PyEZ and ncclient send where the subsystem is
    /// not configured.
    Netconf {
        /// Asked for by an exec request rather than the subsystem.
        over_exec: bool,
    },
    /// An interactive shell, after a PTY request or without one.
    Shell {
        /// A PTY was requested first.
        pty: bool,
    },
}

impl Request {
    /// Whether the request is an exec (a server that refuses exec refuses these).
    pub fn is_exec(&self) -> bool {
        matches!(
            self,
            Request::Command(_) | Request::Netconf { over_exec: true }
        )
    }
}

/// Wait for the request that decides what `channel` carries. `None`: the client closed
/// it, or asked for a subsystem other than `netconf` (the channel is then dropped).
/// Requests that decide nothing (environment, window changes) are passed over.
pub async fn first_request(channel: &mut Channel<Msg>) -> Option<Request> {
    let mut pty = false;
    loop {
        match channel.wait().await? {
            ChannelMsg::Exec { command, .. } => {
                let command = String::from_utf8_lossy(&command).trim().to_string();
                return Some(if is_xml_mode(&command) {
                    Request::Netconf { over_exec: true }
                } else {
                    Request::Command(command)
                });
            }
            ChannelMsg::RequestSubsystem { name, .. } => {
                return (name == "netconf").then_some(Request::Netconf { over_exec: false })
            }
            ChannelMsg::RequestPty { .. } => pty = true,
            ChannelMsg::RequestShell { .. } => return Some(Request::Shell { pty }),
            ChannelMsg::Eof | ChannelMsg::Close => return None,
            _ => {}
        }
    }
}

/// An exec command that starts the XML API: `xml-mode netconf need-trailer` (PyEZ,
/// ncclient), `netconf`, or `junoscript ...`.
pub fn is_xml_mode(command: &str) -> bool {
    let w: Vec<&str> = command.split_whitespace().collect();
    matches!(
        w.as_slice(),
        ["netconf"] | ["xml-mode", "netconf", ..] | ["junoscript", ..]
    )
}

/// Whether `given` is the password `ours`, in time that depends only on their lengths,
/// so the password cannot be found byte by byte from response times.
pub fn password_matches(ours: &str, given: &str) -> bool {
    let (a, b) = (ours.as_bytes(), given.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_mode_is_what_pyez_ncclient_and_junoscript_send() {
        for yes in [
            "xml-mode netconf need-trailer",
            "netconf",
            "junoscript netconf need-trailer",
            " netconf ",
        ] {
            assert!(is_xml_mode(yes), "{yes}");
        }
        for no in ["show version", "netconfx", "xml-mode", "show netconf"] {
            assert!(!is_xml_mode(no), "{no}");
        }
    }

    #[test]
    fn passwords_match_only_when_equal() {
        assert!(password_matches("lab123", "lab123"));
        assert!(!password_matches("lab123", "lab124"));
        assert!(!password_matches("lab123", "lab12"));
        assert!(!password_matches("lab123", ""));
        assert!(password_matches("", ""));
    }
}
