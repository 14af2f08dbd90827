//! What a channel task knows about its connection, and the connection's open channels.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use russh::ChannelId;

use crate::device::Device;
use crate::sync::lock;

/// What a channel task knows about its connection.
pub(crate) struct ChannelCtx {
    pub(crate) dev: Device,
    pub(crate) user: String,
    open: OpenChannels,
    id: ChannelId,
}

impl ChannelCtx {
    pub(crate) fn new(dev: Device, user: String, open: OpenChannels, id: ChannelId) -> Self {
        Self {
            dev,
            user,
            open,
            id,
        }
    }
}

impl Drop for ChannelCtx {
    fn drop(&mut self) {
        self.open.remove(self.id, &self.dev);
    }
}

/// The channels open on one connection. A channel stops counting against the
/// per-connection limit when the client's close arrives (as OpenSSH and Junos do) or when
/// its task ends, whichever comes first.
#[derive(Clone, Default)]
pub(crate) struct OpenChannels(Arc<std::sync::Mutex<std::collections::HashSet<ChannelId>>>);

impl OpenChannels {
    pub(crate) fn len(&self) -> usize {
        lock(&self.0).len()
    }

    pub(crate) fn insert(&self, id: ChannelId, dev: &Device) {
        if lock(&self.0).insert(id) {
            dev.inner.counters.channels_open.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn remove(&self, id: ChannelId, dev: &Device) {
        if lock(&self.0).remove(&id) {
            dev.inner.counters.channels_open.fetch_sub(1, Relaxed);
        }
    }
}
