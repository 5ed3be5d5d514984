//! Uppercase hex as in Java `UtilAll.bytes2string` / `string2bytes`, used by message ids.

const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// Append the uppercase hex form of `bytes` to `out` (`UtilAll.bytes2string`).
pub(crate) fn push_upper(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parse hex of either case (`UtilAll.string2bytes`); `None` for an odd length or a non-hex
/// character (Java silently produces garbage for those).
pub(crate) fn decode(s: &str) -> Option<Vec<u8>> {
    let raw = s.as_bytes();
    if raw.len() % 2 != 0 {
        return None;
    }
    raw.chunks_exact(2).map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let mut s = String::new();
        super::push_upper(&mut s, &[0x00, 0x7F, 0xAB, 0xFF]);
        assert_eq!(s, "007FABFF");
        assert_eq!(super::decode("007fabFF"), Some(vec![0x00, 0x7F, 0xAB, 0xFF]));
        assert_eq!(super::decode("ABC"), None);
        assert_eq!(super::decode("0G"), None);
        assert_eq!(super::decode("é0"), None);
        assert_eq!(super::decode(""), Some(vec![]));
    }
}
