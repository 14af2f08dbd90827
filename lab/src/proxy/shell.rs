//! Exec and shell channels through the proxy.
//!
//! - Exec (`ssh -p 40001 lab@127.0.0.1 'show version'`) runs as a pooled exec upstream:
//!   stdout, stderr and the exit status are the device's.
//! - A shell (netmiko, a person at a terminal) gets the Junos CLI prompt. It leases one
//!   NETCONF session for its lifetime and runs each operational command over it with the
//!   `command` RPC; configuration mode maps to the configuration RPCs (`set`/`delete` as
//!   a set load, `commit [check] [confirmed [N]] [comment "text"] [and-quit]`,
//!   `show | compare`, `rollback N`, `configure private|exclusive`, leaving them as Junos
//!   does), so a pooled session serves it too. Other
//!   configuration-mode commands (`edit`, `insert`, `annotate`...) are refused with a
//!   message that says so.

use std::sync::atomic::Ordering::Relaxed;

use junos_sim::terminal::{converse, Bounds, Terminal};
use netpool::Error;
use russh::server::Msg;
use russh::Channel;

use super::Shared;

/// One command on a pooled exec channel upstream.
pub(super) async fn exec(shared: &Shared, endpoint: usize, channel: Channel<Msg>, command: &str) {
    let ep = &shared.endpoints[endpoint];
    ep.counters.commands.fetch_add(1, Relaxed);
    ep.counters
        .bytes_to_device
        .fetch_add(command.len() as u64, Relaxed);
    let res = tokio::select! {
        r = shared.pool.cli(&ep.device, command) => r,
        _ = shared.token.cancelled() => return,
    };
    let status = match res {
        Ok(out) => {
            ep.counters
                .bytes_to_client
                .fetch_add((out.stdout.len() + out.stderr.len()) as u64, Relaxed);
            if !out.stdout.is_empty() {
                let _ = channel.data(out.stdout.as_bytes()).await;
            }
            if !out.stderr.is_empty() {
                let _ = channel.extended_data(1, out.stderr.as_bytes()).await;
            }
            out.exit_status.unwrap_or(0)
        }
        Err(e) => {
            ep.counters.errors.fetch_add(1, Relaxed);
            let msg = format!("netlab proxy: {e}\n");
            let _ = channel.extended_data(1, msg.as_bytes()).await;
            255
        }
    };
    let _ = channel.exit_status(status).await;
    let _ = channel.eof().await;
    let _ = channel.close().await;
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Mode {
    Operational,
    /// `configure`: the shared candidate.
    Configuration,
    /// `configure exclusive`: the shared candidate, locked; uncommitted changes are
    /// discarded and the lock released on exit, as Junos does.
    Exclusive,
    /// `configure private`: a private candidate, gone on exit.
    Private,
}

/// `commit` and its options, in any order, as the Junos CLI takes them.
#[derive(Debug, Default, PartialEq, Eq)]
struct Commit {
    check: bool,
    /// `confirmed [minutes]`: Junos's default is 10 minutes.
    confirmed: Option<u32>,
    comment: Option<String>,
    and_quit: bool,
}

impl Commit {
    fn parse(rest: &[&str]) -> Result<Commit, String> {
        let mut c = Commit::default();
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                "check" => c.check = true,
                "and-quit" => c.and_quit = true,
                "synchronize" => {}
                "comment" => {
                    i += 1;
                    let text = rest
                        .get(i)
                        .ok_or("error: syntax error, expecting <comment>")?;
                    c.comment = Some(text.to_string());
                }
                "confirmed" => {
                    let minutes = match rest.get(i + 1).map(|m| m.parse::<u32>()) {
                        Some(Ok(m)) => {
                            i += 1;
                            if !(1..=65_535).contains(&m) {
                                return Err(format!(
                                    "error: value {m} is not within range (1..65535)"
                                ));
                            }
                            m
                        }
                        _ => 10,
                    };
                    c.confirmed = Some(minutes);
                }
                other => return Err(format!("error: syntax error: {other}")),
            }
            i += 1;
        }
        if c.check && (c.confirmed.is_some() || c.and_quit) {
            return Err("error: syntax error: check".into());
        }
        Ok(c)
    }

    fn rpc(&self) -> String {
        if self.check {
            return "<commit-configuration><check/></commit-configuration>".into();
        }
        let mut r = String::from("<commit-configuration>");
        if let Some(m) = self.confirmed {
            r.push_str(&format!(
                "<confirmed/><confirm-timeout>{m}</confirm-timeout>"
            ));
        }
        if let Some(c) = &self.comment {
            r.push_str(&format!("<log>{}</log>", netconf_wire::escape_text(c)));
        }
        r.push_str("</commit-configuration>");
        r
    }
}

struct Shell<'a> {
    lease: super::Leased<'a>,
    user: &'a str,
    host: String,
    mode: Mode,
    counters: &'a super::EndpointCounters,
    /// The upstream session failed (not an rpc-error): the shell session ends.
    broken: bool,
}

/// An interactive CLI session over one leased NETCONF session.
pub(super) async fn serve(shared: &Shared, endpoint: usize, channel: Channel<Msg>, pty: bool) {
    let ep = &shared.endpoints[endpoint];
    let (mut rd, wr) = channel.split();
    let mut lease = match shared.lease(endpoint).await {
        Ok(l) => l,
        Err(_) if shared.token.is_cancelled() => return,
        Err(why) => {
            let _ = wr.extended_data(1, format!("{why}\r\n").as_bytes()).await;
            let _ = wr.exit_status(255).await;
            let _ = wr.eof().await;
            let _ = wr.close().await;
            return;
        }
    };
    let host = match lease.session.rpc("<get-software-information/>").await {
        Ok(r) => r
            .root
            .find(&["software-information", "host-name"])
            .or_else(|| {
                r.root.find(&[
                    "multi-routing-engine-results",
                    "multi-routing-engine-item",
                    "software-information",
                    "host-name",
                ])
            })
            .map(|h| h.text.trim().to_string())
            .unwrap_or_else(|| ep.name.clone()),
        Err(_) => ep.name.clone(),
    };
    let mut sh = Shell {
        lease,
        user: ep.device.user(),
        host,
        mode: Mode::Operational,
        counters: &ep.counters,
        broken: false,
    };
    let bounds = Bounds {
        idle: Some(shared.client_idle_timeout),
        stop: Some(&shared.token),
    };
    let banner = "--- netlab proxy: pooled session\n";
    converse(&mut rd, &wr, &mut sh, pty, banner, bounds).await;
    if sh.broken {
        // Resetting a session whose transport failed would only wait out its timeouts.
        sh.lease.discard();
    } else {
        sh.lease.give_back().await;
    }
}

impl Terminal for Shell<'_> {
    fn prompt(&self) -> String {
        match self.mode {
            Mode::Operational => format!("{}@{}> ", self.user, self.host),
            _ => format!("\n[edit]\n{}@{}# ", self.user, self.host),
        }
    }

    /// Run one line; `None` ends the session.
    async fn execute(&mut self, line: &str) -> Option<String> {
        if line.is_empty() {
            return Some(String::new());
        }
        self.counters.commands.fetch_add(1, Relaxed);
        let reply = self.run_line(line).await;
        if let Some(r) = &reply {
            self.counters
                .bytes_to_client
                .fetch_add(r.len() as u64, Relaxed);
        }
        reply
    }

    fn finished(&self) -> bool {
        self.broken
    }

    fn received(&mut self, bytes: usize) {
        self.counters
            .bytes_to_device
            .fetch_add(bytes as u64, Relaxed);
    }
}

impl Shell<'_> {
    async fn run_line(&mut self, line: &str) -> Option<String> {
        // Words as the Junos CLI reads them (a double-quoted string is one word).
        let words = match junos_sim::junos_config::split_words(line) {
            Ok(w) => w,
            Err(e) => return Some(format!("error: syntax error: {e}\n")),
        };
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        match self.mode {
            Mode::Operational => self.operational(line, &w).await,
            _ => Some(self.configuration(line, &w).await),
        }
    }

    async fn operational(&mut self, line: &str, w: &[&str]) -> Option<String> {
        Some(match w {
            ["exit"] | ["quit"] | ["logout"] => return None,
            ["set", "cli", "screen-length", n] => format!("Screen length set to {n}\n"),
            ["set", "cli", "screen-width", n] => format!("Screen width set to {n}\n"),
            ["set", "cli", "complete-on-space", "off"] => "Disabling complete-on-space\n".into(),
            ["set", "cli", ..] => String::new(),
            ["configure"] => self.enter("", Mode::Configuration).await,
            ["configure", "private"] => {
                self.enter(
                    "<open-configuration><private/></open-configuration>",
                    Mode::Private,
                )
                .await
            }
            ["configure", "exclusive"] => {
                self.enter(
                    "<lock><target><candidate/></target></lock>",
                    Mode::Exclusive,
                )
                .await
            }
            _ => self.command(line).await,
        })
    }

    /// One RPC on the leased session; a failure that is not an rpc-error ends the shell.
    async fn rpc(&mut self, rpc: &str) -> Result<netpool::RpcReply, String> {
        self.lease
            .session
            .rpc(rpc)
            .await
            .map_err(|e| self.failed(&e))
    }

    fn failed(&mut self, e: &Error) -> String {
        if !matches!(e, Error::Rpc { .. }) {
            self.broken = true;
            self.counters.errors.fetch_add(1, Relaxed);
        }
        errors(e)
    }

    async fn enter(&mut self, rpc: &str, mode: Mode) -> String {
        if !rpc.is_empty() {
            if let Err(e) = self.rpc(rpc).await {
                return e;
            }
        }
        self.mode = mode;
        "Entering configuration mode\n".into()
    }

    /// Whether the candidate this mode edits differs from the running configuration.
    async fn uncommitted(&mut self) -> Result<bool, String> {
        let r = self
            .rpc("<get-configuration compare=\"rollback\" rollback=\"0\" format=\"text\"/>")
            .await?;
        Ok(r.root
            .find(&["configuration-information", "configuration-output"])
            .or_else(|| r.root.child("configuration-output"))
            .is_some_and(|e| !e.text.trim().is_empty()))
    }

    /// Leave configuration mode as Junos does: the shared candidate keeps its changes
    /// (with a warning); exclusive mode discards them and unlocks; private mode discards
    /// its candidate.
    async fn leave(&mut self) -> String {
        let mut out = String::new();
        let changed = match self.uncommitted().await {
            Ok(c) => c,
            Err(e) => return e,
        };
        let release: &[&str] = match self.mode {
            Mode::Exclusive => &[
                "<discard-changes/>",
                "<unlock><target><candidate/></target></unlock>",
            ],
            Mode::Private => &["<close-configuration/>"],
            _ => &[],
        };
        if changed {
            out.push_str(if release.is_empty() {
                "The configuration has been changed but not committed\n"
            } else {
                "warning: uncommitted changes will be discarded on exit\n"
            });
        }
        for rpc in release {
            if let Err(e) = self.rpc(rpc).await {
                out.push_str(&e);
                return out;
            }
        }
        self.mode = Mode::Operational;
        out.push_str("Exiting configuration mode\n");
        out
    }

    async fn command(&mut self, line: &str) -> String {
        match self.lease.session.command(line).await {
            Ok(text) if text.ends_with('\n') || text.is_empty() => text,
            Ok(text) => format!("{text}\n"),
            Err(e) => self.failed(&e),
        }
    }

    async fn configuration(&mut self, line: &str, w: &[&str]) -> String {
        match w {
            ["run", ..] => self.command(line.trim_start_matches("run").trim()).await,
            ["exit"] | ["quit"] | ["exit", "configuration-mode"] => self.leave().await,
            ["top"] | ["up"] => String::new(),
            [verb, _, ..]
                if matches!(*verb, "set" | "delete" | "activate" | "deactivate" | "rename") =>
            {
                let rpc = format!(
                    "<load-configuration action=\"set\" format=\"text\"><configuration-set>{}</configuration-set></load-configuration>",
                    netconf_wire::escape_text(line)
                );
                match self.rpc(&rpc).await {
                    Ok(_) => String::new(),
                    Err(e) => e,
                }
            }
            ["show"] => self.config_text("<get-configuration database=\"candidate\" format=\"text\"/>", "configuration-text").await,
            ["show", "|", "compare"] => {
                self.config_text("<get-configuration compare=\"rollback\" rollback=\"0\" format=\"text\"/>", "configuration-output").await
            }
            ["commit", rest @ ..] => self.commit(rest).await,
            ["rollback"] | ["rollback", _] => {
                let n = w.get(1).copied().unwrap_or("0");
                if n.parse::<u32>().is_err() {
                    return format!("error: invalid rollback number: {n}\n");
                }
                match self
                    .rpc(&format!("<load-configuration rollback=\"{n}\"/>"))
                    .await
                {
                    Ok(_) => "load complete\n".into(),
                    Err(e) => e,
                }
            }
            _ => format!(
                "error: netlab proxy: {:?} is not available through the proxy's shell (set, delete, activate, deactivate, rename, show, show | compare, commit, rollback, run, exit are)\n",
                w.first().copied().unwrap_or("")
            ),
        }
    }

    async fn config_text(&mut self, rpc: &str, element: &str) -> String {
        match self.rpc(rpc).await {
            Ok(r) => {
                let text = r
                    .root
                    .find(&["configuration-information", element])
                    .or_else(|| r.root.child(element))
                    .map(|e| e.text.clone())
                    .unwrap_or_default();
                format!("{}\n", text.trim_end())
            }
            Err(e) => e,
        }
    }

    async fn commit(&mut self, rest: &[&str]) -> String {
        let c = match Commit::parse(rest) {
            Ok(c) => c,
            Err(e) => return format!("{e}\n"),
        };
        match self.rpc(&c.rpc()).await {
            Ok(_) if c.check => "configuration check succeeds\n".into(),
            Ok(_) => {
                let mut out = String::new();
                if let Some(m) = c.confirmed {
                    out.push_str(&format!(
                        "commit confirmed will be automatically rolled back in {m} minutes unless confirmed\n"
                    ));
                }
                out.push_str("commit complete\n");
                if c.and_quit {
                    out.push_str(&self.leave().await);
                }
                out
            }
            Err(e) => format!("{e}error: commit failed\n"),
        }
    }
}

/// An error as the Junos CLI prints it: `error: <message>` per error.
fn errors(e: &Error) -> String {
    match e {
        Error::Rpc { errors, error, .. } => {
            let all = if errors.is_empty() {
                std::slice::from_ref(error.as_ref())
            } else {
                errors.as_slice()
            };
            all.iter()
                .map(|r| format!("error: {}\n", r.message.as_deref().unwrap_or(&r.tag).trim()))
                .collect()
        }
        other => format!("error: netlab proxy: {other}\n"),
    }
}
