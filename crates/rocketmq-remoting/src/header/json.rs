//! JSON header serialization (type 0), compatible with fastjson's `RemotingCommand` output
//! (`RemotingSerializable.java`, protocol.md §1.4). Keys are written in fastjson's
//! alphabetical order; on input any order and unknown keys are accepted, numbers may be quoted.

use bytes::{BufMut, BytesMut};
use serde_json::Value;

use crate::codes::LanguageCode;
use crate::command::{RemotingCommand, SerializeType};
use crate::error::{Error, Result};
use crate::ext_fields::ExtFields;

/// Append the JSON header of `cmd` to `dst`, written straight into the frame buffer (no
/// intermediate string; runs of characters that need no escaping are copied in one piece).
pub fn encode_header(cmd: &RemotingCommand, dst: &mut BytesMut) {
    dst.reserve(encoded_len_hint(cmd));
    dst.put_slice(b"{\"code\":");
    put_int(dst, cmd.code);
    dst.put_slice(b",\"extFields\":{");
    for (i, (key, value)) in cmd.ext_fields.iter().enumerate() {
        if i > 0 {
            dst.put_u8(b',');
        }
        put_json_string(dst, key);
        dst.put_u8(b':');
        put_json_string(dst, value);
    }
    dst.put_slice(b"},\"flag\":");
    put_int(dst, cmd.flag);
    dst.put_slice(b",\"language\":\"");
    dst.put_slice(cmd.language.name().as_bytes());
    dst.put_slice(b"\",\"opaque\":");
    put_int(dst, cmd.opaque);
    if let Some(remark) = &cmd.remark {
        dst.put_slice(b",\"remark\":");
        put_json_string(dst, remark);
    }
    dst.put_slice(b",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
    put_int(dst, cmd.version);
    dst.put_u8(b'}');
}

/// About the length of the JSON header of `cmd`, a little over for a few escapes (property
/// strings hold two separators, six bytes each once escaped, per pair), so that the header
/// usually fits one allocation.
pub fn encoded_len_hint(cmd: &RemotingCommand) -> usize {
    let fields: usize = cmd.ext_fields.iter().map(|(k, v)| k.len() + v.len() + 6 + v.len() / 4).sum();
    160 + fields + cmd.remark.as_ref().map_or(0, |r| r.len() + 12)
}

fn put_int(dst: &mut impl BufMut, value: i32) {
    dst.put_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// Escape `s` as a JSON string literal exactly as fastjson 1.2.69 (the version Java 4.9.4
/// ships) does with its default features (`SerializeWriter.writeStringWithDoubleQuote`,
/// `IOUtils.specicalFlags_doubleQuotes`): `"` and `\` are backslash-escaped; `\b \t \n \f \r`
/// get their short forms; every other control character, DEL..U+009F and U+2028/U+2029 become
/// `\uXXXX` with **uppercase** hex (`\u0001`, `\u000B`, `\u007F`); everything else, non-ASCII
/// included, is written as is (UTF-8). `/` is not escaped.
pub fn push_json_string(out: &mut String, s: &str) {
    let mut buf = Vec::with_capacity(s.len() + 2);
    put_json_string(&mut buf, s);
    // Only whole characters are copied or replaced by ASCII escapes: still valid UTF-8.
    out.push_str(&String::from_utf8_lossy(&buf));
}

/// [`push_json_string`] into a byte buffer. Works on the UTF-8 bytes: the characters to escape
/// are single bytes (ASCII), `C2 80..C2 9F` (U+0080..U+009F) and `E2 80 A8/A9` (U+2028/9),
/// so every other byte, including the rest of any multi-byte character, is copied unchanged.
pub fn put_json_string(dst: &mut impl BufMut, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = s.as_bytes();
    dst.put_u8(b'"');
    let mut run = 0; // start of the bytes not written yet
    let mut i = 0;
    while let Some(at) = next_candidate(bytes, i) {
        i = at;
        let b = bytes[i];
        // (length in bytes of the input character, its code point) for a character to escape.
        let escape = match b {
            0xC2 => match bytes.get(i + 1) {
                Some(&next @ 0x80..=0x9F) => Some((2, u32::from(next))),
                _ => None,
            },
            0xE2 => match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(0x80), Some(&last @ (0xA8 | 0xA9))) => Some((3, 0x2000 | u32::from(last - 0x80))),
                _ => None,
            },
            _ => Some((1, u32::from(b))),
        };
        let Some((len, code)) = escape else {
            i += 1;
            continue;
        };
        dst.put_slice(&bytes[run..i]);
        match code {
            0x22 => dst.put_slice(b"\\\""),
            0x5C => dst.put_slice(b"\\\\"),
            0x08 => dst.put_slice(b"\\b"),
            0x09 => dst.put_slice(b"\\t"),
            0x0A => dst.put_slice(b"\\n"),
            0x0C => dst.put_slice(b"\\f"),
            0x0D => dst.put_slice(b"\\r"),
            _ => {
                let hex = |shift: u32| HEX[((code >> shift) & 0xF) as usize];
                dst.put_slice(&[b'\\', b'u', hex(12), hex(8), hex(4), hex(0)]);
            }
        }
        i += len;
        run = i;
    }
    dst.put_slice(&bytes[run..]);
    dst.put_u8(b'"');
}

/// The index of the first byte at or after `from` that may start a character to escape. Eight
/// bytes at a time while they are plain ASCII (a word test without branches per byte), then a
/// table look-up per byte.
fn next_candidate(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A high bit per byte of `v` that is zero (exact for the lowest such byte, enough here).
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let word = <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes);
        let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
        let flagged = below_space
            | zero(word ^ (ONES * u64::from(b'"')))
            | zero(word ^ (ONES * u64::from(b'\\')))
            | zero(word ^ (ONES * 0x7F))
            | (word & HIGH);
        if flagged != 0 {
            if let Some(at) = chunk.iter().position(|&b| MAY_ESCAPE[usize::from(b)]) {
                return Some(i + at);
            }
        }
        i += 8;
    }
    bytes.get(i..)?.iter().position(|&b| MAY_ESCAPE[usize::from(b)]).map(|at| i + at)
}

/// Bytes that may start a character to escape: ASCII controls, `"`, `\\`, DEL, and the lead
/// bytes of U+0080..U+009F (`C2`) and U+2028/U+2029 (`E2`), checked further by the caller.
static MAY_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[0x7F] = true;
    table[0xC2] = true;
    table[0xE2] = true;
    table
};

fn int_field(obj: &serde_json::Map<String, Value>, key: &str, default: i64) -> Result<i64> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => {
            n.as_i64().ok_or_else(|| Error::protocol(format!("JSON header field '{key}' is not an integer: {n}")))
        }
        Some(Value::String(s)) => {
            s.trim().parse().map_err(|_| Error::protocol(format!("JSON header field '{key}' is not an integer: {s:?}")))
        }
        Some(other) => Err(Error::protocol(format!("JSON header field '{key}' has type {other}"))),
    }
}

fn value_to_string(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// Decode a JSON header into a command with an empty body.
pub fn decode_header(header: &[u8]) -> Result<RemotingCommand> {
    let value: Value =
        serde_json::from_slice(header).map_err(|e| Error::protocol("JSON header is not valid JSON").with_source(e))?;
    let Value::Object(mut obj) = value else {
        return Err(Error::protocol("JSON header is not an object"));
    };
    let narrow = |key: &str, v: i64| -> Result<i32> {
        i32::try_from(v).map_err(|_| Error::protocol(format!("JSON header field '{key}' out of range: {v}")))
    };
    let language = match obj.get("language") {
        Some(Value::String(name)) => LanguageCode::from_name(name),
        Some(Value::Number(n)) => LanguageCode::from_code(n.as_u64().unwrap_or(255).min(255) as u8),
        _ => LanguageCode::Java,
    };
    let mut ext_fields = ExtFields::new();
    match obj.remove("extFields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                if let Some(v) = value_to_string(value) {
                    ext_fields.insert(key, v);
                }
            }
        }
        Some(other) => return Err(Error::protocol(format!("JSON header extFields has type {other}"))),
    }
    Ok(RemotingCommand {
        code: narrow("code", int_field(&obj, "code", 0)?)?,
        language,
        version: narrow("version", int_field(&obj, "version", 0)?)?,
        opaque: narrow("opaque", int_field(&obj, "opaque", 0)?)?,
        flag: narrow("flag", int_field(&obj, "flag", 0)?)?,
        remark: obj.remove("remark").and_then(value_to_string),
        ext_fields,
        body: bytes::Bytes::new(),
        serialize_type: SerializeType::Json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The escaping rules written char by char, as the encoder did before it worked on bytes.
    fn reference(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{8}' => out.push_str("\\b"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\u{c}' => out.push_str("\\f"),
                '\r' => out.push_str("\\r"),
                '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' => {
                    out.push_str(&format!("\\u{:04X}", c as u32));
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn byte_escaping_matches_the_char_rules_for_every_char_up_to_u_3000_and_beyond() {
        let chars = (0u32..0x3000).chain([0xFFFF, 0x1F600, 0x10FFFF]).filter_map(char::from_u32);
        for c in chars {
            for s in [c.to_string(), format!("a{c}b"), format!("{c}{c}\u{2029}x")] {
                let mut out = String::new();
                push_json_string(&mut out, &s);
                assert_eq!(out, reference(&s), "escaping of U+{:04X}", c as u32);
            }
        }
    }
}
