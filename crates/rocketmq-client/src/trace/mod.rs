//! Message trace (Java `org.apache.rocketmq.client.trace`): Pub records for sends,
//! SubBefore / SubAfter records for listener calls, written in Java's exact text format to the
//! trace topic (`RMQ_SYS_TRACE_TOPIC` or a custom one), where the RocketMQ dashboard and
//! `mqadmin queryMsgTraceById` find them.
//!
//! * [`data`]: the records and their text form (`TraceContext`, `TraceDataEncoder`);
//! * [`hooks`]: records built from a send or a listener call (the trace hooks);
//! * [`dispatcher`]: batching and sending them without ever blocking or failing the traced
//!   client (`AsyncTraceDispatcher`).
//!
//! Turned on by [`ClientOptions::message_trace`](crate::ClientOptions::message_trace).

pub mod data;
pub mod dispatcher;
pub mod hooks;

pub use data::{decode, encode, TraceBean, TraceContext, TraceType, RMQ_SYS_TRACE_TOPIC};
pub use dispatcher::{DispatcherType, TraceDispatcher, TraceStats};

/// Message trace settings (Java 5.x `ClientConfig.enableTrace` / `traceTopic`; 4.x
/// `enableMsgTrace` / `customizedTraceTopic` of the producer and consumer constructors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceOptions {
    /// Where records go (default [`RMQ_SYS_TRACE_TOPIC`]).
    pub topic: String,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions { topic: RMQ_SYS_TRACE_TOPIC.to_owned() }
    }
}

impl TraceOptions {
    /// Records to `topic`; a blank topic means the default.
    pub fn with_topic(topic: &str) -> Self {
        let topic = topic.trim();
        if topic.is_empty() {
            TraceOptions::default()
        } else {
            TraceOptions { topic: topic.to_owned() }
        }
    }
}
