//! What user code implements to receive messages (`MessageListenerConcurrently` /
//! `MessageListenerOrderly`), and what it answers. A listener is either blocking
//! ([`MessageListener`], run on the consumer's consume threads) or asynchronous
//! ([`AsyncMessageListener`], run as tokio tasks, e.g. for asyncio callbacks).

use rocketmq_remoting::message::stored::MessageExt;
use rocketmq_remoting::MessageQueue;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

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

impl ConsumeResult {
    /// How many of `len` messages this verdict acknowledges.
    pub fn acked(self, len: usize) -> usize {
        match self {
            ConsumeResult::Success => len,
            ConsumeResult::ReconsumeLater => 0,
            ConsumeResult::Partial(n) => n.min(len),
        }
    }
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

/// The future an [`AsyncMessageListener`] returns.
pub type ListenerFuture = Pin<Box<dyn Future<Output = ConsumeResult> + Send + 'static>>;

/// An asynchronous listener: called on a runtime thread, it must not block; it returns a
/// future that the consumer drives as a task. At most
/// [`ConsumerOptions::max_in_flight`](super::ConsumerOptions::max_in_flight) calls are in flight
/// per consumer (orderly: one per queue, in queue order). A panic, in the call or in the
/// future, counts as [`ConsumeResult::ReconsumeLater`].
pub trait AsyncMessageListener: Send + Sync + 'static {
    /// Start processing `msgs` (owned: the future may outlive the call).
    fn consume(&self, msgs: Vec<MessageExt>, context: ConsumeContext) -> ListenerFuture;

    /// [`consume`](Self::consume) on messages the consumer shares instead of copying: it keeps
    /// them for acknowledging (offsets, sending failed ones back) and takes them back when the
    /// verdict is in, copying only those the listener still holds then. The default copies
    /// them for `consume`; a listener that hands messages to another thread (the Python
    /// binding's asyncio one) saves the copy there and its freeing on that thread.
    fn consume_shared(&self, msgs: Vec<Arc<MessageExt>>, context: ConsumeContext) -> ListenerFuture {
        self.consume(msgs.iter().map(|m| MessageExt::clone(m)).collect(), context)
    }
}

impl<F, Fut> AsyncMessageListener for F
where
    F: Fn(Vec<MessageExt>, ConsumeContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ConsumeResult> + Send + 'static,
{
    fn consume(&self, msgs: Vec<MessageExt>, context: ConsumeContext) -> ListenerFuture {
        Box::pin(self(msgs, context))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acked_counts() {
        assert_eq!(ConsumeResult::Success.acked(3), 3);
        assert_eq!(ConsumeResult::ReconsumeLater.acked(3), 0);
        assert_eq!(ConsumeResult::Partial(2).acked(3), 2);
        assert_eq!(ConsumeResult::Partial(9).acked(3), 3, "an ack index past the batch acks it all");
    }
}
