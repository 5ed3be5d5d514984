//! The one process-wide tokio runtime.
//!
//! Built lazily on first use (importing the module starts no thread), multi-threaded with 2 to 4
//! workers (the client is I/O bound: more workers only add wake-ups), and registered with
//! pyo3-async-runtimes so the asyncio API drives its futures on the same runtime. The runtime
//! lives in a static and is never dropped: its threads end with the process.
//!
//! Known limit: like every tokio-based extension, the runtime does not survive `os.fork()`; a
//! child process must not use clients created (or a runtime started) before the fork.

use pyo3::exceptions::PyRuntimeError;
use pyo3::PyResult;
use std::sync::{Mutex, OnceLock};
use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static BUILD: Mutex<()> = Mutex::new(());

/// Worker threads: the machine's parallelism, clamped to 2..=4.
fn worker_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4)
}

/// The runtime, built on first call. Fails (instead of panicking) when the OS refuses threads.
pub fn get() -> PyResult<&'static Runtime> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    // Serialise builders so two threads racing here never both spawn a set of workers. The
    // lock is held for a few ms, never while calling into Python.
    let _guard = BUILD.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name("rocketmq-worker")
        .enable_all()
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the rocketmq runtime: {e}")))?;
    let rt = RUNTIME.get_or_init(|| rt);
    // Err only means pyo3-async-runtimes already has a runtime (set by another extension
    // sharing this copy of the crate, which cannot happen for a cdylib); ours is used anyway.
    let _ = pyo3_async_runtimes::tokio::init_with_runtime(rt);
    Ok(rt)
}
