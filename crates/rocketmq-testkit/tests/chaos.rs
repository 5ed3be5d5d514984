//! Short versions of the chaos scenarios (issue #10) on real 2 + 2 clusters; `make chaos`
//! (rmq-chaos) runs the long ones and records the figures in docs/reliability.md. Bounds here are
//! generous (CI machines are slow); the exact figures are in the table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rocketmq_testkit::chaos::{self, ChaosConfig, Scenario, Verdict};
use std::time::Duration;

async fn run(scenario: Scenario) -> Verdict {
    let verdict = match chaos::run(scenario, &ChaosConfig::short(scenario)).await {
        Ok(v) => v,
        Err(e) => panic!("{} could not run (is the broker installed? scripts/install-broker.sh): {e}", scenario.name()),
    };
    eprintln!("{verdict}");
    assert_eq!(verdict.failed_total(), 0, "no send may fail: {verdict}");
    assert_eq!(verdict.lost, 0, "everything acknowledged is consumed: {verdict}");
    assert!(verdict.drain.is_some(), "drained within the bound: {verdict}");
    assert_eq!(verdict.acked, verdict.sent, "{verdict}");
    verdict
}

/// Broker 0 SIGKILLed mid-stream and restarted: connection refused is immediate, so the
/// producer routes around it at once (target 100 ms; 1 s bound here for slow CI).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_killed_mid_stream_then_restarted() {
    let v = run(Scenario::BrokerKill).await;
    assert!(v.max_publish_gap < Duration::from_secs(1), "{v}");
}

/// Broker 0 SIGSTOPped for 3 s: the in-flight send times out after the per-attempt timeout and
/// moves to the other broker within the send deadline (target 1.5 s; Java: 3 s and a failure).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_hung_then_resumed() {
    let v = run(Scenario::BrokerHang).await;
    assert!(v.max_publish_gap < Duration::from_millis(2500), "{v}");
}

/// One name server killed: routes come from the other one and the cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_name_server_killed() {
    run(Scenario::NamesrvKill).await;
}

/// Both name servers down for 3 s: publishing and consuming go on with the cached routes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_name_servers_down() {
    let v = run(Scenario::NamesrvAllDown).await;
    assert!(v.max_publish_gap < Duration::from_secs(1), "{v}");
}

/// A second consumer joins the group under load and the first leaves: nothing lost, the
/// duplicates (re-deliveries after the queues moved) are counted in the verdict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_joins_and_one_leaves_under_load() {
    let v = run(Scenario::ConsumerChurn).await;
    assert!(v.duplicates <= v.acked, "{v}");
}
