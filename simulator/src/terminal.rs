//! A terminal session, as the simulator's shell and `netlab proxy`'s shell both run it:
//! the Junos CLI's line discipline ([`LineEditor`]) and the conversation loop
//! ([`converse`]): a banner and a prompt, each entered line run by a [`Terminal`] and its
//! reply written as it comes, until the client leaves, the terminal ends the session, or
//! (where asked) the client is silent too long or the server stops.

use std::future::Future;
use std::time::Duration;

use russh::server::Msg;
use russh::{ChannelMsg, ChannelReadHalf, ChannelWriteHalf};
use tokio_util::sync::CancellationToken;

/// The longest input line the shell keeps (the Junos CLI refuses far shorter ones).
const MAX_LINE: usize = 64 * 1024;

/// What a keystroke did to the line being typed.
#[derive(Debug, PartialEq, Eq)]
pub enum Key {
    /// Nothing to act on yet.
    Typed,
    /// A line was entered (trimmed).
    Line(String),
    /// Ctrl-C: the line was dropped.
    Interrupt,
    /// Ctrl-D on an empty line: the session ends.
    Eof,
    /// The line grew past the longest the CLI keeps and was dropped whole.
    TooLong,
}

/// The Junos CLI's line discipline, as the simulator's shell and `netlab proxy`'s shell
/// use it: CR, LF or CR LF end a line; DEL and backspace erase; Ctrl-C drops the line;
/// Ctrl-D on an empty line ends the session. With a PTY, what the terminal should show is
/// appended to `echo`.
#[derive(Debug, Default)]
pub struct LineEditor {
    line: Vec<u8>,
    last_cr: bool,
    pty: bool,
}

impl LineEditor {
    /// An empty line; `pty` turns echo on.
    pub fn new(pty: bool) -> Self {
        Self {
            pty,
            ..Self::default()
        }
    }

    /// `s` as the terminal should get it: with a PTY, every line ends in CR LF.
    pub fn for_terminal(&self, s: &str) -> String {
        if self.pty {
            s.replace("\r\n", "\n").replace('\n', "\r\n")
        } else {
            s.to_string()
        }
    }

    /// Take one byte of input.
    pub fn key(&mut self, b: u8, echo: &mut Vec<u8>) -> Key {
        match b {
            b'\r' | b'\n' => {
                if b == b'\n' && self.last_cr {
                    self.last_cr = false;
                    return Key::Typed;
                }
                self.last_cr = b == b'\r';
                if self.pty {
                    echo.extend_from_slice(b"\r\n");
                }
                let text = String::from_utf8_lossy(&self.line).trim().to_string();
                self.line.clear();
                Key::Line(text)
            }
            0x7f | 0x08 => {
                self.last_cr = false;
                if self.line.pop().is_some() && self.pty {
                    echo.extend_from_slice(b"\x08 \x08");
                }
                Key::Typed
            }
            0x03 => {
                self.last_cr = false;
                self.line.clear();
                echo.extend_from_slice(b"^C\r\n");
                Key::Interrupt
            }
            0x04 if self.line.is_empty() => Key::Eof,
            b => {
                self.last_cr = false;
                if self.line.len() >= MAX_LINE {
                    self.line.clear();
                    return Key::TooLong;
                }
                self.line.push(b);
                if self.pty {
                    echo.push(b);
                }
                Key::Typed
            }
        }
    }
}

/// What a terminal session runs: its prompt, and each line entered.
pub trait Terminal: Send {
    /// The prompt written after the banner and after each reply.
    fn prompt(&self) -> String;

    /// Run one entered line (trimmed): its reply, or `None` to end the session (`exit`).
    fn execute(&mut self, line: &str) -> impl Future<Output = Option<String>> + Send;

    /// Asked after each reply: the session must end now (the reply is written, no
    /// prompt follows), as when the session's transport broke.
    fn finished(&self) -> bool {
        false
    }

    /// The client sent `bytes` bytes (for counters).
    fn received(&mut self, _bytes: usize) {}
}

/// What else ends a session than the client leaving or the terminal ending it.
#[derive(Default)]
pub struct Bounds<'a> {
    /// The client was silent this long.
    pub idle: Option<Duration>,
    /// The server stops.
    pub stop: Option<&'a CancellationToken>,
}

/// Run a terminal session on a channel: `banner`, then the prompt, then each line the
/// client enters through `term`, each reply written as it comes (a pasted packet of many
/// lines never holds all their replies at once). Ends with exit status 0, EOF and close.
pub async fn converse<T: Terminal>(
    rd: &mut ChannelReadHalf,
    wr: &ChannelWriteHalf<Msg>,
    term: &mut T,
    pty: bool,
    banner: &str,
    bounds: Bounds<'_>,
) {
    let mut editor = LineEditor::new(pty);
    let mut out = editor.for_terminal(banner);
    out.push_str(&term.prompt());
    let stopped = async {
        match bounds.stop {
            Some(t) => t.cancelled().await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stopped);
    'session: loop {
        if !out.is_empty()
            && wr
                .data_bytes(std::mem::take(&mut out).into_bytes())
                .await
                .is_err()
        {
            break;
        }
        let msg = tokio::select! {
            m = next_message(rd, bounds.idle) => m,
            _ = &mut stopped => break,
        };
        let data = match msg {
            Some(ChannelMsg::Data { data }) => data,
            Some(ChannelMsg::Eof) | Some(ChannelMsg::Close) | None => break,
            Some(_) => continue,
        };
        term.received(data.len());
        let mut echo = Vec::new();
        for &b in data.iter() {
            let key = editor.key(b, &mut echo);
            out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut echo)));
            match key {
                Key::Typed => {}
                Key::Line(text) => match term.execute(&text).await {
                    Some(reply) => {
                        out.push_str(&editor.for_terminal(&reply));
                        if term.finished() {
                            let _ = wr.data_bytes(std::mem::take(&mut out).into_bytes()).await;
                            break 'session;
                        }
                        out.push_str(&term.prompt());
                        if wr
                            .data_bytes(std::mem::take(&mut out).into_bytes())
                            .await
                            .is_err()
                        {
                            break 'session;
                        }
                    }
                    None => {
                        let _ = wr.data_bytes(std::mem::take(&mut out).into_bytes()).await;
                        break 'session;
                    }
                },
                Key::Interrupt => out.push_str(&term.prompt()),
                Key::TooLong => {
                    // A line longer than any Junos command: dropped whole.
                    out.push_str(&editor.for_terminal("\nerror: line too long\n"));
                    out.push_str(&term.prompt());
                }
                Key::Eof => break 'session,
            }
        }
    }
    let _ = wr.exit_status(0).await;
    let _ = wr.eof().await;
    let _ = wr.close().await;
}

/// The channel's next message; `None` when it closed or was silent past `idle`.
async fn next_message(rd: &mut ChannelReadHalf, idle: Option<Duration>) -> Option<ChannelMsg> {
    match idle {
        Some(d) => tokio::time::timeout(d, rd.wait()).await.ok().flatten(),
        None => rd.wait().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(ed: &mut LineEditor, input: &[u8]) -> (Vec<Key>, Vec<u8>) {
        let mut echo = Vec::new();
        let keys = input
            .iter()
            .map(|b| ed.key(*b, &mut echo))
            .filter(|k| *k != Key::Typed)
            .collect();
        (keys, echo)
    }

    #[test]
    fn line_discipline_as_a_terminal_sees_it() {
        let mut ed = LineEditor::new(true);
        let (keys, echo) = feed(&mut ed, b"show  versiox\x7fn \r\nexit\n\r");
        assert_eq!(
            keys,
            vec![
                Key::Line("show  version".into()),
                Key::Line("exit".into()),
                Key::Line(String::new())
            ]
        );
        assert_eq!(echo, b"show  versiox\x08 \x08n \r\nexit\r\n\r\n");
        let (keys, echo) = feed(&mut ed, b"conf\x03\x04");
        assert_eq!(keys, vec![Key::Interrupt, Key::Eof]);
        assert_eq!(echo, b"conf^C\r\n");
        let (keys, _) = feed(&mut ed, b"a\x04");
        assert!(
            keys.is_empty(),
            "Ctrl-D ends the session on an empty line only"
        );
        let mut quiet = LineEditor::new(false);
        let mut long = vec![b'x'; MAX_LINE + 1];
        long.push(b'\n');
        let (keys, echo) = feed(&mut quiet, &long);
        assert_eq!(keys, vec![Key::TooLong, Key::Line(String::new())]);
        assert!(echo.is_empty(), "no echo without a PTY");
    }
}
