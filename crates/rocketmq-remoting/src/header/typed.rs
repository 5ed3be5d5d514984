//! Typed custom headers, one struct per Java header class (`remoting/protocol/header/*.java`).
//! Field names are the Java field names, so each key can be checked against the source.
//! The 5.x inherited `bname` (broker name) is included where the Java client sets it.

use crate::command_header;

command_header! {
    /// GET_ROUTEINFO_BY_TOPIC (105): `GetRouteInfoRequestHeader`.
    pub struct GetRouteInfoRequestHeader {
        pub topic: String => "topic",
        pub accept_standard_json_only: Option<bool> => "acceptStandardJsonOnly",
    }
}

command_header! {
    /// SEND_MESSAGE (10) with the long field names: `SendMessageRequestHeader`.
    pub struct SendMessageRequestHeader {
        pub producer_group: String => "producerGroup",
        pub topic: String => "topic",
        pub default_topic: String => "defaultTopic",
        pub default_topic_queue_nums: i32 => "defaultTopicQueueNums",
        pub queue_id: i32 => "queueId",
        pub sys_flag: i32 => "sysFlag",
        pub born_timestamp: i64 => "bornTimestamp",
        pub flag: i32 => "flag",
        pub properties: Option<String> => "properties",
        pub reconsume_times: Option<i32> => "reconsumeTimes",
        pub unit_mode: Option<bool> => "unitMode",
        pub batch: Option<bool> => "batch",
        pub max_reconsume_times: Option<i32> => "maxReconsumeTimes",
        pub broker_name: Option<String> => "bname",
    }
}

command_header! {
    /// SEND_MESSAGE_V2 (310) / SEND_BATCH_MESSAGE (320): `SendMessageRequestHeaderV2`,
    /// the same fields under one-letter keys.
    pub struct SendMessageRequestHeaderV2 {
        pub a: String => "a",
        pub b: String => "b",
        pub c: String => "c",
        pub d: i32 => "d",
        pub e: i32 => "e",
        pub f: i32 => "f",
        pub g: i64 => "g",
        pub h: i32 => "h",
        pub i: Option<String> => "i",
        pub j: Option<i32> => "j",
        pub k: Option<bool> => "k",
        pub l: Option<i32> => "l",
        pub m: Option<bool> => "m",
        pub n: Option<String> => "n",
    }
}

impl From<SendMessageRequestHeader> for SendMessageRequestHeaderV2 {
    fn from(v1: SendMessageRequestHeader) -> Self {
        SendMessageRequestHeaderV2 {
            a: v1.producer_group,
            b: v1.topic,
            c: v1.default_topic,
            d: v1.default_topic_queue_nums,
            e: v1.queue_id,
            f: v1.sys_flag,
            g: v1.born_timestamp,
            h: v1.flag,
            i: v1.properties,
            j: v1.reconsume_times,
            k: v1.unit_mode,
            l: v1.max_reconsume_times,
            m: v1.batch,
            n: v1.broker_name,
        }
    }
}

impl From<SendMessageRequestHeaderV2> for SendMessageRequestHeader {
    fn from(v2: SendMessageRequestHeaderV2) -> Self {
        SendMessageRequestHeader {
            producer_group: v2.a,
            topic: v2.b,
            default_topic: v2.c,
            default_topic_queue_nums: v2.d,
            queue_id: v2.e,
            sys_flag: v2.f,
            born_timestamp: v2.g,
            flag: v2.h,
            properties: v2.i,
            reconsume_times: v2.j,
            unit_mode: v2.k,
            batch: v2.m,
            max_reconsume_times: v2.l,
            broker_name: v2.n,
        }
    }
}

command_header! {
    /// Response to the send family: `SendMessageResponseHeader`. `msg_id` is the offsetMsgId.
    pub struct SendMessageResponseHeader {
        pub msg_id: String => "msgId",
        pub queue_id: i32 => "queueId",
        pub queue_offset: i64 => "queueOffset",
        pub transaction_id: Option<String> => "transactionId",
        pub batch_uniq_id: Option<String> => "batchUniqId",
        pub recall_handle: Option<String> => "recallHandle",
        pub msg_region: Option<String> => "MSG_REGION",
        pub trace_on: Option<String> => "TRACE_ON",
    }
}

command_header! {
    /// UNREGISTER_CLIENT (35): `UnregisterClientRequestHeader`.
    pub struct UnregisterClientRequestHeader {
        pub client_id: String => "clientID",
        pub producer_group: Option<String> => "producerGroup",
        pub consumer_group: Option<String> => "consumerGroup",
    }
}

command_header! {
    /// END_TRANSACTION (37): `EndTransactionRequestHeader`.
    pub struct EndTransactionRequestHeader {
        pub topic: Option<String> => "topic",
        pub producer_group: String => "producerGroup",
        pub tran_state_table_offset: i64 => "tranStateTableOffset",
        pub commit_log_offset: i64 => "commitLogOffset",
        pub commit_or_rollback: i32 => "commitOrRollback",
        pub from_transaction_check: Option<bool> => "fromTransactionCheck",
        pub msg_id: String => "msgId",
        pub transaction_id: Option<String> => "transactionId",
        pub broker_name: Option<String> => "bname",
    }
}

command_header! {
    /// CHECK_TRANSACTION_STATE (39, broker to producer): `CheckTransactionStateRequestHeader`.
    pub struct CheckTransactionStateRequestHeader {
        pub topic: Option<String> => "topic",
        pub tran_state_table_offset: i64 => "tranStateTableOffset",
        pub commit_log_offset: i64 => "commitLogOffset",
        pub msg_id: Option<String> => "msgId",
        pub transaction_id: Option<String> => "transactionId",
        pub offset_msg_id: Option<String> => "offsetMsgId",
        pub broker_name: Option<String> => "bname",
    }
}

command_header! {
    /// PULL_MESSAGE (11) / LITE_PULL_MESSAGE (361): `PullMessageRequestHeader`.
    pub struct PullMessageRequestHeader {
        pub consumer_group: String => "consumerGroup",
        pub topic: String => "topic",
        pub queue_id: i32 => "queueId",
        pub queue_offset: i64 => "queueOffset",
        pub max_msg_nums: i32 => "maxMsgNums",
        pub sys_flag: i32 => "sysFlag",
        pub commit_offset: i64 => "commitOffset",
        pub suspend_timeout_millis: i64 => "suspendTimeoutMillis",
        pub subscription: Option<String> => "subscription",
        pub sub_version: i64 => "subVersion",
        pub expression_type: Option<String> => "expressionType",
        pub max_msg_bytes: Option<i32> => "maxMsgBytes",
        pub broker_name: Option<String> => "bname",
    }
}

command_header! {
    /// Response to PULL_MESSAGE: `PullMessageResponseHeader`.
    pub struct PullMessageResponseHeader {
        pub suggest_which_broker_id: i64 => "suggestWhichBrokerId",
        pub next_begin_offset: i64 => "nextBeginOffset",
        pub min_offset: i64 => "minOffset",
        pub max_offset: i64 => "maxOffset",
        pub offset_delta: Option<i64> => "offsetDelta",
    }
}

command_header! {
    /// GET_CONSUMER_LIST_BY_GROUP (38), NOTIFY_CONSUMER_IDS_CHANGED (40).
    pub struct ConsumerGroupHeader {
        pub consumer_group: String => "consumerGroup",
    }
}

command_header! {
    /// QUERY_CONSUMER_OFFSET (14): `QueryConsumerOffsetRequestHeader`.
    pub struct QueryConsumerOffsetRequestHeader {
        pub consumer_group: String => "consumerGroup",
        pub topic: String => "topic",
        pub queue_id: i32 => "queueId",
        pub set_zero_if_not_found: Option<bool> => "setZeroIfNotFound",
        pub broker_name: Option<String> => "bname",
    }
}

command_header! {
    /// UPDATE_CONSUMER_OFFSET (15): `UpdateConsumerOffsetRequestHeader`.
    pub struct UpdateConsumerOffsetRequestHeader {
        pub consumer_group: String => "consumerGroup",
        pub topic: String => "topic",
        pub queue_id: i32 => "queueId",
        pub commit_offset: i64 => "commitOffset",
        pub broker_name: Option<String> => "bname",
    }
}

command_header! {
    /// The `offset` answer of QUERY_CONSUMER_OFFSET, GET_MAX/MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP.
    pub struct OffsetResponseHeader {
        pub offset: i64 => "offset",
    }
}

command_header! {
    /// GET_MAX_OFFSET (30) / GET_MIN_OFFSET (31) / GET_EARLIEST_MSG_STORETIME (32).
    pub struct QueueOffsetRequestHeader {
        pub topic: String => "topic",
        pub queue_id: i32 => "queueId",
        pub broker_name: Option<String> => "bname",
    }
}

command_header! {
    /// SEARCH_OFFSET_BY_TIMESTAMP (29): `SearchOffsetRequestHeader`.
    pub struct SearchOffsetRequestHeader {
        pub topic: String => "topic",
        pub queue_id: i32 => "queueId",
        pub timestamp: i64 => "timestamp",
        pub broker_name: Option<String> => "bname",
    }
}

command_header! {
    /// CONSUMER_SEND_MSG_BACK (36): `ConsumerSendMsgBackRequestHeader`.
    pub struct ConsumerSendMsgBackRequestHeader {
        pub offset: i64 => "offset",
        pub group: String => "group",
        pub delay_level: i32 => "delayLevel",
        pub origin_msg_id: Option<String> => "originMsgId",
        pub origin_topic: Option<String> => "originTopic",
        pub unit_mode: Option<bool> => "unitMode",
        pub max_reconsume_times: Option<i32> => "maxReconsumeTimes",
        pub broker_name: Option<String> => "bname",
    }
}

command_header! {
    /// RESET_CONSUMER_CLIENT_OFFSET (220, broker to consumer): `ResetOffsetRequestHeader`.
    pub struct ResetOffsetRequestHeader {
        pub group: String => "group",
        pub topic: String => "topic",
        pub timestamp: Option<i64> => "timestamp",
        pub is_force: Option<bool> => "isForce",
        pub queue_id: Option<i32> => "queueId",
        pub offset: Option<i64> => "offset",
    }
}

command_header! {
    /// GET_CONSUMER_RUNNING_INFO (307, broker to consumer).
    pub struct GetConsumerRunningInfoRequestHeader {
        pub consumer_group: String => "consumerGroup",
        pub client_id: Option<String> => "clientId",
        pub jstack_enable: Option<bool> => "jstackEnable",
    }
}

command_header! {
    /// CONSUME_MESSAGE_DIRECTLY (309, broker to consumer).
    pub struct ConsumeMessageDirectlyResultRequestHeader {
        pub consumer_group: String => "consumerGroup",
        pub client_id: Option<String> => "clientId",
        pub msg_id: Option<String> => "msgId",
        pub broker_name: Option<String> => "brokerName",
        pub topic: Option<String> => "topic",
    }
}

command_header! {
    /// GET_CONSUMER_STATUS_FROM_CLIENT (221, broker to consumer).
    pub struct GetConsumerStatusRequestHeader {
        pub topic: String => "topic",
        pub group: String => "group",
        pub client_addr: Option<String> => "clientAddr",
    }
}
