//! The TCP stream of one simulated SSH connection, with the device's faults built in:
//! `kill` makes it fail at once (as `kill -9 sshd` would), `stall` makes it stop moving.

use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::fleet::Control;

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
