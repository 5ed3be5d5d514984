//! Python callbacks of a transactional producer (Java `TransactionListener`:
//! `executeLocalTransaction`, `checkLocalTransaction`; 2.x `local_execute(msg, user_args)` and
//! `checker_callback(msg)`): where they run and what their answer means. The transaction
//! itself (half message, END_TRANSACTION, the check queue) is the core's `TransactionProducer`.
//!
//! Where a callback runs ([`Runner`]):
//! * blocking API: `local_execute` on the thread that called `send_message_in_transaction`
//!   (the core's future is driven there, GIL released, see `blocking`); the checker on a thread
//!   of the runtime's blocking pool, which takes the GIL per check. The core answers checks one
//!   at a time from its bounded queue (Java: one check thread, queue 2000), so a slow checker
//!   delays later checks but never the connection's reader, and a runtime worker never waits
//!   for the GIL;
//! * asyncio API: both as tasks on the event loop (the one that awaited `start()` for the
//!   checker, the caller's for `local_execute`); `async def` or plain functions. A
//!   blocking-pool thread schedules them (`call_soon_threadsafe` needs the GIL); the task reports
//!   through [`StateReport`] (`rocketmq._aio_transaction`).
//!
//! The answer ([`state_of`]): a `TransactionStatus` (COMMIT 0, ROLLBACK 1, UNKNOWN 2; plain ints
//! too). An exception or any other value means UNKNOWN, logged with the traceback: the broker
//! checks the message again later (2.x passed an uninitialised value to the C++ core).

use pyo3::exceptions::PyException;
use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyInt, PyTuple};
use pyo3::PyTraverseError;
use rocketmq_client::producer::transaction::StateFuture;
use rocketmq_client::{LocalTransactionState, Message, MessageExt, SendResult, TransactionChecker};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

use crate::interpreter;
use crate::logging;
use crate::received::PyReceivedMessage;

/// The Python helper that runs callbacks as tasks on an event loop.
const HELPER_MODULE: &str = "rocketmq._aio_transaction";
static HELPER_START: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX`.
const UNIQ_KEY: &str = "UNIQ_KEY";

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The checker callable, shared by the producer object (for the garbage collector) and the
/// core's checker. The lock is held only briefly, never across a call into Python.
#[derive(Default)]
pub struct CheckerSlot(Mutex<Option<Py<PyAny>>>);

impl CheckerSlot {
    pub fn new(checker: Option<Py<PyAny>>) -> Self {
        CheckerSlot(Mutex::new(checker))
    }

    /// Whether a checker was given (the producer is transactional).
    pub fn is_set(&self) -> bool {
        lock(&self.0).is_some()
    }

    fn get(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        lock(&self.0).as_ref().map(|c| c.clone_ref(py))
    }

    /// `__traverse__`: never blocks (a GIL holder has the lock only briefly).
    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Ok(slot) = self.0.try_lock() {
            if let Some(cb) = slot.as_ref() {
                visit.call(cb)?;
            }
        }
        Ok(())
    }

    /// `__clear__`: drop the checker (later checks answer UNKNOWN).
    pub fn clear(&self) {
        let taken = lock(&self.0).take();
        drop(taken); // after the lock is released: its __del__ may run here
    }
}

/// Where Python callbacks run.
#[derive(Clone)]
pub enum Runner {
    /// A thread of ours, taking the GIL (blocking API).
    Thread,
    /// Tasks on this asyncio event loop.
    Loop(Arc<Py<PyAny>>),
}

impl Runner {
    /// The running event loop (GIL held, on the loop's thread).
    pub fn running_loop(py: Python<'_>) -> PyResult<Self> {
        let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
        Ok(Runner::Loop(Arc::new(event_loop.unbind())))
    }
}

/// What a callback's answer means (GIL held): 0 / 1 / 2 (`TransactionStatus`), else UNKNOWN,
/// logged.
pub fn state_of(py: Python<'_>, ret: &Bound<'_, PyAny>, what: &str) -> LocalTransactionState {
    if ret.is_instance_of::<PyInt>() && !ret.is_instance_of::<PyBool>() {
        match ret.extract::<i64>() {
            Ok(0) => return LocalTransactionState::CommitMessage,
            Ok(1) => return LocalTransactionState::RollbackMessage,
            Ok(2) => return LocalTransactionState::Unknow,
            _ => {}
        }
    }
    let shown = ret.repr().map_or_else(|_| "?".to_owned(), |r| r.to_string());
    logging::log_at(
        py,
        logging::WARNING,
        &format!(
            "{what} returned {shown}, which is not a TransactionStatus; the transaction stays UNKNOWN \
             (the broker checks it again later)"
        ),
    );
    LocalTransactionState::Unknow
}

/// Where a `BaseException` that is not an `Exception` (`KeyboardInterrupt`, `SystemExit`)
/// raised by a callback on the caller's thread is kept, to be raised again once the
/// transaction has ended (UNKNOWN).
pub type Escaped = Arc<Mutex<Option<PyErr>>>;

/// Call `callable(*args)` here, GIL held: its answer, or UNKNOWN (logged) if it raised. With
/// `escaped`, a Ctrl-C (or any non-`Exception`) is kept there instead of logged.
fn call_here(
    py: Python<'_>,
    callable: &Bound<'_, PyAny>,
    args: Bound<'_, PyTuple>,
    what: &str,
    escaped: Option<&Escaped>,
) -> LocalTransactionState {
    match callable.call1(args) {
        Ok(ret) => state_of(py, &ret, what),
        Err(e) if escaped.is_some() && !e.is_instance_of::<PyException>(py) => {
            if let Some(slot) = escaped {
                *lock(slot) = Some(e);
            }
            LocalTransactionState::Unknow
        }
        Err(e) => {
            let text = format!("{what} raised; the transaction stays UNKNOWN (the broker checks it again later)");
            logging::log_exception_at(py, logging::WARNING, &text, e);
            LocalTransactionState::Unknow
        }
    }
}

/// Builds a callback and its arguments once the GIL is held (`None`: no callback any more).
type MakeCall = Box<dyn for<'py> FnOnce(Python<'py>) -> PyResult<Option<(Py<PyAny>, Bound<'py, PyTuple>)>> + Send>;

/// Run the callback `make_call` gives as a task on `event_loop` and wait for its answer
/// (UNKNOWN if it raised, if the loop is closed, or if the task is cancelled).
async fn call_on_loop(event_loop: Arc<Py<PyAny>>, make_call: MakeCall, what: String) -> LocalTransactionState {
    let (tx, rx) = oneshot::channel();
    let schedule = move || {
        interpreter::attach(|py| {
            let scheduled = (|| -> PyResult<()> {
                let start = HELPER_START.import(py, HELPER_MODULE, "start")?;
                let Some((callable, args)) = make_call(py)? else {
                    return Ok(());
                };
                let report = Bound::new(py, StateReport { tx: Mutex::new(Some(tx)), what: what.clone() })?;
                event_loop.call_method1(py, "call_soon_threadsafe", (start, callable, args, report, what.as_str()))?;
                Ok(())
            })();
            if let Err(e) = scheduled {
                let text =
                    format!("cannot run {what} on the event loop (is it closed?); the transaction stays UNKNOWN");
                logging::log_exception(py, &text, e);
            }
        });
    };
    // A runtime worker never waits for the GIL: the blocking pool does.
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            handle.spawn_blocking(schedule);
        }
        Err(_) => schedule(),
    }
    rx.await.unwrap_or(LocalTransactionState::Unknow)
}

/// How a callback's task on the loop reports its answer (see `rocketmq._aio_transaction`).
#[pyclass(module = "rocketmq._rocketmq", name = "_TransactionReport", frozen)]
pub struct StateReport {
    tx: Mutex<Option<oneshot::Sender<LocalTransactionState>>>,
    what: String,
}

impl std::fmt::Debug for StateReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateReport").field("what", &self.what).finish()
    }
}

#[pymethods]
impl StateReport {
    /// The callback answered `result`. Only the first report counts.
    fn __call__(&self, py: Python<'_>, result: &Bound<'_, PyAny>) {
        let state = state_of(py, result, &self.what);
        if let Some(tx) = lock(&self.tx).take() {
            let _ = tx.send(state);
        }
    }

    /// The callback raised (the task logged it): UNKNOWN.
    fn unknown(&self) {
        if let Some(tx) = lock(&self.tx).take() {
            let _ = tx.send(LocalTransactionState::Unknow);
        }
    }
}

/// The half message as the local transaction sees it (a `ReceivedMessage`): its topic, body,
/// flag and properties, the queue and offset it was stored at, and its unique id.
fn half_message(msg: Message, sent: &SendResult) -> MessageExt {
    let mut properties = msg.properties().clone();
    if properties.get(UNIQ_KEY).is_none() && !sent.msg_id.is_empty() {
        properties.insert(UNIQ_KEY, sent.msg_id.clone());
    }
    MessageExt {
        topic: msg.topic().to_owned(),
        flag: msg.flag(),
        body: msg.body().clone(),
        queue_id: sent.queue.queue_id,
        queue_offset: sent.queue_offset,
        properties,
        ..MessageExt::default()
    }
}

/// The local transaction: `local_execute(msg, user_args)` where `runner` says (on the caller's
/// thread, a `KeyboardInterrupt` goes to `escaped`).
pub async fn run_local(
    runner: Runner,
    local: Py<PyAny>,
    user_args: Py<PyAny>,
    msg: Message,
    sent: SendResult,
    escaped: Escaped,
) -> LocalTransactionState {
    let broker_name = sent.queue.broker_name.clone();
    let half = half_message(msg, &sent);
    let what = format!("local_execute for message {}", half.msg_id());
    match runner {
        Runner::Thread => {
            // Driven on the calling thread (blocking API): take the GIL back for the call.
            interpreter::attach(|py| {
                let args = Bound::new(py, PyReceivedMessage::new(half, broker_name))
                    .and_then(|m| PyTuple::new(py, [m.into_any(), user_args.into_bound(py)]));
                match args {
                    Ok(args) => call_here(py, local.bind(py), args, &what, Some(&escaped)),
                    Err(e) => {
                        logging::log_exception(py, "cannot build the local transaction's message", e);
                        LocalTransactionState::Unknow
                    }
                }
            })
            .unwrap_or(LocalTransactionState::Unknow)
        }
        Runner::Loop(event_loop) => {
            let make_call: MakeCall = Box::new(move |py| {
                let m = Bound::new(py, PyReceivedMessage::new(half, broker_name))?;
                Ok(Some((local, PyTuple::new(py, [m.into_any(), user_args.into_bound(py)])?)))
            });
            call_on_loop(event_loop, make_call, what).await
        }
    }
}

/// The core's checker: calls the Python checker where `runner` says.
pub struct PyChecker {
    pub slot: Arc<CheckerSlot>,
    pub runner: Runner,
}

impl TransactionChecker for PyChecker {
    fn check(&self, msg: MessageExt) -> StateFuture {
        let slot = self.slot.clone();
        let runner = self.runner.clone();
        Box::pin(async move {
            let what = format!("transaction checker for message {}", msg.msg_id());
            match runner {
                Runner::Thread => {
                    let call = move || {
                        interpreter::attach(|py| {
                            let Some(checker) = slot.get(py) else {
                                return LocalTransactionState::Unknow;
                            };
                            let args = Bound::new(py, PyReceivedMessage::new(msg, String::new()))
                                .and_then(|m| PyTuple::new(py, [m]));
                            match args {
                                Ok(args) => call_here(py, checker.bind(py), args, &what, None),
                                Err(e) => {
                                    logging::log_exception(py, "cannot build the checked message", e);
                                    LocalTransactionState::Unknow
                                }
                            }
                        })
                        .unwrap_or(LocalTransactionState::Unknow)
                    };
                    match tokio::runtime::Handle::try_current() {
                        Ok(handle) => handle.spawn_blocking(call).await.unwrap_or(LocalTransactionState::Unknow),
                        Err(_) => call(),
                    }
                }
                Runner::Loop(event_loop) => {
                    let make_call: MakeCall = Box::new(move |py| {
                        let Some(checker) = slot.get(py) else { return Ok(None) };
                        let m = Bound::new(py, PyReceivedMessage::new(msg, String::new()))?;
                        Ok(Some((checker, PyTuple::new(py, [m])?)))
                    });
                    call_on_loop(event_loop, make_call, what).await
                }
            }
        })
    }
}
