//! Client objects with one instance name share one client instance (Java `MQClientInstance`):
//! one client id, one connection per broker, broker requests routed to the right group.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster_with_topic, unique, WAIT};
use rocketmq_client::consumer::{ConsumeContext, ConsumeFromWhere};
use rocketmq_client::instance::ClientInstance;
use rocketmq_client::{
    ClientOptions, ConsumeResult, ConsumerOptions, ErrorKind, Message, MessageExt, Producer, ProducerOptions,
    PushConsumer,
};
use rocketmq_remoting::body::consumer::{ConsumerRunningInfo, GetConsumerStatusBody};
use rocketmq_remoting::connection::NotSupportedHandler;
use rocketmq_remoting::header::GetConsumerRunningInfoRequestHeader;
use rocketmq_remoting::{request_code, response_code, ConnectionPool, PoolOptions, RemotingCommand};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::time::timeout;

fn consumer(
    group: &str,
    topic: &str,
    expr: &str,
    client: ClientOptions,
) -> (PushConsumer, watch::Receiver<Vec<String>>) {
    let mut o = ConsumerOptions::new(group);
    o.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    o.consume_thread_count = 2;
    let c = PushConsumer::new(o, client);
    c.subscribe(topic, expr).unwrap();
    let (tx, rx) = watch::channel(Vec::new());
    c.register_listener(move |msgs: &[MessageExt], _: &ConsumeContext| {
        tx.send_modify(|v| v.extend(msgs.iter().map(|m| String::from_utf8_lossy(&m.body).to_string())));
        ConsumeResult::Success
    })
    .unwrap();
    (c, rx)
}

async fn running_info(admin: &ConnectionPool, broker: &str, group: &str, client_id: &str) -> ConsumerRunningInfo {
    let header = GetConsumerRunningInfoRequestHeader {
        consumer_group: group.to_owned(),
        client_id: Some(client_id.to_owned()),
        jstack_enable: Some(false),
    };
    let response = admin
        .invoke(broker, RemotingCommand::request(request_code::GET_CONSUMER_RUNNING_INFO, &header), WAIT)
        .await
        .unwrap();
    assert_eq!(response.code, response_code::SUCCESS, "remark: {:?}", response.remark);
    ConsumerRunningInfo::decode(&response.body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_with_one_instance_name_share_one_instance() {
    let (cluster, ns, topic) = cluster_with_topic("T_shared", 2).await;
    let broker = cluster.brokers()[0].clone();
    let mut shared = client_options(&ns);
    shared.instance_name = Some(unique("inst"));
    let (g1, g2) = (unique("cg_one"), unique("cg_two"));
    let (c1, mut got1) = consumer(&g1, &topic, "TagA", shared.clone());
    let (c2, mut got2) = consumer(&g2, &topic, "*", shared.clone());
    let p = Producer::new(ProducerOptions::new(unique("pg_shared")), shared.clone());
    c1.start().await.unwrap();
    c2.start().await.unwrap();
    p.start().await.unwrap();
    let id = c1.client_id().unwrap().to_owned();
    assert_eq!(c2.client_id(), Some(id.as_str()), "one client id for both consumers");
    assert_eq!(p.client_id(), Some(id.as_str()), "and for the producer");

    let mut m = Message::new(&topic, "first");
    m.set_tags("TagA");
    p.send(&m).await.unwrap();
    timeout(WAIT, got1.wait_for(|v| v.iter().any(|b| b == "first"))).await.expect("group one consumed").unwrap();
    timeout(WAIT, got2.wait_for(|v| v.iter().any(|b| b == "first"))).await.expect("group two consumed").unwrap();

    let instance = ClientInstance::lookup(&id).expect("the shared instance is registered");
    let addrs = instance.connected_addrs();
    assert_eq!(addrs.iter().filter(|a| **a == broker.addr).count(), 1, "one connection to the broker: {addrs:?}");
    assert_eq!(instance.connection_count(), 2, "name server + broker, nothing else: {addrs:?}");

    // Broker-relayed running info reaches the consumer of the group asked for.
    let admin = ConnectionPool::new(PoolOptions::default(), Arc::new(NotSupportedHandler));
    let info1 = running_info(&admin, &broker.addr, &g1, &id).await;
    let info2 = running_info(&admin, &broker.addr, &g2, &id).await;
    let sub_of = |info: &ConsumerRunningInfo| {
        info.subscription_set.iter().find(|s| s.topic == topic).map(|s| s.sub_string.clone())
    };
    assert_eq!(sub_of(&info1).as_deref(), Some("TagA"));
    assert_eq!(sub_of(&info2).as_deref(), Some("*"));
    assert!(info1.subscription_set.iter().any(|s| s.topic == format!("%RETRY%{g1}")));
    assert!(!info1.subscription_set.iter().any(|s| s.topic == format!("%RETRY%{g2}")));
    assert!(info2.subscription_set.iter().any(|s| s.topic == format!("%RETRY%{g2}")));

    // Consumer status relayed by the broker (223 → 221) for group two lists our client id.
    rocketmq_remoting::command_header! {
        /// Admin → broker consumer status request.
        pub struct AdminConsumerStatusHeader {
            pub topic: String => "topic",
            pub group: String => "group",
        }
    }
    let header = AdminConsumerStatusHeader { topic: topic.clone(), group: g2.clone() };
    let response = admin.invoke(&broker.addr, RemotingCommand::request(223, &header), WAIT).await.unwrap();
    assert_eq!(response.code, response_code::SUCCESS, "remark: {:?}", response.remark);
    let status = GetConsumerStatusBody::decode(&response.body).unwrap();
    let mine = status.consumer_table.get(&id).expect("our client id is listed");
    assert_eq!(mine.iter().filter(|(mq, _)| mq.topic == topic).count(), 2, "{mine:?}");

    // The same group twice in one instance is refused, for consumers and producers.
    let (dup, _) = consumer(&g1, &topic, "*", shared.clone());
    let err = dup.start().await.expect_err("duplicate consumer group");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("has been created before"), "{err}");
    let dup_p = Producer::new(p.options().clone(), shared.clone());
    let err = dup_p.start().await.expect_err("duplicate producer group");
    assert_eq!(err.kind(), ErrorKind::Config);

    // One member leaving keeps the instance for the others.
    c1.shutdown().await;
    assert!(ClientInstance::lookup(&id).is_some());
    p.send(&Message::new(&topic, "second")).await.unwrap();
    timeout(WAIT, got2.wait_for(|v| v.iter().any(|b| b == "second"))).await.expect("group two still consumes").unwrap();
    c2.shutdown().await;
    p.shutdown().await;
    assert!(ClientInstance::lookup(&id).is_none(), "the last holder removed the instance");

    // Without an instance name, each object has its own instance.
    let (a, _) = consumer(&unique("cg_a"), &topic, "*", client_options(&ns));
    let (b, _) = consumer(&unique("cg_b"), &topic, "*", client_options(&ns));
    a.start().await.unwrap();
    b.start().await.unwrap();
    assert_ne!(a.client_id(), b.client_id());
    a.shutdown().await;
    b.shutdown().await;
}
