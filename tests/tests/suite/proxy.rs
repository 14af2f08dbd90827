//! `netlab proxy` in-process: real SSH clients (netpool's own, through the proxy) against
//! junos-sim behind it. The Python clients and OpenSSH through the proxy are in
//! `interop` (they need the venv and ssh).

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use netlab::proxy::{Proxy, ProxyConfig, Upstream};
use netpool::{Auth, ConfigChange, Device, Error, HostKeyPolicy, Pool, PoolConfig};
use netpool_tests::*;

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
    Proxy::start(
        pool,
        upstreams,
        ProxyConfig {
            listen: "127.0.0.1".parse().unwrap(),
            first_port: 0,
            client_password: Some(CLIENT_PASSWORD.into()),
            authorized_keys,
            host_key,
            client_idle_timeout: Duration::from_secs(30),
        },
    )
    .await
    .expect("proxy starts")
}

/// A client's view of endpoint `i`: the proxy's password, its host key pinned.
fn client_device(px: &Proxy, i: usize, port: Option<u16>) -> Device {
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
fn client() -> Pool {
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
    assert!(
        eventually(Duration::from_secs(5), || px.endpoints().iter().all(|e| e
            .counters
            .leases
            .load(Relaxed)
            == 0))
        .await,
        "every lease went back"
    );
    px.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_locks_loads_and_vanishes_leaves_the_router_clean_for_the_next() {
    let fleet = fleet(1).await;
    let px = proxy_for(&fleet, upstream_limits(&fleet, 1, 1)).await;
    let ep = &px.endpoints()[0];
    // The client reaches the proxy through a TCP proxy that can cut it off, as a client
    // killed with -9 or a laptop closed mid-session would.
    let cut = netchaos::FaultProxy::start(ep.addr, 1).await.unwrap();
    let vanishing = client();
    let dev = client_device(&px, 0, Some(cut.addr().port()));
    let mut g = vanishing.netconf(&dev).await.unwrap();
    g.lock().await.unwrap();
    g.load(&ConfigChange::set_lines("set system host-name left-behind"))
        .await
        .unwrap();
    cut.reset_open_connections();
    std::mem::forget(g); // the client is gone: it never unlocks nor closes
    assert!(
        eventually(Duration::from_secs(10), || ep.counters.leases.load(Relaxed)
            == 0)
        .await,
        "the lease came back"
    );
    assert_eq!(
        ep.counters.resets.load(Relaxed),
        1,
        "cleaned, not discarded"
    );
    let next = client();
    let mut g = next.netconf(&client_device(&px, 0, None)).await.unwrap();
    g.lock().await.expect("the next client can lock");
    let candidate = rpc_text(
        &mut g,
        "<get-configuration database=\"candidate\"><configuration><system><host-name/></system></configuration></get-configuration>",
        &["configuration", "system", "host-name"],
    )
    .await;
    assert_eq!(candidate.as_deref(), Some("r1"), "the change was discarded");
    g.unlock().await.unwrap();
    drop(g);
    let r1 = &fleet.devices()[0];
    assert_eq!(
        r1.counters().tcp_accepts,
        1,
        "the same upstream session served both"
    );
    assert_eq!(
        r1.running_value(&["system", "host-name"]).as_deref(),
        Some("r1")
    );
    px.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_session_takes_the_proxys_session_ids() {
    let fleet = fleet(1).await;
    let px = proxy_for(&fleet, upstream_limits(&fleet, 1, 4)).await;
    let dev = client_device(&px, 0, None);
    let (a, b) = (client(), client());
    let mut victim = a.netconf(&dev).await.unwrap();
    let mut killer = b.netconf(&dev).await.unwrap();
    let vid = victim.session_id().unwrap();
    let kid = killer.session_id().unwrap();
    // Not a session of this endpoint, and the caller's own: invalid-value, as on Junos.
    for (id, says) in [(vid + 1000, "not a session"), (kid, "is this session")] {
        let e = killer
            .rpc(&format!(
                "<kill-session><session-id>{id}</session-id></kill-session>"
            ))
            .await
            .unwrap_err();
        let err = e.rpc_error().expect("an rpc-error");
        assert_eq!(err.tag, "invalid-value");
        assert!(err.message.as_deref().unwrap_or("").contains(says), "{e}");
    }
    killer
        .rpc(&format!(
            "<kill-session><session-id>{vid}</session-id></kill-session>"
        ))
        .await
        .expect("the victim's upstream session is killed");
    let e = victim
        .rpc("<get-software-information/>")
        .await
        .expect_err("the killed session is gone");
    assert!(
        e.to_string().contains("upstream") || matches!(e, Error::Transport { .. }),
        "{e}"
    );
    assert_answers_as_r1(&mut killer).await;
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
    let mut late = b.netconf(&dev).await.expect("the hello still comes");
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
