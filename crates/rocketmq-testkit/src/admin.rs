//! The few admin requests the testkit needs, on `rocketmq_client::admin::Admin`: topic routes
//! from one name server and topic creation on one broker. The route is decoded by
//! `rocketmq_remoting` (`TopicRouteData`, both JSON dialects) and reduced to what the testkit
//! looks at.

use std::time::Duration;

use rocketmq_client::admin::{Admin, TopicConfig};
use rocketmq_client::{ClientOptions, ErrorKind};
use rocketmq_remoting::body::TopicRouteData;

use crate::error::{Result, TestkitError, TestkitErrorKind};

/// The topic every broker with `autoCreateTopicEnable` registers; a broker listed in its route
/// has registered with that name server.
pub const TBW102: &str = rocketmq_remoting::header::AUTO_CREATE_TOPIC_KEY_TOPIC;

/// One broker entry of a topic route: its name and master (`brokerId` 0) address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteBroker {
    /// `brokerName`.
    pub name: String,
    /// `cluster`.
    pub cluster: String,
    /// `brokerAddrs["0"]`, when present.
    pub master_addr: Option<String>,
}

/// One queue entry of a topic route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteQueues {
    /// `brokerName`.
    pub broker_name: String,
    /// `readQueueNums`.
    pub read_queue_nums: i64,
    /// `writeQueueNums`.
    pub write_queue_nums: i64,
    /// `perm`.
    pub perm: i64,
}

/// The parts of `TopicRouteData` the testkit looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicRoute {
    /// `brokerDatas`.
    pub brokers: Vec<RouteBroker>,
    /// `queueDatas`.
    pub queues: Vec<RouteQueues>,
}

impl TopicRoute {
    /// Whether `name` is listed with master address `addr` and has a queue entry.
    pub fn lists(&self, name: &str, addr: &str) -> bool {
        self.brokers.iter().any(|b| b.name == name && b.master_addr.as_deref() == Some(addr))
            && self.queues.iter().any(|q| q.broker_name == name)
    }

    /// The queue entry of broker `name`.
    pub fn queues_of(&self, name: &str) -> Option<&RouteQueues> {
        self.queues.iter().find(|q| q.broker_name == name)
    }
}

fn admin(namesrv_addr: &str, timeout: Duration) -> Result<Admin> {
    let mut options = ClientOptions { request_timeout: timeout, connect_timeout: timeout, ..ClientOptions::default() };
    options.namesrv_addrs = vec![namesrv_addr.to_owned()];
    Admin::new(options).map_err(|e| {
        TestkitError::new(TestkitErrorKind::InvalidArgument, format!("bad name server address {namesrv_addr}"))
            .with_source(e)
    })
}

impl From<&TopicRouteData> for TopicRoute {
    fn from(route: &TopicRouteData) -> Self {
        TopicRoute {
            brokers: route
                .broker_datas
                .iter()
                .map(|b| RouteBroker {
                    name: b.broker_name.clone(),
                    cluster: b.cluster.clone(),
                    master_addr: b.master_addr().map(str::to_owned),
                })
                .collect(),
            queues: route
                .queue_datas
                .iter()
                .map(|q| RouteQueues {
                    broker_name: q.broker_name.clone(),
                    read_queue_nums: i64::from(q.read_queue_nums),
                    write_queue_nums: i64::from(q.write_queue_nums),
                    perm: i64::from(q.perm),
                })
                .collect(),
        }
    }
}

/// GET_ROUTEINFO_BY_TOPIC (105) from one name server: `None` when the topic has no route.
pub async fn topic_route(namesrv_addr: &str, topic: &str, timeout: Duration) -> Result<Option<TopicRoute>> {
    match admin(namesrv_addr, timeout)?.topic_route(topic).await {
        Ok(route) => Ok(Some(TopicRoute::from(&route))),
        Err(e) if e.kind() == ErrorKind::RouteNotFound => Ok(None),
        Err(e) => Err(TestkitError::new(
            TestkitErrorKind::Protocol,
            format!("GET_ROUTEINFO_BY_TOPIC {topic} on {namesrv_addr} failed"),
        )
        .with_source(e)),
    }
}

/// UPDATE_AND_CREATE_TOPIC (17) on one broker: a normal read/write topic with `queues` read and
/// write queues.
pub async fn create_topic_on(broker_addr: &str, topic: &str, queues: i32, timeout: Duration) -> Result<()> {
    // The admin client needs a name server address only for calls that use one; this one goes
    // straight to the broker.
    admin(broker_addr, timeout)?.create_topic_on_broker(broker_addr, topic, &TopicConfig::new(queues)).await.map_err(
        |e| {
            TestkitError::new(
                TestkitErrorKind::Protocol,
                format!("UPDATE_AND_CREATE_TOPIC {topic} on {broker_addr} failed"),
            )
            .with_source(e)
        },
    )
}

/// Parse a `TopicRouteData` body (either JSON dialect) into a [`TopicRoute`].
pub fn parse_route(body: &[u8]) -> Result<TopicRoute> {
    TopicRouteData::decode(body).map(|r| TopicRoute::from(&r)).map_err(|e| {
        TestkitError::new(
            TestkitErrorKind::Protocol,
            format!("unparsable TopicRouteData: {}", String::from_utf8_lossy(body)),
        )
        .with_source(e)
    })
}
