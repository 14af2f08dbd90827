//! The routing engine's time: a few commands at once (the profile's concurrency), each
//! taking its service time plus any injected delay.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::router::Router;

/// Wait for the routing engine to serve a command: queue on its concurrency, then the
/// profile's service time plus any injected delay.
pub(crate) async fn engine_time(dev: &Router, work: Duration) {
    let extra = Duration::from_millis(dev.inner.control.extra_delay_ms.load(Relaxed));
    let total = work + extra;
    if total.is_zero() {
        return;
    }
    let _permit = dev.inner.engine.acquire().await;
    tokio::time::sleep(total).await;
}
