//! The fault proxy between the client and a name server (issue #10): a name server that is slow,
//! hung (half-open: accepts, never answers) or closes mid-frame must cost at most its share of a
//! send's deadline; the client moves to the other name server and every send succeeds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rocketmq_client::{ClientOptions, Message, Producer, ProducerOptions};
use rocketmq_testkit::proxy::{FaultProxy, ProxyMode};
use rocketmq_testkit::Cluster;
use std::time::Duration;
use tokio::time::{timeout, Instant};

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), fastrand::u64(..))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_hung_or_broken_name_server_is_routed_around() {
    let cluster = match Cluster::builder().namesrvs(2).brokers(1).start().await {
        Ok(c) => c,
        Err(e) => panic!("cannot start a real RocketMQ cluster (run scripts/install-broker.sh): {e}"),
    };
    let addrs = cluster.namesrv_addrs();
    let faulty = FaultProxy::start(&addrs[0]).await.expect("proxy 0");
    let healthy = FaultProxy::start(&addrs[1]).await.expect("proxy 1");
    let mut client = ClientOptions::default();
    client.set_namesrv_addr(&format!("{};{}", faulty.addr(), healthy.addr())).expect("addresses");
    let options = ProducerOptions::new(unique("pg"));
    let send_timeout = options.send_timeout;
    let p = Producer::new(options, client);
    p.start().await.expect("producer starts");

    for mode in [ProxyMode::Delay(Duration::from_millis(200)), ProxyMode::Stall, ProxyMode::CloseMidFrame] {
        faulty.set_mode(mode);
        for i in 0..3 {
            // A fresh topic forces a route lookup through the name servers.
            let topic = unique(&format!("T_proxy{i}"));
            let started = Instant::now();
            let sent = timeout(Duration::from_secs(30), p.send(&Message::new(&topic, "x"))).await.expect("no hang");
            assert!(sent.is_ok(), "{mode:?}: send {i} failed: {:?}", sent.err());
            assert!(started.elapsed() <= send_timeout + Duration::from_secs(1), "{mode:?}: {:?}", started.elapsed());
        }
    }
    // Healthy one hung too, faulty back: the client finds its way back.
    faulty.set_mode(ProxyMode::Pass);
    healthy.set_mode(ProxyMode::Stall);
    let topic = unique("T_proxy_back");
    let sent = timeout(Duration::from_secs(30), p.send(&Message::new(&topic, "x"))).await.expect("no hang");
    assert!(sent.is_ok(), "{:?}", sent.err());
    healthy.set_mode(ProxyMode::Pass);
    p.shutdown().await;
}
