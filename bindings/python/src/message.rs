//! `rocketmq.client.Message`: the outgoing message, with the 2.x setters and read access.

use bytes::Bytes;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString, PyTuple, PyType};
use rocketmq_client::Message as CoreMessage;
use std::sync::Arc;

use crate::errors::{IntoPyResult, Op};

/// A message to send.
///
/// `Message(topic)` then the 2.x setters (`set_keys`, `set_tags`, `set_body`, `set_property`,
/// `set_delay_time_level`) plus `set_delivery_time_ms`; every field can be read back. Bodies are
/// bytes end to end: NUL bytes are kept. Subclassable.
#[pyclass(subclass, module = "rocketmq.client", name = "Message")]
#[derive(Debug, Clone)]
pub struct PyMessage {
    /// Shared with the sends in flight: a send takes a reference, not a copy; a setter called
    /// while one is in flight copies the message first (`Arc::make_mut`), so the send is not
    /// affected.
    inner: Arc<CoreMessage>,
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

/// A text argument given as `str` or UTF-8 `bytes` (2.x accepted both).
pub(crate) fn text_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return s.extract();
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return String::from_utf8(b.as_bytes().to_vec())
            .map_err(|e| PyValueError::new_err(format!("{what} is not valid UTF-8: {e}")));
    }
    Err(PyTypeError::new_err(format!("{what} must be str or bytes, not {}", type_name(obj))))
}

/// A body given as `bytes`, `bytearray` or `str` (encoded as UTF-8).
pub(crate) fn body_arg(obj: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Bytes::from(s.extract::<String>()?.into_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Bytes::from(b.to_vec()));
    }
    Err(PyTypeError::new_err(format!("body must be bytes, bytearray or str, not {}", type_name(obj))))
}

/// A property name given as `str`, `bytes` or a `MessageProperty` member (its `.value`).
pub(crate) fn property_name(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return text_arg(obj, "property name");
    }
    match obj.getattr("value") {
        Ok(value) if value.is_instance_of::<PyString>() => value.extract(),
        _ => Err(PyTypeError::new_err(format!(
            "property name must be str, bytes or MessageProperty, not {}",
            type_name(obj)
        ))),
    }
}

impl PyMessage {
    /// Wrap a core message.
    pub(crate) fn from_core(msg: CoreMessage) -> Self {
        PyMessage { inner: Arc::new(msg) }
    }

    /// The core message.
    pub(crate) fn core(&self) -> &CoreMessage {
        &self.inner
    }

    /// The core message, shared (what a send keeps while it runs).
    pub(crate) fn shared(&self) -> Arc<CoreMessage> {
        self.inner.clone()
    }

    fn core_mut(&mut self) -> &mut CoreMessage {
        Arc::make_mut(&mut self.inner)
    }
}

#[pymethods]
impl PyMessage {
    /// `Message(topic)`. Subclasses may take extra constructor arguments; they are ignored here.
    #[new]
    #[classmethod]
    #[pyo3(signature = (topic, *args, **kwargs), text_signature = "(topic, *args, **kwargs)")]
    fn new(
        cls: &Bound<'_, PyType>,
        topic: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let extra = !args.is_empty() || kwargs.is_some_and(|k| !k.is_empty());
        if extra && cls.is(cls.py().get_type::<PyMessage>()) {
            return Err(PyTypeError::new_err("Message() takes exactly one argument (the topic)"));
        }
        let topic = text_arg(topic, "topic")?;
        Ok(PyMessage::from_core(CoreMessage::new(topic, Bytes::new())))
    }

    /// Accepts (and ignores) the constructor's arguments, so subclasses can call
    /// `super().__init__(topic)`: the message is fully built by `__new__`.
    #[pyo3(signature = (*_args, **_kwargs))]
    fn __init__(&self, _args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) {}

    /// Set the business keys. Several keys are separated by spaces; a list or tuple of keys is
    /// joined with spaces.
    fn set_keys(&mut self, keys: &Bound<'_, PyAny>) -> PyResult<()> {
        let keys = if keys.is_instance_of::<PyList>() || keys.is_instance_of::<PyTuple>() {
            let mut parts = Vec::new();
            for item in keys.try_iter()? {
                parts.push(text_arg(&item?, "each key")?);
            }
            parts.join(" ")
        } else {
            text_arg(keys, "keys")?
        };
        self.core_mut().set_keys(&keys);
        Ok(())
    }

    /// Set the tag consumers filter on. An empty tag removes it.
    fn set_tags(&mut self, tags: &Bound<'_, PyAny>) -> PyResult<()> {
        let tags = text_arg(tags, "tags")?;
        self.core_mut().set_tags(&tags);
        Ok(())
    }

    /// Set the body: `bytes` or `bytearray` (kept byte for byte, NUL bytes included) or `str`
    /// (encoded as UTF-8). Any other type raises `TypeError`.
    fn set_body(&mut self, body: &Bound<'_, PyAny>) -> PyResult<()> {
        self.core_mut().set_body(body_arg(body)?);
        Ok(())
    }

    /// Set a property. Like 2.x, any name is accepted (including RocketMQ's own, e.g. `KEYS`);
    /// blank names or values and the separators `\x01`/`\x02` raise `InvalidMessageError`.
    fn set_property(&mut self, py: Python<'_>, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let key = property_name(key)?;
        let value = text_arg(value, "property value")?;
        self.core_mut().put_property(&key, &value).or_raise(py, Op::Other)
    }

    /// Delay delivery by a broker delay level (1 = 1 s ... 18 = 2 h by default); 0 clears it.
    fn set_delay_time_level(&mut self, py: Python<'_>, delay_time_level: i32) -> PyResult<()> {
        self.core_mut().set_delay_time_level(delay_time_level).or_raise(py, Op::Other)
    }

    /// Deliver at an absolute time, epoch milliseconds (5.x timer messages; 4.x brokers
    /// ignore it).
    fn set_delivery_time_ms(&mut self, py: Python<'_>, delivery_time_ms: i64) -> PyResult<()> {
        self.core_mut().set_delivery_time_ms(delivery_time_ms).or_raise(py, Op::Other)
    }

    /// The topic.
    #[getter]
    fn topic(&self) -> &str {
        self.inner.topic()
    }

    /// The body as bytes (empty until `set_body`).
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.body())
    }

    /// The tag, or None.
    #[getter]
    fn tags(&self) -> Option<&str> {
        self.inner.tags()
    }

    /// The keys (space-separated), or None.
    #[getter]
    fn keys(&self) -> Option<&str> {
        self.inner.keys()
    }

    /// The delay level, 0 when none.
    #[getter]
    fn delay_time_level(&self) -> i32 {
        self.inner.delay_time_level()
    }

    /// The delivery time in epoch ms, or None.
    #[getter]
    fn delivery_time_ms(&self) -> Option<i64> {
        self.inner.delivery_time_ms()
    }

    /// A property by name (`str` or `MessageProperty`), or None.
    fn get_property(&self, key: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        let key = property_name(key)?;
        Ok(self.inner.property(&key).map(str::to_owned))
    }

    /// Every property (user and system) as a new dict.
    #[getter]
    fn properties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (k, v) in self.inner.properties().iter() {
            dict.set_item(k, v)?;
        }
        Ok(dict)
    }

    /// Never shows the body, only its length.
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let class = slf.get_type().name()?.to_string();
        let this = slf.borrow();
        let m = &this.inner;
        let repr = |v: Option<&str>| -> PyResult<String> {
            match v {
                Some(s) => Ok(PyString::new(py, s).repr()?.to_string()),
                None => Ok("None".to_owned()),
            }
        };
        Ok(format!(
            "<{class} topic={} tags={} keys={} body=<{} bytes>>",
            repr(Some(m.topic()))?,
            repr(m.tags())?,
            repr(m.keys())?,
            m.body().len()
        ))
    }
}
