//! Auto-batching (`producer::accumulator`, Java `ProduceAccumulator`) against a real
//! rocketmq-rust broker: each caller's result is exactly the stored message's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster_with_topic, unique, WAIT};
use rocketmq_client::consumer::PullStatus;
use rocketmq_client::{Message, Producer, ProducerOptions, PullConsumer, SendResult};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::timeout;

/// Every stored message of `topic` by body: (msg id, offset msg id, queue id, queue offset).
async fn stored(ns: &str, topic: &str) -> HashMap<Vec<u8>, (String, String, i32, i64)> {
    let c = PullConsumer::new(unique("cg_ab"), client_options(ns));
    c.start().await.unwrap();
    let mut out = HashMap::new();
    for mq in c.fetch_message_queues(topic).await.unwrap() {
        let mut offset = 0;
        loop {
            let r = timeout(WAIT, c.pull(&mq, "*", offset, 32)).await.unwrap().unwrap();
            match r.status {
                PullStatus::Found => {
                    for m in &r.msgs {
                        out.insert(m.body.to_vec(), (m.msg_id(), m.offset_msg_id(), m.queue_id, m.queue_offset));
                    }
                    offset = r.next_begin_offset;
                }
                PullStatus::NoNewMsg => break,
                other => panic!("unexpected {other:?} at {offset} of {mq}"),
            }
        }
    }
    c.shutdown().await;
    out
}

/// A started producer batching up to 2,000 body bytes or 50 ms.
async fn started_auto_batching(ns: &str) -> Producer {
    let options = ProducerOptions {
        auto_batch: true,
        batch_max_delay: Duration::from_millis(50),
        batch_max_bytes: 2_000,
        ..ProducerOptions::new(unique("pg_ab"))
    };
    let p = Producer::new(options, client_options(ns));
    p.start().await.unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_held_message_gets_its_own_stored_result() {
    let (_cluster, ns, topic) = cluster_with_topic("T_autobatch", 4).await;
    let p = started_auto_batching(&ns).await;
    let bodies: Vec<Vec<u8>> = (0..120).map(|i| format!("ab-{i:04}-{}", "x".repeat(100)).into_bytes()).collect();
    let tasks: Vec<_> = bodies
        .iter()
        .map(|b| {
            let (p, m) = (p.clone(), Message::new(&topic, b.clone()));
            tokio::spawn(async move { p.send_async(&m).await })
        })
        .collect();
    let mut results: Vec<SendResult> = Vec::new();
    for t in tasks {
        results.push(timeout(WAIT, t).await.unwrap().unwrap().unwrap());
    }
    p.shutdown().await;
    let on_broker = stored(&ns, &topic).await;
    assert_eq!(on_broker.len(), bodies.len());
    for (b, r) in bodies.iter().zip(&results) {
        let got = (r.msg_id.clone(), r.offset_msg_id.clone(), r.queue.queue_id, r.queue_offset);
        assert_eq!(on_broker[b], got, "the result of {}", String::from_utf8_lossy(b));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_goes_when_full_to_one_queue_and_bypasses_stay_alone() {
    let (_cluster, ns, topic) = cluster_with_topic("T_autobatch_full", 4).await;
    // A hold far longer than the test: what completes did not wait for it.
    let options = ProducerOptions {
        auto_batch: true,
        batch_max_delay: Duration::from_secs(30),
        batch_max_bytes: 450,
        ..ProducerOptions::new(unique("pg_ab"))
    };
    let p = Producer::new(options, client_options(&ns));
    p.start().await.unwrap();
    // The 5th body of 100 bytes crosses 450: one request, so one queue, consecutive offsets
    // (sent alone, five sends go round the four queues).
    let tasks: Vec<_> = (0..5)
        .map(|i| {
            let (p, m) = (p.clone(), Message::new(&topic, format!("{i}{}", "y".repeat(99))));
            tokio::spawn(async move { p.send_async(&m).await })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(timeout(WAIT, t).await.unwrap().unwrap().unwrap());
    }
    let queue = results[0].queue.queue_id;
    assert!(results.iter().all(|r| r.queue.queue_id == queue), "{results:?}");
    let mut offsets: Vec<i64> = results.iter().map(|r| r.queue_offset).collect();
    offsets.sort();
    assert_eq!(offsets, (offsets[0]..offsets[0] + 5).collect::<Vec<_>>());
    // Not batched (Java `canBatch`): a delay level, a delivery time, a body over the bound.
    let mut delayed = Message::new(&topic, "delayed");
    delayed.set_delay_time_level(1).unwrap();
    let mut timed = Message::new(&topic, "timed");
    timed.set_delay_sec(2).unwrap();
    for m in [delayed, timed, Message::new(&topic, "z".repeat(451))] {
        timeout(WAIT, p.send_async(&m)).await.expect("sent alone, not held").unwrap();
    }
    p.shutdown().await;
}

/// `send_async_with` (what the Python callback API uses): held messages are answered by
/// their batch with no task each, a bypassed one is sent alone, a message refused before any
/// I/O is answered at once; the producer's statistics count every one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_callbacks_get_their_own_stored_result() {
    let (_cluster, ns, topic) = cluster_with_topic("T_autobatch_cb", 4).await;
    let p = started_auto_batching(&ns).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut bodies: Vec<Vec<u8>> = (0..120).map(|i| format!("cb-{i:04}-{}", "x".repeat(100)).into_bytes()).collect();
    for b in &bodies {
        let (tx, b) = (tx.clone(), b.clone());
        p.send_async_with(std::sync::Arc::new(Message::new(&topic, b.clone())), move |r| {
            let _ = tx.send((b, r));
        });
    }
    let mut delayed = Message::new(&topic, b"cb-delayed".to_vec());
    delayed.set_delay_time_level(1).unwrap();
    bodies.push(b"cb-delayed".to_vec());
    let tx2 = tx.clone();
    p.send_async_with(std::sync::Arc::new(delayed), move |r| {
        let _ = tx2.send((b"cb-delayed".to_vec(), r));
    });
    let (refused_tx, refused_rx) = std::sync::mpsc::channel();
    p.send_async_with(std::sync::Arc::new(Message::new("bad topic!", b"x".to_vec())), move |r| {
        let _ = refused_tx.send(r);
    });
    let refused = refused_rx.try_recv().expect("a refused message is answered at once");
    assert_eq!(refused.unwrap_err().kind(), rocketmq_client::ErrorKind::InvalidMessage);
    drop(tx);
    let mut results: HashMap<Vec<u8>, SendResult> = HashMap::new();
    while let Some((b, r)) = timeout(WAIT, rx.recv()).await.expect("every callback ran") {
        assert!(results.insert(b, r.unwrap()).is_none(), "each callback runs once");
    }
    let stats = p.stats();
    assert_eq!(stats.get("sends_ok"), Some(&rocketmq_client::stats::StatValue::Int(121)), "{stats:?}");
    assert_eq!(stats.get("in_flight"), Some(&rocketmq_client::stats::StatValue::Int(0)), "{stats:?}");
    p.shutdown().await;
    // The delayed message waits in the broker's schedule topic (level 1: a second).
    assert_eq!(results.len(), bodies.len());
    bodies.pop();
    let on_broker = stored(&ns, &topic).await;
    assert_eq!(on_broker.len(), bodies.len());
    for b in &bodies {
        let r = &results[b];
        let got = (r.msg_id.clone(), r.offset_msg_id.clone(), r.queue.queue_id, r.queue_offset);
        assert_eq!(on_broker[b], got, "the result of {}", String::from_utf8_lossy(b));
    }
}
