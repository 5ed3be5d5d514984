//! Real rocketmq-rust name servers and brokers on loopback, for Rust tests, Python tests
//! (through the `rmq-testkit` binary), `make demo` and benchmarks. Not published.
//!
//! ```ignore
//! let cluster = rocketmq_testkit::Cluster::builder().namesrvs(2).brokers(2).start().await?;
//! let producer = MyProducer::new(&cluster.namesrv_addr());
//! cluster.create_topic("orders-1a2b", 8).await?;
//! cluster.kill_broker(0)?;            // SIGKILL through the child handle
//! cluster.start_broker(0).await?;     // same ports and store; waits until registered again
//! drop(cluster);                      // kills everything, removes the temp dir
//! ```
//!
//! The binaries come from `scripts/install-broker.sh` (`$ROCKETMQ_RUST_HOME/bin`, default
//! `~/.cache/rocketmq-py/rocketmq-rust-1.0.0/bin`). Every process gets free loopback ports, its
//! own directory under the system temp dir (HOME and ROCKETMQ_HOME point there; nothing touches
//! the real home) and a log file there; `RMQ_TESTKIT_KEEP=1` keeps the directory after drop.
//! Every wait is bounded and its error carries the tail of the process log.
//! docs/rocketmq-rust-broker.md describes the broker configuration and its quirks.

pub mod admin;
pub mod chaos;
mod cluster;
pub mod config;
mod error;
pub mod install;
mod ports;
mod process;
pub mod proxy;
mod remote;
mod tempdir;

pub use admin::TopicRoute;
pub use cluster::{BrokerInfo, Cluster, ClusterBuilder, NamesrvInfo, DEFAULT_CLUSTER_NAME, DEFAULT_TIMEOUT};
pub use error::{Result, TestkitError, TestkitErrorKind};
pub use install::{Binaries, BROKER_BIN, NAMESRV_BIN, ROCKETMQ_RUST_VERSION};
pub use process::{log_tail, pid_alive, RUST_LOG_ENV};
pub use remote::REMOTE_ENV;
pub use tempdir::{TempDir, KEEP_ENV};
