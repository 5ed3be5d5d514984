//! Bodies of the admin requests (protocol.md §3.8): `TopicList`, `TopicStatsTable` /
//! `TopicOffset`, `ConsumeStats` / `OffsetWrapper`, `ConsumerConnection` / `Connection` and
//! `KVTable` (`remoting/protocol/body/*.java` and `remoting/protocol/admin/*.java` in 5.x,
//! `common/protocol/...` in 4.9.x).
//!
//! The two stats tables are keyed by `MessageQueue` objects, which fastjson writes as bare JSON
//! object keys; they are read with [`fastjson::parse`] and kept as pairs in body order. Encoding
//! (used by tests and fake servers) writes the same fastjson dialect a Java broker does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fastjson::{self, de_f64, de_i32, de_i64, de_mq_map, de_null_default, push_json, push_key, write_mq_map};
use super::heartbeat::{ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData};
use crate::error::Result;
use crate::queue::MessageQueue;

/// Java `TopicList`: the GET_ALL_TOPIC_LIST_FROM_NAMESERVER body (also used by
/// GET_TOPICS_BY_CLUSTER and friends).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicList {
    /// `brokerAddr`: set only by some broker-side answers.
    #[serde(rename = "brokerAddr", skip_serializing_if = "Option::is_none")]
    pub broker_addr: Option<String>,
    /// `topicList`: the topic names (a Java set; kept in body order).
    #[serde(rename = "topicList", deserialize_with = "de_null_default")]
    pub topic_list: Vec<String>,
}

impl TopicList {
    /// Decode, in either JSON dialect.
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "TopicList")
    }

    /// Encode (standard JSON).
    pub fn encode(&self) -> Vec<u8> {
        fastjson::to_vec(self)
    }
}

/// Java `TopicOffset`: one queue's offsets in a [`TopicStatsTable`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicOffset {
    /// `lastUpdateTimestamp`: store time of the newest message in the queue (ms), 0 if empty.
    #[serde(rename = "lastUpdateTimestamp", deserialize_with = "de_i64")]
    pub last_update_timestamp: i64,
    /// `maxOffset`: the next offset to be written.
    #[serde(rename = "maxOffset", deserialize_with = "de_i64")]
    pub max_offset: i64,
    /// `minOffset`: the oldest offset still stored.
    #[serde(rename = "minOffset", deserialize_with = "de_i64")]
    pub min_offset: i64,
}

/// Java `TopicStatsTable`: the GET_TOPIC_STATS_INFO body.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct TopicStatsTable {
    /// `offsetTable`: queue → offsets, in body order.
    #[serde(rename = "offsetTable", deserialize_with = "de_mq_map")]
    pub offset_table: Vec<(MessageQueue, TopicOffset)>,
    /// `topicPutTps` (5.x only; absent from 4.9.x answers).
    #[serde(rename = "topicPutTps", deserialize_with = "de_opt_f64")]
    pub topic_put_tps: Option<f64>,
}

impl TopicStatsTable {
    /// Decode (fastjson object keys accepted).
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "TopicStatsTable")
    }

    /// Encode as a Java broker does (`MessageQueue` keys unquoted, keys alphabetical).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::with_capacity(32 + self.offset_table.len() * 140);
        out.push('{');
        push_key(&mut out, "offsetTable");
        write_mq_map(&mut out, self.offset_table.iter().map(|(mq, o)| (mq, o)));
        if let Some(tps) = self.topic_put_tps {
            out.push(',');
            push_key(&mut out, "topicPutTps");
            push_json(&mut out, &tps);
        }
        out.push('}');
        out.into_bytes()
    }
}

/// Java `OffsetWrapper`: one queue's progress in [`ConsumeStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OffsetWrapper {
    /// `brokerOffset`: the queue's max offset on the broker.
    #[serde(rename = "brokerOffset", deserialize_with = "de_i64")]
    pub broker_offset: i64,
    /// `consumerOffset`: the group's committed offset.
    #[serde(rename = "consumerOffset", deserialize_with = "de_i64")]
    pub consumer_offset: i64,
    /// `lastTimestamp`: store time of the last consumed message (ms), 0 if none.
    #[serde(rename = "lastTimestamp", deserialize_with = "de_i64")]
    pub last_timestamp: i64,
    /// `pullOffset` (5.x only).
    #[serde(rename = "pullOffset", skip_serializing_if = "Option::is_none", deserialize_with = "de_opt_i64")]
    pub pull_offset: Option<i64>,
}

impl OffsetWrapper {
    /// Messages not consumed yet (`brokerOffset - consumerOffset`, never negative).
    pub fn lag(&self) -> i64 {
        (self.broker_offset - self.consumer_offset).max(0)
    }
}

/// Java `ConsumeStats`: the GET_CONSUME_STATS body.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ConsumeStats {
    /// `consumeTps`.
    #[serde(rename = "consumeTps", deserialize_with = "de_f64")]
    pub consume_tps: f64,
    /// `offsetTable`: queue → progress, in body order.
    #[serde(rename = "offsetTable", deserialize_with = "de_mq_map")]
    pub offset_table: Vec<(MessageQueue, OffsetWrapper)>,
}

impl ConsumeStats {
    /// Decode (fastjson object keys accepted).
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "ConsumeStats")
    }

    /// Encode as a Java broker does.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::with_capacity(48 + self.offset_table.len() * 150);
        out.push('{');
        push_key(&mut out, "consumeTps");
        push_json(&mut out, &self.consume_tps);
        out.push(',');
        push_key(&mut out, "offsetTable");
        write_mq_map(&mut out, self.offset_table.iter().map(|(mq, o)| (mq, o)));
        out.push('}');
        out.into_bytes()
    }

    /// `ConsumeStats.computeTotalDiff`: the total lag.
    pub fn total_diff(&self) -> i64 {
        self.offset_table.iter().map(|(_, o)| o.broker_offset - o.consumer_offset).sum()
    }
}

/// Java `Connection` (in `ConsumerConnection.connectionSet`): one connected client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerConnectionEntry {
    /// `clientAddr`: the client's address as the broker sees it.
    #[serde(rename = "clientAddr", deserialize_with = "de_null_default")]
    pub client_addr: String,
    /// `clientId`.
    #[serde(rename = "clientId", deserialize_with = "de_null_default")]
    pub client_id: String,
    /// `language`: the `LanguageCode` name (`JAVA`, `RUST`, `PYTHON`...).
    #[serde(deserialize_with = "de_null_default")]
    pub language: String,
    /// `version`: the client's `MQVersion` ordinal.
    #[serde(deserialize_with = "de_i32")]
    pub version: i32,
}

/// Java `ConsumerConnection`: the GET_CONSUMER_CONNECTION_LIST body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerConnection {
    /// `connectionSet`.
    #[serde(rename = "connectionSet", deserialize_with = "de_null_default")]
    pub connection_set: Vec<ConsumerConnectionEntry>,
    /// `consumeFromWhere`.
    #[serde(rename = "consumeFromWhere", skip_serializing_if = "Option::is_none")]
    pub consume_from_where: Option<ConsumeFromWhere>,
    /// `consumeType`.
    #[serde(rename = "consumeType", skip_serializing_if = "Option::is_none")]
    pub consume_type: Option<ConsumeType>,
    /// `messageModel`.
    #[serde(rename = "messageModel", skip_serializing_if = "Option::is_none")]
    pub message_model: Option<MessageModel>,
    /// `subscriptionTable`: topic → subscription.
    #[serde(rename = "subscriptionTable", deserialize_with = "de_null_default")]
    pub subscription_table: BTreeMap<String, SubscriptionData>,
}

impl ConsumerConnection {
    /// Decode, in either JSON dialect.
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "ConsumerConnection")
    }

    /// Encode (standard JSON, fastjson key order).
    pub fn encode(&self) -> Vec<u8> {
        fastjson::to_vec(self)
    }
}

/// Java `KVTable`: the GET_BROKER_RUNTIME_INFO body (every value is a string).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KVTable {
    /// `table`.
    #[serde(deserialize_with = "de_string_map")]
    pub table: BTreeMap<String, String>,
}

impl KVTable {
    /// Decode, in either JSON dialect.
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "KVTable")
    }

    /// Encode (standard JSON).
    pub fn encode(&self) -> Vec<u8> {
        fastjson::to_vec(self)
    }
}

fn de_opt_f64<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => de_f64(v).map(Some).map_err(serde::de::Error::custom),
    }
}

fn de_opt_i64<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => de_i64(v).map(Some).map_err(serde::de::Error::custom),
    }
}

/// A string map whose values may be numbers or booleans (kept as their text) or null (empty).
fn de_string_map<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<BTreeMap<String, String>, D::Error> {
    let map = Option::<serde_json::Map<String, serde_json::Value>>::deserialize(d)?.unwrap_or_default();
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            (k, text)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_tables_round_trip_in_the_fastjson_dialect() {
        let text = r#"{"consumeTps":0.45,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":5,"consumerOffset":"3","lastTimestamp":7}}}"#;
        let stats = ConsumeStats::decode(text.as_bytes()).unwrap_or_default();
        assert_eq!(stats.offset_table.len(), 1);
        let (mq, o) = &stats.offset_table[0];
        assert_eq!(mq, &MessageQueue::new("T", "b", 0));
        assert_eq!((o.broker_offset, o.consumer_offset, o.lag(), o.pull_offset), (5, 3, 2, None));
        assert_eq!(stats.total_diff(), 2);
        let again = String::from_utf8(stats.encode()).unwrap_or_default();
        assert_eq!(again, text.replace("\"3\"", "3"));

        let text = r#"{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:{"lastUpdateTimestamp":9,"maxOffset":4,"minOffset":0}}}"#;
        let table = TopicStatsTable::decode(text.as_bytes()).unwrap_or_default();
        assert_eq!(table.offset_table[0].1, TopicOffset { last_update_timestamp: 9, max_offset: 4, min_offset: 0 });
        assert_eq!(table.topic_put_tps, None);
        assert_eq!(String::from_utf8(table.encode()).unwrap_or_default(), text);
    }

    #[test]
    fn kv_table_keeps_non_string_values_as_text() {
        let kv = KVTable::decode(br#"{"table":{"a":"1","b":2,"c":null,"d":true}}"#).unwrap_or_default();
        let got: Vec<(&str, &str)> = kv.table.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, [("a", "1"), ("b", "2"), ("c", ""), ("d", "true")]);
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert!(ConsumeStats::decode(b"{\"offsetTable\":{{\"x\":").is_err());
        assert!(TopicList::decode(b"[1]").is_err());
        assert!(ConsumerConnection::decode(b"{\"connectionSet\":3}").is_err());
    }
}
