//! Spawning a session's task without doubling its size (netpool lab, see PATCHES.md).
//!
//! `russh_util::runtime::spawn` wraps the future in `async { let r = future.await; ... }`.
//! That block keeps the future it captured and the future it awaits in separate places,
//! so the spawned task was twice the session's future (13,696 bytes for a 6,784-byte
//! server session). `FutureExt::map` runs the send inside the same future instead.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::FutureExt;
use russh_util::runtime::JoinError;
use tokio::sync::oneshot;

/// The end of a spawned session task: its result, or [`JoinError`] if the task was lost.
pub(crate) struct SessionTask<T>(oneshot::Receiver<T>);

/// Spawn `future` on the current tokio runtime; its result comes back through the
/// returned [`SessionTask`].
pub(crate) fn spawn<F>(future: F) -> SessionTask<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    drop(tokio::spawn(future.map(move |result| {
        let _ = tx.send(result);
    })));
    SessionTask(rx)
}

impl<T> Future for SessionTask<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|r| r.map_err(|_| JoinError))
    }
}
