//! Whole frames (with their length prefix, as in the golden fixtures) and frames without it.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rocketmq_remoting::header::{PullMessageResponseHeader, SendMessageRequestHeaderV2};
use rocketmq_remoting::RemotingCommand;

fuzz_target!(|data: &[u8]| {
    let frame = Bytes::copy_from_slice(data);
    if let Ok(cmd) = RemotingCommand::decode_with_length(frame.clone()) {
        let _ = cmd.decode_header::<SendMessageRequestHeaderV2>();
        let _ = cmd.decode_header::<PullMessageResponseHeader>();
        // What decoded must encode, and decode again to the same fields. (The language is left
        // out: a JSON header may name an unknown language, which re-encodes as "OTHER".)
        if let Ok(encoded) = cmd.encode_to_bytes() {
            let again = RemotingCommand::decode_with_length(encoded);
            assert!(again.is_ok_and(|c| (c.code, c.opaque, c.flag, c.version)
                == (cmd.code, cmd.opaque, cmd.flag, cmd.version)
                && c.remark == cmd.remark
                && c.ext_fields == cmd.ext_fields
                && c.body == cmd.body));
        }
    }
    if frame.len() >= 4 {
        let _ = RemotingCommand::decode(frame.slice(4..));
    }
});
