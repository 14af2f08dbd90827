//! A NETCONF session leased from the pool for several RPCs: the operations written once,
//! for [`crate::sync_api::NetconfSession`] and [`crate::async_api::AsyncNetconfSession`].

use std::future::Future;
use std::sync::Arc;

use pyo3::prelude::*;

use crate::core::{Format, InRuntime};
use crate::deliver::{value, Outcome};
use crate::errors::Failure;

/// The leased guard, or nothing once released. Dropped inside the runtime, so that a
/// session the garbage collector finds still leased goes back to the pool (or is closed).
pub type Cell = Arc<InRuntime<tokio::sync::Mutex<Option<netpool::NetconfGuard>>>>;

pub fn empty() -> Cell {
    Arc::new(InRuntime::new(tokio::sync::Mutex::new(None)))
}

/// What can be asked of a leased session.
pub enum SessionOp {
    Rpc(String),
    Command(String, Format),
    GetConfig(netpool::Datastore, Option<String>),
    Lock,
    Unlock,
    Load(netpool::ConfigChange),
    Commit(Option<String>),
    CommitCheck,
    DiscardChanges,
    /// A whole `<rpc>` as a client library wrote it (ncclient), relayed as written; the
    /// reply comes back whole, rpc-errors included, bounded by the timeout when given.
    Relay(Vec<u8>, Option<std::time::Duration>),
    /// Close a private configuration, discard changes and unlock: the session is then
    /// fit for its next borrower.
    Reset,
}

impl SessionOp {
    async fn run(
        self,
        g: &mut netpool::NetconfGuard,
        device: &netpool::Device,
    ) -> netpool::Result<Outcome> {
        Ok(match self {
            SessionOp::Rpc(x) => value(g.rpc(&x).await?.root.to_xml()),
            SessionOp::Command(c, f) => value(f.run(g, &c).await?),
            SessionOp::GetConfig(src, filter) => {
                value(g.get_config(src, filter.as_deref()).await?.root.to_xml())
            }
            SessionOp::Lock => value(g.lock().await?),
            SessionOp::Unlock => value(g.unlock().await?),
            SessionOp::Load(c) => value(g.load(&c).await?.root.to_xml()),
            SessionOp::Commit(comment) => {
                value(g.commit(comment.as_deref()).await?.reply.root.to_xml())
            }
            SessionOp::CommitCheck => value(g.commit_check().await?.root.to_xml()),
            SessionOp::DiscardChanges => value(g.discard_changes().await?),
            SessionOp::Relay(doc, timeout) => value(relay(g, device, &doc, timeout).await?),
            SessionOp::Reset => {
                if g.needs_reset() {
                    g.reset().await?;
                }
                value(())
            }
        })
    }
}

/// Relay `doc` (a whole `<rpc>`); the reply as the device wrote it.
async fn relay(
    g: &mut netpool::NetconfGuard,
    device: &netpool::Device,
    doc: &[u8],
    timeout: Option<std::time::Duration>,
) -> netpool::Result<String> {
    let label = device.label().to_string();
    let rpc = netconf_wire::Rpc::parse_head(doc).map_err(|e| netpool::Error::InvalidRequest {
        device: label.clone(),
        detail: format!("not an <rpc>: {e}"),
    })?;
    let reply = match timeout {
        Some(t) => g.relay_within(&rpc, doc, t).await?,
        None => g.relay(&rpc, doc).await?,
    };
    String::from_utf8(reply.to_vec()).map_err(|e| netpool::Error::Protocol {
        device: label,
        detail: format!("the reply is not UTF-8: {e}"),
    })
}

/// Run `op` on the leased session (calls on one session take turns).
pub fn call(
    cell: &Cell,
    device: &netpool::Device,
    op: SessionOp,
) -> impl Future<Output = Result<Outcome, Failure>> + Send + 'static {
    let cell = cell.clone();
    let device = device.clone();
    async move {
        let mut slot = cell.get().lock().await;
        let g = slot.as_mut().ok_or(Failure::Released("NETCONF session"))?;
        op.run(g, &device).await.map_err(Failure::at(&device))
    }
}

/// Check a session out of `pool` into `cell`; the outcome is `then` (the Python session
/// object, for `__aenter__`).
pub async fn checkout(
    pool: netpool::Pool,
    device: netpool::Device,
    cell: Cell,
    then: Py<PyAny>,
) -> Result<Outcome, Failure> {
    let g = pool.netconf(&device).await.map_err(Failure::at(&device))?;
    let old = cell.get().lock().await.replace(g);
    drop(old);
    let out: Outcome = Box::new(move |_py| Ok(then));
    Ok(out)
}

/// Hand the session back (or close it, with `discard`, or when its state says so).
pub fn release(
    cell: &Cell,
    discard: bool,
) -> impl Future<Output = Result<Outcome, Failure>> + Send + 'static {
    let cell = cell.clone();
    async move {
        let g = cell.get().lock().await.take();
        if let Some(g) = g {
            if discard {
                g.discard();
            } else {
                drop(g);
            }
        }
        Ok(value(()))
    }
}

/// The session-id and capabilities of a leased session, without waiting: `None` while
/// an RPC holds it.
pub fn describe(cell: &Cell) -> (Option<u32>, Vec<String>) {
    match cell.get().try_lock() {
        Ok(g) => match g.as_ref() {
            Some(g) => (g.session_id(), g.capabilities().to_vec()),
            None => (None, Vec::new()),
        },
        Err(_) => (None, Vec::new()),
    }
}

/// Whether the leased session would need a reset before its next borrower (false while
/// an RPC holds it, or once released).
pub fn needs_reset(cell: &Cell) -> bool {
    cell.get()
        .try_lock()
        .is_ok_and(|g| g.as_ref().is_some_and(|g| g.needs_reset()))
}

pub fn datastore(py: Python<'_>, source: &str) -> PyResult<netpool::Datastore> {
    match source {
        "running" => Ok(netpool::Datastore::Running),
        "candidate" => Ok(netpool::Datastore::Candidate),
        _ => Err(crate::errors::config_error(
            py,
            Some("source"),
            format!("source={source:?}: expected running or candidate"),
        )),
    }
}
