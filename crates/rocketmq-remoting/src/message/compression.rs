//! Body compression: `common/compression/CompressionType.java`, `ZlibCompressor.java`,
//! `Lz4Compressor.java`, `ZstdCompressor.java` (protocol.md §3.6).
//!
//! - ZLIB is Java's `Deflater(level)` / `InflaterInputStream`: a standard RFC 1950 zlib stream,
//!   done here with `flate2`.
//! - LZ4 is lz4-java's `LZ4FrameOutputStream` / `LZ4FrameInputStream`: the standard LZ4 *frame*
//!   format (magic `04 22 4D 18`), done with `lz4_flex` (pure Rust, safe-code decoder).
//! - ZSTD is zstd-jni's `ZstdOutputStream(level)` / `ZstdInputStream`: a standard zstd frame
//!   (magic `28 B5 2F FD`), done with the `zstd` crate: the reference libzstd, compiled in
//!   statically (the same C library zstd-jni wraps, so levels and output match Java's; the
//!   pure-Rust `ruzstd` only compresses at its "fastest" level and decodes 2-3x slower).
//!
//! Decompression is capped ([`MAX_DECOMPRESSED_SIZE`] by default): a few bytes of zlib can
//! expand to gigabytes, and a peer must not be able to make us allocate that.

use std::io::{Read, Write};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;

use crate::error::{Error, ErrorKind, Result};
use crate::message::sysflag::MessageSysFlag;

/// Java producer default `compressLevel` (`rocketmq.message.compressLevel`, 5).
pub const DEFAULT_COMPRESS_LEVEL: u32 = 5;

/// Largest body [`decompress`] will produce: 64 MiB, 16 times the broker's default
/// `maxMessageSize` (4 MiB), which bounds what an honest producer can send.
pub const MAX_DECOMPRESSED_SIZE: usize = 64 * 1024 * 1024;

/// `CompressionType`: the algorithm in bits 8-10 of a message sysFlag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompressionType {
    /// `LZ4` (value 1): LZ4 frame format. Not supported here.
    Lz4,
    /// `ZSTD` (value 2): zstd frame. Not supported here.
    Zstd,
    /// `ZLIB` (value 3, and 0 for producers older than 4.9.4): RFC 1950 zlib.
    Zlib,
}

impl CompressionType {
    /// `findByValue`: 1 LZ4, 2 ZSTD, 3 or 0 ZLIB; anything else is an error.
    pub fn find_by_value(value: i32) -> Result<Self> {
        match value {
            1 => Ok(CompressionType::Lz4),
            2 => Ok(CompressionType::Zstd),
            0 | 3 => Ok(CompressionType::Zlib),
            other => Err(Error::protocol(format!("unknown compression type value {other}"))),
        }
    }

    /// `MessageSysFlag.getCompressionType`: the type named by bits 8-10 of `sys_flag`.
    pub fn from_sys_flag(sys_flag: i32) -> Result<Self> {
        MessageSysFlag::get_compression_type(sys_flag)
    }

    /// `of(name)`: `"LZ4"`, `"ZSTD"` or `"ZLIB"`, case-insensitive, surrounding blanks ignored.
    pub fn from_name(name: &str) -> Result<Self> {
        match name.trim().to_ascii_uppercase().as_str() {
            "LZ4" => Ok(CompressionType::Lz4),
            "ZSTD" => Ok(CompressionType::Zstd),
            "ZLIB" => Ok(CompressionType::Zlib),
            _ => Err(Error::new(ErrorKind::Encode, format!("unsupported compression type name {name:?}"))),
        }
    }

    /// `getValue`: 1, 2 or 3.
    pub fn value(self) -> i32 {
        match self {
            CompressionType::Lz4 => 1,
            CompressionType::Zstd => 2,
            CompressionType::Zlib => 3,
        }
    }

    /// `getCompressionFlag`: the sysFlag bits of this type (`value << 8`), without bit 0.
    pub fn compression_flag(self) -> i32 {
        self.value() << 8
    }

    /// The Java enum name.
    pub fn name(self) -> &'static str {
        match self {
            CompressionType::Lz4 => "LZ4",
            CompressionType::Zstd => "ZSTD",
            CompressionType::Zlib => "ZLIB",
        }
    }
}

/// `Compressor.compress(src, level)` for `kind`. ZLIB clamps `level` to 0..=9 (Java
/// `Deflater(level)`, default [`DEFAULT_COMPRESS_LEVEL`]); ZSTD passes it to libzstd as
/// `ZstdOutputStream(out, level)` does; LZ4 ignores it, as `Lz4Compressor` does.
pub fn compress(data: &[u8], kind: CompressionType, level: u32) -> Result<Vec<u8>> {
    match kind {
        CompressionType::Zlib => zlib_compress(data, level),
        CompressionType::Lz4 => lz4_compress(data),
        CompressionType::Zstd => zstd_compress(data, level),
    }
}

/// `Compressor.decompress(src)` for `kind`, capped at [`MAX_DECOMPRESSED_SIZE`].
pub fn decompress(data: &[u8], kind: CompressionType) -> Result<Vec<u8>> {
    decompress_with_limit(data, kind, MAX_DECOMPRESSED_SIZE)
}

/// [`decompress`] with an explicit output limit in bytes.
pub fn decompress_with_limit(data: &[u8], kind: CompressionType, limit: usize) -> Result<Vec<u8>> {
    match kind {
        CompressionType::Zlib => zlib_decompress(data, limit),
        CompressionType::Lz4 => read_capped(lz4_flex::frame::FrameDecoder::new(data), data.len(), limit, "LZ4"),
        CompressionType::Zstd => {
            let decoder = zstd::stream::read::Decoder::new(data)
                .map_err(|e| Error::protocol("cannot start ZSTD decoding").with_source(e))?;
            read_capped(decoder, data.len(), limit, "ZSTD")
        }
    }
}

/// Read `reader` to its end, at most `limit` bytes; more, or a read error, is a protocol error.
fn read_capped(reader: impl Read, input_len: usize, limit: usize, what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(input_len.saturating_mul(4).min(limit).min(1 << 20));
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| Error::protocol(format!("corrupt {what}-compressed body")).with_source(e))?;
    if out.len() > limit {
        return Err(Error::protocol(format!("compressed body inflates beyond the {limit}-byte limit")));
    }
    Ok(out)
}

/// `Lz4Compressor.compress`: one LZ4 frame of `data` (`LZ4FrameOutputStream` defaults).
pub fn lz4_compress(data: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = lz4_flex::frame::FrameEncoder::new(Vec::with_capacity(data.len() / 2 + 64));
    encoder.write_all(data).map_err(|e| Error::new(ErrorKind::Encode, "LZ4 compression failed").with_source(e))?;
    encoder.finish().map_err(|e| Error::new(ErrorKind::Encode, "LZ4 compression failed").with_source(e))
}

/// `ZstdCompressor.compress`: one zstd frame of `data` at `level` (libzstd's 1..=22).
pub fn zstd_compress(data: &[u8], level: u32) -> Result<Vec<u8>> {
    let level = i32::try_from(level.clamp(1, 22)).unwrap_or(3);
    zstd::bulk::compress(data, level)
        .map_err(|e| Error::new(ErrorKind::Encode, "ZSTD compression failed").with_source(e))
}

/// `ZlibCompressor.compress`: a zlib stream of `data` at `level` (clamped to 0..=9).
pub fn zlib_compress(data: &[u8], level: u32) -> Result<Vec<u8>> {
    let mut encoder = ZlibEncoder::new(Vec::with_capacity(data.len() / 2 + 64), Compression::new(level.min(9)));
    encoder
        .write_all(data)
        .and_then(|()| encoder.finish())
        .map_err(|e| Error::new(ErrorKind::Encode, "zlib compression failed").with_source(e))
}

/// `ZlibCompressor.decompress`: inflate one zlib stream (bytes after its end are ignored, as
/// with Java's `InflaterInputStream`). A corrupt or truncated stream, or output longer than
/// `limit` bytes, is a protocol error.
pub fn zlib_decompress(data: &[u8], limit: usize) -> Result<Vec<u8>> {
    read_capped(ZlibDecoder::new(data), data.len(), limit, "zlib")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        (0..6144u32).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn zlib_round_trip_at_every_level() {
        let data = sample();
        for level in [0, 1, 5, 9, 42] {
            let packed = zlib_compress(&data, level).unwrap_or_default();
            // RFC 1950 header: CM = 8 (deflate), and the check bits make the first 2 bytes a
            // multiple of 31.
            assert_eq!(packed.first().map(|b| b & 0x0F), Some(8), "level {level}");
            let header = u16::from_be_bytes([packed[0], packed[1]]);
            assert_eq!(header % 31, 0, "level {level}");
            assert_eq!(zlib_decompress(&packed, MAX_DECOMPRESSED_SIZE).ok(), Some(data.clone()));
        }
    }

    #[test]
    fn output_is_a_plain_zlib_stream() {
        // Java's Deflater(5) starts with 78 5E (the golden a-producer-json/014 body); our
        // backend (miniz_oxide) sets other FLEVEL bits (78 9C) and makes its own deflate choices,
        // so the bytes differ from Java's, but CM/CINFO are the same and any inflater, Java's
        // included, accepts the stream. FLEVEL is informational only (RFC 1950 §2.2).
        let packed = zlib_compress(b"hello", DEFAULT_COMPRESS_LEVEL).unwrap_or_default();
        assert_eq!(packed.first(), Some(&0x78));
        assert_eq!(packed.len(), 2 + 7 + 4);
    }

    #[test]
    fn empty_input() {
        let packed = zlib_compress(b"", 5).unwrap_or_default();
        assert!(!packed.is_empty());
        assert_eq!(zlib_decompress(&packed, 10).ok(), Some(Vec::new()));
    }

    #[test]
    fn corrupt_and_truncated_streams_fail() {
        let packed = zlib_compress(&sample(), 5).unwrap_or_default();
        assert!(zlib_decompress(&packed[..packed.len() / 2], MAX_DECOMPRESSED_SIZE).is_err());
        assert!(zlib_decompress(b"not zlib at all", MAX_DECOMPRESSED_SIZE).is_err());
        assert!(zlib_decompress(&[], MAX_DECOMPRESSED_SIZE).is_err());
        // A damaged Adler-32 trailer is detected.
        let mut bad = packed.clone();
        if let Some(last) = bad.last_mut() {
            *last ^= 0xFF;
        }
        assert!(zlib_decompress(&bad, MAX_DECOMPRESSED_SIZE).is_err());
    }

    #[test]
    fn trailing_bytes_after_the_stream_are_ignored() {
        let mut packed = zlib_compress(b"payload", 5).unwrap_or_default();
        packed.extend_from_slice(b"garbage");
        assert_eq!(zlib_decompress(&packed, 100).ok(), Some(b"payload".to_vec()));
    }

    #[test]
    fn bomb_is_refused() {
        let zeros = vec![0u8; 1 << 20];
        let packed = zlib_compress(&zeros, 9).unwrap_or_default();
        assert!(packed.len() < 2048);
        let err = zlib_decompress(&packed, (1 << 20) - 1).err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Protocol));
        assert_eq!(zlib_decompress(&packed, 1 << 20).map(|v| v.len()).ok(), Some(1 << 20));
    }

    #[test]
    fn types_and_values() {
        assert_eq!(CompressionType::find_by_value(0).ok(), Some(CompressionType::Zlib));
        assert_eq!(CompressionType::find_by_value(3).ok(), Some(CompressionType::Zlib));
        assert_eq!(CompressionType::find_by_value(1).ok(), Some(CompressionType::Lz4));
        assert_eq!(CompressionType::find_by_value(2).ok(), Some(CompressionType::Zstd));
        assert!(CompressionType::find_by_value(4).is_err());
        assert_eq!(CompressionType::from_sys_flag(769).ok(), Some(CompressionType::Zlib));
        assert_eq!(CompressionType::Zlib.compression_flag(), 0x300);
        assert_eq!(CompressionType::Lz4.compression_flag(), 0x100);
        assert_eq!(CompressionType::Zstd.value(), 2);
        assert_eq!(CompressionType::from_name(" zstd ").ok(), Some(CompressionType::Zstd));
        assert!(CompressionType::from_name("snappy").is_err());
    }

    #[test]
    fn lz4_and_zstd_round_trip_and_refuse_garbage_and_bombs() {
        for kind in [CompressionType::Lz4, CompressionType::Zstd] {
            let err = decompress(b"x", kind).err();
            assert!(err.as_ref().is_some_and(|e| e.message().contains(kind.name())), "{err:?}");
            let data = sample();
            let packed = compress(&data, kind, 5).unwrap_or_default();
            assert!(packed.len() < data.len() / 2, "{kind:?} compresses");
            assert_eq!(decompress(&packed, kind).ok(), Some(data));
            assert_eq!(decompress(&compress(b"", kind, 5).unwrap_or_default(), kind).ok(), Some(Vec::new()));
            let zeros = vec![0u8; 4 << 20];
            let bomb = compress(&zeros, kind, 5).unwrap_or_default();
            assert!(decompress_with_limit(&bomb, kind, 1 << 20).is_err(), "{kind:?} bomb");
        }
    }
}
