//! Locking that survives a panic elsewhere (netpool has the same three lines: the two
//! crates share no crate where a helper this small would belong).

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Lock `m`, recovering the data if a thread panicked while holding it. A router's state
/// is left consistent before anything that can panic, so a poisoned lock carries no
/// half-made change; refusing it would turn one panicking session into a router that
/// fails every client forever.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
