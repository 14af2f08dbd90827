//! One simulated router on a given address: the network-namespace test runs this inside a
//! namespace (`ip netns exec`). Built with the tests (`CARGO_BIN_EXE_netns-sim`).

use std::net::{IpAddr, SocketAddr};

use junos_sim::{Addressing, DeviceConfig, Fleet, FleetConfig};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let ip: IpAddr = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: netns-sim IP PORT");
    let port: u16 = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: netns-sim IP PORT");
    let addr = SocketAddr::new(ip, port);
    let IpAddr::V4(v4) = ip else {
        panic!("IPv4 only")
    };
    let fleet = Fleet::start(FleetConfig {
        routers: 1,
        seed: 1,
        first_index: 0,
        addressing: Addressing::Loopback {
            first: v4,
            ports: vec![addr.port()],
        },
        device: DeviceConfig::default(),
    })
    .await
    .expect("listen");
    println!(
        "serving {} on {}",
        fleet.devices()[0].hostname(),
        fleet.devices()[0].addr()
    );
    tokio::signal::ctrl_c().await.ok();
}
