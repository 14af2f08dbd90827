//! How results and log records reach Python without a runtime thread ever waiting for the
//! GIL (a busy Python thread must not stall network work):
//!
//! - asyncio: [`awaitable`] turns a Rust future into an asyncio future. The runtime task
//!   that finishes it pushes the outcome onto its loop's completion queue and writes the
//!   loop's eventfd; the loop's own thread, woken by it, drains the queue and settles the
//!   futures (one wakeup per batch, no foreign thread taking the GIL). The calls one loop
//!   callback makes reach the runtime as one task. Cancelling the asyncio future
//!   (`NetpoolFuture.cancel`) aborts the Rust task.
//! - logging: one thread of ours hands queued records to `logging`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::BoundObject;

use crate::errors::{to_pyerr, Failure};
use crate::runtime::{finalizing, runtime, Born};

/// A value to hand to Python, made under the GIL by whoever settles the call (the loop's
/// thread for an awaitable, the calling thread for a blocking call).
pub type Outcome = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

enum Job {
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
        QUEUED_LOGS.fetch_sub(batch.len(), Ordering::Relaxed);
        if finalizing() {
            // The interpreter is going away: what is left is dropped (its references are
            // released by PyO3 when it next can).
            continue;
        }
        Python::try_attach(|py| {
            for job in batch {
                let Job::Log {
                    level,
                    target,
                    message,
                } = job;
                emit(py, &mut loggers, level, &target, &message);
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

/// Settle `future` (on its loop's thread) unless it was cancelled meanwhile.
fn settle(py: Python<'_>, future: &Py<PyAny>, outcome: Result<Outcome, Failure>) {
    let f = future.bind(py);
    if f.call_method0("done")
        .and_then(|d| d.is_truthy())
        .unwrap_or(true)
    {
        return;
    }
    let res = match outcome.map_err(|e| to_pyerr(py, e)).and_then(|o| o(py)) {
        Ok(v) => f.call_method1("set_result", (v,)),
        Err(e) => f.call_method1("set_exception", (e.into_value(py),)),
    };
    if let Err(e) = res {
        e.print(py);
    }
}

type Completion = (Py<PyAny>, Result<Outcome, Failure>);

/// Completions settled per turn of the loop (the rest wait for the next turn).
const DRAIN_BATCH: usize = 32;

/// One event loop's completion queue and the eventfd that wakes the loop for it.
#[pyclass(frozen)]
struct LoopWaker {
    fd: i32,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    items: Vec<Completion>,
    /// The loop is gone and `fd` closed (its number may belong to another file by now).
    closed: bool,
}

impl LoopWaker {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// From any thread: queue a completion and wake the loop if the queue was empty. The
    /// write happens under the queue's lock, so it can never meet a closed (and reused)
    /// descriptor.
    fn push(&self, c: Completion) {
        let mut q = self.lock();
        if q.closed {
            return;
        }
        q.items.push(c);
        if q.items.len() == 1 {
            // SAFETY: writes 8 bytes from a local to our own eventfd, open while !closed.
            unsafe { libc::eventfd_write(self.fd, 1) };
        }
    }
}

#[pymethods]
impl LoopWaker {
    /// The loop's reader callback: settle everything queued.
    fn _drain(&self, py: Python<'_>) {
        let mut n: libc::eventfd_t = 0;
        // SAFETY: reads 8 bytes into a local from our own non-blocking eventfd (EAGAIN when
        // empty, which is fine).
        unsafe { libc::eventfd_read(self.fd, &mut n) };
        // At most DRAIN_BATCH settled per callback: the rest go to the next turn of the
        // loop, so that a burst of completions never holds the loop's other callbacks
        // (a ticker, a request handler) back for long.
        let items: Vec<Completion> = {
            let mut q = self.lock();
            let n = q.items.len().min(DRAIN_BATCH);
            let items = q.items.drain(..n).collect();
            if !q.items.is_empty() && !q.closed {
                // SAFETY: as in `push`: our own eventfd, open while !closed, under the lock.
                unsafe { libc::eventfd_write(self.fd, 1) };
            }
            items
        };
        for (future, outcome) in items {
            settle(py, &future, outcome);
        }
    }

    /// Called when the loop is garbage-collected.
    fn _close(&self) {
        let left = {
            let mut q = self.lock();
            if q.closed {
                return;
            }
            q.closed = true;
            // SAFETY: closes our own descriptor, once, under the lock `push` writes under.
            unsafe { libc::close(self.fd) };
            std::mem::take(&mut q.items)
        };
        drop(left); // outside the lock: dropping Python objects may run Python code
    }
}

static WAKERS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The waker of `event_loop`, made (and registered as a reader of the loop) on first use.
fn waker_of<'py>(
    py: Python<'py>,
    event_loop: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, LoopWaker>> {
    let wakers = WAKERS.get_or_try_init(py, || {
        py.import("weakref")?
            .call_method0("WeakKeyDictionary")
            .map(|d| d.unbind())
    })?;
    let wakers = wakers.bind(py);
    // The loop this thread used last, held weakly: most calls find their waker here without
    // a dictionary lookup (which makes a weak reference each time).
    let cached = LAST.with(|c| {
        c.borrow().as_ref().and_then(|(l, w)| {
            l.bind(py)
                .call0()
                .ok()
                .filter(|x| x.is(event_loop))
                .map(|_| w.clone_ref(py).into_bound(py))
        })
    });
    if let Some(w) = cached {
        return Ok(w);
    }
    if let Ok(w) = wakers
        .call_method1("get", (event_loop,))?
        .cast::<LoopWaker>()
    {
        remember(py, event_loop, w)?;
        return Ok(w.clone());
    }
    // SAFETY: creates a descriptor that this waker owns.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(pyo3::exceptions::PyOSError::new_err(format!(
            "netpool: eventfd: {}",
            std::io::Error::last_os_error()
        )));
    }
    let w = Bound::new(
        py,
        LoopWaker {
            fd,
            queue: Mutex::new(Queue::default()),
        },
    )?;
    event_loop.call_method1("add_reader", (fd, w.getattr("_drain")?))?;
    py.import("weakref")?
        .call_method1("finalize", (event_loop, w.getattr("_close")?))?;
    wakers.set_item(event_loop, &w)?;
    remember(py, event_loop, &w)?;
    Ok(w)
}

thread_local! {
    static LAST: std::cell::RefCell<Option<(Py<PyAny>, Py<LoopWaker>)>> =
        const { std::cell::RefCell::new(None) };
}

fn remember(
    py: Python<'_>,
    event_loop: &Bound<'_, PyAny>,
    w: &Bound<'_, LoopWaker>,
) -> PyResult<()> {
    let weak = py
        .import("weakref")?
        .call_method1("ref", (event_loop,))?
        .unbind();
    LAST.with(|c| *c.borrow_mut() = Some((weak, w.clone().unbind())));
    Ok(())
}

/// Aborts the Rust task, called by `NetpoolFuture.cancel` (`netpool/_aio.py`): the pool's
/// cancellation safety then hands back whatever the task held. After the task finished it
/// is a no-op.
#[pyclass(frozen)]
struct AbortOnDone {
    handle: futures::future::AbortHandle,
}

#[pymethods]
impl AbortOnDone {
    fn __call__(&self) {
        self.handle.abort();
    }
}

static FUTURE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn future_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    FUTURE
        .get_or_try_init(py, || {
            py.import("netpool._aio")
                .and_then(|m| m.getattr("NetpoolFuture"))
                .map(|c| c.unbind())
        })
        .map(|c| c.bind(py))
}

fn loop_kw<'py>(
    py: Python<'py>,
    event_loop: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let kw = pyo3::types::PyDict::new(py);
    kw.set_item("loop", event_loop)?;
    Ok(kw)
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
    runtime()?;
    let get_loop = GET_LOOP.get_or_try_init(py, || {
        py.import("asyncio")
            .and_then(|a| a.getattr("get_running_loop"))
            .map(|f| f.unbind())
    })?;
    let event_loop = get_loop.bind(py).call0()?;
    let waker = waker_of(py, &event_loop)?.unbind();
    let future = future_class(py)?.call((), Some(&loop_kw(py, &event_loop)?))?;
    let f = future.clone().unbind();
    let (task, abort) = futures::future::abortable(async move {
        let outcome = fut.await;
        waker.get().push((f, outcome));
    });
    future.setattr("_netpool_abort", AbortOnDone { handle: abort })?;
    let first = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        if p.pid != std::process::id() {
            // Tasks queued by the parent before a fork: they belong to its pools.
            std::mem::forget(std::mem::take(&mut p.tasks));
            p.pid = std::process::id();
        }
        p.tasks.push(Box::pin(async move {
            let _ = task.await;
        }));
        p.tasks.len() == 1
    });
    if first {
        let flush = FLUSH.get_or_try_init(py, || {
            Ok::<_, PyErr>(
                pyo3::wrap_pyfunction!(flush_pending, py)?
                    .unbind()
                    .into_any(),
            )
        })?;
        event_loop.call_method1("call_soon", (flush.bind(py),))?;
    }
    Ok(future)
}

type Task = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// The tasks this thread's loop made in its current callback, not yet handed to the
/// runtime: a burst of calls (a `gather` of a hundred) reaches the runtime as one task
/// that spawns them on a worker, instead of a hundred hand-offs through the runtime's
/// shared queue, each waking a worker.
#[derive(Default)]
struct Pending {
    pid: u32,
    tasks: Vec<Task>,
}

thread_local! {
    static PENDING: std::cell::RefCell<Pending> = std::cell::RefCell::new(Pending::default());
}

static FLUSH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Scheduled with `call_soon` by the first call of a burst: hand the burst to the runtime.
#[pyfunction]
fn flush_pending() -> PyResult<()> {
    let tasks = PENDING.with(|p| std::mem::take(&mut p.borrow_mut().tasks));
    let rt = runtime()?;
    match tasks.len() {
        0 => {}
        1 => {
            rt.spawn(tasks.into_iter().next().expect("one task"));
        }
        _ => {
            rt.spawn(async move {
                for t in tasks {
                    tokio::spawn(t);
                }
            });
        }
    }
    Ok(())
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
