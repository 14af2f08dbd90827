//! A real OpenSSH sshd (Debian's openssh-server), started by the test on 127.0.0.1 with
//! its own host key and authorized key: the pool against a server nobody here wrote.

use std::time::{Duration, Instant};

use netpool::{Auth, HostKeyPolicy};
use netpool::{Error, Pool};

/// The sshd (stopped first when dropped), its port and its directory.
struct Sshd {
    _child: netpool_tests::Reaped,
    port: u16,
    dir: tempfile::TempDir,
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
    Sshd {
        _child: netpool_tests::Reaped(child),
        port,
        dir,
    }
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
