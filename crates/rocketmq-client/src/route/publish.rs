//! The queues a producer may write to (`MQClientInstance.topicRouteData2TopicPublishInfo`,
//! `TopicPublishInfo.java`).

use rocketmq_remoting::body::route::TopicRouteData;
use rocketmq_remoting::message::sysflag::PermName;
use rocketmq_remoting::MessageQueue;
use std::sync::atomic::{AtomicU32, Ordering};

/// Writable queues of a topic, in Java's order, with a round-robin cursor.
#[derive(Debug)]
pub struct TopicPublishInfo {
    queues: Vec<MessageQueue>,
    ordered: bool,
    cursor: AtomicU32,
}

impl TopicPublishInfo {
    /// Build from a route (protocol.md §5.4.1): an `orderTopicConf` wins; otherwise every
    /// writable queue set whose broker has a master, brokers sorted by name.
    pub fn from_route(topic: &str, route: &TopicRouteData) -> Self {
        let mut queues = Vec::new();
        let order_conf = route.order_topic_conf.as_deref().unwrap_or("").trim();
        let ordered = !order_conf.is_empty();
        if ordered {
            for item in order_conf.split(';') {
                if let Some((broker, count)) = item.split_once(':') {
                    let count: i32 = count.trim().parse().unwrap_or(0);
                    queues.extend((0..count).map(|id| MessageQueue::new(topic, broker.trim(), id)));
                }
            }
        } else {
            let mut datas: Vec<_> = route.queue_datas.iter().collect();
            datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
            for qd in datas {
                if !PermName::is_writeable(qd.perm) {
                    continue;
                }
                let has_master = route
                    .broker_datas
                    .iter()
                    .any(|bd| bd.broker_name == qd.broker_name && bd.broker_addrs.contains_key(&0));
                if has_master {
                    queues.extend((0..qd.write_queue_nums).map(|id| MessageQueue::new(topic, &qd.broker_name, id)));
                }
            }
        }
        TopicPublishInfo { queues, ordered, cursor: AtomicU32::new(fastrand::u32(..)) }
    }

    /// All writable queues.
    pub fn queues(&self) -> &[MessageQueue] {
        &self.queues
    }

    /// Whether the topic has an `orderTopicConf`.
    pub fn is_ordered(&self) -> bool {
        self.ordered
    }

    /// Whether there is at least one queue to write to.
    pub fn is_usable(&self) -> bool {
        !self.queues.is_empty()
    }

    /// Advance the round-robin cursor (Java `ThreadLocalIndex.incrementAndGet`, non-negative).
    pub fn next_index(&self) -> usize {
        (self.cursor.fetch_add(1, Ordering::Relaxed) & 0x7FFF_FFFF) as usize
    }

    /// The next queue in round-robin order whose broker passes `accept`, trying each queue once.
    pub fn select(&self, mut accept: impl FnMut(&MessageQueue) -> bool) -> Option<&MessageQueue> {
        let n = self.queues.len();
        for _ in 0..n {
            let mq = &self.queues[self.next_index() % n];
            if accept(mq) {
                return Some(mq);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocketmq_remoting::body::route::{BrokerData, QueueData};
    use std::collections::BTreeMap;

    fn route(brokers: &[(&str, bool, i32, i32)]) -> TopicRouteData {
        let mut r = TopicRouteData::default();
        for &(name, master, writes, perm) in brokers {
            r.queue_datas.push(QueueData {
                broker_name: name.into(),
                read_queue_nums: writes,
                write_queue_nums: writes,
                perm,
                ..Default::default()
            });
            let mut addrs = BTreeMap::new();
            addrs.insert(if master { 0 } else { 1 }, format!("{name}:1"));
            r.broker_datas.push(BrokerData { broker_name: name.into(), broker_addrs: addrs, ..Default::default() });
        }
        r
    }

    #[test]
    fn writable_queues_of_brokers_with_a_master_sorted_by_broker() {
        let info = TopicPublishInfo::from_route(
            "T",
            &route(&[("b", true, 2, 6), ("a", true, 1, 6), ("c", false, 4, 6), ("d", true, 3, 4)]),
        );
        let got: Vec<_> = info.queues().iter().map(|q| (q.broker_name.as_str(), q.queue_id)).collect();
        assert_eq!(got, vec![("a", 0), ("b", 0), ("b", 1)]);
        assert!(!info.is_ordered());
    }

    #[test]
    fn order_topic_conf_wins() {
        let mut r = route(&[("a", true, 8, 6)]);
        r.order_topic_conf = Some("a:2;b:1".into());
        let info = TopicPublishInfo::from_route("T", &r);
        assert_eq!(info.queues().len(), 3);
        assert!(info.is_ordered());
    }

    #[test]
    fn select_round_robins_and_filters() {
        let info = TopicPublishInfo::from_route("T", &route(&[("a", true, 2, 6), ("b", true, 2, 6)]));
        let mut seen = std::collections::HashSet::new();
        for _ in 0..4 {
            let q = info.select(|_| true).cloned();
            seen.insert(q);
        }
        assert_eq!(seen.len(), 4, "four selections visit all four queues");
        for _ in 0..10 {
            assert_eq!(info.select(|q| q.broker_name == "b").map(|q| q.broker_name.as_str()), Some("b"));
        }
        assert!(info.select(|_| false).is_none());
    }
}
