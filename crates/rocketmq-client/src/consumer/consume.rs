//! The consume service: a pool of OS threads running the listener, and what happens to the
//! messages afterwards (`ConsumeMessageConcurrentlyService`, `ConsumeMessageOrderlyService`).
//!
//! OS threads rather than tokio tasks: listeners are blocking code (a Python callback holds
//! the GIL while it runs), and a slow listener must never stall pulling on other queues.

use rocketmq_remoting::header::ConsumerSendMsgBackRequestHeader;
use rocketmq_remoting::message::keys;
use rocketmq_remoting::message::stored::MessageExt;
use rocketmq_remoting::MessageQueue;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::broker_api;
use super::core::{lock, Core};
use super::listener::{ConsumeContext, ConsumeResult};
use super::process_queue::ProcessQueue;

/// Java re-consumes locally after 5 s when a message cannot be sent back.
const LOCAL_RETRY_DELAY: Duration = Duration::from_secs(5);
/// Orderly: keep one queue at most this long before yielding the thread (`maxTimeConsumeContinuously`).
/// A lock not renewed for this long is considered lost (`rocketmq.client.rebalance.lockMaxLiveTime`).
const LOCK_MAX_LIVE: Duration = Duration::from_secs(30);
const MAX_TIME_CONSUME_CONTINUOUSLY: Duration = Duration::from_secs(60);

/// Work for a consume thread.
pub(crate) enum Task {
    /// Consume these messages of `mq`.
    Concurrent { pq: Arc<ProcessQueue>, mq: MessageQueue, msgs: Vec<MessageExt> },
    /// Consume `mq` in order until it is empty (or time is up).
    Orderly { pq: Arc<ProcessQueue>, mq: MessageQueue },
}

/// The thread pool.
pub(crate) struct ConsumeService {
    tx: Mutex<Option<Sender<Task>>>,
    rx: Arc<Mutex<Receiver<Task>>>,
    exited: Mutex<Option<Receiver<()>>>,
}

impl ConsumeService {
    pub fn new() -> Self {
        let (tx, rx) = mpsc::channel();
        ConsumeService { tx: Mutex::new(Some(tx)), rx: Arc::new(Mutex::new(rx)), exited: Mutex::new(None) }
    }

    /// Start `threads` consume threads for `core`.
    pub fn start(&self, core: Weak<Core>, threads: usize, group: &str) -> std::io::Result<()> {
        let (exit_tx, exit_rx) = mpsc::channel::<()>();
        for i in 0..threads {
            let rx = self.rx.clone();
            let core = core.clone();
            let exit_tx = exit_tx.clone();
            std::thread::Builder::new().name(format!("rocketmq-consume-{group}-{i}")).spawn(move || {
                let _exit = exit_tx; // dropped when the thread ends: shutdown waits for all of them
                loop {
                    let task = { lock(&rx).recv() };
                    let Ok(task) = task else { return };
                    let Some(core) = core.upgrade() else { return };
                    if !core.is_running() {
                        continue; // drain without consuming: offsets of unconsumed messages stay uncommitted
                    }
                    core.run_task(task);
                }
            })?;
        }
        *lock(&self.exited) = Some(exit_rx);
        Ok(())
    }

    /// Queue a task; ignored after shutdown.
    pub fn submit(&self, task: Task) {
        if let Some(tx) = lock(&self.tx).as_ref() {
            let _ = tx.send(task);
        }
    }

    /// Stop accepting work and wait (at most `timeout`) for threads to finish their current call.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        lock(&self.tx).take();
        let Some(exited) = lock(&self.exited).take() else { return true };
        let deadline = Instant::now() + timeout;
        loop {
            match exited.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Err(mpsc::RecvTimeoutError::Disconnected) => return true,
                Err(mpsc::RecvTimeoutError::Timeout) => return false,
                Ok(()) => {}
            }
        }
    }
}

/// Put back the user-facing topic of a message that came from the retry topic
/// (`resetRetryAndNamespace`).
pub(crate) fn restore_retry_topic(msgs: &mut [MessageExt], group_retry_topic: &str) {
    for msg in msgs {
        if msg.topic == group_retry_topic {
            if let Some(original) = msg.properties.get(keys::RETRY_TOPIC) {
                msg.topic = original.to_owned();
            }
        }
    }
}

impl Core {
    fn call_listener(&self, msgs: &[MessageExt], mq: &MessageQueue) -> ConsumeResult {
        let context = ConsumeContext { queue: mq.clone(), orderly: self.options.orderly };
        let started = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| self.listener.consume(msgs, &context))).unwrap_or_else(|_| {
            tracing::error!(group = %self.group(), queue = %mq, "message listener panicked; the messages will be redelivered");
            ConsumeResult::ReconsumeLater
        });
        let ok = match result {
            ConsumeResult::Success => msgs.len(),
            ConsumeResult::ReconsumeLater => 0,
            ConsumeResult::Partial(n) => n.min(msgs.len()),
        };
        self.stats.record_consume(started.elapsed().as_micros() as u64, ok as u64, (msgs.len() - ok) as u64);
        result
    }

    pub(crate) fn run_task(self: &Arc<Self>, task: Task) {
        match task {
            Task::Concurrent { pq, mq, msgs } => self.consume_concurrently(pq, mq, msgs),
            Task::Orderly { pq, mq } => self.consume_orderly(pq, mq),
        }
    }

    fn consume_concurrently(self: &Arc<Self>, pq: Arc<ProcessQueue>, mq: MessageQueue, mut msgs: Vec<MessageExt>) {
        if pq.is_dropped() {
            return;
        }
        restore_retry_topic(&mut msgs, &super::core::retry_topic(self.group()));
        let result = self.call_listener(&msgs, &mq);
        if pq.is_dropped() {
            return; // the queue moved to another consumer meanwhile: it will redeliver
        }
        let ok = match result {
            ConsumeResult::Success => msgs.len(),
            ConsumeResult::ReconsumeLater => 0,
            ConsumeResult::Partial(n) => n.min(msgs.len()),
        };
        let mut retry_locally = Vec::new();
        if ok < msgs.len() {
            if self.is_clustering() {
                for msg in &msgs[ok..] {
                    if !self.send_back(msg, &mq, self.options.delay_level_when_next_consume) {
                        retry_locally.push(msg.clone());
                    }
                }
            } else {
                for msg in &msgs[ok..] {
                    tracing::warn!(group = %self.group(), msg_id = %msg.msg_id(), "broadcasting: consumption failed, message dropped (Java behaviour)");
                }
            }
        }
        let done: Vec<i64> = msgs
            .iter()
            .map(|m| m.queue_offset)
            .filter(|o| !retry_locally.iter().any(|r| r.queue_offset == *o))
            .collect();
        let offset = pq.remove_messages(&done);
        self.commit_offset(&mq, &pq, offset);
        if !retry_locally.is_empty() {
            for msg in &mut retry_locally {
                msg.reconsume_times += 1;
            }
            let weak = Arc::downgrade(self);
            self.runtime.spawn(async move {
                tokio::time::sleep(LOCAL_RETRY_DELAY).await;
                if let Some(core) = weak.upgrade() {
                    core.consume.submit(Task::Concurrent { pq, mq, msgs: retry_locally });
                }
            });
        }
    }

    fn consume_orderly(self: &Arc<Self>, pq: Arc<ProcessQueue>, mq: MessageQueue) {
        let _one_thread_per_queue = pq.consume_lock();
        let started = Instant::now();
        let retry_topic = super::core::retry_topic(self.group());
        loop {
            if pq.is_dropped() || !self.is_running() {
                return;
            }
            if self.is_clustering() && (!pq.is_locked() || pq.is_lock_expired(LOCK_MAX_LIVE)) {
                self.relock_later(pq.clone(), mq.clone(), Duration::from_millis(100));
                return;
            }
            if started.elapsed() > MAX_TIME_CONSUME_CONTINUOUSLY {
                self.resubmit_orderly_later(pq.clone(), mq.clone(), Duration::from_millis(10));
                return;
            }
            let mut msgs = pq.take_messages(self.options.consume_batch_max_size);
            if msgs.is_empty() {
                return;
            }
            restore_retry_topic(&mut msgs, &retry_topic);
            let result = self.call_listener(&msgs, &mq);
            if pq.is_dropped() {
                return;
            }
            match result {
                ConsumeResult::Success => {
                    let offset = pq.commit();
                    self.commit_offset(&mq, &pq, offset);
                }
                ConsumeResult::Partial(n) if n >= msgs.len() => {
                    let offset = pq.commit();
                    self.commit_offset(&mq, &pq, offset);
                }
                _ => {
                    let max = self.options.effective_max_reconsume_times();
                    if msgs.iter().any(|m| m.reconsume_times >= max) {
                        // Exhausted: hand the batch to the broker's DLQ and move on, as Java does.
                        let all_sent = msgs.iter().all(|m| self.send_back(m, &mq, -1));
                        if all_sent {
                            let offset = pq.commit();
                            self.commit_offset(&mq, &pq, offset);
                            continue;
                        }
                    }
                    for msg in &mut msgs {
                        msg.reconsume_times += 1;
                    }
                    pq.make_messages_to_consume_again(&msgs);
                    self.resubmit_orderly_later(pq.clone(), mq.clone(), self.options.suspend_current_queue_time);
                    return;
                }
            }
        }
    }

    fn resubmit_orderly_later(self: &Arc<Self>, pq: Arc<ProcessQueue>, mq: MessageQueue, delay: Duration) {
        let weak = Arc::downgrade(self);
        self.runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            if let Some(core) = weak.upgrade() {
                core.consume.submit(Task::Orderly { pq, mq });
            }
        });
    }

    fn relock_later(self: &Arc<Self>, pq: Arc<ProcessQueue>, mq: MessageQueue, delay: Duration) {
        let weak = Arc::downgrade(self);
        self.runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            let Some(core) = weak.upgrade() else { return };
            if pq.is_dropped() {
                return;
            }
            let locked = core.lock_one(&mq).await;
            if locked {
                Core::mark_locked(&pq, true);
            }
            let again = if locked { Duration::from_millis(10) } else { Duration::from_secs(3) };
            core.resubmit_orderly_later(pq, mq, again);
        });
    }

    /// CONSUMER_SEND_MSG_BACK for one failed message (path 1 of protocol.md §5.9). Returns
    /// whether the broker took it; on failure the caller retries the message locally, so a
    /// message is never dropped.
    pub(crate) fn send_back(&self, msg: &MessageExt, mq: &MessageQueue, delay_level: i32) -> bool {
        let header = ConsumerSendMsgBackRequestHeader {
            offset: msg.commit_log_offset,
            group: self.group().to_owned(),
            delay_level,
            origin_msg_id: Some(msg.msg_id().to_owned()),
            origin_topic: Some(msg.topic.clone()),
            unit_mode: Some(false),
            max_reconsume_times: Some(self.options.effective_max_reconsume_times()),
            broker_name: Some(mq.broker_name.clone()),
        };
        let result = self.runtime.block_on(async {
            let addr = self.master_addr(mq).await?;
            broker_api::send_back(&self.instance, &addr, header).await
        });
        match result {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(group = %self.group(), msg_id = %msg.msg_id(), error = %e, "send-back failed; will re-consume locally");
                false
            }
        }
    }
}
