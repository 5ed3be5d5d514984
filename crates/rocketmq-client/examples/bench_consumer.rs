//! Consumer benchmark of the Rust core alone, the reference for the Python figures.
//!
//! `bench_consumer --namesrv ADDR --topic T --mode drain|lite-drain|latency [--count N] [--rate R] [--body B]`
//! - drain: the topic already holds `count` messages; consume them all from the first offset
//!   and report msg/s from start() to the last message.
//! - lite-drain: the same backlog through `LitePullConsumer::poll` (pull batch 32).
//! - latency: send `count` messages at `rate` msg/s, each carrying its send time; report the
//!   send-to-listener latency percentiles.
//!
//! Prints one JSON object on stdout; the drains with `cpu_us`, this process's CPU time per
//! message (user + system, all threads, from `start()`; the broker runs in another process).

use rocketmq_client::consumer::{ConsumeContext, ConsumeFromWhere};
use rocketmq_client::{
    ClientOptions, ConsumeResult, ConsumerOptions, LitePullConsumer, LitePullOptions, Message, MessageExt, Producer,
    ProducerOptions, PushConsumer,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

mod common;
use common::{cpu_us_json, process_cpu_secs};

struct Args {
    namesrv: String,
    topic: String,
    mode: String,
    count: usize,
    rate: u64,
    body: usize,
    group: String,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        namesrv: String::new(),
        topic: String::new(),
        mode: "drain".into(),
        count: 100_000,
        rate: 1000,
        body: 1024,
        group: format!("bench_rust_consumer_{}", std::process::id()),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = || value.parse::<u64>().map_err(|_| format!("{flag}: not a number: {value}"));
        match flag.as_str() {
            "--namesrv" => a.namesrv = value.clone(),
            "--topic" => a.topic = value.clone(),
            "--mode" => a.mode = value.clone(),
            "--group" => a.group = value.clone(),
            "--count" => a.count = num()? as usize,
            "--rate" => a.rate = num()?.max(1),
            "--body" => a.body = num()? as usize,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.namesrv.is_empty() || a.topic.is_empty() {
        return Err("--namesrv and --topic are required".into());
    }
    Ok(a)
}

fn epoch_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench_consumer: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(args).await {
        eprintln!("bench_consumer: {e}");
        std::process::exit(1);
    }
}

/// Drain the backlog by polling a lite-pull consumer.
async fn lite_drain(args: &Args, client: ClientOptions) -> rocketmq_client::Result<()> {
    let mut options = LitePullOptions::new(&args.group);
    options.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    options.pull_batch_size = 32;
    let consumer = LitePullConsumer::new(options, client);
    consumer.subscribe(&args.topic, "*").await?;
    let cpu = process_cpu_secs();
    let started = Instant::now();
    consumer.start().await?;
    let mut got = 0usize;
    let deadline = Instant::now() + Duration::from_secs(600);
    while got < args.count && Instant::now() < deadline {
        got += consumer.poll(Duration::from_secs(5)).await?.len();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_us = cpu_us_json(cpu, got);
    println!(
        "{{\"mode\":\"lite-drain\",\"count\":{got},\"cpu_us\":{cpu_us},\"msg_per_s\":{:.1},\"seconds\":{elapsed:.3}}}",
        got as f64 / elapsed
    );
    consumer.shutdown().await;
    Ok(())
}

async fn run(args: Args) -> rocketmq_client::Result<()> {
    let mut client = ClientOptions::default();
    client.set_namesrv_addr(&args.namesrv)?;
    if args.mode == "lite-drain" {
        return lite_drain(&args, client).await;
    }
    let mut options = ConsumerOptions::new(&args.group);
    options.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let consumer = PushConsumer::new(options, client.clone());
    consumer.subscribe(&args.topic, "*")?;
    let (count_tx, mut count_rx) = watch::channel(0usize);
    let latencies = Arc::new(Mutex::new(Vec::<f64>::with_capacity(args.count)));
    let sink = latencies.clone();
    let measure = args.mode == "latency";
    consumer.register_listener(move |msgs: &[MessageExt], _: &ConsumeContext| {
        if measure {
            let now = epoch_ns();
            let mut l = sink.lock().unwrap_or_else(|p| p.into_inner());
            for m in msgs {
                let sent: u128 = std::str::from_utf8(&m.body[..m.body.len().min(20)])
                    .ok()
                    .and_then(|s| s.trim_end_matches('x').parse().ok())
                    .unwrap_or(now);
                l.push(now.saturating_sub(sent) as f64 / 1e6);
            }
        }
        count_tx.send_modify(|n| *n += msgs.len());
        ConsumeResult::Success
    })?;
    let cpu = process_cpu_secs();
    let started = Instant::now();
    consumer.start().await?;
    if args.mode == "drain" {
        let _ = tokio::time::timeout(Duration::from_secs(600), count_rx.wait_for(|n| *n >= args.count)).await;
        let elapsed = started.elapsed().as_secs_f64();
        let got = *count_rx.borrow();
        let cpu_us = cpu_us_json(cpu, got);
        println!(
            "{{\"mode\":\"drain\",\"count\":{got},\"cpu_us\":{cpu_us},\"msg_per_s\":{:.1},\"seconds\":{elapsed:.3}}}",
            got as f64 / elapsed
        );
    } else {
        let producer = Producer::new(ProducerOptions::new(format!("{}_p", args.group)), client);
        producer.start().await?;
        // Let the consumer own its queues before the clock starts.
        producer.send(&Message::new(&args.topic, format!("{:020}", epoch_ns()))).await?;
        let _ = tokio::time::timeout(Duration::from_secs(30), count_rx.wait_for(|n| *n >= 1)).await;
        latencies.lock().unwrap_or_else(|p| p.into_inner()).clear();
        let base = *count_rx.borrow();
        let interval = Duration::from_nanos(1_000_000_000 / args.rate);
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        for _ in 0..args.count {
            ticker.tick().await;
            let mut body = format!("{:020}", epoch_ns()).into_bytes();
            body.resize(args.body.max(20), b'x');
            producer.send(&Message::new(&args.topic, body)).await?;
        }
        let _ = tokio::time::timeout(Duration::from_secs(60), count_rx.wait_for(|n| *n >= base + args.count)).await;
        producer.shutdown().await;
        let mut l = latencies.lock().unwrap_or_else(|p| p.into_inner()).clone();
        l.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{{\"mode\":\"latency\",\"count\":{},\"rate\":{},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"p999_ms\":{:.3},\"max_ms\":{:.3}}}",
            l.len(),
            args.rate,
            percentile(&l, 0.5),
            percentile(&l, 0.99),
            percentile(&l, 0.999),
            l.last().copied().unwrap_or(0.0)
        );
    }
    consumer.shutdown().await;
    Ok(())
}
