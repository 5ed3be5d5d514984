//! Producer benchmark of the Rust core alone, the reference for the Python figures.
//!
//! `bench_producer --namesrv ADDR --topic T [--count N] [--body BYTES] [--window W] [--batch B]
//! [--txn-count N] [--rr-count N]` runs, in order: sync sends from one task (latency
//! percentiles), windowed async sends (throughput), batch sends (throughput), transactional
//! sends from one task (committed by the local transaction; throughput, compared with the sync
//! sends), request-reply round trips from one task (a lite-pull replier answering with its own
//! producer; latency percentiles); between the async and batch sends, the async sends again with
//! auto-batching on (`--auto-window`, twice the messages). Prints one JSON object per mode on
//! stdout; the sync, async, auto-batched and batch modes with `cpu_us`: this process's CPU time
//! (user + system, all threads) per message of that mode, from `/proc/self/stat` (Linux; clock
//! ticks of 10 ms, so runs of a few seconds are needed); `null` elsewhere.

use rocketmq_client::consumer::ConsumeFromWhere;
use rocketmq_client::producer::transaction::StateFuture;
use rocketmq_client::{
    create_reply_message, ClientOptions, LitePullConsumer, LitePullOptions, LocalTransactionState, Message, MessageExt,
    Producer, ProducerOptions, TransactionChecker, TransactionProducer,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::{cpu_us_json, process_cpu_secs};

struct Args {
    namesrv: String,
    topic: String,
    count: usize,
    body: usize,
    window: usize,
    batch: usize,
    auto_window: usize,
    txn_count: usize,
    rr_count: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        namesrv: String::new(),
        topic: String::new(),
        count: 20_000,
        body: 1024,
        window: 256,
        batch: 32,
        auto_window: 2048,
        txn_count: 5_000,
        rr_count: 2_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = || value.parse::<usize>().map_err(|_| format!("{flag}: not a number: {value}"));
        match flag.as_str() {
            "--namesrv" => a.namesrv = value.clone(),
            "--topic" => a.topic = value.clone(),
            "--count" => a.count = num()?,
            "--body" => a.body = num()?,
            "--window" => a.window = num()?.max(1),
            "--batch" => a.batch = num()?.max(1),
            "--auto-window" => a.auto_window = num()?.max(1),
            "--txn-count" => a.txn_count = num()?.max(1),
            "--rr-count" => a.rr_count = num()?.max(1),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.namesrv.is_empty() || a.topic.is_empty() {
        return Err("--namesrv and --topic are required".into());
    }
    Ok(a)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)].as_secs_f64() * 1e3
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench_producer: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(args).await {
        eprintln!("bench_producer: {e}");
        std::process::exit(1);
    }
}

fn producer_client(args: &Args) -> rocketmq_client::Result<ClientOptions> {
    let mut client = ClientOptions::default();
    client.set_namesrv_addr(&args.namesrv)?;
    Ok(client)
}

async fn run(args: Args) -> rocketmq_client::Result<()> {
    let producer = Producer::new(ProducerOptions::new("bench_rust_producer"), producer_client(&args)?);
    producer.start().await?;
    let body = vec![b'x'; args.body];
    let msg = Message::new(&args.topic, body.clone());
    for _ in 0..200 {
        producer.send(&msg).await?; // warm-up: routes, connections
    }

    // Sync: one at a time.
    let mut lat = Vec::with_capacity(args.count);
    let cpu = process_cpu_secs();
    let started = Instant::now();
    for _ in 0..args.count {
        let t = Instant::now();
        producer.send(&msg).await?;
        lat.push(t.elapsed());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_us = cpu_us_json(cpu, args.count);
    lat.sort();
    println!(
        "{{\"mode\":\"sync\",\"count\":{},\"cpu_us\":{cpu_us},\"msg_per_s\":{:.1},\"p50_ms\":{:.4},\"p99_ms\":{:.4},\"p999_ms\":{:.4}}}",
        args.count,
        args.count as f64 / elapsed,
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        percentile(&lat, 0.999)
    );

    // Async: a window of in-flight sends.
    let sem = Arc::new(tokio::sync::Semaphore::new(args.window));
    let cpu = process_cpu_secs();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.count);
    for _ in 0..args.count {
        let permit =
            sem.clone().acquire_owned().await.map_err(|_| rocketmq_client::Error::config("semaphore closed"))?;
        let p = producer.clone();
        let m = msg.clone();
        tasks.push(tokio::spawn(async move {
            let r = p.send_async(&m).await;
            drop(permit);
            r
        }));
    }
    let mut failed = 0usize;
    for t in tasks {
        if !matches!(t.await, Ok(Ok(_))) {
            failed += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_us = cpu_us_json(cpu, args.count);
    println!(
        "{{\"mode\":\"async\",\"count\":{},\"cpu_us\":{cpu_us},\"failed\":{failed},\"window\":{},\"msg_per_s\":{:.1}}}",
        args.count,
        args.window,
        args.count as f64 / elapsed
    );

    // Async with auto-batching (`ProducerOptions::auto_batch`): twice the messages, a larger window.
    let mut options = ProducerOptions::new("bench_rust_auto");
    options.auto_batch = true;
    let auto = Producer::new(options, producer_client(&args)?);
    auto.start().await?;
    for _ in 0..200 {
        auto.send(&msg).await?;
    }
    let count = args.count * 2;
    let sem = Arc::new(tokio::sync::Semaphore::new(args.auto_window));
    let cpu = process_cpu_secs();
    let started = Instant::now();
    // Completion callbacks (`send_async_with`), as the Python `send_async` uses: a held
    // message costs no task.
    let shared = Arc::new(msg.clone());
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<bool>();
    for _ in 0..count {
        let permit =
            sem.clone().acquire_owned().await.map_err(|_| rocketmq_client::Error::config("semaphore closed"))?;
        let done = done_tx.clone();
        auto.send_async_with(shared.clone(), move |r| {
            drop(permit);
            let _ = done.send(r.is_ok());
        });
    }
    let mut failed = 0usize;
    for _ in 0..count {
        if done_rx.recv().await != Some(true) {
            failed += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_us = cpu_us_json(cpu, count);
    println!(
        "{{\"mode\":\"async_auto\",\"count\":{count},\"cpu_us\":{cpu_us},\"failed\":{failed},\"window\":{},\"msg_per_s\":{:.1}}}",
        args.auto_window,
        count as f64 / elapsed
    );
    auto.shutdown().await;

    // Batch.
    let batch: Vec<Message> = (0..args.batch).map(|_| Message::new(&args.topic, body.clone())).collect();
    let rounds = (args.count / args.batch).max(1);
    let cpu = process_cpu_secs();
    let started = Instant::now();
    for _ in 0..rounds {
        producer.send_batch(&batch).await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_us = cpu_us_json(cpu, rounds * args.batch);
    println!(
        "{{\"mode\":\"batch\",\"count\":{},\"cpu_us\":{cpu_us},\"batch\":{},\"msg_per_s\":{:.1}}}",
        rounds * args.batch,
        args.batch,
        (rounds * args.batch) as f64 / elapsed
    );

    transactions(&args, &body).await?;
    request_reply(&args, &producer).await?;
    producer.shutdown().await;
    Ok(())
}

/// Commits whatever it is asked about (the bench's local transactions all commit).
struct CommitAll;

impl TransactionChecker for CommitAll {
    fn check(&self, _msg: MessageExt) -> StateFuture {
        Box::pin(async { LocalTransactionState::CommitMessage })
    }
}

/// Transactional sends, one at a time: half message, local transaction (commit), oneway end.
async fn transactions(args: &Args, body: &[u8]) -> rocketmq_client::Result<()> {
    let mut client = ClientOptions::default();
    client.set_namesrv_addr(&args.namesrv)?;
    let producer = TransactionProducer::new(ProducerOptions::new("bench_rust_txn"), client, Arc::new(CommitAll));
    producer.start().await?;
    let msg = Message::new(&args.topic, body.to_vec());
    let commit = |_m: Message, _r| async { LocalTransactionState::CommitMessage };
    for _ in 0..100 {
        producer.send_message_in_transaction(&msg, commit).await?;
    }
    let started = Instant::now();
    for _ in 0..args.txn_count {
        producer.send_message_in_transaction(&msg, commit).await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("{{\"mode\":\"txn\",\"count\":{},\"msg_per_s\":{:.1}}}", args.txn_count, args.txn_count as f64 / elapsed);
    producer.shutdown().await;
    Ok(())
}

/// Request-reply round trips, one at a time, against a lite-pull replier that answers each
/// request (tag `rr`) with its own producer.
async fn request_reply(args: &Args, requester: &Producer) -> rocketmq_client::Result<()> {
    let mut client = ClientOptions::default();
    client.set_namesrv_addr(&args.namesrv)?;
    let reply_sender = Producer::new(ProducerOptions::new("bench_rust_replier_p"), client.clone());
    reply_sender.start().await?;
    let mut options = LitePullOptions::new("bench_rust_replier");
    // From the first offset, so no request is missed while the replier is being assigned its
    // queues; the tag keeps the other modes' messages out.
    options.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    options.poll_timeout = Duration::from_millis(100);
    let replier = LitePullConsumer::new(options, client);
    replier.subscribe(&args.topic, "rr").await?;
    replier.start().await?;
    let stop = Arc::new(AtomicBool::new(false));
    let serving = {
        let stop = stop.clone();
        let replier = replier.clone();
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let Ok(msgs) = replier.poll(Duration::from_millis(100)).await else { continue };
                for m in msgs {
                    if let Ok(reply) = create_reply_message(&m, m.body.clone()) {
                        let _ = reply_sender.send(&reply).await;
                    }
                }
            }
            reply_sender.shutdown().await;
        })
    };
    let mut msg = Message::new(&args.topic, vec![b'r'; args.body]);
    msg.set_tags("rr");
    let timeout = Duration::from_secs(10);
    for _ in 0..50 {
        requester.request(&msg, timeout).await?; // warm-up: the replier's assignment, routes
    }
    let mut lat = Vec::with_capacity(args.rr_count);
    let started = Instant::now();
    for _ in 0..args.rr_count {
        let t = Instant::now();
        requester.request(&msg, timeout).await?;
        lat.push(t.elapsed());
    }
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "{{\"mode\":\"request_reply\",\"count\":{},\"per_s\":{:.1},\"p50_ms\":{:.4},\"p99_ms\":{:.4}}}",
        args.rr_count,
        args.rr_count as f64 / elapsed,
        percentile(&lat, 0.50),
        percentile(&lat, 0.99)
    );
    stop.store(true, Ordering::SeqCst);
    let _ = serving.await;
    replier.shutdown().await;
    Ok(())
}
