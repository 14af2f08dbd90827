//! Faults on the way in: killed sshd, refusals, bad credentials, blackholes, hung banners, rate limits.

use std::time::{Duration, Instant};

use junos_sim::DeviceConfig;
use netpool::Error;

use super::{detected, eventually, healthy, nc, recovered, Lab, Obs, Size};
use crate::Blackhole;

pub(super) async fn killed_sshd(_s: Size) -> Obs {
    let lab = Lab::new(5, DeviceConfig::default()).await?;
    let pool = lab.pool();
    healthy(&pool, &lab.devs, 2).await?;
    let r1 = lab.sim(0).clone();
    r1.kill();
    let others = healthy(&pool, &lab.devs[1..], 5).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    r1.restart().await.map_err(|e| e.to_string())?;
    let t = Instant::now();
    nc(&pool, &lab.devs[0], "show version")
        .await
        .map_err(|e| format!("first call after restart failed: {e}"))?;
    recovered(t.elapsed());
    pool.cli(&lab.devs[0], "show version")
        .await
        .map_err(|e| format!("first exec after restart failed: {e}"))?;
    Ok((
        format!(
            "first call after restart ok, recovered in {:.1} ms",
            t.elapsed().as_secs_f64() * 1e3
        ),
        format!("other routers p99 {others:.1} ms"),
    ))
}

pub(super) async fn refused_port(_s: Size) -> Obs {
    let lab = Lab::new(5, DeviceConfig::default()).await?;
    let pool = lab.pool();
    lab.sim(0).kill();
    let (bad, good) = tokio::join!(
        async {
            let t = Instant::now();
            (pool.cli(&lab.devs[0], "show version").await, t.elapsed())
        },
        healthy(&pool, &lab.devs[1..], 5)
    );
    ensure!(
        matches!(bad.0, Err(Error::ConnectRefused { .. })),
        "got {:?}",
        bad.0
    );
    ensure!(bad.1 < Duration::from_secs(1), "took {:?}", bad.1);
    detected(bad.1);
    let good = good?;
    Ok((
        format!(
            "ConnectRefused in {:.0} ms (1 retry included)",
            bad.1.as_secs_f64() * 1e3
        ),
        format!("healthy p99 {good:.1} ms"),
    ))
}

pub(super) async fn auth_failure(_s: Size) -> Obs {
    let lab = Lab::new(5, DeviceConfig::default()).await?;
    let pool = lab.pool();
    let r1 = lab.sim(0).clone();
    r1.set_refuse_auth(true);
    let mut kinds = Vec::new();
    let mut worst = Duration::ZERO;
    for _ in 0..10 {
        let t = Instant::now();
        let r = pool.cli(&lab.devs[0], "show version").await;
        if kinds.is_empty() {
            detected(t.elapsed());
        }
        worst = worst.max(t.elapsed());
        kinds.push(match r {
            Err(Error::AuthFailed { .. }) => "AuthFailed",
            Err(Error::CircuitOpen { .. }) => "CircuitOpen",
            other => return Err(format!("unexpected {other:?}")),
        });
    }
    let good = healthy(&pool, &lab.devs[1..], 5).await?;
    let failed = r1.counters().auth_failed;
    ensure!(
        failed <= 3,
        "router saw {failed} failed logins for 10 calls (retry storm)"
    );
    ensure!(worst < Duration::from_secs(1), "slowest call {worst:?}");
    ensure!(
        kinds[0] == "AuthFailed" && kinds[9] == "CircuitOpen",
        "{kinds:?}"
    );
    Ok((
        format!(
            "{} AuthFailed then CircuitOpen; router saw {failed} failed logins; slowest {:.0} ms",
            kinds.iter().filter(|k| **k == "AuthFailed").count(),
            worst.as_secs_f64() * 1e3
        ),
        format!("healthy p99 {good:.1} ms"),
    ))
}

pub(super) async fn unreachable_host(_s: Size) -> Obs {
    let lab = Lab::new(4, DeviceConfig::default()).await?;
    let hole = Blackhole::new().map_err(|e| e.to_string())?;
    let pool = lab.pool_with(|c| {
        c.connect_timeout = Duration::from_millis(500);
        c.connect_retries = 0;
    });
    let dead = lab.via(hole.addr());
    let (bad, good) = tokio::join!(
        async {
            let mut v = Vec::new();
            for _ in 0..4 {
                let t = Instant::now();
                let r = pool.cli(&dead, "show version").await;
                v.push((r, t.elapsed()));
            }
            v
        },
        healthy(&pool, &lab.devs, 5)
    );
    let good = good?;
    for (r, t) in &bad[..3] {
        // At the TCP stage: a blackhole never completes the handshake, so a timeout at
        // any later stage would mean something else went wrong.
        ensure!(
            matches!(r, Err(Error::ConnectTimeout { stage: "tcp", .. })),
            "got {r:?}"
        );
        ensure!(
            *t >= Duration::from_millis(450) && *t < Duration::from_millis(1500),
            "timeout after {t:?}, bound 500 ms"
        );
    }
    detected(bad[0].1);
    ensure!(
        matches!(bad[3].0, Err(Error::CircuitOpen { .. })),
        "4th call: {:?}",
        bad[3].0
    );
    ensure!(
        bad[3].1 < Duration::from_millis(20),
        "breaker took {:?}",
        bad[3].1
    );
    Ok((
        format!(
            "3 x ConnectTimeout at {:.0} ms, then CircuitOpen in {:.2} ms",
            bad[0].1.as_secs_f64() * 1e3,
            bad[3].1.as_secs_f64() * 1e3
        ),
        format!("healthy p99 {good:.1} ms while the connect hung"),
    ))
}

pub(super) async fn hung_banner_stalled_hello(_s: Size) -> Obs {
    let lab = Lab::new(3, DeviceConfig::default()).await?;
    let pool = lab.pool_with(|c| {
        c.connect_timeout = Duration::from_millis(400);
        c.session_open_timeout = Duration::from_millis(400);
        c.connect_retries = 0;
        c.breaker_threshold = 0;
    });
    lab.sim(0).set_stalled(true);
    lab.sim(1).set_hello_delay(Duration::from_secs(3));
    let t = Instant::now();
    let a = pool.cli(&lab.devs[0], "show version").await;
    let ta = t.elapsed();
    let t = Instant::now();
    let b = pool.netconf(&lab.devs[1]).await.map(|_| ());
    let tb = t.elapsed();
    detected(ta.max(tb));
    ensure!(
        matches!(
            a,
            Err(Error::ConnectTimeout {
                stage: "ssh-handshake",
                ..
            })
        ),
        "hung banner: {a:?}"
    );
    ensure!(
        matches!(
            b,
            Err(Error::ConnectTimeout {
                stage: "netconf-hello",
                ..
            })
        ),
        "stalled hello: {b:?}"
    );
    let good = healthy(&pool, &lab.devs[2..], 5).await?;
    lab.sim(0).set_stalled(false);
    lab.sim(1).set_hello_delay(Duration::ZERO);
    ensure!(
        eventually(Duration::from_secs(2), || pool
            .stats()
            .iter()
            .all(|s| s.in_use == 0 && s.waiting == 0))
        .await,
        "leases leaked: {:?}",
        pool.stats()
    );
    healthy(&pool, &lab.devs, 2)
        .await
        .map_err(|e| format!("after the faults cleared: {e}"))?;
    pool.shutdown(Duration::from_secs(1)).await;
    let left = || lab.fleet.total(|c| c.sessions_open);
    ensure!(
        eventually(Duration::from_secs(3), || left() == 0).await,
        "{} sessions left on routers",
        left()
    );
    Ok((format!("banner: ConnectTimeout(ssh-handshake) in {:.0} ms; hello: ConnectTimeout(netconf-hello) in {:.0} ms", ta.as_secs_f64() * 1e3, tb.as_secs_f64() * 1e3), format!("healthy p99 {good:.1} ms; nothing leaked; recovered")))
}

pub(super) async fn connect_rate_limit(_s: Size) -> Obs {
    let lab = Lab::new(
        1,
        DeviceConfig {
            rate_limit_per_minute: Some(5),
            ..Default::default()
        },
    )
    .await?;
    let pool = lab.pool_with(|c| {
        c.connect_rate_per_minute = Some(5);
        c.max_connections_per_device = 10;
        c.channels_per_connection = 2;
    });
    let d = &lab.devs[0];
    let results = futures::future::join_all((0..30).map(|_| {
        let (pool, d) = (pool.clone(), d.clone());
        async move { pool.cli(&d, "show version").await }
    }))
    .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let c = lab.sim(0).counters();
    ensure!(
        ok == 30,
        "{ok}/30: {:?}",
        results.iter().find(|r| r.is_err())
    );
    ensure!(
        c.refused_by_limit == 0 && c.tcp_accepts <= 5,
        "router refused {} connections, accepted {}",
        c.refused_by_limit,
        c.tcp_accepts
    );
    Ok((
        "-".into(),
        format!(
            "30/30 ok over {} connections; router refused {}",
            c.tcp_accepts, c.refused_by_limit
        ),
    ))
}
