//! What the sync and async classes share: the pool, each operation written once as a
//! future, and the values handed back to Python. The classes differ only in how they wait:
//! [`Core::sync`] blocks the calling thread with the GIL released, [`Core::aio`] returns an
//! asyncio future the runtime completes.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::deliver::{awaitable, value, Outcome};
use crate::errors::{to_pyerr, Failure};
use crate::runtime::{register, runtime, wait, Born, Closable};
use crate::settings::{Device, Devices};

/// The result of one command: `stdout`, `stderr` and `status` (the exit status, or `None`
/// when the device sent none).
#[pyclass(frozen, module = "netpool")]
pub struct ExecResult {
    #[pyo3(get)]
    stdout: String,
    #[pyo3(get)]
    stderr: String,
    #[pyo3(get)]
    status: Option<u32>,
}

#[pymethods]
impl ExecResult {
    /// Exit status 0 (or none sent) and nothing on stderr.
    #[getter]
    fn ok(&self) -> bool {
        self.status.unwrap_or(0) == 0 && self.stderr.trim().is_empty()
    }

    fn __repr__(&self) -> String {
        let mut head: String = self.stdout.chars().take(60).collect();
        if head.len() < self.stdout.len() {
            head.push_str("...");
        }
        format!(
            "ExecResult(status={:?}, stdout={head:?}, stderr={:?})",
            self.status, self.stderr
        )
    }
}

impl From<netpool::CliOutput> for ExecResult {
    fn from(o: netpool::CliOutput) -> Self {
        ExecResult {
            stdout: o.stdout,
            stderr: o.stderr,
            status: o.exit_status,
        }
    }
}

/// A value owned by the runtime of the process that made it: dropped inside that runtime
/// (its drop may spawn close-session work), and never touched in a forked child.
pub struct InRuntime<T> {
    value: Option<T>,
    born: Born,
}

impl<T> InRuntime<T> {
    pub fn new(value: T) -> Self {
        InRuntime {
            value: Some(value),
            born: Born::here(),
        }
    }

    pub fn get(&self) -> &T {
        self.value.as_ref().expect("lives until drop")
    }
}

impl<T> Drop for InRuntime<T> {
    fn drop(&mut self) {
        let Some(v) = self.value.take() else { return };
        if !self.born.is_here() {
            // The parent's sockets and tasks: closing them here would close them there.
            std::mem::forget(v);
            return;
        }
        match runtime() {
            Ok(rt) => {
                let _in = rt.enter();
                drop(v);
            }
            Err(_) => std::mem::forget(v),
        }
    }
}

/// A pool and the devices it knows by name.
pub struct Core {
    pool: InRuntime<netpool::Pool>,
    pub devices: Devices,
    pub born: Born,
    /// What the Python class is called, for messages.
    pub what: &'static str,
}

impl Closable for Core {
    fn close_at_exit(&self, rt: &tokio::runtime::Runtime, grace: Duration) {
        let pool = self.pool();
        if !self.born.is_here() || pool.is_closed() {
            return;
        }
        rt.block_on(async {
            let _ = tokio::time::timeout(grace, pool.shutdown(grace / 2)).await;
        });
    }
}

impl Core {
    /// Start a pool on the process's runtime; interpreter exit closes it.
    pub fn start(
        py: Python<'_>,
        what: &'static str,
        cfg: netpool::PoolConfig,
        devices: Devices,
    ) -> PyResult<Arc<Core>> {
        crate::deliver::refresh_log_level(py);
        let rt = runtime()?;
        let pool = {
            let _in = rt.enter();
            netpool::Pool::new(cfg).map_err(|e| to_pyerr(py, e.into()))?
        };
        let core = Arc::new(Core {
            pool: InRuntime::new(pool),
            devices,
            born: Born::here(),
            what,
        });
        let closable: Arc<dyn Closable> = core.clone();
        register(&closable);
        Ok(core)
    }

    pub fn pool(&self) -> &netpool::Pool {
        self.pool.get()
    }

    pub fn resolve(&self, py: Python<'_>, d: &Bound<'_, PyAny>) -> PyResult<netpool::Device> {
        self.born.check(self.what)?;
        self.devices.resolve(py, d)
    }

    /// Wait for `fut` with the GIL released and hand its value to Python.
    pub fn sync<F>(&self, py: Python<'_>, fut: F) -> PyResult<Py<PyAny>>
    where
        F: Future<Output = Result<Outcome, Failure>> + Send + 'static,
    {
        match wait(py, &self.born, self.what, fut)? {
            Ok(o) => o(py),
            Err(f) => Err(to_pyerr(py, f)),
        }
    }

    /// An asyncio future for `fut`, completed by the runtime.
    pub fn aio<'py, F>(&self, py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: Future<Output = Result<Outcome, Failure>> + Send + 'static,
    {
        awaitable(py, &self.born, self.what, fut)
    }

    /// [`Core::aio`], as the owned object the shared methods return (`crate::twins`).
    pub fn future<F>(&self, py: Python<'_>, fut: F) -> PyResult<Py<PyAny>>
    where
        F: Future<Output = Result<Outcome, Failure>> + Send + 'static,
    {
        self.aio(py, fut).map(Bound::unbind)
    }

    /// One operation on one device (`cli`, `rpc`, `command`): the same [`Op`] a fan-out
    /// runs on each of its devices.
    pub fn one(
        &self,
        d: netpool::Device,
        op: Op,
    ) -> impl Future<Output = Result<Outcome, Failure>> + Send + 'static {
        let pool = self.pool().clone();
        async move {
            let v = op.run(&pool, &d).await.map_err(Failure::at(&d))?;
            let outcome: Outcome = Box::new(move |py| v.into_py(py));
            Ok(outcome)
        }
    }

    pub fn configure(
        &self,
        d: netpool::Device,
        change: netpool::ConfigChange,
    ) -> impl Future<Output = Result<Outcome, Failure>> + Send + 'static {
        let pool = self.pool().clone();
        async move {
            let out = pool.configure(&d, &change).await.map_err(Failure::at(&d))?;
            Ok(value(out.reply.root.to_xml()))
        }
    }

    /// One operation on many devices, `concurrency` at once: a dict from each device's
    /// name (or label) to its result, or to the exception it failed with.
    pub fn fan_out(
        &self,
        targets: Vec<(String, netpool::Device)>,
        op: Op,
        concurrency: usize,
    ) -> impl Future<Output = Result<Outcome, Failure>> + Send + 'static {
        let pool = self.pool().clone();
        async move {
            let devices: Vec<netpool::Device> = targets.iter().map(|(_, d)| d.clone()).collect();
            let results = pool
                .fan_out(&devices, concurrency, |p, d| {
                    let op = op.clone();
                    async move { op.run(&p, &d).await }
                })
                .await;
            let outcome: Outcome = Box::new(move |py| {
                let out = PyDict::new(py);
                for ((key, _), (d, r)) in targets.into_iter().zip(results) {
                    let v: Py<PyAny> = match r {
                        Ok(v) => v.into_py(py)?,
                        Err(err) => to_pyerr(
                            py,
                            Failure::Pool {
                                err,
                                device: Some(d.label().to_string()),
                            },
                        )
                        .into_value(py)
                        .into_any(),
                    };
                    out.set_item(key, v)?;
                }
                Ok(out.into_any().unbind())
            });
            Ok(outcome)
        }
    }

    pub fn prewarm(
        &self,
        d: netpool::Device,
        n: usize,
    ) -> impl Future<Output = Result<Outcome, Failure>> + Send + 'static {
        let pool = self.pool().clone();
        async move {
            pool.prewarm(&d, n).await.map_err(Failure::at(&d))?;
            Ok(value(()))
        }
    }

    pub fn close(
        &self,
        grace: f64,
    ) -> impl Future<Output = Result<Outcome, Failure>> + Send + 'static {
        let pool = self.pool().clone();
        let grace = Duration::from_secs_f64(grace.clamp(0.0, 3600.0));
        async move {
            pool.shutdown(grace).await;
            Ok(value(()))
        }
    }

    /// Per-device statistics as a list of dicts.
    pub fn stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.born.check(self.what)?;
        let list = pyo3::types::PyList::empty(py);
        for s in self.pool().stats() {
            let d = PyDict::new(py);
            d.set_item("device", &s.device)?;
            d.set_item("connections", s.connections)?;
            d.set_item("channels", s.channels)?;
            d.set_item("idle_sessions", s.idle_sessions)?;
            d.set_item("in_use", s.in_use)?;
            d.set_item("waiting", s.waiting)?;
            d.set_item("connecting", s.connecting)?;
            d.set_item("connects", s.connects)?;
            d.set_item("connect_failures", s.connect_failures)?;
            d.set_item(
                "connect_failures_by_stage",
                s.connect_failures_by_stage
                    .iter()
                    .collect::<BTreeMap<_, _>>(),
            )?;
            d.set_item("netconf_opened", s.netconf_opened)?;
            d.set_item("checkouts", s.checkouts)?;
            d.set_item("reused", s.reused)?;
            let discarded = PyDict::new(py);
            for (why, n) in &s.discarded {
                discarded.set_item(format!("{why:?}"), n)?;
            }
            d.set_item("discarded", discarded)?;
            d.set_item("breaker_open", s.breaker_open)?;
            d.set_item("checkout_wait_us", s.checkout_wait_us.to_vec())?;
            d.set_item("checkout_wait", histogram(py, &s.checkout_wait)?)?;
            d.set_item("rpcs", s.rpcs)?;
            let errors = PyDict::new(py);
            for (kind, n) in &s.rpc_errors {
                errors.set_item(kind.label(), n)?;
            }
            d.set_item("rpc_errors", errors)?;
            d.set_item("keepalive_failures", s.keepalive_failures)?;
            d.set_item("rpc_latency", histogram(py, &s.rpc_latency)?)?;
            list.append(d)?;
        }
        Ok(list.into_any().unbind())
    }

    /// The fan-out targets: each device with the key its result is filed under.
    pub fn targets(
        &self,
        py: Python<'_>,
        devices: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<(String, netpool::Device)>> {
        self.born.check(self.what)?;
        let Some(devices) = devices else {
            return Ok(self
                .devices
                .order
                .iter()
                .map(|d| (key_of(d), d.inner.clone()))
                .collect());
        };
        let mut out = Vec::new();
        for item in devices.try_iter()? {
            let item = item?;
            let key = match item.cast::<Device>() {
                Ok(d) => key_of(d.get()),
                Err(_) => item.extract::<String>()?,
            };
            out.push((key, self.devices.resolve(py, &item)?));
        }
        Ok(out)
    }
}

fn key_of(d: &Device) -> String {
    d.name
        .clone()
        .unwrap_or_else(|| d.inner.label().to_string())
}

/// The output format of a NETCONF `command`.
#[derive(Clone, Copy, Debug)]
pub enum Format {
    Text,
    Xml,
    Json,
}

impl Format {
    pub fn parse(py: Python<'_>, s: &str) -> PyResult<Format> {
        match s {
            "text" => Ok(Format::Text),
            "xml" => Ok(Format::Xml),
            "json" => Ok(Format::Json),
            _ => Err(crate::errors::config_error(
                py,
                Some("format"),
                format!("format={s:?}: expected text, xml or json"),
            )),
        }
    }

    pub async fn run(
        self,
        g: &mut netpool::NetconfGuard,
        command: &str,
    ) -> netpool::Result<String> {
        match self {
            Format::Text => g.command(command).await,
            Format::Xml => Ok(g.command_xml(command).await?.root.to_xml()),
            Format::Json => {
                let reply = g
                    .rpc(&format!(
                        "<command format=\"json\">{}</command>",
                        netconf_wire::escape_text(command)
                    ))
                    .await?;
                // Junos writes the JSON document as the reply's text.
                Ok(reply.root.text.trim().to_string())
            }
        }
    }
}

/// One operation on one device: a call of its own (`cli`, `rpc`, `command`) or each
/// device's share of a fan-out.
#[derive(Clone)]
pub enum Op {
    Cli(Arc<str>),
    Command(Arc<str>, Format),
    Rpc(Arc<str>),
}

enum OpValue {
    Exec(netpool::CliOutput),
    Text(String),
}

impl OpValue {
    /// As Python sees it: an `ExecResult` for a command over exec, else the text.
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(match self {
            OpValue::Exec(o) => Py::new(py, ExecResult::from(o))?.into_any(),
            OpValue::Text(t) => t.into_pyobject(py)?.into_any().unbind(),
        })
    }
}

impl Op {
    async fn run(&self, p: &netpool::Pool, d: &netpool::Device) -> netpool::Result<OpValue> {
        match self {
            Op::Cli(c) => Ok(OpValue::Exec(p.cli(d, c).await?)),
            Op::Command(c, f) => {
                let mut g = p.netconf(d).await?;
                Ok(OpValue::Text(f.run(&mut g, c).await?))
            }
            Op::Rpc(x) => {
                let mut g = p.netconf(d).await?;
                Ok(OpValue::Text(g.rpc(x).await?.root.to_xml()))
            }
        }
    }
}

/// A configuration change from Python's arguments.
pub fn change(
    py: Python<'_>,
    config: String,
    format: &str,
    action: &str,
    comment: Option<String>,
) -> PyResult<netpool::ConfigChange> {
    let c = match format {
        "set" => netpool::ConfigChange::set_lines(config),
        "text" => netpool::ConfigChange::text(config),
        "xml" => netpool::ConfigChange::xml(config),
        _ => {
            return Err(crate::errors::config_error(
                py,
                Some("format"),
                format!("format={format:?}: expected set, text or xml"),
            ))
        }
    };
    let action = match action {
        "merge" => netpool::LoadAction::Merge,
        "replace" => netpool::LoadAction::Replace,
        "override" => netpool::LoadAction::Override,
        _ => {
            return Err(crate::errors::config_error(
                py,
                Some("action"),
                format!("action={action:?}: expected merge, replace or override"),
            ))
        }
    };
    let c = c.with_action(action);
    Ok(match comment {
        Some(m) => c.with_comment(m),
        None => c,
    })
}

/// A latency histogram as a dict: `buckets` (a list of `[upper bound in seconds,
/// cumulative count]`), `sum` (seconds) and `count`.
fn histogram<'py>(py: Python<'py>, h: &netpool::HistogramStats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(
        "buckets",
        h.buckets.iter().map(|&(le, n)| (le, n)).collect::<Vec<_>>(),
    )?;
    d.set_item("sum", h.sum_seconds)?;
    d.set_item("count", h.count)?;
    Ok(d)
}

/// The operation `fan_out` runs: a CLI command over exec, or over NETCONF.
pub(crate) fn fan_op(py: Python<'_>, command: &str, transport: &str, format: &str) -> PyResult<Op> {
    match transport {
        "cli" => Ok(Op::Cli(command.into())),
        "netconf" => Ok(Op::Command(command.into(), Format::parse(py, format)?)),
        _ => Err(crate::errors::config_error(
            py,
            Some("transport"),
            format!("transport={transport:?}: expected cli or netconf"),
        )),
    }
}
