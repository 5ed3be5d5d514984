//! Push consumer settings (`DefaultMQPushConsumer`); defaults are Java's.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use rocketmq_remoting::body::heartbeat::{ConsumeFromWhere, MessageModel};

use super::allocate::{AllocateStrategy, Averagely};
use crate::error::{Error, Result};

/// Push consumer options.
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    /// Consumer group.
    pub group: String,
    /// Clustering (queues shared in the group, offsets on the broker) or broadcasting (every
    /// consumer gets everything, offsets in a local file). Default clustering.
    pub message_model: MessageModel,
    /// Where a group without a stored offset starts (`consumeFromWhere`, default last offset).
    pub consume_from_where: ConsumeFromWhere,
    /// Epoch ms for [`ConsumeFromWhere::ConsumeFromTimestamp`]; `None` = 30 minutes before start
    /// (Java `consumeTimestamp` default).
    pub consume_timestamp: Option<i64>,
    /// Whether [`consume_from_where`](Self::consume_from_where) alone decides where a group
    /// without a stored offset starts. When false (Java's behaviour, the default), the broker
    /// answers the offset query of such a group with offset 0 whenever the queue's messages are
    /// all still in memory, so a new group on a young topic starts at the beginning whatever
    /// `consume_from_where` says. When true, the query carries `setZeroIfNotFound=false` (a
    /// 5.x header field; 4.x brokers ignore it and keep the Java behaviour).
    pub strict_consume_from_where: bool,
    /// How queues are shared in a clustering group (default averagely).
    pub allocate_strategy: Arc<dyn AllocateStrategy>,
    /// Orderly: one thread per queue at a time, queues locked on the broker, failures retried in place.
    pub orderly: bool,
    /// Consume threads (`consumeThreadMin`/`Max`, 20).
    pub consume_thread_count: usize,
    /// Messages handed to one listener call (`consumeMessageBatchMaxSize`, 1).
    pub consume_batch_max_size: usize,
    /// Messages asked per pull (`pullBatchSize`, 32).
    pub pull_batch_size: i32,
    /// Cached messages per queue before pulling pauses (`pullThresholdForQueue`, 1000).
    pub pull_threshold_for_queue: usize,
    /// Cached MiB per queue before pulling pauses (`pullThresholdSizeForQueue`, 100).
    pub pull_threshold_size_for_queue_mib: usize,
    /// Largest offset span cached in a queue before pulling pauses (`consumeConcurrentlyMaxSpan`, 2000).
    pub consume_concurrently_max_span: i64,
    /// Deliveries before a message goes to the DLQ; `None` = 16 (concurrent) / unlimited (orderly).
    pub max_reconsume_times: Option<i32>,
    /// Delay level of a send-back after a failure: 0 lets the broker choose `3 + reconsume
    /// times` (10 s, 30 s, 1 min...), -1 sends straight to the DLQ, >0 forces that level (Java
    /// `ConsumeConcurrentlyContext.delayLevelWhenNextConsume`, 0).
    pub delay_level_when_next_consume: i32,
    /// Orderly back-off before retrying a failed batch (`suspendCurrentQueueTimeMillis`, 1 s).
    pub suspend_current_queue_time: Duration,
    /// Pause between pulls of one queue (`pullInterval`, 0).
    pub pull_interval: Duration,
    /// Rebalance period (`rocketmq.client.rebalance.waitInterval`, 20 s).
    pub rebalance_interval: Duration,
    /// Offset persistence period (`persistConsumerOffsetInterval`, 5 s).
    pub persist_offset_interval: Duration,
    /// How long the broker may hold a pull (`BROKER_SUSPEND_MAX_TIME_MILLIS`, 15 s).
    pub broker_suspend_max_time: Duration,
    /// Pull RPC timeout (`CONSUMER_TIMEOUT_MILLIS_WHEN_SUSPEND`, 30 s); must exceed the hold.
    pub pull_timeout: Duration,
    /// Directory of the broadcasting offset files (default `$ROCKETMQ_OFFSETS_DIR` or
    /// `~/.rocketmq_offsets`).
    pub offset_store_dir: Option<PathBuf>,
}

impl ConsumerOptions {
    /// Options for `group`, everything else default.
    pub fn new(group: impl Into<String>) -> Self {
        ConsumerOptions {
            group: group.into(),
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_timestamp: None,
            strict_consume_from_where: false,
            allocate_strategy: Arc::new(Averagely),
            orderly: false,
            consume_thread_count: 20,
            consume_batch_max_size: 1,
            pull_batch_size: 32,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue_mib: 100,
            consume_concurrently_max_span: 2000,
            max_reconsume_times: None,
            delay_level_when_next_consume: 0,
            suspend_current_queue_time: Duration::from_millis(1000),
            pull_interval: Duration::ZERO,
            rebalance_interval: Duration::from_secs(20),
            persist_offset_interval: Duration::from_secs(5),
            broker_suspend_max_time: Duration::from_secs(15),
            pull_timeout: Duration::from_secs(30),
            offset_store_dir: None,
        }
    }

    /// The effective max reconsume times.
    pub fn effective_max_reconsume_times(&self) -> i32 {
        self.max_reconsume_times.unwrap_or(if self.orderly { i32::MAX } else { 16 })
    }

    pub(crate) fn validate(&self) -> Result<()> {
        crate::validation::check_group(&self.group)?;
        if self.group == "DEFAULT_CONSUMER" {
            return Err(Error::config("consumer group DEFAULT_CONSUMER is reserved; choose your own group"));
        }
        if !(1..=1000).contains(&self.consume_thread_count) {
            return Err(Error::config(format!("consume thread count {} outside 1..=1000", self.consume_thread_count)));
        }
        if !(1..=1024).contains(&self.consume_batch_max_size) {
            return Err(Error::config(format!("consume batch size {} outside 1..=1024", self.consume_batch_max_size)));
        }
        if !(1..=1024).contains(&self.pull_batch_size) {
            return Err(Error::config(format!("pull batch size {} outside 1..=1024", self.pull_batch_size)));
        }
        if self.pull_threshold_for_queue == 0 || self.pull_threshold_size_for_queue_mib == 0 {
            return Err(Error::config("pull thresholds must be positive"));
        }
        if self.pull_timeout <= self.broker_suspend_max_time {
            return Err(Error::config("the pull timeout must exceed the broker's long-poll hold"));
        }
        if self.delay_level_when_next_consume < -1 {
            return Err(Error::config("delay level when next consume must be -1, 0 or a level"));
        }
        if self.max_reconsume_times.is_some_and(|n| n < -1) {
            return Err(Error::config("max reconsume times must be -1 (default) or more"));
        }
        Ok(())
    }
}
