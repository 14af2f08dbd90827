//! What the pool does when devices fail: refused ports, wrong passwords, dead or
//! unreachable devices, timeouts, refused channels; the error each caller gets.

use std::time::{Duration, Instant};

use netpool::{DiscardReason, Error, HostKeyPolicy, Pool};
use netpool_tests::*;

#[tokio::test]
async fn wrong_password_is_auth_failed_promptly_without_retries() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let pool = pool_for(&fleet);
    let bad = netpool::Device::with_password("127.0.0.1", r1.addr().port(), USER, "wrong");
    let t = Instant::now();
    let err = pool.cli(&bad, "show version").await.unwrap_err();
    assert!(matches!(err, Error::AuthFailed { .. }), "{err}");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert_eq!(r1.counters().auth_failed, 1, "no retry on a wrong password");
}

#[tokio::test]
async fn refused_port_is_connect_refused() {
    let pool = unreachable_pool(|b| b);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dev = netpool::Device::with_password("127.0.0.1", port, USER, PASSWORD);
    let t = Instant::now();
    let err = pool.cli(&dev, "show version").await.unwrap_err();
    assert!(matches!(err, Error::ConnectRefused { .. }), "{err}");
    assert!(t.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn killed_device_is_replaced_transparently_after_restart() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];
    drop(pool.netconf(&dev).await.unwrap());
    pool.cli(&dev, "show version").await.unwrap();

    r1.kill();
    tokio::time::sleep(Duration::from_millis(50)).await;
    r1.restart().await.unwrap();

    // The pooled connection and idle session are dead; the caller must not see it.
    let mut nc = pool.netconf(&dev).await.unwrap();
    assert_answers_as_r1(&mut nc).await;
    drop(nc);
    pool.cli(&dev, "show version").await.unwrap();
    let s = &pool.stats()[0];
    assert!(s.connects >= 2, "{s:?}");
    assert!(s.discarded.values().sum::<u64>() >= 1, "{s:?}");
}

#[tokio::test]
async fn an_idle_session_the_device_ended_is_replaced_at_checkout() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];

    let mut victim = pool.netconf(&dev).await.unwrap();
    victim.command("show version").await.unwrap();
    let victim_id = victim.session_id().expect("session id");
    let mut killer = pool.netconf(&dev).await.unwrap();
    drop(victim); // idle now, and known to be drained
    killer
        .rpc(&format!(
            "<kill-session><session-id>{victim_id}</session-id></kill-session>"
        ))
        .await
        .unwrap();
    assert_eventually!(
        Duration::from_secs(2),
        || r1.counters().netconf_open == 1,
        "the device ended the idle session"
    );
    // One more round trip on the same SSH connection: the client has now processed the
    // victim channel's close, which the device sent before this reply.
    killer.command("show version").await.unwrap();

    // Checkout pops the killed session: it must be noticed and replaced, not lent.
    let mut g = pool.netconf(&dev).await.unwrap();
    assert_ne!(g.session_id(), Some(victim_id));
    g.command("show version").await.unwrap();
    let s = &pool.stats()[0];
    assert_eq!(
        s.discarded.get(&DiscardReason::FailedHealthCheck),
        Some(&1),
        "{s:?}"
    );
    drop(killer);
    drop(g);
}

#[tokio::test]
async fn unreachable_host_times_out_then_the_breaker_fails_fast() {
    let (addr, _fillers, _sock) = blackhole();
    let pool = unreachable_pool(|b| {
        b.breaker_threshold(2)
            .breaker_cooldown(Duration::from_secs(60))
    });
    let dev = netpool::Device::with_password(addr.ip().to_string(), addr.port(), USER, PASSWORD);
    for _ in 0..2 {
        let t = Instant::now();
        let err = pool.cli(&dev, "show version").await.unwrap_err();
        assert!(matches!(err, Error::ConnectTimeout { .. }), "{err}");
        assert!(
            t.elapsed() >= Duration::from_millis(290) && t.elapsed() < Duration::from_secs(2),
            "{:?}",
            t.elapsed()
        );
    }
    let t = Instant::now();
    let err = pool.cli(&dev, "show version").await.unwrap_err();
    assert!(
        matches!(err, Error::CircuitOpen { failures: 2, .. }),
        "{err}"
    );
    assert!(
        t.elapsed() < Duration::from_millis(50),
        "fails fast: {:?}",
        t.elapsed()
    );
    assert!(pool.stats()[0].breaker_open);
}

#[tokio::test]
async fn waiters_for_a_failing_connect_get_its_error_not_a_timeout() {
    let (addr, _fillers, _sock) = blackhole();
    let pool = unreachable_pool(|b| {
        b.checkout_timeout(Duration::from_secs(5))
            .breaker_threshold(0)
            .max_connections_per_device(1)
    });
    let dev = netpool::Device::with_password(addr.ip().to_string(), addr.port(), USER, PASSWORD);
    let t = Instant::now();
    let results = futures::future::join_all((0..10).map(|_| pool.cli(&dev, "show version"))).await;
    for r in &results {
        assert!(matches!(r, Err(Error::ConnectTimeout { .. })), "{r:?}");
    }
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "one shared failure, not ten: {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn rpc_timeout_discards_the_session() {
    let (fleet, mut cfg) = one_router_config().await;
    let r1 = &fleet.devices()[0];
    cfg.rpc_timeout = Duration::from_millis(200);
    let pool = Pool::new(cfg).unwrap();
    let dev = device(r1);
    let mut g = pool.netconf(&dev).await.unwrap();
    let sid = g.session_id();
    r1.set_extra_delay(Duration::from_millis(600));
    let err = g.command("show version").await.unwrap_err();
    assert!(matches!(err, Error::RpcTimeout { .. }), "{err}");
    drop(g);
    r1.set_extra_delay(Duration::ZERO);
    let mut g = pool.netconf(&dev).await.unwrap();
    assert_ne!(
        g.session_id(),
        sid,
        "the timed-out session is never lent again"
    );
    g.command("show version").await.unwrap();
    assert_eq!(
        pool.stats()[0].discarded.get(&DiscardReason::RpcTimeout),
        Some(&1)
    );
}

/// A pool for an address nobody answers at: any host key, a 300 ms connect bound, no
/// retries.
fn unreachable_pool(f: impl FnOnce(netpool::PoolBuilder) -> netpool::PoolBuilder) -> Pool {
    f(Pool::builder()
        .host_key_policy(HostKeyPolicy::InsecureAcceptAny)
        .connect_timeout(Duration::from_millis(300))
        .connect_retries(0))
    .build()
    .unwrap()
}

/// An exec the device refuses is a definitive answer: the caller gets `ExecRejected` at
/// once (not a checkout timeout after retrying it as backpressure), the refused channels
/// are closed, and the connection stays useful: after twenty refusals (twice the
/// device's ten channels per connection) a command runs on the same connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_exec_fails_at_once_and_leaks_no_channel() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];
    pool.cli(&dev, "show version").await.unwrap();
    r1.set_refuse_exec(true);
    for _ in 0..20 {
        let t = Instant::now();
        let e = pool.cli(&dev, "show version").await.unwrap_err();
        assert!(matches!(e, Error::ExecRejected { .. }), "{e}");
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    }
    r1.set_refuse_exec(false);
    assert_eventually!(
        Duration::from_secs(2),
        || r1.counters().channels_open == 0,
        "{:?}",
        r1.counters()
    );
    pool.cli(&dev, "show version").await.unwrap();
    assert_eq!(
        pool.stats()[0].connects,
        1,
        "the connection was kept and reused"
    );
}
