//! `rocketmq._rocketmq`: the native half of the `rocketmq` Python package.
//!
//! Users import `rocketmq.client` (2.x drop-in, blocking) or `rocketmq.aio` (asyncio); this
//! module holds what they are built on:
//!
//! * [`runtime`]: the tokio runtime of the process (one per process, also after `fork()`) and
//!   the awaitables it drives;
//! * [`started`]: the started client of a client object, refused in a forked child;
//! * [`blocking`]: running a future with the GIL released, Ctrl-C aware;
//! * [`drive`]: one future per operation, returned blocking or as an awaitable;
//! * [`errors`]: the one mapping from client errors to `rocketmq.exceptions` classes;
//! * [`message`]: the `Message` class;
//! * [`producer`]: `ProducerCore`, blocking and asyncio methods;
//! * [`consumer`]: `PushConsumerCore`, settings and lifecycle of the push consumer;
//! * [`listener`]: Python callbacks on the core's consume threads (per-topic table, verdicts);
//! * [`aio_listener`]: asyncio callbacks, run as tasks on the event loop that started the consumer;
//! * [`lite_pull`]: `LitePullConsumerCore` and `PullConsumerCore` (poll, seek, commit; pull once);
//! * [`received`]: the `ReceivedMessage` class handed to consumer callbacks;
//! * [`callbacks`]: the thread running user callbacks (`send_async`, `request_async`);
//! * [`transaction`]: the Python callbacks of a transactional producer (local transaction,
//!   broker checks) and where they run;
//! * [`interpreter`]: keeping Rust threads out of the interpreter while it exits;
//! * [`logging`]: tracing records forwarded to `logging.getLogger("rocketmq")`;
//! * [`admin`]: `AdminCore`, the admin client behind `rocketmq.admin`;
//! * [`results`]: conversion of results to Python objects.

mod admin;
mod aio_bridge;
mod aio_listener;
mod blocking;
mod callbacks;
mod client_settings;
mod consumer;
mod convert;
mod drive;
mod errors;
mod interpreter;
mod listener;
mod lite_pull;
mod logging;
mod message;
mod producer;
mod received;
mod results;
mod runtime;
mod started;
mod stats;
mod transaction;

use pyo3::prelude::*;

/// Java `SelectMessageQueueByHash` on a string key: `abs(key.hashCode() % queue_count)`, the
/// queue `send_orderly_with_sharding_key` picks. Stable across processes (unlike `hash()`).
#[pyfunction]
fn select_by_hash(key: &str, queue_count: usize) -> usize {
    rocketmq_client::producer::select_by_hash(key, queue_count)
}

/// The reply to a received request (Java `MessageUtil.createReplyMessage`): topic
/// `<CLUSTER>_REPLY_TOPIC`, the request's CORRELATION_ID, REPLY_TO_CLIENT and TTL. Send it with
/// any producer.
#[pyfunction]
fn create_reply_message(
    py: Python<'_>,
    request: &Bound<'_, received::PyReceivedMessage>,
    body: &Bound<'_, PyAny>,
) -> PyResult<message::PyMessage> {
    let body = message::body_arg(body)?;
    let reply = rocketmq_client::create_reply_message(request.get().inner(), body)
        .map_err(|e| errors::to_pyerr(py, errors::Op::Other, &e))?;
    Ok(message::PyMessage::from_core(reply))
}

#[pymodule]
fn _rocketmq(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<message::PyMessage>()?;
    m.add_class::<producer::ProducerCore>()?;
    m.add_class::<consumer::PushConsumerCore>()?;
    m.add_class::<lite_pull::LitePullConsumerCore>()?;
    m.add_class::<lite_pull::PullConsumerCore>()?;
    m.add_class::<received::PyReceivedMessage>()?;
    m.add_class::<admin::AdminCore>()?;
    m.add_function(wrap_pyfunction!(select_by_hash, m)?)?;
    m.add_function(wrap_pyfunction!(create_reply_message, m)?)?;
    interpreter::install(m)?;
    logging::install(m.py());
    Ok(())
}
