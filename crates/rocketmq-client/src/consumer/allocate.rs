//! Queue allocation strategies for clustering consumers (protocol.md §5.8.2), after Java's
//! `client/consumer/rebalance/*.java` (`AllocateMessageQueueStrategy` and its implementations).
//!
//! Every consumer of a group runs the same strategy over the same sorted inputs and keeps only
//! its own share, so the strategies must be bit-for-bit identical to Java's when Java and Rust
//! clients share a group: a different answer double-assigns or orphans queues.
//!
//! Java's `AbstractAllocateMessageQueueStrategy.check` throws `IllegalArgumentException` for an
//! empty current client id, empty `mqAll` or empty `cidAll`; `RebalanceImpl` catches it and
//! allocates nothing. Here those cases simply return an empty list, as does a client id that is
//! not in `cidAll`.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

use rocketmq_remoting::MessageQueue;

use crate::error::{Error, Result};

/// Java `AllocateMessageQueueStrategy`: decides which queues of a topic this client consumes.
///
/// `mq_all` (sorted by [`MessageQueue`]'s Java order) and `cid_all` (sorted client ids) come
/// from the caller, already sorted, exactly as `RebalanceImpl.rebalanceByTopic` passes them.
pub trait AllocateStrategy: Send + Sync + Debug {
    /// Java `getName()`: `"AVG"`, `"AVG_BY_CIRCLE"`, `"CONSISTENT_HASH"`, `"CONFIG"`.
    fn name(&self) -> &str;

    /// Java `allocate(consumerGroup, currentCID, mqAll, cidAll)`: the queues `current_cid`
    /// consumes; empty when `current_cid` is not in `cid_all` (or any input is empty).
    fn allocate(
        &self,
        group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue>;
}

/// Java `AbstractAllocateMessageQueueStrategy.check`, answering with the index of `current_cid`
/// (`cidAll.indexOf`, first occurrence) instead of throwing.
fn check(current_cid: &str, mq_all: &[MessageQueue], cid_all: &[String]) -> Option<usize> {
    if current_cid.is_empty() || mq_all.is_empty() || cid_all.is_empty() {
        return None;
    }
    let index = cid_all.iter().position(|cid| cid == current_cid);
    if index.is_none() {
        tracing::info!(current_cid, ?cid_all, "[BUG] consumer id not in the group's consumer list");
    }
    index
}

/// Java `AllocateMessageQueueAveragely` (`"AVG"`, the default): contiguous blocks, the first
/// `|mq| % |cid|` consumers get one queue more. 8 queues over 3 consumers: 3, 3, 2.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Averagely;

impl AllocateStrategy for Averagely {
    fn name(&self) -> &str {
        "AVG"
    }

    fn allocate(
        &self,
        _group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        let Some(index) = check(current_cid, mq_all, cid_all) else {
            return Vec::new();
        };
        let (mqs, cids) = (mq_all.len(), cid_all.len());
        let modulo = mqs % cids;
        let average = if mqs <= cids {
            1
        } else if modulo > 0 && index < modulo {
            mqs / cids + 1
        } else {
            mqs / cids
        };
        let start = if modulo > 0 && index < modulo { index * average } else { index * average + modulo };
        let range = average.min(mqs.saturating_sub(start));
        mq_all.iter().skip(start).take(range).cloned().collect()
    }
}

/// Java `AllocateMessageQueueAveragelyByCircle` (`"AVG_BY_CIRCLE"`): queue `j` goes to consumer
/// `j % |cid|`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AveragelyByCircle;

impl AllocateStrategy for AveragelyByCircle {
    fn name(&self) -> &str {
        "AVG_BY_CIRCLE"
    }

    fn allocate(
        &self,
        _group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        let Some(index) = check(current_cid, mq_all, cid_all) else {
            return Vec::new();
        };
        mq_all.iter().skip(index).step_by(cid_all.len()).cloned().collect()
    }
}

/// Java `AllocateMessageQueueConsistentHash` (`"CONSISTENT_HASH"`) with the default
/// `ConsistentHashRouter.MD5Hash`: a ring of `virtual_nodes` points per client, keyed
/// `"<clientId>-<n>"` (`VirtualNode.getKey`); a queue (keyed by its Java `toString`) belongs to
/// the first point at or after its hash, wrapping around.
///
/// When a consumer leaves, only its queues move; the others keep their owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsistentHash {
    /// Java `virtualNodeCnt`: ring points per client (Java default 10). Zero means an empty
    /// ring, which allocates nothing (as in Java).
    pub virtual_nodes: usize,
}

impl ConsistentHash {
    /// Java's default `virtualNodeCnt`.
    pub const DEFAULT_VIRTUAL_NODES: usize = 10;

    /// A ring with `virtual_nodes` points per client (Java `AllocateMessageQueueConsistentHash(int)`).
    pub fn new(virtual_nodes: usize) -> Self {
        ConsistentHash { virtual_nodes }
    }

    /// Java `ConsistentHashRouter` built from `cid_all`: hash → owning client index. Points are
    /// inserted in `cid_all` order, replica numbers continuing after the client's existing
    /// points (`getExistingReplicas`, which only matters for duplicate ids); a later point with
    /// the same hash replaces an earlier one (`TreeMap.put`).
    fn ring(&self, cid_all: &[String]) -> BTreeMap<u32, usize> {
        let mut ring: BTreeMap<u32, usize> = BTreeMap::new();
        for (i, cid) in cid_all.iter().enumerate() {
            let existing = ring.values().filter(|&&owner| cid_all.get(owner) == Some(cid)).count();
            for n in 0..self.virtual_nodes {
                ring.insert(md5_hash(&format!("{cid}-{}", n + existing)), i);
            }
        }
        ring
    }
}

impl Default for ConsistentHash {
    fn default() -> Self {
        ConsistentHash::new(Self::DEFAULT_VIRTUAL_NODES)
    }
}

impl AllocateStrategy for ConsistentHash {
    fn name(&self) -> &str {
        "CONSISTENT_HASH"
    }

    fn allocate(
        &self,
        _group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        if check(current_cid, mq_all, cid_all).is_none() {
            return Vec::new();
        }
        let ring = self.ring(cid_all);
        mq_all
            .iter()
            .filter(|mq| {
                let hash = md5_hash(&mq.to_string());
                let owner = ring.range(hash..).next().or_else(|| ring.iter().next()).map(|(_, &owner)| owner);
                owner.and_then(|i| cid_all.get(i)).is_some_and(|cid| cid == current_cid)
            })
            .cloned()
            .collect()
    }
}

/// Java `AllocateMessageQueueByConfig` (`"CONFIG"`): always the configured queues, whatever the
/// inputs (Java does not run `check` here, so this holds even for a client id not in `cidAll`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ByConfig {
    /// Java `messageQueueList`.
    pub queues: Vec<MessageQueue>,
}

impl ByConfig {
    /// A strategy that always answers `queues` (Java `setMessageQueueList`).
    pub fn new(queues: Vec<MessageQueue>) -> Self {
        ByConfig { queues }
    }
}

impl AllocateStrategy for ByConfig {
    fn name(&self) -> &str {
        "CONFIG"
    }

    fn allocate(
        &self,
        _group: &str,
        _current_cid: &str,
        _mq_all: &[MessageQueue],
        _cid_all: &[String],
    ) -> Vec<MessageQueue> {
        self.queues.clone()
    }
}

/// The strategy named `name`, matched case-insensitively: `AVG`, `AVG_BY_CIRCLE`,
/// `CONSISTENT_HASH` (10 virtual nodes), or the Java class names (simple or fully qualified,
/// e.g. `AllocateMessageQueueAveragely`,
/// `org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueConsistentHash`).
///
/// `CONFIG` (`AllocateMessageQueueByConfig`) is refused with a [`crate::ErrorKind::Config`]
/// error: it needs its queue list, so build [`ByConfig::new`] directly (a Java
/// `AllocateMessageQueueByConfig` without a list would consume nothing). Unknown names, including
/// the machine-room strategies, are Config errors too.
pub fn strategy_by_name(name: &str) -> Result<Arc<dyn AllocateStrategy>> {
    let trimmed = name.trim();
    let simple = trimmed.rsplit('.').next().unwrap_or(trimmed).to_ascii_uppercase();
    match simple.as_str() {
        "AVG" | "ALLOCATEMESSAGEQUEUEAVERAGELY" => Ok(Arc::new(Averagely)),
        "AVG_BY_CIRCLE" | "ALLOCATEMESSAGEQUEUEAVERAGELYBYCIRCLE" => Ok(Arc::new(AveragelyByCircle)),
        "CONSISTENT_HASH" | "ALLOCATEMESSAGEQUEUECONSISTENTHASH" => Ok(Arc::new(ConsistentHash::default())),
        "CONFIG" | "ALLOCATEMESSAGEQUEUEBYCONFIG" => Err(Error::config(format!(
            "allocation strategy {name:?} needs its queue list: construct ByConfig with the queues instead"
        ))),
        _ => Err(Error::config(format!(
            "unknown allocation strategy {name:?} (known: AVG, AVG_BY_CIRCLE, CONSISTENT_HASH, CONFIG)"
        ))),
    }
}

/// Java `ConsistentHashRouter.MD5Hash.hash`: the first four bytes of the MD5 of the UTF-8 key,
/// big-endian, unsigned (Java keeps it in a `long`, always in `0..2^32`).
pub fn md5_hash(key: &str) -> u32 {
    let [a, b, c, d, ..] = md5(key.as_bytes());
    u32::from_be_bytes([a, b, c, d])
}

/// Per-round shift amounts of MD5 (RFC 1321 §3.4).
const MD5_SHIFTS: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/// `floor(abs(sin(i + 1)) * 2^32)` (RFC 1321 §3.4, table T).
const MD5_T: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

/// MD5 (RFC 1321) of `input`. Small and allocation-light; only used for ring keys, which are
/// short, so speed does not matter.
fn md5(input: &[u8]) -> [u8; 16] {
    let mut state: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    // Padding: 0x80, zeros up to 56 mod 64, then the bit length as u64 little-endian.
    let mut message = input.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&((input.len() as u64).wrapping_mul(8)).to_le_bytes());

    for block in message.chunks_exact(64) {
        let mut words = [0u32; 16];
        for (word, bytes) in words.iter_mut().zip(block.chunks_exact(4)) {
            *word = bytes.iter().rev().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
        }
        let [mut a, mut b, mut c, mut d] = state;
        for (i, &t) in MD5_T.iter().enumerate() {
            let round = i / 16;
            let (f, g) = match round {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let shift = MD5_SHIFTS.get(round * 4 + i % 4).copied().unwrap_or(0);
            let word = words.get(g).copied().unwrap_or(0);
            let rotated = a.wrapping_add(f).wrapping_add(t).wrapping_add(word).rotate_left(shift);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(rotated);
        }
        for (s, v) in state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }

    let mut digest = [0u8; 16];
    for (out, word) in digest.chunks_exact_mut(4).zip(state) {
        out.copy_from_slice(&word.to_le_bytes());
    }
    digest
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn queues(n: usize) -> Vec<MessageQueue> {
        (0..n).map(|i| MessageQueue::new("topic", "brokerName", i as i32)).collect()
    }

    fn cids(prefix: &str, n: usize) -> Vec<String> {
        let mut v: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
        v.sort();
        v
    }

    fn ids(mqs: &[MessageQueue]) -> Vec<i32> {
        mqs.iter().map(|mq| mq.queue_id).collect()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Owner of every queue across the whole group; `None` if a queue is unassigned, and a
    /// queue given to two consumers makes the test fail.
    fn owners(s: &dyn AllocateStrategy, mqs: &[MessageQueue], cids: &[String]) -> HashMap<MessageQueue, String> {
        let mut owner = HashMap::new();
        for cid in cids {
            for mq in s.allocate("G", cid, mqs, cids) {
                let previous = owner.insert(mq.clone(), cid.clone());
                assert!(previous.is_none(), "{} gave {mq} to {previous:?} and {cid}", s.name());
            }
        }
        owner
    }

    #[test]
    fn md5_rfc1321_vectors() {
        let vectors = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, expected) in vectors {
            assert_eq!(hex(&md5(input.as_bytes())), expected, "md5({input:?})");
        }
        // Padding edge cases: lengths around the 56- and 64-byte block boundaries (`md5sum`).
        for (len, expected) in [
            (55, "04364420e25c512fd958a70738aa8f72"),
            (56, "668a72d5ba17f08e62dabcafad6db14b"),
            (63, "7dc2ca208106a2f703567bdff99d8981"),
            (64, "c1bb4f81d892b2d57947682aeb252456"),
            (65, "1bc932052302d074bdec39795fe00cf6"),
            (128, "d69cb61a6ee87200676eb0d4b90edbcb"),
        ] {
            assert_eq!(hex(&md5(&vec![b'x'; len])), expected, "md5 of {len} x");
        }
    }

    #[test]
    fn averagely_matches_java() {
        // AllocateMessageQueueAveragelyTest: 10 queues, 4 consumers → 3, 3, 2, 2.
        let mqs = queues(10);
        let group = cids("CID_PREFIX", 4);
        let sizes: Vec<usize> = group.iter().map(|c| Averagely.allocate("", c, &mqs, &group).len()).collect();
        assert_eq!(sizes, [3, 3, 2, 2]);

        // 8 queues, 3 consumers → [0,1,2], [3,4,5], [6,7]: contiguous blocks.
        let mqs = queues(8);
        let group = cids("c", 3);
        let got: Vec<Vec<i32>> = group.iter().map(|c| ids(&Averagely.allocate("", c, &mqs, &group))).collect();
        assert_eq!(got, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7]]);

        // More consumers than queues: one each, the rest get nothing.
        let mqs = queues(2);
        let group = cids("c", 3);
        let got: Vec<Vec<i32>> = group.iter().map(|c| ids(&Averagely.allocate("", c, &mqs, &group))).collect();
        assert_eq!(got, vec![vec![0], vec![1], vec![]]);
    }

    #[test]
    fn by_circle_matches_java() {
        // AllocateMessageQueueAveragelyByCircleTest.
        let mqs = queues(10);
        let group = cids("CID_PREFIX", 4);
        assert!(AveragelyByCircle.allocate("", "CID_PREFIX", &mqs, &group).is_empty());
        let got: Vec<Vec<i32>> = group.iter().map(|c| ids(&AveragelyByCircle.allocate("", c, &mqs, &group))).collect();
        assert_eq!(got, vec![vec![0, 4, 8], vec![1, 5, 9], vec![2, 6], vec![3, 7]]);
    }

    #[test]
    fn unknown_or_empty_inputs_allocate_nothing() {
        let mqs = queues(4);
        let group = cids("c", 2);
        let strategies: [&dyn AllocateStrategy; 3] = [&Averagely, &AveragelyByCircle, &ConsistentHash::default()];
        for s in strategies {
            assert!(s.allocate("G", "other", &mqs, &group).is_empty(), "{}", s.name());
            assert!(s.allocate("G", "", &mqs, &group).is_empty(), "{}", s.name());
            assert!(s.allocate("G", "c0", &[], &group).is_empty(), "{}", s.name());
            assert!(s.allocate("G", "c0", &mqs, &[]).is_empty(), "{}", s.name());
        }
        assert!(ConsistentHash::new(0).allocate("G", "c0", &mqs, &group).is_empty());
    }

    #[test]
    fn by_config_always_answers_its_list() {
        let fixed = vec![MessageQueue::new("T", "b", 3), MessageQueue::new("T", "a", 1)];
        let s = ByConfig::new(fixed.clone());
        assert_eq!(s.allocate("G", "nobody", &queues(4), &cids("c", 2)), fixed);
        assert_eq!(s.name(), "CONFIG");
    }

    /// Every queue goes to exactly one consumer, for many sizes and client-id shapes.
    #[test]
    fn every_queue_has_exactly_one_owner() {
        let mut rng = fastrand::Rng::with_seed(0x00a1_10c8);
        let strategies: [&dyn AllocateStrategy; 4] =
            [&Averagely, &AveragelyByCircle, &ConsistentHash::default(), &ConsistentHash::new(3)];
        for round in 0..300 {
            let (n_mq, n_cid) =
                if round < 100 { (round % 25 + 1, round / 25 + 1) } else { (rng.usize(1..70), rng.usize(1..20)) };
            let mut mqs: Vec<MessageQueue> = (0..n_mq)
                .map(|i| MessageQueue::new(format!("T{}", i % 2), format!("broker-{}", i % 3), (i / 6) as i32))
                .collect();
            mqs.sort();
            mqs.dedup();
            let group: Vec<String> =
                cids(&format!("10.0.{}.{}@", rng.u8(..), rng.u8(..)), n_cid).into_iter().map(|c| c + "#x").collect();
            for s in strategies {
                let owner = owners(s, &mqs, &group);
                assert_eq!(owner.len(), mqs.len(), "{} left queues unassigned ({n_mq} mq, {n_cid} cid)", s.name());
            }
            // Averagely and by-circle also balance: sizes differ by at most one.
            for s in [&Averagely as &dyn AllocateStrategy, &AveragelyByCircle] {
                let sizes: Vec<usize> = group.iter().map(|c| s.allocate("G", c, &mqs, &group).len()).collect();
                let (min, max) = (sizes.iter().min().copied(), sizes.iter().max().copied());
                assert!(max.zip(min).is_some_and(|(max, min)| max - min <= 1), "{} sizes {sizes:?}", s.name());
            }
        }
    }

    /// A vector worked out by hand from the Java algorithm (`MD5Hash`, `VirtualNode.getKey`,
    /// `tailMap(hash).firstKey()` else `firstKey()`), the MD5 values from an independent MD5.
    #[test]
    fn consistent_hash_hand_vector() {
        // One virtual node each: ring = {0x31831c51: c2 ("c2-0"), 0xe7a7eb0b: c1 ("c1-0")}.
        assert_eq!(md5_hash("c1-0"), 0xe7a7_eb0b);
        assert_eq!(md5_hash("c2-0"), 0x3183_1c51);
        let mqs = queues(8);
        // Queue hashes, and the first ring point at or after each (wrapping past 0xe7a7eb0b):
        let expected = [
            (0xbe6b_ac7a, "c1"),
            (0x04f0_6f99, "c2"),
            (0x704b_36d6, "c1"),
            (0xb5bd_6c09, "c1"),
            (0xbd23_6185, "c1"),
            (0x09f7_be6e, "c2"),
            (0xe856_42aa, "c2"), // above c1's point: wraps to the first point, c2
            (0xebd9_638c, "c2"),
        ];
        for (mq, (hash, _)) in mqs.iter().zip(expected) {
            assert_eq!(md5_hash(&mq.to_string()), hash, "{mq}");
        }
        let group = vec!["c1".to_string(), "c2".to_string()];
        let s = ConsistentHash::new(1);
        let owner = owners(&s, &mqs, &group);
        let got: Vec<&str> = mqs.iter().map(|mq| owner.get(mq).map_or("-", String::as_str)).collect();
        let want: Vec<&str> = expected.iter().map(|(_, cid)| *cid).collect();
        assert_eq!(got, want);
        assert_eq!(ids(&s.allocate("G", "c1", &mqs, &group)), [0, 2, 3, 4]);

        // Three consumers, two virtual nodes (same Java transcription).
        let group = vec!["c1".to_string(), "c2".to_string(), "c3".to_string()];
        let owner = owners(&ConsistentHash::new(2), &mqs, &group);
        let got: Vec<&str> = mqs.iter().map(|mq| owner.get(mq).map_or("-", String::as_str)).collect();
        assert_eq!(got, ["c3", "c2", "c1", "c3", "c3", "c2", "c2", "c2"]);

        // Default 10 virtual nodes, realistic ids, two brokers.
        let group: Vec<String> = ["10.0.0.1@1", "10.0.0.2@2", "10.0.0.3@3"].map(String::from).to_vec();
        let mqs: Vec<MessageQueue> =
            ["broker-a", "broker-b"].iter().flat_map(|b| (0..4).map(move |i| MessageQueue::new("T", *b, i))).collect();
        let owner = owners(&ConsistentHash::default(), &mqs, &group);
        let got: Vec<&str> = mqs.iter().map(|mq| owner.get(mq).map_or("-", String::as_str)).collect();
        let want = ["10.0.0.3@3", "10.0.0.3@3", "10.0.0.2@2", "10.0.0.1@1"];
        assert_eq!(got[..4], want);
        assert!(got[4..].iter().all(|cid| *cid == "10.0.0.3@3"));
        assert_eq!(mqs[0].to_string(), "MessageQueue [topic=T, brokerName=broker-a, queueId=0]");
    }

    #[test]
    fn consistent_hash_is_stable_when_a_consumer_leaves() {
        for (n_mq, n_cid) in [(20, 10), (10, 20), (64, 5), (16, 4), (7, 3)] {
            let mqs = queues(n_mq);
            let group = cids("CID-", n_cid);
            let s = ConsistentHash::default();
            let before = owners(&s, &mqs, &group);
            let leaving = group.first().cloned().unwrap_or_default();
            let rest: Vec<String> = group.iter().filter(|c| **c != leaving).cloned().collect();
            let after = owners(&s, &mqs, &rest);
            assert_eq!(after.len(), mqs.len());
            for (mq, owner) in &before {
                if *owner != leaving {
                    assert_eq!(after.get(mq), Some(owner), "{mq} moved although its owner stayed");
                }
            }
            // And a newcomer only takes queues, never moves them between others.
            let mut grown = group.clone();
            grown.push("CID-new".to_string());
            grown.sort();
            let joined = owners(&s, &mqs, &grown);
            for (mq, owner) in &joined {
                if owner != "CID-new" {
                    assert_eq!(before.get(mq), Some(owner));
                }
            }
        }
    }

    #[test]
    fn strategy_names() {
        for (name, expected) in [
            ("AVG", "AVG"),
            ("avg", "AVG"),
            ("AllocateMessageQueueAveragely", "AVG"),
            ("org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely", "AVG"),
            ("avg_by_circle", "AVG_BY_CIRCLE"),
            ("AllocateMessageQueueAveragelyByCircle", "AVG_BY_CIRCLE"),
            ("CONSISTENT_HASH", "CONSISTENT_HASH"),
            (" org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueConsistentHash ", "CONSISTENT_HASH"),
        ] {
            assert_eq!(strategy_by_name(name).ok().map(|s| s.name().to_string()).as_deref(), Some(expected), "{name}");
        }
        for bad in ["CONFIG", "AllocateMessageQueueByConfig", "MACHINE_ROOM", "", "avg2"] {
            let err = strategy_by_name(bad).err();
            assert_eq!(err.map(|e| e.kind()), Some(crate::ErrorKind::Config), "{bad}");
        }
    }
}
