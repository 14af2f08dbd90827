//! Helpers shared by the integration tests: a simulated fleet and a pool pointed at it.

use std::time::Duration;

pub mod hostile;

use junos_sim::{DeviceConfig, Fleet, FleetConfig};
use netpool::{Device, Pool, PoolConfig};

/// An SSH client handler that accepts any host key: for tests that speak raw SSH to a
/// server they started themselves.
pub struct AnyKey;

impl russh::client::Handler for AnyKey {
    type Error = russh::Error;
    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// The simulator's default credentials.
pub const USER: &str = junos_sim::DEFAULT_USER;
/// The simulator's default password.
pub const PASSWORD: &str = junos_sim::DEFAULT_PASSWORD;

/// A 2-worker runtime for property tests that run async cases from a plain `#[test]`.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

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

/// One router and test pool settings for it, to adjust before building the pool.
pub async fn one_router_config() -> (Fleet, PoolConfig) {
    let fleet = fleet(1).await;
    let cfg = config_for(&fleet);
    (fleet, cfg)
}

/// One router with these knobs changed from the defaults.
pub async fn fleet_one(f: impl FnOnce(&mut DeviceConfig)) -> Fleet {
    let mut c = DeviceConfig::default();
    f(&mut c);
    fleet_with(1, c).await
}

/// The pool's view of a simulated router.
pub fn device(d: &junos_sim::Router) -> Device {
    netchaos::sim_fleet::pool_device(d)
}

/// A simulated router as the pool addresses it, without a pinned key: the pool's
/// host-key policy decides (for tests of the policies themselves).
pub fn unpinned_device(d: &junos_sim::Router) -> Device {
    Device::with_password(d.addr().ip().to_string(), d.addr().port(), USER, PASSWORD)
}

/// Pool settings for tests: pinned host keys of the fleet, short bounds.
pub fn config_for(fleet: &Fleet) -> PoolConfig {
    let mut cfg = PoolConfig::default();
    cfg.host_key_policy = netchaos::sim_fleet::pinned_host_keys(fleet);
    cfg.set_handshake_timeout(Duration::from_secs(2));
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

/// One router, a pool for it, and the pool's view of it: the start of most tests.
pub async fn one_router() -> (Fleet, Pool, Device) {
    let fleet = fleet(1).await;
    let pool = pool_for(&fleet);
    let dev = device(&fleet.devices()[0]);
    (fleet, pool, dev)
}

/// Assert that a checked-out session answers `show version` as router r1.
pub async fn assert_answers_as_r1(g: &mut netpool::NetconfGuard) {
    let out = g.command("show version").await.expect("show version");
    assert!(out.contains("Hostname: r1"), "{out}");
}

/// Assert that `command` over exec on `dev` succeeds and prints `needle`.
pub async fn assert_cli_prints(pool: &Pool, dev: &Device, command: &str, needle: &str) {
    let out = pool.cli(dev, command).await.expect(command);
    assert!(out.stdout.contains(needle), "{command}: {}", out.stdout);
}

/// Send `rpc` on the session; the text at `path` in the reply, `None` when the reply has
/// no such element.
pub async fn rpc_text(g: &mut netpool::NetconfGuard, rpc: &str, path: &[&str]) -> Option<String> {
    let reply = g.rpc(rpc).await.unwrap_or_else(|e| panic!("{rpc}: {e}"));
    reply.root.find(path).map(|e| e.text.clone())
}

/// Assert that a child process succeeded (naming it and quoting its stderr otherwise);
/// its stdout.
pub fn succeeded(what: &str, out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A fleet served by its own thread and runtime, as real routers run elsewhere: for
/// tests whose own code runs outside any runtime. Dropping it stops the fleet.
pub struct FleetThread {
    /// Test pool settings pinned to the fleet.
    pub config: PoolConfig,
    /// The pool's view of each router.
    pub devices: Vec<Device>,
    /// The routers, for their counters and faults.
    pub routers: Vec<junos_sim::Router>,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FleetThread {
    /// Start `n` routers on their own thread.
    pub fn start(n: usize) -> FleetThread {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            let fleet = rt.block_on(fleet(n));
            tx.send((
                config_for(&fleet),
                fleet.devices().iter().map(device).collect::<Vec<_>>(),
                fleet.devices().to_vec(),
            ))
            .expect("test thread waits");
            let _ = stop_rx.recv();
            drop(fleet);
        });
        let (config, devices, routers) = rx.recv().expect("fleet thread started");
        FleetThread {
            config,
            devices,
            routers,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }
}

/// A child process, killed and reaped when dropped: no server a test starts outlives it.
pub struct Reaped(pub std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for FleetThread {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How many sessions or connections the pool discarded for this reason.
pub fn discarded(s: &netpool::DeviceStats, why: netpool::DiscardReason) -> u64 {
    s.discarded.get(&why).copied().unwrap_or(0)
}

/// Fail unless `cond` (a closure) holds within `bound`, polled by [`eventually`]: with the
/// message given, as `assert!` takes it, else one naming the bound and the condition.
#[macro_export]
macro_rules! assert_eventually {
    ($bound:expr, $cond:expr $(,)?) => {
        assert!(
            $crate::eventually($bound, $cond).await,
            "not within {:?}: {}",
            $bound,
            stringify!($cond)
        )
    };
    ($bound:expr, $cond:expr, $($msg:tt)+) => {
        assert!($crate::eventually($bound, $cond).await, $($msg)+)
    };
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
