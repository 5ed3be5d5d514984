//! Consumers, assembled from parts as Java's are:
//!
//! * [`offset_store`]: where consumed offsets live and how they are committed
//!   (`RemoteBrokerOffsetStore` / `LocalFileOffsetStore`);
//! * `rebalance`: which queues are ours (`RebalanceImpl`), reported to the owner as
//!   "queue added / removed" events;
//! * `pull`: the long-poll pull service (`PullAPIWrapper`, `PullMessageService`);
//! * `consume_service`: running listeners and completing their verdicts
//!   (`ConsumeMessageConcurrentlyService` / `ConsumeMessageOrderlyService`);
//! * `remoting_processor`: requests brokers send to a consumer (`ClientRemotingProcessor`);
//! * [`push`]: the push consumer (`DefaultMQPushConsumerImpl`) that wires them together;
//! * [`lite_pull`]: the lite-pull consumer (`DefaultLitePullConsumerImpl`), the same parts
//!   without a listener; [`pull_consumer`]: the 0.5.x-style [`PullConsumer`] (pull once).

pub mod allocate;
mod broker_api;
mod consume_service;
pub mod listener;
pub mod lite_pull;
pub mod offset_store;
pub mod options;
pub mod process_queue;
mod pull;
pub mod pull_consumer;
pub mod push;
mod rebalance;
mod remoting_processor;
pub mod stats;

use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

pub use allocate::AllocateStrategy;
pub use listener::{AsyncMessageListener, ConsumeContext, ConsumeResult, ListenerFuture, MessageListener};
pub use lite_pull::{LitePullConsumer, LitePullOptions};
pub use options::{ConsumeFromWhere, ConsumerOptions, MessageModel};
pub use pull::{PullResult, PullStatus};
pub use pull_consumer::PullConsumer;
pub use push::PushConsumer;
pub use rocketmq_remoting::message::stored::MessageExt;

/// `%RETRY%<group>` (`MixAll.getRetryTopic`).
pub fn retry_topic(group: &str) -> String {
    format!("%RETRY%{group}")
}

/// A std lock, recovered if poisoned (every holder keeps the state consistent at each step).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Epoch milliseconds now.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
