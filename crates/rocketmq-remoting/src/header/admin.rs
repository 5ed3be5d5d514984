//! Typed headers of the admin requests (what `mqadmin` / `DefaultMQAdminExtImpl` send), one
//! struct per Java header class (`remoting/protocol/header/*.java`, 4.9.x
//! `common/protocol/header/*.java`). Field names are the Java field names.

use crate::command_header;

/// `MixAll.AUTO_CREATE_TOPIC_KEY_TOPIC`: the key topic Java passes as `defaultTopic`.
pub const AUTO_CREATE_TOPIC_KEY_TOPIC: &str = "TBW102";

command_header! {
    /// UPDATE_AND_CREATE_TOPIC (17): `CreateTopicRequestHeader` (protocol.md §2.7.3).
    pub struct CreateTopicRequestHeader {
        pub topic: String => "topic",
        pub default_topic: String => "defaultTopic",
        pub read_queue_nums: i32 => "readQueueNums",
        pub write_queue_nums: i32 => "writeQueueNums",
        pub perm: i32 => "perm",
        pub topic_filter_type: String => "topicFilterType",
        pub topic_sys_flag: Option<i32> => "topicSysFlag",
        pub order: bool => "order",
        pub attributes: Option<String> => "attributes",
        pub force: Option<bool> => "force",
    }
}

impl CreateTopicRequestHeader {
    /// What `mqadmin updateTopic` sends for a normal topic: `perm` 6 (read + write),
    /// `SINGLE_TAG`, `topicSysFlag` 0, not ordered, `defaultTopic` TBW102.
    pub fn normal(topic: &str, queues: i32) -> Self {
        CreateTopicRequestHeader {
            topic: topic.to_owned(),
            default_topic: AUTO_CREATE_TOPIC_KEY_TOPIC.to_owned(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm: 6,
            topic_filter_type: "SINGLE_TAG".to_owned(),
            topic_sys_flag: Some(0),
            order: false,
            attributes: None,
            force: None,
        }
    }
}

command_header! {
    /// DELETE_TOPIC_IN_BROKER (215): `DeleteTopicRequestHeader`.
    pub struct DeleteTopicRequestHeader {
        pub topic: String => "topic",
    }
}

command_header! {
    /// DELETE_TOPIC_IN_NAMESRV (216): `DeleteTopicFromNamesrvRequestHeader` (`clusterName`
    /// since 4.9.x/5.x: only that cluster's brokers are removed from the route).
    pub struct DeleteTopicFromNamesrvRequestHeader {
        pub topic: String => "topic",
        pub cluster_name: Option<String> => "clusterName",
    }
}

command_header! {
    /// GET_TOPIC_STATS_INFO (202): `GetTopicStatsInfoRequestHeader`.
    pub struct GetTopicStatsInfoRequestHeader {
        pub topic: String => "topic",
    }
}

command_header! {
    /// GET_CONSUME_STATS (208): `GetConsumeStatsRequestHeader`; without `topic` the broker
    /// answers for every topic the group subscribes.
    pub struct GetConsumeStatsRequestHeader {
        pub consumer_group: String => "consumerGroup",
        pub topic: Option<String> => "topic",
    }
}

command_header! {
    /// GET_CONSUMER_CONNECTION_LIST (203): `GetConsumerConnectionListRequestHeader`.
    pub struct GetConsumerConnectionListRequestHeader {
        pub consumer_group: String => "consumerGroup",
    }
}

command_header! {
    /// QUERY_MESSAGE (12): `QueryMessageRequestHeader`, plus the ext field
    /// `_UNIQUE_KEY_QUERY` (`MixAll.UNIQUE_MSG_QUERY_FLAG`) that `MQAdminImpl.queryMessage`
    /// adds: `true` looks the key up as a `UNIQ_KEY` (client message id), `false` as a `KEYS`
    /// entry.
    pub struct QueryMessageRequestHeader {
        pub topic: String => "topic",
        pub key: String => "key",
        pub max_num: i32 => "maxNum",
        pub begin_timestamp: i64 => "beginTimestamp",
        pub end_timestamp: i64 => "endTimestamp",
        pub unique_key_query: Option<bool> => "_UNIQUE_KEY_QUERY",
    }
}

command_header! {
    /// Response to QUERY_MESSAGE: `QueryMessageResponseHeader`.
    pub struct QueryMessageResponseHeader {
        pub index_last_update_timestamp: i64 => "indexLastUpdateTimestamp",
        pub index_last_update_phyoffset: i64 => "indexLastUpdatePhyoffset",
    }
}

command_header! {
    /// VIEW_MESSAGE_BY_ID (33): `ViewMessageRequestHeader`; `offset` is the commit-log offset
    /// decoded from an offset message id.
    pub struct ViewMessageRequestHeader {
        pub topic: Option<String> => "topic",
        pub offset: i64 => "offset",
    }
}

command_header! {
    /// Response to GET_EARLIEST_MSG_STORETIME (32): `GetEarliestMsgStoretimeResponseHeader`.
    pub struct GetEarliestMsgStoretimeResponseHeader {
        pub timestamp: i64 => "timestamp",
    }
}
