//! The producer against a real rocketmq-rust name server and broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster, producer, unique, WAIT};
use rocketmq_client::{ErrorKind, Message, MessageQueue, Producer, ProducerOptions, SendStatus};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tokio::time::timeout;

fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
}

/// One cluster, many behaviours (a cluster per test would multiply start-up time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_behaviours_against_a_real_broker() {
    let cluster = cluster(1, 1).await;
    let ns = cluster.namesrv_addr();
    let p = producer(&ns).await;

    // Sync send to a fresh topic: auto-created through TBW102.
    let topic = unique("T_sync");
    let mut msg = Message::new(&topic, &b"hello\0world\0"[..]);
    msg.set_tags("TagA");
    msg.set_keys("k1 k2");
    msg.put_user_property("color", "red").expect("property");
    let r = timeout(WAIT, p.send(&msg)).await.expect("in time").expect("sent");
    assert_eq!(r.status, SendStatus::Ok);
    assert!(is_hex32(&r.msg_id), "UNIQ_KEY {}", r.msg_id);
    assert!(is_hex32(&r.offset_msg_id), "offsetMsgId {}", r.offset_msg_id);
    assert_eq!(r.queue.topic, topic);
    assert_eq!(r.queue.broker_name, cluster.brokers()[0].name);
    assert_eq!(r.broker_addr, cluster.brokers()[0].addr);
    let (store_host, _offset) =
        rocketmq_remoting::message::msg_id::decode(&r.offset_msg_id).expect("offset msg id decodes");
    assert_eq!(store_host.to_string(), cluster.brokers()[0].addr, "offsetMsgId carries the store host");

    // Offsets grow per queue.
    let mut last: std::collections::HashMap<i32, i64> = Default::default();
    for i in 0..20 {
        let r = p.send(&Message::new(&topic, format!("m{i}"))).await.expect("sent");
        if let Some(prev) = last.insert(r.queue.queue_id, r.queue_offset) {
            assert!(r.queue_offset > prev, "offsets grow within queue {}", r.queue.queue_id);
        }
    }
    assert!(last.len() > 1, "round robin spreads sends over queues: {last:?}");

    // Large body: compressed on the wire, accepted by the broker.
    let big: Vec<u8> = (0..64 * 1024).map(|i| (i % 7) as u8).collect();
    let r = p.send(&Message::new(&topic, big)).await.expect("big body sent");
    assert_eq!(r.status, SendStatus::Ok);

    // Oneway.
    timeout(WAIT, p.send_oneway(&Message::new(&topic, "oneway"))).await.expect("in time").expect("oneway");

    // Async policy.
    let r = p.send_async(&Message::new(&topic, "async")).await.expect("async");
    assert_eq!(r.status, SendStatus::Ok);

    // Batch: one request, ids of every message.
    let batch: Vec<Message> = (0..10).map(|i| Message::new(&topic, format!("b{i}"))).collect();
    let r = p.send_batch(&batch).await.expect("batch");
    assert_eq!(r.msg_id.split(',').count(), 10);
    assert_eq!(r.offset_msg_id.split(',').count(), 10);
    assert!(r.msg_id.split(',').all(is_hex32));

    // Ordered: the same sharding key always lands in the same queue.
    let order_topic = unique("T_order");
    let mut queues = HashSet::new();
    for i in 0..10 {
        let r = p
            .send_orderly_by_sharding_key(&Message::new(&order_topic, format!("o{i}")), "order-42")
            .await
            .expect("ordered");
        queues.insert(r.queue.queue_id);
    }
    assert_eq!(queues.len(), 1, "one key, one queue");

    // Explicit queue and selector.
    let all = p.publish_queues(&order_topic).await.expect("queues");
    assert!(!all.is_empty());
    let target: MessageQueue = all[all.len() - 1].clone();
    let r = p.send_to_queue(&Message::new(&order_topic, "q"), &target).await.expect("to queue");
    assert_eq!(r.queue, target);
    let pick_first = |qs: &[MessageQueue], _: &Message| -> rocketmq_client::Result<usize> { Ok(qs.len() - 1) };
    let r = p.send_with_selector(&Message::new(&order_topic, "s"), &pick_first).await.expect("selector");
    assert_eq!(r.queue, target);
    let out_of_range = |qs: &[MessageQueue], _: &Message| -> rocketmq_client::Result<usize> { Ok(qs.len()) };
    let e = p.send_with_selector(&Message::new(&order_topic, "s"), &out_of_range).await.expect_err("bad index");
    assert_eq!(e.kind(), ErrorKind::InvalidMessage);

    // Delay level and 5.x delivery time are accepted.
    let mut delayed = Message::new(&topic, "later");
    delayed.set_delay_time_level(1).expect("level");
    assert_eq!(p.send(&delayed).await.expect("delay").status, SendStatus::Ok);
    let mut timed = Message::new(&topic, "at");
    timed.set_delivery_time_ms(now_ms() + 2000).expect("time");
    assert_eq!(p.send(&timed).await.expect("timer").status, SendStatus::Ok);

    // Invalid input fails before any I/O with a typed error.
    for (m, what) in [
        (Message::new("bad topic", "x"), "space in topic"),
        (Message::new(&topic, ""), "empty body"),
        (Message::new("SCHEDULE_TOPIC_XXXX", "x"), "reserved topic"),
        (Message::new("t".repeat(128), "x"), "long topic"),
    ] {
        let e = p.send(&m).await.expect_err(what);
        assert_eq!(e.kind(), ErrorKind::InvalidMessage, "{what}: {e}");
    }
    let small = Producer::new(
        ProducerOptions { max_message_size: 1024, ..ProducerOptions::new(unique("pg")) },
        client_options(&ns),
    );
    small.start().await.expect("start");
    let e = small.send(&Message::new(&topic, vec![1u8; 1025])).await.expect_err("oversized");
    assert_eq!(e.kind(), ErrorKind::InvalidMessage);
    assert!(e.to_string().contains("1025"), "{e}");
    small.shutdown().await;

    // Two producers in one process get different client ids.
    let other = producer(&ns).await;
    assert_ne!(p.client_id(), other.client_id());
    other.shutdown().await;

    p.shutdown().await;
    let e = p.send(&Message::new(&topic, "x")).await.expect_err("after shutdown");
    assert_eq!(e.kind(), ErrorKind::Shutdown);
    p.shutdown().await; // idempotent
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[tokio::test]
async fn send_before_start_is_a_typed_error() {
    let p = Producer::new(ProducerOptions::new("pg_not_started"), client_options("127.0.0.1:9"));
    let e = p.send(&Message::new("T", "x")).await.expect_err("not started");
    assert_eq!(e.kind(), ErrorKind::NotStarted);
}

#[tokio::test]
async fn unreachable_name_server_fails_within_the_send_timeout() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let p = Producer::new(
        ProducerOptions { send_timeout: Duration::from_millis(1500), ..ProducerOptions::new("pg_unreachable") },
        client_options(&format!("127.0.0.1:{port}")),
    );
    p.start().await.expect("start does not contact the name server");
    let started = Instant::now();
    let e = timeout(WAIT, p.send(&Message::new("T", "x"))).await.expect("no hang").expect_err("no name server");
    assert!(started.elapsed() < Duration::from_millis(3000), "took {:?}", started.elapsed());
    assert!(matches!(e.kind(), ErrorKind::Connect | ErrorKind::Timeout), "{e}");
    assert!(e.to_string().contains(&port.to_string()), "the error names the address: {e}");
    p.shutdown().await;
}

/// Two brokers: killing one mid-stream does not stop sends; every acknowledged send has a
/// distinct (broker, queue, offset), so none was silently overwritten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_continue_on_the_other_broker_when_one_dies() {
    let cluster = cluster(1, 2).await;
    let topic = unique("T_fault");
    cluster.create_topic(&topic, 4).await.expect("topic on both brokers");
    let p = producer(&cluster.namesrv_addr()).await;
    let victim = cluster.brokers()[0].name.clone();
    let mut acked = HashSet::new();
    let mut brokers_after_kill = HashSet::new();
    let mut failures = 0;
    for i in 0..200 {
        if i == 50 {
            cluster.kill_broker(0).expect("kill broker 0");
        }
        match timeout(WAIT, p.send(&Message::new(&topic, format!("m{i}")))).await.expect("no hang") {
            Ok(r) => {
                assert!(
                    acked.insert((r.queue.broker_name.clone(), r.queue.queue_id, r.queue_offset)),
                    "duplicate slot"
                );
                if i > 50 {
                    brokers_after_kill.insert(r.queue.broker_name);
                }
            }
            Err(e) => {
                failures += 1;
                eprintln!("send {i} failed: {e}");
            }
        }
    }
    assert_eq!(failures, 0, "retries must move every send to the live broker");
    assert!(!brokers_after_kill.contains(&victim), "nothing acknowledged by a dead broker");
    assert_eq!(brokers_after_kill.len(), 1);
    p.shutdown().await;
}

/// Two name servers: with the one in use gone, routes come from the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_survive_the_loss_of_a_name_server() {
    let cluster = cluster(2, 1).await;
    // Topics the client has never looked up force a route lookup each time, whichever name
    // server it starts at. They are created before the kill: a topic auto-created by a send
    // makes the broker register it with every name server inside that send, the dead one
    // included, which can hold its send queue past 200 ms and refuse the send with SYSTEM_BUSY
    // (docs/rocketmq-rust-broker.md): the broker's behaviour, not the client's routing.
    let topics: Vec<String> = (0..5).map(|i| unique(&format!("T_ns{i}"))).collect();
    for topic in &topics {
        cluster.create_topic(topic, 4).await.expect("create topic");
    }
    cluster.kill_namesrv(0).expect("kill namesrv 0");
    let p = producer(&cluster.namesrv_addr()).await;
    for topic in &topics {
        let r = timeout(WAIT, p.send(&Message::new(topic, "x"))).await.expect("in time").expect("sent");
        assert_eq!(r.status, SendStatus::Ok);
    }
    p.shutdown().await;
}

/// The binary ROCKETMQ header format works end to end with the real broker (which may answer
/// in either format).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_header_serialization_round_trips_with_the_broker() {
    let cluster = cluster(1, 1).await;
    let mut options = client_options(&cluster.namesrv_addr());
    options.serialize_type = rocketmq_remoting::SerializeType::RocketMq;
    let p = Producer::new(ProducerOptions::new(unique("pg_bin")), options);
    p.start().await.expect("start");
    let topic = unique("T_bin");
    for i in 0..10 {
        let mut m = Message::new(&topic, format!("binary header {i}"));
        m.set_tags("TagBin");
        m.put_user_property("unicode", "héllo-世界").expect("property");
        let r = timeout(WAIT, p.send(&m)).await.expect("in time").expect("sent with a binary header");
        assert_eq!(r.status, SendStatus::Ok);
    }
    let batch: Vec<Message> = (0..5).map(|i| Message::new(&topic, format!("b{i}"))).collect();
    assert_eq!(p.send_batch(&batch).await.expect("batch").msg_id.split(',').count(), 5);
    p.shutdown().await;
}
