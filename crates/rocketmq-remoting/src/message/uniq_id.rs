//! The client message id stored in property `UNIQ_KEY`: `common/message/MessageClientIDSetter.java`
//! (protocol.md §3.7.1). This is the "msgId" users see.
//!
//! Uppercase hex of 16 bytes (IPv4), 32 characters:
//!
//! | bytes | content |
//! |---|---|
//! | 4 | local IPv4 address ([`local_ip`]) |
//! | 2 | process id as a 16-bit value (`(short) pid`) |
//! | 4 | a random `i32` chosen once per process (Java: the client class loader's `hashCode`) |
//! | 4 | `(int) (now_ms - start_of_current_month_ms)` |
//! | 2 | low 16 bits of a process-wide counter starting at 0 |
//!
//! The first 20 characters ([`uniq_id_prefix`]) are fixed for the life of the process; a child
//! forked from it computes its own (its pid and random number differ), so parent and child never
//! create the same id.
//!
//! **Deviation from Java:** Java takes the start of the month in the JVM's *local* time zone
//! (`Calendar.getInstance()`); we use UTC, to avoid a time-zone database. The broker only
//! indexes the id as an opaque key, so nothing depends on it; only tools that turn an id back
//! into a time (`MessageClientIDSetter.getNearlyTimeFromID`) would be off by the UTC offset.
//! As in Java the 32-bit time part wraps to negative values after about 24.8 days of a month.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use crate::process::PerProcess;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::message::hex;
use crate::message::keys;
use crate::message::properties::Properties;

const DAY_MS: i64 = 86_400_000;

static COUNTER: AtomicU32 = AtomicU32::new(0);
static PREFIX: PerProcess<String> = PerProcess::new();
static LOCAL_IP: OnceLock<IpAddr> = OnceLock::new();

/// The machine's outbound IPv4 address, as a stand-in for Java `UtilAll.getIP()`, computed once
/// and cached for the process.
///
/// It asks the OS which source address a UDP socket would use to reach `192.0.2.1`
/// (TEST-NET-1, RFC 5737): `connect` on a UDP socket only does a route lookup, no packet is
/// sent. Without an IPv4 route (or on any error) it falls back to `127.0.0.1`. Java also
/// considers IPv6 addresses when no IPv4 one is usable; we do not.
pub fn local_ip() -> IpAddr {
    *LOCAL_IP.get_or_init(|| detect_outbound_ipv4().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)))
}

fn detect_outbound_ipv4() -> Option<IpAddr> {
    let socket = UdpSocket::bind(SocketAddr::from(([0, 0, 0, 0], 0))).ok()?;
    socket.connect(SocketAddr::from(([192, 0, 2, 1], 9))).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

/// `MessageClientIDSetter.FIX_STRING`: the hex of local IP, pid and a per-process random
/// number; the first 20 (IPv4) characters of every id this process creates.
pub fn uniq_id_prefix() -> &'static str {
    let built = PREFIX.get_or_try_init(|| -> Result<String, std::convert::Infallible> {
        let mut raw = Vec::with_capacity(22);
        match local_ip() {
            IpAddr::V4(ip) => raw.extend_from_slice(&ip.octets()),
            IpAddr::V6(ip) => raw.extend_from_slice(&ip.octets()),
        }
        // Java: `putShort((short) UtilAll.getPid())`, the low 16 bits.
        raw.extend_from_slice(&(std::process::id() as u16).to_be_bytes());
        raw.extend_from_slice(&fastrand::i32(..).to_be_bytes());
        let mut prefix = String::with_capacity(raw.len() * 2);
        hex::push_upper(&mut prefix, &raw);
        Ok(prefix)
    });
    match built {
        Ok(prefix) => prefix,
        Err(never) => match never {},
    }
}

/// `MessageClientIDSetter.createUniqID`: a new id, unique within the process (the counter has
/// 65 536 values per millisecond-resolution time value). Lock-free and thread-safe.
pub fn create_uniq_id() -> String {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    // Java: `COUNTER.getAndIncrement()`, of which `writeShort` keeps the low 16 bits.
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed) as u16;
    format_uniq_id(uniq_id_prefix(), now_ms, counter)
}

/// `MessageClientIDSetter.setUniqID`: put a fresh [`keys::UNIQ_KEY`] into `properties` unless
/// one is already there; returns the message's id either way.
pub fn set_uniq_id(properties: &mut Properties) -> String {
    if let Some(existing) = properties.get(keys::UNIQ_KEY) {
        return existing.to_owned();
    }
    let id = create_uniq_id();
    properties.insert(keys::UNIQ_KEY, id.clone());
    id
}

/// `MessageClientIDSetter.getIPFromID`: the address in a 32- or 56-character id.
pub fn ip_from_uniq_id(id: &str) -> Option<IpAddr> {
    let raw = hex::decode(id)?;
    match raw.len() {
        16 => <[u8; 4]>::try_from(raw.get(..4)?).ok().map(IpAddr::from),
        28 => <[u8; 16]>::try_from(raw.get(..16)?).ok().map(IpAddr::from),
        _ => None,
    }
}

/// `MessageClientIDSetter.getPidFromID`: the 16-bit process id in an id.
pub fn pid_from_uniq_id(id: &str) -> Option<u16> {
    let raw = hex::decode(id)?;
    if raw.len() != 16 && raw.len() != 28 {
        return None;
    }
    let at = raw.len() - 12;
    Some(u16::from_be_bytes([*raw.get(at)?, *raw.get(at + 1)?]))
}

/// The time part of an id created at `now_ms`: milliseconds since the start of the month (UTC),
/// truncated to 32 bits like Java's `(int)` cast, with Java's clamp of small negative values
/// (clock steps back) to 0.
fn time_part(now_ms: i64) -> i32 {
    let diff = now_ms.wrapping_sub(month_start_utc_ms(now_ms)) as i32;
    if diff < 0 && diff > -1_000_000 {
        0
    } else {
        diff
    }
}

/// Epoch ms of 00:00:00.000 UTC on the first day of the month containing `now_ms`.
fn month_start_utc_ms(now_ms: i64) -> i64 {
    let days = now_ms.div_euclid(DAY_MS);
    (days - (day_of_month(days) - 1)) * DAY_MS
}

/// Day of the month (1..=31) of the civil date `days` after 1970-01-01 (proleptic Gregorian;
/// H. Hinnant's `civil_from_days`).
fn day_of_month(days: i64) -> i64 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based month
    doy - (153 * mp + 2) / 5 + 1
}

fn format_uniq_id(prefix: &str, now_ms: i64, counter: u16) -> String {
    let mut id = String::with_capacity(prefix.len() + 12);
    id.push_str(prefix);
    hex::push_upper(&mut id, &time_part(now_ms).to_be_bytes());
    hex::push_upper(&mut id, &counter.to_be_bytes());
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn golden_time_part() {
        // a-producer-json/009: UNIQ_KEY C00002021B575FFD2B277B5EB9A80000 was created 2 ms before
        // bornTimestamp g=1795561005482 (2026-11-24T22:56:45.482Z) on a machine running in UTC.
        assert_eq!(time_part(1_795_561_005_482 - 2), 0x7B5E_B9A8);
        assert_eq!(format_uniq_id("C00002021B575FFD2B27", 1_795_561_005_480, 0), "C00002021B575FFD2B277B5EB9A80000");
    }

    #[test]
    fn month_starts() {
        // 2026-11-01T00:00:00Z = 1793491200000.
        assert_eq!(month_start_utc_ms(1_795_561_005_482), 1_793_491_200_000);
        assert_eq!(month_start_utc_ms(1_793_491_200_000), 1_793_491_200_000);
        assert_eq!(month_start_utc_ms(1_793_491_199_999), 1_793_491_200_000 - 31 * DAY_MS);
        // Leap day: 2024-02-29T12:00:00Z, month start 2024-02-01.
        assert_eq!(month_start_utc_ms(1_709_208_000_000), 1_706_745_600_000);
        // 2024-03-01T00:00:00.001Z.
        assert_eq!(month_start_utc_ms(1_709_251_200_001), 1_709_251_200_000);
        assert_eq!(month_start_utc_ms(0), 0);
        // 1969-12-31T23:59:59.999Z belongs to December 1969.
        assert_eq!(month_start_utc_ms(-1), -31 * DAY_MS);
    }

    #[test]
    fn time_part_wraps_like_java_int_cast() {
        // 2026-10-31T00:00:00Z is 30 days into October: 2 592 000 000 ms, beyond i32::MAX.
        let t = 1_793_404_800_000;
        assert_eq!(time_part(t), 2_592_000_000_i64 as i32);
        assert!(time_part(t) < 0);
    }

    #[test]
    fn ids_have_java_shape() {
        let a = create_uniq_id();
        let b = create_uniq_id();
        assert_ne!(a, b);
        let prefix = uniq_id_prefix();
        assert!(a.starts_with(prefix) && b.starts_with(prefix));
        if local_ip().is_ipv4() {
            assert_eq!(a.len(), 32);
            assert_eq!(prefix.len(), 20);
        }
        assert!(a.bytes().all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c)), "{a}");
        assert_eq!(ip_from_uniq_id(&a), Some(local_ip()));
        assert_eq!(pid_from_uniq_id(&a), Some(std::process::id() as u16));
    }

    #[test]
    fn ids_are_unique_across_threads() {
        let handles: Vec<_> =
            (0..4).map(|_| std::thread::spawn(|| (0..2000).map(|_| create_uniq_id()).collect::<Vec<_>>())).collect();
        let mut all = HashSet::new();
        for h in handles {
            for id in h.join().unwrap_or_default() {
                assert!(all.insert(id));
            }
        }
        assert_eq!(all.len(), 8000);
    }

    #[test]
    fn golden_id_parts() {
        let id = "C00002021B575FFD2B277B5EB9A80000";
        assert_eq!(ip_from_uniq_id(id), Some(IpAddr::from([192, 0, 2, 2])));
        assert_eq!(pid_from_uniq_id(id), Some(0x1B57));
        assert_eq!(ip_from_uniq_id("C000"), None);
        assert_eq!(pid_from_uniq_id("nothex"), None);
    }

    #[test]
    fn set_uniq_id_keeps_existing() {
        let mut props = Properties::new();
        props.insert(keys::UNIQ_KEY, "ABC");
        assert_eq!(set_uniq_id(&mut props), "ABC");
        let mut fresh = Properties::new();
        let id = set_uniq_id(&mut fresh);
        assert_eq!(fresh.get(keys::UNIQ_KEY), Some(id.as_str()));
    }

    #[test]
    fn local_ip_is_cached_and_not_unspecified() {
        let ip = local_ip();
        assert!(!ip.is_unspecified());
        assert_eq!(local_ip(), ip);
    }
}
