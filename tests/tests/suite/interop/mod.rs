//! Real, unmodified clients against junos-sim: OpenSSH, ncclient, Juniper PyEZ, netmiko,
//! NAPALM and Ansible, a module per client (ncclient and netmiko here, the others below).
//!
//! These need tools outside Rust (Debian's openssh-client, the Python venv of
//! tests/interop/requirements.txt), so they are `#[ignore]`d with the reason and `.ci/run`
//! runs them with `--ignored` after installing the tools. Run by hand:
//! `NETPOOL_INTEROP_PYTHON=$PWD/.venv/bin/python cargo test -p netpool-tests --test suite interop:: -- --ignored`

use std::path::PathBuf;
use std::time::Duration;

use netpool_tests::*;
use serde_json::Value;

mod ansible;
mod napalm;
mod openssh;
mod pyez;

pub(crate) use ansible::run_playbook;
pub(crate) use openssh::{exec_output_and_status, host_name, netconf_over, ssh, ssh_keygen};

pub(crate) fn python() -> String {
    std::env::var("NETPOOL_INTEROP_PYTHON").expect(
        "NETPOOL_INTEROP_PYTHON must name the interop venv's python (see tests/interop/README.md)",
    )
}

pub(crate) fn script(name: &str) -> PathBuf {
    // At run time (cargo sets it for the test process): the compile-time value names the
    // checkout that built the binary, which a shared build directory may outlive.
    PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR"),
    )
    .join("interop")
    .join(name)
}

async fn run_client(name: &str) -> (Value, junos_sim::Fleet) {
    run_client_on(name, fleet(1).await, &[]).await
}

async fn run_client_on(
    name: &str,
    fleet: junos_sim::Fleet,
    extra: &[&str],
) -> (Value, junos_sim::Fleet) {
    let addr = fleet.devices()[0].addr();
    let limit = Duration::from_secs(120);
    let json = run_script(name, addr, PASSWORD, extra, limit).await;
    (json, fleet)
}

/// Run the interop script `name` against `addr` (user `lab`, `password`, then `extra`)
/// within `limit`: the JSON of its last line.
pub(crate) async fn run_script(
    name: &str,
    addr: std::net::SocketAddr,
    password: &str,
    extra: &[&str],
    limit: Duration,
) -> Value {
    let out = tokio::time::timeout(
        limit,
        tokio::process::Command::new(python())
            .arg(script(name))
            .arg(addr.ip().to_string())
            .arg(addr.port().to_string())
            .arg(USER)
            .arg(password)
            .args(extra)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("{name}: the client did not finish within {limit:?}"))
    .expect("python runs");
    let stdout = succeeded(name, &out);
    serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{name}: {e}: {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python interop venv (NETPOOL_INTEROP_PYTHON); .ci/run provides it"]
async fn ncclient_junos_device_handler_works_unmodified() {
    let (j, fleet) = run_client("ncclient_check.py").await;
    assert_eq!(j["hostname"], "r1");
    assert_eq!(j["version"], "21.4R3-S5.4");
    assert_eq!(j["command_text"], "Hostname: r1");
    assert_eq!(j["route_destinations"], serde_json::json!(["10.0.15.0"]));
    assert_eq!(j["route_prefix_lengths"], serde_json::json!(["24"]));
    assert_eq!(j["config_host_name"], "r1");
    assert_eq!(j["after_commit_host_name"], "nc-renamed");
    assert_eq!(j["unknown_rpc"], "RPCError");
    let r1 = &fleet.devices()[0];
    assert_eq!(r1.running_host_name().as_deref(), Some("nc-renamed"));
    assert_eventually!(
        Duration::from_secs(2),
        || r1.counters().sessions_open == 0,
        "client closed its session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python interop venv (NETPOOL_INTEROP_PYTHON); .ci/run provides it"]
async fn netmiko_juniper_junos_drives_the_interactive_cli() {
    let (j, fleet) = run_client("netmiko_check.py").await;
    assert_eq!(j["prompt"], "lab@r1>");
    assert_eq!(j["show_version"], "Hostname: r1");
    assert!(
        j["commit"].as_str().unwrap().contains("commit complete"),
        "{}",
        j["commit"]
    );
    assert!(
        j["after"]
            .as_str()
            .unwrap()
            .contains("host-name netmiko-renamed;"),
        "{}",
        j["after"]
    );
    assert_eq!(
        fleet.devices()[0].running_host_name().as_deref(),
        Some("netmiko-renamed")
    );
}
