//! Faults of a simulated device: the control switches and the handle's fault methods, and
//! the TCP stream of one SSH connection with the faults built in: `kill` makes it fail at
//! once (as `kill -9 sshd` would), `stall` makes it stop moving.

use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::task::{Context, Poll};

use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::router::{Control, Router};
use crate::sync::lock;

/// The control handle: faults injected into a running device.
impl Router {
    /// Fault: drop every session and close the listeners at once, as `kill -9 sshd`.
    /// Connects are refused (RST) until [`Router::restart`].
    pub fn kill(&self) {
        let token = lock(&self.inner.kill).clone();
        token.cancel();
        tracing::info!(device = %self.hostname(), "fault: killed");
    }

    /// Listen again on the same addresses after [`Router::kill`]. Configuration survives;
    /// locks and candidate changes of dead sessions are gone.
    pub async fn restart(&self) -> std::io::Result<()> {
        {
            let mut k = lock(&self.inner.kill);
            if !k.is_cancelled() {
                return Ok(());
            }
            *k = CancellationToken::new();
            *lock(&self.inner.halt) = CancellationToken::new();
        }
        self.bind_within(Duration::from_secs(2)).await?;
        tracing::info!(device = %self.hostname(), "restarted");
        Ok(())
    }

    /// Fault: reject every authentication (wrong-password behaviour for everyone).
    pub fn set_refuse_auth(&self, on: bool) {
        self.inner.control.refuse_auth.store(on, Relaxed);
    }

    /// Fault: refuse every exec request (as a device that does not let this user run
    /// commands over exec would); channels still open.
    pub fn set_refuse_exec(&self, on: bool) {
        self.inner.control.refuse_exec.store(on, Relaxed);
    }

    /// Fault: stop reading and writing on every connection (and new ones), without closing.
    pub fn set_stalled(&self, on: bool) {
        self.inner.control.stalled.store(on, Relaxed);
    }

    /// Fault: add this delay to every command and RPC.
    pub fn set_extra_delay(&self, d: Duration) {
        self.inner
            .control
            .extra_delay_ms
            .store(d.as_millis() as u64, Relaxed);
    }

    /// Fault: hold every new NETCONF session's hello back this long (a stalled hello).
    pub fn set_hello_delay(&self, d: Duration) {
        self.inner
            .control
            .hello_delay_ms
            .store(d.as_millis() as u64, Relaxed);
    }
}

pub(crate) struct FaultyStream {
    inner: Option<TcpStream>,
    killed: Pin<Box<WaitForCancellationFutureOwned>>,
    control: Arc<Control>,
}

impl FaultyStream {
    pub(crate) fn new(inner: TcpStream, kill: CancellationToken, control: Arc<Control>) -> Self {
        Self {
            inner: Some(inner),
            killed: Box::pin(kill.cancelled_owned()),
            control,
        }
    }

    /// Ok(stream) to go on; Err(poll result) when killed or stalled.
    fn check(&mut self, cx: &mut Context<'_>) -> Result<Pin<&mut TcpStream>, io::Error> {
        if self.killed.as_mut().poll(cx).is_ready() {
            if let Some(s) = self.inner.take() {
                // RST, not FIN: a killed process's sockets are reset by the kernel when peers write.
                let _ = s.set_zero_linger();
            }
        }
        match self.inner.as_mut() {
            Some(s) => Ok(Pin::new(s)),
            None => Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "device killed",
            )),
        }
    }

    fn stalled(&self, cx: &mut Context<'_>) -> bool {
        if self.control.stalled.load(Relaxed) {
            // Re-check periodically: stall is a flag, not an event.
            let waker = cx.waker().clone();
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                waker.wake();
            });
            return true;
        }
        false
    }
}

use std::future::Future as _;

impl FaultyStream {
    /// The stream to move data on, an error once killed, or Pending while stalled.
    fn live(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Pin<&mut TcpStream>>> {
        if let Err(e) = self.check(cx) {
            return Poll::Ready(Err(e));
        }
        if self.stalled(cx) {
            return Poll::Pending;
        }
        Poll::Ready(self.check(cx))
    }
}

impl AsyncRead for FaultyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.live(cx) {
            Poll::Ready(Ok(s)) => s.poll_read(cx, buf),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for FaultyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.live(cx) {
            Poll::Ready(Ok(s)) => s.poll_write(cx, data),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.check(cx) {
            Ok(s) => s.poll_flush(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.check(cx) {
            Ok(s) => s.poll_shutdown(cx),
            Err(_) => Poll::Ready(Ok(())),
        }
    }
}
