//! One in-process simulated router (instant profile) and a warm pool pinned to it: the
//! setup the criterion benches and the profiling examples share.

use junos_sim::{Fleet, FleetConfig};
use netpool::{HostKeyPolicy, Pool};

/// A router, a pool with one NETCONF session and one connection already open to it.
pub struct OneRouter {
    /// The simulated router (stops when dropped).
    pub fleet: Fleet,
    /// The pool, warm.
    pub pool: Pool,
    /// The router as the pool addresses it.
    pub device: netpool::Device,
    /// Its host key fingerprint (for pools built later, as per-call does).
    pub fingerprints: Vec<String>,
}

impl OneRouter {
    /// Start the router and warm the pool (a NETCONF session and an exec).
    pub async fn start() -> Result<OneRouter, String> {
        let fleet = Fleet::start(FleetConfig {
            routers: 1,
            ..Default::default()
        })
        .await
        .map_err(|e| format!("starting the router: {e}"))?;
        Self::warm(fleet).await
    }

    /// A pool for an already running one-router fleet, warmed.
    pub async fn warm(fleet: Fleet) -> Result<OneRouter, String> {
        let d = fleet.devices().first().ok_or("the fleet has no router")?;
        let device = netchaos::sim_fleet::pool_device(d);
        let fingerprints = vec![d.host_key_fingerprint()];
        let pool = Pool::builder()
            .host_key_policy(HostKeyPolicy::Pinned(fingerprints.clone()))
            .build()
            .map_err(|e| e.to_string())?;
        drop(pool.netconf(&device).await.map_err(|e| e.to_string())?);
        pool.cli(&device, "show version")
            .await
            .map_err(|e| e.to_string())?;
        Ok(OneRouter {
            fleet,
            pool,
            device,
            fingerprints,
        })
    }
}
