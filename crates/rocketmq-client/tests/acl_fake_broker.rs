//! A Java 4.9.4 broker with `aclEnable=true`, played by a fake (name server + broker in one):
//! the name server has no ACL (it answers routes whatever the signature), the broker verifies
//! every request as `PlainAccessValidator` does and refuses a bad one with SYSTEM_ERROR (1)
//! and the AclException remark (fixtures i-acl). rocketmq-rust 1.0's ACL answers NO_PERMISSION
//! instead (`tests/acl_real_broker.rs`), so the 4.9.4 answer shape is tested here.
//! Every log line of the run is captured and searched for the secrets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::log_capture::capture;
use rocketmq_client::acl::signature;
use rocketmq_client::{
    ClientOptions, ConsumeResult, ConsumerOptions, ErrorKind, Message, MessageExt, Producer, ProducerOptions,
    PushConsumer, SessionCredentials,
};
use rocketmq_remoting::body::{BrokerData, QueueData, TopicRouteData};
use rocketmq_remoting::connection::{BoxFuture, RequestHandler};
use rocketmq_remoting::{request_code, response_code, Connection, RemotingCommand};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::time::timeout;

const SECRET: &str = "s3cr3t-Right-Value";
const WRONG: &str = "s3cr3t-Wrong-Value";
const TOPIC: &str = "T_acl";

#[derive(Default)]
struct Seen {
    sends: usize,
    heartbeats: Vec<bool>,
}

struct FakeAclBroker {
    addr: String,
    seen: Arc<Mutex<Seen>>,
}

fn verified(request: &RemotingCommand) -> bool {
    let given = request.ext_fields.get("Signature").unwrap_or_default().to_owned();
    let fields = request.ext_fields.iter().filter(|(k, _)| *k != "Signature" && *k != "_UNIQUE_KEY_QUERY");
    request.ext_fields.get("AccessKey") == Some("goodAK") && signature(SECRET, fields, &request.body) == given
}

impl RequestHandler for FakeAclBroker {
    fn handle(&self, _peer: &str, request: RemotingCommand) -> BoxFuture<Option<RemotingCommand>> {
        let addr = self.addr.clone();
        let seen = self.seen.clone();
        Box::pin(async move {
            let ok = RemotingCommand::response(response_code::SUCCESS, request.opaque, None);
            if request.code == request_code::GET_ROUTEINFO_BY_TOPIC {
                let route = TopicRouteData {
                    broker_datas: vec![BrokerData {
                        broker_addrs: BTreeMap::from([(0, addr)]),
                        broker_name: "b-acl".into(),
                        cluster: "c".into(),
                        ..Default::default()
                    }],
                    queue_datas: vec![QueueData {
                        broker_name: "b-acl".into(),
                        perm: 6,
                        read_queue_nums: 1,
                        topic_sys_flag: 0,
                        write_queue_nums: 1,
                    }],
                    ..Default::default()
                };
                return Some(ok.with_body(route.encode()));
            }
            let good = verified(&request);
            match request.code {
                request_code::SEND_MESSAGE_V2 | request_code::SEND_MESSAGE => seen.lock().unwrap().sends += 1,
                request_code::HEART_BEAT => seen.lock().unwrap().heartbeats.push(good),
                _ => {}
            }
            if !good {
                let ak = request.ext_fields.get("AccessKey").unwrap_or_default();
                let remark = if request.ext_fields.get("AccessKey").is_none() {
                    "org.apache.rocketmq.acl.common.AclException: No accessKey is configured, org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:646)".to_owned()
                } else {
                    format!("org.apache.rocketmq.acl.common.AclException: Check signature failed for accessKey={ak}, org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:683)")
                };
                return Some(RemotingCommand::response(response_code::SYSTEM_ERROR, request.opaque, Some(remark)));
            }
            Some(match request.code {
                request_code::HEART_BEAT | request_code::UNREGISTER_CLIENT => ok,
                _ => rocketmq_remoting::connection::not_supported(&request),
            })
        })
    }
}

async fn fake() -> (String, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let handler = Arc::new(FakeAclBroker { addr: addr.clone(), seen: seen.clone() });
    tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((stream, peer)) = listener.accept().await {
            conns.push(Connection::from_stream(stream, &peer.to_string(), handler.clone()));
        }
    });
    (addr, seen)
}

fn options(addr: &str, credentials: Option<(&str, &str)>) -> ClientOptions {
    let mut o = ClientOptions::default();
    o.set_namesrv_addr(addr).unwrap();
    o.credentials = credentials.map(|(ak, sk)| SessionCredentials::new(ak, sk));
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_producers_and_consumers_fail_with_auth_errors_and_no_secret_is_logged() {
    let logs = capture();
    let (addr, seen) = fake().await;

    // A producer with the wrong secret: one attempt (no retries), an Auth error naming the key.
    let p = Producer::new(ProducerOptions::new("pg_acl"), options(&addr, Some(("goodAK", WRONG))));
    p.start().await.unwrap();
    let err = timeout(Duration::from_secs(10), p.send(&Message::new(TOPIC, "x"))).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains("goodAK"), "{err}");
    assert_eq!(seen.lock().unwrap().sends, 1, "an ACL refusal is not retried");
    p.shutdown().await;

    // No credentials at all: "No accessKey is configured" is an Auth error too.
    let p = Producer::new(ProducerOptions::new("pg_acl2"), options(&addr, None));
    p.start().await.unwrap();
    let err = timeout(Duration::from_secs(10), p.send(&Message::new(TOPIC, "x"))).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    p.shutdown().await;

    // A push consumer whose every heartbeat is refused does not start "successfully".
    let consumer = |sk: &str| {
        let c = PushConsumer::new(ConsumerOptions::new("cg_acl"), options(&addr, Some(("goodAK", sk))));
        c.subscribe(TOPIC, "*").unwrap();
        c.register_listener(|_: &[MessageExt], _: &rocketmq_client::consumer::ConsumeContext| ConsumeResult::Success)
            .unwrap();
        c
    };
    let c = consumer(WRONG);
    let err = timeout(Duration::from_secs(10), c.start()).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains("goodAK"), "{err}");
    // With the right secret the heartbeat is verified and accepted.
    let c = consumer(SECRET);
    timeout(Duration::from_secs(10), c.start()).await.unwrap().unwrap();
    timeout(Duration::from_secs(10), c.shutdown()).await.unwrap();
    let heartbeats = seen.lock().unwrap().heartbeats.clone();
    assert!(heartbeats.contains(&false) && heartbeats.last() == Some(&true), "{heartbeats:?}");

    let text = logs.0.lock().unwrap().clone();
    assert!(text.contains("heartbeat refused"), "the run was logged");
    assert!(text.contains("Check signature failed"), "remarks are logged as text");
    assert!(!text.contains("remark=Some("), "remarks are logged as text, not Debug of an Option");
    assert!(!text.contains(SECRET) && !text.contains(WRONG), "a secret reached the log");
}
