//! Locking that survives a panic elsewhere.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Lock `m`, recovering the data if a thread panicked while holding it. Every critical
/// section in netpool leaves its state consistent before anything that can panic, so a
/// poisoned lock carries no half-made change; refusing it would turn one panic into a
/// device (or pool) that fails forever.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
