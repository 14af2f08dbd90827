//! The proxy's figures for Prometheus: its pool's (`netpool_*`, from netpool's collector,
//! [`netpool::metrics`]) and its own (`netlab_proxy_*`), served at `/metrics` by a small
//! HTTP/1.1 server in the Prometheus text format (0.0.4), or in OpenMetrics 1.0 to a
//! scraper that asks for it (`Accept: application/openmetrics-text`, as Prometheus does).
//!
//! Everything is read when scraped (the pool's `stats()`, the endpoints' counters):
//! nothing is counted twice.

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::{EndpointCounters, Proxy};

/// A request head larger than this is refused (a scrape's is a few hundred bytes).
const MAX_REQUEST: usize = 8 * 1024;
/// A scraper that does not finish its request in this long is dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The OpenMetrics content type.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The registry a proxy's `/metrics` reads: its pool's collector and its own.
pub fn registry(px: &Proxy) -> Registry {
    let mut r = Registry::default();
    px.pool().register_metrics(&mut r);
    r.register_collector(Box::new(ProxyCollector(px.clone())));
    r
}

/// The exposition of `registry`: OpenMetrics, or the Prometheus text format.
pub fn render(registry: &Registry, openmetrics: bool) -> String {
    let mut out = String::new();
    let res = if openmetrics {
        prometheus_client::encoding::text::encode(&mut out, registry)
    } else {
        prometheus_client::encoding::prometheus_text::encode(&mut out, registry)
    };
    // Writing into a String cannot fail; a collector's error would be a bug of ours.
    if let Err(e) = res {
        tracing::warn!("metrics: encoding failed: {e}");
    }
    out
}

/// The proxy's own families, per endpoint (`device`: the upstream, `name`: the
/// inventory's name for it).
struct ProxyCollector(Proxy);

impl std::fmt::Debug for ProxyCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProxyCollector")
    }
}

type Of = fn(&EndpointCounters) -> u64;

const GAUGE: MetricType = MetricType::Gauge;
const COUNTER: MetricType = MetricType::Counter;

/// One row a family, per endpoint: `name KIND field "help"` (counters without their
/// `_total`; the value is the endpoint counter `field`).
macro_rules! families {
    ($($name:literal $kind:ident $field:ident $help:literal;)*) => {
        [$(($name, $kind, $help, (|c: &EndpointCounters| c.$field.load(Relaxed)) as Of),)*]
    };
}

/// (name, type, help, value) per endpoint.
#[rustfmt::skip]
const FAMILIES: [(&str, MetricType, &str, Of); 10] = families! {
    "netlab_proxy_clients" GAUGE clients
        "Client SSH connections open.";
    "netlab_proxy_leases" GAUGE leases
        "Upstream sessions lent to clients now.";
    "netlab_proxy_waiting_clients" GAUGE waiting
        "Client sessions waiting for an upstream session now.";
    "netlab_proxy_client_connections" COUNTER client_connections
        "Client SSH connections accepted.";
    "netlab_proxy_netconf_sessions" COUNTER netconf_sessions
        "Client NETCONF sessions.";
    "netlab_proxy_rpcs" COUNTER rpcs
        "RPCs relayed.";
    "netlab_proxy_commands" COUNTER commands
        "Exec and shell commands run.";
    "netlab_proxy_resets" COUNTER resets
        "Upstream sessions cleaned for the next client (lock, changes, private configuration).";
    "netlab_proxy_kill_sessions" COUNTER kill_sessions
        "Client sessions ended by another client's kill-session.";
    "netlab_proxy_errors" COUNTER errors
        "Failures a client saw (no session in time, upstream broke, timeouts).";
};

/// Counters per endpoint and one more label: (name without unit and `_total`, label, help,
/// in bytes, values).
type ByLabel = fn(&EndpointCounters) -> Vec<(&'static str, u64)>;

/// One row a family: `name label bytes "help" { value: field, ... }`.
macro_rules! by_label {
    ($($name:literal $label:literal $bytes:literal $help:literal
        { $($value:literal: $field:ident),* };)*) => {
        [$((
            $name,
            $label,
            $help,
            $bytes,
            (|c: &EndpointCounters| vec![$(($value, c.$field.load(Relaxed))),*]) as ByLabel,
        ),)*]
    };
}

#[rustfmt::skip]
const BY_LABEL: [(&str, &str, &str, bool, ByLabel); 2] = by_label! {
    "netlab_proxy_refused" "reason" false
        "Clients refused, by reason: auth (login refused), connection_cap (over the connection caps at accept), login_grace (cut before login: handshake or grace time), channel_cap (a channel over the per-connection cap)."
        {
            "auth": auth_failures, "connection_cap": refused,
            "login_grace": cut_pre_auth, "channel_cap": channels_refused
        };
    "netlab_proxy_relayed" "direction" true
        "Bytes relayed between clients and devices, by direction (to_device: RPCs, commands and keystrokes; to_client: relayed replies and command output)."
        { "to_device": bytes_to_device, "to_client": bytes_to_client };
};

fn counter(m: &mut MetricEncoder, labels: &[(&str, &str)], n: u64) -> std::fmt::Result {
    m.encode_family(&labels)?
        .encode_counter::<NoLabelSet, _, u64>(&n, None)
}

impl Collector for ProxyCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> std::fmt::Result {
        let endpoints = self.0.endpoints();
        for (name, kind, help, of) in FAMILIES {
            let mut m = enc.encode_descriptor(name, help, None, kind)?;
            for e in endpoints {
                let labels = [("device", e.device.label()), ("name", e.name.as_str())];
                let n = of(&e.counters);
                match kind {
                    MetricType::Gauge => m.encode_family(&labels)?.encode_gauge(&n)?,
                    _ => counter(&mut m, &labels, n)?,
                }
            }
        }
        let bytes = Unit::Bytes;
        for (name, label, help, unit, of) in BY_LABEL {
            let unit = unit.then_some(&bytes);
            let mut m = enc.encode_descriptor(name, help, unit, MetricType::Counter)?;
            for e in endpoints {
                for (value, n) in of(&e.counters) {
                    let labels = [
                        ("device", e.device.label()),
                        ("name", e.name.as_str()),
                        (label, value),
                    ];
                    counter(&mut m, &labels, n)?;
                }
            }
        }
        Ok(())
    }
}

/// Serve `GET /metrics` on `listener` until `stop`: one request per connection
/// (`Connection: close`), a bounded request head and time, 404 for any other path, 405
/// for any other method.
pub async fn serve(listener: TcpListener, px: Proxy, stop: CancellationToken) {
    let registry = std::sync::Arc::new(registry(&px));
    loop {
        let (mut conn, _) = tokio::select! {
            _ = stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let registry = registry.clone();
        tokio::spawn(async move {
            let head = match tokio::time::timeout(REQUEST_TIMEOUT, read_head(&mut conn)).await {
                Ok(Some(h)) => h,
                _ => return,
            };
            let (status, kind, body) = respond(&head, &registry);
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tokio::time::timeout(REQUEST_TIMEOUT, conn.write_all(reply.as_bytes())).await;
            let _ = conn.shutdown().await;
        });
    }
}

/// The request head, up to its blank line; `None` when it is too large or the client
/// closes first.
async fn read_head(conn: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && !buf.windows(2).any(|w| w == b"\n\n") {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() + n > MAX_REQUEST {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(buf).ok()
}

/// Status, content type and body for a request head.
fn respond(head: &str, registry: &Registry) -> (&'static str, &'static str, String) {
    let mut first = head.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET", "/metrics") if wants_openmetrics(head) => {
            ("200 OK", OPENMETRICS, render(registry, true))
        }
        ("GET", "/metrics") => (
            "200 OK",
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            render(registry, false),
        ),
        ("GET", _) => (
            "404 Not Found",
            "text/plain",
            "not found: try /metrics\n".into(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            "GET /metrics\n".into(),
        ),
    }
}

/// Whether the request's `Accept` header offers OpenMetrics (Prometheus offers it first,
/// with the text format as a fallback; a browser or curl offers neither).
fn wants_openmetrics(head: &str) -> bool {
    head.lines().skip(1).any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("accept")
                && v.split(',').any(|t| {
                    let mut parts = t.split(';');
                    let media = parts.next().unwrap_or("").trim();
                    // `q=0` means "not acceptable".
                    let q = parts
                        .filter_map(|p| p.trim().strip_prefix("q="))
                        .find_map(|q| q.trim().parse::<f64>().ok())
                        .unwrap_or(1.0);
                    media.eq_ignore_ascii_case("application/openmetrics-text") && q > 0.0
                })
        })
    })
}

/// Bind the metrics address (refusing a taken one with its address named).
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("--metrics {addr}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openmetrics_only_when_the_scraper_asks_for_it() {
        // What Debian's Prometheus 2.42 sends (captured from its scrape).
        let prometheus = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n";
        assert!(wants_openmetrics(prometheus));
        assert!(!wants_openmetrics(
            "GET /metrics HTTP/1.1\r\nAccept: */*\r\n"
        ));
        assert!(!wants_openmetrics("GET /metrics HTTP/1.1\r\n"));
        assert!(!wants_openmetrics(
            "GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text; q=0\r\n"
        ));
        // The request line is not a header.
        assert!(!wants_openmetrics(
            "GET /accept:application/openmetrics-text HTTP/1.1\r\n"
        ));
    }
}
