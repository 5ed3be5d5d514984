//! The multiplexed connection against hand-written fake peers: the faults a real broker
//! won't produce on demand (garbage, truncation, silence, out-of-order answers).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::{Bytes, BytesMut};
use rocketmq_remoting::connection::{BoxFuture, NotSupportedHandler, RequestHandler};
use rocketmq_remoting::header::{EmptyHeader, GetRouteInfoRequestHeader};
use rocketmq_remoting::{
    request_code, response_code, Connection, ConnectionPool, ErrorKind, PoolOptions, RemotingCommand, SerializeType,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);

/// Read one whole frame from the fake peer's side of the stream.
async fn read_frame(stream: &mut DuplexStream) -> RemotingCommand {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await.expect("length");
    let mut frame = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut frame).await.expect("frame");
    RemotingCommand::decode(Bytes::from(frame)).expect("decodable frame")
}

async fn write_cmd(stream: &mut DuplexStream, cmd: &RemotingCommand) {
    stream.write_all(&cmd.encode_to_bytes().expect("encode")).await.expect("write");
}

fn route_request(topic: &str) -> RemotingCommand {
    let header = GetRouteInfoRequestHeader { topic: topic.into(), accept_standard_json_only: None };
    RemotingCommand::request(request_code::GET_ROUTEINFO_BY_TOPIC, &header)
}

fn pair() -> (Connection, DuplexStream) {
    let (client, server) = tokio::io::duplex(1 << 20);
    (Connection::from_stream(client, "fake:1", Arc::new(NotSupportedHandler)), server)
}

#[tokio::test]
async fn responses_are_matched_by_opaque_even_out_of_order() {
    let (conn, mut peer) = pair();
    let a = route_request("A");
    let b = route_request("B");
    let (oa, ob) = (a.opaque, b.opaque);
    let c1 = conn.clone();
    let t1 = tokio::spawn(async move { c1.request(a, WAIT).await });
    let c2 = conn.clone();
    let t2 = tokio::spawn(async move { c2.request(b, WAIT).await });
    let r1 = read_frame(&mut peer).await;
    let r2 = read_frame(&mut peer).await;
    // Answer in reverse order, each echoing its topic in the remark.
    for req in [r2, r1] {
        let topic = req.ext_fields.get("topic").unwrap_or_default().to_owned();
        write_cmd(&mut peer, &RemotingCommand::response(0, req.opaque, Some(topic))).await;
    }
    let got_a = timeout(WAIT, t1).await.expect("t1").expect("join").expect("response a");
    let got_b = timeout(WAIT, t2).await.expect("t2").expect("join").expect("response b");
    assert_eq!((got_a.opaque, got_a.remark.as_deref()), (oa, Some("A")));
    assert_eq!((got_b.opaque, got_b.remark.as_deref()), (ob, Some("B")));
}

#[tokio::test]
async fn binary_header_responses_are_accepted_for_json_requests() {
    let (conn, mut peer) = pair();
    let req = route_request("T");
    let task = tokio::spawn({
        let conn = conn.clone();
        async move { conn.request(req, WAIT).await }
    });
    let got = read_frame(&mut peer).await;
    assert_eq!(got.serialize_type, SerializeType::Json);
    let mut answer = RemotingCommand::response(17, got.opaque, Some("no route".into()));
    answer.serialize_type = SerializeType::RocketMq;
    write_cmd(&mut peer, &answer).await;
    let response = timeout(WAIT, task).await.expect("in time").expect("join").expect("ok");
    assert_eq!(response.code, 17);
    assert_eq!(response.serialize_type, SerializeType::RocketMq);
}

struct Echo;
impl RequestHandler for Echo {
    fn handle(&self, _peer: &str, request: RemotingCommand) -> BoxFuture<Option<RemotingCommand>> {
        Box::pin(async move {
            if request.code == 999 {
                let mut r = RemotingCommand::response(0, 0, Some("handled".into()));
                r.body = request.body.clone();
                Some(r)
            } else {
                Some(rocketmq_remoting::connection::not_supported(&request))
            }
        })
    }
}

#[tokio::test]
async fn peer_requests_are_handled_and_unknown_codes_refused() {
    let (client, mut peer) = tokio::io::duplex(1 << 16);
    let _conn = Connection::from_stream(client, "fake:2", Arc::new(Echo));
    let mut known = RemotingCommand::request(999, &EmptyHeader).with_body(&b"ping"[..]);
    known.opaque = 77;
    write_cmd(&mut peer, &known).await;
    let answer = timeout(WAIT, read_frame(&mut peer)).await.expect("answer");
    assert!(answer.is_response());
    assert_eq!((answer.opaque, answer.code, answer.body.as_ref()), (77, 0, &b"ping"[..]));

    // A oneway request gets no answer; the next (unknown) request is refused with code 3.
    let mut oneway = RemotingCommand::request(999, &EmptyHeader);
    oneway.mark_oneway();
    write_cmd(&mut peer, &oneway).await;
    let mut unknown = RemotingCommand::request(4242, &EmptyHeader);
    unknown.opaque = 78;
    write_cmd(&mut peer, &unknown).await;
    let refused = timeout(WAIT, read_frame(&mut peer)).await.expect("refusal");
    assert_eq!(refused.opaque, 78, "the oneway request must not have been answered");
    assert_eq!(refused.code, response_code::REQUEST_CODE_NOT_SUPPORTED);
}

#[tokio::test]
async fn pending_requests_fail_at_once_when_the_peer_closes() {
    let (conn, mut peer) = pair();
    let task = tokio::spawn({
        let conn = conn.clone();
        async move { conn.request(route_request("T"), Duration::from_secs(30)).await }
    });
    let _ = read_frame(&mut peer).await;
    drop(peer);
    let err = timeout(WAIT, task).await.expect("fails fast, not after 30 s").expect("join").expect_err("closed");
    assert_eq!(err.kind(), ErrorKind::ConnectionClosed);
    assert!(conn.is_closed());
    let again = conn.request(route_request("T"), WAIT).await.expect_err("closed connection");
    assert_eq!(again.kind(), ErrorKind::ConnectionClosed);
}

#[tokio::test]
async fn garbage_frame_closes_the_connection_and_fails_waiters() {
    for garbage in [
        &[0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3][..],                 // absurd length
        &[0, 0, 0, 2, 0, 0][..],                                // length below the header word
        &[0, 0, 0, 10, 0, 0, 0, 6, b'{', b'x', 0, 0, 0, 0][..], // JSON header that is not JSON
        &[0, 0, 0, 8, 9, 0, 0, 0, 0, 0, 0, 0][..],              // unknown serialize type 9
    ] {
        let (conn, mut peer) = pair();
        let task = tokio::spawn({
            let conn = conn.clone();
            async move { conn.request(route_request("T"), Duration::from_secs(30)).await }
        });
        let _ = read_frame(&mut peer).await;
        peer.write_all(garbage).await.expect("write garbage");
        let err = timeout(WAIT, task).await.expect("fails fast").expect("join").expect_err("garbage");
        assert_eq!(err.kind(), ErrorKind::ConnectionClosed, "{garbage:?}: {err}");
        assert!(conn.is_closed());
    }
}

#[tokio::test]
async fn truncated_frame_then_eof_is_an_error_not_a_hang() {
    let (conn, mut peer) = pair();
    let task = tokio::spawn({
        let conn = conn.clone();
        async move { conn.request(route_request("T"), Duration::from_secs(30)).await }
    });
    let req = read_frame(&mut peer).await;
    let full = RemotingCommand::response(0, req.opaque, None).encode_to_bytes().expect("encode");
    peer.write_all(&full[..full.len() - 3]).await.expect("partial");
    drop(peer);
    let err = timeout(WAIT, task).await.expect("fails fast").expect("join").expect_err("truncated");
    assert_eq!(err.kind(), ErrorKind::ConnectionClosed);
    assert!(err.to_string().contains("inside a frame"), "{err}");
}

#[tokio::test]
async fn silence_times_out_and_a_late_answer_is_ignored() {
    let (conn, mut peer) = pair();
    let req = route_request("T");
    let err = conn.request(req, Duration::from_millis(100)).await.expect_err("timeout");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let stale = read_frame(&mut peer).await;
    write_cmd(&mut peer, &RemotingCommand::response(0, stale.opaque, None)).await;
    // The connection stays usable: a new request gets its own answer.
    let next = route_request("U");
    let task = tokio::spawn({
        let conn = conn.clone();
        async move { conn.request(next, WAIT).await }
    });
    let got = read_frame(&mut peer).await;
    write_cmd(&mut peer, &RemotingCommand::response(0, got.opaque, Some("fresh".into()))).await;
    let response = timeout(WAIT, task).await.expect("in time").expect("join").expect("ok");
    assert_eq!(response.remark.as_deref(), Some("fresh"));
    assert!(!conn.is_closed());
}

#[tokio::test]
async fn large_bodies_round_trip_across_many_reads() {
    let (conn, mut peer) = pair();
    let body: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let req = RemotingCommand::request(10, &EmptyHeader).with_body(body.clone());
    let task = tokio::spawn({
        let conn = conn.clone();
        async move { conn.request(req, WAIT).await }
    });
    let got = read_frame(&mut peer).await;
    assert_eq!(got.body.len(), body.len());
    write_cmd(&mut peer, &RemotingCommand::response(0, got.opaque, None).with_body(got.body.clone())).await;
    let response = timeout(WAIT, task).await.expect("in time").expect("join").expect("ok");
    assert_eq!(response.body.as_ref(), &body[..]);
}

#[tokio::test]
async fn pool_reconnects_after_the_server_drops_the_connection() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    // Server: answer one request per connection, then hang up.
    let server = tokio::spawn(async move {
        for _ in 0..2 {
            let (mut sock, _) = listener.accept().await.expect("accept");
            let mut len = [0u8; 4];
            sock.read_exact(&mut len).await.expect("len");
            let mut frame = BytesMut::zeroed(u32::from_be_bytes(len) as usize);
            sock.read_exact(&mut frame).await.expect("frame");
            let req = RemotingCommand::decode(frame.freeze()).expect("decode");
            let answer = RemotingCommand::response(0, req.opaque, None).encode_to_bytes().expect("enc");
            sock.write_all(&answer).await.expect("write");
            sock.shutdown().await.expect("shutdown");
        }
    });
    let pool = ConnectionPool::new(PoolOptions::default(), Arc::new(NotSupportedHandler));
    let mut previous: Option<Connection> = None;
    for _ in 0..2 {
        let conn = pool.get(&addr, tokio::time::Instant::now() + WAIT).await.expect("connected");
        if let Some(prev) = &previous {
            assert!(prev.is_closed(), "the pool must hand out a new connection after the old one closed");
        }
        let ok = pool.invoke(&addr, route_request("T"), WAIT).await.expect("answered");
        assert_eq!(ok.code, 0);
        // The server hangs up after answering: wait for the client to notice.
        timeout(WAIT, conn.closed()).await.expect("close noticed");
        assert!(pool.addresses().is_empty());
        previous = Some(conn);
    }
    timeout(WAIT, server).await.expect("server done").expect("join");
}

#[tokio::test]
async fn connecting_to_a_closed_port_fails_fast_with_connect_kind() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    drop(listener);
    let pool = ConnectionPool::new(PoolOptions::default(), Arc::new(NotSupportedHandler));
    let started = std::time::Instant::now();
    let err = pool.invoke(&addr, route_request("T"), WAIT).await.expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(err.addr(), Some(addr.as_str()));
}

/// Records what it saw and stamps each request with an ext field.
#[derive(Debug, Default)]
struct StampHook {
    seen: std::sync::Mutex<Vec<String>>,
}

impl rocketmq_remoting::RpcHook for StampHook {
    fn before_request(&self, addr: &str, request: &mut RemotingCommand) -> rocketmq_remoting::Result<()> {
        self.seen.lock().unwrap().push(format!("before {addr} {}", request.code));
        request.ext_fields.insert("Stamp", "yes");
        if request.code == 999 {
            return Err(rocketmq_remoting::Error::new(ErrorKind::Encode, "hook refused"));
        }
        Ok(())
    }

    fn after_response(&self, addr: &str, code: i32, response: &mut RemotingCommand) -> rocketmq_remoting::Result<()> {
        self.seen.lock().unwrap().push(format!("after {addr} {code} -> {}", response.code));
        Ok(())
    }
}

#[tokio::test]
async fn pool_hooks_see_every_request_oneway_and_response() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.expect("accept");
        loop {
            let mut len = [0u8; 4];
            if sock.read_exact(&mut len).await.is_err() {
                return;
            }
            let mut frame = BytesMut::zeroed(u32::from_be_bytes(len) as usize);
            sock.read_exact(&mut frame).await.expect("frame");
            let req = RemotingCommand::decode(frame.freeze()).expect("decode");
            let _ = seen_tx.send((req.code, req.ext_fields.get("Stamp").map(str::to_owned), req.is_oneway()));
            if !req.is_oneway() {
                let answer = RemotingCommand::response(0, req.opaque, None).encode_to_bytes().expect("enc");
                sock.write_all(&answer).await.expect("write");
            }
        }
    });
    let hook = Arc::new(StampHook::default());
    let mut options = PoolOptions::default();
    options.hooks.push(hook.clone());
    let pool = ConnectionPool::new(options, Arc::new(NotSupportedHandler));
    pool.invoke(&addr, route_request("T"), WAIT).await.expect("answered");
    pool.invoke_oneway(&addr, RemotingCommand::request(15, &EmptyHeader), WAIT).await.expect("sent");
    let refused = pool.invoke(&addr, RemotingCommand::request(999, &EmptyHeader), WAIT).await.expect_err("hook");
    assert_eq!(refused.message(), "hook refused");
    let first = timeout(WAIT, seen_rx.recv()).await.expect("in time").expect("frame");
    assert_eq!(first, (request_code::GET_ROUTEINFO_BY_TOPIC, Some("yes".to_owned()), false));
    let second = timeout(WAIT, seen_rx.recv()).await.expect("in time").expect("frame");
    assert_eq!(second, (15, Some("yes".to_owned()), true));
    // A request refused by a hook never reaches the peer: send one more to prove ordering.
    pool.invoke_oneway(&addr, RemotingCommand::request(16, &EmptyHeader), WAIT).await.expect("sent");
    let third = timeout(WAIT, seen_rx.recv()).await.expect("in time").expect("frame");
    assert_eq!(third.0, 16);
    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            format!("before {addr} 105"),
            format!("after {addr} 105 -> 0"),
            format!("before {addr} 15"),
            format!("before {addr} 999"),
            format!("before {addr} 16"),
        ]
    );
}

#[tokio::test]
async fn coalesced_frames_with_separate_bodies_arrive_byte_exact() {
    let (conn, mut peer) = pair();
    let mut expected = Vec::new();
    for i in 0..200u32 {
        let body: Vec<u8> = (0..(i * 37 % 5000)).map(|b| (b ^ i) as u8).collect();
        let cmd = RemotingCommand::request(10, &EmptyHeader).with_body(body);
        expected.push(cmd.encode_to_bytes().expect("encode"));
        conn.oneway(cmd, WAIT).await.expect("queued");
    }
    let total: usize = expected.iter().map(|f| f.len()).sum();
    let mut got = vec![0u8; total];
    timeout(WAIT, peer.read_exact(&mut got)).await.expect("in time").expect("read");
    let mut want = Vec::with_capacity(total);
    for mut frame in expected {
        // The oneway flag is set by `oneway`; patch it into the expectation via re-decode.
        let mut cmd = RemotingCommand::decode(frame.split_off(4)).expect("decode");
        cmd.mark_oneway();
        want.extend_from_slice(&cmd.encode_to_bytes().expect("encode"));
    }
    assert_eq!(got, want);
}

#[test]
fn encode_parts_equals_encode() {
    let cmd = RemotingCommand::request(10, &EmptyHeader).with_body(vec![7u8; 1000]);
    let (head, body) = cmd.encode_parts().expect("parts");
    let mut joined = head.to_vec();
    joined.extend_from_slice(&body);
    assert_eq!(joined, cmd.encode_to_bytes().expect("whole").to_vec());
    assert_eq!(body.as_ptr(), cmd.body.as_ptr(), "the body is shared, not copied");
    let bin = cmd.clone().with_serialize_type(SerializeType::RocketMq);
    let (head, body) = bin.encode_parts().expect("parts");
    assert_eq!([head.as_ref(), body.as_ref()].concat(), bin.encode_to_bytes().expect("whole").to_vec());
}

/// A multi-threaded runtime for tests that call the connection from plain threads, as a
/// blocking Python call does (it drives its future on its own thread, outside any task).
fn threaded_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

/// The body a test thread sends as its `seq`-th frame: recognisable and of varied size, up to
/// 60 KB (far over the 4 KiB pipe below, so inline writes stall and the writer task finishes them).
fn numbered_body(thread: u32, seq: u32) -> Vec<u8> {
    let len = 16 + (seq * 7919 + thread * 104_729) % 60_000;
    let mut body = vec![(thread * 31 + seq) as u8; len as usize];
    body[..4].copy_from_slice(&thread.to_be_bytes());
    body[4..8].copy_from_slice(&seq.to_be_bytes());
    body
}

#[test]
fn frames_written_inline_by_blocked_threads_arrive_whole_and_in_order_even_when_writes_stall() {
    let rt = threaded_runtime();
    let (client, mut peer) = tokio::io::duplex(4096);
    let conn = rt.block_on(async { Connection::from_stream(client, "fake:1", Arc::new(NotSupportedHandler)) });
    const THREADS: u32 = 4;
    const FRAMES: u32 = 25;
    let reader = rt.spawn(async move {
        let mut next = [0u32; THREADS as usize];
        for _ in 0..THREADS * FRAMES {
            let frame = timeout(WAIT, read_frame(&mut peer)).await.expect("frame in time");
            let thread = u32::from_be_bytes(frame.body[..4].try_into().unwrap());
            let seq = u32::from_be_bytes(frame.body[4..8].try_into().unwrap());
            assert_eq!(seq, next[thread as usize], "frames of thread {thread} out of order");
            assert_eq!(frame.body.as_ref(), &numbered_body(thread, seq)[..], "body of {thread}/{seq}");
            next[thread as usize] += 1;
        }
        peer
    });
    let senders: Vec<_> = (0..THREADS)
        .map(|thread| {
            let conn = conn.clone();
            let handle = rt.handle().clone();
            std::thread::spawn(move || {
                for seq in 0..FRAMES {
                    let cmd = RemotingCommand::request(10, &EmptyHeader).with_body(numbered_body(thread, seq));
                    handle.block_on(conn.oneway(cmd, WAIT)).expect("queued");
                }
            })
        })
        .collect();
    for sender in senders {
        sender.join().expect("sender thread");
    }
    let _peer = rt.block_on(async { timeout(WAIT, reader).await.expect("all frames read").expect("reader") });
    assert!(!conn.is_closed());
}

#[test]
fn a_blocked_thread_gets_its_response_and_sees_a_closed_peer_as_closed() {
    let rt = threaded_runtime();
    let (client, mut peer) = tokio::io::duplex(4096);
    let conn = rt.block_on(async { Connection::from_stream(client, "fake:1", Arc::new(NotSupportedHandler)) });
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let echo = rt.spawn(async move {
        let got = read_frame(&mut peer).await;
        write_cmd(&mut peer, &RemotingCommand::response(0, got.opaque, None).with_body(got.body.clone())).await;
        peer
    });
    let req = RemotingCommand::request(10, &EmptyHeader).with_body(body.clone());
    let response = rt.handle().block_on(conn.request(req, WAIT)).expect("answered");
    assert_eq!(response.body.as_ref(), &body[..]);
    let peer = rt.block_on(async { timeout(WAIT, echo).await.expect("echoed").expect("peer task") });
    drop(peer);
    let err = rt.handle().block_on(conn.request(route_request("T"), WAIT)).expect_err("peer is gone");
    assert_eq!(err.kind(), ErrorKind::ConnectionClosed, "{err}");
    assert!(conn.is_closed());
}

#[tokio::test]
async fn senders_to_a_peer_that_stops_reading_time_out_instead_of_queueing_without_limit() {
    // The peer never reads: the pipe fills, then the connection's queue (16 MiB), then senders
    // wait for room until their own timeout.
    let (conn, _peer) = {
        let (client, server) = tokio::io::duplex(64 * 1024);
        (Connection::from_stream(client, "fake:1", Arc::new(NotSupportedHandler)), server)
    };
    let body = Bytes::from(vec![1u8; 1 << 20]);
    let mut queued = 0;
    let err = loop {
        let cmd = RemotingCommand::request(10, &EmptyHeader).with_body(body.clone());
        match conn.oneway(cmd, Duration::from_millis(200)).await {
            Ok(()) => queued += 1,
            Err(e) => break e,
        }
        assert!(queued <= 40, "{queued} MiB queued for a peer that reads nothing");
    };
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(queued >= 16, "only {queued} MiB queued before refusing");
    assert!(!conn.is_closed(), "a full queue is not a dead connection");
}
