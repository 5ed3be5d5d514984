//! The trace records and their text form (Java `TraceContext`, `TraceBean`, `TraceType`,
//! `TraceDataEncoder`, `TraceConstants`).
//!
//! A record is its fields joined by [`CONTENT_SPLITOR`] (`\u0001`) and ended by
//! [`FIELD_SPLITOR`] (`\u0002`); a trace message's body is several records one after the other.
//! The field order is exactly Java 4.9.4's (what the dashboard and `mqadmin queryMsgTraceById`
//! read); the decoder also takes the longer 5.x forms (Pub with a client host, `Recall`).
//! Absent strings are written as Java's string concatenation writes `null`: `"null"`.

use crate::error::{Error, Result};

/// Between the fields of a record (`TraceConstants.CONTENT_SPLITOR`).
pub const CONTENT_SPLITOR: char = '\u{1}';
/// After each record (`TraceConstants.FIELD_SPLITOR`).
pub const FIELD_SPLITOR: char = '\u{2}';
/// The trace topic when none is configured (`TopicValidator.RMQ_SYS_TRACE_TOPIC`).
pub const RMQ_SYS_TRACE_TOPIC: &str = "RMQ_SYS_TRACE_TOPIC";
/// Prefix of the trace producers' groups (`TraceConstants.GROUP_NAME_PREFIX`).
pub const GROUP_NAME_PREFIX: &str = "_INNER_TRACE_PRODUCER";
/// Region written when the broker names none (`MixAll.DEFAULT_TRACE_REGION_ID`).
pub const DEFAULT_TRACE_REGION_ID: &str = "DefaultRegion";

/// What a record describes (`TraceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceType {
    /// A send the broker stored.
    Pub,
    /// A listener call is about to start.
    SubBefore,
    /// A listener call finished.
    SubAfter,
    /// A transaction was committed or rolled back.
    EndTransaction,
    /// A delayed message was recalled (5.x).
    Recall,
}

impl TraceType {
    /// The name written first in each record.
    pub fn as_str(self) -> &'static str {
        match self {
            TraceType::Pub => "Pub",
            TraceType::SubBefore => "SubBefore",
            TraceType::SubAfter => "SubAfter",
            TraceType::EndTransaction => "EndTransaction",
            TraceType::Recall => "Recall",
        }
    }
}

/// Java `MessageType`, written as its ordinal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MessageType {
    /// `Normal_Msg` (0).
    #[default]
    Normal,
    /// `Trans_Msg_Half` (1): a transactional half message.
    TransHalf,
    /// `Trans_msg_Commit` (2).
    TransCommit,
    /// `Delay_Msg` (3): a delay level or a delivery time is set.
    Delay,
    /// `Order_Msg` (4, 5.x).
    Order,
}

impl MessageType {
    /// Java's ordinal.
    pub fn ordinal(self) -> i32 {
        match self {
            MessageType::Normal => 0,
            MessageType::TransHalf => 1,
            MessageType::TransCommit => 2,
            MessageType::Delay => 3,
            MessageType::Order => 4,
        }
    }

    /// From Java's ordinal.
    pub fn from_ordinal(n: i32) -> Option<Self> {
        Some(match n {
            0 => MessageType::Normal,
            1 => MessageType::TransHalf,
            2 => MessageType::TransCommit,
            3 => MessageType::Delay,
            4 => MessageType::Order,
            _ => return None,
        })
    }
}

/// Java `ConsumeReturnType`; its ordinal is the SubAfter `contextCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeReturnType {
    /// The listener acknowledged.
    Success = 0,
    /// It took longer than the consume timeout.
    TimeOut = 1,
    /// It raised (panicked).
    Exception = 2,
    /// It returned nothing.
    ReturnNull = 3,
    /// It asked for a later retry.
    Failed = 4,
}

/// One message of a record (`TraceBean`). Strings are as written (`"null"` for absent ones).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TraceBean {
    pub topic: String,
    /// The client id (`UNIQ_KEY`) of the message.
    pub msg_id: String,
    /// The broker's id (store host + commit-log offset).
    pub offset_msg_id: String,
    pub tags: String,
    /// Space-separated keys.
    pub keys: String,
    /// The broker address the message was sent to.
    pub store_host: String,
    /// 5.x Pub records only.
    pub client_host: Option<String>,
    pub retry_times: i32,
    pub body_length: i32,
    pub msg_type: MessageType,
    pub transaction_id: String,
    /// `LocalTransactionState` name (`COMMIT_MESSAGE`, `ROLLBACK_MESSAGE`, `UNKNOW`).
    pub transaction_state: String,
    pub from_transaction_check: bool,
}

/// One trace event (`TraceContext`): Pub has one bean, SubBefore/SubAfter one per message of
/// the listener call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_type: TraceType,
    /// Epoch ms when the event started (Pub: before the send; SubAfter: when the call ended).
    pub timestamp: i64,
    pub region_id: String,
    pub group: String,
    /// Milliseconds (per message for SubAfter).
    pub cost_time: i32,
    pub success: bool,
    /// Pairs a SubBefore with its SubAfter (a fresh unique id per listener call).
    pub request_id: String,
    /// SubAfter: the [`ConsumeReturnType`] ordinal.
    pub context_code: i32,
    pub beans: Vec<TraceBean>,
}

impl TraceContext {
    /// A context of `trace_type` at `timestamp`, Java's defaults elsewhere.
    pub fn new(trace_type: TraceType, timestamp: i64) -> Self {
        TraceContext {
            trace_type,
            timestamp,
            region_id: String::new(),
            group: String::new(),
            cost_time: 0,
            success: true,
            request_id: String::new(),
            context_code: 0,
            beans: Vec::new(),
        }
    }
}

/// A record's text and the keys the trace message is indexed by (`TraceTransferBean`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransferBean {
    pub data: String,
    /// Each bean's msg id, then its keys.
    pub keys: Vec<String>,
}

/// Java writes `null` for an absent string.
pub fn or_null(s: Option<&str>) -> String {
    s.unwrap_or("null").to_owned()
}

/// Encode one context (`TraceDataEncoder.encoderFromContextBean`, LOCAL access channel).
pub fn encode(ctx: &TraceContext) -> TransferBean {
    use std::fmt::Write;
    let c = CONTENT_SPLITOR;
    let f = FIELD_SPLITOR;
    let mut s = String::with_capacity(256);
    let kind = ctx.trace_type.as_str();
    // `write!` into a String cannot fail.
    match ctx.trace_type {
        TraceType::Pub => {
            if let Some(b) = ctx.beans.first() {
                let _ = write!(
                    s,
                    "{kind}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{f}",
                    ctx.timestamp,
                    ctx.region_id,
                    ctx.group,
                    b.topic,
                    b.msg_id,
                    b.tags,
                    b.keys,
                    b.store_host,
                    b.body_length,
                    ctx.cost_time,
                    b.msg_type.ordinal(),
                    b.offset_msg_id,
                    ctx.success
                );
            }
        }
        TraceType::SubBefore => {
            for b in &ctx.beans {
                let _ = write!(
                    s,
                    "{kind}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{f}",
                    ctx.timestamp, ctx.region_id, ctx.group, ctx.request_id, b.msg_id, b.retry_times, b.keys
                );
            }
        }
        TraceType::SubAfter => {
            for b in &ctx.beans {
                let _ = write!(
                    s,
                    "{kind}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{f}",
                    ctx.request_id,
                    b.msg_id,
                    ctx.cost_time,
                    ctx.success,
                    b.keys,
                    ctx.context_code,
                    ctx.timestamp,
                    ctx.group
                );
            }
        }
        TraceType::EndTransaction => {
            if let Some(b) = ctx.beans.first() {
                let _ = write!(
                    s,
                    "{kind}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{f}",
                    ctx.timestamp,
                    ctx.region_id,
                    ctx.group,
                    b.topic,
                    b.msg_id,
                    b.tags,
                    b.keys,
                    b.store_host,
                    b.msg_type.ordinal(),
                    b.transaction_id,
                    b.transaction_state,
                    b.from_transaction_check
                );
            }
        }
        TraceType::Recall => {
            if let Some(b) = ctx.beans.first() {
                let _ = write!(
                    s,
                    "{kind}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{f}",
                    ctx.timestamp, ctx.region_id, ctx.group, b.topic, b.msg_id, ctx.success
                );
            }
        }
    }
    let mut keys = Vec::new();
    for b in &ctx.beans {
        keys.push(b.msg_id.clone());
        // Java skips null and empty keys; a written "null" is Java's null.
        if !b.keys.is_empty() && b.keys != "null" {
            keys.extend(b.keys.split(' ').filter(|k| !k.is_empty()).map(str::to_owned));
        }
    }
    TransferBean { data: s, keys }
}

/// Java's `String.split`: trailing empty strings are dropped.
fn java_split(s: &str, sep: char) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(sep).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

fn field<'a>(line: &[&'a str], i: usize) -> Result<&'a str> {
    line.get(i).copied().ok_or_else(|| {
        Error::invalid_message(format!("trace record {:?} has no field {i}", line.first().unwrap_or(&"")))
    })
}

fn num<T: std::str::FromStr>(line: &[&str], i: usize) -> Result<T> {
    let v = field(line, i)?;
    v.parse().map_err(|_| Error::invalid_message(format!("trace record field {i} is not a number: {v:?}")))
}

/// Java's `Boolean.parseBoolean`: true only for "true", any case.
fn boolean(line: &[&str], i: usize) -> Result<bool> {
    Ok(field(line, i)?.eq_ignore_ascii_case("true"))
}

/// Decode a trace message body (`TraceDataEncoder.decoderFromTraceDataString`). Records of
/// unknown types are skipped, as Java skips them; a known record with a missing or
/// non-numeric field is an error (Java throws there too).
pub fn decode(data: &str) -> Result<Vec<TraceContext>> {
    let mut out = Vec::new();
    if data.is_empty() {
        return Ok(out);
    }
    for record in java_split(data, FIELD_SPLITOR) {
        let l = java_split(record, CONTENT_SPLITOR);
        let Some(kind) = l.first() else { continue };
        let s = |i: usize| field(&l, i).map(str::to_owned);
        match *kind {
            "Pub" => {
                let mut ctx = TraceContext::new(TraceType::Pub, num(&l, 1)?);
                ctx.region_id = s(2)?;
                ctx.group = s(3)?;
                let mut bean = TraceBean {
                    topic: s(4)?,
                    msg_id: s(5)?,
                    tags: s(6)?,
                    keys: s(7)?,
                    store_host: s(8)?,
                    body_length: num(&l, 9)?,
                    ..Default::default()
                };
                ctx.cost_time = num(&l, 10)?;
                let ordinal: i32 = num(&l, 11)?;
                bean.msg_type = MessageType::from_ordinal(ordinal)
                    .ok_or_else(|| Error::invalid_message(format!("unknown trace message type {ordinal}")))?;
                match l.len() {
                    13 => ctx.success = boolean(&l, 12)?,
                    n if n >= 14 => {
                        bean.offset_msg_id = s(12)?;
                        ctx.success = boolean(&l, 13)?;
                        if n >= 15 {
                            bean.client_host = Some(s(14)?);
                        }
                    }
                    _ => {}
                }
                ctx.beans.push(bean);
                out.push(ctx);
            }
            "SubBefore" => {
                let mut ctx = TraceContext::new(TraceType::SubBefore, num(&l, 1)?);
                ctx.region_id = s(2)?;
                ctx.group = s(3)?;
                ctx.request_id = s(4)?;
                ctx.beans.push(TraceBean {
                    msg_id: s(5)?,
                    retry_times: num(&l, 6)?,
                    keys: s(7)?,
                    ..Default::default()
                });
                out.push(ctx);
            }
            "SubAfter" => {
                let mut ctx = TraceContext::new(TraceType::SubAfter, 0);
                ctx.request_id = s(1)?;
                ctx.beans.push(TraceBean { msg_id: s(2)?, keys: s(5)?, ..Default::default() });
                ctx.cost_time = num(&l, 3)?;
                ctx.success = boolean(&l, 4)?;
                if l.len() >= 7 {
                    ctx.context_code = num(&l, 6)?;
                }
                if l.len() >= 9 {
                    ctx.timestamp = num(&l, 7)?;
                    ctx.group = s(8)?;
                }
                out.push(ctx);
            }
            "EndTransaction" => {
                let mut ctx = TraceContext::new(TraceType::EndTransaction, num(&l, 1)?);
                ctx.region_id = s(2)?;
                ctx.group = s(3)?;
                let ordinal: i32 = num(&l, 9)?;
                ctx.beans.push(TraceBean {
                    topic: s(4)?,
                    msg_id: s(5)?,
                    tags: s(6)?,
                    keys: s(7)?,
                    store_host: s(8)?,
                    msg_type: MessageType::from_ordinal(ordinal)
                        .ok_or_else(|| Error::invalid_message(format!("unknown trace message type {ordinal}")))?,
                    transaction_id: s(10)?,
                    transaction_state: s(11)?,
                    from_transaction_check: boolean(&l, 12)?,
                    ..Default::default()
                });
                out.push(ctx);
            }
            "Recall" => {
                let mut ctx = TraceContext::new(TraceType::Recall, num(&l, 1)?);
                ctx.region_id = s(2)?;
                ctx.group = s(3)?;
                ctx.beans.push(TraceBean { topic: s(4)?, msg_id: s(5)?, ..Default::default() });
                ctx.success = boolean(&l, 6)?;
                out.push(ctx);
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_split_drops_trailing_empties_only() {
        assert_eq!(java_split("a\u{1}\u{1}b\u{1}\u{1}", '\u{1}'), vec!["a", "", "b"]);
        assert!(java_split("", '\u{1}').is_empty());
    }

    #[test]
    fn unknown_records_are_skipped_and_short_ones_fail() {
        assert_eq!(decode("Nope\u{1}1\u{2}").map(|v| v.len()).ok(), Some(0));
        assert!(decode("SubBefore\u{1}1\u{1}r\u{2}").is_err());
        assert!(decode("SubBefore\u{1}x\u{1}r\u{1}g\u{1}q\u{1}m\u{1}0\u{1}k\u{2}").is_err());
    }

    #[test]
    fn sub_after_of_the_cloud_channel_has_no_timestamp_or_group() {
        let v = decode("SubAfter\u{1}req\u{1}mid\u{1}3\u{1}false\u{1}k\u{1}4\u{1}\u{2}").unwrap_or_default();
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].cost_time, v[0].success, v[0].context_code, v[0].timestamp), (3, false, 4, 0));
        assert_eq!(v[0].group, "");
    }

    #[test]
    fn keys_skip_null_and_split_on_spaces() {
        let mut ctx = TraceContext::new(TraceType::SubBefore, 1);
        ctx.beans.push(TraceBean { msg_id: "A".into(), keys: "k1 k2".into(), ..Default::default() });
        ctx.beans.push(TraceBean { msg_id: "B".into(), keys: "null".into(), ..Default::default() });
        assert_eq!(encode(&ctx).keys, vec!["A", "k1", "k2", "B"]);
    }
}
