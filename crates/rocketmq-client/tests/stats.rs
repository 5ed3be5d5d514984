//! Client statistics (issue #11 §2) against a real name server and broker: the counts match
//! what was sent and consumed, a failed send is counted by its error kind, the statistics
//! callback fires.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster_with_topic, eventually, producer, unique, WAIT};
use rocketmq_client::consumer::{ConsumeContext, ConsumeFromWhere, ConsumerOptions};
use rocketmq_client::stats::{StatValue, Stats};
use rocketmq_client::{ConsumeResult, Message, MessageExt, Producer, ProducerOptions, PushConsumer};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::timeout;

fn int(s: &Stats, path: &str) -> i64 {
    let mut cur = s;
    let mut parts = path.split('/').peekable();
    while let Some(p) = parts.next() {
        match (cur.get(p), parts.peek()) {
            (Some(StatValue::Int(v)), None) => return *v,
            (Some(StatValue::Map(m)), Some(_)) => cur = m,
            other => panic!("{path}: {other:?} in {s:#?}"),
        }
    }
    panic!("{path} not found")
}

fn float(s: &Stats, path: &str) -> f64 {
    let (head, last) = path.rsplit_once('/').unwrap();
    match s.get(head) {
        Some(StatValue::Map(m)) => match m.get(last) {
            Some(StatValue::Float(v)) => *v,
            other => panic!("{path}: {other:?}"),
        },
        other => panic!("{path}: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_match_what_was_sent_and_consumed_and_failures_are_counted_by_kind() {
    let (_cluster, ns, topic) = cluster_with_topic("stats", 2).await;
    let p = producer(&ns).await;
    for i in 0..5 {
        p.send(&Message::new(&topic, format!("m{i}"))).await.unwrap();
    }
    let empty = p.send(&Message::new(&topic, Vec::<u8>::new())).await.unwrap_err();
    let s = p.stats();
    assert_eq!(int(&s, "sends_ok"), 5);
    assert_eq!(int(&s, "send_latency/count"), 5);
    assert!(float(&s, "send_latency/p99_ms") >= float(&s, "send_latency/p50_ms"));
    assert!(float(&s, "send_latency/max_ms") > 0.0);
    assert_eq!(int(&s, "sends_failed"), 1);
    assert_eq!(int(&s, &format!("sends_failed_by_kind/{}", empty.kind().as_str().replace(' ', "_"))), 1);
    assert_eq!(int(&s, "sends_failed_by_kind/invalid_message"), 1);
    assert_eq!(int(&s, "in_flight"), 0);
    assert!(int(&s, "connections/connects") >= 2, "name server and broker: {s:#?}");

    // A producer whose name server is gone: the send fails with a transport kind.
    let dead = Producer::new(ProducerOptions::new(unique("pg_dead")), client_options("127.0.0.1:1"));
    dead.start().await.unwrap();
    let err = dead.send(&Message::new(&topic, "x")).await.unwrap_err();
    let ds = dead.stats();
    let kind = err.kind().as_str().replace(' ', "_");
    assert_eq!((int(&ds, "sends_ok"), int(&ds, "sends_failed")), (0, 1));
    assert_eq!(int(&ds, &format!("sends_failed_by_kind/{kind}")), 1, "{ds:#?}");
    assert!(int(&ds, "connections/connect_failures") >= 1);
    dead.shutdown().await;

    let mut o = ConsumerOptions::new(unique("stats_cg"));
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let c = PushConsumer::new(o, client_options(&ns));
    c.subscribe(&topic, "*").unwrap();
    c.register_listener(|_: &[MessageExt], _: &ConsumeContext| ConsumeResult::Success).unwrap();
    timeout(WAIT, c.start()).await.unwrap().unwrap();
    eventually(WAIT, "5 consumed", || async { c.consumed_count() >= 5 }).await;
    let s = c.stats();
    assert_eq!(int(&s, "consumed_ok"), 5);
    assert_eq!(int(&s, "consumed_failed"), 0);
    assert!(int(&s, "pulled_msgs") >= 5);
    assert!(int(&s, "consume_latency/count") >= 1);
    assert!(int(&s, "pull_latency/count") >= int(&s, "consume_latency/count").min(1));
    assert!(int(&s, "rebalance/rounds") >= 1);
    assert!(int(&s, "rebalance/queues_added") >= 2, "2 topic queues (and the retry topic's)");
    let Some(StatValue::Map(queues)) = s.get("queues") else { panic!("queues: {s:#?}") };
    let topic_queues: Vec<&String> = queues.keys().filter(|k| k.starts_with(&format!("{topic}@"))).collect();
    assert_eq!(topic_queues.len(), 2, "{queues:#?}");
    eventually(WAIT, "offsets committed and caches empty", || async {
        let s = c.stats();
        let Some(StatValue::Map(queues)) = s.get("queues") else { return false };
        let sum: i64 = queues
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{topic}@")))
            .map(|(k, _)| int(&s, &format!("queues/{k}/committed_offset")))
            .sum();
        let cached: i64 = queues.keys().map(|k| int(&s, &format!("queues/{k}/cached_msgs"))).sum();
        sum == 5 && cached == 0
    })
    .await;
    c.shutdown().await;
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_statistics_callback_fires_every_interval_while_running() {
    let (_cluster, ns, topic) = cluster_with_topic("stats_cb", 1).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Stats>();
    let p = Producer::new(ProducerOptions::new(unique("pg_cb")), client_options(&ns));
    // Set before start: it begins with the producer.
    p.set_stats_callback(
        Duration::from_millis(100),
        Arc::new(move |s| {
            let _ = tx.send(s);
        }),
    )
    .unwrap();
    assert!(p.set_stats_callback(Duration::ZERO, Arc::new(|_| {})).is_err(), "a zero interval is refused");
    p.start().await.unwrap();
    p.send(&Message::new(&topic, "x")).await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        seen.push(timeout(WAIT, rx.recv()).await.expect("the callback fires").unwrap());
    }
    let last = seen.last().unwrap();
    assert_eq!(int(last, "sends_ok"), 1, "a fresh snapshot each time");
    p.shutdown().await;
    // Stopped with the producer: the task and its callback (holding the sender) are dropped.
    let closed = timeout(WAIT, async { while rx.recv().await.is_some() {} }).await;
    assert!(closed.is_ok(), "the callback stops with the producer");
}
