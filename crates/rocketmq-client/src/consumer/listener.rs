//! What user code implements to receive messages (`MessageListenerConcurrently` /
//! `MessageListenerOrderly`), and what it answers.

use rocketmq_remoting::message::stored::MessageExt;
use rocketmq_remoting::MessageQueue;

/// The listener's verdict on a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeResult {
    /// Every message is done.
    Success,
    /// Nothing is done: concurrently, the messages go back to the broker for a later retry;
    /// orderly, the queue pauses and the same messages are retried in place.
    ReconsumeLater,
    /// The first `n` messages are done, the rest are to be retried (Java `ackIndex`).
    Partial(usize),
}

/// Where the messages of a call come from.
#[derive(Debug, Clone)]
pub struct ConsumeContext {
    /// The queue (topic as delivered, broker, queue id).
    pub queue: MessageQueue,
    /// Whether this is an orderly consumer.
    pub orderly: bool,
}

/// Called on consume threads with a batch of messages (at most the configured batch size)
/// from one queue. A panic counts as [`ConsumeResult::ReconsumeLater`].
pub trait MessageListener: Send + Sync + 'static {
    /// Process `msgs`.
    fn consume(&self, msgs: &[MessageExt], context: &ConsumeContext) -> ConsumeResult;
}

impl<F> MessageListener for F
where
    F: Fn(&[MessageExt], &ConsumeContext) -> ConsumeResult + Send + Sync + 'static,
{
    fn consume(&self, msgs: &[MessageExt], context: &ConsumeContext) -> ConsumeResult {
        self(msgs, context)
    }
}
