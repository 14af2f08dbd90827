//! Faults of the path: silent drops of idle connections, latency and bandwidth.

use std::time::{Duration, Instant};

use junos_sim::DeviceConfig;

use super::{detected, eventually, nc, recovered, Lab, Obs, Size};
use crate::fault_proxy::{Direction, FaultProxy, Toxic, ToxicKind};

pub(super) async fn silent_idle_drop(_s: Size) -> Obs {
    let lab = Lab::new(1, DeviceConfig::default()).await?;
    let proxy = FaultProxy::start(lab.sim(0).addr(), 7)
        .await
        .map_err(|e| e.to_string())?;
    let (interval, count) = (Duration::from_millis(200), 2usize);
    let pool = lab.pool_with(|c| {
        c.keepalive_interval = Some(interval);
        c.keepalive_count_max = count;
        c.health_check_after = Duration::from_secs(60);
    });
    let d = lab.via(proxy.addr());
    nc(&pool, &d, "show version")
        .await
        .map_err(|e| e.to_string())?;
    proxy.blackhole_open_connections();
    let t = Instant::now();
    let bound = interval * (count as u32 + 2) + Duration::from_millis(500);
    let noticed = eventually(bound + Duration::from_secs(2), || {
        pool.stats()[0].connections == 0
    })
    .await;
    let took = t.elapsed();
    ensure!(
        noticed,
        "the dead connection was not noticed within {:?}",
        bound + Duration::from_secs(2)
    );
    ensure!(took <= bound, "noticed after {took:?}, bound {bound:?}");
    detected(took);
    let t = Instant::now();
    nc(&pool, &d, "show version")
        .await
        .map_err(|e| format!("next call failed: {e}"))?;
    recovered(t.elapsed());
    Ok((
        format!(
            "dead connection noticed in {:.0} ms (keepalive {} ms x {count})",
            took.as_secs_f64() * 1e3,
            interval.as_millis()
        ),
        format!(
            "next call ok on a new connection ({} proxy connections)",
            proxy.accepted()
        ),
    ))
}

pub(super) async fn latency_bandwidth(s: Size) -> Obs {
    let lab = Lab::new(5, DeviceConfig::default()).await?;
    let mut proxies = Vec::new();
    for (i, d) in lab.fleet.devices().iter().enumerate() {
        let p = FaultProxy::start(d.addr(), 100 + i as u64)
            .await
            .map_err(|e| e.to_string())?;
        for dir in [Direction::Upstream, Direction::Downstream] {
            p.add(Toxic::new(
                "lat",
                dir,
                ToxicKind::Latency {
                    latency: Duration::from_millis(25),
                    jitter: Duration::from_millis(10),
                },
            ));
        }
        p.add(Toxic::new(
            "bw",
            Direction::Downstream,
            ToxicKind::Bandwidth {
                bytes_per_sec: 1_000_000,
            },
        ));
        proxies.push(p);
    }
    let devs: Vec<_> = proxies.iter().map(|p| lab.via(p.addr())).collect();
    let pool = lab.pool();
    let cmds = [
        "show ospf neighbor | no-more",
        "show route 10.0.15.0 extensive | no-more",
        "show chassis hardware | no-more",
    ];
    let reps = if s == Size::Full { 3 } else { 1 };
    let t = Instant::now();
    let results = futures::future::join_all(
        devs.iter()
            .flat_map(|d| cmds.iter().map(move |c| (d.clone(), *c)))
            .flat_map(|x| std::iter::repeat_n(x, reps))
            .map(|(d, c)| {
                let pool = pool.clone();
                async move { nc(&pool, &d, c).await }
            }),
    )
    .await;
    let par = t.elapsed();
    let n = results.len();
    for r in &results {
        let out = r.as_ref().map_err(|e| e.to_string())?;
        ensure!(!out.trim().is_empty(), "empty output through the proxy");
    }
    let t = Instant::now();
    for d in &devs {
        nc(&pool, d, cmds[0]).await.map_err(|e| e.to_string())?;
    }
    let seq = t.elapsed().as_secs_f64() / devs.len() as f64;
    // The faults took effect: a pooled command crosses the proxy twice each way at least
    // 15 ms (25 +- 10 ms) per direction, so no round trip under 30 ms; and every byte of
    // the replies went through the proxies.
    let delayed = seq >= 0.030;
    ensure!(
        delayed,
        "a pooled command took {:.1} ms: the latency toxic did not act",
        seq * 1e3
    );
    let through: u64 = proxies.iter().map(|p| p.accepted()).sum();
    ensure!(
        through >= devs.len() as u64,
        "only {through} connections went through the proxies"
    );
    Ok(("-".into(), format!("{n} ops correct; pooled parallel {:.2} s; pooled sequential {:.0} ms/op (RTT 50 +- 20 ms)", par.as_secs_f64(), seq * 1e3)))
}
