//! The `netlab` binary as a user runs it: `sim` writes an inventory, `validate` and real
//! clients use it, Ctrl-C closes every session politely.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn netlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_netlab"))
}

struct Sim {
    child: Child,
    inventory: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sim(first_ip: &str) -> Sim {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("fleet.toml");
    let child = netlab()
        .args([
            "sim",
            "--routers",
            "2",
            "--listen",
            first_ip,
            "--ports",
            "0",
            "--inventory-out",
        ])
        .arg(&inventory)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !inventory.exists() {
        assert!(Instant::now() < deadline, "netlab sim wrote no inventory");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    Sim {
        child,
        inventory,
        _dir: dir,
    }
}

fn first_device(inventory: &std::path::Path) -> (String, u16) {
    let t: toml::Table = std::fs::read_to_string(inventory).unwrap().parse().unwrap();
    let d = &t["device"].as_array().unwrap()[0];
    (
        d["host"].as_str().unwrap().to_string(),
        d["port"].as_integer().unwrap() as u16,
    )
}

#[test]
fn sim_inventory_validate_and_ctrl_c() {
    let mut sim = start_sim("127.0.3.1");
    let out = netlab()
        .args(["validate", "--allow-config", "--inventory"])
        .arg(&sim.inventory)
        .env("NETLAB_SIM_PASSWORD", "lab123")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "validate failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for check in [
        "wrong-password",
        "refused-port",
        "config-path",
        "sessions-held",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(check) && l.contains("PASS")),
            "{check} not PASS:\n{stdout}"
        );
    }
    assert!(stdout.contains("pooled-par"), "{stdout}");
    // The checks' text is for people: no Rust debug output (`Some("...")`).
    assert!(
        !stdout.contains("Some(") && !stdout.contains("None"),
        "{stdout}"
    );

    // A missing password variable is a clear error naming the file and line.
    let out = netlab()
        .args(["validate", "--inventory"])
        .arg(&sim.inventory)
        .env_remove("NETLAB_SIM_PASSWORD")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("fleet.toml:")
            && err.contains("NETLAB_SIM_PASSWORD is not set"),
        "{err}"
    );

    // Hold a session open, then Ctrl-C: the simulator says goodbye and exits promptly.
    let (host, port) = first_device(&sim.inventory);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pool = rt.block_on(async {
        let pool = netpool::Pool::builder()
            .host_key_policy(netpool::HostKeyPolicy::InsecureAcceptAny)
            .build()
            .unwrap();
        let d = netpool::Device::with_password(host.clone(), port, "lab", "lab123");
        drop(pool.netconf(&d).await.unwrap());
        pool
    });
    let st = Command::new("kill")
        .args(["-INT", &sim.child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let t = Instant::now();
    let status = loop {
        if let Some(s) = sim.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "netlab sim did not stop on Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    let mut text = String::new();
    std::io::Read::read_to_string(sim.child.stdout.as_mut().unwrap(), &mut text).unwrap();
    assert!(text.contains("stopped; 0 sessions open"), "{text}");
    // The pool saw the polite disconnect: its connection is gone.
    let gone = rt.block_on(async {
        let end = Instant::now() + Duration::from_secs(3);
        while Instant::now() < end {
            if pool.stats().iter().all(|s| s.connections == 0) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = pool.stats();
        }
        false
    });
    assert!(
        gone,
        "the pool still holds a connection: {:?}",
        pool.stats()
    );
}

#[test]
#[ignore = "needs the Python interop venv (NETPOOL_INTEROP_PYTHON); .ci/run provides it"]
fn pyez_and_ncclient_use_the_inventory_netlab_sim_wrote() {
    let python = std::env::var("NETPOOL_INTEROP_PYTHON")
        .expect("NETPOOL_INTEROP_PYTHON names the interop venv's python");
    let sim = start_sim("127.0.3.11");
    let (host, port) = first_device(&sim.inventory);
    // At run time: cargo sets it for the test process. The compile-time value names the
    // checkout that built the binary, which a shared build directory may outlive.
    let scripts = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR"),
    )
    .join("../tests/interop");
    for script in ["pyez_check.py", "ncclient_check.py"] {
        let out = Command::new(&python)
            .arg(scripts.join(script))
            .args([&host, &port.to_string(), "lab", "lab123"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{script}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // What each client collected, value by value.
        let j: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
            .unwrap_or_else(|e| panic!("{script}: {e}: {stdout}"));
        match script {
            "pyez_check.py" => {
                assert_eq!(j["facts"]["hostname"], "r1", "{j}");
                assert_eq!(j["facts"]["model"], "VMX", "{j}");
                assert_eq!(j["facts"]["version"], "21.4R3-S5.4", "{j}");
                assert!(j["fact_count"].as_u64().unwrap() >= 30, "{j}");
                assert_eq!(j["cli"], "Hostname: r1", "{j}");
                assert_eq!(j["routes"], serde_json::json!(["10.0.14.0/24"]), "{j}");
                assert_eq!(j["commit"], true, "{j}");
            }
            _ => {
                // Junos names the committed host-name: PyEZ's rename, just before.
                assert_eq!(j["hostname"], "pyez-renamed", "{j}");
                assert_eq!(j["version"], "21.4R3-S5.4", "{j}");
                assert!(
                    j["session_id"]
                        .as_str()
                        .is_some_and(|s| s.parse::<u32>().is_ok()),
                    "{j}"
                );
                assert_eq!(
                    j["caps"],
                    serde_json::json!([
                        "http://xml.juniper.net/dmi/system/1.0",
                        "http://xml.juniper.net/netconf/junos/1.0"
                    ]),
                    "{j}"
                );
                assert_eq!(j["after_commit_host_name"], "nc-renamed", "{j}");
                assert_eq!(j["unknown_rpc"], "RPCError", "{j}");
            }
        }
    }
}

#[test]
fn scale_holds_several_sessions_per_connection() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("scale.json");
    let out = netlab()
        .args([
            "scale",
            "--devices",
            "4",
            "--sessions-per-device",
            "3",
            "--concurrency",
            "2",
            "--json",
        ])
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(r["sessions"], 12, "{r}");
    assert_eq!(r["connections"], 4, "{r}");
    assert_eq!(r["errors"], 0, "{r}");
    assert!(r["rss_per_session_pair_kib"].as_f64().unwrap() > 0.0, "{r}");

    let bad = netlab()
        .args(["scale", "--devices", "2", "--sessions-per-device", "11"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("sessions-per-device"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

/// One device of four accepts TCP and never sends an SSH banner. `netlab validate` with
/// default settings must finish within 60 s, name that device by its inventory name, and
/// give the healthy ones their verdict (a hung device costs one connect timeout per
/// breaker cooldown, not one per operation and mode).
#[test]
fn a_hung_device_never_holds_validate_hostage() {
    let sim = start_sim("127.0.3.101");
    // A "router" that accepts connections and never says a word.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hung_port = hung.local_addr().unwrap().port();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let held = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            hung.set_nonblocking(true).unwrap();
            let mut conns = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok((c, _)) = hung.accept() {
                    conns.push(c);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let mut text = std::fs::read_to_string(&sim.inventory).unwrap();
    text.push_str(&format!(
        "\n[[device]]\nname = \"hung-r9\"\nhost = \"127.0.0.1\"\nport = {hung_port}\nhost_key = \"SHA256:never-seen\"\n"
    ));
    let inventory = sim.inventory.with_file_name("with-hung.toml");
    std::fs::write(&inventory, text).unwrap();
    let t = Instant::now();
    let out = netlab()
        .args(["validate", "--inventory"])
        .arg(&inventory)
        .env("NETLAB_SIM_PASSWORD", "lab123")
        .output()
        .unwrap();
    let took = t.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    held.join().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        took <= Duration::from_secs(60),
        "took {took:?}\n{stdout}\n{stderr}"
    );
    assert!(!out.status.success(), "a hung device must fail validate");
    assert!(stderr.contains("hung-r9 is down"), "{stderr}");
    assert!(stderr.contains("failing devices: hung-r9"), "{stderr}");
    let row = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{stdout}"))
            .to_string()
    };
    assert!(row("hung-r9").contains("FAIL"), "{stdout}");
    assert!(
        row("r1").contains("PASS") && row("r2").contains("PASS"),
        "{stdout}"
    );
    // The safe faults still ran, against a healthy device.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("wrong-password") && l.contains("PASS")),
        "{stdout}"
    );
}

/// `netlab proxy` without `--host-key` keeps its private key under the user's state
/// directory (mode 0600, directory 0700), never in the directory it runs from.
#[test]
fn the_proxy_keeps_its_host_key_in_the_state_directory() {
    use std::os::unix::fs::PermissionsExt as _;
    let sim = start_sim("127.78.1.1");
    let home = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let proxied = cwd.path().join("proxied.toml");
    let mut child = netlab()
        .args(["proxy", "--first-port", "0", "--inventory"])
        .arg(&sim.inventory)
        .arg("--inventory-out")
        .arg(&proxied)
        .current_dir(cwd.path())
        .env("HOME", home.path())
        .env_remove("XDG_STATE_HOME")
        .env("NETLAB_PROXY_PASSWORD", "proxy-pw")
        .env("NETLAB_SIM_PASSWORD", "lab123")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !proxied.exists() && child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "netlab proxy wrote no inventory");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let key = home.path().join(".local/state/netlab/proxy-host-key");
    assert!(
        key.exists(),
        "no host key at {}: {}",
        key.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(key.parent().unwrap()), 0o700);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&key.display().to_string()), "{stdout}");
    let left: Vec<_> = std::fs::read_dir(cwd.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["proxied.toml"], "files the proxy made where it ran");
}

/// `netlab scale --inventory`: when every session dies in the idle window (the fleet is
/// killed), the checkouts after it fail, and so does the run, naming them.
#[test]
fn scale_fails_when_checkouts_after_the_idle_window_fail() {
    let mut sim = start_sim("127.78.2.1");
    let run = netlab()
        .args([
            "scale",
            "--idle-secs",
            "4",
            "--keepalive-secs",
            "1",
            "--inventory",
        ])
        .arg(&sim.inventory)
        .env("NETLAB_SIM_PASSWORD", "lab123")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The sessions open within a second or two; then the fleet goes away for good.
    std::thread::sleep(Duration::from_millis(2500));
    sim.child.kill().unwrap();
    sim.child.wait().unwrap();
    let out = run.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success(),
        "scale passed with the fleet gone:\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("checkouts after the idle window failed"),
        "{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("sessions open                 2 (0 failed"),
        "{stdout}"
    );
}
