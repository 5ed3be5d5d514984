//! What `mqadmin consumerStatus` and `mqadmin queryMsgById -g -d` do: ask the broker, which
//! relays the request to the consumer's connection and returns its answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster, producer, unique, WAIT};
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
    let cluster = cluster(1, 1).await;
    let ns = cluster.namesrv_addr();
    let broker = cluster.brokers()[0].clone();
    let topic = unique("T_admin");
    cluster.create_topic(&topic, 2).await.unwrap();
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
    assert_eq!(info.properties.get(ConsumerRunningInfo::PROP_CONSUME_TYPE).map(String::as_str), Some("CONSUME_PASSIVELY"));
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
