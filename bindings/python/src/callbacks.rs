//! The thread that runs user callbacks (`send_async`'s success and exception callbacks).
//!
//! Completions arrive on runtime workers, which must never wait for the GIL (a worker stuck
//! behind a busy Python thread would stall every connection it serves). They push a job onto a
//! channel; one dedicated thread, `rocketmq-callbacks`, takes the GIL (once for all the jobs
//! waiting, up to [`MAX_PER_ATTACH`]) and calls the user's functions. Callbacks therefore run one at a time, in completion order, on a thread that
//! may itself block (e.g. call `send_sync`). An exception raised by a callback is logged with its
//! traceback through the `rocketmq` logger and dropped: it never reaches the runtime.

use pyo3::prelude::*;
use rocketmq_client::process::PerProcess;
use std::sync::mpsc::{channel, Sender};

/// Jobs run per attach to the interpreter, at most (the rest wait for the next one).
const MAX_PER_ATTACH: usize = 256;

/// Work for the callback thread: runs with the GIL held.
pub type Job = Box<dyn for<'py> FnOnce(Python<'py>) + Send>;

/// The callback thread's queue. Per process: a child forked after the thread started has no
/// such thread, and builds its own on first use.
static SENDER: PerProcess<Sender<Job>> = PerProcess::new();

fn start_thread() -> Result<Sender<Job>, std::io::Error> {
    let (tx, rx) = channel::<Job>();
    std::thread::Builder::new().name("rocketmq-callbacks".to_owned()).spawn(move || {
        while let Ok(job) = rx.recv() {
            // Once the interpreter is exiting the job (and the Python objects it owns) is
            // dropped without running: see `interpreter`. The thread state is created once
            // (`attach_pinned`), and the jobs already waiting run under the same attach: under
            // load (auto-batched sends complete by the dozen) that saves a GIL hand-off per
            // callback. The interpreter still hands the GIL to other threads between bytecodes.
            let _ = crate::interpreter::attach_pinned(|py| {
                job(py);
                for _ in 1..MAX_PER_ATTACH {
                    match rx.try_recv() {
                        Ok(job) => job(py),
                        Err(_) => break,
                    }
                }
            });
        }
    })?;
    Ok(tx)
}

fn sender() -> Option<&'static Sender<Job>> {
    match SENDER.get_or_try_init(start_thread) {
        Ok(tx) => Some(tx),
        Err(e) => {
            tracing::error!(error = %e, "cannot start the rocketmq callback thread");
            None
        }
    }
}

/// Queue `job` for the callback thread. Returns false (and drops the job) only if the thread
/// could not be started.
pub fn submit(job: Job) -> bool {
    match sender() {
        Some(tx) => tx.send(job).is_ok(),
        None => false,
    }
}

/// Call `callback(arg)`; if it raises, log the exception with its traceback.
pub fn call_logged<'py>(py: Python<'py>, callback: &Bound<'py, PyAny>, arg: Bound<'py, PyAny>, what: &str) {
    if let Err(err) = callback.call1((arg,)) {
        crate::logging::log_exception(py, &format!("{what} raised an exception; it was ignored"), err);
    }
}
