//! Cancellation at every await point under every fault: nothing leaks.

use std::time::Duration;

use junos_sim::{DeviceConfig, Timing};
use netpool::Pool;
use netpool_tests::*;

/// A fault applied to the single simulated router before the cancelled call.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Everything answers at once.
    None,
    /// The listener is gone: connect is refused.
    Refused,
    /// TCP accepted, nothing sent: banner / hello / RPC never come.
    Stalled,
    /// Authentication is refused.
    AuthRejected,
    /// Authentication takes 30 ms.
    SlowAuth,
    /// Every command takes 40 ms.
    SlowRpc,
}

const FAULTS: [Fault; 6] = [
    Fault::None,
    Fault::Refused,
    Fault::Stalled,
    Fault::AuthRejected,
    Fault::SlowAuth,
    Fault::SlowRpc,
];
const CANCEL_AFTER_MS: [u64; 6] = [0, 1, 2, 5, 20, 80];

async fn apply(fault: Fault, r: &junos_sim::Router) {
    match fault {
        Fault::None | Fault::SlowAuth => {}
        Fault::Refused => r.kill(),
        Fault::Stalled => r.set_stalled(true),
        Fault::AuthRejected => r.set_refuse_auth(true),
        Fault::SlowRpc => r.set_extra_delay(Duration::from_millis(40)),
    }
}

async fn clear(r: &junos_sim::Router) {
    r.set_stalled(false);
    r.set_refuse_auth(false);
    r.set_extra_delay(Duration::ZERO);
    r.restart().await.unwrap();
}

/// deadpool's managed_cancellation, for a network pool: every fault at connect, auth,
/// health check and RPC, with the caller's future dropped at different points; afterwards
/// no lease, waiter or session is left behind, and the next call succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_calls_never_leak_under_any_fault() {
    for fault in FAULTS {
        for warm in [false, true] {
            for cancel_ms in CANCEL_AFTER_MS {
                let mut dc = DeviceConfig::default();
                if let Fault::SlowAuth = fault {
                    dc.timing = Timing {
                        auth_delay: Duration::from_millis(30),
                        ..Timing::instant()
                    };
                }
                let fleet = fleet_with(1, dc).await;
                let r1 = fleet.devices()[0].clone();
                let mut cfg = config_for(&fleet);
                cfg.max_connections_per_device = 1;
                cfg.channels_per_connection = 2;
                cfg.connect_timeout = Duration::from_millis(300);
                cfg.session_open_timeout = Duration::from_millis(300);
                cfg.rpc_timeout = Duration::from_millis(300);
                cfg.health_check_after = Duration::ZERO; // every reuse is health-checked
                cfg.health_check_timeout = Duration::from_millis(100);
                cfg.connect_retries = 0;
                cfg.breaker_threshold = 0;
                let pool = Pool::new(cfg).unwrap();
                let dev = device(&r1);
                if warm {
                    drop(pool.netconf(&dev).await.unwrap());
                }
                apply(fault, &r1).await;
                let ctx = format!("fault {fault:?}, warm {warm}, cancelled after {cancel_ms} ms");
                // Two concurrent callers, both cancelled: one NETCONF, one CLI.
                let a = tokio::time::timeout(Duration::from_millis(cancel_ms), async {
                    let mut g = pool.netconf(&dev).await?;
                    g.command("show version").await
                });
                let b = tokio::time::timeout(
                    Duration::from_millis(cancel_ms),
                    pool.cli(&dev, "show version"),
                );
                let _ = tokio::join!(a, b);
                // Connects the cancelled callers started go on in the background (so no
                // half-open connection is left); let them settle before lifting the fault.
                assert_eventually!(
                    Duration::from_secs(3),
                    || pool.stats()[0].connecting == 0,
                    "{ctx}: connect never settled"
                );
                clear(&r1).await;
                assert_eventually!(
                    Duration::from_secs(3),
                    || {
                        let s = &pool.stats()[0];
                        s.in_use == 0 && s.waiting == 0
                    },
                    "{ctx}: leases left: {:?}",
                    pool.stats()
                );
                // The pool recovers: dead sessions are replaced without an error.
                let mut g = tokio::time::timeout(Duration::from_secs(5), pool.netconf(&dev))
                    .await
                    .unwrap_or_else(|_| panic!("{ctx}: checkout hung"))
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                g.command("show version")
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                drop(g);
                pool.cli(&dev, "show version")
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                let s = &pool.stats()[0];
                assert!(s.channels <= 2 && s.connections <= 1, "{ctx}: {s:?}");
                pool.shutdown(Duration::from_secs(1)).await;
                assert_eventually!(
                    Duration::from_secs(3),
                    || r1.counters().sessions_open == 0,
                    "{ctx}: sessions left open on the router: {:?}",
                    r1.counters()
                );
            }
        }
    }
}
