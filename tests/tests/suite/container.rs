//! junos-sim in a real container (our own `FROM scratch` image), driven by testcontainers:
//! the pool against it, and the container paused, stopped and cut off its network.
//!
//! Needs Docker and the image `junos-sim:dev` (built by `lab/container/build.sh`, which
//! `.ci/run` calls), so these are `#[ignore]`d with the reason; `.ci/run` runs them.

use std::time::{Duration, Instant};

use netpool::{Error, HostKeyPolicy, Pool};
use netpool_tests::{assert_eventually, eventually, PASSWORD, USER};
use testcontainers::core::{ContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

const IGNORE: &str =
    "needs Docker and the junos-sim:dev image (lab/container/build.sh); .ci/run provides both";

fn image() -> GenericImage {
    let (name, tag) = std::env::var("JUNOS_SIM_IMAGE")
        .ok()
        .and_then(|s| {
            s.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .unwrap_or(("junos-sim".into(), "dev".into()));
    GenericImage::new(name, tag)
        .with_exposed_port(ContainerPort::Tcp(22))
        .with_wait_for(WaitFor::message_on_stdout("serving 1 routers"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn pool() -> Pool {
    Pool::builder()
        // The container's host key is generated from a fixed seed, but a test image may be
        // rebuilt with other defaults: these tests are about faults, not key pinning.
        .host_key_policy(HostKeyPolicy::InsecureAcceptAny)
        .connect_timeout(Duration::from_secs(2))
        .session_open_timeout(Duration::from_secs(2))
        .rpc_timeout(Duration::from_millis(800))
        .checkout_timeout(Duration::from_secs(5))
        .keepalive_interval(Some(Duration::from_millis(300)))
        .keepalive_count_max(2)
        .health_check_after(Duration::ZERO)
        .health_check_timeout(Duration::from_millis(300))
        .breaker_threshold(0)
        .build()
        .unwrap()
}

async fn start(host_port: u16) -> ContainerAsync<GenericImage> {
    image()
        .with_mapped_port(host_port, ContainerPort::Tcp(22))
        .with_network("bridge")
        .start()
        .await
        .expect("container starts (is junos-sim:dev built?)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Docker and the junos-sim:dev image (lab/container/build.sh); .ci/run provides both"]
async fn pool_talks_to_the_simulator_in_a_container() {
    let _ = IGNORE;
    let port = free_port();
    let c = start(port).await;
    let p = pool();
    let via_host = netpool::Device::with_password("127.0.0.1", port, USER, PASSWORD);
    let mut g = p.netconf(&via_host).await.unwrap();
    netpool_tests::assert_answers_as_r1(&mut g).await;
    drop(g);
    netpool_tests::assert_cli_prints(&p, &via_host, "show route summary", "inet.0").await;
    // Straight to the container's own address on Docker's bridge.
    let ip = c.get_bridge_ip_address().await.unwrap();
    let direct = netpool::Device::with_password(ip.to_string(), 22, USER, PASSWORD);
    netpool_tests::assert_cli_prints(&p, &direct, "show version", "Hostname: r1").await;
    p.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Docker and the junos-sim:dev image (lab/container/build.sh); .ci/run provides both"]
async fn paused_container_times_out_then_recovers() {
    let c = start(free_port()).await;
    let ip = c.get_bridge_ip_address().await.unwrap();
    let p = pool();
    let d = netpool::Device::with_password(ip.to_string(), 22, USER, PASSWORD);
    drop(p.netconf(&d).await.unwrap());
    c.pause().await.unwrap();
    let t = Instant::now();
    let r = p.cli(&d, "show version").await;
    assert!(r.is_err(), "a paused router answered: {r:?}");
    assert!(
        t.elapsed() < Duration::from_secs(6),
        "bounded: {:?}",
        t.elapsed()
    );
    c.unpause().await.unwrap();
    let r = eventually_ok(|| p.cli(&d, "show version")).await;
    assert!(r, "no recovery after unpause");
    assert_eventually!(Duration::from_secs(3), || p.stats()[0].in_use == 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Docker and the junos-sim:dev image (lab/container/build.sh); .ci/run provides both"]
async fn stopped_and_restarted_container_is_replaced_transparently() {
    let port = free_port();
    let c = start(port).await;
    let p = pool();
    let d = netpool::Device::with_password("127.0.0.1", port, USER, PASSWORD);
    drop(p.netconf(&d).await.unwrap());
    c.stop_with_timeout(Some(2)).await.unwrap();
    let r = p.cli(&d, "show version").await;
    assert!(
        matches!(
            r,
            Err(Error::ConnectRefused { .. })
                | Err(Error::Connect { .. })
                | Err(Error::Transport { .. })
                | Err(Error::ConnectTimeout { .. })
        ),
        "{r:?}"
    );
    c.start().await.unwrap();
    // The first call after the restart must succeed without an error to the caller.
    let ready = eventually_ok(|| async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map(|_| ())
            .map_err(|e| Error::Connect {
                device: String::new(),
                detail: e.to_string(),
                stage: "tcp",
            })
    })
    .await;
    assert!(ready);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut g = p
        .netconf(&d)
        .await
        .expect("dead pooled session replaced without an error");
    netpool_tests::assert_answers_as_r1(&mut g).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Docker and the junos-sim:dev image (lab/container/build.sh); .ci/run provides both"]
async fn network_disconnect_is_detected_and_reconnect_recovers() {
    let docker = |args: &[&str]| {
        let mut cmd = tokio::process::Command::new("docker");
        cmd.args(args).stdout(std::process::Stdio::null());
        cmd
    };
    // A network of our own: Docker pins addresses only on user-defined networks.
    let net = format!("netpool-test-{}", std::process::id());
    let _ = docker(&["network", "rm", &net]).status().await;
    // A subnet of our own, so that the container can get its address back on reconnect.
    let subnet = format!("172.30.{}.0/24", std::process::id() % 250);
    assert!(docker(&["network", "create", "--subnet", &subnet, &net])
        .status()
        .await
        .unwrap()
        .success());
    let c = image()
        .with_network(net.clone())
        .start()
        .await
        .expect("container starts");
    let ip = c.get_bridge_ip_address().await.unwrap();
    let p = pool();
    let d = netpool::Device::with_password(ip.to_string(), 22, USER, PASSWORD);
    drop(p.netconf(&d).await.unwrap());
    assert!(docker(&["network", "disconnect", &net, c.id()])
        .status()
        .await
        .unwrap()
        .success());
    // Keepalives (300 ms x 2) notice the silent cut.
    let noticed = eventually(Duration::from_secs(5), || p.stats()[0].connections == 0).await;
    let r = p.cli(&d, "show version").await;
    let reconnected = docker(&["network", "connect", "--ip", &ip.to_string(), &net, c.id()])
        .status()
        .await
        .unwrap()
        .success();
    let recovered = eventually_ok(|| p.cli(&d, "show version")).await;
    drop(c);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = docker(&["network", "rm", &net]).status().await;
    assert!(noticed, "the cut was not noticed: {:?}", p.stats());
    assert!(r.is_err(), "a cut-off router answered: {r:?}");
    assert!(reconnected);
    assert!(recovered, "no recovery after reconnect");
}

async fn eventually_ok<F, Fut, T>(mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = netpool::Result<T>>,
{
    let end = Instant::now() + Duration::from_secs(15);
    while Instant::now() < end {
        if f().await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}
