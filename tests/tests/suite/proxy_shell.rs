//! The proxy's shell (a person at a terminal, netmiko, Ansible's network_cli) against a
//! simulated router: configuration modes left as Junos leaves them, `commit confirmed N`,
//! quoted comments, and what a departing shell leaves for the next client.

use std::sync::Arc;
use std::time::Duration;

use netpool_tests::*;
use russh::client;
use russh::ChannelMsg;

use super::proxy::{proxy_for, CLIENT_PASSWORD};

/// A shell channel (no PTY, as netmiko and scripts open it) through the proxy.
struct Shell {
    h: client::Handle<AnyKey>,
    ch: russh::Channel<client::Msg>,
}

impl Shell {
    async fn open(addr: std::net::SocketAddr) -> (Shell, String) {
        let mut h = client::connect(Arc::new(client::Config::default()), addr, AnyKey)
            .await
            .unwrap();
        let auth = h
            .authenticate_password(USER, CLIENT_PASSWORD)
            .await
            .unwrap();
        assert!(auth.success(), "the proxy's password logs in");
        let ch = h.channel_open_session().await.unwrap();
        ch.request_shell(false).await.unwrap();
        let mut sh = Shell { h, ch };
        let banner = sh.read_to_prompt().await;
        (sh, banner)
    }

    /// Output until it ends with a prompt and stays quiet for a moment (10 s at most).
    async fn read_to_prompt(&mut self) -> String {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout(Duration::from_millis(150), self.ch.wait()).await {
                Ok(Some(ChannelMsg::Data { data })) => out.extend_from_slice(&data),
                Ok(Some(ChannelMsg::Eof | ChannelMsg::Close) | None) => break,
                Ok(Some(_)) => {}
                Err(_) if out.ends_with(b"> ") || out.ends_with(b"# ") => break,
                Err(_) => {}
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no prompt within 10 s: {:?}",
                String::from_utf8_lossy(&out)
            );
        }
        String::from_utf8_lossy(&out).replace("\r\n", "\n")
    }

    /// Type one line; the output up to the next prompt.
    async fn line(&mut self, text: &str) -> String {
        self.ch
            .data_bytes(format!("{text}\n").into_bytes())
            .await
            .unwrap();
        self.read_to_prompt().await
    }

    async fn close(self) {
        let _ = self.ch.close().await;
        let _ = self
            .h
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_modes_are_left_as_junos_leaves_them() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let px = proxy_for(&fleet, config_for(&fleet)).await;
    let (mut sh, banner) = Shell::open(px.endpoints()[0].addr).await;
    assert!(banner.ends_with("lab@r1> "), "{banner:?}");

    // How each mode is left as Junos leaves it: (enter, leave, what Junos says on leaving,
    // whether the change stays in the shared candidate). Exclusive holds the lock and
    // discards on exit; private has a candidate of its own, gone on exit; shared leaves
    // the change in the candidate, with a warning, and locks nothing.
    let modes = [
        (
            "configure exclusive",
            "exit",
            "warning: uncommitted changes will be discarded on exit\nExiting configuration mode",
            false,
        ),
        (
            "configure private",
            "quit",
            "warning: uncommitted changes will be discarded on exit",
            false,
        ),
        (
            "configure",
            "exit",
            "The configuration has been changed but not committed\nExiting configuration mode",
            true,
        ),
    ];
    for (enter, leave, says, kept) in modes {
        let out = sh.line(enter).await;
        assert!(
            out.contains("Entering configuration mode"),
            "{enter}: {out}"
        );
        let exclusive = enter == "configure exclusive";
        let private = enter == "configure private";
        assert_eq!(r1.lock_holder().is_some(), exclusive, "{enter}: the lock");
        assert_eq!(r1.private_candidates(), usize::from(private), "{enter}");
        let name = format!("{}-left", enter.replace(' ', "-"));
        let set = sh.line(&format!("set system host-name {name}")).await;
        assert_eq!(set.trim(), "[edit]\nlab@r1#", "{enter}");
        // A private candidate is not the shared one.
        let seen = if private { "r1" } else { name.as_str() };
        assert_eq!(r1.candidate_host_name().as_deref(), Some(seen), "{enter}");
        let out = sh.line(leave).await;
        assert!(out.contains(says), "{enter}, then {leave}: {out}");
        assert_eq!(r1.lock_holder(), None, "{enter}, then {leave}: unlocked");
        assert_eq!(r1.private_candidates(), 0, "{enter}, then {leave}");
        let left = if kept { name.as_str() } else { "r1" };
        assert_eq!(
            r1.candidate_host_name().as_deref(),
            Some(left),
            "{enter}, then {leave}: the shared candidate"
        );
    }
    // Unchanged: no warning.
    sh.line("configure").await;
    sh.line("rollback 0").await;
    let out = sh.line("exit").await;
    assert!(
        !out.contains("warning") && !out.contains("changed"),
        "{out}"
    );
    assert!(out.contains("Exiting configuration mode"), "{out}");
    sh.close().await;
    assert_eq!(r1.commit_count(), 0, "nothing was committed");
    px.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_confirmed_minutes_and_a_quoted_comment_reach_the_router() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let px = proxy_for(&fleet, config_for(&fleet)).await;
    let (mut sh, _) = Shell::open(px.endpoints()[0].addr).await;
    sh.line("configure").await;
    sh.line("set system host-name shell-r1").await;
    let out = sh
        .line("commit confirmed 5 comment \"two words here\"")
        .await;
    assert!(
        out.contains("commit confirmed will be automatically rolled back in 5 minutes unless confirmed\ncommit complete"),
        "{out}"
    );
    assert!(
        r1.commit_confirm_pending(),
        "a plain commit was made instead of a confirmed one"
    );
    assert_eq!(r1.last_commit_comment().as_deref(), Some("two words here"));
    assert_eq!(r1.running_host_name().as_deref(), Some("shell-r1"));
    // Options in another order; a commit confirms.
    let out = sh
        .line("commit comment \"it \\\"stays\\\"\" and-quit")
        .await;
    assert!(
        out.contains("commit complete\nExiting configuration mode"),
        "{out}"
    );
    assert!(
        !r1.commit_confirm_pending(),
        "the second commit confirmed the first"
    );
    assert_eq!(r1.last_commit_comment().as_deref(), Some("it \"stays\""));
    // Refused options name themselves, and commit nothing.
    sh.line("configure").await;
    let before = r1.commit_count();
    assert!(sh
        .line("commit confirmed 0")
        .await
        .contains("error: value 0 is not within range (1..65535)"));
    assert!(sh
        .line("commit sideways")
        .await
        .contains("error: syntax error: sideways"));
    assert!(sh
        .line("commit check confirmed")
        .await
        .contains("error: syntax error: check"));
    assert_eq!(r1.commit_count(), before);
    sh.close().await;
    px.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_that_leaves_exclusive_mode_by_disconnecting_leaves_nothing() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let px = proxy_for(&fleet, config_for(&fleet)).await;
    for mode in ["configure exclusive", "configure private", "configure"] {
        let (mut sh, _) = Shell::open(px.endpoints()[0].addr).await;
        sh.line(mode).await;
        sh.line("set system host-name gone-away").await;
        sh.close().await;
        let ep = &px.endpoints()[0];
        assert_eventually!(
            Duration::from_secs(5),
            || ep
                .counters
                .leases
                .load(std::sync::atomic::Ordering::Relaxed)
                == 0,
            "{mode}: the lease came back"
        );
        assert_eq!(r1.lock_holder(), None, "{mode}: lock left behind");
        assert_eq!(
            r1.private_candidates(),
            0,
            "{mode}: private candidate left behind"
        );
        assert_eq!(
            r1.candidate_host_name().as_deref(),
            Some("r1"),
            "{mode}: change left in the candidate"
        );
    }
    px.shutdown(Duration::from_secs(2)).await;
}
