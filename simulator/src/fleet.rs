//! Fleets: many simulated devices in one process, each on its own address or port.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::counters::CounterSnapshot;
use crate::router::{DeviceConfig, Router};
use crate::spec::DeviceSpec;
use crate::sync::lock;

/// How the devices of a fleet are addressed.
#[derive(Debug, Clone)]
pub enum Addressing {
    /// Router N on 127.0.1.N (N from 1), listening on each of these ports (e.g. 22 and 830;
    /// 0 picks a free port per device).
    Loopback {
        /// First address; later devices count up from it.
        first: Ipv4Addr,
        /// Ports on each address.
        ports: Vec<u16>,
    },
    /// All devices on one address; device N on `first_port + N` (0 = free ports).
    Ports {
        /// The address.
        ip: IpAddr,
        /// First port (0: let the kernel choose each).
        first_port: u16,
    },
}

impl Default for Addressing {
    fn default() -> Self {
        Addressing::Ports {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            first_port: 0,
        }
    }
}

/// What a fleet is made of.
#[derive(Debug, Clone, Default)]
pub struct FleetConfig {
    /// How many devices.
    pub routers: usize,
    /// Seed for everything deterministic.
    pub seed: u64,
    /// Addresses.
    pub addressing: Addressing,
    /// Knobs every device gets.
    pub device: DeviceConfig,
    /// Index of the first device (device N is `r{first_index + N + 1}`): lets separate
    /// processes or containers be distinct routers of one lab.
    pub first_index: usize,
}

/// N simulated devices in one process.
#[derive(Debug)]
pub struct Fleet {
    devices: Vec<Router>,
}

impl Fleet {
    /// Start every device.
    pub async fn start(cfg: FleetConfig) -> std::io::Result<Fleet> {
        let mut devices = Vec::with_capacity(cfg.routers);
        for i in 0..cfg.routers {
            let addrs: Vec<SocketAddr> = match &cfg.addressing {
                Addressing::Loopback { first, ports } => {
                    let ip = Ipv4Addr::from(u32::from(*first) + i as u32);
                    ports
                        .iter()
                        .map(|p| SocketAddr::new(IpAddr::V4(ip), *p))
                        .collect()
                }
                Addressing::Ports { ip, first_port } => {
                    let port = if *first_port == 0 {
                        0
                    } else {
                        first_port + i as u16
                    };
                    vec![SocketAddr::new(*ip, port)]
                }
            };
            let spec = DeviceSpec::new(cfg.first_index + i, cfg.seed, cfg.device.route_count);
            devices.push(Router::start(spec, cfg.device.clone(), &addrs).await?);
        }
        Ok(Fleet { devices })
    }

    /// The devices.
    pub fn devices(&self) -> &[Router] {
        &self.devices
    }

    /// Politely stop every device (see [`Router::shutdown`]).
    pub async fn shutdown(&self, grace: Duration) {
        futures::future::join_all(self.devices.iter().map(|d| d.shutdown(grace))).await;
    }

    /// Sum of a counter over the fleet.
    pub fn total(&self, f: impl Fn(&CounterSnapshot) -> u64) -> u64 {
        self.devices.iter().map(|d| f(&d.counters())).sum()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for d in &self.devices {
            lock(&d.inner.kill).cancel();
        }
    }
}
