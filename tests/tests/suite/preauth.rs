//! Clients that never log in, against both servers built on the one SSH core
//! (`junos_sim::sshd`): a simulated router and `netlab proxy`. Each hostile client is cut
//! or refused within its bound, while a client that logs in is served throughout.
//!
//! A client that finishes key exchange but never asks to log in is cut at the handshake
//! deadline: the core sees key exchange end at the first authentication request.
//! The deadlines are shortened (0.6 s handshake, 1.5 s login grace) so that each test
//! runs in seconds; the bounds asserted are generous upper bounds, and each cut must come
//! no earlier than its deadline (so it is the deadline that cut, not some other error).

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use junos_sim::sshd::Limits;
use netpool_tests::*;
use russh::client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::proxy::{client, client_device, proxy_with};

const HANDSHAKE: Duration = Duration::from_millis(600);
const GRACE: Duration = Duration::from_millis(1500);

/// How long until the server closes `s` (EOF or reset), reading whatever it sends; None if
/// it is still open after `bound`.
async fn closed_after(s: &mut TcpStream, since: Instant, bound: Duration) -> Option<Duration> {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::from_std(since + bound);
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(since.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// The four clients that never log in: silent; version line only; key exchange done and
/// no login request; one failed login, then nothing (it answers keepalives). Returns how
/// long each stayed connected (None: still connected after 6 s).
async fn four_hostile_clients(addr: SocketAddr) -> [Option<Duration>; 4] {
    let t = Instant::now();
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut version_only = TcpStream::connect(addr).await.unwrap();
    version_only
        .write_all(b"SSH-2.0-probe_1.0\r\n")
        .await
        .unwrap();
    let cfg = Arc::new(client::Config::default());
    let kexed = client::connect(cfg.clone(), addr, AnyKey).await.unwrap();
    let mut failed = client::connect(cfg, addr, AnyKey).await.unwrap();
    let auth = failed
        .authenticate_password(USER, "not-the-password")
        .await
        .unwrap();
    assert!(!auth.success(), "a wrong password logged in");
    let bound = Duration::from_secs(6);
    let (a, b) = tokio::join!(
        closed_after(&mut silent, t, bound),
        closed_after(&mut version_only, t, bound)
    );
    let closed = |h: client::Handle<AnyKey>| async move {
        let deadline = t + bound;
        while !h.is_closed() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        h.is_closed().then(|| t.elapsed())
    };
    let (c, d) = tokio::join!(closed(kexed), closed(failed));
    [a, b, c, d]
}

fn assert_cut_at_deadlines(cut: [Option<Duration>; 4]) {
    let names = [
        "silent",
        "version line only",
        "key exchange, no login request",
        "failed login, then idle",
    ];
    let deadlines = [HANDSHAKE, HANDSHAKE, HANDSHAKE, GRACE];
    for ((name, at), deadline) in names.iter().zip(cut).zip(deadlines) {
        let at = at.unwrap_or_else(|| panic!("the {name} client is still connected after 6 s"));
        assert!(
            at + Duration::from_millis(50) >= deadline,
            "the {name} client was closed after {at:?}, before its deadline {deadline:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_cuts_clients_that_never_log_in_at_their_deadlines() {
    let fleet = fleet_one(|c| {
        c.handshake_timeout = HANDSHAKE;
        c.login_grace = GRACE;
    })
    .await;
    let r1 = &fleet.devices()[0];
    let pool = pool_for(&fleet);
    let dev = device(r1);
    assert_cli_prints(&pool, &dev, "show version", "Hostname").await;
    let cut = four_hostile_clients(r1.addr()).await;
    assert_cut_at_deadlines(cut);
    assert_eq!(r1.counters().cut_pre_auth, 4);
    // The client that logged in before them is still served on its connection.
    assert_cli_prints(&pool, &dev, "show version", "Hostname").await;
    assert_eq!(
        pool.stats()[0].connects,
        1,
        "the logged-in connection was kept"
    );
    assert_eventually!(Duration::from_secs(2), || r1.counters().sessions_open == 1);
    pool.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_cuts_clients_that_never_log_in_at_their_deadlines() {
    let fleet = fleet(1).await;
    let px = proxy_with(&fleet, config_for(&fleet), |c| {
        c.ssh_limits.handshake_timeout = HANDSHAKE;
        c.ssh_limits.login_grace = GRACE;
    })
    .await;
    let c = client();
    let dev = client_device(&px, 0, None);
    assert_cli_prints(&c, &dev, "show version", "Hostname").await;
    let cut = four_hostile_clients(px.endpoints()[0].addr).await;
    assert_cut_at_deadlines(cut);
    let counters = &px.endpoints()[0].counters;
    assert_eq!(counters.cut_pre_auth.load(Relaxed), 4);
    assert_cli_prints(&c, &dev, "show version", "Hostname").await;
    assert_eq!(
        c.stats()[0].connects,
        1,
        "the logged-in connection was kept"
    );
    assert_eventually!(Duration::from_secs(2), || counters.clients.load(Relaxed)
        == 1);
    c.shutdown(Duration::from_secs(1)).await;
    px.shutdown(Duration::from_secs(2)).await;
}

/// OpenSSH's MaxStartups: past the cap of connections not logged in, a new connection is
/// closed before the server writes a byte; logged-in clients go on, and the place comes
/// back when a pre-auth client leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_closes_connections_past_max_startups_and_serves_logged_in_clients() {
    let fleet = fleet(1).await;
    let px = proxy_with(&fleet, config_for(&fleet), |c| {
        c.ssh_limits = Limits {
            max_startups: 3,
            ..c.ssh_limits.clone()
        };
    })
    .await;
    let addr = px.endpoints()[0].addr;
    let c = client();
    let dev = client_device(&px, 0, None);
    assert_cli_prints(&c, &dev, "show version", "Hostname").await;
    let mut waiting = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let mut banner = [0u8; 8];
        s.read_exact(&mut banner).await.unwrap();
        assert_eq!(&banner, b"SSH-2.0-", "an admitted client gets the banner");
        waiting.push(s);
    }
    let mut fourth = TcpStream::connect(addr).await.unwrap();
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), fourth.read_to_end(&mut got)).await;
    assert!(
        read.is_ok(),
        "the fourth pre-auth connection was not closed"
    );
    assert!(got.is_empty(), "the refused connection was sent {got:?}");
    let counters = &px.endpoints()[0].counters;
    assert_eq!(counters.refused.load(Relaxed), 1);
    assert_cli_prints(&c, &dev, "show version", "Hostname").await;
    drop(waiting.pop());
    let admitted = async {
        loop {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let mut banner = [0u8; 8];
            if s.read_exact(&mut banner).await.is_ok() {
                return banner;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let banner = tokio::time::timeout(Duration::from_secs(3), admitted).await;
    assert_eq!(
        banner.expect("a place came back when a pre-auth client left"),
        *b"SSH-2.0-"
    );
    c.shutdown(Duration::from_secs(1)).await;
    px.shutdown(Duration::from_secs(2)).await;
}

/// Channels per connection (OpenSSH's MaxSessions): the open past the cap is refused, the
/// connection and its other channels go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_refuses_channels_past_the_cap_and_keeps_the_connection() {
    let fleet = fleet(1).await;
    let px = proxy_with(&fleet, config_for(&fleet), |c| {
        c.ssh_limits.max_channels = 2
    })
    .await;
    let cfg = Arc::new(client::Config::default());
    let mut h = client::connect(cfg, px.endpoints()[0].addr, AnyKey)
        .await
        .unwrap();
    let auth = h
        .authenticate_password(USER, super::proxy::CLIENT_PASSWORD)
        .await
        .unwrap();
    assert!(auth.success());
    let a = h.channel_open_session().await.unwrap();
    let b = h.channel_open_session().await.unwrap();
    assert!(
        h.channel_open_session().await.is_err(),
        "a third channel was opened past a cap of 2"
    );
    assert_eq!(px.endpoints()[0].counters.channels_refused.load(Relaxed), 1);
    a.exec(true, "show version").await.unwrap();
    let mut out = Vec::new();
    let mut a = a;
    while let Some(msg) = a.wait().await {
        if let russh::ChannelMsg::Data { data } = msg {
            out.extend_from_slice(&data);
        }
    }
    assert!(String::from_utf8_lossy(&out).contains("Hostname"));
    drop(b);
    px.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn a_limit_of_zero_is_refused_by_name() {
    let fleet = fleet(1).await;
    let mut refused = Vec::new();
    for f in [
        (|c: &mut netlab::proxy::ProxyConfig| c.ssh_limits.login_grace = Duration::ZERO)
            as fn(&mut netlab::proxy::ProxyConfig),
        |c| c.ssh_limits.max_startups = 0,
        |c| c.max_message = 10,
    ] {
        let pool = netpool::Pool::new(config_for(&fleet)).unwrap();
        let mut cfg = netlab::proxy::ProxyConfig {
            listen: "127.0.0.1".parse().unwrap(),
            first_port: 0,
            client_password: Some("x".into()),
            authorized_keys: Vec::new(),
            host_key: russh::keys::PrivateKey::from(
                russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&[1; 32]),
            ),
            client_idle_timeout: Duration::from_secs(30),
            ssh_limits: netlab::proxy::ProxyConfig::default_ssh_limits(),
            max_message: netlab::proxy::DEFAULT_MAX_MESSAGE,
            client_keepalive: netlab::proxy::DEFAULT_CLIENT_KEEPALIVE,
        };
        f(&mut cfg);
        match netlab::proxy::Proxy::start(pool, Vec::new(), cfg).await {
            Ok(_) => panic!("a limit that cannot work was taken"),
            Err(e) => refused.push(e),
        }
    }
    assert!(refused[0].contains("login grace time"), "{}", refused[0]);
    assert!(refused[1].contains("max startups"), "{}", refused[1]);
    assert!(
        refused[2].contains("max message 10 bytes"),
        "{}",
        refused[2]
    );
}
