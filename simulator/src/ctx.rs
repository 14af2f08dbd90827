//! What a channel task knows about its connection.

use std::sync::atomic::Ordering::Relaxed;

use crate::router::Router;
use crate::sshd::HeldChannel;

/// What a channel task knows about its connection. The channel counts against its
/// connection's channel limit, and in the device's `channels_open`, while this lives.
pub(crate) struct ChannelCtx {
    pub(crate) dev: Router,
    pub(crate) user: String,
    _held: HeldChannel,
}

impl ChannelCtx {
    pub(crate) fn new(dev: Router, user: String, held: HeldChannel) -> Self {
        Self {
            dev,
            user,
            _held: held,
        }
    }
}

impl Drop for ChannelCtx {
    fn drop(&mut self) {
        self.dev.inner.counters.channels_open.fetch_sub(1, Relaxed);
    }
}
