//! The only thread of ours that touches the interpreter: it completes asyncio futures on
//! their loops and hands log records to `logging`. Runtime threads send it jobs and go on;
//! they never wait for the GIL, so a busy Python thread cannot stall network work.
//!
//! Also the asyncio bridge: [`awaitable`] turns a Rust future into an asyncio future that
//! the runtime completes, and whose cancellation aborts the Rust task.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyCFunction;
use pyo3::BoundObject;

use crate::errors::{to_pyerr, Failure};
use crate::runtime::{finalizing, runtime, Born};

/// A value to hand to Python, made under the GIL on the delivery thread.
pub type Outcome = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

enum Job {
    Complete {
        event_loop: Py<PyAny>,
        future: Py<PyAny>,
        outcome: Result<Outcome, Failure>,
    },
    Log {
        level: u8,
        target: String,
        message: String,
    },
}

struct Delivery {
    pid: u32,
    tx: Sender<Job>,
}

static DELIVERY: Mutex<Option<Delivery>> = Mutex::new(None);

/// Log records queued and not yet handed to Python; beyond [`MAX_QUEUED_LOGS`] records
/// are dropped (and counted) rather than letting a flood grow memory.
static QUEUED_LOGS: AtomicUsize = AtomicUsize::new(0);
static DROPPED_LOGS: AtomicUsize = AtomicUsize::new(0);
const MAX_QUEUED_LOGS: usize = 10_000;

/// The least Python logging level the `netpool` logger lets through (10 = DEBUG); events
/// below it are filtered out before anything is formatted.
pub static LOG_LEVEL: AtomicU8 = AtomicU8::new(30);

fn send(job: Job) {
    let pid = std::process::id();
    let mut d = DELIVERY.lock().unwrap_or_else(|p| p.into_inner());
    if d.as_ref().is_none_or(|d| d.pid != pid) {
        let (tx, rx) = channel();
        let started = std::thread::Builder::new()
            .name("netpool-python".into())
            .spawn(move || run(rx));
        if started.is_err() {
            return;
        }
        *d = Some(Delivery { pid, tx });
    }
    if let Some(d) = d.as_ref() {
        let _ = d.tx.send(job);
    }
}

/// Queue a log record for `logging.getLogger(target)`.
pub fn log(level: u8, target: &str, message: String) {
    if QUEUED_LOGS.fetch_add(1, Ordering::Relaxed) >= MAX_QUEUED_LOGS {
        QUEUED_LOGS.fetch_sub(1, Ordering::Relaxed);
        DROPPED_LOGS.fetch_add(1, Ordering::Relaxed);
        return;
    }
    send(Job::Log {
        level,
        target: target.replace("::", "."),
        message,
    });
}

/// Read the `netpool` logger's effective level again (pools call it when made).
pub fn refresh_log_level(py: Python<'_>) {
    let level = py
        .import("logging")
        .and_then(|l| l.call_method1("getLogger", ("netpool",)))
        .and_then(|l| l.call_method0("getEffectiveLevel"))
        .and_then(|l| l.extract::<i64>());
    if let Ok(l) = level {
        LOG_LEVEL.store(l.clamp(0, 255) as u8, Ordering::Relaxed);
    }
}

fn run(rx: Receiver<Job>) {
    let mut loggers: HashMap<String, Py<PyAny>> = HashMap::new();
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < 512 {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let logs = batch
            .iter()
            .filter(|j| matches!(j, Job::Log { .. }))
            .count();
        QUEUED_LOGS.fetch_sub(logs, Ordering::Relaxed);
        if finalizing() {
            // The interpreter is going away: what is left is dropped (its references are
            // released by PyO3 when it next can).
            continue;
        }
        Python::try_attach(|py| {
            for job in batch {
                match job {
                    Job::Complete {
                        event_loop,
                        future,
                        outcome,
                    } => complete(py, event_loop, future, outcome),
                    Job::Log {
                        level,
                        target,
                        message,
                    } => emit(py, &mut loggers, level, &target, &message),
                }
            }
            let dropped = DROPPED_LOGS.swap(0, Ordering::Relaxed);
            if dropped > 0 {
                emit(
                    py,
                    &mut loggers,
                    30,
                    "netpool",
                    &format!("{dropped} log records dropped (more than {MAX_QUEUED_LOGS} queued)"),
                );
            }
            refresh_log_level(py);
        });
    }
}

fn emit(
    py: Python<'_>,
    loggers: &mut HashMap<String, Py<PyAny>>,
    level: u8,
    target: &str,
    message: &str,
) {
    let logger = match loggers.get(target) {
        Some(l) => l.clone_ref(py),
        None => {
            let Ok(l) = py
                .import("logging")
                .and_then(|m| m.call_method1("getLogger", (target,)))
            else {
                return;
            };
            let l = l.unbind();
            loggers.insert(target.to_string(), l.clone_ref(py));
            l
        }
    };
    if let Err(e) = logger.call_method1(py, "log", (level, message)) {
        e.print(py);
    }
}

fn complete(
    py: Python<'_>,
    event_loop: Py<PyAny>,
    future: Py<PyAny>,
    outcome: Result<Outcome, Failure>,
) {
    let (ok, value) = match outcome.map_err(|f| to_pyerr(py, f)).and_then(|o| o(py)) {
        Ok(v) => (true, v),
        Err(e) => (false, e.into_value(py).into_any()),
    };
    let Ok(setter) = setter(py) else { return };
    // A loop that has been closed meanwhile refuses the call: nobody awaits the result.
    let _ = event_loop.call_method1(py, "call_soon_threadsafe", (setter, future, ok, value));
}

static SETTER: PyOnceLock<Py<PyCFunction>> = PyOnceLock::new();

fn setter(py: Python<'_>) -> PyResult<&Py<PyCFunction>> {
    SETTER.get_or_try_init(py, || Ok(pyo3::wrap_pyfunction!(set_outcome, py)?.unbind()))
}

/// Runs on the event loop's thread: settle the future unless it was cancelled meanwhile.
#[pyfunction]
fn set_outcome(future: &Bound<'_, PyAny>, ok: bool, value: Bound<'_, PyAny>) -> PyResult<()> {
    if future.call_method0("done")?.is_truthy()? {
        return Ok(());
    }
    if ok {
        future.call_method1("set_result", (value,))?;
    } else {
        future.call_method1("set_exception", (value,))?;
    }
    Ok(())
}

/// Aborts the Rust task when its asyncio future is done: cancelled (then the pool's
/// cancellation safety hands back whatever the task held) or settled (then it is a no-op).
#[pyclass(frozen)]
struct AbortOnDone {
    handle: tokio::task::AbortHandle,
}

#[pymethods]
impl AbortOnDone {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.handle.abort();
    }
}

static GET_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An asyncio future, on the running loop, that the runtime completes with `fut`'s
/// outcome. The loop's thread only creates the future and schedules the task: nothing
/// here waits.
pub fn awaitable<'py, F>(
    py: Python<'py>,
    born: &Born,
    what: &str,
    fut: F,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<Outcome, Failure>> + Send + 'static,
{
    born.check(what)?;
    let rt = runtime()?;
    let get_loop = GET_LOOP.get_or_try_init(py, || {
        py.import("asyncio")
            .and_then(|a| a.getattr("get_running_loop"))
            .map(|f| f.unbind())
    })?;
    let event_loop = get_loop.bind(py).call0()?;
    let future = event_loop.call_method0("create_future")?;
    let (l, f) = (event_loop.unbind(), future.clone().unbind());
    let task = rt.spawn(async move {
        let outcome = fut.await;
        send(Job::Complete {
            event_loop: l,
            future: f,
            outcome,
        });
    });
    future.call_method1(
        "add_done_callback",
        (AbortOnDone {
            handle: task.abort_handle(),
        },),
    )?;
    Ok(future)
}

/// An outcome holding a value that converts to Python.
pub fn value<T>(v: T) -> Outcome
where
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    Box::new(move |py| {
        v.into_pyobject(py)
            .map(|b| b.into_any().unbind())
            .map_err(Into::into)
    })
}
