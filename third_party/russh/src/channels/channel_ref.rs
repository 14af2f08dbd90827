use tokio::sync::mpsc::error::{SendError, TrySendError};
use tokio::sync::mpsc::Sender;

use super::WindowSizeRef;
use crate::ChannelMsg;

/// A handle to the [`super::Channel`]'s to be able to transmit messages
/// to it and update it's `window_size`.
#[derive(Debug)]
pub struct ChannelRef {
    // Boxed messages: the channel's first block of 32 slots is allocated when the
    // channel is made, so a slot's size is paid by every open channel (netpool lab).
    pub(super) sender: Sender<Box<ChannelMsg>>,
    pub(super) window_size: WindowSizeRef,
}

impl ChannelRef {
    pub fn new(sender: Sender<Box<ChannelMsg>>) -> Self {
        Self {
            sender,
            window_size: WindowSizeRef::new(0),
        }
    }

    pub(crate) fn window_size(&self) -> &WindowSizeRef {
        &self.window_size
    }

    /// Send a message to the channel, waiting for room.
    pub async fn send(&self, msg: ChannelMsg) -> Result<(), SendError<ChannelMsg>> {
        self.sender
            .send(Box::new(msg))
            .await
            .map_err(|e| SendError(*e.0))
    }

    /// Send a message to the channel if there is room now.
    pub fn try_send(&self, msg: ChannelMsg) -> Result<(), TrySendError<ChannelMsg>> {
        self.sender.try_send(Box::new(msg)).map_err(|e| match e {
            TrySendError::Full(m) => TrySendError::Full(*m),
            TrySendError::Closed(m) => TrySendError::Closed(*m),
        })
    }
}

impl std::ops::Deref for ChannelRef {
    type Target = Sender<Box<ChannelMsg>>;

    fn deref(&self) -> &Self::Target {
        &self.sender
    }
}
