//! Reading and writing the JSON dialect of fastjson 1.x, which Java's `RemotingSerializable`
//! (`remoting/protocol/RemotingSerializable.java`) uses for every body (protocol.md §3.8).
//!
//! fastjson writes map keys that are not strings without quotes: `Long`/`Integer` keys as bare
//! numbers (`{0:"127.0.0.1:10911"}`) and object keys, such as `MessageQueue`, as bare JSON
//! objects (`{{"brokerName":"b","queueId":0,"topic":"T"}:120}`). Neither is JSON.
//!
//! Reading: [`normalize`] is a pre-pass that rewrites every such key into a JSON string (a bare
//! token becomes `"0"`; an object or array key becomes the string holding its compact JSON
//! text), so that `serde_json` can parse the result. Standard JSON passes through unchanged.
//! [`mq_entries`] then turns a map whose keys are `MessageQueue` texts back into pairs.
//!
//! Writing: [`write_mq_map`] writes a `MessageQueue`-keyed map the way fastjson does (object keys
//! unquoted), because Java peers (mqadmin, `LocalFileOffsetStore`) parse what we send with
//! fastjson, which needs real objects there.
//!
//! Nothing here panics on any input; malformed input is an [`crate::ErrorKind::Protocol`] error.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::queue::MessageQueue;

/// How deeply object keys may nest inside object keys before the input is refused.
const MAX_KEY_DEPTH: usize = 16;

/// Rewrite fastjson output into standard JSON text (see the module docs).
///
/// Bare keys (numbers or identifiers) are quoted; object and array keys become strings holding
/// their compact JSON text (key order kept). Everything else is copied unchanged, so invalid
/// input stays invalid and is reported by the JSON parser that runs next.
pub fn normalize(input: &[u8]) -> Result<String> {
    let text =
        std::str::from_utf8(input).map_err(|e| Error::protocol("JSON body is not valid UTF-8").with_source(e))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    normalize_str(text, 0)
}

/// Parse fastjson output (or standard JSON) into a [`Value`]; object keys come out as strings.
pub fn parse_value(input: &[u8]) -> Result<Value> {
    let json = normalize(input)?;
    serde_json::from_str(&json).map_err(|e| Error::protocol("malformed JSON body").with_source(e))
}

/// Parse fastjson output (or standard JSON) into `T`; `what` names the body in the error.
/// The body must be a JSON object (every Java body class is one). A key that appears twice
/// keeps its last value, as with fastjson.
pub fn parse<T: DeserializeOwned>(input: &[u8], what: &str) -> Result<T> {
    let value = parse_value(input).map_err(|e| Error::protocol(format!("malformed {what} body: {}", e.message())))?;
    if !value.is_object() {
        return Err(Error::protocol(format!("malformed {what} body: not a JSON object")));
    }
    serde_json::from_value(value).map_err(|e| Error::protocol(format!("malformed {what} body")).with_source(e))
}

/// Serialize `value` as standard JSON bytes (fastjson reads standard JSON).
///
/// serde_json only fails for maps with non-string keys or failing `Serialize` impls, and the body
/// types of this crate have neither; the empty fallback is unreachable in practice.
pub(crate) fn to_vec<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// Append `value` as compact JSON to `out` (see [`to_vec`] for why this cannot fail).
pub(crate) fn push_json<T: Serialize>(out: &mut String, value: &T) {
    match serde_json::to_string(value) {
        Ok(text) => out.push_str(&text),
        Err(_) => out.push_str("null"),
    }
}

/// A JSON object key: `"name":`.
pub(crate) fn push_key(out: &mut String, key: &str) {
    push_json(out, &key);
    out.push(':');
}

/// Write a `MessageQueue` the way fastjson does: `{"brokerName":…,"queueId":…,"topic":…}`
/// (bean properties in alphabetical order).
pub fn write_mq(out: &mut String, mq: &MessageQueue) {
    out.push('{');
    push_key(out, "brokerName");
    push_json(out, &mq.broker_name);
    out.push(',');
    push_key(out, "queueId");
    out.push_str(&mq.queue_id.to_string());
    out.push(',');
    push_key(out, "topic");
    push_json(out, &mq.topic);
    out.push('}');
}

/// Write a `MessageQueue`-keyed map in fastjson style: `{{"brokerName":…}:value,…}`, entries in
/// the order given. Values are written as standard JSON.
pub fn write_mq_map<'a, V, I>(out: &mut String, entries: I)
where
    V: Serialize + 'a,
    I: IntoIterator<Item = (&'a MessageQueue, &'a V)>,
{
    out.push('{');
    for (i, (mq, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_mq(out, mq);
        out.push(':');
        push_json(out, value);
    }
    out.push('}');
}

/// Serializes a `MessageQueue` with fastjson's key order (`brokerName`, `queueId`, `topic`).
struct JavaMq<'a>(&'a MessageQueue);

impl Serialize for JavaMq<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("MessageQueue", 3)?;
        st.serialize_field("brokerName", &self.0.broker_name)?;
        st.serialize_field("queueId", &self.0.queue_id)?;
        st.serialize_field("topic", &self.0.topic)?;
        st.end()
    }
}

/// `serialize_with` for a list of queues (a Java `Set<MessageQueue>`), in fastjson key order.
pub(crate) fn ser_mq_vec<S: serde::Serializer>(list: &[MessageQueue], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(list.iter().map(JavaMq))
}

/// A lenient `MessageQueue` reader: missing keys default, `queueId` may be quoted.
#[derive(Deserialize)]
struct LenientMq {
    #[serde(default, deserialize_with = "de_null_default")]
    topic: String,
    #[serde(default, rename = "brokerName", deserialize_with = "de_null_default")]
    broker_name: String,
    #[serde(default, rename = "queueId", deserialize_with = "de_i32")]
    queue_id: i32,
}

impl From<LenientMq> for MessageQueue {
    fn from(mq: LenientMq) -> Self {
        MessageQueue { topic: mq.topic, broker_name: mq.broker_name, queue_id: mq.queue_id }
    }
}

/// Parse a `MessageQueue` from a map key produced by [`normalize`] (its JSON object text).
pub fn mq_from_key(key: &str) -> Result<MessageQueue> {
    serde_json::from_str::<LenientMq>(key)
        .map(MessageQueue::from)
        .map_err(|e| Error::protocol(format!("map key is not a MessageQueue: {key:?}")).with_source(e))
}

/// Read a `MessageQueue` from a JSON value (lenient like [`mq_from_key`]).
pub fn mq_from_value(value: Value) -> Result<MessageQueue> {
    serde_json::from_value::<LenientMq>(value)
        .map(MessageQueue::from)
        .map_err(|e| Error::protocol("value is not a MessageQueue").with_source(e))
}

/// Turn a map whose keys are `MessageQueue` JSON texts (as [`normalize`] makes them) into
/// `(MessageQueue, V)` pairs, in input order.
pub fn mq_entries<V: DeserializeOwned>(map: Map<String, Value>) -> Result<Vec<(MessageQueue, V)>> {
    map.into_iter()
        .map(|(key, value)| {
            let mq = mq_from_key(&key)?;
            let value = serde_json::from_value(value)
                .map_err(|e| Error::protocol(format!("bad value for queue {mq}")).with_source(e))?;
            Ok((mq, value))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// serde helpers: lenient field readers (Java's fastjson reader is lenient: null means default,
// numbers may be quoted).

/// `null` (or a missing key, with `#[serde(default)]`) becomes `T::default()`.
pub(crate) fn de_null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn value_to_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Null => Some(0),
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64().filter(|f| f.fract() == 0.0 && *f >= i64::MIN as f64 && *f < i64::MAX as f64).map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(_) | Value::Array(_) | Value::Object(_) => None,
    }
}

/// An `i64` that may be quoted or null.
pub(crate) fn de_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let value = Value::deserialize(d)?;
    value_to_i64(&value).ok_or_else(|| D::Error::custom(format!("expected an integer, found {value}")))
}

/// An `i32` that may be quoted or null.
pub(crate) fn de_i32<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let value = Value::deserialize(d)?;
    value_to_i64(&value)
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| D::Error::custom(format!("expected a 32-bit integer, found {value}")))
}

/// An `f64` that may be quoted or null.
pub(crate) fn de_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let value = Value::deserialize(d)?;
    match &value {
        Value::Null => Some(0.0),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| D::Error::custom(format!("expected a number, found {value}")))
}

/// A `bool` that may be quoted or null.
pub(crate) fn de_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let value = Value::deserialize(d)?;
    match &value {
        Value::Null => Some(false),
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        _ => None,
    }
    .ok_or_else(|| D::Error::custom(format!("expected a boolean, found {value}")))
}

/// A list of `MessageQueue`s (a Java `Set<MessageQueue>`), each read leniently.
pub(crate) fn de_mq_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<MessageQueue>, D::Error> {
    let list = Option::<Vec<Value>>::deserialize(d)?.unwrap_or_default();
    list.into_iter().map(|v| mq_from_value(v).map_err(|e| D::Error::custom(e.message()))).collect()
}

/// Read an offset (`i64`) leniently: a number, a quoted number, or null (0).
pub(crate) fn lenient_i64(value: &Value) -> Option<i64> {
    value_to_i64(value)
}

/// A `MessageQueue`-keyed map of `V`, as pairs in input order.
pub(crate) fn de_mq_map<'de, D, V>(d: D) -> Result<Vec<(MessageQueue, V)>, D::Error>
where
    D: Deserializer<'de>,
    V: DeserializeOwned,
{
    let map = Option::<Map<String, Value>>::deserialize(d)?.unwrap_or_default();
    mq_entries(map).map_err(|e| D::Error::custom(e.message()))
}

// ---------------------------------------------------------------------------------------------
// The pre-pass.

#[derive(Clone, Copy)]
enum Container {
    /// An object; `true` while the next token is a key.
    Object(bool),
    Array,
}

fn normalize_str(text: &str, depth: usize) -> Result<String> {
    if depth > MAX_KEY_DEPTH {
        return Err(Error::protocol("object keys nested too deeply"));
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut stack: Vec<Container> = Vec::new();
    let mut i = 0;
    // `copied` marks how far `text` has been copied to `out`; runs of ordinary characters are
    // copied in one slice when something needs rewriting, so multi-byte characters stay whole.
    let mut copied = 0;
    while let Some(&b) = bytes.get(i) {
        let at_key = matches!(stack.last(), Some(Container::Object(true)));
        match b {
            b'"' => {
                let end = string_end(bytes, i)?;
                if at_key {
                    set_key_done(&mut stack);
                }
                i = end;
            }
            b'{' | b'[' if at_key => {
                let end = matching_end(bytes, i)?;
                out.push_str(slice(text, copied, i)?);
                let inner = normalize_str(slice(text, i, end)?, depth + 1)?;
                let value: Value = serde_json::from_str(&inner)
                    .map_err(|e| Error::protocol("malformed object used as a map key").with_source(e))?;
                let compact =
                    serde_json::to_string(&value).map_err(|e| Error::protocol("unprintable map key").with_source(e))?;
                push_json(&mut out, &compact);
                set_key_done(&mut stack);
                i = end;
                copied = end;
            }
            b'{' => {
                stack.push(Container::Object(true));
                i += 1;
            }
            b'[' => {
                stack.push(Container::Array);
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                i += 1;
            }
            b',' => {
                if let Some(Container::Object(expect_key)) = stack.last_mut() {
                    *expect_key = true;
                }
                i += 1;
            }
            b if at_key && is_bare_key_byte(b) => {
                let mut end = i;
                while bytes.get(end).is_some_and(|&c| is_bare_key_byte(c)) {
                    end += 1;
                }
                out.push_str(slice(text, copied, i)?);
                push_json(&mut out, &slice(text, i, end)?);
                set_key_done(&mut stack);
                i = end;
                copied = end;
            }
            _ => i += 1,
        }
    }
    out.push_str(slice(text, copied, text.len())?);
    Ok(out)
}

fn set_key_done(stack: &mut [Container]) {
    if let Some(Container::Object(expect_key)) = stack.last_mut() {
        *expect_key = false;
    }
}

/// Characters of a bare (unquoted) key: numbers and Java identifiers. Non-ASCII bytes count,
/// so identifiers in other scripts are kept whole.
fn is_bare_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.' | b'_' | b'$') || b >= 0x80
}

fn slice(text: &str, from: usize, to: usize) -> Result<&str> {
    text.get(from..to).ok_or_else(|| Error::protocol("JSON body split inside a character"))
}

/// The index just past the string that starts at `start` (which holds `"`).
fn string_end(bytes: &[u8], start: usize) -> Result<usize> {
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(Error::protocol("unterminated string in JSON body"))
}

/// The index just past the object or array that starts at `start`, skipping strings.
fn matching_end(bytes: &[u8], start: usize) -> Result<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i = string_end(bytes, i)?;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err(Error::protocol("unterminated object used as a map key"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::collections::BTreeMap;

    #[test]
    fn standard_json_passes_unchanged() {
        let text = r#"{"a":[1,2,{"b":"x\"y{"}],"c":{},"d":[],"é":"ü","e":null,"f":-1.5e3}"#;
        assert_eq!(normalize(text.as_bytes()).ok().as_deref(), Some(text));
    }

    #[test]
    fn bare_numeric_keys_are_quoted() {
        let text = br#"{"brokerAddrs":{0:"127.0.0.1:60911", 1 : "10.0.0.2:10911",-1:"x"}}"#;
        let json = normalize(text).ok();
        assert_eq!(
            json.as_deref(),
            Some(r#"{"brokerAddrs":{"0":"127.0.0.1:60911", "1" : "10.0.0.2:10911","-1":"x"}}"#)
        );
        #[derive(Deserialize)]
        struct B {
            #[serde(rename = "brokerAddrs")]
            addrs: BTreeMap<i64, String>,
        }
        let b: Option<B> = parse(text, "test").ok();
        let addrs = b.map(|b| b.addrs).unwrap_or_default();
        assert_eq!(addrs.get(&0).map(String::as_str), Some("127.0.0.1:60911"));
        assert_eq!(addrs.get(&1).map(String::as_str), Some("10.0.0.2:10911"));
        assert_eq!(addrs.get(&-1).map(String::as_str), Some("x"));
    }

    #[test]
    fn object_keys_become_compact_strings() {
        let text = br#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:120,
            { "brokerName" : "b", "queueId" : 1, "topic" : "T{}" } : 7}}"#;
        let value = parse_value(text).ok();
        let table = value.as_ref().and_then(|v| v.get("offsetTable")).and_then(Value::as_object);
        let keys: Vec<&String> = table.map(|t| t.keys().collect()).unwrap_or_default();
        assert_eq!(
            keys,
            vec![r#"{"brokerName":"b","queueId":0,"topic":"T"}"#, r#"{"brokerName":"b","queueId":1,"topic":"T{}"}"#]
        );
        let entries: Vec<(MessageQueue, i64)> = table.cloned().map(mq_entries).and_then(Result::ok).unwrap_or_default();
        assert_eq!(entries, vec![(MessageQueue::new("T", "b", 0), 120), (MessageQueue::new("T{}", "b", 1), 7)]);
    }

    #[test]
    fn nested_object_key_inside_key_and_pretty_printed_file() {
        // Java's LocalFileOffsetStore writes pretty-printed fastjson (tabs and newlines).
        let text = "{\n\t\"offsetTable\":{{\n\t\t\t\"brokerName\":\"b\",\n\t\t\t\"queueId\":3,\n\t\t\t\"topic\":\"T\"\n\t\t}:42\n\t}\n}";
        let value = parse_value(text.as_bytes()).ok();
        let table = value.as_ref().and_then(|v| v.get("offsetTable")).and_then(Value::as_object).cloned();
        let entries: Vec<(MessageQueue, i64)> = table.map(mq_entries).and_then(Result::ok).unwrap_or_default();
        assert_eq!(entries, vec![(MessageQueue::new("T", "b", 3), 42)]);

        let nested = br#"{{{"a":1}:2}:3}"#;
        let value = parse_value(nested).ok();
        let key = value.as_ref().and_then(Value::as_object).and_then(|m| m.keys().next().cloned());
        assert_eq!(key.as_deref(), Some(r#"{"{\"a\":1}":2}"#));
    }

    #[test]
    fn malformed_input_is_a_protocol_error() {
        for bad in [&b"{"[..], b"{\"a\":", b"{{\"a\":1}", b"{\"a\" 1}", b"\xff\xfe", b"{{\"a\":1}:}", b"[1,]", b""] {
            let err = parse_value(bad).err();
            assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Protocol), "input {bad:?}");
        }
        let deep = "{".repeat(MAX_KEY_DEPTH + 3) + &"}".repeat(MAX_KEY_DEPTH + 3);
        assert!(parse_value(deep.as_bytes()).is_err());
        let deep_values = "[".repeat(100_000);
        assert!(parse_value(deep_values.as_bytes()).is_err());
    }

    #[test]
    fn writes_fastjson_style_mq_maps() {
        let a = MessageQueue::new("T\"1", "b", 0);
        let b = MessageQueue::new("T", "b", 1);
        let mut out = String::new();
        write_mq_map(&mut out, [(&a, &5i64), (&b, &-1i64)]);
        assert_eq!(
            out,
            r#"{{"brokerName":"b","queueId":0,"topic":"T\"1"}:5,{"brokerName":"b","queueId":1,"topic":"T"}:-1}"#
        );
        let back: Option<Map<String, Value>> = parse(out.as_bytes(), "test").ok();
        let entries: Vec<(MessageQueue, i64)> = back.map(mq_entries).and_then(Result::ok).unwrap_or_default();
        assert_eq!(entries, vec![(a, 5), (b, -1)]);
        let mut empty = String::new();
        write_mq_map::<i64, _>(&mut empty, []);
        assert_eq!(empty, "{}");
    }

    #[test]
    fn lenient_scalars() {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct S {
            #[serde(deserialize_with = "de_i32")]
            a: i32,
            #[serde(deserialize_with = "de_i64")]
            b: i64,
            #[serde(deserialize_with = "de_bool")]
            c: bool,
            #[serde(deserialize_with = "de_f64")]
            d: f64,
            #[serde(deserialize_with = "de_null_default")]
            e: Vec<String>,
        }
        let s: Option<S> = parse(br#"{"a":"7","b":"-9","c":"true","d":"1.5","e":null}"#, "t").ok();
        let s = s.unwrap_or_default();
        assert_eq!((s.a, s.b, s.c, s.d, s.e.len()), (7, -9, true, 1.5, 0));
        let s: Option<S> = parse(br#"{"a":null,"b":3.0,"c":1}"#, "t").ok();
        let s = s.unwrap_or_default();
        assert_eq!((s.a, s.b, s.c), (0, 3, true));
        assert!(parse::<S>(br#"{"a":4294967296}"#, "t").is_err());
        assert!(parse::<S>(br#"{"c":"yes"}"#, "t").is_err());
    }

    /// Random inputs and mutations of real-looking bodies, fixed seeds, bounded: nothing panics,
    /// and strict JSON always normalizes to itself.
    #[test]
    fn fuzz_never_panics() {
        const SEEDS: [&str; 5] = [
            r#"{"brokerAddrTable":{"b":{"brokerAddrs":{0:"127.0.0.1:60911"},"brokerName":"b","cluster":"C"}},"clusterAddrTable":{"C":["b"]}}"#,
            r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:120}}"#,
            r#"{"mqTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"commitOffset":1,"droped":false}},"properties":{"a":"ü"}}"#,
            r#"{"offsetTable":[{"brokerName":"b","queueId":0,"topic":"T","offset":5}]}"#,
            "{\"x\":\"\\u00e9\\\"\",\"y\":[1,2.5,true,null]}",
        ];
        const ALPHABET: &[u8] = b"{}[]\":,0123456789-.eE abc\\u\xc3\xa9\xff\ttrue";
        let mut rng = fastrand::Rng::with_seed(0x5eed_f457);
        for round in 0..20_000 {
            let mut input: Vec<u8> = if round % 4 == 0 {
                let len = rng.usize(0..64);
                (0..len).map(|_| ALPHABET.get(rng.usize(..ALPHABET.len())).copied().unwrap_or(b'x')).collect()
            } else {
                SEEDS.get(rng.usize(..SEEDS.len())).map(|s| s.as_bytes().to_vec()).unwrap_or_default()
            };
            for _ in 0..rng.usize(0..6) {
                if input.is_empty() {
                    break;
                }
                let pos = rng.usize(..input.len());
                match rng.u8(0..4) {
                    0 => {
                        input.remove(pos);
                    }
                    1 => input.insert(pos, ALPHABET.get(rng.usize(..ALPHABET.len())).copied().unwrap_or(b'{')),
                    2 => {
                        if let Some(b) = input.get_mut(pos) {
                            *b = rng.u8(..);
                        }
                    }
                    _ => {
                        let end = rng.usize(pos..=input.len());
                        let chunk: Vec<u8> = input.get(pos..end).map(<[u8]>::to_vec).unwrap_or_default();
                        input.splice(pos..pos, chunk);
                    }
                }
            }
            let normalized = normalize(&input);
            if serde_json::from_slice::<Value>(&input).is_ok() {
                assert_eq!(normalized.ok().as_deref().map(str::as_bytes), Some(&input[..]), "strict JSON changed");
            }
            let _ = parse_value(&input);
            let _ = crate::body::route::TopicRouteData::decode(&input);
            let _ = crate::body::route::ClusterInfo::decode(&input);
            let _ = crate::body::heartbeat::HeartbeatData::decode(&input);
            let _ = crate::body::consumer::ResetOffsetBody::decode(&input);
            let _ = crate::body::consumer::ConsumerRunningInfo::decode(&input);
            let _ = crate::body::consumer::OffsetSerializeWrapper::decode(&input);
            let _ = crate::body::consumer::GetConsumerStatusBody::decode(&input);
        }
    }
}
