//! Membership changes and rebalancing (issue #10, consumer churn). A Java broker sends
//! NOTIFY_CONSUMER_IDS_CHANGED to every member when one registers or unregisters
//! (`DefaultConsumerIdsChangeListener`), and the client rebalances at once. rocketmq-rust 1.0.0
//! sends it on a join only (its listener ignores the CHANGE event of an unregister or a closed
//! connection: docs/rocketmq-rust-broker.md), so here a leaver's queues are taken over at the
//! remaining member's next periodic rebalance.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster_with_topic, eventually, unique, WAIT};
use rocketmq_client::consumer::ConsumeFromWhere;
use rocketmq_client::{ConsumeResult, ConsumerOptions, MessageExt, PushConsumer};
use std::time::{Duration, Instant};

fn member(ns: &str, group: &str, topic: &str, rebalance_interval: Duration) -> PushConsumer {
    let mut o = ConsumerOptions::new(group);
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    o.rebalance_interval = rebalance_interval;
    let c = PushConsumer::new(o, client_options(ns));
    c.subscribe(topic, "*").unwrap();
    c.register_listener(|_: &[MessageExt], _: &rocketmq_client::consumer::ConsumeContext| ConsumeResult::Success)
        .unwrap();
    c
}

/// Queues of `topic` held (the retry topic's queue is assigned too).
fn held(c: &PushConsumer, topic: &str) -> usize {
    c.assigned_queues().iter().filter(|q| q.topic == topic).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_rebalances_at_once_and_a_leave_at_the_next_period() {
    let (_cluster, ns, topic) = cluster_with_topic("leave", 4).await;
    let group = unique("cg_leave");
    // The first member's period is 10 minutes: only the broker's notification can make it
    // give up half its queues within the bound below.
    let first = member(&ns, &group, &topic, Duration::from_secs(600));
    first.start().await.unwrap();
    eventually(WAIT, "the first member holds all 4 queues", || {
        let n = held(&first, &topic);
        async move { n == 4 }
    })
    .await;

    let period = Duration::from_secs(2);
    let second = member(&ns, &group, &topic, period);
    let joined = Instant::now();
    second.start().await.unwrap();
    // Joining: the broker notifies the first member too, so both hold 2 without waiting 10 min.
    eventually(WAIT, "the queues split 2 + 2 after the join", || {
        let (a, b) = (held(&first, &topic), held(&second, &topic));
        async move { a == 2 && b == 2 }
    })
    .await;
    println!("split after the join: {:?}", joined.elapsed());

    let left = Instant::now();
    first.shutdown().await;
    eventually(WAIT, "the remaining member holds all 4 queues", || {
        let n = held(&second, &topic);
        async move { n == 4 }
    })
    .await;
    println!("takeover after the leaver's shutdown returned: {:?} (period {period:?})", left.elapsed());
    second.shutdown().await;
}
