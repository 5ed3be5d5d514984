//! The asyncio listener behind `rocketmq.aio.PushConsumer`: callbacks (`async def` or plain)
//! run as tasks on the event loop that called `start()`; pulls, rebalances and offset commits
//! stay on the Rust runtime, so a callback that hogs the loop slows consumption but never stalls
//! the pulls.
//!
//! How a batch reaches the loop, cheaply:
//! * The core calls [`AioListener::consume_many`] on a runtime worker with the batches of one
//!   pull (at most `max_in_flight` batches in flight, orderly: one batch per queue). It queues
//!   them in an inbox under one lock, each with its slot in the group's verdicts, and returns a
//!   future that waits for the group (one oneshot, sent when the last batch has its verdict).
//!   At a batch size of 1 this is what makes the asyncio consumer cheap: one task, one permit
//!   acquisition and one wake-up per pull instead of per message. A runtime worker never
//!   waits for the GIL.
//! * When the inbox goes from empty to non-empty, the loop is woken once: by writing a byte to a
//!   socket the loop watches (`loop.add_reader`), with no GIL and no thread hop; where the loop
//!   cannot watch sockets (Windows' proactor loop), by `loop.call_soon_threadsafe(drain)` from the
//!   runtime's blocking pool (which may wait for the GIL: a busy loop thread holds it up to the
//!   interpreter's switch interval). Under load one wake-up carries many batches.
//! * The messages are the core's own, shared (`consume_shared`): no copy is made for Python,
//!   and a `ReceivedMessage` freed on the loop's thread releases only a count (freeing the copy
//!   there, memory allocated on runtime threads, took a tenth of the loop's time).
//! * [`AioDrain`] runs on the loop: it takes up to [`MAX_PER_TURN`] batches, builds the
//!   `ReceivedMessage` objects and hands each batch to `rocketmq._aio_consume.Spawner`, then
//!   yields to the loop if more are waiting. The spawner runs at most `max_in_flight` batches at
//!   once (starting each eagerly: a callback that never waits needs no task) and queues the rest;
//!   the core hands over up to 4 times as many, so a finished callback's successor is already
//!   on the loop instead of a round trip away.
//! * The task awaits the callback of each message in order and reports through [`AioVerdict`]:
//!   a result other than None goes through `accepts(msg, result)` (the blocking consumer's
//!   rules: CONSUME_SUCCESS done, anything else redelivered and logged; None, the usual
//!   result, is done without that call), `finish(done)` settles the batch's slot in its group;
//!   the group's verdicts go to the core once its last batch is settled. A slot dropped
//!   unsettled (loop closed, task destroyed) means RECONSUME_LATER for that batch. Verdicts decided
//!   during a drain (callbacks that finished without waiting) are sent together when it ends,
//!   by one task on the runtime: sent from the loop one by one, each woke a parked worker with
//!   a syscall on the loop's thread.

use pyo3::prelude::*;
use pyo3::types::PyList;
use rocketmq_client::consumer::listener::{ListenerFuture, ManyFuture, SharedCall};
use rocketmq_client::consumer::ConsumeContext;
use rocketmq_client::{AsyncMessageListener, ConsumeResult, MessageExt};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use tokio::sync::oneshot;

use crate::interpreter;
use crate::listener::{verdict, CallbackTable};
use crate::logging;
use crate::received::PyReceivedMessage;

/// Batches handed to the loop per turn of [`AioDrain`]; the rest wait for the next turn, so the
/// loop's other work is never starved by a backlog.
pub const MAX_PER_TURN: usize = 64;

/// The Python helper module that creates and keeps the tasks.
const HELPER_MODULE: &str = "rocketmq._aio_consume";

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A batch waiting for the loop.
struct Pending {
    msgs: Vec<Arc<MessageExt>>,
    broker_name: String,
    slot: Slot,
}

/// The verdicts of a group (the batches handed over in one `consume_many`), complete: sent
/// when a drain ends if decided during it (see [`Shared::flush`]), else at once.
type Decided = (oneshot::Sender<Vec<ConsumeResult>>, Vec<ConsumeResult>);

/// The verdicts of one group, filled in as its batches finish.
struct Group {
    state: Mutex<GroupState>,
}

struct GroupState {
    results: Vec<ConsumeResult>,
    left: usize,
    tx: Option<oneshot::Sender<Vec<ConsumeResult>>>,
}

impl Group {
    /// Record batch `index`'s verdict; the group's sender and verdicts once the last is in.
    fn settle(&self, index: usize, result: ConsumeResult) -> Option<Decided> {
        let mut state = lock(&self.state);
        if let Some(slot) = state.results.get_mut(index) {
            *slot = result;
        }
        state.left = state.left.saturating_sub(1);
        if state.left > 0 {
            return None;
        }
        let results = std::mem::take(&mut state.results);
        state.tx.take().map(|tx| (tx, results))
    }
}

/// A batch's place in its group. Dropped unsettled (the batch never reached the loop, its task
/// was destroyed, the loop closed), it settles as RECONSUME_LATER: the batch is redelivered,
/// and the rest of its group is not held up.
struct Slot {
    group: Arc<Group>,
    index: usize,
    settled: bool,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot").field("index", &self.index).field("settled", &self.settled).finish()
    }
}

impl Slot {
    fn settle(mut self, result: ConsumeResult) -> Option<Decided> {
        self.settled = true;
        self.group.settle(self.index, result)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if !self.settled {
            if let Some((tx, results)) = self.group.settle(self.index, ConsumeResult::ReconsumeLater) {
                let _ = tx.send(results);
            }
        }
    }
}

struct Shared {
    table: Arc<CallbackTable>,
    inbox: Mutex<VecDeque<Pending>>,
    /// Whether a drain is running (on the loop): verdicts decided meanwhile (callbacks that
    /// finished without waiting) wait in `outbox` instead of each waking a runtime worker.
    draining: AtomicBool,
    outbox: Mutex<Vec<Decided>>,
    /// Whether a drain is scheduled on (or running in) the loop.
    scheduled: AtomicBool,
    event_loop: Py<PyAny>,
    /// `Spawner.spawn(callback, messages, verdict)`.
    spawn: Py<PyAny>,
    /// The write end of a socket pair whose read end the loop watches (`loop.add_reader`):
    /// waking the loop is one `send` of a byte, without the GIL. `None` where the loop cannot
    /// watch file descriptors (Windows' proactor loop): `call_soon_threadsafe` then, which needs
    /// the GIL and so a thread that may wait for it.
    #[cfg(unix)]
    wake: Option<std::os::unix::net::UnixStream>,
    /// Itself, for the verdicts of the batches it hands over.
    me: Weak<Shared>,
}

/// The listener registered on the Rust consumer.
pub struct AioListener {
    shared: Arc<Shared>,
}

impl AioListener {
    /// A listener for the callbacks in `table`, running them on `event_loop` (the loop running
    /// `start()`; GIL held).
    /// At most `running_limit` callbacks run at once on the loop (batches handed over beyond
    /// that wait there, in order).
    pub fn new(
        py: Python<'_>,
        table: Arc<CallbackTable>,
        event_loop: Bound<'_, PyAny>,
        running_limit: usize,
    ) -> PyResult<Self> {
        let spawner = py.import(HELPER_MODULE)?.getattr("Spawner")?.call1((&event_loop, running_limit))?;
        let spawn = spawner.getattr("spawn")?.unbind();
        let shared = Arc::new_cyclic(|weak: &Weak<Shared>| Shared {
            table,
            inbox: Mutex::new(VecDeque::new()),
            draining: AtomicBool::new(false),
            outbox: Mutex::new(Vec::new()),
            scheduled: AtomicBool::new(false),
            event_loop: event_loop.clone().unbind(),
            spawn,
            #[cfg(unix)]
            wake: socket_wake(py, &spawner, weak),
            me: weak.clone(),
        });
        Ok(AioListener { shared })
    }
}

/// Set up the GIL-free wake-up: a socket pair, the read end handed to the Python `Spawner`
/// (which owns and closes it) and watched by the loop, the write end kept here. `None` (with
/// the reason at DEBUG) when the loop cannot watch it.
#[cfg(unix)]
fn socket_wake(
    py: Python<'_>,
    spawner: &Bound<'_, PyAny>,
    shared: &Weak<Shared>,
) -> Option<std::os::unix::net::UnixStream> {
    use std::os::fd::IntoRawFd;
    let (reader, writer) = match std::os::unix::net::UnixStream::pair() {
        Ok(pair) => pair,
        Err(e) => {
            tracing::debug!(error = %e, "no socket pair for waking the event loop; using call_soon_threadsafe");
            return None;
        }
    };
    if let Err(e) = writer.set_nonblocking(true) {
        tracing::debug!(error = %e, "cannot make the wake socket non-blocking; using call_soon_threadsafe");
        return None;
    }
    let drain = Py::new(py, AioDrain { shared: shared.clone() }).ok()?;
    // Ownership of the read end passes to Python (`socket.socket(fileno=...)` closes it).
    let fd = reader.into_raw_fd();
    match spawner.call_method1("watch", (fd, drain)) {
        Ok(watched) if watched.is_truthy().unwrap_or(false) => Some(writer),
        Ok(_) => None,
        Err(e) => {
            logging::log_exception(py, "cannot watch the consumer's wake socket; using call_soon_threadsafe", e);
            None
        }
    }
}

impl AsyncMessageListener for AioListener {
    fn consume(&self, msgs: Vec<MessageExt>, context: ConsumeContext) -> ListenerFuture {
        self.consume_shared(msgs.into_iter().map(Arc::new).collect(), context)
    }

    /// The consumer's messages themselves: the `ReceivedMessage` objects share them, so no copy
    /// is made, and freeing one on the loop's thread is only a count.
    fn consume_shared(&self, msgs: Vec<Arc<MessageExt>>, context: ConsumeContext) -> ListenerFuture {
        let all = self.consume_many(vec![SharedCall { msgs, context }]);
        Box::pin(async move { all.await.into_iter().next().unwrap_or(ConsumeResult::ReconsumeLater) })
    }

    /// The batches of one pull, queued for the loop in one go (see the module docs).
    fn consume_many(&self, calls: Vec<SharedCall>) -> ManyFuture {
        let n = calls.len();
        let (tx, rx) = oneshot::channel();
        let state = GroupState { results: vec![ConsumeResult::ReconsumeLater; n], left: n, tx: Some(tx) };
        let group = Arc::new(Group { state: Mutex::new(state) });
        self.shared.push(calls.into_iter().enumerate().map(|(index, call)| Pending {
            msgs: call.msgs,
            broker_name: call.context.queue.broker_name,
            slot: Slot { group: group.clone(), index, settled: false },
        }));
        // Verdicts never sent (loop closed, interpreter exiting) mean redelivery.
        Box::pin(async move { rx.await.unwrap_or_else(|_| vec![ConsumeResult::ReconsumeLater; n]) })
    }
}

impl Shared {
    fn push(self: &Arc<Self>, pending: impl Iterator<Item = Pending>) {
        lock(&self.inbox).extend(pending);
        if !self.scheduled.swap(true, Ordering::SeqCst) {
            self.schedule();
        }
    }

    /// Ask the loop to run a drain: a byte on the wake socket where the loop watches one (no
    /// GIL, no thread hop), else `call_soon_threadsafe` from a thread that may wait for the GIL.
    fn schedule(self: &Arc<Self>) {
        #[cfg(unix)]
        if let Some(wake) = &self.wake {
            use std::io::Write;
            match (&*wake).write(&[1]) {
                // WouldBlock: the socket is full of unread wake-ups, so a drain is due anyway.
                Ok(_) => return,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) => tracing::warn!(error = %e, "cannot wake the event loop through its socket"),
            }
        }
        let shared = self.clone();
        let wake = move || {
            let woke = interpreter::attach_pinned(|py| {
                // The loop holds the drain, which holds the listener weakly: no cycle.
                let drain = Py::new(py, AioDrain { shared: Arc::downgrade(&shared) });
                match drain.and_then(|d| shared.event_loop.call_method1(py, "call_soon_threadsafe", (d,))) {
                    Ok(_) => true,
                    Err(e) => {
                        logging::log_exception(
                            py,
                            "cannot schedule consumer callbacks on the event loop (is it closed?); \
                             the messages will be redelivered",
                            e,
                        );
                        false
                    }
                }
            });
            if woke != Some(true) {
                // Nothing will drain: fail what waits (their verdicts are dropped = redelivery)
                // and let the next batch try again.
                let dropped: Vec<Pending> = lock(&shared.inbox).drain(..).collect();
                shared.scheduled.store(false, Ordering::SeqCst);
                drop(dropped);
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn_blocking(wake);
            }
            Err(_) => match crate::runtime::get() {
                Ok(rt) => {
                    rt.spawn_blocking(wake);
                }
                Err(_) => wake(),
            },
        }
    }

    /// Hand waiting batches to the loop (on the loop, GIL held; `me` is the running drain).
    fn drain(self: &Arc<Self>, me: &Bound<'_, AioDrain>) {
        self.draining.store(true, Ordering::Relaxed);
        self.drain_turn(me);
        self.draining.store(false, Ordering::Relaxed);
        self.flush();
    }

    /// Send the verdicts decided during a drain. Sent one by one from the loop's thread, each
    /// would wake a parked runtime worker (a syscall each, on the loop: a tenth of its time in
    /// the drain benchmark); one task on the runtime sends them all for one wake-up.
    fn flush(&self) {
        let decided = std::mem::take(&mut *lock(&self.outbox));
        if decided.is_empty() {
            return;
        }
        let send_all = move || {
            for (tx, results) in decided {
                let _ = tx.send(results);
            }
        };
        match crate::runtime::get() {
            Ok(rt) => {
                rt.spawn(async move { send_all() });
            }
            Err(_) => send_all(),
        }
    }

    /// One turn of [`Shared::drain`].
    fn drain_turn(self: &Arc<Self>, me: &Bound<'_, AioDrain>) {
        let py = me.py();
        loop {
            let batch: Vec<Pending> = {
                let mut inbox = lock(&self.inbox);
                let n = inbox.len().min(MAX_PER_TURN);
                inbox.drain(..n).collect()
            };
            if batch.is_empty() {
                self.scheduled.store(false, Ordering::SeqCst);
                // A batch pushed between the take and the store saw `scheduled` still set and
                // did not schedule: pick it up now (unless another drain got scheduled).
                if lock(&self.inbox).is_empty() || self.scheduled.swap(true, Ordering::SeqCst) {
                    return;
                }
                continue;
            }
            let full = batch.len() == MAX_PER_TURN;
            for pending in batch {
                self.dispatch(py, pending);
            }
            if full {
                // More may wait: continue on the loop's next turn (still scheduled).
                if let Err(e) = self.event_loop.call_method1(py, "call_soon", (me,)) {
                    logging::log_exception(py, "cannot reschedule consumer callbacks on the event loop", e);
                    let dropped: Vec<Pending> = lock(&self.inbox).drain(..).collect();
                    self.scheduled.store(false, Ordering::SeqCst);
                    drop(dropped);
                }
                return;
            }
        }
    }

    /// Start the task of one batch (GIL held). On any failure its slot is dropped unsettled
    /// (redelivery).
    fn dispatch(&self, py: Python<'_>, pending: Pending) {
        let Pending { msgs, broker_name, slot } = pending;
        let Some(topic) = msgs.first().map(|m| m.topic.as_str()) else {
            self.settled(slot.settle(ConsumeResult::Success));
            return;
        };
        let Some(callback) = self.table.get(py, topic) else {
            logging::log_at(
                py,
                logging::ERROR,
                &format!("no callback for topic {topic:?}; {} message(s) will be redelivered", msgs.len()),
            );
            return;
        };
        let len = msgs.len();
        // Ids are not computed here: only a message that fails is logged, by its id.
        let objects: PyResult<Vec<Bound<'_, PyReceivedMessage>>> =
            msgs.into_iter().map(|m| Bound::new(py, PyReceivedMessage::shared(m, broker_name.clone()))).collect();
        let started = objects.and_then(|objects| {
            let list = PyList::new(py, objects)?;
            let verdict = Bound::new(py, AioVerdict { slot: Mutex::new(Some(slot)), len, shared: self.me.clone() })?;
            self.spawn.call1(py, (callback, list, verdict))
        });
        if let Err(e) = started {
            logging::log_exception(py, "cannot start a consumer callback task; the messages will be redelivered", e);
        }
    }
}

impl Shared {
    /// Send a complete group's verdicts: after the drain if one is running, else now.
    fn settled(&self, decided: Option<Decided>) {
        let Some((tx, results)) = decided else { return };
        if self.draining.load(Ordering::Relaxed) {
            lock(&self.outbox).push((tx, results));
        } else {
            let _ = tx.send(results);
        }
    }
}

/// The callable the loop runs to take batches from the inbox.
#[pyclass(module = "rocketmq._rocketmq", name = "_AioDrain", frozen)]
pub struct AioDrain {
    shared: Weak<Shared>,
}

impl std::fmt::Debug for AioDrain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AioDrain").field("alive", &(self.shared.strong_count() > 0)).finish()
    }
}

#[pymethods]
impl AioDrain {
    fn __call__(slf: &Bound<'_, Self>) {
        if let Some(shared) = slf.get().shared.upgrade() {
            shared.drain(slf);
        }
    }
}

/// How a batch's task reports back (see the module docs).
#[derive(Debug)]
#[pyclass(module = "rocketmq._rocketmq", name = "_AioVerdict", frozen)]
pub struct AioVerdict {
    slot: Mutex<Option<Slot>>,
    /// Messages in the batch.
    len: usize,
    /// Weak: a task outliving the consumer must not keep it alive.
    shared: Weak<Shared>,
}

#[pymethods]
impl AioVerdict {
    /// Whether the callback's `result` for `msg` means done (logs otherwise). The task asks only
    /// for a result other than None (None is done), so the common case never comes here.
    fn accepts(&self, py: Python<'_>, msg: &Bound<'_, PyReceivedMessage>, result: &Bound<'_, PyAny>) -> bool {
        let msg = msg.get();
        verdict(py, result, msg.topic_str(), &msg.msg_id())
    }

    /// The first `done` messages are done, the rest are redelivered. Only the first call counts.
    fn finish(&self, done: usize) {
        let Some(slot) = lock(&self.slot).take() else { return };
        let result = match done {
            0 => ConsumeResult::ReconsumeLater,
            n if n >= self.len => ConsumeResult::Success,
            n => ConsumeResult::Partial(n),
        };
        let decided = slot.settle(result);
        match self.shared.upgrade() {
            Some(shared) => shared.settled(decided),
            None => {
                if let Some((tx, results)) = decided {
                    let _ = tx.send(results);
                }
            }
        }
    }
}
