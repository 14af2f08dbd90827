//! netpool for Python: the Rust pool as the CPython extension `netpool._netpool` (stable
//! ABI, CPython >= 3.9). One thin layer over `netpool`, which knows nothing of Python:
//!
//! - `runtime`: the process's one tokio runtime, the fork guard, interpreter exit, and
//!   waiting with the GIL released (`netpool::blocking::block_on`: polled on the caller's thread, a short spin before parking);
//! - `deliver`: the one thread that hands results to asyncio loops and records to `logging`;
//! - `errors`: the one mapping from the pool's error kinds to `netpool.errors`;
//! - `settings`: keyword settings, devices and inventories;
//! - `core` and `session`: each operation written once, as a future;
//! - `twins`: the methods the blocking and asyncio classes share, written once;
//! - `sync_api` and `async_api`: the classes, which differ only in how they wait.

mod async_api;
mod core;
mod deliver;
mod errors;
mod logging;
mod runtime;
mod session;
mod settings;
mod sync_api;
mod twins;

use pyo3::prelude::*;

#[pymodule]
fn _netpool(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install();
    m.add_class::<settings::Device>()?;
    m.add_class::<core::ExecResult>()?;
    m.add_class::<sync_api::Pool>()?;
    m.add_class::<sync_api::NetconfSession>()?;
    m.add_class::<async_api::AsyncPool>()?;
    m.add_class::<async_api::AsyncNetconfSession>()?;
    m.add_function(pyo3::wrap_pyfunction!(runtime::_at_exit, m)?)?;
    m.add("SETTINGS", netpool::SETTINGS.to_vec())?;
    Ok(())
}
