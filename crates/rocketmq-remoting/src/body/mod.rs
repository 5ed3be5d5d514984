//! JSON bodies of requests and responses (protocol.md §2.3–§2.8, §3.8, §5.10.2), named after
//! their Java classes.
//!
//! * [`fastjson`]: the tolerant reader and the fastjson-style writer for the non-standard JSON
//!   that Java's fastjson produces (bare numeric and object map keys).
//! * [`route`]: `TopicRouteData`, `QueueData`, `BrokerData`, `ClusterInfo`.
//! * [`heartbeat`]: `HeartbeatData`, `ConsumerData`, `SubscriptionData` and `FilterAPI` rules.
//! * [`admin`]: topic list, topic and consume stats, consumer connections, broker runtime info.
//! * [`consumer`]: consumer list, lock/unlock, reset offset, running info, consume directly,
//!   client-config check, the local offset file.

pub mod admin;
pub mod consumer;
pub mod fastjson;
pub mod heartbeat;
pub mod route;

pub use admin::{
    ConsumeStats, ConsumerConnection, ConsumerConnectionEntry, KVTable, OffsetWrapper, TopicList, TopicOffset,
    TopicStatsTable,
};
pub use consumer::{
    CMResult, CheckClientRequestBody, ConsumeMessageDirectlyResult, ConsumeStatus, ConsumerListBody,
    ConsumerRunningInfo, GetConsumerStatusBody, LockBatchRequestBody, LockBatchResponseBody, OffsetSerializeWrapper,
    ProcessQueueInfo, ResetOffsetBody, UnlockBatchRequestBody,
};
pub use heartbeat::{
    ConsumeFromWhere, ConsumeType, ConsumerData, ExpressionType, HeartbeatData, MessageModel, ProducerData,
    SubscriptionData,
};
pub use route::{BrokerData, ClusterInfo, QueueData, TopicRouteData};
