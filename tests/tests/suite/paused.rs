//! Time-dependent behaviour on a paused tokio clock: idle timeout, max lifetime, SSH
//! keepalive, backoff and the circuit breaker's cooldown, tested in virtual time (minutes pass in
//! milliseconds, deterministically). Sessions are opened on the real clock; the clock is
//! paused afterwards, so only the pool's own timers are governed by it.

use std::time::Duration;

use netpool::{DiscardReason, Error, HostKeyPolicy, Pool};
use netpool_tests::*;

/// Let every task that is ready run (and any I/O they start complete).
async fn settle() {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    // Real I/O (close-session, disconnect) needs the reactor, not the paused clock.
    tokio::time::sleep(Duration::from_millis(1)).await;
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
}

async fn advance(d: Duration) {
    // In steps, so the maintenance task runs at each of its intervals.
    let step = Duration::from_secs(1);
    let mut left = d;
    while left > Duration::ZERO {
        let s = left.min(step);
        tokio::time::advance(s).await;
        left -= s;
        tokio::task::yield_now().await;
    }
    settle().await;
}

#[tokio::test]
async fn idle_sessions_and_connections_retire_after_idle_timeout() {
    let (fleet, mut cfg) = one_router_config().await;
    cfg.idle_timeout = Some(Duration::from_secs(300));
    cfg.max_lifetime = None;
    cfg.keepalive_interval = None;
    cfg.maintenance_interval = Duration::from_secs(1);
    let pool = Pool::new(cfg).unwrap();
    drop(pool.netconf(&device(&fleet.devices()[0])).await.unwrap());
    tokio::time::pause();
    advance(Duration::from_secs(295)).await;
    let s = &pool.stats()[0];
    assert_eq!(
        (s.idle_sessions, s.connections),
        (1, 1),
        "retired too early: {s:?}"
    );
    advance(Duration::from_secs(10)).await;
    // The connection goes on the pass after its last channel was released (a round trip).
    advance(Duration::from_secs(2)).await;
    let s = &pool.stats()[0];
    assert_eq!((s.idle_sessions, s.connections), (0, 0), "{s:?}");
    assert_eq!(
        s.discarded.get(&DiscardReason::IdleTimeout),
        Some(&2),
        "the session, then its connection: {s:?}"
    );
    // A device with nothing in the pool is forgotten after ten minutes, not before: the
    // per-device map does not grow with every device the pool ever saw.
    advance(Duration::from_secs(590)).await;
    assert_eq!(pool.stats().len(), 1);
    advance(Duration::from_secs(15)).await;
    assert!(pool.stats().is_empty(), "{:?}", pool.stats());
}

#[tokio::test]
async fn sessions_and_connections_retire_at_max_lifetime_even_when_busy() {
    let (fleet, mut cfg) = one_router_config().await;
    cfg.idle_timeout = None;
    cfg.max_lifetime = Some(Duration::from_secs(3600));
    cfg.keepalive_interval = None;
    cfg.health_check_after = Duration::from_secs(100_000);
    let pool = Pool::new(cfg).unwrap();
    let dev = device(&fleet.devices()[0]);
    let mut g = pool.netconf(&dev).await.unwrap();
    let sid = g.session_id();
    g.command("show version").await.unwrap();
    drop(g);
    tokio::time::pause();
    advance(Duration::from_secs(1800)).await;
    tokio::time::resume();
    // Still young: reused.
    let g = pool.netconf(&dev).await.unwrap();
    assert_eq!(g.session_id(), sid);
    drop(g);
    tokio::time::pause();
    advance(Duration::from_secs(1801)).await;
    advance(Duration::from_secs(2)).await;
    tokio::time::resume();
    let s = &pool.stats()[0];
    assert_eq!(
        s.discarded.get(&DiscardReason::MaxLifetime),
        Some(&2),
        "{s:?}"
    );
    // A checkout now gets a new session on a new connection.
    let g = pool.netconf(&dev).await.unwrap();
    assert_ne!(g.session_id(), sid);
    assert_eq!(pool.stats()[0].connects, 2);
}

fn refused_device() -> netpool::Device {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    netpool::Device::with_password("127.0.0.1", port, USER, PASSWORD)
}

#[tokio::test(start_paused = true)]
async fn connect_backoff_grows_with_jitter_within_bounds() {
    let pool = Pool::builder()
        .host_key_policy(HostKeyPolicy::InsecureAcceptAny)
        .connect_retries(3)
        .backoff_base(Duration::from_secs(1))
        .backoff_max(Duration::from_secs(3))
        .connect_timeout(Duration::from_secs(3600))
        .breaker_threshold(0)
        .build()
        .unwrap();
    let t = tokio::time::Instant::now();
    let r = pool.cli(&refused_device(), "show version").await;
    let waited = t.elapsed();
    assert!(matches!(r, Err(Error::ConnectRefused { .. })), "{r:?}");
    // Three waits, each uniform in [cap/2, cap] for caps 1 s, 2 s, 3 s (capped by backoff_max).
    assert!(
        waited >= Duration::from_millis(500 + 1000 + 1500),
        "{waited:?}"
    );
    assert!(
        waited <= Duration::from_millis(1000 + 2000 + 3000) + Duration::from_millis(50),
        "{waited:?}"
    );
}

#[tokio::test]
async fn breaker_fails_fast_during_cooldown_then_admits_one_probe() {
    let pool = Pool::builder()
        .host_key_policy(HostKeyPolicy::InsecureAcceptAny)
        .connect_retries(0)
        .breaker_threshold(2)
        .breaker_cooldown(Duration::from_secs(60))
        .build()
        .unwrap();
    let d = refused_device();
    for _ in 0..2 {
        assert!(matches!(
            pool.cli(&d, "x").await,
            Err(Error::ConnectRefused { .. })
        ));
    }
    tokio::time::pause();
    match pool.cli(&d, "x").await {
        Err(Error::CircuitOpen {
            retry_in,
            failures: 2,
            ..
        }) => assert!(
            retry_in <= Duration::from_secs(60) && retry_in > Duration::from_secs(59),
            "{retry_in:?}"
        ),
        other => panic!("{other:?}"),
    }
    tokio::time::advance(Duration::from_secs(59)).await;
    assert!(
        matches!(pool.cli(&d, "x").await, Err(Error::CircuitOpen { .. })),
        "still cooling down"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    tokio::time::resume();
    let probe = pool.cli(&d, "x").await;
    assert!(
        !matches!(probe, Err(Error::CircuitOpen { .. })),
        "after the cooldown one probe goes through: {probe:?}"
    );
    match pool.cli(&d, "x").await {
        Err(Error::CircuitOpen { failures: 3, .. }) => {}
        other => panic!("the failed probe re-opens the breaker: {other:?}"),
    }
}

#[tokio::test]
async fn keepalives_keep_an_idle_connection_and_find_a_silent_one_dead() {
    let (fleet, mut cfg) = one_router_config().await;
    let r1 = &fleet.devices()[0];
    cfg.keepalive_interval = Some(Duration::from_secs(15));
    cfg.keepalive_count_max = 3;
    cfg.idle_timeout = None;
    cfg.max_lifetime = None;
    cfg.maintenance_interval = Duration::from_secs(1);
    let pool = Pool::new(cfg).unwrap();
    let d = device(r1);
    drop(pool.netconf(&d).await.unwrap());
    tokio::time::pause();

    // Ten idle minutes with a device that answers: keepalives go back and forth and the
    // connection stays.
    advance(Duration::from_secs(600)).await;
    let s = &pool.stats()[0];
    assert_eq!((s.connections, s.idle_sessions), (1, 1), "{s:?}");
    assert!(s.discarded.is_empty(), "{s:?}");

    // The device goes silent without closing anything (a dead peer, a NAT drop): three
    // unanswered keepalives later the connection is found dead and retired with its
    // session, before any caller needs it.
    r1.set_stalled(true);
    advance(Duration::from_secs(15 * 3 - 5)).await;
    assert_eq!(
        pool.stats()[0].connections,
        1,
        "not before three keepalive intervals"
    );
    advance(Duration::from_secs(30)).await;
    let s = &pool.stats()[0];
    assert_eq!((s.connections, s.idle_sessions), (0, 0), "{s:?}");
    assert!(discarded(s, DiscardReason::Transport) >= 1, "{s:?}");
    r1.set_stalled(false);
}
