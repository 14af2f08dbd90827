//! The methods the blocking and asyncio classes share, written once. Each macro expands
//! into a class's one `#[pymethods]` block: the shared methods (for the pools, the
//! constructor too), then the class's own (context manager, repr). `$run` names how a
//! call waits: `sync` (the thread blocks with the GIL released) or `aio` (an asyncio
//! future the runtime completes). One docstring per method, whichever class it lands in.

/// `Pool` and `AsyncPool`.
macro_rules! pool_methods {
    ($class:ident, $run:ident, { $($own:tt)* }) => {
        #[pyo3::pymethods]
        impl $class {
            #[new]
            #[pyo3(signature = (inventory=None, devices=None, **settings))]
            fn py_new(
                py: pyo3::Python<'_>,
                inventory: Option<std::path::PathBuf>,
                devices: Option<Vec<$crate::settings::Device>>,
                settings: Option<&pyo3::Bound<'_, pyo3::types::PyDict>>,
            ) -> pyo3::PyResult<Self> {
                let (cfg, devices) = $crate::settings::pool_setup(py, inventory, devices, settings)?;
                let name = concat!("netpool.", stringify!($class));
                Ok($class {
                    core: $crate::core::Core::start(py, name, cfg, devices)?,
                })
            }

            /// The devices the pool knows (from the inventory and `devices=`), in order.
            #[getter]
            fn devices(&self) -> Vec<$crate::settings::Device> {
                self.core.devices.order.clone()
            }

            /// Run one CLI command over an exec channel of a pooled SSH connection.
            fn cli(
                &self,
                py: pyo3::Python<'_>,
                device: &pyo3::Bound<'_, pyo3::PyAny>,
                command: String,
            ) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                let d = self.core.resolve(py, device)?;
                self.core.$run(py, self.core.one(d, $crate::core::Op::Cli(command.into())))
            }

            /// Send one NETCONF RPC (the operation element) on a pooled session; the
            /// reply's XML.
            fn rpc(
                &self,
                py: pyo3::Python<'_>,
                device: &pyo3::Bound<'_, pyo3::PyAny>,
                xml: String,
            ) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                let d = self.core.resolve(py, device)?;
                self.core.$run(py, self.core.one(d, $crate::core::Op::Rpc(xml.into())))
            }

            /// Run a CLI command over NETCONF (`<command format=...>`).
            #[pyo3(signature = (device, command, format="text"))]
            fn command(
                &self,
                py: pyo3::Python<'_>,
                device: &pyo3::Bound<'_, pyo3::PyAny>,
                command: String,
                format: &str,
            ) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                let d = self.core.resolve(py, device)?;
                let f = $crate::core::Format::parse(py, format)?;
                self.core.$run(py, self.core.one(d, $crate::core::Op::Command(command.into(), f)))
            }

            /// Lock, load, commit, unlock on one session; a refused load or commit is
            /// discarded, never left in the candidate. The commit reply's XML.
            #[pyo3(signature = (device, config, format="set", action="merge", comment=None))]
            fn configure(
                &self,
                py: pyo3::Python<'_>,
                device: &pyo3::Bound<'_, pyo3::PyAny>,
                config: String,
                format: &str,
                action: &str,
                comment: Option<String>,
            ) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                let d = self.core.resolve(py, device)?;
                let c = $crate::core::change(py, config, format, action, comment)?;
                self.core.$run(py, self.core.configure(d, c))
            }

            /// One command on many devices (all of the pool's when `devices` is None), at
            /// most `concurrency` at once: a dict from each device's name to its result or
            /// exception.
            #[pyo3(signature = (command, devices=None, *, transport="cli", format="text", concurrency=16))]
            fn fan_out(
                &self,
                py: pyo3::Python<'_>,
                command: &str,
                devices: Option<&pyo3::Bound<'_, pyo3::PyAny>>,
                transport: &str,
                format: &str,
                concurrency: usize,
            ) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                let op = $crate::core::fan_op(py, command, transport, format)?;
                let targets = self.core.targets(py, devices)?;
                self.core
                    .$run(py, self.core.fan_out(targets, op, concurrency))
            }

            /// One RPC on many devices, like `fan_out`.
            #[pyo3(signature = (xml, devices=None, *, concurrency=16))]
            fn fan_out_rpc(
                &self,
                py: pyo3::Python<'_>,
                xml: &str,
                devices: Option<&pyo3::Bound<'_, pyo3::PyAny>>,
                concurrency: usize,
            ) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                let targets = self.core.targets(py, devices)?;
                let op = $crate::core::Op::Rpc(xml.into());
                self.core.$run(py, self.core.fan_out(targets, op, concurrency))
            }

            /// Open connections to `device` until `connections` exist, so first calls
            /// skip the handshake.
            #[pyo3(signature = (device, connections=1))]
            fn prewarm(
                &self,
                py: pyo3::Python<'_>,
                device: &pyo3::Bound<'_, pyo3::PyAny>,
                connections: usize,
            ) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                let d = self.core.resolve(py, device)?;
                self.core.$run(py, self.core.prewarm(d, connections))
            }

            /// Per-device statistics (a list of dicts; at once, never awaited): connections,
            /// channels, idle sessions, in use, waiting, connects and their failures by
            /// stage, reuse, discards by reason, requests and their errors by kind,
            /// keepalive failures, breaker state, and the checkout wait and request latency
            /// histograms.
            fn stats(&self, py: pyo3::Python<'_>) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                self.core.stats(py)
            }

            /// Graceful shutdown: stop lending, let calls in flight finish for up to
            /// `grace` seconds, then close every session politely.
            #[pyo3(signature = (grace=5.0))]
            fn close(&self, py: pyo3::Python<'_>, grace: f64) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                self.core.$run(py, self.core.close(grace))
            }

            /// Whether the pool was closed.
            #[getter]
            fn closed(&self) -> bool {
                self.core.pool().is_closed()
            }

            fn __repr__(&self) -> String {
                format!(
                    "netpool.{}(devices={})",
                    stringify!($class),
                    self.core.devices.order.len()
                )
            }

            $($own)*
        }
    };
}

/// `NetconfSession` and `AsyncNetconfSession` (each has a `run(py, op)` that waits its
/// way).
macro_rules! session_methods {
    ($class:ident, $run:ident, { $($own:tt)* }) => {
        #[pyo3::pymethods]
        impl $class {
            /// Send one RPC (the operation element, without `<rpc>`); the reply's XML.
            fn rpc(&self, py: pyo3::Python<'_>, xml: String) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                self.run(py, $crate::session::SessionOp::Rpc(xml))
            }

            /// A CLI command over the `command` RPC, as text, xml or json.
            #[pyo3(signature = (command, format="text"))]
            fn command(
                &self,
                py: pyo3::Python<'_>,
                command: String,
                format: &str,
            ) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                let f = $crate::core::Format::parse(py, format)?;
                self.run(py, $crate::session::SessionOp::Command(command, f))
            }

            /// `get-config` from `running` or `candidate`, with an optional subtree filter.
            #[pyo3(signature = (source="running", filter=None))]
            fn get_config(
                &self,
                py: pyo3::Python<'_>,
                source: &str,
                filter: Option<String>,
            ) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                let s = $crate::session::datastore(py, source)?;
                self.run(py, $crate::session::SessionOp::GetConfig(s, filter))
            }

            /// Lock the candidate configuration.
            fn lock(&self, py: pyo3::Python<'_>) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                self.run(py, $crate::session::SessionOp::Lock)
            }

            /// Release the candidate's lock.
            fn unlock(&self, py: pyo3::Python<'_>) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                self.run(py, $crate::session::SessionOp::Unlock)
            }

            /// Load a change into the candidate (set lines, text or XML).
            #[pyo3(signature = (config, format="set", action="merge"))]
            fn load(
                &self,
                py: pyo3::Python<'_>,
                config: String,
                format: &str,
                action: &str,
            ) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                let c = $crate::core::change(py, config, format, action, None)?;
                self.run(py, $crate::session::SessionOp::Load(c))
            }

            /// Commit the candidate, with an optional log comment.
            #[pyo3(signature = (comment=None))]
            fn commit(&self, py: pyo3::Python<'_>, comment: Option<String>) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                self.run(py, $crate::session::SessionOp::Commit(comment))
            }

            /// Check the candidate without committing it.
            fn commit_check(&self, py: pyo3::Python<'_>) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                self.run(py, $crate::session::SessionOp::CommitCheck)
            }

            /// Discard the candidate's uncommitted changes.
            fn discard_changes(&self, py: pyo3::Python<'_>) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                self.run(py, $crate::session::SessionOp::DiscardChanges)
            }

            /// Hand the session back to the pool (closed instead if it holds a lock or
            /// changes).
            fn close(&self, py: pyo3::Python<'_>) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                self.core.$run(py, $crate::session::release(&self.cell, false))
            }

            /// Close the session instead of handing it back.
            fn discard(&self, py: pyo3::Python<'_>) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
                self.core.$run(py, $crate::session::release(&self.cell, true))
            }

            /// The device's NETCONF session-id (None before the session is leased).
            #[getter]
            fn session_id(&self) -> Option<u32> {
                $crate::session::describe(&self.cell).0
            }

            /// The capabilities the device announced in its hello.
            #[getter]
            fn capabilities(&self) -> Vec<String> {
                $crate::session::describe(&self.cell).1
            }

            /// The device, `user@host:port`.
            #[getter]
            fn device(&self) -> &str {
                self.device.label()
            }

            fn __repr__(&self) -> String {
                format!(
                    "{}({}, session_id={:?})",
                    stringify!($class),
                    self.device.label(),
                    self.session_id()
                )
            }

            $($own)*
        }
    };
}

pub(crate) use {pool_methods, session_methods};
