//! `netlab proxy` in-process: real SSH clients (netpool's own, through the proxy) against
//! junos-sim behind it: sharing, credentials, waits and upstream failures here, a client's
//! session state in `sessions`, the metrics endpoint in `metrics`. The Python clients and
//! OpenSSH through the proxy are in `proxy_interop` (they need the venv and ssh).

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use netlab::proxy::{Proxy, ProxyConfig, Upstream};
use netpool::{Auth, Device, Error, HostKeyPolicy, Pool, PoolConfig};
use netpool_tests::*;

mod metrics;
mod sessions;

pub(crate) const CLIENT_PASSWORD: &str = "proxy-secret";

/// A proxy in front of `fleet`, its upstream pool built from `upstream`.
pub(crate) async fn proxy_for(fleet: &junos_sim::Fleet, upstream: PoolConfig) -> Proxy {
    proxy_with_keys(fleet, upstream, Vec::new()).await
}

/// A proxy that also lets in these client keys.
pub(crate) async fn proxy_with_keys(
    fleet: &junos_sim::Fleet,
    upstream: PoolConfig,
    authorized_keys: Vec<russh::keys::PublicKey>,
) -> Proxy {
    proxy_with(fleet, upstream, |c| c.authorized_keys = authorized_keys).await
}

/// A proxy whose configuration `f` changes from the tests' default.
pub(crate) async fn proxy_with(
    fleet: &junos_sim::Fleet,
    upstream: PoolConfig,
    f: impl FnOnce(&mut ProxyConfig),
) -> Proxy {
    let pool = Pool::new(upstream).expect("valid upstream config");
    let upstreams = fleet
        .devices()
        .iter()
        .map(|d| Upstream {
            name: d.hostname().to_string(),
            device: device(d),
        })
        .collect();
    let host_key = russh::keys::PrivateKey::from(
        russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&[42; 32]),
    );
    let mut cfg = ProxyConfig {
        listen: "127.0.0.1".parse().unwrap(),
        first_port: 0,
        client_password: Some(CLIENT_PASSWORD.into()),
        authorized_keys: Vec::new(),
        host_key,
        client_idle_timeout: Duration::from_secs(30),
        ssh_limits: ProxyConfig::default_ssh_limits(),
        max_message: netlab::proxy::DEFAULT_MAX_MESSAGE,
        client_keepalive: netlab::proxy::DEFAULT_CLIENT_KEEPALIVE,
    };
    f(&mut cfg);
    Proxy::start(pool, upstreams, cfg)
        .await
        .expect("proxy starts")
}

/// A client's view of endpoint `i`: the proxy's password, its host key pinned.
pub(crate) fn client_device(px: &Proxy, i: usize, port: Option<u16>) -> Device {
    let e = &px.endpoints()[i];
    Device::new(
        e.addr.ip().to_string(),
        port.unwrap_or(e.addr.port()),
        USER,
        Auth::Password(CLIENT_PASSWORD.into()),
    )
    .with_host_keys([px.host_key_fingerprint().to_string()])
}

/// A separate client (its own pool, so its own SSH connection), as one script would be.
pub(crate) fn client() -> Pool {
    let mut cfg = PoolConfig::default();
    cfg.host_key_policy = HostKeyPolicy::PerDevice;
    cfg.max_connections_per_device = 1;
    cfg.checkout_timeout = Duration::from_secs(10);
    cfg.rpc_timeout = Duration::from_secs(10);
    cfg.connect_timeout = Duration::from_secs(5);
    cfg.auth_timeout = Duration::from_secs(5);
    Pool::new(cfg).expect("valid client config")
}

fn upstream_limits(fleet: &junos_sim::Fleet, conns: usize, channels: usize) -> PoolConfig {
    let mut cfg = config_for(fleet);
    cfg.max_connections_per_device = conns;
    cfg.channels_per_connection = channels;
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_clients_share_one_router_connection_and_get_the_routers_answers() {
    let fleet = fleet(2).await;
    let px = proxy_for(&fleet, upstream_limits(&fleet, 1, 4)).await;
    let runs = (0..30).map(|i| {
        let dev = client_device(&px, i % 2, None);
        async move {
            let c = client();
            let out = c.cli(&dev, "show version").await?;
            let mut g = c.netconf(&dev).await?;
            let name = rpc_text(
                &mut g,
                "<get-software-information/>",
                &["software-information", "host-name"],
            )
            .await;
            let id = g.session_id();
            drop(g);
            c.shutdown(Duration::from_secs(1)).await;
            Ok::<_, Error>((name, id, out.stdout))
        }
    });
    let results = futures::future::join_all(runs).await;
    let mut ids = std::collections::HashSet::new();
    for (i, r) in results.into_iter().enumerate() {
        let (name, id, stdout) = r.unwrap_or_else(|e| panic!("client {i}: {e}"));
        let want = if i % 2 == 0 { "r1" } else { "r2" };
        assert_eq!(name.as_deref(), Some(want), "client {i}");
        assert!(stdout.contains(&format!("Hostname: {want}")), "{stdout}");
        assert!(ids.insert(id.expect("the proxy gives a session-id")));
    }
    for (d, e) in fleet.devices().iter().zip(px.endpoints()) {
        let c = d.counters();
        assert_eq!(
            c.tcp_accepts,
            1,
            "{}: one upstream connection for 15 clients",
            d.hostname()
        );
        assert_eq!(e.counters.client_connections.load(Relaxed), 15);
        assert_eq!(e.counters.errors.load(Relaxed), 0);
    }
    assert_eventually!(
        Duration::from_secs(5),
        || px
            .endpoints()
            .iter()
            .all(|e| e.counters.leases.load(Relaxed) == 0),
        "every lease went back"
    );
    px.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_killed_mid_session_is_an_error_then_a_fresh_session_after_restart() {
    let fleet = fleet(1).await;
    let px = proxy_for(&fleet, config_for(&fleet)).await;
    let dev = client_device(&px, 0, None);
    let c = client();
    let mut g = c.netconf(&dev).await.unwrap();
    assert_answers_as_r1(&mut g).await;
    let r1 = &fleet.devices()[0];
    r1.kill();
    let t = std::time::Instant::now();
    let e = g.rpc("<get-software-information/>").await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(8), "answered, not hung");
    assert!(e.to_string().contains("upstream session failed"), "{e}");
    r1.restart().await.unwrap();
    // The client's session held nothing: the proxy leases a fresh upstream session.
    assert_answers_as_r1(&mut g).await;
    drop(g);
    assert!(px.endpoints()[0].counters.errors.load(Relaxed) >= 1);
    px.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excess_clients_wait_then_get_an_error_that_names_the_wait() {
    let fleet = fleet(1).await;
    let mut up = upstream_limits(&fleet, 1, 1);
    up.checkout_timeout = Duration::from_millis(400);
    let px = proxy_for(&fleet, up).await;
    let dev = client_device(&px, 0, None);
    let (a, b) = (client(), client());
    let mut holder = a.netconf(&dev).await.unwrap();
    // The late client waits the checkout timeout for a lease, then gets its hello.
    let t = std::time::Instant::now();
    let mut late = b.netconf(&dev).await.expect("the hello still comes");
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(380) && waited < Duration::from_secs(4),
        "the hello came after {waited:?}, not after the 400 ms wait"
    );
    let e = late.rpc("<get-software-information/>").await.unwrap_err();
    let err = e.rpc_error().expect("an rpc-error");
    assert_eq!(err.tag, "resource-denied");
    assert!(
        err.message
            .as_deref()
            .unwrap_or("")
            .contains("no upstream session"),
        "{e}"
    );
    assert_answers_as_r1(&mut holder).await;
    drop((holder, late));
    assert_eq!(fleet.devices()[0].counters().tcp_accepts, 1);
    px.shutdown(Duration::from_secs(2)).await;

    // Waiters are served first come, first served: three arrive 150 ms apart while the one
    // session is lent; each holds it 50 ms once it has it.
    let mut up = upstream_limits(&fleet, 1, 1);
    up.checkout_timeout = Duration::from_secs(10);
    let px = proxy_for(&fleet, up).await;
    let dev = client_device(&px, 0, None);
    let holder_pool = client();
    let holder = holder_pool.netconf(&dev).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut waiters = Vec::new();
    for i in 0..3 {
        let (dev, tx) = (dev.clone(), tx.clone());
        waiters.push(tokio::spawn(async move {
            let c = client();
            let mut g = c.netconf(&dev).await.expect("a lease within 10 s");
            tx.send(i).unwrap();
            assert_answers_as_r1(&mut g).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(g);
            c.shutdown(Duration::from_secs(2)).await; // closes the session: the lease goes back
        }));
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    drop(holder);
    holder_pool.shutdown(Duration::from_secs(2)).await;
    for w in waiters {
        w.await.unwrap();
    }
    drop(tx);
    let mut order = Vec::new();
    while let Some(i) = rx.recv().await {
        order.push(i);
    }
    assert_eq!(order, [0, 1, 2], "leases in arrival order");
    px.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_need_the_proxys_own_credentials() {
    let fleet = fleet(1).await;
    let px = proxy_for(&fleet, config_for(&fleet)).await;
    let e = px.endpoints()[0].addr;
    let fp = px.host_key_fingerprint().to_string();
    let c = client();
    for (user, password) in [(USER, PASSWORD), ("root", CLIENT_PASSWORD), (USER, "")] {
        let dev = Device::new(
            e.ip().to_string(),
            e.port(),
            user,
            Auth::Password(password.into()),
        )
        .with_host_keys([fp.clone()]);
        let err = c.netconf(&dev).await.unwrap_err();
        assert!(matches!(err, Error::AuthFailed { .. }), "{user}: {err}");
    }
    assert_eq!(
        fleet.devices()[0].counters().tcp_accepts,
        0,
        "refused clients never reach the router"
    );
    px.shutdown(Duration::from_secs(2)).await;
}
