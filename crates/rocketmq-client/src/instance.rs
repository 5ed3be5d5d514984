//! The per-client machinery (Java `MQClientInstance`): connection pool, name servers, route
//! cache, heartbeats, the periodic route refresh, and the tables of the producers and
//! consumers using it, by group (`producerTable` / `consumerTable`), through which every
//! request a broker sends reaches the consumer of its group.
//!
//! Instances are shared as in Java (`MQClientManager.getOrCreateMQClientInstance`): client
//! objects whose [`ClientOptions::instance_name`] is the same get one instance (one client id,
//! one connection per broker) from a process-wide registry keyed by client id; the entry goes
//! when the last of them shuts down. Without an instance name each object gets a unique one,
//! hence its own instance. Two objects of one group in one instance are refused, as in Java.

use rocketmq_remoting::body::heartbeat::{ConsumerData, HeartbeatData, ProducerData};
use rocketmq_remoting::connection::{not_supported, BoxFuture, RequestHandler};
use rocketmq_remoting::header::{EmptyHeader, UnregisterClientRequestHeader};
use rocketmq_remoting::{request_code, response_code, ConnectionPool, RemotingCommand};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::client_id::{build_client_id, unique_instance_name};
use crate::error::{Error, Result};
use crate::options::ClientOptions;
use crate::producer::transaction::CheckHook;
use crate::route::{NameServers, RefreshOutcome, RefreshSchedule, RouteSnapshot, RouteTable, TopicPublishInfo};

/// Group Java adds to every heartbeat (`MixAll.CLIENT_INNER_PRODUCER_GROUP`).
pub const CLIENT_INNER_PRODUCER_GROUP: &str = "CLIENT_INNER_PRODUCER";

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a consumer registered with an instance provides to it: heartbeat data and the
/// handling of broker requests addressed to its group. Held weakly by the instance.
pub trait ConsumerHooks: Send + Sync + 'static {
    /// The consumer group.
    fn group(&self) -> &str;
    /// Its heartbeat entry (group, model, subscriptions).
    fn consumer_data(&self) -> ConsumerData;
    /// Serve a broker request (ids changed, reset offset, running info, consume directly, status).
    fn handle(self: Arc<Self>, request: RemotingCommand) -> BoxFuture<Option<RemotingCommand>>;
}

/// Shared state of the client objects of one client id.
pub struct ClientInstance {
    client_id: String,
    options: ClientOptions,
    pool: ConnectionPool,
    namesrvs: NameServers,
    routes: RouteTable,
    /// The on-disk route snapshot, when configured.
    snapshot: Option<Arc<RouteSnapshot>>,
    /// Java `producerTable`: the producer groups using this instance.
    producer_table: Mutex<BTreeSet<String>>,
    /// Java `consumerTable`: group → consumer.
    consumer_table: Mutex<BTreeMap<String, Weak<dyn ConsumerHooks>>>,
    /// Transactional producers by group: where CHECK_TRANSACTION_STATE goes.
    transaction_checkers: Mutex<BTreeMap<String, Weak<dyn CheckHook>>>,
    /// Pending request-reply waiters by correlation id.
    replies: crate::producer::ReplyTable,
    route_fetch: tokio::sync::Mutex<()>,
    shutdown_tx: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// Client objects holding this instance (changed under the registry lock).
    holders: Mutex<usize>,
}

/// Java `MQClientManager.factoryTable`: client id → instance, for sharing by instance name.
static REGISTRY: Mutex<Option<HashMap<String, Weak<ClientInstance>>>> = Mutex::new(None);

impl std::fmt::Debug for ClientInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientInstance").field("client_id", &self.client_id).finish()
    }
}

/// Serves broker-initiated requests on this client's connections.
struct Processor {
    instance: Weak<ClientInstance>,
}

impl RequestHandler for Processor {
    fn handle(&self, peer: &str, request: RemotingCommand) -> BoxFuture<Option<RemotingCommand>> {
        let instance = self.instance.upgrade();
        let peer = peer.to_owned();
        Box::pin(async move {
            let instance = instance?;
            instance.process_request(&peer, request).await
        })
    }
}

impl ClientInstance {
    /// The instance of the client id these options give, shared with the other client objects
    /// of that id, or a new one (Java `getOrCreateMQClientInstance`); nothing runs until
    /// [`ClientInstance::start`]. Each call must be balanced by one [`release`](Self::release).
    /// A shared instance keeps the options of its first holder.
    pub fn get_or_create(options: ClientOptions) -> Result<Arc<Self>> {
        options.validate()?;
        let ip =
            options.client_ip.clone().unwrap_or_else(|| rocketmq_remoting::message::uniq_id::local_ip().to_string());
        let instance_name = options.instance_name.clone().unwrap_or_else(unique_instance_name);
        let client_id = build_client_id(&ip, &instance_name);
        let mut registry = lock(&REGISTRY);
        let table = registry.get_or_insert_with(HashMap::new);
        if let Some(existing) = table.get(&client_id).and_then(Weak::upgrade).filter(|i| !i.is_shut_down()) {
            if existing.options.namesrv_addrs != options.namesrv_addrs {
                tracing::warn!(client_id = %client_id, "a client shares an instance with other name servers; the first client's are used");
            }
            *lock(&existing.holders) += 1;
            return Ok(existing);
        }
        let (shutdown_tx, _) = watch::channel(false);
        let pool_options = crate::transport::pool_options(&options)?;
        let namesrvs = NameServers::from_options(&options)?;
        let snapshot = options.route_snapshot_path.clone().map(|p| Arc::new(RouteSnapshot::open(p)));
        let instance = Arc::new_cyclic(|weak: &Weak<ClientInstance>| {
            let handler = Arc::new(Processor { instance: weak.clone() });
            ClientInstance {
                client_id: client_id.clone(),
                pool: ConnectionPool::new(pool_options, handler),
                namesrvs,
                routes: RouteTable::default(),
                snapshot,
                producer_table: Mutex::new(BTreeSet::new()),
                consumer_table: Mutex::new(BTreeMap::new()),
                transaction_checkers: Mutex::new(BTreeMap::new()),
                replies: crate::producer::ReplyTable::default(),
                route_fetch: tokio::sync::Mutex::new(()),
                shutdown_tx,
                tasks: Mutex::new(Vec::new()),
                holders: Mutex::new(1),
                options,
            }
        });
        table.retain(|_, weak| weak.strong_count() > 0);
        table.insert(client_id, Arc::downgrade(&instance));
        Ok(instance)
    }

    /// Connection figures of this instance (shared by its client objects): `live`, `connects`,
    /// `reconnects`, `connect_failures`.
    pub fn connection_stats(&self) -> crate::stats::Stats {
        use crate::stats::StatsExt;
        use std::sync::atomic::Ordering::Relaxed;
        let c = self.pool.counters();
        let mut s = crate::stats::Stats::new();
        s.int("live", self.connection_count());
        s.int("connects", c.connects.load(Relaxed));
        s.int("reconnects", c.reconnects.load(Relaxed));
        s.int("connect_failures", c.connect_failures.load(Relaxed));
        s
    }

    /// The live instance of `client_id`, if some client object holds it.
    pub fn lookup(client_id: &str) -> Option<Arc<Self>> {
        lock(&REGISTRY).as_ref()?.get(client_id).and_then(Weak::upgrade).filter(|i| !i.is_shut_down())
    }

    /// How many connections the pool holds (name servers and brokers).
    pub fn connection_count(&self) -> usize {
        self.pool.addresses().len()
    }

    /// The addresses the pool holds a live connection to.
    pub fn connected_addrs(&self) -> Vec<String> {
        let mut addrs = self.pool.addresses();
        addrs.sort();
        addrs
    }

    /// This client's id (`ip@instance`).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The options it was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The name servers in use now (looked up, when the options give a domain).
    pub fn namesrv_addrs(&self) -> Vec<String> {
        self.namesrvs.addrs().to_vec()
    }

    /// The route cache.
    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// Start the periodic route refresh and heartbeat (once per instance). Must run inside a
    /// tokio runtime.
    pub fn start(self: &Arc<Self>) {
        let mut tasks = lock(&self.tasks);
        if !tasks.is_empty() || self.is_shut_down() {
            return;
        }
        let refresh = spawn_route_refresh(self);
        let heartbeat = spawn_periodic(self, self.options.heartbeat_interval, |inst| {
            Box::pin(async move { inst.send_heartbeat_to_all().await })
        });
        tasks.extend([refresh, heartbeat]);
        if self.namesrvs.is_looked_up() {
            // Java `MQClientInstance.startScheduledTask`: fetchNameServerAddr every 2 minutes.
            let lookup = spawn_periodic(self, self.options.namesrv_lookup_interval, |inst| {
                Box::pin(async move {
                    let _ = inst.namesrvs.lookup_now(inst.options.request_timeout).await;
                })
            });
            tasks.push(lookup);
        }
    }

    /// Add a producer group (Java `registerProducer`): a Config error if this instance has one.
    pub fn register_producer(&self, group: &str) -> Result<()> {
        if !lock(&self.producer_table).insert(group.to_owned()) {
            return Err(Error::config(format!(
                "The producer group[{group}] has been created before, specify another name please."
            )));
        }
        Ok(())
    }

    /// Add a consumer (Java `registerConsumer`), held weakly: a Config error if this instance
    /// has a live consumer of its group.
    pub fn register_consumer(&self, consumer: &Arc<dyn ConsumerHooks>) -> Result<()> {
        let group = consumer.group().to_owned();
        let mut table = lock(&self.consumer_table);
        if table.get(&group).is_some_and(|c| c.strong_count() > 0) {
            return Err(Error::config(format!(
                "The consumer group[{group}] has been created before, specify another name please."
            )));
        }
        table.insert(group, Arc::downgrade(consumer));
        Ok(())
    }

    /// Route CHECK_TRANSACTION_STATE for `group` to `hook` (held weakly).
    pub(crate) fn register_transaction_checker(&self, group: &str, hook: &Arc<dyn CheckHook>) {
        lock(&self.transaction_checkers).insert(group.to_owned(), Arc::downgrade(hook));
    }

    /// Pending request-reply waiters.
    pub fn replies(&self) -> &crate::producer::ReplyTable {
        &self.replies
    }

    /// The consumer of `group`.
    fn consumer(&self, group: &str) -> Option<Arc<dyn ConsumerHooks>> {
        lock(&self.consumer_table).get(group).and_then(Weak::upgrade)
    }

    fn consumers(&self) -> Vec<Arc<dyn ConsumerHooks>> {
        lock(&self.consumer_table).values().filter_map(Weak::upgrade).collect()
    }

    /// A client object leaves (its producer and consumer groups given): its groups are
    /// unregistered from every broker and removed from the tables. When it was the last holder,
    /// the instance stops: background work ends, connections close, the registry forgets it.
    pub async fn release(&self, producer_groups: &[String], consumer_groups: &[String]) {
        {
            let mut producers = lock(&self.producer_table);
            let mut checkers = lock(&self.transaction_checkers);
            for g in producer_groups {
                producers.remove(g);
                checkers.remove(g);
            }
        }
        {
            let mut consumers = lock(&self.consumer_table);
            for g in consumer_groups {
                consumers.remove(g);
            }
        }
        let last = {
            let mut registry = lock(&REGISTRY);
            let mut holders = lock(&self.holders);
            *holders = holders.saturating_sub(1);
            let last = *holders == 0;
            if last {
                if let Some(table) = registry.as_mut() {
                    if table.get(&self.client_id).is_some_and(|w| std::ptr::eq(w.as_ptr(), self)) {
                        table.remove(&self.client_id);
                    }
                }
            }
            last
        };
        let inner = if last { Some(CLIENT_INNER_PRODUCER_GROUP.to_owned()) } else { None };
        let groups: Vec<(Option<String>, Option<String>)> = producer_groups
            .iter()
            .cloned()
            .chain(inner)
            .map(|g| (Some(g), None))
            .chain(consumer_groups.iter().map(|g| (None, Some(g.clone()))))
            .collect();
        self.unregister(&groups).await;
        if last {
            self.shutdown_tx.send_replace(true);
            for task in lock(&self.tasks).drain(..) {
                task.abort();
            }
            self.pool.close_all();
        }
    }

    /// UNREGISTER_CLIENT for each (producer group, consumer group) at every broker.
    async fn unregister(&self, groups: &[(Option<String>, Option<String>)]) {
        let timeout = self.options.request_timeout;
        for (addr, _) in self.routes.broker_addrs() {
            for (producer_group, consumer_group) in groups {
                let header = UnregisterClientRequestHeader {
                    client_id: self.client_id.clone(),
                    producer_group: producer_group.clone(),
                    consumer_group: consumer_group.clone(),
                };
                let request = self.request(request_code::UNREGISTER_CLIENT, &header);
                if let Err(e) = self.pool.invoke(&addr, request, timeout).await {
                    tracing::debug!(broker = %addr, error = %e, "unregister failed");
                }
            }
        }
    }

    /// Whether shutdown has begun.
    pub fn is_shut_down(&self) -> bool {
        *self.shutdown_tx.borrow()
    }

    /// A request with this client's header serialization.
    pub fn request(&self, code: i32, header: &impl rocketmq_remoting::header::CommandHeader) -> RemotingCommand {
        RemotingCommand::request(code, header).with_serialize_type(self.options.serialize_type)
    }

    /// [`ClientInstance::request`] taking the header by value (its strings are moved, not copied).
    pub fn request_owned(&self, code: i32, header: impl rocketmq_remoting::header::CommandHeader) -> RemotingCommand {
        RemotingCommand::request_owned(code, header).with_serialize_type(self.options.serialize_type)
    }

    /// Send a request to `addr` and wait for the answer.
    pub async fn invoke(&self, addr: &str, request: RemotingCommand, timeout: Duration) -> Result<RemotingCommand> {
        Ok(self.pool.invoke(addr, request, timeout).await?)
    }

    /// Send a oneway request to `addr`.
    pub async fn invoke_oneway(&self, addr: &str, request: RemotingCommand, timeout: Duration) -> Result<()> {
        Ok(self.pool.invoke_oneway(addr, request, timeout).await?)
    }

    /// Fetch `topic`'s route from the name server and cache it. Returns whether it exists.
    /// With a route snapshot configured, a route that changed is saved to it, and when no name
    /// server answers for a topic not cached yet, the saved route is used (with a warning).
    pub async fn update_route(self: &Arc<Self>, topic: &str, timeout: Duration) -> Result<bool> {
        let route = match self.namesrvs.topic_route(&self.pool, topic, timeout, self.options.serialize_type).await {
            Ok(route) => route,
            Err(e) => return self.route_from_snapshot(topic, e),
        };
        let Some(route) = route else { return Ok(false) };
        let saved = self.snapshot.as_ref().map(|s| (s.clone(), route.clone()));
        let update = self.routes.update(topic, route, false);
        if update.changed {
            if let Some((snapshot, route)) = saved {
                let topic = topic.to_owned();
                // Rare (a route change) and small; off the async threads all the same, but
                // awaited: a client that sent and shut down has its routes on disk.
                let saved = tokio::task::spawn_blocking(move || {
                    if let Err(e) = snapshot.save(&topic, route) {
                        tracing::warn!(%topic, error = %e, "could not save the route snapshot");
                    }
                });
                if let Err(e) = saved.await {
                    tracing::warn!(error = %e, "the route snapshot writer failed");
                }
            }
        }
        self.greet_new_brokers(update.new_broker_addrs);
        Ok(true)
    }

    /// After `error` from the name servers: the snapshot's route of `topic`, when no name server
    /// answered and nothing is cached (a cached route is kept as it is; the refresh retries).
    fn route_from_snapshot(self: &Arc<Self>, topic: &str, error: Error) -> Result<bool> {
        let saved = self
            .snapshot
            .as_ref()
            .filter(|_| is_unreachable(&error) && self.routes.route(topic).is_none())
            .and_then(|s| s.get(topic).map(|saved| (s.path().display().to_string(), saved)));
        let Some((path, saved)) = saved else { return Err(error) };
        tracing::warn!(
            %topic,
            snapshot = %path,
            age_s = saved.age().as_secs(),
            error = %error,
            "no name server answered: using the route saved in the snapshot"
        );
        let update = self.routes.update(topic, saved.route, false);
        self.greet_new_brokers(update.new_broker_addrs);
        Ok(true)
    }

    /// Publish queues for `topic`: cached, else fetched; an unknown topic falls back to the
    /// default topic's route with at most `default_queue_nums` queues per broker, so the
    /// broker auto-creates it on first send (protocol.md §5.4.3 step 2, §5.5).
    pub async fn publish_info(
        self: &Arc<Self>,
        topic: &str,
        default_topic: &str,
        default_queue_nums: i32,
        deadline: Instant,
    ) -> Result<Arc<TopicPublishInfo>> {
        if let Some(info) = self.routes.publish_info(topic).filter(|i| i.is_usable()) {
            return Ok(info);
        }
        // Boxed: the route fetch's state is large, and every send's future would carry it.
        Box::pin(self.fetch_publish_info(topic, default_topic, default_queue_nums, deadline)).await
    }

    /// The slow path of [`publish_info`](Self::publish_info): fetch the route (or the default
    /// topic's, for auto-creation).
    async fn fetch_publish_info(
        self: &Arc<Self>,
        topic: &str,
        default_topic: &str,
        default_queue_nums: i32,
        deadline: Instant,
    ) -> Result<Arc<TopicPublishInfo>> {
        // One fetch at a time: a burst of first sends must not stampede the name server.
        let _one = tokio::time::timeout_at(deadline, self.route_fetch.lock())
            .await
            .map_err(|_| Error::new(crate::error::ErrorKind::Timeout, "timed out waiting for a route fetch"))?;
        if let Some(info) = self.routes.publish_info(topic).filter(|i| i.is_usable()) {
            return Ok(info);
        }
        let budget = deadline.saturating_duration_since(Instant::now()).min(self.options.request_timeout);
        let found = self.update_route(topic, budget).await.map_err(|e| e.with_topic(topic))?;
        if !found {
            let budget = deadline.saturating_duration_since(Instant::now()).min(self.options.request_timeout);
            let default_route = self
                .namesrvs
                .topic_route(&self.pool, default_topic, budget, self.options.serialize_type)
                .await
                .map_err(|e| e.with_topic(topic))?;
            if let Some(mut route) = default_route {
                for qd in &mut route.queue_datas {
                    let n = default_queue_nums.min(qd.read_queue_nums);
                    qd.read_queue_nums = n;
                    qd.write_queue_nums = n;
                }
                let update = self.routes.update(topic, route, true);
                self.greet_new_brokers(update.new_broker_addrs);
            }
        }
        match self.routes.publish_info(topic) {
            Some(info) if info.is_usable() => Ok(info),
            _ => Err(Error::new(
                crate::error::ErrorKind::RouteNotFound,
                "no route info for this topic: it does not exist and the brokers do not auto-create topics",
            )
            .with_topic(topic)),
        }
    }

    /// Refresh every cached route. A round stops at the first topic no name server answered
    /// for: the others would wait for the same dead or hung servers.
    async fn refresh_all_routes(self: &Arc<Self>, failures_before: u32) -> RefreshOutcome {
        for topic in self.routes.topics() {
            match self.update_route(&topic, self.options.request_timeout).await {
                Ok(true) => {}
                Ok(false) => tracing::debug!(%topic, "name server does not know the topic yet"),
                Err(e) if is_unreachable(&e) => {
                    // Said once per outage; the retries that follow are quiet.
                    if failures_before == 0 {
                        tracing::warn!(error = %e, "route refresh: no name server answered; keeping the cached routes and retrying with back-off");
                    } else {
                        tracing::debug!(error = %e, failures = failures_before + 1, "route refresh: still no name server");
                    }
                    return RefreshOutcome::Unreachable;
                }
                Err(e) => tracing::warn!(%topic, error = %e, "route refresh failed"),
            }
        }
        if failures_before > 0 {
            tracing::info!(failed_refreshes = failures_before, "route refresh: a name server answers again");
        }
        RefreshOutcome::Answered
    }

    /// Brokers heard of for the first time get a heartbeat right away, so they know this
    /// client's groups before its first request needs it (transaction checks, replies).
    fn greet_new_brokers(self: &Arc<Self>, addrs: Vec<String>) {
        if addrs.is_empty() || self.is_shut_down() {
            return;
        }
        let inst = self.clone();
        tokio::spawn(async move {
            for addr in addrs {
                let _ = inst.send_heartbeat(&addr).await;
            }
        });
    }

    fn heartbeat_body(&self) -> Vec<u8> {
        let mut groups: Vec<ProducerData> =
            lock(&self.producer_table).iter().map(|g| ProducerData { group_name: g.clone() }).collect();
        groups.push(ProducerData { group_name: CLIENT_INNER_PRODUCER_GROUP.to_owned() });
        let data = HeartbeatData {
            client_id: self.client_id.clone(),
            producer_data_set: groups,
            consumer_data_set: self.consumers().iter().map(|c| c.consumer_data()).collect(),
            heartbeat_fingerprint: 0,
            without_sub: false,
        };
        data.encode()
    }

    async fn send_heartbeat(&self, addr: &str) -> Result<()> {
        let body = self.heartbeat_body();
        let request = self.request(request_code::HEART_BEAT, &EmptyHeader).with_body(body);
        match self.pool.invoke(addr, request, self.options.request_timeout).await {
            Ok(r) if r.code == response_code::SUCCESS => Ok(()),
            Ok(r) => {
                let remark = r.remark.as_deref().unwrap_or_default();
                tracing::warn!(broker = addr, code = r.code, remark, "heartbeat refused");
                Err(Error::broker(r.code, r.remark, addr).context("heartbeat refused"))
            }
            Err(e) => {
                tracing::debug!(broker = addr, error = %e, "heartbeat failed");
                Err(e.into())
            }
        }
    }

    /// Heartbeat every master, and every slave too when a consumer is registered (a client
    /// without consumers only talks to masters, as in Java).
    pub async fn send_heartbeat_to_all(&self) {
        let _ = self.heartbeat_all_checked().await;
    }

    /// [`ClientInstance::send_heartbeat_to_all`], failing with the [`ErrorKind::Auth`](crate::ErrorKind::Auth) error
    /// when every broker tried refused the heartbeat for ACL reasons (so `start()` can say so
    /// instead of starting a consumer that never gets a message).
    pub async fn heartbeat_all_checked(&self) -> Result<()> {
        let with_slaves = !self.consumers().is_empty();
        let (mut all_refused, mut refusal) = (true, None);
        for (addr, is_master) in self.routes.broker_addrs() {
            if is_master || with_slaves {
                match self.send_heartbeat(&addr).await {
                    Err(e) if e.kind() == crate::error::ErrorKind::Auth => refusal = Some(e),
                    _ => all_refused = false,
                }
            }
        }
        match refusal {
            Some(e) if all_refused => Err(e),
            _ => Ok(()),
        }
    }

    async fn process_request(&self, peer: &str, request: RemotingCommand) -> Option<RemotingCommand> {
        tracing::debug!(%peer, code = request.code, "request from broker");
        match request.code {
            request_code::NOTIFY_CONSUMER_IDS_CHANGED
            | request_code::RESET_CONSUMER_CLIENT_OFFSET
            | request_code::GET_CONSUMER_RUNNING_INFO
            | request_code::CONSUME_MESSAGE_DIRECTLY
            | request_code::GET_CONSUMER_STATUS_FROM_CLIENT => {
                // Java's headers name the group `consumerGroup`, except reset-offset and
                // consumer-status requests (`group`).
                let group = request.ext_fields.get("consumerGroup").or_else(|| request.ext_fields.get("group"));
                match group.and_then(|g| self.consumer(g)) {
                    Some(consumer) => consumer.handle(request).await,
                    None if request.is_oneway() => None,
                    None => Some(RemotingCommand::response(
                        response_code::SYSTEM_ERROR,
                        request.opaque,
                        Some(format!(
                            "The Consumer Group <{}> not exist in this consumer ({})",
                            group.unwrap_or_default(),
                            self.client_id
                        )),
                    )),
                }
            }
            // Oneway; routed by the half message's producer group (Java
            // `ClientRemotingProcessor.checkTransactionState`), answered on the group's check queue.
            request_code::CHECK_TRANSACTION_STATE => {
                let group = rocketmq_remoting::message::stored::decode_messages(request.body.clone())
                    .ok()
                    .and_then(|m| m.into_iter().next())
                    .and_then(|m| m.property(rocketmq_remoting::message::keys::PGROUP).map(str::to_owned));
                let hook =
                    group.as_deref().and_then(|g| lock(&self.transaction_checkers).get(g).and_then(Weak::upgrade));
                match hook {
                    Some(hook) => hook.enqueue(peer.to_owned(), request),
                    None => {
                        tracing::warn!(%peer, group = ?group, "transaction check for a group without a transactional producer")
                    }
                }
                None
            }
            request_code::PUSH_REPLY_MESSAGE_TO_CLIENT => Some(self.replies.on_push(&request)),
            _ => Some(not_supported(&request)),
        }
    }
}

/// Whether `e` means no name server (or broker) could be reached at all, as opposed to an answer.
fn is_unreachable(e: &Error) -> bool {
    use crate::error::ErrorKind;
    matches!(e.kind(), ErrorKind::Connect | ErrorKind::ConnectionClosed | ErrorKind::Timeout)
}

/// The route refresh: every poll interval, sooner with back-off while no name server answers.
fn spawn_route_refresh(instance: &Arc<ClientInstance>) -> JoinHandle<()> {
    let weak = Arc::downgrade(instance);
    let mut shutdown = instance.shutdown_tx.subscribe();
    let mut schedule = RefreshSchedule::new(instance.options.poll_namesrv_interval);
    tokio::spawn(async move {
        let mut delay = schedule.first();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => return,
            }
            let Some(inst) = weak.upgrade() else { return };
            let outcome = inst.refresh_all_routes(schedule.failures()).await;
            drop(inst);
            delay = schedule.after(outcome);
        }
    })
}

type Job = fn(Arc<ClientInstance>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

fn spawn_periodic(instance: &Arc<ClientInstance>, every: Duration, job: Job) -> JoinHandle<()> {
    let weak = Arc::downgrade(instance);
    let mut shutdown = instance.shutdown_tx.subscribe();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval_at(Instant::now() + every, every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.changed() => return,
            }
            let Some(inst) = weak.upgrade() else { return };
            job(inst).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(name: Option<&str>) -> ClientOptions {
        ClientOptions {
            namesrv_addrs: vec!["127.0.0.1:9".to_owned()],
            instance_name: name.map(str::to_owned),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn instances_are_shared_by_name_and_released_by_the_last_holder() -> Result<()> {
        let name = format!("registry-test-{}", unique_instance_name());
        let a = ClientInstance::get_or_create(options(Some(&name)))?;
        let b = ClientInstance::get_or_create(options(Some(&name)))?;
        assert!(Arc::ptr_eq(&a, &b));
        let unnamed = ClientInstance::get_or_create(options(None))?;
        assert!(!Arc::ptr_eq(&a, &unnamed));
        a.register_producer("pg")?;
        assert_eq!(b.register_producer("pg").err().map(|e| e.kind()), Some(crate::ErrorKind::Config));
        a.release(&["pg".to_owned()], &[]).await;
        assert!(ClientInstance::lookup(a.client_id()).is_some(), "b still holds it");
        b.register_producer("pg")?; // the group left with a
        b.release(&["pg".to_owned()], &[]).await;
        assert!(ClientInstance::lookup(a.client_id()).is_none());
        assert!(a.is_shut_down());
        let c = ClientInstance::get_or_create(options(Some(&name)))?;
        assert!(!Arc::ptr_eq(&a, &c), "a new instance after the last release");
        c.release(&[], &[]).await;
        unnamed.release(&[], &[]).await;
        Ok(())
    }
}
