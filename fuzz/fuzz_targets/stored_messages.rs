//! PULL / QUERY / VIEW bodies (stored messages) and SEND_BATCH_MESSAGE bodies.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rocketmq_remoting::message::{decode_batch, decode_messages, encode_message};

fuzz_target!(|data: &[u8]| {
    let body = Bytes::copy_from_slice(data);
    if let Ok(msgs) = decode_messages(body.clone()) {
        for msg in &msgs {
            let _ = msg.msg_id();
            let _ = encode_message(msg);
        }
    }
    let _ = decode_batch(body);
});
