//! The chaos matrix: each scenario names its fault, what must happen on the bad path and
//! on the good path, and reports PASS or FAIL with timings and an event-loop probe.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::probe::Probe;
pub(crate) use lab::{eventually, healthy, nc, Lab};

/// Fail the scenario with a message unless the condition holds.
macro_rules! ensure {
    ($c:expr, $($fmt:tt)+) => {
        if !$c {
            return Err(format!($($fmt)+));
        }
    };
}

mod connect;
mod lab;
mod load;
mod network;
mod session;

/// How big a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// Small sizes and short waits (for `cargo test` and CI).
    Quick,
    /// The sizes the issue names (20 s of bursts, 10^5 routes).
    Full,
}

/// A scenario of the matrix: a row of [`SCENARIOS`], carrying its own body.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Name for `--scenario`.
    pub name: &'static str,
    /// The fault injected.
    pub fault: &'static str,
    /// What must happen to calls hitting the fault.
    pub bad_path: &'static str,
    /// What must happen to everything else.
    pub good_path: &'static str,
    /// The scenario itself.
    pub run: fn(Size) -> ScenarioFuture,
}

/// One scenario's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// Scenario name.
    pub name: String,
    /// The fault injected.
    pub fault: String,
    /// `PASS` or `FAIL`.
    pub verdict: &'static str,
    /// What was observed on the bad path.
    pub bad_path: String,
    /// What was observed on the good path.
    pub good_path: String,
    /// Event-loop probe (10 ms ticker): p99 lateness, ms.
    pub probe_p99_ms: f64,
    /// Wall time, seconds.
    pub duration_s: f64,
    /// Why it failed, if it did.
    pub detail: String,
    /// From the fault's first call to the error that reported it, seconds (scenarios
    /// with a bad path that returns an error).
    pub detect_s: Option<f64>,
    /// From the fault's end to the first successful call, seconds (scenarios that wait
    /// for a recovery).
    pub recover_s: Option<f64>,
}

type Times = std::sync::Arc<std::sync::Mutex<(Option<f64>, Option<f64>)>>;

tokio::task_local! {
    static TIMES: Times;
}

fn note(f: impl FnOnce(&mut (Option<f64>, Option<f64>))) {
    let _ = TIMES.try_with(|t| f(&mut t.lock().unwrap_or_else(std::sync::PoisonError::into_inner)));
}

/// Record how long the fault took to surface as an error.
pub(super) fn detected(d: Duration) {
    note(|t| t.0 = Some(d.as_secs_f64()));
}

/// Record how long the first success took once the fault ended.
pub(super) fn recovered(d: Duration) {
    note(|t| t.1 = Some(d.as_secs_f64()));
}

/// Declares the matrix once: each row's name, fault, expectations and body make a
/// [`Scenario`] of [`SCENARIOS`], and (under `cargo test`) a test named after it, so a
/// failure names itself and no list is kept by hand anywhere else.
macro_rules! matrix {
    ($( $test:ident: $name:literal => $run:path {
        fault: $fault:literal,
        bad_path: $bad:literal,
        good_path: $good:literal $(,)?
    } ),* $(,)?) => {
        /// The matrix.
        pub const SCENARIOS: &[Scenario] = &[$(
            Scenario {
                name: $name,
                fault: $fault,
                bad_path: $bad,
                good_path: $good,
                run: |s| Box::pin($run(s)),
            },
        )*];

        #[cfg(test)]
        mod matrix {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::tests::pass($name).await;
                }
            )*
        }
    };
}

matrix! {
    stampede: "stampede" => load::stampede {
        fault: "20 concurrent commands to one router",
        bad_path: "-",
        good_path: "all succeed; router never sees more than the per-device limits",
    },
    mixed_storm: "mixed-storm" => load::mixed_storm {
        fault: "100 concurrent CLI/NETCONF ops over 5 routers",
        bad_path: "-",
        good_path: "100/100 succeed",
    },
    sustained_bursts: "sustained-bursts" => load::sustained_bursts {
        fault: "10 bursts of 20 ops",
        bad_path: "-",
        good_path: "all succeed; no growth in sessions or memory",
    },
    heavy_fan_out: "heavy-fan-out" => load::heavy_fan_out {
        fault: "large route tables to 5 routers at once",
        bad_path: "-",
        good_path: "every reply complete and correct",
    },
    error_in_session: "error-in-session" => session::error_in_session {
        fault: "bad command and unknown RPC in a borrowed session",
        bad_path: "classified rpc-error returned",
        good_path: "same session healthy: 10 follow-ups succeed, it is returned",
    },
    shutdown_under_load: "shutdown-under-load" => session::shutdown_under_load {
        fault: "shutdown with 50 ops in flight",
        bad_path: "late calls get Closed",
        good_path: "in-flight ops complete; zero sessions left on routers",
    },
    killed_sshd: "killed-sshd" => connect::killed_sshd {
        fault: "sshd killed with pooled sessions, restarted 300 ms later",
        bad_path: "next call after restart succeeds without error",
        good_path: "other routers unaffected",
    },
    refused_port: "refused-port" => connect::refused_port {
        fault: "nothing listens (RST)",
        bad_path: "ConnectRefused in well under 1 s",
        good_path: "parallel calls to healthy routers unaffected",
    },
    auth_failure: "auth-failure" => connect::auth_failure {
        fault: "router rejects the credentials",
        bad_path: "AuthFailed promptly, then CircuitOpen; no retry storm",
        good_path: "other routers unaffected",
    },
    unreachable_host: "unreachable-host" => connect::unreachable_host {
        fault: "connect never completes (blackhole)",
        bad_path: "ConnectTimeout at the bound, then CircuitOpen in ms",
        good_path: "parallel calls to healthy routers unaffected",
    },
    hung_banner_stalled_hello: "hung-banner-stalled-hello" => connect::hung_banner_stalled_hello {
        fault: "TCP accepted but no banner; NETCONF hello withheld",
        bad_path: "ConnectTimeout (ssh-handshake / netconf-hello) at the bounds",
        good_path: "nothing leaked; calls succeed once the fault clears",
    },
    reset_and_slow_reply: "reset-and-slow-reply" => session::reset_and_slow_reply {
        fault: "RST in the middle of a reply; a reply slower than rpc_timeout",
        bad_path: "Transport / RpcTimeout; session discarded, never lent again",
        good_path: "next call gets a fresh session and succeeds",
    },
    silent_idle_drop: "silent-idle-drop" => network::silent_idle_drop {
        fault: "idle connection silently dropped (NAT)",
        bad_path: "keepalives notice within interval x count-max",
        good_path: "next call succeeds on a new connection",
    },
    latency_bandwidth: "latency-bandwidth" => network::latency_bandwidth {
        fault: "latency 50 +- 20 ms round trip, 1 MB/s cap",
        bad_path: "-",
        good_path: "all operations correct; timings reported",
    },
    restart_with_lock: "restart-with-lock" => session::restart_with_lock {
        fault: "router restarts while a session holds the configuration lock",
        bad_path: "the locked session fails and is discarded",
        good_path: "lock not leaked; a new session locks and commits",
    },
    connect_rate_limit: "connect-rate-limit" => connect::connect_rate_limit {
        fault: "router allows 5 new connections a minute",
        bad_path: "-",
        good_path: "pool stays under the limit; no failures",
    },
}

/// What a scenario observed on its bad and good paths, or why it failed.
pub type Obs = Result<(String, String), String>;
/// A running scenario.
pub type ScenarioFuture = Pin<Box<dyn Future<Output = Obs> + Send>>;

/// Lateness of the probe above which the loop counts as blocked.
pub const PROBE_LIMIT_MS: f64 = 100.0;

/// Run one scenario by name (or every scenario for `None`), each bounded in time.
pub async fn run(size: Size, only: Option<&str>) -> Result<Vec<ScenarioResult>, String> {
    let chosen: Vec<&Scenario> = match only {
        None | Some("all") => SCENARIOS.iter().collect(),
        Some(n) => vec![SCENARIOS.iter().find(|s| s.name == n).ok_or_else(|| {
            format!(
                "unknown scenario {n:?}; known: {}",
                SCENARIOS
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?],
    };
    let bound = if size == Size::Full {
        Duration::from_secs(300)
    } else {
        Duration::from_secs(90)
    };
    let mut out = Vec::new();
    for sc in chosen {
        let t = Instant::now();
        let probe = Probe::start();
        let times = Times::default();
        let r = tokio::time::timeout(bound, TIMES.scope(times.clone(), (sc.run)(size))).await;
        let (detect_s, recover_s) = *times
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let p99 = probe.p99().await;
        let (verdict, bad, good, detail) = match r {
            Ok(Ok((bad, good))) if p99 <= PROBE_LIMIT_MS => ("PASS", bad, good, String::new()),
            Ok(Ok((bad, good))) => (
                "FAIL",
                bad,
                good,
                format!("event loop blocked: probe p99 {p99:.1} ms"),
            ),
            Ok(Err(e)) => ("FAIL", String::new(), String::new(), e),
            Err(_) => (
                "FAIL",
                String::new(),
                String::new(),
                format!("scenario did not finish within {bound:?}"),
            ),
        };
        tracing::info!(scenario = sc.name, verdict, "chaos scenario done");
        out.push(ScenarioResult {
            name: sc.name.into(),
            fault: sc.fault.into(),
            verdict,
            bad_path: bad,
            good_path: good,
            probe_p99_ms: p99,
            duration_s: t.elapsed().as_secs_f64(),
            detail,
            detect_s,
            recover_s,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run one scenario at quick sizes and fail with what it observed.
    pub(super) async fn pass(name: &str) {
        let r = run(Size::Quick, Some(name)).await.unwrap();
        let r = &r[0];
        assert_eq!(
            r.verdict, "PASS",
            "{name}: {} (bad path: {}; good path: {}; probe p99 {:.1} ms)",
            r.detail, r.bad_path, r.good_path, r.probe_p99_ms
        );
    }

    #[test]
    fn scenario_names_are_unique() {
        let mut names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SCENARIOS.len());
    }
}
