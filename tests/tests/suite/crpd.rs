//! netpool against a real Juniper cRPD container the user already has (no image can be
//! pulled here, and cRPD is not redistributable): set `NETPOOL_CRPD_IMAGE=crpd:23.4R1.9`
//! (any locally tagged image) and run
//! `cargo test -p netpool-tests --test suite crpd:: -- --ignored`.
//!
//! The test configures SSH, NETCONF and a `lab` user through `cli` inside the container,
//! then runs the CLI and NETCONF paths of the pool and the same bad-password check as
//! `netlab validate`. `.ci/run` skips it (`--skip crpd`): CI has no cRPD image.
//! Not yet run against a real cRPD by this project: treat a failure as a finding.

use std::time::Duration;

use netpool::{Auth, Error, HostKeyPolicy, Pool};
use testcontainers::core::WaitFor;
use testcontainers::runners::AsyncRunner;
use testcontainers::{GenericImage, ImageExt};

/// SHA-512 crypt of `lab123` (openssl passwd -6 -salt netpoolsalt lab123).
const LAB123_HASH: &str = "$6$netpoolsalt$urYJVEIBNANZtJd8Ee7Z9aZoRcM.z/wtK7wdl.mHRuxk2knxrIyzCtrLv9igxFtazTH0c14Fn5zURiZhR0cUQ.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a local Juniper cRPD image named by NETPOOL_CRPD_IMAGE; CI has none and skips it"]
async fn crpd_cli_and_netconf_through_the_pool() {
    let image = std::env::var("NETPOOL_CRPD_IMAGE")
        .expect("set NETPOOL_CRPD_IMAGE to a local cRPD image, e.g. crpd:23.4R1.9");
    let (name, tag) = image.split_once(':').unwrap_or((image.as_str(), "latest"));
    let c = GenericImage::new(name, tag)
        .with_wait_for(WaitFor::seconds(20))
        .with_privileged(true)
        .with_network("bridge")
        .start()
        .await
        .expect("cRPD starts");
    let config = format!(
        "configure; set system services ssh root-login allow; set system services netconf ssh; set system login user lab class super-user authentication encrypted-password \"{LAB123_HASH}\"; commit and-quit"
    );
    let out = tokio::process::Command::new("docker")
        .args(["exec", c.id(), "cli", "-c", &config])
        .output()
        .await
        .unwrap();
    netpool_tests::succeeded("configuring cRPD", &out);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let ip = c.get_bridge_ip_address().await.unwrap();
    let pool = Pool::builder()
        .host_key_policy(HostKeyPolicy::InsecureAcceptAny)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let dev = netpool::Device::with_password(ip.to_string(), 22, "lab", "lab123");
    let out = pool.cli(&dev, "show version").await.unwrap();
    assert!(
        out.stdout.contains("Junos") || out.stdout.contains("JUNOS"),
        "{out:?}"
    );
    let mut g = pool.netconf(&dev).await.unwrap();
    let reply = g.rpc("<get-software-information/>").await.unwrap();
    assert!(
        reply.root.find(&["software-information"]).is_some(),
        "{}",
        reply.to_xml()
    );
    let text = g.command("show route summary").await.unwrap();
    assert!(
        text.contains("inet.0") || text.contains("Router ID"),
        "{text}"
    );
    drop(g);
    let bad = netpool::Device::new(ip.to_string(), 22, "lab", Auth::Password("wrong".into()));
    assert!(matches!(
        pool.cli(&bad, "show version").await,
        Err(Error::AuthFailed { .. })
    ));
    pool.shutdown(Duration::from_secs(2)).await;
}
