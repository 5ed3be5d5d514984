//! Golden message bodies: stored messages (PULL, VIEW_MESSAGE_BY_ID, QUERY_MESSAGE,
//! CHECK_TRANSACTION_STATE, CONSUME_MESSAGE_DIRECTLY), the batch body and the zlib body that the
//! Java 4.9.4 client and broker produced (tests/fixtures/java-4.9.4).

use std::error::Error;
use std::net::SocketAddr;
use std::path::Path;

use bytes::{Buf, Bytes};
use rocketmq_remoting::header::{
    CheckTransactionStateRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use rocketmq_remoting::message::compression::{self, zlib_compress, zlib_decompress, CompressionType};
use rocketmq_remoting::message::stored::body_crc;
use rocketmq_remoting::message::{
    decode_batch, decode_message, decode_messages, encode_batch, encode_message, keys, msg_id, BatchEntry, MessageExt,
    MessageSysFlag, Properties,
};
use rocketmq_remoting::RemotingCommand;
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

fn frame(scenario: &str, file: &str) -> Result<RemotingCommand, Box<dyn Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/java-4.9.4").join(scenario).join(file);
    Ok(RemotingCommand::decode_with_length(Bytes::from(std::fs::read(path)?))?)
}

fn broker() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 60911))
}

/// A frame of the second capture (`tests/fixtures/java-4.9.4-proxy`).
fn proxy_frame(scenario: &str, file: &str) -> Result<RemotingCommand, Box<dyn Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/java-4.9.4-proxy").join(scenario).join(file);
    Ok(RemotingCommand::decode_with_length(Bytes::from(std::fs::read(path)?))?)
}

fn only(msgs: Vec<MessageExt>) -> Result<MessageExt, Box<dyn Error>> {
    let n = msgs.len();
    let mut it = msgs.into_iter();
    match (it.next(), it.next()) {
        (Some(m), None) => Ok(m),
        _ => Err(format!("expected exactly one message, got {n}").into()),
    }
}

/// Every frame of the captures whose body is stored messages: FOUND pull responses,
/// VIEW_MESSAGE_BY_ID (33) / QUERY_MESSAGE (12) responses, and the broker's
/// CHECK_TRANSACTION_STATE (39) / CONSUME_MESSAGE_DIRECTLY (309) requests.
fn stored_message_frames() -> Result<Vec<(String, RemotingCommand)>, Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/java-4.9.4");
    let mut dirs: Vec<_> =
        std::fs::read_dir(&root)?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let index: Value = serde_json::from_slice(&std::fs::read(dir.join("index.json"))?)?;
        for meta in index["frames"].as_array().ok_or("no frames")? {
            let is_response = meta["kind"] == "response";
            let carries = if is_response {
                meta["code"] == 0 && [11, 12, 33].iter().any(|c| meta["request_code"] == *c)
            } else {
                meta["code"] == 39 || meta["code"] == 309
            };
            if carries && meta["body_length"].as_u64().unwrap_or(0) > 0 {
                let file = meta["file"].as_str().ok_or("no file")?;
                let scenario = dir.file_name().and_then(|n| n.to_str()).ok_or("dir")?;
                out.push((format!("{scenario}/{file}"), frame(scenario, file)?));
            }
        }
    }
    Ok(out)
}

fn has_duplicate_names(raw_properties: &str) -> bool {
    let mut seen = std::collections::HashSet::new();
    raw_properties.split('\u{2}').filter_map(|s| s.split_once('\u{1}')).any(|(k, _)| !seen.insert(k))
}

#[test]
fn every_captured_stored_message_decodes_and_reencodes() -> TestResult {
    let frames = stored_message_frames()?;
    // 12 PULL FOUND, 2 VIEW, 1 QUERY, 1 CHECK_TRANSACTION_STATE, 1 CONSUME_MESSAGE_DIRECTLY.
    assert_eq!(frames.len(), 17, "{:?}", frames.iter().map(|(n, _)| n).collect::<Vec<_>>());
    let (mut records, mut with_duplicates) = (0, 0);
    for (name, cmd) in &frames {
        let msgs = decode_messages(cmd.body.clone()).map_err(|e| format!("{name}: {e}"))?;
        assert!(!msgs.is_empty(), "{name}");
        // Walk the records again one by one to compare each with its own bytes.
        let mut rest = cmd.body.clone();
        for msg in &msgs {
            let start = cmd.body.len() - rest.len();
            let one = decode_message(&mut rest)?;
            assert_eq!(&one, msg, "{name}");
            let raw = cmd.body.slice(start..cmd.body.len() - rest.len());
            records += 1;
            assert_eq!(msg.store_host, broker(), "{name}");
            assert_eq!(msg.body_crc, body_crc(&msg.body), "{name}: BODYCRC");
            assert_eq!(msg_id::decode(&msg.offset_msg_id())?, (broker(), msg.commit_log_offset), "{name}");
            assert!(msg.uniq_key().is_some(), "{name}: every Java message has a UNIQ_KEY");
            assert_eq!(msg.msg_id(), msg.uniq_key().unwrap_or_default());
            assert!(msg.property(keys::CLUSTER) == Some("GoldenCluster"), "{name}");
            let encoded = encode_message(msg)?;
            // The broker appends CLUSTER (and, for batch entries, WAIT again) to the producer's
            // string, so batch records carry WAIT twice: the map keeps one, and the re-encoding
            // is shorter. Every other record must come back byte for byte.
            let raw_props = String::from_utf8_lossy(&raw[raw.len() - props_len(&raw)?..]).into_owned();
            if has_duplicate_names(&raw_props) {
                with_duplicates += 1;
                assert_eq!(Properties::decode(&raw_props), msg.properties);
                assert!(encoded.len() < raw.len(), "{name}");
            } else {
                assert_eq!(encoded, raw, "{name}: re-encoding differs");
            }
        }
        assert!(rest.is_empty());
    }
    assert_eq!(records, 20);
    assert_eq!(with_duplicates, 3, "the three batch entries in e-admin-tools/025");
    Ok(())
}

/// Length of the properties section of one raw record (its last field).
fn props_len(raw: &[u8]) -> Result<usize, Box<dyn Error>> {
    // Walk: fixed part (IPv4 hosts in these captures), body, topic (V1), properties.
    let mut b = raw;
    b.advance(84);
    let body_len = b.get_i32() as usize;
    b.advance(body_len);
    let topic_len = b.get_u8() as usize;
    b.advance(topic_len);
    let len = b.get_i16() as usize;
    if len != b.remaining() {
        return Err("properties length disagrees".into());
    }
    Ok(len)
}

#[test]
fn push_consumer_pull_found() -> TestResult {
    let send: SendMessageRequestHeaderV2 = frame("c-push-consumer", "033-c2s-req-310.bin")?.decode_header()?;
    let sent = frame("c-push-consumer", "033-c2s-req-310.bin")?;
    let stored: SendMessageResponseHeader = frame("c-push-consumer", "034-s2c-resp-0.bin")?.decode_header()?;
    let msg = only(decode_messages(frame("c-push-consumer", "036-s2c-resp-0.bin")?.body)?)?;
    assert_eq!(msg.topic, "GoldenConsumeTopic");
    assert_eq!(msg.tags(), Some("TagA"));
    assert_eq!(msg.keys(), Some("k1"));
    assert_eq!(msg.property("a"), Some("1"));
    assert_eq!(msg.body, sent.body);
    assert_eq!(msg.body.as_ref(), b"feed-body-0-TagA:k1:a=1");
    assert_eq!((msg.queue_id, msg.queue_offset, msg.commit_log_offset), (3, 0, 4756));
    assert_eq!((msg.flag, msg.sys_flag, msg.reconsume_times, msg.prepared_transaction_offset), (0, 0, 0, 0));
    assert_eq!(msg.born_timestamp, send.g);
    assert_eq!(msg.store_timestamp, 1_795_561_030_408);
    assert_eq!(msg.born_host, SocketAddr::from(([127, 0, 0, 1], 38234)));
    assert_eq!(msg.offset_msg_id(), stored.msg_id);
    let sent_props = Properties::decode(send.i.as_deref().unwrap_or(""));
    assert_eq!(msg.uniq_key(), sent_props.get(keys::UNIQ_KEY));
    assert_eq!(msg.msg_id(), "C00002021BF95FFD2B277B5F1B010000");
    // The broker drops WAIT and adds CLUSTER.
    assert_eq!(msg.property(keys::WAIT), None);
    assert_eq!(msg.property(keys::CLUSTER), Some("GoldenCluster"));
    Ok(())
}

#[test]
fn redelivered_message_from_the_retry_topic() -> TestResult {
    let first: SendMessageResponseHeader = frame("c-push-consumer", "039-s2c-resp-0.bin")?.decode_header()?;
    let msg = only(decode_messages(frame("c-push-consumer", "057-s2c-resp-0.bin")?.body)?)?;
    assert_eq!(msg.topic, "%RETRY%GoldenPushGroup");
    assert_eq!(msg.reconsume_times, 1);
    assert_eq!(msg.property(keys::RETRY_TOPIC), Some("GoldenConsumeTopic"));
    assert_eq!(msg.property(keys::ORIGIN_MESSAGE_ID), Some(first.msg_id.as_str()));
    assert_eq!(msg.property(keys::DELAY), Some("3"));
    assert_eq!(msg.keys(), Some("retry-me"));
    assert_eq!(msg.tags(), Some("TagB"));
    assert_eq!(msg.body.as_ref(), b"feed-body-1-TagB:retry-me:");
    // The user-facing id stays the original UNIQ_KEY; the offset id is the new copy's.
    assert_eq!(msg.msg_id(), "C00002021BF95FFD2B277B5F1B1E0001");
    assert_ne!(msg.offset_msg_id(), first.msg_id);
    Ok(())
}

#[test]
fn binary_header_consumer_pulls() -> TestResult {
    let a = only(decode_messages(frame("f2-push-consumer-rocketmq", "034-s2c-resp-0.bin")?.body)?)?;
    assert_eq!((a.topic.as_str(), a.tags(), a.keys()), ("GoldenBinTopic", Some("TagA"), Some("k1")));
    assert_eq!(a.property("a"), Some("1"));
    let sent: SendMessageResponseHeader = frame("f2-push-consumer-rocketmq", "033-s2c-resp-0.bin")?.decode_header()?;
    assert_eq!(a.offset_msg_id(), sent.msg_id);
    let b = only(decode_messages(frame("f2-push-consumer-rocketmq", "041-s2c-resp-0.bin")?.body)?)?;
    assert_eq!(b.tags(), Some("TagB"));
    let retry_cmd = frame("f2-push-consumer-rocketmq", "053-s2c-resp-0.bin")?;
    assert_eq!(retry_cmd.serialize_type, rocketmq_remoting::SerializeType::RocketMq);
    let retry = only(decode_messages(retry_cmd.body)?)?;
    assert_eq!((retry.topic.as_str(), retry.reconsume_times), ("%RETRY%GoldenBinGroup", 1));
    assert_eq!(retry.property(keys::RETRY_TOPIC), Some("GoldenBinTopic"));
    Ok(())
}

#[test]
fn transaction_check_body() -> TestResult {
    let cmd = frame("b-transaction", "020-s2c-oneway-39.bin")?;
    let h: CheckTransactionStateRequestHeader = cmd.decode_header()?;
    let msg = only(decode_messages(cmd.body)?)?;
    // The broker resets topic/queue to REAL_TOPIC/REAL_QID before sending the check.
    assert_eq!(msg.topic, "GoldenTxTopic");
    assert_eq!(msg.queue_id, 2);
    assert_eq!(msg.property(keys::REAL_TOPIC), Some("GoldenTxTopic"));
    assert_eq!(msg.property(keys::REAL_QID), Some("2"));
    assert_eq!(msg.property(keys::TRAN_MSG), Some("true"));
    assert_eq!(msg.property(keys::PGROUP), Some("GoldenTxProducerGroup"));
    assert_eq!(msg.property(keys::TRANSACTION_CHECK_TIMES), Some("1"));
    assert_eq!(msg.property("txcase"), Some("unknown"));
    assert_eq!(msg.body.as_ref(), b"transaction unknown");
    assert_eq!(msg.commit_log_offset, h.commit_log_offset);
    assert_eq!(msg.queue_offset, h.tran_state_table_offset);
    assert_eq!(Some(msg.offset_msg_id()), h.offset_msg_id);
    assert_eq!(Some(msg.msg_id()), h.msg_id);
    assert_eq!(MessageSysFlag::get_transaction_value(msg.sys_flag), MessageSysFlag::TRANSACTION_NOT_TYPE);
    Ok(())
}

#[test]
fn admin_view_query_and_consume_directly() -> TestResult {
    let send = frame("a-producer-json", "009-c2s-req-310.bin")?;
    let send_header: SendMessageRequestHeaderV2 = send.decode_header()?;
    let sent_props = Properties::decode(send_header.i.as_deref().unwrap_or(""));
    let stored_id: SendMessageResponseHeader = frame("a-producer-json", "010-s2c-resp-0.bin")?.decode_header()?;
    for (file, count) in
        [("059-s2c-resp-0.bin", 1), ("076-s2c-resp-0.bin", 1), ("085-s2c-resp-0.bin", 1), ("078-s2c-req-309.bin", 1)]
    {
        let msgs = decode_messages(frame("e-admin-tools", file)?.body)?;
        assert_eq!(msgs.len(), count, "{file}");
        let msg = only(msgs)?;
        // The body with NUL and 0xFF bytes is kept exactly.
        assert_eq!(msg.body, send.body, "{file}");
        assert_eq!(msg.body.as_ref(), b"hello\0world\0\0\x01\x02\xff\xfe\0");
        assert_eq!(msg.topic, "GoldenTopicA");
        assert_eq!(msg.tags(), Some("TagA"));
        assert_eq!(msg.keys(), Some("order-1001 user-42"));
        assert_eq!(msg.key_list().collect::<Vec<_>>(), vec!["order-1001", "user-42"]);
        for name in ["a", "color", "unicode", keys::UNIQ_KEY] {
            assert_eq!(msg.property(name), sent_props.get(name), "{file}: {name}");
        }
        assert_eq!(msg.property("unicode"), Some("héllo-世界"));
        assert_eq!(msg.offset_msg_id(), stored_id.msg_id, "{file}");
        assert_eq!(msg.born_timestamp, send_header.g);
    }
    // The CONSUME_MESSAGE_DIRECTLY request names the message by its offset id.
    let direct = frame("e-admin-tools", "078-s2c-req-309.bin")?;
    assert_eq!(direct.ext_fields.get("msgId"), Some(stored_id.msg_id.as_str()));
    Ok(())
}

#[test]
fn pull_of_several_messages_including_a_batch() -> TestResult {
    let msgs = decode_messages(frame("e-admin-tools", "025-s2c-resp-0.bin")?.body)?;
    assert_eq!(msgs.len(), 4);
    assert_eq!(msgs.iter().map(|m| m.queue_offset).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
    assert_eq!(msgs.iter().map(|m| m.commit_log_offset).collect::<Vec<_>>(), vec![0, 0x3C9, 0x4B4, 0x59F]);
    let batch_ids: SendMessageResponseHeader = frame("a-producer-json", "019-s2c-resp-0.bin")?.decode_header()?;
    let ids: Vec<String> = msgs[1..].iter().map(MessageExt::offset_msg_id).collect();
    assert_eq!(ids.join(","), batch_ids.msg_id);
    for (i, m) in msgs[1..].iter().enumerate() {
        assert_eq!(m.body, format!("batch body {i}").into_bytes());
        assert_eq!(m.property("idx"), Some(i.to_string().as_str()));
        assert_eq!(m.tags(), Some("TagBatch"));
        assert_eq!(m.property(keys::WAIT), Some("true"));
    }
    Ok(())
}

#[test]
fn batch_body_reencodes_from_its_parts() -> TestResult {
    let cmd = frame("a-producer-json", "018-c2s-req-320.bin")?;
    let parts = decode_batch(cmd.body.clone())?;
    assert_eq!(parts.len(), 3);
    let strings: Vec<String> = parts.iter().map(|p| p.properties.encode()).collect();
    for (i, p) in parts.iter().enumerate() {
        assert_eq!(p.flag, 0);
        assert_eq!(p.body, format!("batch body {i}").into_bytes());
        assert_eq!(p.properties.get(keys::KEYS), Some(format!("batch-key-{i}").as_str()));
        assert_eq!(p.properties.get("idx"), Some(i.to_string().as_str()));
        assert_eq!(
            p.properties.get(keys::UNIQ_KEY),
            Some(format!("C00002021B575FFD2B277B5EC10E000{}", i + 4).as_str())
        );
    }
    let rebuilt = encode_batch(parts.iter().zip(&strings).map(|(p, s)| BatchEntry {
        flag: p.flag,
        body: &p.body,
        properties: s,
    }))?;
    assert_eq!(rebuilt, cmd.body);
    // The same bytes were sent with binary headers (f) and with SEND_MESSAGE v1 (h), UNIQ_KEYs aside.
    for (scenario, file) in
        [("f-producer-rocketmq", "018-c2s-req-320.bin"), ("h-producer-send-v1", "018-c2s-req-320.bin")]
    {
        let other = decode_batch(frame(scenario, file)?.body)?;
        assert_eq!(other.len(), 3);
        assert_eq!(
            other.iter().map(|p| p.body.clone()).collect::<Vec<_>>(),
            parts.iter().map(|p| p.body.clone()).collect::<Vec<_>>()
        );
    }
    Ok(())
}

#[test]
fn java_zlib_body() -> TestResult {
    let cmd = frame("a-producer-json", "014-c2s-req-310.bin")?;
    let h: SendMessageRequestHeaderV2 = cmd.decode_header()?;
    assert_eq!(h.f, 769);
    assert_eq!(CompressionType::from_sys_flag(h.f)?, CompressionType::Zlib);
    // Java's compressed body inflates with ours.
    let java_packed = cmd.body.clone();
    assert_eq!(java_packed.len(), 54);
    let plain = zlib_decompress(&java_packed, compression::MAX_DECOMPRESSED_SIZE)?;
    assert_eq!(plain.len(), 6144);
    assert_eq!(plain, "RocketMQ-golden-".repeat(384).into_bytes());
    // Our compression of the same body inflates back to it (the bytes differ from Java's, see
    // compression.rs; any inflater accepts both).
    let ours = zlib_compress(&plain, compression::DEFAULT_COMPRESS_LEVEL)?;
    assert_eq!(zlib_decompress(&ours, compression::MAX_DECOMPRESSED_SIZE)?, plain);
    assert_eq!(compression::decompress(&ours, CompressionType::Zlib)?, plain);
    // The same with a cap just below the size: refused.
    assert!(zlib_decompress(&java_packed, 6143).is_err());

    // Stored as the broker would store it (compressed body, sysFlag 769), then decoded.
    let stored = MessageExt {
        sys_flag: h.f,
        body: java_packed.clone(),
        topic: h.b.clone(),
        properties: Properties::decode(h.i.as_deref().unwrap_or("")),
        born_timestamp: h.g,
        store_host: broker(),
        commit_log_offset: 0x1C9,
        queue_id: 3,
        ..MessageExt::default()
    };
    let decoded = decode_message(&mut encode_message(&stored)?)?;
    assert_eq!(decoded.body, plain);
    assert_eq!(decoded.sys_flag, MessageSysFlag::COMPRESSION_ZLIB_TYPE);
    assert_eq!(decoded.body_crc, body_crc(&java_packed));
    assert_eq!(decoded.tags(), Some("TagBig"));
    let sent: SendMessageResponseHeader = frame("a-producer-json", "015-s2c-resp-0.bin")?.decode_header()?;
    assert_eq!(decoded.offset_msg_id(), sent.msg_id);
    Ok(())
}

/// k-compression: one 20 KiB body from Java 4.9.4 producers started with
/// `-Drocketmq.message.compressType=LZ4`, `ZSTD` and the default ZLIB (`MessageSysFlag` 257,
/// 513, 769; `DefaultMQProducerImpl.tryToCompressMessage` -> `Lz4Compressor` /
/// `ZstdCompressor` / `ZlibCompressor`), as sent and as the broker hands them to a consumer.
#[test]
fn java_lz4_zstd_and_zlib_bodies_decode_to_the_same_text() -> TestResult {
    let mut plains = Vec::new();
    for (file, sys_flag, kind, magic) in [
        ("009-c2s-req-310.bin", 257, CompressionType::Lz4, &[0x04u8, 0x22, 0x4D, 0x18][..]),
        ("019-c2s-req-310.bin", 513, CompressionType::Zstd, &[0x28, 0xB5, 0x2F, 0xFD][..]),
        ("021-c2s-req-310.bin", 769, CompressionType::Zlib, &[0x78][..]),
    ] {
        let send = proxy_frame("k-compression", file)?;
        let h: SendMessageRequestHeaderV2 = send.decode_header()?;
        assert_eq!(h.f, sys_flag, "{file}");
        assert_eq!(MessageSysFlag::get_compression_type(h.f)?, kind);
        assert!(send.body.starts_with(magic), "{file}: {kind:?} frame magic");
        let plain = compression::decompress(&send.body, kind)?;
        assert_eq!(plain.len(), 20480, "{file}");
        // Ours round-trips and uses the same container format.
        let ours = compression::compress(&plain, kind, 5)?;
        assert!(ours.starts_with(magic));
        assert_eq!(compression::decompress(&ours, kind)?, plain);
        // The output cap holds for every codec.
        assert!(compression::decompress_with_limit(&send.body, kind, 20479).is_err());
        plains.push(plain);
    }
    assert!(plains.windows(2).all(|w| w[0] == w[1]), "the three producers sent the same text");
    assert!(plains[0].starts_with(b"compressible line 0 of the "));

    // The FOUND pulls: the stored messages, still compressed, decode to the same text.
    let mut seen = Vec::new();
    for file in ["037-s2c-resp-0.bin", "054-s2c-resp-0.bin"] {
        for msg in decode_messages(proxy_frame("k-compression", file)?.body)? {
            assert_eq!(msg.decode_error, None);
            assert_eq!(msg.body.as_ref(), &plains[0][..]);
            assert!(!MessageSysFlag::is_compressed(msg.sys_flag), "the compressed bit is cleared after inflating");
            seen.push(msg.tags().unwrap_or_default().to_owned());
        }
    }
    seen.sort();
    assert_eq!(seen, ["LZ4", "ZLIB", "ZSTD"]);
    Ok(())
}

/// A corrupt LZ4 body between two good records spoils only itself.
#[test]
fn a_corrupt_lz4_record_does_not_hide_its_neighbours() -> TestResult {
    let send = proxy_frame("k-compression", "009-c2s-req-310.bin")?;
    let mut bad_body = send.body.to_vec();
    let mid = bad_body.len() / 2;
    bad_body.truncate(mid);
    let good = MessageExt { body: Bytes::from_static(b"plain"), topic: "T".into(), ..MessageExt::default() };
    let bad = MessageExt { sys_flag: 257, body: Bytes::from(bad_body.clone()), queue_offset: 1, ..good.clone() };
    let mut body = encode_message(&MessageExt { queue_offset: 0, ..good.clone() })?.to_vec();
    body.extend_from_slice(&encode_message(&bad)?);
    body.extend_from_slice(&encode_message(&MessageExt { queue_offset: 2, ..good.clone() })?);
    let msgs = decode_messages(Bytes::from(body))?;
    assert_eq!(msgs.iter().map(|m| m.queue_offset).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(msgs[0].body.as_ref(), b"plain");
    assert_eq!(msgs[2].body.as_ref(), b"plain");
    let reason = msgs[1].decode_error.as_deref().unwrap_or_default();
    assert!(reason.contains("LZ4"), "{reason}");
    assert_eq!(msgs[1].body.as_ref(), &bad_body[..], "kept as stored");
    assert_eq!(msgs[1].sys_flag, 257);
    Ok(())
}
