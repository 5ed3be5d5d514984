//! Admin requests and bodies against the frames mqadmin (Java 4.9.4) exchanged with the name
//! server and broker (tests/fixtures/java-4.9.4, scenarios `01-setup-admin` and
//! `e-admin-tools`): our typed headers must produce exactly the captured `extFields` (minus
//! mqadmin's ACL signature fields), and the bodies must decode to what the capture holds and,
//! where we encode them, re-encode to the captured bytes.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use bytes::Bytes;
use rocketmq_remoting::body::{ClusterInfo, ConsumeStats, ConsumerConnection, KVTable, TopicStatsTable};
use rocketmq_remoting::header::{
    CommandHeader, CreateTopicRequestHeader, FromExtFields, GetConsumeStatsRequestHeader,
    GetConsumerConnectionListRequestHeader, GetConsumerRunningInfoRequestHeader, GetTopicStatsInfoRequestHeader,
    QueryMessageRequestHeader, QueryMessageResponseHeader, ViewMessageRequestHeader,
};
use rocketmq_remoting::{request_code, ExtFields, MessageQueue, RemotingCommand};
use serde_json::Value;

fn fixture_dir() -> PathBuf {
    let in_repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/java-4.9.4");
    if in_repo.join("README.md").is_file() {
        return in_repo;
    }
    PathBuf::from("/work/shared/fixtures/java-4.9.4")
}

struct Frame {
    name: String,
    meta: Value,
    cmd: RemotingCommand,
}

fn frames(scenario: &str) -> Vec<Frame> {
    let dir = fixture_dir().join(scenario);
    let index: Value = serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("index")).expect("json");
    index["frames"]
        .as_array()
        .expect("frames")
        .iter()
        .map(|meta| {
            let file = meta["file"].as_str().expect("file");
            let raw = std::fs::read(dir.join(file)).expect("frame file");
            let cmd = RemotingCommand::decode_with_length(Bytes::from(raw)).expect("decode");
            Frame { name: format!("{scenario}/{file}"), meta: meta.clone(), cmd }
        })
        .collect()
}

/// Requests with `code` sent by mqadmin (the actor starts with "mqadmin").
fn admin_requests(frames: &[Frame], code: i32) -> Vec<&Frame> {
    frames
        .iter()
        .filter(|f| {
            f.meta["kind"] == "request"
                && f.cmd.code == code
                && f.meta["direction"] == "c2s"
                && f.meta["actor"].as_str().is_some_and(|a| a.starts_with("mqadmin"))
        })
        .collect()
}

/// The SUCCESS response paired with `request`.
fn response_to<'a>(frames: &'a [Frame], request: &Frame) -> &'a Frame {
    let pair = request.meta["pair"].as_str().expect("pair");
    let f = frames.iter().find(|f| f.meta["file"] == pair).expect("paired frame");
    assert_eq!(f.cmd.code, 0, "{}", f.name);
    f
}

/// The captured extFields without mqadmin's ACL signature.
fn unsigned(ext: &ExtFields) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = ext
        .iter()
        .filter(|(k, _)| *k != "Signature" && *k != "AccessKey")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    out.sort();
    out
}

fn ours(header: &impl CommandHeader) -> Vec<(String, String)> {
    let mut ext = ExtFields::new();
    header.write_to(&mut ext);
    unsigned(&ext)
}

/// `header` writes exactly what `frame` carries, and reads back from it to itself.
fn check_header<H: CommandHeader + FromExtFields + PartialEq + std::fmt::Debug>(frame: &Frame, header: &H) {
    assert_eq!(ours(header), unsigned(&frame.cmd.ext_fields), "{}", frame.name);
    let decoded: H = frame.cmd.decode_header().expect("decode header");
    assert_eq!(&decoded, header, "{}", frame.name);
}

fn mq(queue_id: i32) -> MessageQueue {
    MessageQueue::new("GoldenTopicA", "broker-golden", queue_id)
}

#[test]
fn create_topic_requests() {
    let frames = frames("01-setup-admin");
    let requests = admin_requests(&frames, request_code::UPDATE_AND_CREATE_TOPIC);
    assert_eq!(requests.len(), 4);
    for f in requests {
        let topic = f.cmd.ext_fields.get("topic").expect("topic");
        check_header(f, &CreateTopicRequestHeader::normal(topic, 4));
    }
}

#[test]
fn broker_runtime_info_body() {
    let frames = frames("01-setup-admin");
    let requests = admin_requests(&frames, request_code::GET_BROKER_RUNTIME_INFO);
    assert_eq!(requests.len(), 1);
    assert!(unsigned(&requests[0].cmd.ext_fields).is_empty());
    let response = response_to(&frames, requests[0]);
    let kv = KVTable::decode(&response.cmd.body).expect("KVTable");
    let strict: Value = serde_json::from_slice(&response.cmd.body).expect("strict JSON");
    let table = strict["table"].as_object().expect("table");
    assert_eq!(kv.table.len(), table.len());
    for (k, v) in table {
        assert_eq!(kv.table.get(k).map(String::as_str), v.as_str(), "{k}");
    }
    assert_eq!(kv.table.get("brokerVersionDesc").map(String::as_str), Some("V4_9_4"));
    assert_eq!(kv.table.get("commitLogMaxOffset").map(String::as_str), Some("0"));
}

#[test]
fn cluster_info_request_has_no_header() {
    let frames = frames("e-admin-tools");
    let requests = admin_requests(&frames, request_code::GET_BROKER_CLUSTER_INFO);
    assert_eq!(requests.len(), 1);
    assert!(unsigned(&requests[0].cmd.ext_fields).is_empty());
    let info = ClusterInfo::decode(&response_to(&frames, requests[0]).cmd.body).expect("ClusterInfo");
    let broker = info.broker_addr_table.get("broker-golden").expect("broker");
    assert_eq!(broker.master_addr(), Some("127.0.0.1:60911"));
}

#[test]
fn topic_stats_request_and_body() {
    let frames = frames("e-admin-tools");
    let requests = admin_requests(&frames, request_code::GET_TOPIC_STATS_INFO);
    assert_eq!(requests.len(), 1);
    check_header(requests[0], &GetTopicStatsInfoRequestHeader { topic: "GoldenTopicA".into() });
    let response = response_to(&frames, requests[0]);
    let stats = TopicStatsTable::decode(&response.cmd.body).expect("TopicStatsTable");
    let queues: Vec<MessageQueue> = stats.offset_table.iter().map(|(q, _)| q.clone()).collect();
    assert_eq!(queues, (0..4).map(mq).collect::<Vec<_>>());
    let max: Vec<i64> = stats.offset_table.iter().map(|(_, o)| o.max_offset).collect();
    assert_eq!(max, [1, 4, 3, 1]);
    assert!(stats.offset_table.iter().all(|(_, o)| o.min_offset == 0));
    assert_eq!(stats.offset_table[0].1.last_update_timestamp, 1_795_561_017_399);
    assert_eq!(stats.topic_put_tps, None, "4.9.4 has no topicPutTps");
    assert_eq!(Bytes::from(stats.encode()), response.cmd.body, "re-encoded TopicStatsTable");
}

#[test]
fn consume_stats_request_and_body() {
    let frames = frames("e-admin-tools");
    let requests = admin_requests(&frames, request_code::GET_CONSUME_STATS);
    assert_eq!(requests.len(), 2);
    for request in requests {
        check_header(request, &GetConsumeStatsRequestHeader { consumer_group: "GoldenAdminGroup".into(), topic: None });
        let response = response_to(&frames, request);
        let stats = ConsumeStats::decode(&response.cmd.body).expect("ConsumeStats");
        assert!(stats.consume_tps > 0.0);
        let rows: Vec<(i32, i64, i64)> =
            stats.offset_table.iter().map(|(q, o)| (q.queue_id, o.broker_offset, o.consumer_offset)).collect();
        assert_eq!(rows, [(0, 1, 1), (1, 4, 4), (2, 3, 3), (3, 1, 1)]);
        assert_eq!(stats.total_diff(), 0);
        assert_eq!(Bytes::from(stats.encode()), response.cmd.body, "re-encoded ConsumeStats");
    }
}

#[test]
fn consumer_connection_request_and_body() {
    let frames = frames("e-admin-tools");
    let requests = admin_requests(&frames, request_code::GET_CONSUMER_CONNECTION_LIST);
    assert_eq!(requests.len(), 3);
    for request in requests {
        check_header(request, &GetConsumerConnectionListRequestHeader { consumer_group: "GoldenAdminGroup".into() });
        let response = response_to(&frames, request);
        let cc = ConsumerConnection::decode(&response.cmd.body).expect("ConsumerConnection");
        assert_eq!(cc.connection_set.len(), 1);
        let c = &cc.connection_set[0];
        assert_eq!(
            (c.client_id.as_str(), c.client_addr.as_str(), c.language.as_str(), c.version),
            ("192.0.2.2@golden-admin-consumer", "127.0.0.1:52572", "JAVA", 401)
        );
        assert_eq!(cc.subscription_table.keys().collect::<Vec<_>>(), ["%RETRY%GoldenAdminGroup", "GoldenTopicA"]);
        assert_eq!(Bytes::from(cc.encode()), response.cmd.body, "re-encoded ConsumerConnection");
    }
}

#[test]
fn consumer_running_info_request() {
    let frames = frames("e-admin-tools");
    let requests = admin_requests(&frames, request_code::GET_CONSUMER_RUNNING_INFO);
    assert_eq!(requests.len(), 1);
    check_header(
        requests[0],
        &GetConsumerRunningInfoRequestHeader {
            consumer_group: "GoldenAdminGroup".into(),
            client_id: Some("192.0.2.2@golden-admin-consumer".into()),
            jstack_enable: Some(false),
        },
    );
}

#[test]
fn query_message_by_key_request_and_response_header() {
    let frames = frames("e-admin-tools");
    let requests = admin_requests(&frames, request_code::QUERY_MESSAGE);
    assert_eq!(requests.len(), 1);
    check_header(
        requests[0],
        &QueryMessageRequestHeader {
            topic: "GoldenTopicA".into(),
            key: "order-1001".into(),
            max_num: 64,
            begin_timestamp: 0,
            end_timestamp: i64::MAX,
            unique_key_query: Some(false),
        },
    );
    let response = response_to(&frames, requests[0]);
    let header: QueryMessageResponseHeader = response.cmd.decode_header().expect("response header");
    assert_eq!(header.index_last_update_phyoffset, 7425);
    assert_eq!(header.index_last_update_timestamp, 1_795_561_073_987);
    let msgs = rocketmq_remoting::message::stored::decode_messages(response.cmd.body.clone()).expect("messages");
    assert!(!msgs.is_empty());
    assert!(msgs.iter().all(|m| m.key_list().any(|k| k == "order-1001")), "every hit has the key");
}

#[test]
fn view_message_by_offset_id() {
    let frames = frames("e-admin-tools");
    let requests = admin_requests(&frames, request_code::VIEW_MESSAGE_BY_ID);
    assert_eq!(requests.len(), 2);
    let (addr, offset) =
        rocketmq_remoting::message::msg_id::decode("7F0000010000EDEF0000000000000000").expect("offset msg id");
    assert_eq!(addr.to_string(), "127.0.0.1:60911");
    for request in requests {
        check_header(request, &ViewMessageRequestHeader { topic: None, offset });
        let response = response_to(&frames, request);
        let msgs = rocketmq_remoting::message::stored::decode_messages(response.cmd.body.clone()).expect("message");
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].commit_log_offset, 0);
        assert_eq!(msgs[0].offset_msg_id(), "7F0000010000EDEF0000000000000000");
    }
}
