//! The background maintenance task. It holds only a weak reference to the pool, so
//! dropping the last `Pool` handle ends it.

use std::sync::Weak;
use std::time::Duration;

use crate::pool::PoolInner;

pub(crate) async fn run(pool: Weak<PoolInner>, period: Duration) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(inner) = pool.upgrade() else { break };
        if inner.closed.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        inner.maintain();
    }
}
