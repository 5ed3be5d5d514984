//! The message properties string (`MessageDecoder.messageProperties2String` /
//! `string2messageProperties`, protocol.md §3.1).
//!
//! On the wire a message's properties are one string: `name \u0001 value` pairs separated by
//! `\u0002`. There is no escaping: names must not contain either separator, values must not
//! contain `\u0002`.
//!
//! **Trailing separator.** Java up to 5.1.x (including the 4.9.4 golden captures: SEND headers,
//! batch bodies and stored messages alike) writes **no** separator after the last pair; Java
//! 5.2.0 and later writes one (commit "Add the CRC check of commitlog", #7468). Every Java
//! decoder accepts both forms, and 5.x brokers append their own `\u0002` before extending a string
//! that lacks it (`CommitLog`, `MessageExtEncoder`). [`Properties::encode`] therefore produces the
//! 4.9.4 form, which is byte-identical to the captures; [`Properties::encode_with_trailing_separator`]
//! produces the 5.2+ form.

use std::borrow::Cow;
use std::collections::HashMap;

use super::keys;

/// `MessageDecoder.NAME_VALUE_SEPARATOR` (char 1), between a name and its value.
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
/// `MessageDecoder.PROPERTY_SEPARATOR` (char 2), between two pairs.
pub const PROPERTY_SEPARATOR: char = '\u{2}';

/// Above this many pairs, [`Properties::decode`] de-duplicates names through a hash index
/// instead of a linear scan (a hostile 32 KiB string can hold thousands of pairs).
const LINEAR_DEDUP_LIMIT: usize = 32;

/// A message's properties: the Java `Message.properties` map (`HashMap<String, String>`), kept
/// here in insertion order so that encoding is deterministic and a decoded string re-encodes
/// to the same bytes.
///
/// Setting an existing name replaces its value in place (like `HashMap.put`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    /// Names the broker and the client write on every message are static (see [`name`]):
    /// decoding one costs one allocation (its value), not two.
    entries: Vec<(Cow<'static, str>, String)>,
}

/// Names the broker or the Java client put on most messages: a pulled message carries several
/// of them (`UNIQ_KEY`, `WAIT`, `TAGS`, `CLUSTER`, `MIN_OFFSET`, `MAX_OFFSET`, ...).
const COMMON_NAMES: &[&str] = &[
    keys::UNIQ_KEY,
    keys::WAIT,
    keys::TAGS,
    keys::KEYS,
    keys::CLUSTER,
    keys::MIN_OFFSET,
    keys::MAX_OFFSET,
    keys::TRACE_ON,
    keys::MSG_REGION,
    keys::CONSUME_START_TIME,
    keys::DELAY,
    keys::RETRY_TOPIC,
    keys::REAL_TOPIC,
    keys::REAL_QID,
    keys::TRAN_MSG,
    keys::PGROUP,
    keys::ORIGIN_MESSAGE_ID,
    keys::RECONSUME_TIME,
    keys::MAX_RECONSUME_TIMES,
    keys::TRANSACTION_ID,
    keys::INNER_NUM,
    keys::INNER_BASE,
    keys::CORRELATION_ID,
    keys::REPLY_TO_CLIENT,
    keys::TTL,
    keys::MSG_TYPE,
    keys::SHARDING_KEY,
    keys::BORN_HOST,
    keys::BORN_TIMESTAMP,
    keys::DLQ_ORIGIN_TOPIC,
    keys::DLQ_ORIGIN_MESSAGE_ID,
    keys::START_DELIVER_TIME,
    keys::TIMER_DELIVER_MS,
    keys::TIMER_DELAY_MS,
    keys::TIMER_DELAY_SEC,
];

/// `name` as stored: a static string for a common name, else a copy.
fn name(name: &str) -> Cow<'static, str> {
    match COMMON_NAMES.iter().find(|common| **common == name) {
        Some(common) => Cow::Borrowed(common),
        None => Cow::Owned(name.to_owned()),
    }
}

impl Properties {
    /// An empty map (`new HashMap<>()`).
    pub fn new() -> Self {
        Properties { entries: Vec::new() }
    }

    /// Set `name` to `value`, returning the previous value (`Map.put`).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) -> Option<String> {
        let name: String = name.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => Some(std::mem::replace(&mut slot.1, value)),
            None => {
                self.entries.push((Cow::Owned(name), value));
                None
            }
        }
    }

    /// [`insert`](Self::insert) of borrowed text, a common name stored without a copy.
    fn insert_str(&mut self, name: &str, value: &str) {
        match self.entries.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => value.clone_into(&mut slot.1),
            None => self.entries.push((self::name(name), value.to_owned())),
        }
    }

    /// The value of `name` (`Message.getProperty`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Whether `name` is present (`Map.containsKey`).
    pub fn contains_key(&self, name: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == name)
    }

    /// Remove `name`, returning its value (`MessageAccessor.clearProperty`).
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let pos = self.entries.iter().position(|(k, _)| k == name)?;
        Some(self.entries.remove(pos).1)
    }

    /// Pairs in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Encode as Java 4.9.x-5.1.x `messageProperties2String` does: `name\u0001value` pairs joined
    /// by `\u0002`, **without** a trailing separator (what the 4.9.4 captures show). An empty
    /// map gives an empty string.
    pub fn encode(&self) -> String {
        let mut out = self.encode_with_trailing_separator();
        out.pop();
        out
    }

    /// [`Properties::encode`] of this map after removing the names in `remove` and then setting
    /// `append` (a name not present yet, so it goes last), without copying the map: what the
    /// producer sends for a message whose properties it edits on the way out (`UNIQ_KEY` added,
    /// the retry counters moved into header fields).
    pub fn encode_edited(&self, remove: &[&str], append: Option<(&str, &str)>) -> String {
        let kept = || self.entries.iter().filter(|(k, _)| !remove.contains(&k.as_ref()));
        let extra = append.map_or(0, |(k, v)| k.len() + v.len() + 2);
        let len = kept().map(|(k, v)| k.len() + v.len() + 2).sum::<usize>() + extra;
        let mut out = String::with_capacity(len);
        let pairs = kept().map(|(k, v)| (k.as_ref(), v.as_str())).chain(append);
        for (i, (name, value)) in pairs.enumerate() {
            if i > 0 {
                out.push(PROPERTY_SEPARATOR);
            }
            out.push_str(name);
            out.push(NAME_VALUE_SEPARATOR);
            out.push_str(value);
        }
        out
    }

    /// Encode as Java 5.2.0+ `messageProperties2String` does: every pair, the last included,
    /// followed by `\u0002`. An empty map gives an empty string.
    pub fn encode_with_trailing_separator(&self) -> String {
        let len = self.entries.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        let mut out = String::with_capacity(len);
        for (name, value) in &self.entries {
            out.push_str(name);
            out.push(NAME_VALUE_SEPARATOR);
            out.push_str(value);
            out.push(PROPERTY_SEPARATOR);
        }
        out
    }

    /// Decode like Java `string2messageProperties`: split on `\u0002`; a segment is a pair
    /// when its first `\u0001` is neither its first nor its last character (so names and values
    /// are never empty; a value may contain further `\u0001`). Other segments are skipped
    /// silently, a trailing separator is optional, and for a repeated name the last value wins
    /// (at the position of the first occurrence). Never fails.
    pub fn decode(s: &str) -> Properties {
        let pairs: Vec<(&str, &str)> = s
            .split(PROPERTY_SEPARATOR)
            .filter_map(|segment| {
                let sep = segment.find(NAME_VALUE_SEPARATOR)?;
                // The separator is one byte, so `sep + 1 <= segment.len()` and both slices are
                // on char boundaries.
                let (name, rest) = segment.split_at(sep);
                let value = rest.get(1..)?;
                (!name.is_empty() && !value.is_empty()).then_some((name, value))
            })
            .collect();
        let mut props = Properties { entries: Vec::with_capacity(pairs.len()) };
        if pairs.len() <= LINEAR_DEDUP_LIMIT {
            for (name, value) in pairs {
                props.insert_str(name, value);
            }
        } else {
            let mut index: HashMap<&str, usize> = HashMap::with_capacity(pairs.len());
            for (name, value) in pairs {
                match index.get(name) {
                    Some(&i) => {
                        if let Some(slot) = props.entries.get_mut(i) {
                            slot.1 = value.to_owned();
                        }
                    }
                    None => {
                        index.insert(name, props.entries.len());
                        props.entries.push((self::name(name), value.to_owned()));
                    }
                }
            }
        }
        props
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Properties {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut props = Properties::new();
        props.extend(iter);
        props
    }
}

impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for Properties {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decoding stores the common names without a copy, and a name stored either way
    /// compares, replaces and encodes the same.
    #[test]
    fn common_names_are_stored_without_a_copy() {
        let mut props = Properties::decode("TAGS\u{1}a\u{2}myprop\u{1}x\u{2}TAGS\u{1}b");
        let borrowed: Vec<bool> = props.entries.iter().map(|(k, _)| matches!(k, Cow::Borrowed(_))).collect();
        assert_eq!(borrowed, [true, false]);
        assert_eq!(props.get("TAGS"), Some("b"), "the last value wins");
        assert_eq!(props.insert("TAGS", "c"), Some("b".to_owned()));
        assert_eq!(props.insert(String::from("myprop"), "y"), Some("x".to_owned()));
        assert_eq!(props.len(), 2);
        assert_eq!(props.encode(), "TAGS\u{1}c\u{2}myprop\u{1}y");
        assert_eq!(props, Properties::decode(&props.encode()));
    }

    #[test]
    fn encode_edited_is_encode_of_the_edited_copy() {
        let mut map = Properties::new();
        for (k, v) in [("WAIT", "true"), ("RECONSUME_TIME", "3"), ("TAGS", "a"), ("MAX_RECONSUME_TIMES", "16")] {
            map.insert(k, v);
        }
        let remove = ["RECONSUME_TIME", "MAX_RECONSUME_TIMES", "absent"];
        for (remove, append) in [(&remove[..], Some(("UNIQ_KEY", "ID"))), (&[][..], None), (&remove[..], None)] {
            let mut copy = map.clone();
            for name in remove {
                copy.remove(name);
            }
            if let Some((k, v)) = append {
                copy.insert(k, v);
            }
            assert_eq!(map.encode_edited(remove, append), copy.encode(), "remove {remove:?} append {append:?}");
        }
        assert_eq!(Properties::new().encode_edited(&[], Some(("K", "V"))), "K\u{1}V");
        assert_eq!(Properties::new().encode_edited(&[], None), "");
    }

    fn props(pairs: &[(&str, &str)]) -> Properties {
        pairs.iter().copied().collect()
    }

    #[test]
    fn encode_matches_java_4_9_4_capture() {
        // a-producer-json/009-c2s-req-310.bin, header field `i`, byte for byte.
        let p = props(&[
            ("a", "7"),
            ("color", "red"),
            ("KEYS", "order-1001 user-42"),
            ("unicode", "héllo-世界"),
            ("UNIQ_KEY", "C00002021B575FFD2B277B5EB9A80000"),
            ("WAIT", "true"),
            ("TAGS", "TagA"),
        ]);
        assert_eq!(
            p.encode(),
            "a\u{1}7\u{2}color\u{1}red\u{2}KEYS\u{1}order-1001 user-42\u{2}unicode\u{1}héllo-世界\u{2}\
             UNIQ_KEY\u{1}C00002021B575FFD2B277B5EB9A80000\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA"
        );
        assert_eq!(p.encode_with_trailing_separator(), format!("{}\u{2}", p.encode()));
    }

    #[test]
    fn empty_map_encodes_to_empty_string() {
        assert_eq!(Properties::new().encode(), "");
        assert_eq!(Properties::new().encode_with_trailing_separator(), "");
        assert!(Properties::decode("").is_empty());
    }

    #[test]
    fn decode_accepts_both_separator_styles() {
        let want = props(&[("WAIT", "true"), ("TAGS", "TagA")]);
        assert_eq!(Properties::decode("WAIT\u{1}true\u{2}TAGS\u{1}TagA"), want);
        assert_eq!(Properties::decode("WAIT\u{1}true\u{2}TAGS\u{1}TagA\u{2}"), want);
        assert_eq!(Properties::decode("WAIT\u{1}true"), props(&[("WAIT", "true")]));
    }

    #[test]
    fn decode_skips_what_java_skips() {
        // Empty segments, no separator, empty name, empty value, too short: all skipped.
        let s = "\u{2}\u{2}novalue\u{2}\u{1}x\u{2}k\u{1}\u{2}ab\u{2}k\u{1}v\u{2}\u{1}\u{2}";
        assert_eq!(Properties::decode(s), props(&[("k", "v")]));
        // A value may contain further name/value separators; only the first one splits.
        assert_eq!(Properties::decode("k\u{1}a\u{1}b"), props(&[("k", "a\u{1}b")]));
        // Last duplicate wins, at the first position.
        assert_eq!(Properties::decode("a\u{1}1\u{2}b\u{1}2\u{2}a\u{1}3"), props(&[("a", "3"), ("b", "2")]));
    }

    #[test]
    fn decode_many_duplicates_uses_index_and_keeps_semantics() {
        let mut s = String::new();
        for i in 0..200 {
            s.push_str(&format!("k{}\u{1}v{i}\u{2}", i % 50));
        }
        let p = Properties::decode(&s);
        assert_eq!(p.len(), 50);
        assert_eq!(p.get("k0"), Some("v150"));
        assert_eq!(p.get("k49"), Some("v199"));
        assert_eq!(p.iter().next(), Some(("k0", "v150")));
    }

    #[test]
    fn map_operations() {
        let mut p = Properties::new();
        assert_eq!(p.insert("a", "1"), None);
        assert_eq!(p.insert("b", "2"), None);
        assert_eq!(p.insert("a", "3"), Some("1".to_owned()));
        assert_eq!(p.len(), 2);
        assert_eq!(p.iter().collect::<Vec<_>>(), vec![("a", "3"), ("b", "2")]);
        assert!(p.contains_key("b"));
        assert_eq!(p.remove("a"), Some("3".to_owned()));
        assert_eq!(p.remove("a"), None);
        assert_eq!(p.get("b"), Some("2"));
        assert!(!p.is_empty());
    }

    #[test]
    fn round_trip_non_ascii() {
        let p = props(&[("unicode", "héllo-世界"), ("emoji", "🦀"), ("k", "a\u{1}b")]);
        assert_eq!(Properties::decode(&p.encode()), p);
        assert_eq!(Properties::decode(&p.encode_with_trailing_separator()), p);
    }
}
