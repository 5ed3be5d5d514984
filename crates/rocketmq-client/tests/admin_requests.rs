//! What `mqadmin consumerStatus` and `mqadmin queryMsgById -g -d` do: ask the broker, which
//! relays the request to the consumer's connection and returns its answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster_with_topic, eventually, producer, unique, WAIT};
use rocketmq_client::consumer::{ConsumeContext, ConsumeFromWhere};
use rocketmq_client::{ConsumeResult, ConsumerOptions, Message, MessageExt, PushConsumer};
use rocketmq_remoting::body::consumer::{CMResult, ConsumeMessageDirectlyResult, ConsumerRunningInfo};
use rocketmq_remoting::connection::NotSupportedHandler;
use rocketmq_remoting::header::{ConsumeMessageDirectlyResultRequestHeader, GetConsumerRunningInfoRequestHeader};
use rocketmq_remoting::{request_code, response_code, ConnectionPool, PoolOptions, RemotingCommand};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::time::timeout;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broker_relayed_admin_requests_are_answered() {
    let (cluster, ns, topic) = cluster_with_topic("T_admin", 2).await;
    let broker = cluster.brokers()[0].clone();
    let group = unique("cg_admin");
    let mut o = ConsumerOptions::new(&group);
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let consumer = PushConsumer::new(o, client_options(&ns));
    consumer.subscribe(&topic, "TagA || TagB").unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let (seen_tx, mut seen_rx) = watch::channel(0usize);
    let counter = calls.clone();
    consumer
        .register_listener(move |msgs: &[MessageExt], _: &ConsumeContext| {
            counter.fetch_add(msgs.len(), Ordering::SeqCst);
            seen_tx.send_modify(|n| *n += msgs.len());
            ConsumeResult::Success
        })
        .unwrap();
    consumer.start().await.unwrap();
    let p = producer(&ns).await;
    let mut m = Message::new(&topic, "direct me");
    m.set_tags("TagA");
    let sent = p.send(&m).await.unwrap();
    timeout(WAIT, seen_rx.wait_for(|n| *n >= 1)).await.expect("consumed normally").unwrap();
    let client_id = consumer.client_id().unwrap().to_owned();
    let admin = ConnectionPool::new(PoolOptions::default(), Arc::new(NotSupportedHandler));

    // mqadmin consumerStatus: GET_CONSUMER_RUNNING_INFO relayed by the broker.
    let header = GetConsumerRunningInfoRequestHeader {
        consumer_group: group.clone(),
        client_id: Some(client_id.clone()),
        jstack_enable: Some(false),
    };
    let response = admin
        .invoke(&broker.addr, RemotingCommand::request(request_code::GET_CONSUMER_RUNNING_INFO, &header), WAIT)
        .await
        .unwrap();
    assert_eq!(response.code, response_code::SUCCESS, "remark: {:?}", response.remark);
    let info = ConsumerRunningInfo::decode(&response.body).unwrap();
    assert_eq!(
        info.properties.get(ConsumerRunningInfo::PROP_CONSUME_TYPE).map(String::as_str),
        Some("CONSUME_PASSIVELY")
    );
    let sub = info.subscription_set.iter().find(|s| s.topic == topic).expect("subscription listed");
    assert_eq!(sub.sub_string, "TagA || TagB");
    assert!(info.subscription_set.iter().any(|s| s.topic == format!("%RETRY%{group}")), "retry topic subscribed");
    let queues: Vec<_> = info.mq_table.iter().filter(|(mq, _)| mq.topic == topic).collect();
    assert_eq!(queues.len(), 2, "both queues assigned: {:?}", info.mq_table);
    assert!(info.status_table.contains_key(&topic));

    // mqadmin queryMsgById -g -d: CONSUME_MESSAGE_DIRECTLY relayed by the broker.
    let header = ConsumeMessageDirectlyResultRequestHeader {
        consumer_group: group.clone(),
        client_id: Some(client_id.clone()),
        msg_id: Some(sent.offset_msg_id.clone()),
        broker_name: Some(broker.name.clone()),
        topic: Some(topic.clone()),
    };
    let before = calls.load(Ordering::SeqCst);
    let response = admin
        .invoke(&broker.addr, RemotingCommand::request(request_code::CONSUME_MESSAGE_DIRECTLY, &header), WAIT)
        .await
        .unwrap();
    assert_eq!(response.code, response_code::SUCCESS, "remark: {:?}", response.remark);
    let result = ConsumeMessageDirectlyResult::decode(&response.body).unwrap();
    assert_eq!(result.consume_result, Some(CMResult::CrSuccess));
    assert_eq!(calls.load(Ordering::SeqCst), before + 1, "the listener ran once more");

    consumer.shutdown().await;
    p.shutdown().await;
}

/// `mqadmin resetOffsetByTime` (4.x style, `useServerSideResetOffset=false`): the broker sends
/// RESET_CONSUMER_CLIENT_OFFSET to the consumer, which drops its cached messages and restarts
/// from the new offsets. `mqadmin` consumer status (223) relays GET_CONSUMER_STATUS_FROM_CLIENT.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broker_driven_offset_reset_skips_to_the_new_offset() {
    const INVOKE_BROKER_TO_RESET_OFFSET: i32 = 222;
    const INVOKE_BROKER_TO_GET_CONSUMER_STATUS: i32 = 223;
    rocketmq_remoting::command_header! {
        /// Admin → broker reset request (`ResetOffsetRequestHeader`).
        pub struct AdminResetOffsetHeader {
            pub topic: String => "topic",
            pub group: String => "group",
            pub timestamp: i64 => "timestamp",
            pub is_force: bool => "isForce",
        }
    }
    let cluster = rocketmq_testkit::Cluster::builder()
        .broker_config("broker", "useServerSideResetOffset", "false")
        .start()
        .await
        .expect("cluster");
    let ns = cluster.namesrv_addr();
    let broker = cluster.brokers()[0].clone();
    let topic = unique("T_reset");
    cluster.create_topic(&topic, 1).await.unwrap();
    let group = unique("cg_reset");
    let mut o = ConsumerOptions::new(&group);
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    o.consume_thread_count = 1;
    let consumer = PushConsumer::new(o, client_options(&ns));
    consumer.subscribe(&topic, "*").unwrap();
    let (entered_tx, mut entered_rx) = watch::channel(false);
    let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
    let gate_rx = std::sync::Mutex::new(gate_rx);
    let (got_tx, mut got_rx) = watch::channel(Vec::<String>::new());
    consumer
        .register_listener(move |msgs: &[MessageExt], _: &ConsumeContext| {
            for m in msgs {
                let body = String::from_utf8_lossy(&m.body).to_string();
                got_tx.send_modify(|v| v.push(body.clone()));
                if body == "gate" {
                    entered_tx.send_replace(true);
                    let _ = gate_rx.lock().unwrap().recv_timeout(std::time::Duration::from_secs(30));
                }
            }
            ConsumeResult::Success
        })
        .unwrap();
    consumer.start().await.unwrap();
    let p = producer(&ns).await;
    let admin = ConnectionPool::new(PoolOptions::default(), Arc::new(NotSupportedHandler));
    // The broker only resets a group whose offset it has stored: consume one message first and
    // wait until the commit carried by the next pull is visible on the broker.
    p.send(&Message::new(&topic, "warm")).await.unwrap();
    timeout(WAIT, got_rx.wait_for(|v| v.iter().any(|b| b == "warm"))).await.expect("warm-up consumed").unwrap();
    p.send(&Message::new(&topic, "gate")).await.unwrap();
    eventually(WAIT, "the group's offset reached the broker", || async {
        let header = rocketmq_remoting::header::QueryConsumerOffsetRequestHeader {
            consumer_group: group.clone(),
            topic: topic.clone(),
            queue_id: 0,
            set_zero_if_not_found: Some(false),
            broker_name: None,
        };
        let r = admin
            .invoke(&broker.addr, RemotingCommand::request(request_code::QUERY_CONSUMER_OFFSET, &header), WAIT)
            .await
            .unwrap();
        r.code == response_code::SUCCESS && r.ext_fields.get("offset").is_some_and(|o| o != "0" && o != "-1")
    })
    .await;
    for i in 0..9 {
        p.send(&Message::new(&topic, format!("skip-{i}"))).await.unwrap();
    }
    timeout(WAIT, entered_rx.wait_for(|e| *e)).await.expect("listener holds the gate message").unwrap();
    // A send is acknowledged once it is in the commit log; the consume queue, whose max offset
    // the broker resets to, is built from it a moment later. Reset only once it has all 11.
    eventually(WAIT, "the broker's max offset reached 11", || async {
        let header = rocketmq_remoting::header::QueueOffsetRequestHeader {
            topic: topic.clone(),
            queue_id: 0,
            broker_name: None,
        };
        let r = admin
            .invoke(&broker.addr, RemotingCommand::request(request_code::GET_MAX_OFFSET, &header), WAIT)
            .await
            .unwrap();
        r.code == response_code::SUCCESS && r.ext_fields.get("offset").is_some_and(|o| o == "11")
    })
    .await;

    let header = AdminResetOffsetHeader { topic: topic.clone(), group: group.clone(), timestamp: -1, is_force: true };
    let response = admin
        .invoke(&broker.addr, RemotingCommand::request(INVOKE_BROKER_TO_RESET_OFFSET, &header), WAIT)
        .await
        .unwrap();
    assert_eq!(response.code, response_code::SUCCESS, "remark: {:?}", response.remark);
    // The client applies the reset: its offset for the queue becomes the end of the queue (11).
    eventually(WAIT, "the reset applied (offset at the end, nothing cached)", || async {
        consumer
            .running_info()
            .unwrap()
            .mq_table
            .iter()
            .any(|(mq, q)| mq.topic == topic && q.commit_offset >= 11 && q.cached_msg_count == 0)
    })
    .await;
    gate_tx.send(()).unwrap();
    p.send(&Message::new(&topic, "after")).await.unwrap();
    timeout(WAIT, got_rx.wait_for(|v| v.iter().any(|b| b == "after"))).await.expect("new message delivered").unwrap();
    let got = got_rx.borrow().clone();
    assert!(!got.iter().any(|b| b.starts_with("skip-")), "messages before the reset point were skipped: {got:?}");

    // GET_CONSUMER_STATUS relayed by the broker (223 → 221): our offsets, keyed by client id.
    rocketmq_remoting::command_header! {
        /// Admin → broker consumer status request.
        pub struct AdminConsumerStatusHeader {
            pub topic: String => "topic",
            pub group: String => "group",
        }
    }
    let header = AdminConsumerStatusHeader { topic: topic.clone(), group: group.clone() };
    let response = admin
        .invoke(&broker.addr, RemotingCommand::request(INVOKE_BROKER_TO_GET_CONSUMER_STATUS, &header), WAIT)
        .await
        .unwrap();
    assert_eq!(response.code, response_code::SUCCESS, "remark: {:?}", response.remark);
    let status = rocketmq_remoting::body::consumer::GetConsumerStatusBody::decode(&response.body).unwrap();
    let mine = status.consumer_table.get(consumer.client_id().unwrap()).expect("our client id is listed");
    assert!(mine.iter().any(|(mq, offset)| mq.topic == topic && *offset >= 11), "{mine:?}");
    consumer.shutdown().await;
    p.shutdown().await;
}

/// A listener that panics on a directly consumed message answers CR_THROW_EXCEPTION.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_panicking_listener_answers_throw_exception_to_consume_directly() {
    let (cluster, ns, topic) = cluster_with_topic("T_direct_panic", 1).await;
    let broker = cluster.brokers()[0].clone();
    let group = unique("cg_direct_panic");
    let consumer = PushConsumer::new(ConsumerOptions::new(&group), client_options(&ns));
    // The message is tagged TagB, so only the direct request delivers it.
    consumer.subscribe(&topic, "TagA").unwrap();
    consumer
        .register_listener(|msgs: &[MessageExt], _: &ConsumeContext| {
            if msgs.iter().any(|m| m.body.as_ref() == b"boom") {
                panic!("listener failure");
            }
            ConsumeResult::Success
        })
        .unwrap();
    consumer.start().await.unwrap();
    let p = producer(&ns).await;
    let mut m = Message::new(&topic, "boom");
    m.set_tags("TagB");
    let sent = p.send(&m).await.unwrap();
    let header = ConsumeMessageDirectlyResultRequestHeader {
        consumer_group: group.clone(),
        client_id: Some(consumer.client_id().unwrap().to_owned()),
        msg_id: Some(sent.offset_msg_id.clone()),
        broker_name: Some(broker.name.clone()),
        topic: Some(topic.clone()),
    };
    let admin = ConnectionPool::new(PoolOptions::default(), Arc::new(NotSupportedHandler));
    let response = admin
        .invoke(&broker.addr, RemotingCommand::request(request_code::CONSUME_MESSAGE_DIRECTLY, &header), WAIT)
        .await
        .unwrap();
    assert_eq!(response.code, response_code::SUCCESS, "remark: {:?}", response.remark);
    let result = ConsumeMessageDirectlyResult::decode(&response.body).unwrap();
    assert_eq!(result.consume_result, Some(CMResult::CrThrowException));
    assert_eq!(result.remark.as_deref(), Some("the listener panicked"));
    consumer.shutdown().await;
    p.shutdown().await;
}
