//! Async RocketMQ client over the classic remoting protocol, on tokio.
//!
//! ```no_run
//! # async fn demo() -> rocketmq_client::Result<()> {
//! use rocketmq_client::{ClientOptions, Message, Producer, ProducerOptions};
//! let mut client = ClientOptions::default();
//! client.set_namesrv_addr("127.0.0.1:9876")?;
//! let producer = Producer::new(ProducerOptions::new("my_group"), client);
//! producer.start().await?;
//! let result = producer.send(&Message::new("MyTopic", "hello")).await?;
//! println!("{} at offset {}", result.msg_id, result.queue_offset);
//! producer.shutdown().await;
//! # Ok(()) }
//! ```

pub mod acl;
pub mod admin;
pub mod client_id;
pub mod consumer;
pub mod error;
pub mod instance;
pub mod message;
pub mod namespace;
pub mod options;
pub mod producer;
pub mod route;
pub mod send_result;
pub mod stats;
pub mod trace;
mod transport;
pub mod validation;

pub use admin::Admin;
pub use consumer::{
    AsyncMessageListener, ConsumeResult, ConsumerOptions, LitePullConsumer, LitePullOptions, MessageExt,
    MessageListener, PullConsumer, PushConsumer,
};
pub use error::{Error, ErrorKind, Result};
pub use message::Message;
pub use options::{ClientOptions, ProducerOptions, SessionCredentials, TlsOptions, TlsTrust};
pub use producer::{
    create_reply_message, LocalTransactionState, Producer, QueueSelector, SendMode, TransactionChecker,
    TransactionProducer, TransactionSendResult,
};
/// Fork awareness (`PerProcess`, `ProcessOwned`): what must not be used across `fork()`.
pub use rocketmq_remoting::process;
pub use rocketmq_remoting::MessageQueue;
pub use send_result::{SendResult, SendStatus};
pub use trace::TraceOptions;
