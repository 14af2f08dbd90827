//! The blocking classes: every call releases the GIL while it waits, so other Python threads
//! run; on the main thread Ctrl-C interrupts a call within 100 ms and leaks nothing.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::core::{change, Core, FanOp, Format};
use crate::session::{self, Cell, Op};
use crate::settings::{pool_setup, Device};

/// Many devices, one pool: `cli`, `rpc`, `command`, `configure`, `netconf` sessions and
/// `fan_out`, each call blocking its thread (never the others).
#[pyclass(module = "netpool", frozen)]
pub struct Pool {
    pub(crate) core: Arc<Core>,
}

#[pymethods]
impl Pool {
    #[new]
    #[pyo3(signature = (inventory=None, devices=None, **settings))]
    fn py_new(
        py: Python<'_>,
        inventory: Option<PathBuf>,
        devices: Option<Vec<Device>>,
        settings: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let (cfg, devices) = pool_setup(py, inventory, devices, settings)?;
        Ok(Pool {
            core: Core::start(py, "netpool.Pool", cfg, devices)?,
        })
    }

    /// The devices the pool knows (from the inventory and `devices=`), in order.
    #[getter]
    fn devices(&self) -> Vec<Device> {
        self.core.devices.order.clone()
    }

    /// Run one CLI command over an exec channel of a pooled SSH connection.
    fn cli(
        &self,
        py: Python<'_>,
        device: &Bound<'_, PyAny>,
        command: String,
    ) -> PyResult<Py<PyAny>> {
        let d = self.core.resolve(py, device)?;
        self.core.sync(py, self.core.cli(d, command))
    }

    /// Send one NETCONF RPC (the operation element) on a pooled session; the reply's XML.
    fn rpc(&self, py: Python<'_>, device: &Bound<'_, PyAny>, xml: String) -> PyResult<Py<PyAny>> {
        let d = self.core.resolve(py, device)?;
        self.core.sync(py, self.core.rpc(d, xml))
    }

    /// Run a CLI command over NETCONF (`<command format=...>`).
    #[pyo3(signature = (device, command, format="text"))]
    fn command(
        &self,
        py: Python<'_>,
        device: &Bound<'_, PyAny>,
        command: String,
        format: &str,
    ) -> PyResult<Py<PyAny>> {
        let d = self.core.resolve(py, device)?;
        let f = Format::parse(py, format)?;
        self.core.sync(py, self.core.command(d, command, f))
    }

    /// Lock, load, commit, unlock on one session; a refused load or commit is discarded,
    /// never left in the candidate. Returns the commit reply's XML.
    #[pyo3(signature = (device, config, format="set", action="merge", comment=None))]
    fn configure(
        &self,
        py: Python<'_>,
        device: &Bound<'_, PyAny>,
        config: String,
        format: &str,
        action: &str,
        comment: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let d = self.core.resolve(py, device)?;
        let c = change(py, config, format, action, comment)?;
        self.core.sync(py, self.core.configure(d, c))
    }

    /// Lease a NETCONF session for several RPCs: `with pool.netconf("r1") as nc: ...`.
    fn netconf(&self, py: Python<'_>, device: &Bound<'_, PyAny>) -> PyResult<Py<NetconfSession>> {
        let d = self.core.resolve(py, device)?;
        NetconfSession::lease(py, &self.core, d)
    }

    /// One command on many devices (all of the pool's when `devices` is None), at most
    /// `concurrency` at once: a dict from each device's name to its result or exception.
    #[pyo3(signature = (command, devices=None, *, transport="cli", format="text", concurrency=16))]
    fn fan_out(
        &self,
        py: Python<'_>,
        command: &str,
        devices: Option<&Bound<'_, PyAny>>,
        transport: &str,
        format: &str,
        concurrency: usize,
    ) -> PyResult<Py<PyAny>> {
        let op = fan_op(py, command, transport, format)?;
        let targets = self.core.targets(py, devices)?;
        self.core
            .sync(py, self.core.fan_out(targets, op, concurrency))
    }

    /// One RPC on many devices, like `fan_out`.
    #[pyo3(signature = (xml, devices=None, *, concurrency=16))]
    fn fan_out_rpc(
        &self,
        py: Python<'_>,
        xml: &str,
        devices: Option<&Bound<'_, PyAny>>,
        concurrency: usize,
    ) -> PyResult<Py<PyAny>> {
        let targets = self.core.targets(py, devices)?;
        self.core.sync(
            py,
            self.core
                .fan_out(targets, FanOp::Rpc(xml.into()), concurrency),
        )
    }

    /// Open connections to `device` until `connections` exist, so first calls skip the
    /// handshake.
    #[pyo3(signature = (device, connections=1))]
    fn prewarm(
        &self,
        py: Python<'_>,
        device: &Bound<'_, PyAny>,
        connections: usize,
    ) -> PyResult<Py<PyAny>> {
        let d = self.core.resolve(py, device)?;
        self.core.sync(py, self.core.prewarm(d, connections))
    }

    /// Per-device statistics: connections, channels, idle sessions, in use, waiting,
    /// connects, reuse, discards by reason, breaker state, checkout wait.
    fn stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.core.stats(py)
    }

    /// Graceful shutdown: stop lending, let calls in flight finish for up to `grace`
    /// seconds, then close every session politely.
    #[pyo3(signature = (grace=5.0))]
    fn close(&self, py: Python<'_>, grace: f64) -> PyResult<Py<PyAny>> {
        self.core.sync(py, self.core.close(grace))
    }

    #[getter]
    fn closed(&self) -> bool {
        self.core.pool().is_closed()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.close(py, 5.0).map(drop)
    }

    fn __repr__(&self) -> String {
        format!("netpool.Pool(devices={})", self.core.devices.order.len())
    }
}

pub(crate) fn fan_op(
    py: Python<'_>,
    command: &str,
    transport: &str,
    format: &str,
) -> PyResult<FanOp> {
    match transport {
        "cli" => Ok(FanOp::Cli(command.into())),
        "netconf" => Ok(FanOp::Command(command.into(), Format::parse(py, format)?)),
        _ => Err(crate::errors::config_error(
            py,
            Some("transport"),
            format!("transport={transport:?}: expected cli or netconf"),
        )),
    }
}

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

    fn run(&self, py: Python<'_>, op: Op) -> PyResult<Py<PyAny>> {
        self.core
            .sync(py, session::call(&self.cell, &self.device, op))
    }
}

#[pymethods]
impl NetconfSession {
    /// Send one RPC (the operation element, without `<rpc>`); the reply's XML.
    fn rpc(&self, py: Python<'_>, xml: String) -> PyResult<Py<PyAny>> {
        self.run(py, Op::Rpc(xml))
    }

    /// A CLI command over the `command` RPC, as text, xml or json.
    #[pyo3(signature = (command, format="text"))]
    fn command(&self, py: Python<'_>, command: String, format: &str) -> PyResult<Py<PyAny>> {
        let f = Format::parse(py, format)?;
        self.run(py, Op::Command(command, f))
    }

    /// `get-config` from `running` or `candidate`, with an optional subtree filter.
    #[pyo3(signature = (source="running", filter=None))]
    fn get_config(
        &self,
        py: Python<'_>,
        source: &str,
        filter: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let s = session::datastore(py, source)?;
        self.run(py, Op::GetConfig(s, filter))
    }

    fn lock(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.run(py, Op::Lock)
    }

    fn unlock(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.run(py, Op::Unlock)
    }

    /// Load a change into the candidate (set lines, text or XML).
    #[pyo3(signature = (config, format="set", action="merge"))]
    fn load(
        &self,
        py: Python<'_>,
        config: String,
        format: &str,
        action: &str,
    ) -> PyResult<Py<PyAny>> {
        let c = change(py, config, format, action, None)?;
        self.run(py, Op::Load(c))
    }

    #[pyo3(signature = (comment=None))]
    fn commit(&self, py: Python<'_>, comment: Option<String>) -> PyResult<Py<PyAny>> {
        self.run(py, Op::Commit(comment))
    }

    fn commit_check(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.run(py, Op::CommitCheck)
    }

    fn discard_changes(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.run(py, Op::DiscardChanges)
    }

    /// Close a private configuration, discard uncommitted changes and release the lock,
    /// when the session holds any of them: it can then be handed back rather than closed.
    fn reset(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.run(py, Op::Reset)
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
        self.run(py, Op::Relay(message.as_bytes().to_vec(), timeout))
    }

    /// Hand the session back to the pool (closed instead if it holds a lock or changes).
    fn close(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.core.sync(py, session::release(&self.cell, false))
    }

    /// Close the session instead of handing it back.
    fn discard(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.core.sync(py, session::release(&self.cell, true))
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

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.close(py).map(drop)
    }

    fn __repr__(&self) -> String {
        format!(
            "NetconfSession({}, session_id={:?})",
            self.device.label(),
            self.session_id()
        )
    }
}
