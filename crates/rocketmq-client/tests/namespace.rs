//! Namespaces (#9 §4) against the real broker: two tenants use the same topic and group names
//! on one broker without seeing each other's messages; what the broker stores is `ns%topic`,
//! `%RETRY%ns%group`, `%DLQ%ns%group` (Java `NamespaceUtil`); what the user sees is the bare
//! name again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster, eventually, unique, WAIT};
use rocketmq_client::consumer::{ConsumeContext, ConsumeFromWhere};
use rocketmq_client::{
    Admin, ClientOptions, ConsumeResult, ConsumerOptions, LitePullConsumer, LitePullOptions, Message, MessageExt,
    Producer, ProducerOptions, PullConsumer, PushConsumer,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn in_namespace(namesrv: &str, ns: &str) -> ClientOptions {
    ClientOptions { namespace: Some(ns.to_owned()), ..client_options(namesrv) }
}

/// What a listener saw of one delivery.
#[derive(Debug, Clone)]
struct Seen {
    body: String,
    topic: String,
    queue_topic: String,
    reconsume_times: i32,
}

/// A push consumer of `group` on `topic` in namespace `ns`; it fails messages whose body is
/// "fail" every time (so they go to the retry topic, then the DLQ).
fn consumer(namesrv: &str, ns: &str, group: &str, topic: &str) -> (PushConsumer, Arc<Mutex<Vec<Seen>>>) {
    let mut o = ConsumerOptions::new(group);
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    o.max_reconsume_times = Some(1);
    o.delay_level_when_next_consume = 1; // 1 s instead of the broker's 10 s
    let c = PushConsumer::new(o, in_namespace(namesrv, ns));
    c.subscribe(topic, "*").unwrap();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let sink = seen.clone();
    c.register_listener(move |msgs: &[MessageExt], ctx: &ConsumeContext| {
        let mut failed = false;
        for m in msgs {
            let body = String::from_utf8_lossy(&m.body).into_owned();
            failed |= body == "fail";
            sink.lock().unwrap().push(Seen {
                body,
                topic: m.topic.clone(),
                queue_topic: ctx.queue.topic.clone(),
                reconsume_times: m.reconsume_times,
            });
        }
        if failed {
            ConsumeResult::ReconsumeLater
        } else {
            ConsumeResult::Success
        }
    })
    .unwrap();
    (c, seen)
}

async fn stored(admin: &Admin, topic: &str) -> Option<i64> {
    let queues = admin.topic_queues(topic).await.ok()?;
    let mut total = 0;
    for mq in &queues {
        total += admin.max_offset(mq).await.ok()?;
    }
    Some(total)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_namespaces_on_one_broker_do_not_see_each_other() {
    let cluster = cluster(1, 1).await;
    let namesrv = cluster.namesrv_addr();
    let (ns_a, ns_b) = (unique("nsA"), unique("nsB"));
    let topic = unique("T_ns");
    let group = unique("cg_ns");
    // Both tenants' topics exist on the broker under their wrapped names only.
    for ns in [&ns_a, &ns_b] {
        cluster.create_topic(&format!("{ns}%{topic}"), 2).await.unwrap();
    }

    let producer_a = Producer::new(ProducerOptions::new(unique("pg_ns")), in_namespace(&namesrv, &ns_a));
    let producer_b = Producer::new(ProducerOptions::new(unique("pg_ns")), in_namespace(&namesrv, &ns_b));
    producer_a.start().await.unwrap();
    producer_b.start().await.unwrap();
    assert!(producer_a.options().group.starts_with(&format!("{ns_a}%")), "the producer group is wrapped");
    for body in ["a-0", "a-1", "a-2", "fail"] {
        let r = producer_a.send(&Message::new(&topic, body)).await.unwrap();
        assert_eq!(r.queue.topic, topic, "the send result names the user's topic");
    }
    let r = producer_b.send(&Message::new(&topic, "b-0")).await.unwrap();
    assert_eq!(r.queue.topic, topic);
    let queues = producer_a.publish_queues(&topic).await.unwrap();
    assert!(!queues.is_empty() && queues.iter().all(|q| q.topic == topic), "queues carry the user's topic");
    // A queue given back by the user is wrapped again on the way out.
    producer_a.send_to_queue(&Message::new(&topic, "a-3"), &queues[0]).await.unwrap();

    // Same topic, same group name, two namespaces.
    let (consumer_a, seen_a) = consumer(&namesrv, &ns_a, &group, &topic);
    let (consumer_b, seen_b) = consumer(&namesrv, &ns_b, &group, &topic);
    consumer_a.start().await.unwrap();
    consumer_b.start().await.unwrap();
    assert_eq!(consumer_a.subscriptions(), vec![topic.clone()], "subscriptions are listed unwrapped");

    let admin = Admin::new(client_options(&namesrv)).unwrap();
    // "fail": delivered, retried once from %RETRY%nsA%group, then moved to %DLQ%nsA%group.
    let dlq_a = format!("%DLQ%{ns_a}%{group}");
    eventually(Duration::from_secs(60), "the failing message in namespace A's DLQ", || {
        let (admin, dlq_a) = (admin.clone(), dlq_a.clone());
        async move { stored(&admin, &dlq_a).await.unwrap_or(0) >= 1 }
    })
    .await;
    eventually(WAIT, "every message of A and the one of B", || {
        let (a, b) = (seen_a.lock().unwrap().len(), seen_b.lock().unwrap().len());
        async move { a >= 6 && b >= 1 }
    })
    .await;

    let a = seen_a.lock().unwrap().clone();
    let b = seen_b.lock().unwrap().clone();
    let mut bodies_a: Vec<&str> = a.iter().map(|s| s.body.as_str()).collect();
    bodies_a.sort();
    bodies_a.dedup();
    assert_eq!(bodies_a, ["a-0", "a-1", "a-2", "a-3", "fail"], "A gets A's messages only: {a:?}");
    assert!(b.iter().all(|s| s.body == "b-0"), "B gets B's message only: {b:?}");
    assert!(a.iter().chain(&b).all(|s| s.topic == topic), "unwrapped topics: {a:?} {b:?}");
    // The listener's queue: the topic's, or for a redelivery the group's retry queue, both
    // without the namespace.
    let retry_queue = format!("%RETRY%{group}");
    assert!(
        a.iter().chain(&b).all(|s| &s.queue_topic == if s.reconsume_times == 0 { &topic } else { &retry_queue }),
        "unwrapped queues: {a:?} {b:?}"
    );
    let retried: Vec<&Seen> = a.iter().filter(|s| s.body == "fail").collect();
    assert!(
        retried.iter().any(|s| s.reconsume_times == 1),
        "the retry came from %RETRY%nsA%group, shown under its original topic: {retried:?}"
    );

    // On the broker: only the wrapped names exist.
    assert!(stored(&admin, &format!("%RETRY%{ns_a}%{group}")).await.unwrap_or(0) >= 1, "A's retry topic");
    assert_eq!(stored(&admin, &format!("%DLQ%{ns_b}%{group}")).await.unwrap_or(0), 0, "B failed nothing");
    assert_eq!(stored(&admin, &format!("{ns_b}%{topic}")).await, Some(1));
    assert!(admin.topic_queues(&topic).await.is_err(), "the bare topic was never created");
    assert!(admin.topic_queues(&format!("%DLQ%{group}")).await.is_err(), "no un-namespaced DLQ");

    // Lite pull and pull consumers in namespace B see B's message under the bare topic.
    let lite = LitePullConsumer::new(LitePullOptions::new(unique("lite_ns")), in_namespace(&namesrv, &ns_b));
    lite.start().await.unwrap();
    let queues = lite.fetch_message_queues(&topic).await.unwrap();
    assert!(queues.iter().all(|q| q.topic == topic));
    lite.assign(&queues).await.unwrap();
    for q in &queues {
        lite.seek_to_begin(q).await.unwrap();
    }
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while got.is_empty() && tokio::time::Instant::now() < deadline {
        if let Some((mq, msgs)) = lite.poll_batch(Duration::from_millis(500)).await.unwrap() {
            assert_eq!(mq.topic, topic);
            got.extend(msgs);
        }
    }
    assert_eq!(
        got.iter().map(|m| (m.topic.as_str(), &m.body[..])).collect::<Vec<_>>(),
        [(topic.as_str(), &b"b-0"[..])]
    );
    assert!(lite.assignment().iter().all(|q| q.topic == topic));
    lite.shutdown().await;

    let pull = PullConsumer::new(unique("pull_ns"), in_namespace(&namesrv, &ns_b));
    pull.start().await.unwrap();
    let mut pulled = Vec::new();
    for q in pull.fetch_message_queues(&topic).await.unwrap() {
        pulled.extend(pull.pull(&q, "*", 0, 32).await.unwrap().msgs);
    }
    assert_eq!(pulled.len(), 1);
    assert_eq!(pulled[0].topic, topic);
    pull.shutdown().await;

    consumer_a.shutdown().await;
    consumer_b.shutdown().await;
    producer_a.shutdown().await;
    producer_b.shutdown().await;
}

/// Namespace v2 (Java 5.x `namespaceV2`): names stay as they are; the requests carry
/// `ns` / `nsd`, which the broker ignores.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn namespace_v2_leaves_names_alone() {
    let (_cluster, namesrv, topic) = common::cluster_with_topic("T_nsv2", 1).await;
    let options = ClientOptions { namespace_v2: Some("tenant".to_owned()), ..client_options(&namesrv) };
    let p = Producer::new(ProducerOptions::new(unique("pg_v2")), options);
    p.start().await.unwrap();
    let r = p.send(&Message::new(&topic, "v2")).await.unwrap();
    assert_eq!(r.queue.topic, topic);
    let admin = Admin::new(client_options(&namesrv)).unwrap();
    assert_eq!(stored(&admin, &topic).await, Some(1), "stored under the bare topic");
    p.shutdown().await;
}

/// Commits "unknown" on check, rolls back anything else (rocketmq-rust also offers ended halves
/// to the checker, docs/rocketmq-rust-broker.md); records the topics of the checked messages.
struct CommitOnCheck(Arc<Mutex<Vec<String>>>);

impl rocketmq_client::TransactionChecker for CommitOnCheck {
    fn check(&self, msg: MessageExt) -> rocketmq_client::producer::transaction::StateFuture {
        self.0.lock().unwrap().push(msg.topic.clone());
        let commit = &msg.body[..] == b"unknown";
        Box::pin(async move {
            if commit {
                rocketmq_client::LocalTransactionState::CommitMessage
            } else {
                rocketmq_client::LocalTransactionState::RollbackMessage
            }
        })
    }
}

/// A transactional producer in a namespace: the half message, END_TRANSACTION and the
/// broker's check all use the wrapped names; the checker and the consumer see the bare topic.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transactions_in_a_namespace_commit_and_are_checked_under_the_bare_topic() {
    use rocketmq_client::{LocalTransactionState, TransactionProducer};
    let cluster = rocketmq_testkit::Cluster::builder()
        .namesrvs(1)
        .brokers(1)
        .broker_config("broker", "transactionCheckInterval", "1000")
        .broker_config("broker", "transactionTimeout", "1000")
        .start()
        .await
        .expect("cluster starts");
    let namesrv = cluster.namesrv_addr();
    let (ns, topic) = (unique("nsT"), unique("T_tx"));
    cluster.create_topic(&format!("{ns}%{topic}"), 1).await.unwrap();
    let checked: Arc<Mutex<Vec<String>>> = Arc::default();
    let p = TransactionProducer::new(
        ProducerOptions::new(unique("txpg")),
        in_namespace(&namesrv, &ns),
        Arc::new(CommitOnCheck(checked.clone())),
    );
    p.start().await.unwrap();
    for (body, state) in [("commit", LocalTransactionState::CommitMessage), ("unknown", LocalTransactionState::Unknow)]
    {
        let r = tokio::time::timeout(
            WAIT,
            p.send_message_in_transaction(&Message::new(&topic, body), |m, _| {
                assert_eq!(m.topic(), topic, "the local transaction sees the bare topic");
                async move { state }
            }),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(r.send_result.queue.topic, topic);
    }
    let mut o = LitePullOptions::new(unique("txcg"));
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let c = LitePullConsumer::new(o, in_namespace(&namesrv, &ns));
    c.subscribe(&topic, "*").await.unwrap();
    c.start().await.unwrap();
    let mut got = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while got.len() < 2 && tokio::time::Instant::now() < deadline {
        for m in c.poll(Duration::from_millis(300)).await.unwrap() {
            assert_eq!(m.topic, topic);
            got.insert(String::from_utf8_lossy(&m.body).into_owned());
        }
    }
    assert_eq!(got, ["commit", "unknown"].map(str::to_owned).into(), "committed, and resolved by the broker's check");
    let checked = checked.lock().unwrap().clone();
    assert!(!checked.is_empty() && checked.iter().all(|t| *t == topic), "checks see the bare topic: {checked:?}");
    c.shutdown().await;
    p.shutdown().await;
}
