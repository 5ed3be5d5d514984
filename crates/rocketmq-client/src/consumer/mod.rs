//! Consumers: the push consumer (clustering/broadcasting, concurrent/orderly), its rebalance,
//! pull loop, consume service, offsets and the broker requests it answers.

mod admin;
pub mod allocate;
mod broker_api;
mod consume;
mod core;
pub mod listener;
pub mod offset_store;
pub mod options;
pub mod process_queue;
mod pull;
pub mod push;
mod rebalance;
pub mod stats;

pub use self::core::retry_topic;
pub use allocate::AllocateStrategy;
pub use listener::{ConsumeContext, ConsumeResult, MessageListener};
pub use options::{ConsumeFromWhere, ConsumerOptions, MessageModel};
pub use push::PushConsumer;
pub use rocketmq_remoting::message::stored::MessageExt;
