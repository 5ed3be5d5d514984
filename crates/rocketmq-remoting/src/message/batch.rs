//! The SEND_BATCH_MESSAGE body: `MessageDecoder.encodeMessage` / `encodeMessages` /
//! `decodeMessages` (protocol.md §3.5).
//!
//! One entry per message, back to back:
//!
//! ```text
//! i32 TOTALSIZE (= 22 + body + properties) | i32 MAGICCODE (0) | i32 BODYCRC (0) | i32 FLAG
//! i32 BODYLENGTH + body | i16 PROPERTIESLENGTH + properties
//! ```
//!
//! The properties string of each entry is the message's own (with its `UNIQ_KEY`); batches are
//! never compressed by the Java client.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{Error, ErrorKind, Result};
use crate::message::properties::Properties;

/// Fixed bytes per entry: TOTALSIZE, MAGICCODE, BODYCRC, FLAG, BODYLENGTH, PROPERTIESLENGTH.
const ENTRY_OVERHEAD: usize = 4 + 4 + 4 + 4 + 4 + 2;

/// One message of a batch, as `MessageDecoder.encodeMessage` reads it from a `Message`: only
/// its flag, body and properties string go on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchEntry<'a> {
    /// `Message.flag`.
    pub flag: i32,
    /// `Message.body`, uncompressed.
    pub body: &'a [u8],
    /// The encoded properties (`messageProperties2String`, see [`Properties::encode`]).
    pub properties: &'a str,
}

/// A message decoded from a batch body (`MessageDecoder.decodeMessage`), e.g. by a fake broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchMessage {
    /// `Message.flag`.
    pub flag: i32,
    /// `Message.body`.
    pub body: Bytes,
    /// `Message.properties`.
    pub properties: Properties,
}

/// `MessageDecoder.encodeMessage`: append one entry to `dst`. Fails with [`ErrorKind::Encode`]
/// (and appends nothing) when the properties exceed 32 767 bytes, as Java refuses them, or the
/// entry exceeds 2 GiB.
pub fn encode_batch_entry(dst: &mut BytesMut, entry: &BatchEntry<'_>) -> Result<()> {
    let props_len = i16::try_from(entry.properties.len()).map_err(|_| {
        Error::new(
            ErrorKind::Encode,
            format!("properties of {} bytes exceed the 32767-byte limit of a batch entry", entry.properties.len()),
        )
    })?;
    let total = ENTRY_OVERHEAD + entry.body.len() + entry.properties.len();
    let total = i32::try_from(total)
        .map_err(|_| Error::new(ErrorKind::Encode, format!("batch entry of {total} bytes is too long")))?;
    dst.reserve(total as usize);
    dst.put_i32(total);
    dst.put_i32(0); // MAGICCODE, ignored by the broker
    dst.put_i32(0); // BODYCRC, computed by the broker
    dst.put_i32(entry.flag);
    dst.put_i32(entry.body.len() as i32); // < total, so it fits
    dst.extend_from_slice(entry.body);
    dst.put_i16(props_len);
    dst.extend_from_slice(entry.properties.as_bytes());
    Ok(())
}

/// `MessageDecoder.encodeMessages`: the body of a SEND_BATCH_MESSAGE request.
pub fn encode_batch<'a, I>(entries: I) -> Result<Bytes>
where
    I: IntoIterator<Item = BatchEntry<'a>>,
    I::IntoIter: Clone,
{
    let entries = entries.into_iter();
    // One allocation for the whole body: grown entry by entry, it was copied log2(n) times.
    let size = entries.clone().map(|e| ENTRY_OVERHEAD + e.body.len() + e.properties.len()).sum();
    let mut dst = BytesMut::with_capacity(size);
    for entry in entries {
        encode_batch_entry(&mut dst, &entry)?;
    }
    Ok(dst.freeze())
}

/// `MessageDecoder.decodeMessages`: split a batch body into its messages. Any entry whose
/// lengths are negative, run past the body or disagree with its TOTALSIZE is a protocol error.
pub fn decode_batch(mut body: Bytes) -> Result<Vec<BatchMessage>> {
    let mut out = Vec::new();
    while body.has_remaining() {
        let index = out.len();
        let err = |what: &str| Error::protocol(format!("batch entry #{index}: {what}"));
        if body.remaining() < ENTRY_OVERHEAD {
            return Err(err("truncated header"));
        }
        let total = usize::try_from(body.get_i32()).map_err(|_| err("negative TOTALSIZE"))?;
        if total < ENTRY_OVERHEAD || total - 4 > body.remaining() {
            return Err(err("TOTALSIZE out of range"));
        }
        let mut entry = body.split_to(total - 4);
        entry.advance(8); // MAGICCODE, BODYCRC
        let flag = entry.get_i32();
        let body_len = usize::try_from(entry.get_i32()).map_err(|_| err("negative body length"))?;
        if body_len > entry.remaining().saturating_sub(2) {
            return Err(err("body length runs past the entry"));
        }
        let msg_body = entry.split_to(body_len);
        let props_len = usize::try_from(entry.get_i16()).map_err(|_| err("negative properties length"))?;
        if props_len != entry.remaining() {
            return Err(err("properties length disagrees with TOTALSIZE"));
        }
        let properties = Properties::decode(&super::lossy_text(&entry));
        out.push(BatchMessage { flag, body: msg_body, properties });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn entry_layout() -> TestResult {
        let body = encode_batch([BatchEntry { flag: 5, body: b"batch body 0", properties: "k\u{1}v" }])?;
        let mut want = Vec::new();
        want.extend_from_slice(&(22 + 12 + 3i32).to_be_bytes());
        want.extend_from_slice(&[0; 8]);
        want.extend_from_slice(&5i32.to_be_bytes());
        want.extend_from_slice(&12i32.to_be_bytes());
        want.extend_from_slice(b"batch body 0");
        want.extend_from_slice(&3i16.to_be_bytes());
        want.extend_from_slice(b"k\x01v");
        assert_eq!(&body[..], &want[..]);
        Ok(())
    }

    #[test]
    fn round_trip() -> TestResult {
        let p0: Properties = [("KEYS", "batch-key-0"), ("idx", "0")].into_iter().collect();
        let p1: Properties = [("unicode", "héllo-世界")].into_iter().collect();
        let (s0, s1) = (p0.encode(), p1.encode());
        let entries = [
            BatchEntry { flag: 0, body: b"a\0b", properties: &s0 },
            BatchEntry { flag: -1, body: b"", properties: &s1 },
            BatchEntry { flag: 7, body: b"x", properties: "" },
        ];
        let decoded = decode_batch(encode_batch(entries)?)?;
        assert_eq!(decoded.len(), 3);
        assert_eq!(decoded[0], BatchMessage { flag: 0, body: Bytes::from_static(b"a\0b"), properties: p0 });
        assert_eq!(decoded[1], BatchMessage { flag: -1, body: Bytes::new(), properties: p1 });
        assert_eq!(decoded[2], BatchMessage { flag: 7, body: Bytes::from_static(b"x"), properties: Properties::new() });
        assert!(decode_batch(Bytes::new())?.is_empty());
        Ok(())
    }

    #[test]
    fn oversized_properties_are_refused() {
        let big = "k\u{1}".to_owned() + &"v".repeat(32_766);
        let mut dst = BytesMut::new();
        let err = encode_batch_entry(&mut dst, &BatchEntry { flag: 0, body: b"", properties: &big });
        assert_eq!(err.err().map(|e| e.kind()), Some(ErrorKind::Encode));
        assert!(dst.is_empty());
        let ok = "v".repeat(32_767);
        assert!(encode_batch_entry(&mut dst, &BatchEntry { flag: 0, body: b"", properties: &ok }).is_ok());
    }

    #[test]
    fn malformed_bodies_are_errors() -> TestResult {
        let good = encode_batch([BatchEntry { flag: 0, body: b"body", properties: "k\u{1}v" }])?;
        for cut in 1..good.len() {
            assert!(decode_batch(good.slice(..cut)).is_err(), "cut at {cut}");
        }
        for (at, value) in [(0usize, -1i32), (0, 3), (0, 1000), (16, -1), (16, 100)] {
            let mut bad = BytesMut::from(&good[..]);
            bad[at..at + 4].copy_from_slice(&value.to_be_bytes());
            assert!(decode_batch(bad.freeze()).is_err(), "{value} at {at}");
        }
        Ok(())
    }
}
