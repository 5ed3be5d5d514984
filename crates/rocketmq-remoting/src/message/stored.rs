//! Stored messages in commit-log layout: `common/message/MessageDecoder.java` (`decode`,
//! `decodesBatch`, `encode`), `MessageExt.java`, `MessageVersion.java` (protocol.md §3.4).
//!
//! PULL_MESSAGE, QUERY_MESSAGE, VIEW_MESSAGE_BY_ID, CHECK_TRANSACTION_STATE and
//! CONSUME_MESSAGE_DIRECTLY carry these records, concatenated:
//!
//! ```text
//! i32 TOTALSIZE | i32 MAGICCODE | i32 BODYCRC | i32 QUEUEID | i32 FLAG | i64 QUEUEOFFSET
//! i64 PHYSICALOFFSET | i32 SYSFLAG | i64 BORNTIMESTAMP | BORNHOST (4+4 or 16+4)
//! i64 STORETIMESTAMP | STOREHOST (4+4 or 16+4) | i32 RECONSUMETIMES | i64 PREPARED_TX_OFFSET
//! i32 BODYLENGTH + body | TOPICLENGTH (i8 in V1, i16 in V2) + topic | i16 PROPLENGTH + properties
//! ```
//!
//! Decoding is stricter than Java's, which stops silently at the first record it cannot read:
//! here any malformed record is an error, and so is a record whose fields do not add up to
//! exactly its TOTALSIZE. Two leniencies are kept from Java: topic and properties bytes that are
//! not valid UTF-8 are decoded lossily (`new String(bytes, UTF_8)`), and a V1 topic length byte
//! is read as unsigned (Java would fail on a topic longer than 127 bytes; V1 records with such
//! topics should not exist, but reading them costs nothing).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{Error, ErrorKind, Result};
use crate::message::compression;
use crate::message::keys;
use crate::message::msg_id;
use crate::message::properties::Properties;
use crate::message::sysflag::MessageSysFlag;

/// `MessageDecoder.MESSAGE_MAGIC_CODE` (`0xDAA320A7`): record version 1, 1-byte topic length.
pub const MESSAGE_MAGIC_CODE_V1: i32 = 0xDAA3_20A7_u32 as i32;
/// `MessageDecoder.MESSAGE_MAGIC_CODE_V2` (`0xDAA320AB`): record version 2 (5.1+), 2-byte topic
/// length; brokers write it for topics longer than 127 bytes.
pub const MESSAGE_MAGIC_CODE_V2: i32 = 0xDAA3_20AB_u32 as i32;

/// Longest topic (in UTF-8 bytes) a V1 record can hold; longer topics are written as V2
/// (`MessageVersion`, broker `autoMessageVersionOnTopicLen`).
pub const MAX_V1_TOPIC_LEN: usize = 127;

/// Size of the fields before the born host: TOTALSIZE..BORNTIMESTAMP.
const HEAD_LEN: usize = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8;
/// Smallest possible record: IPv4 hosts, empty body, V1 empty topic, no properties.
const MIN_RECORD_LEN: usize = HEAD_LEN + 8 + 8 + 8 + 4 + 8 + 4 + 1 + 2;

/// `MessageExt` (as decoded by `MessageClientExt`): one stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageExt {
    /// `queueId`: the queue within the topic.
    pub queue_id: i32,
    /// `flag`: the user flag.
    pub flag: i32,
    /// `queueOffset`: the offset in the consume queue.
    pub queue_offset: i64,
    /// `commitLogOffset`: the physical offset in the broker's commit log (needed by
    /// CONSUMER_SEND_MSG_BACK, VIEW_MESSAGE_BY_ID, END_TRANSACTION).
    pub commit_log_offset: i64,
    /// `sysFlag` (see [`MessageSysFlag`]). After decoding, the COMPRESSED bit is cleared when the
    /// body was decompressed (the compression type bits stay), as Java's client decoder does.
    pub sys_flag: i32,
    /// `bornTimestamp`: when the producer created the message (ms).
    pub born_timestamp: i64,
    /// `bornHost`: the producer's address as the broker saw it.
    pub born_host: SocketAddr,
    /// `storeTimestamp`: when the broker stored the message (ms).
    pub store_timestamp: i64,
    /// `storeHost`: the broker's address.
    pub store_host: SocketAddr,
    /// `reconsumeTimes`: how often the message was redelivered.
    pub reconsume_times: i32,
    /// `preparedTransactionOffset`.
    pub prepared_transaction_offset: i64,
    /// `body`, decompressed; as stored (still compressed) when [`MessageExt::decode_error`] is set.
    pub body: Bytes,
    /// `topic`.
    pub topic: String,
    /// `properties`.
    pub properties: Properties,
    /// `bodyCRC`: CRC32 of the body as stored (before decompression), masked to 31 bits.
    pub body_crc: i32,
    /// `storeSize`: the record's TOTALSIZE as the broker stored it (0 for a message not decoded
    /// from a stored record). Not written by [`encode_message`], which computes its own.
    pub store_size: i32,
    /// Why the body could not be decoded (an unknown compression type, a corrupt or oversized
    /// compressed body), or `None`. Such a message keeps its stored body and sysFlag; the
    /// consumer never hands it to a listener (it is sent back and ends in the DLQ).
    pub decode_error: Option<String>,
}

impl Default for MessageExt {
    fn default() -> Self {
        let unspecified = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
        MessageExt {
            queue_id: 0,
            flag: 0,
            queue_offset: 0,
            commit_log_offset: 0,
            sys_flag: 0,
            born_timestamp: 0,
            born_host: unspecified,
            store_timestamp: 0,
            store_host: unspecified,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body: Bytes::new(),
            topic: String::new(),
            properties: Properties::new(),
            body_crc: 0,
            store_size: 0,
            decode_error: None,
        }
    }
}

impl MessageExt {
    /// `MessageClientExt.getMsgId`: the `UNIQ_KEY` property when present, else the
    /// [offsetMsgId](Self::offset_msg_id).
    pub fn msg_id(&self) -> String {
        match self.uniq_key() {
            Some(id) => id.to_owned(),
            None => self.offset_msg_id(),
        }
    }

    /// `MessageClientExt.getOffsetMsgId`: the broker id made of the store host and the
    /// commit-log offset (`MessageDecoder.createMessageId`).
    pub fn offset_msg_id(&self) -> String {
        msg_id::create(self.store_host, self.commit_log_offset)
    }

    /// `MessageClientIDSetter.getUniqID`: the `UNIQ_KEY` property.
    pub fn uniq_key(&self) -> Option<&str> {
        self.properties.get(keys::UNIQ_KEY)
    }

    /// `Message.getTags`: the `TAGS` property.
    pub fn tags(&self) -> Option<&str> {
        self.properties.get(keys::TAGS)
    }

    /// `Message.getKeys`: the `KEYS` property, keys separated by a space.
    pub fn keys(&self) -> Option<&str> {
        self.properties.get(keys::KEYS)
    }

    /// The individual keys of [`keys`](Self::keys), split on `MessageConst.KEY_SEPARATOR`,
    /// empty pieces skipped.
    pub fn key_list(&self) -> impl Iterator<Item = &str> {
        self.keys().unwrap_or("").split(keys::KEY_SEPARATOR).filter(|k| !k.is_empty())
    }

    /// `Message.getProperty`.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties.get(name)
    }
}

/// `UtilAll.crc32(body) & 0x7FFFFFFF`: the BODYCRC field of a stored record (CRC-32/IEEE).
pub fn body_crc(body: &[u8]) -> i32 {
    let mut crc = flate2::Crc::new();
    crc.update(body);
    (crc.sum() & 0x7FFF_FFFF) as i32
}

/// Bounds-checked big-endian reads over one record.
struct Reader {
    buf: Bytes,
}

impl Reader {
    fn need(&self, n: usize, what: &str) -> Result<()> {
        if self.buf.remaining() < n {
            return Err(Error::protocol(format!(
                "stored message truncated: {what} needs {n} bytes, {} left in the record",
                self.buf.remaining()
            )));
        }
        Ok(())
    }

    fn i16(&mut self, what: &str) -> Result<i16> {
        self.need(2, what)?;
        Ok(self.buf.get_i16())
    }

    fn i32(&mut self, what: &str) -> Result<i32> {
        self.need(4, what)?;
        Ok(self.buf.get_i32())
    }

    fn i64(&mut self, what: &str) -> Result<i64> {
        self.need(8, what)?;
        Ok(self.buf.get_i64())
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        self.need(1, what)?;
        Ok(self.buf.get_u8())
    }

    fn bytes(&mut self, n: usize, what: &str) -> Result<Bytes> {
        self.need(n, what)?;
        Ok(self.buf.split_to(n))
    }

    fn host(&mut self, v6: bool, what: &str) -> Result<SocketAddr> {
        let ip = if v6 {
            self.need(16, what)?;
            let mut octets = [0u8; 16];
            self.buf.copy_to_slice(&mut octets);
            IpAddr::V6(Ipv6Addr::from(octets))
        } else {
            self.need(4, what)?;
            let mut octets = [0u8; 4];
            self.buf.copy_to_slice(&mut octets);
            IpAddr::V4(Ipv4Addr::from(octets))
        };
        let port = self.i32(what)?;
        let port = u16::try_from(port)
            .map_err(|_| Error::protocol(format!("stored message {what} port {port} is out of range")))?;
        Ok(SocketAddr::new(ip, port))
    }

    fn length(&mut self, raw: i64, what: &str) -> Result<usize> {
        usize::try_from(raw).map_err(|_| Error::protocol(format!("stored message {what} length {raw} is negative")))
    }
}

/// `MessageDecoder.decode(buf, readBody=true, deCompressBody=true, isClient=true)`: decode the
/// record at the front of `buf` and advance `buf` past it. On error `buf` is left unchanged.
///
/// A compressed body (sysFlag bit 0) is inflated with the algorithm of bits 8-10 (only ZLIB is
/// supported), capped at [`compression::MAX_DECOMPRESSED_SIZE`], and bit 0 is cleared in the
/// returned `sys_flag`.
pub fn decode_message(buf: &mut Bytes) -> Result<MessageExt> {
    if buf.remaining() < 4 {
        return Err(Error::protocol(format!("stored message truncated: {} bytes, no TOTALSIZE", buf.remaining())));
    }
    let total = i64::from(i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]));
    let total = usize::try_from(total).ok().filter(|&t| t >= MIN_RECORD_LEN).ok_or_else(|| {
        Error::protocol(format!("stored message TOTALSIZE {total} is below the minimum {MIN_RECORD_LEN}"))
    })?;
    if total > buf.remaining() {
        return Err(Error::protocol(format!(
            "stored message TOTALSIZE {total} exceeds the {} bytes left",
            buf.remaining()
        )));
    }
    let msg = decode_record(buf.slice(..total))?;
    buf.advance(total);
    Ok(msg)
}

fn decode_record(record: Bytes) -> Result<MessageExt> {
    let mut r = Reader { buf: record };
    let total = r.i32("TOTALSIZE")?;
    let magic = r.i32("MAGICCODE")?;
    let v2 = match magic {
        MESSAGE_MAGIC_CODE_V1 => false,
        MESSAGE_MAGIC_CODE_V2 => true,
        other => return Err(Error::protocol(format!("stored message has invalid magic code {:#010X}", other as u32))),
    };
    let body_crc = r.i32("BODYCRC")?;
    let queue_id = r.i32("QUEUEID")?;
    let flag = r.i32("FLAG")?;
    let queue_offset = r.i64("QUEUEOFFSET")?;
    let commit_log_offset = r.i64("PHYSICALOFFSET")?;
    let mut sys_flag = r.i32("SYSFLAG")?;
    let born_timestamp = r.i64("BORNTIMESTAMP")?;
    let born_host = r.host(sys_flag & MessageSysFlag::BORNHOST_V6_FLAG != 0, "BORNHOST")?;
    let store_timestamp = r.i64("STORETIMESTAMP")?;
    let store_host = r.host(sys_flag & MessageSysFlag::STOREHOSTADDRESS_V6_FLAG != 0, "STOREHOST")?;
    let reconsume_times = r.i32("RECONSUMETIMES")?;
    let prepared_transaction_offset = r.i64("PREPARED_TRANSACTION_OFFSET")?;

    let body_len = r.i32("BODYLENGTH")?;
    let body_len = r.length(i64::from(body_len), "body")?;
    let mut body = r.bytes(body_len, "body")?;
    let mut decode_error = None;
    if !body.is_empty() && MessageSysFlag::is_compressed(sys_flag) {
        // A body that cannot be inflated spoils only its own message: the record's framing is
        // intact, so the next record can still be read (Java 4.9.4 stops the batch here).
        match MessageSysFlag::get_compression_type(sys_flag).and_then(|kind| compression::decompress(&body, kind)) {
            Ok(plain) => {
                body = Bytes::from(plain);
                sys_flag = MessageSysFlag::clear_compressed_flag(sys_flag);
            }
            Err(e) => decode_error = Some(error_chain(&e)),
        }
    }

    let topic_len = if v2 {
        let len = r.i16("TOPICLENGTH")?;
        r.length(i64::from(len), "topic")?
    } else {
        usize::from(r.u8("TOPICLENGTH")?)
    };
    let topic = super::lossy_text(&r.bytes(topic_len, "topic")?).into_owned();

    let props_len = r.i16("PROPERTIESLENGTH")?;
    let props_len = r.length(i64::from(props_len), "properties")?;
    let props_raw = r.bytes(props_len, "properties")?;
    let properties = Properties::decode(&super::lossy_text(&props_raw));

    if r.buf.has_remaining() {
        return Err(Error::protocol(format!(
            "stored message has {} bytes after its properties, inside its TOTALSIZE",
            r.buf.remaining()
        )));
    }
    Ok(MessageExt {
        queue_id,
        flag,
        queue_offset,
        commit_log_offset,
        sys_flag,
        born_timestamp,
        born_host,
        store_timestamp,
        store_host,
        reconsume_times,
        prepared_transaction_offset,
        body,
        topic,
        properties,
        body_crc,
        store_size: total,
        decode_error,
    })
}

fn error_chain(e: &Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// `MessageDecoder.decodesBatch(buf, readBody=true, decompress=true, isClient=true)`: every
/// record of a PULL / QUERY_MESSAGE / VIEW body, in order. An empty body gives an empty list.
/// Unlike Java, which returns the records before the first bad one, any malformed record makes
/// the whole call fail, so a caller never mistakes a partial result for a complete one.
pub fn decode_messages(mut body: Bytes) -> Result<Vec<MessageExt>> {
    let mut out = Vec::new();
    while body.has_remaining() {
        let index = out.len();
        let msg = decode_message(&mut body).map_err(|e| {
            Error::protocol(format!("cannot decode stored message #{index} of the body")).with_source(e)
        })?;
        out.push(msg);
    }
    Ok(out)
}

/// `MessageDecoder.encode(messageExt, needCompress=false)`: the stored-record bytes of `msg`,
/// for tests and fake brokers.
///
/// The body and the sysFlag's COMPRESSED/type bits are written as given (to produce a
/// compressed record, compress the body first, see [`compression::zlib_compress`]). BODYCRC is
/// computed over the body ([`body_crc`]), `msg.body_crc` is ignored. Bits 4 and 5 of the written
/// sysFlag are set from the address families of `born_host` and `store_host`. Properties are
/// written in the 4.9.4 form ([`Properties::encode`]). Topics up to 127 bytes give a V1 record,
/// longer ones a V2 record.
///
/// Fails with [`ErrorKind::Encode`] when the topic exceeds 32 767 bytes, the properties exceed
/// 32 767 bytes (`Short.MAX_VALUE`) or the record exceeds 2 GiB.
pub fn encode_message(msg: &MessageExt) -> Result<Bytes> {
    let mut dst = BytesMut::new();
    encode_message_to(msg, &mut dst)?;
    Ok(dst.freeze())
}

/// [`encode_message`], appending to `dst` (a PULL body is several records back to back). On
/// error nothing is appended.
pub fn encode_message_to(msg: &MessageExt, dst: &mut BytesMut) -> Result<()> {
    let encode_err = |m: String| Error::new(ErrorKind::Encode, m);
    let topic = msg.topic.as_bytes();
    let v2 = topic.len() > MAX_V1_TOPIC_LEN;
    let topic_len = i16::try_from(topic.len())
        .map_err(|_| encode_err(format!("topic of {} bytes does not fit a stored message", topic.len())))?;
    let props = msg.properties.encode();
    let props_len = i16::try_from(props.len())
        .map_err(|_| encode_err(format!("properties of {} bytes exceed 32767", props.len())))?;
    let body_len = i32::try_from(msg.body.len())
        .map_err(|_| encode_err(format!("body of {} bytes is too long", msg.body.len())))?;
    let host_len = |h: &SocketAddr| if h.is_ipv6() { 20 } else { 8 };
    let total = HEAD_LEN
        + host_len(&msg.born_host)
        + 8
        + host_len(&msg.store_host)
        + 4
        + 8
        + 4
        + msg.body.len()
        + if v2 { 2 } else { 1 }
        + topic.len()
        + 2
        + props.len();
    let total = i32::try_from(total).map_err(|_| encode_err(format!("stored message of {total} bytes is too long")))?;

    let mut sys_flag = msg.sys_flag & !(MessageSysFlag::BORNHOST_V6_FLAG | MessageSysFlag::STOREHOSTADDRESS_V6_FLAG);
    if msg.born_host.is_ipv6() {
        sys_flag |= MessageSysFlag::BORNHOST_V6_FLAG;
    }
    if msg.store_host.is_ipv6() {
        sys_flag |= MessageSysFlag::STOREHOSTADDRESS_V6_FLAG;
    }

    dst.reserve(total as usize);
    dst.put_i32(total);
    dst.put_i32(if v2 { MESSAGE_MAGIC_CODE_V2 } else { MESSAGE_MAGIC_CODE_V1 });
    dst.put_i32(body_crc(&msg.body));
    dst.put_i32(msg.queue_id);
    dst.put_i32(msg.flag);
    dst.put_i64(msg.queue_offset);
    dst.put_i64(msg.commit_log_offset);
    dst.put_i32(sys_flag);
    dst.put_i64(msg.born_timestamp);
    put_host(dst, &msg.born_host);
    dst.put_i64(msg.store_timestamp);
    put_host(dst, &msg.store_host);
    dst.put_i32(msg.reconsume_times);
    dst.put_i64(msg.prepared_transaction_offset);
    dst.put_i32(body_len);
    dst.extend_from_slice(&msg.body);
    if v2 {
        dst.put_i16(topic_len);
    } else {
        // topic.len() <= 127 here.
        dst.put_u8(topic.len() as u8);
    }
    dst.extend_from_slice(topic);
    dst.put_i16(props_len);
    dst.extend_from_slice(props.as_bytes());
    Ok(())
}

fn put_host(dst: &mut BytesMut, host: &SocketAddr) {
    match host.ip() {
        IpAddr::V4(ip) => dst.extend_from_slice(&ip.octets()),
        IpAddr::V6(ip) => dst.extend_from_slice(&ip.octets()),
    }
    dst.put_i32(i32::from(host.port()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::compression::zlib_compress;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn sample() -> MessageExt {
        let mut properties = Properties::new();
        properties.insert("KEYS", "k1 k2");
        properties.insert("TAGS", "TagA");
        properties.insert("unicode", "héllo-世界");
        MessageExt {
            queue_id: 3,
            flag: 7,
            queue_offset: 42,
            commit_log_offset: 4756,
            sys_flag: 0,
            born_timestamp: 1_795_561_030_401,
            born_host: "127.0.0.1:38234".parse().unwrap_or_else(|_| MessageExt::default().born_host),
            store_timestamp: 1_795_561_030_408,
            store_host: "127.0.0.1:60911".parse().unwrap_or_else(|_| MessageExt::default().store_host),
            reconsume_times: 1,
            prepared_transaction_offset: 9,
            body: Bytes::from_static(b"hello\0world\0\0\x01\x02\xff\xfe\0"),
            topic: "GoldenConsumeTopic".to_owned(),
            properties,
            body_crc: body_crc(b"hello\0world\0\0\x01\x02\xff\xfe\0"),
            store_size: 0,
            decode_error: None,
        }
    }

    #[test]
    fn crc_matches_java() {
        // java.util.zip.CRC32("123456789") = 0xCBF43926; masked to 31 bits: 0x4BF43926.
        assert_eq!(body_crc(b"123456789"), 0x4BF4_3926);
        assert_eq!(body_crc(b""), 0);
        // c-push-consumer/036: BODYCRC 179136851 of "feed-body-0-TagA:k1:a=1".
        assert_eq!(body_crc(b"feed-body-0-TagA:k1:a=1"), 179_136_851);
    }

    #[test]
    fn round_trip_v1_ipv4() -> TestResult {
        let mut msg = sample();
        let bytes = encode_message(&msg)?;
        assert_eq!(bytes.len(), 91 + msg.body.len() + msg.topic.len() + msg.properties.encode().len());
        msg.store_size = i32::try_from(bytes.len())?; // decoding reports the record's TOTALSIZE
        assert_eq!(&bytes[4..8], &MESSAGE_MAGIC_CODE_V1.to_be_bytes());
        let mut buf = bytes.clone();
        let decoded = decode_message(&mut buf)?;
        assert!(buf.is_empty());
        assert_eq!(decoded, msg);
        assert_eq!(decoded.msg_id(), decoded.offset_msg_id());
        assert_eq!(decoded.offset_msg_id(), "7F0000010000EDEF0000000000001294");
        assert_eq!(decoded.tags(), Some("TagA"));
        assert_eq!(decoded.keys(), Some("k1 k2"));
        assert_eq!(decoded.key_list().collect::<Vec<_>>(), vec!["k1", "k2"]);
        Ok(())
    }

    #[test]
    fn uniq_key_is_the_msg_id() -> TestResult {
        let mut msg = sample();
        msg.properties.insert(keys::UNIQ_KEY, "C00002021BF95FFD2B277B5F1B010000");
        let decoded = decode_message(&mut encode_message(&msg)?)?;
        assert_eq!(decoded.msg_id(), "C00002021BF95FFD2B277B5F1B010000");
        assert_eq!(decoded.uniq_key(), Some("C00002021BF95FFD2B277B5F1B010000"));
        Ok(())
    }

    #[test]
    fn ipv6_hosts_set_and_follow_the_flags() -> TestResult {
        let mut msg = sample();
        msg.born_host = "[2001:db8::2]:40000".parse()?;
        msg.store_host = "[2001:db8::1]:10911".parse()?;
        let bytes = encode_message(&msg)?;
        assert_eq!(bytes.len(), encode_message(&sample())?.len() + 24);
        let decoded = decode_message(&mut bytes.clone())?;
        assert_eq!(decoded.sys_flag, MessageSysFlag::BORNHOST_V6_FLAG | MessageSysFlag::STOREHOSTADDRESS_V6_FLAG);
        assert_eq!(decoded.born_host, msg.born_host);
        assert_eq!(decoded.store_host, msg.store_host);
        assert_eq!(decoded.offset_msg_id().len(), msg_id::IPV6_LEN);
        assert_eq!(msg_id::decode(&decoded.offset_msg_id())?, (msg.store_host, msg.commit_log_offset));
        // Only the born host in IPv6.
        msg.store_host = "127.0.0.1:60911".parse()?;
        let decoded = decode_message(&mut encode_message(&msg)?)?;
        assert_eq!(decoded.sys_flag, MessageSysFlag::BORNHOST_V6_FLAG);
        assert_eq!(decoded.born_host, msg.born_host);
        Ok(())
    }

    #[test]
    fn long_topic_needs_v2() -> TestResult {
        let mut msg = sample();
        msg.topic = format!("%RETRY%{}", "g".repeat(200));
        let bytes = encode_message(&msg)?;
        assert_eq!(&bytes[4..8], &MESSAGE_MAGIC_CODE_V2.to_be_bytes());
        let decoded = decode_message(&mut bytes.clone())?;
        assert_eq!(decoded.store_size as usize, bytes.len());
        assert_eq!(MessageExt { store_size: 0, ..decoded }, msg);
        // Exactly 127 bytes still fits V1, 128 does not.
        msg.topic = "t".repeat(127);
        assert_eq!(&encode_message(&msg)?[4..8], &MESSAGE_MAGIC_CODE_V1.to_be_bytes());
        msg.topic = "t".repeat(128);
        let bytes = encode_message(&msg)?;
        assert_eq!(&bytes[4..8], &MESSAGE_MAGIC_CODE_V2.to_be_bytes());
        assert_eq!(decode_message(&mut bytes.clone())?.topic.len(), 128);
        // A V2 record with a short topic decodes too.
        msg.topic = "short".to_owned();
        let mut raw = BytesMut::from(&encode_message(&msg)?[..]);
        let total = raw.len() as i32 + 1;
        raw[0..4].copy_from_slice(&total.to_be_bytes());
        raw[4..8].copy_from_slice(&MESSAGE_MAGIC_CODE_V2.to_be_bytes());
        let topic_at = raw.len() - 2 - msg.properties.encode().len() - 5 - 1;
        let mut v2 = BytesMut::new();
        v2.extend_from_slice(&raw[..topic_at]);
        v2.put_i16(5);
        v2.extend_from_slice(&raw[topic_at + 1..]);
        msg.store_size = total;
        assert_eq!(decode_message(&mut v2.freeze())?, msg);
        Ok(())
    }

    #[test]
    fn oversized_fields_fail_to_encode() {
        let mut msg = sample();
        msg.topic = "t".repeat(40_000);
        assert_eq!(encode_message(&msg).err().map(|e| e.kind()), Some(ErrorKind::Encode));
        let mut msg = sample();
        msg.properties.insert("big", "v".repeat(40_000));
        assert_eq!(encode_message(&msg).err().map(|e| e.kind()), Some(ErrorKind::Encode));
    }

    #[test]
    fn compressed_body_is_inflated_and_flag_cleared() -> TestResult {
        let plain: Vec<u8> = (0..6144u32).map(|i| (i % 7) as u8).collect();
        let mut msg = sample();
        msg.body = Bytes::from(zlib_compress(&plain, 5)?);
        msg.sys_flag = MessageSysFlag::COMPRESSED_FLAG | MessageSysFlag::COMPRESSION_ZLIB_TYPE;
        let decoded = decode_message(&mut encode_message(&msg)?)?;
        assert_eq!(decoded.body, plain);
        assert_eq!(decoded.sys_flag, MessageSysFlag::COMPRESSION_ZLIB_TYPE);
        assert_eq!(decoded.body_crc, body_crc(&msg.body));
        // Legacy producers set only bit 0: still ZLIB.
        msg.sys_flag = MessageSysFlag::COMPRESSED_FLAG;
        assert_eq!(decode_message(&mut encode_message(&msg)?)?.sys_flag, 0);
        // A zlib body labelled LZ4 is not mis-decoded: the message is marked undecodable and
        // keeps its stored body and flag.
        msg.sys_flag = MessageSysFlag::COMPRESSED_FLAG | MessageSysFlag::COMPRESSION_LZ4_TYPE;
        let bad = decode_message(&mut encode_message(&msg)?)?;
        assert!(bad.decode_error.as_deref().is_some_and(|e| e.contains("LZ4")), "{:?}", bad.decode_error);
        assert_eq!((bad.body.clone(), bad.sys_flag), (msg.body.clone(), msg.sys_flag));
        // An unknown compression type (bits 8-10 = 7) likewise.
        msg.sys_flag = MessageSysFlag::COMPRESSED_FLAG | (7 << 8);
        let bad = decode_message(&mut encode_message(&msg)?)?;
        assert!(bad.decode_error.as_deref().is_some_and(|e| e.contains("unknown compression type")));
        // A corrupt compressed body spoils its own message only: the next record still decodes.
        msg.sys_flag = MessageSysFlag::COMPRESSED_FLAG;
        msg.body = Bytes::from_static(b"definitely not zlib");
        let mut two = BytesMut::from(&encode_message(&msg)?[..]);
        two.extend_from_slice(&encode_message(&sample())?);
        let msgs = decode_messages(two.freeze())?;
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].decode_error.as_deref().is_some_and(|e| e.contains("corrupt zlib")));
        assert_eq!(msgs[1].decode_error, None);
        assert_eq!(msgs[1].body, sample().body);
        Ok(())
    }

    #[test]
    fn decode_messages_concatenated_and_empty() -> TestResult {
        assert!(decode_messages(Bytes::new())?.is_empty());
        let mut a = sample();
        let mut b = sample();
        b.topic = "other".to_owned();
        b.body = Bytes::new();
        b.body_crc = 0;
        b.properties = Properties::new();
        let mut body = BytesMut::new();
        encode_message_to(&a, &mut body)?;
        let a_len = body.len();
        encode_message_to(&b, &mut body)?;
        let b_len = body.len() - a_len;
        let all = decode_messages(body.freeze())?;
        a.body_crc = body_crc(&a.body);
        a.store_size = i32::try_from(a_len)?;
        b.store_size = i32::try_from(b_len)?;
        assert_eq!(all, vec![a, b]);
        Ok(())
    }

    #[test]
    fn malformed_records_are_errors_and_leave_the_buffer() -> TestResult {
        let good = encode_message(&sample())?;
        // Truncated anywhere.
        for cut in 0..good.len() {
            let mut buf = good.slice(..cut);
            assert!(decode_message(&mut buf).is_err(), "cut at {cut}");
            assert_eq!(buf.len(), cut);
        }
        // Bad magic.
        let mut bad = BytesMut::from(&good[..]);
        bad[7] ^= 0x01;
        assert!(decode_message(&mut bad.freeze()).is_err());
        // TOTALSIZE larger than the fields (trailing bytes inside the record).
        let mut bad = BytesMut::from(&good[..]);
        bad.put_u8(0);
        let total = good.len() as i32 + 1;
        bad[0..4].copy_from_slice(&total.to_be_bytes());
        assert!(decode_message(&mut bad.freeze()).is_err());
        // Negative and tiny TOTALSIZE.
        for total in [-1i32, 0, 4, 90] {
            let mut bad = BytesMut::from(&good[..]);
            bad[0..4].copy_from_slice(&total.to_be_bytes());
            assert!(decode_message(&mut bad.freeze()).is_err(), "total {total}");
        }
        // Negative body length.
        let mut bad = BytesMut::from(&good[..]);
        bad[84..88].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(decode_message(&mut bad.freeze()).is_err());
        // Port out of range.
        let mut bad = BytesMut::from(&good[..]);
        bad[52..56].copy_from_slice(&70_000i32.to_be_bytes());
        assert!(decode_message(&mut bad.freeze()).is_err());
        // One good record followed by garbage: the whole decode fails.
        let mut two = BytesMut::from(&good[..]);
        two.extend_from_slice(b"garbage");
        assert!(decode_messages(two.freeze()).is_err());
        Ok(())
    }
}
