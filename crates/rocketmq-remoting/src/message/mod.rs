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

/// Text of a record field, invalid UTF-8 replaced as Java's decoder does (`new String(bytes,
/// UTF_8)` substitutes U+FFFD). Validated with `str::from_utf8` first: its word-at-a-time
/// ASCII path is several times faster than `String::from_utf8_lossy`'s chunk scan, which was
/// a tenth of decoding a pull response.
pub(crate) fn lossy_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lossy_text_replaces_invalid_utf8_like_from_utf8_lossy() {
        for bytes in [&b"plain"[..], "t\u{e9}l\u{e9}".as_bytes(), &b"bad \xff\xfe tail"[..], &b""[..], &b"\xe2\x82"[..]]
        {
            assert_eq!(super::lossy_text(bytes), String::from_utf8_lossy(bytes));
        }
    }
}
