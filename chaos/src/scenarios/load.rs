//! Load on healthy routers: stampedes, storms, bursts and large replies.

use std::time::{Duration, Instant};

use junos_sim::DeviceConfig;

use super::{healthy, nc, Lab, Obs, Size};
use crate::rss_kib;

pub(super) async fn stampede(_s: Size) -> Obs {
    let lab = Lab::new(1, DeviceConfig::default()).await?;
    let pool = lab.pool_with(|c| {
        c.max_connections_per_device = 2;
        c.channels_per_connection = 5;
    });
    let r1 = lab.sim(0).clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (r1, stop) = (r1.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut s, mut c) = (0, 0);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let k = r1.counters();
                s = s.max(k.sessions_open);
                c = c.max(k.channels_open);
                tokio::time::sleep(Duration::from_micros(500)).await;
            }
            (s, c)
        })
    };
    let d = &lab.devs[0];
    let results = cli_and_netconf(
        &pool,
        std::slice::from_ref(d),
        20,
        "show chassis hardware | no-more",
        "show route 10.0.14.0 | no-more",
    )
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (max_s, max_c) = sampler.await.map_err(|e| e.to_string())?;
    all_answered(&results)?;
    ensure!(
        max_s <= 2 && max_c <= 10,
        "router saw {max_s} connections / {max_c} channels (limit 2 x 5)"
    );
    good_only(format!(
        "20/20 ok; router peak {max_s} connections, {max_c} channels (limit 2 x 5)"
    ))
}

pub(super) async fn mixed_storm(_s: Size) -> Obs {
    let lab = Lab::new(5, DeviceConfig::default()).await?;
    let pool = lab.pool();
    let results = cli_and_netconf(
        &pool,
        &lab.devs,
        100,
        "show ospf interface | no-more",
        "show chassis hardware | no-more",
    )
    .await;
    all_answered(&results)?;
    let conns = lab.fleet.total(|c| c.tcp_accepts);
    good_only(format!("100/100 ok over {conns} SSH connections"))
}

pub(super) async fn sustained_bursts(s: Size) -> Obs {
    let lab = Lab::new(5, DeviceConfig::default()).await?;
    let pool = lab.pool();
    let gap = if s == Size::Full {
        Duration::from_secs(2)
    } else {
        Duration::from_millis(200)
    };
    let (mut after_first, mut rss_first) = (0, 0);
    for b in 0..10 {
        healthy(&pool, &lab.devs, 4).await?;
        if b == 0 {
            after_first = lab.fleet.total(|c| c.sessions_open);
            rss_first = rss_kib();
        }
        tokio::time::sleep(gap).await;
    }
    let after = lab.fleet.total(|c| c.sessions_open);
    let grew = rss_kib().saturating_sub(rss_first);
    ensure!(
        after <= after_first,
        "sessions grew from {after_first} to {after}"
    );
    ensure!(
        rss_first > 0,
        "RSS could not be read (/proc/self/status): the memory bound cannot be checked"
    );
    ensure!(grew < 20 * 1024, "RSS grew by {grew} KiB");
    Ok((
        "-".into(),
        format!("200/200 ok in 10 bursts; sessions {after_first} -> {after}; RSS +{grew} KiB"),
    ))
}

pub(super) async fn heavy_fan_out(s: Size) -> Obs {
    let routes = if s == Size::Full { 100_000 } else { 20_000 };
    let lab = Lab::new(
        5,
        DeviceConfig {
            route_count: routes,
            ..Default::default()
        },
    )
    .await?;
    let pool = lab.pool();
    let t = Instant::now();
    let res = pool
        .fan_out(&lab.devs, 5, |p, d| async move {
            let one = nc(&p, &d, "show route 10.0.15.0 extensive | no-more").await?;
            let mut g = p.netconf(&d).await?;
            let all = g.rpc("<get-route-information/>").await?;
            Ok((one, all))
        })
        .await;
    for (d, r) in &res {
        let (one, all) = r.as_ref().map_err(|e| format!("{d}: {e}"))?;
        ensure!(
            one.contains("10.0.15.0/24") && one.contains("Preference"),
            "{d}: bad extensive output"
        );
        let n = all
            .root
            .find(&["route-information", "route-table"])
            .map(|t| t.children_named("rt").count())
            .unwrap_or(0);
        ensure!(
            n == routes as usize,
            "{d}: {n} routes in the reply, expected {routes}"
        );
    }
    Ok((
        "-".into(),
        format!(
            "5 x {routes} routes (XML) + extensive lookups complete in {:.2} s",
            t.elapsed().as_secs_f64()
        ),
    ))
}

/// `n` calls at once over `devs` in turn: even ones run `cli` over exec, odd ones
/// `netconf` through the `command` RPC.
async fn cli_and_netconf(
    pool: &netpool::Pool,
    devs: &[netpool::Device],
    n: usize,
    cli: &str,
    netconf: &str,
) -> Vec<netpool::Result<String>> {
    futures::future::join_all((0..n).map(|i| {
        let (pool, d) = (pool.clone(), devs[i % devs.len()].clone());
        async move {
            if i % 2 == 0 {
                pool.cli(&d, cli).await.map(|o| o.stdout)
            } else {
                nc(&pool, &d, netconf).await
            }
        }
    }))
    .await
}

/// A load scenario's observation: no bad path, this good one.
fn good_only(good: String) -> Obs {
    Ok(("-".into(), good))
}

/// Every call answered with output, or the first failure.
fn all_answered(results: &[netpool::Result<String>]) -> Result<(), String> {
    let ok = results
        .iter()
        .filter(|r| matches!(r, Ok(s) if !s.is_empty()))
        .count();
    ensure!(
        ok == results.len(),
        "{ok}/{} answered: {:?}",
        results.len(),
        results
            .iter()
            .find(|r| !matches!(r, Ok(s) if !s.is_empty()))
    );
    Ok(())
}
