//! The lite-pull consumer (Java `DefaultLitePullConsumer` / `DefaultLitePullConsumerImpl`):
//! no listener; the application polls. Queues come from a subscription (rebalanced within the
//! group, clustering or broadcasting) or from [`LitePullConsumer::assign`] (no rebalance).
//! Background long-poll pulls per queue fill the process queues with the same flow control as
//! the push consumer; [`LitePullConsumer::poll`] takes a batch from one queue at a time.
//!
//! Offsets: each queue has a *consumed* position (after the last polled message, moved by
//! polls and seeks) and a *committed* one in the [`OffsetStore`] (moved by commits, auto-commit
//! every [`LitePullOptions::auto_commit_interval`] by default, persisted to the broker or file
//! every few seconds, at once by [`LitePullConsumer::commit`], and at shutdown). Seeking is
//! client-side; note that rocketmq-rust 1.0 brokers ignore a committed offset that moves
//! backwards (docs/rocketmq-rust-broker.md).

use rocketmq_remoting::body::consumer::ConsumerRunningInfo;
use rocketmq_remoting::body::heartbeat::{ConsumeType, ConsumerData, ExpressionType, SubscriptionData};
use rocketmq_remoting::message::stored::MessageExt;
use rocketmq_remoting::{MessageQueue, RemotingCommand};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::allocate::{AllocateStrategy, Averagely};
use super::broker_api;
use super::listener::ConsumeResult;
use super::offset_store::{LocalFileOffsetStore, OffsetStore};
use super::options::{ConsumeFromWhere, MessageModel};
use super::process_queue::ProcessQueue;
use super::pull::{pull_loop, PullOwner, PullSettings};
use super::push::{build_subscription, check_filters_in_broker, reach_name_server, status_table};
use super::rebalance::{compute_pull_from_where, topic_queues, RebalanceOwner, Rebalancer};
use super::remoting_processor::{self, ProcessorTarget};
use super::stats::ConsumeStats;
use super::{lock, now_ms};
use crate::error::{Error, ErrorKind, Result};
use crate::instance::{ClientInstance, ConsumerHooks};
use crate::namespace::Namespace;
use crate::options::ClientOptions;
use crate::stats::{check_interval, StatValue, Stats, StatsCallback, StatsCallbackSlot, StatsExt};
use crate::trace::{hooks as trace_hooks, DispatcherType, TraceDispatcher};

const CREATED: u8 = 0;
const RUNNING: u8 = 1;
const SHUT_DOWN: u8 = 2;

/// A paused queue's pull checks again after this (Java `PULL_TIME_DELAY_MILLS_WHEN_PAUSE`, 1 s).
const PAUSE_DELAY: Duration = Duration::from_millis(100);
/// Back-off when all queues together cache too much (`PULL_TIME_DELAY_MILLS_WHEN_FLOW_CONTROL`).
const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);

/// Lite-pull consumer settings (`DefaultLitePullConsumer`); defaults are Java's.
#[derive(Debug, Clone)]
pub struct LitePullOptions {
    /// Consumer group.
    pub group: String,
    /// Clustering (queues shared, offsets on the broker) or broadcasting (offsets in a file).
    pub message_model: MessageModel,
    /// Where a queue without a committed offset starts (`consumeFromWhere`, last offset).
    pub consume_from_where: ConsumeFromWhere,
    /// Epoch ms for [`ConsumeFromWhere::ConsumeFromTimestamp`]; `None` = 30 minutes before start.
    pub consume_timestamp: Option<i64>,
    /// See [`ConsumerOptions::strict_consume_from_where`](super::ConsumerOptions::strict_consume_from_where).
    pub strict_consume_from_where: bool,
    /// How queues are shared in a clustering group (default averagely).
    pub allocate_strategy: Arc<dyn AllocateStrategy>,
    /// Messages per pull, and at most per poll (`pullBatchSize`, 10).
    pub pull_batch_size: i32,
    /// Cached messages per queue before its pulls pause (`pullThresholdForQueue`, 1000).
    pub pull_threshold_for_queue: usize,
    /// Cached MiB per queue before its pulls pause (`pullThresholdSizeForQueue`, 100).
    pub pull_threshold_size_for_queue_mib: usize,
    /// Cached messages over all queues before pulls pause (`pullThresholdForAll`, 10000).
    pub pull_threshold_for_all: usize,
    /// Commit what was polled automatically (`autoCommit`, true).
    pub auto_commit: bool,
    /// Auto-commit period, checked at each poll (`autoCommitIntervalMillis`, 5 s).
    pub auto_commit_interval: Duration,
    /// Default timeout of [`LitePullConsumer::poll_default`] (`pollTimeoutMillis`, 5 s).
    pub poll_timeout: Duration,
    /// Pause between pulls of one queue (`pullInterval`... Java: 0).
    pub pull_interval: Duration,
    /// Rebalance period (20 s).
    pub rebalance_interval: Duration,
    /// Committed offsets are persisted this often (`persistConsumerOffsetInterval`, 5 s).
    pub persist_offset_interval: Duration,
    /// How long the broker may hold a pull (lite: `BROKER_SUSPEND_MAX_TIME_MILLIS`, 20 s).
    pub broker_suspend_max_time: Duration,
    /// Pull RPC timeout (`consumerTimeoutMillisWhenSuspend`, 30 s); must exceed the hold.
    pub pull_timeout: Duration,
    /// Directory of the broadcasting offset files (default `$ROCKETMQ_OFFSETS_DIR` or
    /// `~/.rocketmq_offsets`).
    pub offset_store_dir: Option<PathBuf>,
}

impl LitePullOptions {
    /// Options for `group`, everything else default.
    pub fn new(group: impl Into<String>) -> Self {
        LitePullOptions {
            group: group.into(),
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_timestamp: None,
            strict_consume_from_where: false,
            allocate_strategy: Arc::new(Averagely),
            pull_batch_size: 10,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue_mib: 100,
            pull_threshold_for_all: 10000,
            auto_commit: true,
            auto_commit_interval: Duration::from_secs(5),
            poll_timeout: Duration::from_secs(5),
            pull_interval: Duration::ZERO,
            rebalance_interval: Duration::from_secs(20),
            persist_offset_interval: Duration::from_secs(5),
            broker_suspend_max_time: Duration::from_secs(20),
            pull_timeout: Duration::from_secs(30),
            offset_store_dir: None,
        }
    }

    /// Check every option once (Java `checkConfig`); a Config error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        crate::validation::check_group(&self.group)?;
        if self.group == "DEFAULT_CONSUMER" {
            return Err(Error::config("consumer group DEFAULT_CONSUMER is reserved; choose your own group"));
        }
        let range = |what: &str, v: i64, min: i64, max: i64| {
            if (min..=max).contains(&v) {
                Ok(())
            } else {
                Err(Error::config(format!("{what} must be in {min}..={max}, got {v}")))
            }
        };
        range("pull batch size", i64::from(self.pull_batch_size), 1, 1024)?;
        range("pull threshold for queue", self.pull_threshold_for_queue as i64, 1, 65535)?;
        range("pull threshold size for queue (MiB)", self.pull_threshold_size_for_queue_mib as i64, 1, 1024)?;
        range("pull threshold for all", self.pull_threshold_for_all as i64, 1, 6553500)?;
        for (what, d) in [
            ("auto commit interval", self.auto_commit_interval),
            ("rebalance interval", self.rebalance_interval),
            ("persist offset interval", self.persist_offset_interval),
            ("broker suspend max time", self.broker_suspend_max_time),
        ] {
            if d.is_zero() {
                return Err(Error::config(format!("{what} must be positive")));
            }
        }
        if self.pull_timeout <= self.broker_suspend_max_time {
            return Err(Error::config("the pull timeout must exceed the broker's long-poll hold"));
        }
        Ok(())
    }
}

/// A lite-pull consumer: subscribe (or assign), start, poll.
#[derive(Clone)]
pub struct LitePullConsumer {
    inner: Arc<Inner>,
}

struct Inner {
    options: LitePullOptions,
    client_options: ClientOptions,
    state: AtomicU8,
    /// Before start: the subscriptions and the assignment asked for.
    subscriptions: Mutex<BTreeMap<String, SubscriptionData>>,
    assignment: Mutex<Option<Vec<MessageQueue>>>,
    core: OnceLock<Arc<LiteCore>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    stats_cb: StatsCallbackSlot,
    /// Wraps topics and queues the user passes, unwraps what it gets back.
    ns: Namespace,
}

impl std::fmt::Debug for LitePullConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LitePullConsumer").field("group", &self.inner.options.group).finish()
    }
}

fn mutually_exclusive() -> Error {
    Error::config("subscribe and assign are mutually exclusive")
}

impl LitePullConsumer {
    /// A consumer; subscribe or assign, then [`LitePullConsumer::start`]. With a namespace,
    /// its group is `ns%group` from here on (Java `DefaultLitePullConsumer.start`).
    pub fn new(mut options: LitePullOptions, client_options: ClientOptions) -> Self {
        let ns = Namespace::of(&client_options);
        options.group = ns.wrap(&options.group);
        LitePullConsumer {
            inner: Arc::new(Inner {
                options,
                client_options,
                state: AtomicU8::new(CREATED),
                subscriptions: Mutex::new(BTreeMap::new()),
                assignment: Mutex::new(None),
                core: OnceLock::new(),
                tasks: Mutex::new(Vec::new()),
                stats_cb: StatsCallbackSlot::default(),
                ns,
            }),
        }
    }

    /// Statistics (a plain map, cheap): `pulls`, `pulled_msgs`, `pull_latency`, `rebalance`,
    /// `queues` (cached messages and bytes, next offset to poll as `committed_offset`, lag),
    /// `connections` (see [`PushConsumer::stats`](super::PushConsumer::stats)).
    pub fn stats(&self) -> Stats {
        let mut s = Stats::new();
        let ns = &self.inner.ns;
        s.insert("group".to_owned(), StatValue::Text(ns.unwrap(&self.inner.options.group)));
        let Some(core) = self.inner.core.get() else { return s };
        s.extend(core.stats.to_stats());
        s.insert("client_id".to_owned(), StatValue::Text(core.instance.client_id().to_owned()));
        s.map("rebalance", super::push::rebalance_stats(&core.rebalancer));
        let mut queues = Stats::new();
        for (mq, lq) in lock(&core.queues).iter() {
            let mut q = Stats::new();
            q.int("cached_msgs", lq.pq.cached_count());
            q.int("cached_bytes", lq.pq.cached_bytes());
            q.int("committed_offset", lq.consumed);
            q.int("lag", lq.pq.msg_acc_cnt().max(0) + lq.pq.cached_count());
            queues.map(&format!("{}@{}@{}", ns.unwrap(&mq.topic), mq.broker_name, mq.queue_id), q);
        }
        s.map("queues", queues);
        s.map("connections", core.instance.connection_stats());
        s
    }

    /// Call `callback` with [`LitePullConsumer::stats`] every `interval` while the consumer
    /// runs; it runs on a runtime task and must not block.
    pub fn set_stats_callback(&self, interval: Duration, callback: StatsCallback) -> Result<()> {
        check_interval(interval)?;
        let source = (self.inner.state.load(Ordering::SeqCst) == RUNNING).then(|| self.stats_source());
        self.inner.stats_cb.set(interval, callback, source);
        Ok(())
    }

    fn stats_source(&self) -> crate::stats::StatsSource {
        let weak = Arc::downgrade(&self.inner);
        Arc::new(move || weak.upgrade().map(|inner| LitePullConsumer { inner }.stats()))
    }

    /// The v1 namespace of its client options.
    pub fn namespace(&self) -> &Namespace {
        &self.inner.ns
    }

    /// The options (the group namespace-wrapped).
    pub fn options(&self) -> &LitePullOptions {
        &self.inner.options
    }

    /// This consumer's client id, once started.
    pub fn client_id(&self) -> Option<&str> {
        self.inner.core.get().map(|c| c.instance.client_id())
    }

    fn core(&self) -> Result<&Arc<LiteCore>> {
        match (self.inner.state.load(Ordering::SeqCst), self.inner.core.get()) {
            (RUNNING, Some(core)) => Ok(core),
            (SHUT_DOWN, _) => Err(Error::new(ErrorKind::Shutdown, "the consumer was shut down")),
            _ => Err(Error::new(ErrorKind::NotStarted, "the consumer is not started")),
        }
    }

    /// Subscribe to `topic` with a tag expression; the group's members share its queues.
    pub async fn subscribe(&self, topic: &str, expression: &str) -> Result<()> {
        self.subscribe_with(build_subscription(&self.inner.ns.wrap(topic), expression, ExpressionType::Tag)?).await
    }

    /// Subscribe with an SQL92 expression (brokers need `enablePropertyFilter=true`).
    pub async fn subscribe_sql(&self, topic: &str, sql: &str) -> Result<()> {
        self.subscribe_with(build_subscription(&self.inner.ns.wrap(topic), sql, ExpressionType::Sql92)?).await
    }

    async fn subscribe_with(&self, sub: SubscriptionData) -> Result<()> {
        match self.inner.core.get() {
            None => {
                if lock(&self.inner.assignment).is_some() {
                    return Err(mutually_exclusive());
                }
                lock(&self.inner.subscriptions).insert(sub.topic.clone(), sub);
                Ok(())
            }
            Some(core) => {
                if core.assign_mode.load(Ordering::SeqCst) {
                    return Err(mutually_exclusive());
                }
                core.rebalancer.set_subscription(sub);
                core.instance.send_heartbeat_to_all().await;
                let _serial = core.changes.lock().await;
                core.rebalancer.rebalance(&**core).await;
                Ok(())
            }
        }
    }

    /// Consume exactly these queues, without rebalance (replacing an earlier assignment).
    pub async fn assign(&self, queues: &[MessageQueue]) -> Result<()> {
        let queues = &self.inner.ns.wrap_queues(queues)[..];
        match self.inner.core.get() {
            None => {
                if !lock(&self.inner.subscriptions).is_empty() {
                    return Err(mutually_exclusive());
                }
                *lock(&self.inner.assignment) = Some(queues.to_vec());
                Ok(())
            }
            Some(core) => core.assign(queues).await,
        }
    }

    /// Start: validate, reach the name server, heartbeat, take the queues, begin pulling.
    pub async fn start(&self) -> Result<()> {
        match self.inner.state.load(Ordering::SeqCst) {
            RUNNING => return Ok(()),
            SHUT_DOWN => return Err(Error::new(ErrorKind::Shutdown, "the consumer was shut down and cannot restart")),
            _ => {}
        }
        let options = self.inner.options.clone();
        options.validate()?;
        let mut client = self.inner.client_options.clone();
        if options.message_model == MessageModel::Broadcasting && client.instance_name.is_none() {
            client.instance_name = Some(crate::client_id::unique_instance_name());
        }
        let instance = ClientInstance::get_or_create(client)?;
        let offsets = match options.message_model {
            MessageModel::Broadcasting => {
                let file = match &options.offset_store_dir {
                    Some(dir) => LocalFileOffsetStore::with_dir(dir, instance.client_id(), &options.group),
                    None => LocalFileOffsetStore::new(instance.client_id(), &options.group),
                };
                match file {
                    Ok(f) => OffsetStore::file(f),
                    Err(e) => {
                        instance.release(&[], &[]).await;
                        return Err(e);
                    }
                }
            }
            MessageModel::Clustering => {
                OffsetStore::broker(instance.clone(), &options.group, options.strict_consume_from_where)
            }
        };
        let subscriptions = lock(&self.inner.subscriptions).clone();
        let rebalancer = Arc::new(Rebalancer::new(
            instance.clone(),
            &options.group,
            options.message_model,
            options.allocate_strategy.clone(),
            subscriptions,
        ));
        let core = Arc::new_cyclic(|me| LiteCore {
            pull_settings: PullSettings {
                batch_size: options.pull_batch_size,
                threshold_count: options.pull_threshold_for_queue,
                threshold_mib: options.pull_threshold_size_for_queue_mib,
                max_span: None,
                interval: options.pull_interval,
                suspend: options.broker_suspend_max_time,
                timeout: options.pull_timeout,
            },
            consume_timestamp_ms: options.consume_timestamp.unwrap_or_else(|| now_ms() - 30 * 60 * 1000),
            next_auto_commit: Mutex::new(Instant::now() + options.auto_commit_interval),
            instance: instance.clone(),
            rebalancer,
            offsets: Arc::new(offsets),
            stats: ConsumeStats::default(),
            running: AtomicBool::new(true),
            assign_mode: AtomicBool::new(false),
            assign_subs: Mutex::new(BTreeMap::new()),
            queues: Mutex::new(BTreeMap::new()),
            paused: Mutex::new(HashSet::new()),
            ready: Notify::new(),
            cursor: AtomicUsize::new(0),
            rebalance_now: Notify::new(),
            changes: tokio::sync::Mutex::new(()),
            started_at_ms: now_ms(),
            trace: OnceLock::new(),
            options,
            me: me.clone(),
        });
        let hooks: Arc<dyn ConsumerHooks> = core.clone();
        if let Err(e) = instance.register_consumer(&hooks) {
            instance.release(&[], &[]).await;
            return Err(e);
        }
        let group = std::slice::from_ref(&core.options.group);
        let subscribed = !core.rebalancer.subscribed_topics().is_empty();
        let checked = async {
            if subscribed {
                reach_name_server(&instance, &core.rebalancer).await?;
                check_filters_in_broker(&instance, &core.rebalancer).await?;
            }
            Ok::<(), Error>(())
        }
        .await;
        if let Err(e) = checked {
            core.running.store(false, Ordering::SeqCst);
            instance.release(&[], group).await;
            return Err(e);
        }
        if let Some(t) = &self.inner.client_options.message_trace {
            let kind = DispatcherType::Consume;
            let plain = self.inner.ns.unwrap(&core.options.group);
            match TraceDispatcher::start(&plain, kind, &t.topic, &self.inner.client_options).await {
                Ok(d) => {
                    let _ = core.trace.set((d, plain));
                }
                Err(e) => {
                    core.running.store(false, Ordering::SeqCst);
                    instance.release(&[], group).await;
                    return Err(e.context("message trace"));
                }
            }
        }
        instance.start();
        if self.inner.core.set(core.clone()).is_err() {
            core.running.store(false, Ordering::SeqCst);
            if let Some((t, _)) = core.trace.get() {
                t.shutdown().await;
            }
            instance.release(&[], &[]).await;
            return Ok(()); // a concurrent start won
        }
        self.inner.state.store(RUNNING, Ordering::SeqCst);
        let assignment = lock(&self.inner.assignment).take();
        instance.send_heartbeat_to_all().await;
        if let Some(queues) = assignment {
            core.assign(&queues).await?;
        } else {
            let _serial = core.changes.lock().await;
            core.rebalancer.rebalance(&*core).await;
        }
        lock(&self.inner.tasks).extend(core.spawn_background());
        self.inner.stats_cb.start(self.stats_source());
        tracing::info!(group = %core.options.group, client_id = instance.client_id(), "lite pull consumer started");
        Ok(())
    }

    /// Stop pulling, commit what was polled (auto-commit), persist the committed offsets,
    /// unregister. Idempotent.
    pub async fn shutdown(&self) {
        if self.inner.state.swap(SHUT_DOWN, Ordering::SeqCst) != RUNNING {
            return;
        }
        self.inner.stats_cb.stop();
        let Some(core) = self.inner.core.get() else { return };
        core.running.store(false, Ordering::SeqCst);
        for task in lock(&self.inner.tasks).drain(..) {
            task.abort();
        }
        if core.options.auto_commit {
            core.record_consumed(None);
        }
        for q in lock(&core.queues).values() {
            q.pull_task.abort();
            q.pq.set_dropped(true);
        }
        core.ready.notify_waiters();
        core.offsets.persist_all(false).await;
        if let Some((trace, _)) = core.trace.get() {
            trace.shutdown().await;
        }
        core.instance.release(&[], std::slice::from_ref(&core.options.group)).await;
        tracing::info!(group = %core.options.group, "lite pull consumer shut down");
    }

    /// Up to `pull_batch_size` messages of one queue (queues take turns), waiting at most
    /// `timeout` for some; empty on timeout. Runs the auto-commit when due.
    pub async fn poll(&self, timeout: Duration) -> Result<Vec<MessageExt>> {
        Ok(self.poll_batch(timeout).await?.map(|(_, msgs)| msgs).unwrap_or_default())
    }

    /// [`poll`](Self::poll), with the queue the messages come from (a poll returns messages of
    /// one queue); `None` on timeout.
    pub async fn poll_batch(&self, timeout: Duration) -> Result<Option<(MessageQueue, Vec<MessageExt>)>> {
        let core = self.core()?.clone();
        let ns = &self.inner.ns;
        Ok(core.poll(timeout).await.map(|(mq, mut msgs)| {
            ns.unwrap_messages(&mut msgs);
            (ns.unwrap_queue(&mq), msgs)
        }))
    }

    /// Undo a poll whose messages never reached the application (an asyncio poll cancelled
    /// after it had taken them): `mq` restarts at the first of `msgs`, so they are delivered
    /// again and nothing past them is committed meanwhile. Messages polled from `mq` after
    /// these are delivered again too (at least once, never lost). Java has no such call: its
    /// `poll` cannot be cancelled once it took messages. An error if `mq` is no longer held
    /// (a rebalance moved it; what was committed for it stays).
    pub fn give_back(&self, mq: &MessageQueue, msgs: &[MessageExt]) -> Result<()> {
        let Some(first) = msgs.iter().map(|m| m.queue_offset).min() else { return Ok(()) };
        let core = self.core()?;
        core.restart_queue(&self.inner.ns.wrap_queue(mq), first)
    }

    /// [`poll`](Self::poll) with [`LitePullOptions::poll_timeout`].
    pub async fn poll_default(&self) -> Result<Vec<MessageExt>> {
        self.poll(self.inner.options.poll_timeout).await
    }

    /// The readable queues of `topic`, fresh from the name server
    /// (`fetchMessageQueues`). RouteNotFound when the topic does not exist.
    pub async fn fetch_message_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        let core = self.core()?;
        Ok(self.inner.ns.unwrap_queues(fetch_queues(&core.instance, &self.inner.ns.wrap(topic)).await?))
    }

    /// The queues this consumer holds now.
    pub fn assignment(&self) -> Vec<MessageQueue> {
        let queues = self.inner.core.get().map(|c| lock(&c.queues).keys().cloned().collect()).unwrap_or_default();
        self.inner.ns.unwrap_queues(queues)
    }

    /// Consume `mq` from `offset` on (client-side: cached messages are dropped and the pull
    /// restarts there). The offset must lie within the queue's [min, max]; the queue must be
    /// held. The committed offset moves only with the next commit.
    pub async fn seek(&self, mq: &MessageQueue, offset: i64) -> Result<()> {
        let mq = &self.inner.ns.wrap_queue(mq);
        let core = self.core()?;
        let (min, max) = core.min_max(mq).await?;
        if offset < min || offset > max {
            return Err(
                Error::config(format!("seek offset {offset} outside the queue's [{min}, {max}]")).with_topic(&mq.topic)
            );
        }
        core.restart_queue(mq, offset)
    }

    /// Seek to the queue's first stored message.
    pub async fn seek_to_begin(&self, mq: &MessageQueue) -> Result<()> {
        let mq = &self.inner.ns.wrap_queue(mq);
        let core = self.core()?;
        let (min, _) = core.min_max(mq).await?;
        core.restart_queue(mq, min)
    }

    /// Seek to the queue's end (only new messages).
    pub async fn seek_to_end(&self, mq: &MessageQueue) -> Result<()> {
        let mq = &self.inner.ns.wrap_queue(mq);
        let core = self.core()?;
        let (_, max) = core.min_max(mq).await?;
        core.restart_queue(mq, max)
    }

    /// The offset of the first message stored at or after `timestamp_ms` (epoch ms)
    /// (SEARCH_OFFSET_BY_TIMESTAMP); seek there to re-read from a time.
    pub async fn offset_for_timestamp(&self, mq: &MessageQueue, timestamp_ms: i64) -> Result<i64> {
        let mq = &self.inner.ns.wrap_queue(mq);
        let core = self.core()?;
        let addr = broker_api::master_addr(&core.instance, mq).await?;
        broker_api::search_offset(&core.instance, &addr, mq, timestamp_ms).await
    }

    /// Commit everything polled so far and persist it now (Java `commitSync()`).
    pub async fn commit(&self) -> Result<()> {
        let core = self.core()?;
        let queues = core.record_consumed(None);
        core.persist(&queues).await
    }

    /// Java's name for [`commit`](Self::commit).
    pub async fn commit_sync(&self) -> Result<()> {
        self.commit().await
    }

    /// Commit what was polled from `queues` and persist it now (Java `commit(mqs, true)`).
    pub async fn commit_queues(&self, queues: &[MessageQueue]) -> Result<()> {
        let core = self.core()?;
        let queues = core.record_consumed(Some(&self.inner.ns.wrap_queues(queues)));
        core.persist(&queues).await
    }

    /// The committed offset of `mq` as stored (broker or file); `None` when nothing is stored.
    pub async fn committed(&self, mq: &MessageQueue) -> Result<Option<i64>> {
        let core = self.core()?;
        core.offsets.read_stored(&self.inner.ns.wrap_queue(mq)).await
    }

    /// Stop pulling and polling these queues until [`resume`](Self::resume)d.
    pub fn pause(&self, queues: &[MessageQueue]) -> Result<()> {
        let core = self.core()?;
        lock(&core.paused).extend(self.inner.ns.wrap_queues(queues));
        Ok(())
    }

    /// Pull and poll these queues again.
    pub fn resume(&self, queues: &[MessageQueue]) -> Result<()> {
        let core = self.core()?;
        let mut paused = lock(&core.paused);
        for mq in self.inner.ns.wrap_queues(queues) {
            paused.remove(&mq);
        }
        drop(paused);
        core.ready.notify_waiters();
        Ok(())
    }

    /// Whether `mq` is paused.
    pub fn is_paused(&self, mq: &MessageQueue) -> bool {
        self.inner.core.get().is_some_and(|c| lock(&c.paused).contains(&self.inner.ns.wrap_queue(mq)))
    }
}

pub(crate) async fn fetch_queues(instance: &Arc<ClientInstance>, topic: &str) -> Result<Vec<MessageQueue>> {
    let queues = topic_queues(instance, topic, true).await?;
    if queues.is_empty() {
        return Err(Error::new(ErrorKind::RouteNotFound, "the name server does not know this topic").with_topic(topic));
    }
    Ok(queues)
}

/// One held queue.
struct LiteQueue {
    pq: Arc<ProcessQueue>,
    pull_task: JoinHandle<()>,
    /// The next offset to poll: what a commit stores.
    consumed: i64,
}

struct LiteCore {
    options: LitePullOptions,
    instance: Arc<ClientInstance>,
    rebalancer: Arc<Rebalancer>,
    offsets: Arc<OffsetStore>,
    stats: ConsumeStats,
    running: AtomicBool,
    assign_mode: AtomicBool,
    /// Assign mode: a `*` subscription per assigned topic (for pulls and heartbeats).
    assign_subs: Mutex<BTreeMap<String, SubscriptionData>>,
    queues: Mutex<BTreeMap<MessageQueue, LiteQueue>>,
    paused: Mutex<HashSet<MessageQueue>>,
    /// Woken when messages arrive or queues resume.
    ready: Notify,
    /// Which queue the next poll looks at first (queues take turns).
    cursor: AtomicUsize,
    next_auto_commit: Mutex<Instant>,
    rebalance_now: Notify,
    /// Serialises assignment changes (rebalance, assign).
    changes: tokio::sync::Mutex<()>,
    pull_settings: PullSettings,
    consume_timestamp_ms: i64,
    started_at_ms: i64,
    /// Message trace (SubBefore + SubAfter per pull that found messages), when on, with the
    /// group as trace records write it (without the namespace).
    trace: OnceLock<(Arc<TraceDispatcher>, String)>,
    me: Weak<LiteCore>,
}

impl LiteCore {
    fn spawn_background(&self) -> Vec<JoinHandle<()>> {
        let weak = self.me.clone();
        let every = self.options.rebalance_interval;
        let rebalance = tokio::spawn(async move {
            loop {
                let Some(core) = weak.upgrade() else { return };
                let _ = tokio::time::timeout(every, core.rebalance_now.notified()).await;
                if !core.assign_mode.load(Ordering::SeqCst) {
                    let _serial = core.changes.lock().await;
                    core.rebalancer.rebalance(&*core).await;
                }
            }
        });
        vec![rebalance, self.offsets.spawn_persister(self.options.persist_offset_interval)]
    }

    async fn assign(&self, queues: &[MessageQueue]) -> Result<()> {
        if !self.rebalancer.subscribed_topics().is_empty() {
            return Err(mutually_exclusive());
        }
        self.assign_mode.store(true, Ordering::SeqCst);
        let _serial = self.changes.lock().await;
        {
            let mut subs = lock(&self.assign_subs);
            for mq in queues {
                if !subs.contains_key(&mq.topic) {
                    subs.insert(mq.topic.clone(), build_subscription(&mq.topic, "*", ExpressionType::Tag)?);
                }
            }
        }
        let wanted: HashSet<&MessageQueue> = queues.iter().collect();
        let held: Vec<MessageQueue> = lock(&self.queues).keys().cloned().collect();
        for mq in held.into_iter().filter(|mq| !wanted.contains(mq)) {
            self.queue_removed(mq).await;
        }
        self.instance.send_heartbeat_to_all().await;
        for mq in queues {
            if !lock(&self.queues).contains_key(mq) && !self.queue_added(mq.clone()).await {
                return Err(Error::new(ErrorKind::Broker, format!("cannot compute the start offset of {mq}")));
            }
        }
        Ok(())
    }

    async fn poll(&self, timeout: Duration) -> Option<(MessageQueue, Vec<MessageExt>)> {
        let deadline = Instant::now() + timeout;
        self.maybe_auto_commit();
        loop {
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if !self.running.load(Ordering::SeqCst) {
                return None;
            }
            if let Some(batch) = self.take_ready() {
                return Some(batch);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.take_ready();
            }
        }
    }

    /// A batch from the next queue (after the cursor) that has messages and is not paused.
    fn take_ready(&self) -> Option<(MessageQueue, Vec<MessageExt>)> {
        let mut queues = lock(&self.queues);
        let paused = lock(&self.paused);
        let keys: Vec<MessageQueue> = queues.keys().cloned().collect();
        if keys.is_empty() {
            return None;
        }
        let start = self.cursor.fetch_add(1, Ordering::Relaxed) % keys.len();
        for i in 0..keys.len() {
            let mq = &keys[(start + i) % keys.len()];
            if paused.contains(mq) {
                continue;
            }
            let Some(q) = queues.get_mut(mq) else { continue };
            if q.pq.is_dropped() {
                continue;
            }
            let msgs = q.pq.take_messages(self.options.pull_batch_size.max(1) as usize);
            if msgs.is_empty() {
                continue;
            }
            let next = q.pq.commit();
            if next >= 0 {
                q.consumed = next;
            }
            // Committed: the process queue has let go of them, so this takes them without a copy.
            let msgs = msgs.into_iter().map(|m| Arc::try_unwrap(m).unwrap_or_else(|m| MessageExt::clone(&m))).collect();
            return Some((mq.clone(), msgs));
        }
        None
    }

    fn maybe_auto_commit(&self) {
        if !self.options.auto_commit {
            return;
        }
        let now = Instant::now();
        let mut next = lock(&self.next_auto_commit);
        if now >= *next {
            *next = now + self.options.auto_commit_interval;
            drop(next);
            self.record_consumed(None);
        }
    }

    /// Put the consumed positions of `queues` (all held when `None`) into the offset store;
    /// returns the queues recorded.
    fn record_consumed(&self, queues: Option<&[MessageQueue]>) -> Vec<MessageQueue> {
        let held = lock(&self.queues);
        let mut recorded = Vec::new();
        for (mq, q) in held.iter() {
            if queues.is_some_and(|qs| !qs.contains(mq)) || q.consumed < 0 {
                continue;
            }
            // Not increase-only: a seek back followed by a commit moves the offset back.
            self.offsets.update(mq, q.consumed, false);
            recorded.push(mq.clone());
        }
        recorded
    }

    async fn persist(&self, queues: &[MessageQueue]) -> Result<()> {
        let mut first_error = None;
        for mq in queues {
            if let Err(e) = self.offsets.persist(mq, false).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn min_max(&self, mq: &MessageQueue) -> Result<(i64, i64)> {
        if !lock(&self.queues).contains_key(mq) {
            return Err(
                Error::config(format!("{mq} is not assigned to this consumer (rebalancing?)")).with_topic(&mq.topic)
            );
        }
        let addr = broker_api::master_addr(&self.instance, mq).await?;
        let min = broker_api::min_offset(&self.instance, &addr, mq).await?;
        let max = broker_api::max_offset(&self.instance, &addr, mq).await?;
        Ok((min, max))
    }

    /// Drop `mq`'s cache and pull it again from `offset`, which becomes its consumed position.
    fn restart_queue(&self, mq: &MessageQueue, offset: i64) -> Result<()> {
        let mut queues = lock(&self.queues);
        let Some(q) = queues.get_mut(mq) else {
            return Err(
                Error::config(format!("{mq} is not assigned to this consumer (rebalancing?)")).with_topic(&mq.topic)
            );
        };
        q.pq.set_dropped(true);
        q.pull_task.abort();
        let pq = Arc::new(ProcessQueue::new());
        q.pull_task = tokio::spawn(pull_loop(self.me.clone(), mq.clone(), pq.clone(), offset));
        q.pq = pq;
        q.consumed = offset;
        tracing::info!(group = %self.options.group, queue = %mq, offset, "queue restarted at offset");
        Ok(())
    }

    fn heartbeat_data(&self) -> ConsumerData {
        let mut subs = self.rebalancer.subscriptions();
        subs.extend(lock(&self.assign_subs).values().cloned());
        ConsumerData {
            group_name: self.options.group.clone(),
            consume_type: ConsumeType::ConsumeActively,
            message_model: self.options.message_model,
            consume_from_where: self.options.consume_from_where,
            subscription_data_set: subs,
            unit_mode: false,
        }
    }
}

impl RebalanceOwner for LiteCore {
    fn held_queues(&self, topic: &str) -> Vec<(MessageQueue, bool)> {
        lock(&self.queues).keys().filter(|mq| mq.topic == topic).map(|mq| (mq.clone(), false)).collect()
    }

    /// Java `RebalanceLitePullImpl.removeUnnecessaryMessageQueue`: with auto-commit, what was
    /// polled is committed first; the offset is persisted and forgotten.
    async fn queue_removed(&self, mq: MessageQueue) {
        let Some(q) = lock(&self.queues).remove(&mq) else { return };
        q.pq.set_dropped(true);
        q.pull_task.abort();
        if self.options.auto_commit && q.consumed >= 0 {
            self.offsets.update(&mq, q.consumed, false);
        }
        self.offsets.release(&mq).await;
        tracing::info!(group = %self.options.group, queue = %mq, "queue released");
    }

    async fn queue_added(&self, mq: MessageQueue) -> bool {
        if !self.running.load(Ordering::SeqCst) {
            return false;
        }
        self.offsets.remove(&mq);
        let from = self.options.consume_from_where;
        let offset =
            match compute_pull_from_where(&self.instance, &self.offsets, &mq, from, self.consume_timestamp_ms).await {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(queue = %mq, error = %e, "cannot compute the start offset; retrying later");
                    return false;
                }
            };
        let pq = Arc::new(ProcessQueue::new());
        tracing::info!(group = %self.options.group, queue = %mq, offset, "queue assigned");
        // Spawn under the table's lock, so that the pull task's `offset_moved` finds this entry.
        let mut queues = lock(&self.queues);
        let pull_task = tokio::spawn(pull_loop(self.me.clone(), mq.clone(), pq.clone(), offset));
        if let Some(old) = queues.insert(mq, LiteQueue { pq, pull_task, consumed: offset }) {
            old.pq.set_dropped(true);
            old.pull_task.abort();
        }
        true
    }
}

impl PullOwner for LiteCore {
    fn instance(&self) -> &Arc<ClientInstance> {
        &self.instance
    }

    fn group(&self) -> &str {
        &self.options.group
    }

    fn is_clustering(&self) -> bool {
        self.rebalancer.is_clustering()
    }

    fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    fn offsets(&self) -> &OffsetStore {
        &self.offsets
    }

    fn stats(&self) -> &ConsumeStats {
        &self.stats
    }

    fn pull_settings(&self) -> &PullSettings {
        &self.pull_settings
    }

    fn subscription(&self, topic: &str) -> Option<SubscriptionData> {
        self.rebalancer.subscription(topic).or_else(|| lock(&self.assign_subs).get(topic).cloned())
    }

    /// Lite pulls commit nothing themselves: committing is the application's (or auto-commit's).
    fn commit_with_pull(&self) -> bool {
        false
    }

    fn send_subscription(&self) -> bool {
        true
    }

    /// Nothing new and nothing cached: everything up to `next` was polled or filtered out.
    fn nothing_found(&self, mq: &MessageQueue, pq: &ProcessQueue, next: i64) {
        if pq.cached_count() != 0 {
            return;
        }
        if let Some(q) = lock(&self.queues).get_mut(mq) {
            if std::ptr::eq(Arc::as_ptr(&q.pq), pq) && next > q.consumed {
                q.consumed = next;
            }
        }
    }

    fn hold(&self, mq: &MessageQueue, _pq: &ProcessQueue) -> Option<Duration> {
        if lock(&self.paused).contains(mq) {
            return Some(PAUSE_DELAY);
        }
        let total: i64 = lock(&self.queues).values().map(|q| q.pq.cached_count()).sum();
        (total > self.options.pull_threshold_for_all as i64).then_some(FLOW_CONTROL_DELAY)
    }

    /// Cache the messages. With trace on, Java 4.9.4's lite pull writes a SubBefore and a
    /// successful SubAfter for each pull that found messages (`pull`, its consume hooks).
    fn deliver(&self, _mq: &MessageQueue, pq: &Arc<ProcessQueue>, msgs: Vec<MessageExt>) {
        if let Some((trace, group)) = self.trace.get() {
            if let Some(before) = trace_hooks::sub_before(group, &msgs) {
                let after = trace_hooks::sub_after(&before, Some(ConsumeResult::Success), msgs.len());
                trace.append(before);
                trace.append(after);
            }
        }
        pq.put_messages(msgs);
        self.ready.notify_waiters();
    }

    async fn offset_moved(&self, mq: MessageQueue, _pq: &Arc<ProcessQueue>, next: i64) {
        if let Err(e) = self.restart_queue(&mq, next) {
            tracing::debug!(queue = %mq, error = %e, "illegal offset on a queue no longer held");
        }
    }
}

impl ProcessorTarget for LiteCore {
    fn group(&self) -> &str {
        &self.options.group
    }

    fn orderly(&self) -> bool {
        false
    }

    fn rebalance_soon(&self) {
        self.rebalance_now.notify_one();
    }

    async fn reset_offsets(&self, _topic: &str, offsets: Vec<(MessageQueue, i64)>) {
        for (mq, offset) in offsets {
            if self.restart_queue(&mq, offset).is_ok() {
                self.offsets.update(&mq, offset, false);
                if let Err(e) = self.offsets.persist(&mq, false).await {
                    tracing::warn!(queue = %mq, error = %e, "cannot persist consumer offset");
                }
            }
        }
    }

    fn running_info(&self) -> ConsumerRunningInfo {
        let mut properties = BTreeMap::new();
        properties.insert(ConsumerRunningInfo::PROP_CONSUME_TYPE.to_owned(), "CONSUME_ACTIVELY".to_owned());
        properties.insert(
            ConsumerRunningInfo::PROP_NAMESERVER_ADDR.to_owned(),
            self.instance.options().namesrv_addrs.join(";"),
        );
        properties
            .insert(ConsumerRunningInfo::PROP_CONSUMER_START_TIMESTAMP.to_owned(), self.started_at_ms.to_string());
        properties.insert(
            ConsumerRunningInfo::PROP_CLIENT_VERSION.to_owned(),
            format!("rocketmq-py {}", env!("CARGO_PKG_VERSION")),
        );
        let mq_table = lock(&self.queues)
            .iter()
            .map(|(mq, q)| (mq.clone(), q.pq.info(self.offsets.read(mq).unwrap_or(-1))))
            .collect();
        let subscription_set = self.heartbeat_data().subscription_data_set;
        ConsumerRunningInfo {
            properties,
            status_table: status_table(&self.stats, &subscription_set),
            subscription_set,
            mq_table,
            jstack: None,
        }
    }

    fn queue_offsets(&self, topic: &str) -> Vec<(MessageQueue, i64)> {
        lock(&self.queues)
            .keys()
            .filter(|mq| mq.topic == topic)
            .map(|mq| (mq.clone(), self.offsets.read(mq).unwrap_or(-1)))
            .collect()
    }

    async fn consume_directly(&self, _msgs: Vec<MessageExt>, _mq: MessageQueue) -> Result<ConsumeResult, String> {
        Err("a lite pull consumer has no listener".to_owned())
    }
}

impl ConsumerHooks for LiteCore {
    fn group(&self) -> &str {
        &self.options.group
    }

    fn consumer_data(&self) -> ConsumerData {
        self.heartbeat_data()
    }

    fn handle(
        self: Arc<Self>,
        request: RemotingCommand,
    ) -> rocketmq_remoting::connection::BoxFuture<Option<RemotingCommand>> {
        Box::pin(async move { remoting_processor::process(&*self, request).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_javas_and_validation_names_the_bad_option() {
        let o = LitePullOptions::new("cg");
        assert_eq!((o.pull_batch_size, o.auto_commit, o.auto_commit_interval), (10, true, Duration::from_secs(5)));
        assert!(o.validate().is_ok());
        assert!(LitePullOptions::new("DEFAULT_CONSUMER").validate().is_err());
        let bad = |f: fn(&mut LitePullOptions)| {
            let mut o = LitePullOptions::new("cg");
            f(&mut o);
            o.validate().err().map(|e| (e.kind(), e.to_string()))
        };
        let (kind, text) = bad(|o| o.pull_batch_size = 0).unwrap_or((ErrorKind::Protocol, String::new()));
        assert_eq!(kind, ErrorKind::Config);
        assert!(text.contains("pull batch size"), "{text}");
        assert!(bad(|o| o.auto_commit_interval = Duration::ZERO).is_some());
        assert!(bad(|o| o.pull_timeout = o.broker_suspend_max_time).is_some());
    }
}
