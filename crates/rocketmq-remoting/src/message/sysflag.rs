//! Flag words: `common/sysflag/MessageSysFlag.java`, `PullSysFlag.java`, `TopicSysFlag.java` and
//! `common/constant/PermName.java` (protocol.md §3.3, §2.6.1).
//!
//! Each Java class becomes an uninhabited enum holding its constants and static helpers, so call
//! sites read like the Java (`MessageSysFlag::COMPRESSED_FLAG`, `PermName::is_readable(perm)`).

use crate::error::Result;
use crate::message::compression::CompressionType;

/// `MessageSysFlag`: the `sysFlag` of a message (send header `f`, stored-message field 8).
#[derive(Debug)]
pub enum MessageSysFlag {}

impl MessageSysFlag {
    /// `COMPRESSED_FLAG` (bit 0): the body is compressed.
    pub const COMPRESSED_FLAG: i32 = 0x1;
    /// `MULTI_TAGS_FLAG` (bit 1, legacy).
    pub const MULTI_TAGS_FLAG: i32 = 0x1 << 1;
    /// `TRANSACTION_NOT_TYPE`: not a transactional message.
    pub const TRANSACTION_NOT_TYPE: i32 = 0;
    /// `TRANSACTION_PREPARED_TYPE`: a half message.
    pub const TRANSACTION_PREPARED_TYPE: i32 = 0x1 << 2;
    /// `TRANSACTION_COMMIT_TYPE`.
    pub const TRANSACTION_COMMIT_TYPE: i32 = 0x2 << 2;
    /// `TRANSACTION_ROLLBACK_TYPE`; also the mask of the two transaction bits.
    pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0x3 << 2;
    /// `BORNHOST_V6_FLAG` (bit 4): the stored born host is IPv6 (16-byte address).
    pub const BORNHOST_V6_FLAG: i32 = 0x1 << 4;
    /// `STOREHOSTADDRESS_V6_FLAG` (bit 5): the stored store host is IPv6.
    pub const STOREHOSTADDRESS_V6_FLAG: i32 = 0x1 << 5;
    /// `NEED_UNWRAP_FLAG` (bit 6): an inner batch the client must unwrap (5.x).
    pub const NEED_UNWRAP_FLAG: i32 = 0x1 << 6;
    /// `INNER_BATCH_FLAG` (bit 7): an inner batch (5.x).
    pub const INNER_BATCH_FLAG: i32 = 0x1 << 7;
    /// `COMPRESSION_LZ4_TYPE`: compression type 1 in bits 8-10.
    pub const COMPRESSION_LZ4_TYPE: i32 = 0x1 << 8;
    /// `COMPRESSION_ZSTD_TYPE`: compression type 2 in bits 8-10.
    pub const COMPRESSION_ZSTD_TYPE: i32 = 0x2 << 8;
    /// `COMPRESSION_ZLIB_TYPE`: compression type 3 in bits 8-10.
    pub const COMPRESSION_ZLIB_TYPE: i32 = 0x3 << 8;
    /// `COMPRESSION_TYPE_COMPARATOR`: the mask of bits 8-10.
    pub const COMPRESSION_TYPE_COMPARATOR: i32 = 0x7 << 8;

    /// `getTransactionValue`: the transaction bits of `flag`.
    pub fn get_transaction_value(flag: i32) -> i32 {
        flag & Self::TRANSACTION_ROLLBACK_TYPE
    }

    /// `resetTransactionValue`: replace the transaction bits of `flag` with `kind`.
    pub fn reset_transaction_value(flag: i32, kind: i32) -> i32 {
        (flag & !Self::TRANSACTION_ROLLBACK_TYPE) | kind
    }

    /// `clearCompressedFlag`: clear bit 0 (the type bits stay).
    pub fn clear_compressed_flag(flag: i32) -> i32 {
        flag & !Self::COMPRESSED_FLAG
    }

    /// Whether bit 0 (compressed) is set.
    pub fn is_compressed(flag: i32) -> bool {
        flag & Self::COMPRESSED_FLAG != 0
    }

    /// `getCompressionType`: the algorithm named by bits 8-10 (0 means ZLIB, for producers
    /// older than 4.9.4 that set only bit 0). Values 4-7 are an error, as in Java.
    pub fn get_compression_type(flag: i32) -> Result<CompressionType> {
        CompressionType::find_by_value((flag & Self::COMPRESSION_TYPE_COMPARATOR) >> 8)
    }

    /// `check`: whether any bit of `expected` is set in `flag`.
    pub fn check(flag: i32, expected: i32) -> bool {
        flag & expected != 0
    }
}

/// `PullSysFlag`: the `sysFlag` of a PULL_MESSAGE request header (protocol.md §2.6.1).
#[derive(Debug)]
pub enum PullSysFlag {}

impl PullSysFlag {
    /// `FLAG_COMMIT_OFFSET` (bit 0): the broker stores `commitOffset` for the group.
    pub const FLAG_COMMIT_OFFSET: i32 = 0x1;
    /// `FLAG_SUSPEND` (bit 1): long polling allowed.
    pub const FLAG_SUSPEND: i32 = 0x1 << 1;
    /// `FLAG_SUBSCRIPTION` (bit 2): use the header's subscription expression.
    pub const FLAG_SUBSCRIPTION: i32 = 0x1 << 2;
    /// `FLAG_CLASS_FILTER` (bit 3): legacy filter server.
    pub const FLAG_CLASS_FILTER: i32 = 0x1 << 3;
    /// `FLAG_LITE_PULL_MESSAGE` (bit 4): lite pull consumer.
    pub const FLAG_LITE_PULL_MESSAGE: i32 = 0x1 << 4;

    /// `buildSysFlag(commitOffset, suspend, subscription, classFilter, litePull)`.
    pub fn build(commit_offset: bool, suspend: bool, subscription: bool, class_filter: bool, lite_pull: bool) -> i32 {
        let mut flag = 0;
        if commit_offset {
            flag |= Self::FLAG_COMMIT_OFFSET;
        }
        if suspend {
            flag |= Self::FLAG_SUSPEND;
        }
        if subscription {
            flag |= Self::FLAG_SUBSCRIPTION;
        }
        if class_filter {
            flag |= Self::FLAG_CLASS_FILTER;
        }
        if lite_pull {
            flag |= Self::FLAG_LITE_PULL_MESSAGE;
        }
        flag
    }

    /// `clearCommitOffsetFlag` (used when pulling from a slave).
    pub fn clear_commit_offset_flag(flag: i32) -> i32 {
        flag & !Self::FLAG_COMMIT_OFFSET
    }

    /// `hasCommitOffsetFlag`.
    pub fn has_commit_offset_flag(flag: i32) -> bool {
        flag & Self::FLAG_COMMIT_OFFSET != 0
    }

    /// `hasSuspendFlag`.
    pub fn has_suspend_flag(flag: i32) -> bool {
        flag & Self::FLAG_SUSPEND != 0
    }

    /// `clearSuspendFlag`.
    pub fn clear_suspend_flag(flag: i32) -> i32 {
        flag & !Self::FLAG_SUSPEND
    }

    /// `hasSubscriptionFlag`.
    pub fn has_subscription_flag(flag: i32) -> bool {
        flag & Self::FLAG_SUBSCRIPTION != 0
    }

    /// `buildSysFlagWithSubscription`.
    pub fn with_subscription(flag: i32) -> i32 {
        flag | Self::FLAG_SUBSCRIPTION
    }

    /// `hasClassFilterFlag`.
    pub fn has_class_filter_flag(flag: i32) -> bool {
        flag & Self::FLAG_CLASS_FILTER != 0
    }

    /// `hasLitePullFlag`.
    pub fn has_lite_pull_flag(flag: i32) -> bool {
        flag & Self::FLAG_LITE_PULL_MESSAGE != 0
    }
}

/// `TopicSysFlag`: unit-mode bits of a topic's `topicSysFlag` (normally 0).
#[derive(Debug)]
pub enum TopicSysFlag {}

impl TopicSysFlag {
    /// `FLAG_UNIT`.
    pub const FLAG_UNIT: i32 = 0x1;
    /// `FLAG_UNIT_SUB`.
    pub const FLAG_UNIT_SUB: i32 = 0x1 << 1;

    /// `buildSysFlag(unit, hasUnitSub)`.
    pub fn build(unit: bool, has_unit_sub: bool) -> i32 {
        let mut flag = 0;
        if unit {
            flag |= Self::FLAG_UNIT;
        }
        if has_unit_sub {
            flag |= Self::FLAG_UNIT_SUB;
        }
        flag
    }

    /// `hasUnitFlag`.
    pub fn has_unit_flag(flag: i32) -> bool {
        flag & Self::FLAG_UNIT != 0
    }

    /// `hasUnitSubFlag`.
    pub fn has_unit_sub_flag(flag: i32) -> bool {
        flag & Self::FLAG_UNIT_SUB != 0
    }
}

/// `PermName`: permission bits of `QueueData.perm` and topic configs (protocol.md §3.3.3).
#[derive(Debug)]
pub enum PermName {}

impl PermName {
    /// `PERM_PRIORITY` (bit 3).
    pub const PERM_PRIORITY: i32 = 0x1 << 3;
    /// `PERM_READ` (bit 2): queues may be subscribed.
    pub const PERM_READ: i32 = 0x1 << 2;
    /// `PERM_WRITE` (bit 1): queues may be published to.
    pub const PERM_WRITE: i32 = 0x1 << 1;
    /// `PERM_INHERIT` (bit 0): topics auto-created from this one inherit its config (`TBW102`).
    pub const PERM_INHERIT: i32 = 0x1;

    /// `isReadable`.
    pub fn is_readable(perm: i32) -> bool {
        perm & Self::PERM_READ == Self::PERM_READ
    }

    /// `isWriteable`.
    pub fn is_writeable(perm: i32) -> bool {
        perm & Self::PERM_WRITE == Self::PERM_WRITE
    }

    /// `isInherited`.
    pub fn is_inherited(perm: i32) -> bool {
        perm & Self::PERM_INHERIT == Self::PERM_INHERIT
    }

    /// `isPriority`.
    pub fn is_priority(perm: i32) -> bool {
        perm & Self::PERM_PRIORITY == Self::PERM_PRIORITY
    }

    /// `isAccessible`: readable or writeable.
    pub fn is_accessible(perm: i32) -> bool {
        Self::is_readable(perm) || Self::is_writeable(perm)
    }

    /// `isValid(int)`: `0 <= perm < PERM_PRIORITY`.
    pub fn is_valid(perm: i32) -> bool {
        (0..Self::PERM_PRIORITY).contains(&perm)
    }

    /// `perm2String`: `"RWX"` with `-` for each missing read/write/inherit bit.
    pub fn perm_to_string(perm: i32) -> String {
        let mut s = String::with_capacity(3);
        s.push(if Self::is_readable(perm) { 'R' } else { '-' });
        s.push(if Self::is_writeable(perm) { 'W' } else { '-' });
        s.push(if Self::is_inherited(perm) { 'X' } else { '-' });
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_sys_flag_values() {
        // a-producer-json/014: the 6 KiB body was sent with sysFlag 769 = COMPRESSED | ZLIB type.
        assert_eq!(MessageSysFlag::COMPRESSED_FLAG | MessageSysFlag::COMPRESSION_ZLIB_TYPE, 769);
        assert_eq!(MessageSysFlag::TRANSACTION_PREPARED_TYPE, 4);
        assert_eq!(MessageSysFlag::TRANSACTION_COMMIT_TYPE, 8);
        assert_eq!(MessageSysFlag::TRANSACTION_ROLLBACK_TYPE, 12);
        assert_eq!(MessageSysFlag::BORNHOST_V6_FLAG, 0x10);
        assert_eq!(MessageSysFlag::STOREHOSTADDRESS_V6_FLAG, 0x20);
        assert_eq!(MessageSysFlag::NEED_UNWRAP_FLAG, 0x40);
        assert_eq!(MessageSysFlag::INNER_BATCH_FLAG, 0x80);
        assert_eq!(MessageSysFlag::COMPRESSION_TYPE_COMPARATOR, 0x700);
    }

    #[test]
    fn message_sys_flag_helpers() {
        let f = 769 | MessageSysFlag::TRANSACTION_PREPARED_TYPE;
        assert_eq!(MessageSysFlag::get_transaction_value(f), 4);
        assert_eq!(MessageSysFlag::reset_transaction_value(f, MessageSysFlag::TRANSACTION_COMMIT_TYPE), 769 | 8);
        assert_eq!(MessageSysFlag::clear_compressed_flag(769), 768);
        assert!(MessageSysFlag::is_compressed(769));
        assert!(!MessageSysFlag::is_compressed(768));
        assert!(matches!(MessageSysFlag::get_compression_type(769), Ok(CompressionType::Zlib)));
        assert!(matches!(MessageSysFlag::get_compression_type(1), Ok(CompressionType::Zlib)));
        assert!(matches!(MessageSysFlag::get_compression_type(0x101), Ok(CompressionType::Lz4)));
        assert!(matches!(MessageSysFlag::get_compression_type(0x201), Ok(CompressionType::Zstd)));
        assert!(MessageSysFlag::get_compression_type(0x401).is_err());
        assert!(MessageSysFlag::check(0x30, MessageSysFlag::STOREHOSTADDRESS_V6_FLAG));
        assert!(!MessageSysFlag::check(0x10, MessageSysFlag::STOREHOSTADDRESS_V6_FLAG));
    }

    #[test]
    fn pull_sys_flag_build() {
        // The push consumer's usual values (protocol.md §2.6.1): suspend only, or commit+suspend.
        assert_eq!(PullSysFlag::build(false, true, false, false, false), 2);
        assert_eq!(PullSysFlag::build(true, true, false, false, false), 3);
        assert_eq!(PullSysFlag::build(true, true, true, true, true), 0x1F);
        assert_eq!(PullSysFlag::build(false, false, false, false, true), 0x10);
        assert_eq!(PullSysFlag::clear_commit_offset_flag(3), 2);
        assert_eq!(PullSysFlag::clear_suspend_flag(3), 1);
        assert_eq!(PullSysFlag::with_subscription(2), 6);
        assert!(PullSysFlag::has_commit_offset_flag(3));
        assert!(!PullSysFlag::has_commit_offset_flag(2));
        assert!(PullSysFlag::has_suspend_flag(2));
        assert!(PullSysFlag::has_subscription_flag(4));
        assert!(PullSysFlag::has_class_filter_flag(8));
        assert!(PullSysFlag::has_lite_pull_flag(0x10));
        assert!(!PullSysFlag::has_lite_pull_flag(0xF));
    }

    #[test]
    fn perm_name() {
        // TBW102 is INHERIT|READ|WRITE = 7; auto-created topics get 6.
        assert_eq!(PermName::PERM_INHERIT | PermName::PERM_READ | PermName::PERM_WRITE, 7);
        assert!(PermName::is_readable(6) && PermName::is_writeable(6) && !PermName::is_inherited(6));
        assert!(!PermName::is_readable(2) && PermName::is_writeable(2));
        assert!(PermName::is_readable(4) && !PermName::is_writeable(4));
        assert!(PermName::is_priority(8) && !PermName::is_priority(7));
        assert!(!PermName::is_accessible(1) && PermName::is_accessible(4));
        assert!(PermName::is_valid(0) && PermName::is_valid(7));
        assert!(!PermName::is_valid(8) && !PermName::is_valid(-1));
        assert_eq!(PermName::perm_to_string(7), "RWX");
        assert_eq!(PermName::perm_to_string(6), "RW-");
        assert_eq!(PermName::perm_to_string(2), "-W-");
        assert_eq!(PermName::perm_to_string(0), "---");
    }

    #[test]
    fn topic_sys_flag() {
        assert_eq!(TopicSysFlag::build(false, false), 0);
        assert_eq!(TopicSysFlag::build(true, true), 3);
        assert!(TopicSysFlag::has_unit_flag(1) && !TopicSysFlag::has_unit_sub_flag(1));
        assert!(TopicSysFlag::has_unit_sub_flag(2));
    }
}
