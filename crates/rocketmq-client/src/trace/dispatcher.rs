//! Sending trace records (Java `AsyncTraceDispatcher`, 4.9.4).
//!
//! Hooks hand records to [`TraceDispatcher::append`], which never waits: a bounded queue
//! (Java's 1024) takes them or the record is dropped and counted (Java logs "buffer full" and
//! drops too). One task batches them: a batch goes out when its first record is 500 ms old or
//! its text reaches 118,000 bytes (Java's `waitTimeThresholdMil`, `maxMsgSize - 10 * 1000`), as
//! one message to the trace topic, through a producer of its own (group
//! `_INNER_TRACE_PRODUCER-<group>-<PRODUCE|CONSUME>-<n>`, 5 s send timeout, Java's
//! `getAndCreateTraceProducer`). At most [`MAX_IN_FLIGHT`] trace messages are in flight; while
//! they are, the task stops taking records, the queue fills and new records are dropped: when
//! the trace topic is unreachable, memory stays bounded (queue + one batch + in-flight batches)
//! and the user's sends never slow down. A failed trace send is logged and its records counted
//! as failed; it is not retried beyond the trace producer's own policy.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::data::{encode, TraceContext, GROUP_NAME_PREFIX};
use crate::error::Result;
use crate::message::Message;
use crate::options::{ClientOptions, ProducerOptions};
use crate::producer::Producer;

/// Records waiting to be batched (Java `traceContextQueue`, 1024 in 4.9.4).
pub const QUEUE_CAPACITY: usize = 1024;
/// A batch goes out when its first record is this old (`waitTimeThresholdMil`).
pub const BATCH_WAIT: Duration = Duration::from_millis(500);
/// ... or when its text reaches this many bytes (`maxMsgSize - 10 * 1000`).
pub const BATCH_MAX_BYTES: usize = 128_000 - 10_000;
/// Trace messages sent at once; more wait, and the queue absorbs (then drops) new records.
pub const MAX_IN_FLIGHT: usize = 4;
/// Send timeout of the trace producer (Java 5000 ms).
const TRACE_SEND_TIMEOUT: Duration = Duration::from_millis(5000);
/// How long shutdown waits for the records still queued to be sent.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);
/// Java `TraceConstants.TRACE_INSTANCE_NAME`: every trace producer of a process with the same
/// name servers shares one client instance.
const TRACE_INSTANCE_NAME: &str = "PID_CLIENT_INNER_TRACE_PRODUCER";

/// Whose records a dispatcher sends (Java `TraceDispatcher.Type`), part of the group name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatcherType {
    /// A producer's Pub records.
    Produce,
    /// A consumer's SubBefore / SubAfter records.
    Consume,
}

impl DispatcherType {
    fn as_str(self) -> &'static str {
        match self {
            DispatcherType::Produce => "PRODUCE",
            DispatcherType::Consume => "CONSUME",
        }
    }
}

/// Java's static `COUNTER` of trace producer groups.
static GROUP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// What happened to the records of one dispatcher so far.
#[derive(Debug, Default)]
pub struct TraceCounters {
    appended: AtomicU64,
    dropped: AtomicU64,
    sent_records: AtomicU64,
    failed_records: AtomicU64,
    sent_messages: AtomicU64,
}

/// A copy of [`TraceCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TraceStats {
    /// Records taken into the queue.
    pub appended: u64,
    /// Records dropped because the queue was full (trace topic slow or unreachable).
    pub dropped: u64,
    /// Records the broker stored.
    pub sent_records: u64,
    /// Records lost because their trace message could not be sent.
    pub failed_records: u64,
    /// Trace messages the broker stored.
    pub sent_messages: u64,
}

impl TraceStats {
    /// As a statistics map (`appended`, `dropped`, `sent_records`, `failed_records`, `sent_messages`).
    pub fn to_stats(&self) -> crate::stats::Stats {
        use crate::stats::StatsExt;
        let mut s = crate::stats::Stats::new();
        s.int("appended", self.appended);
        s.int("dropped", self.dropped);
        s.int("sent_records", self.sent_records);
        s.int("failed_records", self.failed_records);
        s.int("sent_messages", self.sent_messages);
        s
    }
}

impl TraceCounters {
    /// A copy of the counters.
    pub fn snapshot(&self) -> TraceStats {
        TraceStats {
            appended: self.appended.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            sent_records: self.sent_records.load(Ordering::Relaxed),
            failed_records: self.failed_records.load(Ordering::Relaxed),
            sent_messages: self.sent_messages.load(Ordering::Relaxed),
        }
    }
}

enum Command {
    Record(TraceContext),
    /// Send what is batched, wait for the sends in flight, answer, and stop.
    Flush(oneshot::Sender<()>),
}

/// The trace dispatcher of one producer or consumer.
#[derive(Debug)]
pub struct TraceDispatcher {
    tx: mpsc::Sender<Command>,
    topic: String,
    counters: Arc<TraceCounters>,
    producer: Producer,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Record(_) => "Record",
            Command::Flush(_) => "Flush",
        })
    }
}

impl TraceDispatcher {
    /// Start a dispatcher for the client `group` sending to `topic` (the trace producer does not
    /// contact the name server yet). Must run in a runtime.
    pub async fn start(group: &str, kind: DispatcherType, topic: &str, client: &ClientOptions) -> Result<Arc<Self>> {
        let n = GROUP_COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
        let mut options = ProducerOptions::new(format!("{GROUP_NAME_PREFIX}-{group}-{}-{n}", kind.as_str()));
        options.send_timeout = TRACE_SEND_TIMEOUT;
        options.max_message_size = 128_000;
        let mut client = client.clone();
        client.message_trace = None; // the trace producer's own sends are never traced
                                     // Java's trace producer has no v1 namespace: the trace topic is the cluster's, not the
                                     // namespace's (5.x passes namespaceV2 on, as we do).
        client.namespace = None;
        // One writer per snapshot file: the traced client's instance keeps it.
        client.route_snapshot_path = None;
        client.instance_name = Some(format!("{TRACE_INSTANCE_NAME}_{}", client.namesrv_addrs.join(";")));
        let producer = Producer::new(options, client);
        // Boxed: a producer's start starts its dispatcher, which starts a producer.
        Box::pin(producer.start()).await?;
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let counters = Arc::new(TraceCounters::default());
        let task = tokio::spawn(run(rx, producer.clone(), topic.to_owned(), counters.clone()));
        Ok(Arc::new(TraceDispatcher { tx, topic: topic.to_owned(), counters, producer, task }))
    }

    /// The trace topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Queue a record; never waits. A full queue drops it (counted, logged now and then).
    pub fn append(&self, ctx: TraceContext) {
        match self.tx.try_send(Command::Record(ctx)) {
            Ok(()) => {
                self.counters.appended.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                let dropped = self.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if dropped.is_power_of_two() {
                    tracing::warn!(topic = %self.topic, dropped, "trace queue full: trace records dropped (is the trace topic reachable?)");
                }
            }
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> TraceStats {
        self.counters.snapshot()
    }

    /// Send what is queued (waiting at most 5 s), then stop the trace producer.
    pub async fn shutdown(&self) {
        let (done, flushed) = oneshot::channel();
        let flush = async {
            if self.tx.send(Command::Flush(done)).await.is_ok() {
                let _ = flushed.await;
            }
        };
        if tokio::time::timeout(FLUSH_TIMEOUT, flush).await.is_err() {
            tracing::warn!(topic = %self.topic, "trace records still unsent after {FLUSH_TIMEOUT:?}; dropped at shutdown");
        }
        self.task.abort();
        Box::pin(self.producer.shutdown()).await;
    }
}

/// Records batched for one trace message (Java `TraceDataSegment`).
#[derive(Default)]
struct Batch {
    data: String,
    keys: Vec<String>,
    records: u64,
    first_at: Option<Instant>,
}

impl Batch {
    fn add(&mut self, ctx: &TraceContext) {
        let bean = encode(ctx);
        self.data.push_str(&bean.data);
        self.keys.extend(bean.keys);
        self.records += ctx.beans.len().max(1) as u64;
        self.first_at.get_or_insert_with(Instant::now);
    }
}

async fn run(mut rx: mpsc::Receiver<Command>, producer: Producer, topic: String, counters: Arc<TraceCounters>) {
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut batch = Batch::default();
    loop {
        let due = batch.first_at.map(|t| t + BATCH_WAIT);
        let command = match due {
            Some(due) => match tokio::time::timeout_at(due, rx.recv()).await {
                Ok(c) => c,
                Err(_) => {
                    send(std::mem::take(&mut batch), &producer, &topic, &counters, &permits).await;
                    continue;
                }
            },
            None => rx.recv().await,
        };
        match command {
            Some(Command::Record(ctx)) => {
                if ctx.beans.is_empty() {
                    continue;
                }
                batch.add(&ctx);
                if batch.data.len() >= BATCH_MAX_BYTES {
                    send(std::mem::take(&mut batch), &producer, &topic, &counters, &permits).await;
                }
            }
            Some(Command::Flush(done)) => {
                // Records queued before the flush are in the channel ahead of it: take them too.
                while let Ok(Command::Record(ctx)) = rx.try_recv() {
                    batch.add(&ctx);
                }
                send(std::mem::take(&mut batch), &producer, &topic, &counters, &permits).await;
                let _ = permits.acquire_many(MAX_IN_FLIGHT as u32).await;
                let _ = done.send(());
                return;
            }
            None => return,
        }
    }
}

/// The trace message of a batch: its text, keyed by every msg id and key (Java
/// `sendTraceDataByMQ`), so `QUERY_MESSAGE` by a message's id finds its traces.
fn trace_message(topic: &str, batch: &Batch) -> Message {
    let mut msg = Message::new(topic, batch.data.clone().into_bytes());
    let mut seen = std::collections::HashSet::new();
    let keys: Vec<&str> = batch.keys.iter().map(String::as_str).filter(|k| seen.insert(*k)).collect();
    msg.set_keys(&keys.join(" "));
    msg
}

async fn send(batch: Batch, producer: &Producer, topic: &str, counters: &Arc<TraceCounters>, permits: &Arc<Semaphore>) {
    if batch.records == 0 {
        return;
    }
    let Ok(permit) = permits.clone().acquire_owned().await else { return };
    let msg = trace_message(topic, &batch);
    let producer = producer.clone();
    let counters = counters.clone();
    let records = batch.records;
    tokio::spawn(async move {
        let _permit = permit;
        match producer.send_async(&msg).await {
            Ok(_) => {
                counters.sent_records.fetch_add(records, Ordering::Relaxed);
                counters.sent_messages.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                counters.failed_records.fetch_add(records, Ordering::Relaxed);
                tracing::warn!(topic = %msg.topic(), records, error = %e, "cannot send trace data; records lost");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::data::{TraceBean, TraceType};

    #[test]
    fn the_trace_message_is_keyed_by_ids_and_keys_once_each() {
        let mut batch = Batch::default();
        for id in ["A", "B", "A"] {
            let mut ctx = TraceContext::new(TraceType::SubBefore, 1);
            ctx.beans.push(TraceBean { msg_id: id.into(), keys: "k".into(), ..Default::default() });
            batch.add(&ctx);
        }
        let msg = trace_message("T", &batch);
        assert_eq!(msg.keys(), Some("A k B"));
        assert_eq!(batch.records, 3);
        assert_eq!(msg.body().len(), batch.data.len());
    }
}
