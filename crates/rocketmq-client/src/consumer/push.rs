//! The push consumer's public face (`DefaultMQPushConsumer`): subscribe, start, shut down.

use rocketmq_remoting::body::heartbeat::{ExpressionType, SubscriptionData};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::consume::ConsumeService;
use super::core::{lock, now_ms, retry_topic, Core};
use super::listener::MessageListener;
use super::offset_store::{LocalFileOffsetStore, OffsetTable};
use super::options::{ConsumerOptions, MessageModel};
use super::stats::ConsumeStats;
use crate::error::{Error, ErrorKind, Result};
use crate::instance::{ClientInstance, ConsumerHooks};
use crate::options::ClientOptions;
use crate::validation;

const CREATED: u8 = 0;
const RUNNING: u8 = 1;
const SHUT_DOWN: u8 = 2;

/// Consume threads get this long to finish their current call at shutdown.
const SHUTDOWN_CONSUME_WAIT: Duration = Duration::from_secs(10);
/// Orderly lock renewal period (`rocketmq.client.rebalance.lockInterval`).
const LOCK_INTERVAL: Duration = Duration::from_secs(20);

/// A push consumer: subscribe, register a listener, start; messages arrive on consume threads.
#[derive(Clone)]
pub struct PushConsumer {
    inner: Arc<Inner>,
}

struct Inner {
    options: ConsumerOptions,
    client_options: ClientOptions,
    subscriptions: Mutex<BTreeMap<String, SubscriptionData>>,
    listener: Mutex<Option<Arc<dyn MessageListener>>>,
    state: AtomicU8,
    core: OnceLock<Arc<Core>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for PushConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushConsumer").field("group", &self.inner.options.group).finish()
    }
}

impl PushConsumer {
    /// A consumer; subscribe and register a listener, then [`PushConsumer::start`].
    pub fn new(options: ConsumerOptions, client_options: ClientOptions) -> Self {
        PushConsumer {
            inner: Arc::new(Inner {
                options,
                client_options,
                subscriptions: Mutex::new(BTreeMap::new()),
                listener: Mutex::new(None),
                state: AtomicU8::new(CREATED),
                core: OnceLock::new(),
                tasks: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The options.
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
        validation::check_topic(topic).map_err(|e| Error::config(e.message().to_owned()).with_topic(topic))?;
        let sub = SubscriptionData::build(topic, expression, kind, now_ms()).map_err(|e| {
            Error::config(format!("invalid subscription expression {expression:?}: {e}")).with_topic(topic)
        })?;
        lock(&self.inner.subscriptions).insert(topic.to_owned(), sub);
        Ok(())
    }

    /// The topics subscribed so far (without the retry topic).
    pub fn subscriptions(&self) -> Vec<String> {
        lock(&self.inner.subscriptions).keys().cloned().collect()
    }

    /// Set the listener (replacing an earlier one). Before start only.
    pub fn register_listener(&self, listener: impl MessageListener) -> Result<()> {
        if self.inner.state.load(Ordering::SeqCst) != CREATED {
            return Err(Error::config("register the listener before start()"));
        }
        *lock(&self.inner.listener) = Some(Arc::new(listener));
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
        let mut client_options = self.inner.client_options.clone();
        if options.message_model == MessageModel::Broadcasting && client_options.instance_name.is_none() {
            // Java keeps "DEFAULT" for broadcasting (it names the offset file); we keep a
            // unique name so two broadcasting consumers of one process do not collide.
            client_options.instance_name = Some(crate::client_id::unique_instance_name());
        }
        let instance = ClientInstance::new(client_options)?;
        if options.message_model == MessageModel::Clustering {
            let retry = retry_topic(&options.group);
            let sub =
                SubscriptionData::build(retry.as_str(), "*", ExpressionType::Tag, now_ms()).map_err(Error::from)?;
            subscriptions.insert(retry, sub);
        }
        let local_store = if options.message_model == MessageModel::Broadcasting {
            Some(match &options.offset_store_dir {
                Some(dir) => LocalFileOffsetStore::with_dir(dir, instance.client_id(), &options.group)?,
                None => LocalFileOffsetStore::new(instance.client_id(), &options.group)?,
            })
        } else {
            None
        };
        let consume_timestamp_ms = options.consume_timestamp.unwrap_or_else(|| now_ms() - 30 * 60 * 1000);
        let core = Arc::new(Core {
            instance: instance.clone(),
            listener,
            subscriptions: RwLock::new(subscriptions),
            assigned: Mutex::new(Default::default()),
            offsets: OffsetTable::default(),
            local_store,
            consume: ConsumeService::new(),
            rebalance_now: Arc::new(Notify::new()),
            running: AtomicBool::new(true),
            stats: ConsumeStats::default(),
            started_at_ms: now_ms(),
            consume_timestamp_ms,
            runtime: tokio::runtime::Handle::current(),
            options,
        });
        // Reach the name server before anything else: a consumer that cannot is useless, and
        // the caller should hear it now (2.x raised PushConsumerStartFailed for a bad address).
        let mut reached = false;
        let mut last_error = None;
        for topic in core.subscribed_topics() {
            match instance.update_route(&topic, instance.options().request_timeout).await {
                Ok(_) => reached = true,
                Err(e) => last_error = Some(e),
            }
        }
        if !reached {
            core.running.store(false, Ordering::SeqCst);
            instance.shutdown(&[], &[]).await;
            return Err(last_error.unwrap_or_else(|| Error::new(ErrorKind::Connect, "no name server answered")));
        }
        if let Err(e) = check_filters_in_broker(&core).await {
            core.running.store(false, Ordering::SeqCst);
            instance.shutdown(&[], &[]).await;
            return Err(e);
        }
        core.consume
            .start(Arc::downgrade(&core), core.options.consume_thread_count, &core.options.group)
            .map_err(|e| Error::config(format!("cannot start consume threads: {e}")))?;
        let hooks: Arc<dyn ConsumerHooks> = core.clone();
        instance.register_consumer(&hooks);
        instance.start();
        if self.inner.core.set(core.clone()).is_err() {
            return Ok(());
        }
        self.inner.state.store(RUNNING, Ordering::SeqCst);
        instance.send_heartbeat_to_all().await;
        core.rebalance().await;
        self.spawn_background(&core);
        tracing::info!(group = %core.group(), client_id = instance.client_id(), "push consumer started");
        Ok(())
    }

    fn spawn_background(&self, core: &Arc<Core>) {
        let weak = Arc::downgrade(core);
        let rebalance_every = core.options.rebalance_interval;
        let rebalance = core.runtime.spawn({
            let weak = weak.clone();
            async move {
                let Some(notify) = weak.upgrade().map(|c| c.rebalance_now.clone()) else { return };
                loop {
                    let _ = tokio::time::timeout(rebalance_every, notify.notified()).await;
                    let Some(core) = weak.upgrade() else { return };
                    core.rebalance().await;
                }
            }
        });
        let persist_every = core.options.persist_offset_interval;
        let persist = core.runtime.spawn({
            let weak = weak.clone();
            async move {
                let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + persist_every, persist_every);
                loop {
                    ticker.tick().await;
                    let Some(core) = weak.upgrade() else { return };
                    core.persist_all(true).await;
                }
            }
        });
        let mut tasks = vec![rebalance, persist];
        if core.options.orderly && core.is_clustering() {
            tasks.push(core.runtime.spawn(async move {
                let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + LOCK_INTERVAL, LOCK_INTERVAL);
                loop {
                    ticker.tick().await;
                    let Some(core) = weak.upgrade() else { return };
                    core.lock_all().await;
                }
            }));
        }
        lock(&self.inner.tasks).extend(tasks);
    }

    /// Stop pulling, let in-flight listener calls finish, persist offsets, unlock orderly
    /// queues, unregister from the brokers. Idempotent.
    pub async fn shutdown(&self) {
        if self.inner.state.swap(SHUT_DOWN, Ordering::SeqCst) != RUNNING {
            return;
        }
        let Some(core) = self.inner.core.get() else { return };
        core.running.store(false, Ordering::SeqCst);
        for task in lock(&self.inner.tasks).drain(..) {
            task.abort();
        }
        let assigned: Vec<_> =
            lock(&core.assigned).values().map(|a| (a.pq.clone(), a.pull_task.abort_handle())).collect();
        for (pq, pull) in &assigned {
            pull.abort();
            let _ = pq;
        }
        let consume = core.clone();
        let finished =
            tokio::task::spawn_blocking(move || consume.consume.shutdown(SHUTDOWN_CONSUME_WAIT)).await.unwrap_or(false);
        if !finished {
            tracing::warn!(group = %core.group(), "consume threads still busy after {SHUTDOWN_CONSUME_WAIT:?}; their messages will be redelivered");
        }
        core.persist_all(false).await;
        if core.options.orderly && core.is_clustering() {
            core.unlock_all().await;
        }
        for (pq, _) in &assigned {
            pq.set_dropped(true);
        }
        core.instance.shutdown(&[], &[core.group().to_owned()]).await;
        tracing::info!(group = %core.group(), "push consumer shut down");
    }

    /// Messages the listener has acknowledged so far (for tests and monitoring).
    pub fn consumed_count(&self) -> u64 {
        self.inner.core.get().map_or(0, |c| c.stats.consumed_ok())
    }

    /// The queues currently assigned to this consumer.
    pub fn assigned_queues(&self) -> Vec<rocketmq_remoting::MessageQueue> {
        let mut queues: Vec<_> =
            self.inner.core.get().map(|c| lock(&c.assigned).keys().cloned().collect()).unwrap_or_default();
        queues.sort();
        queues
    }

    /// Trigger a rebalance now (normally every 20 s and on membership changes).
    pub async fn rebalance_now(&self) -> Result<()> {
        let core = self.inner.core.get().ok_or_else(|| Error::new(ErrorKind::NotStarted, "consumer not started"))?;
        core.rebalance().await;
        Ok(())
    }

    /// The running info `mqadmin consumerStatus` would show.
    pub fn running_info(&self) -> Option<rocketmq_remoting::body::consumer::ConsumerRunningInfo> {
        self.inner.core.get().map(|c| c.running_info())
    }
}

/// Java `checkClientInBroker`: every SQL92 subscription is validated by a broker serving its
/// topic, so a bad expression or a broker without property filtering fails `start()`.
async fn check_filters_in_broker(core: &Core) -> Result<()> {
    let subs: Vec<SubscriptionData> = core
        .subscribed_topics()
        .iter()
        .filter_map(|t| core.subscription(t))
        .filter(|s| s.expression_type != ExpressionType::Tag)
        .collect();
    for sub in subs {
        let Some(route) = core.instance.routes().route(&sub.topic) else { continue };
        let Some(addr) = route.broker_datas.iter().find_map(|b| b.master_addr()) else { continue };
        super::broker_api::check_client_config(&core.instance, addr, core.group(), &sub).await.map_err(|e| {
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

impl ConsumerHooks for Core {
    fn group(&self) -> &str {
        &self.options.group
    }

    fn consumer_data(&self) -> rocketmq_remoting::body::heartbeat::ConsumerData {
        Core::consumer_data(self)
    }

    fn handle(
        self: Arc<Self>,
        request: rocketmq_remoting::RemotingCommand,
    ) -> rocketmq_remoting::connection::BoxFuture<Option<rocketmq_remoting::RemotingCommand>> {
        Box::pin(self.handle_broker_request(request))
    }
}
