//! Faults inside a borrowed session: errors, shutdown, resets, slow replies, a lost lock.

use std::time::{Duration, Instant};

use junos_sim::DeviceConfig;
use junos_sim::Timing;
use netpool::{ConfigChange, DiscardReason, Error};

use super::{detected, eventually, nc, recovered, Lab, Obs, Size};
use crate::fault_proxy::{Direction, FaultProxy, Toxic, ToxicKind};

pub(super) async fn error_in_session(_s: Size) -> Obs {
    let lab = Lab::new(1, DeviceConfig::default()).await?;
    let pool = lab.pool();
    let d = &lab.devs[0];
    let mut g = pool.netconf(d).await.map_err(|e| e.to_string())?;
    let sid = g.session_id();
    let e1 = g
        .command("show frobnicate")
        .await
        .err()
        .ok_or("a bad command succeeded")?;
    let e2 = g
        .rpc("<get-frobnication/>")
        .await
        .err()
        .ok_or("an unknown RPC succeeded")?;
    ensure!(
        e1.rpc_error().is_some() && e2.rpc_error().is_some(),
        "not classified as rpc-error: {e1} / {e2}"
    );
    for _ in 0..10 {
        g.command("show version")
            .await
            .map_err(|e| format!("follow-up failed: {e}"))?;
    }
    drop(g);
    let g = pool.netconf(d).await.map_err(|e| e.to_string())?;
    ensure!(
        g.session_id() == sid,
        "the healthy session was not returned to the pool"
    );
    Ok((
        format!(
            "rpc-error {} / {}",
            e1.rpc_error().map(|e| e.tag.as_str()).unwrap_or("?"),
            e2.rpc_error().map(|e| e.tag.as_str()).unwrap_or("?")
        ),
        "10/10 follow-ups ok on the same session; returned".into(),
    ))
}

pub(super) async fn shutdown_under_load(_s: Size) -> Obs {
    let dc = DeviceConfig {
        timing: Timing {
            command_scale: 1.0,
            concurrency: 64,
            ..Timing::instant()
        },
        ..Default::default()
    };
    let lab = Lab::new(5, dc).await?;
    let pool = lab.pool();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (pool, d) = (pool.clone(), lab.devs[i % 5].clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis((i as u64 % 10) * 30)).await;
                nc(&pool, &d, "show ospf neighbor | no-more").await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(120)).await;
    pool.shutdown(Duration::from_secs(3)).await;
    let (mut ok, mut closed) = (0, 0);
    for t in tasks {
        match t.await.map_err(|e| e.to_string())? {
            Ok(_) => ok += 1,
            Err(Error::Closed) => closed += 1,
            Err(e) => return Err(format!("an in-flight op got {e}")),
        }
    }
    // Both paths must have been taken: calls started before the shutdown complete (20 of
    // them start in its first 90 ms), and calls started after it get Closed (30 start
    // 150 ms and later).
    ensure!(ok >= 1, "no in-flight call completed ({closed} got Closed)");
    ensure!(closed >= 1, "no late call got Closed ({ok} completed)");
    let left = || lab.fleet.total(|c| c.sessions_open);
    ensure!(
        eventually(Duration::from_secs(3), || left() == 0).await,
        "{} sessions left open on routers",
        left()
    );
    Ok((
        format!("{closed} late calls got Closed"),
        format!("{ok} in-flight ops completed; 0 sessions left on routers"),
    ))
}

pub(super) async fn reset_and_slow_reply(_s: Size) -> Obs {
    let lab = Lab::new(
        2,
        DeviceConfig {
            route_count: 50_000,
            ..Default::default()
        },
    )
    .await?;
    let proxy = FaultProxy::start(lab.sim(0).addr(), 42)
        .await
        .map_err(|e| e.to_string())?;
    // The reset must surface as a transport error, not a timeout: its pool waits long
    // enough that a loaded machine cannot turn the one into the other. The slow reply
    // below has its own pool with a short rpc_timeout.
    let reset_pool = lab.pool_with(|c| c.rpc_timeout = Duration::from_secs(5));
    let pool = lab.pool_with(|c| c.rpc_timeout = Duration::from_millis(400));
    let d = lab.via(proxy.addr());
    let mut g = reset_pool.netconf(&d).await.map_err(|e| e.to_string())?;
    let sid = g.session_id();
    let reset = {
        let p = &proxy;
        async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            p.add(Toxic::new(
                "rst",
                Direction::Downstream,
                ToxicKind::ResetPeer {
                    after: Duration::ZERO,
                },
            ));
        }
    };
    let (r, _) = tokio::join!(g.rpc("<get-route-information/>"), reset);
    ensure!(
        matches!(
            r,
            Err(Error::Transport { .. }) | Err(Error::Protocol { .. })
        ),
        "reset mid-reply gave {r:?}"
    );
    drop(g);
    proxy.clear();
    let mut g = reset_pool
        .netconf(&d)
        .await
        .map_err(|e| format!("after reset: {e}"))?;
    ensure!(
        sid.is_some() && g.session_id() != sid,
        "the reset session was lent again"
    );
    g.command("show version").await.map_err(|e| e.to_string())?;
    drop(g);
    // A reply slower than rpc_timeout.
    let d2 = &lab.devs[1];
    let mut g = pool.netconf(d2).await.map_err(|e| e.to_string())?;
    let sid2 = g.session_id();
    lab.sim(1).set_extra_delay(Duration::from_secs(1));
    let t = Instant::now();
    let slow = g.command("show version").await;
    let ts = t.elapsed();
    drop(g);
    lab.sim(1).set_extra_delay(Duration::ZERO);
    ensure!(
        matches!(slow, Err(Error::RpcTimeout { .. })),
        "slow reply gave {slow:?}"
    );
    detected(ts);
    let t = Instant::now();
    let mut g = pool.netconf(d2).await.map_err(|e| e.to_string())?;
    ensure!(
        g.session_id() != sid2,
        "the timed-out session was lent again"
    );
    g.command("show version").await.map_err(|e| e.to_string())?;
    recovered(t.elapsed());
    let discards: u64 = pool
        .stats()
        .iter()
        .chain(reset_pool.stats().iter())
        .map(|s| {
            s.discarded
                .get(&DiscardReason::Transport)
                .copied()
                .unwrap_or(0)
                + s.discarded
                    .get(&DiscardReason::Protocol)
                    .copied()
                    .unwrap_or(0)
                + s.discarded
                    .get(&DiscardReason::RpcTimeout)
                    .copied()
                    .unwrap_or(0)
        })
        .sum();
    Ok((
        format!(
            "reset -> {}; slow -> RpcTimeout after {:.0} ms; {discards} sessions discarded",
            short(&r.err().map(|e| e.to_string()).unwrap_or_default()),
            ts.as_secs_f64() * 1e3
        ),
        "fresh sessions served the next calls".into(),
    ))
}

pub(super) async fn restart_with_lock(_s: Size) -> Obs {
    let lab = Lab::new(1, DeviceConfig::default()).await?;
    let pool = lab.pool();
    let d = &lab.devs[0];
    let r1 = lab.sim(0).clone();
    let mut g = pool.netconf(d).await.map_err(|e| e.to_string())?;
    g.lock().await.map_err(|e| e.to_string())?;
    ensure!(r1.lock_holder().is_some(), "lock not taken");
    r1.kill();
    tokio::time::sleep(Duration::from_millis(100)).await;
    r1.restart().await.map_err(|e| e.to_string())?;
    let t = Instant::now();
    let stale = g.command("show version").await;
    detected(t.elapsed());
    drop(g);
    ensure!(
        stale.is_err(),
        "the session from before the restart still answered"
    );
    ensure!(r1.lock_holder().is_none(), "lock leaked across the restart");
    let t = Instant::now();
    pool.configure(
        d,
        &ConfigChange::set_lines("set system host-name after-restart"),
    )
    .await
    .map_err(|e| format!("configure after restart: {e}"))?;
    recovered(t.elapsed());
    ensure!(
        r1.running_host_name().as_deref() == Some("after-restart"),
        "commit not applied"
    );
    Ok((
        format!(
            "locked session failed: {}",
            short(&stale.err().map(|e| e.to_string()).unwrap_or_default())
        ),
        "no lock leaked; new session locked, loaded and committed".into(),
    ))
}

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}
