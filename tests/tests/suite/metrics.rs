//! netpool's `metrics` feature: the pool's figures through a prometheus-client registry,
//! read back from its own encoders (OpenMetrics and the Prometheus text format).

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use netpool::{Device, Error, Pool};
use netpool_tests::*;
use prometheus_client::registry::Registry;

/// `{ "name{labels}": value }` of an exposition, labels in name order (the two encoders
/// order a histogram's `le` differently; our label values hold no `",`).
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').expect("a sample");
            let key = match k.split_once('{') {
                Some((name, labels)) => {
                    let mut ls: Vec<String> = labels
                        .trim_end_matches('}')
                        .split("\",")
                        .map(|l| l.trim_end_matches('"').to_string() + "\"")
                        .collect();
                    ls.sort();
                    format!("{name}{{{}}}", ls.join(","))
                }
                None => k.to_string(),
            };
            (key, v.parse().expect("a number"))
        })
        .collect()
}

fn scrape(registry: &Registry) -> (String, String) {
    let mut om = String::new();
    prometheus_client::encoding::text::encode(&mut om, registry).unwrap();
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, registry).unwrap();
    (om, text)
}

/// Requests, their errors by kind, connect failures by stage, and the latency histogram
/// carry what the calls did, per device, in both formats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_counts_requests_errors_by_kind_and_connect_failures_by_stage() {
    let fleet = fleet(1).await;
    let pool = pool_for(&fleet);
    let r1 = &fleet.devices()[0];
    let dev = device(r1);
    let mut registry = Registry::default();
    pool.register_metrics(&mut registry);

    let mut g = pool.netconf(&dev).await.unwrap();
    for _ in 0..3 {
        g.rpc("<get-software-information/>").await.unwrap();
    }
    let e = g.rpc("<get-frobnication/>").await.unwrap_err();
    assert!(e.rpc_error().is_some(), "{e}");
    drop(g);
    pool.cli(&dev, "show version").await.unwrap();
    assert!(!pool.cli(&dev, "show frobnicate").await.unwrap().success());
    // Connects that fail at three stages: a wrong password, a wrong pinned key, nobody
    // listening.
    let port = r1.addr().port();
    let wrong_pw = Device::with_password("127.0.0.1", port, "mallory", "wrong");
    assert!(matches!(
        pool.cli(&wrong_pw, "show version").await,
        Err(Error::AuthFailed { .. })
    ));
    let wrong_key = Device::with_password("127.0.0.1", port, "eve", PASSWORD)
        .with_host_keys(["SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_string()]);
    let e = pool.cli(&wrong_key, "show version").await.unwrap_err();
    assert_eq!(e.connect_stage(), Some("host-key"), "{e}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let nobody = Device::with_password("127.0.0.1", closed_port, USER, PASSWORD);
    assert!(matches!(
        pool.cli(&nobody, "show version").await,
        Err(Error::ConnectRefused { .. })
    ));

    let (om, text) = scrape(&registry);
    assert!(om.ends_with("# EOF\n"), "{om}");
    assert!(om.contains("# TYPE netpool_rpcs counter"), "{om}");
    assert!(text.contains("# TYPE netpool_rpcs_total counter"), "{text}");
    assert!(
        text.contains("# TYPE netpool_rpc_duration_seconds histogram"),
        "{text}"
    );
    for body in [&om, &text] {
        let s = samples(body);
        let get = |k: &str| s.get(k).copied();
        let d = format!("device=\"{}\"", dev.label());
        // 4 RPCs and 2 commands; one rpc-error each way.
        assert_eq!(
            get(&format!("netpool_rpcs_total{{{d}}}")),
            Some(6.0),
            "{body}"
        );
        assert_eq!(
            get(&format!(
                "netpool_rpc_errors_total{{{d},kind=\"rpc_error\"}}"
            )),
            Some(2.0),
            "{body}"
        );
        assert_eq!(
            get(&format!("netpool_rpc_duration_seconds_count{{{d}}}")),
            Some(6.0)
        );
        assert_eq!(
            get(&format!(
                "netpool_rpc_duration_seconds_bucket{{{d},le=\"+Inf\"}}"
            )),
            Some(6.0)
        );
        // A simulated reply takes well under 2.5 s: every request is under that bound
        // (written alike by both encoders; `10` is `10.0` in OpenMetrics).
        assert_eq!(
            get(&format!(
                "netpool_rpc_duration_seconds_bucket{{{d},le=\"2.5\"}}"
            )),
            Some(6.0),
            "{body}"
        );
        assert!(get(&format!("netpool_rpc_duration_seconds_sum{{{d}}}")).unwrap() > 0.0);
        // Three checkouts (one NETCONF, two commands), none of which waited.
        assert_eq!(
            get(&format!("netpool_checkout_wait_seconds_count{{{d}}}")),
            Some(3.0)
        );
        assert_eq!(
            get(&format!(
                "netpool_checkout_wait_seconds_bucket{{{d},le=\"0.001\"}}"
            )),
            Some(3.0)
        );
        for (who, stage) in [
            (&wrong_pw, "auth"),
            (&wrong_key, "host-key"),
            (&nobody, "tcp"),
        ] {
            let k = format!(
                "netpool_connect_failures_total{{device=\"{}\",stage=\"{stage}\"}}",
                who.label()
            );
            assert_eq!(get(&k), Some(1.0), "{k} in {body}");
        }
        assert_eq!(get("netpool_devices"), Some(4.0));
        assert_eq!(get(&format!("netpool_connections{{{d}}}")), Some(1.0));
    }
    // The same figures as the pool's own stats.
    let st = pool.stats();
    let s = st.iter().find(|s| s.device == dev.label()).unwrap();
    assert_eq!(s.rpcs, 6);
    assert_eq!(s.rpc_latency.count, 6);
    // A dropped pool exports nothing (the registry holds it weakly), once the tasks
    // closing its sessions have finished with it.
    pool.shutdown(Duration::from_secs(1)).await;
    drop(pool);
    assert_eventually!(
        Duration::from_secs(5),
        || scrape(&registry).0 == "# EOF\n",
        "{}",
        scrape(&registry).0
    );
}

/// A device that stops answering SSH keepalives is counted once its connection is
/// declared dead (keepalive every 200 ms, two unanswered).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_lost_to_keepalives_is_counted() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let cut = netchaos::FaultProxy::start(r1.addr(), 7).await.unwrap();
    let mut cfg = config_for(&fleet);
    cfg.keepalive_interval = Some(Duration::from_millis(200));
    cfg.keepalive_count_max = 2;
    cfg.tcp_keepalive = None;
    let pool = Pool::new(cfg).unwrap();
    let dev = Device::with_password("127.0.0.1", cut.addr().port(), USER, PASSWORD);
    drop(pool.netconf(&dev).await.unwrap());
    assert_eq!(pool.stats()[0].keepalive_failures, 0);
    cut.blackhole_open_connections();
    assert_eventually!(
        Duration::from_secs(10),
        || pool.stats()[0].keepalive_failures == 1,
        "{:?}",
        pool.stats()
    );
}

/// Label cardinality is bounded by the devices in use: a pool that has seen 100,000
/// devices over time (each one failed connect) exports the three it holds sessions to,
/// once the others are forgotten (`forget_device_after`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_that_saw_100000_devices_exports_only_the_live_ones() {
    let fleet = fleet(3).await;
    let mut cfg = config_for(&fleet);
    cfg.connect_retries = 0;
    cfg.forget_device_after = Duration::from_secs(1);
    let pool = Pool::new(cfg).unwrap();
    let mut registry = Registry::default();
    pool.register_metrics(&mut registry);
    let live: Vec<Device> = fleet.devices().iter().map(device).collect();
    let held = futures::future::join_all(live.iter().map(|d| pool.netconf(d))).await;
    assert!(held.iter().all(Result::is_ok));
    drop(held); // idle sessions: the devices stay in the pool

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut most = 0;
    let mut failed = 0usize;
    for wave in 0..10 {
        let refused = futures::stream::iter(0..10_000)
            .map(|i| {
                let d = Device::with_password("127.0.0.1", port, format!("u{wave}-{i}"), "x");
                let pool = &pool;
                async move { pool.cli(&d, "show version").await.is_err() }
            })
            .buffer_unordered(256)
            .filter(|e| std::future::ready(*e))
            .count()
            .await;
        failed += refused;
        most = most.max(pool.stats().len());
    }
    assert_eq!(
        failed, 100_000,
        "every one of the 100,000 devices was tried"
    );
    assert!(most > 10_000, "the pool held {most} devices at most");
    let devices = |reg: &Registry| {
        let (om, _) = scrape(reg);
        samples(&om).get("netpool_devices").copied()
    };
    assert_eventually!(
        Duration::from_secs(30),
        || devices(&registry) == Some(3.0),
        "{:?} devices exported",
        devices(&registry)
    );
    let (om, _) = scrape(&registry);
    let mut labelled: Vec<&str> = om
        .lines()
        .filter_map(|l| l.split_once("device=\"")?.1.split('"').next())
        .collect();
    labelled.sort_unstable();
    labelled.dedup();
    let mut want: Vec<&str> = live.iter().map(Device::label).collect();
    want.sort_unstable();
    assert_eq!(labelled, want);
    assert!(om.len() < 64 * 1024, "{} bytes", om.len());
}
