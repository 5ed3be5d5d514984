//! Request-reply against a real name server and broker: a round trip through a replier, and a
//! timeout when nobody replies (the waiter leaves the table).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster_with_topic, producer, unique, WAIT};
use rocketmq_client::consumer::ConsumeFromWhere;
use rocketmq_client::instance::ClientInstance;
use rocketmq_client::{create_reply_message, ErrorKind, LitePullConsumer, LitePullOptions, Message};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_and_timeout() {
    let (_cluster, ns, topic) = cluster_with_topic("rr", 2).await;
    let requester = producer(&ns).await;
    let reply_sender = producer(&ns).await;
    let mut o = LitePullOptions::new(unique("rrcg"));
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let replier = LitePullConsumer::new(o, client_options(&ns));
    replier.subscribe(&topic, "*").await.unwrap();
    replier.start().await.unwrap();
    let serve = tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            if let Some(m) = replier.poll(Duration::from_millis(300)).await.unwrap().into_iter().next() {
                let mut body = b"re:".to_vec();
                body.extend_from_slice(&m.body);
                // Large enough to be compressed by the replier: the requester inflates it.
                body.extend(std::iter::repeat_n(b'x', 8192));
                let reply = create_reply_message(&m, body).unwrap();
                assert!(reply.topic().ends_with("_REPLY_TOPIC"));
                reply_sender.send(&reply).await.unwrap();
                replier.shutdown().await;
                return;
            }
        }
        panic!("no request reached the replier within {WAIT:?}");
    });
    let reply = requester.request(&Message::new(&topic, "ping"), WAIT).await.unwrap();
    assert_eq!(&reply.body[..7], b"re:ping");
    assert_eq!(reply.body.len(), 7 + 8192, "the compressed reply arrives inflated");
    assert!(reply.property("CORRELATION_ID").is_some());
    tokio::time::timeout(WAIT, serve).await.unwrap().unwrap();

    // Nobody replies now: the request times out and its waiter is gone.
    let started = tokio::time::Instant::now();
    let err = requester.request(&Message::new(&topic, "lonely"), Duration::from_millis(800)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(5));
    let instance = ClientInstance::lookup(requester.client_id().unwrap()).unwrap();
    assert!(instance.replies().is_empty(), "the expired waiter left the table");
    requester.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_requests_each_get_their_own_reply() {
    let (_cluster, ns, topic) = cluster_with_topic("rr100", 4).await;
    let requester = producer(&ns).await;
    let reply_sender = producer(&ns).await;
    let mut o = LitePullOptions::new(unique("rrcg"));
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let replier = LitePullConsumer::new(o, client_options(&ns));
    replier.subscribe(&topic, "*").await.unwrap();
    replier.start().await.unwrap();
    let serve = tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut served = 0;
        while served < 100 {
            assert!(tokio::time::Instant::now() < deadline, "served only {served} requests");
            for m in replier.poll(Duration::from_millis(300)).await.unwrap() {
                let mut body = b"re:".to_vec();
                body.extend_from_slice(&m.body);
                reply_sender.send(&create_reply_message(&m, body).unwrap()).await.unwrap();
                served += 1;
            }
        }
        replier.shutdown().await;
    });
    let mut tasks = Vec::new();
    for i in 0..100 {
        let p = requester.clone();
        let topic = topic.clone();
        tasks.push(tokio::spawn(async move {
            let reply = p.request(&Message::new(&topic, format!("q{i}")), WAIT).await.unwrap();
            assert_eq!(String::from_utf8_lossy(&reply.body), format!("re:q{i}"));
        }));
    }
    for t in tasks {
        tokio::time::timeout(WAIT, t).await.unwrap().unwrap();
    }
    tokio::time::timeout(WAIT, serve).await.unwrap().unwrap();
    requester.shutdown().await;
}
