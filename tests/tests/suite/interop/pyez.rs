//! Juniper PyEZ: open, facts, cli, RPCs, op tables, configuration (exclusive, private,
//! rollback, rescue, commit confirmed).

use std::time::Duration;

use netpool_tests::*;
use serde_json::Value;

use super::{run_client, run_client_on};

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
