//! Route bodies from the name server (protocol.md §2.3): `TopicRouteData`, `QueueData`,
//! `BrokerData` (`common/protocol/route/*.java` in 4.9.x, `remoting/protocol/route/*.java` in
//! 5.x) and `ClusterInfo` (`…/protocol/body/ClusterInfo.java`).
//!
//! Decoding accepts both dialects: standard JSON (`"0"` keys, what a name server sends to a
//! request with `version >= 401`) and plain fastjson (`{0:"…"}`, older request versions and
//! always for `ClusterInfo`). Unknown keys are ignored and missing keys take their defaults, as
//! Java's reader does. Encoding writes the standard dialect with fastjson's key order.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fastjson::{self, de_bool, de_i32, de_null_default};
use crate::error::Result;

/// Broker id of a master in `BrokerData.brokerAddrs` (Java `MixAll.MASTER_ID`).
pub const MASTER_ID: i64 = 0;

/// Java `TopicRouteData`: which brokers serve a topic and with how many queues.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicRouteData {
    /// `brokerDatas`: the brokers (master and slave addresses) that serve the topic.
    #[serde(rename = "brokerDatas", deserialize_with = "de_null_default")]
    pub broker_datas: Vec<BrokerData>,
    /// `filterServerTable`: broker address → filter server addresses (legacy, normally empty).
    #[serde(rename = "filterServerTable", deserialize_with = "de_null_default")]
    pub filter_server_table: BTreeMap<String, Vec<String>>,
    /// `orderTopicConf`: `"brokerA:4;brokerB:4"`, set only when the name server keeps order
    /// configuration for the topic.
    #[serde(rename = "orderTopicConf", skip_serializing_if = "Option::is_none")]
    pub order_topic_conf: Option<String>,
    /// `queueDatas`: queue counts and permissions per broker name.
    #[serde(rename = "queueDatas", deserialize_with = "de_null_default")]
    pub queue_datas: Vec<QueueData>,
    /// `topicQueueMappingByBroker` (5.x static topics): kept as raw JSON, not interpreted.
    #[serde(rename = "topicQueueMappingByBroker", skip_serializing_if = "Option::is_none")]
    pub topic_queue_mapping_by_broker: Option<Value>,
}

impl TopicRouteData {
    /// Decode a GET_ROUTEINFO_BY_TOPIC body, in either JSON dialect.
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "TopicRouteData")
    }

    /// Encode in the standard dialect (quoted keys, fastjson's alphabetical key order), as a
    /// name server answers a client whose request version is at least 401.
    pub fn encode(&self) -> Vec<u8> {
        fastjson::to_vec(self)
    }

    /// A copy with `queueDatas` and `brokerDatas` sorted, as Java does before comparing an old
    /// and a new route (`MQClientInstance.topicRouteDataIsChange`): two routes describe the same
    /// thing exactly when their sorted copies are equal (see [`TopicRouteData::is_same_route`]).
    pub fn sorted(&self) -> Self {
        let mut copy = self.clone();
        copy.queue_datas.sort_by(|a, b| {
            (&a.broker_name, a.read_queue_nums, a.write_queue_nums, a.perm, a.topic_sys_flag).cmp(&(
                &b.broker_name,
                b.read_queue_nums,
                b.write_queue_nums,
                b.perm,
                b.topic_sys_flag,
            ))
        });
        copy.broker_datas.sort_by(|a, b| {
            (&a.broker_name, &a.cluster, &a.broker_addrs, &a.zone_name, a.enable_acting_master).cmp(&(
                &b.broker_name,
                &b.cluster,
                &b.broker_addrs,
                &b.zone_name,
                b.enable_acting_master,
            ))
        });
        for servers in copy.filter_server_table.values_mut() {
            servers.sort();
        }
        copy
    }

    /// Whether `self` and `other` are the same route, ignoring the order of queue and broker
    /// data. Used to decide whether a polled route changed.
    pub fn is_same_route(&self, other: &TopicRouteData) -> bool {
        self.sorted() == other.sorted()
    }

    /// The broker data of `broker_name`, if this route has it.
    pub fn broker_data(&self, broker_name: &str) -> Option<&BrokerData> {
        self.broker_datas.iter().find(|b| b.broker_name == broker_name)
    }
}

/// Java `QueueData`: the queues of a topic on one broker name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "QueueDataWire")]
pub struct QueueData {
    /// `brokerName`.
    #[serde(rename = "brokerName")]
    pub broker_name: String,
    /// `perm`: permission bits (protocol.md §3.3.3: 2 = write, 4 = read, 1 = inherit).
    pub perm: i32,
    /// `readQueueNums`: how many queues consumers read.
    #[serde(rename = "readQueueNums")]
    pub read_queue_nums: i32,
    /// `topicSysFlag` (spelled `topicSynFlag` by servers before 4.9.0; both are read).
    #[serde(rename = "topicSysFlag")]
    pub topic_sys_flag: i32,
    /// `writeQueueNums`: how many queues producers write.
    #[serde(rename = "writeQueueNums")]
    pub write_queue_nums: i32,
}

/// What a `QueueData` looks like on input: both spellings of the system flag are accepted.
#[derive(Deserialize, Default)]
#[serde(default)]
struct QueueDataWire {
    #[serde(rename = "brokerName", deserialize_with = "de_null_default")]
    broker_name: String,
    #[serde(deserialize_with = "de_i32")]
    perm: i32,
    #[serde(rename = "readQueueNums", deserialize_with = "de_i32")]
    read_queue_nums: i32,
    #[serde(rename = "writeQueueNums", deserialize_with = "de_i32")]
    write_queue_nums: i32,
    #[serde(rename = "topicSysFlag")]
    topic_sys_flag: Option<Value>,
    #[serde(rename = "topicSynFlag")]
    topic_syn_flag: Option<Value>,
}

impl From<QueueDataWire> for QueueData {
    fn from(w: QueueDataWire) -> Self {
        let flag = |v: &Option<Value>| v.as_ref().and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()));
        let topic_sys_flag = flag(&w.topic_sys_flag)
            .or_else(|| flag(&w.topic_syn_flag))
            .and_then(|n| i32::try_from(n).ok())
            .unwrap_or(0);
        QueueData {
            broker_name: w.broker_name,
            perm: w.perm,
            read_queue_nums: w.read_queue_nums,
            topic_sys_flag,
            write_queue_nums: w.write_queue_nums,
        }
    }
}

/// Java `BrokerData`: one broker name (a master and its slaves) and its addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BrokerData {
    /// `brokerAddrs`: broker id → `"ip:port"`; id 0 is the master, 1.. are slaves.
    #[serde(rename = "brokerAddrs", deserialize_with = "de_null_default")]
    pub broker_addrs: BTreeMap<i64, String>,
    /// `brokerName`.
    #[serde(rename = "brokerName", deserialize_with = "de_null_default")]
    pub broker_name: String,
    /// `cluster`: the cluster name.
    #[serde(deserialize_with = "de_null_default")]
    pub cluster: String,
    /// `enableActingMaster` (5.x): a slave may act as master when the master is down.
    #[serde(rename = "enableActingMaster", deserialize_with = "de_bool")]
    pub enable_acting_master: bool,
    /// `zoneName` (5.x, optional).
    #[serde(rename = "zoneName", skip_serializing_if = "Option::is_none")]
    pub zone_name: Option<String>,
}

impl BrokerData {
    /// The master's address (`brokerAddrs[0]`), if the master is registered.
    pub fn master_addr(&self) -> Option<&str> {
        self.broker_addrs.get(&MASTER_ID).map(String::as_str)
    }

    /// Java `selectBrokerAddr`: the master's address, else a random slave's; `None` when no
    /// address is registered at all.
    pub fn select_addr(&self) -> Option<&str> {
        if let Some(master) = self.master_addr() {
            return Some(master);
        }
        if self.broker_addrs.is_empty() {
            return None;
        }
        self.broker_addrs.values().nth(fastrand::usize(..self.broker_addrs.len())).map(String::as_str)
    }
}

/// Java `ClusterInfo` (GET_BROKER_CLUSTER_INFO body; always plain fastjson, so `brokerAddrs`
/// keys arrive unquoted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterInfo {
    /// `brokerAddrTable`: broker name → broker data.
    #[serde(rename = "brokerAddrTable", deserialize_with = "de_null_default")]
    pub broker_addr_table: BTreeMap<String, BrokerData>,
    /// `clusterAddrTable`: cluster name → broker names.
    #[serde(rename = "clusterAddrTable", deserialize_with = "de_null_default")]
    pub cluster_addr_table: BTreeMap<String, BTreeSet<String>>,
}

impl ClusterInfo {
    /// Decode a GET_BROKER_CLUSTER_INFO body, in either JSON dialect.
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "ClusterInfo")
    }

    /// Encode in the standard dialect (quoted keys).
    pub fn encode(&self) -> Vec<u8> {
        fastjson::to_vec(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD_DIALECT: &str = r#"{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-b","cluster":"DefaultCluster"},{"brokerAddrs":{0:"10.0.0.3:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":true,"zoneName":"z1"}],"filterServerTable":{},"orderTopicConf":"broker-a:4","queueDatas":[{"brokerName":"broker-b","perm":6,"readQueueNums":4,"topicSynFlag":0,"writeQueueNums":4},{"brokerName":"broker-a","perm":4,"readQueueNums":8,"topicSynFlag":3,"writeQueueNums":2}],"someFutureKey":[1,2]}"#;

    fn old_route() -> TopicRouteData {
        TopicRouteData::decode(OLD_DIALECT.as_bytes()).unwrap_or_default()
    }

    #[test]
    fn decodes_unquoted_numeric_keys_and_topic_syn_flag() {
        let route = old_route();
        assert_eq!(route.order_topic_conf.as_deref(), Some("broker-a:4"));
        assert_eq!(route.broker_datas.len(), 2);
        let b = route.broker_data("broker-b").cloned().unwrap_or_default();
        assert_eq!(b.cluster, "DefaultCluster");
        assert_eq!(b.broker_addrs.get(&1).map(String::as_str), Some("10.0.0.2:10911"));
        assert_eq!(b.master_addr(), Some("10.0.0.1:10911"));
        assert!(!b.enable_acting_master);
        assert_eq!(b.zone_name, None);
        let a = route.broker_data("broker-a").cloned().unwrap_or_default();
        assert!(a.enable_acting_master);
        assert_eq!(a.zone_name.as_deref(), Some("z1"));
        assert_eq!(
            route.queue_datas.get(1),
            Some(&QueueData {
                broker_name: "broker-a".into(),
                perm: 4,
                read_queue_nums: 8,
                topic_sys_flag: 3,
                write_queue_nums: 2
            })
        );
    }

    #[test]
    fn standard_dialect_round_trips_with_java_key_order() {
        let route = old_route();
        let encoded = String::from_utf8(route.encode()).unwrap_or_default();
        assert!(encoded.starts_with(r#"{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"broker-b","cluster":"DefaultCluster","enableActingMaster":false}"#), "{encoded}");
        assert!(encoded.contains(r#""queueDatas":[{"brokerName":"broker-b","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}"#), "{encoded}");
        assert!(!encoded.contains("topicQueueMappingByBroker"));
        assert_eq!(TopicRouteData::decode(encoded.as_bytes()).ok(), Some(route));
    }

    #[test]
    fn missing_and_null_keys_default() {
        let route = TopicRouteData::decode(br#"{"queueDatas":[{"brokerName":"b","perm":"6"}],"brokerDatas":null,"topicQueueMappingByBroker":{"b":{"x":1}}}"#);
        let route = route.unwrap_or_default();
        assert!(route.broker_datas.is_empty());
        assert!(route.filter_server_table.is_empty());
        assert_eq!(route.queue_datas.first().map(|q| (q.perm, q.read_queue_nums, q.topic_sys_flag)), Some((6, 0, 0)));
        assert!(route.topic_queue_mapping_by_broker.is_some());
        assert!(TopicRouteData::decode(b"{}").is_ok());
        // Repeated keys: the last one wins, as in fastjson.
        let twice = TopicRouteData::decode(
            br#"{"queueDatas":[],"queueDatas":[{"brokerName":"b","topicSysFlag":1,"topicSysFlag":2}]}"#,
        );
        assert_eq!(twice.ok().and_then(|r| r.queue_datas.first().map(|q| q.topic_sys_flag)), Some(2));
        assert!(TopicRouteData::decode(b"[]").is_err());
        assert!(TopicRouteData::decode(br#"{"queueDatas":[{"perm":true}]}"#).is_err());
    }

    #[test]
    fn same_route_ignores_order_but_not_content() {
        let route = old_route();
        let mut shuffled = route.clone();
        shuffled.queue_datas.reverse();
        shuffled.broker_datas.reverse();
        assert_ne!(route, shuffled);
        assert!(route.is_same_route(&shuffled));
        assert_eq!(route.sorted().broker_datas.first().map(|b| b.broker_name.as_str()), Some("broker-a"));
        let mut changed = shuffled.clone();
        if let Some(q) = changed.queue_datas.first_mut() {
            q.write_queue_nums += 1;
        }
        assert!(!route.is_same_route(&changed));
        let mut moved = shuffled;
        if let Some(b) = moved.broker_datas.first_mut() {
            b.broker_addrs.insert(0, "10.9.9.9:10911".into());
        }
        assert!(!route.is_same_route(&moved));
    }

    #[test]
    fn select_addr_prefers_master_then_any_slave() {
        let mut b = BrokerData { broker_name: "b".into(), ..BrokerData::default() };
        assert_eq!(b.select_addr(), None);
        assert_eq!(b.master_addr(), None);
        b.broker_addrs.insert(1, "s1".into());
        b.broker_addrs.insert(2, "s2".into());
        for _ in 0..50 {
            assert!(matches!(b.select_addr(), Some("s1" | "s2")));
        }
        assert_eq!(b.master_addr(), None);
        b.broker_addrs.insert(0, "m".into());
        assert_eq!(b.select_addr(), Some("m"));
    }

    #[test]
    fn cluster_info_with_unquoted_keys() {
        let body = br#"{"brokerAddrTable":{"broker-golden":{"brokerAddrs":{0:"127.0.0.1:60911"},"brokerName":"broker-golden","cluster":"GoldenCluster"}},"clusterAddrTable":{"GoldenCluster":["broker-golden"]}}"#;
        let info = ClusterInfo::decode(body).unwrap_or_default();
        let b = info.broker_addr_table.get("broker-golden").cloned().unwrap_or_default();
        assert_eq!(b.master_addr(), Some("127.0.0.1:60911"));
        assert_eq!(b.cluster, "GoldenCluster");
        assert_eq!(
            info.cluster_addr_table.get("GoldenCluster").map(|s| s.iter().cloned().collect::<Vec<_>>()),
            Some(vec!["broker-golden".to_string()])
        );
        assert_eq!(ClusterInfo::decode(&info.encode()).ok(), Some(info));
    }
}
