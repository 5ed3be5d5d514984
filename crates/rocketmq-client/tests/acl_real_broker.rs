//! ACL against the real broker: rocketmq-rust 1.0 with authentication on (its `rocketmq-auth`,
//! ACL 2.0 users; the testkit's `ClusterBuilder::acl` seeds one super user). It verifies the ACL
//! 1.0 fields every Java client sends (`AccessKey`, `Signature` = HMAC-SHA1 over the sorted ext
//! field values and the body, as Java 5.x's `DefaultAuthenticationContextBuilder`), so a signed
//! producer and push consumer work, and a wrong secret, an unknown key or no signature at all is
//! refused with NO_PERMISSION (16) "Authentication credentials are invalid": an Auth error naming
//! the key. Every log line of the run is captured and searched for the secrets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::log_capture::capture;
use common::{unique, WAIT};
use rocketmq_client::consumer::ConsumeFromWhere;
use rocketmq_client::{
    ClientOptions, ConsumeResult, ConsumerOptions, ErrorKind, Message, MessageExt, Producer, ProducerOptions,
    PushConsumer, SessionCredentials,
};
use rocketmq_testkit::Cluster;
use tokio::sync::mpsc;
use tokio::time::timeout;

const AK: &str = "rustAclUser";
const SECRET: &str = "s3cr3t-Right-Value-9";
const WRONG: &str = "s3cr3t-Wrong-Value-4";

fn options(namesrv: &str, credentials: Option<(&str, &str)>) -> ClientOptions {
    let mut o = ClientOptions::default();
    o.set_namesrv_addr(namesrv).unwrap();
    o.credentials = credentials.map(|(ak, sk)| SessionCredentials::new(ak, sk));
    o
}

async fn refused_send(namesrv: &str, topic: &str, credentials: Option<(&str, &str)>) -> rocketmq_client::Error {
    let p = Producer::new(ProducerOptions::new(unique("pg_acl_bad")), options(namesrv, credentials));
    p.start().await.unwrap();
    let err = timeout(WAIT, p.send(&Message::new(topic, "refused"))).await.unwrap().unwrap_err();
    p.shutdown().await;
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_broker_verifies_our_signatures_and_refuses_bad_ones_as_auth_errors() {
    let logs = capture();
    let cluster = match Cluster::builder().acl(AK, SECRET).start().await {
        Ok(c) => c,
        Err(e) => panic!("cannot start a real RocketMQ cluster (run scripts/install-broker.sh): {e}"),
    };
    let ns = cluster.namesrv_addr();
    // Auto-created by the first signed send: the testkit's create_topic is unsigned.
    let topic = unique("T_acl");

    // Signed producer: accepted.
    let p = Producer::new(ProducerOptions::new(unique("pg_acl")), options(&ns, Some((AK, SECRET))));
    p.start().await.unwrap();
    let sent = timeout(WAIT, p.send(&Message::new(&topic, "signed"))).await.unwrap().unwrap();

    // Signed push consumer: its heartbeat, pulls and offset commits are accepted.
    let mut co = ConsumerOptions::new(unique("cg_acl"));
    co.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let c = PushConsumer::new(co, options(&ns, Some((AK, SECRET))));
    c.subscribe(&topic, "*").unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    c.register_listener(move |msgs: &[MessageExt], _: &rocketmq_client::consumer::ConsumeContext| {
        for m in msgs {
            let _ = tx.send((m.msg_id(), m.body.clone()));
        }
        ConsumeResult::Success
    })
    .unwrap();
    timeout(WAIT, c.start()).await.unwrap().unwrap();
    let (id, body) = timeout(WAIT, rx.recv()).await.expect("the signed consumer gets the message").unwrap();
    assert_eq!((id.as_str(), &body[..]), (sent.msg_id.as_str(), &b"signed"[..]));
    timeout(WAIT, c.shutdown()).await.unwrap();
    p.shutdown().await;

    // Wrong secret, unknown key: NO_PERMISSION, an Auth error naming the key, never a secret.
    for (ak, sk) in [(AK, WRONG), ("noSuchUser", SECRET)] {
        let err = refused_send(&ns, &topic, Some((ak, sk))).await;
        assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
        let text = format!("{err} {err:?}");
        assert!(text.contains(ak) && text.contains("code 16"), "{text}");
        assert!(text.contains("Authentication credentials are invalid"), "{text}");
        assert!(!text.contains(SECRET) && !text.contains(WRONG), "{text}");
    }
    // No signature at all: refused the same way.
    let err = refused_send(&ns, &topic, None).await;
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");

    // A push consumer whose every heartbeat is refused does not start.
    let c = PushConsumer::new(ConsumerOptions::new(unique("cg_acl_bad")), options(&ns, Some((AK, WRONG))));
    c.subscribe(&topic, "*").unwrap();
    c.register_listener(|_: &[MessageExt], _: &rocketmq_client::consumer::ConsumeContext| ConsumeResult::Success)
        .unwrap();
    let err = timeout(WAIT, c.start()).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains(AK), "{err}");

    let text = logs.0.lock().unwrap().clone();
    assert!(text.contains("heartbeat refused"), "the run was logged");
    assert!(!text.contains(SECRET) && !text.contains(WRONG), "a secret reached the log");
}
