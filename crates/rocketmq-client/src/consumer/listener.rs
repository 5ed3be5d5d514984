//! What user code implements to receive messages (`MessageListenerConcurrently` /
//! `MessageListenerOrderly`), and what it answers. A listener is either blocking
//! ([`MessageListener`], run on the consumer's consume threads) or asynchronous
//! ([`AsyncMessageListener`], run as tokio tasks, e.g. for asyncio callbacks).

use rocketmq_remoting::message::stored::MessageExt;
use rocketmq_remoting::MessageQueue;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

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

    /// [`consume`](Self::consume) on the consumer's own messages, shared instead of copied
    /// (the process queue holds them until they are acknowledged). The default copies them for
    /// `consume`; a listener that keeps or wraps them (the Python binding's, which hands each
    /// to a Python object) saves that copy.
    fn consume_shared(&self, msgs: &[Arc<MessageExt>], context: &ConsumeContext) -> ConsumeResult {
        let owned: Vec<MessageExt> = msgs.iter().map(|m| MessageExt::clone(m)).collect();
        self.consume(&owned, context)
    }
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

/// The future of [`AsyncMessageListener::consume_many`]: the verdict of each call, in order.
pub type ManyFuture = Pin<Box<dyn Future<Output = Vec<ConsumeResult>> + Send + 'static>>;

/// One call of [`AsyncMessageListener::consume_many`]: a batch and where it comes from.
#[derive(Debug, Clone)]
pub struct SharedCall {
    /// The batch (at most the configured batch size), shared with the consumer.
    pub msgs: Vec<Arc<MessageExt>>,
    /// Where it comes from.
    pub context: ConsumeContext,
}

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

    /// Several calls at once, in one hand-over: the batches of one pull, which the consumer
    /// would otherwise hand over one by one (a task, a permit and a wake-up each; at a batch
    /// size of 1 that per-batch cost is most of the consumer's own). The future resolves when
    /// every call has its verdict, one per call, in order; each call is still a call of its
    /// own (its own verdict, its own messages). The default runs
    /// [`consume_shared`](Self::consume_shared) on each and waits for all; a call that panics
    /// counts as [`ConsumeResult::ReconsumeLater`].
    fn consume_many(&self, calls: Vec<SharedCall>) -> ManyFuture {
        let futures: Vec<_> =
            calls.into_iter().map(|call| Some(self.consume_shared(call.msgs, call.context))).collect();
        Box::pin(JoinAll { results: vec![ConsumeResult::ReconsumeLater; futures.len()], futures })
    }
}

/// Wait for all of `futures` (a few dozen at most: each wake-up polls those still pending).
struct JoinAll {
    futures: Vec<Option<ListenerFuture>>,
    /// One per future; a future that panics leaves its RECONSUME_LATER.
    results: Vec<ConsumeResult>,
}

impl Future for JoinAll {
    type Output = Vec<ConsumeResult>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut pending = false;
        for (slot, result) in this.futures.iter_mut().zip(this.results.iter_mut()) {
            let Some(fut) = slot else { continue };
            match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                Ok(Poll::Pending) => pending = true,
                Ok(Poll::Ready(r)) => {
                    *result = r;
                    *slot = None;
                }
                Err(_) => {
                    tracing::error!("async message listener panicked; the batch will be redelivered");
                    *slot = None;
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(std::mem::take(&mut this.results))
        }
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
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn acked_counts() {
        assert_eq!(ConsumeResult::Success.acked(3), 3);
        assert_eq!(ConsumeResult::ReconsumeLater.acked(3), 0);
        assert_eq!(ConsumeResult::Partial(2).acked(3), 2);
        assert_eq!(ConsumeResult::Partial(9).acked(3), 3, "an ack index past the batch acks it all");
    }

    fn context() -> ConsumeContext {
        ConsumeContext { queue: MessageQueue::new("t", "b", 0), orderly: false }
    }

    fn call(n: usize) -> SharedCall {
        SharedCall { msgs: (0..n).map(|_| Arc::new(MessageExt::default())).collect(), context: context() }
    }

    /// The default `consume_many` gives each call its own verdict, in order, waiting for the
    /// slowest, and a call that panics is redelivered without failing the others.
    #[tokio::test]
    async fn consume_many_by_default_calls_each_and_keeps_the_order() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let gate = std::sync::Mutex::new(Some(rx));
        let listener = move |msgs: Vec<MessageExt>, _ctx: ConsumeContext| {
            let n = msgs.len();
            let wait = if n == 2 { gate.lock().unwrap().take() } else { None };
            async move {
                if let Some(rx) = wait {
                    let _ = rx.await;
                }
                match n {
                    1 => ConsumeResult::Success,
                    2 => ConsumeResult::Partial(1),
                    3 => panic!("listener failure"),
                    _ => ConsumeResult::ReconsumeLater,
                }
            }
        };
        let all = listener.consume_many(vec![call(1), call(2), call(3), call(4)]);
        let task = tokio::spawn(all);
        tokio::task::yield_now().await;
        assert!(!task.is_finished(), "waits for the call still pending");
        tx.send(()).unwrap();
        let verdicts = tokio::time::timeout(std::time::Duration::from_secs(10), task).await.unwrap().unwrap();
        assert_eq!(
            verdicts,
            vec![
                ConsumeResult::Success,
                ConsumeResult::Partial(1),
                ConsumeResult::ReconsumeLater,
                ConsumeResult::ReconsumeLater
            ]
        );
    }
}
