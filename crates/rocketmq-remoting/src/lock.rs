//! The one way this crate takes its `std` mutexes.

use std::sync::{Mutex, MutexGuard};

/// Lock `m`, ignoring poisoning. A poisoned lock only means another thread panicked while
/// holding it; every guarded structure here (waiter tables, connection tables, the write queue)
/// is consistent between statements, so going on is safe, and refusing would turn one panic
/// into a dead connection or pool.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
