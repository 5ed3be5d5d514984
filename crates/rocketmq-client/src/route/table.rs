//! Routes known to one client: topic → route and publish queues, broker name → addresses.

use rocketmq_remoting::body::route::TopicRouteData;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::publish::TopicPublishInfo;

#[derive(Debug)]
struct TopicEntry {
    route: Arc<TopicRouteData>,
    publish: Arc<TopicPublishInfo>,
    /// Derived from the default topic (TBW102) because the name server did not know the topic yet.
    from_default_topic: bool,
}

/// The route cache. Reads are frequent (every send), writes rare (refresh every 30 s).
#[derive(Debug, Default)]
pub struct RouteTable {
    topics: RwLock<HashMap<String, TopicEntry>>,
    brokers: RwLock<HashMap<String, BTreeMap<i64, String>>>,
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

/// What an update changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RouteUpdate {
    /// The topic's route differs from the cached one (or is new).
    pub changed: bool,
    /// Broker addresses this client had not seen before.
    pub new_broker_addrs: Vec<String>,
}

impl RouteTable {
    /// Store `route` for `topic`.
    pub fn update(&self, topic: &str, route: TopicRouteData, from_default_topic: bool) -> RouteUpdate {
        let mut update = RouteUpdate::default();
        {
            let mut brokers = write(&self.brokers);
            for bd in &route.broker_datas {
                let known = brokers.entry(bd.broker_name.clone()).or_default();
                for (id, addr) in &bd.broker_addrs {
                    if !known.values().any(|a| a == addr) && !update.new_broker_addrs.contains(addr) {
                        update.new_broker_addrs.push(addr.clone());
                    }
                    known.insert(*id, addr.clone());
                }
                // Ids the name server no longer lists (a dead slave, a replaced master) go.
                known.retain(|id, _| bd.broker_addrs.contains_key(id));
            }
        }
        let mut topics = write(&self.topics);
        update.changed = topics
            .get(topic)
            .is_none_or(|old| old.from_default_topic != from_default_topic || !old.route.is_same_route(&route));
        if update.changed {
            let publish = Arc::new(TopicPublishInfo::from_route(topic, &route));
            topics.insert(topic.to_owned(), TopicEntry { route: Arc::new(route), publish, from_default_topic });
        }
        update
    }

    /// The publish queues of `topic`, if its route is cached.
    pub fn publish_info(&self, topic: &str) -> Option<Arc<TopicPublishInfo>> {
        read(&self.topics).get(topic).map(|e| e.publish.clone())
    }

    /// The cached route of `topic`.
    pub fn route(&self, topic: &str) -> Option<Arc<TopicRouteData>> {
        read(&self.topics).get(topic).map(|e| e.route.clone())
    }

    /// Whether the cached route of `topic` came from the default topic.
    pub fn is_from_default_topic(&self, topic: &str) -> bool {
        read(&self.topics).get(topic).is_some_and(|e| e.from_default_topic)
    }

    /// Topics with a cached route.
    pub fn topics(&self) -> Vec<String> {
        read(&self.topics).keys().cloned().collect()
    }

    /// The master (id 0) address of `broker_name`.
    pub fn master_addr(&self, broker_name: &str) -> Option<String> {
        read(&self.brokers).get(broker_name).and_then(|addrs| addrs.get(&0)).cloned()
    }

    /// Every known broker address, with whether it is a master.
    pub fn broker_addrs(&self) -> Vec<(String, bool)> {
        read(&self.brokers).values().flat_map(|addrs| addrs.iter().map(|(id, addr)| (addr.clone(), *id == 0))).collect()
    }

    /// The name of the broker at `addr`.
    pub fn broker_name_of(&self, addr: &str) -> Option<String> {
        read(&self.brokers).iter().find(|(_, addrs)| addrs.values().any(|a| a == addr)).map(|(name, _)| name.clone())
    }
}
