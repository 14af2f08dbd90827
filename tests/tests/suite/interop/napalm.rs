//! NAPALM's junos driver: every getter's values, and the configuration cycle.

use serde_json::Value;

use super::run_client;

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
