//! The HEART_BEAT body (protocol.md §2.5.1): Java `HeartbeatData`, `ProducerData`,
//! `ConsumerData`, `SubscriptionData` (`common/protocol/heartbeat/*.java` in 4.9.x,
//! `remoting/protocol/heartbeat/*.java` in 5.x) and the subscription rules of
//! `FilterAPI.buildSubscriptionData` / `FilterAPI.build`.
//!
//! Keys are written exactly as fastjson writes them (names from the Java getters, alphabetical
//! order, enums by name); unknown keys are ignored on input.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::fastjson::{self, de_bool, de_i32, de_i64, de_null_default};
use crate::error::{Error, ErrorKind, Result};
use crate::message::hash::java_string_hash;

/// Java `SubscriptionData.SUB_ALL`: the expression that matches every tag.
pub const SUB_ALL: &str = "*";

/// Java `ConsumeType` (serialized by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ConsumeType {
    /// `CONSUME_ACTIVELY`: a pull consumer.
    #[serde(rename = "CONSUME_ACTIVELY")]
    ConsumeActively,
    /// `CONSUME_PASSIVELY`: a push consumer. The default when the key is missing on input.
    #[default]
    #[serde(rename = "CONSUME_PASSIVELY")]
    ConsumePassively,
    /// `CONSUME_POP`: a 5.x pop consumer.
    #[serde(rename = "CONSUME_POP")]
    ConsumePop,
}

impl ConsumeType {
    /// The Java enum name, e.g. `"CONSUME_PASSIVELY"` (as in `PROP_CONSUME_TYPE`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConsumeType::ConsumeActively => "CONSUME_ACTIVELY",
            ConsumeType::ConsumePassively => "CONSUME_PASSIVELY",
            ConsumeType::ConsumePop => "CONSUME_POP",
        }
    }
}

/// Java `MessageModel` (serialized by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum MessageModel {
    /// `BROADCASTING`: every consumer of the group gets every message.
    #[serde(rename = "BROADCASTING")]
    Broadcasting,
    /// `CLUSTERING`: the group shares the queues (Java's default).
    #[default]
    #[serde(rename = "CLUSTERING")]
    Clustering,
}

impl MessageModel {
    /// The Java enum name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageModel::Broadcasting => "BROADCASTING",
            MessageModel::Clustering => "CLUSTERING",
        }
    }
}

/// Java `ConsumeFromWhere` (serialized by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ConsumeFromWhere {
    /// `CONSUME_FROM_LAST_OFFSET` (Java's default).
    #[default]
    #[serde(rename = "CONSUME_FROM_LAST_OFFSET")]
    ConsumeFromLastOffset,
    /// `CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST` (deprecated in Java).
    #[serde(rename = "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST")]
    ConsumeFromLastOffsetAndFromMinWhenBootFirst,
    /// `CONSUME_FROM_MIN_OFFSET` (deprecated in Java).
    #[serde(rename = "CONSUME_FROM_MIN_OFFSET")]
    ConsumeFromMinOffset,
    /// `CONSUME_FROM_MAX_OFFSET` (deprecated in Java).
    #[serde(rename = "CONSUME_FROM_MAX_OFFSET")]
    ConsumeFromMaxOffset,
    /// `CONSUME_FROM_FIRST_OFFSET`.
    #[serde(rename = "CONSUME_FROM_FIRST_OFFSET")]
    ConsumeFromFirstOffset,
    /// `CONSUME_FROM_TIMESTAMP`.
    #[serde(rename = "CONSUME_FROM_TIMESTAMP")]
    ConsumeFromTimestamp,
}

impl ConsumeFromWhere {
    /// The Java enum name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsumeFromWhere::ConsumeFromLastOffset => "CONSUME_FROM_LAST_OFFSET",
            ConsumeFromWhere::ConsumeFromLastOffsetAndFromMinWhenBootFirst => {
                "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST"
            }
            ConsumeFromWhere::ConsumeFromMinOffset => "CONSUME_FROM_MIN_OFFSET",
            ConsumeFromWhere::ConsumeFromMaxOffset => "CONSUME_FROM_MAX_OFFSET",
            ConsumeFromWhere::ConsumeFromFirstOffset => "CONSUME_FROM_FIRST_OFFSET",
            ConsumeFromWhere::ConsumeFromTimestamp => "CONSUME_FROM_TIMESTAMP",
        }
    }
}

/// Java `ExpressionType`: how `subString` is interpreted. A string in Java; on input a missing,
/// null or empty value means `TAG`, as the broker reads it (`ExpressionType.isTagType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ExpressionType {
    /// `"TAG"`: `tag1 || tag2`, or `*`.
    #[default]
    Tag,
    /// `"SQL92"`: a broker-evaluated SQL92 condition over message properties.
    Sql92,
}

impl ExpressionType {
    /// The wire text: `"TAG"` or `"SQL92"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpressionType::Tag => "TAG",
            ExpressionType::Sql92 => "SQL92",
        }
    }

    /// Parse the wire text; empty means `TAG`, anything unknown is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "" | "TAG" => Some(ExpressionType::Tag),
            "SQL92" => Some(ExpressionType::Sql92),
            _ => None,
        }
    }
}

impl Serialize for ExpressionType {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ExpressionType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = Option::<String>::deserialize(d)?.unwrap_or_default();
        ExpressionType::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("unknown expressionType {text:?}")))
    }
}

/// Java `SubscriptionData`: one topic subscription of a consumer group.
///
/// `tagsSet`/`codeSet` are Java `HashSet`s; they are kept in wire order here, and
/// [`SubscriptionData::build`] produces them in the order a Java `HashSet` iterates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubscriptionData {
    /// `classFilterMode` (legacy filter classes; always false).
    #[serde(rename = "classFilterMode", deserialize_with = "de_bool")]
    pub class_filter_mode: bool,
    /// `codeSet`: Java `String.hashCode` of each tag. The broker filters on these.
    #[serde(rename = "codeSet", deserialize_with = "de_null_default")]
    pub code_set: Vec<i32>,
    /// `expressionType`: `TAG` or `SQL92`.
    #[serde(rename = "expressionType")]
    pub expression_type: ExpressionType,
    /// `subString`: the expression (`"*"` for everything).
    #[serde(rename = "subString", deserialize_with = "de_null_default")]
    pub sub_string: String,
    /// `subVersion`: creation time in ms; the broker refuses pulls newer than what it holds.
    #[serde(rename = "subVersion", deserialize_with = "de_i64")]
    pub sub_version: i64,
    /// `tagsSet`: the tags of a TAG expression (empty for `*` and SQL92).
    #[serde(rename = "tagsSet", deserialize_with = "de_null_default")]
    pub tags_set: Vec<String>,
    /// `topic`.
    #[serde(deserialize_with = "de_null_default")]
    pub topic: String,
}

impl Default for SubscriptionData {
    fn default() -> Self {
        SubscriptionData {
            class_filter_mode: false,
            code_set: Vec::new(),
            expression_type: ExpressionType::Tag,
            sub_string: SUB_ALL.to_string(),
            sub_version: 0,
            tags_set: Vec::new(),
            topic: String::new(),
        }
    }
}

impl SubscriptionData {
    /// Java `FilterAPI.build(topic, subString, type)` with the given `subVersion`.
    ///
    /// TAG (`FilterAPI.buildSubscriptionData`): an empty expression or `*` subscribes to
    /// everything (`subString = "*"`, empty sets). Otherwise the expression is split on `||`,
    /// each part trimmed like Java `String.trim` (characters up to U+0020), empty parts dropped;
    /// `tagsSet` holds the tags and `codeSet` their Java hash codes, both deduplicated and in
    /// Java `HashSet` iteration order. An expression made only of `||` separators is refused,
    /// as Java refuses it ("subString split error").
    ///
    /// SQL92: the expression is kept verbatim with empty sets; an empty expression is refused.
    ///
    /// Errors are [`ErrorKind::Encode`]: the subscription cannot be put on the wire.
    pub fn build(
        topic: impl Into<String>,
        expression: &str,
        expression_type: ExpressionType,
        sub_version: i64,
    ) -> Result<Self> {
        let mut data = SubscriptionData { topic: topic.into(), sub_version, expression_type, ..Default::default() };
        match expression_type {
            ExpressionType::Sql92 => {
                if expression.is_empty() {
                    return Err(Error::new(ErrorKind::Encode, "Expression can't be null! SQL92"));
                }
                data.sub_string = expression.to_string();
            }
            ExpressionType::Tag => {
                if expression.is_empty() || expression == SUB_ALL {
                    return Ok(data);
                }
                data.sub_string = expression.to_string();
                // Java's String.split drops trailing empty parts; an expression that splits
                // into nothing but empty parts gives a zero-length array, which Java refuses.
                if expression.split("||").all(str::is_empty) {
                    return Err(Error::new(
                        ErrorKind::Encode,
                        format!("subString split error: {expression:?} has no tags"),
                    ));
                }
                let mut tags: Vec<String> = Vec::new();
                for tag in expression.split("||").map(java_trim).filter(|t| !t.is_empty()) {
                    if !tags.iter().any(|t| t == tag) {
                        tags.push(tag.to_string());
                    }
                }
                let mut codes: Vec<i32> = Vec::new();
                for code in tags.iter().map(|t| java_string_hash(t)) {
                    if !codes.contains(&code) {
                        codes.push(code);
                    }
                }
                data.tags_set = java_hash_set_order(tags, |t| java_string_hash(t));
                data.code_set = java_hash_set_order(codes, |c| *c);
            }
        }
        Ok(data)
    }

    /// Whether this subscription means "every message" (`subString == "*"`).
    pub fn is_sub_all(&self) -> bool {
        self.sub_string == SUB_ALL
    }

    /// The client-side re-filter of Java `PullAPIWrapper.processPullResult`: with a non-empty
    /// `tagsSet` (and no class filter) a message passes only if it has a tag that is in the
    /// set; otherwise everything passes (including all SQL92 subscriptions).
    pub fn matches_tag(&self, tag: Option<&str>) -> bool {
        if self.tags_set.is_empty() || self.class_filter_mode {
            return true;
        }
        tag.is_some_and(|tag| self.tags_set.iter().any(|t| t == tag))
    }
}

/// Java `String.trim`: strips leading and trailing characters up to U+0020.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// The order in which a freshly filled Java `HashSet` with these (distinct) elements iterates:
/// by bucket `(h ^ (h >>> 16)) & (capacity - 1)`, insertion order within a bucket; the table
/// starts at 16 buckets and doubles whenever the size exceeds 3/4 of it. (Buckets that Java
/// would turn into trees, 8+ colliding elements, are not modelled; the broker ignores order.)
fn java_hash_set_order<T>(items: Vec<T>, hash: impl Fn(&T) -> i32) -> Vec<T> {
    let mut capacity: u64 = 16;
    while items.len() as u64 > capacity / 4 * 3 {
        capacity *= 2;
    }
    let mask = capacity - 1;
    let mut keyed: Vec<(u64, T)> = items
        .into_iter()
        .map(|item| {
            let h = hash(&item) as u32;
            (u64::from(h ^ (h >> 16)) & mask, item)
        })
        .collect();
    keyed.sort_by_key(|(bucket, _)| *bucket);
    keyed.into_iter().map(|(_, item)| item).collect()
}

/// Java `ProducerData`: one producer group of the client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct ProducerData {
    /// `groupName`.
    #[serde(rename = "groupName", deserialize_with = "de_null_default")]
    pub group_name: String,
}

/// Java `ConsumerData`: one consumer group of the client and its subscriptions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerData {
    /// `consumeFromWhere`.
    #[serde(rename = "consumeFromWhere")]
    pub consume_from_where: ConsumeFromWhere,
    /// `consumeType`.
    #[serde(rename = "consumeType")]
    pub consume_type: ConsumeType,
    /// `groupName`.
    #[serde(rename = "groupName", deserialize_with = "de_null_default")]
    pub group_name: String,
    /// `messageModel`.
    #[serde(rename = "messageModel")]
    pub message_model: MessageModel,
    /// `subscriptionDataSet`.
    #[serde(rename = "subscriptionDataSet", deserialize_with = "de_null_default")]
    pub subscription_data_set: Vec<SubscriptionData>,
    /// `unitMode`.
    #[serde(rename = "unitMode", deserialize_with = "de_bool")]
    pub unit_mode: bool,
}

/// Java `HeartbeatData`: the HEART_BEAT body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeartbeatData {
    /// `clientID` (capital "ID"): the client id.
    #[serde(rename = "clientID", deserialize_with = "de_null_default")]
    pub client_id: String,
    /// `consumerDataSet`.
    #[serde(rename = "consumerDataSet", deserialize_with = "de_null_default")]
    pub consumer_data_set: Vec<ConsumerData>,
    /// `heartbeatFingerprint` (5.x heartbeat v2): send 0 for v1 semantics. 4.9.x clients do not
    /// send the key at all; 4.9.x brokers ignore it.
    #[serde(rename = "heartbeatFingerprint", deserialize_with = "de_i32")]
    pub heartbeat_fingerprint: i32,
    /// `producerDataSet`.
    #[serde(rename = "producerDataSet", deserialize_with = "de_null_default")]
    pub producer_data_set: Vec<ProducerData>,
    /// `withoutSub` (5.x heartbeat v2, Java field `isWithoutSub`): send false.
    #[serde(rename = "withoutSub", deserialize_with = "de_bool")]
    pub without_sub: bool,
}

impl HeartbeatData {
    /// Encode as fastjson would (key names and order of the Java getters).
    pub fn encode(&self) -> Vec<u8> {
        fastjson::to_vec(self)
    }

    /// Decode a HEART_BEAT body.
    pub fn decode(body: &[u8]) -> Result<Self> {
        fastjson::parse(body, "HeartbeatData")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(expr: &str) -> SubscriptionData {
        let built = SubscriptionData::build("T", expr, ExpressionType::Tag, 7);
        assert!(built.is_ok(), "build({expr:?}): {built:?}");
        let built = built.unwrap_or_default();
        assert_eq!((built.topic.as_str(), built.sub_version), ("T", 7));
        built
    }

    #[test]
    fn java_known_codes() {
        let s = tag("TagA");
        assert_eq!(s.tags_set, vec!["TagA"]);
        assert_eq!(s.code_set, vec![2_598_919]);
        assert_eq!(s.sub_string, "TagA");
        assert_eq!((s.topic.as_str(), s.sub_version, s.expression_type), ("T", 7, ExpressionType::Tag));

        let s = tag("TagA || TagB");
        assert_eq!(s.sub_string, "TagA || TagB");
        assert_eq!(s.tags_set, vec!["TagA", "TagB"]);
        assert_eq!(s.code_set, vec![2_598_919, 2_598_920]);
    }

    #[test]
    fn sub_all_and_empty() {
        for expr in ["*", ""] {
            let s = tag(expr);
            assert_eq!(s.sub_string, "*");
            assert!(s.tags_set.is_empty() && s.code_set.is_empty());
            assert!(s.is_sub_all());
        }
        // " * " is not SUB_ALL in Java: it becomes the tag "*".
        let s = tag(" * ");
        assert_eq!(s.sub_string, " * ");
        assert_eq!(s.tags_set, vec!["*"]);
        assert_eq!(s.code_set, vec![42]);
    }

    #[test]
    fn splitting_follows_java() {
        let s = tag("||a|| \t b\n|| ||a||");
        assert_eq!(s.tags_set, vec!["a", "b"]);
        assert_eq!(s.code_set, vec![97, 98]);
        // "|||" splits into "" and "|".
        assert_eq!(tag("a|||b").tags_set, vec!["a", "|b"]);
        // Java's trim only strips characters up to U+0020; a no-break space stays.
        assert_eq!(tag("\u{a0}x").tags_set, vec!["\u{a0}x"]);
        // Only blanks: no tags, but the expression is kept (and then matches nothing on the broker).
        let s = tag("  ");
        assert_eq!(s.sub_string, "  ");
        assert!(s.tags_set.is_empty());
        for bad in ["||", "||||"] {
            let err = SubscriptionData::build("T", bad, ExpressionType::Tag, 0).err();
            assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Encode), "{bad}");
        }
    }

    #[test]
    fn hash_set_order_like_java() {
        // A Java HashSet<String> of 16 buckets: "b" (98) is in bucket 2, "q" (113) and "a" (97)
        // share bucket 1 and keep their insertion order there.
        let s = tag("b || q || a");
        assert_eq!(s.tags_set, vec!["q", "a", "b"]);
        assert_eq!(s.code_set, vec![113, 97, 98]);
        // 13 elements force a 32-bucket table: "a"(97 -> 1) and "q"(113 -> 17) separate.
        let many: Vec<String> = "abcdefghijklq".chars().map(String::from).collect();
        let s = tag(&many.join("||"));
        assert_eq!(s.tags_set.first().map(String::as_str), Some("a"));
        assert_eq!(s.tags_set.last().map(String::as_str), Some("q"));
        assert_eq!(s.tags_set.len(), 13);
    }

    #[test]
    fn sql92_keeps_expression() {
        let s = SubscriptionData::build("T", "a > 5", ExpressionType::Sql92, 1).unwrap_or_default();
        assert_eq!(s.sub_string, "a > 5");
        assert_eq!(s.expression_type, ExpressionType::Sql92);
        assert!(s.tags_set.is_empty() && s.code_set.is_empty());
        assert!(s.matches_tag(None));
        let err = SubscriptionData::build("T", "", ExpressionType::Sql92, 1).err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Encode));
    }

    #[test]
    fn matches_tag_like_pull_api_wrapper() {
        let s = tag("TagA || TagB");
        assert!(s.matches_tag(Some("TagA")));
        assert!(s.matches_tag(Some("TagB")));
        assert!(!s.matches_tag(Some("TagC")));
        assert!(!s.matches_tag(Some("taga")));
        assert!(!s.matches_tag(None));
        let all = tag("*");
        assert!(all.matches_tag(None) && all.matches_tag(Some("x")));
        let mut class_filter = s.clone();
        class_filter.class_filter_mode = true;
        assert!(class_filter.matches_tag(Some("TagC")));
    }

    #[test]
    fn encodes_java_keys_in_java_order() {
        let hb = HeartbeatData {
            client_id: "10.0.0.5@4242".into(),
            producer_data_set: vec![ProducerData { group_name: "CLIENT_INNER_PRODUCER".into() }],
            consumer_data_set: vec![ConsumerData {
                group_name: "G1".into(),
                consume_type: ConsumeType::ConsumePassively,
                message_model: MessageModel::Clustering,
                consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
                subscription_data_set: vec![SubscriptionData::build(
                    "T1",
                    "TagA",
                    ExpressionType::Tag,
                    1_700_000_000_000,
                )
                .unwrap_or_default()],
                unit_mode: false,
            }],
            heartbeat_fingerprint: 0,
            without_sub: false,
        };
        let text = String::from_utf8(hb.encode()).unwrap_or_default();
        assert_eq!(
            text,
            concat!(
                r#"{"clientID":"10.0.0.5@4242","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","#,
                r#""consumeType":"CONSUME_PASSIVELY","groupName":"G1","messageModel":"CLUSTERING","subscriptionDataSet":["#,
                r#"{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","#,
                r#""subVersion":1700000000000,"tagsSet":["TagA"],"topic":"T1"}],"unitMode":false}],"#,
                r#""heartbeatFingerprint":0,"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}],"withoutSub":false}"#
            )
        );
        assert_eq!(HeartbeatData::decode(text.as_bytes()).ok(), Some(hb));
    }

    #[test]
    fn enum_names() {
        for (v, name) in [
            (ConsumeFromWhere::ConsumeFromLastOffset, "CONSUME_FROM_LAST_OFFSET"),
            (
                ConsumeFromWhere::ConsumeFromLastOffsetAndFromMinWhenBootFirst,
                "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
            ),
            (ConsumeFromWhere::ConsumeFromMinOffset, "CONSUME_FROM_MIN_OFFSET"),
            (ConsumeFromWhere::ConsumeFromMaxOffset, "CONSUME_FROM_MAX_OFFSET"),
            (ConsumeFromWhere::ConsumeFromFirstOffset, "CONSUME_FROM_FIRST_OFFSET"),
            (ConsumeFromWhere::ConsumeFromTimestamp, "CONSUME_FROM_TIMESTAMP"),
        ] {
            assert_eq!(v.as_str(), name);
            assert_eq!(serde_json::to_string(&v).ok(), Some(format!("\"{name}\"")));
        }
        for (v, name) in [
            (ConsumeType::ConsumeActively, "CONSUME_ACTIVELY"),
            (ConsumeType::ConsumePassively, "CONSUME_PASSIVELY"),
            (ConsumeType::ConsumePop, "CONSUME_POP"),
        ] {
            assert_eq!(v.as_str(), name);
            assert_eq!(serde_json::to_string(&v).ok(), Some(format!("\"{name}\"")));
        }
        for (v, name) in [(MessageModel::Clustering, "CLUSTERING"), (MessageModel::Broadcasting, "BROADCASTING")] {
            assert_eq!(v.as_str(), name);
            assert_eq!(serde_json::to_string(&v).ok(), Some(format!("\"{name}\"")));
        }
        assert_eq!(serde_json::to_string(&ExpressionType::Sql92).ok().as_deref(), Some("\"SQL92\""));
        let s: Option<SubscriptionData> = serde_json::from_str(r#"{"expressionType":null,"topic":"T"}"#).ok();
        assert_eq!(s.map(|s| (s.expression_type, s.sub_string)), Some((ExpressionType::Tag, "*".to_string())));
        assert!(serde_json::from_str::<SubscriptionData>(r#"{"expressionType":"XPATH"}"#).is_err());
        assert!(HeartbeatData::decode(br#"{"consumerDataSet":[{"consumeType":"NOPE"}]}"#).is_err());
    }

    #[test]
    fn decodes_missing_keys_with_defaults() {
        let hb = HeartbeatData::decode(br#"{"clientID":"c","consumerDataSet":[{"groupName":"g"}],"future":1}"#);
        let hb = hb.unwrap_or_default();
        assert_eq!(hb.client_id, "c");
        let c = hb.consumer_data_set.first().cloned().unwrap_or_default();
        assert_eq!(c.group_name, "g");
        assert_eq!(c.message_model, MessageModel::Clustering);
        assert!(c.subscription_data_set.is_empty());
        assert_eq!((hb.heartbeat_fingerprint, hb.without_sub), (0, false));
    }
}
