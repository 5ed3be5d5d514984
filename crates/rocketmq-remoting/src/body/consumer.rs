//! Consumer bodies (protocol.md §2.6, §2.7.4, §2.8, §5.10.2): the consumer list, batch
//! lock/unlock, offset reset, consumer status and running info, consume-directly results, the
//! client-config check, and the local offset file. Java classes live in
//! `common/protocol/body/` (4.9.x) or `remoting/protocol/body/` (5.x) unless noted.
//!
//! Bodies that Java peers parse with fastjson and that contain `MessageQueue`-keyed maps
//! ([`ConsumerRunningInfo`], [`GetConsumerStatusBody`], [`ResetOffsetBody`],
//! [`OffsetSerializeWrapper`]) are written in fastjson style, with object keys unquoted. All
//! decoders accept both fastjson and standard JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fastjson::{
    self, de_bool, de_f64, de_i32, de_i64, de_mq_map, de_mq_vec, de_null_default, lenient_i64, mq_from_key,
    mq_from_value, push_json, push_key, ser_mq_vec, write_mq_map,
};
use super::heartbeat::SubscriptionData;
use crate::error::{Error, Result};
use crate::queue::MessageQueue;

/// Java `GetConsumerListByGroupResponseBody` (`…/protocol/header/`): the GET_CONSUMER_LIST_BY_GROUP
/// response body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerListBody {
    /// `consumerIdList`: the client ids of the group's live consumers.
    #[serde(rename = "consumerIdList", deserialize_with = "de_null_default")]
    pub consumer_id_list: Vec<String>,
}

impl ConsumerListBody {
    /// Decode the response body.
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "GetConsumerListByGroupResponseBody")
    }

    /// Encode as Java does.
    pub fn encode(&self) -> Vec<u8> {
        fastjson::to_vec(self)
    }
}

/// Java `LockBatchRequestBody`: the LOCK_BATCH_MQ request body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LockBatchRequestBody {
    /// `clientId`.
    #[serde(rename = "clientId", deserialize_with = "de_null_default")]
    pub client_id: String,
    /// `consumerGroup`.
    #[serde(rename = "consumerGroup", deserialize_with = "de_null_default")]
    pub consumer_group: String,
    /// `mqSet`: the queues to lock.
    #[serde(rename = "mqSet", deserialize_with = "de_mq_vec", serialize_with = "ser_mq_vec")]
    pub mq_set: Vec<MessageQueue>,
    /// `onlyThisBroker` (5.x; 4.9.x brokers ignore it). Clients send false.
    #[serde(rename = "onlyThisBroker", deserialize_with = "de_bool")]
    pub only_this_broker: bool,
}

impl LockBatchRequestBody {
    /// Encode with Java's keys and key order.
    pub fn encode(&self) -> Vec<u8> {
        fastjson::to_vec(self)
    }

    /// Decode a request body.
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "LockBatchRequestBody")
    }
}

/// Java `UnlockBatchRequestBody`: the UNLOCK_BATCH_MQ request body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnlockBatchRequestBody {
    /// `clientId`.
    #[serde(rename = "clientId", deserialize_with = "de_null_default")]
    pub client_id: String,
    /// `consumerGroup`.
    #[serde(rename = "consumerGroup", deserialize_with = "de_null_default")]
    pub consumer_group: String,
    /// `mqSet`: the queues to unlock.
    #[serde(rename = "mqSet", deserialize_with = "de_mq_vec", serialize_with = "ser_mq_vec")]
    pub mq_set: Vec<MessageQueue>,
    /// `onlyThisBroker` (5.x; 4.9.x brokers ignore it). Clients send false.
    #[serde(rename = "onlyThisBroker", deserialize_with = "de_bool")]
    pub only_this_broker: bool,
}

impl UnlockBatchRequestBody {
    /// Encode with Java's keys and key order.
    pub fn encode(&self) -> Vec<u8> {
        fastjson::to_vec(self)
    }

    /// Decode a request body.
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "UnlockBatchRequestBody")
    }
}

/// Java `LockBatchResponseBody`: the queues the broker actually locked for this client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LockBatchResponseBody {
    /// `lockOKMQSet`.
    #[serde(rename = "lockOKMQSet", deserialize_with = "de_mq_vec", serialize_with = "ser_mq_vec")]
    pub lock_ok_mq_set: Vec<MessageQueue>,
}

impl LockBatchResponseBody {
    /// Decode the LOCK_BATCH_MQ response body.
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "LockBatchResponseBody")
    }

    /// Encode as Java does.
    pub fn encode(&self) -> Vec<u8> {
        fastjson::to_vec(self)
    }
}

/// Read an `offsetTable` in any of its forms: a fastjson `MessageQueue`-keyed map (Java
/// `ResetOffsetBody`, `OffsetSerializeWrapper`) or a list of `{brokerName,queueId,topic,offset}`
/// (Java `ResetOffsetBodyForC` with `MessageQueueForC`). Null or missing is empty.
fn offset_table_from_value(table: Option<Value>) -> Result<Vec<(MessageQueue, i64)>> {
    match table {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => map
            .into_iter()
            .map(|(key, value)| {
                let mq = mq_from_key(&key)?;
                let offset =
                    lenient_i64(&value).ok_or_else(|| Error::protocol(format!("bad offset {value} for {mq}")))?;
                Ok((mq, offset))
            })
            .collect(),
        Some(Value::Array(list)) => list
            .into_iter()
            .map(|item| {
                let offset = lenient_i64(item.get("offset").unwrap_or(&Value::Null))
                    .ok_or_else(|| Error::protocol("bad offset in offsetTable list"))?;
                Ok((mq_from_value(item)?, offset))
            })
            .collect(),
        Some(other) => Err(Error::protocol(format!("offsetTable is neither a map nor a list: {other}"))),
    }
}

/// Decode `{"offsetTable": …}` (see [`offset_table_from_value`]).
fn decode_offset_table(body: &[u8], what: &str) -> Result<Vec<(MessageQueue, i64)>> {
    let value = fastjson::parse_value(body)?;
    let Value::Object(mut top) = value else {
        return Err(Error::protocol(format!("{what} body is not a JSON object")));
    };
    offset_table_from_value(top.remove("offsetTable"))
        .map_err(|e| Error::protocol(format!("malformed {what} body: {}", e.message())))
}

/// `{"offsetTable":{<MessageQueue>:<offset>,…}}` in fastjson style.
fn encode_offset_table(table: &[(MessageQueue, i64)]) -> Vec<u8> {
    let mut out = String::with_capacity(32 + table.len() * 80);
    out.push('{');
    push_key(&mut out, "offsetTable");
    write_mq_map(&mut out, table.iter().map(|(mq, offset)| (mq, offset)));
    out.push('}');
    out.into_bytes()
}

/// Java `ResetOffsetBody` (and `ResetOffsetBodyForC`): the RESET_CONSUMER_CLIENT_OFFSET body,
/// the offsets a consumer must jump to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetOffsetBody {
    /// `offsetTable`: queue → new offset, in body order.
    pub offset_table: Vec<(MessageQueue, i64)>,
}

impl ResetOffsetBody {
    /// Decode either the fastjson map form (`{"offsetTable":{{"brokerName":…}:120}}`) or the
    /// `ResetOffsetBodyForC` list form (`{"offsetTable":[{"brokerName":…,"offset":120}]}`).
    pub fn decode(body: &[u8]) -> Result<Self> {
        Ok(ResetOffsetBody { offset_table: decode_offset_table(body, "ResetOffsetBody")? })
    }

    /// Encode the map form in fastjson style, as a Java broker sends it.
    pub fn encode(&self) -> Vec<u8> {
        encode_offset_table(&self.offset_table)
    }
}

/// Java `OffsetSerializeWrapper` (`client/consumer/store/OffsetSerializeWrapper.java`): the
/// content of a broadcasting consumer's local offset file (protocol.md §5.10.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffsetSerializeWrapper {
    /// `offsetTable`: queue → consume offset.
    pub offset_table: Vec<(MessageQueue, i64)>,
}

impl OffsetSerializeWrapper {
    /// Encode in fastjson style (object keys), compact, so Java's `LocalFileOffsetStore` and
    /// tools can read the file. (Java itself writes it pretty-printed; both parse the same.)
    pub fn encode(&self) -> Vec<u8> {
        encode_offset_table(&self.offset_table)
    }

    /// Decode a file written by Java (pretty-printed fastjson) or by [`Self::encode`].
    pub fn decode(body: &[u8]) -> Result<Self> {
        Ok(OffsetSerializeWrapper { offset_table: decode_offset_table(body, "OffsetSerializeWrapper")? })
    }
}

/// Java `GetConsumerStatusBody`: the GET_CONSUMER_STATUS_FROM_CLIENT reply (deprecated request).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetConsumerStatusBody {
    /// `messageQueueTable`: queue → consume offset of this client.
    pub message_queue_table: Vec<(MessageQueue, i64)>,
    /// `consumerTable`: client id → (queue → offset); empty in a client's reply.
    pub consumer_table: BTreeMap<String, Vec<(MessageQueue, i64)>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GetConsumerStatusWire {
    #[serde(rename = "messageQueueTable")]
    message_queue_table: Option<Value>,
    #[serde(rename = "consumerTable", deserialize_with = "de_null_default")]
    consumer_table: BTreeMap<String, Value>,
}

impl GetConsumerStatusBody {
    /// Encode in fastjson style (`MessageQueue` keys as objects), keys in Java order.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::with_capacity(64 + self.message_queue_table.len() * 80);
        out.push('{');
        push_key(&mut out, "consumerTable");
        out.push('{');
        for (i, (client, table)) in self.consumer_table.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_key(&mut out, client);
            write_mq_map(&mut out, table.iter().map(|(mq, offset)| (mq, offset)));
        }
        out.push_str("},");
        push_key(&mut out, "messageQueueTable");
        write_mq_map(&mut out, self.message_queue_table.iter().map(|(mq, offset)| (mq, offset)));
        out.push('}');
        out.into_bytes()
    }

    /// Decode (fastjson or standard JSON).
    pub fn decode(body: &[u8]) -> Result<Self> {
        let wire: GetConsumerStatusWire = fastjson::parse(body, "GetConsumerStatusBody")?;
        let message_queue_table = offset_table_from_value(wire.message_queue_table)?;
        let consumer_table = wire
            .consumer_table
            .into_iter()
            .map(|(client, table)| Ok((client, offset_table_from_value(Some(table))?)))
            .collect::<Result<_>>()?;
        Ok(GetConsumerStatusBody { message_queue_table, consumer_table })
    }
}

/// Java `ProcessQueueInfo`: the state of one queue's process queue in a running consumer.
/// Keys are written in fastjson order; `droped` keeps Java's spelling on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProcessQueueInfo {
    /// `cachedMsgCount`: messages pulled and not yet consumed.
    #[serde(rename = "cachedMsgCount", deserialize_with = "de_i32")]
    pub cached_msg_count: i32,
    /// `cachedMsgMaxOffset`.
    #[serde(rename = "cachedMsgMaxOffset", deserialize_with = "de_i64")]
    pub cached_msg_max_offset: i64,
    /// `cachedMsgMinOffset`.
    #[serde(rename = "cachedMsgMinOffset", deserialize_with = "de_i64")]
    pub cached_msg_min_offset: i64,
    /// `cachedMsgSizeInMiB`.
    #[serde(rename = "cachedMsgSizeInMiB", deserialize_with = "de_i32")]
    pub cached_msg_size_in_mib: i32,
    /// `commitOffset`: the consume offset in memory.
    #[serde(rename = "commitOffset", deserialize_with = "de_i64")]
    pub commit_offset: i64,
    /// `droped` (sic): the process queue was dropped by rebalance.
    #[serde(rename = "droped", deserialize_with = "de_bool")]
    pub dropped: bool,
    /// `lastConsumeTimestamp` (ms).
    #[serde(rename = "lastConsumeTimestamp", deserialize_with = "de_i64")]
    pub last_consume_timestamp: i64,
    /// `lastLockTimestamp` (ms).
    #[serde(rename = "lastLockTimestamp", deserialize_with = "de_i64")]
    pub last_lock_timestamp: i64,
    /// `lastPullTimestamp` (ms).
    #[serde(rename = "lastPullTimestamp", deserialize_with = "de_i64")]
    pub last_pull_timestamp: i64,
    /// `locked`: orderly consumption holds the broker lock.
    #[serde(deserialize_with = "de_bool")]
    pub locked: bool,
    /// `transactionMsgCount` (orderly consumption: messages taken but not committed).
    #[serde(rename = "transactionMsgCount", deserialize_with = "de_i32")]
    pub transaction_msg_count: i32,
    /// `transactionMsgMaxOffset`.
    #[serde(rename = "transactionMsgMaxOffset", deserialize_with = "de_i64")]
    pub transaction_msg_max_offset: i64,
    /// `transactionMsgMinOffset`.
    #[serde(rename = "transactionMsgMinOffset", deserialize_with = "de_i64")]
    pub transaction_msg_min_offset: i64,
    /// `tryUnlockTimes`.
    #[serde(rename = "tryUnlockTimes", deserialize_with = "de_i64")]
    pub try_unlock_times: i64,
}

/// Java `ConsumeStatus`: pull and consume statistics of one topic.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumeStatus {
    /// `consumeFailedMsgs`: failed messages in the last hour.
    #[serde(rename = "consumeFailedMsgs", deserialize_with = "de_i64")]
    pub consume_failed_msgs: i64,
    /// `consumeFailedTPS`.
    #[serde(rename = "consumeFailedTPS", deserialize_with = "de_f64")]
    pub consume_failed_tps: f64,
    /// `consumeOKTPS`.
    #[serde(rename = "consumeOKTPS", deserialize_with = "de_f64")]
    pub consume_ok_tps: f64,
    /// `consumeRT`: average consume time (ms).
    #[serde(rename = "consumeRT", deserialize_with = "de_f64")]
    pub consume_rt: f64,
    /// `pullRT`: average pull round trip (ms).
    #[serde(rename = "pullRT", deserialize_with = "de_f64")]
    pub pull_rt: f64,
    /// `pullTPS`.
    #[serde(rename = "pullTPS", deserialize_with = "de_f64")]
    pub pull_tps: f64,
}

/// Java `ConsumerRunningInfo`: the GET_CONSUMER_RUNNING_INFO reply, shown by
/// `mqadmin consumerStatus`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsumerRunningInfo {
    /// `properties`: the consumer's configuration as strings plus the `PROP_*` keys.
    pub properties: BTreeMap<String, String>,
    /// `subscriptionSet` (a Java `TreeSet`, written sorted by `topic@subString`).
    pub subscription_set: Vec<SubscriptionData>,
    /// `mqTable` (a Java `TreeMap`, written sorted by queue).
    pub mq_table: Vec<(MessageQueue, ProcessQueueInfo)>,
    /// `statusTable`: topic → statistics.
    pub status_table: BTreeMap<String, ConsumeStatus>,
    /// `jstack`: thread dump text, when the request asked for it (`jstackEnable`).
    pub jstack: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConsumerRunningInfoWire {
    #[serde(deserialize_with = "de_null_default")]
    properties: BTreeMap<String, Value>,
    #[serde(rename = "subscriptionSet", deserialize_with = "de_null_default")]
    subscription_set: Vec<SubscriptionData>,
    #[serde(rename = "mqTable", deserialize_with = "de_mq_map")]
    mq_table: Vec<(MessageQueue, ProcessQueueInfo)>,
    #[serde(rename = "statusTable", deserialize_with = "de_null_default")]
    status_table: BTreeMap<String, ConsumeStatus>,
    jstack: Option<String>,
}

impl ConsumerRunningInfo {
    /// Java `PROP_NAMESERVER_ADDR`: name server addresses, each followed by `;`.
    pub const PROP_NAMESERVER_ADDR: &'static str = "PROP_NAMESERVER_ADDR";
    /// Java `PROP_THREADPOOL_CORE_SIZE`: consume thread count.
    pub const PROP_THREADPOOL_CORE_SIZE: &'static str = "PROP_THREADPOOL_CORE_SIZE";
    /// Java `PROP_CONSUME_ORDERLY`; note the value has no underscore: `"PROP_CONSUMEORDERLY"`.
    pub const PROP_CONSUME_ORDERLY: &'static str = "PROP_CONSUMEORDERLY";
    /// Java `PROP_CONSUME_TYPE`: `CONSUME_PASSIVELY` / `CONSUME_ACTIVELY` / `CONSUME_POP`.
    pub const PROP_CONSUME_TYPE: &'static str = "PROP_CONSUME_TYPE";
    /// Java `PROP_CLIENT_VERSION`: e.g. `V4_9_4`.
    pub const PROP_CLIENT_VERSION: &'static str = "PROP_CLIENT_VERSION";
    /// Java `PROP_CONSUMER_START_TIMESTAMP`: start time in ms.
    pub const PROP_CONSUMER_START_TIMESTAMP: &'static str = "PROP_CONSUMER_START_TIMESTAMP";

    /// Encode so that Java 4.9.x/5.x `mqadmin consumerStatus` can parse it with fastjson:
    /// keys in fastjson order, `mqTable` with `MessageQueue` object keys, sorted like Java's
    /// `TreeMap`/`TreeSet`; `jstack` omitted when `None`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::with_capacity(1024 + self.mq_table.len() * 400);
        out.push('{');
        if let Some(jstack) = &self.jstack {
            push_key(&mut out, "jstack");
            push_json(&mut out, jstack);
            out.push(',');
        }
        push_key(&mut out, "mqTable");
        let mut mq_table: Vec<&(MessageQueue, ProcessQueueInfo)> = self.mq_table.iter().collect();
        mq_table.sort_by(|a, b| a.0.cmp(&b.0));
        write_mq_map(&mut out, mq_table.into_iter().map(|(mq, info)| (mq, info)));
        out.push(',');
        push_key(&mut out, "properties");
        push_json(&mut out, &self.properties);
        out.push(',');
        push_key(&mut out, "statusTable");
        push_json(&mut out, &self.status_table);
        out.push(',');
        push_key(&mut out, "subscriptionSet");
        let mut subscriptions: Vec<&SubscriptionData> = self.subscription_set.iter().collect();
        // Java SubscriptionData.compareTo compares `topic + "@" + subString`.
        subscriptions.sort_by_cached_key(|s| format!("{}@{}", s.topic, s.sub_string));
        push_json(&mut out, &subscriptions);
        out.push('}');
        out.into_bytes()
    }

    /// Decode a reply (fastjson or standard JSON). Property values that are not strings are
    /// kept as their JSON text; 5.x-only keys (`mqPopTable`, `userConsumerInfo`) are ignored.
    pub fn decode(body: &[u8]) -> Result<Self> {
        let wire: ConsumerRunningInfoWire = fastjson::parse(body, "ConsumerRunningInfo")?;
        let properties = wire
            .properties
            .into_iter()
            .map(|(key, value)| {
                let text = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (key, text)
            })
            .collect();
        Ok(ConsumerRunningInfo {
            properties,
            subscription_set: wire.subscription_set,
            mq_table: wire.mq_table,
            status_table: wire.status_table,
            jstack: wire.jstack,
        })
    }
}

/// Java `CMResult`: how a CONSUME_MESSAGE_DIRECTLY attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CMResult {
    /// `CR_SUCCESS`.
    #[serde(rename = "CR_SUCCESS")]
    CrSuccess,
    /// `CR_LATER`: the listener asked to reconsume later.
    #[serde(rename = "CR_LATER")]
    CrLater,
    /// `CR_ROLLBACK` (orderly: rollback).
    #[serde(rename = "CR_ROLLBACK")]
    CrRollback,
    /// `CR_COMMIT` (orderly: commit).
    #[serde(rename = "CR_COMMIT")]
    CrCommit,
    /// `CR_THROW_EXCEPTION`: the listener threw.
    #[serde(rename = "CR_THROW_EXCEPTION")]
    CrThrowException,
    /// `CR_RETURN_NULL`: the listener returned null.
    #[serde(rename = "CR_RETURN_NULL")]
    CrReturnNull,
}

/// Java `ConsumeMessageDirectlyResult`: the CONSUME_MESSAGE_DIRECTLY reply body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumeMessageDirectlyResult {
    /// `autoCommit` (Java default true).
    #[serde(rename = "autoCommit", deserialize_with = "de_bool")]
    pub auto_commit: bool,
    /// `consumeResult`; omitted when `None`, like a Java null.
    #[serde(rename = "consumeResult", skip_serializing_if = "Option::is_none")]
    pub consume_result: Option<CMResult>,
    /// `order`: the consumer is orderly.
    #[serde(deserialize_with = "de_bool")]
    pub order: bool,
    /// `remark`: e.g. the exception text; omitted when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// `spentTimeMills` (sic): time spent in the listener, ms.
    #[serde(rename = "spentTimeMills", deserialize_with = "de_i64")]
    pub spent_time_mills: i64,
}

impl Default for ConsumeMessageDirectlyResult {
    fn default() -> Self {
        ConsumeMessageDirectlyResult {
            auto_commit: true,
            consume_result: None,
            order: false,
            remark: None,
            spent_time_mills: 0,
        }
    }
}

impl ConsumeMessageDirectlyResult {
    /// Encode as Java does.
    pub fn encode(&self) -> Vec<u8> {
        fastjson::to_vec(self)
    }

    /// Decode a reply body.
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "ConsumeMessageDirectlyResult")
    }
}

/// Java `CheckClientRequestBody`: the CHECK_CLIENT_CONFIG body (SQL92 subscriptions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckClientRequestBody {
    /// `clientId`.
    #[serde(rename = "clientId", deserialize_with = "de_null_default")]
    pub client_id: String,
    /// `group`: the consumer group.
    #[serde(deserialize_with = "de_null_default")]
    pub group: String,
    /// `namespace` (5.x only); omitted when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `subscriptionData`: the subscription the broker should validate.
    #[serde(rename = "subscriptionData")]
    pub subscription_data: SubscriptionData,
}

impl CheckClientRequestBody {
    /// Encode as Java does.
    pub fn encode(&self) -> Vec<u8> {
        fastjson::to_vec(self)
    }

    /// Decode a request body.
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "CheckClientRequestBody")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::heartbeat::ExpressionType;
    use crate::error::ErrorKind;

    fn mq(topic: &str, id: i32) -> MessageQueue {
        MessageQueue::new(topic, "b", id)
    }

    #[test]
    fn consumer_list() {
        let body = ConsumerListBody::decode(br#"{"consumerIdList":["a@1","b@2"]}"#).unwrap_or_default();
        assert_eq!(body.consumer_id_list, vec!["a@1", "b@2"]);
        assert_eq!(body.encode(), br#"{"consumerIdList":["a@1","b@2"]}"#.to_vec());
        assert!(ConsumerListBody::decode(br#"{"consumerIdList":null}"#).is_ok_and(|b| b.consumer_id_list.is_empty()));
    }

    #[test]
    fn lock_bodies() {
        let req = LockBatchRequestBody {
            client_id: "c".into(),
            consumer_group: "g".into(),
            mq_set: vec![mq("T", 1)],
            only_this_broker: false,
        };
        let text = String::from_utf8(req.encode()).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"clientId":"c","consumerGroup":"g","mqSet":[{"brokerName":"b","queueId":1,"topic":"T"}],"onlyThisBroker":false}"#
        );
        assert_eq!(LockBatchRequestBody::decode(text.as_bytes()).ok(), Some(req));
        let unlock = UnlockBatchRequestBody::decode(
            br#"{"clientId":"c","consumerGroup":"g","mqSet":[{"brokerName":"b","queueId":"2","topic":"T"}]}"#,
        )
        .unwrap_or_default();
        assert_eq!(unlock.mq_set, vec![mq("T", 2)]);
        assert!(!unlock.only_this_broker);
        let resp = LockBatchResponseBody::decode(br#"{"lockOKMQSet":[]}"#).ok();
        assert_eq!(resp.map(|r| r.lock_ok_mq_set.len()), Some(0));
        assert!(LockBatchResponseBody::decode(br#"{"lockOKMQSet":[1]}"#).is_err());
    }

    #[test]
    fn reset_offset_both_forms() {
        let map_form = br#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:120,{"brokerName":"b","queueId":1,"topic":"T"}:"7"}}"#;
        let body = ResetOffsetBody::decode(map_form).unwrap_or_default();
        assert_eq!(body.offset_table, vec![(mq("T", 0), 120), (mq("T", 1), 7)]);
        let list_form = br#"{"offsetTable":[{"brokerName":"b","offset":120,"queueId":0,"topic":"T"},{"brokerName":"b","offset":7,"queueId":1,"topic":"T"}]}"#;
        assert_eq!(ResetOffsetBody::decode(list_form).ok(), Some(body.clone()));
        let encoded = body.encode();
        assert_eq!(
            String::from_utf8(encoded.clone()).unwrap_or_default(),
            r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:120,{"brokerName":"b","queueId":1,"topic":"T"}:7}}"#
        );
        assert_eq!(ResetOffsetBody::decode(&encoded).ok(), Some(body));
        assert!(ResetOffsetBody::decode(b"{}").is_ok_and(|b| b.offset_table.is_empty()));
        for bad in [
            &br#"{"offsetTable":5}"#[..],
            br#"{"offsetTable":{"notAQueue":1}}"#,
            b"[]",
            br#"{"offsetTable":[{"offset":"x"}]}"#,
        ] {
            assert_eq!(ResetOffsetBody::decode(bad).err().map(|e| e.kind()), Some(ErrorKind::Protocol));
        }
    }

    #[test]
    fn offset_file_reads_java_pretty_output() {
        let java = "{\n\t\"offsetTable\":{{\n\t\t\t\"brokerName\":\"b\",\n\t\t\t\"queueId\":2,\n\t\t\t\"topic\":\"T\"\n\t\t}:33,{\n\t\t\t\"brokerName\":\"b\",\n\t\t\t\"queueId\":1,\n\t\t\t\"topic\":\"T\"\n\t\t}:0\n\t}\n}";
        let file = OffsetSerializeWrapper::decode(java.as_bytes()).unwrap_or_default();
        assert_eq!(file.offset_table, vec![(mq("T", 2), 33), (mq("T", 1), 0)]);
        let again = OffsetSerializeWrapper::decode(&file.encode()).ok();
        assert_eq!(again, Some(file));
        assert!(OffsetSerializeWrapper::decode(b"").is_err());
    }

    #[test]
    fn consumer_status_body() {
        let mut body = GetConsumerStatusBody { message_queue_table: vec![(mq("T", 0), 5)], ..Default::default() };
        assert_eq!(
            String::from_utf8(body.encode()).unwrap_or_default(),
            r#"{"consumerTable":{},"messageQueueTable":{{"brokerName":"b","queueId":0,"topic":"T"}:5}}"#
        );
        body.consumer_table.insert("c1".into(), vec![(mq("T", 1), 9)]);
        let text = String::from_utf8(body.encode()).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"consumerTable":{"c1":{{"brokerName":"b","queueId":1,"topic":"T"}:9}},"messageQueueTable":{{"brokerName":"b","queueId":0,"topic":"T"}:5}}"#
        );
        assert_eq!(GetConsumerStatusBody::decode(text.as_bytes()).ok(), Some(body));
    }

    fn running_info() -> ConsumerRunningInfo {
        let mut info = ConsumerRunningInfo::default();
        info.properties.insert(ConsumerRunningInfo::PROP_CONSUME_TYPE.into(), "CONSUME_PASSIVELY".into());
        info.properties.insert(ConsumerRunningInfo::PROP_CONSUME_ORDERLY.into(), "false".into());
        info.subscription_set = vec![
            SubscriptionData::build("T", "*", ExpressionType::Tag, 2).unwrap_or_default(),
            SubscriptionData::build("%RETRY%G", "*", ExpressionType::Tag, 1).unwrap_or_default(),
        ];
        info.mq_table = vec![
            (mq("T", 1), ProcessQueueInfo { commit_offset: 4, dropped: true, ..Default::default() }),
            (mq("T", 0), ProcessQueueInfo { commit_offset: 1, locked: true, ..Default::default() }),
        ];
        info.status_table
            .insert("T".into(), ConsumeStatus { consume_rt: 9.333333333333334, pull_rt: 15.0, ..Default::default() });
        info
    }

    #[test]
    fn running_info_encodes_fastjson_style() {
        let info = running_info();
        let text = String::from_utf8(info.encode()).unwrap_or_default();
        assert!(
            text.starts_with(r#"{"mqTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"cachedMsgCount":0,"cachedMsgMaxOffset":0,"cachedMsgMinOffset":0,"cachedMsgSizeInMiB":0,"commitOffset":1,"droped":false,"lastConsumeTimestamp":0,"lastLockTimestamp":0,"lastPullTimestamp":0,"locked":true,"transactionMsgCount":0,"transactionMsgMaxOffset":0,"transactionMsgMinOffset":0,"tryUnlockTimes":0},{"brokerName":"b","queueId":1,"topic":"T"}:{"#),
            "{text}"
        );
        assert!(text.contains(r#""properties":{"PROP_CONSUMEORDERLY":"false","PROP_CONSUME_TYPE":"CONSUME_PASSIVELY"},"statusTable":{"T":{"consumeFailedMsgs":0,"consumeFailedTPS":0.0,"consumeOKTPS":0.0,"consumeRT":9.333333333333334,"pullRT":15.0,"pullTPS":0.0}},"subscriptionSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"%RETRY%G"},{"#), "{text}");
        assert!(!text.contains("jstack"));
        let back = ConsumerRunningInfo::decode(text.as_bytes()).unwrap_or_default();
        assert_eq!(back.mq_table.first().map(|(q, p)| (q.queue_id, p.locked)), Some((0, true)));
        assert_eq!(back.subscription_set.first().map(|s| s.topic.as_str()), Some("%RETRY%G"));
        assert_eq!(back.properties, info.properties);
        assert_eq!(back.status_table, info.status_table);

        let mut with_jstack = info;
        with_jstack.jstack = Some("\"main\" #1".into());
        let text = String::from_utf8(with_jstack.encode()).unwrap_or_default();
        assert!(text.starts_with(r#"{"jstack":"\"main\" #1","mqTable":{"#), "{text}");
        assert_eq!(ConsumerRunningInfo::decode(text.as_bytes()).ok().and_then(|i| i.jstack), with_jstack.jstack);
    }

    #[test]
    fn running_info_decode_is_tolerant() {
        let info = ConsumerRunningInfo::decode(br#"{"properties":{"a":1,"b":"x","c":null},"mqPopTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"waitAckCount":1}},"userConsumerInfo":{}}"#);
        let info = info.unwrap_or_default();
        assert_eq!(info.properties.get("a").map(String::as_str), Some("1"));
        assert_eq!(info.properties.get("b").map(String::as_str), Some("x"));
        assert_eq!(info.properties.get("c").map(String::as_str), Some("null"));
        assert!(info.mq_table.is_empty());
        assert!(ConsumerRunningInfo::decode(br#"{"mqTable":{{"brokerName":"b"}:{"locked":"maybe"}}}"#).is_err());
    }

    #[test]
    fn consume_directly_result() {
        let r = ConsumeMessageDirectlyResult {
            consume_result: Some(CMResult::CrSuccess),
            spent_time_mills: 6,
            ..Default::default()
        };
        assert_eq!(
            String::from_utf8(r.encode()).unwrap_or_default(),
            r#"{"autoCommit":true,"consumeResult":"CR_SUCCESS","order":false,"spentTimeMills":6}"#
        );
        let all = [
            (CMResult::CrSuccess, "CR_SUCCESS"),
            (CMResult::CrLater, "CR_LATER"),
            (CMResult::CrRollback, "CR_ROLLBACK"),
            (CMResult::CrCommit, "CR_COMMIT"),
            (CMResult::CrThrowException, "CR_THROW_EXCEPTION"),
            (CMResult::CrReturnNull, "CR_RETURN_NULL"),
        ];
        for (v, name) in all {
            assert_eq!(serde_json::to_string(&v).ok(), Some(format!("\"{name}\"")));
        }
        let back = ConsumeMessageDirectlyResult::decode(br#"{"consumeResult":"CR_THROW_EXCEPTION","remark":"boom"}"#);
        let back = back.unwrap_or_default();
        assert!(back.auto_commit);
        assert_eq!(back.consume_result, Some(CMResult::CrThrowException));
        assert_eq!(back.remark.as_deref(), Some("boom"));
    }

    #[test]
    fn check_client_body() {
        let body = CheckClientRequestBody {
            client_id: "c".into(),
            group: "g".into(),
            namespace: None,
            subscription_data: SubscriptionData::build("T", "a > 5", ExpressionType::Sql92, 3).unwrap_or_default(),
        };
        let text = String::from_utf8(body.encode()).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"clientId":"c","group":"g","subscriptionData":{"classFilterMode":false,"codeSet":[],"expressionType":"SQL92","subString":"a > 5","subVersion":3,"tagsSet":[],"topic":"T"}}"#
        );
        assert_eq!(CheckClientRequestBody::decode(text.as_bytes()).ok(), Some(body));
    }
}
