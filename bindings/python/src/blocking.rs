//! Running a client future from a blocking Python call.
//!
//! [`run`] releases the GIL and drives the future *on the calling thread* (a small park/unpark
//! executor with the runtime's handle entered, so tokio sockets and timers work; the runtime's
//! workers drive the I/O driver and wake us). Compared with `spawn` + channel this adds no
//! thread hop, no allocation of a task and no wake-up latency: a call that completes on its
//! first poll costs one `detach` and one poll. It also works from any thread, including a
//! runtime worker or a thread already inside [`run`] (a logging handler that sends), where
//! `Runtime::block_on` would panic.
//!
//! While the future is pending, the thread parks in slices of [`SIGNAL_CHECK_INTERVAL`]; after
//! each slice that did not complete the call it re-attaches to the interpreter and runs
//! `PyErr_CheckSignals`. A pending Ctrl-C (or `_thread.interrupt_main()`) therefore raises
//! `KeyboardInterrupt` within about that interval, and the in-flight future is dropped, which
//! cancels it (its pending request is removed from the connection's waiter table). Signals are
//! only delivered on the main thread; on other threads the check is a cheap no-op. A daemon
//! thread still waiting when the interpreter exits never re-enters it (`interpreter`).

use pyo3::{PyErr, Python};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How often a blocked call looks for pending signals.
pub const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(50);

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Outcome of [`run`]: the future's output, or the exception raised by a signal handler
/// (normally `KeyboardInterrupt`) after the future was dropped.
pub type Interruptible<T> = Result<T, PyErr>;

/// Drive `fut` to completion with the GIL released, checking for signals while it waits.
pub fn run<F>(py: Python<'_>, fut: F) -> Interruptible<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let handle = crate::runtime::get()?.handle().clone();
    py.detach(move || {
        let _entered = handle.enter();
        let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut fut = pin!(fut);
        let mut next_check = Instant::now() + SIGNAL_CHECK_INTERVAL;
        loop {
            if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
                crate::interpreter::park_if_exiting();
                return Ok(out);
            }
            // Park until woken or until the next signal check is due. Spurious wake-ups only
            // cost an extra poll.
            let now = Instant::now();
            if now < next_check {
                std::thread::park_timeout(next_check - now);
                if Instant::now() < next_check {
                    continue;
                }
            }
            next_check = Instant::now() + SIGNAL_CHECK_INTERVAL;
            // A daemon thread still waiting while the interpreter exits must not re-enter it.
            crate::interpreter::park_if_exiting();
            if let Some(Err(interrupt)) = Python::try_attach(|py| py.check_signals()) {
                // Dropping `fut` (at return) cancels the call.
                return Err(interrupt);
            }
        }
    })
}
