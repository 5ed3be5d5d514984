//! JSON header serialization (type 0), compatible with fastjson's `RemotingCommand` output
//! (`RemotingSerializable.java`, protocol.md §1.4). Keys are written in fastjson's
//! alphabetical order; on input any order and unknown keys are accepted, numbers may be quoted.

use bytes::BytesMut;
use serde_json::Value;

use crate::codes::LanguageCode;
use crate::command::{RemotingCommand, SerializeType};
use crate::error::{Error, Result};
use crate::ext_fields::ExtFields;

/// Append the JSON header of `cmd` to `dst`.
pub fn encode_header(cmd: &RemotingCommand, dst: &mut BytesMut) {
    let mut out = String::with_capacity(128 + cmd.ext_fields.len() * 24);
    out.push_str("{\"code\":");
    out.push_str(&cmd.code.to_string());
    out.push_str(",\"extFields\":{");
    for (i, (key, value)) in cmd.ext_fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, key);
        out.push(':');
        push_json_string(&mut out, value);
    }
    out.push_str("},\"flag\":");
    out.push_str(&cmd.flag.to_string());
    out.push_str(",\"language\":\"");
    out.push_str(cmd.language.name());
    out.push_str("\",\"opaque\":");
    out.push_str(&cmd.opaque.to_string());
    if let Some(remark) = &cmd.remark {
        out.push_str(",\"remark\":");
        push_json_string(&mut out, remark);
    }
    out.push_str(",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
    out.push_str(&cmd.version.to_string());
    out.push('}');
    dst.extend_from_slice(out.as_bytes());
}

/// Escape `s` as a JSON string literal exactly as fastjson 1.2.69 (the version Java 4.9.4
/// ships) does with its default features (`SerializeWriter.writeStringWithDoubleQuote`,
/// `IOUtils.specicalFlags_doubleQuotes`): `"` and `\` are backslash-escaped; `\b \t \n \f \r`
/// get their short forms; every other control character, DEL..U+009F and U+2028/U+2029 become
/// `\uXXXX` with **uppercase** hex (`\u0001`, `\u000B`, `\u007F`); everything else, non-ASCII
/// included, is written as is (UTF-8). `/` is not escaped.
pub fn push_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('"');
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
                let code = c as u32;
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(char::from(HEX[((code >> shift) & 0xF) as usize]));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

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

fn value_to_string(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Decode a JSON header into a command with an empty body.
pub fn decode_header(header: &[u8]) -> Result<RemotingCommand> {
    let value: Value =
        serde_json::from_slice(header).map_err(|e| Error::protocol("JSON header is not valid JSON").with_source(e))?;
    let Value::Object(obj) = value else {
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
    match obj.get("extFields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                if let Some(v) = value_to_string(value) {
                    ext_fields.insert(key.clone(), v);
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
        remark: obj.get("remark").and_then(value_to_string),
        ext_fields,
        body: bytes::Bytes::new(),
        serialize_type: SerializeType::Json,
    })
}
