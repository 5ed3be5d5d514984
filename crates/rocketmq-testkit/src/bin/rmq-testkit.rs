//! `rmq-testkit`: a test cluster driven over stdin/stdout, for Python tests and `make demo`.
//!
//! ```text
//! rmq-testkit cluster [--namesrvs N] [--brokers M] [--cluster-name NAME] [--timeout SECS]
//!                     [--broker-config SECTION.KEY=TOML_VALUE]... [--acl ACCESS_KEY:SECRET]
//!                     [--namesrv-tls-pem CERT_PEM KEY_PEM] [--keep]
//! ```
//! `--acl` turns on the brokers' authentication with that one user (`ClusterBuilder::acl`).
//! `--namesrv-tls-pem` takes the PEM text (not paths) of the name servers' TLS certificate and
//! key (`ClusterBuilder::namesrv_tls_pem`): what a test under Wine sends to `serve`.
//! Prints one JSON line once the cluster is ready:
//! `{"ok": true, "namesrv_addr": "127.0.0.1:p1;127.0.0.1:p2", "namesrvs": [...],
//!   "brokers": [{"name": "broker-0", "addr": "127.0.0.1:p", ...}], "dir": "..."}`
//! (or `{"ok": false, "error": "..."}` and exit status 1), then answers each stdin line with
//! one JSON line: `kill-broker I`, `start-broker I`, `pause-broker I` (SIGSTOP),
//! `resume-broker I` (SIGCONT), `kill-namesrv I`, `start-namesrv I`,
//! `create-topic NAME QUEUES`, `info`, `stop`. Success is `{"ok": true, ...}`, failure
//! `{"ok": false, "error": "..."}`. On `stop`, stdin EOF (the parent died), SIGTERM, SIGINT or
//! SIGHUP every server is killed and the process exits 0 (a signal also interrupts a running
//! command; EOF lets the commands read before it finish first).
//!
//! ```text
//! rmq-testkit serve [--listen 127.0.0.1:0]
//! ```
//! Runs clusters for test binaries that cannot start the servers themselves (Windows tests
//! under Wine, which set `RMQ_TESTKIT_REMOTE` to this address): prints
//! `{"ok": true, "listen": "127.0.0.1:p"}`, then per TCP connection reads one JSON array of
//! `cluster` arguments, starts that cluster, answers as above and runs the same commands, one
//! per line; the connection's end kills its cluster. Stops (killing every cluster) on stdin EOF,
//! SIGTERM, SIGINT or SIGHUP.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use rocketmq_testkit::{Cluster, ClusterBuilder};
use serde_json::{json, Value};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::{mpsc, watch};

const USAGE: &str = "usage: rmq-testkit cluster [--namesrvs N] [--brokers M] [--cluster-name NAME] \
[--timeout SECS] [--broker-config SECTION.KEY=TOML_VALUE]... [--acl ACCESS_KEY:SECRET] \
[--namesrv-tls-pem CERT_PEM KEY_PEM] [--keep]
   or: rmq-testkit serve [--listen 127.0.0.1:0]   (clusters over TCP for RMQ_TESTKIT_REMOTE)
then one command per stdin line, one JSON line answered per command:
  kill-broker I | start-broker I | pause-broker I | resume-broker I | kill-namesrv I | start-namesrv I | create-topic NAME QUEUES | info | stop
env: ROCKETMQ_RUST_HOME (install root, see scripts/install-broker.sh), RMQ_TESTKIT_KEEP=1, RMQ_TESTKIT_RUST_LOG";

struct Options {
    builder: ClusterBuilder,
    keep: bool,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut iter = args.iter();
    match iter.next().map(String::as_str) {
        Some("cluster") => {}
        Some("-h") | Some("--help") | Some("help") => return Err(String::new()),
        Some(other) => return Err(format!("unknown subcommand {other:?}")),
        None => return Err("missing subcommand".to_owned()),
    }
    let mut builder = Cluster::builder();
    let mut keep = false;
    while let Some(flag) = iter.next() {
        let mut value = |name: &str| iter.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--namesrvs" => builder = builder.namesrvs(parse_num(&value("--namesrvs")?, "--namesrvs")?),
            "--brokers" => builder = builder.brokers(parse_num(&value("--brokers")?, "--brokers")?),
            "--cluster-name" => builder = builder.cluster_name(value("--cluster-name")?),
            "--timeout" => {
                let secs = parse_num(&value("--timeout")?, "--timeout")?;
                builder = builder.timeout(Duration::from_secs(secs as u64));
            }
            "--broker-config" => {
                let spec = value("--broker-config")?;
                let o = rocketmq_testkit::config::ConfigOverride::parse(&spec)
                    .ok_or_else(|| format!("--broker-config wants SECTION.KEY=TOML_VALUE, got {spec:?}"))?;
                builder = builder.broker_config(&o.section, &o.key, &o.value);
            }
            "--acl" => {
                let spec = value("--acl")?;
                let (access_key, secret) = spec
                    .split_once(':')
                    .filter(|(a, s)| !a.is_empty() && !s.is_empty())
                    .ok_or_else(|| "--acl wants ACCESS_KEY:SECRET".to_owned())?;
                builder = builder.acl(access_key, secret);
            }
            "--namesrv-tls-pem" => {
                let cert = value("--namesrv-tls-pem")?;
                let key = value("--namesrv-tls-pem")?;
                builder = builder.namesrv_tls_pem(cert, key);
            }
            "--keep" => keep = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(Options { builder, keep })
}

fn parse_num(text: &str, name: &str) -> Result<usize, String> {
    text.trim().parse::<usize>().map_err(|_| format!("{name} wants a non-negative integer, got {text:?}"))
}

/// Write one JSON line; false when stdout is gone (the parent died).
fn emit(value: &Value) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{value}").and_then(|()| out.flush()).is_ok()
}

fn error_reply(message: impl std::fmt::Display) -> Value {
    json!({"ok": false, "error": message.to_string()})
}

fn describe(cluster: &Cluster) -> Value {
    let brokers: Vec<Value> = cluster
        .brokers()
        .iter()
        .enumerate()
        .map(|(i, b)| {
            json!({
                "name": b.name,
                "addr": b.addr,
                "fast_addr": b.fast_addr,
                "ha_addr": b.ha_addr,
                "log": b.log.to_string_lossy(),
                "dir": b.dir.to_string_lossy(),
                "store_dir": b.store_dir.to_string_lossy(),
                "running": cluster.is_broker_running(i),
                "pid": cluster.broker_pid(i),
            })
        })
        .collect();
    let namesrvs: Vec<String> = cluster.namesrv_addrs();
    let namesrv_details: Vec<Value> = cluster
        .namesrvs()
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({
                "addr": n.addr,
                "log": n.log.to_string_lossy(),
                "dir": n.dir.to_string_lossy(),
                "running": cluster.is_namesrv_running(i),
                "pid": cluster.namesrv_pid(i),
            })
        })
        .collect();
    json!({
        "ok": true,
        "namesrv_addr": cluster.namesrv_addr(),
        "namesrvs": namesrvs,
        "namesrv_details": namesrv_details,
        "brokers": brokers,
        "cluster_name": cluster.cluster_name(),
        "dir": cluster.dir().to_string_lossy(),
    })
}

fn index_arg(parts: &[&str], command: &str) -> Result<usize, String> {
    match parts {
        [_, i] => i.parse::<usize>().map_err(|_| format!("{command} wants an index, got {i:?}")),
        _ => Err(format!("usage: {command} I")),
    }
}

/// Run one command. `None` means "stop".
async fn execute(cluster: &Cluster, line: &str) -> Option<Value> {
    let parts: Vec<&str> = line.split_whitespace().collect();
    let Some(&command) = parts.first() else {
        return Some(error_reply("empty command"));
    };
    let ok = json!({"ok": true});
    let reply = match command {
        "stop" | "quit" | "exit" => return None,
        "info" => Ok(describe(cluster)),
        "kill-broker" => match index_arg(&parts, command) {
            Ok(i) => cluster.kill_broker(i).map(|()| ok).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        },
        "start-broker" => match index_arg(&parts, command) {
            Ok(i) => cluster.start_broker(i).await.map(|()| ok).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        },
        "pause-broker" => match index_arg(&parts, command) {
            Ok(i) => cluster.pause_broker(i).map(|()| ok).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        },
        "resume-broker" => match index_arg(&parts, command) {
            Ok(i) => cluster.resume_broker(i).map(|()| ok).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        },
        "kill-namesrv" => match index_arg(&parts, command) {
            Ok(i) => cluster.kill_namesrv(i).map(|()| ok).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        },
        "start-namesrv" => match index_arg(&parts, command) {
            Ok(i) => cluster.start_namesrv(i).await.map(|()| ok).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        },
        "create-topic" => match parts.as_slice() {
            [_, topic, queues] => match queues.parse::<u32>() {
                Ok(q) => cluster.create_topic(topic, q).await.map(|()| ok).map_err(|e| e.to_string()),
                Err(_) => Err(format!("create-topic wants a queue count, got {queues:?}")),
            },
            _ => Err("usage: create-topic NAME QUEUES".to_owned()),
        },
        other => Err(format!("unknown command {other:?}; known: kill-broker I, start-broker I, pause-broker I, resume-broker I, kill-namesrv I, start-namesrv I, create-topic NAME QUEUES, info, stop")),
    };
    Some(reply.unwrap_or_else(error_reply))
}

/// Read stdin on a plain thread (tokio's stdin would keep the runtime alive at exit).
fn spawn_stdin_reader() -> (mpsc::UnboundedReceiver<String>, watch::Receiver<bool>) {
    let (line_tx, line_rx) = mpsc::unbounded_channel();
    let (eof_tx, eof_rx) = watch::channel(false);
    let spawned = std::thread::Builder::new().name("rmq-testkit-stdin".into()).spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            match line {
                Ok(line) => {
                    if line_tx.send(line).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = eof_tx.send(true);
    });
    if spawned.is_err() {
        // No reader thread: behave as if stdin were closed (the cluster is torn down at once).
        let (_, closed_rx) = watch::channel(true);
        return (line_rx, closed_rx);
    }
    (line_rx, eof_rx)
}

struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl Signals {
    fn install() -> std::io::Result<Self> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    async fn any(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
            _ = self.hup.recv() => {}
        }
    }
}

async fn wait_eof(eof: &mut watch::Receiver<bool>) {
    // Err: the reader thread is gone, which also means EOF.
    let _ = eof.wait_for(|closed| *closed).await;
}

async fn run(options: Options) -> ExitCode {
    let (mut lines, mut eof) = spawn_stdin_reader();
    let mut signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => {
            emit(&error_reply(format!("cannot install signal handlers: {e}")));
            return ExitCode::FAILURE;
        }
    };

    // A signal or stdin EOF during startup drops the half-started cluster, which kills it.
    let started = tokio::select! {
        result = options.builder.start() => result,
        _ = signals.any() => {
            emit(&error_reply("interrupted by a signal during startup"));
            return ExitCode::FAILURE;
        }
        _ = wait_eof(&mut eof) => {
            emit(&error_reply("stdin closed during startup (the parent went away); stopped"));
            return ExitCode::FAILURE;
        }
    };
    let mut cluster = match started {
        Ok(cluster) => cluster,
        Err(e) => {
            emit(&error_reply(e));
            return ExitCode::FAILURE;
        }
    };
    if options.keep {
        cluster.keep_dir(true);
    }
    if !emit(&describe(&cluster)) {
        return ExitCode::SUCCESS;
    }

    loop {
        tokio::select! {
            line = lines.recv() => {
                let Some(line) = line else { break };
                if line.trim().is_empty() {
                    continue;
                }
                // A signal interrupts a running command (its waits are bounded, but a parent that
                // gave up should not sit through them). Stdin EOF does not: commands piped in
                // before EOF still run, then the loop sees EOF and stops.
                let outcome = tokio::select! {
                    outcome = execute(&cluster, line.trim()) => outcome,
                    _ = signals.any() => break,
                };
                match outcome {
                    Some(reply) => {
                        if !emit(&reply) {
                            break;
                        }
                    }
                    None => {
                        drop(cluster);
                        emit(&json!({"ok": true, "stopped": true}));
                        return ExitCode::SUCCESS;
                    }
                }
            }
            _ = signals.any() => break,
        }
    }
    drop(cluster);
    ExitCode::SUCCESS
}

/// Write one JSON line to a served connection; false when the peer is gone.
async fn send_line(out: &mut tokio::net::tcp::OwnedWriteHalf, value: &Value) -> bool {
    use tokio::io::AsyncWriteExt;
    out.write_all(format!("{value}\n").as_bytes()).await.is_ok()
}

/// One connection of `serve`: a cluster for as long as the connection lasts.
async fn serve_one(stream: tokio::net::TcpStream) {
    use tokio::io::AsyncBufReadExt;
    let _ = stream.set_nodelay(true);
    let (rd, mut wr) = stream.into_split();
    let mut lines = tokio::io::BufReader::new(rd).lines();
    let Ok(Some(first)) = lines.next_line().await else { return };
    let args: Vec<String> = match serde_json::from_str(&first) {
        Ok(args) => args,
        Err(e) => {
            send_line(&mut wr, &error_reply(format!("first line must be a JSON array of arguments: {e}"))).await;
            return;
        }
    };
    let options = match parse_args(&args) {
        Ok(o) => o,
        Err(e) => {
            send_line(&mut wr, &error_reply(if e.is_empty() { USAGE.to_owned() } else { e })).await;
            return;
        }
    };
    let cluster = match options.builder.start().await {
        Ok(c) => c,
        Err(e) => {
            send_line(&mut wr, &error_reply(e)).await;
            return;
        }
    };
    if !send_line(&mut wr, &describe(&cluster)).await {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim().is_empty() {
            continue;
        }
        match execute(&cluster, line.trim()).await {
            Some(reply) => {
                if !send_line(&mut wr, &reply).await {
                    break;
                }
            }
            None => {
                drop(cluster);
                send_line(&mut wr, &json!({"ok": true, "stopped": true})).await;
                return;
            }
        }
    }
}

async fn serve(listen: &str) -> ExitCode {
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            emit(&error_reply(format!("cannot listen on {listen}: {e}")));
            return ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    // Keep the line receiver alive: dropping it would end the reader thread (seen as EOF).
    let (_lines, mut eof) = spawn_stdin_reader();
    let mut signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => {
            emit(&error_reply(format!("cannot install signal handlers: {e}")));
            return ExitCode::FAILURE;
        }
    };
    if !emit(&json!({"ok": true, "listen": local})) {
        return ExitCode::SUCCESS;
    }
    let mut sessions = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    sessions.spawn(serve_one(stream));
                }
            }
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            _ = signals.any() => break,
            _ = wait_eof(&mut eof) => break,
        }
    }
    // Dropping the sessions drops their clusters, which kills every server.
    sessions.abort_all();
    while sessions.join_next().await.is_some() {}
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        let listen = match args.as_slice() {
            [_] => "127.0.0.1:0".to_owned(),
            [_, flag, addr] if flag == "--listen" => addr.clone(),
            _ => {
                eprintln!("rmq-testkit: usage: rmq-testkit serve [--listen ADDR]");
                return ExitCode::from(2);
            }
        };
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                emit(&error_reply(format!("cannot start the tokio runtime: {e}")));
                return ExitCode::FAILURE;
            }
        };
        let code = runtime.block_on(serve(&listen));
        runtime.shutdown_background();
        return code;
    }
    let options = match parse_args(&args) {
        Ok(o) => o,
        Err(message) => {
            if message.is_empty() {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            eprintln!("rmq-testkit: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            emit(&error_reply(format!("cannot start the tokio runtime: {e}")));
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(options));
    // Do not wait for the stdin thread, which may sit in a blocking read.
    runtime.shutdown_background();
    code
}
