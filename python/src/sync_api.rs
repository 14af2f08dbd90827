//! The blocking classes: every call releases the GIL while it waits, so other Python threads
//! run; on the main thread Ctrl-C interrupts a call within 100 ms and leaks nothing.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::core::Core;
use crate::session::{self, Cell, SessionOp};

/// Many devices, one pool: `cli`, `rpc`, `command`, `configure`, `netconf` sessions and
/// `fan_out`, each call blocking its thread (never the others).
#[pyclass(module = "netpool", frozen)]
pub struct Pool {
    pub(crate) core: Arc<Core>,
}

crate::twins::pool_methods!(Pool, sync, {
    /// Lease a NETCONF session for several RPCs: `with pool.netconf("r1") as nc: ...`.
    fn netconf(&self, py: Python<'_>, device: &Bound<'_, PyAny>) -> PyResult<Py<NetconfSession>> {
        let d = self.core.resolve(py, device)?;
        NetconfSession::lease(py, &self.core, d)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.close(py, 5.0).map(drop)
    }
});

/// A NETCONF session leased from the pool. Leaving the `with` block (or `close()`) hands
/// it back; one that holds the lock or uncommitted changes, or whose RPC was interrupted,
/// is closed instead, never lent again.
#[pyclass(module = "netpool", frozen)]
pub struct NetconfSession {
    core: Arc<Core>,
    device: netpool::Device,
    cell: Cell,
}

impl NetconfSession {
    fn lease(py: Python<'_>, core: &Arc<Core>, d: netpool::Device) -> PyResult<Py<NetconfSession>> {
        let cell = session::empty();
        let obj = Py::new(
            py,
            NetconfSession {
                core: core.clone(),
                device: d.clone(),
                cell: cell.clone(),
            },
        )?;
        let then = obj.clone_ref(py).into_any();
        core.sync(py, session::checkout(core.pool().clone(), d, cell, then))?;
        Ok(obj)
    }

    fn run(&self, py: Python<'_>, op: SessionOp) -> PyResult<Py<PyAny>> {
        self.core
            .sync(py, session::call(&self.cell, &self.device, op))
    }
}

crate::twins::session_methods!(NetconfSession, sync, {
    /// Close a private configuration, discard uncommitted changes and release the lock,
    /// when the session holds any of them: it can then be handed back rather than closed.
    fn reset(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.run(py, SessionOp::Reset)
    }

    /// Whether the session holds the lock, uncommitted changes or a private configuration
    /// (False while an RPC holds the session).
    #[getter]
    fn needs_reset(&self) -> bool {
        session::needs_reset(&self.cell)
    }

    /// Relay a whole `<rpc>` message as a client library wrote it (ncclient does, for
    /// `netpool.ncclient` and `netpool.pyez`); the reply whole, as the device wrote it,
    /// rpc-errors included. `timeout` (seconds) replaces the pool's `rpc_timeout`.
    #[pyo3(signature = (message, timeout=None))]
    fn _relay(&self, py: Python<'_>, message: &str, timeout: Option<f64>) -> PyResult<Py<PyAny>> {
        let timeout = match timeout {
            None => None,
            Some(t) if t.is_finite() && t > 0.0 && t < 1e9 => {
                Some(std::time::Duration::from_secs_f64(t))
            }
            Some(t) => {
                return Err(crate::errors::config_error(
                    py,
                    Some("timeout"),
                    format!("timeout={t}: expected a positive number of seconds"),
                ))
            }
        };
        self.run(py, SessionOp::Relay(message.as_bytes().to_vec(), timeout))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.close(py).map(drop)
    }
});
