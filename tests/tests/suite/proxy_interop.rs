//! Unmodified clients through `netlab proxy`: PyEZ, ncclient, netmiko and OpenSSH, and a
//! storm of 50 PyEZ clients against a router whose `connection-limit` is 5.
//!
//! Ignored where the tools are missing (the Python venv, Debian's openssh-client);
//! `.ci/run` installs them and runs these with `--ignored`.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use netpool_tests::*;
use serde_json::Value;

use crate::interop::{
    exec_output_and_status, host_name, netconf_over, run_script, ssh, ssh_keygen,
};
use crate::proxy::{proxy_for, proxy_with_keys, CLIENT_PASSWORD};

/// Run an interop script against `addr` with the proxy's credentials; its last stdout
/// line is JSON.
async fn through(name: &str, addr: std::net::SocketAddr, password: &str, extra: &[&str]) -> Value {
    run_script(name, addr, password, extra, Duration::from_secs(240)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python interop venv (NETPOOL_INTEROP_PYTHON); .ci/run provides it"]
async fn pyez_ncclient_and_netmiko_work_unmodified_through_the_proxy() {
    let fleet = fleet(1).await;
    let px = proxy_for(&fleet, config_for(&fleet)).await;
    let at = px.endpoints()[0].addr;
    let r1 = &fleet.devices()[0];

    let j = through("pyez_check.py", at, CLIENT_PASSWORD, &[]).await;
    assert_eq!(j["facts"]["hostname"], "r1");
    assert_eq!(j["facts"]["serialnumber"], r1.spec().serial.as_str());
    assert_eq!(j["cli"], "Hostname: r1");
    assert_eq!(j["routes"], serde_json::json!(["10.0.14.0/24"]));
    assert_eq!(j["commit"], true);
    assert_eq!(r1.running_host_name().as_deref(), Some("pyez-renamed"));
    assert_eq!(
        r1.lock_holder(),
        None,
        "PyEZ's exclusive mode unlocked on exit"
    );

    let j = through("ncclient_check.py", at, CLIENT_PASSWORD, &[]).await;
    assert_eq!(j["version"], "21.4R3-S5.4");
    // Junos's show version names the committed host-name: PyEZ's rename above.
    assert_eq!(j["command_text"], "Hostname: pyez-renamed");
    assert_eq!(j["after_commit_host_name"], "nc-renamed");
    assert_eq!(
        j["unknown_rpc"], "RPCError",
        "the router's rpc-error reaches ncclient"
    );

    let j = through("netmiko_check.py", at, CLIENT_PASSWORD, &[]).await;
    // The prompt's host is what the router's get-software-information says: the
    // host-name ncclient committed above.
    let host = "nc-renamed";
    assert_eq!(j["prompt"], format!("lab@{host}>"));
    assert_eq!(j["show_version"], format!("Hostname: {host}"));
    assert!(
        j["commit"].as_str().unwrap().contains("commit complete"),
        "{}",
        j["commit"]
    );
    assert_eq!(r1.running_host_name().as_deref(), Some("netmiko-renamed"));
    assert_eq!(r1.commit_count(), 3);

    let c = r1.counters();
    let max = px.pool().config().max_connections_per_device as u64;
    assert!(
        c.tcp_accepts <= max,
        "router accepts {} > {max}",
        c.tcp_accepts
    );
    let e = &px.endpoints()[0].counters;
    assert_eq!(
        e.client_connections.load(Relaxed),
        3,
        "one SSH connection per client"
    );
    assert_eq!(e.errors.load(Relaxed), 0);
    px.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python interop venv (NETPOOL_INTEROP_PYTHON); .ci/run provides it"]
async fn fifty_pyez_clients_overwhelm_a_connection_limit_of_5_directly_but_not_through_the_proxy() {
    let fleet = fleet_one(|c| c.connection_limit = 5).await;
    let r1 = &fleet.devices()[0];
    let direct = through("pyez_storm.py", r1.addr(), PASSWORD, &["50"]).await;
    let refused = r1.counters().refused_by_limit;
    eprintln!("direct: {direct}");
    assert!(
        direct["failed"].as_u64().unwrap() >= 25 && refused >= 25,
        "directly, most of 50 are refused by connection-limit 5: {direct}, {refused} refused"
    );

    let accepts_before = r1.counters().tcp_accepts;
    let px = proxy_for(&fleet, config_for(&fleet)).await;
    let proxied = through(
        "pyez_storm.py",
        px.endpoints()[0].addr,
        CLIENT_PASSWORD,
        &["50"],
    )
    .await;
    eprintln!("through the proxy: {proxied}");
    assert_eq!(proxied["ok"], 50, "{proxied}");
    assert_eq!(proxied["hostnames"], serde_json::json!(["r1"]));
    let accepts = r1.counters().tcp_accepts - accepts_before;
    assert!(
        accepts <= 2,
        "the router accepted {accepts} connections for 50 clients"
    );
    assert_eq!(
        r1.counters().refused_by_limit,
        refused,
        "none refused through the proxy"
    );
    px.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Debian's openssh-client (ssh, ssh-keygen); .ci/run installs it"]
async fn openssh_exec_subsystem_and_xml_mode_through_the_proxy_with_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let (key, client_key) = ssh_keygen(dir.path()).await;
    let fleet = fleet(1).await;
    let px = proxy_with_keys(&fleet, config_for(&fleet), vec![client_key]).await;
    let at = px.endpoints()[0].addr;
    let known = dir.path().join("known_hosts");
    let host_line = format!(
        "[{}]:{} {}\n",
        at.ip(),
        at.port(),
        russh::keys::PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(
            &[42; 32]
        ))
        .public_key()
        .to_openssh()
        .unwrap()
    );
    std::fs::write(&known, host_line).unwrap();
    let ssh = |extra: &[&str]| ssh(&key, at.port(), Some(&known), extra);
    exec_output_and_status(&ssh, "ssh exec via the proxy").await;

    for how in [
        &["-s", "lab@127.0.0.1", "netconf"][..],
        &["lab@127.0.0.1", "xml-mode netconf need-trailer"][..],
    ] {
        let (hello, reply) = netconf_over(ssh(how), "client-7").await;
        assert!(
            hello.supports("http://xml.juniper.net/netconf/junos/1.0"),
            "{how:?}: the router's capabilities"
        );
        assert_eq!(
            reply.message_id(),
            Some("client-7"),
            "{how:?}: the client's own message-id"
        );
        assert_eq!(host_name(&reply), Some("r1"), "{how:?}: the router's reply");
    }
    assert!(fleet.devices()[0].counters().tcp_accepts <= 2);
    px.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python interop venv with ansible (NETPOOL_INTEROP_PYTHON); .ci/run provides it"]
async fn ansible_junos_modules_work_unmodified_through_the_proxy() {
    let fleet = fleet(1).await;
    let px = proxy_for(&fleet, config_for(&fleet)).await;
    let stdout = crate::interop::run_playbook(px.endpoints()[0].addr, CLIENT_PASSWORD).await;
    assert!(stdout.contains("failed=0"), "{stdout}");
    let r1 = &fleet.devices()[0];
    assert_eq!(r1.running_value(&["system", "location", "building"]), None);
    assert_eq!(
        r1.running_value(&["system", "services", "netconf", "ssh", "port"])
            .as_deref(),
        Some("830"),
        "junos_netconf's change made over network_cli, through the proxy's shell"
    );
    assert!(r1.counters().tcp_accepts <= px.pool().config().max_connections_per_device as u64);
    px.shutdown(Duration::from_secs(2)).await;
}
