//! The per-queue buffer of a push consumer (protocol.md §5.8.4, §5.11), after Java's
//! `client/impl/consumer/ProcessQueue.java`.
//!
//! The pull task puts pulled messages in; consume threads take them out (orderly) or remove them
//! after consumption (concurrently), and the offset to commit comes back from those calls. Shared
//! between a tokio pull task and std consume threads: every method is short and synchronous,
//! takes one std mutex at most and never waits on anything else while holding it, so it is safe
//! to call from async code (never hold a [`ConsumeGuard`] across an `.await`, though). Counters
//! and flags are atomics that the pull loop reads without locking, as Java's are. A poisoned
//! mutex is recovered (the state is kept consistent at every step), never unwrapped.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rocketmq_remoting::body::ProcessQueueInfo;
use rocketmq_remoting::message::keys;
use rocketmq_remoting::message::stored::MessageExt;

/// Java `ProcessQueue.REBALANCE_LOCK_MAX_LIVE_TIME` (`rocketmq.client.rebalance.lockMaxLiveTime`,
/// 30 s): a broker lock not renewed for this long is treated as lost by the client.
pub const REBALANCE_LOCK_MAX_LIVE_TIME: Duration = Duration::from_millis(30_000);

/// Java `ProcessQueue.REBALANCE_LOCK_INTERVAL` (`rocketmq.client.rebalance.lockInterval`, 20 s):
/// how often orderly consumers renew their broker locks (`lockAll`).
pub const REBALANCE_LOCK_INTERVAL: Duration = Duration::from_millis(20_000);

/// Java `ProcessQueue.PULL_MAX_IDLE_TIME` (`rocketmq.client.pull.pullMaxIdleTime`, 120 s): a
/// process queue not pulled for this long is dropped and recreated by rebalance.
pub const PULL_MAX_IDLE_TIME: Duration = Duration::from_millis(120_000);

/// Java `System.currentTimeMillis()`: wall-clock milliseconds since the Unix epoch (0 if the
/// clock is before 1970).
pub fn current_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn body_len(msg: &MessageExt) -> i64 {
    i64::try_from(msg.body.len()).unwrap_or(i64::MAX)
}

/// One cached message and, for the expired-message cleaner, when its consumption started.
/// The message is shared with whoever consumes it (Java shares the object too): caching it
/// costs a count, not a copy of its topic and properties.
#[derive(Debug)]
struct Cached {
    msg: Arc<MessageExt>,
    /// Set by [`ProcessQueue::mark_consume_start`]; Java keeps this in the message's
    /// `CONSUME_START_TIME` property (its messages are shared objects, ours are copies).
    consume_start_ms: Option<i64>,
}

/// What the tree-map lock of Java protects.
#[derive(Debug, Default)]
struct State {
    /// Java `msgTreeMap`: queue offset → message, pulled and not yet consumed (orderly: not yet
    /// taken).
    msgs: BTreeMap<i64, Cached>,
    /// Java `consumingMsgOrderlyTreeMap`: taken by an orderly consume thread, not committed.
    consuming: BTreeMap<i64, Arc<MessageExt>>,
    /// Java `consuming`: an orderly consume request is scheduled or running for this queue.
    consuming_flag: bool,
}

/// Java `ProcessQueue`: the cached messages of one assigned queue and its consumption state.
///
/// Invariant kept by every method: [`cached_count`](Self::cached_count) equals the number of
/// cached plus taken (orderly, uncommitted) messages, and [`cached_bytes`](Self::cached_bytes)
/// their body bytes.
pub struct ProcessQueue {
    state: Mutex<State>,
    /// Java `msgCount`.
    msg_count: AtomicI64,
    /// Java `msgSize`.
    msg_size: AtomicI64,
    /// Java `queueOffsetMax`.
    queue_offset_max: AtomicI64,
    /// Java `msgAccCnt`.
    msg_acc_cnt: AtomicI64,
    /// Java `dropped`.
    dropped: AtomicBool,
    /// Java `locked`.
    locked: AtomicBool,
    /// Java `tryUnlockTimes`.
    try_unlock_times: AtomicI64,
    /// Java `lastPullTimestamp` (ms).
    last_pull_timestamp: AtomicI64,
    /// Java `lastConsumeTimestamp` (ms).
    last_consume_timestamp: AtomicI64,
    /// Java `lastLockTimestamp` (ms).
    last_lock_timestamp: AtomicI64,
    /// Java `consumeLock`.
    consume_lock: ConsumeLock,
    /// Java `consumeLock` as the async consume service uses it: held by the task consuming an
    /// orderly queue across each listener call (a blocking call runs on a consume thread while
    /// the task waits), so rebalance can wait for the batch in flight without blocking a thread.
    orderly_lock: tokio::sync::Mutex<()>,
}

impl Default for ProcessQueue {
    fn default() -> Self {
        ProcessQueue::new()
    }
}

impl fmt::Debug for ProcessQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessQueue")
            .field("cached_count", &self.cached_count())
            .field("cached_bytes", &self.cached_bytes())
            .field("queue_offset_max", &self.queue_offset_max())
            .field("dropped", &self.is_dropped())
            .field("locked", &self.is_locked())
            .finish_non_exhaustive()
    }
}

impl ProcessQueue {
    /// An empty process queue; the pull, consume and lock timestamps start at now (as Java's
    /// field initialisers do).
    pub fn new() -> Self {
        let now = current_millis();
        ProcessQueue {
            state: Mutex::new(State::default()),
            msg_count: AtomicI64::new(0),
            msg_size: AtomicI64::new(0),
            queue_offset_max: AtomicI64::new(0),
            msg_acc_cnt: AtomicI64::new(0),
            dropped: AtomicBool::new(false),
            locked: AtomicBool::new(false),
            try_unlock_times: AtomicI64::new(0),
            last_pull_timestamp: AtomicI64::new(now),
            last_consume_timestamp: AtomicI64::new(now),
            last_lock_timestamp: AtomicI64::new(now),
            consume_lock: ConsumeLock::default(),
            orderly_lock: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // --- pulling side ------------------------------------------------------------------------

    /// Java `putMessage`: cache pulled messages (a message whose offset is already cached
    /// replaces it without being counted twice).
    ///
    /// Returns Java's `dispatchToConsume`: `true` when messages are cached and no orderly consume
    /// request is marked as running, in which case it is now marked (orderly consumption submits
    /// a request only then; concurrent consumption ignores the answer). The mark is cleared by
    /// [`take_messages`](Self::take_messages) finding nothing.
    ///
    /// `queue_offset_max` becomes the largest new offset (Java assigns the last new one, which
    /// is the same for the ascending batches a pull returns). The `MAX_OFFSET` property of the
    /// last message sets [`msg_acc_cnt`](Self::msg_acc_cnt).
    pub fn put_messages<M: Into<Arc<MessageExt>>>(&self, msgs: Vec<M>) -> bool {
        let msgs: Vec<Arc<MessageExt>> = msgs.into_iter().map(Into::into).collect();
        let acc = msgs.last().and_then(|last| {
            let max = last.property(keys::MAX_OFFSET)?.trim().parse::<i64>().ok()?;
            Some(max.saturating_sub(last.queue_offset)).filter(|acc| *acc > 0)
        });
        let mut state = self.state();
        let (mut added, mut bytes) = (0i64, 0i64);
        for msg in msgs {
            let offset = msg.queue_offset;
            let len = body_len(&msg);
            match state.msgs.insert(offset, Cached { msg, consume_start_ms: None }) {
                None => {
                    added += 1;
                    bytes += len;
                    self.queue_offset_max.fetch_max(offset, Ordering::AcqRel);
                }
                Some(old) => bytes += len - body_len(&old.msg),
            }
        }
        self.msg_count.fetch_add(added, Ordering::AcqRel);
        self.msg_size.fetch_add(bytes, Ordering::AcqRel);
        if let Some(acc) = acc {
            self.msg_acc_cnt.store(acc, Ordering::Release);
        }
        let dispatch = !state.msgs.is_empty() && !state.consuming_flag;
        if dispatch {
            state.consuming_flag = true;
        }
        dispatch
    }

    /// Java `getMsgCount`: messages cached, including ones taken by an orderly consumer and not
    /// yet committed (pull flow control: `pullThresholdForQueue`).
    pub fn cached_count(&self) -> i64 {
        self.msg_count.load(Ordering::Acquire)
    }

    /// Java `getMsgSize`: body bytes of [`cached_count`](Self::cached_count)'s messages (pull
    /// flow control: `pullThresholdSizeForQueue`, compared in MiB).
    pub fn cached_bytes(&self) -> i64 {
        self.msg_size.load(Ordering::Acquire)
    }

    /// Java `getMaxSpan`: last cached offset minus first (0 when nothing is cached); pull flow
    /// control for concurrent consumption (`consumeConcurrentlyMaxSpan`).
    pub fn max_span(&self) -> i64 {
        let state = self.state();
        match (state.msgs.keys().next(), state.msgs.keys().next_back()) {
            (Some(first), Some(last)) => last - first,
            _ => 0,
        }
    }

    /// Java `queueOffsetMax`: the largest offset ever cached (0 initially and after
    /// [`clear`](Self::clear)).
    pub fn queue_offset_max(&self) -> i64 {
        self.queue_offset_max.load(Ordering::Acquire)
    }

    /// Java `getMsgAccCnt`: messages left in the broker queue after the last pulled batch
    /// (`MAX_OFFSET` property − offset of the batch's last message), for consumer-lag reports.
    pub fn msg_acc_cnt(&self) -> i64 {
        self.msg_acc_cnt.load(Ordering::Acquire)
    }

    /// Java `hasTempMessage`: whether messages are cached and not taken.
    pub fn has_temp_message(&self) -> bool {
        !self.state().msgs.is_empty()
    }

    /// Java `containsMessage`: whether the message at `offset` is still cached (not removed, not
    /// taken). Concurrent consumption sends a failed message back only if this holds.
    pub fn contains_message(&self, offset: i64) -> bool {
        self.state().msgs.contains_key(&offset)
    }

    /// Java `clear`: forget every message (cached and taken) and reset the counters and
    /// `queue_offset_max`; used when the queue is dropped or its offset reset.
    pub fn clear(&self) {
        let mut state = self.state();
        state.msgs.clear();
        state.consuming.clear();
        self.msg_count.store(0, Ordering::Release);
        self.msg_size.store(0, Ordering::Release);
        self.queue_offset_max.store(0, Ordering::Release);
    }

    // --- concurrent consumption --------------------------------------------------------------

    /// Java `removeMessage`: drop consumed messages (by queue offset) and answer the offset to
    /// commit: the smallest offset still cached, or `queue_offset_max + 1` when none is left, so
    /// the committed offset never passes an unfinished message. `-1` when nothing was cached on
    /// entry (nothing to commit). Updates the last-consume timestamp.
    pub fn remove_messages(&self, offsets: &[i64]) -> i64 {
        self.last_consume_timestamp.store(current_millis(), Ordering::Release);
        let mut state = self.state();
        self.remove_locked(&mut state, offsets)
    }

    /// The body of [`remove_messages`](Self::remove_messages), under the state lock.
    fn remove_locked(&self, state: &mut State, offsets: &[i64]) -> i64 {
        if state.msgs.is_empty() {
            return -1;
        }
        let (mut removed, mut bytes) = (0i64, 0i64);
        for offset in offsets {
            if let Some(old) = state.msgs.remove(offset) {
                removed += 1;
                bytes += body_len(&old.msg);
            }
        }
        if self.msg_count.fetch_sub(removed, Ordering::AcqRel) - removed == 0 {
            self.msg_size.store(0, Ordering::Release);
        } else {
            self.msg_size.fetch_sub(bytes, Ordering::AcqRel);
        }
        match state.msgs.keys().next() {
            Some(first) => *first,
            None => self.queue_offset_max().saturating_add(1),
        }
    }

    /// Record that consumption of the cached messages at `offsets` started at `at_ms` (Java sets
    /// the `CONSUME_START_TIME` property before calling the listener), for
    /// [`expired_first`](Self::expired_first).
    pub fn mark_consume_start(&self, offsets: &[i64], at_ms: i64) {
        let mut state = self.state();
        for offset in offsets {
            if let Some(cached) = state.msgs.get_mut(offset) {
                cached.consume_start_ms = Some(at_ms);
            }
        }
    }

    /// The check of Java `cleanExpiredMsg` (concurrent consumption only): the first cached
    /// message if its consumption started more than `consume_timeout` ago (start time from
    /// [`mark_consume_start`](Self::mark_consume_start), else its `CONSUME_START_TIME`
    /// property). The caller sends it back with delay level 3, then calls
    /// [`remove_if_first`](Self::remove_if_first); Java repeats this for up to 16 messages.
    pub fn expired_first(&self, consume_timeout: Duration) -> Option<Arc<MessageExt>> {
        let now = current_millis();
        let state = self.state();
        let first = state.msgs.values().next()?;
        let started = first
            .consume_start_ms
            .or_else(|| first.msg.property(keys::CONSUME_START_TIME).and_then(|s| s.trim().parse().ok()))?;
        (now.saturating_sub(started) > millis(consume_timeout)).then(|| first.msg.clone())
    }

    /// The removal step of Java `cleanExpiredMsg`: remove the message at `offset` only if it is
    /// still the first cached one. Returns whether it was removed. (Java ignores the offset this
    /// would commit; the next [`remove_messages`](Self::remove_messages) answers it.)
    pub fn remove_if_first(&self, offset: i64) -> bool {
        self.last_consume_timestamp.store(current_millis(), Ordering::Release);
        let mut state = self.state();
        if state.msgs.keys().next() != Some(&offset) {
            return false;
        }
        self.remove_locked(&mut state, &[offset]);
        true
    }

    // --- orderly consumption -----------------------------------------------------------------

    /// Java `takeMessages`: move up to `batch` messages, lowest offsets first, from the cache to
    /// the "consuming" set and return them. When nothing is left the dispatch mark of
    /// [`put_messages`](Self::put_messages) is cleared, so the next put dispatches again.
    /// Updates the last-consume timestamp.
    pub fn take_messages(&self, batch: usize) -> Vec<Arc<MessageExt>> {
        self.last_consume_timestamp.store(current_millis(), Ordering::Release);
        let mut state = self.state();
        let mut taken = Vec::with_capacity(batch.min(state.msgs.len()));
        while taken.len() < batch {
            let Some((offset, cached)) = state.msgs.pop_first() else {
                break;
            };
            state.consuming.insert(offset, cached.msg.clone());
            taken.push(cached.msg);
        }
        if taken.is_empty() {
            state.consuming_flag = false;
        }
        taken
    }

    /// Java `commit`: the taken messages were consumed; forget them and answer the offset to
    /// commit, one past the highest taken offset. `-1` when nothing was taken (Java would throw).
    pub fn commit(&self) -> i64 {
        let mut state = self.state();
        let Some(last) = state.consuming.keys().next_back().copied() else {
            return -1;
        };
        let count = i64::try_from(state.consuming.len()).unwrap_or(i64::MAX);
        if self.msg_count.fetch_sub(count, Ordering::AcqRel) - count == 0 {
            self.msg_size.store(0, Ordering::Release);
        } else {
            let bytes: i64 = state.consuming.values().map(|m| body_len(m)).sum();
            self.msg_size.fetch_sub(bytes, Ordering::AcqRel);
        }
        state.consuming.clear();
        last.saturating_add(1)
    }

    /// Java `rollback`: put every taken message back into the cache.
    pub fn rollback(&self) {
        let mut state = self.state();
        let consuming = std::mem::take(&mut state.consuming);
        for (offset, msg) in consuming {
            state.msgs.insert(offset, Cached { msg, consume_start_ms: None });
        }
    }

    /// Java `makeMessageToConsumeAgain`: put these taken messages back into the cache (with
    /// whatever the caller changed, e.g. `reconsume_times + 1`) so they are taken again first.
    /// A message that was not taken (say the queue was cleared meanwhile) is cached as new and
    /// counted, keeping the counters exact (Java would leave them off by one).
    pub fn make_messages_to_consume_again(&self, msgs: &[Arc<MessageExt>]) {
        let mut state = self.state();
        for msg in msgs {
            let offset = msg.queue_offset;
            let was_taken = state.consuming.remove(&offset);
            let old = state.msgs.insert(offset, Cached { msg: msg.clone(), consume_start_ms: None });
            match (was_taken, old) {
                (Some(prev), _) | (None, Some(Cached { msg: prev, .. })) => {
                    self.msg_size.fetch_add(body_len(msg) - body_len(&prev), Ordering::AcqRel);
                }
                (None, None) => {
                    self.msg_count.fetch_add(1, Ordering::AcqRel);
                    self.msg_size.fetch_add(body_len(msg), Ordering::AcqRel);
                    self.queue_offset_max.fetch_max(offset, Ordering::AcqRel);
                }
            }
        }
    }

    /// Java `getConsumeLock()`: block until this thread is the only one consuming the queue.
    /// Orderly consume threads hold it around each listener call; rebalance takes it (with
    /// [`try_consume_lock_for`](Self::try_consume_lock_for)) before releasing the broker lock.
    /// Blocking: call from a consume thread or `spawn_blocking`, not from an async task.
    pub fn consume_lock(&self) -> ConsumeGuard<'_> {
        self.consume_lock.lock()
    }

    /// Take the consume lock if it is free (`tryLock()`).
    pub fn try_consume_lock(&self) -> Option<ConsumeGuard<'_>> {
        self.consume_lock.try_lock_for(Duration::ZERO)
    }

    /// Take the consume lock, waiting at most `timeout` (`tryLock(timeout)`, as
    /// `RebalancePushImpl.tryRemoveOrderMessageQueue` does with 1 s). Blocking, like
    /// [`consume_lock`](Self::consume_lock).
    pub fn try_consume_lock_for(&self, timeout: Duration) -> Option<ConsumeGuard<'_>> {
        self.consume_lock.try_lock_for(timeout)
    }

    /// The async form of the consume lock (see the field doc): one orderly batch in flight per
    /// queue; never hold it across anything but the batch.
    pub fn orderly_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.orderly_lock
    }

    // --- flags and timestamps ----------------------------------------------------------------

    /// Java `isDropped`: rebalance took the queue away; the pull loop and consumers stop.
    pub fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
    }

    /// Java `setDropped`.
    pub fn set_dropped(&self, dropped: bool) {
        self.dropped.store(dropped, Ordering::Release);
    }

    /// Java `isLocked`: this client holds the broker lock of the queue (orderly clustering).
    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Acquire)
    }

    /// Java `setLocked`.
    pub fn set_locked(&self, locked: bool) {
        self.locked.store(locked, Ordering::Release);
    }

    /// Java `getLastLockTimestamp` (ms).
    pub fn last_lock_timestamp(&self) -> i64 {
        self.last_lock_timestamp.load(Ordering::Acquire)
    }

    /// Java `setLastLockTimestamp` (ms); `lockAll` sets it to now with `locked = true`.
    pub fn set_last_lock_timestamp(&self, at_ms: i64) {
        self.last_lock_timestamp.store(at_ms, Ordering::Release);
    }

    /// Java `isLockExpired`: the lock was not renewed for more than `max_live`
    /// ([`REBALANCE_LOCK_MAX_LIVE_TIME`] in Java).
    pub fn is_lock_expired(&self, max_live: Duration) -> bool {
        current_millis().saturating_sub(self.last_lock_timestamp()) > millis(max_live)
    }

    /// Java `getTryUnlockTimes`.
    pub fn try_unlock_times(&self) -> i64 {
        self.try_unlock_times.load(Ordering::Acquire)
    }

    /// Java `incTryUnlockTimes`: an unlock was postponed because messages were still cached.
    pub fn inc_try_unlock_times(&self) {
        self.try_unlock_times.fetch_add(1, Ordering::AcqRel);
    }

    /// Java `getLastPullTimestamp` (ms).
    pub fn last_pull_timestamp(&self) -> i64 {
        self.last_pull_timestamp.load(Ordering::Acquire)
    }

    /// Java `setLastPullTimestamp` (ms); the pull loop sets it to now before every pull.
    pub fn set_last_pull_timestamp(&self, at_ms: i64) {
        self.last_pull_timestamp.store(at_ms, Ordering::Release);
    }

    /// Java `isPullExpired`: not pulled for more than `max_idle` ([`PULL_MAX_IDLE_TIME`] in
    /// Java); rebalance then drops and recreates the queue.
    pub fn is_pull_expired(&self, max_idle: Duration) -> bool {
        current_millis().saturating_sub(self.last_pull_timestamp()) > millis(max_idle)
    }

    /// Java `getLastConsumeTimestamp` (ms).
    pub fn last_consume_timestamp(&self) -> i64 {
        self.last_consume_timestamp.load(Ordering::Acquire)
    }

    /// Java `setLastConsumeTimestamp` (ms).
    pub fn set_last_consume_timestamp(&self, at_ms: i64) {
        self.last_consume_timestamp.store(at_ms, Ordering::Release);
    }

    /// Java `fillProcessQueueInfo`, for GET_CONSUMER_RUNNING_INFO; `commit_offset` is the
    /// offset store's value for the queue (Java's caller fills `commitOffset` the same way).
    /// The cached min/max/count describe messages not taken; the `transactionMsg*` fields the
    /// taken ones (orderly).
    pub fn info(&self, commit_offset: i64) -> ProcessQueueInfo {
        let state = self.state();
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        ProcessQueueInfo {
            commit_offset,
            cached_msg_min_offset: state.msgs.keys().next().copied().unwrap_or(0),
            cached_msg_max_offset: state.msgs.keys().next_back().copied().unwrap_or(0),
            cached_msg_count: count(state.msgs.len()),
            cached_msg_size_in_mib: i32::try_from(self.cached_bytes() / (1024 * 1024)).unwrap_or(i32::MAX),
            transaction_msg_min_offset: state.consuming.keys().next().copied().unwrap_or(0),
            transaction_msg_max_offset: state.consuming.keys().next_back().copied().unwrap_or(0),
            transaction_msg_count: count(state.consuming.len()),
            locked: self.is_locked(),
            try_unlock_times: self.try_unlock_times(),
            last_lock_timestamp: self.last_lock_timestamp(),
            dropped: self.is_dropped(),
            last_pull_timestamp: self.last_pull_timestamp(),
            last_consume_timestamp: self.last_consume_timestamp(),
        }
    }
}

/// Java `ProcessQueue.consumeLock`: a mutual-exclusion lock with a timed try, so that one
/// thread consumes a queue at a time and rebalance can wait briefly for a batch to finish.
/// Not tied to a std `MutexGuard`, so its guard is `Send`.
#[derive(Debug, Default)]
struct ConsumeLock {
    held: Mutex<bool>,
    released: Condvar,
}

impl ConsumeLock {
    fn held(&self) -> MutexGuard<'_, bool> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> ConsumeGuard<'_> {
        let mut held = self.held();
        while *held {
            held = self.released.wait(held).unwrap_or_else(PoisonError::into_inner);
        }
        *held = true;
        ConsumeGuard { lock: self }
    }

    fn try_lock_for(&self, timeout: Duration) -> Option<ConsumeGuard<'_>> {
        let deadline = Instant::now().checked_add(timeout);
        let mut held = self.held();
        while *held {
            let now = Instant::now();
            let left = match deadline {
                Some(deadline) if deadline > now => deadline - now,
                Some(_) => return None,
                None => Duration::from_secs(3600),
            };
            held = self.released.wait_timeout(held, left).map(|(g, _)| g).unwrap_or_else(|e| e.into_inner().0);
        }
        *held = true;
        Some(ConsumeGuard { lock: self })
    }
}

/// Holds a process queue's consume lock (see [`ProcessQueue::consume_lock`]); released on drop.
#[must_use = "the consume lock is released as soon as the guard is dropped"]
pub struct ConsumeGuard<'a> {
    lock: &'a ConsumeLock,
}

impl fmt::Debug for ConsumeGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConsumeGuard")
    }
}

impl Drop for ConsumeGuard<'_> {
    fn drop(&mut self) {
        *self.lock.held() = false;
        self.lock.released.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::sync::Arc;

    fn msg(offset: i64, body_len: usize) -> MessageExt {
        MessageExt { queue_offset: offset, body: Bytes::from(vec![b'x'; body_len]), ..MessageExt::default() }
    }

    fn msgs(offsets: impl IntoIterator<Item = i64>) -> Vec<MessageExt> {
        offsets.into_iter().map(|o| msg(o, 10)).collect()
    }

    fn offsets(list: &[Arc<MessageExt>]) -> Vec<i64> {
        list.iter().map(|m| m.queue_offset).collect()
    }

    #[test]
    fn put_counts_and_span() {
        let pq = ProcessQueue::new();
        assert_eq!((pq.cached_count(), pq.cached_bytes(), pq.max_span(), pq.queue_offset_max()), (0, 0, 0, 0));
        assert!(pq.put_messages(msgs(100..110)));
        assert_eq!((pq.cached_count(), pq.cached_bytes(), pq.max_span(), pq.queue_offset_max()), (10, 100, 9, 109));
        // A duplicate offset is not counted twice; its size difference is.
        pq.put_messages(vec![msg(105, 20)]);
        assert_eq!((pq.cached_count(), pq.cached_bytes()), (10, 110));
        // Out-of-order put keeps the maximum.
        pq.put_messages(vec![msg(50, 0)]);
        assert_eq!((pq.queue_offset_max(), pq.max_span(), pq.cached_count()), (109, 59, 11));
        assert!(pq.has_temp_message() && pq.contains_message(50) && !pq.contains_message(49));
        pq.clear();
        assert_eq!((pq.cached_count(), pq.cached_bytes(), pq.queue_offset_max()), (0, 0, 0));
        assert!(!pq.has_temp_message());
    }

    #[test]
    fn msg_acc_cnt_from_max_offset_property() {
        let pq = ProcessQueue::new();
        let mut last = msg(9, 1);
        last.properties.insert(keys::MAX_OFFSET, "25");
        pq.put_messages(vec![msg(8, 1), last]);
        assert_eq!(pq.msg_acc_cnt(), 16);
        let mut caught_up = msg(10, 1);
        caught_up.properties.insert(keys::MAX_OFFSET, "10");
        pq.put_messages(vec![caught_up]);
        assert_eq!(pq.msg_acc_cnt(), 16, "non-positive lag keeps the previous value, as Java");
    }

    #[test]
    fn remove_returns_offset_to_commit() {
        let pq = ProcessQueue::new();
        assert_eq!(pq.remove_messages(&[1, 2]), -1, "nothing cached: nothing to commit");
        pq.put_messages(msgs(0..5));
        // Out-of-order completion: commit stays at the smallest unfinished offset.
        assert_eq!(pq.remove_messages(&[3, 4]), 0);
        assert_eq!(pq.remove_messages(&[0]), 1);
        assert_eq!(pq.remove_messages(&[42]), 1, "unknown offsets are ignored");
        assert_eq!((pq.cached_count(), pq.cached_bytes()), (2, 20));
        assert_eq!(pq.remove_messages(&[1, 2]), 5, "empty: queue_offset_max + 1");
        assert_eq!((pq.cached_count(), pq.cached_bytes()), (0, 0));
        assert_eq!(pq.remove_messages(&[1]), -1);
    }

    #[test]
    fn orderly_dispatch_take_commit() {
        let pq = ProcessQueue::new();
        assert!(pq.put_messages(msgs([3, 1, 2])), "first put dispatches");
        assert!(!pq.put_messages(msgs([4])), "a consume request is already scheduled");
        let batch = pq.take_messages(2);
        assert_eq!(offsets(&batch), [1, 2]);
        assert_eq!(pq.cached_count(), 4, "taken messages still count for flow control");
        let info = pq.info(0);
        assert_eq!((info.cached_msg_count, info.transaction_msg_count), (2, 2));
        assert_eq!((info.transaction_msg_min_offset, info.transaction_msg_max_offset), (1, 2));
        assert_eq!(pq.commit(), 3);
        assert_eq!((pq.cached_count(), pq.cached_bytes()), (2, 20));
        assert_eq!(pq.commit(), -1, "nothing taken");
        assert_eq!(offsets(&pq.take_messages(10)), [3, 4]);
        assert_eq!(pq.commit(), 5);
        assert_eq!((pq.cached_count(), pq.cached_bytes()), (0, 0));
        assert!(pq.take_messages(1).is_empty());
        assert!(pq.put_messages(msgs([5])), "empty take cleared the mark: dispatch again");
    }

    #[test]
    fn consume_again_and_rollback() {
        let pq = ProcessQueue::new();
        pq.put_messages(msgs(0..4));
        let mut batch = pq.take_messages(2);
        for m in &mut batch {
            Arc::make_mut(m).reconsume_times += 1;
        }
        pq.make_messages_to_consume_again(&batch);
        assert_eq!(pq.cached_count(), 4);
        let again = pq.take_messages(2);
        assert_eq!(offsets(&again), [0, 1], "taken again first");
        assert!(again.iter().all(|m| m.reconsume_times == 1), "caller's changes kept");
        pq.rollback();
        assert_eq!(offsets(&pq.take_messages(10)), [0, 1, 2, 3]);
        assert_eq!(pq.commit(), 4);

        // A message that was not taken any more (queue cleared) is counted when put back.
        pq.put_messages(msgs([10]));
        let taken = pq.take_messages(1);
        pq.clear();
        pq.make_messages_to_consume_again(&taken);
        assert_eq!((pq.cached_count(), pq.cached_bytes(), pq.queue_offset_max()), (1, 10, 10));
    }

    #[test]
    fn flags_timestamps_and_expiry() {
        let pq = ProcessQueue::new();
        let now = current_millis();
        assert!(!pq.is_pull_expired(PULL_MAX_IDLE_TIME));
        pq.set_last_pull_timestamp(now - 120_001);
        assert!(pq.is_pull_expired(PULL_MAX_IDLE_TIME));
        pq.set_last_pull_timestamp(now);
        assert!(!pq.is_pull_expired(PULL_MAX_IDLE_TIME));

        assert!(!pq.is_lock_expired(REBALANCE_LOCK_MAX_LIVE_TIME));
        pq.set_last_lock_timestamp(now - 30_001);
        assert!(pq.is_lock_expired(REBALANCE_LOCK_MAX_LIVE_TIME));
        pq.set_locked(true);
        pq.set_dropped(true);
        pq.inc_try_unlock_times();
        pq.set_last_consume_timestamp(7);

        pq.put_messages(vec![msg(5, 3 * 1024 * 1024), msg(9, 0)]);
        let info = pq.info(4);
        assert_eq!(info.commit_offset, 4);
        assert_eq!((info.cached_msg_min_offset, info.cached_msg_max_offset, info.cached_msg_count), (5, 9, 2));
        assert_eq!(info.cached_msg_size_in_mib, 3);
        assert!(info.locked && info.dropped);
        assert_eq!((info.try_unlock_times, info.last_lock_timestamp), (1, now - 30_001));
        assert_eq!((info.last_pull_timestamp, info.last_consume_timestamp), (now, 7));
        let empty = ProcessQueue::new().info(-1);
        assert_eq!((empty.cached_msg_min_offset, empty.cached_msg_max_offset, empty.cached_msg_count), (0, 0, 0));
    }

    #[test]
    fn expired_message_cleaner_steps() {
        let pq = ProcessQueue::new();
        pq.put_messages(msgs(0..3));
        let timeout = Duration::from_secs(15 * 60);
        assert!(pq.expired_first(timeout).is_none(), "not started");
        let now = current_millis();
        pq.mark_consume_start(&[0, 1], now - 16 * 60 * 1000);
        assert_eq!(pq.expired_first(timeout).map(|m| m.queue_offset), Some(0));
        assert!(!pq.remove_if_first(1), "only the first may go");
        assert!(pq.remove_if_first(0));
        assert_eq!(pq.expired_first(timeout).map(|m| m.queue_offset), Some(1));
        pq.remove_messages(&[1]);
        assert!(pq.expired_first(timeout).is_none(), "offset 2 never started");
        // The Java property works too.
        let mut m = msg(7, 1);
        m.properties.insert(keys::CONSUME_START_TIME, (now - 20 * 60 * 1000).to_string());
        let pq = ProcessQueue::new();
        pq.put_messages(vec![m]);
        assert_eq!(pq.expired_first(timeout).map(|m| m.queue_offset), Some(7));
        assert!(pq.expired_first(Duration::from_secs(3600)).is_none());
    }

    #[test]
    fn consume_lock_is_exclusive() {
        let pq = Arc::new(ProcessQueue::new());
        let guard = pq.consume_lock();
        assert!(pq.try_consume_lock().is_none());
        let started = Instant::now();
        assert!(pq.try_consume_lock_for(Duration::from_millis(50)).is_none());
        assert!(started.elapsed() >= Duration::from_millis(50));
        let waiter = {
            let pq = Arc::clone(&pq);
            std::thread::spawn(move || pq.try_consume_lock_for(Duration::from_secs(10)).is_some())
        };
        std::thread::sleep(Duration::from_millis(20));
        drop(guard);
        assert!(waiter.join().unwrap_or(false), "waiter got the lock once released");
        assert!(pq.try_consume_lock().is_some());

        // Only one of many threads is ever inside.
        let inside = Arc::new(AtomicI64::new(0));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (pq, inside) = (Arc::clone(&pq), Arc::clone(&inside));
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        let _guard = pq.consume_lock();
                        let n = inside.fetch_add(1, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                        if n != 0 {
                            return false;
                        }
                    }
                    true
                })
            })
            .collect();
        for h in handles {
            assert!(h.join().unwrap_or(false));
        }
    }

    /// Several pullers and consumers at once: the counters end exact and every committed offset
    /// is one the queue could legitimately answer.
    #[test]
    fn concurrent_put_and_remove() {
        let pq = Arc::new(ProcessQueue::new());
        let (threads, per_thread) = (4i64, 500i64);
        let producers: Vec<_> = (0..threads)
            .map(|t| {
                let pq = Arc::clone(&pq);
                std::thread::spawn(move || {
                    for i in 0..per_thread {
                        pq.put_messages(vec![msg(i * threads + t, 7)]);
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..threads)
            .map(|t| {
                let pq = Arc::clone(&pq);
                std::thread::spawn(move || {
                    let mut removed = 0;
                    let mut i = 0;
                    while i < per_thread {
                        let offset = i * threads + t;
                        if pq.contains_message(offset) {
                            let commit = pq.remove_messages(&[offset]);
                            assert!(commit == -1 || commit >= 0);
                            removed += 1;
                            i += 1;
                        } else {
                            std::thread::yield_now();
                        }
                    }
                    removed
                })
            })
            .collect();
        for p in producers {
            assert!(p.join().is_ok());
        }
        let removed: i64 = consumers.into_iter().map(|c| c.join().unwrap_or(0)).sum();
        assert_eq!(removed, threads * per_thread);
        assert_eq!((pq.cached_count(), pq.cached_bytes(), pq.max_span()), (0, 0, 0));
        assert_eq!(pq.queue_offset_max(), threads * per_thread - 1);
        assert!(!pq.has_temp_message());
    }
}
