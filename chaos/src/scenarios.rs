//! The chaos matrix: each scenario names its fault, what must happen on the bad path and
//! on the good path, and reports PASS or FAIL with timings and an event-loop probe.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use junos_sim::{DeviceConfig, Fleet, FleetConfig, Timing};
use netpool::{ConfigChange, DiscardReason, Error, Pool, PoolConfig};
use serde::Serialize;

use crate::proxy::{Direction, FaultProxy, Toxic, ToxicKind};
use crate::{rss_kib, Blackhole};

/// How big a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// Small sizes and short waits (for `cargo test` and CI).
    Quick,
    /// The sizes the issue names (20 s of bursts, 10^5 routes).
    Full,
}

/// A scenario of the matrix.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Name for `--scenario`.
    pub name: &'static str,
    /// The fault injected.
    pub fault: &'static str,
    /// What must happen to calls hitting the fault.
    pub bad_path: &'static str,
    /// What must happen to everything else.
    pub good_path: &'static str,
}

/// One scenario's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// Scenario name.
    pub name: String,
    /// The fault injected.
    pub fault: String,
    /// `PASS` or `FAIL`.
    pub verdict: &'static str,
    /// What was observed on the bad path.
    pub bad_path: String,
    /// What was observed on the good path.
    pub good_path: String,
    /// Event-loop probe (10 ms ticker): p99 lateness, ms.
    pub probe_p99_ms: f64,
    /// Wall time, seconds.
    pub duration_s: f64,
    /// Why it failed, if it did.
    pub detail: String,
}

/// The matrix.
pub const SCENARIOS: [Scenario; 16] = [
    Scenario {
        name: "stampede",
        fault: "20 concurrent commands to one router",
        bad_path: "-",
        good_path: "all succeed; router never sees more than the per-device limits",
    },
    Scenario {
        name: "mixed-storm",
        fault: "100 concurrent CLI/NETCONF ops over 5 routers",
        bad_path: "-",
        good_path: "100/100 succeed",
    },
    Scenario {
        name: "sustained-bursts",
        fault: "10 bursts of 20 ops",
        bad_path: "-",
        good_path: "all succeed; no growth in sessions or memory",
    },
    Scenario {
        name: "heavy-fan-out",
        fault: "large route tables to 5 routers at once",
        bad_path: "-",
        good_path: "every reply complete and correct",
    },
    Scenario {
        name: "error-in-session",
        fault: "bad command and unknown RPC in a borrowed session",
        bad_path: "classified rpc-error returned",
        good_path: "same session healthy: 10 follow-ups succeed, it is returned",
    },
    Scenario {
        name: "shutdown-under-load",
        fault: "shutdown with 50 ops in flight",
        bad_path: "late calls get Closed",
        good_path: "in-flight ops complete; zero sessions left on routers",
    },
    Scenario {
        name: "killed-sshd",
        fault: "sshd killed with pooled sessions, restarted 300 ms later",
        bad_path: "next call after restart succeeds without error",
        good_path: "other routers unaffected",
    },
    Scenario {
        name: "refused-port",
        fault: "nothing listens (RST)",
        bad_path: "ConnectRefused in well under 1 s",
        good_path: "parallel calls to healthy routers unaffected",
    },
    Scenario {
        name: "auth-failure",
        fault: "router rejects the credentials",
        bad_path: "AuthFailed promptly, then CircuitOpen; no retry storm",
        good_path: "other routers unaffected",
    },
    Scenario {
        name: "unreachable-host",
        fault: "connect never completes (blackhole)",
        bad_path: "ConnectTimeout at the bound, then CircuitOpen in ms",
        good_path: "parallel calls to healthy routers unaffected",
    },
    Scenario {
        name: "hung-banner-stalled-hello",
        fault: "TCP accepted but no banner; NETCONF hello withheld",
        bad_path: "ConnectTimeout (ssh-handshake / netconf-hello) at the bounds",
        good_path: "nothing leaked; calls succeed once the fault clears",
    },
    Scenario {
        name: "reset-and-slow-reply",
        fault: "RST in the middle of a reply; a reply slower than rpc_timeout",
        bad_path: "Transport / RpcTimeout; session discarded, never lent again",
        good_path: "next call gets a fresh session and succeeds",
    },
    Scenario {
        name: "silent-idle-drop",
        fault: "idle connection silently dropped (NAT)",
        bad_path: "keepalives notice within interval x count-max",
        good_path: "next call succeeds on a new connection",
    },
    Scenario {
        name: "latency-bandwidth",
        fault: "latency 50 +- 20 ms round trip, 1 MB/s cap",
        bad_path: "-",
        good_path: "all operations correct; timings reported",
    },
    Scenario {
        name: "restart-with-lock",
        fault: "router restarts while a session holds the configuration lock",
        bad_path: "the locked session fails and is discarded",
        good_path: "lock not leaked; a new session locks and commits",
    },
    Scenario {
        name: "connect-rate-limit",
        fault: "router allows 5 new connections a minute",
        bad_path: "-",
        good_path: "pool stays under the limit; no failures",
    },
];

type Obs = Result<(String, String), String>;
type ScenarioFuture = Pin<Box<dyn Future<Output = Obs> + Send>>;

macro_rules! ensure {
    ($c:expr, $($fmt:tt)+) => {
        if !$c {
            return Err(format!($($fmt)+));
        }
    };
}

/// A simulated fleet and pool settings pinned to it.
struct Lab {
    fleet: Fleet,
    devs: Vec<netpool::Device>,
    cfg: PoolConfig,
}

impl Lab {
    async fn new(n: usize, device: DeviceConfig) -> Result<Lab, String> {
        let fleet = Fleet::start(FleetConfig {
            routers: n,
            seed: 11,
            device,
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
        let devs = crate::sim_fleet::pool_devices(&fleet);
        let mut cfg = PoolConfig::default();
        cfg.host_key_policy = crate::sim_fleet::pinned_host_keys(&fleet);
        cfg.connect_timeout = Duration::from_secs(1);
        cfg.auth_timeout = Duration::from_secs(1);
        cfg.session_open_timeout = Duration::from_secs(1);
        cfg.checkout_timeout = Duration::from_secs(10);
        cfg.rpc_timeout = Duration::from_secs(10);
        cfg.connect_retries = 1;
        cfg.backoff_base = Duration::from_millis(20);
        cfg.backoff_max = Duration::from_millis(100);
        cfg.maintenance_interval = Duration::from_millis(100);
        Ok(Lab { fleet, devs, cfg })
    }

    fn sim(&self, i: usize) -> &junos_sim::Device {
        &self.fleet.devices()[i]
    }

    fn pool(&self) -> Pool {
        self.pool_with(|_| {})
    }

    fn pool_with(&self, f: impl FnOnce(&mut PoolConfig)) -> Pool {
        let mut c = self.cfg.clone();
        f(&mut c);
        Pool::new(c).expect("valid scenario settings")
    }

    /// A device entry pointing at `addr` (a proxy) but logging in as router `i`.
    fn via(&self, addr: std::net::SocketAddr) -> netpool::Device {
        netpool::Device::with_password(
            addr.ip().to_string(),
            addr.port(),
            junos_sim::DEFAULT_USER,
            junos_sim::DEFAULT_PASSWORD,
        )
    }
}

async fn nc(pool: &Pool, d: &netpool::Device, cmd: &str) -> netpool::Result<String> {
    let mut g = pool.netconf(d).await?;
    g.command(cmd).await
}

/// `n` NETCONF commands to each device at once; p99 latency in ms.
async fn healthy(pool: &Pool, devs: &[netpool::Device], n: usize) -> Result<f64, String> {
    let calls = devs
        .iter()
        .flat_map(|d| (0..n).map(move |_| d.clone()))
        .map(|d| {
            let pool = pool.clone();
            async move {
                let t = Instant::now();
                nc(&pool, &d, "show ospf neighbor | no-more")
                    .await
                    .map(|_| t.elapsed())
            }
        });
    let mut lat = Vec::new();
    for r in futures::future::join_all(calls).await {
        lat.push(
            r.map_err(|e| format!("a healthy call failed: {e}"))?
                .as_secs_f64()
                * 1e3,
        );
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    Ok(lat
        .get(((lat.len().max(1) - 1) as f64 * 0.99) as usize)
        .copied()
        .unwrap_or(0.0))
}

async fn eventually(bound: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + bound;
    while Instant::now() < end {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f()
}

async fn stampede(_s: Size) -> Obs {
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
    let results = futures::future::join_all((0..20).map(|i| {
        let (pool, d) = (pool.clone(), d.clone());
        async move {
            if i % 2 == 0 {
                pool.cli(&d, "show chassis hardware | no-more")
                    .await
                    .map(|o| o.stdout)
            } else {
                nc(&pool, &d, "show route 10.0.14.0 | no-more").await
            }
        }
    }))
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (max_s, max_c) = sampler.await.map_err(|e| e.to_string())?;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    ensure!(
        ok == 20,
        "{ok}/20 succeeded: {:?}",
        results.iter().find(|r| r.is_err())
    );
    ensure!(
        max_s <= 2 && max_c <= 10,
        "router saw {max_s} connections / {max_c} channels (limit 2 x 5)"
    );
    Ok((
        "-".into(),
        format!("20/20 ok; router peak {max_s} connections, {max_c} channels (limit 2 x 5)"),
    ))
}

async fn mixed_storm(_s: Size) -> Obs {
    let lab = Lab::new(5, DeviceConfig::default()).await?;
    let pool = lab.pool();
    let results = futures::future::join_all((0..100).map(|i| {
        let (pool, d) = (pool.clone(), lab.devs[i % 5].clone());
        async move {
            if i % 2 == 0 {
                pool.cli(&d, "show ospf interface | no-more")
                    .await
                    .map(|o| o.stdout)
            } else {
                nc(&pool, &d, "show chassis hardware | no-more").await
            }
        }
    }))
    .await;
    let ok = results
        .iter()
        .filter(|r| matches!(r, Ok(s) if !s.is_empty()))
        .count();
    ensure!(
        ok == 100,
        "{ok}/100: {:?}",
        results.iter().find(|r| r.is_err())
    );
    let conns = lab.fleet.total(|c| c.tcp_accepts);
    Ok((
        "-".into(),
        format!("100/100 ok over {conns} SSH connections"),
    ))
}

async fn sustained_bursts(s: Size) -> Obs {
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
    ensure!(grew < 20 * 1024, "RSS grew by {grew} KiB");
    Ok((
        "-".into(),
        format!("200/200 ok in 10 bursts; sessions {after_first} -> {after}; RSS +{grew} KiB"),
    ))
}

async fn heavy_fan_out(s: Size) -> Obs {
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

async fn error_in_session(_s: Size) -> Obs {
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

async fn shutdown_under_load(_s: Size) -> Obs {
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

async fn killed_sshd(_s: Size) -> Obs {
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

async fn refused_port(_s: Size) -> Obs {
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
    let good = good?;
    Ok((
        format!(
            "ConnectRefused in {:.0} ms (1 retry included)",
            bad.1.as_secs_f64() * 1e3
        ),
        format!("healthy p99 {good:.1} ms"),
    ))
}

async fn auth_failure(_s: Size) -> Obs {
    let lab = Lab::new(5, DeviceConfig::default()).await?;
    let pool = lab.pool();
    let r1 = lab.sim(0).clone();
    r1.set_refuse_auth(true);
    let mut kinds = Vec::new();
    let mut worst = Duration::ZERO;
    for _ in 0..10 {
        let t = Instant::now();
        let r = pool.cli(&lab.devs[0], "show version").await;
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

async fn unreachable_host(_s: Size) -> Obs {
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
        ensure!(matches!(r, Err(Error::ConnectTimeout { .. })), "got {r:?}");
        ensure!(
            *t >= Duration::from_millis(450) && *t < Duration::from_millis(1500),
            "timeout after {t:?}, bound 500 ms"
        );
    }
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

async fn hung_banner_stalled_hello(_s: Size) -> Obs {
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

async fn reset_and_slow_reply(_s: Size) -> Obs {
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
    let pool = lab.pool_with(|c| c.rpc_timeout = Duration::from_millis(400));
    let d = lab.via(proxy.addr());
    let mut g = pool.netconf(&d).await.map_err(|e| e.to_string())?;
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
    let mut g = pool
        .netconf(&d)
        .await
        .map_err(|e| format!("after reset: {e}"))?;
    ensure!(
        g.session_id() != sid || g.session_id().is_none(),
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
    let mut g = pool.netconf(d2).await.map_err(|e| e.to_string())?;
    ensure!(
        g.session_id() != sid2,
        "the timed-out session was lent again"
    );
    g.command("show version").await.map_err(|e| e.to_string())?;
    let discards: u64 = pool
        .stats()
        .iter()
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

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

async fn silent_idle_drop(_s: Size) -> Obs {
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
    nc(&pool, &d, "show version")
        .await
        .map_err(|e| format!("next call failed: {e}"))?;
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

async fn latency_bandwidth(s: Size) -> Obs {
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
    Ok(("-".into(), format!("{n} ops correct; pooled parallel {:.2} s; pooled sequential {:.0} ms/op (RTT 50 +- 20 ms)", par.as_secs_f64(), seq * 1e3)))
}

async fn restart_with_lock(_s: Size) -> Obs {
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
    let stale = g.command("show version").await;
    drop(g);
    ensure!(
        stale.is_err(),
        "the session from before the restart still answered"
    );
    ensure!(r1.lock_holder().is_none(), "lock leaked across the restart");
    pool.configure(
        d,
        &ConfigChange::set_lines("set system host-name after-restart"),
    )
    .await
    .map_err(|e| format!("configure after restart: {e}"))?;
    ensure!(
        r1.running_value(&["system", "host-name"]).as_deref() == Some("after-restart"),
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

async fn connect_rate_limit(_s: Size) -> Obs {
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

fn scenario_fn(name: &str) -> Option<fn(Size) -> ScenarioFuture> {
    Some(match name {
        "stampede" => |s| Box::pin(stampede(s)),
        "mixed-storm" => |s| Box::pin(mixed_storm(s)),
        "sustained-bursts" => |s| Box::pin(sustained_bursts(s)),
        "heavy-fan-out" => |s| Box::pin(heavy_fan_out(s)),
        "error-in-session" => |s| Box::pin(error_in_session(s)),
        "shutdown-under-load" => |s| Box::pin(shutdown_under_load(s)),
        "killed-sshd" => |s| Box::pin(killed_sshd(s)),
        "refused-port" => |s| Box::pin(refused_port(s)),
        "auth-failure" => |s| Box::pin(auth_failure(s)),
        "unreachable-host" => |s| Box::pin(unreachable_host(s)),
        "hung-banner-stalled-hello" => |s| Box::pin(hung_banner_stalled_hello(s)),
        "reset-and-slow-reply" => |s| Box::pin(reset_and_slow_reply(s)),
        "silent-idle-drop" => |s| Box::pin(silent_idle_drop(s)),
        "latency-bandwidth" => |s| Box::pin(latency_bandwidth(s)),
        "restart-with-lock" => |s| Box::pin(restart_with_lock(s)),
        "connect-rate-limit" => |s| Box::pin(connect_rate_limit(s)),
        _ => return None,
    })
}

/// The event-loop probe: a 10 ms ticker on the caller's runtime.
struct Probe {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<Vec<f64>>,
}

impl Probe {
    fn start() -> Probe {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        let task = tokio::spawn(async move {
            let mut late = Vec::new();
            let mut next = tokio::time::Instant::now();
            while !s.load(std::sync::atomic::Ordering::Relaxed) {
                next += Duration::from_millis(10);
                tokio::time::sleep_until(next).await;
                let now = tokio::time::Instant::now();
                late.push((now - next).as_secs_f64() * 1e3);
                if now > next + Duration::from_millis(10) {
                    next = now;
                }
            }
            late
        });
        Probe { stop, task }
    }

    async fn p99(self) -> f64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut v = self.task.await.unwrap_or_default();
        v.sort_by(|a, b| a.total_cmp(b));
        v.get(((v.len().max(1) - 1) as f64 * 0.99) as usize)
            .copied()
            .unwrap_or(0.0)
    }
}

/// Lateness of the probe above which the loop counts as blocked.
pub const PROBE_LIMIT_MS: f64 = 100.0;

/// Run one scenario by name (or every scenario for `None`), each bounded in time.
pub async fn run(size: Size, only: Option<&str>) -> Result<Vec<ScenarioResult>, String> {
    let chosen: Vec<&Scenario> = match only {
        None | Some("all") => SCENARIOS.iter().collect(),
        Some(n) => vec![SCENARIOS.iter().find(|s| s.name == n).ok_or_else(|| {
            format!(
                "unknown scenario {n:?}; known: {}",
                SCENARIOS
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?],
    };
    let bound = if size == Size::Full {
        Duration::from_secs(300)
    } else {
        Duration::from_secs(90)
    };
    let mut out = Vec::new();
    for sc in chosen {
        let f = scenario_fn(sc.name).expect("every listed scenario has a body");
        let t = Instant::now();
        let probe = Probe::start();
        let r = tokio::time::timeout(bound, f(size)).await;
        let p99 = probe.p99().await;
        let (verdict, bad, good, detail) = match r {
            Ok(Ok((bad, good))) if p99 <= PROBE_LIMIT_MS => ("PASS", bad, good, String::new()),
            Ok(Ok((bad, good))) => (
                "FAIL",
                bad,
                good,
                format!("event loop blocked: probe p99 {p99:.1} ms"),
            ),
            Ok(Err(e)) => ("FAIL", String::new(), String::new(), e),
            Err(_) => (
                "FAIL",
                String::new(),
                String::new(),
                format!("scenario did not finish within {bound:?}"),
            ),
        };
        tracing::info!(scenario = sc.name, verdict, "chaos scenario done");
        out.push(ScenarioResult {
            name: sc.name.into(),
            fault: sc.fault.into(),
            verdict,
            bad_path: bad,
            good_path: good,
            probe_p99_ms: p99,
            duration_s: t.elapsed().as_secs_f64(),
            detail,
        });
    }
    Ok(out)
}
