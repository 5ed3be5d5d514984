//! Well-known message property names: `common/message/MessageConst.java` (protocol.md §3.2).
//!
//! Each constant is named after the key string it holds (Java `PROPERTY_KEYS` is [`KEYS`]); the
//! doc comment names the Java constant. [`is_reserved`] is `MessageConst.STRING_HASH_SET`, the
//! names `Message.putUserProperty` refuses.

/// `PROPERTY_KEYS`: business keys, space separated ([`KEY_SEPARATOR`]); indexed by the broker.
pub const KEYS: &str = "KEYS";
/// `PROPERTY_TAGS`: the message tag; the broker stores its Java `hashCode` as the tags code.
pub const TAGS: &str = "TAGS";
/// `PROPERTY_WAIT_STORE_MSG_OK`: `"true"`/`"false"`; absent means true.
pub const WAIT: &str = "WAIT";
/// `PROPERTY_DELAY_TIME_LEVEL`: delay level 1..18.
pub const DELAY: &str = "DELAY";
/// `PROPERTY_RETRY_TOPIC`: the original topic of a message living in `%RETRY%group`.
pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
/// `PROPERTY_REAL_TOPIC`: the original topic of a delayed, timer or half message.
pub const REAL_TOPIC: &str = "REAL_TOPIC";
/// `PROPERTY_REAL_QUEUE_ID`: the original queue id.
pub const REAL_QID: &str = "REAL_QID";
/// `PROPERTY_TRANSACTION_PREPARED`: `"true"` on a transactional half message.
pub const TRAN_MSG: &str = "TRAN_MSG";
/// `PROPERTY_PRODUCER_GROUP`: producer group of a transactional message.
pub const PGROUP: &str = "PGROUP";
/// `PROPERTY_MIN_OFFSET`: queue min offset, added client-side from the pull response.
pub const MIN_OFFSET: &str = "MIN_OFFSET";
/// `PROPERTY_MAX_OFFSET`: queue max offset, added client-side from the pull response.
pub const MAX_OFFSET: &str = "MAX_OFFSET";
/// `PROPERTY_BUYER_ID` (legacy).
pub const BUYER_ID: &str = "BUYER_ID";
/// `PROPERTY_ORIGIN_MESSAGE_ID`: the first msgId of a retried message.
pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
/// `PROPERTY_TRANSFER_FLAG` (legacy).
pub const TRANSFER_FLAG: &str = "TRANSFER_FLAG";
/// `PROPERTY_CORRECTION_FLAG` (legacy).
pub const CORRECTION_FLAG: &str = "CORRECTION_FLAG";
/// `PROPERTY_MQ2_FLAG` (legacy).
pub const MQ2_FLAG: &str = "MQ2_FLAG";
/// `PROPERTY_RECONSUME_TIME`: reconsume count carried by a client-side re-send.
pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
/// `PROPERTY_MSG_REGION`: broker region id.
pub const MSG_REGION: &str = "MSG_REGION";
/// `PROPERTY_TRACE_SWITCH`: broker trace switch.
pub const TRACE_ON: &str = "TRACE_ON";
/// `PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX`: the client message id (see [`super::uniq_id`]).
pub const UNIQ_KEY: &str = "UNIQ_KEY";
/// `PROPERTY_EXTEND_UNIQ_INFO`.
pub const EXTEND_UNIQ_INFO: &str = "EXTEND_UNIQ_INFO";
/// `PROPERTY_MAX_RECONSUME_TIMES`: max reconsume times carried by a client-side re-send.
pub const MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
/// `PROPERTY_CONSUME_START_TIMESTAMP`: when consumption started (client-side).
pub const CONSUME_START_TIME: &str = "CONSUME_START_TIME";
/// `PROPERTY_INNER_NUM` (5.x auto-batch).
pub const INNER_NUM: &str = "INNER_NUM";
/// `PROPERTY_INNER_BASE` (5.x auto-batch).
pub const INNER_BASE: &str = "INNER_BASE";
/// `DUP_INFO`.
pub const DUP_INFO: &str = "DUP_INFO";
/// `PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS`: delay before the first transaction check.
pub const CHECK_IMMUNITY_TIME_IN_SECONDS: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
/// `PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET`.
pub const TRAN_PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
/// `PROPERTY_TRANSACTION_ID`: copied from the send result during a local transaction.
pub const TRANSACTION_ID: &str = "__transactionId__";
/// `PROPERTY_TRANSACTION_CHECK_TIMES`: how often the broker has checked a half message.
pub const TRANSACTION_CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
/// `PROPERTY_INSTANCE_ID`: namespace (v1) of the sender.
pub const INSTANCE_ID: &str = "INSTANCE_ID";
/// `PROPERTY_CORRELATION_ID`: request-reply correlation id.
pub const CORRELATION_ID: &str = "CORRELATION_ID";
/// `PROPERTY_MESSAGE_REPLY_TO_CLIENT`: client id of the requester.
pub const REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
/// `PROPERTY_MESSAGE_TTL`: request timeout in ms.
pub const TTL: &str = "TTL";
/// `PROPERTY_REPLY_MESSAGE_ARRIVE_TIME`.
pub const ARRIVE_TIME: &str = "ARRIVE_TIME";
/// `PROPERTY_PUSH_REPLY_TIME`.
pub const PUSH_REPLY_TIME: &str = "PUSH_REPLY_TIME";
/// `PROPERTY_CLUSTER`: cluster name, added by the broker to every stored message.
pub const CLUSTER: &str = "CLUSTER";
/// `PROPERTY_MESSAGE_TYPE`: [`MSG_TYPE_REPLY`] marks a reply message.
pub const MSG_TYPE: &str = "MSG_TYPE";
/// `MixAll.REPLY_MESSAGE_FLAG`: the [`MSG_TYPE`] value of a reply message.
pub const MSG_TYPE_REPLY: &str = "reply";
/// `PROPERTY_POP_CK` (5.x pop).
pub const POP_CK: &str = "POP_CK";
/// `PROPERTY_POP_CK_OFFSET` (5.x pop).
pub const POP_CK_OFFSET: &str = "POP_CK_OFFSET";
/// `PROPERTY_FIRST_POP_TIME` (5.x pop).
pub const FIRST_POP_TIME: &str = "1ST_POP_TIME";
/// `PROPERTY_SHARDING_KEY`: FIFO sharding key (5.x).
pub const SHARDING_KEY: &str = "__SHARDINGKEY";
/// `PROPERTY_FORWARD_QUEUE_ID`.
pub const FORWARD_QUEUE_ID: &str = "PROPERTY_FORWARD_QUEUE_ID";
/// `PROPERTY_REDIRECT`.
pub const REDIRECT: &str = "REDIRECT";
/// `PROPERTY_INNER_MULTI_DISPATCH` (LMQ).
pub const INNER_MULTI_DISPATCH: &str = "INNER_MULTI_DISPATCH";
/// `PROPERTY_INNER_MULTI_QUEUE_OFFSET` (LMQ).
pub const INNER_MULTI_QUEUE_OFFSET: &str = "INNER_MULTI_QUEUE_OFFSET";
/// `PROPERTY_TRACE_CONTEXT`.
pub const TRACE_CONTEXT: &str = "TRACE_CONTEXT";
/// `PROPERTY_TIMER_DELAY_SEC`: relative delay in seconds (5.x timer messages).
pub const TIMER_DELAY_SEC: &str = "TIMER_DELAY_SEC";
/// `PROPERTY_TIMER_DELAY_MS`: relative delay in ms (5.x timer messages).
pub const TIMER_DELAY_MS: &str = "TIMER_DELAY_MS";
/// `PROPERTY_TIMER_DELIVER_MS`: absolute delivery time in epoch ms (5.x timer messages).
pub const TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";
/// `PROPERTY_TIMER_ENQUEUE_MS` (broker timer bookkeeping).
pub const TIMER_ENQUEUE_MS: &str = "TIMER_ENQUEUE_MS";
/// `PROPERTY_TIMER_DEQUEUE_MS` (broker timer bookkeeping).
pub const TIMER_DEQUEUE_MS: &str = "TIMER_DEQUEUE_MS";
/// `PROPERTY_TIMER_ROLL_TIMES` (broker timer bookkeeping).
pub const TIMER_ROLL_TIMES: &str = "TIMER_ROLL_TIMES";
/// `PROPERTY_TIMER_OUT_MS` (broker timer bookkeeping).
pub const TIMER_OUT_MS: &str = "TIMER_OUT_MS";
/// `PROPERTY_TIMER_DEL_UNIQKEY` (broker timer bookkeeping).
pub const TIMER_DEL_UNIQKEY: &str = "TIMER_DEL_UNIQKEY";
/// `PROPERTY_TIMER_DELAY_LEVEL` (broker timer bookkeeping).
pub const TIMER_DELAY_LEVEL: &str = "TIMER_DELAY_LEVEL";
/// `PROPERTY_BORN_HOST`.
pub const BORN_HOST: &str = "__BORNHOST";
/// `PROPERTY_BORN_TIMESTAMP`.
pub const BORN_TIMESTAMP: &str = "BORN_TIMESTAMP";
/// `PROPERTY_CRC32`: whole-record CRC appended by 5.2+ brokers with `enabledAppendPropCRC`.
pub const CRC32: &str = "__CRC32#";
/// `PROPERTY_DLQ_ORIGIN_TOPIC` (5.x).
pub const DLQ_ORIGIN_TOPIC: &str = "DLQ_ORIGIN_TOPIC";
/// `PROPERTY_DLQ_ORIGIN_MESSAGE_ID` (5.x).
pub const DLQ_ORIGIN_MESSAGE_ID: &str = "DLQ_ORIGIN_MESSAGE_ID";
/// `PROPERTY_TRANSIENT_PREFIX`: properties whose name starts with this are not stored.
pub const TRANSIENT_PREFIX: &str = "__RMQ.TRANSIENT.";
/// `PROPERTY_TRANSIENT_TOPIC_CONFIG`.
pub const TRANSIENT_TOPIC_CONFIG: &str = "__RMQ.TRANSIENT.TOPIC_SYS_FLAG";
/// `PROPERTY_TRANSIENT_GROUP_CONFIG`.
pub const TRANSIENT_GROUP_CONFIG: &str = "__RMQ.TRANSIENT.GROUP_SYS_FLAG";
/// The legacy timed-delivery key `"__STARTDELIVERTIME"`: not in `MessageConst`; checked as a
/// literal by `DefaultMQProducerImpl` (and `RocketMQConstants.START_DELIVER_TIME` in OpenMessaging).
pub const START_DELIVER_TIME: &str = "__STARTDELIVERTIME";

/// `MessageConst.KEY_SEPARATOR`: separates the business keys inside [`KEYS`].
pub const KEY_SEPARATOR: &str = " ";

/// `MessageConst.STRING_HASH_SET` (develop/5.x, a superset of 4.9.4's 31 names): property
/// names reserved for the system, refused by `Message.putUserProperty`.
pub const RESERVED: &[&str] = &[
    TRACE_ON,
    MSG_REGION,
    KEYS,
    TAGS,
    WAIT,
    DELAY,
    RETRY_TOPIC,
    REAL_TOPIC,
    REAL_QID,
    TRAN_MSG,
    PGROUP,
    MIN_OFFSET,
    MAX_OFFSET,
    BUYER_ID,
    ORIGIN_MESSAGE_ID,
    TRANSFER_FLAG,
    CORRECTION_FLAG,
    MQ2_FLAG,
    RECONSUME_TIME,
    UNIQ_KEY,
    MAX_RECONSUME_TIMES,
    CONSUME_START_TIME,
    POP_CK,
    POP_CK_OFFSET,
    FIRST_POP_TIME,
    TRAN_PREPARED_QUEUE_OFFSET,
    DUP_INFO,
    EXTEND_UNIQ_INFO,
    INSTANCE_ID,
    CORRELATION_ID,
    REPLY_TO_CLIENT,
    TTL,
    ARRIVE_TIME,
    PUSH_REPLY_TIME,
    CLUSTER,
    MSG_TYPE,
    INNER_MULTI_QUEUE_OFFSET,
    TIMER_DELAY_MS,
    TIMER_DELAY_SEC,
    TIMER_DELIVER_MS,
    TIMER_ENQUEUE_MS,
    TIMER_DEQUEUE_MS,
    TIMER_ROLL_TIMES,
    TIMER_OUT_MS,
    TIMER_DEL_UNIQKEY,
    TIMER_DELAY_LEVEL,
    BORN_HOST,
    BORN_TIMESTAMP,
    DLQ_ORIGIN_TOPIC,
    DLQ_ORIGIN_MESSAGE_ID,
    CRC32,
];

/// Whether `name` is in `MessageConst.STRING_HASH_SET` (exact, case-sensitive match), i.e. a
/// name `Message.putUserProperty` rejects. Note that some system names are *not* in the set
/// (e.g. [`SHARDING_KEY`], [`TRANSACTION_ID`], [`CHECK_IMMUNITY_TIME_IN_SECONDS`], [`INNER_NUM`]),
/// exactly as in Java.
pub fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_set_matches_java() {
        // develop's STRING_HASH_SET has 51 distinct names.
        assert_eq!(RESERVED.len(), 51);
        let mut sorted = RESERVED.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), RESERVED.len(), "duplicate entry");
        // The 31 names of 4.9.4's set are all present.
        for name in [
            "TRACE_ON",
            "MSG_REGION",
            "KEYS",
            "TAGS",
            "WAIT",
            "DELAY",
            "RETRY_TOPIC",
            "REAL_TOPIC",
            "REAL_QID",
            "TRAN_MSG",
            "PGROUP",
            "MIN_OFFSET",
            "MAX_OFFSET",
            "BUYER_ID",
            "ORIGIN_MESSAGE_ID",
            "TRANSFER_FLAG",
            "CORRECTION_FLAG",
            "MQ2_FLAG",
            "RECONSUME_TIME",
            "UNIQ_KEY",
            "MAX_RECONSUME_TIMES",
            "CONSUME_START_TIME",
            "INSTANCE_ID",
            "CORRELATION_ID",
            "REPLY_TO_CLIENT",
            "TTL",
            "ARRIVE_TIME",
            "PUSH_REPLY_TIME",
            "CLUSTER",
            "MSG_TYPE",
            "INNER_MULTI_QUEUE_OFFSET",
        ] {
            assert!(is_reserved(name), "{name} should be reserved");
        }
        assert!(is_reserved("__CRC32#"));
        assert!(is_reserved("1ST_POP_TIME"));
    }

    #[test]
    fn user_and_unlisted_names_are_not_reserved() {
        for name in [
            "a",
            "color",
            "unicode",
            "keys",
            "Tags",
            "",
            "__SHARDINGKEY",
            "__transactionId__",
            "CHECK_IMMUNITY_TIME_IN_SECONDS",
            "INNER_NUM",
            "TRANSACTION_CHECK_TIMES",
            "__STARTDELIVERTIME",
        ] {
            assert!(!is_reserved(name), "{name} should not be reserved");
        }
    }

    #[test]
    fn key_strings() {
        assert_eq!(SHARDING_KEY, "__SHARDINGKEY");
        assert_eq!(TRANSACTION_ID, "__transactionId__");
        assert_eq!(FIRST_POP_TIME, "1ST_POP_TIME");
        assert_eq!(FORWARD_QUEUE_ID, "PROPERTY_FORWARD_QUEUE_ID");
        assert_eq!(TRANSIENT_TOPIC_CONFIG, format!("{TRANSIENT_PREFIX}TOPIC_SYS_FLAG"));
        assert_eq!(TRANSIENT_GROUP_CONFIG, format!("{TRANSIENT_PREFIX}GROUP_SYS_FLAG"));
    }
}
