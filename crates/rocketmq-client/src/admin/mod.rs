//! Administration (Java `DefaultMQAdminExt` / `DefaultMQAdminExtImpl`, `MQAdminImpl`): what
//! operators, tests and the `rocketmq` CLI need. Clusters and broker runtime stats, topics
//! (list, route, create, delete, stats), consumer groups (progress, connections, running info,
//! offset reset), message lookups (by client id, offset id, key) and queue offsets.
//!
//! ```no_run
//! # async fn demo() -> rocketmq_client::Result<()> {
//! use rocketmq_client::admin::{Admin, TopicConfig};
//! use rocketmq_client::ClientOptions;
//! let mut options = ClientOptions::default();
//! options.set_namesrv_addr("127.0.0.1:9876")?;
//! let admin = Admin::new(options)?;
//! admin.create_topic_on_cluster("DefaultCluster", "orders", &TopicConfig::new(8)).await?;
//! for (mq, p) in admin.consume_stats("my_group", None).await?.offset_table {
//!     println!("{mq}: lag {}", p.lag());
//! }
//! # Ok(()) }
//! ```
//!
//! An `Admin` is cheap to clone, holds its own connections (no heartbeats, no background
//! tasks) and needs no start. Every request has the deadline
//! [`ClientOptions::request_timeout`]; requests that go to several brokers go one after
//! the other, each with that deadline.

mod messages;
mod offsets;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use rocketmq_remoting::body::{KVTable, TopicList};
use rocketmq_remoting::connection::NotSupportedHandler;
use rocketmq_remoting::header::{
    CommandHeader, CreateTopicRequestHeader, DeleteTopicFromNamesrvRequestHeader, DeleteTopicRequestHeader,
    EmptyHeader, GetConsumeStatsRequestHeader, GetConsumerConnectionListRequestHeader,
    GetConsumerRunningInfoRequestHeader, GetTopicStatsInfoRequestHeader,
};
use rocketmq_remoting::{request_code, response_code, ConnectionPool, RemotingCommand};

use crate::error::{Error, ErrorKind, Result};
use crate::options::ClientOptions;
use crate::route::NameServers;

pub use messages::FoundMessage;
pub use offsets::ResetOffsetResult;
/// The bodies the admin calls return (Java class names).
pub use rocketmq_remoting::body::{
    BrokerData, ClusterInfo, ConsumeStats, ConsumerConnection, ConsumerConnectionEntry, ConsumerRunningInfo,
    OffsetWrapper, ProcessQueueInfo, QueueData, SubscriptionData, TopicOffset, TopicRouteData, TopicStatsTable,
};

/// Java `MixAll.RETRY_GROUP_TOPIC_PREFIX`: a group's retry topic is `%RETRY%<group>`; its route
/// lists the brokers that know the group.
pub const RETRY_GROUP_TOPIC_PREFIX: &str = "%RETRY%";

/// The retry topic of `group`.
pub fn retry_topic(group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}")
}

/// Queue counts and permissions of a topic to create (Java `TopicConfig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfig {
    /// `readQueueNums` (Java default 16; `mqadmin updateTopic` default 8).
    pub read_queue_nums: i32,
    /// `writeQueueNums`.
    pub write_queue_nums: i32,
    /// `perm`: 6 = read + write (`PermName`), 4 read only, 2 write only.
    pub perm: i32,
    /// `order`: an ordered topic (kept by the name server's order configuration).
    pub order: bool,
}

impl TopicConfig {
    /// `queues` read and write queues, read + write permission, not ordered.
    pub fn new(queues: i32) -> Self {
        TopicConfig { read_queue_nums: queues, write_queue_nums: queues, perm: 6, order: false }
    }

    fn header(&self, topic: &str) -> CreateTopicRequestHeader {
        CreateTopicRequestHeader {
            read_queue_nums: self.read_queue_nums,
            write_queue_nums: self.write_queue_nums,
            perm: self.perm,
            order: self.order,
            ..CreateTopicRequestHeader::normal(topic, self.read_queue_nums)
        }
    }

    fn validate(&self) -> Result<()> {
        for (what, n) in [("read queue count", self.read_queue_nums), ("write queue count", self.write_queue_nums)] {
            if !(1..=1024).contains(&n) {
                return Err(Error::config(format!("{what} must be 1..=1024, got {n}")));
            }
        }
        if !(0..=7).contains(&self.perm) {
            return Err(Error::config(format!("perm must be 0..=7 (2 write, 4 read, 6 both), got {}", self.perm)));
        }
        Ok(())
    }
}

impl Default for TopicConfig {
    /// `mqadmin updateTopic`'s defaults: 8 read and write queues, read + write.
    fn default() -> Self {
        TopicConfig::new(8)
    }
}

/// The admin client. Clones share connections.
#[derive(Debug, Clone)]
pub struct Admin {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: ClientOptions,
    pool: ConnectionPool,
    namesrvs: NameServers,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.pool.close_all();
    }
}

/// `response` if it is SUCCESS, else the broker's error with `what` as context.
fn success(response: RemotingCommand, addr: &str, what: &str) -> Result<RemotingCommand> {
    if response.code == response_code::SUCCESS {
        Ok(response)
    } else {
        Err(Error::broker(response.code, response.remark, addr).context(what))
    }
}

impl Admin {
    /// An admin client for the name servers of `options` (checked here: a Config error for an
    /// empty list or a zero timeout). No I/O happens until the first call.
    pub fn new(options: ClientOptions) -> Result<Self> {
        options.validate()?;
        let pool = ConnectionPool::new(crate::transport::pool_options(&options)?, Arc::new(NotSupportedHandler));
        let namesrvs = NameServers::from_options(&options)?;
        Ok(Admin { inner: Arc::new(Inner { options, pool, namesrvs }) })
    }

    /// The options it was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// Close every connection now (they reopen on the next call).
    pub fn close(&self) {
        self.inner.pool.close_all();
    }

    fn timeout(&self) -> Duration {
        self.inner.options.request_timeout
    }

    fn request(&self, code: i32, header: &impl CommandHeader) -> RemotingCommand {
        RemotingCommand::request(code, header).with_serialize_type(self.inner.options.serialize_type)
    }

    /// A request to the name servers (the next one on a transport failure).
    async fn namesrv(&self, code: i32, header: &(impl CommandHeader + Sync), what: &str) -> Result<RemotingCommand> {
        let response =
            self.inner.namesrvs.invoke(&self.inner.pool, || self.request(code, header), self.timeout()).await;
        let response = response.map_err(|e| e.context(what))?;
        success(response, "name server", what)
    }

    /// A request to the broker at `addr`.
    async fn broker(&self, addr: &str, request: RemotingCommand, what: &str) -> Result<RemotingCommand> {
        let response = self.inner.pool.invoke(addr, request, self.timeout()).await;
        let response = response.map_err(|e| Error::from(e).context(what))?;
        success(response, addr, what)
    }

    // --- cluster ------------------------------------------------------------------------------

    /// GET_BROKER_CLUSTER_INFO: clusters, their broker names and addresses.
    pub async fn cluster_info(&self) -> Result<ClusterInfo> {
        let response = self.namesrv(request_code::GET_BROKER_CLUSTER_INFO, &EmptyHeader, "cluster info").await?;
        Ok(ClusterInfo::decode(&response.body)?)
    }

    /// GET_BROKER_RUNTIME_INFO: the broker's runtime statistics (`mqadmin brokerStatus`).
    pub async fn broker_runtime_info(&self, broker_addr: &str) -> Result<BTreeMap<String, String>> {
        let request = self.request(request_code::GET_BROKER_RUNTIME_INFO, &EmptyHeader);
        let response = self.broker(broker_addr, request, "broker runtime info").await?;
        Ok(KVTable::decode(&response.body)?.table)
    }

    /// Master addresses of the brokers of `cluster` (Java `CommandUtil.fetchMasterAddrByClusterName`).
    pub async fn cluster_masters(&self, cluster: &str) -> Result<Vec<String>> {
        let info = self.cluster_info().await?;
        let names = info.cluster_addr_table.get(cluster).ok_or_else(|| {
            let known: Vec<&str> = info.cluster_addr_table.keys().map(String::as_str).collect();
            Error::config(format!("no cluster named {cluster:?} (the name servers know {known:?})"))
        })?;
        let masters: Vec<String> = names
            .iter()
            .filter_map(|name| info.broker_addr_table.get(name).and_then(|b| b.master_addr()).map(str::to_owned))
            .collect();
        if masters.is_empty() {
            return Err(Error::new(ErrorKind::RouteNotFound, format!("cluster {cluster} has no master registered")));
        }
        Ok(masters)
    }

    // --- topics -------------------------------------------------------------------------------

    /// GET_ALL_TOPIC_LIST_FROM_NAMESERVER: every topic the name servers know, sorted.
    pub async fn topic_list(&self) -> Result<Vec<String>> {
        let response =
            self.namesrv(request_code::GET_ALL_TOPIC_LIST_FROM_NAMESERVER, &EmptyHeader, "topic list").await?;
        let mut topics = TopicList::decode(&response.body)?.topic_list;
        topics.sort();
        topics.dedup();
        Ok(topics)
    }

    /// GET_ROUTEINFO_BY_TOPIC: the topic's route; a RouteNotFound error when it has none.
    pub async fn topic_route(&self, topic: &str) -> Result<TopicRouteData> {
        let route = self
            .inner
            .namesrvs
            .topic_route(&self.inner.pool, topic, self.timeout(), self.inner.options.serialize_type)
            .await
            .map_err(|e| e.with_topic(topic))?;
        route.ok_or_else(|| {
            Error::new(ErrorKind::RouteNotFound, "the name servers have no route for this topic").with_topic(topic)
        })
    }

    /// Master addresses of the brokers in `topic`'s route (sorted by broker name).
    async fn route_masters(&self, topic: &str) -> Result<Vec<(String, String)>> {
        let route = self.topic_route(topic).await?;
        let mut masters: Vec<(String, String)> = route
            .broker_datas
            .iter()
            .filter_map(|b| b.master_addr().map(|a| (b.broker_name.clone(), a.to_owned())))
            .collect();
        masters.sort();
        if masters.is_empty() {
            return Err(Error::new(ErrorKind::RouteNotFound, "no master broker serves this topic").with_topic(topic));
        }
        Ok(masters)
    }

    /// UPDATE_AND_CREATE_TOPIC on one broker (create, or update the queue counts / perm).
    pub async fn create_topic_on_broker(&self, broker_addr: &str, topic: &str, config: &TopicConfig) -> Result<()> {
        crate::validation::check_topic(topic)?;
        config.validate()?;
        let request = self.request(request_code::UPDATE_AND_CREATE_TOPIC, &config.header(topic));
        self.broker(broker_addr, request, "create topic").await.map_err(|e| e.with_topic(topic))?;
        Ok(())
    }

    /// UPDATE_AND_CREATE_TOPIC on every master of `cluster` (`mqadmin updateTopic -c`).
    /// Returns the addresses of the brokers it went to.
    pub async fn create_topic_on_cluster(
        &self,
        cluster: &str,
        topic: &str,
        config: &TopicConfig,
    ) -> Result<Vec<String>> {
        crate::validation::check_topic(topic)?;
        config.validate()?;
        let masters = self.cluster_masters(cluster).await?;
        for addr in &masters {
            self.create_topic_on_broker(addr, topic, config).await?;
        }
        Ok(masters)
    }

    /// Delete `topic` (`mqadmin deleteTopic`): DELETE_TOPIC_IN_BROKER on the masters of
    /// `cluster` (or, without a cluster, on every master in the topic's route), then
    /// DELETE_TOPIC_IN_NAMESRV on every name server. Returns the broker addresses.
    pub async fn delete_topic(&self, topic: &str, cluster: Option<&str>) -> Result<Vec<String>> {
        crate::validation::check_topic(topic)?;
        let masters = match cluster {
            Some(cluster) => self.cluster_masters(cluster).await?,
            None => self.route_masters(topic).await?.into_iter().map(|(_, addr)| addr).collect(),
        };
        let header = DeleteTopicRequestHeader { topic: topic.to_owned() };
        for addr in &masters {
            let request = self.request(request_code::DELETE_TOPIC_IN_BROKER, &header);
            self.broker(addr, request, "delete topic in broker").await.map_err(|e| e.with_topic(topic))?;
        }
        let header =
            DeleteTopicFromNamesrvRequestHeader { topic: topic.to_owned(), cluster_name: cluster.map(str::to_owned) };
        for addr in self.inner.namesrvs.addrs().iter() {
            let request = self.request(request_code::DELETE_TOPIC_IN_NAMESRV, &header);
            self.broker(addr, request, "delete topic in name server").await.map_err(|e| e.with_topic(topic))?;
        }
        Ok(masters)
    }

    /// GET_TOPIC_STATS_INFO from every master of the topic, merged: min / max offset and last
    /// update time per queue (`mqadmin topicStatus`), sorted by queue.
    pub async fn topic_stats(&self, topic: &str) -> Result<TopicStatsTable> {
        let header = GetTopicStatsInfoRequestHeader { topic: topic.to_owned() };
        let mut merged = TopicStatsTable::default();
        for (_, addr) in self.route_masters(topic).await? {
            let request = self.request(request_code::GET_TOPIC_STATS_INFO, &header);
            let response = self.broker(&addr, request, "topic stats").await.map_err(|e| e.with_topic(topic))?;
            let table = TopicStatsTable::decode(&response.body)?;
            merged.offset_table.extend(table.offset_table);
            if let Some(tps) = table.topic_put_tps {
                merged.topic_put_tps = Some(merged.topic_put_tps.unwrap_or(0.0) + tps);
            }
        }
        merged.offset_table.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(merged)
    }

    // --- consumer groups ----------------------------------------------------------------------

    /// The brokers that know `group`: the masters in its retry topic's route, else (a group
    /// whose retry topic is not routed yet) those of `topic`, else every master registered.
    async fn group_brokers(&self, group: &str, topic: Option<&str>) -> Result<Vec<String>> {
        crate::validation::check_group(group)?;
        match self.route_masters(&retry_topic(group)).await {
            Ok(masters) => return Ok(masters.into_iter().map(|(_, a)| a).collect()),
            Err(e) if e.kind() != ErrorKind::RouteNotFound => return Err(e),
            Err(_) => {}
        }
        if let Some(topic) = topic {
            return Ok(self.route_masters(topic).await?.into_iter().map(|(_, a)| a).collect());
        }
        let info = self.cluster_info().await?;
        let masters: BTreeSet<String> =
            info.broker_addr_table.values().filter_map(|b| b.master_addr().map(str::to_owned)).collect();
        Ok(masters.into_iter().collect())
    }

    /// GET_CONSUME_STATS from every broker of the group, merged: broker offset, consumer offset
    /// and lag per queue (`mqadmin consumerProgress`), sorted by queue. With `topic`, only that
    /// topic's queues.
    pub async fn consume_stats(&self, group: &str, topic: Option<&str>) -> Result<ConsumeStats> {
        let header = GetConsumeStatsRequestHeader { consumer_group: group.to_owned(), topic: topic.map(str::to_owned) };
        let mut merged = ConsumeStats::default();
        let mut answered = 0;
        let mut last_error = None;
        for addr in self.group_brokers(group, topic).await? {
            let request = self.request(request_code::GET_CONSUME_STATS, &header);
            match self.broker(&addr, request, "consume stats").await {
                Ok(response) => {
                    let stats = ConsumeStats::decode(&response.body)?;
                    merged.consume_tps += stats.consume_tps;
                    merged.offset_table.extend(stats.offset_table);
                    answered += 1;
                }
                // A broker that never saw the group answers an error; the others still count.
                Err(e) if e.kind() == ErrorKind::Broker => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        if answered == 0 {
            if let Some(e) = last_error {
                return Err(e);
            }
        }
        merged.offset_table.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(merged)
    }

    /// GET_CONSUMER_CONNECTION_LIST from the brokers of the group, merged (`mqadmin
    /// consumerConnection`). A Broker error with code CONSUMER_NOT_ONLINE (206) when no
    /// consumer of the group is connected, as in Java.
    pub async fn consumer_connections(&self, group: &str) -> Result<ConsumerConnection> {
        let header = GetConsumerConnectionListRequestHeader { consumer_group: group.to_owned() };
        let mut merged: Option<ConsumerConnection> = None;
        let mut last_error = None;
        for addr in self.group_brokers(group, None).await? {
            let request = self.request(request_code::GET_CONSUMER_CONNECTION_LIST, &header);
            match self.broker(&addr, request, "consumer connections").await {
                Ok(response) => {
                    let cc = ConsumerConnection::decode(&response.body)?;
                    match merged.as_mut() {
                        None => merged = Some(cc),
                        Some(m) => {
                            for c in cc.connection_set {
                                if !m.connection_set.iter().any(|x| x.client_id == c.client_id) {
                                    m.connection_set.push(c);
                                }
                            }
                            m.subscription_table.extend(cc.subscription_table);
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::Broker => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        match merged {
            Some(mut cc) if !cc.connection_set.is_empty() => {
                cc.connection_set.sort_by(|a, b| a.client_id.cmp(&b.client_id));
                Ok(cc)
            }
            _ => Err(last_error.unwrap_or_else(|| {
                Error::broker(
                    response_code::CONSUMER_NOT_ONLINE,
                    Some(format!("no consumer of group {group} is online")),
                    "brokers",
                )
            })),
        }
    }

    /// GET_CONSUMER_RUNNING_INFO of one consumer client (`clientId` from
    /// [`Admin::consumer_connections`]), relayed by a broker it is connected to
    /// (`mqadmin consumerStatus`).
    pub async fn consumer_running_info(
        &self,
        group: &str,
        client_id: &str,
        jstack: bool,
    ) -> Result<ConsumerRunningInfo> {
        let header = GetConsumerRunningInfoRequestHeader {
            consumer_group: group.to_owned(),
            client_id: Some(client_id.to_owned()),
            jstack_enable: Some(jstack),
        };
        let mut last_error = None;
        for addr in self.group_brokers(group, None).await? {
            let request = self.request(request_code::GET_CONSUMER_RUNNING_INFO, &header);
            match self.broker(&addr, request, "consumer running info").await {
                Ok(response) => return Ok(ConsumerRunningInfo::decode(&response.body)?),
                Err(e) if e.kind() == ErrorKind::Broker => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error
            .unwrap_or_else(|| Error::new(ErrorKind::RouteNotFound, format!("no broker knows consumer group {group}"))))
    }
}
