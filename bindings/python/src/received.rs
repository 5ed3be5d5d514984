//! `rocketmq.client.ReceivedMessage`: a consumed message, handed to `PushConsumer` callbacks.
//!
//! The object holds the message (its own copy, or for the asyncio consumer the consumer's
//! message shared by reference count; bodies are reference-counted either way), so it stays
//! valid after the callback returns: keep it, put it in a queue, read it
//! from another thread. (The 2.x object wrapped a C pointer that dangled once the callback
//! returned.) Fields are converted to Python objects when read, not when the message arrives.
//!
//! Types are those of 2.x: `topic` and `id` are `str`; `tags`, `keys`, `body` and property
//! values are `bytes`; every number is an `int`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString};
use rocketmq_client::MessageExt;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::message::property_name;

/// Longest body prefix shown by `repr()`.
const REPR_BODY_LIMIT: usize = 64;

/// A message delivered to a `PushConsumer` callback.
///
/// 2.x attributes: ``topic`` (str), ``tags``, ``keys``, ``body`` (bytes; binary-safe, NUL bytes
/// kept), ``id`` (str: the client's unique id, else the broker's offset id),
/// ``delay_time_level``, ``queue_id``, ``reconsume_times``, ``store_size``,
/// ``born_timestamp``, ``store_timestamp`` (epoch ms), ``queue_offset``,
/// ``commit_log_offset``, ``prepared_transaction_offset`` (int); ``get_property(name)`` and
/// ``msg[name]`` (bytes or None). Added: ``properties`` (dict), ``born_host``, ``store_host``
/// (``"ip:port"``), ``offset_msg_id``, ``broker_name``, ``flag``.
#[pyclass(module = "rocketmq.client", name = "ReceivedMessage", frozen)]
pub struct PyReceivedMessage {
    /// Shared with the consumer that delivered it where it can be (the asyncio listener: no
    /// copy made, and the one freed on the event loop's thread is only a count).
    inner: Arc<MessageExt>,
    broker_name: String,
    /// `body` as a Python `bytes`, made on first access and then returned as is (one copy
    /// out of the Rust buffer per message, not one per access).
    body: PyOnceLock<Py<PyBytes>>,
}

impl std::fmt::Debug for PyReceivedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PyReceivedMessage").field("inner", &self.inner).field("broker_name", &self.broker_name).finish()
    }
}

impl PyReceivedMessage {
    /// Wrap a copy of `msg`, consumed from a queue of `broker_name`.
    pub fn new(msg: MessageExt, broker_name: String) -> Self {
        PyReceivedMessage::shared(Arc::new(msg), broker_name)
    }

    /// Wrap `msg`, shared with the consumer that delivers it from a queue of `broker_name`.
    pub fn shared(msg: Arc<MessageExt>, broker_name: String) -> Self {
        PyReceivedMessage { inner: msg, broker_name, body: PyOnceLock::new() }
    }

    /// The message.
    pub fn inner(&self) -> &MessageExt {
        &self.inner
    }

    /// The topic, for logging from Rust.
    pub fn topic_str(&self) -> &str {
        &self.inner.topic
    }

    /// The message id (see `id`), for logging from Rust.
    pub fn msg_id(&self) -> String {
        self.inner.msg_id()
    }
}

fn host(addr: &SocketAddr) -> String {
    addr.to_string()
}

/// `MessageExt.storeSize`: the record size the broker stored (TOTALSIZE).
fn store_size(m: &MessageExt) -> i64 {
    i64::from(m.store_size)
}

#[pymethods]
impl PyReceivedMessage {
    /// The topic (a message redelivered from the retry topic shows its original topic).
    #[getter]
    fn topic(&self) -> &str {
        &self.inner.topic
    }

    /// The tag, as bytes (``b""`` when none, as in 2.x).
    #[getter]
    fn tags<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.tags().unwrap_or("").as_bytes())
    }

    /// The keys (space-separated), as bytes (``b""`` when none, as in 2.x).
    #[getter]
    fn keys<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.keys().unwrap_or("").as_bytes())
    }

    /// The body, byte for byte (the same `bytes` object on every access).
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.body.get_or_init(py, || PyBytes::new(py, &self.inner.body).unbind()).bind(py).clone()
    }

    /// The message id: the producer's unique id (``UNIQ_KEY``), else the broker's offset id.
    #[getter]
    fn id(&self) -> String {
        self.inner.msg_id()
    }

    /// The broker's id of the stored message (store host + commit-log offset).
    #[getter]
    fn offset_msg_id(&self) -> String {
        self.inner.offset_msg_id()
    }

    /// The delay level the message was sent with (0 when none).
    #[getter]
    fn delay_time_level(&self) -> i64 {
        self.inner.property("DELAY").and_then(|v| v.trim().parse().ok()).unwrap_or(0)
    }

    #[getter]
    fn queue_id(&self) -> i32 {
        self.inner.queue_id
    }

    /// How often the message was redelivered (0 on first delivery).
    #[getter]
    fn reconsume_times(&self) -> i32 {
        self.inner.reconsume_times
    }

    /// Size of the stored record in bytes (recomputed; see the docs).
    #[getter]
    fn store_size(&self) -> i64 {
        store_size(&self.inner)
    }

    #[getter]
    fn born_timestamp(&self) -> i64 {
        self.inner.born_timestamp
    }

    #[getter]
    fn store_timestamp(&self) -> i64 {
        self.inner.store_timestamp
    }

    #[getter]
    fn queue_offset(&self) -> i64 {
        self.inner.queue_offset
    }

    #[getter]
    fn commit_log_offset(&self) -> i64 {
        self.inner.commit_log_offset
    }

    #[getter]
    fn prepared_transaction_offset(&self) -> i64 {
        self.inner.prepared_transaction_offset
    }

    /// The producer's user flag.
    #[getter]
    fn flag(&self) -> i32 {
        self.inner.flag
    }

    /// The producer's address as the broker saw it, ``"ip:port"``.
    #[getter]
    fn born_host(&self) -> String {
        host(&self.inner.born_host)
    }

    /// The broker's address, ``"ip:port"``.
    #[getter]
    fn store_host(&self) -> String {
        host(&self.inner.store_host)
    }

    /// The name of the broker the message was consumed from.
    #[getter]
    fn broker_name(&self) -> &str {
        &self.broker_name
    }

    /// Every property (user and system) as a new ``dict[str, str]``.
    #[getter]
    fn properties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (k, v) in self.inner.properties.iter() {
            dict.set_item(k, v)?;
        }
        Ok(dict)
    }

    /// A property by name (``str``, ``bytes`` or ``MessageProperty``), as bytes; None if absent.
    fn get_property<'py>(&self, py: Python<'py>, prop: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let name = property_name(prop)?;
        Ok(self.inner.property(&name).map(|v| PyBytes::new(py, v.as_bytes())))
    }

    /// ``msg[name]``: same as :meth:`get_property`.
    fn __getitem__<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        self.get_property(py, key)
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    fn __str__(&self) -> String {
        String::from_utf8_lossy(&self.inner.body).into_owned()
    }

    /// The body.
    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.body)
    }

    /// ``<ReceivedMessage topic=.. id=.. body=..>`` as in 2.x; long bodies are cut.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let body = &self.inner.body;
        let shown = &body[..body.len().min(REPR_BODY_LIMIT)];
        let mut body_repr = PyBytes::new(py, shown).repr()?.to_string();
        if body.len() > REPR_BODY_LIMIT {
            body_repr.push_str(&format!("...<{} bytes>", body.len()));
        }
        Ok(format!(
            "<ReceivedMessage topic={} id={} body={}>",
            PyString::new(py, &self.inner.topic).repr()?,
            PyString::new(py, &self.inner.msg_id()).repr()?,
            body_repr
        ))
    }
}
