//! A reserved channel on a pooled SSH connection (the unique level of the pool; the
//! connection itself is shared).

use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::ssh::SshConn;

/// Where a channel goes back when its permit is dropped (a device's share of the pool).
pub(crate) trait ChannelHome: Send + Sync {
    /// The runtime that owns the connection, for the close handshake after a drop.
    fn runtime(&self) -> tokio::runtime::Handle;
    /// A channel was freed; `connection_idle`: it was the connection's last one.
    fn channel_released(&self, connection_idle: bool);
}

/// The right to one channel on a connection. Dropping it frees the channel.
///
/// A channel dropped before the server closed it (a cancelled open, a discarded session)
/// is freed only after an SSH ping round trip: russh sends the channel's close from a
/// spawned task, and reusing the channel before the server has processed that close would
/// exceed the server's per-connection channel limit (Junos and OpenSSH: 10).
pub(crate) struct ChannelPermit {
    pub(crate) conn: Arc<SshConn>,
    home: Weak<dyn ChannelHome>,
    /// A channel was opened on this permit and the server has not been seen closing it: on
    /// drop, wait for the server to process our close before reusing the channel.
    pub(crate) needs_close_ack: bool,
}

impl ChannelPermit {
    /// A permit for a channel already counted in `conn.channels`.
    pub(crate) fn new<H: ChannelHome + 'static>(conn: Arc<SshConn>, home: &Arc<H>) -> Self {
        let home: Weak<H> = Arc::downgrade(home);
        Self {
            conn,
            home,
            needs_close_ack: false,
        }
    }
}

fn release_channel(conn: &SshConn, home: &Weak<dyn ChannelHome>) {
    let was = conn.channels.fetch_sub(1, SeqCst);
    if let Some(h) = home.upgrade() {
        h.channel_released(was == 1);
    }
}

impl Drop for ChannelPermit {
    fn drop(&mut self) {
        if !self.needs_close_ack || self.conn.is_dead() {
            return release_channel(&self.conn, &self.home);
        }
        match self
            .home
            .upgrade()
            .map(|h| h.runtime())
            .ok_or(())
            .or_else(|_| tokio::runtime::Handle::try_current().map_err(|_| ()))
        {
            Ok(rt) => {
                let (conn, home) = (self.conn.clone(), self.home.clone());
                rt.spawn(async move {
                    // Let russh's close-on-drop task send CHANNEL_CLOSE first, then make
                    // sure the server has read it before the channel is reused.
                    tokio::task::yield_now().await;
                    let _ =
                        tokio::time::timeout(Duration::from_secs(1), conn.handle.send_ping()).await;
                    release_channel(&conn, &home);
                });
            }
            Err(_) => release_channel(&self.conn, &self.home),
        }
    }
}
