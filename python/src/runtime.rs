//! The one tokio runtime of the process, the fork guard, interpreter exit, and waiting for
//! a future from synchronous Python code with the GIL released.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use pyo3::prelude::*;

use crate::errors::fork_error;

/// The runtime of the process that made it. A forked child inherits the memory but none of
/// the worker threads, so it gets a runtime of its own, and the parent's is never touched
/// (nor dropped) there.
struct ProcessRuntime {
    pid: u32,
    rt: &'static tokio::runtime::Runtime,
}

static RUNTIME: Mutex<Option<ProcessRuntime>> = Mutex::new(None);
static FINALIZING: AtomicBool = AtomicBool::new(false);

/// The runtime of this process, made on first use. Its worker threads never touch Python:
/// results and log records reach the interpreter through [`crate::deliver`].
pub fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = slot.as_ref().filter(|r| r.pid == pid) {
        return Ok(r.rt);
    }
    let nice: i32 = std::env::var("NETPOOL_PY_WORKER_NICE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("netpool")
        .on_thread_start(move || {
            if nice != 0 {
                unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as u32, nice) };
            }
        })
        .enable_all()
        .build()
        .map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!("netpool: starting tokio: {e}"))
        })?;
    // Leaked on purpose: a runtime lives as long as its process, and dropping one at
    // interpreter exit would wait on tasks that may need the interpreter.
    let rt: &'static tokio::runtime::Runtime = Box::leak(Box::new(rt));
    *slot = Some(ProcessRuntime { pid, rt });
    Ok(rt)
}

/// Identifies the process an object was made in, so that a forked child refuses to use
/// the parent's sessions (their sockets are shared with the parent, their tasks are gone).
#[derive(Clone, Copy, Debug)]
pub struct Born {
    pid: u32,
}

impl Born {
    pub fn here() -> Born {
        Born {
            pid: std::process::id(),
        }
    }

    /// `Err` in a forked child, naming what was made before the fork.
    pub fn check(&self, what: &str) -> PyResult<()> {
        if self.pid == std::process::id() {
            Ok(())
        } else {
            Err(fork_error(what, self.pid))
        }
    }

    pub fn is_here(&self) -> bool {
        self.pid == std::process::id()
    }
}

/// Whether the interpreter is exiting (set by the atexit hook): no thread of ours
/// attaches to it after that.
pub fn finalizing() -> bool {
    FINALIZING.load(Ordering::Acquire)
}

/// Something the atexit hook closes: a pool's sessions, politely and within a bound.
pub trait Closable: Send + Sync {
    fn close_at_exit(&self, rt: &tokio::runtime::Runtime, grace: Duration);
}

static OPEN: Mutex<Vec<Weak<dyn Closable>>> = Mutex::new(Vec::new());

/// Remember a pool so that interpreter exit closes its sessions.
pub fn register(c: &Arc<dyn Closable>) {
    let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
    open.retain(|w| w.strong_count() > 0);
    open.push(Arc::downgrade(c));
}

/// The atexit hook: mark the interpreter as exiting, then close every open pool of this
/// process (NETCONF close-session, SSH disconnect) with the GIL released, within a second
/// in all.
#[pyfunction]
pub fn _at_exit(py: Python<'_>) {
    FINALIZING.store(true, Ordering::Release);
    let pid = std::process::id();
    let Some(rt) = RUNTIME
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .filter(|r| r.pid == pid)
        .map(|r| r.rt)
    else {
        return;
    };
    let open: Vec<Arc<dyn Closable>> = OPEN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .drain(..)
        .filter_map(|w| w.upgrade())
        .collect();
    if open.is_empty() {
        return;
    }
    py.detach(|| {
        for c in &open {
            c.close_at_exit(rt, Duration::from_millis(1000) / open.len() as u32);
        }
    });
}

fn on_main_thread() -> bool {
    // SAFETY: both calls only read the calling thread's and process's ids.
    unsafe { libc::gettid() == libc::getpid() }
}

/// Run `fut` to completion on the runtime from synchronous Python code, with the GIL
/// released. The calling thread polls the future itself (the pool spawns what must outlive
/// it), which saves a thread handoff on every call, and spins briefly between wakeups
/// (`netpool::blocking::block_on`). On the main thread, Ctrl-C is honoured
/// within 100 ms: the future is dropped (the pool's cancellation safety hands back whatever
/// it held) and `KeyboardInterrupt` is raised.
pub fn wait<F>(py: Python<'_>, born: &Born, what: &str, fut: F) -> PyResult<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    born.check(what)?;
    let rt = runtime()?;
    let main = on_main_thread();
    py.detach(move || {
        netpool::blocking::block_on(rt, async move {
            if !main {
                return Ok(fut.await);
            }
            tokio::pin!(fut);
            loop {
                tokio::select! {
                    biased;
                    out = &mut fut => return Ok(out),
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {
                        if let Some(Err(e)) = Python::try_attach(|py| py.check_signals()) {
                            return Err(e);
                        }
                    }
                }
            }
        })
    })
}
