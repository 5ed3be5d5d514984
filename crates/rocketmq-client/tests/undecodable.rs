//! Messages the client cannot decode, against the real broker (#9 §7): a stored message with
//! an unknown compression type or a corrupt compressed body never blocks its queue and never
//! vanishes. The messages around it are delivered; it is sent back, retried once, and lands
//! in the group's DLQ, where an operator finds it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster_with_topic, eventually, producer, unique, WAIT};
use rocketmq_client::consumer::{ConsumeContext, ConsumeFromWhere};
use rocketmq_client::{Admin, ConsumeResult, ConsumerOptions, Message, MessageExt, PushConsumer};
use rocketmq_remoting::connection::NotSupportedHandler;
use rocketmq_remoting::header::SendMessageRequestHeaderV2;
use rocketmq_remoting::message::MessageSysFlag;
use rocketmq_remoting::{request_code, ConnectionPool, PoolOptions, RemotingCommand};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// SEND_MESSAGE_V2 of a body flagged compressed with `sys_flag`, as a (broken) producer would.
async fn send_raw(broker: &str, topic: &str, sys_flag: i32, body: &[u8]) {
    let header = SendMessageRequestHeaderV2 {
        a: unique("raw_pg"),
        b: topic.to_owned(),
        c: "TBW102".to_owned(),
        d: 4,
        e: 0,
        f: sys_flag,
        g: 1_700_000_000_000,
        h: 0,
        i: Some("TAGS\u{1}bad\u{2}".to_owned()),
        j: Some(0),
        k: Some(false),
        l: None,
        m: None,
        n: None,
    };
    let request = RemotingCommand::request(request_code::SEND_MESSAGE_V2, &header).with_body(body.to_vec());
    let pool = ConnectionPool::new(PoolOptions::default(), Arc::new(NotSupportedHandler));
    let response = pool.invoke(broker, request, WAIT).await.expect("broker answers");
    assert_eq!(response.code, 0, "stored: {:?}", response.remark);
    pool.close_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn undecodable_messages_go_to_the_dlq_and_never_block_their_queue() {
    let (cluster, ns, topic) = cluster_with_topic("T_undecodable", 1).await;
    let broker = cluster.brokers()[0].addr.clone();
    let p = producer(&ns).await;
    p.send(&Message::new(&topic, "before")).await.unwrap();
    // Unknown compression type 7, then a truncated LZ4 frame, between good messages.
    send_raw(&broker, &topic, MessageSysFlag::COMPRESSED_FLAG | (7 << 8), b"whatever").await;
    p.send(&Message::new(&topic, "middle")).await.unwrap();
    send_raw(&broker, &topic, MessageSysFlag::COMPRESSED_FLAG | MessageSysFlag::COMPRESSION_LZ4_TYPE, &[4, 0x22, 0x4D])
        .await;
    p.send(&Message::new(&topic, "after")).await.unwrap();

    let group = unique("cg_undecodable");
    let mut o = ConsumerOptions::new(&group);
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    o.max_reconsume_times = Some(1);
    o.delay_level_when_next_consume = 1; // 1 s instead of the broker's 10 s
    let c = PushConsumer::new(o, client_options(&ns));
    c.subscribe(&topic, "*").unwrap();
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = got.clone();
    c.register_listener(move |msgs: &[MessageExt], _: &ConsumeContext| {
        for m in msgs {
            assert_eq!(m.decode_error, None, "an undecodable message reached the listener");
            seen.lock().unwrap().push(String::from_utf8_lossy(&m.body).into_owned());
        }
        ConsumeResult::Success
    })
    .unwrap();
    c.start().await.unwrap();
    eventually(WAIT, "the three good messages", || {
        let n = got.lock().unwrap().len();
        async move { n >= 3 }
    })
    .await;
    let mut bodies = got.lock().unwrap().clone();
    bodies.sort();
    assert_eq!(bodies, ["after", "before", "middle"]);

    // Both bad messages: delivered, failed, retried once from %RETRY%, then into %DLQ%group.
    let admin = Admin::new(client_options(&ns)).unwrap();
    let dlq = format!("%DLQ%{group}");
    eventually(Duration::from_secs(60), "both undecodable messages in the DLQ", || {
        let admin = admin.clone();
        let dlq = dlq.clone();
        async move {
            let Ok(queues) = admin.topic_queues(&dlq).await else { return false };
            let mut total = 0;
            for mq in &queues {
                total += admin.max_offset(mq).await.unwrap_or(0);
            }
            total >= 2
        }
    })
    .await;
    // Counted: two first deliveries plus two retries.
    assert_eq!(c.undecodable_count(), 4);
    c.shutdown().await;
    p.shutdown().await;
}

/// The producer's compression type is selectable (zlib stays the default); consumers decode
/// every type, and the broker stores the sysFlag the producer chose.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lz4_zstd_and_zlib_sends_round_trip() {
    use rocketmq_client::options::CompressionType;
    use rocketmq_client::{Producer, ProducerOptions};
    let (_cluster, ns, topic) = cluster_with_topic("T_codecs", 1).await;
    let body: Vec<u8> =
        (0..20_000u32).flat_map(|i| format!("line {i} of a compressible body\n").into_bytes()).collect();
    assert_eq!(ProducerOptions::new("g").compress_type, CompressionType::Zlib, "Java's default");
    let mut sent_flags = Vec::new();
    for kind in [CompressionType::Lz4, CompressionType::Zstd, CompressionType::Zlib] {
        let mut o = ProducerOptions::new(unique("pg_codec"));
        o.compress_type = kind;
        let p = Producer::new(o, client_options(&ns));
        p.start().await.unwrap();
        let mut m = Message::new(&topic, body.clone());
        m.set_tags(kind.name());
        let r = p.send(&m).await.unwrap();
        sent_flags.push((kind, r.offset_msg_id.clone()));
        p.shutdown().await;
    }
    let admin = Admin::new(client_options(&ns)).unwrap();
    for (kind, offset_msg_id) in &sent_flags {
        let found = admin.view_message(offset_msg_id).await.unwrap();
        assert_eq!(found.message.body.as_ref(), &body[..], "{kind:?} decoded");
        assert_eq!(MessageSysFlag::get_compression_type(found.message.sys_flag).unwrap(), *kind);
    }
}
