//! Flow control the real broker will not produce on demand (issue #10), from a fake name server +
//! broker: SYSTEM_BUSY answers are retried as Java does (`retryResponseCodes` of
//! `DefaultMQProducer`: the next attempt, on another broker, within the same deadline), a send
//! answered busy every time fails with the broker's code after exactly `1 + retries` requests, and
//! nothing loops: the request count is bounded by the attempts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rocketmq_client::{ClientOptions, ErrorKind, Message, Producer, ProducerOptions};
use rocketmq_remoting::body::{BrokerData, QueueData, TopicRouteData};
use rocketmq_remoting::connection::{BoxFuture, RequestHandler};
use rocketmq_remoting::header::{CommandHeader, SendMessageResponseHeader};
use rocketmq_remoting::{request_code, response_code, Connection, ExtFields, RemotingCommand};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::time::timeout;

const TOPIC: &str = "T_busy";

/// Name server and two brokers (`b-0`, `b-1`) on one address. Sends answer SYSTEM_BUSY while
/// `busy_left` > 0 (counting down), then SUCCESS.
struct FakeBusyBroker {
    addr: String,
    sends: Arc<AtomicU64>,
    busy_left: Arc<AtomicU64>,
}

impl RequestHandler for FakeBusyBroker {
    fn handle(&self, _peer: &str, request: RemotingCommand) -> BoxFuture<Option<RemotingCommand>> {
        let addr = self.addr.clone();
        let sends = self.sends.clone();
        let busy_left = self.busy_left.clone();
        Box::pin(async move {
            let ok = RemotingCommand::response(response_code::SUCCESS, request.opaque, None);
            let response = match request.code {
                request_code::GET_ROUTEINFO_BY_TOPIC => {
                    let broker = |name: &str| BrokerData {
                        broker_addrs: BTreeMap::from([(0, addr.clone())]),
                        broker_name: name.into(),
                        cluster: "c".into(),
                        ..Default::default()
                    };
                    let queues = |name: &str| QueueData {
                        broker_name: name.into(),
                        perm: 6,
                        read_queue_nums: 2,
                        topic_sys_flag: 0,
                        write_queue_nums: 2,
                    };
                    let route = TopicRouteData {
                        broker_datas: vec![broker("b-0"), broker("b-1")],
                        queue_datas: vec![queues("b-0"), queues("b-1")],
                        ..Default::default()
                    };
                    ok.with_body(route.encode())
                }
                request_code::SEND_MESSAGE_V2 | request_code::SEND_MESSAGE => {
                    sends.fetch_add(1, Ordering::SeqCst);
                    let busy = busy_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                    if busy {
                        RemotingCommand::response(
                            response_code::SYSTEM_BUSY,
                            request.opaque,
                            Some("[PCBUSY_CLEAN_QUEUE]broker busy, start flow control for a while".into()),
                        )
                    } else {
                        let mut r = ok;
                        let mut ext = ExtFields::new();
                        let header = SendMessageResponseHeader {
                            msg_id: "7F00000100002A9F0000000000000000".into(),
                            queue_id: 0,
                            queue_offset: 1,
                            ..Default::default()
                        };
                        header.write_to(&mut ext);
                        r.ext_fields = ext;
                        r
                    }
                }
                _ => ok,
            };
            Some(response)
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_busy_is_retried_a_bounded_number_of_times() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let sends = Arc::new(AtomicU64::new(0));
    let busy_left = Arc::new(AtomicU64::new(0));
    let handler = Arc::new(FakeBusyBroker { addr: addr.clone(), sends: sends.clone(), busy_left: busy_left.clone() });
    let server = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((stream, peer)) = listener.accept().await {
            conns.push(Connection::from_stream(stream, &peer.to_string(), handler.clone()));
        }
    });
    let mut client = ClientOptions::default();
    client.set_namesrv_addr(&addr).unwrap();
    let options = ProducerOptions::new("pg_busy");
    let attempts = u64::from(1 + options.retry_times_when_send_failed);
    let p = Producer::new(options, client);
    p.start().await.unwrap();

    // Busy once: the retry (on the other broker) stores it.
    busy_left.store(1, Ordering::SeqCst);
    let r = timeout(Duration::from_secs(10), p.send(&Message::new(TOPIC, "x"))).await.expect("bounded");
    assert!(r.is_ok(), "{:?}", r.err());
    assert_eq!(sends.swap(0, Ordering::SeqCst), 2);

    // Busy every time: fails with the broker's code after exactly 1 + retries requests.
    for _ in 0..20 {
        busy_left.store(u64::MAX, Ordering::SeqCst);
        let e = timeout(Duration::from_secs(10), p.send(&Message::new(TOPIC, "x")))
            .await
            .expect("bounded")
            .expect_err("busy every time");
        assert_eq!(e.kind(), ErrorKind::Broker, "{e}");
        assert_eq!(e.response_code(), Some(response_code::SYSTEM_BUSY), "{e}");
    }
    assert_eq!(sends.load(Ordering::SeqCst), 20 * attempts, "no request beyond the attempts: no busy loop");
    p.shutdown().await;
    server.abort();
}
