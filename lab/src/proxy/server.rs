//! The proxy's SSH server: the core the simulated routers use ([`junos_sim::sshd`]), with
//! the proxy's own credentials, giving each channel to the NETCONF relay, the exec runner
//! or the shell.

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use junos_sim::sshd::{self, Credential, Event, HeldChannel, Request};
use russh::server::Msg;
use russh::Channel;
use tokio::net::TcpStream;

use super::Shared;

/// One endpoint as an SSH service.
pub(super) struct Endpoint {
    pub(super) shared: Arc<Shared>,
    pub(super) endpoint: usize,
}

impl sshd::Service for Endpoint {
    type Stream = TcpStream;

    fn wrap(&self, sock: TcpStream) -> TcpStream {
        sock
    }

    fn limits(&self) -> &sshd::Limits {
        &self.shared.ssh_limits
    }

    fn gate(&self) -> &sshd::Gate {
        &self.shared.endpoints[self.endpoint].gate
    }

    fn allows(&self, user: &str, cred: Credential<'_>) -> bool {
        user == self.shared.endpoints[self.endpoint].device.user()
            && match cred {
                Credential::Password(p) => self
                    .shared
                    .client_password
                    .as_deref()
                    .is_some_and(|ours| sshd::password_matches(ours, p)),
                Credential::Key(k) => self
                    .shared
                    .authorized_keys
                    .iter()
                    .any(|a| a.key_data() == k.key_data()),
            }
    }

    fn channel(&self, _user: &str, channel: Channel<Msg>, held: HeldChannel) {
        let shared = self.shared.clone();
        let endpoint = self.endpoint;
        // Spawned as it is: an `async move` block around it would hold the future twice.
        tokio::spawn(serve_channel(shared, endpoint, channel, held));
    }

    fn event(&self, event: Event, peer: SocketAddr) {
        let ep = &self.shared.endpoints[self.endpoint];
        let c = &ep.counters;
        match event {
            Event::Accepted => c.client_connections.fetch_add(1, Relaxed),
            Event::Opened => c.clients.fetch_add(1, Relaxed),
            Event::Closed => c.clients.fetch_sub(1, Relaxed),
            Event::LoginFailed => {
                tracing::info!(endpoint = %ep.name, %peer, "client login refused");
                c.auth_failures.fetch_add(1, Relaxed)
            }
            Event::Refused(why) => {
                tracing::info!(endpoint = %ep.name, %peer, "client connection closed at accept: {why:?} limit");
                c.refused.fetch_add(1, Relaxed)
            }
            Event::HandshakeTimeout | Event::LoginGraceExpired => {
                tracing::info!(endpoint = %ep.name, %peer, "client cut before login: {event:?}");
                c.cut_pre_auth.fetch_add(1, Relaxed)
            }
            Event::ChannelRefused => c.channels_refused.fetch_add(1, Relaxed),
            Event::LoginOk | Event::ChannelOpened => 0,
        };
    }
}

/// One client channel: its first request decides what it carries, as on Junos.
async fn serve_channel(
    shared: Arc<Shared>,
    endpoint: usize,
    mut channel: Channel<Msg>,
    _held: HeldChannel,
) {
    let request = tokio::select! {
        r = sshd::first_request(&mut channel) => r,
        _ = shared.token.cancelled() => return,
    };
    match request {
        Some(Request::Netconf { .. }) => super::netconf::serve(&shared, endpoint, channel).await,
        // The shell's futures are boxed: this task's size is the largest future it
        // awaits, and every idle NETCONF client holds one.
        Some(Request::Command(command)) => {
            Box::pin(super::shell::exec(&shared, endpoint, channel, &command)).await
        }
        Some(Request::Shell { pty }) => {
            Box::pin(super::shell::serve(&shared, endpoint, channel, pty)).await
        }
        None => {}
    }
}
