//! Running the listener and completing its verdict (Java `ConsumeMessageConcurrentlyService`,
//! `ConsumeMessageOrderlyService`).
//!
//! A blocking [`MessageListener`] runs on a pool of OS threads fed by a channel: a slow
//! listener never stalls pulling, and each thread keeps its identity across calls (the Python
//! binding pins an interpreter thread state per consume thread). An [`AsyncMessageListener`]
//! runs as tokio tasks, at most `max_in_flight` at once.
//!
//! Whatever ran the listener, the verdict is completed without blocking a thread: acknowledged
//! messages are removed from the process queue and their offset committed on the spot (no I/O);
//! send-backs of a batch's failed messages go out concurrently from a task; orderly queues are
//! driven by one task per queue at a time, in order, which waits for the listener (on a thread
//! or as a future) and suspends the queue with a timer, never with a sleeping thread.

use rocketmq_remoting::header::ConsumerSendMsgBackRequestHeader;
use rocketmq_remoting::message::keys;
use rocketmq_remoting::message::stored::MessageExt;
use rocketmq_remoting::MessageQueue;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Semaphore};

use super::broker_api;
use super::listener::{AsyncMessageListener, ConsumeContext, ConsumeResult, MessageListener, SharedCall};
use super::lock;
use super::offset_store::OffsetStore;
use super::process_queue::{ProcessQueue, REBALANCE_LOCK_MAX_LIVE_TIME};
use super::rebalance::Rebalancer;
use super::stats::ConsumeStats;
use crate::instance::ClientInstance;
use crate::namespace::Namespace;
use crate::trace::{hooks as trace_hooks, TraceContext, TraceDispatcher};

/// Java re-consumes locally after 5 s when a message cannot be sent back.
const LOCAL_RETRY_DELAY: Duration = Duration::from_secs(5);
/// Orderly: keep one queue at most this long before yielding (`maxTimeConsumeContinuously`).
const MAX_TIME_CONSUME_CONTINUOUSLY: Duration = Duration::from_secs(60);

/// What a listener call gave: its result, or `None` when it panicked.
pub(crate) type Verdict = Option<ConsumeResult>;

/// A panic counts as "consume later".
fn or_later(verdict: Verdict) -> ConsumeResult {
    verdict.unwrap_or(ConsumeResult::ReconsumeLater)
}

/// The user's listener, blocking or async.
#[derive(Clone)]
pub(crate) enum Listener {
    Blocking(Arc<dyn MessageListener>),
    Async(Arc<dyn AsyncMessageListener>),
}

/// What the consume service needs of its consumer.
pub(crate) struct ConsumeEnv {
    pub instance: Arc<ClientInstance>,
    pub group: String,
    pub clustering: bool,
    pub orderly: bool,
    pub batch_size: usize,
    pub max_reconsume_times: i32,
    pub delay_level_when_next_consume: i32,
    pub suspend_current_queue_time: Duration,
    pub offsets: Arc<OffsetStore>,
    pub stats: Arc<ConsumeStats>,
    pub rebalancer: Arc<Rebalancer>,
    /// Cleared at shutdown: queued work is then dropped unconsumed (offsets stay uncommitted).
    pub running: Arc<AtomicBool>,
    /// Message trace (SubBefore / SubAfter around each listener call), when on.
    pub trace: Option<Arc<TraceDispatcher>>,
    /// Stripped from what the listener sees, put back on what is sent back.
    pub namespace: Namespace,
}

/// Work for a consume thread.
enum Job {
    /// Consume these messages of `mq` concurrently and complete the verdict.
    Concurrent { pq: Arc<ProcessQueue>, mq: MessageQueue, msgs: Vec<Arc<MessageExt>> },
    /// Call the listener and answer; the caller completes the verdict.
    Call { msgs: Vec<Arc<MessageExt>>, mq: MessageQueue, reply: oneshot::Sender<(Vec<Arc<MessageExt>>, Verdict)> },
}

/// The consume service of one consumer.
pub(crate) struct ConsumeService {
    env: ConsumeEnv,
    listener: Listener,
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    threads_exited: Mutex<Option<mpsc::Receiver<()>>>,
    permits: Arc<Semaphore>,
    max_in_flight: u32,
    runtime: tokio::runtime::Handle,
    me: Weak<ConsumeService>,
}

impl std::fmt::Debug for ConsumeService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumeService").field("group", &self.env.group).finish_non_exhaustive()
    }
}

/// Put back the user-facing topic of a message that came from the retry topic, without the
/// namespace (`resetRetryAndNamespace`).
pub(crate) fn restore_retry_topic(msgs: &mut [MessageExt], group_retry_topic: &str, namespace: &Namespace) {
    for msg in msgs.iter_mut() {
        if let Some(topic) = restored_topic(msg, group_retry_topic, namespace) {
            msg.topic = topic;
        }
    }
}

/// [`restore_retry_topic`] on shared messages: only a message whose topic changes is copied
/// (out of the process queue's hands), which without a namespace is only a retried one.
fn restore_retry_topic_shared(msgs: &mut [Arc<MessageExt>], group_retry_topic: &str, namespace: &Namespace) {
    for msg in msgs.iter_mut() {
        if let Some(topic) = restored_topic(msg, group_retry_topic, namespace) {
            Arc::make_mut(msg).topic = topic;
        }
    }
}

/// The topic `msg` is to be shown with, when it is not the one it has.
fn restored_topic(msg: &MessageExt, group_retry_topic: &str, namespace: &Namespace) -> Option<String> {
    let original = if msg.topic == group_retry_topic { msg.properties.get(keys::RETRY_TOPIC) } else { None };
    if original.is_none() && !namespace.is_set() {
        return None;
    }
    let topic = namespace.unwrap(original.unwrap_or(&msg.topic));
    (topic != msg.topic).then_some(topic)
}

/// A listener future whose panic becomes `None`.
struct CatchUnwind<F>(F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Option<F::Output>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut self.0).poll(cx))) {
            Ok(Poll::Ready(r)) => Poll::Ready(Some(r)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    }
}

impl ConsumeService {
    /// A service; a blocking listener gets `threads` consume threads now. Must run in a runtime.
    pub fn start(
        env: ConsumeEnv,
        listener: Listener,
        threads: usize,
        max_in_flight: usize,
    ) -> std::io::Result<Arc<Self>> {
        let max_in_flight = u32::try_from(max_in_flight.clamp(1, Semaphore::MAX_PERMITS)).unwrap_or(u32::MAX);
        let (tx, rx) = mpsc::channel::<Job>();
        let service = Arc::new_cyclic(|me| ConsumeService {
            env,
            listener,
            jobs: Mutex::new(Some(tx)),
            threads_exited: Mutex::new(None),
            permits: Arc::new(Semaphore::new(max_in_flight as usize)),
            max_in_flight,
            runtime: tokio::runtime::Handle::current(),
            me: me.clone(),
        });
        if matches!(service.listener, Listener::Blocking(_)) {
            let rx = Arc::new(Mutex::new(rx));
            let (exit_tx, exit_rx) = mpsc::channel::<()>();
            for i in 0..threads.max(1) {
                let rx = rx.clone();
                let me = Arc::downgrade(&service);
                let exit_tx = exit_tx.clone();
                std::thread::Builder::new().name(format!("rocketmq-consume-{}-{i}", service.env.group)).spawn(
                    move || {
                        let _exit = exit_tx; // dropped when the thread ends: shutdown waits for all
                        loop {
                            let job = { lock(&rx).recv() };
                            let Ok(job) = job else { return };
                            let Some(service) = me.upgrade() else { return };
                            if service.is_running() {
                                service.run_job(job);
                            }
                        }
                    },
                )?;
            }
            *lock(&service.threads_exited) = Some(exit_rx);
        }
        Ok(service)
    }

    fn is_running(&self) -> bool {
        self.env.running.load(Ordering::SeqCst)
    }

    fn arc(&self) -> Option<Arc<Self>> {
        self.me.upgrade()
    }

    fn send_job(&self, job: Job) {
        if let Some(tx) = lock(&self.jobs).as_ref() {
            let _ = tx.send(job);
        }
    }

    fn context(&self, mq: &MessageQueue) -> ConsumeContext {
        ConsumeContext { queue: self.env.namespace.unwrap_queue(mq), orderly: self.env.orderly }
    }

    fn record(&self, started: Instant, result: ConsumeResult, len: usize) {
        let ok = result.acked(len);
        self.env.stats.record_consume(started.elapsed().as_micros() as u64, ok as u64, (len - ok) as u64);
    }

    /// The SubBefore record of a call (queued now), when trace is on.
    fn trace_before(&self, msgs: &[Arc<MessageExt>]) -> Option<TraceContext> {
        let trace = self.env.trace.as_ref()?;
        // Java's hook writes the group without the namespace.
        let before = trace_hooks::sub_before(&self.env.namespace.unwrap(&self.env.group), msgs)?;
        trace.append(before.clone());
        Some(before)
    }

    /// The SubAfter record matching `before`.
    fn trace_after(&self, before: Option<TraceContext>, verdict: Verdict, len: usize) {
        if let (Some(trace), Some(before)) = (&self.env.trace, before) {
            trace.append(trace_hooks::sub_after(&before, verdict, len));
        }
    }

    fn call_blocking(&self, listener: &dyn MessageListener, msgs: &[Arc<MessageExt>], mq: &MessageQueue) -> Verdict {
        let context = self.context(mq);
        let traced = self.trace_before(msgs);
        let started = Instant::now();
        let verdict = catch_unwind(AssertUnwindSafe(|| listener.consume_shared(msgs, &context))).ok();
        if verdict.is_none() {
            tracing::error!(group = %self.env.group, queue = %mq, "message listener panicked; the messages will be redelivered");
        }
        self.record(started, or_later(verdict), msgs.len());
        self.trace_after(traced, verdict, msgs.len());
        verdict
    }

    async fn call_async(
        &self,
        listener: &dyn AsyncMessageListener,
        msgs: Vec<Arc<MessageExt>>,
        mq: &MessageQueue,
    ) -> (Vec<Arc<MessageExt>>, Verdict) {
        let traced = self.trace_before(&msgs);
        let started = Instant::now();
        let context = self.context(mq);
        let verdict = match catch_unwind(AssertUnwindSafe(|| listener.consume_shared(msgs.clone(), context))) {
            Ok(fut) => CatchUnwind(fut).await,
            Err(_) => None,
        };
        if verdict.is_none() {
            tracing::error!(group = %self.env.group, queue = %mq, "async message listener panicked; the messages will be redelivered");
        }
        self.record(started, or_later(verdict), msgs.len());
        self.trace_after(traced, verdict, msgs.len());
        (msgs, verdict)
    }

    /// [`call_async`](Self::call_async) on several batches of one queue in one hand-over
    /// ([`AsyncMessageListener::consume_many`]). Each batch keeps its own verdict; the time
    /// recorded for each is the group's (they run together).
    async fn call_async_many(
        &self,
        listener: &dyn AsyncMessageListener,
        shared: Vec<Vec<Arc<MessageExt>>>,
        mq: &MessageQueue,
    ) -> Vec<(Vec<Arc<MessageExt>>, Verdict)> {
        let traced: Vec<Option<TraceContext>> = shared.iter().map(|b| self.trace_before(b)).collect();
        let started = Instant::now();
        let context = self.context(mq);
        let calls = shared.iter().map(|msgs| SharedCall { msgs: msgs.clone(), context: context.clone() }).collect();
        let mut verdicts: Vec<Verdict> = match catch_unwind(AssertUnwindSafe(|| listener.consume_many(calls))) {
            Ok(fut) => CatchUnwind(fut).await.map(|all| all.into_iter().map(Some).collect()).unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        if verdicts.len() != shared.len() {
            tracing::error!(group = %self.env.group, queue = %mq, "async message listener panicked (or gave too few verdicts); the messages will be redelivered");
            verdicts.resize(shared.len(), None);
        }
        shared
            .into_iter()
            .zip(verdicts)
            .zip(traced)
            .map(|((msgs, verdict), traced)| {
                self.record(started, or_later(verdict), msgs.len());
                self.trace_after(traced, verdict, msgs.len());
                (msgs, verdict)
            })
            .collect()
    }

    /// Run the listener on `msgs` wherever it runs; `None` if it was not run (shutdown).
    async fn call(&self, msgs: Vec<Arc<MessageExt>>, mq: &MessageQueue) -> Option<(Vec<Arc<MessageExt>>, Verdict)> {
        match &self.listener {
            Listener::Blocking(_) => {
                let (reply, answer) = oneshot::channel();
                self.send_job(Job::Call { msgs, mq: mq.clone(), reply });
                answer.await.ok()
            }
            Listener::Async(listener) => {
                let _permit = self.permits.clone().acquire_owned().await.ok()?;
                if !self.is_running() {
                    return None;
                }
                Some(self.call_async(&**listener, msgs, mq).await)
            }
        }
    }

    fn run_job(&self, job: Job) {
        let Listener::Blocking(listener) = &self.listener else { return };
        match job {
            Job::Concurrent { pq, mq, mut msgs } => {
                if pq.is_dropped() {
                    return;
                }
                restore_retry_topic_shared(&mut msgs, &super::retry_topic(&self.env.group), &self.env.namespace);
                let verdict = self.call_blocking(&**listener, &msgs, &mq);
                self.complete_concurrently(pq, mq, msgs, or_later(verdict));
            }
            Job::Call { msgs, mq, reply } => {
                let verdict = self.call_blocking(&**listener, &msgs, &mq);
                let _ = reply.send((msgs, verdict));
            }
        }
    }

    /// Log and count messages whose body could not be decoded; they never reach a listener.
    fn note_undecodable(&self, msgs: &[Arc<MessageExt>], mq: &MessageQueue) {
        for msg in msgs {
            let reason = msg.decode_error.as_deref().unwrap_or_default();
            tracing::warn!(group = %self.env.group, queue = %mq, offset = msg.queue_offset, msg_id = %msg.msg_id(), reason, "message body cannot be decoded; treated as failed (sent back, retried, then to the DLQ)");
        }
        self.env.stats.record_undecodable(msgs.len() as u64);
    }

    /// Consume `msgs` (at most one batch, already cached in `pq`) concurrently. Messages that
    /// could not be decoded skip the listener and fail at once, as if it had failed them:
    /// sent back, retried from the retry topic, then moved to the DLQ by the broker. They
    /// never block their queue.
    pub fn submit_concurrently(&self, pq: Arc<ProcessQueue>, mq: MessageQueue, msgs: Vec<Arc<MessageExt>>) {
        let Some(mut msgs) = self.set_aside_undecodable(&pq, &mq, msgs) else { return };
        match &self.listener {
            Listener::Blocking(_) => self.send_job(Job::Concurrent { pq, mq, msgs }),
            Listener::Async(listener) => {
                let Some(me) = self.arc() else { return };
                let listener = listener.clone();
                let permits = self.permits.clone();
                self.runtime.spawn(async move {
                    let Ok(_permit) = permits.acquire_owned().await else { return };
                    if pq.is_dropped() || !me.is_running() {
                        return;
                    }
                    restore_retry_topic_shared(&mut msgs, &super::retry_topic(&me.env.group), &me.env.namespace);
                    let (msgs, verdict) = me.call_async(&*listener, msgs, &mq).await;
                    me.complete_concurrently(pq, mq, msgs, or_later(verdict));
                });
            }
        }
    }

    /// The decodable messages of `msgs` (`None` if none is); the others fail at once (see
    /// [`submit_concurrently`](Self::submit_concurrently)).
    fn set_aside_undecodable(
        &self,
        pq: &Arc<ProcessQueue>,
        mq: &MessageQueue,
        msgs: Vec<Arc<MessageExt>>,
    ) -> Option<Vec<Arc<MessageExt>>> {
        let (undecodable, msgs): (Vec<_>, Vec<_>) = msgs.into_iter().partition(|m| m.decode_error.is_some());
        if !undecodable.is_empty() {
            self.note_undecodable(&undecodable, mq);
            self.complete_concurrently(pq.clone(), mq.clone(), undecodable, ConsumeResult::ReconsumeLater);
        }
        (!msgs.is_empty()).then_some(msgs)
    }

    /// [`submit_concurrently`](Self::submit_concurrently) for the batches of one pull. An async
    /// listener gets them in one hand-over ([`AsyncMessageListener::consume_many`]): one task
    /// and one acquisition of permits (one per batch) for the lot, instead of one each. A
    /// blocking listener gets each batch on its own, as before.
    pub fn submit_concurrently_batches(
        &self,
        pq: Arc<ProcessQueue>,
        mq: MessageQueue,
        batches: Vec<Vec<Arc<MessageExt>>>,
    ) {
        let Listener::Async(listener) = &self.listener else {
            for msgs in batches {
                self.submit_concurrently(pq.clone(), mq.clone(), msgs);
            }
            return;
        };
        let mut batches: Vec<Vec<Arc<MessageExt>>> =
            batches.into_iter().filter_map(|msgs| self.set_aside_undecodable(&pq, &mq, msgs)).collect();
        // Groups of at most `max_in_flight` batches, so that each group's permits can be had.
        let group_size = (self.max_in_flight as usize).max(1);
        while !batches.is_empty() {
            let rest = batches.split_off(batches.len().min(group_size));
            let group = std::mem::replace(&mut batches, rest);
            let Some(me) = self.arc() else { return };
            let (listener, permits, pq, mq) = (listener.clone(), self.permits.clone(), pq.clone(), mq.clone());
            self.runtime.spawn(async move {
                let Ok(_permits) = permits.acquire_many_owned(group.len() as u32).await else { return };
                if pq.is_dropped() || !me.is_running() {
                    return;
                }
                let retry_topic = super::retry_topic(&me.env.group);
                let mut group = group;
                for msgs in &mut group {
                    restore_retry_topic_shared(msgs, &retry_topic, &me.env.namespace);
                }
                for (msgs, verdict) in me.call_async_many(&*listener, group, &mq).await {
                    me.complete_concurrently(pq.clone(), mq.clone(), msgs, or_later(verdict));
                }
            });
        }
    }

    /// Java `processConsumeResult` (concurrently): acknowledged messages leave the queue now;
    /// failed ones are sent back (clustering) from a task, concurrently, and leave the queue
    /// once the broker has them; those it refused are consumed again locally later.
    fn complete_concurrently(
        &self,
        pq: Arc<ProcessQueue>,
        mq: MessageQueue,
        msgs: Vec<Arc<MessageExt>>,
        result: ConsumeResult,
    ) {
        if pq.is_dropped() {
            return; // the queue moved to another consumer meanwhile: it will redeliver
        }
        let ok = result.acked(msgs.len());
        if ok == msgs.len() || !self.env.clustering {
            for msg in &msgs[ok..] {
                tracing::warn!(group = %self.env.group, msg_id = %msg.msg_id(), "broadcasting: consumption failed, message dropped (Java behaviour)");
            }
            self.finish(&pq, &mq, &msgs, &[]);
            return;
        }
        let Some(me) = self.arc() else { return };
        self.runtime.spawn(async move {
            let failed = &msgs[ok..];
            let sent = me.send_back_all(failed, &mq, me.env.delay_level_when_next_consume).await;
            let mut retry: Vec<Arc<MessageExt>> =
                failed.iter().zip(sent).filter(|(_, sent)| !sent).map(|(m, _)| m.clone()).collect();
            me.finish(&pq, &mq, &msgs, &retry);
            if retry.is_empty() {
                return;
            }
            for msg in &mut retry {
                Arc::make_mut(msg).reconsume_times += 1;
            }
            tokio::time::sleep(LOCAL_RETRY_DELAY).await;
            me.submit_concurrently(pq, mq, retry);
        });
    }

    /// Remove `msgs` except `keep` from `pq` and commit the resulting offset.
    fn finish(&self, pq: &ProcessQueue, mq: &MessageQueue, msgs: &[Arc<MessageExt>], keep: &[Arc<MessageExt>]) {
        let done: Vec<i64> =
            msgs.iter().map(|m| m.queue_offset).filter(|o| !keep.iter().any(|k| k.queue_offset == *o)).collect();
        let offset = pq.remove_messages(&done);
        // A dropped queue's late result must not move the offset of its successor.
        if !pq.is_dropped() {
            self.env.offsets.commit(mq, offset);
        }
    }

    /// CONSUMER_SEND_MSG_BACK for each message, concurrently; whether each was taken.
    async fn send_back_all(&self, msgs: &[Arc<MessageExt>], mq: &MessageQueue, delay_level: i32) -> Vec<bool> {
        let mut set = tokio::task::JoinSet::new();
        for (i, msg) in msgs.iter().enumerate() {
            let header = ConsumerSendMsgBackRequestHeader {
                offset: msg.commit_log_offset,
                group: self.env.group.clone(),
                delay_level,
                origin_msg_id: Some(msg.msg_id().to_owned()),
                origin_topic: Some(self.env.namespace.wrap(&msg.topic)),
                unit_mode: Some(false),
                max_reconsume_times: Some(self.env.max_reconsume_times),
                broker_name: Some(mq.broker_name.clone()),
            };
            let instance = self.env.instance.clone();
            let mq = mq.clone();
            let group = self.env.group.clone();
            set.spawn(async move {
                let result = async {
                    let addr = broker_api::master_addr(&instance, &mq).await?;
                    broker_api::send_back(&instance, &addr, header.clone()).await
                }
                .await;
                if let Err(e) = &result {
                    tracing::warn!(%group, msg_id = ?header.origin_msg_id, error = %e, "send-back failed; will re-consume locally");
                }
                (i, result.is_ok())
            });
        }
        let mut sent = vec![false; msgs.len()];
        while let Some(done) = set.join_next().await {
            if let Ok((i, ok)) = done {
                sent[i] = ok;
            }
        }
        sent
    }

    /// Consume the orderly queue `mq` (Java `ConsumeRequest.run` of the orderly service): one
    /// task per queue at a time (the process queue's dispatch mark and orderly lock), in order.
    pub fn submit_orderly(&self, pq: Arc<ProcessQueue>, mq: MessageQueue) {
        self.submit_orderly_after(pq, mq, Duration::ZERO);
    }

    fn submit_orderly_after(&self, pq: Arc<ProcessQueue>, mq: MessageQueue, delay: Duration) {
        let weak = self.me.clone();
        self.runtime.spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if let Some(me) = weak.upgrade() {
                me.consume_orderly(pq, mq).await;
            }
        });
    }

    async fn consume_orderly(&self, pq: Arc<ProcessQueue>, mq: MessageQueue) {
        let _one_batch_per_queue = pq.orderly_lock().lock().await;
        let started = Instant::now();
        let retry_topic = super::retry_topic(&self.env.group);
        loop {
            if pq.is_dropped() || !self.is_running() {
                return;
            }
            if self.env.clustering && (!pq.is_locked() || pq.is_lock_expired(REBALANCE_LOCK_MAX_LIVE_TIME)) {
                self.relock_later(pq.clone(), mq.clone());
                return;
            }
            if started.elapsed() > MAX_TIME_CONSUME_CONTINUOUSLY {
                self.submit_orderly_after(pq.clone(), mq.clone(), Duration::from_millis(10));
                return;
            }
            let mut msgs = pq.take_messages(self.env.batch_size);
            if msgs.is_empty() {
                return;
            }
            restore_retry_topic_shared(&mut msgs, &retry_topic, &self.env.namespace);
            let (mut msgs, verdict) = if msgs.iter().any(|m| m.decode_error.is_some()) {
                // Not for the listener: fail the batch as a failing listener would, until the
                // retries run out and it goes to the DLQ.
                let first_time: Vec<Arc<MessageExt>> =
                    msgs.iter().filter(|m| m.decode_error.is_some() && m.reconsume_times == 0).cloned().collect();
                self.note_undecodable(&first_time, &mq);
                (msgs, Some(ConsumeResult::ReconsumeLater))
            } else {
                let Some(called) = self.call(msgs, &mq).await else {
                    pq.rollback(); // not consumed (shutting down)
                    return;
                };
                called
            };
            let result = or_later(verdict);
            if pq.is_dropped() {
                return;
            }
            if result.acked(msgs.len()) == msgs.len() {
                self.commit_orderly(&pq, &mq);
                continue;
            }
            if msgs.iter().any(|m| m.reconsume_times >= self.env.max_reconsume_times) {
                // Exhausted: hand the batch to the broker's DLQ and move on, as Java does.
                if self.send_back_all(&msgs, &mq, -1).await.iter().all(|sent| *sent) {
                    self.commit_orderly(&pq, &mq);
                    continue;
                }
            }
            for msg in &mut msgs {
                Arc::make_mut(msg).reconsume_times += 1;
            }
            pq.make_messages_to_consume_again(&msgs);
            self.submit_orderly_after(pq.clone(), mq.clone(), self.env.suspend_current_queue_time);
            return;
        }
    }

    fn commit_orderly(&self, pq: &ProcessQueue, mq: &MessageQueue) {
        let offset = pq.commit();
        if !pq.is_dropped() {
            self.env.offsets.commit(mq, offset);
        }
    }

    /// The broker lock is missing or stale: take it again, then resume (`tryLockLaterAndReconsume`).
    fn relock_later(&self, pq: Arc<ProcessQueue>, mq: MessageQueue) {
        let weak = self.me.clone();
        self.runtime.spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let Some(me) = weak.upgrade() else { return };
            if pq.is_dropped() {
                return;
            }
            let locked = me.env.rebalancer.lock(&mq).await;
            if locked {
                mark_locked(&pq, true);
            }
            let again = if locked { Duration::from_millis(10) } else { Duration::from_secs(3) };
            me.submit_orderly_after(pq, mq, again);
        });
    }

    /// CONSUME_MESSAGE_DIRECTLY: run the listener once outside the flow; an error remark when
    /// it could not run or panicked. Nothing is committed or sent back.
    pub async fn consume_directly(&self, msgs: Vec<MessageExt>, mq: &MessageQueue) -> Result<ConsumeResult, String> {
        match self.call(msgs.into_iter().map(Arc::new).collect(), mq).await {
            Some((_, Some(result))) => Ok(result),
            Some((_, None)) => Err("the listener panicked".to_owned()),
            None => Err("the consumer is shutting down".to_owned()),
        }
    }

    /// Stop taking work and wait, at most `timeout`, for listener calls in flight.
    pub async fn shutdown(&self, timeout: Duration) -> bool {
        lock(&self.jobs).take();
        let exited = lock(&self.threads_exited).take();
        let deadline = Instant::now() + timeout;
        let threads_done = match exited {
            None => true,
            Some(exited) => tokio::task::spawn_blocking(move || loop {
                match exited.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Err(mpsc::RecvTimeoutError::Disconnected) => return true,
                    Err(mpsc::RecvTimeoutError::Timeout) => return false,
                    Ok(()) => {}
                }
            })
            .await
            .unwrap_or(false),
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let tasks_done = tokio::time::timeout(left, self.permits.acquire_many(self.max_in_flight)).await.is_ok();
        threads_done && tasks_done
    }
}

/// Record the outcome of a lock request for `pq` (stamping the time of a granted lock, which
/// is what lock expiry is measured from).
pub(crate) fn mark_locked(pq: &ProcessQueue, locked: bool) {
    if locked {
        pq.set_last_lock_timestamp(super::now_ms());
    }
    pq.set_locked(locked);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(topic: &str, retry_of: Option<&str>) -> Arc<MessageExt> {
        let mut msg = MessageExt { topic: topic.to_owned(), ..MessageExt::default() };
        if let Some(original) = retry_of {
            msg.properties.insert(keys::RETRY_TOPIC, original.to_owned());
        }
        Arc::new(msg)
    }

    /// Without a namespace only a retried message changes, and only it is copied: the others
    /// stay shared with the process queue.
    #[test]
    fn restoring_topics_copies_only_the_messages_that_change() {
        let cached = vec![shared("orders", None), shared("%RETRY%g", Some("orders")), shared("%RETRY%g", None)];
        let mut msgs = cached.clone();
        restore_retry_topic_shared(&mut msgs, "%RETRY%g", &Namespace::new(None));
        let topics: Vec<&str> = msgs.iter().map(|m| m.topic.as_str()).collect();
        assert_eq!(topics, ["orders", "orders", "%RETRY%g"]);
        let still_shared: Vec<bool> = msgs.iter().zip(&cached).map(|(a, b)| Arc::ptr_eq(a, b)).collect();
        assert_eq!(still_shared, [true, false, true]);
        assert_eq!(cached[1].topic, "%RETRY%g", "the cached message keeps the wire topic");
    }

    #[test]
    fn restoring_topics_strips_the_namespace() {
        let mut msgs = vec![shared("ns%orders", None), shared("%RETRY%ns%g", Some("ns%orders"))];
        restore_retry_topic_shared(&mut msgs, "%RETRY%ns%g", &Namespace::new(Some("ns")));
        let topics: Vec<&str> = msgs.iter().map(|m| m.topic.as_str()).collect();
        assert_eq!(topics, ["orders", "orders"]);
        let mut owned = vec![MessageExt::clone(&shared("ns%orders", None))];
        restore_retry_topic(&mut owned, "%RETRY%ns%g", &Namespace::new(Some("ns")));
        assert_eq!(owned[0].topic, "orders");
    }
}
