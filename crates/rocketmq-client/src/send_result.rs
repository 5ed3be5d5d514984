//! The outcome of a send (`client/producer/SendResult.java`, `SendStatus.java`).

use rocketmq_remoting::MessageQueue;

/// How durable the stored message is. Every variant means the broker stored it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendStatus {
    /// Stored (and flushed/replicated as configured).
    Ok,
    /// Stored, but the synchronous disk flush timed out.
    FlushDiskTimeout,
    /// Stored, but synchronous replication to the slave timed out.
    FlushSlaveTimeout,
    /// Stored, but no slave was available for synchronous replication.
    SlaveNotAvailable,
}

impl SendStatus {
    /// The value rocketmq-client-python 2.x uses (`SendStatus` IntEnum).
    pub fn as_i32(self) -> i32 {
        match self {
            SendStatus::Ok => 0,
            SendStatus::FlushDiskTimeout => 1,
            SendStatus::FlushSlaveTimeout => 2,
            SendStatus::SlaveNotAvailable => 3,
        }
    }
}

/// A successful send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    /// Durability status.
    pub status: SendStatus,
    /// The client-generated id (`UNIQ_KEY`); comma-joined for a batch.
    pub msg_id: String,
    /// The broker's id: store host + commit-log offset; comma-joined for a batch.
    pub offset_msg_id: String,
    /// The queue the message went to.
    pub queue: MessageQueue,
    /// Offset in that queue (of the first message, for a batch).
    pub queue_offset: i64,
    /// Transaction id, as echoed by the broker.
    pub transaction_id: Option<String>,
    /// The broker's region (`MSG_REGION`).
    pub region_id: Option<String>,
    /// The address of the broker that stored it.
    pub broker_addr: String,
}
