//! The client NETCONF sessions the proxy handed out, for `kill-session`.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

/// Client session-ids the proxy handed out, with the upstream session each one leases
/// (for `kill-session`).
#[derive(Default)]
pub(crate) struct Sessions {
    next: AtomicU32,
    live: Mutex<std::collections::HashMap<u32, Live>>,
}

/// A client NETCONF session of the proxy: its endpoint, and the token `kill-session`
/// cancels to end it.
#[derive(Clone)]
pub(crate) struct Live {
    endpoint: usize,
    kill: CancellationToken,
}

impl Sessions {
    /// Register a client session of `endpoint`: its id, and the token that ends it.
    pub(crate) fn open(&self, endpoint: usize) -> (u32, CancellationToken) {
        let id = self.next.fetch_add(1, Relaxed) + 1;
        let kill = CancellationToken::new();
        self.lock().insert(
            id,
            Live {
                endpoint,
                kill: kill.clone(),
            },
        );
        (id, kill)
    }

    /// Called once the session's lease is back in the pool (cleaned or discarded).
    pub(crate) fn close(&self, id: u32) {
        self.lock().remove(&id);
    }

    /// End client session `id` of `endpoint`, as Junos's kill-session ends the session it
    /// names. False if no such live session: an id the proxy never gave out, one that
    /// ended, or one of another endpoint.
    pub(crate) fn kill(&self, endpoint: usize, id: u32) -> bool {
        match self.lock().get(&id).filter(|l| l.endpoint == endpoint) {
            Some(l) => {
                l.kill.cancel();
                true
            }
            None => false,
        }
    }

    /// Whether client session `id` is still registered (its lease not yet back).
    pub(crate) fn is_live(&self, id: u32) -> bool {
        self.lock().contains_key(&id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<u32, Live>> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_map_to_their_endpoint_only() {
        let s = Sessions::default();
        let (a, ka) = s.open(0);
        let (b, kb) = s.open(1);
        assert_ne!(a, b);
        assert!(!s.kill(1, a), "another endpoint's session");
        assert!(!ka.is_cancelled());
        assert!(!s.kill(0, 9999), "an id never given out");
        assert!(s.kill(0, a));
        assert!(ka.is_cancelled() && !kb.is_cancelled());
        assert!(s.is_live(a), "live until its lease is back");
        s.close(a);
        assert!(!s.is_live(a));
        assert!(!s.kill(0, a), "an ended session");
    }
}
