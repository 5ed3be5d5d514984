//! Message encoding (protocol.md §3): the properties string and its well-known keys, the flag
//! words, message ids, body compression, the stored-message layout and the batch body.
//!
//! | module | Java |
//! |---|---|
//! | [`properties`] | `MessageDecoder.messageProperties2String` / `string2messageProperties` |
//! | [`keys`] | `MessageConst` |
//! | [`sysflag`] | `MessageSysFlag`, `PullSysFlag`, `TopicSysFlag`, `PermName` |
//! | [`uniq_id`] | `MessageClientIDSetter` (`UNIQ_KEY`) |
//! | [`msg_id`] | `MessageDecoder.createMessageId` / `decodeMessageId` (offsetMsgId) |
//! | [`compression`] | `CompressionType`, `ZlibCompressor` |
//! | [`stored`] | `MessageDecoder.decode` / `decodesBatch` / `encode`, `MessageExt` |
//! | [`batch`] | `MessageDecoder.encodeMessages` / `decodeMessages` |
//! | [`hash`] | `String.hashCode` (tags codes) |

pub mod batch;
pub mod compression;
pub mod hash;
mod hex;
pub mod keys;
pub mod msg_id;
pub mod properties;
pub mod stored;
pub mod sysflag;
pub mod uniq_id;

pub use batch::{decode_batch, encode_batch, BatchEntry, BatchMessage};
pub use compression::CompressionType;
pub use hash::java_string_hash;
pub use properties::Properties;
pub use stored::{decode_message, decode_messages, encode_message, MessageExt};
pub use sysflag::{MessageSysFlag, PermName, PullSysFlag, TopicSysFlag};
pub use uniq_id::create_uniq_id;
