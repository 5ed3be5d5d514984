//! The per-client machinery (Java `MQClientInstance`): connection pool, name servers, route
//! cache, heartbeats and the periodic route refresh. Each producer or consumer object owns
//! one, so two objects in one process never share a client id.

use rocketmq_remoting::body::heartbeat::{ConsumerData, HeartbeatData, ProducerData};
use rocketmq_remoting::connection::{not_supported, BoxFuture, RequestHandler};
use rocketmq_remoting::header::{EmptyHeader, UnregisterClientRequestHeader};
use rocketmq_remoting::{request_code, response_code, ConnectionPool, PoolOptions, RemotingCommand};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::client_id::{build_client_id, unique_instance_name};
use crate::error::{Error, Result};
use crate::options::ClientOptions;
use crate::route::{NameServers, RouteTable, TopicPublishInfo};

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

/// Shared state of one client object.
pub struct ClientInstance {
    client_id: String,
    options: ClientOptions,
    pool: ConnectionPool,
    namesrvs: NameServers,
    routes: RouteTable,
    producer_groups: Mutex<BTreeSet<String>>,
    consumer: Mutex<Option<Weak<dyn ConsumerHooks>>>,
    route_fetch: tokio::sync::Mutex<()>,
    shutdown_tx: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

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
    /// A new instance; nothing runs until [`ClientInstance::start`].
    pub fn new(options: ClientOptions) -> Result<Arc<Self>> {
        options.validate()?;
        let ip =
            options.client_ip.clone().unwrap_or_else(|| rocketmq_remoting::message::uniq_id::local_ip().to_string());
        let instance_name = options.instance_name.clone().unwrap_or_else(unique_instance_name);
        let client_id = build_client_id(&ip, &instance_name);
        let (shutdown_tx, _) = watch::channel(false);
        Ok(Arc::new_cyclic(|weak: &Weak<ClientInstance>| {
            let handler = Arc::new(Processor { instance: weak.clone() });
            ClientInstance {
                client_id,
                pool: ConnectionPool::new(PoolOptions { connect_timeout: options.connect_timeout }, handler),
                namesrvs: NameServers::new(options.namesrv_addrs.clone()),
                routes: RouteTable::default(),
                producer_groups: Mutex::new(BTreeSet::new()),
                consumer: Mutex::new(None),
                route_fetch: tokio::sync::Mutex::new(()),
                shutdown_tx,
                tasks: Mutex::new(Vec::new()),
                options,
            }
        }))
    }

    /// This client's id (`ip@instance`).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The options it was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The route cache.
    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// Start the periodic route refresh and heartbeat. Must run inside a tokio runtime.
    pub fn start(self: &Arc<Self>) {
        let refresh = spawn_periodic(self, self.options.poll_namesrv_interval, |inst| {
            Box::pin(async move { inst.refresh_all_routes().await })
        });
        let heartbeat = spawn_periodic(self, self.options.heartbeat_interval, |inst| {
            Box::pin(async move { inst.send_heartbeat_to_all().await })
        });
        lock(&self.tasks).extend([refresh, heartbeat]);
    }

    /// Register a producer group for heartbeats.
    pub fn register_producer(&self, group: &str) {
        lock(&self.producer_groups).insert(group.to_owned());
    }

    /// Register the consumer of this client (one per instance).
    pub fn register_consumer(&self, consumer: &Arc<dyn ConsumerHooks>) {
        *lock(&self.consumer) = Some(Arc::downgrade(consumer));
    }

    fn consumer(&self) -> Option<Arc<dyn ConsumerHooks>> {
        lock(&self.consumer).as_ref().and_then(Weak::upgrade)
    }

    /// Stop background work, unregister the groups from every broker, close connections.
    pub async fn shutdown(&self, unregister_producer_groups: &[String], unregister_consumer_groups: &[String]) {
        self.shutdown_tx.send_replace(true);
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        let timeout = self.options.request_timeout;
        let producers = unregister_producer_groups.iter().map(String::as_str).chain([CLIENT_INNER_PRODUCER_GROUP]);
        let groups: Vec<(Option<String>, Option<String>)> = producers
            .map(|g| (Some(g.to_owned()), None))
            .chain(unregister_consumer_groups.iter().map(|g| (None, Some(g.clone()))))
            .collect();
        for (addr, _) in self.routes.broker_addrs() {
            for (producer_group, consumer_group) in &groups {
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
        self.pool.close_all();
    }

    /// Whether shutdown has begun.
    pub fn is_shut_down(&self) -> bool {
        *self.shutdown_tx.borrow()
    }

    /// A request with this client's header serialization.
    pub fn request(&self, code: i32, header: &impl rocketmq_remoting::header::CommandHeader) -> RemotingCommand {
        RemotingCommand::request(code, header).with_serialize_type(self.options.serialize_type)
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
    pub async fn update_route(self: &Arc<Self>, topic: &str, timeout: Duration) -> Result<bool> {
        let route = self.namesrvs.topic_route(&self.pool, topic, timeout, self.options.serialize_type).await?;
        let Some(route) = route else { return Ok(false) };
        let update = self.routes.update(topic, route, false);
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

    async fn refresh_all_routes(self: &Arc<Self>) {
        for topic in self.routes.topics() {
            match self.update_route(&topic, self.options.request_timeout).await {
                Ok(true) => {}
                Ok(false) => tracing::debug!(%topic, "name server does not know the topic yet"),
                Err(e) => tracing::warn!(%topic, error = %e, "route refresh failed"),
            }
        }
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
                inst.send_heartbeat(&addr).await;
            }
        });
    }

    fn heartbeat_body(&self) -> Vec<u8> {
        let mut groups: Vec<ProducerData> =
            lock(&self.producer_groups).iter().map(|g| ProducerData { group_name: g.clone() }).collect();
        groups.push(ProducerData { group_name: CLIENT_INNER_PRODUCER_GROUP.to_owned() });
        let data = HeartbeatData {
            client_id: self.client_id.clone(),
            producer_data_set: groups,
            consumer_data_set: self.consumer().map(|c| vec![c.consumer_data()]).unwrap_or_default(),
            heartbeat_fingerprint: 0,
            without_sub: false,
        };
        data.encode()
    }

    async fn send_heartbeat(&self, addr: &str) {
        let body = self.heartbeat_body();
        let request = self.request(request_code::HEART_BEAT, &EmptyHeader).with_body(body);
        match self.pool.invoke(addr, request, self.options.request_timeout).await {
            Ok(r) if r.code == response_code::SUCCESS => {}
            Ok(r) => tracing::warn!(broker = addr, code = r.code, remark = ?r.remark, "heartbeat refused"),
            Err(e) => tracing::debug!(broker = addr, error = %e, "heartbeat failed"),
        }
    }

    /// Heartbeat every master, and every slave too when a consumer is registered (a client
    /// without consumers only talks to masters, as in Java).
    pub async fn send_heartbeat_to_all(&self) {
        let with_slaves = self.consumer().is_some();
        for (addr, is_master) in self.routes.broker_addrs() {
            if is_master || with_slaves {
                self.send_heartbeat(&addr).await;
            }
        }
    }

    async fn process_request(&self, peer: &str, request: RemotingCommand) -> Option<RemotingCommand> {
        tracing::debug!(%peer, code = request.code, "request from broker");
        match request.code {
            request_code::NOTIFY_CONSUMER_IDS_CHANGED
            | request_code::RESET_CONSUMER_CLIENT_OFFSET
            | request_code::GET_CONSUMER_RUNNING_INFO
            | request_code::CONSUME_MESSAGE_DIRECTLY
            | request_code::GET_CONSUMER_STATUS_FROM_CLIENT => match self.consumer() {
                Some(consumer) => consumer.handle(request).await,
                None if request.is_oneway() => None,
                None => Some(RemotingCommand::response(
                    response_code::SYSTEM_ERROR,
                    request.opaque,
                    Some(format!("The Consumer Group not exist in this consumer ({})", self.client_id)),
                )),
            },
            // A oneway notification this client has no use for yet (transactions come later).
            request_code::CHECK_TRANSACTION_STATE => None,
            _ => Some(not_supported(&request)),
        }
    }
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
