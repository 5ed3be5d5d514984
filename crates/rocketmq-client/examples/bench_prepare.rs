//! The producer's per-send work before the wire, no network (issue #13 §3/§4): `prepare_single`
//! (UNIQ_KEY, sysFlag, the properties string) of a message shaped like the captured Java 4.9.4
//! send (tag, keys, two user properties, non-ASCII text) with a 1 KiB body.
//!
//! `bench_prepare [--iters N]` prints one JSON line with `ns_per_op` (best of 5 rounds);
//! `bench_prepare --case prepare_single --iters N --quiet` runs exactly N operations for
//! bench/codec_instructions.sh (instructions per operation with valgrind); `--list` names the
//! cases.

use rocketmq_client::producer::prepare::prepare_single;
use rocketmq_client::{Message, ProducerOptions};
use std::hint::black_box;
use std::time::Instant;

type BoxError = Box<dyn std::error::Error>;

fn message() -> Result<Message, BoxError> {
    let mut msg = Message::new("GoldenTopicA", vec![b'x'; 1024]);
    msg.set_tags("TagA");
    msg.set_keys("order-1001 user-42");
    msg.put_user_property("a", "7")?;
    msg.put_user_property("color", "red")?;
    msg.put_user_property("unicode", "héllo-世界")?;
    Ok(msg)
}

fn run(msg: &Message, options: &ProducerOptions, iters: u64) -> Result<usize, BoxError> {
    let mut sink = 0usize;
    for _ in 0..iters {
        let prepared = prepare_single(black_box(msg), options)?;
        sink = sink.wrapping_add(prepared.properties.len() + prepared.body.len());
    }
    Ok(black_box(sink))
}

fn main() -> Result<(), BoxError> {
    let mut iters: u64 = 200_000;
    let mut quiet = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--iters" => iters = args.next().ok_or("--iters needs a value")?.parse()?,
            "--case" => {
                let case = args.next().ok_or("--case needs a value")?;
                if case != "prepare_single" {
                    return Err(format!("unknown case {case}; cases: prepare_single").into());
                }
            }
            "--quiet" => quiet = true,
            "--list" => {
                println!("prepare_single");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let msg = message()?;
    let options = ProducerOptions::new("GoldenProducerGroup");
    if quiet {
        run(&msg, &options, iters)?;
        return Ok(());
    }
    run(&msg, &options, iters / 10)?;
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let started = Instant::now();
        run(&msg, &options, iters)?;
        best = best.min(started.elapsed().as_nanos() as f64 / iters as f64);
    }
    println!(
        "{{\"mode\": \"prepare_single\", \"ns_per_op\": {best:.1}, \"ns_per_msg\": {best:.1}, \"iters\": {iters}}}"
    );
    Ok(())
}
