//! The interactive Junos CLI over a PTY shell channel: `user@host> `, `configure`,
//! `set`, `commit`, as netmiko and people drive it.

use std::sync::atomic::Ordering::Relaxed;

use russh::server::Msg;
use russh::{Channel, ChannelMsg};

use crate::cli::run_cli_command;
use crate::ctx::ChannelCtx;
use crate::device::Device;
use crate::junos_config::split_words;

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

#[derive(PartialEq, Eq)]
enum Mode {
    Operational,
    Configuration,
}

struct Shell<'a> {
    dev: &'a Device,
    user: &'a str,
    id: u32,
    mode: Mode,
}

pub(crate) async fn serve(channel: Channel<Msg>, ctx: &ChannelCtx, pty: bool) {
    let dev = &ctx.dev;
    let id = dev.next_session_id();
    dev.state().open_session(id, &ctx.user, "cli");
    let (mut rd, wr) = channel.split();
    let mut sh = Shell {
        dev,
        user: &ctx.user,
        id,
        mode: Mode::Operational,
    };
    let mut editor = LineEditor::new(pty);
    let banner = format!(
        "--- JUNOS {} Kernel 64-bit  JNPR-12.1-20230321.a5b9d7f_buil\n",
        dev.inner.spec.version
    );
    let mut out = editor.for_terminal(&banner);
    out.push_str(&sh.prompt());
    'session: loop {
        if !out.is_empty()
            && wr
                .data_bytes(std::mem::take(&mut out).into_bytes())
                .await
                .is_err()
        {
            break;
        }
        let data = match rd.wait().await {
            Some(ChannelMsg::Data { data }) => data,
            Some(ChannelMsg::Eof) | Some(ChannelMsg::Close) | None => break,
            Some(_) => continue,
        };
        let mut echo = Vec::new();
        for &b in data.iter() {
            let key = editor.key(b, &mut echo);
            if key != Key::Typed {
                out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut echo)));
            }
            match key {
                Key::Typed => {}
                Key::Line(text) => match sh.execute(&text).await {
                    Some(reply) => {
                        out.push_str(&editor.for_terminal(&reply));
                        out.push_str(&sh.prompt());
                    }
                    None => {
                        let _ = wr.data_bytes(std::mem::take(&mut out).into_bytes()).await;
                        break 'session;
                    }
                },
                Key::Interrupt => out.push_str(&sh.prompt()),
                Key::TooLong => {
                    // A line longer than any Junos command: dropped whole.
                    out.push_str(&editor.for_terminal("\nerror: line too long\n"));
                    out.push_str(&sh.prompt());
                }
                Key::Eof => break 'session,
            }
        }
        out.push_str(&String::from_utf8_lossy(&echo));
    }
    let _ = wr.exit_status(0).await;
    let _ = wr.eof().await;
    let _ = wr.close().await;
    dev.state().session_ended(id);
}

impl Shell<'_> {
    fn prompt(&self) -> String {
        match self.mode {
            Mode::Operational => format!("{}@{}> ", self.user, self.dev.hostname()),
            Mode::Configuration => format!("\n[edit]\n{}@{}# ", self.user, self.dev.hostname()),
        }
    }

    /// Width of the configuration-mode prompt line (`user@host# `).
    fn prompt_width(&self) -> usize {
        self.user.len() + 1 + self.dev.hostname().len() + 2
    }

    /// Run one line; `None` ends the session.
    async fn execute(&mut self, line: &str) -> Option<String> {
        if line.is_empty() {
            return Some(String::new());
        }
        let words = split_words(line).unwrap_or_default();
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        match self.mode {
            Mode::Operational => self.operational(line, &w).await,
            Mode::Configuration => Some(self.configuration(line, &w).await),
        }
    }

    async fn operational(&mut self, line: &str, w: &[&str]) -> Option<String> {
        match w {
            ["exit"] | ["quit"] | ["logout"] => None,
            ["set", "cli", "screen-length", n] => Some(format!("Screen length set to {n}\n")),
            ["set", "cli", "screen-width", n] => Some(format!("Screen width set to {n}\n")),
            ["set", "cli", "complete-on-space", "off"] => {
                Some("Disabling complete-on-space\n".into())
            }
            ["set", "cli", "timestamp", ..]
            | ["set", "cli", "terminal", ..]
            | ["set", "cli", "idle-timeout", ..] => Some(String::new()),
            ["configure"] | ["configure", "private"] | ["configure", "exclusive"] | ["edit"] => {
                if w.get(1) == Some(&"exclusive") {
                    if let Err(d) = self.dev.state().lock(self.id) {
                        return Some(format!("error: {}\n", d.message()));
                    }
                }
                self.mode = Mode::Configuration;
                Some("Entering configuration mode\n".into())
            }
            _ => Some(self.show(line).await),
        }
    }

    async fn show(&self, line: &str) -> String {
        self.dev.inner.counters.cli_commands.fetch_add(1, Relaxed);
        let (status, pieces, err) = run_cli_command(self.dev, line).await;
        if status != 0 {
            return err;
        }
        pieces.collect()
    }

    async fn configuration(&mut self, line: &str, w: &[&str]) -> String {
        if w.first() == Some(&"run") {
            let out = self.show(line.trim_start_matches("run").trim()).await;
            return format!("{out}\n");
        }
        self.configure_line(line, w)
    }

    fn configure_line(&mut self, line: &str, w: &[&str]) -> String {
        let mut st = self.dev.state();
        match w {
            ["exit"] | ["quit"] | ["exit", "configuration-mode"] => {
                st.release(self.id);
                self.mode = Mode::Operational;
                "Exiting configuration mode\n".into()
            }
            ["top"] | ["up"] => String::new(),
            ["set", rest @ ..] | ["delete", rest @ ..] if !rest.is_empty() => {
                let words: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
                let set = w[0] == "set";
                let edit = st.edit_candidate(self.id, |c| {
                    if set {
                        c.set_checked(&words).map_err(Some)
                    } else {
                        match c.delete_checked(&words) {
                            Ok(true) => Ok(()),
                            Ok(false) => Err(None),
                            Err(e) => Err(Some(e)),
                        }
                    }
                });
                match edit {
                    Ok(Ok(())) => String::new(),
                    Ok(Err(None)) => "warning: statement not found\n".into(),
                    Ok(Err(Some(e))) => {
                        // The caret under the offending word, as the Junos CLI prints it.
                        let offset: usize = std::iter::once(w[0])
                            .chain(rest.iter().copied())
                            .take(e.at + 1)
                            .map(|x| x.len() + 1)
                            .sum::<usize>()
                            + self.prompt_width();
                        format!("{}^\n{}.\n", " ".repeat(offset), e.message)
                    }
                    Err(d) => format!("error: {}\n", d.message()),
                }
            }
            ["show"] => format!("{}\n", st.candidate.to_text()),
            ["show", "|", "compare"] => {
                let diff = st.running.compare(&st.candidate);
                format!(
                    "{}\n",
                    diff.iter().map(|l| format!("{l}\n")).collect::<String>()
                )
            }
            ["show", "|", "display", "set"] => {
                format!("{}\n", st.candidate.to_set_lines().join("\n"))
            }
            ["commit", rest @ ..] => {
                let missing = st.candidate_for(self.id).missing_mandatory();
                if !missing.is_empty() {
                    let mut out = String::from("[edit]\n");
                    for (level, stmt) in &missing {
                        out.push_str(&format!(
                            "  '{level}'\n    Missing mandatory statement: '{stmt}'\n"
                        ));
                    }
                    out.push_str(
                        "error: configuration check-out failed: (missing mandatory statements)\n",
                    );
                    return out;
                }
                let dangling = st.candidate_for(self.id).dangling_references();
                if !dangling.is_empty() {
                    let mut out = String::new();
                    for d in &dangling {
                        out.push_str(&format!(
                            "[edit {}]\n  '{}'\n    {}\n",
                            d.level, d.element, d.message
                        ));
                    }
                    out.push_str("error: configuration check-out failed\n");
                    return out;
                }
                if rest.first() == Some(&"check") {
                    return match st.writable_by(self.id) {
                        Ok(()) => "configuration check succeeds\n".into(),
                        Err(d) => format!("error: {}\nerror: commit failed\n", d.message()),
                    };
                }
                let comment = rest
                    .iter()
                    .position(|x| *x == "comment")
                    .and_then(|i| rest.get(i + 1))
                    .map(|s| s.to_string());
                if let Err(d) = st.commit(self.id, self.user, "cli", comment) {
                    return format!("error: {}\nerror: commit failed\n", d.message());
                }
                if rest.contains(&"and-quit") {
                    self.mode = Mode::Operational;
                    st.release(self.id);
                    return "commit complete\nExiting configuration mode\n".into();
                }
                "commit complete\n".into()
            }
            ["rollback"] | ["rollback", "0"] => match st.discard(self.id) {
                Ok(()) => "load complete\n".into(),
                Err(d) => format!("error: {}\n", d.message()),
            },
            _ => format!("{line}\n^\nsyntax error.\n"),
        }
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
