//! The producer (`DefaultMQProducer` / `DefaultMQProducerImpl`): sync, async, oneway, batch and
//! ordered sends, with retries that move to another broker and latency fault tolerance.

mod accumulator;
mod fault;
pub mod prepare;
mod queue_selector;
pub mod request_reply;
pub mod transaction;

pub use fault::LatencyFaultTolerance;
pub use prepare::PreparedMessage;
pub use queue_selector::{select_by_hash, QueueSelector};
pub use request_reply::{create_reply_message, ReplyTable};
pub use transaction::{LocalTransactionState, TransactionChecker, TransactionProducer, TransactionSendResult};

use rocketmq_remoting::header::{SendMessageRequestHeaderV2, SendMessageResponseHeader};
use rocketmq_remoting::{request_code, response_code, MessageQueue, RemotingCommand};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::instance::ClientInstance;
use crate::message::Message;
use crate::namespace::Namespace;
use crate::options::{ClientOptions, ProducerOptions};
use crate::route::TopicPublishInfo;
use crate::send_result::{SendResult, SendStatus};
use crate::stats::{check_interval, ProducerStats, StatValue, Stats, StatsCallback, StatsCallbackSlot, StatsExt};
use crate::trace::{DispatcherType, TraceDispatcher};
use accumulator::{Accumulator, Callback, Offer, Waiter};

const CREATED: u8 = 0;
const RUNNING: u8 = 1;
const SHUT_DOWN: u8 = 2;

/// How a send waits for the broker, which decides the retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendMode {
    /// Wait; retry on transport errors and retryable codes (`retryTimesWhenSendFailed`).
    Sync,
    /// Wait; retry only on transport errors (`retryTimesWhenSendAsyncFailed`), as Java's async send.
    Async,
}

/// A RocketMQ producer. Cheap to clone; clones share one client.
#[derive(Clone, Debug)]
pub struct Producer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: ProducerOptions,
    client_options: ClientOptions,
    state: AtomicU8,
    instance: OnceLock<Arc<ClientInstance>>,
    faults: LatencyFaultTolerance,
    stats: ProducerStats,
    stats_cb: StatsCallbackSlot,
    /// Message trace, when on (set by `start`).
    trace: OnceLock<Arc<TraceDispatcher>>,
    /// Topics of sends and queues are wrapped with it, results unwrapped ([`crate::namespace`]).
    namespace: Namespace,
    /// Auto-batching of `send` / `send_async`, when `auto_batch` is on.
    accumulator: Option<Accumulator>,
}

impl Producer {
    /// A producer; call [`Producer::start`] before sending. With a namespace, its group is
    /// `ns%group` from here on (Java `DefaultMQProducer.start`).
    pub fn new(mut options: ProducerOptions, client_options: ClientOptions) -> Self {
        let namespace = Namespace::of(&client_options);
        options.group = namespace.wrap(&options.group);
        let accumulator = options.auto_batch.then(|| Accumulator::new(&options));
        Producer {
            inner: Arc::new(Inner {
                options,
                client_options,
                state: AtomicU8::new(CREATED),
                instance: OnceLock::new(),
                faults: LatencyFaultTolerance::default(),
                stats: ProducerStats::default(),
                stats_cb: StatsCallbackSlot::default(),
                trace: OnceLock::new(),
                namespace,
                accumulator,
            }),
        }
    }

    /// The v1 namespace of its client options.
    pub fn namespace(&self) -> &Namespace {
        &self.inner.namespace
    }

    /// The producer options (the group namespace-wrapped).
    pub fn options(&self) -> &ProducerOptions {
        &self.inner.options
    }

    /// This producer's client id, once started.
    pub fn client_id(&self) -> Option<&str> {
        self.inner.instance.get().map(|i| i.client_id())
    }

    /// Validate the options and start background work (route refresh, heartbeats). Like Java,
    /// it does not contact the name server: a name server that is down now may be up by the
    /// first send. Starting a running producer does nothing; a shut-down one cannot restart.
    pub async fn start(&self) -> Result<()> {
        match self.inner.state.load(Ordering::SeqCst) {
            RUNNING => return Ok(()),
            SHUT_DOWN => return Err(Error::new(ErrorKind::Shutdown, "the producer was shut down and cannot restart")),
            _ => {}
        }
        self.inner.options.validate()?;
        let instance = ClientInstance::get_or_create(self.inner.client_options.clone())?;
        if let Err(e) = instance.register_producer(&self.inner.options.group) {
            instance.release(&[], &[]).await;
            return Err(e);
        }
        if self.inner.instance.set(instance.clone()).is_err() {
            // A concurrent start won.
            instance.release(std::slice::from_ref(&self.inner.options.group), &[]).await;
            return Ok(());
        }
        if let Some(trace) = &self.inner.client_options.message_trace {
            let group = &self.inner.options.group;
            let plain = self.inner.namespace.unwrap(group);
            match TraceDispatcher::start(&plain, DispatcherType::Produce, &trace.topic, &self.inner.client_options)
                .await
            {
                Ok(dispatcher) => {
                    let _ = self.inner.trace.set(dispatcher);
                }
                Err(e) => {
                    instance.release(std::slice::from_ref(group), &[]).await;
                    return Err(e.context("message trace"));
                }
            }
        }
        instance.start();
        self.inner.state.store(RUNNING, Ordering::SeqCst);
        self.inner.stats_cb.start(self.stats_source());
        tracing::info!(group = %self.inner.options.group, client_id = instance.client_id(), "producer started");
        Ok(())
    }

    /// Unregister from the brokers and close connections. Idempotent.
    pub async fn shutdown(&self) {
        // Batches still held go out first (their callers are waiting for them).
        if let Some(acc) = &self.inner.accumulator {
            if self.inner.state.load(Ordering::SeqCst) == RUNNING {
                for ready in acc.take_all() {
                    self.flush(ready).await;
                }
            }
        }
        if self.inner.state.swap(SHUT_DOWN, Ordering::SeqCst) != RUNNING {
            return;
        }
        self.inner.stats_cb.stop();
        if let Some(trace) = self.inner.trace.get() {
            trace.shutdown().await;
        }
        if let Some(instance) = self.inner.instance.get() {
            instance.release(std::slice::from_ref(&self.inner.options.group), &[]).await;
        }
        tracing::info!(group = %self.inner.options.group, "producer shut down");
    }

    fn instance(&self) -> Result<&Arc<ClientInstance>> {
        match self.inner.state.load(Ordering::SeqCst) {
            RUNNING => {
                self.inner.instance.get().ok_or_else(|| Error::new(ErrorKind::NotStarted, "producer not started"))
            }
            SHUT_DOWN => Err(Error::new(ErrorKind::Shutdown, "the producer has been shut down")),
            _ => Err(Error::new(ErrorKind::NotStarted, "the producer has not been started: call start() first")),
        }
    }

    /// Count a send (in flight while it runs; ok with its latency, or failed by error kind).
    fn measured<F>(&self, send: F) -> crate::stats::Measured<'_, F> {
        self.inner.stats.measure(send)
    }

    /// Statistics (a plain map, cheap): `sends_ok`, `sends_failed`, `sends_failed_by_kind`,
    /// `in_flight`, `send_latency` (count, avg, p50/p90/p99/p999, max in ms), `connections`
    /// (live, connects, reconnects, connect_failures), and `trace` when trace is on.
    pub fn stats(&self) -> Stats {
        let mut s = self.inner.stats.to_stats();
        s.insert("group".to_owned(), StatValue::Text(self.inner.namespace.unwrap(&self.inner.options.group)));
        if let Some(instance) = self.inner.instance.get() {
            s.insert("client_id".to_owned(), StatValue::Text(instance.client_id().to_owned()));
            s.map("connections", instance.connection_stats());
        }
        if let Some(trace) = self.inner.trace.get() {
            s.map("trace", trace.stats().to_stats());
        }
        s
    }

    /// Call `callback` with [`Producer::stats`] every `interval` while the producer runs
    /// (confluent-kafka's `stats_cb`); it runs on a runtime task and must not block. Replaces
    /// an earlier callback.
    pub fn set_stats_callback(&self, interval: Duration, callback: StatsCallback) -> Result<()> {
        check_interval(interval)?;
        let source = (self.inner.state.load(Ordering::SeqCst) == RUNNING).then(|| self.stats_source());
        self.inner.stats_cb.set(interval, callback, source);
        Ok(())
    }

    fn stats_source(&self) -> crate::stats::StatsSource {
        let weak = Arc::downgrade(&self.inner);
        Arc::new(move || weak.upgrade().map(|inner| Producer { inner }.stats()))
    }

    /// Send and wait for the broker, retrying on another broker (default timeout). With
    /// `auto_batch` on, the message may wait up to `batch_max_delay` to go out in a batch (Java's
    /// `send(Message)` does the same).
    pub async fn send(&self, msg: &Message) -> Result<SendResult> {
        if self.inner.accumulator.is_some() {
            return self.measured(self.send_accumulated(msg, SendMode::Sync)).await;
        }
        self.send_with_timeout(msg, self.inner.options.send_timeout).await
    }

    /// [`Producer::send`] with an explicit whole-send deadline.
    pub async fn send_with_timeout(&self, msg: &Message, timeout: Duration) -> Result<SendResult> {
        self.measured(async {
            let prepared = prepare::prepare_single(&self.inner.namespace.wrap_message(msg), &self.inner.options)?;
            self.send_prepared(prepared, timeout, SendMode::Sync).await
        })
        .await
    }

    /// Send with Java's async retry policy (transport failures only). The future is what an
    /// async callback or `await` is built on.
    pub async fn send_async(&self, msg: &Message) -> Result<SendResult> {
        if self.inner.accumulator.is_some() {
            return self.measured(self.send_accumulated(msg, SendMode::Async)).await;
        }
        self.measured(async {
            let prepared = prepare::prepare_single(&self.inner.namespace.wrap_message(msg), &self.inner.options)?;
            self.send_prepared(prepared, self.inner.options.send_timeout, SendMode::Async).await
        })
        .await
    }

    /// A single send through the accumulator (`DefaultMQProducer.sendByAccumulator`).
    async fn send_accumulated(&self, msg: &Message, mode: SendMode) -> Result<SendResult> {
        let options = &self.inner.options;
        let wrapped = self.inner.namespace.wrap_message(msg);
        prepare::validate(&wrapped, options)?;
        self.instance()?;
        let Some(acc) = &self.inner.accumulator else {
            return self.send_prepared(prepare::prepare_single(&wrapped, options)?, options.send_timeout, mode).await;
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let shared = Arc::new(wrapped.into_owned());
        if self.hold(acc, &shared, mode, Waiter::Channel(tx)).is_some() {
            return self.send_prepared(prepare::prepare_single(&shared, options)?, options.send_timeout, mode).await;
        }
        accumulator::wait(rx).await
    }

    /// Offer `msg` to the accumulator, starting what the offer calls for (the batch it
    /// completed, or the timer of the batch it opened). `Some(waiter)`: not batchable, the
    /// caller sends it alone.
    fn hold(&self, acc: &Accumulator, msg: &Arc<Message>, mode: SendMode, waiter: Waiter) -> Option<Waiter> {
        match acc.offer(msg, mode, waiter) {
            Offer::Bypass(waiter) => return Some(waiter),
            Offer::Held(None) => {}
            Offer::Held(Some(ready)) => {
                let me = self.clone();
                tokio::spawn(async move { me.flush(ready).await });
            }
            Offer::Opened(id, key) => {
                let me = self.clone();
                let delay = acc.max_delay();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let expired = me.inner.accumulator.as_ref().and_then(|acc| acc.take_expired(&key, id));
                    if let Some(ready) = expired {
                        me.flush(ready).await;
                    }
                });
            }
        }
        None
    }

    /// [`Producer::send_async`] with a completion callback instead of a future (what a
    /// callback API is built on). With auto-batching on, a held message costs no task: its
    /// batch calls `on_done` when it settles. `on_done` runs exactly once, on a runtime thread
    /// (or at once, on the caller's, for a message refused before any I/O; or with a
    /// `Shutdown` error wherever the runtime drops the send unfinished) and must neither block
    /// nor panic.
    ///
    /// Call it within the runtime (from a task, or under `Handle::enter`): it spawns.
    pub fn send_async_with<F>(&self, msg: Arc<Message>, on_done: F)
    where
        F: FnOnce(Result<SendResult>) + Send + 'static,
    {
        let on_done = Callback::new(on_done);
        let Some(acc) = &self.inner.accumulator else {
            let me = self.clone();
            tokio::spawn(async move { on_done.call(me.send_async(&msg).await) });
            return;
        };
        // The caller's message itself (shared, not copied) unless the namespace rewrites it.
        let rewritten = match self.inner.namespace.wrap_message(&msg) {
            std::borrow::Cow::Owned(m) => Some(m),
            std::borrow::Cow::Borrowed(_) => None,
        };
        let wrapped = rewritten.map_or(msg, Arc::new);
        if let Err(e) = prepare::validate(&wrapped, &self.inner.options).and_then(|()| self.instance().map(|_| ())) {
            self.inner.stats.begin_detached();
            self.inner.stats.end_detached(Duration::ZERO, Err(e.kind()));
            on_done.call(Err(e));
            return;
        }
        // Counted as `measured` counts the other sends: in flight until the callback.
        self.inner.stats.begin_detached();
        let me = self.clone();
        let started = std::time::Instant::now();
        let waiter = Waiter::Callback(Callback::new(move |result: Result<SendResult>| {
            me.inner.stats.end_detached(started.elapsed(), result.as_ref().map(|_| ()).map_err(Error::kind));
            on_done.call(result);
        }));
        if let Some(Waiter::Callback(on_done)) = self.hold(acc, &wrapped, SendMode::Async, waiter) {
            let me = self.clone();
            tokio::spawn(async move {
                let options = &me.inner.options;
                let sent = match prepare::prepare_single(&wrapped, options) {
                    Ok(prepared) => me.send_prepared(prepared, options.send_timeout, SendMode::Async).await,
                    Err(e) => Err(e),
                };
                on_done.call(sent);
            });
        }
    }

    /// Send a batch the accumulator let go and hand each caller its result.
    async fn flush(&self, ready: accumulator::Ready) {
        let options = &self.inner.options;
        let prepared = match ready.msgs.as_slice() {
            [one] => prepare::prepare_single(one, options),
            many => prepare::prepare_batch(many, options),
        };
        let outcome = match prepared {
            Ok(prepared) => self.send_prepared(prepared, options.send_timeout, ready.mode).await,
            Err(e) => Err(e),
        };
        if let Some(acc) = &self.inner.accumulator {
            acc.settle(ready, outcome);
        }
    }

    /// Send several messages of one topic as one request (`SEND_BATCH_MESSAGE`).
    pub async fn send_batch(&self, msgs: &[Message]) -> Result<SendResult> {
        self.measured(async {
            let wrapped: Vec<Message> =
                msgs.iter().map(|m| self.inner.namespace.wrap_message(m).into_owned()).collect();
            let prepared = prepare::prepare_batch(&wrapped, &self.inner.options)?;
            self.send_prepared(prepared, self.inner.options.send_timeout, SendMode::Sync).await
        })
        .await
    }

    /// Fire and forget: one attempt, no answer awaited, no retry.
    pub async fn send_oneway(&self, msg: &Message) -> Result<()> {
        self.measured(async {
            let prepared = prepare::prepare_single(&self.inner.namespace.wrap_message(msg), &self.inner.options)?;
            let instance = self.instance()?;
            let deadline = Instant::now() + self.inner.options.send_timeout;
            let info = self.publish_info(instance, &prepared.topic, deadline).await?;
            let mq = self.select_queue(&info, None).clone();
            let addr = self.master_addr(instance, &mq, deadline).await?;
            let request = self.build_request(instance, &prepared, &mq);
            instance.invoke_oneway(&addr, request, remaining(deadline)).await.map_err(|e| e.with_topic(&prepared.topic))
        })
        .await
    }

    /// Send to one queue, no retry (ordered messages).
    pub async fn send_to_queue(&self, msg: &Message, mq: &MessageQueue) -> Result<SendResult> {
        self.measured(async {
            let (msg, mq) = (&*self.inner.namespace.wrap_message(msg), &self.inner.namespace.wrap_queue(mq));
            if mq.topic != msg.topic() {
                return Err(Error::invalid_message(format!(
                    "message topic {} differs from the queue's topic {}",
                    msg.topic(),
                    mq.topic
                )));
            }
            let prepared = prepare::prepare_single(msg, &self.inner.options)?;
            let instance = self.instance()?;
            let deadline = Instant::now() + self.inner.options.send_timeout;
            self.publish_info(instance, &prepared.topic, deadline).await?;
            self.send_once(instance, &prepared, mq, deadline).await
        })
        .await
    }

    /// Send to the queue `selector` picks among the topic's writable queues, no retry
    /// (Java `send(msg, MessageQueueSelector, arg)`).
    pub async fn send_with_selector(&self, msg: &Message, selector: &dyn QueueSelector) -> Result<SendResult> {
        self.measured(async {
            let ns = &self.inner.namespace;
            let prepared = prepare::prepare_single(&ns.wrap_message(msg), &self.inner.options)?;
            let instance = self.instance()?;
            let deadline = Instant::now() + self.inner.options.send_timeout;
            let info = self.publish_info(instance, &prepared.topic, deadline).await?;
            let queues = info.queues();
            // The selector sees the user's names (Java unwraps the topic for `select`).
            let index = if ns.as_str().is_some() {
                selector.select(&ns.unwrap_queues(queues.to_vec()), msg)?
            } else {
                selector.select(queues, msg)?
            };
            let mq = queues.get(index).ok_or_else(|| {
                Error::invalid_message(format!(
                    "queue selector returned {index}, but the topic has {} queues",
                    queues.len()
                ))
            })?;
            self.send_once(instance, &prepared, mq, deadline).await
        })
        .await
    }

    /// Ordered send by sharding key: messages with the same key go to the same queue
    /// (Java `SelectMessageQueueByHash` on the key's `String.hashCode`, so Java producers
    /// using the same key pick the same queue).
    pub async fn send_orderly_by_sharding_key(&self, msg: &Message, sharding_key: &str) -> Result<SendResult> {
        let key = sharding_key.to_owned();
        let selector =
            move |queues: &[MessageQueue], _: &Message| -> Result<usize> { Ok(select_by_hash(&key, queues.len())) };
        self.send_with_selector(msg, &selector).await
    }

    /// The writable queues of `topic` (fetching its route if needed).
    pub async fn publish_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        let instance = self.instance()?;
        let deadline = Instant::now() + self.inner.options.send_timeout;
        let topic = self.inner.namespace.wrap(topic);
        let queues = self.publish_info(instance, &topic, deadline).await?.queues().to_vec();
        Ok(self.inner.namespace.unwrap_queues(queues))
    }

    async fn publish_info(
        &self,
        instance: &Arc<ClientInstance>,
        topic: &str,
        deadline: Instant,
    ) -> Result<Arc<TopicPublishInfo>> {
        let o = &self.inner.options;
        instance.publish_info(topic, &o.create_topic_key, o.default_topic_queue_nums, deadline).await
    }

    /// Queue selection (`MQFaultStrategy.selectOneMessageQueue`): avoid the broker of the
    /// previous attempt, and with fault tolerance on, brokers in penalty; fall back to any.
    fn select_queue<'a>(&self, info: &'a TopicPublishInfo, last_broker: Option<&str>) -> &'a MessageQueue {
        let other_broker = |mq: &MessageQueue| last_broker != Some(mq.broker_name.as_str());
        let faults = &self.inner.faults;
        let chosen = if self.inner.options.latency_fault_enable {
            info.select(|mq| other_broker(mq) && faults.is_available(&mq.broker_name))
                .or_else(|| info.select(|mq| other_broker(mq) && faults.is_reachable(&mq.broker_name)))
                .or_else(|| info.select(|mq| faults.is_available(&mq.broker_name)))
        } else {
            info.select(other_broker)
        };
        match chosen {
            Some(mq) => mq,
            None => &info.queues()[info.next_index() % info.queues().len()],
        }
    }

    async fn send_prepared(&self, prepared: PreparedMessage, timeout: Duration, mode: SendMode) -> Result<SendResult> {
        let instance = self.instance()?;
        let options = &self.inner.options;
        let deadline = Instant::now() + timeout;
        let info = self.publish_info(instance, &prepared.topic, deadline).await?;
        let attempts = 1 + match mode {
            SendMode::Sync => options.retry_times_when_send_failed,
            SendMode::Async => options.retry_times_when_send_async_failed,
        };
        let mut last_broker: Option<String> = None;
        let mut failures: Vec<String> = Vec::new();
        let mut last_error: Option<Error> = None;
        for attempt in 1..=attempts {
            if Instant::now() >= deadline {
                break;
            }
            let mq = self.select_queue(&info, last_broker.as_deref()).clone();
            last_broker = Some(mq.broker_name.clone());
            let started = Instant::now();
            let attempt_deadline = attempt_deadline(deadline, options.send_attempt_timeout, attempt < attempts);
            match self.send_once(instance, &prepared, &mq, attempt_deadline).await {
                Ok(result) => {
                    self.inner.faults.record(&mq.broker_name, started.elapsed(), false, true);
                    let stored_ok = result.status == SendStatus::Ok;
                    if !stored_ok && options.retry_another_broker_when_not_store_ok && attempt < attempts {
                        failures.push(format!("{}: stored with status {:?}", mq.broker_name, result.status));
                        continue;
                    }
                    return Ok(result);
                }
                Err(e) => {
                    self.inner.faults.record(&mq.broker_name, started.elapsed(), true, !e.is_unreachable());
                    let retry = match mode {
                        SendMode::Sync => e.is_retryable(),
                        SendMode::Async => {
                            matches!(e.kind(), ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::ConnectionClosed)
                        }
                    };
                    tracing::debug!(topic = %prepared.topic, broker = %mq.broker_name, attempt, error = %e, retry, "send attempt failed");
                    if !retry {
                        return Err(e);
                    }
                    failures.push(format!("{}: {e}", mq.broker_name));
                    last_error = Some(e);
                }
            }
        }
        let summary = format!("send failed after {} attempt(s) within {} ms", failures.len(), timeout.as_millis());
        Err(match last_error {
            Some(e) => e.context(summary),
            None => Error::new(ErrorKind::Timeout, summary).with_topic(&prepared.topic),
        })
    }

    async fn master_addr(
        &self,
        instance: &Arc<ClientInstance>,
        mq: &MessageQueue,
        deadline: Instant,
    ) -> Result<String> {
        if let Some(addr) = instance.routes().master_addr(&mq.broker_name) {
            return Ok(addr);
        }
        let budget = remaining(deadline).min(instance.options().request_timeout);
        // Boxed: a rare path whose state would otherwise enlarge every send's future.
        Box::pin(instance.update_route(&mq.topic, budget)).await?;
        instance.routes().master_addr(&mq.broker_name).ok_or_else(|| {
            Error::new(ErrorKind::RouteNotFound, format!("broker {} has no master address", mq.broker_name))
                .with_topic(&mq.topic)
        })
    }

    fn build_request(
        &self,
        instance: &ClientInstance,
        prepared: &PreparedMessage,
        mq: &MessageQueue,
    ) -> RemotingCommand {
        let options = &self.inner.options;
        let now_ms =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
        // Built for this attempt and moved into the request's fields: each string is copied
        // once per attempt, and the properties are escaped straight into the frame.
        let header = SendMessageRequestHeaderV2 {
            a: options.group.clone(),
            b: prepared.topic.clone(),
            c: options.create_topic_key.clone(),
            d: options.default_topic_queue_nums,
            e: mq.queue_id,
            f: prepared.sys_flag,
            g: now_ms,
            h: prepared.flag,
            i: Some(prepared.properties.clone()),
            j: Some(prepared.reconsume_times.unwrap_or(0)),
            k: Some(false),
            l: prepared.max_reconsume_times,
            m: Some(prepared.batch),
            n: Some(mq.broker_name.clone()),
        };
        let is_reply = prepared.properties.contains("MSG_TYPE\u{1}reply");
        let code = if prepared.batch {
            request_code::SEND_BATCH_MESSAGE
        } else if is_reply {
            request_code::SEND_REPLY_MESSAGE_V2
        } else {
            request_code::SEND_MESSAGE_V2
        };
        instance.request_owned(code, header).with_body(prepared.body.clone())
    }

    async fn send_once(
        &self,
        instance: &Arc<ClientInstance>,
        prepared: &PreparedMessage,
        mq: &MessageQueue,
        deadline: Instant,
    ) -> Result<SendResult> {
        let started_ms = crate::trace::hooks::now_ms();
        let addr = self.master_addr(instance, mq, deadline).await?;
        let request = self.build_request(instance, prepared, mq);
        let response =
            instance.invoke(&addr, request, remaining(deadline)).await.map_err(|e| e.with_topic(&prepared.topic))?;
        let result = process_send_response(response, prepared, mq, &addr)?;
        let result = self.inner.namespace.unwrap_result(result);
        if let Some(trace) = self.inner.trace.get() {
            // Java's hook writes names without the namespace.
            let group = self.inner.namespace.unwrap(&self.inner.options.group);
            if let Some(ctx) = crate::trace::hooks::pub_context(&group, trace.topic(), prepared, &result, started_ms) {
                trace.append(ctx);
            }
        }
        Ok(result)
    }

    /// Message trace counters, when trace is on.
    pub fn trace_stats(&self) -> Option<crate::trace::TraceStats> {
        self.inner.trace.get().map(|t| t.stats())
    }
}

/// The deadline of one attempt: the whole send's, or `attempt_timeout` from now when another
/// attempt may follow and the whole deadline leaves room for more than this one.
fn attempt_deadline(deadline: Instant, attempt_timeout: Duration, more_attempts: bool) -> Instant {
    if !more_attempts {
        return deadline;
    }
    deadline.min(Instant::now() + attempt_timeout)
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// Map a send response (`MQClientAPIImpl.processSendResponse`).
fn process_send_response(
    response: RemotingCommand,
    prepared: &PreparedMessage,
    mq: &MessageQueue,
    addr: &str,
) -> Result<SendResult> {
    let status = match response.code {
        response_code::SUCCESS => SendStatus::Ok,
        response_code::FLUSH_DISK_TIMEOUT => SendStatus::FlushDiskTimeout,
        response_code::FLUSH_SLAVE_TIMEOUT => SendStatus::FlushSlaveTimeout,
        response_code::SLAVE_NOT_AVAILABLE => SendStatus::SlaveNotAvailable,
        code => return Err(Error::broker(code, response.remark, addr).with_topic(&prepared.topic)),
    };
    let header: SendMessageResponseHeader =
        response.decode_header().map_err(|e| Error::from(e).context("send response header").with_addr(addr))?;
    Ok(SendResult {
        status,
        msg_id: prepared.uniq_ids.join(","),
        offset_msg_id: header.msg_id,
        queue: MessageQueue::new(&prepared.topic, &mq.broker_name, header.queue_id),
        queue_offset: header.queue_offset,
        transaction_id: header.transaction_id,
        region_id: header.msg_region,
        broker_addr: addr.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_that_may_be_retried_gets_the_attempt_timeout() {
        let before = Instant::now();
        let deadline = before + Duration::from_millis(3000);
        let attempt = Duration::from_millis(1000);
        let d = attempt_deadline(deadline, attempt, true);
        assert!(d >= before + attempt && d <= Instant::now() + attempt, "one attempt timeout from now");
        assert_eq!(attempt_deadline(deadline, attempt, false), deadline, "the last attempt gets the rest");
        let near = before + Duration::from_millis(400);
        assert_eq!(attempt_deadline(near, attempt, true), near, "never past the send deadline");
    }
}
