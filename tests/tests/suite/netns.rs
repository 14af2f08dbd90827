//! Kernel-level faults: junos-sim runs in a network namespace of its own behind a veth
//! pair, and the namespace's packet filter drops everything (a true blackhole: SYNs and
//! keepalives vanish, nothing is refused). `tc netem loss 100%` would be the other way; this
//! kind of machine's kernel has no netem qdisc ("Specified qdisc kind is unknown"), so the
//! filter does it.
//!
//! Needs root, iproute2 and iptables, so it is `#[ignore]`d with the reason; `.ci/run`
//! runs it. The router is this crate's `netns-sim` binary, built with the tests.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use netpool::{Error, HostKeyPolicy, Pool};
use netpool_tests::{assert_eventually, PASSWORD, USER};

struct Netns {
    name: String,
    host_if: String,
    ns_ip: String,
    sim: Option<netpool_tests::Reaped>,
}

fn sh(args: &[&str]) {
    let st = Command::new(args[0])
        .args(&args[1..])
        .status()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(st.success(), "{args:?} failed");
}

impl Netns {
    fn create() -> Netns {
        let id = std::process::id();
        let name = format!("np{id}");
        let (host_if, ns_if) = (format!("np{id}h"), format!("np{id}n"));
        let net = id % 250;
        let (host_ip, ns_ip) = (format!("10.199.{net}.1"), format!("10.199.{net}.2"));
        let _ = Command::new("ip").args(["netns", "del", &name]).status();
        let _ = Command::new("ip").args(["link", "del", &host_if]).status();
        sh(&["ip", "netns", "add", &name]);
        let ns = Netns {
            name: name.clone(),
            host_if: host_if.clone(),
            ns_ip: ns_ip.clone(),
            sim: None,
        };
        sh(&[
            "ip", "link", "add", &host_if, "type", "veth", "peer", "name", &ns_if,
        ]);
        sh(&["ip", "link", "set", &ns_if, "netns", &name]);
        sh(&[
            "ip",
            "addr",
            "add",
            &format!("{host_ip}/30"),
            "dev",
            &host_if,
        ]);
        sh(&["ip", "link", "set", &host_if, "up"]);
        sh(&[
            "ip",
            "netns",
            "exec",
            &name,
            "ip",
            "addr",
            "add",
            &format!("{ns_ip}/30"),
            "dev",
            &ns_if,
        ]);
        sh(&[
            "ip", "netns", "exec", &name, "ip", "link", "set", &ns_if, "up",
        ]);
        sh(&[
            "ip", "netns", "exec", &name, "ip", "link", "set", "lo", "up",
        ]);
        ns
    }

    fn blackhole(&self, on: bool) {
        let op = if on { "-I" } else { "-D" };
        sh(&[
            "ip", "netns", "exec", &self.name, "iptables", op, "INPUT", "-j", "DROP",
        ]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        drop(self.sim.take());
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_if])
            .status();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

fn sim_binary() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_netns-sim"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root, iproute2 and iptables (network namespaces); .ci/run provides them"]
async fn blackholed_namespace_times_out_at_the_bound_and_recovers() {
    let mut ns = Netns::create();
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .arg(sim_binary())
        .args([ns.ns_ip.as_str(), "2222"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("serving") {
        line.clear();
        assert!(
            std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0,
            "junos-sim exited"
        );
    }
    ns.sim = Some(netpool_tests::Reaped(child));
    let pool = Pool::builder()
        .host_key_policy(HostKeyPolicy::InsecureAcceptAny)
        .connect_timeout(Duration::from_secs(1))
        .connect_retries(0)
        .breaker_threshold(0)
        .keepalive_interval(Some(Duration::from_millis(300)))
        .keepalive_count_max(2)
        .health_check_after(Duration::from_secs(60))
        .build()
        .unwrap();
    let d = netpool::Device::with_password(ns.ns_ip.clone(), 2222, USER, PASSWORD);
    netpool_tests::assert_cli_prints(&pool, &d, "show version", "Hostname: r1").await;
    drop(pool.netconf(&d).await.unwrap());

    ns.blackhole(true);
    let t = Instant::now();
    assert_eventually!(
        Duration::from_secs(5),
        || pool.stats()[0].connections == 0,
        "keepalives did not notice: {:?}",
        pool.stats()
    );
    let noticed = t.elapsed();
    let t = Instant::now();
    let r = pool.cli(&d, "show version").await;
    let took = t.elapsed();
    assert!(
        matches!(r, Err(Error::ConnectTimeout { stage: "tcp", .. })),
        "{r:?}"
    );
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_secs(2),
        "timed out after {took:?}, bound 1 s"
    );
    assert!(
        noticed < Duration::from_secs(3),
        "noticed after {noticed:?}"
    );

    ns.blackhole(false);
    let mut g = pool
        .netconf(&d)
        .await
        .expect("recovers once the path is back");
    netpool_tests::assert_answers_as_r1(&mut g).await;
}
