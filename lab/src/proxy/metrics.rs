//! The proxy's figures for Prometheus: its pool's (`netpool_*`, the names and meanings of
//! Python's `netpool.metrics`) and its own (`netlab_proxy_*`), in the text exposition
//! format (0.0.4), served at `/metrics` by a small HTTP/1.1 server.
//!
//! Everything is read when scraped (the pool's `stats()`, the endpoints' counters):
//! nothing is counted twice, and the call path pays nothing.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::Proxy;

/// A request head larger than this is refused (a scrape's is a few hundred bytes).
const MAX_REQUEST: usize = 8 * 1024;
/// A scraper that does not finish its request in this long is dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// One metric family being written: `# HELP`, `# TYPE`, then its samples.
struct Family<'a> {
    out: &'a mut String,
    name: &'a str,
}

impl Family<'_> {
    fn sample(&mut self, labels: &[(&str, &str)], value: f64) -> &mut Self {
        let _ = write!(self.out, "{}", self.name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape_label(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
        self
    }
}

/// A label value as the text format writes it: backslash, double quote and line feed
/// escaped.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family<'a>(out: &'a mut String, name: &'a str, kind: &str, help: &str) -> Family<'a> {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    Family { out, name }
}

/// The exposition of a proxy: its pool's figures per device, and its endpoints'.
pub fn render(px: &Proxy) -> String {
    let mut out = String::new();
    let stats = px.pool().stats();
    type Of = fn(&netpool::DeviceStats) -> f64;
    const G: &str = "gauge";
    const C: &str = "counter";
    // (name, type, help, value). Checkout wait is three gauges: a `quantile` label belongs
    // to summaries, which also carry a sum this pool does not keep.
    let per_device: [(&str, &str, &str, Of); 15] = [
        ("netpool_connections", G, "SSH connections open.", |s| {
            s.connections as f64
        }),
        (
            "netpool_channels",
            G,
            "Channels open over those connections (in use and idle).",
            |s| s.channels as f64,
        ),
        (
            "netpool_idle_sessions",
            G,
            "Idle NETCONF sessions ready for reuse.",
            |s| s.idle_sessions as f64,
        ),
        (
            "netpool_sessions_in_use",
            G,
            "Sessions lent out now.",
            |s| s.in_use as f64,
        ),
        (
            "netpool_waiting_callers",
            G,
            "Callers waiting for a session now.",
            |s| s.waiting as f64,
        ),
        ("netpool_connecting", G, "Connects in flight now.", |s| {
            s.connecting as f64
        }),
        (
            "netpool_circuit_open",
            G,
            "1 while the circuit breaker refuses connects.",
            |s| f64::from(u8::from(s.breaker_open)),
        ),
        (
            "netpool_checkout_wait_p50_seconds",
            G,
            "Checkout wait, median.",
            |s| s.checkout_wait_us[0] as f64 / 1e6,
        ),
        (
            "netpool_checkout_wait_p99_seconds",
            G,
            "Checkout wait, 99th percentile.",
            |s| s.checkout_wait_us[1] as f64 / 1e6,
        ),
        (
            "netpool_checkout_wait_max_seconds",
            G,
            "Checkout wait, maximum.",
            |s| s.checkout_wait_us[2] as f64 / 1e6,
        ),
        (
            "netpool_connects_total",
            C,
            "SSH connections opened.",
            |s| s.connects as f64,
        ),
        (
            "netpool_connect_failures_total",
            C,
            "Connect attempts that failed, after retries.",
            |s| s.connect_failures as f64,
        ),
        (
            "netpool_sessions_created_total",
            C,
            "NETCONF sessions opened.",
            |s| s.netconf_opened as f64,
        ),
        ("netpool_checkouts_total", C, "Checkouts served.", |s| {
            s.checkouts as f64
        }),
        (
            "netpool_checkouts_reused_total",
            C,
            "Checkouts served by an existing connection or session.",
            |s| s.reused as f64,
        ),
    ];
    for (name, kind, help, of) in per_device {
        let mut f = family(&mut out, name, kind, help);
        for s in &stats {
            f.sample(&[("device", &s.device)], of(s));
        }
    }
    let mut f = family(
        &mut out,
        "netpool_discarded_total",
        "counter",
        "Sessions and connections discarded, by reason.",
    );
    for s in &stats {
        for (why, n) in &s.discarded {
            f.sample(
                &[
                    ("device", &s.device),
                    ("reason", &snake(&format!("{why:?}"))),
                ],
                *n as f64,
            );
        }
    }
    proxy_families(px, &mut out);
    out
}

/// The proxy's own counters, per endpoint (`device`: the upstream, `name`: the
/// inventory's name for it).
fn proxy_families(px: &Proxy, out: &mut String) {
    use super::EndpointCounters as C;
    type Of = fn(&C) -> u64;
    let families: [(&str, &str, &str, Of); 8] = [
        (
            "netlab_proxy_clients",
            "gauge",
            "Client SSH connections open.",
            |c| c.clients.load(Relaxed),
        ),
        (
            "netlab_proxy_leases",
            "gauge",
            "Upstream sessions lent to clients now.",
            |c| c.leases.load(Relaxed),
        ),
        (
            "netlab_proxy_client_connections_total",
            "counter",
            "Client SSH connections accepted.",
            |c| c.client_connections.load(Relaxed),
        ),
        (
            "netlab_proxy_netconf_sessions_total",
            "counter",
            "Client NETCONF sessions.",
            |c| c.netconf_sessions.load(Relaxed),
        ),
        ("netlab_proxy_rpcs_total", "counter", "RPCs relayed.", |c| {
            c.rpcs.load(Relaxed)
        }),
        (
            "netlab_proxy_commands_total",
            "counter",
            "Exec and shell commands run.",
            |c| c.commands.load(Relaxed),
        ),
        (
            "netlab_proxy_resets_total",
            "counter",
            "Upstream sessions cleaned for the next client (lock, changes, private configuration).",
            |c| c.resets.load(Relaxed),
        ),
        (
            "netlab_proxy_errors_total",
            "counter",
            "Failures a client saw (no session in time, upstream broke, timeouts).",
            |c| c.errors.load(Relaxed),
        ),
    ];
    for (name, kind, help, of) in families {
        let mut f = family(out, name, kind, help);
        for e in px.endpoints() {
            let label = e.device.label();
            f.sample(
                &[("device", label), ("name", e.name.as_str())],
                of(&e.counters) as f64,
            );
        }
    }
    let mut f = family(
        out,
        "netlab_proxy_refused_total",
        "counter",
        "Clients refused, by reason: auth (login refused), connection_cap (over the connection caps at accept), login_grace (cut before login: handshake or grace time), channel_cap (a channel over the per-connection cap).",
    );
    for e in px.endpoints() {
        let c = &e.counters;
        let label = e.device.label();
        for (reason, n) in [
            ("auth", c.auth_failures.load(Relaxed)),
            ("connection_cap", c.refused.load(Relaxed)),
            ("login_grace", c.cut_pre_auth.load(Relaxed)),
            ("channel_cap", c.channels_refused.load(Relaxed)),
        ] {
            f.sample(
                &[
                    ("device", label),
                    ("name", e.name.as_str()),
                    ("reason", reason),
                ],
                n as f64,
            );
        }
    }
}

/// `IdleTimeout` -> `idle_timeout`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// Serve `GET /metrics` on `listener` until `stop`: one request per connection
/// (`Connection: close`), a bounded request head and time, 404 for any other path, 405
/// for any other method.
pub async fn serve(listener: TcpListener, px: Proxy, stop: CancellationToken) {
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
        let px = px.clone();
        tokio::spawn(async move {
            let head = match tokio::time::timeout(REQUEST_TIMEOUT, read_head(&mut conn)).await {
                Ok(Some(h)) => h,
                _ => return,
            };
            let (status, kind, body) = respond(&head, &px);
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
fn respond(head: &str, px: &Proxy) -> (&'static str, &'static str, String) {
    let mut first = head.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            render(px),
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
    fn label_values_are_escaped_as_the_text_format_says() {
        assert_eq!(escape_label(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_label("x\ny"), "x\\ny");
        assert_eq!(snake("FailedHealthCheck"), "failed_health_check");
    }
}
