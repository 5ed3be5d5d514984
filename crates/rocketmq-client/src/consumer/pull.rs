//! Pulling messages: one PULL_MESSAGE and its decoding (Java `PullAPIWrapper`), and the
//! long-poll pull service that keeps an assigned queue's cache filled with flow control
//! (Java `PullMessageService` + `DefaultMQPushConsumerImpl.pullMessage`). The service is
//! shared by the push and lite-pull consumers; what happens to the pulled messages is the
//! owner's business ([`PullOwner`]).

use rocketmq_remoting::body::heartbeat::{ExpressionType, SubscriptionData};
use rocketmq_remoting::header::PullMessageRequestHeader;
use rocketmq_remoting::message::stored::{decode_messages, MessageExt};
use rocketmq_remoting::message::sysflag::PullSysFlag;
use rocketmq_remoting::{response_code, MessageQueue};
use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::broker_api::{self, PullOutcome};
use super::offset_store::OffsetStore;
use super::process_queue::ProcessQueue;
use super::stats::ConsumeStats;
use crate::error::{Error, Result};
use crate::instance::ClientInstance;

/// Back-off when the queue's cache is full (`PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL`).
const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);
/// Back-off after a broker FLOW_CONTROL answer.
const BROKER_FLOW_CONTROL_DELAY: Duration = Duration::from_millis(20);
/// Back-off after an error (`pullTimeDelayMillsWhenException`).
const ERROR_DELAY: Duration = Duration::from_millis(1000);

/// Java `PullStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullStatus {
    /// Messages were found.
    Found,
    /// Nothing new at this offset.
    NoNewMsg,
    /// Messages were there but none matched the subscription.
    NoMatchedMsg,
    /// The offset is outside the queue; restart from `next_begin_offset`.
    OffsetIllegal,
}

/// Java `PullResult`: what one pull returned, decoded and tag-filtered.
#[derive(Debug, Clone)]
pub struct PullResult {
    /// Found, nothing new, nothing matched, or illegal offset.
    pub status: PullStatus,
    /// Where the next pull of this queue starts.
    pub next_begin_offset: i64,
    /// The queue's smallest offset on the broker.
    pub min_offset: i64,
    /// The queue's next offset to be written on the broker.
    pub max_offset: i64,
    /// The messages (empty unless found).
    pub msgs: Vec<MessageExt>,
}

/// One pull's parameters.
#[derive(Debug, Clone)]
pub(crate) struct PullRequest<'a> {
    pub group: &'a str,
    pub mq: &'a MessageQueue,
    pub subscription: &'a SubscriptionData,
    pub offset: i64,
    pub max_nums: i32,
    /// Offset to commit with the pull (clustering), if any.
    pub commit_offset: Option<i64>,
    /// Long-poll hold, `None` for an immediate answer.
    pub suspend: Option<Duration>,
    /// Send the subscription with the pull (FLAG_SUBSCRIPTION), for consumers the broker may
    /// not know from heartbeats (pull consumers, assigned queues).
    pub with_subscription: bool,
    pub timeout: Duration,
}

/// One PULL_MESSAGE to `mq`'s master, decoded (`PullAPIWrapper.pullKernelImpl` +
/// `processPullResult`): messages are re-filtered by tag string (the broker filters by hash).
pub(crate) async fn pull_queue(instance: &Arc<ClientInstance>, req: PullRequest<'_>) -> Result<PullResult> {
    let addr = broker_api::master_addr(instance, req.mq).await?;
    let commit = req.commit_offset.filter(|o| *o > 0);
    let header = PullMessageRequestHeader {
        consumer_group: req.group.to_owned(),
        topic: req.mq.topic.clone(),
        queue_id: req.mq.queue_id,
        queue_offset: req.offset,
        max_msg_nums: req.max_nums,
        sys_flag: PullSysFlag::build(commit.is_some(), req.suspend.is_some(), req.with_subscription, false, false),
        commit_offset: commit.unwrap_or(0),
        suspend_timeout_millis: req.suspend.map_or(0, |d| d.as_millis() as i64),
        subscription: req.with_subscription.then(|| req.subscription.sub_string.clone()),
        sub_version: req.subscription.sub_version,
        expression_type: Some(req.subscription.expression_type.as_str().to_owned()),
        max_msg_bytes: None,
        broker_name: Some(req.mq.broker_name.clone()),
    };
    let (status, header, body) = match broker_api::pull(instance, &addr, header, req.timeout).await? {
        PullOutcome::Found { body, header } => (PullStatus::Found, header, Some(body)),
        PullOutcome::NoNewMsg(h) => (PullStatus::NoNewMsg, h, None),
        PullOutcome::NoMatchedMsg(h) => (PullStatus::NoMatchedMsg, h, None),
        PullOutcome::OffsetIllegal(h) => (PullStatus::OffsetIllegal, h, None),
    };
    let mut msgs = match body {
        Some(body) => decode_messages(body)
            .map_err(|e| Error::from(e).context("undecodable pull body").with_addr(&addr).with_topic(&req.mq.topic))?,
        None => Vec::new(),
    };
    let sub = req.subscription;
    if sub.expression_type == ExpressionType::Tag && !sub.is_sub_all() {
        // The broker filters on tag hash codes; re-check the strings (hash collisions).
        msgs.retain(|m| sub.matches_tag(m.tags()));
    }
    Ok(PullResult {
        status,
        next_begin_offset: header.next_begin_offset,
        min_offset: header.min_offset,
        max_offset: header.max_offset,
        msgs,
    })
}

/// Flow control and long-poll settings of a pull service.
#[derive(Debug, Clone)]
pub(crate) struct PullSettings {
    pub batch_size: i32,
    pub threshold_count: usize,
    pub threshold_mib: usize,
    /// Concurrent push only (`consumeConcurrentlyMaxSpan`).
    pub max_span: Option<i64>,
    pub interval: Duration,
    pub suspend: Duration,
    pub timeout: Duration,
}

/// What the pull service needs from its owner.
pub(crate) trait PullOwner: Send + Sync + 'static {
    fn instance(&self) -> &Arc<ClientInstance>;
    fn group(&self) -> &str;
    fn is_clustering(&self) -> bool;
    fn is_running(&self) -> bool;
    fn offsets(&self) -> &OffsetStore;
    fn stats(&self) -> &ConsumeStats;
    fn pull_settings(&self) -> &PullSettings;
    fn subscription(&self, topic: &str) -> Option<SubscriptionData>;
    /// Whether pulls carry the consumed offset for the broker to store (push clustering).
    fn commit_with_pull(&self) -> bool {
        self.is_clustering()
    }
    /// Whether pulls carry the subscription expression.
    fn send_subscription(&self) -> bool {
        false
    }
    /// A pull found nothing (new or matching) up to `next`. With nothing cached, `next` is
    /// safe to commit (`correctTagsOffset`).
    fn nothing_found(&self, mq: &MessageQueue, pq: &ProcessQueue, next: i64) {
        if pq.cached_count() == 0 {
            self.offsets().update(mq, next, true);
        }
    }
    /// An owner-specific reason to wait before pulling (orderly lock not held, queue paused).
    fn hold(&self, mq: &MessageQueue, pq: &ProcessQueue) -> Option<Duration>;
    /// Messages arrived for `pq`; the owner caches them there and dispatches them.
    fn deliver(&self, mq: &MessageQueue, pq: &Arc<ProcessQueue>, msgs: Vec<MessageExt>);
    /// The offset was illegal: `pq` is dropped already; restart the queue from `next`. Called
    /// on the queue's own pull task, which ends after this returns: the owner must not abort
    /// that task here (an abort would cancel the rest of this call at its first `.await`).
    fn offset_moved(&self, mq: MessageQueue, pq: &Arc<ProcessQueue>, next: i64) -> impl Future<Output = ()> + Send;
}

/// Pull `mq` from `offset` until `pq` is dropped, the owner stops or goes away.
pub(crate) async fn pull_loop<O: PullOwner>(owner: Weak<O>, mq: MessageQueue, pq: Arc<ProcessQueue>, mut offset: i64) {
    loop {
        let Some(o) = owner.upgrade() else { return };
        if pq.is_dropped() || !o.is_running() {
            return;
        }
        let delay = match pull_step(&*o, &mq, &pq, &mut offset).await {
            Step::Again => o.pull_settings().interval,
            Step::Wait(d) => d,
            Step::Stop => return,
        };
        drop(o);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
}

enum Step {
    Again,
    Wait(Duration),
    Stop,
}

async fn pull_step<O: PullOwner>(o: &O, mq: &MessageQueue, pq: &Arc<ProcessQueue>, offset: &mut i64) -> Step {
    let s = o.pull_settings();
    if pq.cached_count() > s.threshold_count as i64
        || pq.cached_bytes() > (s.threshold_mib * 1024 * 1024) as i64
        || s.max_span.is_some_and(|span| pq.max_span() > span)
    {
        return Step::Wait(FLOW_CONTROL_DELAY);
    }
    if let Some(wait) = o.hold(mq, pq) {
        return Step::Wait(wait);
    }
    let Some(sub) = o.subscription(&mq.topic) else { return Step::Wait(ERROR_DELAY) };
    let request = PullRequest {
        group: o.group(),
        mq,
        subscription: &sub,
        offset: *offset,
        max_nums: s.batch_size,
        commit_offset: if o.commit_with_pull() { o.offsets().read(mq) } else { None },
        suspend: Some(s.suspend),
        with_subscription: o.send_subscription(),
        timeout: s.timeout,
    };
    pq.set_last_pull_timestamp(super::now_ms());
    let started = Instant::now();
    let outcome = pull_queue(o.instance(), request).await;
    if pq.is_dropped() {
        return Step::Stop;
    }
    match outcome {
        Ok(result) => {
            if result.status == PullStatus::Found {
                o.stats().record_pull(started.elapsed().as_micros() as u64, result.msgs.len() as u64);
            }
            match result.status {
                PullStatus::OffsetIllegal => {
                    tracing::warn!(queue = %mq, requested = *offset, next = result.next_begin_offset, "offset illegal; restarting the queue from the broker's offset");
                    pq.set_dropped(true);
                    o.offset_moved(mq.clone(), pq, result.next_begin_offset).await;
                    return Step::Stop;
                }
                _ if result.msgs.is_empty() => {
                    *offset = result.next_begin_offset;
                    o.nothing_found(mq, pq, *offset);
                }
                _ => {
                    *offset = result.next_begin_offset;
                    o.deliver(mq, pq, result.msgs);
                }
            }
            Step::Again
        }
        Err(e) => {
            tracing::debug!(queue = %mq, error = %e, "pull failed");
            match e.response_code() {
                Some(response_code::FLOW_CONTROL) => Step::Wait(BROKER_FLOW_CONTROL_DELAY),
                Some(response_code::SUBSCRIPTION_NOT_EXIST | response_code::SUBSCRIPTION_NOT_LATEST) => {
                    o.instance().send_heartbeat_to_all().await;
                    Step::Wait(ERROR_DELAY)
                }
                // An undecodable body is retried at the same offset: skipping would lose the batch.
                _ => Step::Wait(ERROR_DELAY),
            }
        }
    }
}
