//! Converting client results to Python objects, for blocking calls and awaitables alike.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use rocketmq_client::{MessageExt, SendResult, TransactionSendResult};

/// Where the pure-Python result types live (a namedtuple subclass and an IntEnum).
const TYPES_MODULE: &str = "rocketmq._types";

static SEND_RESULT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
/// `tuple.__new__`, which makes an instance of a tuple subclass without running its `__new__`.
static TUPLE_NEW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static TRANSACTION_SEND_RESULT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TRANSACTION_STATUS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SEND_STATUS_MEMBERS: PyOnceLock<Vec<Py<PyAny>>> = PyOnceLock::new();

fn status_member(py: Python<'_>, code: i32) -> PyResult<Bound<'_, PyAny>> {
    let members = SEND_STATUS_MEMBERS.get_or_try_init(py, || -> PyResult<Vec<Py<PyAny>>> {
        let cls = py.import(TYPES_MODULE)?.getattr("SendStatus")?;
        (0..4).map(|i| cls.call1((i,)).map(Bound::unbind)).collect()
    })?;
    match usize::try_from(code).ok().and_then(|i| members.get(i)) {
        Some(member) => Ok(member.bind(py).clone()),
        None => Ok(code.into_pyobject(py)?.into_any()),
    }
}

/// `rocketmq.client.SendResult(status, msg_id, offset)` with the extra attributes.
///
/// Built as `SendResult.__new__` would build it, without running that Python code (it is
/// on every send's path: two Python frames and six attribute stores, about half the cost of
/// the conversion, issue #13): `tuple.__new__` makes the three-field tuple of the class, and
/// the extra attributes go in as one ready dict. The object is the same as the class's own
/// constructor makes (same fields, same `__dict__`; a test compares the two).
pub fn send_result<'py>(py: Python<'py>, r: &SendResult) -> PyResult<Bound<'py, PyAny>> {
    let cls = SEND_RESULT.import(py, TYPES_MODULE, "SendResult")?;
    let tuple_new = TUPLE_NEW.get_or_try_init(py, || py.get_type::<PyTuple>().getattr("__new__").map(Bound::unbind))?;
    let status = status_member(py, r.status.as_i32())?;
    let fields = (status, r.msg_id.as_str(), r.queue_offset).into_pyobject(py)?;
    let result = tuple_new.bind(py).call1((cls, fields))?;
    let extra = PyDict::new(py);
    extra.set_item(intern!(py, "offset_msg_id"), r.offset_msg_id.as_str())?;
    extra.set_item(intern!(py, "queue_id"), r.queue.queue_id)?;
    extra.set_item(intern!(py, "broker_name"), r.queue.broker_name.as_str())?;
    extra.set_item(intern!(py, "topic"), r.queue.topic.as_str())?;
    extra.set_item(intern!(py, "queue_offset"), r.queue_offset)?;
    extra.set_item(intern!(py, "transaction_id"), r.transaction_id.as_deref())?;
    result.setattr(intern!(py, "__dict__"), extra)?;
    Ok(result)
}

/// The result of a transactional send: `rocketmq._types.TransactionSendResult`, a `SendResult`
/// with `transaction_id` and `local_state` (a `TransactionStatus`).
pub struct Transaction(pub TransactionSendResult);

impl ToPython for Transaction {
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let r = &self.0.send_result;
        let cls = TRANSACTION_SEND_RESULT.import(py, TYPES_MODULE, "TransactionSendResult")?;
        let status = status_member(py, r.status.as_i32())?;
        let state = match self.0.local_state {
            rocketmq_client::LocalTransactionState::CommitMessage => 0,
            rocketmq_client::LocalTransactionState::RollbackMessage => 1,
            rocketmq_client::LocalTransactionState::Unknow => 2,
        };
        let local_state = TRANSACTION_STATUS.import(py, TYPES_MODULE, "TransactionStatus")?.call1((state,))?;
        cls.call1((
            status,
            r.msg_id.as_str(),
            r.queue_offset,
            r.offset_msg_id.as_str(),
            r.queue.queue_id,
            r.queue.broker_name.as_str(),
            r.queue.topic.as_str(),
            self.0.transaction_id.as_str(),
            local_state,
        ))
    }
}

/// A reply of request-reply, as a `ReceivedMessage`.
pub struct Reply(pub MessageExt);

impl ToPython for Reply {
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(Bound::new(py, crate::received::PyReceivedMessage::new(self.0, String::new()))?.into_any())
    }
}

/// A value that becomes a Python object once the GIL is held.
pub trait ToPython: Send + 'static {
    /// Convert.
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;

    /// Called instead of [`ToPython::to_python`] when nobody takes the value: its asyncio
    /// future was cancelled after the call had completed. By default the value is dropped.
    fn discard(self)
    where
        Self: Sized,
    {
    }
}

impl ToPython for SendResult {
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        send_result(py, &self)
    }
}

impl ToPython for () {
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(py.None().into_bound(py))
    }
}

impl ToPython for i64 {
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.into_pyobject(py)?.into_any())
    }
}

impl ToPython for Option<i64> {
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(v) => v.to_python(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
}

impl ToPython for bool {
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pyo3::types::PyBool::new(py, self).to_owned().into_any())
    }
}

/// Queues as `(topic, broker_name, queue_id)` tuples (the Python layer makes them
/// `MessageQueue`s).
pub struct Queues(pub Vec<rocketmq_client::MessageQueue>);

impl ToPython for Queues {
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let tuples: Vec<(String, String, i32)> =
            self.0.into_iter().map(|q| (q.topic, q.broker_name, q.queue_id)).collect();
        Ok(tuples.into_pyobject(py)?.into_any())
    }
}

/// Received messages of one queue as a list of `ReceivedMessage` (empty for `None`).
pub struct Received(pub Option<(rocketmq_client::MessageQueue, Vec<rocketmq_client::MessageExt>)>);

impl ToPython for Received {
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let objects: Vec<Bound<'py, crate::received::PyReceivedMessage>> = match self.0 {
            None => Vec::new(),
            Some((queue, msgs)) => msgs
                .into_iter()
                .map(|m| Bound::new(py, crate::received::PyReceivedMessage::new(m, queue.broker_name.clone())))
                .collect::<PyResult<_>>()?,
        };
        Ok(pyo3::types::PyList::new(py, objects)?.into_any())
    }
}
