//! Host keys: pins per device, known_hosts as OpenSSH reads it, accept-new, and the key
//! type asked for, against junos-sim and a two-key russh router written here.

use std::sync::Arc;
use std::time::Duration;

use netpool::{Error, HostKeyPolicy, Pool};
use netpool_tests::*;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::PrivateKey;
use russh::server::Auth;

#[tokio::test]
async fn host_keys_are_verified() {
    let fleet = fleet(2).await;
    let (r1, r2) = (&fleet.devices()[0], &fleet.devices()[1]);
    // Pinned to r2's key, connecting to r1: mismatch.
    let pool = policy_pool(HostKeyPolicy::Pinned(vec![r2.host_key_fingerprint()]));
    let err = pool
        .cli(&unpinned_device(r1), "show version")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::HostKeyMismatch { .. }), "{err}");
    assert_eq!(
        r1.counters().auth_ok + r1.counters().auth_failed,
        0,
        "no credentials sent to an unverified host"
    );

    // known_hosts: unknown is refused; accept-new learns, then a changed key is refused.
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let strict = policy_pool(HostKeyPolicy::KnownHosts(Some(kh.clone())));
    let err = strict
        .cli(&unpinned_device(r1), "show version")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::HostKeyUnknown { .. }), "{err}");
    let learn = policy_pool(HostKeyPolicy::AcceptNew(Some(kh.clone())));
    learn
        .cli(&unpinned_device(r1), "show version")
        .await
        .unwrap();
    strict
        .cli(&unpinned_device(r1), "show version")
        .await
        .unwrap();
    // r2 pretends to be r1: rewrite the file so r1's address carries r2's key.
    let text = std::fs::read_to_string(&kh).unwrap();
    let r2_key = r2.host_key().to_openssh().unwrap();
    let host_field = text.split_whitespace().next().unwrap().to_string();
    std::fs::write(&kh, format!("{host_field} {r2_key}\n")).unwrap();
    let fresh = policy_pool(HostKeyPolicy::KnownHosts(Some(kh)));
    let err = fresh
        .cli(&unpinned_device(r1), "show version")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::HostKeyMismatch { .. }), "{err}");
}

/// known_hosts read as OpenSSH reads it, against real simulated devices: any matching line
/// accepts (a stale duplicate does not lock the host out), a revoked key is refused even
/// beside an accepting line, a host known only through `@cert-authority` is refused with an
/// error that says so, an impostor holding another device's key is refused, and a file that
/// cannot be read is an error naming it, not "unknown host".
#[tokio::test]
async fn known_hosts_follows_openssh() {
    let fleet = fleet(2).await;
    let (r1, r2) = (&fleet.devices()[0], &fleet.devices()[1]);
    let name = format!("[127.0.0.1]:{}", r1.addr().port());
    let (k1, k2) = (
        r1.host_key().to_openssh().unwrap(),
        r2.host_key().to_openssh().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let run = |text: String| {
        std::fs::write(&kh, text).unwrap();
        let pool = policy_pool(HostKeyPolicy::KnownHosts(Some(kh.clone())));
        let dev = unpinned_device(r1);
        async move { pool.cli(&dev, "show version").await.map(|_| ()) }
    };
    // A stale line before the right one: accepted.
    run(format!("{name} {k2}\n{name} {k1}\n")).await.unwrap();
    // A wildcard and a negation.
    run(format!("[127.0.0.*]:*,!other {k1}\n")).await.unwrap();
    let err = run(format!(
        "[127.0.0.*]:*,![127.0.0.1]:{} {k1}\n",
        r1.addr().port()
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, Error::HostKeyUnknown { .. }), "{err}");
    // Revoked beside an accepting line.
    let err = run(format!("{name} {k1}\n@revoked * {k1}\n"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::HostKeyRevoked { .. }), "{err}");
    assert!(err.to_string().contains(":2"), "names the line: {err}");
    // Known only through a CA.
    let err = run(format!("@cert-authority * {k2}\n")).await.unwrap_err();
    assert!(
        matches!(err, Error::KnownHosts { .. }) && err.to_string().contains("@cert-authority"),
        "{err}"
    );
    // Impostor: r1's address, r2's key on file.
    let err = run(format!("{name} {k2}\n")).await.unwrap_err();
    assert!(matches!(err, Error::HostKeyMismatch { .. }), "{err}");
    assert_eq!(
        r1.counters().auth_ok,
        2,
        "only the two accepted connects sent credentials"
    );
    // Unreadable: a directory where the file should be.
    let pool = policy_pool(HostKeyPolicy::KnownHosts(Some(dir.path().to_path_buf())));
    let err = pool
        .cli(&unpinned_device(r1), "show version")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::KnownHosts { .. })
            && err.to_string().contains(&dir.path().display().to_string()),
        "{err}"
    );
}

/// An impostor: a device entry for r2 that reaches r1's address. With r2's key pinned to
/// r2 alone, r1's key is refused, even when the pool also knows r1's key; a pool-wide
/// pinned list (the old inventory behaviour) would have accepted it.
#[tokio::test]
async fn a_key_pinned_for_one_device_never_vouches_for_another() {
    let fleet = fleet(2).await;
    let (r1, r2) = (&fleet.devices()[0], &fleet.devices()[1]);
    let pool = pool_for(&fleet); // the pool-wide list holds both routers' keys
    let impostor = netpool::Device::with_password(
        r1.addr().ip().to_string(),
        r1.addr().port(),
        USER,
        PASSWORD,
    )
    .with_host_keys([r2.host_key_fingerprint()]);
    let e = pool.cli(&impostor, "show version").await.unwrap_err();
    match &e {
        Error::HostKeyMismatch {
            fingerprint,
            expected,
            ..
        } => {
            assert_eq!(fingerprint, &r1.host_key_fingerprint());
            assert!(expected.contains(&r2.host_key_fingerprint()), "{expected}");
        }
        other => panic!("expected a host key mismatch, got {other}"),
    }
    assert_eq!(
        r1.counters().auth_ok,
        0,
        "no credentials were sent to the impostor"
    );
    // The same address with its own key pinned is fine.
    pool.cli(&device(r1), "show version").await.unwrap();
    // A per-device policy refuses a device that carries no pins.
    let mut cfg = config_for(&fleet);
    cfg.host_key_policy = netpool::HostKeyPolicy::PerDevice;
    let strict = Pool::new(cfg).unwrap();
    let unpinned = netpool::Device::with_password(
        r1.addr().ip().to_string(),
        r1.addr().port(),
        USER,
        PASSWORD,
    );
    assert!(matches!(
        strict.cli(&unpinned, "show version").await,
        Err(Error::HostKeyUnknown { .. })
    ));
    strict.cli(&device(r1), "show version").await.unwrap();
}

/// A router with two host keys (Ed25519 and ECDSA P-256) that accepts any login and no
/// channel: enough to see which key the pool asked for and whether it trusted it.
struct TwoKeys(Arc<std::sync::atomic::AtomicUsize>);

impl russh::server::Handler for TwoKeys {
    type Error = russh::Error;

    async fn auth_password(&mut self, _user: &str, _password: &str) -> Result<Auth, Self::Error> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(Auth::Accept)
    }
}

/// known_hosts holds only the router's ECDSA key. russh's default order asks for Ed25519
/// first, which this file does not know: the pool must offer the known key type first
/// (as OpenSSH does), and so verify the router and log in.
#[tokio::test]
async fn the_known_key_type_is_asked_for_first() {
    use russh::keys::{Algorithm, EcdsaCurve};
    let ed = PrivateKey::from(Ed25519Keypair::from_seed(&[7u8; 32]));
    let ec = PrivateKey::random(
        &mut rand::rng(),
        Algorithm::Ecdsa {
            curve: EcdsaCurve::NistP256,
        },
    )
    .unwrap();
    let ec_public = ec.public_key().to_openssh().unwrap();
    let config = Arc::new(russh::server::Config {
        keys: vec![ed, ec],
        auth_rejection_time: Duration::from_millis(10),
        auth_rejection_time_initial: Some(Duration::ZERO),
        nodelay: true,
        ..Default::default()
    });
    let logins = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let l2 = logins.clone();
    let server = tokio::spawn(async move {
        // Bounded: this test connects once or twice.
        for _ in 0..4 {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let (config, logins) = (config.clone(), l2.clone());
            tokio::spawn(async move {
                if let Ok(running) = russh::server::run_stream(config, sock, TwoKeys(logins)).await
                {
                    let _ = running.await;
                }
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    std::fs::write(&kh, format!("[127.0.0.1]:{} {ec_public}\n", addr.port())).unwrap();
    let mut cfg = netpool::PoolConfig::default();
    cfg.host_key_policy = netpool::HostKeyPolicy::KnownHosts(Some(kh));
    cfg.set_handshake_timeout(Duration::from_secs(2));
    cfg.checkout_timeout = Duration::from_secs(3);
    cfg.breaker_threshold = 0;
    let pool = Pool::new(cfg).unwrap();
    let dev = netpool::Device::with_password("127.0.0.1", addr.port(), "lab", "x");
    let err = pool.cli(&dev, "show version").await.unwrap_err();
    assert!(
        !matches!(
            err,
            Error::HostKeyUnknown { .. } | Error::HostKeyMismatch { .. }
        ),
        "the router was not verified: {err}"
    );
    assert!(
        logins.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "no login after the host key check ({err})"
    );
    pool.shutdown(Duration::from_secs(1)).await;
    server.abort();
}

/// A pool with default settings but this host-key policy.
fn policy_pool(policy: HostKeyPolicy) -> Pool {
    Pool::builder().host_key_policy(policy).build().unwrap()
}
