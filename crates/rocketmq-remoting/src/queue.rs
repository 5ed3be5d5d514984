//! `MessageQueue`: one queue of a topic on one broker (`common/message/MessageQueue.java`).

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// A queue: topic, broker name and queue id. Ordered like Java's `compareTo`
/// (topic, then broker name, then queue id), which rebalancing relies on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageQueue {
    /// Topic name.
    pub topic: String,
    /// Broker name (not address).
    #[serde(rename = "brokerName")]
    pub broker_name: String,
    /// Queue id within the topic on that broker.
    #[serde(rename = "queueId")]
    pub queue_id: i32,
}

impl MessageQueue {
    /// A new queue.
    pub fn new(topic: impl Into<String>, broker_name: impl Into<String>, queue_id: i32) -> Self {
        MessageQueue { topic: topic.into(), broker_name: broker_name.into(), queue_id }
    }
}

impl Ord for MessageQueue {
    fn cmp(&self, other: &Self) -> Ordering {
        // Java String.compareTo compares UTF-16 code units; for the ASCII names RocketMQ allows
        // that equals byte order.
        self.topic
            .cmp(&other.topic)
            .then_with(|| self.broker_name.cmp(&other.broker_name))
            .then_with(|| self.queue_id.cmp(&other.queue_id))
    }
}

impl PartialOrd for MessageQueue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Java's `MessageQueue.toString()`, used as the consistent-hash key.
impl fmt::Display for MessageQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageQueue [topic={}, brokerName={}, queueId={}]", self.topic, self.broker_name, self.queue_id)
    }
}
