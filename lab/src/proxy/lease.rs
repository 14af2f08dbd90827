//! An upstream session lent to one client, counted while it is out, and given back clean.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::{EndpointCounters, Shared};

/// An upstream session lent to one client of an endpoint: counted in the endpoint's
/// `leases` for exactly as long as it lives, whichever way it ends.
pub(crate) struct Leased<'a> {
    pub(crate) session: netpool::NetconfGuard,
    counters: &'a EndpointCounters,
    _counted: InGauge<'a>,
}

/// Counts one in a gauge while it lives (a lease lent, a client waiting).
struct InGauge<'a>(&'a AtomicU64);

impl<'a> InGauge<'a> {
    fn new(gauge: &'a AtomicU64) -> Self {
        gauge.fetch_add(1, Relaxed);
        InGauge(gauge)
    }
}

impl Drop for InGauge<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

impl Shared {
    /// Lease an upstream session for a client of `endpoint`: the pool's FIFO wait up to
    /// its checkout timeout, or until the proxy shuts down. A failure is counted and
    /// comes back as the message the client is given.
    pub(crate) async fn lease(&self, endpoint: usize) -> Result<Leased<'_>, String> {
        let ep = &self.endpoints[endpoint];
        let waiting = InGauge::new(&ep.counters.waiting);
        let res = tokio::select! {
            r = self.pool.netconf(&ep.device) => r,
            _ = self.token.cancelled() => return Err("netlab proxy: shutting down".into()),
        };
        drop(waiting);
        match res {
            Ok(session) => Ok(Leased {
                session,
                counters: &ep.counters,
                _counted: InGauge::new(&ep.counters.leases),
            }),
            Err(e) => {
                ep.counters.errors.fetch_add(1, Relaxed);
                tracing::info!(endpoint = %ep.name, "no upstream session for a client: {e}");
                Err(format!("netlab proxy: no upstream session: {e}"))
            }
        }
    }
}

impl Leased<'_> {
    /// Drop the upstream session without cleaning it: its transport failed.
    pub(crate) fn discard(self) {
        self.session.discard();
    }

    /// Hand the session back fit for the next client: cleaned (close-configuration,
    /// discard-changes, unlock) if it holds state, discarded if cleaning fails.
    pub(crate) async fn give_back(self) {
        let Leased {
            mut session,
            counters,
            _counted,
        } = self;
        if session.needs_reset() {
            counters.resets.fetch_add(1, Relaxed);
            if let Err(e) = session.reset().await {
                tracing::info!("upstream session could not be cleaned, discarded: {e}");
                session.discard();
            }
        }
    }
}
