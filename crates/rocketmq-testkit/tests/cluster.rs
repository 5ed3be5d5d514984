//! Integration tests against the real rocketmq-rust 1.0.0 binaries
//! (install them with scripts/install-broker.sh).

// A failing test is a panic; the workspace's no-panic lints are for library paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rocketmq_testkit::{pid_alive, Cluster, TestkitErrorKind};

/// Every wait in these tests is bounded by this.
const TEST_TIMEOUT: Duration = Duration::from_secs(180);

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{:08x}", std::process::id(), fastrand_u32())
}

fn fastrand_u32() -> u32 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos());
    nanos.unwrap_or(0) ^ std::process::id().rotate_left(16)
}

/// Listening TCP sockets of `pid` as "ip:port" (IPv6 sockets as "[v6 hex]:port"), from /proc.
fn listening_sockets(pid: u32) -> BTreeSet<String> {
    let mut by_inode: HashMap<String, String> = HashMap::new();
    for (file, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
        let Ok(text) = std::fs::read_to_string(file) else { continue };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 10 || cols[3] != "0A" {
                continue;
            }
            let Some((ip_hex, port_hex)) = cols[1].split_once(':') else { continue };
            let port = u16::from_str_radix(port_hex, 16).unwrap_or(0);
            let addr = if v6 {
                format!("[{ip_hex}]:{port}")
            } else {
                let ip = u32::from_str_radix(ip_hex, 16).unwrap_or(0);
                format!("{}:{port}", Ipv4Addr::from(ip.to_le_bytes()))
            };
            by_inode.insert(cols[9].to_owned(), addr);
        }
    }
    let mut out = BTreeSet::new();
    if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else { continue };
            let target = target.to_string_lossy().into_owned();
            if let Some(inode) = target.strip_prefix("socket:[").and_then(|s| s.strip_suffix(']')) {
                if let Some(addr) = by_inode.get(inode) {
                    out.insert(addr.clone());
                }
            }
        }
    }
    out
}

fn refuses(addr: &str) -> bool {
    match TcpStream::connect_timeout(&addr.parse().expect("socket addr"), Duration::from_secs(2)) {
        Ok(_) => false,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionRefused,
    }
}

#[tokio::test]
async fn missing_binary_dir_gives_a_clear_error() {
    let error = Cluster::builder()
        .rocketmq_home("/nonexistent/rocketmq-rust-home")
        .start()
        .await
        .expect_err("must fail without binaries");
    assert_eq!(error.kind(), TestkitErrorKind::BinaryNotFound);
    let text = error.to_string();
    assert!(text.contains("scripts/install-broker.sh"), "{text}");
    assert!(text.contains("/nonexistent/rocketmq-rust-home/bin"), "{text}");
    assert!(text.contains("rocketmq-broker-rust"), "{text}");
}

#[tokio::test]
async fn invalid_sizes_are_rejected() {
    let error = Cluster::builder().namesrvs(0).start().await.expect_err("0 name servers");
    assert_eq!(error.kind(), TestkitErrorKind::InvalidArgument);
}

#[tokio::test]
async fn a_broker_that_dies_at_startup_fails_fast_with_its_log() {
    let started = Instant::now();
    // rocketmq-rust rejects unknown config keys (and says nothing about which one).
    let error = Cluster::builder()
        .broker_config("broker", "noSuchKeyForTheTestkit", "1")
        .start()
        .await
        .expect_err("the broker must refuse the config");
    assert_eq!(error.kind(), TestkitErrorKind::ProcessExited, "{error}");
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    let text = error.to_string();
    assert!(text.contains("broker 0"), "{text}");
    assert!(text.contains("last lines of the process log"), "{text}");
    assert!(error.log_tail().is_some_and(|t| t.contains("rmq-testkit: starting broker 0")), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_namesrvs_two_brokers_kill_restart_and_drop() {
    tokio::time::timeout(TEST_TIMEOUT, async {
        let started = Instant::now();
        let cluster = Cluster::builder().namesrvs(2).brokers(2).start().await.unwrap_or_else(|e| panic!("{e}"));
        eprintln!("2 name servers + 2 brokers ready in {:?}", started.elapsed());

        let namesrvs = cluster.namesrv_addrs();
        let brokers = cluster.brokers();
        assert_eq!(namesrvs.len(), 2);
        assert_eq!(brokers.len(), 2);
        assert_eq!(cluster.namesrv_addr(), format!("{};{}", namesrvs[0], namesrvs[1]));
        assert!(cluster.dir().is_dir());

        // Both brokers visible on both name servers.
        for i in 0..2 {
            let route = cluster.topic_route(i, "TBW102").await.expect("route").expect("TBW102 exists");
            for b in &brokers {
                assert!(route.lists(&b.name, &b.addr), "name server {i} lacks {}: {route:?}", b.name);
            }
        }

        // Each process listens on loopback only, and only on the ports reserved for it.
        for (i, b) in brokers.iter().enumerate() {
            let pid = cluster.broker_pid(i).expect("broker pid");
            let listening = listening_sockets(pid);
            let allowed: BTreeSet<String> = [b.addr.clone(), b.fast_addr.clone(), b.ha_addr.clone()].into();
            assert!(listening.contains(&b.addr) && listening.contains(&b.fast_addr), "{listening:?}");
            assert!(listening.is_subset(&allowed), "broker {i} listens on {listening:?}, reserved {allowed:?}");
        }
        for (i, addr) in namesrvs.iter().enumerate() {
            let pid = cluster.namesrv_pid(i).expect("namesrv pid");
            let listening = listening_sockets(pid);
            assert_eq!(listening, BTreeSet::from([addr.clone()]), "name server {i}");
        }

        // A topic on every broker, routed by every name server.
        let topic = unique("TestkitTopic");
        cluster.create_topic(&topic, 4).await.unwrap_or_else(|e| panic!("{e}"));
        for i in 0..2 {
            let route = cluster.topic_route(i, &topic).await.expect("route").expect("topic routed");
            for b in &brokers {
                assert_eq!(route.queues_of(&b.name).map(|q| q.write_queue_nums), Some(4), "{route:?}");
            }
        }

        // Kill broker 0: its port refuses connections and the process is gone.
        let old_pid = cluster.broker_pid(0).expect("pid");
        cluster.kill_broker(0).expect("kill");
        assert!(!cluster.is_broker_running(0));
        assert!(!pid_alive(old_pid), "pid {old_pid} still alive");
        assert!(refuses(&brokers[0].addr), "{} still accepts connections", brokers[0].addr);
        cluster.kill_broker(0).expect("killing a dead broker is a no-op");

        // Start it again: same port, ready again, and the topic survived in its store.
        let restarted = Instant::now();
        cluster.start_broker(0).await.unwrap_or_else(|e| panic!("{e}"));
        eprintln!("broker 0 restarted in {:?}", restarted.elapsed());
        assert!(!refuses(&brokers[0].addr));
        assert_eq!(cluster.brokers()[0], brokers[0]);
        for i in 0..2 {
            let route = cluster.topic_route(i, &topic).await.expect("route").expect("topic routed");
            assert!(route.lists(&brokers[0].name, &brokers[0].addr), "topic lost after restart: {route:?}");
        }

        // Kill and restart name server 1: both brokers re-register with it.
        cluster.kill_namesrv(1).expect("kill namesrv");
        assert!(refuses(&namesrvs[1]));
        let restarted = Instant::now();
        cluster.start_namesrv(1).await.unwrap_or_else(|e| panic!("{e}"));
        eprintln!("name server 1 restarted and relearned both brokers in {:?}", restarted.elapsed());
        let route = cluster.topic_route(1, "TBW102").await.expect("route").expect("TBW102");
        for b in &brokers {
            assert!(route.lists(&b.name, &b.addr), "{route:?}");
        }

        // Drop: every process gone, directory removed.
        let pids = cluster.pids();
        assert_eq!(pids.len(), 4);
        let dir = cluster.dir().to_path_buf();
        drop(cluster);
        for pid in pids {
            assert!(!pid_alive(pid), "pid {pid} survived the drop");
        }
        if std::env::var("RMQ_TESTKIT_KEEP").as_deref() != Ok("1") {
            assert!(!dir.exists(), "{} not removed", dir.display());
        }
    })
    .await
    .expect("test timed out");
}

/// The `rmq-testkit` binary: JSON lines over stdin/stdout, cleanup on stdin EOF.
#[test]
fn cli_protocol_and_cleanup_on_eof() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rmq-testkit"))
        .args(["cluster", "--namesrvs", "1", "--brokers", "1", "--timeout", "90"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn rmq-testkit");
    let mut stdin = child.stdin.take().expect("stdin");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = || -> serde_json::Value {
        let line = rx.recv_timeout(TEST_TIMEOUT).expect("a JSON line in time");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    };
    let mut send = |line: &str| {
        writeln!(stdin, "{line}").expect("write command");
        stdin.flush().expect("flush");
    };

    let hello = next();
    assert_eq!(hello["ok"], true, "{hello}");
    let namesrv_addr = hello["namesrv_addr"].as_str().expect("namesrv_addr").to_owned();
    assert_eq!(hello["namesrvs"][0].as_str(), Some(namesrv_addr.as_str()));
    assert_eq!(hello["brokers"][0]["name"], "broker-0");
    let broker_addr = hello["brokers"][0]["addr"].as_str().expect("addr").to_owned();
    let dir = std::path::PathBuf::from(hello["dir"].as_str().expect("dir"));
    assert!(dir.is_dir());

    send(&format!("create-topic {} 2", unique("CliTopic")));
    assert_eq!(next(), serde_json::json!({"ok": true}));
    send("kill-broker 0");
    assert_eq!(next(), serde_json::json!({"ok": true}));
    assert!(refuses(&broker_addr));
    send("start-broker 0");
    assert_eq!(next(), serde_json::json!({"ok": true}));
    assert!(!refuses(&broker_addr));
    send("kill-broker 7");
    let reply = next();
    assert_eq!(reply["ok"], false);
    assert!(reply["error"].as_str().unwrap_or("").contains("no broker 7"), "{reply}");
    send("frobnicate");
    assert_eq!(next()["ok"], false);
    send("info");
    let info = next();
    let pids: Vec<u32> = [&info["brokers"][0]["pid"], &info["namesrv_details"][0]["pid"]]
        .iter()
        .map(|v| v.as_u64().expect("pid") as u32)
        .collect();

    // EOF on stdin (the parent died) tears everything down.
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "rmq-testkit did not exit after stdin EOF");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    for pid in pids {
        assert!(!pid_alive(pid), "pid {pid} survived");
    }
    assert!(refuses(&broker_addr));
    if std::env::var("RMQ_TESTKIT_KEEP").as_deref() != Ok("1") {
        assert!(!dir.exists());
    }
}

#[tokio::test]
async fn acl_turns_on_authentication_with_one_user() {
    let cluster = Cluster::builder().acl("tkUser", "tkSecret-1").start().await.expect("ACL cluster starts");
    // The user is seeded under the cluster directory (authConfigPath).
    let users = std::fs::read_to_string(cluster.dir().join("auth").join("users.json")).expect("users.json written");
    assert!(users.contains("tkUser"), "{users}");
    // The broker enforces it: the testkit's unsigned UPDATE_AND_CREATE_TOPIC is refused.
    let err = cluster.create_topic(&unique("T_acl"), 1).await.expect_err("unsigned admin request refused");
    assert!(err.to_string().contains("Authentication credentials are invalid"), "{err}");
}
