//! Push consumers with an asynchronous listener (futures run as tasks, bounded in flight).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster_with_topic, producer, unique};
use rocketmq_client::consumer::{ConsumeContext, ConsumeFromWhere};
use rocketmq_client::{ConsumeResult, ConsumerOptions, Message, MessageExt, PushConsumer};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::time::timeout;

const LONG: Duration = Duration::from_secs(60);

/// First listener start, last finish, calls finished.
type Timeline = Arc<Mutex<(Option<Instant>, Option<Instant>, usize)>>;

fn consumer(ns: &str, topic: &str, options: impl FnOnce(&mut ConsumerOptions)) -> PushConsumer {
    let mut o = ConsumerOptions::new(unique("cg_async"));
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    options(&mut o);
    let c = PushConsumer::new(o, client_options(ns));
    c.subscribe(topic, "*").unwrap();
    c
}

async fn send_n(p: &rocketmq_client::Producer, topic: &str, n: usize) {
    let msgs: Vec<Message> = (0..n).map(|i| Message::new(topic, format!("m-{i}"))).collect();
    for chunk in msgs.chunks(100) {
        p.send_batch(chunk).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_messages_through_an_async_listener() {
    let (_cluster, ns, topic) = cluster_with_topic("T_async_2k", 4).await;
    let p = producer(&ns).await;
    send_n(&p, &topic, 2000).await;
    let c = consumer(&ns, &topic, |_| {});
    let seen: Arc<Mutex<HashSet<String>>> = Arc::default();
    let (count_tx, mut count_rx) = watch::channel(0usize);
    let sink = seen.clone();
    c.register_async_listener(move |msgs: Vec<MessageExt>, _: ConsumeContext| {
        let sink = sink.clone();
        let count_tx = count_tx.clone();
        async move {
            tokio::task::yield_now().await;
            let mut s = sink.lock().unwrap();
            s.extend(msgs.iter().map(|m| String::from_utf8_lossy(&m.body).to_string()));
            count_tx.send_replace(s.len());
            ConsumeResult::Success
        }
    })
    .unwrap();
    c.start().await.unwrap();
    let reached = timeout(LONG, count_rx.wait_for(|n| *n >= 2000)).await;
    assert!(reached.is_ok(), "2000 distinct messages, got {}", seen.lock().unwrap().len());
    assert_eq!(seen.lock().unwrap().len(), 2000);
    // The acknowledgement is counted when the future completes, just after the listener's write.
    common::eventually(LONG, "2000 acknowledgements", || async { c.consumed_count() >= 2000 }).await;
    assert_eq!(c.consumed_count(), 2000, "each acknowledged once");
    c.shutdown().await;
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_async_listeners_overlap() {
    const N: usize = 200;
    const WORK: Duration = Duration::from_millis(10);
    let (_cluster, ns, topic) = cluster_with_topic("T_async_overlap", 4).await;
    let p = producer(&ns).await;
    send_n(&p, &topic, N).await;
    let c = consumer(&ns, &topic, |o| o.max_in_flight = 40);
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let times: Timeline = Arc::default();
    let (done_tx, mut done_rx) = watch::channel(0usize);
    let (f, m, t) = (in_flight.clone(), max_seen.clone(), times.clone());
    c.register_async_listener(move |_msgs: Vec<MessageExt>, _: ConsumeContext| {
        let (f, m, t, done_tx) = (f.clone(), m.clone(), t.clone(), done_tx.clone());
        async move {
            t.lock().unwrap().0.get_or_insert_with(Instant::now);
            let now = f.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(WORK).await;
            f.fetch_sub(1, Ordering::SeqCst);
            let mut g = t.lock().unwrap();
            g.1 = Some(Instant::now());
            g.2 += 1;
            done_tx.send_replace(g.2);
            ConsumeResult::Success
        }
    })
    .unwrap();
    c.start().await.unwrap();
    timeout(LONG, done_rx.wait_for(|n| *n >= N)).await.expect("all consumed").unwrap();
    let (first, last, _) = *times.lock().unwrap();
    let wall = last.unwrap() - first.unwrap();
    let serial = WORK * N as u32;
    let peak = max_seen.load(Ordering::SeqCst);
    println!("{N} x {WORK:?}: wall {wall:?} vs {serial:?} one at a time; peak in flight {peak}");
    assert!(wall * 10 <= serial, "at least 10x one-at-a-time: {wall:?} for {serial:?} of work");
    assert!(peak <= 40, "bounded by max_in_flight: {peak}");
    c.shutdown().await;
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconsume_later_from_an_async_listener_is_redelivered() {
    let (_cluster, ns, topic) = cluster_with_topic("T_async_retry", 1).await;
    let c = consumer(&ns, &topic, |o| o.delay_level_when_next_consume = 1);
    let attempts: Arc<Mutex<HashMap<String, Vec<i32>>>> = Arc::default();
    let (done_tx, mut done_rx) = watch::channel(false);
    let seen = attempts.clone();
    c.register_async_listener(move |msgs: Vec<MessageExt>, _: ConsumeContext| {
        let (seen, done_tx) = (seen.clone(), done_tx.clone());
        async move {
            let m = &msgs[0];
            let mut a = seen.lock().unwrap();
            let tries = a.entry(String::from_utf8_lossy(&m.body).to_string()).or_default();
            tries.push(m.reconsume_times);
            if tries.len() == 1 {
                return ConsumeResult::ReconsumeLater;
            }
            done_tx.send_replace(true);
            ConsumeResult::Success
        }
    })
    .unwrap();
    c.start().await.unwrap();
    let p = producer(&ns).await;
    p.send(&Message::new(&topic, "later")).await.unwrap();
    let ok = timeout(LONG, done_rx.wait_for(|d| *d)).await;
    let a = attempts.lock().unwrap().clone();
    assert!(ok.is_ok(), "redelivered: {a:?}");
    assert_eq!(a["later"][..2], [0, 1], "first delivery, then one reconsume");
    c.shutdown().await;
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orderly_async_listener_keeps_per_queue_order() {
    let (_cluster, ns, topic) = cluster_with_topic("T_async_orderly", 4).await;
    let c = consumer(&ns, &topic, |o| o.orderly = true);
    let got: Arc<Mutex<Vec<(i32, String)>>> = Arc::default();
    let busy: Arc<Mutex<HashSet<i32>>> = Arc::default();
    let overlaps = Arc::new(AtomicUsize::new(0));
    let (count_tx, mut count_rx) = watch::channel(0usize);
    let (g, b, o) = (got.clone(), busy.clone(), overlaps.clone());
    c.register_async_listener(move |msgs: Vec<MessageExt>, ctx: ConsumeContext| {
        let (g, b, o, count_tx) = (g.clone(), b.clone(), o.clone(), count_tx.clone());
        async move {
            let q = ctx.queue.queue_id;
            if !b.lock().unwrap().insert(q) {
                o.fetch_add(1, Ordering::SeqCst);
            }
            tokio::time::sleep(Duration::from_millis(fastrand::u64(0..3))).await;
            let mut v = g.lock().unwrap();
            v.extend(msgs.iter().map(|m| (q, String::from_utf8_lossy(&m.body).to_string())));
            count_tx.send_replace(v.len());
            b.lock().unwrap().remove(&q);
            ConsumeResult::Success
        }
    })
    .unwrap();
    c.start().await.unwrap();
    let p = producer(&ns).await;
    for i in 0..120 {
        let key = format!("order-{}", i % 6);
        p.send_orderly_by_sharding_key(&Message::new(&topic, format!("{key}:{i}")), &key).await.unwrap();
    }
    timeout(LONG, count_rx.wait_for(|n| *n >= 120)).await.expect("all consumed").unwrap();
    let mut per_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (_, body) in got.lock().unwrap().iter() {
        let (key, seq) = body.split_once(':').unwrap();
        per_key.entry(key.to_owned()).or_default().push(seq.parse().unwrap());
    }
    assert_eq!(per_key.len(), 6);
    for (key, seqs) in &per_key {
        let mut sorted = seqs.clone();
        sorted.sort();
        assert_eq!(seqs, &sorted, "{key} delivered in send order");
    }
    assert_eq!(overlaps.load(Ordering::SeqCst), 0, "one call in flight per queue");
    c.shutdown().await;
    p.shutdown().await;
}

/// A listener that takes the consumer's messages shared (`consume_shared`) and keeps every one
/// (so the consumer must copy them back when the verdict is in): all are delivered, the
/// copying `consume` is never called, and a failed one is sent back and redelivered.
struct Keeper(Arc<Kept>);

struct Kept {
    kept: Mutex<Vec<Arc<MessageExt>>>,
    copied_calls: AtomicUsize,
    tries: Mutex<HashMap<String, Vec<i32>>>,
    count_tx: watch::Sender<usize>,
}

impl rocketmq_client::AsyncMessageListener for Keeper {
    fn consume(
        &self,
        _msgs: Vec<MessageExt>,
        _: ConsumeContext,
    ) -> rocketmq_client::consumer::listener::ListenerFuture {
        self.0.copied_calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { ConsumeResult::ReconsumeLater })
    }

    fn consume_shared(
        &self,
        msgs: Vec<Arc<MessageExt>>,
        _: ConsumeContext,
    ) -> rocketmq_client::consumer::listener::ListenerFuture {
        let me = self.0.clone();
        Box::pin(async move {
            let mut result = ConsumeResult::Success;
            let mut tries = me.tries.lock().unwrap();
            for m in &msgs {
                let t = tries.entry(String::from_utf8_lossy(&m.body).to_string()).or_default();
                t.push(m.reconsume_times);
                if m.body.as_ref() == b"m-7" && t.len() == 1 {
                    result = ConsumeResult::ReconsumeLater;
                }
            }
            // Kept before the count moves, so the test sees them once it sees the count.
            me.kept.lock().unwrap().extend(msgs);
            me.count_tx.send_replace(tries.values().map(Vec::len).sum());
            drop(tries);
            result
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shared_messages_kept_by_the_listener_are_acknowledged_and_sent_back() {
    let (_cluster, ns, topic) = cluster_with_topic("T_async_shared", 2).await;
    let p = producer(&ns).await;
    send_n(&p, &topic, 200).await;
    let c = consumer(&ns, &topic, |o| o.delay_level_when_next_consume = 1);
    let (count_tx, mut count_rx) = watch::channel(0usize);
    let keeper =
        Arc::new(Kept { kept: Mutex::default(), copied_calls: AtomicUsize::new(0), tries: Mutex::default(), count_tx });
    c.register_async_listener(Keeper(keeper.clone())).unwrap();
    c.start().await.unwrap();
    // 200 first deliveries and the redelivery of m-7.
    let reached = timeout(LONG, count_rx.wait_for(|n| *n >= 201)).await;
    let tries = keeper.tries.lock().unwrap().clone();
    assert!(reached.is_ok(), "deliveries: {}", tries.values().map(Vec::len).sum::<usize>());
    assert_eq!(tries.len(), 200, "every message delivered");
    assert_eq!(tries["m-7"], [0, 1], "m-7 failed once, sent back, redelivered");
    assert_eq!(keeper.copied_calls.load(Ordering::SeqCst), 0, "the copying consume() is never called");
    assert!(keeper.kept.lock().unwrap().len() >= 201, "the listener still holds what it kept");
    c.shutdown().await;
    p.shutdown().await;
}
