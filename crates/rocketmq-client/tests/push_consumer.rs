//! The push consumer against a real rocketmq-rust name server and broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster_with_topic, eventually, producer, unique};
use rocketmq_client::consumer::{ConsumeFromWhere, MessageModel};
use rocketmq_client::{ConsumeResult, ConsumerOptions, Message, MessageExt, Producer, PushConsumer};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::timeout;

/// Everything a test listener saw, and a counter to wait on.
#[derive(Clone)]
struct Inbox {
    msgs: Arc<Mutex<Vec<MessageExt>>>,
    count: watch::Sender<usize>,
}

impl Inbox {
    fn new() -> Self {
        Inbox { msgs: Arc::default(), count: watch::channel(0).0 }
    }

    fn push(&self, batch: &[MessageExt]) {
        let mut msgs = self.msgs.lock().unwrap();
        msgs.extend(batch.iter().cloned());
        let n = msgs.len();
        self.count.send_replace(n);
    }

    async fn wait_for(&self, n: usize, within: Duration) -> Vec<MessageExt> {
        let mut rx = self.count.subscribe();
        let reached = timeout(within, rx.wait_for(|c| *c >= n)).await;
        let msgs = self.msgs.lock().unwrap().clone();
        assert!(reached.is_ok(), "expected {n} messages within {within:?}, got {}", msgs.len());
        msgs
    }

    fn snapshot(&self) -> Vec<MessageExt> {
        self.msgs.lock().unwrap().clone()
    }
}

fn consumer(
    ns: &str,
    group: &str,
    topic: &str,
    expr: &str,
    options: impl FnOnce(&mut ConsumerOptions),
) -> (PushConsumer, Inbox) {
    let mut o = ConsumerOptions::new(group);
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    o.consume_thread_count = 4;
    options(&mut o);
    let c = PushConsumer::new(o, client_options(ns));
    c.subscribe(topic, expr).unwrap();
    let inbox = Inbox::new();
    let sink = inbox.clone();
    c.register_listener(move |msgs: &[MessageExt], _: &rocketmq_client::consumer::ConsumeContext| {
        sink.push(msgs);
        ConsumeResult::Success
    })
    .unwrap();
    (c, inbox)
}

async fn send_n(p: &Producer, topic: &str, n: usize, tag: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let mut m = Message::new(topic, format!("{tag}-{i}\0bin\u{1}"));
        m.set_tags(tag);
        ids.push(p.send(&m).await.unwrap().msg_id);
    }
    ids
}

const LONG: Duration = Duration::from_secs(60);

/// body → (reconsume times, topic) of each delivery.
type Attempts = HashMap<String, Vec<(i32, String)>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_message_is_consumed_with_tags_and_binary_bodies() {
    let (_cluster, ns, topic) = cluster_with_topic("T_all", 4).await;
    let p = producer(&ns).await;
    let ids_a = send_n(&p, &topic, 30, "TagA").await;
    let _ids_b = send_n(&p, &topic, 10, "TagB").await;
    let ids_c = send_n(&p, &topic, 10, "TagC").await;
    // A body over the 4 KiB threshold travels zlib-compressed and must come back as sent.
    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    let mut big_msg = Message::new(&topic, big.clone());
    big_msg.set_tags("TagBig");
    p.send(&big_msg).await.unwrap();

    let (all, all_inbox) = consumer(&ns, &unique("cg_all"), &topic, "*", |_| {});
    let (some, some_inbox) = consumer(&ns, &unique("cg_tags"), &topic, "TagA || TagC", |_| {});
    all.start().await.unwrap();
    some.start().await.unwrap();
    let got = all_inbox.wait_for(51, LONG).await;
    let bodies: HashSet<Vec<u8>> = got.iter().map(|m| m.body.to_vec()).collect();
    assert_eq!(bodies.len(), 51, "51 distinct bodies");
    assert!(bodies.contains(&big), "the compressed body decompressed to the original bytes");
    assert!(
        got.iter().filter(|m| m.tags() != Some("TagBig")).all(|m| m.body.ends_with(b"\0bin\x01")),
        "binary bodies intact"
    );
    assert!(got.iter().all(|m| m.topic == topic));
    let filtered = some_inbox.wait_for(40, LONG).await;
    let tags: HashSet<_> = filtered.iter().map(|m| m.tags().unwrap_or("").to_owned()).collect();
    assert_eq!(tags, HashSet::from(["TagA".to_owned(), "TagC".to_owned()]));
    let filtered_ids: HashSet<String> = filtered.iter().map(|m| m.msg_id()).collect();
    assert!(ids_a.iter().chain(&ids_c).all(|id| filtered_ids.contains(id)), "every TagA/TagC message arrived");
    // Running info lists the subscriptions and the assigned queues.
    let info = all.running_info().unwrap();
    assert!(info.subscription_set.iter().any(|s| s.topic == topic));
    assert!(info.mq_table.iter().any(|(mq, _)| mq.topic == topic));
    all.shutdown().await;
    some.shutdown().await;
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn start_without_subscription_or_name_server_fails() {
    let c = PushConsumer::new(ConsumerOptions::new("cg_nosub"), client_options("127.0.0.1:9"));
    c.register_listener(|_: &[MessageExt], _: &rocketmq_client::consumer::ConsumeContext| ConsumeResult::Success)
        .unwrap();
    assert!(c.start().await.is_err(), "no subscription");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (c, _) = consumer(&format!("127.0.0.1:{port}"), "cg_nons", "T", "*", |_| {});
    let e = timeout(Duration::from_secs(10), c.start()).await.expect("no hang").expect_err("no name server");
    assert!(e.to_string().contains(&port.to_string()), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broadcasting_delivers_to_every_consumer() {
    let (_cluster, ns, topic) = cluster_with_topic("T_bc", 2).await;
    let group = unique("cg_bc");
    let dir = std::env::temp_dir().join(unique("offsets"));
    let (c1, in1) = consumer(&ns, &group, &topic, "*", |o| {
        o.message_model = MessageModel::Broadcasting;
        o.offset_store_dir = Some(dir.clone());
    });
    let (c2, in2) = consumer(&ns, &group, &topic, "*", |o| {
        o.message_model = MessageModel::Broadcasting;
        o.offset_store_dir = Some(dir.clone());
    });
    c1.start().await.unwrap();
    c2.start().await.unwrap();
    let p = producer(&ns).await;
    send_n(&p, &topic, 20, "x").await;
    assert_eq!(in1.wait_for(20, LONG).await.len(), 20);
    assert_eq!(in2.wait_for(20, LONG).await.len(), 20);
    c1.shutdown().await;
    c2.shutdown().await;
    let files: Vec<_> = walk(&dir).into_iter().filter(|p| p.ends_with("offsets.json")).collect();
    assert_eq!(files.len(), 2, "each broadcasting consumer persisted its offsets: {files:?}");
    p.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_group_splits_queues_and_takes_over_when_a_member_leaves() {
    let (_cluster, ns, topic) = cluster_with_topic("T_split", 4).await;
    let group = unique("cg_split");
    let (c1, in1) = consumer(&ns, &group, &topic, "*", |o| o.rebalance_interval = Duration::from_secs(2));
    let (c2, in2) = consumer(&ns, &group, &topic, "*", |o| o.rebalance_interval = Duration::from_secs(2));
    c1.start().await.unwrap();
    c2.start().await.unwrap();
    // Both see each other after the broker's notification or the next periodic round.
    eventually(LONG, "queues split 2/2 between the members", || async {
        c1.rebalance_now().await.unwrap();
        c2.rebalance_now().await.unwrap();
        let (a, b) = (queues_of(&c1, &topic), queues_of(&c2, &topic));
        a.len() == 2 && b.len() == 2 && a.is_disjoint(&b)
    })
    .await;
    let p = producer(&ns).await;
    let ids = send_n(&p, &topic, 40, "x").await;
    let seen_by_group =
        || -> HashSet<String> { in1.snapshot().iter().chain(in2.snapshot().iter()).map(|m| m.msg_id()).collect() };
    eventually(LONG, "40 messages across the group", || async { seen_by_group().len() >= 40 }).await;
    let total = seen_by_group();
    assert!(ids.iter().all(|id| total.contains(id)));
    assert!(!in1.snapshot().is_empty() && !in2.snapshot().is_empty(), "both members consumed");
    // c1 leaves: c2 takes every queue and gets what is sent next.
    c1.shutdown().await;
    eventually(LONG, "c2 owns all 4 queues", || async {
        c2.rebalance_now().await.unwrap();
        queues_of(&c2, &topic).len() == 4
    })
    .await;
    let before = in2.snapshot().len();
    let later = send_n(&p, &topic, 20, "y").await;
    let got = in2.wait_for(before + 20, LONG).await;
    let seen: HashSet<String> = got.iter().map(|m| m.msg_id()).collect();
    assert!(later.iter().all(|id| seen.contains(id)));
    c2.shutdown().await;
    p.shutdown().await;
}

fn queues_of(c: &PushConsumer, topic: &str) -> HashSet<i32> {
    c.assigned_queues().into_iter().filter(|q| q.topic == topic).map(|q| q.queue_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_consumer_resumes_from_its_committed_offset() {
    let (_cluster, ns, topic) = cluster_with_topic("T_resume", 2).await;
    let group = unique("cg_resume");
    let p = producer(&ns).await;
    let first = send_n(&p, &topic, 20, "a").await;
    let (c1, in1) = consumer(&ns, &group, &topic, "*", |_| {});
    c1.start().await.unwrap();
    in1.wait_for(20, LONG).await;
    c1.shutdown().await; // persists offsets
    let second = send_n(&p, &topic, 20, "b").await;
    let (c2, in2) = consumer(&ns, &group, &topic, "*", |_| {});
    c2.start().await.unwrap();
    let got = in2.wait_for(20, LONG).await;
    let ids: HashSet<String> = got.iter().map(|m| m.msg_id()).collect();
    assert!(second.iter().all(|id| ids.contains(id)), "nothing lost");
    let replayed = first.iter().filter(|id| ids.contains(*id)).count();
    assert_eq!(replayed, 0, "the committed offset was honoured (no replay of the first batch)");
    c2.shutdown().await;
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconsume_later_and_panics_redeliver_with_reconsume_times() {
    let (_cluster, ns, topic) = cluster_with_topic("T_retry", 1).await;
    let group = unique("cg_retry");
    let mut o = ConsumerOptions::new(&group);
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    o.delay_level_when_next_consume = 1; // 1 s instead of the broker's 10 s
    let c = PushConsumer::new(o, client_options(&ns));
    c.subscribe(&topic, "*").unwrap();
    let attempts: Arc<Mutex<Attempts>> = Arc::default();
    let (done_tx, mut done_rx) = watch::channel(0usize);
    let seen = attempts.clone();
    c.register_listener(move |msgs: &[MessageExt], _: &rocketmq_client::consumer::ConsumeContext| {
        let mut a = seen.lock().unwrap();
        let m = &msgs[0];
        let body = String::from_utf8_lossy(&m.body).to_string();
        let entry = a.entry(body.clone()).or_default();
        entry.push((m.reconsume_times, m.topic.clone()));
        let n = entry.len();
        drop(a);
        if n == 1 {
            if body == "panic" {
                panic!("listener failure");
            }
            return ConsumeResult::ReconsumeLater;
        }
        done_tx.send_modify(|d| *d += 1);
        ConsumeResult::Success
    })
    .unwrap();
    c.start().await.unwrap();
    let p = producer(&ns).await;
    for body in ["later", "panic"] {
        p.send(&Message::new(&topic, body)).await.unwrap();
    }
    let ok = timeout(LONG, done_rx.wait_for(|d| *d >= 2)).await;
    let a = attempts.lock().unwrap().clone();
    assert!(ok.is_ok(), "both messages redelivered: {a:?}");
    for body in ["later", "panic"] {
        let tries = &a[body];
        assert_eq!(tries[0].0, 0, "first delivery");
        assert_eq!(tries[1].0, 1, "redelivery counts one reconsume: {tries:?}");
        assert_eq!(tries[1].1, topic, "the retry message shows its original topic");
    }
    c.shutdown().await;
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delay_level_messages_arrive_after_their_delay() {
    let (_cluster, ns, topic) = cluster_with_topic("T_delay", 1).await;
    let (c, inbox) = consumer(&ns, &unique("cg_delay"), &topic, "*", |_| {});
    c.start().await.unwrap();
    let p = producer(&ns).await;
    let mut m = Message::new(&topic, "delayed");
    m.set_delay_time_level(2).unwrap(); // 5 s
    let sent_at = std::time::Instant::now();
    p.send(&m).await.unwrap();
    let got = inbox.wait_for(1, LONG).await;
    let waited = sent_at.elapsed();
    assert!(waited >= Duration::from_millis(4500), "arrived after {waited:?}, before its 5 s delay");
    assert_eq!(got[0].body.as_ref(), b"delayed");
    c.shutdown().await;
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orderly_consumption_keeps_per_queue_order() {
    let (_cluster, ns, topic) = cluster_with_topic("T_orderly", 4).await;
    let (c, inbox) = consumer(&ns, &unique("cg_orderly"), &topic, "*", |o| o.orderly = true);
    c.start().await.unwrap();
    let p = producer(&ns).await;
    for i in 0..100 {
        let key = format!("order-{}", i % 5);
        p.send_orderly_by_sharding_key(&Message::new(&topic, format!("{key}:{i}")), &key).await.unwrap();
    }
    let got = inbox.wait_for(100, LONG).await;
    let mut per_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for m in &got {
        let body = String::from_utf8_lossy(&m.body).to_string();
        let (key, seq) = body.split_once(':').unwrap();
        per_key.entry(key.to_owned()).or_default().push(seq.parse().unwrap());
    }
    for (key, seqs) in &per_key {
        let mut sorted = seqs.clone();
        sorted.sort();
        assert_eq!(seqs, &sorted, "{key} delivered in send order");
    }
    c.shutdown().await;
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn consumption_resumes_after_a_broker_restart_and_nothing_is_lost() {
    let (cluster, ns, topic) = cluster_with_topic("T_restart", 2).await;
    let (c, inbox) = consumer(&ns, &unique("cg_restart"), &topic, "*", |_| {});
    c.start().await.unwrap();
    let p = producer(&ns).await;
    let mut ids = send_n(&p, &topic, 20, "before").await;
    inbox.wait_for(20, LONG).await;
    cluster.kill_broker(0).unwrap();
    cluster.start_broker(0).await.unwrap();
    for i in 0..20 {
        let m = Message::new(&topic, format!("after-{i}"));
        // Sends may fail while the broker comes back: the producer's own retries plus a
        // bounded outer loop (each attempt is bounded by the send timeout).
        let mut acked = None;
        for _ in 0..20 {
            if let Ok(r) = p.send(&m).await {
                acked = Some(r.msg_id);
                break;
            }
        }
        let id = acked.expect("the broker accepts sends again");
        ids.push(id);
    }
    eventually(LONG, "every acknowledged message consumed after the restart", || async {
        let seen: HashSet<String> = inbox.snapshot().iter().map(|m| m.msg_id()).collect();
        ids.iter().all(|id| seen.contains(id))
    })
    .await;
    c.shutdown().await;
    p.shutdown().await;
}

/// SQL92 filtering. Against a Java broker, only a > 5 arrives; rocketmq-rust 1.0 evaluates
/// property expressions to false (docs/rocketmq-rust-broker.md), so this test checks what
/// holds on both: the subscription is validated by the broker (a malformed expression fails
/// start()), registered as SQL92, and nothing that does not match is ever delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sql92_subscriptions_are_checked_and_never_deliver_non_matching_messages() {
    let (_cluster, ns, topic) = cluster_with_topic("T_sql", 1).await;

    let bad = PushConsumer::new(ConsumerOptions::new(unique("cg_sql_bad")), client_options(&ns));
    bad.subscribe_sql(&topic, "a >>> (").unwrap();
    bad.register_listener(|_: &[MessageExt], _: &rocketmq_client::consumer::ConsumeContext| ConsumeResult::Success)
        .unwrap();
    let e = bad.start().await.expect_err("malformed SQL92 is rejected by the broker");
    assert!(e.to_string().contains("SQL92"), "{e}");

    let mut o = ConsumerOptions::new(unique("cg_sql"));
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let c = PushConsumer::new(o, client_options(&ns));
    c.subscribe_sql(&topic, "a > 5").unwrap();
    let inbox = Inbox::new();
    let sink = inbox.clone();
    c.register_listener(move |msgs: &[MessageExt], _: &rocketmq_client::consumer::ConsumeContext| {
        sink.push(msgs);
        ConsumeResult::Success
    })
    .unwrap();
    c.start().await.unwrap();
    let info = c.running_info().unwrap();
    let sub = info.subscription_set.iter().find(|s| s.topic == topic).unwrap();
    assert_eq!(sub.expression_type.as_str(), "SQL92");
    let p = producer(&ns).await;
    for a in ["3", "10", "6", "42"] {
        let mut m = Message::new(&topic, format!("a={a}"));
        m.put_user_property("a", a).unwrap();
        p.send(&m).await.unwrap();
    }
    // A marker that matches everywhere a property filter works, sent last: once the queue has
    // been pulled past it, every earlier message had its chance to arrive.
    let mut last = Message::new(&topic, "a=100");
    last.put_user_property("a", "100").unwrap();
    p.send(&last).await.unwrap();
    // Wait until the consumer has moved past all 5 messages (filtered or not).
    eventually(LONG, "the consumer's offset moved past the 5 messages", || async {
        let info = c.running_info().unwrap();
        info.mq_table.iter().find(|(mq, _)| mq.topic == topic).is_some_and(|(_, q)| q.commit_offset >= 5)
    })
    .await;

    let bodies: HashSet<String> =
        inbox.snapshot().iter().map(|m| String::from_utf8_lossy(&m.body).to_string()).collect();
    assert!(!bodies.contains("a=3"), "a non-matching message was delivered: {bodies:?}");
    eprintln!("SQL92 `a > 5` delivered {bodies:?} (Java broker: a=10, a=6, a=42, a=100)");
    c.shutdown().await;
    p.shutdown().await;
}

/// 5.x timer messages: delivered at their delivery time, not before.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delivery_time_messages_arrive_at_their_time() {
    let (_cluster, ns, topic) = cluster_with_topic("T_timer", 1).await;
    let (c, inbox) = consumer(&ns, &unique("cg_timer"), &topic, "*", |_| {});
    c.start().await.unwrap();
    let p = producer(&ns).await;
    let deliver_at = std::time::SystemTime::now() + Duration::from_secs(3);
    let deliver_at_ms = deliver_at.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let mut m = Message::new(&topic, "on time");
    m.set_delivery_time_ms(deliver_at_ms).unwrap();
    p.send(&m).await.unwrap();
    let got = inbox.wait_for(1, LONG).await;
    let early_ms = deliver_at_ms - common_now_ms();
    assert!(early_ms <= 1000, "delivered {early_ms} ms before its delivery time (the broker's precision is 1 s)");
    assert_eq!(got[0].body.as_ref(), b"on time");
    c.shutdown().await;
    p.shutdown().await;
}

fn common_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Flow control: with a stuck listener, a queue caches at most its threshold plus one pull
/// batch, instead of pulling the whole backlog into memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stuck_listener_bounds_the_cache_by_the_pull_threshold() {
    let (_cluster, ns, topic) = cluster_with_topic("T_flow", 1).await;
    let p = producer(&ns).await;
    let batch: Vec<Message> = (0..200).map(|i| Message::new(&topic, format!("m{i}"))).collect();
    p.send_batch(&batch).await.unwrap();
    let mut o = ConsumerOptions::new(unique("cg_flow"));
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    o.pull_threshold_for_queue = 10;
    o.pull_batch_size = 8;
    o.consume_thread_count = 1;
    let c = PushConsumer::new(o, client_options(&ns));
    c.subscribe(&topic, "*").unwrap();
    let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
    let gate_rx = Mutex::new(gate_rx);
    c.register_listener(move |_: &[MessageExt], _: &rocketmq_client::consumer::ConsumeContext| {
        let _ = gate_rx.lock().unwrap().recv_timeout(Duration::from_secs(30));
        ConsumeResult::Success
    })
    .unwrap();
    c.start().await.unwrap();
    let cached = || {
        c.running_info()
            .unwrap()
            .mq_table
            .iter()
            .find(|(mq, _)| mq.topic == topic)
            .map_or(0, |(_, q)| q.cached_msg_count)
    };
    eventually(LONG, "the queue cached up to its threshold", || async { cached() > 10 }).await;
    // Pulling has stopped: over a few flow-control rounds (50 ms each) the cache stays bounded.
    for _ in 0..10 {
        let n = cached();
        assert!(n <= 10 + 8, "cached {n} messages with a threshold of 10 and pull batches of 8");
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    drop(gate_tx); // release the listener
    c.shutdown().await;
    p.shutdown().await;
}

/// A queue whose pull answers PULL_OFFSET_MOVED (here the broker's reset marker, set by a
/// server-side reset) is assigned again at once from the broker's offset, not at the next
/// periodic rebalance: the restart used to abort its own pull task, which cancelled the offset
/// store and the rebalance wake-up (the flaky re-read after `reset_offset_by_time`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_illegal_offset_restarts_every_queue_without_waiting_for_the_periodic_rebalance() {
    let (_cluster, ns, topic) = cluster_with_topic("T_moved", 4).await;
    let group = unique("cg_moved");
    let (c, inbox) = consumer(&ns, &group, &topic, "*", |o| {
        // Only the restart itself may wake a rebalance; no periodic commit clears the marker.
        o.rebalance_interval = Duration::from_secs(600);
        o.persist_offset_interval = Duration::from_secs(600);
        o.broker_suspend_max_time = Duration::from_secs(1);
    });
    c.start().await.unwrap();
    let topic_queues = |c: &PushConsumer| c.assigned_queues().iter().filter(|mq| mq.topic == topic).count();
    eventually(LONG, "all four queues assigned", || async { topic_queues(&c) == 4 }).await;
    // Let the start's membership notification and its rebalance pass.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let admin = rocketmq_client::admin::Admin::new(client_options(&ns)).unwrap();
    let reset = timeout(LONG, admin.reset_offset_by_time(&group, &topic, 0, true)).await.unwrap().unwrap();
    assert!(!reset.rewrote_stored_offsets, "a server-side reset: {reset:?}");
    // Every queue's next pull (within the 1 s long poll) meets the marker and restarts.
    tokio::time::sleep(Duration::from_secs(4)).await;
    eventually(Duration::from_secs(10), "all four queues assigned again", || async { topic_queues(&c) == 4 }).await;

    let p = producer(&ns).await;
    let sent: HashSet<String> = send_n(&p, &topic, 8, "m").await.into_iter().collect();
    let got: HashSet<String> = inbox.wait_for(8, Duration::from_secs(10)).await.iter().map(|m| m.msg_id()).collect();
    assert!(sent.is_subset(&got), "every queue was pulled again after the restart");
    c.shutdown().await;
    p.shutdown().await;
}
