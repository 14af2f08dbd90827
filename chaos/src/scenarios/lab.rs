//! What every scenario starts from: a simulated fleet with pool settings pinned to it,
//! and the calls scenarios make on the good path.

use std::time::{Duration, Instant};

use junos_sim::{DeviceConfig, Fleet, FleetConfig};
use netpool::{Pool, PoolConfig};

use crate::probe::{percentile, sort};

/// A simulated fleet and pool settings pinned to it.
pub(crate) struct Lab {
    pub(crate) fleet: Fleet,
    pub(crate) devs: Vec<netpool::Device>,
    pub(crate) cfg: PoolConfig,
}

impl Lab {
    pub(crate) async fn new(n: usize, device: DeviceConfig) -> Result<Lab, String> {
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
        cfg.set_handshake_timeout(Duration::from_secs(1));
        cfg.checkout_timeout = Duration::from_secs(10);
        cfg.rpc_timeout = Duration::from_secs(10);
        cfg.connect_retries = 1;
        cfg.backoff_base = Duration::from_millis(20);
        cfg.backoff_max = Duration::from_millis(100);
        cfg.maintenance_interval = Duration::from_millis(100);
        Ok(Lab { fleet, devs, cfg })
    }

    pub(crate) fn sim(&self, i: usize) -> &junos_sim::Router {
        &self.fleet.devices()[i]
    }

    pub(crate) fn pool(&self) -> Pool {
        self.pool_with(|_| {})
    }

    pub(crate) fn pool_with(&self, f: impl FnOnce(&mut PoolConfig)) -> Pool {
        let mut c = self.cfg.clone();
        f(&mut c);
        Pool::new(c).expect("valid scenario settings")
    }

    /// A device entry pointing at `addr` (a proxy) but logging in as router `i`.
    pub(crate) fn via(&self, addr: std::net::SocketAddr) -> netpool::Device {
        netpool::Device::with_password(
            addr.ip().to_string(),
            addr.port(),
            junos_sim::DEFAULT_USER,
            junos_sim::DEFAULT_PASSWORD,
        )
    }
}

pub(crate) async fn nc(pool: &Pool, d: &netpool::Device, cmd: &str) -> netpool::Result<String> {
    let mut g = pool.netconf(d).await?;
    g.command(cmd).await
}

/// `n` NETCONF commands to each device at once; p99 latency in ms.
pub(crate) async fn healthy(
    pool: &Pool,
    devs: &[netpool::Device],
    n: usize,
) -> Result<f64, String> {
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
    sort(&mut lat);
    Ok(percentile(&lat, 0.99))
}

pub(crate) async fn eventually(bound: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + bound;
    while Instant::now() < end {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f()
}
