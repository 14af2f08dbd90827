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
    assert_eq!(r1.running_host_name().as_deref(), Some("r1"));
    px.shutdown(Duration::from_secs(2)).await;
}

async fn kill(killer: &mut netpool::NetconfGuard, id: u32) -> Result<netpool::RpcReply, Error> {
    killer
        .rpc(&format!(
            "<kill-session><session-id>{id}</session-id></kill-session>"
        ))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_session_ends_the_client_session_it_names() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let px = proxy_for(&fleet, upstream_limits(&fleet, 1, 4)).await;
    let ep = &px.endpoints()[0];
    let dev = client_device(&px, 0, None);
    let (a, b) = (client(), client());
    let mut victim = a.netconf(&dev).await.unwrap();
    let mut killer = b.netconf(&dev).await.unwrap();
    let vid = victim.session_id().unwrap();
    let kid = killer.session_id().unwrap();
    // Not a session of this endpoint, and the caller's own: invalid-value, as on Junos.
    for (id, says) in [(vid + 1000, "not a session"), (kid, "is this session")] {
        let e = kill(&mut killer, id).await.unwrap_err();
        let err = e.rpc_error().expect("an rpc-error");
        assert_eq!(err.tag, "invalid-value");
        assert!(err.message.as_deref().unwrap_or("").contains(says), "{e}");
    }
    victim.lock().await.unwrap();
    victim
        .load(&ConfigChange::set_lines("set system host-name killed-left"))
        .await
        .unwrap();
    kill(&mut killer, vid).await.expect("the victim is killed");
    // The victim's session itself is gone (not only its upstream session), and at once:
    // kill-session answered after the lease came back, cleaned.
    assert_eq!(
        ep.counters.leases.load(Relaxed),
        1,
        "only the killer's lease is out"
    );
    assert_eq!(r1.lock_holder(), None, "the victim's lock went with it");
    assert_eq!(
        r1.candidate_host_name().as_deref(),
        Some("r1"),
        "the victim's change went with it"
    );
    let e = victim
        .rpc("<get-software-information/>")
        .await
        .expect_err("the killed session is gone");
    assert!(
        matches!(e, Error::Transport { .. }),
        "the killed session's channel is closed, not answered: {e}"
    );
    // An ended session's id is no longer valid.
    let e = kill(&mut killer, vid).await.unwrap_err();
    assert_eq!(
        e.rpc_error().map(|r| r.tag.as_str()),
        Some("invalid-value"),
        "{e}"
    );
    assert_answers_as_r1(&mut killer).await;
    px.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_session_ends_a_victim_without_a_lease_and_races_with_give_back() {
    let fleet = fleet(1).await;
    let mut up = upstream_limits(&fleet, 1, 2);
    up.checkout_timeout = Duration::from_millis(300);
    let px = proxy_for(&fleet, up).await;
    let ep = &px.endpoints()[0];
    let dev = client_device(&px, 0, None);
    let (a, b, c) = (client(), client(), client());
    let mut killer = b.netconf(&dev).await.unwrap();
    let mut bystander = c.netconf(&dev).await.unwrap();
    // Both upstream sessions are lent: the victim's hello comes without a lease.
    let mut victim = a.netconf(&dev).await.unwrap();
    let e = victim
        .rpc("<get-software-information/>")
        .await
        .expect_err("no upstream session for the victim");
    assert_eq!(
        e.rpc_error().map(|r| r.tag.as_str()),
        Some("resource-denied"),
        "{e}"
    );
    kill(&mut killer, victim.session_id().unwrap())
        .await
        .expect("a session without a lease is killed too");
    assert!(
        victim.rpc("<get-software-information/>").await.is_err(),
        "the leaseless victim still answers"
    );
    drop(victim);
    // A kill racing with its target's own close-session: either answer is right, and
    // neither disturbs another session.
    drop(bystander);
    for round in 0..10 {
        let mut target = a.netconf(&dev).await.unwrap();
        let id = target.session_id().unwrap();
        let (killed, _) = tokio::join!(kill(&mut killer, id), async move {
            let _ = target.rpc("<close-session/>").await;
        });
        if let Err(e) = killed {
            assert_eq!(
                e.rpc_error().map(|r| r.tag.as_str()),
                Some("invalid-value"),
                "round {round}: {e}"
            );
        }
        assert_answers_as_r1(&mut killer).await;
    }
    bystander = c.netconf(&dev).await.unwrap();
    assert_answers_as_r1(&mut bystander).await;
    // The clients go: their pools close their sessions.
    drop((bystander, killer));
    for p in [a, b, c] {
        p.shutdown(Duration::from_secs(2)).await;
    }
    assert!(
        eventually(Duration::from_secs(5), || ep.counters.leases.load(Relaxed)
            == 0)
        .await,
        "every lease came back"
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

/// Every way a client can leave, from every configuration state it can leave behind: the
/// next client always finds no lock, no private candidate, and a candidate equal to the
/// running configuration. A pending `commit confirmed` is left to roll back (the proxy
/// never confirms a commit for a client that left), so it is still pending after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_departure_from_every_state_leaves_a_clean_candidate_and_no_lock() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    // One upstream session: every client gets the one the last one left.
    let px = proxy_with(&fleet, upstream_limits(&fleet, 1, 1), |c| {
        c.client_keepalive = Duration::from_millis(200)
    })
    .await;
    let ep = &px.endpoints()[0];
    let load = |name: &str| {
        format!("<load-configuration action=\"set\" format=\"text\"><configuration-set>set system host-name {name}</configuration-set></load-configuration>")
    };
    let lock = "<lock><target><candidate/></target></lock>".to_string();
    let states: Vec<(&str, Vec<String>)> = vec![
        ("locked", vec![lock.clone()]),
        ("loaded", vec![load("loaded-left")]),
        (
            "close-configuration after a load",
            vec![load("closed-left"), "<close-configuration/>".into()],
        ),
        ("exclusive (lock, load)", vec![lock.clone(), load("excl-left")]),
        (
            "private",
            vec![
                "<open-configuration><private/></open-configuration>".into(),
                load("private-left"),
            ],
        ),
        (
            "commit confirmed pending",
            vec![
                load("confirmed-left"),
                "<commit-configuration><confirmed/><confirm-timeout>5</confirm-timeout></commit-configuration>".into(),
            ],
        ),
        (
            "commit check after a load",
            vec![
                load("checked-left"),
                "<commit-configuration><check/></commit-configuration>".into(),
            ],
        ),
    ];
    for (state, rpcs) in &states {
        for way in ["close-session", "TCP reset", "silent vanish"] {
            let case = format!("{state} / {way}");
            let cut = netchaos::FaultProxy::start(ep.addr, 1).await.unwrap();
            let leaving = client();
            let mut g = leaving
                .netconf(&client_device(&px, 0, Some(cut.addr().port())))
                .await
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            for rpc in rpcs {
                g.rpc(rpc)
                    .await
                    .unwrap_or_else(|e| panic!("{case}: {rpc}: {e}"));
            }
            match way {
                "close-session" => {
                    let _ = g.rpc("<close-session/>").await;
                }
                "TCP reset" => cut.reset_open_connections(),
                _ => cut.blackhole_open_connections(),
            }
            std::mem::forget(g); // the client cleans nothing up itself
            assert!(
                eventually(Duration::from_secs(10), || ep.counters.leases.load(Relaxed)
                    == 0)
                .await,
                "{case}: the lease did not come back"
            );
            let next = client();
            let mut n = next
                .netconf(&client_device(&px, 0, None))
                .await
                .unwrap_or_else(|e| panic!("{case}: next client: {e}"));
            n.lock()
                .await
                .unwrap_or_else(|e| panic!("{case}: the next client cannot lock: {e}"));
            assert_eq!(r1.private_candidates(), 0, "{case}: private candidate left");
            assert_eq!(
                r1.candidate_host_name(),
                r1.running_host_name(),
                "{case}: uncommitted change left in the candidate"
            );
            n.unlock().await.unwrap();
            drop(n);
            next.shutdown(Duration::from_secs(1)).await;
            cut.disable();
        }
    }
    assert!(
        r1.commit_confirm_pending(),
        "the pending commit confirmed was confirmed by someone: the rule is to leave it to roll back"
    );
    assert_eq!(
        r1.running_host_name().as_deref(),
        Some("confirmed-left"),
        "only the confirmed commit reached the running configuration"
    );
    px.shutdown(Duration::from_secs(2)).await;
}

/// One HTTP GET on a fresh connection, as a scraper does: the status line and the body.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    http_get_accept(addr, path, "*/*").await
}

/// [`http_get`] with an `Accept` header.
async fn http_get_accept(addr: std::net::SocketAddr, path: &str, accept: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).await.unwrap();
    let (head, body) = buf.split_once("\r\n\r\n").expect("a head and a body");
    (head.lines().next().unwrap().to_string(), body.to_string())
}

/// The value of the sample `name{labels}` (labels written as the exposition writes them).
fn sample(body: &str, name_and_labels: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(name_and_labels)?.strip_prefix(' '))
        .map(|v| v.parse().expect("a number"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_clients_did_per_device_in_prometheus_text_format() {
    let fleet = fleet(2).await;
    let px = proxy_for(&fleet, upstream_limits(&fleet, 1, 4)).await;
    let listener = netlab::proxy::metrics::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(netlab::proxy::metrics::serve(
        listener,
        px.clone(),
        stop.clone(),
    ));
    // Client 1: 5 RPCs to r1; client 2: 2 RPCs and one exec to r2; a wrong password on r2.
    let c = client();
    let mut g = c.netconf(&client_device(&px, 0, None)).await.unwrap();
    for _ in 0..5 {
        g.rpc("<get-software-information/>").await.unwrap();
    }
    drop(g);
    let r2 = client_device(&px, 1, None);
    let mut g = c.netconf(&r2).await.unwrap();
    for _ in 0..2 {
        g.rpc("<get-system-uptime-information/>").await.unwrap();
    }
    drop(g);
    c.cli(&r2, "show version").await.unwrap();
    c.shutdown(Duration::from_secs(1)).await;
    let wrong = Device::new(
        r2.host().to_string(),
        r2.port(),
        USER,
        Auth::Password("wrong".into()),
    )
    .with_host_keys([px.host_key_fingerprint().to_string()]);
    assert!(client().cli(&wrong, "show version").await.is_err());

    let (status, body) = http_get(addr, "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    let ep = |i: usize| {
        let e = &px.endpoints()[i];
        format!("device=\"{}\",name=\"{}\"", e.device.label(), e.name)
    };
    let expect = |samples: &[(String, f64)]| {
        for (name, want) in samples {
            assert_eq!(sample(&body, name), Some(*want), "{name}");
        }
    };
    expect(&[
        (format!("netlab_proxy_rpcs_total{{{}}}", ep(0)), 5.0),
        (format!("netlab_proxy_rpcs_total{{{}}}", ep(1)), 2.0),
        (format!("netlab_proxy_commands_total{{{}}}", ep(1)), 1.0),
        (
            format!("netlab_proxy_refused_total{{{},reason=\"auth\"}}", ep(1)),
            1.0,
        ),
        (
            format!("netlab_proxy_refused_total{{{},reason=\"auth\"}}", ep(0)),
            0.0,
        ),
    ]);
    // The pool behind it: one upstream connection per router, every checkout counted.
    let up = |i: usize| format!("device=\"{}\"", px.endpoints()[i].device.label());
    expect(&[(format!("netpool_connections{{{}}}", up(0)), 1.0)]);
    let checkouts = sample(&body, &format!("netpool_checkouts_total{{{}}}", up(1))).unwrap();
    assert!(checkouts >= 2.0, "{checkouts}");
    // Every family is declared, with HELP and TYPE (a histogram's samples are its
    // `_bucket`, `_sum` and `_count`).
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .filter(|f| body.contains(&format!("# TYPE {f} histogram")))
            .unwrap_or(name);
        assert!(
            body.contains(&format!("# TYPE {family} ")),
            "{name} has no TYPE: {body}"
        );
    }
    // The pool's request counters and latency histogram: 5 RPCs to r1; 2 RPCs and one
    // command to r2.
    expect(&[
        (format!("netpool_rpcs_total{{{}}}", up(0)), 5.0),
        (format!("netpool_rpcs_total{{{}}}", up(1)), 3.0),
        (
            format!("netpool_rpc_duration_seconds_count{{{}}}", up(0)),
            5.0,
        ),
        (
            format!(
                "netpool_rpc_duration_seconds_bucket{{{},le=\"+Inf\"}}",
                up(0)
            ),
            5.0,
        ),
    ]);
    // Bytes both ways were counted for r1's client.
    for direction in ["to_device", "to_client"] {
        let n = sample(
            &body,
            &format!(
                "netlab_proxy_relayed_bytes_total{{{},direction=\"{direction}\"}}",
                ep(0)
            ),
        )
        .unwrap();
        assert!(n > 5.0 * 30.0, "{direction}: {n}");
    }
    // A scraper that asks for OpenMetrics gets it: the same counts, `# EOF` at the end.
    let (status, om) = http_get_accept(
        addr,
        "/metrics",
        "application/openmetrics-text;version=1.0.0",
    )
    .await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(om.ends_with("# EOF\n"), "{om}");
    assert!(om.contains("# TYPE netpool_rpcs counter"), "{om}");
    assert_eq!(
        sample(&om, &format!("netpool_rpcs_total{{{}}}", up(0))),
        Some(5.0)
    );
    assert!(!body.contains("# EOF"));
    let (status, _) = http_get(addr, "/other").await;
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    stop.cancel();
    px.shutdown(Duration::from_secs(2)).await;
}
