//! How the pool behaves when things go wrong or callers give up: cancellation at every
//! await point, a state-machine model, the event loop under a hang, the blocking facade,
//! and a real OpenSSH server nobody here wrote.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use junos_sim::{DeviceConfig, Timing};
use netpool::{Error, Pool};
use netpool_tests::*;

/// A fault applied to the single simulated router before the cancelled call.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Everything answers at once.
    None,
    /// The listener is gone: connect is refused.
    Refused,
    /// TCP accepted, nothing sent: banner / hello / RPC never come.
    Stalled,
    /// Authentication is refused.
    AuthRejected,
    /// Authentication takes 30 ms.
    SlowAuth,
    /// Every command takes 40 ms.
    SlowRpc,
}

const FAULTS: [Fault; 6] = [
    Fault::None,
    Fault::Refused,
    Fault::Stalled,
    Fault::AuthRejected,
    Fault::SlowAuth,
    Fault::SlowRpc,
];
const CANCEL_AFTER_MS: [u64; 6] = [0, 1, 2, 5, 20, 80];

async fn apply(fault: Fault, r: &junos_sim::Device) {
    match fault {
        Fault::None | Fault::SlowAuth => {}
        Fault::Refused => r.kill(),
        Fault::Stalled => r.set_stalled(true),
        Fault::AuthRejected => r.set_refuse_auth(true),
        Fault::SlowRpc => r.set_extra_delay(Duration::from_millis(40)),
    }
}

async fn clear(r: &junos_sim::Device) {
    r.set_stalled(false);
    r.set_refuse_auth(false);
    r.set_extra_delay(Duration::ZERO);
    r.restart().await.unwrap();
}

/// deadpool's managed_cancellation, for a network pool: every fault at connect, auth,
/// health check and RPC, with the caller's future dropped at different points; afterwards
/// no lease, waiter or session is left behind, and the next call succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_calls_never_leak_under_any_fault() {
    for fault in FAULTS {
        for warm in [false, true] {
            for cancel_ms in CANCEL_AFTER_MS {
                let mut dc = DeviceConfig::default();
                if let Fault::SlowAuth = fault {
                    dc.timing = Timing {
                        auth_delay: Duration::from_millis(30),
                        ..Timing::instant()
                    };
                }
                let fleet = fleet_with(1, dc).await;
                let r1 = fleet.devices()[0].clone();
                let mut cfg = config_for(&fleet);
                cfg.max_connections_per_device = 1;
                cfg.channels_per_connection = 2;
                cfg.connect_timeout = Duration::from_millis(300);
                cfg.session_open_timeout = Duration::from_millis(300);
                cfg.rpc_timeout = Duration::from_millis(300);
                cfg.health_check_after = Duration::ZERO; // every reuse is health-checked
                cfg.health_check_timeout = Duration::from_millis(100);
                cfg.connect_retries = 0;
                cfg.breaker_threshold = 0;
                let pool = Pool::new(cfg).unwrap();
                let dev = device(&r1);
                if warm {
                    drop(pool.netconf(&dev).await.unwrap());
                }
                apply(fault, &r1).await;
                let ctx = format!("fault {fault:?}, warm {warm}, cancelled after {cancel_ms} ms");
                // Two concurrent callers, both cancelled: one NETCONF, one CLI.
                let a = tokio::time::timeout(Duration::from_millis(cancel_ms), async {
                    let mut g = pool.netconf(&dev).await?;
                    g.command("show version").await
                });
                let b = tokio::time::timeout(
                    Duration::from_millis(cancel_ms),
                    pool.cli(&dev, "show version"),
                );
                let _ = tokio::join!(a, b);
                // Connects the cancelled callers started go on in the background (so no
                // half-open connection is left); let them settle before lifting the fault.
                assert!(
                    eventually(Duration::from_secs(3), || pool.stats()[0].connecting == 0).await,
                    "{ctx}: connect never settled"
                );
                clear(&r1).await;
                assert!(
                    eventually(Duration::from_secs(3), || {
                        let s = &pool.stats()[0];
                        s.in_use == 0 && s.waiting == 0
                    })
                    .await,
                    "{ctx}: leases left: {:?}",
                    pool.stats()
                );
                // The pool recovers: dead sessions are replaced without an error.
                let mut g = tokio::time::timeout(Duration::from_secs(5), pool.netconf(&dev))
                    .await
                    .unwrap_or_else(|_| panic!("{ctx}: checkout hung"))
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                g.command("show version")
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                drop(g);
                pool.cli(&dev, "show version")
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                let s = &pool.stats()[0];
                assert!(s.channels <= 2 && s.connections <= 1, "{ctx}: {s:?}");
                pool.shutdown(Duration::from_secs(1)).await;
                assert!(
                    eventually(Duration::from_secs(3), || r1.counters().sessions_open == 0).await,
                    "{ctx}: sessions left open on the router: {:?}",
                    r1.counters()
                );
            }
        }
    }
}

/// A ticker on a current_thread runtime keeps its pace while 100 callers queue on one
/// device and another device's connect hangs on a blackhole for 2 s.
#[test]
fn the_event_loop_never_freezes() {
    // The routers run elsewhere, as real ones would.
    let (tx, rx) = std::sync::mpsc::channel();
    let sim = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let dc = DeviceConfig {
                timing: Timing {
                    command_scale: 0.05,
                    ..Timing::instant()
                },
                ..Default::default()
            };
            let fleet = fleet_with(1, dc).await;
            tx.send((config_for(&fleet), device(&fleet.devices()[0])))
                .unwrap();
            tokio::time::sleep(Duration::from_secs(8)).await;
        });
    });
    let (mut cfg, dev) = rx.recv().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let worst = rt.block_on(async move {
        cfg.max_connections_per_device = 1;
        cfg.channels_per_connection = 2;
        cfg.checkout_timeout = Duration::from_secs(20);
        cfg.connect_timeout = Duration::from_secs(2);
        cfg.connect_retries = 0;
        cfg.host_key_policy = netpool::HostKeyPolicy::InsecureAcceptAny;
        let pool = Pool::new(cfg).unwrap();
        let (addr, _fillers, _sock) = blackhole();
        let dead =
            netpool::Device::with_password(addr.ip().to_string(), addr.port(), USER, PASSWORD);
        let ticker = tokio::spawn(async {
            let mut worst = Duration::ZERO;
            let mut next = tokio::time::Instant::now();
            for _ in 0..150 {
                next += Duration::from_millis(10);
                tokio::time::sleep_until(next).await;
                worst = worst.max(tokio::time::Instant::now() - next);
            }
            worst
        });
        let hang = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.cli(&dead, "show version").await })
        };
        let callers: Vec<_> = (0..100)
            .map(|_| {
                let (pool, dev) = (pool.clone(), dev.clone());
                tokio::spawn(async move { pool.cli(&dev, "show ospf neighbor | no-more").await })
            })
            .collect();
        let worst = ticker.await.unwrap();
        for c in callers {
            c.await.unwrap().unwrap();
        }
        assert!(matches!(
            hang.await.unwrap(),
            Err(Error::ConnectTimeout { .. })
        ));
        worst
    });
    sim.join().unwrap();
    assert!(
        worst < Duration::from_millis(250),
        "ticker was {worst:?} late while a device hung for 2 s"
    );
}

#[test]
fn blocking_pool_serves_many_threads_and_refuses_inside_a_runtime() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let sim = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let fleet = rt.block_on(fleet(2));
        tx.send((
            config_for(&fleet),
            fleet.devices().iter().map(device).collect::<Vec<_>>(),
            fleet.devices()[0].clone(),
        ))
        .unwrap();
        let _ = stop_rx.recv();
        drop(fleet);
    });
    let (cfg, devs, r1) = rx.recv().unwrap();
    let pool = netpool::blocking::Pool::new(cfg).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (pool, d) = (pool.clone(), devs[i % 2].clone());
            std::thread::spawn(move || {
                for _ in 0..10 {
                    assert!(pool
                        .cli(&d, "show version")
                        .unwrap()
                        .stdout
                        .contains("Hostname"));
                    let mut nc = pool.netconf(&d).unwrap();
                    assert!(nc.command("show version").unwrap().contains("Hostname"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let all = pool.fan_out_cli(&devs, "show version", 2).unwrap();
    assert!(all.iter().all(|(_, r)| r.is_ok()));
    // Inside a runtime: an error, not a deadlock.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let inside = rt.block_on(async { pool.cli(&devs[0], "show version") });
    assert!(
        matches!(inside, Err(Error::BlockingInsideRuntime)),
        "{inside:?}"
    );
    pool.shutdown(Duration::from_secs(1)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    while r1.counters().sessions_open > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(r1.counters().sessions_open, 0);
    stop_tx.send(()).unwrap();
    sim.join().unwrap();
}

mod model {
    //! proptest: random checkout / return / discard / cancel / timeout / shutdown sequences
    //! against a simple model: never over a limit, never one session lent twice, every
    //! slot comes back.
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Checkout(usize),
        Return(usize),
        Discard(usize),
        CancelCheckout(usize, u8),
        CheckoutWhenFull(usize),
        Command(usize),
        Shutdown,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..2usize).prop_map(Op::Checkout),
            3 => any::<usize>().prop_map(Op::Return),
            1 => any::<usize>().prop_map(Op::Discard),
            2 => (0..2usize, 0..4u8).prop_map(|(d, t)| Op::CancelCheckout(d, t)),
            1 => (0..2usize).prop_map(Op::CheckoutWhenFull),
            2 => any::<usize>().prop_map(Op::Command),
            1 => Just(Op::Shutdown),
        ]
    }

    const CAP: usize = 3; // 1 connection x 3 channels per device

    fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let fleet = fleet(2).await;
            let mut cfg = config_for(&fleet);
            cfg.max_connections_per_device = 1;
            cfg.channels_per_connection = CAP;
            cfg.checkout_timeout = Duration::from_millis(100);
            let pool = Pool::new(cfg).unwrap();
            let devs: Vec<_> = fleet.devices().iter().map(device).collect();
            let mut held: Vec<(usize, netpool::NetconfGuard)> = Vec::new();
            let mut closed = false;
            for op in ops {
                match op {
                    Op::Checkout(d) => {
                        let per = held.iter().filter(|(x, _)| *x == d).count();
                        if per < CAP {
                            match pool.netconf(&devs[d]).await {
                                Ok(g) => {
                                    prop_assert!(!closed);
                                    held.push((d, g));
                                }
                                Err(Error::Closed) => prop_assert!(closed),
                                Err(e) => {
                                    return Err(TestCaseError::fail(format!("checkout: {e}")))
                                }
                            }
                        }
                    }
                    Op::CheckoutWhenFull(d) => {
                        let per = held.iter().filter(|(x, _)| *x == d).count();
                        if per == CAP {
                            let r = pool.netconf(&devs[d]).await;
                            prop_assert!(
                                matches!(
                                    r,
                                    Err(Error::CheckoutTimeout { .. }) | Err(Error::Closed)
                                ),
                                "{r:?}"
                            );
                        }
                    }
                    Op::Return(i) if !held.is_empty() => {
                        let i = i % held.len();
                        drop(held.swap_remove(i));
                    }
                    Op::Discard(i) if !held.is_empty() => {
                        let i = i % held.len();
                        held.swap_remove(i).1.discard();
                    }
                    Op::Command(i) if !held.is_empty() => {
                        let i = i % held.len();
                        let out = held[i].1.command("show version").await;
                        prop_assert!(out.is_ok(), "{out:?}");
                    }
                    Op::CancelCheckout(d, t) => {
                        let _ = tokio::time::timeout(
                            Duration::from_micros(u64::from(t) * 300),
                            pool.netconf(&devs[d]),
                        )
                        .await;
                    }
                    Op::Shutdown => {
                        closed = true;
                        // Shutdown waits for held sessions; give it none to wait for.
                        held.clear();
                        pool.shutdown(Duration::from_millis(200)).await;
                    }
                    _ => {}
                }
                // Invariants after every step.
                let ids: Vec<_> = held.iter().map(|(d, g)| (*d, g.session_id())).collect();
                let unique: HashSet<_> = ids.iter().collect();
                prop_assert_eq!(unique.len(), ids.len(), "a session lent twice: {:?}", ids);
                for (i, r) in fleet.devices().iter().enumerate() {
                    let c = r.counters();
                    prop_assert!(c.sessions_open <= 1, "{:?}", c);
                    prop_assert!(c.channels_open as usize <= CAP, "{:?}", c);
                    let in_use: usize = pool
                        .stats()
                        .iter()
                        .filter(|s| s.device == devs[i].label())
                        .map(|s| s.in_use)
                        .sum();
                    let model = held.iter().filter(|(x, _)| *x == i).count();
                    prop_assert!(
                        eventually(Duration::from_secs(2), || pool
                            .stats()
                            .iter()
                            .filter(|s| s.device == devs[i].label())
                            .map(|s| s.in_use)
                            .sum::<usize>()
                            == model)
                        .await,
                        "device {}: pool says {} in use, model {}",
                        i,
                        in_use,
                        model
                    );
                }
            }
            held.clear();
            pool.shutdown(Duration::from_secs(1)).await;
            prop_assert!(
                eventually(Duration::from_secs(3), || fleet.total(|c| c.sessions_open)
                    == 0)
                .await
            );
            Ok(())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 50, ..ProptestConfig::default() })]
        #[test]
        fn pool_matches_the_model(ops in proptest::collection::vec(op(), 1..40)) {
            run(ops)?;
        }
    }
}

/// A real OpenSSH sshd (Debian's openssh-server), started by the test on 127.0.0.1 with
/// its own host key and authorized key: the pool against a server nobody here wrote.
mod openssh_server {
    use super::*;
    use netpool::{Auth, HostKeyPolicy};

    struct Sshd {
        child: std::process::Child,
        port: u16,
        dir: tempfile::TempDir,
    }

    impl Drop for Sshd {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn sshd_path() -> PathBuf {
        ["/usr/sbin/sshd", "/usr/bin/sshd"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .expect("sshd installed (openssh-server)")
    }

    use std::path::PathBuf;

    fn start_sshd() -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let keygen = |args: &[&str], path: &std::path::Path| {
            let st = std::process::Command::new("ssh-keygen")
                .args(["-q", "-N", ""])
                .args(args)
                .arg("-f")
                .arg(path)
                .status()
                .unwrap();
            assert!(st.success());
        };
        keygen(&["-t", "ed25519"], &d.join("host_key"));
        keygen(&["-t", "ed25519"], &d.join("client_key"));
        std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).unwrap();
        std::fs::create_dir_all("/run/sshd").ok();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let cfg = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile {pid}\nAuthorizedKeysFile {ak}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\nAllowUsers {user}\nMaxSessions 10\nMaxStartups 100\nLogLevel ERROR\n",
            hk = d.join("host_key").display(),
            pid = d.join("sshd.pid").display(),
            ak = d.join("authorized_keys").display(),
        );
        std::fs::write(d.join("sshd_config"), cfg).unwrap();
        let child = std::process::Command::new(sshd_path())
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("sshd starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "sshd did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Sshd { child, port, dir }
    }

    fn fingerprint(sshd: &Sshd) -> String {
        let out = std::process::Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(sshd.dir.path().join("host_key.pub"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_string()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs Debian's openssh-server (sshd) and root; .ci/run installs it"]
    async fn pool_execs_against_real_openssh() {
        let sshd = start_sshd();
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let dev = netpool::Device::new(
            "127.0.0.1",
            sshd.port,
            user,
            Auth::KeyFile {
                path: sshd.dir.path().join("client_key"),
                passphrase: None,
            },
        );
        let pool = Pool::builder()
            .host_key_policy(HostKeyPolicy::Pinned(vec![fingerprint(&sshd)]))
            .max_connections_per_device(2)
            .channels_per_connection(10)
            .build()
            .unwrap();
        let out = pool.cli(&dev, "echo hello from openssh").await.unwrap();
        assert_eq!(out.stdout, "hello from openssh\n");
        assert_eq!(out.exit_status, Some(0));
        let out = pool.cli(&dev, "echo oops >&2; exit 3").await.unwrap();
        assert_eq!((out.stderr.as_str(), out.exit_status), ("oops\n", Some(3)));

        // 40 concurrent execs on at most 2 connections x 10 channels (sshd's MaxSessions).
        let results = futures::future::join_all((0..40).map(|i| {
            let (pool, dev) = (pool.clone(), dev.clone());
            async move { pool.cli(&dev, &format!("echo {i}")).await }
        }))
        .await;
        for (i, r) in results.into_iter().enumerate() {
            assert_eq!(r.unwrap().stdout, format!("{i}\n"));
        }
        let s = &pool.stats()[0];
        assert!(s.connects <= 2, "{s:?}");

        // Wrong key: a classified auth failure, not a timeout.
        let other = sshd.dir.path().join("host_key");
        let bad = netpool::Device::new(
            "127.0.0.1",
            sshd.port,
            "root",
            Auth::KeyFile {
                path: other,
                passphrase: None,
            },
        );
        assert!(matches!(
            pool.cli(&bad, "true").await,
            Err(Error::AuthFailed { .. })
        ));

        // A pinned fingerprint that does not match: refused before authenticating.
        let strict = Pool::builder()
            .host_key_policy(HostKeyPolicy::Pinned(vec!["SHA256:AAAA".into()]))
            .build()
            .unwrap();
        assert!(matches!(
            strict.cli(&dev, "true").await,
            Err(Error::HostKeyMismatch { .. })
        ));
        pool.shutdown(Duration::from_secs(1)).await;
    }
}

/// Pools and guards are often dropped where no runtime runs (after `block_on` returns,
/// in a destructor): that must close sessions through the pool's runtime, not panic.
#[test]
fn dropping_pools_and_guards_outside_a_runtime_does_not_panic() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let sim = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let fleet = rt.block_on(fleet(1));
        tx.send((
            config_for(&fleet),
            device(&fleet.devices()[0]),
            fleet.devices()[0].clone(),
        ))
        .unwrap();
        let _ = stop_rx.recv();
        drop(fleet);
    });
    let (cfg, dev, r1) = rx.recv().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (pool, locked, clean) = rt.block_on(async {
        let pool = Pool::new(cfg).unwrap();
        let mut locked = pool.netconf(&dev).await.unwrap();
        locked.lock().await.unwrap();
        let clean = pool.netconf(&dev).await.unwrap();
        (pool, locked, clean)
    });
    // Outside the runtime now.
    drop(clean); // returned to the idle list
    drop(locked); // discarded: closed through the pool's runtime
    drop(pool); // idle sessions dropped inside the pool's runtime
    let deadline = Instant::now() + Duration::from_secs(3);
    while (r1.counters().sessions_open > 0 || r1.lock_holder().is_some())
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(r1.lock_holder(), None);
    assert_eq!(r1.counters().sessions_open, 0);
    // Building an async pool outside a runtime is an error that says what to do.
    let e = Pool::new(netpool::PoolConfig::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("blocking::Pool"), "{e}");
    drop(rt);
    stop_tx.send(()).unwrap();
    sim.join().unwrap();
}
