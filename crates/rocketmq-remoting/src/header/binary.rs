//! ROCKETMQ binary header serialization (type 1): `RocketMQSerializable.java`, protocol.md §1.5.
//!
//! ```text
//! i16 code | u8 language | i16 version | i32 opaque | i32 flag
//! i32 remark_len | remark | i32 ext_len | { i16 key_len, key, i32 val_len, val }*
//! ```
//! A zero-length string decodes as absent, as in Java 4.9.4+.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::codes::LanguageCode;
use crate::command::{RemotingCommand, SerializeType};
use crate::error::{Error, ErrorKind, Result};
use crate::ext_fields::ExtFields;

const FIXED_LEN: usize = 2 + 1 + 2 + 4 + 4;

fn encode_err(message: String) -> Error {
    Error::new(ErrorKind::Encode, message)
}

/// The length of the binary header of `cmd` (what [`encode_header`] appends).
pub fn encoded_len(cmd: &RemotingCommand) -> usize {
    let fields: usize = cmd.ext_fields.iter().filter(|(k, _)| !k.is_empty()).map(|(k, v)| 6 + k.len() + v.len()).sum();
    FIXED_LEN + 4 + cmd.remark.as_ref().map_or(0, String::len) + 4 + fields
}

/// Append the binary header of `cmd` to `dst`.
pub fn encode_header(cmd: &RemotingCommand, dst: &mut BytesMut) -> Result<()> {
    let code = i16::try_from(cmd.code)
        .map_err(|_| encode_err(format!("code {} does not fit the binary header (use JSON)", cmd.code)))?;
    let version = i16::try_from(cmd.version)
        .map_err(|_| encode_err(format!("version {} does not fit the binary header", cmd.version)))?;
    dst.put_i16(code);
    dst.put_u8(cmd.language.code());
    dst.put_i16(version);
    dst.put_i32(cmd.opaque);
    dst.put_i32(cmd.flag);
    match &cmd.remark {
        Some(remark) if !remark.is_empty() => {
            dst.put_i32(remark.len() as i32);
            dst.extend_from_slice(remark.as_bytes());
        }
        _ => dst.put_i32(0),
    }
    let len_pos = dst.len();
    dst.put_i32(0);
    let map_start = dst.len();
    for (key, value) in cmd.ext_fields.iter() {
        if key.is_empty() {
            continue;
        }
        let key_len = i16::try_from(key.len())
            .map_err(|_| encode_err(format!("ext field key of {} bytes is too long", key.len())))?;
        dst.put_i16(key_len);
        dst.extend_from_slice(key.as_bytes());
        dst.put_i32(value.len() as i32);
        dst.extend_from_slice(value.as_bytes());
    }
    let map_len = (dst.len() - map_start) as i32;
    dst[len_pos..len_pos + 4].copy_from_slice(&map_len.to_be_bytes());
    Ok(())
}

fn read_len(buf: &mut Bytes, what: &str, width: usize) -> Result<usize> {
    if buf.remaining() < width {
        return Err(Error::protocol(format!("binary header truncated before {what} length")));
    }
    let len = if width == 2 { i64::from(buf.get_i16()) } else { i64::from(buf.get_i32()) };
    if len < 0 || len as usize > buf.remaining() {
        return Err(Error::protocol(format!(
            "binary header {what} length {len} exceeds the {} bytes left",
            buf.remaining()
        )));
    }
    Ok(len as usize)
}

fn read_string(buf: &mut Bytes, len: usize, what: &str) -> Result<String> {
    let raw = buf.split_to(len);
    String::from_utf8(raw.to_vec())
        .map_err(|e| Error::protocol(format!("binary header {what} is not UTF-8")).with_source(e))
}

/// Decode a binary header into a command with an empty body.
pub fn decode_header(mut buf: Bytes) -> Result<RemotingCommand> {
    if buf.remaining() < FIXED_LEN {
        return Err(Error::protocol(format!("binary header of {} bytes is shorter than 13", buf.remaining())));
    }
    let code = i32::from(buf.get_i16());
    let language = LanguageCode::from_code(buf.get_u8());
    let version = i32::from(buf.get_i16());
    let opaque = buf.get_i32();
    let flag = buf.get_i32();
    let remark_len = read_len(&mut buf, "remark", 4)?;
    let remark = if remark_len == 0 { None } else { Some(read_string(&mut buf, remark_len, "remark")?) };
    let ext_len = read_len(&mut buf, "extFields", 4)?;
    let mut map = buf.split_to(ext_len);
    let mut ext_fields = ExtFields::new();
    while map.has_remaining() {
        let key_len = read_len(&mut map, "ext key", 2)?;
        let key = read_string(&mut map, key_len, "ext key")?;
        let value_len = read_len(&mut map, "ext value", 4)?;
        let value = read_string(&mut map, value_len, "ext value")?;
        if !key.is_empty() && !value.is_empty() {
            ext_fields.insert(key, value);
        }
    }
    Ok(RemotingCommand {
        code,
        language,
        version,
        opaque,
        flag,
        remark,
        ext_fields,
        body: Bytes::new(),
        serialize_type: SerializeType::RocketMq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_len_is_the_length_encode_header_appends() {
        let mut cmd = RemotingCommand::response(0, 7, Some("remark é".to_owned()));
        cmd.ext_fields.insert("queueId", "3");
        cmd.ext_fields.insert("", "skipped: empty key");
        cmd.ext_fields.insert("properties", "a\u{1}b\u{2}c\u{1}世界");
        for cmd in [cmd.clone(), RemotingCommand::response(0, 1, None)] {
            let mut dst = BytesMut::new();
            assert!(encode_header(&cmd, &mut dst).is_ok());
            assert_eq!(dst.len(), encoded_len(&cmd));
        }
    }
}
