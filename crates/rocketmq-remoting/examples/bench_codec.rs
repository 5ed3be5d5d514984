//! Codec micro-benchmarks, no network (issue #13 §4): what the client spends per message on
//! the wire format alone.
//!
//! Cases, built from the Java 4.9.4 golden frames (tests/fixtures/java-4.9.4):
//! - `send_request`: one send attempt as the producer makes it: the typed
//!   `SendMessageRequestHeaderV2` (fields of the captured SEND_MESSAGE_V2, properties string
//!   included) cloned out of the prepared message, turned into a command with a 1 KiB body and
//!   encoded into the frame's head plus the shared body (`encode_parts`, what the connection
//!   queues);
//! - `header_encode`: the head only (length, header word, JSON header) of that built command;
//!   `header_encode_binary` the same with the ROCKETMQ binary header (`SerializeType::RocketMq`);
//! - `pull_decode`: a PULL_MESSAGE response (the captured header) carrying 32 stored messages
//!   of 1 KiB, decoded as the consumer does: frame, typed header, every stored record.
//!
//! `bench_codec [--iters N] [--case NAME]` prints one JSON line per case with `ns_per_op`
//! (wall time, best of 5 rounds). `bench_codec --case NAME --iters N --quiet` runs exactly N
//! operations of one case and prints nothing: bench/codec_instructions.sh runs it under
//! valgrind at N and 2N and divides the difference of the instruction counts by N
//! (instructions per operation, free of the fixed start-up cost). `--list` names the cases.

use bytes::{Bytes, BytesMut};
use rocketmq_remoting::header::{PullMessageResponseHeader, SendMessageRequestHeaderV2};
use rocketmq_remoting::message::stored::{decode_messages, encode_message_to};
use rocketmq_remoting::{request_code, RemotingCommand, SerializeType};
use std::hint::black_box;
use std::time::Instant;

const SEND_FRAME: &[u8] = include_bytes!("../tests/fixtures/java-4.9.4/a-producer-json/009-c2s-req-310.bin");
const PULL_FRAME: &[u8] = include_bytes!("../tests/fixtures/java-4.9.4/c-push-consumer/036-s2c-resp-0.bin");
const BODY_LEN: usize = 1024;
const PULL_MESSAGES: usize = 32;
const CASES: [&str; 4] = ["send_request", "header_encode", "header_encode_binary", "pull_decode"];

type BoxError = Box<dyn std::error::Error>;

struct Fixtures {
    header: SendMessageRequestHeaderV2,
    body: Bytes,
    built: RemotingCommand,
    built_binary: RemotingCommand,
    pull_frame: Bytes,
}

fn fixtures() -> Result<Fixtures, BoxError> {
    let send = RemotingCommand::decode_with_length(Bytes::from_static(SEND_FRAME))?;
    let header: SendMessageRequestHeaderV2 = send.decode_header()?;
    let body = Bytes::from(vec![b'x'; BODY_LEN]);
    let built = RemotingCommand::request(request_code::SEND_MESSAGE_V2, &header).with_body(body.clone());

    // The captured pull response holds one stored message; repeat it with 1 KiB bodies.
    let pull = RemotingCommand::decode_with_length(Bytes::from_static(PULL_FRAME))?;
    let template = decode_messages(pull.body.clone())?.into_iter().next().ok_or("the pull fixture holds no message")?;
    let mut records = BytesMut::new();
    for i in 0..PULL_MESSAGES {
        let mut msg = template.clone();
        msg.body = body.clone();
        msg.queue_offset = i as i64;
        encode_message_to(&msg, &mut records)?;
    }
    let pull_frame = pull.with_body(records.freeze()).encode_to_bytes()?.slice(4..);
    let built_binary = built.clone().with_serialize_type(SerializeType::RocketMq);
    Ok(Fixtures { header, body, built, built_binary, pull_frame })
}

/// One operation of `case`; returns something derived from the result so it is not optimised away.
fn run_once(case: &str, f: &Fixtures) -> Result<usize, BoxError> {
    match case {
        "send_request" => {
            let cmd = RemotingCommand::request_owned(request_code::SEND_MESSAGE_V2, f.header.clone())
                .with_body(f.body.clone());
            let (head, body) = cmd.encode_parts()?;
            Ok(head.len() + body.len())
        }
        "header_encode" => {
            let mut head = BytesMut::new();
            f.built.encode_head(&mut head)?;
            Ok(head.len())
        }
        "header_encode_binary" => {
            let mut head = BytesMut::new();
            f.built_binary.encode_head(&mut head)?;
            Ok(head.len())
        }
        "pull_decode" => {
            let cmd = RemotingCommand::decode(f.pull_frame.clone())?;
            let header: PullMessageResponseHeader = cmd.decode_header()?;
            let msgs = decode_messages(cmd.body)?;
            Ok(msgs.len() + header.next_begin_offset as usize)
        }
        other => Err(format!("unknown case {other}; cases: {}", CASES.join(", ")).into()),
    }
}

fn run(case: &str, f: &Fixtures, iters: u64) -> Result<usize, BoxError> {
    let mut sink = 0usize;
    for _ in 0..iters {
        sink = sink.wrapping_add(run_once(black_box(case), black_box(f))?);
    }
    Ok(black_box(sink))
}

fn main() -> Result<(), BoxError> {
    let mut iters: u64 = 200_000;
    let mut only: Option<String> = None;
    let mut quiet = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--iters" => iters = args.next().ok_or("--iters needs a value")?.parse()?,
            "--case" => only = Some(args.next().ok_or("--case needs a value")?),
            "--quiet" => quiet = true,
            "--list" => {
                println!("{}", CASES.join("\n"));
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let f = fixtures()?;
    let cases: Vec<&str> = match &only {
        Some(case) => vec![case.as_str()],
        None => CASES.to_vec(),
    };
    for case in cases {
        if quiet {
            run(case, &f, iters)?;
            continue;
        }
        // Per-message cases scale down the pull case (32 messages per op).
        let n = if case == "pull_decode" { (iters / 32).max(1) } else { iters };
        run(case, &f, n / 10)?; // warm-up
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let started = Instant::now();
            run(case, &f, n)?;
            best = best.min(started.elapsed().as_nanos() as f64 / n as f64);
        }
        let per_msg = if case == "pull_decode" { best / PULL_MESSAGES as f64 } else { best };
        println!("{{\"mode\": \"{case}\", \"ns_per_op\": {best:.1}, \"ns_per_msg\": {per_msg:.1}, \"iters\": {n}}}");
    }
    Ok(())
}
