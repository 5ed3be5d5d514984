//! Assigning queues to this consumer (`RebalanceImpl`, `RebalancePushImpl`): who owns which
//! queue, creating and dropping process queues, orderly locks.

use rocketmq_remoting::message::sysflag::PermName;
use rocketmq_remoting::MessageQueue;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use super::broker_api;
use super::core::{lock, Assigned, Core};
use super::process_queue::ProcessQueue;
use crate::error::{Error, ErrorKind, Result};

/// A queue not pulled for this long is recreated (`rocketmq.client.pull.pullMaxIdleTime`).
const PULL_MAX_IDLE: Duration = Duration::from_secs(120);
/// How long a dropped orderly queue waits for its in-flight batch before unlocking.
const UNLOCK_WAIT: Duration = Duration::from_millis(500);

impl Core {
    /// One full rebalance round over every subscribed topic.
    pub(crate) async fn rebalance(self: &Arc<Self>) {
        if !self.is_running() {
            return;
        }
        for topic in self.subscribed_topics() {
            if let Err(e) = self.rebalance_topic(&topic).await {
                tracing::debug!(group = %self.group(), %topic, error = %e, "rebalance skipped a topic");
            }
        }
    }

    /// Readable queues of `topic` (`topicRouteData2TopicSubscribeInfo`); fetches the route if needed.
    pub(crate) async fn subscribe_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        let route = match self.instance.routes().route(topic) {
            Some(r) => r,
            None => {
                if !self.instance.update_route(topic, self.instance.options().request_timeout).await? {
                    return Ok(Vec::new()); // e.g. %RETRY%group before the broker created it
                }
                self.instance
                    .routes()
                    .route(topic)
                    .ok_or_else(|| Error::new(ErrorKind::RouteNotFound, "route vanished").with_topic(topic))?
            }
        };
        let mut queues = Vec::new();
        for qd in &route.queue_datas {
            if PermName::is_readable(qd.perm) {
                queues.extend((0..qd.read_queue_nums).map(|id| MessageQueue::new(topic, &qd.broker_name, id)));
            }
        }
        queues.sort();
        Ok(queues)
    }

    async fn consumer_ids(&self, topic: &str) -> Result<Vec<String>> {
        let route = self
            .instance
            .routes()
            .route(topic)
            .ok_or_else(|| Error::new(ErrorKind::RouteNotFound, "no route").with_topic(topic))?;
        let mut brokers: Vec<&str> = route.broker_datas.iter().filter_map(|b| b.master_addr()).collect();
        fastrand::shuffle(&mut brokers);
        let mut last_error = None;
        for addr in brokers {
            match broker_api::consumer_ids(&self.instance, addr, self.group()).await {
                Ok(mut ids) => {
                    ids.sort();
                    return Ok(ids);
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error
            .unwrap_or_else(|| Error::new(ErrorKind::RouteNotFound, "no broker serves the topic").with_topic(topic)))
    }

    async fn rebalance_topic(self: &Arc<Self>, topic: &str) -> Result<()> {
        let mq_all = self.subscribe_queues(topic).await?;
        let wanted: Vec<MessageQueue> = if self.is_clustering() {
            if mq_all.is_empty() {
                Vec::new()
            } else {
                let cids = self.consumer_ids(topic).await?;
                if cids.is_empty() {
                    return Ok(()); // nothing known yet: keep the current assignment (Java)
                }
                let mut mine =
                    self.options.allocate_strategy.allocate(self.group(), self.instance.client_id(), &mq_all, &cids);
                mine.sort();
                mine.dedup();
                mine
            }
        } else {
            mq_all
        };
        self.apply_assignment(topic, wanted).await;
        Ok(())
    }

    /// `updateProcessQueueTableInRebalance`: drop what is no longer ours (persisting its offset,
    /// unlocking orderly queues), create what is new (locking first for orderly clustering).
    async fn apply_assignment(self: &Arc<Self>, topic: &str, wanted: Vec<MessageQueue>) {
        let wanted_set: HashSet<&MessageQueue> = wanted.iter().collect();
        let stale: Vec<(MessageQueue, Arc<ProcessQueue>)> = lock(&self.assigned)
            .iter()
            .filter(|(mq, a)| mq.topic == topic && (!wanted_set.contains(mq) || a.pq.is_pull_expired(PULL_MAX_IDLE)))
            .map(|(mq, a)| (mq.clone(), a.pq.clone()))
            .collect();
        for (mq, pq) in stale {
            self.drop_queue(&mq, &pq).await;
        }
        let orderly_clustering = self.options.orderly && self.is_clustering();
        for mq in wanted {
            if lock(&self.assigned).contains_key(&mq) {
                continue;
            }
            if orderly_clustering && !self.lock_one(&mq).await {
                tracing::debug!(queue = %mq, "orderly queue is locked by another consumer; retrying next round");
                continue;
            }
            self.offsets.remove(&mq);
            let offset = match self.compute_pull_from_where(&mq).await {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(queue = %mq, error = %e, "cannot compute the start offset; retrying next round");
                    continue;
                }
            };
            // Remember where the queue starts: running info reports it at once, and a fresh
            // group that starts at the max offset commits that position with its first pull.
            self.offsets.update(&mq, offset, false);
            let pq = Arc::new(ProcessQueue::new());
            if orderly_clustering {
                Core::mark_locked(&pq, true);
            }
            tracing::info!(group = %self.group(), queue = %mq, offset, "queue assigned");
            let task = self.runtime.spawn(super::pull::pull_loop(Arc::downgrade(self), mq.clone(), pq.clone(), offset));
            if let Some(old) = lock(&self.assigned).insert(mq, Assigned { pq, pull_task: task }) {
                old.pq.set_dropped(true);
                old.pull_task.abort();
            }
        }
    }

    /// Stop consuming `mq`: mark it dropped, persist and forget its offset, unlock it.
    pub(crate) async fn drop_queue(self: &Arc<Self>, mq: &MessageQueue, pq: &Arc<ProcessQueue>) {
        pq.set_dropped(true);
        if let Some(a) = lock(&self.assigned).remove(mq) {
            a.pull_task.abort();
        }
        self.persist_offset(mq, true).await;
        self.offsets.remove(mq);
        if self.options.orderly && self.is_clustering() {
            // Let an in-flight batch finish before another consumer may take the queue.
            let pq2 = pq.clone();
            let waited = tokio::task::spawn_blocking(move || pq2.try_consume_lock_for(UNLOCK_WAIT).is_some()).await;
            if !matches!(waited, Ok(true)) {
                tracing::debug!(queue = %mq, "in-flight orderly batch still running; unlocking anyway");
            }
            if let Ok(addr) = self.master_addr(mq).await {
                let _ =
                    broker_api::unlock_batch(&self.instance, &addr, self.group(), std::slice::from_ref(mq), true).await;
            }
        }
        tracing::info!(group = %self.group(), queue = %mq, "queue released");
    }

    /// LOCK_BATCH_MQ for one queue.
    pub(crate) async fn lock_one(&self, mq: &MessageQueue) -> bool {
        let Ok(addr) = self.master_addr(mq).await else { return false };
        match broker_api::lock_batch(&self.instance, &addr, self.group(), std::slice::from_ref(mq)).await {
            Ok(locked) => locked.contains(mq),
            Err(e) => {
                tracing::warn!(queue = %mq, error = %e, "lock request failed");
                false
            }
        }
    }

    /// Renew the locks of every assigned queue, one request per broker (`RebalanceImpl.lockAll`).
    pub(crate) async fn lock_all(&self) {
        let mut by_broker: BTreeMap<String, Vec<(MessageQueue, Arc<ProcessQueue>)>> = BTreeMap::new();
        for (mq, a) in lock(&self.assigned).iter() {
            by_broker.entry(mq.broker_name.clone()).or_default().push((mq.clone(), a.pq.clone()));
        }
        for (_, queues) in by_broker {
            let Some((first, _)) = queues.first() else { continue };
            let Ok(addr) = self.master_addr(first).await else { continue };
            let mqs: Vec<MessageQueue> = queues.iter().map(|(mq, _)| mq.clone()).collect();
            match broker_api::lock_batch(&self.instance, &addr, self.group(), &mqs).await {
                Ok(locked) => {
                    for (mq, pq) in &queues {
                        Core::mark_locked(pq, locked.contains(mq));
                    }
                }
                Err(e) => tracing::warn!(broker = %addr, error = %e, "lock renewal failed"),
            }
        }
    }

    /// UNLOCK_BATCH_MQ for every assigned queue, synchronously (shutdown).
    pub(crate) async fn unlock_all(&self) {
        let mut by_broker: BTreeMap<String, Vec<MessageQueue>> = BTreeMap::new();
        for mq in lock(&self.assigned).keys() {
            by_broker.entry(mq.broker_name.clone()).or_default().push(mq.clone());
        }
        for (_, mqs) in by_broker {
            let Some(first) = mqs.first() else { continue };
            if let Ok(addr) = self.master_addr(first).await {
                if let Err(e) = broker_api::unlock_batch(&self.instance, &addr, self.group(), &mqs, false).await {
                    tracing::debug!(broker = %addr, error = %e, "unlock failed");
                }
            }
        }
    }
}
