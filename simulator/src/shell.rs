//! The interactive Junos CLI over a PTY shell channel: `user@host> `, `configure`,
//! `set`, `commit`, as netmiko and people drive it.

use std::sync::atomic::Ordering::Relaxed;

use russh::server::Msg;
use russh::Channel;

use crate::cli::run_cli_command;
use crate::ctx::ChannelCtx;
use crate::junos_config::split_words;
use crate::router::Router;
use crate::terminal::{converse, Bounds, Terminal};

#[derive(PartialEq, Eq)]
enum Mode {
    Operational,
    Configuration,
}

struct Shell<'a> {
    dev: &'a Router,
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
    let banner = format!(
        "--- JUNOS {} Kernel 64-bit  JNPR-12.1-20230321.a5b9d7f_buil\n",
        dev.inner.spec.version
    );
    converse(&mut rd, &wr, &mut sh, pty, &banner, Bounds::default()).await;
    dev.state().session_ended(id);
}

impl Terminal for Shell<'_> {
    fn prompt(&self) -> String {
        match self.mode {
            Mode::Operational => format!("{}@{}> ", self.user, self.dev.hostname()),
            Mode::Configuration => format!("\n[edit]\n{}@{}# ", self.user, self.dev.hostname()),
        }
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
}

impl Shell<'_> {
    /// Width of the configuration-mode prompt line (`user@host# `).
    fn prompt_width(&self) -> usize {
        self.user.len() + 1 + self.dev.hostname().len() + 2
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
