//! Body decoding and encoding against real frames exchanged by the Java 4.9.4 client, mqadmin,
//! name server and broker (`tests/fixtures/java-4.9.4`, see its README.md).
//!
//! Every decoded field is checked against an independent strict-JSON parse of the same body
//! (or, for fastjson bodies, against values read from the capture), and every body we can
//! produce is re-encoded and compared with the captured bytes.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use rocketmq_remoting::body::fastjson;
use rocketmq_remoting::body::{
    CMResult, CheckClientRequestBody, ClusterInfo, ConsumeFromWhere, ConsumeMessageDirectlyResult, ConsumeType,
    ConsumerListBody, ConsumerRunningInfo, ExpressionType, HeartbeatData, LockBatchRequestBody, LockBatchResponseBody,
    MessageModel, SubscriptionData, TopicRouteData, UnlockBatchRequestBody,
};
use rocketmq_remoting::{MessageQueue, RemotingCommand};
use serde_json::Value;

/// The fixture folder: the in-repo copy, else the shared one.
fn fixture_dir() -> PathBuf {
    let in_repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/java-4.9.4");
    if in_repo.join("README.md").is_file() {
        return in_repo;
    }
    PathBuf::from("/work/shared/fixtures/java-4.9.4")
}

/// One captured frame: its index entry and its body as decoded by our frame codec.
struct Frame {
    scenario: String,
    file: String,
    meta: Value,
    body: Bytes,
}

impl Frame {
    fn name(&self) -> String {
        format!("{}/{}", self.scenario, self.file)
    }

    fn is_response(&self) -> bool {
        self.meta["kind"] == "response"
    }

    fn code(&self) -> i64 {
        self.meta["code"].as_i64().expect("code")
    }

    /// The body parsed by a strict JSON parser (only for `body_json_strict` bodies).
    fn strict_json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{}: strict JSON: {e}", self.name()))
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }
}

fn all_frames() -> Vec<Frame> {
    let dir = fixture_dir();
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fixtures at {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.join("index.json").is_file())
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 11, "expected the 11 capture scenarios in {}", dir.display());
    let mut frames = Vec::new();
    for scenario in scenarios {
        let index: Value =
            serde_json::from_slice(&std::fs::read(scenario.join("index.json")).expect("index.json")).expect("index");
        let name = scenario.file_name().and_then(|n| n.to_str()).expect("name").to_string();
        for meta in index["frames"].as_array().expect("frames") {
            let file = meta["file"].as_str().expect("file").to_string();
            let raw = std::fs::read(scenario.join(&file)).expect("frame file");
            let cmd = RemotingCommand::decode_with_length(Bytes::from(raw))
                .unwrap_or_else(|e| panic!("{name}/{file}: frame decode: {e}"));
            assert_eq!(cmd.body.len() as u64, meta["body_length"].as_u64().expect("body_length"), "{name}/{file}");
            if let (Some(text), Some(false) | None) =
                (meta["body_text"].as_str(), meta["body_text_truncated"].as_bool())
            {
                assert_eq!(std::str::from_utf8(&cmd.body).ok(), Some(text), "{name}/{file}: body_text");
            }
            frames.push(Frame { scenario: name.clone(), file, meta: meta.clone(), body: cmd.body });
        }
    }
    frames
}

/// Requests (sync or oneway) with `code` and a body.
fn requests(frames: &[Frame], code: i64) -> Vec<&Frame> {
    frames.iter().filter(|f| !f.is_response() && f.code() == code && !f.body.is_empty()).collect()
}

/// SUCCESS responses to requests with `request_code`, with a body.
fn success_responses(frames: &[Frame], request_code: i64) -> Vec<&Frame> {
    frames
        .iter()
        .filter(|f| f.is_response() && f.meta["request_code"] == request_code && f.code() == 0 && !f.body.is_empty())
        .collect()
}

fn find<'a>(frames: &'a [Frame], scenario: &str, file: &str) -> &'a Frame {
    frames.iter().find(|f| f.scenario == scenario && f.file == file).unwrap_or_else(|| panic!("{scenario}/{file}"))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn i(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn mq_of(v: &Value) -> MessageQueue {
    MessageQueue::new(s(&v["topic"]), s(&v["brokerName"]), i(&v["queueId"]) as i32)
}

fn remove_extra_key(encoded: &mut Value, key: &str, expected: Value) {
    let removed = encoded.as_object_mut().and_then(|m| m.shift_remove(key));
    assert_eq!(removed, Some(expected), "our extra key {key}");
}

// ---------------------------------------------------------------------------------------------

#[test]
fn every_json_body_parses_with_the_tolerant_reader() {
    let frames = all_frames();
    let (mut strict, mut fastjson_only) = (0, 0);
    for f in frames.iter().filter(|f| f.meta["body_format"] == "json" && !f.body.is_empty()) {
        let value = fastjson::parse_value(&f.body).unwrap_or_else(|e| panic!("{}: {e}", f.name()));
        assert!(value.is_object(), "{}", f.name());
        if f.meta["body_json_strict"] == true {
            strict += 1;
            assert_eq!(fastjson::normalize(&f.body).ok().as_deref(), Some(f.text()), "{}: changed", f.name());
            assert_eq!(value, f.strict_json(), "{}", f.name());
        } else {
            fastjson_only += 1;
            assert!(serde_json::from_slice::<Value>(&f.body).is_err(), "{}: expected non-strict JSON", f.name());
        }
    }
    assert_eq!(
        fastjson_only, 7,
        "fastjson-only bodies (cluster info x2, running info x2, consume stats x2, topic stats)"
    );
    assert!(strict >= 100, "strict JSON bodies: {strict}");
}

#[test]
fn object_keyed_stats_bodies_yield_message_queues() {
    // GET_CONSUME_STATS and GET_TOPIC_STATS_INFO: `offsetTable` keyed by MessageQueue objects.
    let frames = all_frames();
    let mut seen = 0;
    for f in success_responses(&frames, 208).into_iter().chain(success_responses(&frames, 202)) {
        let value = fastjson::parse_value(&f.body).expect("parse");
        let table = value["offsetTable"].as_object().cloned().expect("offsetTable");
        let entries: Vec<(MessageQueue, Value)> = fastjson::mq_entries(table).expect("MessageQueue keys");
        let queues: Vec<MessageQueue> = entries.iter().map(|(mq, _)| mq.clone()).collect();
        assert_eq!(queues, (0..4).map(|q| MessageQueue::new("GoldenTopicA", "broker-golden", q)).collect::<Vec<_>>());
        let (mq, v) = &entries[1];
        assert_eq!(mq.queue_id, 1);
        let max = if f.meta["request_code"] == 208 { &v["brokerOffset"] } else { &v["maxOffset"] };
        assert_eq!(max.as_i64(), Some(4), "{}", f.name());
        seen += 1;
    }
    assert_eq!(seen, 3);
}

#[test]
fn route_bodies() {
    let frames = all_frames();
    let responses = success_responses(&frames, 105);
    assert_eq!(responses.len(), 45);
    let mut queue_counts = BTreeSet::new();
    for f in responses {
        let route = TopicRouteData::decode(&f.body).unwrap_or_else(|e| panic!("{}: {e}", f.name()));
        let json = f.strict_json();
        // Field by field against the strict parse.
        assert_eq!(route.order_topic_conf.as_deref(), json["orderTopicConf"].as_str());
        assert!(route.filter_server_table.is_empty());
        assert!(route.topic_queue_mapping_by_broker.is_none());
        let queue_datas = json["queueDatas"].as_array().expect("queueDatas");
        assert_eq!(route.queue_datas.len(), queue_datas.len());
        for (q, j) in route.queue_datas.iter().zip(queue_datas) {
            assert_eq!(q.broker_name, s(&j["brokerName"]));
            assert_eq!(i64::from(q.perm), i(&j["perm"]));
            assert_eq!(i64::from(q.read_queue_nums), i(&j["readQueueNums"]));
            assert_eq!(i64::from(q.write_queue_nums), i(&j["writeQueueNums"]));
            assert_eq!(i64::from(q.topic_sys_flag), i(&j["topicSysFlag"]));
            queue_counts.insert((q.read_queue_nums, q.perm));
        }
        let broker_datas = json["brokerDatas"].as_array().expect("brokerDatas");
        assert_eq!(route.broker_datas.len(), broker_datas.len());
        for (b, j) in route.broker_datas.iter().zip(broker_datas) {
            assert_eq!(b.broker_name, s(&j["brokerName"]));
            assert_eq!(b.cluster, s(&j["cluster"]));
            assert_eq!(b.broker_addrs.len(), j["brokerAddrs"].as_object().map_or(0, |m| m.len()));
            assert_eq!(b.master_addr(), j["brokerAddrs"]["0"].as_str());
            assert_eq!(b.select_addr(), Some("127.0.0.1:60911"));
            assert!(!b.enable_acting_master);
            assert_eq!(b.zone_name, None);
        }
        assert_eq!(route.broker_data("broker-golden").map(|b| b.cluster.as_str()), Some("GoldenCluster"));

        // The same body in the old dialect (`{0:"…"}`, what a request version < 401 gets).
        let old = f.text().replace("{\"0\":", "{0:");
        assert_ne!(old, f.text());
        assert_eq!(TopicRouteData::decode(old.as_bytes()).ok().as_ref(), Some(&route), "{}", f.name());

        // Re-encoded: the captured bytes plus 4.9.4's missing `enableActingMaster` (5.x key).
        let ours = String::from_utf8(route.encode()).expect("UTF-8");
        assert_eq!(ours.replace(",\"enableActingMaster\":false", ""), f.text(), "{}", f.name());
        assert!(route.is_same_route(&TopicRouteData::decode(ours.as_bytes()).expect("round trip")));
    }
    // The captures contain 8-queue (TBW102 / auto-created), 4-queue and 1-queue (%RETRY%) topics.
    assert_eq!(queue_counts, BTreeSet::from([(1, 6), (4, 6), (8, 7)]));
}

#[test]
fn cluster_info_with_unquoted_numeric_keys() {
    let frames = all_frames();
    let responses = success_responses(&frames, 106);
    assert_eq!(responses.len(), 2);
    for f in responses {
        assert_eq!(f.meta["body_json_strict"], false);
        assert!(f.text().contains("{0:\"127.0.0.1:60911\"}"), "{}", f.name());
        let info = ClusterInfo::decode(&f.body).unwrap_or_else(|e| panic!("{}: {e}", f.name()));
        assert_eq!(info.broker_addr_table.len(), 1);
        let b = info.broker_addr_table.get("broker-golden").expect("broker-golden");
        assert_eq!(b.broker_name, "broker-golden");
        assert_eq!(b.cluster, "GoldenCluster");
        assert_eq!(b.broker_addrs.len(), 1);
        assert_eq!(b.master_addr(), Some("127.0.0.1:60911"));
        assert_eq!(info.cluster_addr_table.len(), 1);
        assert_eq!(info.cluster_addr_table.get("GoldenCluster"), Some(&BTreeSet::from(["broker-golden".to_string()])));
    }
}

fn check_subscription(sub: &SubscriptionData, j: &Value, what: &str) {
    assert_eq!(sub.topic, s(&j["topic"]), "{what}");
    assert_eq!(sub.sub_string, s(&j["subString"]), "{what}");
    assert_eq!(sub.sub_version, i(&j["subVersion"]), "{what}");
    assert_eq!(sub.expression_type.as_str(), s(&j["expressionType"]), "{what}");
    assert_eq!(Some(sub.class_filter_mode), j["classFilterMode"].as_bool(), "{what}");
    let tags: Vec<&str> = j["tagsSet"].as_array().expect("tagsSet").iter().map(s).collect();
    assert_eq!(sub.tags_set, tags, "{what}");
    let codes: Vec<i64> = j["codeSet"].as_array().expect("codeSet").iter().map(i).collect();
    assert_eq!(sub.code_set.iter().map(|c| i64::from(*c)).collect::<Vec<_>>(), codes, "{what}");
    // Our FilterAPI.build of the same expression gives exactly what Java sent.
    let built = SubscriptionData::build(&sub.topic, &sub.sub_string, sub.expression_type, sub.sub_version)
        .unwrap_or_else(|e| panic!("{what}: build: {e}"));
    assert_eq!(&built, sub, "{what}: build()");
}

#[test]
fn heartbeat_bodies() {
    let frames = all_frames();
    let heartbeats = requests(&frames, 34);
    assert_eq!(heartbeats.len(), 16);
    let (mut producers_only, mut subscriptions, mut binary_header) = (0, 0, 0);
    for f in heartbeats {
        let what = f.name();
        if f.meta["serialize_type"] == "ROCKETMQ" {
            binary_header += 1;
        }
        let hb = HeartbeatData::decode(&f.body).unwrap_or_else(|e| panic!("{what}: {e}"));
        let json = f.strict_json();
        assert_eq!(hb.client_id, s(&json["clientID"]), "{what}");
        assert!(hb.client_id.starts_with("192.0.2.2@"), "{what}");
        assert_eq!((hb.heartbeat_fingerprint, hb.without_sub), (0, false), "{what}: 4.9.4 sends neither key");
        let producers: Vec<&str> =
            json["producerDataSet"].as_array().expect("producers").iter().map(|p| s(&p["groupName"])).collect();
        assert_eq!(hb.producer_data_set.iter().map(|p| p.group_name.as_str()).collect::<Vec<_>>(), producers);
        assert!(producers.contains(&"CLIENT_INNER_PRODUCER"), "{what}");
        let consumers = json["consumerDataSet"].as_array().expect("consumers");
        assert_eq!(hb.consumer_data_set.len(), consumers.len(), "{what}");
        if consumers.is_empty() {
            producers_only += 1;
        }
        for (c, j) in hb.consumer_data_set.iter().zip(consumers) {
            assert_eq!(c.group_name, s(&j["groupName"]));
            assert_eq!(c.consume_type, ConsumeType::ConsumePassively);
            assert_eq!(c.consume_type.as_str(), s(&j["consumeType"]));
            assert_eq!(c.message_model, MessageModel::Clustering);
            assert_eq!(c.message_model.as_str(), s(&j["messageModel"]));
            assert_eq!(c.consume_from_where, ConsumeFromWhere::ConsumeFromFirstOffset);
            assert_eq!(c.consume_from_where.as_str(), s(&j["consumeFromWhere"]));
            assert_eq!(Some(c.unit_mode), j["unitMode"].as_bool());
            let subs = j["subscriptionDataSet"].as_array().expect("subscriptions");
            assert_eq!(c.subscription_data_set.len(), subs.len());
            for (sub, sj) in c.subscription_data_set.iter().zip(subs) {
                check_subscription(sub, sj, &what);
                subscriptions += 1;
            }
            // Every consumer also subscribes its retry topic with "*".
            let retry = format!("%RETRY%{}", c.group_name);
            assert!(c.subscription_data_set.iter().any(|s| s.topic == retry && s.is_sub_all()), "{what}");
        }

        // Re-encoded: the captured bytes plus the two 5.x heartbeat-v2 keys 4.9.4 does not send.
        let ours = String::from_utf8(hb.encode()).expect("UTF-8");
        let mut ours_json: Value = serde_json::from_str(&ours).expect("our JSON");
        remove_extra_key(&mut ours_json, "heartbeatFingerprint", Value::from(0));
        remove_extra_key(&mut ours_json, "withoutSub", Value::from(false));
        assert_eq!(ours_json, json, "{what}: as JSON values");
        let stripped = ours.replace(",\"heartbeatFingerprint\":0", "").replace(",\"withoutSub\":false", "");
        assert_eq!(stripped, f.text(), "{what}: bytes");
    }
    assert_eq!(producers_only, 4, "producer-only heartbeats (a, b, f, h)");
    assert!(subscriptions >= 20, "{subscriptions}");
    assert!(binary_header >= 3, "heartbeats with ROCKETMQ headers: {binary_header}");
}

#[test]
fn heartbeat_tag_and_sql92_subscriptions() {
    let frames = all_frames();
    // (c) push consumer with `TagA || TagB`.
    let hb = HeartbeatData::decode(&find(&frames, "c-push-consumer", "011-c2s-req-34.bin").body).expect("decode");
    assert_eq!(hb.client_id, "192.0.2.2@golden-push");
    let c = &hb.consumer_data_set[0];
    assert_eq!(c.group_name, "GoldenPushGroup");
    let sub = c.subscription_data_set.iter().find(|s| s.topic == "GoldenConsumeTopic").expect("subscription");
    assert_eq!(sub.sub_string, "TagA || TagB");
    assert_eq!(sub.tags_set, vec!["TagA", "TagB"]);
    assert_eq!(sub.code_set, vec![2_598_919, 2_598_920]);
    assert_eq!(sub.expression_type, ExpressionType::Tag);
    assert_eq!(sub.sub_version, 1_795_561_023_162);
    let built = SubscriptionData::build("GoldenConsumeTopic", "TagA || TagB", ExpressionType::Tag, 1_795_561_023_162)
        .expect("build");
    assert_eq!(&built, sub);
    assert!(sub.matches_tag(Some("TagB")) && !sub.matches_tag(Some("TagC")) && !sub.matches_tag(None));

    // (g) SQL92 `a > 5`.
    let hb = HeartbeatData::decode(&find(&frames, "g-sql92-consumer", "013-c2s-req-34.bin").body).expect("decode");
    let sub = hb.consumer_data_set[0].subscription_data_set.iter().find(|s| s.topic == "GoldenSqlTopic").expect("sql");
    assert_eq!(sub.expression_type, ExpressionType::Sql92);
    assert_eq!(sub.sub_string, "a > 5");
    assert!(sub.tags_set.is_empty() && sub.code_set.is_empty());
    let built =
        SubscriptionData::build("GoldenSqlTopic", "a > 5", ExpressionType::Sql92, sub.sub_version).expect("build");
    assert_eq!(&built, sub);
}

#[test]
fn consumer_connection_list_subscriptions_match_build() {
    // GET_CONSUMER_CONNECTION_LIST (mqadmin consumerConnection): subscriptionTable values are
    // SubscriptionData as the broker stored them.
    let frames = all_frames();
    let responses = success_responses(&frames, 203);
    assert_eq!(responses.len(), 3);
    for f in responses {
        let json = f.strict_json();
        let table = json["subscriptionTable"].as_object().expect("subscriptionTable");
        assert_eq!(table.len(), 2);
        for (topic, j) in table {
            let sub: SubscriptionData = serde_json::from_value(j.clone()).expect("SubscriptionData");
            assert_eq!(&sub.topic, topic);
            check_subscription(&sub, j, &f.name());
        }
    }
}

#[test]
fn consumer_list_bodies() {
    let frames = all_frames();
    let responses = success_responses(&frames, 38);
    assert_eq!(responses.len(), 10);
    for f in responses {
        let body = ConsumerListBody::decode(&f.body).unwrap_or_else(|e| panic!("{}: {e}", f.name()));
        let json = f.strict_json();
        let ids: Vec<&str> = json["consumerIdList"].as_array().expect("ids").iter().map(s).collect();
        assert_eq!(body.consumer_id_list, ids);
        assert!(!ids.is_empty());
        assert_eq!(body.encode(), f.body.to_vec(), "{}", f.name());
    }
    let push = ConsumerListBody::decode(&find(&frames, "c-push-consumer", "017-s2c-resp-0.bin").body).expect("decode");
    assert_eq!(push.consumer_id_list, vec!["192.0.2.2@golden-push"]);
}

#[test]
fn lock_batch_request_and_response_bodies() {
    let frames = all_frames();
    let lock_requests = requests(&frames, 41);
    assert_eq!(lock_requests.len(), 14);
    for f in lock_requests {
        let what = f.name();
        let req = LockBatchRequestBody::decode(&f.body).unwrap_or_else(|e| panic!("{what}: {e}"));
        let json = f.strict_json();
        assert_eq!(req.client_id, s(&json["clientId"]));
        assert_eq!(req.consumer_group, "GoldenOrderlyGroup");
        assert_eq!(req.consumer_group, s(&json["consumerGroup"]));
        assert!(!req.only_this_broker);
        let mqs: Vec<MessageQueue> = json["mqSet"].as_array().expect("mqSet").iter().map(mq_of).collect();
        assert_eq!(req.mq_set, mqs);
        assert!(!mqs.is_empty());
        let ours = String::from_utf8(req.encode()).expect("UTF-8");
        assert_eq!(ours.replace(",\"onlyThisBroker\":false", ""), f.text(), "{what}: bytes");

        // The paired response: the subset of the requested queues this client now holds.
        let pair = s(&f.meta["pair"]);
        let resp_frame = find(&frames, &f.scenario, pair);
        let resp = LockBatchResponseBody::decode(&resp_frame.body).unwrap_or_else(|e| panic!("{pair}: {e}"));
        let locked: Vec<MessageQueue> =
            resp_frame.strict_json()["lockOKMQSet"].as_array().expect("lockOKMQSet").iter().map(mq_of).collect();
        assert_eq!(resp.lock_ok_mq_set, locked);
        assert!(resp.lock_ok_mq_set.iter().all(|mq| req.mq_set.contains(mq)), "{pair}");
        assert_eq!(resp.encode(), resp_frame.body.to_vec(), "{pair}: bytes");
    }
    // The second consumer asking for a queue the first still holds gets an empty set.
    let refused = LockBatchResponseBody::decode(&find(&frames, "d-orderly-consumer", "076-s2c-resp-0.bin").body);
    assert_eq!(refused.expect("decode").lock_ok_mq_set, Vec::<MessageQueue>::new());
    let all = LockBatchResponseBody::decode(&find(&frames, "d-orderly-consumer", "039-s2c-resp-0.bin").body);
    let all = all.expect("decode").lock_ok_mq_set;
    assert_eq!(all.len(), 5);
    assert_eq!(all[1], MessageQueue::new("%RETRY%GoldenOrderlyGroup", "broker-golden", 0));
}

#[test]
fn unlock_batch_bodies() {
    let frames = all_frames();
    let unlocks = requests(&frames, 42);
    assert_eq!(unlocks.len(), 4);
    let mut oneway = 0;
    for f in unlocks {
        if f.meta["kind"] == "oneway request" {
            oneway += 1;
        }
        let body = UnlockBatchRequestBody::decode(&f.body).unwrap_or_else(|e| panic!("{}: {e}", f.name()));
        let json = f.strict_json();
        assert_eq!(body.client_id, s(&json["clientId"]));
        assert_eq!(body.consumer_group, s(&json["consumerGroup"]));
        let mqs: Vec<MessageQueue> = json["mqSet"].as_array().expect("mqSet").iter().map(mq_of).collect();
        assert_eq!(body.mq_set, mqs);
        let ours = String::from_utf8(body.encode()).expect("UTF-8");
        assert_eq!(ours.replace(",\"onlyThisBroker\":false", ""), f.text(), "{}: bytes", f.name());
    }
    assert_eq!(oneway, 2);
    let released = UnlockBatchRequestBody::decode(&find(&frames, "d-orderly-consumer", "077-c2s-oneway-42.bin").body);
    assert_eq!(released.expect("decode").mq_set, vec![MessageQueue::new("GoldenOrderTopic", "broker-golden", 3)]);
}

#[test]
fn consumer_running_info_from_the_java_consumer() {
    let frames = all_frames();
    let responses = success_responses(&frames, 307);
    // The consumer's reply (c2s) and the broker's relay of it to mqadmin (s2c): same body.
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0].body, responses[1].body);
    let f = responses[0];
    assert_eq!(f.meta["body_json_strict"], false);
    let info = ConsumerRunningInfo::decode(&f.body).expect("decode");

    let p = |k: &str| info.properties.get(k).map(String::as_str);
    assert_eq!(p(ConsumerRunningInfo::PROP_NAMESERVER_ADDR), Some("127.0.0.1:59876;"));
    assert_eq!(p(ConsumerRunningInfo::PROP_CONSUME_TYPE), Some("CONSUME_PASSIVELY"));
    assert_eq!(p(ConsumerRunningInfo::PROP_CONSUME_ORDERLY), Some("false"));
    assert_eq!(p("PROP_CONSUMEORDERLY"), Some("false"));
    assert_eq!(p(ConsumerRunningInfo::PROP_CLIENT_VERSION), Some("V4_9_4"));
    assert_eq!(p(ConsumerRunningInfo::PROP_THREADPOOL_CORE_SIZE), Some("20"));
    assert_eq!(p(ConsumerRunningInfo::PROP_CONSUMER_START_TIMESTAMP), Some("1795561114227"));
    assert_eq!(p("consumerGroup"), Some("GoldenAdminGroup"));
    assert_eq!(p("subscription"), Some("{}"));
    assert_eq!(info.properties.len(), 33);

    let expected_offsets =
        [(0, 1, 1_795_561_114_535i64), (1, 4, 1_795_561_114_539), (2, 3, 1_795_561_114_542), (3, 1, 1_795_561_114_549)];
    assert_eq!(info.mq_table.len(), 4);
    for ((mq, pq), (queue_id, commit, lock_ts)) in info.mq_table.iter().zip(expected_offsets) {
        assert_eq!(mq, &MessageQueue::new("GoldenTopicA", "broker-golden", queue_id));
        assert_eq!(pq.commit_offset, commit);
        assert_eq!(pq.last_lock_timestamp, lock_ts);
        assert_eq!(pq.last_consume_timestamp, 1_795_561_114_583);
        assert!(pq.last_pull_timestamp == 1_795_561_114_570 || pq.last_pull_timestamp == 1_795_561_114_572);
        assert!(!pq.locked && !pq.dropped);
        assert_eq!((pq.cached_msg_count, pq.cached_msg_size_in_mib, pq.try_unlock_times), (0, 0, 0));
        assert_eq!((pq.transaction_msg_count, pq.transaction_msg_min_offset, pq.transaction_msg_max_offset), (0, 0, 0));
    }

    assert_eq!(info.status_table.len(), 2);
    let topic = &info.status_table["GoldenTopicA"];
    assert_eq!((topic.pull_rt, topic.pull_tps, topic.consume_rt), (15.0, 0.9, 9.333_333_333_333_334));
    assert_eq!((topic.consume_ok_tps, topic.consume_failed_tps, topic.consume_failed_msgs), (0.9, 0.0, 0));
    assert_eq!(info.status_table["%RETRY%GoldenAdminGroup"].pull_rt, 0.0);

    assert_eq!(info.subscription_set.len(), 2);
    assert_eq!(info.subscription_set[0].topic, "%RETRY%GoldenAdminGroup");
    assert_eq!(info.subscription_set[1].topic, "GoldenTopicA");
    assert!(info.subscription_set.iter().all(SubscriptionData::is_sub_all));
    assert_eq!(info.jstack, None);

    // Our encoding: equal to Java's as parsed values, and byte-identical except for the order of
    // `properties` (a Java Hashtable in hash order; ours is sorted).
    let ours = info.encode();
    let ours_text = String::from_utf8(ours.clone()).expect("UTF-8");
    assert_eq!(fastjson::parse_value(&ours).ok(), fastjson::parse_value(&f.body).ok());
    assert_eq!(ConsumerRunningInfo::decode(&ours).ok().as_ref(), Some(&info));
    let java = f.text();
    let split = |t: &str| {
        let props = t.find(",\"properties\":{").expect("properties");
        let status = t.find(",\"statusTable\":{").expect("statusTable");
        (t[..props].to_string(), t[status..].to_string())
    };
    assert_eq!(split(&ours_text), split(java));
    assert!(ours_text
        .starts_with("{\"mqTable\":{{\"brokerName\":\"broker-golden\",\"queueId\":0,\"topic\":\"GoldenTopicA\"}:{"));
}

#[test]
fn consume_message_directly_result() {
    let frames = all_frames();
    let responses = success_responses(&frames, 309);
    assert_eq!(responses.len(), 2);
    for f in responses {
        let r = ConsumeMessageDirectlyResult::decode(&f.body).unwrap_or_else(|e| panic!("{}: {e}", f.name()));
        let json = f.strict_json();
        assert_eq!(r.consume_result, Some(CMResult::CrSuccess));
        assert_eq!(json["consumeResult"], "CR_SUCCESS");
        assert_eq!(Some(r.auto_commit), json["autoCommit"].as_bool());
        assert!(r.auto_commit);
        assert_eq!(Some(r.order), json["order"].as_bool());
        assert_eq!(r.spent_time_mills, i(&json["spentTimeMills"]));
        assert_eq!(r.spent_time_mills, 6);
        assert_eq!(r.remark, None);
        assert_eq!(r.encode(), f.body.to_vec(), "{}: bytes", f.name());
    }
}

#[test]
fn check_client_config_body() {
    let frames = all_frames();
    let bodies = requests(&frames, 46);
    assert_eq!(bodies.len(), 1);
    let f = bodies[0];
    let body = CheckClientRequestBody::decode(&f.body).expect("decode");
    let json = f.strict_json();
    assert_eq!(body.client_id, "192.0.2.2@golden-sql-consumer");
    assert_eq!(body.client_id, s(&json["clientId"]));
    assert_eq!(body.group, "GoldenSqlGroup");
    assert_eq!(body.group, s(&json["group"]));
    assert_eq!(body.namespace, None);
    check_subscription(&body.subscription_data, &json["subscriptionData"], &f.name());
    assert_eq!(body.subscription_data.expression_type, ExpressionType::Sql92);
    assert_eq!(body.subscription_data.sub_string, "a > 5");
    assert_eq!(body.encode(), f.body.to_vec(), "bytes");
}
