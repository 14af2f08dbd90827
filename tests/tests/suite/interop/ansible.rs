//! Ansible's junipernetworks.junos modules and resource modules.

use std::path::PathBuf;
use std::time::Duration;

use netpool_tests::*;
use serde_json::Value;

use super::{python, script};

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
