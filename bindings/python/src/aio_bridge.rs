//! The asyncio side of [`crate::drive`]: a client future handed to Python as an
//! `asyncio.Future` of the running loop, resolved without a runtime worker ever taking the GIL.
//!
//! Why not pyo3-async-runtimes' bridge (used before, issue #13 §1): it spawns every call as a
//! task (a thread hop before the request is even encoded), and resolves each future from the
//! runtime worker that completed it by taking the GIL and calling `loop.call_soon_threadsafe`.
//! With the loop busy (many sends in flight) each completion waited for the loop thread to give
//! up the GIL (up to the interpreter's switch interval), and every completion woke the loop on
//! its own. Here, as in the asyncio consumer (`aio_listener`):
//!
//! * a call made while none of the loop's calls is in flight (a coroutine awaiting its sends
//!   one at a time) is polled once at once on the loop thread (GIL released, the runtime
//!   entered), as the blocking path does on the calling thread: the request is encoded and
//!   queued for the connection's writer before the coroutine even suspends, with no thread
//!   hop. With calls in flight it is spawned at once instead, so that the encoding runs on a
//!   runtime worker in parallel with the loop thread, which is the bottleneck then (as for
//!   `send_async`). A call still pending after the first poll is parked, and spawned on the
//!   runtime by its own waker when the answer arrives ([`Deferred`]): the worker that woke it
//!   polls it from its local queue, so no thread is woken just to take the call over;
//! * a completed call is queued in the loop's inbox by the worker that completed it, and the
//!   loop is woken by one byte on a socket pair the loop watches (`loop.add_reader`), only when
//!   the inbox goes from empty to non-empty: no GIL, no thread hop, and under load one wake-up
//!   resolves many futures;
//! * [`AioBridge`] runs on the loop: it takes the whole inbox and resolves each future (converting
//!   the result there, GIL held anyway);
//! * cancelling the `asyncio.Future` drops the parked call or aborts its task (a done-callback),
//!   as before.
//!
//! Where the loop cannot watch sockets (Windows' proactor loop), the wake-up is
//! `loop.call_soon_threadsafe` from the runtime's blocking pool, which waits for the GIL.
//!
//! Interpreter exit: a runtime worker completing a call after the interpreter began finalizing
//! only touches the inbox and the socket; nothing here takes the GIL off the loop thread.

use pyo3::intern;
use pyo3::prelude::*;
use rocketmq_client::Error;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Waker};

use crate::errors::{IntoPyResult, Op};
use crate::interpreter;
use crate::logging;
use crate::results::ToPython;
use crate::runtime;

/// The attribute under which a loop keeps its bridge (where the loop takes attributes).
const LOOP_ATTR: &str = "_rocketmq_aio_bridge";

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A call's outcome, converted and set on its future on the loop thread.
trait Settle: Send {
    fn settle(self: Box<Self>, future: &Bound<'_, PyAny>) -> PyResult<()>;
}

struct Outcome<T> {
    op: Op,
    result: Result<T, Error>,
}

impl<T: ToPython> Settle for Outcome<T> {
    fn settle(self: Box<Self>, future: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = future.py();
        let Outcome { op, result } = *self;
        // A cancelled future (or one resolved otherwise) takes no result: the result is
        // discarded (a lite-pull poll gives its messages back).
        if future.call_method0(intern!(py, "done"))?.is_truthy()? {
            if let Ok(value) = result {
                value.discard();
            }
            return Ok(());
        }
        match result.or_raise(py, op).and_then(|v| v.to_python(py)) {
            Ok(value) => future.call_method1(intern!(py, "set_result"), (value,))?,
            Err(e) => future.call_method1(intern!(py, "set_exception"), (e.into_value(py),))?,
        };
        Ok(())
    }
}

/// A completed call waiting for the loop.
struct Completion {
    future: Py<PyAny>,
    outcome: Box<dyn Settle>,
    /// The call's cancel handle, whose done-callback is taken off the future before its result
    /// is set (see [`AioCancel`]). Weak: the parked call holds this, and the handle holds the
    /// parked call.
    deferred: Weak<Deferred>,
}

struct Inner {
    inbox: Mutex<Vec<Completion>>,
    /// Calls spawned and not yet finished (completed or aborted).
    in_flight: AtomicUsize,
    /// Whether a drain is due (a wake-up sent and not yet consumed by an empty inbox).
    scheduled: AtomicBool,
    /// The socket pair: the loop watches `wake_rx`; a worker writes a byte to `wake_tx`.
    #[cfg(unix)]
    wake: Option<(std::os::unix::net::UnixStream, std::os::unix::net::UnixStream)>,
    /// The loop, only where it cannot watch the socket (`call_soon_threadsafe` then).
    fallback_loop: Option<Arc<Py<PyAny>>>,
    /// The fork generation the bridge was made in: a forked child never uses its parent's.
    generation: u64,
}

/// The callable the loop runs (on a wake-up) to resolve completed calls.
#[derive(Debug)]
#[pyclass(module = "rocketmq._rocketmq", name = "_AioBridge", frozen)]
pub struct AioBridge {
    inner: Arc<Inner>,
}

#[pymethods]
impl AioBridge {
    fn __call__(&self, py: Python<'_>) {
        self.inner.drain(py);
    }
}

/// A call's task: the call, then its completion queued for the loop.
type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Where a call's task is (see [`Deferred`]).
enum Stage {
    /// In its first poll, on the loop thread; `woken` if its waker fired meanwhile.
    Polling { woken: bool },
    /// Pending after its first poll, not spawned yet: the first wake-up spawns it.
    Parked(Task),
    /// On the runtime (`abort` once known), or done, or dropped by a cancel (`cancelled`).
    Spawned { abort: Option<tokio::task::AbortHandle>, cancelled: bool },
}

/// The waker of a call's first poll, on the loop thread: the call is spawned on the runtime only
/// when it is woken (the answer arrived), by the worker that woke it, which then polls it from
/// its own queue: no thread is woken to take over a call that is only waiting, and none to
/// poll it when it can go on. Also the call's cancel handle (the `asyncio.Future`'s
/// done-callback, through [`AioCancel`]).
struct Deferred {
    stage: Mutex<Stage>,
    handle: tokio::runtime::Handle,
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stage = match &*lock(&self.stage) {
            Stage::Polling { .. } => "polling",
            Stage::Parked(_) => "parked",
            Stage::Spawned { .. } => "spawned",
        };
        f.debug_struct("Deferred").field("stage", &stage).finish()
    }
}

impl Deferred {
    fn new(handle: tokio::runtime::Handle) -> Self {
        Deferred { stage: Mutex::new(Stage::Polling { woken: false }), handle }
    }

    /// Spawn the task at once (no first poll on the loop thread).
    fn spawn_now(&self, task: Task) {
        *lock(&self.stage) = Stage::Spawned { abort: None, cancelled: false };
        self.spawn(task);
    }

    /// After the first poll returned pending: park the task, or spawn it if it was woken.
    fn park(&self, task: Task) {
        let mut stage = lock(&self.stage);
        match &*stage {
            Stage::Polling { woken: true } => {
                *stage = Stage::Spawned { abort: None, cancelled: false };
                drop(stage);
                self.spawn(task);
            }
            _ => *stage = Stage::Parked(task),
        }
    }

    fn spawn(&self, task: Task) {
        let abort = self.handle.spawn(task).abort_handle();
        let mut stage = lock(&self.stage);
        match &mut *stage {
            Stage::Spawned { cancelled: true, .. } => abort.abort(),
            Stage::Spawned { abort: slot, .. } => *slot = Some(abort),
            _ => {}
        }
    }

    fn woken(&self) {
        let mut stage = lock(&self.stage);
        let parked = match &mut *stage {
            Stage::Polling { woken } => {
                *woken = true;
                None
            }
            Stage::Parked(_) => {
                match std::mem::replace(&mut *stage, Stage::Spawned { abort: None, cancelled: false }) {
                    Stage::Parked(task) => Some(task),
                    _ => None,
                }
            }
            Stage::Spawned { .. } => None,
        };
        drop(stage);
        if let Some(task) = parked {
            self.spawn(task);
        }
    }
}

impl std::task::Wake for Deferred {
    fn wake(self: Arc<Self>) {
        self.woken();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken();
    }
}

/// A call's cancel handle: the `asyncio.Future`'s done-callback.
///
/// Taken off the future again just before the call's result is set: a done-callback still
/// there would be scheduled with `call_soon` and run in the next loop iteration only to find
/// the future not cancelled, the costliest part of an awaited send's asyncio machinery after
/// the loop's own iterations (issue #13). Handles of the same call compare equal, which is how
/// `remove_done_callback` finds the registered one from the weak reference the completion keeps.
#[derive(Debug)]
#[pyclass(module = "rocketmq._rocketmq", name = "_AioCancel", frozen, eq, hash)]
pub struct AioCancel {
    deferred: Arc<Deferred>,
}

impl PartialEq for AioCancel {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.deferred, &other.deferred)
    }
}

impl std::hash::Hash for AioCancel {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.deferred).hash(state);
    }
}

#[pymethods]
impl AioCancel {
    /// A cancelled future drops its parked call or aborts its task.
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if !future.call_method0(intern!(future.py(), "cancelled"))?.is_truthy()? {
            return Ok(());
        }
        let mut stage = lock(&self.deferred.stage);
        let dropped = match &mut *stage {
            Stage::Parked(_) => Some(std::mem::replace(&mut *stage, Stage::Spawned { abort: None, cancelled: true })),
            Stage::Spawned { abort: Some(abort), .. } => {
                abort.abort();
                None
            }
            Stage::Spawned { cancelled, .. } => {
                *cancelled = true;
                None
            }
            Stage::Polling { .. } => None,
        };
        drop(stage);
        // Dropping the parked call cancels it (outside the lock: its drop may wake things).
        drop(dropped);
        Ok(())
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AioBridge").field("queued", &lock(&self.inbox).len()).finish()
    }
}

impl Inner {
    /// Queue a completion (any thread, no GIL) and wake the loop if it was not already due.
    fn complete(self: &Arc<Self>, completion: Completion) {
        lock(&self.inbox).push(completion);
        if !self.scheduled.swap(true, Ordering::SeqCst) {
            self.wake();
        }
    }

    fn wake(self: &Arc<Self>) {
        #[cfg(unix)]
        if let Some((_, tx)) = &self.wake {
            use std::io::Write;
            // WouldBlock: the socket is full of unread wake-ups, so a drain is due anyway.
            if let Err(e) = (&*tx).write(&[1]) {
                if e.kind() != std::io::ErrorKind::WouldBlock {
                    tracing::warn!(error = %e, "cannot wake the event loop through its socket; asyncio calls may hang");
                }
            }
            return;
        }
        let Some(event_loop) = self.fallback_loop.clone() else { return };
        let inner = self.clone();
        let wake = move || {
            let _ = interpreter::attach_pinned(|py| {
                let drain = Py::new(py, AioBridge { inner });
                if let Err(e) = drain.and_then(|d| event_loop.call_method1(py, "call_soon_threadsafe", (d,))) {
                    logging::log_exception(py, "cannot resolve asyncio calls on their event loop (is it closed?)", e);
                }
            });
        };
        if let Ok(rt) = runtime::get() {
            rt.spawn_blocking(wake);
        }
    }

    /// Resolve every queued completion (on the loop thread, GIL held).
    fn drain(&self, py: Python<'_>) {
        #[cfg(unix)]
        if let Some((rx, _)) = &self.wake {
            use std::io::Read;
            let mut buf = [0u8; 256];
            while let Ok(n) = (&*rx).read(&mut buf) {
                if n < buf.len() {
                    break;
                }
            }
        }
        loop {
            let batch = std::mem::take(&mut *lock(&self.inbox));
            if batch.is_empty() {
                self.scheduled.store(false, Ordering::SeqCst);
                // A completion queued between the take and the store saw `scheduled` still set
                // and sent no wake-up: resolve it now (unless another wake-up is on its way).
                if lock(&self.inbox).is_empty() || self.scheduled.swap(true, Ordering::SeqCst) {
                    return;
                }
                continue;
            }
            for Completion { future, outcome, deferred } in batch {
                let future = future.bind(py);
                if let Some(deferred) = deferred.upgrade() {
                    if let Err(e) = future.call_method1(intern!(py, "remove_done_callback"), (AioCancel { deferred },))
                    {
                        logging::log_exception(py, "cannot take the cancel handle off an asyncio call's future", e);
                    }
                }
                // A panic must not leave the rest of the inbox (and every later call) unresolved.
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| outcome.settle(future))) {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => logging::log_exception(py, "cannot resolve an asyncio call's future", e),
                    Err(_) => {
                        tracing::error!("resolving an asyncio call's future panicked; the call is left unresolved")
                    }
                }
            }
        }
    }
}

thread_local! {
    /// The bridge of the loop last used on this thread (a loop runs on one thread), with a strong
    /// reference to the loop so that the identity check cannot be fooled by a recycled address.
    static LAST: RefCell<Option<(Py<PyAny>, Arc<Inner>)>> = const { RefCell::new(None) };
}

/// The bridge of `event_loop`, made on first use.
fn bridge_for(event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Inner>> {
    let py = event_loop.py();
    let generation = rocketmq_client::process::generation();
    let cached = LAST.with(|last| {
        last.borrow()
            .as_ref()
            .filter(|(l, inner)| l.is(event_loop) && inner.generation == generation)
            .map(|(_, inner)| inner.clone())
    });
    if let Some(inner) = cached {
        return Ok(inner);
    }
    let kept = event_loop
        .getattr(intern!(py, LOOP_ATTR))
        .ok()
        .and_then(|b| b.cast_into::<AioBridge>().ok())
        .map(|b| b.get().inner.clone())
        .filter(|inner| inner.generation == generation);
    let inner = match kept {
        Some(inner) => inner,
        None => new_bridge(event_loop, generation)?,
    };
    LAST.with(|last| *last.borrow_mut() = Some((event_loop.clone().unbind(), inner.clone())));
    Ok(inner)
}

fn new_bridge(event_loop: &Bound<'_, PyAny>, generation: u64) -> PyResult<Arc<Inner>> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let py = event_loop.py();
        if let Ok((rx, tx)) = std::os::unix::net::UnixStream::pair() {
            if rx.set_nonblocking(true).is_ok() && tx.set_nonblocking(true).is_ok() {
                let fd = rx.as_raw_fd();
                let inner = Arc::new(Inner {
                    inbox: Mutex::new(Vec::new()),
                    in_flight: AtomicUsize::new(0),
                    scheduled: AtomicBool::new(false),
                    wake: Some((rx, tx)),
                    fallback_loop: None,
                    generation,
                });
                let bridge = Bound::new(py, AioBridge { inner: inner.clone() })?;
                match event_loop.call_method1(intern!(py, "add_reader"), (fd, &bridge)) {
                    Ok(_) => {
                        // The loop keeps the bridge (and so the socket) while it watches it; as an
                        // attribute too where it can, so a loop used again finds it.
                        let _ = event_loop.setattr(intern!(py, LOOP_ATTR), &bridge);
                        return Ok(inner);
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "the event loop cannot watch sockets; using call_soon_threadsafe")
                    }
                }
            }
        }
    }
    Ok(Arc::new(Inner {
        inbox: Mutex::new(Vec::new()),
        in_flight: AtomicUsize::new(0),
        scheduled: AtomicBool::new(false),
        #[cfg(unix)]
        wake: None,
        fallback_loop: Some(Arc::new(event_loop.clone().unbind())),
        generation,
    }))
}

/// A spawned call, counted in `in_flight` until its task ends (completed or aborted).
struct InFlight(Arc<Inner>);

impl InFlight {
    fn new(inner: Arc<Inner>) -> Self {
        inner.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(inner)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `fut` as an `asyncio.Future` of the running loop (see the module docs).
pub fn submit<'py, T, F>(py: Python<'py>, op: Op, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T, Error>> + Send + 'static,
    T: ToPython,
{
    let rt = runtime::get()?;
    let event_loop = pyo3_async_runtimes::get_running_loop(py)?;
    let future = event_loop.call_method0(intern!(py, "create_future"))?;
    let inner = bridge_for(&event_loop)?;
    let eager = inner.in_flight.load(Ordering::Relaxed) == 0;
    let counted = InFlight::new(inner);
    let target = future.clone().unbind();
    let deferred = Arc::new(Deferred::new(rt.handle().clone()));
    let cancel_handle = Arc::downgrade(&deferred);
    let mut task: Task = Box::pin(async move {
        let result = fut.await;
        // No longer in flight before the loop can see the completion (the next call of a
        // coroutine awaiting one at a time then takes the eager path).
        let bridge = counted.0.clone();
        drop(counted);
        bridge.complete(Completion {
            future: target,
            outcome: Box::new(Outcome { op, result }),
            deferred: cancel_handle,
        });
    });
    if eager {
        let waker = Waker::from(deferred.clone());
        let first = py.detach(|| {
            let polled = {
                let _entered = rt.handle().enter();
                task.as_mut().poll(&mut Context::from_waker(&waker))
            };
            // A daemon thread's loop still sending while the interpreter exits must not
            // re-enter it.
            interpreter::park_if_exiting();
            polled
        });
        if first.is_ready() {
            // Its completion is queued already.
            return Ok(future);
        }
        deferred.park(task);
    } else {
        deferred.spawn_now(task);
    }
    future.call_method1(intern!(py, "add_done_callback"), (AioCancel { deferred },))?;
    Ok(future)
}
