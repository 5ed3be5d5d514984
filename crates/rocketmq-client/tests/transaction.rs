//! Transactional producer against a real name server and broker: commit is delivered, rollback
//! never is, and an UNKNOWN end is resolved by the broker's check.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, unique, WAIT};
use rocketmq_client::consumer::ConsumeFromWhere;
use rocketmq_client::producer::transaction::StateFuture;
use rocketmq_client::{
    LitePullConsumer, LitePullOptions, LocalTransactionState, Message, MessageExt, ProducerOptions, TransactionChecker,
    TransactionProducer,
};
use rocketmq_testkit::Cluster;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Commits what ended UNKNOWN, rolls back anything else it is asked about.
struct CommitOnCheck(Arc<AtomicUsize>, Arc<std::sync::Mutex<Vec<String>>>);

impl TransactionChecker for CommitOnCheck {
    fn check(&self, msg: MessageExt) -> StateFuture {
        self.0.fetch_add(1, Ordering::SeqCst);
        let body = String::from_utf8_lossy(&msg.body).into_owned();
        self.1.lock().unwrap().push(body.clone());
        Box::pin(async move {
            if body == "unknown" {
                LocalTransactionState::CommitMessage
            } else {
                LocalTransactionState::RollbackMessage
            }
        })
    }
}

async fn poll_bodies(c: &LitePullConsumer, want: usize, window: Duration) -> HashSet<String> {
    let mut got = HashSet::new();
    let end = Instant::now() + window;
    while got.len() < want && Instant::now() < end {
        for m in c.poll(Duration::from_millis(300)).await.unwrap() {
            got.insert(String::from_utf8_lossy(&m.body).into_owned());
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_delivered_rollback_not_unknown_resolved_by_check() {
    let cluster = Cluster::builder()
        .namesrvs(1)
        .brokers(1)
        .broker_config("broker", "transactionCheckInterval", "1000")
        .broker_config("broker", "transactionTimeout", "1000")
        .start()
        .await
        .expect("cluster starts");
    let topic = unique("txn");
    cluster.create_topic(&topic, 2).await.unwrap();
    let ns = cluster.namesrv_addr();
    let checks = Arc::new(AtomicUsize::new(0));
    let checked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let p = TransactionProducer::new(
        ProducerOptions::new(unique("txpg")),
        client_options(&ns),
        Arc::new(CommitOnCheck(checks.clone(), checked.clone())),
    );
    p.start().await.unwrap();
    let mut o = LitePullOptions::new(unique("txcg"));
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let c = LitePullConsumer::new(o, client_options(&ns));
    c.subscribe(&topic, "*").await.unwrap();
    c.start().await.unwrap();

    for (body, state) in [
        ("commit", LocalTransactionState::CommitMessage),
        ("rollback", LocalTransactionState::RollbackMessage),
        ("unknown", LocalTransactionState::Unknow),
    ] {
        let r = tokio::time::timeout(
            WAIT,
            p.send_message_in_transaction(&Message::new(&topic, body), |_m, _r| async move { state }),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(r.local_state, state);
        assert!(!r.transaction_id.is_empty());
    }
    let got = poll_bodies(&c, 2, WAIT).await;
    assert!(got.contains("commit"), "committed message delivered: {got:?}");
    assert!(got.contains("unknown"), "unknown message committed by the check: {got:?}");
    assert!(checks.load(Ordering::SeqCst) >= 1, "the checker was asked");
    let more = poll_bodies(&c, 3, Duration::from_secs(3)).await;
    assert!(
        !got.contains("rollback") && !more.contains("rollback"),
        "rolled back message never delivered (checked: {:?})",
        checked.lock().unwrap()
    );
    c.shutdown().await;
    p.shutdown().await;
}

/// Answers UNKNOWN to the first check and COMMIT afterwards.
struct SecondCheckCommits(Arc<AtomicUsize>);

impl TransactionChecker for SecondCheckCommits {
    fn check(&self, _msg: MessageExt) -> StateFuture {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            if n == 0 {
                LocalTransactionState::Unknow
            } else {
                LocalTransactionState::CommitMessage
            }
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reaches_a_new_producer_of_the_group_and_unknown_is_checked_again() {
    let cluster = Cluster::builder()
        .namesrvs(1)
        .brokers(1)
        .broker_config("broker", "transactionCheckInterval", "1000")
        .broker_config("broker", "transactionTimeout", "1000")
        .start()
        .await
        .expect("cluster starts");
    let topic = unique("txn2");
    cluster.create_topic(&topic, 2).await.unwrap();
    let ns = cluster.namesrv_addr();
    let group = unique("txpg");
    let first_checks = Arc::new(AtomicUsize::new(0));
    let first = TransactionProducer::new(
        ProducerOptions::new(&group),
        client_options(&ns),
        Arc::new(SecondCheckCommits(first_checks.clone())),
    );
    first.start().await.unwrap();
    first
        .send_message_in_transaction(&Message::new(&topic, "orphan"), |_m, _r| async { LocalTransactionState::Unknow })
        .await
        .unwrap();
    first.shutdown().await;
    let checks = Arc::new(AtomicUsize::new(0));
    let second = TransactionProducer::new(
        ProducerOptions::new(&group),
        client_options(&ns),
        Arc::new(SecondCheckCommits(checks.clone())),
    );
    second.start().await.unwrap();
    second.producer().publish_queues(&topic).await.unwrap();
    let mut o = LitePullOptions::new(unique("txcg"));
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let c = LitePullConsumer::new(o, client_options(&ns));
    c.subscribe(&topic, "*").await.unwrap();
    c.start().await.unwrap();
    let got = poll_bodies(&c, 1, WAIT).await;
    assert!(got.contains("orphan"), "the new producer's check committed it: {got:?}");
    assert!(checks.load(Ordering::SeqCst) >= 2, "UNKNOWN from the check led to another check");
    assert_eq!(first_checks.load(Ordering::SeqCst), 0, "the shut-down producer was not asked");
    c.shutdown().await;
    second.shutdown().await;
}
