//! netpool against junos-sim, in process: the behaviour the pool promises. Reuse, limits,
//! configuration and fan-out here; device failures in `failures`, sessions over time in
//! `lifecycle`.

use std::sync::Arc;
use std::time::Duration;

use netpool::{ConfigChange, DiscardReason, Error, Pool};
use netpool_tests::*;

mod failures;
mod lifecycle;

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
async fn a_session_holding_the_lock_is_never_returned() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];

    let mut g = pool.netconf(&dev).await.unwrap();
    let sid = g.session_id();
    g.lock().await.unwrap();
    assert_eq!(r1.lock_holder(), sid);
    drop(g);
    assert_eventually!(
        Duration::from_secs(2),
        || r1.lock_holder().is_none(),
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
    assert_eventually!(
        Duration::from_secs(2),
        || r1.lock_holder().is_none(),
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
