//! Choosing a queue for ordered sends (`client/producer/MessageQueueSelector.java`,
//! `selector/SelectMessageQueueByHash.java`).

use rocketmq_remoting::message::hash::java_string_hash;
use rocketmq_remoting::MessageQueue;

use crate::error::Result;
use crate::message::Message;

/// Picks the index of the queue (in the topic's writable queue list) for a message.
pub trait QueueSelector: Send + Sync {
    /// Return an index into `queues`; out-of-range indexes are rejected by the producer.
    fn select(&self, queues: &[MessageQueue], msg: &Message) -> Result<usize>;
}

impl<F> QueueSelector for F
where
    F: Fn(&[MessageQueue], &Message) -> Result<usize> + Send + Sync,
{
    fn select(&self, queues: &[MessageQueue], msg: &Message) -> Result<usize> {
        self(queues, msg)
    }
}

/// Java `SelectMessageQueueByHash`: `abs(key.hashCode() % n)`.
pub fn select_by_hash(key: &str, queue_count: usize) -> usize {
    if queue_count == 0 {
        return 0;
    }
    let n = queue_count as i64;
    (i64::from(java_string_hash(key)) % n).unsigned_abs() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_selection_is_java_compatible_and_in_range() {
        // "TagA".hashCode() = 2598919; 2598919 % 4 = 3.
        assert_eq!(select_by_hash("TagA", 4), 3);
        // "polygenelubricants".hashCode() = i32::MIN; Java: abs(MIN % 8) = 0.
        assert_eq!(select_by_hash("polygenelubricants", 8), 0);
        for key in ["a", "order-1", "ключ", ""] {
            assert!(select_by_hash(key, 5) < 5);
        }
        assert_eq!(select_by_hash("x", 0), 0);
    }
}
