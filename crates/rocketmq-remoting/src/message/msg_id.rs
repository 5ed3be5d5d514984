//! The broker's message id, "offsetMsgId": `MessageDecoder.createMessageId` /
//! `decodeMessageId` (protocol.md §3.7.2).
//!
//! Uppercase hex of the store host's address (4 or 16 bytes), its port (`i32`) and the
//! commit-log offset (`i64`): 32 hex chars for IPv4, 56 for IPv6. SEND responses call it
//! `msgId`; VIEW_MESSAGE_BY_ID needs the decoded address and offset.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::error::{Error, Result};
use crate::message::hex;

/// Length of an IPv4 offsetMsgId in hex chars.
pub const IPV4_LEN: usize = 32;
/// Length of an IPv6 offsetMsgId in hex chars.
pub const IPV6_LEN: usize = 56;

/// `MessageDecoder.createMessageId(SocketAddress, long)`: the offsetMsgId of the message at
/// `commit_log_offset` in the commit log of the broker at `store_host`.
///
/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is written as IPv4, like Java, whose
/// `InetAddress` turns such an address into an `Inet4Address`.
pub fn create(store_host: SocketAddr, commit_log_offset: i64) -> String {
    let mut raw = Vec::with_capacity(28);
    match store_host.ip().to_canonical() {
        IpAddr::V4(ip) => raw.extend_from_slice(&ip.octets()),
        IpAddr::V6(ip) => raw.extend_from_slice(&ip.octets()),
    }
    raw.extend_from_slice(&i32::from(store_host.port()).to_be_bytes());
    raw.extend_from_slice(&commit_log_offset.to_be_bytes());
    let mut out = String::with_capacity(raw.len() * 2);
    hex::push_upper(&mut out, &raw);
    out
}

/// `MessageDecoder.decodeMessageId`: the store host and commit-log offset of an offsetMsgId.
///
/// Stricter than Java: the id must be exactly 32 (IPv4) or 56 (IPv6) hex chars of either case,
/// and the port must fit in 16 bits; anything else is a protocol error.
pub fn decode(msg_id: &str) -> Result<(SocketAddr, i64)> {
    let ip_len = match msg_id.len() {
        IPV4_LEN => 4,
        IPV6_LEN => 16,
        other => {
            return Err(Error::protocol(format!(
                "message id {msg_id:?} has {other} characters, not {IPV4_LEN} or {IPV6_LEN}"
            )))
        }
    };
    let raw = hex::decode(msg_id).ok_or_else(|| Error::protocol(format!("message id {msg_id:?} is not hex")))?;
    let (ip_bytes, rest) = raw.split_at_checked(ip_len).ok_or_else(|| Error::protocol("message id too short"))?;
    let ip = if let Ok(v4) = <[u8; 4]>::try_from(ip_bytes) {
        IpAddr::V4(Ipv4Addr::from(v4))
    } else {
        let v6 = <[u8; 16]>::try_from(ip_bytes).map_err(|_| Error::protocol("message id address length"))?;
        IpAddr::V6(Ipv6Addr::from(v6))
    };
    let (port_bytes, offset_bytes) = rest.split_at_checked(4).ok_or_else(|| Error::protocol("message id too short"))?;
    let port = i32::from_be_bytes(port_bytes.try_into().map_err(|_| Error::protocol("message id port"))?);
    let port = u16::try_from(port)
        .map_err(|_| Error::protocol(format!("message id {msg_id:?} carries port {port}, out of range")))?;
    let offset = i64::from_be_bytes(offset_bytes.try_into().map_err(|_| Error::protocol("message id offset"))?);
    Ok((SocketAddr::new(ip, port), offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_ipv4_ids() {
        // SEND responses of the 4.9.4 captures: broker 127.0.0.1:60911 (0xEDEF).
        let host: SocketAddr = "127.0.0.1:60911".parse().unwrap_or_else(|_| SocketAddr::from(([0; 4], 0)));
        assert_eq!(create(host, 0), "7F0000010000EDEF0000000000000000");
        assert_eq!(create(host, 0x1C9), "7F0000010000EDEF00000000000001C9");
        assert_eq!(decode("7F0000010000EDEF0000000000000E50").ok(), Some((host, 3664)));
        assert_eq!(decode("7f0000010000edef0000000000000e50").ok(), Some((host, 3664)));
    }

    #[test]
    fn ipv6_round_trip() {
        let host = SocketAddr::new(IpAddr::V6("2001:db8::1".parse().unwrap_or(Ipv6Addr::LOCALHOST)), 10911);
        let id = create(host, 0x0102_0304_0506_0708);
        assert_eq!(id.len(), IPV6_LEN);
        assert_eq!(id, "20010DB800000000000000000000000100002A9F0102030405060708");
        assert_eq!(decode(&id).ok(), Some((host, 0x0102_0304_0506_0708)));
    }

    #[test]
    fn mapped_ipv4_is_written_as_ipv4() {
        let mapped = SocketAddr::new(IpAddr::V6(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped()), 10911);
        assert_eq!(create(mapped, 1), "0A00000100002A9F0000000000000001");
    }

    #[test]
    fn negative_and_extreme_offsets() {
        let host = SocketAddr::from(([192, 0, 2, 2], 65535));
        for offset in [i64::MIN, -1, 0, i64::MAX] {
            assert_eq!(decode(&create(host, offset)).ok(), Some((host, offset)));
        }
        assert_eq!(create(host, -1), "C00002020000FFFFFFFFFFFFFFFFFFFF");
    }

    #[test]
    fn bad_ids_are_errors() {
        for bad in [
            "",
            "7F0000010000EDEF",
            "7F0000010000EDEF00000000000000000",
            "7F0000010000EDEF000000000000000G",
            "7F000001FFFFFFFF0000000000000000", // port -1
            "7F00000100010000000000000000000 ", // port 65536 and a blank
            "é0000010000EDEF000000000000000",
        ] {
            assert!(decode(bad).is_err(), "{bad:?} should not decode");
        }
        assert!(decode("7F00000100010000000000000000000A").is_err(), "port 65536");
    }
}
