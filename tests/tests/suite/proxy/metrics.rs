//! The proxy's Prometheus endpoint: what clients did, per device.

use std::time::Duration;

use netpool::{Auth, Device};
use netpool_tests::*;

use super::*;

/// One HTTP GET on a fresh connection, as a scraper does: the status line and the body.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    http_get_accept(addr, path, "*/*").await
}

/// [`http_get`] with an `Accept` header.
async fn http_get_accept(addr: std::net::SocketAddr, path: &str, accept: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).await.unwrap();
    let (head, body) = buf.split_once("\r\n\r\n").expect("a head and a body");
    (head.lines().next().unwrap().to_string(), body.to_string())
}

/// The value of the sample `name{labels}` (labels written as the exposition writes them).
fn sample(body: &str, name_and_labels: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(name_and_labels)?.strip_prefix(' '))
        .map(|v| v.parse().expect("a number"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_clients_did_per_device_in_prometheus_text_format() {
    let fleet = fleet(2).await;
    let px = proxy_for(&fleet, upstream_limits(&fleet, 1, 4)).await;
    let listener = netlab::proxy::metrics::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(netlab::proxy::metrics::serve(
        listener,
        px.clone(),
        stop.clone(),
    ));
    // Client 1: 5 RPCs to r1; client 2: 2 RPCs and one exec to r2; a wrong password on r2.
    let c = client();
    let mut g = c.netconf(&client_device(&px, 0, None)).await.unwrap();
    for _ in 0..5 {
        g.rpc("<get-software-information/>").await.unwrap();
    }
    drop(g);
    let r2 = client_device(&px, 1, None);
    let mut g = c.netconf(&r2).await.unwrap();
    for _ in 0..2 {
        g.rpc("<get-system-uptime-information/>").await.unwrap();
    }
    drop(g);
    c.cli(&r2, "show version").await.unwrap();
    c.shutdown(Duration::from_secs(1)).await;
    let wrong = Device::new(
        r2.host().to_string(),
        r2.port(),
        USER,
        Auth::Password("wrong".into()),
    )
    .with_host_keys([px.host_key_fingerprint().to_string()]);
    assert!(client().cli(&wrong, "show version").await.is_err());

    let (status, body) = http_get(addr, "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    let ep = |i: usize| {
        let e = &px.endpoints()[i];
        format!("device=\"{}\",name=\"{}\"", e.device.label(), e.name)
    };
    let expect = |samples: &[(String, f64)]| {
        for (name, want) in samples {
            assert_eq!(sample(&body, name), Some(*want), "{name}");
        }
    };
    expect(&[
        (format!("netlab_proxy_rpcs_total{{{}}}", ep(0)), 5.0),
        (format!("netlab_proxy_rpcs_total{{{}}}", ep(1)), 2.0),
        (format!("netlab_proxy_commands_total{{{}}}", ep(1)), 1.0),
        (
            format!("netlab_proxy_refused_total{{{},reason=\"auth\"}}", ep(1)),
            1.0,
        ),
        (
            format!("netlab_proxy_refused_total{{{},reason=\"auth\"}}", ep(0)),
            0.0,
        ),
    ]);
    // The pool behind it: one upstream connection per router, every checkout counted.
    let up = |i: usize| format!("device=\"{}\"", px.endpoints()[i].device.label());
    expect(&[(format!("netpool_connections{{{}}}", up(0)), 1.0)]);
    let checkouts = sample(&body, &format!("netpool_checkouts_total{{{}}}", up(1))).unwrap();
    assert!(checkouts >= 2.0, "{checkouts}");
    // Every family is declared, with HELP and TYPE (a histogram's samples are its
    // `_bucket`, `_sum` and `_count`).
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .filter(|f| body.contains(&format!("# TYPE {f} histogram")))
            .unwrap_or(name);
        assert!(
            body.contains(&format!("# TYPE {family} ")),
            "{name} has no TYPE: {body}"
        );
    }
    // The pool's request counters and latency histogram: 5 RPCs to r1; 2 RPCs and one
    // command to r2.
    expect(&[
        (format!("netpool_rpcs_total{{{}}}", up(0)), 5.0),
        (format!("netpool_rpcs_total{{{}}}", up(1)), 3.0),
        (
            format!("netpool_rpc_duration_seconds_count{{{}}}", up(0)),
            5.0,
        ),
        (
            format!(
                "netpool_rpc_duration_seconds_bucket{{{},le=\"+Inf\"}}",
                up(0)
            ),
            5.0,
        ),
    ]);
    // Bytes both ways were counted for r1's client.
    for direction in ["to_device", "to_client"] {
        let n = sample(
            &body,
            &format!(
                "netlab_proxy_relayed_bytes_total{{{},direction=\"{direction}\"}}",
                ep(0)
            ),
        )
        .unwrap();
        assert!(n > 5.0 * 30.0, "{direction}: {n}");
    }
    // A scraper that asks for OpenMetrics gets it: the same counts, `# EOF` at the end.
    let (status, om) = http_get_accept(
        addr,
        "/metrics",
        "application/openmetrics-text;version=1.0.0",
    )
    .await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(om.ends_with("# EOF\n"), "{om}");
    assert!(om.contains("# TYPE netpool_rpcs counter"), "{om}");
    assert_eq!(
        sample(&om, &format!("netpool_rpcs_total{{{}}}", up(0))),
        Some(5.0)
    );
    assert!(!body.contains("# EOF"));
    let (status, _) = http_get(addr, "/other").await;
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    stop.cancel();
    px.shutdown(Duration::from_secs(2)).await;
}
