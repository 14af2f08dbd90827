//! Helpers shared by the integration tests: a simulated fleet and a pool pointed at it.

use std::time::Duration;

use junos_sim::{DeviceConfig, Fleet, FleetConfig};
use netpool::{Device, Pool, PoolConfig};

/// The simulator's default credentials.
pub const USER: &str = junos_sim::DEFAULT_USER;
/// The simulator's default password.
pub const PASSWORD: &str = junos_sim::DEFAULT_PASSWORD;

/// Start `n` instant-profile routers on free ports of 127.0.0.1.
pub async fn fleet(n: usize) -> Fleet {
    fleet_with(n, DeviceConfig::default()).await
}

/// Start `n` routers with these knobs.
pub async fn fleet_with(n: usize, device: DeviceConfig) -> Fleet {
    Fleet::start(FleetConfig {
        routers: n,
        seed: 7,
        device,
        ..Default::default()
    })
    .await
    .expect("fleet starts")
}

/// The pool's view of a simulated router.
pub fn device(d: &junos_sim::Device) -> Device {
    netchaos::sim_fleet::pool_device(d)
}

/// Pool settings for tests: pinned host keys of the fleet, short bounds.
pub fn config_for(fleet: &Fleet) -> PoolConfig {
    let mut cfg = PoolConfig::default();
    cfg.host_key_policy = netchaos::sim_fleet::pinned_host_keys(fleet);
    cfg.connect_timeout = Duration::from_secs(2);
    cfg.auth_timeout = Duration::from_secs(2);
    cfg.session_open_timeout = Duration::from_secs(2);
    cfg.checkout_timeout = Duration::from_secs(5);
    cfg.rpc_timeout = Duration::from_secs(5);
    cfg.backoff_base = Duration::from_millis(10);
    cfg.backoff_max = Duration::from_millis(50);
    cfg
}

/// A pool for the fleet with test settings.
pub fn pool_for(fleet: &Fleet) -> Pool {
    Pool::new(config_for(fleet)).expect("valid config")
}

/// Wait until `f` holds, polling every 10 ms, for at most `bound`.
pub async fn eventually(bound: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + bound;
    while tokio::time::Instant::now() < end {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f()
}

/// A TCP listener that never accepts, with its backlog filled: further connects hang
/// (a blackholed host without root). Keep the returned values alive while in use.
pub fn blackhole() -> (
    std::net::SocketAddr,
    Vec<std::net::TcpStream>,
    socket2::Socket,
) {
    let sock =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    sock.bind(
        &"127.0.0.1:0"
            .parse::<std::net::SocketAddr>()
            .expect("addr")
            .into(),
    )
    .expect("bind");
    sock.listen(0).expect("listen");
    let addr = sock.local_addr().expect("addr").as_socket().expect("inet");
    let mut fillers = Vec::new();
    // Fill the accept queue so the next SYN is dropped.
    for _ in 0..8 {
        if let Ok(s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            fillers.push(s);
        } else {
            break;
        }
    }
    (addr, fillers, sock)
}
