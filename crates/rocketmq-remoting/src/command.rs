//! `RemotingCommand`: one request or response, and its frame encoding
//! (`remoting/protocol/RemotingCommand.java`, protocol.md §1.2-§1.5).

use bytes::{Buf, BufMut, Bytes, BytesMut};
use std::sync::atomic::{AtomicI32, Ordering};

use crate::codes::{version, LanguageCode};
use crate::error::{Error, ErrorKind, Result};
use crate::ext_fields::ExtFields;
use crate::header::{binary, json, CommandHeader, FromExtFields};

/// Flag bit 0: the command is a response.
pub const FLAG_RESPONSE: i32 = 0x1;
/// Flag bit 1: the request is oneway; the receiver must not answer.
pub const FLAG_ONEWAY: i32 = 0x2;
/// Largest frame (after the length prefix) a Java peer accepts (`NettyDecoder`, 16 MiB).
pub const MAX_FRAME_LENGTH: usize = 16 * 1024 * 1024;

/// How the header of a frame is serialized (`SerializeType.java`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SerializeType {
    /// fastjson-compatible JSON (type byte 0), the Java default.
    #[default]
    Json,
    /// The compact binary "ROCKETMQ" layout (type byte 1).
    RocketMq,
}

impl SerializeType {
    fn type_byte(self) -> u8 {
        match self {
            SerializeType::Json => 0,
            SerializeType::RocketMq => 1,
        }
    }
}

static NEXT_OPAQUE: AtomicI32 = AtomicI32::new(0);

/// A fresh request id; process-wide like Java's `RemotingCommand.requestId` (wraps around).
pub fn next_opaque() -> i32 {
    NEXT_OPAQUE.fetch_add(1, Ordering::Relaxed)
}

/// One remoting command: a request or a response.
#[derive(Debug, Clone, PartialEq)]
pub struct RemotingCommand {
    /// Request code for requests, response code for responses.
    pub code: i32,
    /// The sender's implementation language.
    pub language: LanguageCode,
    /// The sender's `MQVersion` ordinal.
    pub version: i32,
    /// Request id; a response carries its request's opaque.
    pub opaque: i32,
    /// Bit 0 response, bit 1 oneway.
    pub flag: i32,
    /// Free text; the error message in failed responses.
    pub remark: Option<String>,
    /// Custom header fields, all as strings.
    pub ext_fields: ExtFields,
    /// Opaque payload.
    pub body: Bytes,
    /// The header format this command was decoded from, or will be encoded with.
    pub serialize_type: SerializeType,
}

impl RemotingCommand {
    /// A request with `code`, a fresh opaque and the fields of `header`.
    pub fn request(code: i32, header: &impl CommandHeader) -> Self {
        let mut ext_fields = ExtFields::with_capacity(header.field_count());
        header.write_to(&mut ext_fields);
        RemotingCommand::request_with_fields(code, ext_fields)
    }

    /// [`RemotingCommand::request`] taking the header by value: its strings are moved into
    /// the fields, not copied (the producer's per-attempt header).
    pub fn request_owned(code: i32, header: impl CommandHeader) -> Self {
        let mut ext_fields = ExtFields::with_capacity(header.field_count());
        header.into_ext_fields(&mut ext_fields);
        RemotingCommand::request_with_fields(code, ext_fields)
    }

    fn request_with_fields(code: i32, ext_fields: ExtFields) -> Self {
        RemotingCommand {
            code,
            language: LanguageCode::Rust,
            version: version::CURRENT,
            opaque: next_opaque(),
            flag: 0,
            remark: None,
            ext_fields,
            body: Bytes::new(),
            serialize_type: SerializeType::Json,
        }
    }

    /// A response to the request with `opaque`.
    pub fn response(code: i32, opaque: i32, remark: Option<String>) -> Self {
        RemotingCommand {
            code,
            language: LanguageCode::Rust,
            version: version::CURRENT,
            opaque,
            flag: FLAG_RESPONSE,
            remark,
            ext_fields: ExtFields::new(),
            body: Bytes::new(),
            serialize_type: SerializeType::Json,
        }
    }

    /// Builder: set the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Builder: set the header serialization.
    pub fn with_serialize_type(mut self, serialize_type: SerializeType) -> Self {
        self.serialize_type = serialize_type;
        self
    }

    /// Whether this is a response (flag bit 0).
    pub fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }

    /// Whether this is a oneway request (flag bit 1).
    pub fn is_oneway(&self) -> bool {
        self.flag & FLAG_ONEWAY != 0
    }

    /// Mark this request oneway.
    pub fn mark_oneway(&mut self) {
        self.flag |= FLAG_ONEWAY;
    }

    /// Decode the custom header into a typed header struct.
    pub fn decode_header<H: FromExtFields>(&self) -> Result<H> {
        H::from_ext_fields(&self.ext_fields)
    }

    /// Append the whole frame, length prefix included, to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) -> Result<()> {
        self.encode_head(dst)?;
        dst.extend_from_slice(&self.body);
        Ok(())
    }

    /// Append everything but the body (length prefix, header word, header) to `dst`; the
    /// length prefix already counts the body, so `dst` followed by [`RemotingCommand::body`]
    /// is the whole frame. Lets the connection write the body from its own buffer.
    pub fn encode_head(&self, dst: &mut BytesMut) -> Result<()> {
        let start = dst.len();
        dst.reserve(
            8 + match self.serialize_type {
                SerializeType::Json => json::encoded_len_hint(self),
                SerializeType::RocketMq => binary::encoded_len(self),
            },
        );
        dst.put_u32(0); // total length, patched below
        dst.put_u32(0); // header word, patched below
        let header_start = dst.len();
        match self.serialize_type {
            SerializeType::Json => json::encode_header(self, dst),
            SerializeType::RocketMq => binary::encode_header(self, dst)?,
        }
        let header_len = dst.len() - header_start;
        if header_len > 0x00FF_FFFF {
            dst.truncate(start);
            return Err(Error::new(ErrorKind::Encode, format!("header of {header_len} bytes exceeds 16 MiB")));
        }
        let total = dst.len() - start - 4 + self.body.len();
        if total > MAX_FRAME_LENGTH {
            dst.truncate(start);
            return Err(Error::new(
                ErrorKind::Encode,
                format!("frame of {total} bytes exceeds the {MAX_FRAME_LENGTH}-byte limit"),
            ));
        }
        let word = (u32::from(self.serialize_type.type_byte()) << 24) | header_len as u32;
        dst[start..start + 4].copy_from_slice(&(total as u32).to_be_bytes());
        dst[start + 4..start + 8].copy_from_slice(&word.to_be_bytes());
        Ok(())
    }

    /// Encode into a fresh buffer.
    pub fn encode_to_bytes(&self) -> Result<Bytes> {
        let mut buf = BytesMut::with_capacity(256 + self.body.len());
        self.encode(&mut buf)?;
        Ok(buf.freeze())
    }

    /// The frame as two buffers: the encoded head (see [`RemotingCommand::encode_head`]) and
    /// the body, shared, not copied.
    pub fn encode_parts(&self) -> Result<(Bytes, Bytes)> {
        // No capacity guess: the header encoder reserves what it needs in one allocation.
        let mut head = BytesMut::new();
        self.encode_head(&mut head)?;
        Ok((head.freeze(), self.body.clone()))
    }

    /// Decode one frame given **without** its 4-byte length prefix.
    pub fn decode(mut frame: Bytes) -> Result<Self> {
        if frame.len() < 4 {
            return Err(Error::protocol(format!("frame of {} bytes has no header word", frame.len())));
        }
        let word = frame.get_u32();
        let header_len = (word & 0x00FF_FFFF) as usize;
        if header_len > frame.len() {
            return Err(Error::protocol(format!(
                "header length {header_len} exceeds the {} bytes left in the frame",
                frame.len()
            )));
        }
        let header = frame.split_to(header_len);
        let mut cmd = match word >> 24 {
            0 => json::decode_header(&header)?,
            1 => binary::decode_header(header)?,
            other => return Err(Error::protocol(format!("unknown serialize type {other}"))),
        };
        cmd.body = frame;
        Ok(cmd)
    }

    /// Decode a whole frame, length prefix included (as stored in the golden fixtures).
    pub fn decode_with_length(mut frame: Bytes) -> Result<Self> {
        if frame.len() < 4 {
            return Err(Error::protocol("frame shorter than its length prefix"));
        }
        let len = frame.get_u32() as usize;
        if len != frame.len() {
            return Err(Error::protocol(format!("length prefix {len} but {} bytes follow", frame.len())));
        }
        RemotingCommand::decode(frame)
    }
}
