//! Shared helpers for the integration tests: real clusters from the testkit, unique names,
//! bounded waits.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod log_capture;

use rocketmq_client::{ClientOptions, Producer, ProducerOptions};
use rocketmq_testkit::Cluster;
use std::time::Duration;

/// Upper bound for any single await in these tests.
pub const WAIT: Duration = Duration::from_secs(30);

/// A name unique to this test run.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), fastrand::u64(..))
}

/// Start a cluster, failing loudly (never skipping) when the broker is not installed.
pub async fn cluster(namesrvs: usize, brokers: usize) -> Cluster {
    match Cluster::builder().namesrvs(namesrvs).brokers(brokers).start().await {
        Ok(c) => c,
        Err(e) => panic!("cannot start a real RocketMQ cluster (run scripts/install-broker.sh): {e}"),
    }
}

/// Client options pointing at `namesrv_addr`.
pub fn client_options(namesrv_addr: &str) -> ClientOptions {
    let mut o = ClientOptions::default();
    o.set_namesrv_addr(namesrv_addr).expect("valid address");
    o
}

/// A started producer.
pub async fn producer(namesrv_addr: &str) -> Producer {
    let p = Producer::new(ProducerOptions::new(unique("pg")), client_options(namesrv_addr));
    p.start().await.expect("producer starts");
    p
}

/// Poll `check` (every 20 ms) until it holds, failing the test after `within`. For conditions
/// nothing notifies about (queue assignment, offsets seen through running info).
pub async fn eventually<F, Fut>(within: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out after {within:?} waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A 1 + 1 cluster with a fresh topic of `queues` queues: (cluster, name server address, topic).
/// Keep the cluster alive for the test's duration (dropping it stops the servers).
pub async fn cluster_with_topic(prefix: &str, queues: u32) -> (Cluster, String, String) {
    let cluster = cluster(1, 1).await;
    let topic = unique(prefix);
    cluster.create_topic(&topic, queues).await.expect("topic created on the broker");
    let ns = cluster.namesrv_addr();
    (cluster, ns, topic)
}
