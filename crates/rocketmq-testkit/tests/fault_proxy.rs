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

/// The fault proxy between the clients and one of two brokers: broker 0 advertises 127.0.0.2
/// with its own port and the proxy listens there. While that broker is slow, hung (half-open)
/// or closes connections mid-frame, every send succeeds within its deadline (the attempt timeout
/// moves it to broker 1, the fault table avoids broker 0 afterwards), and once the proxy passes
/// bytes again a push consumer started before the faults has every acknowledged message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_hung_or_broken_broker_connection_is_routed_around() {
    use rocketmq_client::consumer::ConsumeFromWhere;
    use rocketmq_client::{ConsumeResult, ConsumerOptions, MessageExt, PushConsumer};
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};

    let cluster = match Cluster::builder().namesrvs(1).brokers(2).broker_advertised_ip(0, "127.0.0.2").start().await {
        Ok(c) => c,
        Err(e) => panic!("cannot start a real RocketMQ cluster (run scripts/install-broker.sh): {e}"),
    };
    let advertised = cluster.brokers()[0].addr.clone();
    let port = advertised.rsplit_once(':').map(|(_, p)| p.to_owned()).expect("host:port");
    assert!(advertised.starts_with("127.0.0.2:"), "{advertised}");
    let proxy = FaultProxy::start_on(&advertised, &format!("127.0.0.1:{port}")).await.expect("proxy");
    let topic = unique("T_broker_proxy");
    cluster.create_topic(&topic, 2).await.expect("topic on both brokers");

    let mut client = ClientOptions::default();
    client.set_namesrv_addr(&cluster.namesrv_addr()).expect("address");
    let mut co = ConsumerOptions::new(unique("cg_proxy"));
    co.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let consumer = PushConsumer::new(co, client.clone());
    consumer.subscribe(&topic, "*").unwrap();
    let seen: Arc<Mutex<HashSet<String>>> = Arc::default();
    let sink = seen.clone();
    consumer
        .register_listener(move |msgs: &[MessageExt], _: &rocketmq_client::consumer::ConsumeContext| {
            sink.lock().unwrap().extend(msgs.iter().map(|m| m.msg_id()));
            ConsumeResult::Success
        })
        .unwrap();
    consumer.start().await.expect("consumer starts");

    let options = ProducerOptions::new(unique("pg"));
    let send_timeout = options.send_timeout;
    let p = Producer::new(options, client);
    p.start().await.expect("producer starts");
    let mut acked = HashSet::new();
    let mut brokers = HashSet::new();
    for i in 0..4 {
        let r = p.send(&Message::new(&topic, format!("pass-{i}"))).await.expect("send through the proxy");
        brokers.insert(r.queue.broker_name.clone());
        acked.insert(r.msg_id);
    }
    assert_eq!(brokers.len(), 2, "both brokers took messages, one of them through the proxy");

    for mode in [ProxyMode::Delay(Duration::from_millis(200)), ProxyMode::Stall, ProxyMode::CloseMidFrame] {
        proxy.set_mode(mode);
        for i in 0..5 {
            let started = Instant::now();
            let sent = timeout(Duration::from_secs(30), p.send(&Message::new(&topic, format!("{mode:?}-{i}"))))
                .await
                .expect("no hang");
            let r = sent.unwrap_or_else(|e| panic!("{mode:?}: send {i} failed: {e}"));
            acked.insert(r.msg_id);
            assert!(started.elapsed() <= send_timeout + Duration::from_secs(1), "{mode:?}: {:?}", started.elapsed());
        }
    }
    proxy.set_mode(ProxyMode::Pass);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let missing = acked.difference(&seen.lock().unwrap()).count();
        if missing == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{missing} acknowledged messages never consumed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    p.shutdown().await;
    consumer.shutdown().await;
}
