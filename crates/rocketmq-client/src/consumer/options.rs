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
    /// Consume threads of a blocking listener (`consumeThreadMin`/`Max`, 20).
    pub consume_thread_count: usize,
    /// Listener calls in flight at once for an asynchronous listener (20, as the thread count).
    pub max_in_flight: usize,
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
            max_in_flight: 20,
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

    /// Check every option once, at start (Java `DefaultMQPushConsumerImpl.checkConfig`
    /// ranges); a Config error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        crate::validation::check_group(&self.group)?;
        if self.group == "DEFAULT_CONSUMER" {
            return Err(Error::config("consumer group DEFAULT_CONSUMER is reserved; choose your own group"));
        }
        range("consume thread count", self.consume_thread_count as i64, 1, 1000)?;
        range("max in flight", self.max_in_flight as i64, 1, 65535)?;
        range("consume batch size", self.consume_batch_max_size as i64, 1, 1024)?;
        range("pull batch size", i64::from(self.pull_batch_size), 1, 1024)?;
        range("pull threshold for queue", self.pull_threshold_for_queue as i64, 1, 65535)?;
        range("pull threshold size for queue (MiB)", self.pull_threshold_size_for_queue_mib as i64, 1, 1024)?;
        range("consume concurrently max span", self.consume_concurrently_max_span, 1, 65535)?;
        range("pull interval (ms)", self.pull_interval.as_millis() as i64, 0, 65535)?;
        range("delay level when next consume", i64::from(self.delay_level_when_next_consume), -1, 64)?;
        if let Some(n) = self.max_reconsume_times {
            range("max reconsume times", i64::from(n), -1, i64::from(i32::MAX))?;
        }
        if let Some(ts) = self.consume_timestamp {
            range("consume timestamp (epoch ms)", ts, 0, i64::MAX)?;
        }
        for (what, d) in [
            ("suspend current queue time", self.suspend_current_queue_time),
            ("rebalance interval", self.rebalance_interval),
            ("persist offset interval", self.persist_offset_interval),
            ("broker suspend max time", self.broker_suspend_max_time),
        ] {
            if d.is_zero() {
                return Err(Error::config(format!("{what} must be positive")));
            }
        }
        if self.pull_timeout <= self.broker_suspend_max_time {
            return Err(Error::config("the pull timeout must exceed the broker's long-poll hold"));
        }
        Ok(())
    }
}

fn range(what: &str, value: i64, min: i64, max: i64) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::config(format!("{what} must be in {min}..={max}, got {value}")))
    }
}

/// The 2.x client's `MessageModel` code (0 broadcasting, 1 clustering) as an enum.
pub fn message_model_from_code(code: i64) -> Result<MessageModel> {
    match code {
        0 => Ok(MessageModel::Broadcasting),
        1 => Ok(MessageModel::Clustering),
        other => Err(Error::config(format!(
            "message model must be MessageModel.BROADCASTING (0) or CLUSTERING (1), got {other}"
        ))),
    }
}

/// The Java `ConsumeFromWhere` ordinal (as the 2.x client numbers it) as an enum.
pub fn consume_from_where_from_code(code: i64) -> Result<ConsumeFromWhere> {
    Ok(match code {
        0 => ConsumeFromWhere::ConsumeFromLastOffset,
        1 => ConsumeFromWhere::ConsumeFromLastOffsetAndFromMinWhenBootFirst,
        2 => ConsumeFromWhere::ConsumeFromMinOffset,
        3 => ConsumeFromWhere::ConsumeFromMaxOffset,
        4 => ConsumeFromWhere::ConsumeFromFirstOffset,
        5 => ConsumeFromWhere::ConsumeFromTimestamp,
        other => return Err(Error::config(format!("unknown ConsumeFromWhere value {other}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_ranges_and_codes() {
        assert!(ConsumerOptions::new("cg").validate().is_ok());
        assert!(ConsumerOptions::new("DEFAULT_CONSUMER").validate().is_err());
        let bad = |f: fn(&mut ConsumerOptions)| {
            let mut o = ConsumerOptions::new("cg");
            f(&mut o);
            o.validate().err().map(|e| e.kind())
        };
        assert_eq!(bad(|o| o.consume_thread_count = 0), Some(crate::ErrorKind::Config));
        assert_eq!(bad(|o| o.max_in_flight = 0), Some(crate::ErrorKind::Config));
        assert_eq!(bad(|o| o.pull_batch_size = 2000), Some(crate::ErrorKind::Config));
        assert_eq!(bad(|o| o.pull_threshold_for_queue = 70000), Some(crate::ErrorKind::Config));
        assert_eq!(bad(|o| o.delay_level_when_next_consume = -2), Some(crate::ErrorKind::Config));
        assert_eq!(bad(|o| o.pull_timeout = o.broker_suspend_max_time), Some(crate::ErrorKind::Config));
        assert_eq!(message_model_from_code(0).ok(), Some(MessageModel::Broadcasting));
        assert!(message_model_from_code(2).is_err());
        assert_eq!(consume_from_where_from_code(5).ok(), Some(ConsumeFromWhere::ConsumeFromTimestamp));
        assert!(consume_from_where_from_code(6).is_err());
    }
}
