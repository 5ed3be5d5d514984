//! Keeping Rust threads out of the interpreter while it shuts down.
//!
//! Once finalization has begun, a thread that takes the GIL is terminated by CPython
//! (`pthread_exit` before 3.14), which from a thread running Rust code aborts the process
//! ("PyGILState_Release: thread state must be current"). pyo3's `try_attach` only checks for
//! finalization on 3.13+ and not at all under our abi3-py39 build, so this module does it:
//!
//! * an `atexit` hook (registered at import, so it runs after the user's own hooks) sets
//!   [`EXITING`] and waits, with the GIL released and for at most [`EXIT_GRACE`], until every
//!   thread that attached through [`attach`] (the callback thread, the logging bridge on runtime
//!   workers) has left the interpreter;
//! * from then on [`attach`] refuses (the work, e.g. a callback or a log record, is dropped);
//! * a Python thread still blocked in a call (necessarily a daemon thread: non-daemon threads were
//!   joined before `atexit`) never returns into the interpreter: it parks until the process exits
//!   ([`park_if_exiting`]), as CPython 3.14 itself does with such threads.

use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// How long the exit hook waits for threads that are running Python code.
pub const EXIT_GRACE: Duration = Duration::from_secs(2);

static EXITING: AtomicBool = AtomicBool::new(false);
/// The thread that ran the exit hook (the one finalizing): it may keep calling into Python.
static EXIT_THREAD: OnceLock<ThreadId> = OnceLock::new();
/// How many threads are inside [`attach`]; waited on by the exit hook.
static ATTACHED: Mutex<usize> = Mutex::new(0);
static LEFT: Condvar = Condvar::new();

fn attached() -> MutexGuard<'static, usize> {
    ATTACHED.lock().unwrap_or_else(|p| p.into_inner())
}

struct Leave;

impl Drop for Leave {
    fn drop(&mut self) {
        let mut n = attached();
        *n = n.saturating_sub(1);
        LEFT.notify_all();
    }
}

/// Run `f` with the GIL on a thread Python did not create. `None` once the interpreter is
/// exiting (or not initialized): the caller drops its work.
pub fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    {
        let mut n = attached();
        if EXITING.load(Ordering::SeqCst) {
            return None;
        }
        *n += 1;
    }
    let _leave = Leave;
    Python::try_attach(f)
}

/// Whether the interpreter is exiting and this thread is not the one finalizing it.
pub fn exiting_elsewhere() -> bool {
    EXITING.load(Ordering::SeqCst) && EXIT_THREAD.get() != Some(&std::thread::current().id())
}

/// Called (GIL released) by a Python thread about to return into the interpreter: if the
/// interpreter is exiting and this is not the finalizing thread, never return.
pub fn park_if_exiting() {
    if exiting_elsewhere() {
        loop {
            std::thread::park();
        }
    }
}

/// The `atexit` hook.
#[pyfunction]
fn _rocketmq_at_exit(py: Python<'_>) {
    let _ = EXIT_THREAD.set(std::thread::current().id());
    {
        let _n = attached();
        EXITING.store(true, Ordering::SeqCst);
    }
    py.detach(|| {
        let deadline = Instant::now() + EXIT_GRACE;
        let mut n = attached();
        while *n > 0 {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            n = LEFT.wait_timeout(n, deadline - now).map_or_else(|p| p.into_inner().0, |(g, _)| g);
        }
    });
}

/// Register the exit hook (module import).
pub fn install(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let hook = wrap_pyfunction!(_rocketmq_at_exit, m)?;
    m.py().import("atexit")?.call_method1("register", (hook,))?;
    Ok(())
}
