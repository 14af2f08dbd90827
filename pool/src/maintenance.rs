//! The background maintenance task: retire idle, old and dead sessions and connections, and
//! keep `min_idle_connections` open. A pass looks only at the devices with something due
//! (see [`crate::due::Due`]). It holds only a weak reference to the pool, so
//! dropping the last `Pool` handle ends it.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::time::Instant;

use crate::inner::PoolInner;
use crate::slot::Sweep;

pub(crate) async fn run(pool: Weak<PoolInner>, period: Duration) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut pruned = Instant::now();
    loop {
        tick.tick().await;
        let Some(inner) = pool.upgrade() else { break };
        if inner.closed.load(Relaxed) {
            break;
        }
        inner.maintain();
        // Devices the pool has not used for `forget_device_after` go too (kept while
        // min_idle_connections asks for prewarming). That looks at every device, so not
        // on every pass.
        let every = PRUNE_EVERY.min(inner.config.forget_device_after);
        if inner.config.min_idle_connections == 0 && pruned.elapsed() >= every {
            inner.prune_slots();
            pruned = Instant::now();
        }
    }
}

/// How often devices with nothing in the pool are looked for, at most (they go after
/// `forget_device_after`).
const PRUNE_EVERY: Duration = Duration::from_secs(10);

impl PoolInner {
    /// One maintenance pass over every device: its decisions are the slot's
    /// ([`crate::slot::SlotState::sweep`]); here they are carried out.
    pub(crate) fn maintain(self: &Arc<Self>) {
        let up = self.upkeep();
        for slot in self.due_slots(Instant::now()) {
            let Sweep {
                close: to_close,
                disconnect: to_disconnect,
                prewarm,
                next,
            } = {
                let mut st = slot.state();
                slot.due.start_pass();
                st.sweep(up, slot.device.label(), self.closed.load(Relaxed))
            };
            if let Some(t) = next {
                slot.due.at(t);
            }
            if up.min_idle_connections > 0 {
                // Keeping connections open is looked at on every pass.
                slot.due.now();
            }
            let device = slot.device.clone();
            if !to_close.is_empty() || !to_disconnect.is_empty() {
                tokio::spawn(async move {
                    futures::future::join_all(
                        to_close
                            .into_iter()
                            .map(|s| s.close(&device, Duration::from_millis(500))),
                    )
                    .await;
                    futures::future::join_all(to_disconnect.iter().map(|c| c.disconnect())).await;
                });
            }
            for _ in 0..prewarm {
                let pool = self.clone();
                let slot = slot.clone();
                tokio::spawn(async move {
                    // connect() expects `connecting` already counted, as it is.
                    let _ = pool.connect(&slot).await;
                });
            }
        }
    }
}
