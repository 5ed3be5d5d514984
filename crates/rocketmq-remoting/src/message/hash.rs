//! Java `String.hashCode`, which the broker uses as a message's tags code and which
//! subscriptions must send in `codeSet` (protocol.md §2.5.1).

/// Java `String.hashCode()`: `h = 31 * h + c` over the UTF-16 code units of `s`, with 32-bit
/// wrapping arithmetic.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)))
}

#[cfg(test)]
mod tests {
    use super::java_string_hash;

    #[test]
    fn matches_java() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("TagA"), 2_598_919); // protocol.md §2.5.1
        assert_eq!(
            java_string_hash("héllo-世界"),
            "héllo-世界".encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
        );
        // "polygenelubricants".hashCode() == Integer.MIN_VALUE in Java: exercises wrapping.
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
    }
}
