//! The state one push consumer shares between its tasks: subscriptions, process queues,
//! offsets, the consume service, statistics.

use rocketmq_remoting::body::heartbeat::{ConsumeType, ConsumerData, MessageModel, SubscriptionData};
use rocketmq_remoting::MessageQueue;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::broker_api;
use super::consume::ConsumeService;
use super::listener::MessageListener;
use super::offset_store::{LocalFileOffsetStore, OffsetTable};
use super::options::{ConsumeFromWhere, ConsumerOptions};
use super::process_queue::ProcessQueue;
use super::stats::ConsumeStats;
use crate::error::{Error, ErrorKind, Result};
use crate::instance::ClientInstance;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Epoch milliseconds now.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// `%RETRY%<group>` (`MixAll.getRetryTopic`).
pub fn retry_topic(group: &str) -> String {
    format!("%RETRY%{group}")
}

/// One assigned queue: its process queue and the task pulling it.
pub(crate) struct Assigned {
    pub pq: Arc<ProcessQueue>,
    pub pull_task: JoinHandle<()>,
}

/// Shared consumer state.
pub(crate) struct Core {
    pub options: ConsumerOptions,
    pub instance: Arc<ClientInstance>,
    pub listener: Arc<dyn MessageListener>,
    /// topic → subscription; includes `%RETRY%group` in clustering mode.
    pub subscriptions: RwLock<BTreeMap<String, SubscriptionData>>,
    pub assigned: Mutex<HashMap<MessageQueue, Assigned>>,
    pub offsets: OffsetTable,
    pub local_store: Option<LocalFileOffsetStore>,
    pub consume: ConsumeService,
    pub rebalance_now: Arc<Notify>,
    pub running: AtomicBool,
    pub stats: ConsumeStats,
    pub started_at_ms: i64,
    pub consume_timestamp_ms: i64,
    pub runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").field("group", &self.options.group).finish()
    }
}

impl Core {
    pub fn group(&self) -> &str {
        &self.options.group
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    pub fn is_clustering(&self) -> bool {
        self.options.message_model == MessageModel::Clustering
    }

    pub fn subscription(&self, topic: &str) -> Option<SubscriptionData> {
        self.subscriptions.read().unwrap_or_else(|p| p.into_inner()).get(topic).cloned()
    }

    pub fn subscribed_topics(&self) -> Vec<String> {
        self.subscriptions.read().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect()
    }

    /// The heartbeat entry of this consumer.
    pub fn consumer_data(&self) -> ConsumerData {
        ConsumerData {
            group_name: self.options.group.clone(),
            consume_type: ConsumeType::ConsumePassively,
            message_model: self.options.message_model,
            consume_from_where: self.options.consume_from_where,
            subscription_data_set: self
                .subscriptions
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .cloned()
                .collect(),
            unit_mode: false,
        }
    }

    /// The master address of `mq`'s broker, refreshing the route once if unknown.
    pub async fn master_addr(&self, mq: &MessageQueue) -> Result<String> {
        if let Some(addr) = self.instance.routes().master_addr(&mq.broker_name) {
            return Ok(addr);
        }
        self.instance.update_route(&mq.topic, self.instance.options().request_timeout).await?;
        self.instance.routes().master_addr(&mq.broker_name).ok_or_else(|| {
            Error::new(ErrorKind::RouteNotFound, format!("broker {} has no master address", mq.broker_name))
                .with_topic(&mq.topic)
        })
    }

    /// The stored offset of `mq`: `Ok(None)` when none is stored (`readOffset(READ_FROM_STORE)`).
    pub async fn read_stored_offset(&self, mq: &MessageQueue) -> Result<Option<i64>> {
        if let Some(store) = &self.local_store {
            return store.read_offset(&self.offsets, mq);
        }
        let addr = self.master_addr(mq).await?;
        let zero_if_not_found = if self.options.strict_consume_from_where { Some(false) } else { None };
        broker_api::query_consumer_offset(&self.instance, &addr, self.group(), mq, zero_if_not_found).await
    }

    /// Where a newly assigned queue starts (`RebalancePushImpl.computePullFromWhereWithException`).
    pub async fn compute_pull_from_where(&self, mq: &MessageQueue) -> Result<i64> {
        if let Some(offset) = self.read_stored_offset(mq).await?.filter(|o| *o >= 0) {
            return Ok(offset);
        }
        let retry = mq.topic.starts_with("%RETRY%");
        match self.options.consume_from_where {
            ConsumeFromWhere::ConsumeFromFirstOffset => Ok(0),
            ConsumeFromWhere::ConsumeFromTimestamp if !retry => {
                let addr = self.master_addr(mq).await?;
                broker_api::search_offset(&self.instance, &addr, mq, self.consume_timestamp_ms).await
            }
            _ if retry && self.options.consume_from_where != ConsumeFromWhere::ConsumeFromTimestamp => Ok(0),
            _ => {
                let addr = self.master_addr(mq).await?;
                broker_api::max_offset(&self.instance, &addr, mq).await
            }
        }
    }

    /// Persist the in-memory offset of `mq` (oneway to the broker, or into the local table).
    pub async fn persist_offset(&self, mq: &MessageQueue, oneway: bool) {
        if let Some(store) = &self.local_store {
            if let Err(e) = store.persist_queues(&self.offsets, std::slice::from_ref(mq)) {
                tracing::warn!(queue = %mq, error = %e, "cannot write the local offset file");
            }
            return;
        }
        let Some(offset) = self.offsets.read(mq) else { return };
        match self.master_addr(mq).await {
            Ok(addr) => {
                if let Err(e) =
                    broker_api::update_consumer_offset(&self.instance, &addr, self.group(), mq, offset, oneway).await
                {
                    tracing::warn!(queue = %mq, error = %e, "cannot persist consumer offset");
                }
            }
            Err(e) => tracing::warn!(queue = %mq, error = %e, "cannot persist consumer offset"),
        }
    }

    /// Persist every assigned queue's offset; broadcasting writes the local file once.
    pub async fn persist_all(&self, oneway: bool) {
        let queues: Vec<MessageQueue> = lock(&self.assigned).keys().cloned().collect();
        if let Some(store) = &self.local_store {
            if let Err(e) = store.persist_queues(&self.offsets, &queues) {
                tracing::warn!(error = %e, "cannot write the local offset file");
            }
            return;
        }
        for mq in &queues {
            self.persist_offset(mq, oneway).await;
        }
    }

    /// The process queue of `mq`, if assigned.
    pub fn process_queue(&self, mq: &MessageQueue) -> Option<Arc<ProcessQueue>> {
        lock(&self.assigned).get(mq).map(|a| a.pq.clone())
    }

    /// Record a consumed offset unless the queue was dropped meanwhile (a dropped queue's
    /// late result must not move the offset of its successor).
    pub fn commit_offset(&self, mq: &MessageQueue, pq: &ProcessQueue, offset: i64) {
        if offset >= 0 && !pq.is_dropped() {
            self.offsets.update(mq, offset, true);
        }
    }

    /// Record the outcome of a lock request for `pq` (stamping the time of a granted lock,
    /// which is what lock expiry is measured from).
    pub fn mark_locked(pq: &ProcessQueue, locked: bool) {
        if locked {
            pq.set_last_lock_timestamp(now_ms());
        }
        pq.set_locked(locked);
    }

    pub fn pull_delay_on_error(&self) -> Duration {
        Duration::from_millis(1000)
    }
}
