//! The push consumer (Java `DefaultMQPushConsumer` / `DefaultMQPushConsumerImpl`): subscribe,
//! register a listener, start. It wires the parts together: a `Rebalancer` (crate-private) tells it which
//! queues are its own, a pull loop per queue fills the process queue, the consume service runs
//! the listener, the [`OffsetStore`] commits offsets.

use rocketmq_remoting::body::consumer::{ConsumeStatus, ConsumerRunningInfo};
use rocketmq_remoting::body::heartbeat::{ConsumeType, ConsumerData, ExpressionType, SubscriptionData};
use rocketmq_remoting::message::stored::MessageExt;
use rocketmq_remoting::{MessageQueue, RemotingCommand};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::consume_service::{mark_locked, ConsumeEnv, ConsumeService, Listener};
use super::listener::{AsyncMessageListener, ConsumeResult, MessageListener};
use super::offset_store::{LocalFileOffsetStore, OffsetStore};
use super::options::{ConsumerOptions, MessageModel};
use super::process_queue::{ProcessQueue, PULL_MAX_IDLE_TIME, REBALANCE_LOCK_INTERVAL};
use super::pull::{pull_loop, PullOwner, PullSettings};
use super::rebalance::{compute_pull_from_where, RebalanceOwner, Rebalancer};
use super::remoting_processor::{self, ProcessorTarget};
use super::stats::ConsumeStats;
use super::{lock, now_ms, retry_topic};
use crate::error::{Error, ErrorKind, Result};
use crate::instance::{ClientInstance, ConsumerHooks};
use crate::namespace::Namespace;
use crate::options::ClientOptions;
use crate::stats::{check_interval, StatValue, Stats, StatsCallback, StatsCallbackSlot, StatsExt};
use crate::trace::{DispatcherType, TraceDispatcher};
use crate::validation;

const CREATED: u8 = 0;
const RUNNING: u8 = 1;
const SHUT_DOWN: u8 = 2;

/// Consume threads get this long to finish their current call at shutdown.
const SHUTDOWN_CONSUME_WAIT: Duration = Duration::from_secs(10);
/// How long a dropped orderly queue waits for its in-flight batch before unlocking.
const UNLOCK_WAIT: Duration = Duration::from_millis(500);
/// An orderly queue waiting for its broker lock checks again after this.
const WAIT_LOCK_DELAY: Duration = Duration::from_millis(100);

/// A push consumer: subscribe, register a listener, start; messages arrive on consume threads
/// (blocking listener) or tasks (async listener).
#[derive(Clone)]
pub struct PushConsumer {
    inner: Arc<Inner>,
}

struct Inner {
    options: ConsumerOptions,
    client_options: ClientOptions,
    subscriptions: Mutex<BTreeMap<String, SubscriptionData>>,
    listener: Mutex<Option<Listener>>,
    state: AtomicU8,
    core: OnceLock<Arc<PushCore>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    stats_cb: StatsCallbackSlot,
    namespace: Namespace,
}

impl std::fmt::Debug for PushConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushConsumer").field("group", &self.inner.options.group).finish()
    }
}

/// Build a subscription, checking the topic and the expression.
pub(crate) fn build_subscription(topic: &str, expression: &str, kind: ExpressionType) -> Result<SubscriptionData> {
    validation::check_topic(topic).map_err(|e| Error::config(e.message().to_owned()).with_topic(topic))?;
    SubscriptionData::build(topic, expression, kind, now_ms())
        .map_err(|e| Error::config(format!("invalid subscription expression {expression:?}: {e}")).with_topic(topic))
}

impl PushConsumer {
    /// A consumer; subscribe and register a listener, then [`PushConsumer::start`]. With a
    /// namespace, its group is `ns%group` from here on (Java `DefaultMQPushConsumer.start`).
    pub fn new(mut options: ConsumerOptions, client_options: ClientOptions) -> Self {
        let namespace = Namespace::of(&client_options);
        options.group = namespace.wrap(&options.group);
        PushConsumer {
            inner: Arc::new(Inner {
                options,
                client_options,
                subscriptions: Mutex::new(BTreeMap::new()),
                listener: Mutex::new(None),
                state: AtomicU8::new(CREATED),
                core: OnceLock::new(),
                tasks: Mutex::new(Vec::new()),
                stats_cb: StatsCallbackSlot::default(),
                namespace,
            }),
        }
    }

    /// The v1 namespace of its client options.
    pub fn namespace(&self) -> &Namespace {
        &self.inner.namespace
    }

    /// The options (the group namespace-wrapped).
    pub fn options(&self) -> &ConsumerOptions {
        &self.inner.options
    }

    /// This consumer's client id, once started.
    pub fn client_id(&self) -> Option<&str> {
        self.inner.core.get().map(|c| c.instance.client_id())
    }

    /// Subscribe to `topic` with a tag expression (`"*"`, `"TagA || TagB"`). Before start only.
    pub fn subscribe(&self, topic: &str, expression: &str) -> Result<()> {
        self.subscribe_with(topic, expression, ExpressionType::Tag)
    }

    /// Subscribe with an SQL92 expression over message properties (brokers need
    /// `enablePropertyFilter=true`).
    pub fn subscribe_sql(&self, topic: &str, sql: &str) -> Result<()> {
        self.subscribe_with(topic, sql, ExpressionType::Sql92)
    }

    fn subscribe_with(&self, topic: &str, expression: &str, kind: ExpressionType) -> Result<()> {
        if self.inner.state.load(Ordering::SeqCst) != CREATED {
            return Err(Error::config(
                "subscribe before start(): changing subscriptions of a running consumer is not supported",
            ));
        }
        let sub = build_subscription(&self.inner.namespace.wrap(topic), expression, kind)?;
        lock(&self.inner.subscriptions).insert(sub.topic.clone(), sub);
        Ok(())
    }

    /// The topics subscribed so far (without the retry topic).
    pub fn subscriptions(&self) -> Vec<String> {
        lock(&self.inner.subscriptions).keys().map(|t| self.inner.namespace.unwrap(t)).collect()
    }

    /// Set a blocking listener, run on consume threads (replacing an earlier listener). Before
    /// start only.
    pub fn register_listener(&self, listener: impl MessageListener) -> Result<()> {
        self.set_listener(Listener::Blocking(Arc::new(listener)))
    }

    /// Set an asynchronous listener, run as tokio tasks, at most
    /// [`ConsumerOptions::max_in_flight`] at once (replacing an earlier listener). Before start only.
    pub fn register_async_listener(&self, listener: impl AsyncMessageListener) -> Result<()> {
        self.set_listener(Listener::Async(Arc::new(listener)))
    }

    fn set_listener(&self, listener: Listener) -> Result<()> {
        if self.inner.state.load(Ordering::SeqCst) != CREATED {
            return Err(Error::config("register the listener before start()"));
        }
        *lock(&self.inner.listener) = Some(listener);
        Ok(())
    }

    /// Start: validate, reach the name server, heartbeat, rebalance, and begin pulling.
    /// Fails if there is no subscription or listener, or no name server answers.
    pub async fn start(&self) -> Result<()> {
        match self.inner.state.load(Ordering::SeqCst) {
            RUNNING => return Ok(()),
            SHUT_DOWN => return Err(Error::new(ErrorKind::Shutdown, "the consumer was shut down and cannot restart")),
            _ => {}
        }
        let options = self.inner.options.clone();
        options.validate()?;
        let mut subscriptions = lock(&self.inner.subscriptions).clone();
        if subscriptions.is_empty() {
            return Err(Error::config("no subscription: call subscribe(topic, ...) before start()"));
        }
        let listener = lock(&self.inner.listener)
            .clone()
            .ok_or_else(|| Error::config("no message listener: register one before start()"))?;
        let instance = consumer_instance(&options, &self.inner.client_options)?;
        if options.message_model == MessageModel::Clustering {
            let retry = retry_topic(&options.group);
            let sub =
                SubscriptionData::build(retry.as_str(), "*", ExpressionType::Tag, now_ms()).map_err(Error::from)?;
            subscriptions.insert(retry, sub);
        }
        let offsets = Arc::new(offset_store(&options, &instance)?);
        let rebalancer = Arc::new(Rebalancer::new(
            instance.clone(),
            &options.group,
            options.message_model,
            options.allocate_strategy.clone(),
            subscriptions,
        ));
        let stats = Arc::new(ConsumeStats::default());
        let running = Arc::new(AtomicBool::new(true));
        let trace = match &self.inner.client_options.message_trace {
            None => None,
            Some(t) => {
                let kind = DispatcherType::Consume;
                let group = self.inner.namespace.unwrap(&options.group);
                match TraceDispatcher::start(&group, kind, &t.topic, &self.inner.client_options).await {
                    Ok(d) => Some(d),
                    Err(e) => {
                        instance.release(&[], &[]).await;
                        return Err(e.context("message trace"));
                    }
                }
            }
        };
        let env = ConsumeEnv {
            instance: instance.clone(),
            group: options.group.clone(),
            clustering: options.message_model == MessageModel::Clustering,
            orderly: options.orderly,
            batch_size: options.consume_batch_max_size,
            max_reconsume_times: options.effective_max_reconsume_times(),
            delay_level_when_next_consume: options.delay_level_when_next_consume,
            suspend_current_queue_time: options.suspend_current_queue_time,
            offsets: offsets.clone(),
            stats: stats.clone(),
            rebalancer: rebalancer.clone(),
            running: running.clone(),
            trace: trace.clone(),
            namespace: self.inner.namespace.clone(),
        };
        let consume = match ConsumeService::start(env, listener, options.consume_thread_count, options.max_in_flight) {
            Ok(c) => c,
            Err(e) => {
                if let Some(t) = &trace {
                    t.shutdown().await;
                }
                instance.release(&[], &[]).await;
                return Err(Error::config(format!("cannot start consume threads: {e}")));
            }
        };
        let core = Arc::new_cyclic(|me| PushCore {
            pull_settings: pull_settings(&options),
            consume_timestamp_ms: options.consume_timestamp.unwrap_or_else(|| now_ms() - 30 * 60 * 1000),
            instance: instance.clone(),
            rebalancer,
            offsets,
            consume,
            queues: Mutex::new(HashMap::new()),
            stats,
            running,
            rebalance_now: Notify::new(),
            started_at_ms: now_ms(),
            namespace: self.inner.namespace.clone(),
            options,
            trace,
            me: me.clone(),
        });
        let hooks: Arc<dyn ConsumerHooks> = core.clone();
        if let Err(e) = instance.register_consumer(&hooks) {
            core.stop_consuming().await;
            instance.release(&[], &[]).await;
            return Err(e);
        }
        let group = std::slice::from_ref(&core.options.group);
        if let Err(e) = reach_name_server(&instance, &core.rebalancer).await {
            core.stop_consuming().await;
            instance.release(&[], group).await;
            return Err(e);
        }
        if let Err(e) = check_filters_in_broker(&instance, &core.rebalancer).await {
            core.stop_consuming().await;
            instance.release(&[], group).await;
            return Err(e);
        }
        instance.start();
        if self.inner.core.set(core.clone()).is_err() {
            // A concurrent start won.
            core.stop_consuming().await;
            instance.release(&[], &[]).await;
            return Ok(());
        }
        self.inner.state.store(RUNNING, Ordering::SeqCst);
        if let Err(e) = instance.heartbeat_all_checked().await {
            // Every broker refused us for ACL reasons: nothing would ever be consumed.
            self.shutdown().await;
            return Err(e.context("push consumer start"));
        }
        core.rebalancer.rebalance(&*core).await;
        lock(&self.inner.tasks).extend(core.spawn_background());
        self.inner.stats_cb.start(self.stats_source());
        tracing::info!(group = %core.options.group, client_id = instance.client_id(), "push consumer started");
        Ok(())
    }

    /// Stop pulling, let in-flight listener calls finish, persist offsets, unlock orderly
    /// queues, unregister from the brokers. Idempotent.
    pub async fn shutdown(&self) {
        if self.inner.state.swap(SHUT_DOWN, Ordering::SeqCst) != RUNNING {
            return;
        }
        self.inner.stats_cb.stop();
        let Some(core) = self.inner.core.get() else { return };
        for task in lock(&self.inner.tasks).drain(..) {
            task.abort();
        }
        core.stop_consuming().await;
        core.offsets.persist_all(false).await;
        let held: Vec<(MessageQueue, Arc<ProcessQueue>)> =
            lock(&core.queues).iter().map(|(mq, a)| (mq.clone(), a.pq.clone())).collect();
        if core.options.orderly && core.rebalancer.is_clustering() {
            let mqs: Vec<MessageQueue> = held.iter().map(|(mq, _)| mq.clone()).collect();
            core.rebalancer.unlock_all(&mqs, false).await;
        }
        for (_, pq) in &held {
            pq.set_dropped(true);
        }
        core.instance.release(&[], std::slice::from_ref(&core.options.group)).await;
        tracing::info!(group = %core.options.group, "push consumer shut down");
    }

    /// Messages the listener has acknowledged so far (for tests and monitoring).
    pub fn consumed_count(&self) -> u64 {
        self.inner.core.get().map_or(0, |c| c.stats.consumed_ok())
    }

    /// Statistics (a plain map, cheap): the consume counters and latencies
    /// ([`ConsumeStats::to_stats`]), `rebalance` (rounds, queues added / removed), `queues`
    /// (per assigned queue `topic@broker@id`: cached messages and bytes, committed offset, lag),
    /// `connections` and `trace` when trace is on. Empty counts before start.
    pub fn stats(&self) -> Stats {
        let mut s = Stats::new();
        let ns = &self.inner.namespace;
        s.insert("group".to_owned(), StatValue::Text(ns.unwrap(&self.inner.options.group)));
        let Some(core) = self.inner.core.get() else { return s };
        s.extend(core.stats.to_stats());
        s.insert("client_id".to_owned(), StatValue::Text(core.instance.client_id().to_owned()));
        s.map("rebalance", rebalance_stats(&core.rebalancer));
        let queues: Vec<(MessageQueue, Arc<ProcessQueue>)> =
            lock(&core.queues).iter().map(|(mq, a)| (mq.clone(), a.pq.clone())).collect();
        s.map("queues", queue_stats(&queues, &core.offsets, ns));
        s.map("connections", core.instance.connection_stats());
        if let Some(trace) = &core.trace {
            s.map("trace", trace.stats().to_stats());
        }
        s
    }

    /// Call `callback` with [`PushConsumer::stats`] every `interval` while the consumer runs
    /// (confluent-kafka's `stats_cb`); it runs on a runtime task and must not block.
    pub fn set_stats_callback(&self, interval: Duration, callback: StatsCallback) -> Result<()> {
        check_interval(interval)?;
        let source = (self.inner.state.load(Ordering::SeqCst) == RUNNING).then(|| self.stats_source());
        self.inner.stats_cb.set(interval, callback, source);
        Ok(())
    }

    fn stats_source(&self) -> crate::stats::StatsSource {
        let weak = Arc::downgrade(&self.inner);
        Arc::new(move || weak.upgrade().map(|inner| PushConsumer { inner }.stats()))
    }

    /// Message trace counters, when trace is on and the consumer started.
    pub fn trace_stats(&self) -> Option<crate::trace::TraceStats> {
        self.inner.core.get().and_then(|c| c.trace.as_ref()).map(|t| t.stats())
    }

    /// Messages whose body could not be decoded so far (never given to the listener; sent
    /// back, retried, then moved to the DLQ).
    pub fn undecodable_count(&self) -> u64 {
        self.inner.core.get().map_or(0, |c| c.stats.undecodable())
    }

    /// The queues currently assigned to this consumer (topics without the namespace).
    pub fn assigned_queues(&self) -> Vec<MessageQueue> {
        let queues: Vec<_> =
            self.inner.core.get().map(|c| lock(&c.queues).keys().cloned().collect()).unwrap_or_default();
        let mut queues = self.inner.namespace.unwrap_queues(queues);
        queues.sort();
        queues
    }

    /// Trigger a rebalance now (normally every 20 s and on membership changes).
    pub async fn rebalance_now(&self) -> Result<()> {
        let core = self.inner.core.get().ok_or_else(|| Error::new(ErrorKind::NotStarted, "consumer not started"))?;
        core.rebalancer.rebalance(&**core).await;
        Ok(())
    }

    /// The running info `mqadmin consumerStatus` would show.
    pub fn running_info(&self) -> Option<ConsumerRunningInfo> {
        self.inner.core.get().map(|c| c.running_info())
    }
}

/// The client instance of a consumer. Broadcasting: Java keeps the instance name "DEFAULT"
/// (it names the offset file); without an explicit name we keep a unique one so two
/// broadcasting consumers of one process do not share an offset file.
pub(crate) fn consumer_instance(options: &ConsumerOptions, client: &ClientOptions) -> Result<Arc<ClientInstance>> {
    let mut client = client.clone();
    if options.message_model == MessageModel::Broadcasting && client.instance_name.is_none() {
        client.instance_name = Some(crate::client_id::unique_instance_name());
    }
    ClientInstance::get_or_create(client)
}

/// The consumer's offset store: the local file (broadcasting) or the brokers (clustering).
pub(crate) fn offset_store(options: &ConsumerOptions, instance: &Arc<ClientInstance>) -> Result<OffsetStore> {
    Ok(match options.message_model {
        MessageModel::Broadcasting => OffsetStore::file(match &options.offset_store_dir {
            Some(dir) => LocalFileOffsetStore::with_dir(dir, instance.client_id(), &options.group)?,
            None => LocalFileOffsetStore::new(instance.client_id(), &options.group)?,
        }),
        MessageModel::Clustering => {
            OffsetStore::broker(instance.clone(), &options.group, options.strict_consume_from_where)
        }
    })
}

pub(crate) fn pull_settings(options: &ConsumerOptions) -> PullSettings {
    PullSettings {
        batch_size: options.pull_batch_size,
        threshold_count: options.pull_threshold_for_queue,
        threshold_mib: options.pull_threshold_size_for_queue_mib,
        max_span: (!options.orderly).then_some(options.consume_concurrently_max_span),
        interval: options.pull_interval,
        suspend: options.broker_suspend_max_time,
        timeout: options.pull_timeout,
    }
}

/// Reach the name server before anything else: a consumer that cannot is useless, and the
/// caller should hear it now (2.x raised PushConsumerStartFailed for a bad address).
pub(crate) async fn reach_name_server(instance: &Arc<ClientInstance>, rebalancer: &Rebalancer) -> Result<()> {
    // Every topic's route is fetched (the SQL92 check below needs them), not just the first.
    let (mut reached, mut last_error) = (false, None);
    for topic in rebalancer.subscribed_topics() {
        match instance.update_route(&topic, instance.options().request_timeout).await {
            Ok(_) => reached = true,
            Err(e) => last_error = Some(e),
        }
    }
    if reached {
        return Ok(());
    }
    Err(last_error.unwrap_or_else(|| Error::new(ErrorKind::Connect, "no name server answered")))
}

/// Java `checkClientInBroker`: every SQL92 subscription is validated by a broker serving its
/// topic, so a bad expression or a broker without property filtering fails `start()`.
pub(crate) async fn check_filters_in_broker(instance: &Arc<ClientInstance>, rebalancer: &Rebalancer) -> Result<()> {
    for sub in rebalancer.subscriptions().into_iter().filter(|s| s.expression_type != ExpressionType::Tag) {
        let Some(route) = instance.routes().route(&sub.topic) else { continue };
        let Some(addr) = route.broker_datas.iter().find_map(|b| b.master_addr()) else { continue };
        super::broker_api::check_client_config(instance, addr, rebalancer.group(), &sub).await.map_err(|e| {
            Error::config(format!(
                "the broker rejected the {} subscription {:?}: {e}",
                sub.expression_type.as_str(),
                sub.sub_string
            ))
            .with_topic(&sub.topic)
        })?;
    }
    Ok(())
}

/// One assigned queue: its process queue and the task pulling it.
struct Assigned {
    pq: Arc<ProcessQueue>,
    pull_task: JoinHandle<()>,
}

/// A started push consumer's parts.
struct PushCore {
    options: ConsumerOptions,
    instance: Arc<ClientInstance>,
    rebalancer: Arc<Rebalancer>,
    offsets: Arc<OffsetStore>,
    consume: Arc<ConsumeService>,
    queues: Mutex<HashMap<MessageQueue, Assigned>>,
    stats: Arc<ConsumeStats>,
    running: Arc<AtomicBool>,
    rebalance_now: Notify,
    pull_settings: PullSettings,
    started_at_ms: i64,
    consume_timestamp_ms: i64,
    trace: Option<Arc<TraceDispatcher>>,
    namespace: Namespace,
    me: Weak<PushCore>,
}

impl PushCore {
    fn orderly_clustering(&self) -> bool {
        self.options.orderly && self.rebalancer.is_clustering()
    }

    /// Stop pulling and consuming; wait for listener calls in flight; send their trace.
    async fn stop_consuming(&self) {
        self.running.store(false, Ordering::SeqCst);
        for a in lock(&self.queues).values() {
            a.pull_task.abort();
        }
        if !self.consume.shutdown(SHUTDOWN_CONSUME_WAIT).await {
            tracing::warn!(group = %self.options.group, "listener calls still running after {SHUTDOWN_CONSUME_WAIT:?}; their messages will be redelivered");
        }
        if let Some(trace) = &self.trace {
            trace.shutdown().await;
        }
    }

    /// The periodic work: rebalance (every interval or when woken), offset persistence,
    /// orderly lock renewal.
    fn spawn_background(&self) -> Vec<JoinHandle<()>> {
        let weak = self.me.clone();
        let every = self.options.rebalance_interval;
        let rebalance = tokio::spawn({
            let weak = weak.clone();
            async move {
                loop {
                    let Some(core) = weak.upgrade() else { return };
                    let _ = tokio::time::timeout(every, core.rebalance_now.notified()).await;
                    core.rebalancer.rebalance(&*core).await;
                }
            }
        });
        let mut tasks = vec![rebalance, self.offsets.spawn_persister(self.options.persist_offset_interval)];
        if self.orderly_clustering() {
            tasks.push(tokio::spawn(async move {
                let every = REBALANCE_LOCK_INTERVAL;
                let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                loop {
                    ticker.tick().await;
                    let Some(core) = weak.upgrade() else { return };
                    core.renew_locks().await;
                }
            }));
        }
        tasks
    }

    /// `lockAll`: renew the broker locks of every held queue.
    async fn renew_locks(&self) {
        let held: Vec<(MessageQueue, Arc<ProcessQueue>)> =
            lock(&self.queues).iter().map(|(mq, a)| (mq.clone(), a.pq.clone())).collect();
        let mqs: Vec<MessageQueue> = held.iter().map(|(mq, _)| mq.clone()).collect();
        let locked = self.rebalancer.lock_all(&mqs).await;
        for (mq, pq) in &held {
            mark_locked(pq, locked.contains(mq));
        }
    }

    fn heartbeat_data(&self) -> ConsumerData {
        ConsumerData {
            group_name: self.options.group.clone(),
            consume_type: ConsumeType::ConsumePassively,
            message_model: self.options.message_model,
            consume_from_where: self.options.consume_from_where,
            subscription_data_set: self.rebalancer.subscriptions(),
            unit_mode: false,
        }
    }

    /// Stop the queue's current process queue (its late results no longer commit) but keep
    /// its entry, so that a rebalance does not assign the queue again meanwhile.
    fn stop_queue(&self, mq: &MessageQueue) -> Option<Arc<ProcessQueue>> {
        let queues = lock(&self.queues);
        let a = queues.get(mq)?;
        a.pq.set_dropped(true);
        a.pull_task.abort();
        Some(a.pq.clone())
    }

    /// Remove `mq`'s entry if it still holds `pq` (not a newer assignment), and wake the
    /// rebalance, which assigns the queue again from the stored offset. The entry's task is
    /// detached, not aborted: it may be the caller.
    fn let_go_of(&self, mq: &MessageQueue, pq: &Arc<ProcessQueue>) {
        let detached = {
            let mut queues = lock(&self.queues);
            match queues.get(mq) {
                Some(a) if Arc::ptr_eq(&a.pq, pq) => queues.remove(mq),
                _ => None,
            }
        };
        drop(detached);
        self.rebalance_now.notify_one();
    }

    /// Store `offset` as the queue's consumed offset on the broker (or file) and forget it, so
    /// the next assignment starts there.
    async fn store_offset(&self, mq: &MessageQueue, offset: i64) {
        self.offsets.update(mq, offset, false);
        if let Err(e) = self.offsets.persist(mq, false).await {
            tracing::warn!(queue = %mq, error = %e, "cannot persist consumer offset");
        }
        self.offsets.remove(mq);
    }

    fn running_info(&self) -> ConsumerRunningInfo {
        let o = &self.options;
        let mut properties = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            properties.insert(k.to_owned(), v);
        };
        put(ConsumerRunningInfo::PROP_NAMESERVER_ADDR, self.instance.options().namesrv_addrs.join(";"));
        put(ConsumerRunningInfo::PROP_CONSUME_TYPE, "CONSUME_PASSIVELY".to_owned());
        put(ConsumerRunningInfo::PROP_CONSUME_ORDERLY, o.orderly.to_string());
        put(ConsumerRunningInfo::PROP_THREADPOOL_CORE_SIZE, o.consume_thread_count.to_string());
        put(ConsumerRunningInfo::PROP_CLIENT_VERSION, format!("rocketmq-py {}", env!("CARGO_PKG_VERSION")));
        put(ConsumerRunningInfo::PROP_CONSUMER_START_TIMESTAMP, self.started_at_ms.to_string());
        put("messageModel", o.message_model.as_str().to_owned());
        put("consumeFromWhere", o.consume_from_where.as_str().to_owned());
        put("consumeMessageBatchMaxSize", o.consume_batch_max_size.to_string());
        put("pullBatchSize", o.pull_batch_size.to_string());
        put("maxReconsumeTimes", o.effective_max_reconsume_times().to_string());
        put("allocateMessageQueueStrategy", o.allocate_strategy.name().to_owned());
        let mut mq_table: Vec<_> = lock(&self.queues)
            .iter()
            .map(|(mq, a)| (mq.clone(), a.pq.info(self.offsets.read(mq).unwrap_or(-1))))
            .collect();
        mq_table.sort_by(|a, b| a.0.cmp(&b.0));
        let subscription_set = self.rebalancer.subscriptions();
        ConsumerRunningInfo {
            properties,
            status_table: status_table(&self.stats, &subscription_set),
            subscription_set,
            mq_table,
            jstack: None,
        }
    }
}

/// `rounds`, `queues_added`, `queues_removed`.
pub(crate) fn rebalance_stats(rebalancer: &Rebalancer) -> Stats {
    let c = rebalancer.counts();
    let mut s = Stats::new();
    s.int("rounds", c.rounds.load(Ordering::Relaxed));
    s.int("queues_added", c.queues_added.load(Ordering::Relaxed));
    s.int("queues_removed", c.queues_removed.load(Ordering::Relaxed));
    s
}

/// Per queue (`topic@broker@id`): `cached_msgs`, `cached_bytes`, `committed_offset` (-1 when
/// unknown), `lag`: messages the broker still had after the last pull that returned some (Java
/// `msgAccCnt`) plus those cached and not yet consumed.
pub(crate) fn queue_stats(
    queues: &[(MessageQueue, Arc<ProcessQueue>)],
    offsets: &OffsetStore,
    ns: &Namespace,
) -> Stats {
    let mut out = Stats::new();
    for (mq, pq) in queues {
        let mut q = Stats::new();
        q.int("cached_msgs", pq.cached_count());
        q.int("cached_bytes", pq.cached_bytes());
        q.int("committed_offset", offsets.read(mq).unwrap_or(-1));
        q.int("lag", pq.msg_acc_cnt().max(0) + pq.cached_count());
        out.map(&format!("{}@{}@{}", ns.unwrap(&mq.topic), mq.broker_name, mq.queue_id), q);
    }
    out
}

/// The per-topic status table of running info (the same figures for every topic).
pub(crate) fn status_table(stats: &ConsumeStats, subs: &[SubscriptionData]) -> BTreeMap<String, ConsumeStatus> {
    let snapshot = stats.snapshot();
    let status = ConsumeStatus {
        pull_rt: snapshot.pull_rt_ms,
        pull_tps: snapshot.pull_tps,
        consume_rt: snapshot.consume_rt_ms,
        consume_ok_tps: snapshot.consume_ok_tps,
        consume_failed_tps: snapshot.consume_failed_tps,
        consume_failed_msgs: snapshot.consume_failed_msgs as i64,
    };
    subs.iter().map(|s| (s.topic.clone(), status.clone())).collect()
}

impl RebalanceOwner for PushCore {
    fn held_queues(&self, topic: &str) -> Vec<(MessageQueue, bool)> {
        lock(&self.queues)
            .iter()
            .filter(|(mq, _)| mq.topic == topic)
            .map(|(mq, a)| (mq.clone(), a.pq.is_pull_expired(PULL_MAX_IDLE_TIME)))
            .collect()
    }

    /// `removeUnnecessaryMessageQueue`: stop pulling, release the offset, and (orderly) let
    /// the batch in flight finish before giving the broker lock back.
    async fn queue_removed(&self, mq: MessageQueue) {
        let Some(a) = lock(&self.queues).remove(&mq) else { return };
        a.pq.set_dropped(true);
        a.pull_task.abort();
        self.offsets.release(&mq).await;
        if self.orderly_clustering() {
            if tokio::time::timeout(UNLOCK_WAIT, a.pq.orderly_lock().lock()).await.is_err() {
                tracing::debug!(queue = %mq, "in-flight orderly batch still running; unlocking anyway");
            }
            self.rebalancer.unlock_all(std::slice::from_ref(&mq), true).await;
        }
        tracing::info!(group = %self.options.group, queue = %mq, "queue released");
    }

    async fn queue_added(&self, mq: MessageQueue) -> bool {
        if !self.running.load(Ordering::SeqCst) {
            return false;
        }
        let orderly_clustering = self.orderly_clustering();
        if orderly_clustering && !self.rebalancer.lock(&mq).await {
            return false; // locked by another consumer
        }
        self.offsets.remove(&mq);
        let from = self.options.consume_from_where;
        let offset =
            match compute_pull_from_where(&self.instance, &self.offsets, &mq, from, self.consume_timestamp_ms).await {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(queue = %mq, error = %e, "cannot compute the start offset; retrying next round");
                    return false;
                }
            };
        // Remember where the queue starts: running info reports it at once, and a fresh group
        // that starts at the max offset commits that position with its first pull.
        self.offsets.update(&mq, offset, false);
        let pq = Arc::new(ProcessQueue::new());
        if orderly_clustering {
            mark_locked(&pq, true);
        }
        tracing::info!(group = %self.options.group, queue = %mq, offset, "queue assigned");
        // Spawn under the table's lock: the pull task may answer OFFSET_MOVED at once, and its
        // `offset_moved` must find this entry to remove it, or a dropped queue that no one
        // pulls stays assigned.
        let mut queues = lock(&self.queues);
        let pull_task = tokio::spawn(pull_loop(self.me.clone(), mq.clone(), pq.clone(), offset));
        if let Some(old) = queues.insert(mq, Assigned { pq, pull_task }) {
            old.pq.set_dropped(true);
            old.pull_task.abort();
        }
        true
    }
}

impl PullOwner for PushCore {
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
        self.rebalancer.subscription(topic)
    }

    fn hold(&self, _mq: &MessageQueue, pq: &ProcessQueue) -> Option<Duration> {
        (self.orderly_clustering() && !pq.is_locked()).then_some(WAIT_LOCK_DELAY)
    }

    /// Cache the messages and hand them to the consume service: concurrently in batches of
    /// `consume_batch_max_size`, orderly as one request per queue (when none is running).
    fn deliver(&self, mq: &MessageQueue, pq: &Arc<ProcessQueue>, msgs: Vec<MessageExt>) {
        if self.options.orderly {
            if pq.put_messages(msgs) {
                self.consume.submit_orderly(pq.clone(), mq.clone());
            }
            return;
        }
        let batch = self.options.consume_batch_max_size.max(1);
        // Shared by the process queue and the listener: caching costs a count, not a copy.
        let msgs: Vec<Arc<MessageExt>> = msgs.into_iter().map(Arc::new).collect();
        pq.put_messages(msgs.clone());
        let mut batches = Vec::with_capacity(msgs.len().div_ceil(batch));
        let mut rest = msgs;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(batch));
            batches.push(rest);
            rest = tail;
        }
        self.consume.submit_concurrently_batches(pq.clone(), mq.clone(), batches);
    }

    /// Java's OFFSET_ILLEGAL task: store `next` (acknowledged), then remove the process queue,
    /// and let a rebalance, woken at once, assign the queue again from the stored offset.
    ///
    /// This runs on the queue's own pull task. It must not abort that task (as
    /// [`PushCore::stop_queue`] does): the abort took effect at the first `.await` of the
    /// store, so the rebalance wake-up was lost and the queue stayed unassigned until the next
    /// periodic rebalance (20 s). The entry leaves the table only after the store, so a
    /// rebalance cannot assign the queue again from the offset stored before, and only if it is
    /// still this process queue's (not a newer assignment's).
    async fn offset_moved(&self, mq: MessageQueue, pq: &Arc<ProcessQueue>, next: i64) {
        self.store_offset(&mq, next).await;
        self.let_go_of(&mq, pq);
    }
}

impl ProcessorTarget for PushCore {
    fn group(&self) -> &str {
        &self.options.group
    }

    fn namespace(&self) -> Namespace {
        self.namespace.clone()
    }

    fn orderly(&self) -> bool {
        self.options.orderly
    }

    fn rebalance_soon(&self) {
        self.rebalance_now.notify_one();
    }

    /// Stop the affected queues, store the new offsets, then let the rebalance recreate the
    /// queues. The entries stay until the store is done: a rebalance in between would assign
    /// a queue again from the offset before the reset (Java pauses the consumer instead).
    async fn reset_offsets(&self, _topic: &str, offsets: Vec<(MessageQueue, i64)>) {
        for (mq, offset) in offsets {
            let stopped = self.stop_queue(&mq);
            self.store_offset(&mq, offset).await;
            if let Some(pq) = stopped {
                self.let_go_of(&mq, &pq);
            }
        }
        self.rebalance_now.notify_one();
    }

    fn running_info(&self) -> ConsumerRunningInfo {
        PushCore::running_info(self)
    }

    fn queue_offsets(&self, topic: &str) -> Vec<(MessageQueue, i64)> {
        lock(&self.queues)
            .keys()
            .filter(|mq| mq.topic == topic)
            .map(|mq| (mq.clone(), self.offsets.read(mq).unwrap_or(-1)))
            .collect()
    }

    async fn consume_directly(&self, msgs: Vec<MessageExt>, mq: MessageQueue) -> Result<ConsumeResult, String> {
        self.consume.consume_directly(msgs, &mq).await
    }
}

impl ConsumerHooks for PushCore {
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
