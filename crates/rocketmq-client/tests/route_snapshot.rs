//! The on-disk route snapshot and the name-server back-off (issue #10), against a real
//! rocketmq-rust cluster whose name servers are killed, and a fake name server that drops every
//! connection (to count the refresh attempts).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster, eventually, unique, WAIT};
use rocketmq_client::consumer::ConsumeFromWhere;
use rocketmq_client::instance::ClientInstance;
use rocketmq_client::route::RouteSnapshot;
use rocketmq_client::{ConsumeResult, ConsumerOptions, Message, MessageExt, Producer, ProducerOptions, PushConsumer};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

fn snapshot_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(unique(name)).join("routes.json")
}

fn producer_with(ns: &str, snapshot: Option<&PathBuf>) -> Producer {
    let mut client = client_options(ns);
    client.route_snapshot_path = snapshot.cloned();
    client.request_timeout = Duration::from_secs(2);
    Producer::new(ProducerOptions::new(unique("pg_snap")), client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_started_while_every_name_server_is_down_uses_the_snapshot() {
    let cluster = cluster(2, 1).await;
    let ns = cluster.namesrv_addr();
    let topic = unique("snap");
    cluster.create_topic(&topic, 4).await.unwrap();
    let path = snapshot_path("snap");

    // Client A: the route it looks up is saved.
    let a = producer_with(&ns, Some(&path));
    a.start().await.unwrap();
    let first = a.send(&Message::new(&topic, b"from A".to_vec())).await.unwrap();
    // Saved before the send that looked the route up returns.
    assert!(RouteSnapshot::open(path.clone()).get(&topic).is_some(), "the snapshot holds the topic");
    a.shutdown().await;

    cluster.kill_namesrv(0).unwrap();
    cluster.kill_namesrv(1).unwrap();

    // Without a snapshot a new client cannot find the topic: the snapshot is what helps below.
    let blind = producer_with(&ns, None);
    blind.start().await.unwrap();
    let err = blind.send(&Message::new(&topic, b"x".to_vec())).await.expect_err("no name server, no snapshot");
    assert!(
        matches!(err.kind(), rocketmq_client::ErrorKind::Connect | rocketmq_client::ErrorKind::ConnectionClosed),
        "{err}"
    );
    blind.shutdown().await;

    // Client B, same snapshot: sends, and a consumer started now consumes both messages.
    let b = producer_with(&ns, Some(&path));
    b.start().await.unwrap();
    let second = b.send(&Message::new(&topic, b"from B".to_vec())).await.unwrap();

    let mut o = ConsumerOptions::new(unique("cg_snap"));
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let mut client = client_options(&ns);
    client.route_snapshot_path = Some(path.clone());
    let consumer = PushConsumer::new(o, client);
    consumer.subscribe(&topic, "*").unwrap();
    let seen: Arc<Mutex<HashSet<String>>> = Arc::default();
    let sink = seen.clone();
    consumer
        .register_listener(move |msgs: &[MessageExt], _: &rocketmq_client::consumer::ConsumeContext| {
            sink.lock().unwrap().extend(msgs.iter().map(|m| m.msg_id()));
            ConsumeResult::Success
        })
        .unwrap();
    consumer.start().await.expect("a consumer starts on the snapshot's routes");
    let want: HashSet<String> = [first.msg_id, second.msg_id].into_iter().collect();
    eventually(WAIT, "both messages consumed", || {
        let done = want.is_subset(&seen.lock().unwrap());
        async move { done }
    })
    .await;
    consumer.shutdown().await;
    b.shutdown().await;
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_snapshot_is_ignored_and_rewritten() {
    let cluster = cluster(1, 1).await;
    let ns = cluster.namesrv_addr();
    let topic = unique("snap_bad");
    cluster.create_topic(&topic, 2).await.unwrap();
    let path = snapshot_path("snap_bad");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"{\"version\":1,\"topics\":{\"T\":{\"saved").unwrap();
    let p = producer_with(&ns, Some(&path));
    p.start().await.expect("a corrupt snapshot does not stop the client");
    p.send(&Message::new(&topic, b"x".to_vec())).await.unwrap();
    eventually(WAIT, "the corrupt snapshot is replaced by a valid one", || {
        let path = path.clone();
        let topic = topic.clone();
        async move { RouteSnapshot::open(path).get(&topic).is_some() }
    })
    .await;
    p.shutdown().await;
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// While no name server answers, the route refresh retries after 1 s, 2 s, 4 s… (capped at the
/// poll interval) instead of once per poll interval. The fake name server accepts and closes
/// every connection, recording when.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_route_refresh_backs_off_while_no_name_server_answers() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake_ns = listener.local_addr().unwrap().to_string();
    let attempts: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let record = attempts.clone();
    let server = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            record.lock().unwrap().push(Instant::now());
            drop(socket);
        }
    });

    // A cached route is needed for the refresh to have work: take it from a snapshot.
    let path = snapshot_path("snap_backoff");
    let topic = unique("snap_backoff");
    let mut route = rocketmq_remoting::body::route::TopicRouteData::default();
    route.broker_datas.push(rocketmq_remoting::body::route::BrokerData {
        broker_name: "gone".into(),
        broker_addrs: [(0, "127.0.0.1:9".to_owned())].into_iter().collect(),
        ..Default::default()
    });
    RouteSnapshot::open(path.clone()).save(&topic, route).unwrap();

    let poll = Duration::from_secs(4);
    let mut options = client_options(&fake_ns);
    options.route_snapshot_path = Some(path.clone());
    options.poll_namesrv_interval = poll;
    options.heartbeat_interval = Duration::from_secs(600);
    let instance = ClientInstance::get_or_create(options).unwrap();
    assert!(instance.update_route(&topic, Duration::from_secs(2)).await.unwrap(), "the snapshot's route is used");
    let started = Instant::now();
    instance.start();

    // The first refresh comes after the poll interval; then retries at +1 s, +2 s, +4 s.
    eventually(WAIT, "four refresh attempts", || {
        let n = attempts.lock().unwrap().iter().filter(|t| **t > started).count();
        async move { n >= 4 }
    })
    .await;
    let times: Vec<Instant> = attempts.lock().unwrap().iter().copied().filter(|t| *t > started).collect();
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps[0] < poll / 2, "the first retry comes well before the poll interval: {gaps:?}");
    assert!(gaps[1] > gaps[0] && gaps[2] > gaps[1], "the retries back off: {gaps:?}");
    assert!(gaps[2] <= poll + Duration::from_secs(1), "capped near the poll interval: {gaps:?}");

    instance.release(&[], &[]).await;
    server.abort();
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
