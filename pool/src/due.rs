//! When the maintenance sweep next needs to look at a device ([`Due`]), and the guard a
//! connection holds to mark its device due when it ends ([`DueOnDrop`]).

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;

use tokio::time::Instant;

/// When the maintenance sweep next needs to look at one device: the earliest idle or
/// lifetime deadline of what it holds, or now when a connection died or broke. With every
/// device quiet the sweep reads one atomic per device instead of walking its sessions and
/// connections (10,000 idle devices cost the pass about 17 ms a second when it walked
/// them all, profiled with `perf`).
///
/// The sweep resets it to "never" before it looks at the state and lowers it to what it
/// found after, and every event only ever lowers it, so an event during a pass is kept.
pub(crate) struct Due {
    epoch: Instant,
    /// Milliseconds since `epoch`; `u64::MAX` means nothing is pending.
    ms: AtomicU64,
}

impl Due {
    pub(crate) fn new() -> Self {
        Self {
            epoch: Instant::now(),
            ms: AtomicU64::new(0),
        }
    }

    fn ms_of(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.epoch).as_millis() as u64
    }

    /// Something is due at `t` (or earlier).
    pub(crate) fn at(&self, t: Instant) {
        self.ms.fetch_min(self.ms_of(t), SeqCst);
    }

    /// Something is due now: a connection died or broke.
    pub(crate) fn now(&self) {
        self.ms.store(0, SeqCst);
    }

    /// Is anything due by `now`?
    pub(crate) fn is_due(&self, now: Instant) -> bool {
        self.ms.load(SeqCst) <= self.ms_of(now)
    }

    /// Before a pass looks at the state: nothing pending until it says otherwise.
    pub(crate) fn start_pass(&self) {
        self.ms.store(u64::MAX, SeqCst);
    }
}

/// Marks its device due when dropped: held by a connection's russh handler, which russh
/// drops when the connection's task ends, however it ends.
pub(crate) struct DueOnDrop(pub(crate) Arc<Due>);

impl Drop for DueOnDrop {
    fn drop(&mut self) {
        self.0.now();
    }
}
