//! Keeping Rust threads out of the interpreter while it shuts down.
//!
//! Once finalization has begun, a thread that takes the GIL is terminated by CPython
//! (`pthread_exit` before 3.14), which from a thread running Rust code aborts the process
//! ("PyGILState_Release: thread state must be current"). pyo3's `try_attach` only checks for
//! finalization on 3.13+ and not at all under our abi3-py39 build, so this module does it:
//!
//! * an `atexit` hook (registered at import, so it runs after the user's own hooks) sets
//!   [`EXITING`] and waits, with the GIL released and for at most [`EXIT_GRACE`], until every
//!   thread that attached through [`attach`] (the callback thread, the consumers' consume
//!   threads, the logging bridge on runtime workers) has left the interpreter;
//! * from then on [`attach`] refuses (the work, e.g. a callback or a log record, is dropped; a
//!   consume thread refused a message parks for good without acknowledging it, see
//!   `consumer`);
//! * a Python thread still blocked in a call (necessarily a daemon thread: non-daemon threads were
//!   joined before `atexit`) never returns into the interpreter: it parks until the process exits
//!   ([`park_if_exiting`]), as CPython 3.14 itself does with such threads.

use pyo3::prelude::*;
use rocketmq_client::process;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// How long the exit hook waits for threads that are running Python code.
pub const EXIT_GRACE: Duration = Duration::from_secs(2);

static EXITING: AtomicBool = AtomicBool::new(false);
/// The thread that ran the exit hook (the one finalizing): it may keep calling into Python.
static EXIT_THREAD: OnceLock<ThreadId> = OnceLock::new();
/// How many threads are inside [`attach`], waited for by the exit hook: the low 32 bits, with
/// the fork generation they were counted in as the high 32 bits. A forked child starts again
/// from 0 (the parent's attached threads do not exist there), and nothing here takes a lock,
/// which a thread of the parent could have held at the moment of the fork.
static ATTACHED: AtomicU64 = AtomicU64::new(0);

fn generation_tag() -> u64 {
    process::generation() & 0xFFFF_FFFF
}

/// The number of attached threads of this process.
fn attached_here() -> u64 {
    let packed = ATTACHED.load(Ordering::SeqCst);
    if packed >> 32 == generation_tag() {
        packed & 0xFFFF_FFFF
    } else {
        0
    }
}

/// Change this process's count by `delta` (+1 or -1, never below 0).
fn add_attached(delta: i64) {
    let tag = generation_tag();
    let _ = ATTACHED.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |packed| {
        let count = if packed >> 32 == tag { packed & 0xFFFF_FFFF } else { 0 };
        let count = count.saturating_add_signed(delta).min(0xFFFF_FFFF);
        Some((tag << 32) | count)
    });
}

struct Leave;

impl Drop for Leave {
    fn drop(&mut self) {
        add_attached(-1);
    }
}

/// Count the calling thread as inside the interpreter while `f` runs (the exit hook waits for
/// it); `None` without running `f` once the interpreter is exiting.
///
/// The increment comes before the check of [`EXITING`], and the exit hook sets `EXITING`
/// before it reads the count (all SeqCst): either this thread sees `EXITING`, or the hook sees
/// it counted.
fn enter<R>(f: impl FnOnce() -> R) -> Option<R> {
    add_attached(1);
    let leave = Leave;
    if EXITING.load(Ordering::SeqCst) {
        drop(leave);
        return None;
    }
    Some(f())
}

/// Run `f` with the GIL on a thread Python did not create. `None` once the interpreter is
/// exiting (or not initialized): the caller drops its work.
pub fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    enter(|| Python::try_attach(f)).flatten()
}

/// [`attach`] for a long-lived thread that calls into Python again and again (a consume
/// thread): its Python thread state is created once and kept until the thread ends.
///
/// Without this, every `PyGILState_Ensure` on a thread with no thread state creates one, with
/// a fresh frame stack that CPython 3.11+ maps with `mmap`, and the matching release deletes it
/// again (`munmap` and a TLB shoot-down on every core): profiling a drain showed that as the
/// largest per-message cost of a consume thread.
pub fn attach_pinned<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    attach(|py| {
        pin_thread_state(py);
        f(py)
    })
}

/// The extra `PyGILState_Ensure` reference a pinned thread holds on its thread state.
struct Pin(pyo3::ffi::PyGILState_STATE);

impl Drop for Pin {
    /// Thread exit: give the reference back (GIL taken for it), so CPython deletes the thread
    /// state. Skipped (the state leaks, with the process about to end) once the interpreter is
    /// exiting.
    fn drop(&mut self) {
        let pinned = self.0;
        let _ = enter(|| {
            #[allow(unsafe_code)]
            // SAFETY: the interpreter is initialized and not finalizing (checked by `enter`
            // under the same lock the exit hook takes), and this thread has a thread state
            // (pinned below). `outer` takes the GIL; releasing `pinned` (LOCKED) only lowers the
            // thread state's counter; releasing `outer` (UNLOCKED) brings it to zero, which
            // clears and deletes the thread state and releases the GIL. No Python object or
            // pyo3 state of this thread is used.
            unsafe {
                if pyo3::ffi::Py_IsInitialized() != 0 {
                    let outer = pyo3::ffi::PyGILState_Ensure();
                    pyo3::ffi::PyGILState_Release(pinned);
                    pyo3::ffi::PyGILState_Release(outer);
                }
            }
        });
    }
}

thread_local! {
    static PINNED: std::cell::RefCell<Option<Pin>> = const { std::cell::RefCell::new(None) };
}

/// Take one extra reference on this thread's thread state (once per thread).
fn pin_thread_state(_attached: Python<'_>) {
    let _ = PINNED.try_with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            #[allow(unsafe_code)]
            // SAFETY: the caller holds the GIL (the `Python` token), so this thread has a
            // current thread state: `PyGILState_Ensure` only increments its gilstate counter
            // and returns PyGILState_LOCKED. The matching release is in `Pin::drop`.
            let state = unsafe { pyo3::ffi::PyGILState_Ensure() };
            *slot = Some(Pin(state));
        }
    });
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
    EXITING.store(true, Ordering::SeqCst);
    py.detach(|| {
        // Exit-time only: a short poll instead of a condition variable (whose mutex could have
        // been held across a fork).
        let deadline = Instant::now() + EXIT_GRACE;
        while attached_here() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// Register the exit hook (module import).
pub fn install(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let hook = wrap_pyfunction!(_rocketmq_at_exit, m)?;
    m.py().import("atexit")?.call_method1("register", (hook,))?;
    Ok(())
}
