//! Real, unmodified clients against junos-sim: OpenSSH, ncclient, Juniper PyEZ, netmiko.
//!
//! These need tools outside Rust (Debian's openssh-client, the Python venv of
//! tests/interop/requirements.txt), so they are `#[ignore]`d with the reason and `.ci/run`
//! runs them with `--ignored` after installing the tools. Run by hand:
//! `NETPOOL_INTEROP_PYTHON=$PWD/.venv/bin/python cargo test -p netpool-tests --test suite interop:: -- --ignored`

use std::path::PathBuf;
use std::time::Duration;

use junos_sim::User;
use netpool_tests::*;
use serde_json::Value;

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
    assert!(
        eventually(Duration::from_secs(2), || r1.counters().sessions_open == 0).await,
        "client closed its session"
    );
}

/// The values NAPALM's getters must return for r1 of a one-router fleet after
/// napalm_check.py's setup commit: what its configuration and state imply, looked at below
/// the top level (an answer like `{"success": {}}` is not empty there but holds nothing).
/// One line per value that is not so.
fn napalm_values_wrong(getters: &serde_json::Map<String, Value>, serial: &str) -> Vec<String> {
    let v = |k: &str| getters[k]["value"].clone();
    let mut wrong = Vec::new();
    let mut want = |ok: bool, what: &str, got: &Value| {
        if !ok {
            let mut got = got.to_string();
            got.truncate(400);
            wrong.push(format!("{what}: got {got}"));
        }
    };
    let is_prefix = |p: &str| {
        p.split_once('/').is_some_and(|(a, l)| {
            a.parse::<std::net::Ipv4Addr>().is_ok() && l.parse::<u8>().is_ok_and(|l| l <= 32)
        })
    };
    let facts = v("get_facts");
    want(
        facts["hostname"] == "r1",
        "get_facts hostname is the router's name",
        &facts,
    );
    want(facts["vendor"] == "Juniper", "get_facts vendor", &facts);
    want(
        facts["serial_number"] == serial,
        "get_facts serial_number",
        &facts,
    );
    want(
        facts["os_version"] == "21.4R3-S5.4",
        "get_facts os_version",
        &facts,
    );
    want(
        facts["interface_list"]
            .as_array()
            .is_some_and(|l| l.iter().any(|i| i == "ge-0/0/0")),
        "get_facts interface_list holds ge-0/0/0",
        &facts,
    );
    let config = v("get_config");
    let running = config["running"].as_str().unwrap_or_default();
    want(
        running.contains("host-name r1;") && running.contains("description \"to r2\";"),
        "get_config running holds the host name and the committed description",
        &config,
    );
    let alive = v("is_alive");
    want(alive["is_alive"] == true, "is_alive is true", &alive);
    let trace = v("traceroute");
    let hops = trace["success"].as_object();
    want(
        hops.is_some_and(|h| {
            !h.is_empty()
                && h.values().all(|hop| {
                    hop["probes"].as_object().is_some_and(|p| {
                        !p.is_empty() && p.values().all(|pr| pr["ip_address"].is_string())
                    })
                })
        }),
        "traceroute has hops, each with probes that name an address",
        &trace,
    );
    let arp = v("get_arp_table");
    let arp_rows = arp.as_array().cloned().unwrap_or_default();
    want(
        !arp_rows.is_empty() && arp_rows.iter().all(|e| e["age"].is_number()),
        "get_arp_table ages are numbers",
        &arp,
    );
    want(
        arp_rows
            .iter()
            .any(|e| e["ip"] == "10.0.14.2" && e["interface"] == "ge-0/0/0.0"),
        "get_arp_table holds the neighbor 10.0.14.2 on ge-0/0/0.0",
        &arp,
    );
    let routes = v("get_route_to");
    want(
        routes
            .as_object()
            .is_some_and(|r| r.contains_key("10.0.14.0/24") && r.keys().all(|p| is_prefix(p))),
        "get_route_to is keyed by address/length and holds 10.0.14.0/24",
        &routes,
    );
    let nd = v("get_ipv6_neighbors_table");
    want(
        nd.as_array().is_some_and(|l| {
            l.iter().any(|e| {
                e["interface"] == "ge-0/0/0.0"
                    && e["ip"].as_str().is_some_and(|ip| ip.starts_with("fe80::"))
            })
        }),
        "get_ipv6_neighbors_table holds a link-local neighbor on ge-0/0/0.0 (inet6 set up)",
        &nd,
    );
    let ips = v("get_interfaces_ip");
    want(
        ips["ge-0/0/0.0"]["ipv4"]["10.0.14.1"]["prefix_length"] == 24,
        "get_interfaces_ip ge-0/0/0.0 is 10.0.14.1/24",
        &ips,
    );
    let ntp = v("get_ntp_peers");
    want(
        ntp.as_object()
            .is_some_and(|p| p.contains_key("192.0.2.124")),
        "get_ntp_peers holds the peer set up",
        &ntp,
    );
    let probes = v("get_probes_config");
    want(
        probes["P1"]["T1"]["target"] == "10.0.14.2",
        "get_probes_config P1/T1 targets 10.0.14.2",
        &probes,
    );
    let lldp = v("get_lldp_neighbors");
    want(
        lldp["ge-0/0/0"].as_array().is_some_and(|n| {
            n.iter()
                .any(|x| x["hostname"].is_string() && x["port"].is_string())
        }),
        "get_lldp_neighbors names a neighbor on ge-0/0/0",
        &lldp,
    );
    let ni = v("get_network_instances");
    want(
        ni["default"]["interfaces"]["interface"]
            .as_object()
            .is_some_and(|i| i.contains_key("ge-0/0/0.0")),
        "get_network_instances default holds ge-0/0/0.0",
        &ni,
    );
    wrong
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python interop venv (NETPOOL_INTEROP_PYTHON); .ci/run provides it"]
async fn napalm_junos_getters_and_config_cycle_work_unmodified() {
    let (j, fleet) = run_client("napalm_check.py").await;
    let r1 = &fleet.devices()[0];
    let getters = j["getters"].as_object().expect("getters");
    assert!(getters.len() >= 28, "{}", getters.len());
    // No getter raises.
    let failed: Vec<String> = getters
        .iter()
        .filter(|(_, v)| v["ok"] != true)
        .map(|(k, v)| format!("{k}: {}", v["error"]))
        .collect();
    assert!(failed.is_empty(), "getters that raised: {failed:#?}");
    // What the router's state and the configuration the script committed imply is there.
    // Empty by design: optics (a vMX has none), MAC table and VLANs (no bridge domain
    // configured).
    let may_be_empty = ["get_optics", "get_mac_address_table", "get_vlans"];
    let empty: Vec<&String> = getters
        .iter()
        .filter(|(k, v)| v["empty"] == true && !may_be_empty.contains(&k.as_str()))
        .map(|(k, _)| k)
        .collect();
    assert!(empty.is_empty(), "getters with no data: {empty:?}");
    let sample = |k: &str| {
        getters[k]["sample"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        sample("get_interfaces").contains(r#""description": "to r2""#),
        "{}",
        sample("get_interfaces")
    );
    assert!(
        sample("get_snmp_information")
            .contains(r#""community": {"public": {"acl": "", "mode": "ro"}}"#),
        "{}",
        sample("get_snmp_information")
    );
    assert!(
        sample("get_ntp_servers").contains("192.0.2.123"),
        "{}",
        sample("get_ntp_servers")
    );
    assert!(
        sample("get_environment").contains(r#""Routing Engine 0": {"temperature": 38.0"#),
        "{}",
        sample("get_environment")
    );
    assert!(
        sample("ping").contains(r#""packet_loss": 0"#),
        "{}",
        sample("ping")
    );
    // The RPM test the script configured (probe P1, test T1, to 10.0.14.2) has results.
    let rpm = &getters["get_probes_results"]["value"]["P1"]["T1"];
    assert_eq!(rpm["target"], "10.0.14.2", "{rpm}");
    assert!(rpm["rtt"].as_f64().is_some_and(|r| r > 0.0), "{rpm}");
    assert_eq!(rpm["last_test_loss"], 0, "{rpm}");
    let wrong = napalm_values_wrong(getters, &r1.spec().serial);
    assert!(
        wrong.is_empty(),
        "getters whose values are not what the router holds:\n{}",
        wrong.join("\n")
    );
    // Commit confirm with revert_in: NAPALM reads the pending commit from
    // get-commit-revision-information (its comment and time) and the uptime reply's
    // clock: pending for at most the 120 s asked, then confirmed.
    let confirm = &j["confirm"];
    assert_eq!(confirm["pending"], true, "{confirm}");
    let pending = confirm["pending_commits"]
        .as_object()
        .expect("pending commits");
    assert_eq!(pending.len(), 1, "{confirm}");
    let (revision, left) = pending.iter().next().unwrap();
    assert!(revision.starts_with("re0-"), "{confirm}");
    let left = left.as_i64().unwrap_or(-1);
    assert!(
        (60..=120).contains(&left),
        "seconds before the rollback: {confirm}"
    );
    assert_eq!(confirm["pending_after_confirm"], false, "{confirm}");
    assert_eq!(
        r1.running_value(&["system", "location", "building"])
            .as_deref(),
        Some("napalm-confirm"),
        "the confirmed commit stays"
    );
    // The configuration cycle, with Junos's hierarchical diff.
    let c = &j["config"];
    let setup = c["setup_compare"].as_str().unwrap_or_default();
    assert!(setup.contains("[edit system]\n+    ntp {\n"), "{setup}");
    assert!(
        setup.contains("[edit interfaces ge-0/0/0]\n+    description \"to r2\";"),
        "{setup}"
    );
    assert_eq!(
        c["compare"], "[edit system login]\n+    message napalm-was-here;",
        "{c}"
    );
    assert_eq!(c["committed"], true, "{c}");
    assert_eq!(c["rolled_back"], true, "{c}");
    assert_eq!(r1.running_value(&["system", "login", "message"]), None);
    assert_eq!(
        r1.running_value(&["system", "ntp", "server"]).as_deref(),
        Some("192.0.2.123"),
        "the setup commit stays after the rollback of the second"
    );
}

/// PyEZ's shipped op tables that do not apply to a vMX, and why. Every other table must
/// return rows.
const PYEZ_TABLES_NOT_ON_A_VMX: &[(&str, &str)] = &[
    ("ElsEthernetSwitchingTable", "EX/QFX (ELS) switching"),
    ("EthernetSwitchingTable", "EX switching"),
    ("VlanTable", "EX VLANs: an MX has bridge domains"),
    ("IDPAttackTable", "SRX intrusion detection"),
    ("SecurityZoneTable", "SRX security zones"),
    (
        "PhyPortDiagTable",
        "optics diagnostics: a vMX's ports have no optics",
    ),
    ("XcvrTable", "transceivers: a vMX has none"),
    (
        "NdTable",
        "IPv6 neighbors: the simulated fleet is IPv4-only",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python interop venv (NETPOOL_INTEROP_PYTHON); .ci/run provides it"]
async fn pyez_op_tables_that_apply_to_an_mx_return_rows() {
    // Layer 2 services committed first (an LACP bundle, a Layer 2 circuit, a CCC
    // connection): the fleet does not carry them by default.
    let (j, _fleet) = run_client_on("pyez_tables.py", fleet(1).await, &["--l2-services"]).await;
    let tables = j["tables"].as_object().expect("tables");
    assert!(
        tables.len() >= 40,
        "PyEZ ships 41 op tables; read {}",
        tables.len()
    );
    let mut wrong = Vec::new();
    for (name, t) in tables {
        if PYEZ_TABLES_NOT_ON_A_VMX.iter().any(|(n, _)| n == name) {
            continue;
        }
        if t["rows"].as_u64().unwrap_or(0) == 0 {
            wrong.push(format!("{name}: {t}"));
        }
    }
    assert!(wrong.is_empty(), "tables without rows: {wrong:#?}");
    // The state behind the rows is the configuration's: one IS-IS adjacency, one LDP
    // neighbor and two OSPF routes per up link (3), one bundle with one member, one
    // circuit, one connection.
    let rows = |name: &str| tables[name]["rows"].as_u64().unwrap_or(0);
    assert_eq!(rows("IsisAdjacencyTable"), 3);
    assert_eq!(rows("LdpNeighborTable"), 3);
    assert_eq!(rows("OspfRoutesTable"), 6);
    assert_eq!(rows("TedTable"), 2, "this router and its neighbor");
    assert_eq!(rows("LacpPortTable"), 1);
    assert_eq!(rows("L2CircuitConnectionTable"), 1);
    assert_eq!(rows("CCCTable"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python interop venv (NETPOOL_INTEROP_PYTHON); .ci/run provides it"]
async fn pyez_open_facts_cli_rpc_and_config_work_unmodified() {
    let (j, fleet) = run_client("pyez_check.py").await;
    let r1 = &fleet.devices()[0];
    assert_eq!(j["facts"]["hostname"], "r1");
    assert_eq!(j["facts"]["model"], "VMX");
    assert_eq!(j["facts"]["version"], "21.4R3-S5.4");
    assert_eq!(j["facts"]["serialnumber"], r1.spec().serial.as_str());
    assert_eq!(j["cli"], "Hostname: r1");
    assert_eq!(j["home"], "/var/home/lab");
    assert_eq!(j["is_linux"], false);
    assert_eq!(
        j["var_log"],
        serde_json::json!(["chassisd", "interactive-commands", "messages"])
    );
    assert_eq!(j["missing_path"], Value::Null);
    assert_eq!(j["hosts_junos"], true);
    assert_eq!(
        j["pfe"],
        serde_json::json!(["GOT:   Total number of NH = 24"]),
        "3 up links x 4 + 12"
    );
    assert_eq!(j["routes"], serde_json::json!(["10.0.14.0/24"]));
    assert!(
        j["diff"]
            .as_str()
            .unwrap()
            .contains("[edit system]\n-    host-name r1;\n+    host-name pyez-renamed;"),
        "{}",
        j["diff"]
    );
    assert_eq!(j["commit"], true);
    assert_eq!(r1.running_host_name().as_deref(), Some("pyez-renamed"));
    assert_eq!(r1.commit_count(), 1);
    assert_eq!(r1.lock_holder(), None, "exclusive mode unlocked on exit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python interop venv (NETPOOL_INTEROP_PYTHON); .ci/run provides it"]
async fn pyez_rollback_rescue_commit_confirmed_private_mode_and_rpc_arguments() {
    // A Junos minute lasts one second here, so that a commit confirmed expires in a test.
    let fleet = fleet_one(|c| c.confirm_minute = Duration::from_secs(1)).await;
    let (j, fleet) = run_client_on("pyez_config_check.py", fleet, &["1"]).await;
    let r1 = &fleet.devices()[0];
    assert_eq!(j["one_interface"], serde_json::json!(["ge-0/0/0"]), "{j}");
    assert_eq!(
        j["ge_interfaces"],
        serde_json::json!(["ge-0/0/0", "ge-0/0/1", "ge-0/0/2", "ge-0/0/3"])
    );
    assert_eq!(j["bad_load"], "ConfigLoadError: foo", "{j}");
    assert!(j["diff_after_rollback0"].is_null(), "{j}");
    assert_eq!(j["commit_check"], true);
    assert!(
        j["rollback_diff"].as_str().unwrap().contains("first"),
        "{j}"
    );
    assert_eq!(j["after_rollback"], "first");
    assert_eq!(j["rescue_save"], true);
    assert_eq!(j["rescue_get"], 1, "{j}");
    assert_eq!(j["rescue_reload"], true);
    assert_eq!(j["after_rescue"], "first");
    assert_eq!(j["during_confirm"], "tentative");
    assert_eq!(j["after_expiry"], "first", "{j}");
    assert_eq!(j["after_confirm"], "confirmed", "{j}");
    assert!(
        j["private_diff"].as_str().unwrap().contains("private"),
        "{j}"
    );
    assert_eq!(j["after_private"], "private");
    assert!(
        j["private_while_dirty"]
            .as_str()
            .unwrap()
            .contains("shared configuration database modified"),
        "{j}"
    );
    assert_eq!(r1.running_host_name().as_deref(), Some("private"));
    assert_eq!(r1.lock_holder(), None);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Debian's openssh-client (ssh, ssh-keygen); .ci/run installs it"]
async fn openssh_exec_and_netconf_subsystem() {
    let dir = tempfile::tempdir().unwrap();
    let (key, fleet) = keyed_router(dir.path()).await;
    let r1 = &fleet.devices()[0];
    let ssh = |extra: &[&str]| ssh(&key, r1.addr().port(), None, extra);
    exec_output_and_status(&ssh, "ssh exec").await;

    let (hello, reply) = netconf_over(ssh(&["-s", "lab@127.0.0.1", "netconf"]), "42").await;
    assert!(hello.supports("http://xml.juniper.net/netconf/junos/1.0"));
    assert!(hello.session_id.is_some());
    assert_eq!(reply.message_id(), Some("42"));
    assert_eq!(host_name(&reply), Some("r1"));
}

/// The host name a `get-software-information` reply names.
pub(crate) fn host_name(reply: &netconf_wire::RpcReply) -> Option<&str> {
    reply
        .root
        .find(&["software-information", "host-name"])
        .map(|e| e.text.as_str())
}

/// OpenSSH renegotiating keys after every KiB (`RekeyLimit`) in a NETCONF session of six
/// RPCs, one at a time: key exchanges complete between them, each answered by the
/// router's server (which keeps no payloads of the last exchange: the vendored russh's
/// third change), and every reply arrives whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Debian's openssh-client (ssh, ssh-keygen); .ci/run installs it"]
async fn openssh_rekeys_again_and_again_in_one_netconf_session() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let (key, fleet) = keyed_router(dir.path()).await;
    let port = fleet.devices()[0].addr().port();
    let mut child = ssh(
        &key,
        port,
        None,
        &[
            "-v",
            "-o",
            "RekeyLimit=1K",
            "-s",
            "lab@127.0.0.1",
            "netconf",
        ],
    )
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut text = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let frames = |t: &[u8]| t.windows(6).filter(|w| w == b"]]>]]>").count();
    let hello = b"<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>";
    stdin.write_all(hello).await.unwrap();
    for i in 1..=6 {
        let rpc = format!("<rpc message-id=\"{i}\"><get-route-information/></rpc>]]>]]>");
        stdin.write_all(rpc.as_bytes()).await.unwrap();
        while frames(&text) < i + 1 {
            let n = tokio::time::timeout(Duration::from_secs(20), stdout.read(&mut buf))
                .await
                .expect("a reply within 20 s")
                .unwrap();
            assert!(n > 0, "the session ended before reply {i}");
            text.extend_from_slice(&buf[..n]);
        }
    }
    stdin
        .write_all(b"<rpc message-id=\"bye\"><close-session/></rpc>]]>]]>")
        .await
        .unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("the session ends on close-session")
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    let done = log.matches("SSH2_MSG_NEWKEYS received").count();
    assert!(done >= 3, "{done} key exchanges completed: {log}");
    let text = String::from_utf8_lossy(&text).into_owned();
    let replies: Vec<&str> = text.split("]]>]]>").skip(1).map(str::trim).collect();
    for (i, r) in replies.iter().take(6).enumerate() {
        let reply = netconf_wire::RpcReply::parse(r.as_bytes()).unwrap();
        assert_eq!(reply.message_id(), Some((i + 1).to_string().as_str()));
        assert!(reply.root.find(&["route-information"]).is_some(), "{r}");
    }
}

/// One router whose user `lab` logs in with the password or with a key ssh-keygen makes
/// in `dir`: the private key's path and the fleet.
async fn keyed_router(dir: &std::path::Path) -> (PathBuf, junos_sim::Fleet) {
    let (key, public) = ssh_keygen(dir).await;
    let mut user = User::with_password(USER, PASSWORD);
    user.keys.push(public);
    (key, fleet_one(|c| c.users = vec![user]).await)
}

/// A new Ed25519 key pair made by ssh-keygen in `dir`: the private key's path and the
/// public key.
pub(crate) async fn ssh_keygen(dir: &std::path::Path) -> (PathBuf, russh::keys::PublicKey) {
    let key = dir.join("id_ed25519");
    let st = tokio::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .await
        .expect("ssh-keygen runs");
    assert!(st.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let public = russh::keys::PublicKey::from_openssh(public.trim()).unwrap();
    (key, public)
}

/// OpenSSH's `ssh` in batch mode with `key`, to `port` on 127.0.0.1, then `extra`. With
/// `known_hosts`, the host key is checked strictly against that file; without, not at all.
pub(crate) fn ssh(
    key: &std::path::Path,
    port: u16,
    known_hosts: Option<&std::path::Path>,
    extra: &[&str],
) -> tokio::process::Command {
    let mut c = tokio::process::Command::new("ssh");
    c.args(["-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o"]);
    match known_hosts {
        Some(k) => c
            .arg("StrictHostKeyChecking=yes")
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", k.display())),
        None => c
            .arg("StrictHostKeyChecking=no")
            .args(["-o", "UserKnownHostsFile=/dev/null"]),
    };
    c.arg("-i")
        .arg(key)
        .args(["-p", &port.to_string()])
        .args(extra);
    c
}

/// Exec through `ssh`: `show version` prints router r1's output and exits 0; an unknown
/// command exits 1 with Junos's `syntax error` on stderr.
pub(crate) async fn exec_output_and_status(
    ssh: &impl Fn(&[&str]) -> tokio::process::Command,
    what: &str,
) {
    let out = ssh(&["lab@127.0.0.1", "show version | no-more"])
        .output()
        .await
        .unwrap();
    assert!(succeeded(what, &out).starts_with("Hostname: r1\n"));
    let out = ssh(&["lab@127.0.0.1", "show bogus"])
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: an unknown command exits 1 (the router's exit status)"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("syntax error"));
}

/// Speak NETCONF 1.0 through `ssh`'s stdin and stdout: hello, get-software-information
/// with message-id `id`, close-session (which must end the session, and be answered ok).
/// The server's hello and the reply.
pub(crate) async fn netconf_over(
    mut ssh: tokio::process::Command,
    id: &str,
) -> (netconf_wire::Hello, netconf_wire::RpcReply) {
    use tokio::io::AsyncWriteExt;
    let mut child = ssh
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]><rpc message-id=\"{id}\"><get-software-information/></rpc>]]>]]><rpc message-id=\"close\"><close-session/></rpc>]]>]]>").as_bytes())
        .await
        .unwrap();
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("the session ends on close-session")
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let frames: Vec<&str> = text
        .split("]]>]]>")
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    assert_eq!(frames.len(), 3, "{text}");
    let hello = netconf_wire::Hello::parse(frames[0].as_bytes()).unwrap();
    let reply = netconf_wire::RpcReply::parse(frames[1].as_bytes()).unwrap();
    assert!(netconf_wire::RpcReply::parse(frames[2].as_bytes())
        .unwrap()
        .is_ok());
    (hello, reply)
}

/// Ansible's junipernetworks.junos modules over `ansible.netcommon.netconf` (and
/// `network_cli` for junos_netconf): the playbook asserts what each module returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python interop venv with ansible (NETPOOL_INTEROP_PYTHON); .ci/run provides it"]
async fn ansible_junos_modules_work_unmodified() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let stdout = run_playbook(r1.addr(), PASSWORD).await;
    assert!(stdout.contains("failed=0"), "{stdout}");
    // The set line was rolled back; junos_netconf's change stayed.
    assert_eq!(r1.running_value(&["system", "location", "building"]), None);
    // The declarative modules' changes, in Junos's places.
    assert_eq!(
        r1.running_value(&["system", "login", "announcement"])
            .as_deref(),
        Some("hello from ansible")
    );
    assert_eq!(
        r1.running_value(&["system", "domain-name"]).as_deref(),
        Some("example.net")
    );
    assert_eq!(
        r1.running_value(&["system", "login", "user", "ansible1", "class"])
            .as_deref(),
        Some("read-only")
    );
    assert_eq!(
        r1.running_value(&[
            "routing-instances",
            "VRFX",
            "route-distinguisher",
            "rd-type"
        ])
        .as_deref(),
        Some("10.0.0.1:77")
    );
    assert_eq!(
        r1.running_value(&["system", "services", "netconf", "ssh", "port"])
            .as_deref(),
        Some("830")
    );
}

/// Ansible's resource modules (tests/interop/ansible_resources.py): each writes its
/// configuration as Junos XML (`merged`), finds nothing to change the second time, and
/// reads the configuration back (`gathered`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python interop venv with ansible (NETPOOL_INTEROP_PYTHON); .ci/run provides it"]
async fn ansible_junos_resource_modules_merge_idempotently_and_gather() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let out = tokio::time::timeout(
        Duration::from_secs(900),
        tokio::process::Command::new(python())
            .arg(script("ansible_resources.py"))
            .arg(r1.addr().ip().to_string())
            .arg(r1.addr().port().to_string())
            .arg(USER)
            .arg(PASSWORD)
            .output(),
    )
    .await
    .expect("the modules finished within 900 s")
    .expect("python runs");
    let stdout = succeeded("ansible_resources.py", &out);
    let j: Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let rows = j.as_object().expect("one row per module");
    assert!(rows.len() >= 21, "{}", rows.len());
    let bad: Vec<String> = rows
        .iter()
        .filter(|(_, v)| v["merged"] != true || v["idempotent"] != true || v["gathered"] != true)
        .map(|(k, v)| format!("{k}: {}", v["error"]))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    // What the modules wrote is in the router's configuration, in Junos's places.
    assert_eq!(
        r1.running_value(&["interfaces", "ge-0/0/1", "description"])
            .as_deref(),
        Some("by ansible")
    );
}

/// Run tests/interop/ansible/playbook.yml against one router at `addr`; its stdout.
pub(crate) async fn run_playbook(addr: std::net::SocketAddr, password: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("hosts.ini");
    std::fs::write(
        &inventory,
        format!(
            "[routers]\nr1 ansible_host={} ansible_port={} ansible_user={USER} ansible_password={password}\n",
            addr.ip(),
            addr.port()
        ),
    )
    .unwrap();
    let venv_bin = PathBuf::from(python())
        .parent()
        .expect("python sits in the venv's bin")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = tokio::time::timeout(
        Duration::from_secs(300),
        tokio::process::Command::new(venv_bin.join("ansible-playbook"))
            .arg("-i")
            .arg(&inventory)
            .arg(script("ansible/playbook.yml"))
            .env("PATH", path)
            .env("ANSIBLE_HOST_KEY_CHECKING", "False")
            .env("ANSIBLE_LOCAL_TEMP", dir.path().join("tmp"))
            .env("ANSIBLE_PERSISTENT_CONTROL_PATH_DIR", dir.path().join("pc"))
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_PYTHON_INTERPRETER", python())
            .output(),
    )
    .await
    .expect("ansible-playbook finished within 300 s")
    .expect("ansible-playbook runs");
    succeeded("ansible-playbook", &out)
}
