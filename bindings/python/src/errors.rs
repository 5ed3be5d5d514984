//! The one place where a [`rocketmq_client::Error`] becomes a Python exception.
//!
//! The class raised is chosen from two things: the *operation* (which 2.x class a caller
//! catches: `ProducerSendSyncFailed`, `ProducerStartFailed`, ...) and the error's *kind*
//! (which builtin it also is: `TimeoutError`, `ConnectionError`, `ValueError`,
//! `RuntimeError`). `rocketmq/exceptions.py` defines every combination explicitly, named
//! `<operation prefix><kind suffix>` (e.g. `ProducerSendSyncTimeout`), and this module looks
//! it up by that name. Every instance carries `code`, `remark`, `broker_addr`, `topic` and
//! `kind`. docs/adr/0002-python-exceptions.md explains the design.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use rocketmq_client::{Error, ErrorKind};

/// The Python module defining the exception classes.
const EXCEPTIONS_MODULE: &str = "rocketmq.exceptions";

/// What the caller was doing; decides the 2.x class of the exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `start()` -> `ProducerStartFailed`.
    ProducerStart,
    /// `send_sync()`, `send_batch()`, asyncio `send()` -> `ProducerSendSyncFailed`.
    SendSync,
    /// `send_oneway()` -> `ProducerSendOnewayFailed`.
    SendOneway,
    /// `send_orderly*()` -> `ProducerSendOrderlyFailed`.
    SendOrderly,
    /// `send_async()` (passed to the exception callback) -> `ProducerSendAsyncFailed`.
    SendAsync,
    /// `send_message_in_transaction()` -> `ProducerSendTransactionFailed`.
    SendTransaction,
    /// `request()`, `request_async()` -> `ProducerRequestFailed`.
    Request,
    /// `PushConsumer.start()` -> `PushConsumerStartFailed`.
    ConsumerStart,
    /// Any `rocketmq.admin` call -> `AdminFailed`.
    Admin,
    /// Anything else (message setters, configuration): only the kind class.
    Other,
}

impl Op {
    /// The class-name prefix of the operation's classes, or `None` for [`Op::Other`].
    fn prefix(self) -> Option<&'static str> {
        match self {
            Op::ProducerStart => Some("ProducerStart"),
            Op::SendSync => Some("ProducerSendSync"),
            Op::SendOneway => Some("ProducerSendOneway"),
            Op::SendOrderly => Some("ProducerSendOrderly"),
            Op::SendAsync => Some("ProducerSendAsync"),
            Op::SendTransaction => Some("ProducerSendTransaction"),
            Op::Request => Some("ProducerRequest"),
            Op::ConsumerStart => Some("PushConsumerStart"),
            Op::Admin => Some("Admin"),
            Op::Other => None,
        }
    }

    /// The 2.x class raised when no combination applies.
    fn base_class(self) -> &'static str {
        match self {
            Op::ProducerStart => "ProducerStartFailed",
            Op::SendSync => "ProducerSendSyncFailed",
            Op::SendOneway => "ProducerSendOnewayFailed",
            Op::SendOrderly => "ProducerSendOrderlyFailed",
            Op::SendAsync => "ProducerSendAsyncFailed",
            Op::SendTransaction => "ProducerSendTransactionFailed",
            Op::Request => "ProducerRequestFailed",
            Op::ConsumerStart => "PushConsumerStartFailed",
            Op::Admin => "AdminFailed",
            Op::Other => "RocketMQException",
        }
    }
}

/// The Python `kind` attribute and the kind class (and its suffix in combined names).
struct KindInfo {
    name: &'static str,
    class: &'static str,
    suffix: &'static str,
}

fn kind_info(kind: ErrorKind) -> KindInfo {
    let (name, class, suffix) = match kind {
        ErrorKind::Timeout => ("timeout", "RocketMQTimeoutError", "Timeout"),
        ErrorKind::Connect => ("connect", "RocketMQConnectionError", "ConnectionError"),
        ErrorKind::ConnectionClosed => ("connection_closed", "RocketMQConnectionError", "ConnectionError"),
        ErrorKind::InvalidMessage => ("invalid_message", "InvalidMessageError", "InvalidMessage"),
        ErrorKind::Config => ("config", "InvalidConfigError", "InvalidConfig"),
        ErrorKind::Broker => ("broker", "BrokerError", "BrokerError"),
        ErrorKind::Auth => ("auth", "AuthError", "AuthError"),
        ErrorKind::RouteNotFound => ("route_not_found", "RouteNotFoundError", "RouteNotFound"),
        ErrorKind::Protocol => ("protocol", "ProtocolError", "ProtocolError"),
        ErrorKind::NotStarted => ("not_started", "NotStartedError", "NotStarted"),
        ErrorKind::Shutdown => ("shutdown", "NotStartedError", "NotStarted"),
        ErrorKind::Forked => ("forked", "ClientForkedError", "Forked"),
        // ErrorKind is non-exhaustive: a kind added later maps to the plain operation class.
        _ => ("unknown", "RocketMQException", ""),
    };
    KindInfo { name, class, suffix }
}

/// Errors the binding itself detects (wrong state, bad argument), expressed as a client error
/// so they go through the same mapping.
pub fn local(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind, message)
}

/// The error of a client object used in a process forked from the one that started it.
pub fn forked(what: &str, owner_pid: u32) -> Error {
    local(
        ErrorKind::Forked,
        format!(
            "this {what} was started in process {owner_pid}, and this process ({}) is a fork() child of it: \
             its connections belong to the parent. Create and start a new {what} in the child \
             (e.g. in gunicorn's post_fork or Celery's worker_process_init hook)",
            std::process::id()
        ),
    )
}

/// Map `err`, raised while doing `op`, to a Python exception instance.
pub fn to_pyerr(py: Python<'_>, op: Op, err: &Error) -> PyErr {
    match build(py, op, err) {
        Ok(e) => e,
        // The exceptions module is part of the package, so this only happens in a broken
        // installation; still never panic.
        Err(import_error) => {
            let e = PyRuntimeError::new_err(format!("{err} (rocketmq.exceptions unavailable)"));
            e.set_cause(py, Some(import_error));
            e
        }
    }
}

fn build(py: Python<'_>, op: Op, err: &Error) -> PyResult<PyErr> {
    let module = py.import(EXCEPTIONS_MODULE)?;
    let info = kind_info(err.kind());
    let class = match op.prefix() {
        Some(prefix) if !info.suffix.is_empty() => {
            let combined = format!("{prefix}{}", info.suffix);
            match module.getattr(PyString::new(py, &combined)) {
                Ok(class) => class,
                Err(_) => module.getattr(op.base_class())?,
            }
        }
        Some(_) => module.getattr(op.base_class())?,
        None => module.getattr(info.class)?,
    };
    let exc = class.call1((err.to_string(),))?;
    exc.setattr("code", err.response_code())?;
    exc.setattr("remark", err.remark())?;
    exc.setattr("broker_addr", err.broker_addr())?;
    exc.setattr("topic", err.topic())?;
    exc.setattr("kind", info.name)?;
    Ok(PyErr::from_value(exc))
}

/// A Python error raised from a client result: `op`-specific class for the client error.
pub trait IntoPyResult<T> {
    /// Convert the error side with [`to_pyerr`].
    fn or_raise(self, py: Python<'_>, op: Op) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn or_raise(self, py: Python<'_>, op: Op) -> PyResult<T> {
        self.map_err(|e| to_pyerr(py, op, &e))
    }
}
