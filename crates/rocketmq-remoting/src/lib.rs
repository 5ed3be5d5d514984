//! The RocketMQ "remoting" protocol: frames, JSON and binary headers, request/response codes,
//! typed headers, message encoding, and a multiplexed connection with a per-address pool.
//!
//! No business logic lives here: the client crate decides what a response code means.
//! The Java source of apache/rocketmq is the specification; every module names its Java files.

pub mod body;
pub mod codes;
pub mod command;
pub mod connection;
pub mod connector;
pub mod error;
pub mod ext_fields;
pub mod header;
pub mod hook;
mod lock;
pub mod message;
pub mod pool;
pub mod process;
pub mod queue;
pub mod tls;
mod writer;

pub use codes::{request_code, response_code, LanguageCode};
pub use command::{RemotingCommand, SerializeType};
pub use connection::{Connection, RequestHandler};
pub use connector::Connector;
pub use error::{Error, ErrorKind, Result};
pub use ext_fields::ExtFields;
pub use hook::{RpcHook, RpcHooks};
pub use pool::{ConnectionPool, PoolCounters, PoolOptions};
pub use queue::MessageQueue;
