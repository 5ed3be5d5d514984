//! The blocking listener behind `rocketmq.client.PushConsumer`: one Python callable per topic
//! ([`CallbackTable`]), called on the core's consume threads ([`PyListener`]), and what a
//! callback's return value means ([`verdict`]). The asyncio listener (`aio_listener`) shares the
//! table and the verdict.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};
use rocketmq_client::consumer::ConsumeContext;
use rocketmq_client::{ConsumeResult, MessageExt, MessageListener};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::interpreter;
use crate::logging;
use crate::received::PyReceivedMessage;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// topic -> Python callable. The lock is only taken with the GIL held and never across a call
/// into Python (nor an allocation that could start the garbage collector), so `__traverse__`
/// finds it free.
#[derive(Default)]
pub struct CallbackTable {
    pub map: Mutex<HashMap<String, Py<PyAny>>>,
}

impl CallbackTable {
    /// The callback for `topic` (a new reference). A `%RETRY%` message whose original topic
    /// is unknown goes to the only callback, if there is exactly one.
    pub fn get(&self, py: Python<'_>, topic: &str) -> Option<Py<PyAny>> {
        let map = lock(&self.map);
        let found = match map.get(topic) {
            Some(cb) => Some(cb),
            None if topic.starts_with("%RETRY%") && map.len() == 1 => map.values().next(),
            None => None,
        };
        found.map(|cb| cb.clone_ref(py))
    }

    pub fn insert(&self, topic: String, callback: Py<PyAny>) -> Option<Py<PyAny>> {
        lock(&self.map).insert(topic, callback)
    }

    /// Remove every callback; the caller drops them after the lock is released.
    pub fn take_all(&self) -> HashMap<String, Py<PyAny>> {
        std::mem::take(&mut *lock(&self.map))
    }
}

/// What a callback's return value means.
pub fn verdict(py: Python<'_>, ret: &Bound<'_, PyAny>, topic: &str, msg_id: &str) -> bool {
    if ret.is_none() {
        return true;
    }
    if ret.is_instance_of::<PyInt>() && !ret.is_instance_of::<PyBool>() {
        match ret.extract::<i64>() {
            Ok(0) => return true,
            Ok(1) => return false,
            _ => {}
        }
    }
    let shown = ret.repr().map_or_else(|_| "?".to_owned(), |r| r.to_string());
    logging::log_at(
        py,
        logging::WARNING,
        &format!(
            "consumer callback for topic {topic:?} returned {shown}, which is neither None nor a ConsumeStatus; \
             message {msg_id} will be redelivered (RECONSUME_LATER)"
        ),
    );
    false
}

/// The listener registered on the Rust consumer: calls the Python callback of each message.
pub struct PyListener {
    pub table: Arc<CallbackTable>,
}

impl PyListener {
    /// Deliver one message (GIL held). Returns whether it is done.
    fn deliver(&self, py: Python<'_>, msg: &Arc<MessageExt>, broker_name: &str) -> bool {
        let Some(callback) = self.table.get(py, &msg.topic) else {
            logging::log_at(
                py,
                logging::ERROR,
                &format!("no callback for topic {:?}; message {} will be redelivered", msg.topic, msg.msg_id()),
            );
            return false;
        };
        let obj = match Bound::new(py, PyReceivedMessage::shared(msg.clone(), broker_name.to_owned())) {
            Ok(obj) => obj,
            Err(e) => {
                logging::log_exception(py, "cannot build a ReceivedMessage; the message will be redelivered", e);
                return false;
            }
        };
        match callback.bind(py).call1((obj,)) {
            Ok(ret) => verdict(py, &ret, &msg.topic, &msg.msg_id()),
            Err(e) => {
                let text = format!(
                    "consumer callback for topic {:?} raised; message {} will be redelivered (RECONSUME_LATER)",
                    msg.topic,
                    msg.msg_id()
                );
                logging::log_exception_at(py, logging::WARNING, &text, e);
                false
            }
        }
    }

    /// Deliver `msgs` in order, stopping at the first that is not done.
    fn deliver_all(&self, msgs: impl Iterator<Item = Arc<MessageExt>>, context: &ConsumeContext) -> ConsumeResult {
        let broker_name = context.queue.broker_name.as_str();
        for (i, msg) in msgs.enumerate() {
            match interpreter::attach_pinned(|py| self.deliver(py, &msg, broker_name)) {
                Some(true) => {}
                Some(false) if i == 0 => return ConsumeResult::ReconsumeLater,
                Some(false) => return ConsumeResult::Partial(i),
                // The interpreter is exiting: never enter it again, never acknowledge.
                None => loop {
                    std::thread::park();
                },
            }
        }
        ConsumeResult::Success
    }
}

impl MessageListener for PyListener {
    fn consume(&self, msgs: &[MessageExt], context: &ConsumeContext) -> ConsumeResult {
        self.deliver_all(msgs.iter().map(|m| Arc::new(m.clone())), context)
    }

    /// The consumer's messages, shared with the `ReceivedMessage` objects: no copy.
    fn consume_shared(&self, msgs: &[Arc<MessageExt>], context: &ConsumeContext) -> ConsumeResult {
        self.deliver_all(msgs.iter().cloned(), context)
    }
}
