//! The asyncio classes: every method returns an asyncio future that netpool's runtime
//! completes; the event loop's thread only schedules work, it never waits. Cancelling the
//! awaiting task (or `asyncio.wait_for` timing out) drops the Rust work, and the pool's
//! cancellation safety hands back whatever it held.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::core::Core;
use crate::deliver::Outcome;
use crate::session::{self, Cell, SessionOp};

/// Many devices, one pool, for asyncio: the methods of [`crate::sync_api::Pool`] as
/// awaitables.
#[pyclass(module = "netpool", frozen)]
pub struct AsyncPool {
    core: Arc<Core>,
}

crate::twins::pool_methods!(AsyncPool, future, {
    /// `async with pool.netconf("r1") as nc:`: the session is leased on entry.
    fn netconf(&self, py: Python<'_>, device: &Bound<'_, PyAny>) -> PyResult<AsyncNetconfSession> {
        let d = self.core.resolve(py, device)?;
        Ok(AsyncNetconfSession::new(&self.core, d))
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let me = slf.clone().into_any().unbind();
        slf.get().core.aio(py, async move {
            let out: Outcome = Box::new(move |_py| Ok(me));
            Ok(out)
        })
    }

    #[pyo3(signature = (*_exc))]
    fn __aexit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.close(py, 5.0)
    }
});

/// A NETCONF session leased for several RPCs, for asyncio: `async with pool.netconf(d) as
/// nc: await nc.rpc(...)`. Calls on one session take turns.
#[pyclass(module = "netpool", frozen)]
pub struct AsyncNetconfSession {
    core: Arc<Core>,
    device: netpool::Device,
    cell: Cell,
}

impl AsyncNetconfSession {
    fn new(core: &Arc<Core>, device: netpool::Device) -> Self {
        AsyncNetconfSession {
            core: core.clone(),
            device,
            cell: session::empty(),
        }
    }

    fn run(&self, py: Python<'_>, op: SessionOp) -> PyResult<Py<PyAny>> {
        self.core
            .future(py, session::call(&self.cell, &self.device, op))
    }
}

crate::twins::session_methods!(AsyncNetconfSession, future, {
    /// Lease the session (what `async with` does on entry).
    fn open<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let me = slf.get();
        let fut = session::checkout(
            me.core.pool().clone(),
            me.device.clone(),
            me.cell.clone(),
            slf.clone().into_any().unbind(),
        );
        me.core.aio(py, fut)
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::open(slf)
    }

    #[pyo3(signature = (*_exc))]
    fn __aexit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.close(py)
    }
});
