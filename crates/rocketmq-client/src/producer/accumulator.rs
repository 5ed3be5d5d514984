//! Auto-batching of single sends (Java 5.x `client/producer/ProduceAccumulator.java`, switched
//! on by `DefaultMQProducer.setAutoBatch`, checked by `DefaultMQProducer.canBatch`).
//!
//! With `ProducerOptions::auto_batch` on, [`super::Producer::send`] and
//! [`super::Producer::send_async`] hand a message that can be batched to the accumulator. It
//! holds messages per aggregate key (Java's `AggregateKey`: topic, tags, the WAIT flag; plus the
//! retry policy, as Java keeps sync and async batches apart) and sends them as one
//! `SEND_BATCH_MESSAGE` request once the held bodies pass `batch_max_bytes`
//! (`batchMaxBytes`, Java's `readyToSend`) or the first of them has waited `batch_max_delay`
//! (`batchMaxDelayMs`). Each caller gets its own result, split from the batch's as Java's
//! `splitSendResults` does (its own message id, offset message id and queue offset = the
//! batch's base offset + its index), or its own copy of the batch's error.
//!
//! What bypasses it (sent alone, as Java's `canBatch`): delay levels and delivery times, retry
//! topics, messages carrying a producer group (`PGROUP`, e.g. transactional ones), bodies over
//! `batch_max_bytes` (which would be a batch of one anyway), and every message while the held
//! bodies of the whole producer reach `total_batch_max_bytes` (`totalBatchMaxBytes`). Ordered,
//! oneway, transactional and request sends never come here.
//!
//! Differences from Java, on purpose: a timer task per open batch replaces Java's guard thread
//! that scans every batch each `holdMs / 2`; the held-bytes counter is only charged for a message
//! that is actually held (Java charges it in `tryAddMessage` before the other checks, and never
//! gives it back for a bypassed message); a batch of one message goes out as a plain send; at
//! shutdown, held batches are sent before the producer closes (Java's guard threads just stop,
//! leaving their callbacks uncalled).

use rocketmq_remoting::message::keys;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::oneshot;

use super::SendMode;
use crate::error::{Error, ErrorKind, Result};
use crate::message::Message;
use crate::options::ProducerOptions;
use crate::send_result::SendResult;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What separates batches (Java `AggregateKey`, plus the retry policy).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    topic: String,
    tags: Option<String>,
    wait_store_msg_ok: bool,
    mode_async: bool,
}

/// Who gets a held message's result.
pub(crate) enum Waiter {
    /// A caller awaiting it ([`super::Producer::send`], [`super::Producer::send_async`]).
    Channel(oneshot::Sender<Result<SendResult>>),
    /// A completion callback ([`super::Producer::send_async_with`]): no task waits for a held
    /// message. Runs on the runtime thread that settles the batch.
    Callback(Callback),
}

impl Waiter {
    fn complete(self, result: Result<SendResult>) {
        match self {
            Waiter::Channel(tx) => {
                let _ = tx.send(result);
            }
            Waiter::Callback(on_done) => on_done.call(result),
        }
    }
}

/// A send's completion callback, called exactly once: with the send's result, or, if it is
/// dropped first (the batch or task holding it went away, e.g. at runtime shutdown), with a
/// `Shutdown` error, as an awaiting caller gets from its dropped channel.
pub(crate) struct Callback(Option<Box<dyn FnOnce(Result<SendResult>) + Send>>);

impl Callback {
    pub fn new(on_done: impl FnOnce(Result<SendResult>) + Send + 'static) -> Self {
        Callback(Some(Box::new(on_done)))
    }

    pub fn call(mut self, result: Result<SendResult>) {
        if let Some(on_done) = self.0.take() {
            on_done(result);
        }
    }
}

impl Drop for Callback {
    fn drop(&mut self) {
        if let Some(on_done) = self.0.take() {
            on_done(Err(dropped()));
        }
    }
}

fn dropped() -> Error {
    Error::new(ErrorKind::Shutdown, "the batch holding this message was dropped")
}

impl std::fmt::Debug for Waiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Waiter::Channel(_) => "Waiter::Channel",
            Waiter::Callback(_) => "Waiter::Callback",
        })
    }
}

/// Messages held for one key, with their callers.
#[derive(Debug, Default)]
struct Open {
    /// Which open batch of the key this is (the timer only flushes its own).
    id: u64,
    msgs: Vec<Arc<Message>>,
    waiters: Vec<Waiter>,
    bytes: usize,
}

/// A batch ready to go.
#[derive(Debug)]
pub(crate) struct Ready {
    /// Shared with the callers, not copied.
    pub msgs: Vec<Arc<Message>>,
    pub mode: SendMode,
    waiters: Vec<Waiter>,
    bytes: usize,
}

/// The accumulator of one producer.
#[derive(Debug)]
pub(crate) struct Accumulator {
    max_delay: Duration,
    max_bytes: usize,
    total_max_bytes: usize,
    /// Body bytes held right now, over all keys (Java `currentlyHoldSize`).
    held: AtomicUsize,
    open: Mutex<HashMap<Key, Open>>,
    next_id: AtomicUsize,
}

/// The outcome of offering a message.
#[derive(Debug)]
pub(crate) enum Offer {
    /// Not batchable: send it alone (and hand the result to the waiter given back).
    Bypass(Waiter),
    /// Held; its waiter gets its result. `Some(batch)`: this message completed a batch,
    /// which the caller sends now.
    Held(Option<Ready>),
    /// Held as the first message of a new batch: the caller starts its timer.
    Opened(u64, OpenBatch),
}

/// The key of a batch whose timer is to be started (opaque to the producer).
#[derive(Debug, Clone)]
pub(crate) struct OpenBatch(Key);

impl Accumulator {
    pub fn new(options: &ProducerOptions) -> Self {
        Accumulator {
            max_delay: options.batch_max_delay,
            max_bytes: options.batch_max_bytes,
            total_max_bytes: options.total_batch_max_bytes,
            held: AtomicUsize::new(0),
            open: Mutex::new(HashMap::new()),
            next_id: AtomicUsize::new(1),
        }
    }

    /// How long the first message of a batch waits at most.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// Java `canBatch` (and the size bound of the issue): whether `msg` may be held.
    fn can_batch(&self, msg: &Message) -> bool {
        let body = msg.body().len();
        body <= self.max_bytes
            && self.held.load(Ordering::SeqCst) < self.total_max_bytes
            && msg.delay_time_level() <= 0
            && msg.property(keys::TIMER_DELIVER_MS).is_none()
            && msg.property(keys::TIMER_DELAY_SEC).is_none()
            && msg.property(keys::TIMER_DELAY_MS).is_none()
            && !msg.topic().starts_with("%RETRY%")
            && msg.property(keys::PGROUP).is_none()
            && msg.property(keys::TRAN_MSG).is_none()
    }

    /// Offer a (namespace-wrapped, validated) message, whose result goes to `waiter`.
    pub fn offer(&self, msg: &Arc<Message>, mode: SendMode, waiter: Waiter) -> Offer {
        if !self.can_batch(msg) {
            return Offer::Bypass(waiter);
        }
        let key = Key {
            topic: msg.topic().to_owned(),
            tags: msg.tags().map(str::to_owned),
            wait_store_msg_ok: msg.wait_store_msg_ok(),
            mode_async: mode == SendMode::Async,
        };
        let body = msg.body().len();
        self.held.fetch_add(body, Ordering::SeqCst);
        let mut open = lock(&self.open);
        let entry = open.entry(key.clone()).or_default();
        let fresh = entry.msgs.is_empty();
        if fresh {
            entry.id = self.next_id.fetch_add(1, Ordering::Relaxed) as u64;
        }
        entry.msgs.push(msg.clone());
        entry.waiters.push(waiter);
        entry.bytes += body;
        // Java `readyToSend`: the held bodies exceed `batchMaxBytes`.
        if entry.bytes > self.max_bytes {
            let taken = std::mem::take(entry);
            open.remove(&key);
            return Offer::Held(Some(Ready { msgs: taken.msgs, mode, waiters: taken.waiters, bytes: taken.bytes }));
        }
        if fresh {
            let id = entry.id;
            return Offer::Opened(id, OpenBatch(key));
        }
        Offer::Held(None)
    }

    /// The batch `id` of `key`, if it is still open (its timer fired).
    pub fn take_expired(&self, key: &OpenBatch, id: u64) -> Option<Ready> {
        let mut open = lock(&self.open);
        if open.get(&key.0).is_none_or(|o| o.id != id) {
            return None;
        }
        let taken = open.remove(&key.0)?;
        let mode = if key.0.mode_async { SendMode::Async } else { SendMode::Sync };
        Some(Ready { msgs: taken.msgs, mode, waiters: taken.waiters, bytes: taken.bytes })
    }

    /// Every open batch (shutdown).
    pub fn take_all(&self) -> Vec<Ready> {
        lock(&self.open)
            .drain()
            .map(|(key, o)| Ready {
                msgs: o.msgs,
                mode: if key.mode_async { SendMode::Async } else { SendMode::Sync },
                waiters: o.waiters,
                bytes: o.bytes,
            })
            .collect()
    }

    /// Hand each caller its part of the batch's `outcome` (Java `splitSendResults`).
    pub fn settle(&self, ready: Ready, outcome: Result<SendResult>) {
        self.held.fetch_sub(ready.bytes, Ordering::SeqCst);
        let n = ready.waiters.len();
        let outcome = outcome.and_then(|r| check_parts(&r, n).map(|()| r));
        match &outcome {
            Ok(result) => {
                for (waiter, part) in ready.waiters.into_iter().zip(split(result, n)) {
                    waiter.complete(Ok(part));
                }
            }
            Err(e) => {
                for waiter in ready.waiters {
                    waiter.complete(Err(e.duplicate()));
                }
            }
        }
    }
}

/// Whether a batch of `n` messages got an id per message, or one id for all (a broker storing
/// the batch as one entry, as Java's batch consume queue does).
fn check_parts(result: &SendResult, n: usize) -> Result<()> {
    if n == 1 || !result.msg_id.contains(',') {
        return Ok(());
    }
    let ids = result.msg_id.split(',').count();
    let offset_ids = result.offset_msg_id.split(',').count();
    if ids != n || offset_ids != n {
        return Err(Error::new(
            ErrorKind::Broker,
            format!("the broker answered a batch of {n} messages with {ids} ids and {offset_ids} offset ids"),
        ));
    }
    Ok(())
}

/// One result per message of a batch of `n` whose `result` passed [`check_parts`] (Java
/// `splitSendResults`): the ids are comma-joined in the batch's result; the queue offsets follow
/// the batch's base offset. An iterator, not a list: a batch's results are handed out one by
/// one, with no allocation for the lot.
fn split(result: &SendResult, n: usize) -> impl Iterator<Item = SendResult> + '_ {
    let whole = n == 1 || !result.msg_id.contains(',');
    let mut ids = result.msg_id.split(',');
    let mut offset_ids = result.offset_msg_id.split(',');
    (0..n).map(move |i| {
        if whole {
            return result.clone();
        }
        SendResult {
            status: result.status,
            msg_id: ids.next().unwrap_or_default().to_owned(),
            offset_msg_id: offset_ids.next().unwrap_or_default().to_owned(),
            queue: result.queue.clone(),
            queue_offset: result.queue_offset + i as i64,
            transaction_id: result.transaction_id.clone(),
            region_id: result.region_id.clone(),
            broker_addr: result.broker_addr.clone(),
        }
    })
}

/// Awaiting a held message's result.
pub(crate) async fn wait(rx: oneshot::Receiver<Result<SendResult>>) -> Result<SendResult> {
    rx.await.unwrap_or_else(|_| Err(dropped()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::send_result::SendStatus;
    use rocketmq_remoting::MessageQueue;

    fn result(ids: &str, offset_ids: &str) -> SendResult {
        SendResult {
            status: SendStatus::Ok,
            msg_id: ids.to_owned(),
            offset_msg_id: offset_ids.to_owned(),
            queue: MessageQueue { topic: "T".into(), broker_name: "b".into(), queue_id: 1 },
            queue_offset: 40,
            transaction_id: None,
            region_id: None,
            broker_addr: "a:1".into(),
        }
    }

    #[test]
    fn split_gives_each_message_its_ids_and_offset() {
        let whole = result("A,B,C", "X,Y,Z");
        check_parts(&whole, 3).unwrap();
        let parts: Vec<SendResult> = split(&whole, 3).collect();
        let got: Vec<(&str, &str, i64)> =
            parts.iter().map(|r| (r.msg_id.as_str(), r.offset_msg_id.as_str(), r.queue_offset)).collect();
        assert_eq!(got, vec![("A", "X", 40), ("B", "Y", 41), ("C", "Z", 42)]);
        assert!(check_parts(&result("A,B", "X,Y"), 3).is_err(), "a count mismatch is an error");
        let one_entry: Vec<SendResult> = split(&result("A", "X"), 2).collect();
        assert_eq!(
            one_entry.iter().map(|r| r.queue_offset).collect::<Vec<_>>(),
            [40, 40],
            "one id: the whole result each"
        );
    }

    fn chan() -> Waiter {
        Waiter::Channel(oneshot::channel().0)
    }

    fn options(max_bytes: usize, total: usize) -> ProducerOptions {
        ProducerOptions {
            auto_batch: true,
            batch_max_bytes: max_bytes,
            total_batch_max_bytes: total,
            ..ProducerOptions::new("pg")
        }
    }

    #[test]
    fn bypasses_what_java_does_not_batch() {
        let acc = Accumulator::new(&options(100, 1000));
        let mut delayed = Message::new("T", vec![1u8; 10]);
        delayed.set_delay_time_level(3).unwrap();
        assert!(matches!(acc.offer(&Arc::new(delayed), SendMode::Async, chan()), Offer::Bypass(_)));
        let mut timed = Message::new("T", vec![1u8; 10]);
        timed.set_delay_sec(5).unwrap();
        assert!(matches!(acc.offer(&Arc::new(timed), SendMode::Async, chan()), Offer::Bypass(_)));
        assert!(matches!(
            acc.offer(&Arc::new(Message::new("%RETRY%g", vec![1u8; 10])), SendMode::Async, chan()),
            Offer::Bypass(_)
        ));
        let mut grouped = Message::new("T", vec![1u8; 10]);
        grouped.put_property(keys::PGROUP, "pg").unwrap();
        assert!(matches!(acc.offer(&Arc::new(grouped), SendMode::Async, chan()), Offer::Bypass(_)));
        assert!(matches!(
            acc.offer(&Arc::new(Message::new("T", vec![1u8; 101])), SendMode::Async, chan()),
            Offer::Bypass(_)
        ));
        assert_eq!(acc.held.load(Ordering::SeqCst), 0, "bypassed messages hold nothing");
    }

    #[test]
    fn a_batch_closes_past_max_bytes_and_keys_separate() {
        let acc = Accumulator::new(&options(100, 1000));
        let m = Arc::new(Message::new("T", vec![1u8; 40]));
        assert!(matches!(acc.offer(&m, SendMode::Async, chan()), Offer::Opened(..)));
        assert!(matches!(acc.offer(&m, SendMode::Sync, chan()), Offer::Opened(..)), "sync and async batches are apart");
        assert!(matches!(acc.offer(&m, SendMode::Async, chan()), Offer::Held(None)));
        match acc.offer(&m, SendMode::Async, chan()) {
            Offer::Held(Some(ready)) => assert_eq!(ready.msgs.len(), 3),
            other => panic!("expected a full batch, got {other:?}"),
        }
        // The total bound: with 80 bytes held and a total of 80, the next message bypasses.
        let small = Accumulator::new(&options(100, 80));
        assert!(matches!(small.offer(&m, SendMode::Async, chan()), Offer::Opened(..)));
        assert!(matches!(small.offer(&m, SendMode::Async, chan()), Offer::Held(None)));
        assert!(matches!(small.offer(&m, SendMode::Async, chan()), Offer::Bypass(_)));
    }

    #[test]
    fn a_failed_batch_fails_every_caller() {
        let acc = Accumulator::new(&options(1000, 10000));
        let m = Arc::new(Message::new("T", vec![1u8; 10]));
        let (tx1, rx1) = oneshot::channel();
        let Offer::Opened(id, key) = acc.offer(&m, SendMode::Async, Waiter::Channel(tx1)) else { panic!("not opened") };
        let (tx2, rx2) = oneshot::channel();
        let Offer::Held(None) = acc.offer(&m, SendMode::Async, Waiter::Channel(tx2)) else { panic!("not held") };
        let ready = acc.take_expired(&key, id).unwrap();
        assert!(acc.take_expired(&key, id).is_none(), "taken once");
        acc.settle(ready, Err(Error::broker(14, Some("busy".into()), "a:1")));
        for rx in [rx1, rx2] {
            let e = rx.blocking_recv().unwrap().unwrap_err();
            assert_eq!(e.response_code(), Some(14));
        }
        assert_eq!(acc.held.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn callbacks_get_their_own_part_of_the_batch() {
        let acc = Accumulator::new(&options(1000, 10000));
        let m = Arc::new(Message::new("T", vec![1u8; 10]));
        let got = Arc::new(Mutex::new(Vec::new()));
        let waiter = |got: &Arc<Mutex<Vec<(String, i64)>>>| {
            let got = got.clone();
            Waiter::Callback(Callback::new(move |r: Result<SendResult>| {
                let r = r.unwrap();
                lock(&got).push((r.msg_id, r.queue_offset));
            }))
        };
        let Offer::Opened(id, key) = acc.offer(&m, SendMode::Async, waiter(&got)) else { panic!("not opened") };
        let Offer::Held(None) = acc.offer(&m, SendMode::Async, waiter(&got)) else { panic!("not held") };
        let Offer::Bypass(Waiter::Callback(bypassed)) =
            acc.offer(&Arc::new(Message::new("%RETRY%g", vec![1u8; 10])), SendMode::Async, waiter(&got))
        else {
            panic!("a bypassed message gives its callback back")
        };
        assert!(lock(&got).is_empty(), "nothing is called before the batch settles");
        bypassed.call(Ok(result("C", "Z")));
        acc.settle(acc.take_expired(&key, id).unwrap(), Ok(result("A,B", "X,Y")));
        let expected = [("C", 40), ("A", 40), ("B", 41)].map(|(id, offset)| (id.to_owned(), offset));
        assert_eq!(*lock(&got), expected);
    }

    #[test]
    fn a_dropped_batch_still_calls_each_callback_once() {
        let acc = Accumulator::new(&options(1000, 10000));
        let m = Arc::new(Message::new("T", vec![1u8; 10]));
        let (tx, rx) = std::sync::mpsc::channel();
        for _ in 0..2 {
            let tx = tx.clone();
            let waiter = Waiter::Callback(Callback::new(move |r: Result<SendResult>| {
                let _ = tx.send(r.map(|_| ()).map_err(|e| e.kind()));
            }));
            assert!(!matches!(acc.offer(&m, SendMode::Async, waiter), Offer::Bypass(_)));
        }
        drop(acc);
        drop(tx);
        let got: Vec<_> = rx.iter().collect();
        assert_eq!(got, vec![Err(ErrorKind::Shutdown), Err(ErrorKind::Shutdown)]);
    }
}
