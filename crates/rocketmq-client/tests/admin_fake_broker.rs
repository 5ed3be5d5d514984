//! What the test broker will not do on demand, from a hand-written fake name server + broker:
//! a 4.x broker that answers INVOKE_BROKER_TO_RESET_OFFSET with CONSUMER_NOT_ONLINE, so
//! `reset_offset_by_time` falls back to Java's `resetOffsetByTimestampOld` (consume stats,
//! search by timestamp, UPDATE_CONSUMER_OFFSET per queue).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rocketmq_client::admin::Admin;
use rocketmq_client::ClientOptions;
use rocketmq_remoting::body::{BrokerData, ConsumeStats, OffsetWrapper, QueueData, TopicRouteData};
use rocketmq_remoting::connection::{BoxFuture, RequestHandler};
use rocketmq_remoting::header::{
    OffsetResponseHeader, ResetOffsetRequestHeader, SearchOffsetRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use rocketmq_remoting::{request_code, response_code, Connection, ExtFields, MessageQueue, RemotingCommand};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::time::timeout;

const TOPIC: &str = "T_old";
const GROUP: &str = "g_old";

#[derive(Default)]
struct Seen {
    reset: Vec<ResetOffsetRequestHeader>,
    searches: Vec<SearchOffsetRequestHeader>,
    updates: Vec<UpdateConsumerOffsetRequestHeader>,
}

/// Name server and 4.x broker in one: queue 0 has consumer offset 5, queue 1 has 7; the time
/// searched for is at offset 3 on queue 0 and 9 on queue 1.
struct FakeOldBroker {
    addr: String,
    seen: Arc<Mutex<Seen>>,
}

fn ok(request: &RemotingCommand) -> RemotingCommand {
    RemotingCommand::response(response_code::SUCCESS, request.opaque, None)
}

impl RequestHandler for FakeOldBroker {
    fn handle(&self, _peer: &str, request: RemotingCommand) -> BoxFuture<Option<RemotingCommand>> {
        let addr = self.addr.clone();
        let seen = self.seen.clone();
        Box::pin(async move {
            let mq = |q| MessageQueue::new(TOPIC, "b-old", q);
            let response = match request.code {
                request_code::GET_ROUTEINFO_BY_TOPIC => {
                    let route = TopicRouteData {
                        broker_datas: vec![BrokerData {
                            broker_addrs: BTreeMap::from([(0, addr)]),
                            broker_name: "b-old".into(),
                            cluster: "c".into(),
                            ..Default::default()
                        }],
                        queue_datas: vec![QueueData {
                            broker_name: "b-old".into(),
                            perm: 6,
                            read_queue_nums: 2,
                            topic_sys_flag: 0,
                            write_queue_nums: 2,
                        }],
                        ..Default::default()
                    };
                    ok(&request).with_body(route.encode())
                }
                request_code::INVOKE_BROKER_TO_RESET_OFFSET => {
                    seen.lock().unwrap().reset.push(request.decode_header().unwrap());
                    RemotingCommand::response(
                        response_code::CONSUMER_NOT_ONLINE,
                        request.opaque,
                        Some("Consumer not online, so can not reset offset".into()),
                    )
                }
                request_code::GET_CONSUME_STATS => {
                    let w = |c| OffsetWrapper {
                        broker_offset: 10,
                        consumer_offset: c,
                        last_timestamp: 1,
                        pull_offset: None,
                    };
                    let stats = ConsumeStats { consume_tps: 0.0, offset_table: vec![(mq(0), w(5)), (mq(1), w(7))] };
                    ok(&request).with_body(stats.encode())
                }
                request_code::SEARCH_OFFSET_BY_TIMESTAMP => {
                    let h: SearchOffsetRequestHeader = request.decode_header().unwrap();
                    let offset = if h.queue_id == 0 { 3 } else { 9 };
                    seen.lock().unwrap().searches.push(h);
                    let mut ext = ExtFields::new();
                    rocketmq_remoting::header::CommandHeader::write_to(&OffsetResponseHeader { offset }, &mut ext);
                    let mut r = ok(&request);
                    r.ext_fields = ext;
                    r
                }
                request_code::UPDATE_CONSUMER_OFFSET => {
                    seen.lock().unwrap().updates.push(request.decode_header().unwrap());
                    ok(&request)
                }
                _ => rocketmq_remoting::connection::not_supported(&request),
            };
            Some(response)
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_of_an_offline_group_on_a_4x_broker_rewrites_the_stored_offsets() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let handler = Arc::new(FakeOldBroker { addr: addr.clone(), seen: seen.clone() });
    let server = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((stream, peer)) = listener.accept().await {
            conns.push(Connection::from_stream(stream, &peer.to_string(), handler.clone()));
        }
    });

    let mut options = ClientOptions::default();
    options.set_namesrv_addr(&addr).unwrap();
    options.request_timeout = Duration::from_secs(5);
    let admin = Admin::new(options).unwrap();
    let result = timeout(Duration::from_secs(20), admin.reset_offset_by_time(GROUP, TOPIC, 1234, false))
        .await
        .expect("bounded")
        .unwrap();
    assert!(result.rewrote_stored_offsets);
    let mq = |q| MessageQueue::new(TOPIC, "b-old", q);
    // Not forced: queue 0 moves back to 3; queue 1 would move forward to 9, so it stays at 7.
    assert_eq!(result.offsets, vec![(mq(0), 3), (mq(1), 7)]);

    let seen = seen.lock().unwrap();
    assert_eq!(seen.reset.len(), 1);
    let reset = &seen.reset[0];
    assert_eq!((reset.group.as_str(), reset.topic.as_str()), (GROUP, TOPIC));
    assert_eq!((reset.timestamp, reset.is_force), (Some(1234), Some(false)));
    assert_eq!(seen.searches.iter().map(|s| (s.queue_id, s.timestamp)).collect::<Vec<_>>(), [(0, 1234), (1, 1234)]);
    let updates: Vec<(String, i32, i64)> =
        seen.updates.iter().map(|u| (u.consumer_group.clone(), u.queue_id, u.commit_offset)).collect();
    assert_eq!(updates, [(GROUP.to_owned(), 0, 3), (GROUP.to_owned(), 1, 7)]);
    server.abort();
}
