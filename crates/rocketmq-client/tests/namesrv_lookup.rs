//! Name server lookup over HTTP (#9 §5, Java `TopAddressing`) against real name servers: a
//! tiny HTTP server in the test plays the address service; its answer changes mid-run and
//! the client follows; when the service fails, the last good list is kept.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{cluster, unique, WAIT};
use rocketmq_client::{ClientOptions, ErrorKind, Message, Producer, ProducerOptions};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

/// What the address service answers.
#[derive(Clone)]
enum Answer {
    List(String),
    /// HTTP 500.
    Fail,
}

/// The address service: answers GET /rocketmq/nsaddr with the current answer, counting requests.
struct AddressService {
    port: u16,
    answer: Arc<Mutex<Answer>>,
    served: watch::Receiver<usize>,
    task: tokio::task::JoinHandle<()>,
}

impl AddressService {
    async fn start(answer: Answer) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let answer = Arc::new(Mutex::new(answer));
        let (served_tx, served) = watch::channel(0usize);
        let current = answer.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { return };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request);
                assert!(text.starts_with("GET /rocketmq/nsaddr HTTP/1.1\r\n"), "request: {text:?}");
                let response = match current.lock().unwrap().clone() {
                    Answer::List(list) => {
                        let body = format!("{list}\n");
                        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len())
                    }
                    Answer::Fail => "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n".to_owned(),
                };
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
                served_tx.send_modify(|n| *n += 1);
            }
        });
        AddressService { port, answer, served, task }
    }

    fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    /// Wait until `n` more lookups were answered (so at least one saw the current answer).
    async fn wait_lookups(&mut self, n: usize) {
        let target = *self.served.borrow() + n;
        let reached = tokio::time::timeout(WAIT, self.served.wait_for(|c| *c >= target)).await;
        assert!(reached.is_ok(), "{n} more lookups within {WAIT:?}");
    }
}

impl Drop for AddressService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_client_follows_the_looked_up_list_and_keeps_the_last_good_one() {
    let cluster = cluster(2, 1).await;
    let namesrvs = cluster.namesrv_addrs();
    let topics: Vec<String> = (0..3).map(|i| unique(&format!("T_lookup{i}"))).collect();
    for t in &topics {
        cluster.create_topic(t, 1).await.unwrap();
    }
    let mut service = AddressService::start(Answer::Fail).await;
    let options = ClientOptions {
        namesrv_domain: Some(format!("127.0.0.1:{}", service.port)), // Java form: host:port
        namesrv_lookup_interval: Duration::from_millis(200),
        ..ClientOptions::default()
    };
    let producer = Producer::new(ProducerOptions::new(unique("pg_lookup")), options);
    producer.start().await.unwrap();

    // No list yet and the service fails: the send says why.
    let err = producer.send(&Message::new(&topics[0], "x")).await.unwrap_err();
    assert!(err.to_string().contains("lookup"), "{err}");
    assert_ne!(err.kind(), ErrorKind::Config);

    // The first good answer is used at once.
    service.set(Answer::List(namesrvs[0].clone()));
    producer.send(&Message::new(&topics[0], "via first")).await.unwrap();

    // The answer changes; once the client looked again, the old name server can go.
    service.set(Answer::List(namesrvs[1].clone()));
    service.wait_lookups(2).await;
    cluster.kill_namesrv(0).unwrap();
    producer.send(&Message::new(&topics[1], "via second")).await.unwrap();

    // The service fails now: the last good list stays in use.
    service.set(Answer::Fail);
    service.wait_lookups(2).await;
    producer.send(&Message::new(&topics[2], "still via second")).await.unwrap();
    producer.shutdown().await;
}
