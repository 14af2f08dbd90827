//! netpool against junos-sim, in process: the behaviour the pool promises.

use std::sync::Arc;
use std::time::{Duration, Instant};

use netpool::{ConfigChange, DiscardReason, Error, HostKeyPolicy, Pool};
use netpool_tests::*;

#[tokio::test]
async fn cli_and_netconf_reuse_one_connection() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];

    let out = pool.cli(&dev, "show version | no-more").await.unwrap();
    assert!(out.stdout.contains("Hostname: r1"), "{}", out.stdout);
    assert_eq!(out.exit_status, Some(0));
    for _ in 0..5 {
        let mut nc = pool.netconf(&dev).await.unwrap();
        let text = nc.command("show ospf neighbor | no-more").await.unwrap();
        assert!(text.contains("Full"), "{text}");
    }
    let c = r1.counters();
    assert_eq!(c.tcp_accepts, 1, "one SSH connection for everything");
    assert_eq!(
        c.netconf_sessions, 1,
        "one NETCONF session reused five times"
    );
    assert_eq!(c.rpcs, 5);
    let s = &pool.stats()[0];
    assert_eq!(
        (s.connects, s.netconf_opened, s.idle_sessions, s.in_use),
        (1, 1, 1, 0)
    );
    assert!(s.reused >= 5, "{s:?}");
}

#[tokio::test]
async fn unknown_command_is_an_error_and_the_session_stays_usable() {
    let fleet = fleet(1).await;
    let pool = pool_for(&fleet);
    let dev = device(&fleet.devices()[0]);

    let out = pool.cli(&dev, "show frobnicate").await.unwrap();
    assert_eq!(out.exit_status, Some(1));
    assert!(out.stderr.contains("syntax error"), "{out:?}");
    assert!(!out.success());

    let mut nc = pool.netconf(&dev).await.unwrap();
    let sid = nc.session_id();
    let err = nc.rpc("<get-frobnication/>").await.unwrap_err();
    let rpc = err.rpc_error().expect("an rpc-error");
    assert_eq!(rpc.tag, "operation-failed");
    assert_eq!(
        rpc.info,
        vec![("bad-element".to_string(), "get-frobnication".to_string())]
    );
    for _ in 0..10 {
        nc.rpc("<get-software-information/>").await.unwrap();
    }
    drop(nc);
    let nc = pool.netconf(&dev).await.unwrap();
    assert_eq!(nc.session_id(), sid, "the same session came back");
}

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
async fn stampede_stays_within_device_limits() {
    let fleet = fleet(1).await;
    let r1 = fleet.devices()[0].clone();
    let mut cfg = config_for(&fleet);
    cfg.max_connections_per_device = 2;
    cfg.channels_per_connection = 3;
    let pool = Pool::new(cfg).unwrap();
    let dev = device(&r1);
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let peak_sessions = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (r1, peak, peak_sessions, stop) = (
            r1.clone(),
            peak.clone(),
            peak_sessions.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let c = r1.counters();
                peak.fetch_max(c.channels_open, std::sync::atomic::Ordering::Relaxed);
                peak_sessions.fetch_max(c.sessions_open, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        })
    };
    let calls = (0..40).map(|i| {
        let (pool, dev) = (pool.clone(), dev.clone());
        async move {
            if i % 2 == 0 {
                pool.cli(&dev, "show chassis hardware | no-more")
                    .await
                    .map(|o| o.stdout)
            } else {
                let mut nc = pool.netconf(&dev).await?;
                nc.command("show route 10.0.14.0 | no-more").await
            }
        }
    });
    let results = futures::future::join_all(calls).await;
    // Stopped and awaited: the watcher's figures are read, never lost in an aborted task.
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    watcher.await.unwrap();
    assert!(
        results.iter().all(|r| r.is_ok()),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    assert!(peak <= 6, "channels {peak}, never above 2 x 3");
    assert!(
        peak >= 2,
        "the stampede never overlapped ({peak} channels at most)"
    );
    let sessions = peak_sessions.load(std::sync::atomic::Ordering::Relaxed);
    assert!(sessions <= 2, "{sessions} SSH connections at once, limit 2");
    assert!(r1.counters().tcp_accepts <= 2);
    assert_eq!(r1.counters().channels_rejected, 0);
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
async fn a_session_holding_the_lock_is_never_returned() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];

    let mut g = pool.netconf(&dev).await.unwrap();
    let sid = g.session_id();
    g.lock().await.unwrap();
    assert_eq!(r1.lock_holder(), sid);
    drop(g);
    assert!(
        eventually(Duration::from_secs(2), || r1.lock_holder().is_none()).await,
        "lock released by close-session"
    );
    let s = &pool.stats()[0];
    assert_eq!(s.discarded.get(&DiscardReason::HeldLock), Some(&1));
    let mut g = pool.netconf(&dev).await.unwrap();
    assert_ne!(g.session_id(), sid, "a new session, not the locked one");
    g.lock().await.unwrap();
    g.unlock().await.unwrap();
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
    assert!(
        eventually(Duration::from_secs(2), || r1.counters().netconf_open == 1).await,
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
async fn configure_commits_or_leaves_nothing_behind() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];

    pool.configure(
        &dev,
        &ConfigChange::set_lines("set system host-name core-1").with_comment("rename"),
    )
    .await
    .unwrap();
    assert_eq!(r1.running_host_name().as_deref(), Some("core-1"));
    assert_eq!(r1.commit_count(), 1);

    let err = pool
        .configure(&dev, &ConfigChange::text("system { host-name broken;"))
        .await
        .unwrap_err();
    assert!(err.rpc_error().is_some(), "{err}");
    assert!(
        eventually(Duration::from_secs(2), || r1.lock_holder().is_none()).await,
        "no lock leaked"
    );
    assert_eq!(r1.commit_count(), 1);
    // Someone else can lock and commit right away.
    pool.configure(
        &dev,
        &ConfigChange::set_lines("set system host-name core-2"),
    )
    .await
    .unwrap();
    assert_eq!(r1.running_host_name().as_deref(), Some("core-2"));
}

#[tokio::test]
async fn a_lock_held_elsewhere_is_lock_denied_with_the_holder() {
    let fleet = fleet(1).await;
    let pool = pool_for(&fleet);
    let dev = device(&fleet.devices()[0]);
    let mut a = pool.netconf(&dev).await.unwrap();
    let mut b = pool.netconf(&dev).await.unwrap();
    a.lock().await.unwrap();
    let err = b.lock().await.unwrap_err();
    let e = err.rpc_error().unwrap();
    assert_eq!(e.tag, "lock-denied");
    assert_eq!(
        e.info,
        vec![(
            "session-id".to_string(),
            a.session_id().unwrap().to_string()
        )]
    );
    a.unlock().await.unwrap();
}

#[tokio::test]
async fn shutdown_closes_every_session_on_the_routers() {
    let fleet = fleet(3).await;
    let pool = pool_for(&fleet);
    let devs: Vec<_> = fleet.devices().iter().map(device).collect();
    for d in &devs {
        drop(pool.netconf(d).await.unwrap());
        pool.cli(d, "show version").await.unwrap();
    }
    let busy = {
        let (pool, d) = (pool.clone(), devs[0].clone());
        tokio::spawn(async move {
            let mut g = pool.netconf(&d).await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            g.command("show version").await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(fleet.total(|c| c.sessions_open) >= 3);
    pool.shutdown(Duration::from_secs(2)).await;
    assert!(
        busy.await.unwrap().is_ok(),
        "in-flight work finished within the grace period"
    );
    assert!(matches!(
        pool.cli(&devs[1], "show version").await,
        Err(Error::Closed)
    ));
    assert!(
        eventually(Duration::from_secs(3), || fleet.total(|c| c.sessions_open)
            == 0)
        .await,
        "open on routers: {}",
        fleet.total(|c| c.sessions_open)
    );
}

#[tokio::test]
async fn dropping_the_pool_closes_its_connections() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let pool = pool_for(&fleet);
    drop(pool.netconf(&device(r1)).await.unwrap());
    assert_eq!(r1.counters().sessions_open, 1);
    drop(pool);
    assert!(
        eventually(Duration::from_secs(3), || r1.counters().sessions_open == 0).await,
        "{:?}",
        r1.counters()
    );
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

#[tokio::test]
async fn idle_sessions_and_connections_are_retired() {
    let (fleet, mut cfg) = one_router_config().await;
    let r1 = &fleet.devices()[0];
    cfg.idle_timeout = Some(Duration::from_millis(300));
    cfg.maintenance_interval = Duration::from_millis(50);
    let pool = Pool::new(cfg).unwrap();
    drop(pool.netconf(&device(r1)).await.unwrap());
    assert_eq!(r1.counters().sessions_open, 1);
    assert!(eventually(Duration::from_secs(3), || r1.counters().sessions_open == 0).await);
    let s = &pool.stats()[0];
    assert_eq!((s.connections, s.idle_sessions), (0, 0));
    assert!(discarded(s, DiscardReason::IdleTimeout) >= 2, "{s:?}");
}

#[tokio::test]
async fn a_dead_idle_connection_is_dropped_without_a_checkout() {
    // Maintenance looks only at devices with something due; a connection's death must
    // make its device due, or a dead idle session would sit in the pool until a checkout.
    let fleet = fleet(2).await;
    let mut cfg = config_for(&fleet);
    cfg.maintenance_interval = Duration::from_millis(50);
    cfg.idle_timeout = None;
    let pool = Pool::new(cfg).unwrap();
    let (d1, d2) = (device(&fleet.devices()[0]), device(&fleet.devices()[1]));
    drop(pool.netconf(&d1).await.unwrap());
    drop(pool.netconf(&d2).await.unwrap());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let idle = |p: &Pool| {
        let s = p.stats();
        [&d1, &d2].map(|d| {
            s.iter()
                .find(|s| s.device == d.label())
                .map(|s| (s.connections, s.idle_sessions))
        })
    };
    assert_eq!(idle(&pool), [Some((1, 1)), Some((1, 1))]);
    fleet.devices()[0].kill();
    assert!(
        eventually(Duration::from_secs(3), || idle(&pool)
            == [Some((0, 0)), Some((1, 1))])
        .await,
        "{:?}",
        pool.stats()
    );
    let s = pool.stats();
    let s1 = s.iter().find(|s| s.device == d1.label()).unwrap();
    assert!(discarded(s1, DiscardReason::Transport) >= 1, "{s1:?}");
}

#[tokio::test]
async fn limits_too_large_for_a_clock_mean_never() {
    // An idle timeout or lifetime past what an Instant can hold must not panic when the
    // pool works out when to look at a session again: it never comes.
    let (fleet, mut cfg) = one_router_config().await;
    cfg.idle_timeout = Some(Duration::MAX);
    cfg.max_lifetime = Some(Duration::MAX);
    cfg.maintenance_interval = Duration::from_millis(50);
    let pool = Pool::new(cfg).unwrap();
    let dev = device(&fleet.devices()[0]);
    for _ in 0..3 {
        drop(pool.netconf(&dev).await.unwrap());
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
    let s = &pool.stats()[0];
    assert_eq!(
        (s.connections, s.idle_sessions, s.connects),
        (1, 1, 1),
        "{s:?}"
    );
}

#[tokio::test]
async fn min_idle_prewarms_connections() {
    let (fleet, mut cfg) = one_router_config().await;
    let r1 = &fleet.devices()[0];
    cfg.min_idle_connections = 2;
    cfg.maintenance_interval = Duration::from_millis(50);
    let pool = Pool::new(cfg).unwrap();
    pool.cli(&device(r1), "show version").await.unwrap();
    assert!(eventually(Duration::from_secs(3), || r1.counters().sessions_open == 2).await);
}

#[tokio::test]
async fn connect_rate_limit_is_respected() {
    let fleet = fleet_one(|c| c.rate_limit_per_minute = Some(100)).await;
    let r1 = &fleet.devices()[0];
    // The pool's own limit (2 a minute) is the binding one: the router would take 100.
    let mut cfg = config_for(&fleet);
    cfg.connect_rate_per_minute = Some(2);
    cfg.max_connections_per_device = 6;
    cfg.channels_per_connection = 1;
    let pool = Pool::new(cfg).unwrap();
    let dev = device(r1);
    let results = futures::future::join_all((0..6).map(|_| pool.cli(&dev, "show version"))).await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(r1.counters().refused_by_limit, 0);
    // Six callers and room for six connections, but two connects a minute: the other
    // callers were served on the two connections as they freed.
    assert_eq!(r1.counters().tcp_accepts, 2);
}

#[tokio::test]
async fn fan_out_reports_per_device_results() {
    let fleet = fleet(3).await;
    let pool = pool_for(&fleet);
    let mut devs: Vec<_> = fleet.devices().iter().map(device).collect();
    devs.push(netpool::Device::with_password(
        "127.0.0.1",
        fleet.devices()[0].addr().port(),
        USER,
        "bad",
    ));
    let results = pool
        .fan_out(
            &devs,
            4,
            |p, d| async move { p.cli(&d, "show version").await },
        )
        .await;
    assert_eq!(results.len(), 4);
    for (i, (d, r)) in results.iter().enumerate() {
        assert_eq!(d, &devs[i], "results keep the input order");
        if i < 3 {
            assert!(r
                .as_ref()
                .unwrap()
                .stdout
                .contains(&format!("Hostname: r{}", i + 1)));
        } else {
            assert!(matches!(r, Err(Error::AuthFailed { .. })));
        }
    }
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
    assert!(
        eventually(Duration::from_secs(2), || r1.counters().channels_open == 0).await,
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

/// `KeyThenPassword` falls back to the password when the key is refused and when the key
/// file cannot even be read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_then_password_falls_back_to_the_password() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let pool = pool_for(&fleet);
    let dir = tempfile::tempdir().unwrap();
    // A key the router does not know (written with russh's own key type).
    let unknown = dir.path().join("id_unknown");
    let key =
        russh::keys::PrivateKey::random(&mut rand::rng(), russh::keys::Algorithm::Ed25519).unwrap();
    key.write_openssh_file(&unknown, russh::keys::ssh_key::LineEnding::LF)
        .unwrap();
    for path in [unknown, dir.path().join("does-not-exist")] {
        let d = netpool::Device::new(
            r1.addr().ip().to_string(),
            r1.addr().port(),
            USER,
            netpool::Auth::KeyThenPassword {
                path: path.clone(),
                password: PASSWORD.into(),
            },
        )
        .with_host_keys([r1.host_key_fingerprint()]);
        pool.cli(&d, "show version")
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// Command output is bounded like a NETCONF reply (`max_frame`): a device that streams
/// more gets a protocol error naming the bound, not unbounded memory, and the next call
/// works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_command_output_is_cut_at_the_bound() {
    let fleet = fleet_one(|c| c.route_count = 100_000).await;
    let r1 = &fleet.devices()[0];
    let mut cfg = config_for(&fleet);
    cfg.max_frame = 256 * 1024;
    let pool = Pool::new(cfg).unwrap();
    let dev = device(r1);
    let e = pool.cli(&dev, "show route | no-more").await.unwrap_err();
    assert!(
        matches!(&e, Error::Protocol { detail, .. } if detail.contains("exceeds 262144 bytes")),
        "{e}"
    );
    pool.cli(&dev, "show version").await.unwrap();
}
