//! Which queues are ours (Java `RebalanceImpl`, with `RebalancePushImpl` /
//! `RebalanceLitePullImpl`'s start-offset rule): the subscriptions, the allocation of each
//! topic's queues with the configured strategy, and the orderly broker locks.
//!
//! The rebalancer spawns nothing and owns no process queue: it diffs the wanted assignment
//! against what its owner holds and tells the owner "queue removed" / "queue added"
//! ([`RebalanceOwner`]); the owner (push or lite-pull consumer) creates or drops its pulls.

use rocketmq_remoting::body::heartbeat::{MessageModel, SubscriptionData};
use rocketmq_remoting::message::sysflag::PermName;
use rocketmq_remoting::MessageQueue;
use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::{Arc, RwLock};

use super::allocate::AllocateStrategy;
use super::broker_api;
use super::offset_store::OffsetStore;
use super::options::ConsumeFromWhere;
use crate::error::{Error, ErrorKind, Result};
use crate::instance::ClientInstance;

/// What a rebalancer's owner does with assignment changes.
pub(crate) trait RebalanceOwner: Send + Sync {
    /// The queues of `topic` the owner holds, each with whether it must be recreated (e.g. not
    /// pulled for too long: Java `isPullExpired`).
    fn held_queues(&self, topic: &str) -> Vec<(MessageQueue, bool)>;
    /// `mq` is no longer ours: stop pulling it, release its offset (and lock).
    fn queue_removed(&self, mq: MessageQueue) -> impl Future<Output = ()> + Send;
    /// `mq` became ours: start pulling it. `false` means "not now" (lock refused, start offset
    /// unknown); the next round offers it again.
    fn queue_added(&self, mq: MessageQueue) -> impl Future<Output = bool> + Send;
}

/// Assignment of queues to this client within its group.
pub(crate) struct Rebalancer {
    instance: Arc<ClientInstance>,
    group: String,
    model: MessageModel,
    strategy: Arc<dyn AllocateStrategy>,
    /// topic → subscription (Java `subscriptionInner`); includes `%RETRY%group` for a push
    /// consumer in clustering mode.
    subscriptions: RwLock<BTreeMap<String, SubscriptionData>>,
    /// Rounds run, and queues released or taken by them (statistics).
    counts: RebalanceCounts,
}

/// What rebalancing did so far.
#[derive(Debug, Default)]
pub(crate) struct RebalanceCounts {
    pub rounds: std::sync::atomic::AtomicU64,
    pub queues_added: std::sync::atomic::AtomicU64,
    pub queues_removed: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Rebalancer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rebalancer").field("group", &self.group).finish_non_exhaustive()
    }
}

impl Rebalancer {
    pub fn new(
        instance: Arc<ClientInstance>,
        group: &str,
        model: MessageModel,
        strategy: Arc<dyn AllocateStrategy>,
        subscriptions: BTreeMap<String, SubscriptionData>,
    ) -> Self {
        Rebalancer {
            instance,
            group: group.to_owned(),
            model,
            strategy,
            subscriptions: RwLock::new(subscriptions),
            counts: RebalanceCounts::default(),
        }
    }

    pub fn group(&self) -> &str {
        &self.group
    }

    pub fn counts(&self) -> &RebalanceCounts {
        &self.counts
    }

    pub fn is_clustering(&self) -> bool {
        self.model == MessageModel::Clustering
    }

    pub fn subscription(&self, topic: &str) -> Option<SubscriptionData> {
        self.subscriptions.read().unwrap_or_else(|p| p.into_inner()).get(topic).cloned()
    }

    pub fn subscribed_topics(&self) -> Vec<String> {
        self.subscriptions.read().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect()
    }

    pub fn subscriptions(&self) -> Vec<SubscriptionData> {
        self.subscriptions.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }

    /// Add or replace a subscription (a lite-pull consumer may subscribe after start).
    pub fn set_subscription(&self, sub: SubscriptionData) {
        self.subscriptions.write().unwrap_or_else(|p| p.into_inner()).insert(sub.topic.clone(), sub);
    }

    /// One full round over every subscribed topic (`doRebalance`).
    pub async fn rebalance(&self, owner: &impl RebalanceOwner) {
        self.counts.rounds.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for topic in self.subscribed_topics() {
            if let Err(e) = self.rebalance_topic(&topic, owner).await {
                tracing::debug!(group = %self.group, %topic, error = %e, "rebalance skipped a topic");
            }
        }
    }

    /// Readable queues of `topic` (see [`topic_queues`]).
    pub async fn topic_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        topic_queues(&self.instance, topic, false).await
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
            match broker_api::consumer_ids(&self.instance, addr, &self.group).await {
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

    /// The queues of `topic` this client should hold: all (broadcasting) or its share.
    async fn wanted(&self, topic: &str) -> Result<Option<Vec<MessageQueue>>> {
        let all = self.topic_queues(topic).await?;
        if !self.is_clustering() || all.is_empty() {
            return Ok(Some(all));
        }
        let cids = self.consumer_ids(topic).await?;
        if cids.is_empty() {
            return Ok(None); // nothing known yet: keep the current assignment (Java)
        }
        let mut mine = self.strategy.allocate(&self.group, self.instance.client_id(), &all, &cids);
        mine.sort();
        mine.dedup();
        Ok(Some(mine))
    }

    /// `updateProcessQueueTableInRebalance`: removals first (stale queues too), then additions.
    async fn rebalance_topic(&self, topic: &str, owner: &impl RebalanceOwner) -> Result<()> {
        let Some(wanted) = self.wanted(topic).await? else { return Ok(()) };
        let wanted_set: HashSet<&MessageQueue> = wanted.iter().collect();
        let held = owner.held_queues(topic);
        for (mq, expired) in &held {
            if *expired || !wanted_set.contains(mq) {
                owner.queue_removed(mq.clone()).await;
                self.counts.queues_removed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let kept: HashSet<&MessageQueue> = held.iter().filter(|(_, expired)| !expired).map(|(mq, _)| mq).collect();
        for mq in wanted.iter().filter(|mq| !kept.contains(mq)) {
            if owner.queue_added(mq.clone()).await {
                self.counts.queues_added.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            } else {
                tracing::debug!(queue = %mq, "queue not taken this round; retrying next round");
            }
        }
        Ok(())
    }

    /// LOCK_BATCH_MQ for one queue (orderly).
    pub async fn lock(&self, mq: &MessageQueue) -> bool {
        self.lock_all(std::slice::from_ref(mq)).await.contains(mq)
    }

    /// LOCK_BATCH_MQ, one request per broker (`RebalanceImpl.lockAll`): the queues locked.
    pub async fn lock_all(&self, mqs: &[MessageQueue]) -> HashSet<MessageQueue> {
        let mut locked = HashSet::new();
        for (_, mqs) in by_broker(mqs) {
            let Some(first) = mqs.first() else { continue };
            let Ok(addr) = broker_api::master_addr(&self.instance, first).await else { continue };
            match broker_api::lock_batch(&self.instance, &addr, &self.group, &mqs).await {
                Ok(ok) => locked.extend(ok),
                Err(e) => tracing::warn!(broker = %addr, error = %e, "lock request failed"),
            }
        }
        locked
    }

    /// UNLOCK_BATCH_MQ, one request per broker; oneway when a rebalance drops queues.
    pub async fn unlock_all(&self, mqs: &[MessageQueue], oneway: bool) {
        for (_, mqs) in by_broker(mqs) {
            let Some(first) = mqs.first() else { continue };
            if let Ok(addr) = broker_api::master_addr(&self.instance, first).await {
                if let Err(e) = broker_api::unlock_batch(&self.instance, &addr, &self.group, &mqs, oneway).await {
                    tracing::debug!(broker = %addr, error = %e, "unlock failed");
                }
            }
        }
    }
}

/// Readable queues of `topic` (`topicRouteData2TopicSubscribeInfo`), from the cached route or
/// (when `refresh` or none is cached) the name server; empty when it does not know the topic.
pub(crate) async fn topic_queues(
    instance: &Arc<ClientInstance>,
    topic: &str,
    refresh: bool,
) -> Result<Vec<MessageQueue>> {
    let cached = if refresh { None } else { instance.routes().route(topic) };
    let route = match cached {
        Some(r) => r,
        None => {
            if !instance.update_route(topic, instance.options().request_timeout).await? {
                return Ok(Vec::new()); // e.g. %RETRY%group before the broker created it
            }
            instance
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

fn by_broker(mqs: &[MessageQueue]) -> BTreeMap<String, Vec<MessageQueue>> {
    let mut map: BTreeMap<String, Vec<MessageQueue>> = BTreeMap::new();
    for mq in mqs {
        map.entry(mq.broker_name.clone()).or_default().push(mq.clone());
    }
    map
}

/// Where a newly assigned queue starts (`RebalancePushImpl.computePullFromWhereWithException`):
/// the stored offset, else what `from` says.
pub(crate) async fn compute_pull_from_where(
    instance: &Arc<ClientInstance>,
    offsets: &OffsetStore,
    mq: &MessageQueue,
    from: ConsumeFromWhere,
    timestamp_ms: i64,
) -> Result<i64> {
    if let Some(offset) = offsets.read_stored(mq).await?.filter(|o| *o >= 0) {
        return Ok(offset);
    }
    let retry = mq.topic.starts_with("%RETRY%");
    match from {
        ConsumeFromWhere::ConsumeFromFirstOffset => Ok(0),
        ConsumeFromWhere::ConsumeFromTimestamp if !retry => {
            let addr = broker_api::master_addr(instance, mq).await?;
            broker_api::search_offset(instance, &addr, mq, timestamp_ms).await
        }
        _ if retry && from != ConsumeFromWhere::ConsumeFromTimestamp => Ok(0),
        _ => {
            let addr = broker_api::master_addr(instance, mq).await?;
            broker_api::max_offset(instance, &addr, mq).await
        }
    }
}
