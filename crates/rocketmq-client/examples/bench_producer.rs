//! Producer benchmark of the Rust core alone, the reference for the Python figures.
//!
//! `bench_producer --namesrv ADDR --topic T [--count N] [--body BYTES] [--window W] [--batch B]`
//! runs, in order: sync sends from one task (latency percentiles), windowed async sends
//! (throughput), batch sends (throughput). Prints one JSON object per mode on stdout.

use rocketmq_client::{ClientOptions, Message, Producer, ProducerOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    namesrv: String,
    topic: String,
    count: usize,
    body: usize,
    window: usize,
    batch: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a =
        Args { namesrv: String::new(), topic: String::new(), count: 20_000, body: 1024, window: 256, batch: 32 };
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

async fn run(args: Args) -> rocketmq_client::Result<()> {
    let mut client = ClientOptions::default();
    client.set_namesrv_addr(&args.namesrv)?;
    let producer = Producer::new(ProducerOptions::new("bench_rust_producer"), client);
    producer.start().await?;
    let body = vec![b'x'; args.body];
    let msg = Message::new(&args.topic, body.clone());
    for _ in 0..200 {
        producer.send(&msg).await?; // warm-up: routes, connections
    }

    // Sync: one at a time.
    let mut lat = Vec::with_capacity(args.count);
    let started = Instant::now();
    for _ in 0..args.count {
        let t = Instant::now();
        producer.send(&msg).await?;
        lat.push(t.elapsed());
    }
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "{{\"mode\":\"sync\",\"count\":{},\"msg_per_s\":{:.1},\"p50_ms\":{:.4},\"p99_ms\":{:.4},\"p999_ms\":{:.4}}}",
        args.count,
        args.count as f64 / elapsed,
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        percentile(&lat, 0.999)
    );

    // Async: a window of in-flight sends.
    let sem = Arc::new(tokio::sync::Semaphore::new(args.window));
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
    println!(
        "{{\"mode\":\"async\",\"count\":{},\"failed\":{failed},\"window\":{},\"msg_per_s\":{:.1}}}",
        args.count,
        args.window,
        args.count as f64 / elapsed
    );

    // Batch.
    let batch: Vec<Message> = (0..args.batch).map(|_| Message::new(&args.topic, body.clone())).collect();
    let rounds = (args.count / args.batch).max(1);
    let started = Instant::now();
    for _ in 0..rounds {
        producer.send_batch(&batch).await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{{\"mode\":\"batch\",\"count\":{},\"batch\":{},\"msg_per_s\":{:.1}}}",
        rounds * args.batch,
        args.batch,
        (rounds * args.batch) as f64 / elapsed
    );
    producer.shutdown().await;
    Ok(())
}
