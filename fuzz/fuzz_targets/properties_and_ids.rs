//! The properties string, offsetMsgId decoding and zlib inflation (with its size cap).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rocketmq_remoting::message::compression::zlib_decompress;
use rocketmq_remoting::message::{msg_id, Properties};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let props = Properties::decode(&text);
    // Decoding what we encode gives the same map back.
    assert_eq!(Properties::decode(&props.encode()), props);
    let _ = msg_id::decode(&text);
    if let Ok(out) = zlib_decompress(data, 1 << 20) {
        assert!(out.len() <= 1 << 20);
    }
});
