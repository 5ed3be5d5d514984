//! One task per assigned queue: long-poll PULL_MESSAGE, cache what arrives, hand it to the
//! consume service (`DefaultMQPushConsumerImpl.pullMessage`, `PullAPIWrapper.processPullResult`).

use rocketmq_remoting::body::heartbeat::ExpressionType;
use rocketmq_remoting::header::PullMessageRequestHeader;
use rocketmq_remoting::message::stored::decode_messages;
use rocketmq_remoting::message::sysflag::PullSysFlag;
use rocketmq_remoting::{response_code, MessageQueue};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::broker_api::{self, PullOutcome};
use super::consume::Task;
use super::core::{lock, Core};
use super::process_queue::ProcessQueue;

/// Back-off when the queue's cache is full (`PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL`).
const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);
/// Back-off after a broker FLOW_CONTROL answer.
const BROKER_FLOW_CONTROL_DELAY: Duration = Duration::from_millis(20);
/// Back-off after an error (`pullTimeDelayMillsWhenException`).
const ERROR_DELAY: Duration = Duration::from_millis(1000);
/// An orderly queue waiting for its broker lock checks again after this.
const WAIT_LOCK_DELAY: Duration = Duration::from_millis(100);

/// Pull `mq` from `offset` until the queue is dropped or the consumer stops.
pub(crate) async fn pull_loop(core: Weak<Core>, mq: MessageQueue, pq: Arc<ProcessQueue>, mut offset: i64) {
    loop {
        let Some(core) = core.upgrade() else { return };
        if pq.is_dropped() || !core.is_running() {
            return;
        }
        let delay = match pull_once(&core, &mq, &pq, &mut offset).await {
            Step::Again => core.options.pull_interval,
            Step::Wait(d) => d,
            Step::Stop => return,
        };
        drop(core);
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

async fn pull_once(core: &Arc<Core>, mq: &MessageQueue, pq: &Arc<ProcessQueue>, offset: &mut i64) -> Step {
    let o = &core.options;
    if pq.cached_count() > o.pull_threshold_for_queue as i64
        || pq.cached_bytes() > (o.pull_threshold_size_for_queue_mib * 1024 * 1024) as i64
        || (!o.orderly && pq.max_span() > o.consume_concurrently_max_span)
    {
        return Step::Wait(FLOW_CONTROL_DELAY);
    }
    if o.orderly && core.is_clustering() && !pq.is_locked() {
        return Step::Wait(WAIT_LOCK_DELAY);
    }
    let Some(sub) = core.subscription(&mq.topic) else { return Step::Wait(ERROR_DELAY) };
    let addr = match core.master_addr(mq).await {
        Ok(a) => a,
        Err(e) => {
            tracing::debug!(queue = %mq, error = %e, "no broker address for pull");
            return Step::Wait(ERROR_DELAY);
        }
    };
    let clustering = core.is_clustering();
    let commit_offset = if clustering { core.offsets.read(mq).unwrap_or(-1) } else { 0 };
    let header = PullMessageRequestHeader {
        consumer_group: core.group().to_owned(),
        topic: mq.topic.clone(),
        queue_id: mq.queue_id,
        queue_offset: *offset,
        max_msg_nums: o.pull_batch_size,
        sys_flag: PullSysFlag::build(clustering && commit_offset > 0, true, false, false, false),
        commit_offset: commit_offset.max(0),
        suspend_timeout_millis: o.broker_suspend_max_time.as_millis() as i64,
        subscription: None,
        sub_version: sub.sub_version,
        expression_type: Some(sub.expression_type.as_str().to_owned()),
        max_msg_bytes: None,
        broker_name: Some(mq.broker_name.clone()),
    };
    pq.set_last_pull_timestamp(super::core::now_ms());
    let started = Instant::now();
    let outcome = broker_api::pull(&core.instance, &addr, header, o.pull_timeout).await;
    if pq.is_dropped() {
        return Step::Stop;
    }
    match outcome {
        Ok(PullOutcome::Found { body, header }) => {
            let mut msgs = match decode_messages(body) {
                Ok(m) => m,
                Err(e) => {
                    // Retry the same offset: skipping would lose the batch.
                    tracing::warn!(queue = %mq, offset = *offset, error = %e, "undecodable pull body; pulling again");
                    return Step::Wait(ERROR_DELAY);
                }
            };
            core.stats.record_pull(started.elapsed().as_micros() as u64, msgs.len() as u64);
            *offset = header.next_begin_offset;
            if sub.expression_type == ExpressionType::Tag && !sub.is_sub_all() {
                // The broker filters on tag hash codes; re-check the strings (hash collisions).
                msgs.retain(|m| sub.matches_tag(m.tags()));
            }
            if msgs.is_empty() {
                if pq.cached_count() == 0 {
                    core.offsets.update(mq, *offset, true);
                }
                return Step::Again;
            }
            dispatch(core, mq, pq, msgs);
            Step::Again
        }
        Ok(PullOutcome::NoNewMsg(h)) | Ok(PullOutcome::NoMatchedMsg(h)) => {
            *offset = h.next_begin_offset;
            if pq.cached_count() == 0 {
                // Nothing cached: the next offset is safe to commit (`correctTagsOffset`).
                core.offsets.update(mq, *offset, true);
            }
            Step::Again
        }
        Ok(PullOutcome::OffsetIllegal(h)) => {
            tracing::warn!(queue = %mq, requested = *offset, next = h.next_begin_offset, "offset illegal; restarting the queue from the broker's offset");
            pq.set_dropped(true);
            core.offsets.update(mq, h.next_begin_offset, false);
            core.persist_offset(mq, false).await;
            lock(&core.assigned).remove(mq);
            core.rebalance_now.notify_one();
            Step::Stop
        }
        Err(e) => {
            let code = e.response_code();
            tracing::debug!(queue = %mq, error = %e, "pull failed");
            match code {
                Some(response_code::FLOW_CONTROL) => Step::Wait(BROKER_FLOW_CONTROL_DELAY),
                Some(response_code::SUBSCRIPTION_NOT_EXIST | response_code::SUBSCRIPTION_NOT_LATEST) => {
                    core.instance.send_heartbeat_to_all().await;
                    Step::Wait(ERROR_DELAY)
                }
                _ => Step::Wait(core.pull_delay_on_error()),
            }
        }
    }
}

fn dispatch(
    core: &Arc<Core>,
    mq: &MessageQueue,
    pq: &Arc<ProcessQueue>,
    msgs: Vec<rocketmq_remoting::message::stored::MessageExt>,
) {
    if core.options.orderly {
        if pq.put_messages(msgs) {
            core.consume.submit(Task::Orderly { pq: pq.clone(), mq: mq.clone() });
        }
        return;
    }
    let batch = core.options.consume_batch_max_size.max(1);
    pq.put_messages(msgs.clone());
    let mut rest = msgs;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(batch));
        core.consume.submit(Task::Concurrent { pq: pq.clone(), mq: mq.clone(), msgs: rest });
        rest = tail;
    }
}
