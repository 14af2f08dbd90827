//! The asyncio classes: every method returns an asyncio future that netpool's runtime
//! completes; the event loop's thread only schedules work, it never waits. Cancelling the
//! awaiting task (or `asyncio.wait_for` timing out) drops the Rust work, and the pool's
//! cancellation safety hands back whatever it held.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::core::{change, Core, FanOp, Format};
use crate::deliver::Outcome;
use crate::session::{self, Cell, Op};
use crate::settings::{pool_setup, Device};
use crate::sync_api::fan_op;

/// Many devices, one pool, for asyncio: the methods of [`crate::sync_api::Pool`] as
/// awaitables.
#[pyclass(module = "netpool", frozen)]
pub struct AsyncPool {
    core: Arc<Core>,
}

#[pymethods]
impl AsyncPool {
    #[new]
    #[pyo3(signature = (inventory=None, devices=None, **settings))]
    fn py_new(
        py: Python<'_>,
        inventory: Option<PathBuf>,
        devices: Option<Vec<Device>>,
        settings: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let (cfg, devices) = pool_setup(py, inventory, devices, settings)?;
        Ok(AsyncPool {
            core: Core::start(py, "netpool.AsyncPool", cfg, devices)?,
        })
    }

    #[getter]
    fn devices(&self) -> Vec<Device> {
        self.core.devices.order.clone()
    }

    fn cli<'py>(
        &self,
        py: Python<'py>,
        device: &Bound<'py, PyAny>,
        command: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let d = self.core.resolve(py, device)?;
        self.core.aio(py, self.core.cli(d, command))
    }

    fn rpc<'py>(
        &self,
        py: Python<'py>,
        device: &Bound<'py, PyAny>,
        xml: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let d = self.core.resolve(py, device)?;
        self.core.aio(py, self.core.rpc(d, xml))
    }

    #[pyo3(signature = (device, command, format="text"))]
    fn command<'py>(
        &self,
        py: Python<'py>,
        device: &Bound<'py, PyAny>,
        command: String,
        format: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let d = self.core.resolve(py, device)?;
        let f = Format::parse(py, format)?;
        self.core.aio(py, self.core.command(d, command, f))
    }

    #[pyo3(signature = (device, config, format="set", action="merge", comment=None))]
    fn configure<'py>(
        &self,
        py: Python<'py>,
        device: &Bound<'py, PyAny>,
        config: String,
        format: &str,
        action: &str,
        comment: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let d = self.core.resolve(py, device)?;
        let c = change(py, config, format, action, comment)?;
        self.core.aio(py, self.core.configure(d, c))
    }

    /// `async with pool.netconf("r1") as nc:`: the session is leased on entry.
    fn netconf(&self, py: Python<'_>, device: &Bound<'_, PyAny>) -> PyResult<AsyncNetconfSession> {
        let d = self.core.resolve(py, device)?;
        Ok(AsyncNetconfSession::new(&self.core, d))
    }

    #[pyo3(signature = (command, devices=None, *, transport="cli", format="text", concurrency=16))]
    fn fan_out<'py>(
        &self,
        py: Python<'py>,
        command: &str,
        devices: Option<&Bound<'py, PyAny>>,
        transport: &str,
        format: &str,
        concurrency: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let op = fan_op(py, command, transport, format)?;
        let targets = self.core.targets(py, devices)?;
        self.core
            .aio(py, self.core.fan_out(targets, op, concurrency))
    }

    #[pyo3(signature = (xml, devices=None, *, concurrency=16))]
    fn fan_out_rpc<'py>(
        &self,
        py: Python<'py>,
        xml: &str,
        devices: Option<&Bound<'py, PyAny>>,
        concurrency: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let targets = self.core.targets(py, devices)?;
        self.core.aio(
            py,
            self.core
                .fan_out(targets, FanOp::Rpc(xml.into()), concurrency),
        )
    }

    #[pyo3(signature = (device, connections=1))]
    fn prewarm<'py>(
        &self,
        py: Python<'py>,
        device: &Bound<'py, PyAny>,
        connections: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let d = self.core.resolve(py, device)?;
        self.core.aio(py, self.core.prewarm(d, connections))
    }

    fn stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.core.stats(py)
    }

    #[pyo3(signature = (grace=5.0))]
    fn close<'py>(&self, py: Python<'py>, grace: f64) -> PyResult<Bound<'py, PyAny>> {
        self.core.aio(py, self.core.close(grace))
    }

    #[getter]
    fn closed(&self) -> bool {
        self.core.pool().is_closed()
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
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.close(py, 5.0)
    }

    fn __repr__(&self) -> String {
        format!(
            "netpool.AsyncPool(devices={})",
            self.core.devices.order.len()
        )
    }
}

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

    fn run<'py>(&self, py: Python<'py>, op: Op) -> PyResult<Bound<'py, PyAny>> {
        self.core
            .aio(py, session::call(&self.cell, &self.device, op))
    }
}

#[pymethods]
impl AsyncNetconfSession {
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

    fn rpc<'py>(&self, py: Python<'py>, xml: String) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, Op::Rpc(xml))
    }

    #[pyo3(signature = (command, format="text"))]
    fn command<'py>(
        &self,
        py: Python<'py>,
        command: String,
        format: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let f = Format::parse(py, format)?;
        self.run(py, Op::Command(command, f))
    }

    #[pyo3(signature = (source="running", filter=None))]
    fn get_config<'py>(
        &self,
        py: Python<'py>,
        source: &str,
        filter: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let s = session::datastore(py, source)?;
        self.run(py, Op::GetConfig(s, filter))
    }

    fn lock<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, Op::Lock)
    }

    fn unlock<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, Op::Unlock)
    }

    #[pyo3(signature = (config, format="set", action="merge"))]
    fn load<'py>(
        &self,
        py: Python<'py>,
        config: String,
        format: &str,
        action: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = change(py, config, format, action, None)?;
        self.run(py, Op::Load(c))
    }

    #[pyo3(signature = (comment=None))]
    fn commit<'py>(&self, py: Python<'py>, comment: Option<String>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, Op::Commit(comment))
    }

    fn commit_check<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, Op::CommitCheck)
    }

    fn discard_changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, Op::DiscardChanges)
    }

    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.core.aio(py, session::release(&self.cell, false))
    }

    fn discard<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.core.aio(py, session::release(&self.cell, true))
    }

    #[getter]
    fn session_id(&self) -> Option<u32> {
        session::describe(&self.cell).0
    }

    #[getter]
    fn capabilities(&self) -> Vec<String> {
        session::describe(&self.cell).1
    }

    #[getter]
    fn device(&self) -> &str {
        self.device.label()
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::open(slf)
    }

    #[pyo3(signature = (*_exc))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.close(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "AsyncNetconfSession({}, session_id={:?})",
            self.device.label(),
            self.session_id()
        )
    }
}
