//! Message trace against a real name server and broker: a producer and a push consumer with
//! trace on; the trace topic read back and decoded (Pub with id, topic, tags, keys, store host;
//! SubBefore/SubAfter pairs with the success flag). And a trace topic that never answers:
//! records are dropped and counted, memory stays bounded, appends never wait.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster_with_topic, eventually, unique, WAIT};
use rocketmq_client::consumer::{ConsumeContext, ConsumeFromWhere, ConsumerOptions};
use rocketmq_client::trace::data::{decode, TraceBean, TraceContext, TraceType};
use rocketmq_client::trace::dispatcher::{DispatcherType, TraceDispatcher, QUEUE_CAPACITY};
use rocketmq_client::{
    ConsumeResult, LitePullConsumer, LitePullOptions, Message, MessageExt, Producer, ProducerOptions, PushConsumer,
    TraceOptions,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{timeout, Instant};

/// Read every trace record of `topic` (from the first offset) until `done` holds for them.
async fn read_trace(ns: &str, topic: &str, done: impl Fn(&[TraceContext]) -> bool) -> Vec<TraceContext> {
    let mut o = LitePullOptions::new(unique("trace_reader"));
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let reader = LitePullConsumer::new(o, client_options(ns));
    reader.subscribe(topic, "*").await.unwrap();
    reader.start().await.unwrap();
    let mut records = Vec::new();
    let deadline = Instant::now() + WAIT;
    while !done(&records) {
        assert!(Instant::now() < deadline, "trace records incomplete after {WAIT:?}: {records:#?}");
        for m in reader.poll(Duration::from_millis(500)).await.unwrap() {
            records.extend(decode(std::str::from_utf8(&m.body).unwrap()).unwrap());
        }
    }
    reader.shutdown().await;
    records
}

fn bean(ctx: &TraceContext) -> &TraceBean {
    &ctx.beans[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_and_consumes_leave_java_trace_records_in_the_trace_topic() {
    let (_cluster, ns, topic) = cluster_with_topic("trace", 2).await;
    let mut client = client_options(&ns);
    client.message_trace = Some(TraceOptions::default());

    let producer = Producer::new(ProducerOptions::new(unique("trace_pg")), client.clone());
    producer.start().await.unwrap();
    let mut sent = BTreeMap::new();
    for i in 0..3 {
        let mut m = Message::new(&topic, format!("traced {i}"));
        m.set_tags("TagT");
        m.set_keys(&format!("k{i} shared"));
        let r = producer.send(&m).await.unwrap();
        sent.insert(r.msg_id.clone(), r);
    }

    let group = unique("trace_cg");
    let mut o = ConsumerOptions::new(&group);
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let consumer = PushConsumer::new(o, client.clone());
    consumer.subscribe(&topic, "*").unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    consumer
        .register_listener(move |msgs: &[MessageExt], _: &ConsumeContext| {
            counter.fetch_add(msgs.len(), Ordering::SeqCst);
            ConsumeResult::Success
        })
        .unwrap();
    timeout(WAIT, consumer.start()).await.unwrap().unwrap();
    eventually(WAIT, "3 messages consumed", || async { seen.load(Ordering::SeqCst) >= 3 }).await;

    // Shutting down sends what is still batched.
    producer.shutdown().await;
    consumer.shutdown().await;
    assert_eq!(producer.trace_stats().map(|s| (s.sent_records, s.dropped, s.failed_records)), Some((3, 0, 0)));
    let consumer_stats = consumer.trace_stats().unwrap();
    assert_eq!((consumer_stats.dropped, consumer_stats.failed_records), (0, 0));
    assert!(consumer_stats.sent_records >= 6, "SubBefore + SubAfter per message: {consumer_stats:?}");

    let ids: Vec<String> = sent.keys().cloned().collect();
    let records = read_trace(&ns, "RMQ_SYS_TRACE_TOPIC", |records| {
        ids.iter().all(|id| {
            [TraceType::Pub, TraceType::SubBefore, TraceType::SubAfter]
                .iter()
                .all(|t| records.iter().any(|r| r.trace_type == *t && bean(r).msg_id == *id))
        })
    })
    .await;

    for (id, result) in &sent {
        let p = records.iter().find(|r| r.trace_type == TraceType::Pub && bean(r).msg_id == *id).unwrap();
        let b = bean(p);
        assert_eq!((b.topic.as_str(), b.tags.as_str()), (topic.as_str(), "TagT"));
        assert!(b.keys.ends_with(" shared") && b.keys.starts_with('k'), "keys {:?}", b.keys);
        assert_eq!(b.store_host, result.broker_addr);
        assert_eq!(b.offset_msg_id, result.offset_msg_id);
        assert!(p.success);
        assert_eq!(p.group, producer.options().group);
        assert!(!p.region_id.is_empty());
        assert!(b.body_length > 0);

        let before: Vec<&TraceContext> =
            records.iter().filter(|r| r.trace_type == TraceType::SubBefore && bean(r).msg_id == *id).collect();
        let after: HashMap<&str, &TraceContext> = records
            .iter()
            .filter(|r| r.trace_type == TraceType::SubAfter && bean(r).msg_id == *id)
            .map(|r| (r.request_id.as_str(), r))
            .collect();
        let b0 = before[0];
        assert_eq!((b0.group.as_str(), bean(b0).retry_times), (group.as_str(), 0));
        let a0 = after.get(b0.request_id.as_str()).expect("a SubAfter with the SubBefore's request id");
        assert!(a0.success, "the listener succeeded");
        assert_eq!((a0.context_code, a0.group.as_str()), (0, group.as_str()));
        assert_eq!(bean(a0).keys, b.keys);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lite_pull_consumer_traces_each_pull_that_found_messages() {
    let (_cluster, ns, topic) = cluster_with_topic("trace_lite", 1).await;
    let trace_topic = unique("trace_lite_records");
    let p = common::producer(&ns).await;
    let id = p.send(&Message::new(&topic, "lite traced")).await.unwrap().msg_id;
    p.shutdown().await;
    let mut client = client_options(&ns);
    client.message_trace = Some(TraceOptions::with_topic(&trace_topic));
    let group = unique("trace_lite_cg");
    let mut o = LitePullOptions::new(&group);
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let c = LitePullConsumer::new(o, client);
    c.subscribe(&topic, "*").await.unwrap();
    c.start().await.unwrap();
    let deadline = Instant::now() + WAIT;
    while !c.poll(Duration::from_millis(500)).await.unwrap().iter().any(|m| m.msg_id() == id) {
        assert!(Instant::now() < deadline, "the message was not polled");
    }
    c.shutdown().await;
    let records = read_trace(&ns, &trace_topic, |records| {
        [TraceType::SubBefore, TraceType::SubAfter]
            .iter()
            .all(|t| records.iter().any(|r| r.trace_type == *t && bean(r).msg_id == id))
    })
    .await;
    let before = records.iter().find(|r| r.trace_type == TraceType::SubBefore).unwrap();
    let after = records.iter().find(|r| r.trace_type == TraceType::SubAfter).unwrap();
    assert_eq!((before.group.as_str(), after.request_id.as_str()), (group.as_str(), before.request_id.as_str()));
    assert!(after.success);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_records_name_topics_and_groups_without_the_namespace() {
    let (_cluster, ns, topic) = cluster_with_topic("trace_ns", 1).await;
    let trace_topic = unique("trace_ns_records");
    let mut client = client_options(&ns);
    client.namespace = Some("nsTrace".to_owned());
    client.message_trace = Some(TraceOptions::with_topic(&trace_topic));
    let group = unique("trace_ns_pg");
    let p = Producer::new(ProducerOptions::new(&group), client);
    p.start().await.unwrap();
    let id = p.send(&Message::new(&topic, "namespaced")).await.unwrap().msg_id;
    p.shutdown().await;
    // The trace topic is the cluster's (no namespace), as Java's trace producer has none.
    let records = read_trace(&ns, &trace_topic, |records| {
        records.iter().any(|r| r.trace_type == TraceType::Pub && bean(r).msg_id == id)
    })
    .await;
    let pub_ = records.iter().find(|r| bean(r).msg_id == id).unwrap();
    assert_eq!((pub_.group.as_str(), bean(pub_).topic.as_str()), (group.as_str(), topic.as_str()));
}

struct NeverChecked;

impl rocketmq_client::producer::transaction::TransactionChecker for NeverChecked {
    fn check(&self, _msg: MessageExt) -> rocketmq_client::producer::transaction::StateFuture {
        Box::pin(async { rocketmq_client::LocalTransactionState::CommitMessage })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_leaves_a_half_message_pub_and_an_end_transaction_record() {
    let (_cluster, ns, topic) = cluster_with_topic("trace_tx", 1).await;
    let trace_topic = unique("trace_tx_records");
    let mut client = client_options(&ns);
    client.message_trace = Some(TraceOptions::with_topic(&trace_topic));
    let group = unique("trace_txpg");
    let p = rocketmq_client::TransactionProducer::new(ProducerOptions::new(&group), client, Arc::new(NeverChecked));
    p.start().await.unwrap();
    let mut m = Message::new(&topic, "tx body");
    m.set_tags("TagX");
    let sent = p
        .send_message_in_transaction(&m, |_m, _r| async { rocketmq_client::LocalTransactionState::CommitMessage })
        .await
        .unwrap();
    p.shutdown().await;
    let id = sent.send_result.msg_id.clone();
    let records = read_trace(&ns, &trace_topic, |records| {
        [TraceType::Pub, TraceType::EndTransaction]
            .iter()
            .all(|t| records.iter().any(|r| r.trace_type == *t && bean(r).msg_id == id))
    })
    .await;
    let pub_ = records.iter().find(|r| r.trace_type == TraceType::Pub).unwrap();
    assert_eq!(bean(pub_).msg_type, rocketmq_client::trace::data::MessageType::TransHalf);
    let end = records.iter().find(|r| r.trace_type == TraceType::EndTransaction).unwrap();
    let b = bean(end);
    assert_eq!((end.group.as_str(), b.topic.as_str(), b.tags.as_str()), (group.as_str(), topic.as_str(), "TagX"));
    assert_eq!((b.transaction_state.as_str(), b.from_transaction_check), ("COMMIT_MESSAGE", false));
    assert_eq!(b.transaction_id, id);
    assert_eq!(b.store_host, sent.send_result.broker_addr);
}

/// A name server that accepts connections and never answers: every trace send hangs until
/// its timeout, as when the trace topic's broker is unreachable.
async fn black_hole() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (addr, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_trace_topic_drops_and_counts_records_and_never_blocks_appends() {
    let (addr, hole) = black_hole().await;
    let dispatcher =
        TraceDispatcher::start("pg_trace_hole", DispatcherType::Produce, "RMQ_SYS_TRACE_TOPIC", &client_options(&addr))
            .await
            .unwrap();
    const N: u64 = 20_000;
    for i in 0..N {
        let mut ctx = TraceContext::new(TraceType::Pub, 1);
        ctx.beans.push(TraceBean {
            topic: "T".into(),
            msg_id: format!("id{i}"),
            keys: "null".into(),
            ..Default::default()
        });
        dispatcher.append(ctx);
    }
    let stats = dispatcher.stats();
    assert_eq!(stats.appended + stats.dropped, N, "every record is either queued or counted as dropped");
    assert!(stats.dropped > 0, "a full queue drops: {stats:?}");
    // What is held: the queue, the batch being built and the batches in flight; never all N.
    assert!(stats.appended < N && stats.appended >= QUEUE_CAPACITY as u64, "{stats:?}");
    timeout(WAIT, dispatcher.shutdown()).await.expect("shutdown is bounded even when nothing answers");
    assert_eq!(dispatcher.stats().sent_records, 0);
    hole.abort();
}
