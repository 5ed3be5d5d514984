//! Golden vectors of the message trace format: the records a Java 4.9.4 client wrote
//! (`rocketmq-remoting/tests/fixtures/java-4.9.4-proxy/j-trace`: frame 015 is the producer's
//! trace message with two Pub records, 061 and 065 the consumer's SubBefore + SubAfter; 054
//! and 064 the pulls that delivered the consumed messages). Decoded field by field, and
//! encoded again from our own hooks to the same bytes (only the clock fields are set by hand).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use rocketmq_client::consumer::ConsumeResult;
use rocketmq_client::producer::prepare::prepare_single;
use rocketmq_client::trace::data::{decode, encode, MessageType, TraceType, CONTENT_SPLITOR, FIELD_SPLITOR};
use rocketmq_client::trace::hooks::{pub_context, sub_after, sub_before};
use rocketmq_client::{Message, MessageQueue, ProducerOptions, SendResult, SendStatus};
use rocketmq_remoting::message::stored::decode_messages;
use rocketmq_remoting::RemotingCommand;
use std::collections::BTreeSet;
use std::path::Path;

fn frame(name: &str) -> RemotingCommand {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rocketmq-remoting/tests/fixtures/java-4.9.4-proxy/j-trace")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    RemotingCommand::decode_with_length(Bytes::from(bytes)).unwrap()
}

fn body_text(name: &str) -> String {
    String::from_utf8(frame(name).body.to_vec()).unwrap()
}

const MSG0: &str = "FD00000000000000000000000000000262E95FFD2B27044EC99E0000";
const MSG1: &str = "FD00000000000000000000000000000262E95FFD2B27044EC9E40002";

#[test]
fn separators_are_java_trace_constants() {
    assert_eq!((CONTENT_SPLITOR, FIELD_SPLITOR), ('\u{1}', '\u{2}'));
}

#[test]
fn java_pub_records_decode_field_by_field_and_encode_back_to_the_same_bytes() {
    let text = body_text("015-c2s-req-310.bin");
    let records = decode(&text).unwrap();
    assert_eq!(records.len(), 2);
    let p = &records[0];
    assert_eq!(p.trace_type, TraceType::Pub);
    assert_eq!(
        (p.timestamp, p.region_id.as_str(), p.group.as_str()),
        (1796155472287, "DefaultRegion", "CapTraceProducer")
    );
    assert_eq!((p.cost_time, p.success), (59, true));
    let b = &p.beans[0];
    assert_eq!(
        (b.topic.as_str(), b.msg_id.as_str(), b.tags.as_str(), b.keys.as_str()),
        ("GoldenTraceTopic", MSG0, "TagA", "key-0")
    );
    assert_eq!((b.store_host.as_str(), b.body_length, b.msg_type), ("127.0.0.1:60911", 13, MessageType::Normal));
    assert_eq!(b.offset_msg_id, "7F0000010000EDEF0000000000000000");
    assert_eq!(records[1].beans[0].msg_id, MSG1);
    assert_eq!(records[1].beans[0].offset_msg_id, "7F0000010000EDEF00000000000000EA");
    let again: String = records.iter().map(|r| encode(r).data).collect();
    assert_eq!(again, text, "re-encoding gives Java's bytes");
}

#[test]
fn the_trace_message_is_keyed_by_msg_ids_and_keys() {
    let cmd = frame("015-c2s-req-310.bin");
    assert_eq!(cmd.ext_fields.get("b"), Some("RMQ_SYS_TRACE_TOPIC"));
    assert_eq!(cmd.ext_fields.get("a"), Some("_INNER_TRACE_PRODUCER-CapTraceProducer-PRODUCE-1"));
    let props = rocketmq_remoting::message::properties::Properties::decode(cmd.ext_fields.get("i").unwrap());
    let java_keys: BTreeSet<&str> = props.get("KEYS").unwrap().split(' ').collect();
    let records = decode(std::str::from_utf8(&cmd.body).unwrap()).unwrap();
    let ours: BTreeSet<String> = records.iter().flat_map(|r| encode(r).keys).collect();
    assert_eq!(ours.iter().map(String::as_str).collect::<BTreeSet<_>>(), java_keys, "Java keys by a HashSet: same set");
}

#[test]
fn our_pub_hook_writes_what_java_wrote() {
    let text = body_text("015-c2s-req-310.bin");
    let java_first = &text[..=text.find(FIELD_SPLITOR).unwrap()];
    let mut msg = Message::new("GoldenTraceTopic", "golden body 0");
    msg.set_tags("TagA");
    msg.set_keys("key-0");
    msg.put_user_property("idx", "0").unwrap();
    msg.put_property("UNIQ_KEY", MSG0).unwrap();
    let prepared = prepare_single(&msg, &ProducerOptions::new("CapTraceProducer")).unwrap();
    let result = SendResult {
        status: SendStatus::Ok,
        msg_id: MSG0.to_owned(),
        offset_msg_id: "7F0000010000EDEF0000000000000000".to_owned(),
        queue: MessageQueue::new("GoldenTraceTopic", "broker-golden", 1),
        queue_offset: 0,
        transaction_id: None,
        region_id: Some("DefaultRegion".to_owned()),
        broker_addr: "127.0.0.1:60911".to_owned(),
    };
    let mut ctx = pub_context("CapTraceProducer", "RMQ_SYS_TRACE_TOPIC", &prepared, &result, 0).unwrap();
    ctx.timestamp = 1796155472287;
    ctx.cost_time = 59;
    assert_eq!(encode(&ctx).data, java_first);
    let to_trace_topic =
        SendResult { queue: MessageQueue::new("RMQ_SYS_TRACE_TOPIC", "broker-golden", 0), ..result.clone() };
    let own = pub_context("g", "RMQ_SYS_TRACE_TOPIC", &prepared, &to_trace_topic, 0);
    assert!(own.is_none(), "the trace topic's own messages are not traced");
}

#[test]
fn java_sub_records_decode_and_our_consume_hooks_write_the_same_bytes() {
    for (trace_frame, pull_frame, msg_id, keys, cost) in [
        ("061-c2s-req-310.bin", "054-s2c-resp-0.bin", MSG1, "key-1", 6),
        ("065-c2s-req-310.bin", "064-s2c-resp-0.bin", MSG0, "key-0", 1),
    ] {
        let text = body_text(trace_frame);
        let records = decode(&text).unwrap();
        assert_eq!(records.len(), 2);
        let (before, after) = (&records[0], &records[1]);
        assert_eq!(before.trace_type, TraceType::SubBefore);
        assert_eq!((before.region_id.as_str(), before.group.as_str()), ("null", "CapTraceConsumer"));
        assert_eq!(
            (before.beans[0].msg_id.as_str(), before.beans[0].retry_times, before.beans[0].keys.as_str()),
            (msg_id, 0, keys)
        );
        assert_eq!(after.trace_type, TraceType::SubAfter);
        assert_eq!(after.request_id, before.request_id, "SubAfter pairs with its SubBefore");
        assert_eq!(
            (after.beans[0].msg_id.as_str(), after.cost_time, after.success, after.context_code),
            (msg_id, cost, true, 0)
        );
        assert_eq!(after.group, "CapTraceConsumer");

        // The consumed message as pulled, through our hooks.
        let msgs = decode_messages(frame(pull_frame).body.clone()).unwrap();
        assert_eq!(msgs.len(), 1);
        let mut ours_before = sub_before("CapTraceConsumer", &msgs).unwrap();
        ours_before.timestamp = before.timestamp;
        ours_before.request_id = before.request_id.clone();
        let mut ours_after = sub_after(&ours_before, Some(ConsumeResult::Success), 1);
        ours_after.timestamp = after.timestamp;
        ours_after.cost_time = after.cost_time;
        assert_eq!(encode(&ours_before).data + &encode(&ours_after).data, text);
    }
}

#[test]
fn a_failed_or_panicked_call_is_written_as_java_writes_it() {
    let msgs = decode_messages(frame("054-s2c-resp-0.bin").body.clone()).unwrap();
    let before = sub_before("g", &msgs).unwrap();
    let later = sub_after(&before, Some(ConsumeResult::ReconsumeLater), 1);
    assert_eq!((later.success, later.context_code), (false, 4), "FAILED");
    let panicked = sub_after(&before, None, 1);
    assert_eq!((panicked.success, panicked.context_code), (false, 2), "EXCEPTION");
    let mut off = msgs.clone();
    off[0].properties.insert("TRACE_ON", "false");
    assert!(sub_before("g", &off).is_none(), "TRACE_ON=false is not traced");
}

#[test]
fn the_decoder_never_panics_on_what_a_trace_topic_may_hold() {
    // Anything can be written to a trace topic: decoding returns records or an error.
    let text = body_text("015-c2s-req-310.bin") + &body_text("061-c2s-req-310.bin");
    let alphabet: Vec<char> = "Pub\u{1}\u{2}SubBeforeAfterEndTransactionRecall0123456789-truefalse ".chars().collect();
    let mut rng = fastrand::Rng::with_seed(9);
    for _ in 0..20_000 {
        let mut s: String = text.chars().take(rng.usize(..text.len())).collect();
        for _ in 0..rng.usize(..4) {
            s.push(alphabet[rng.usize(..alphabet.len())]);
        }
        let _ = decode(&s);
        let noise: String = (0..rng.usize(..64)).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
        let _ = decode(&noise);
    }
    // Cut inside the second Pub record: too few fields, an error (Java's decoder throws too).
    let cut = text.find("\u{2}Pub").unwrap() + 20;
    assert!(decode(&text[..cut]).is_err());
}
