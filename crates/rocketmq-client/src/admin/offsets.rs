//! Queue offsets (SEARCH_OFFSET_BY_TIMESTAMP, GET_MIN/MAX_OFFSET, GET_EARLIEST_MSG_STORETIME)
//! and resetting a group's offsets to a time (INVOKE_BROKER_TO_RESET_OFFSET, with Java's
//! fallback for a group that has no consumer online).

use rocketmq_remoting::body::ResetOffsetBody;
use rocketmq_remoting::header::{
    GetEarliestMsgStoretimeResponseHeader, OffsetResponseHeader, QueueOffsetRequestHeader, ResetOffsetRequestHeader,
    SearchOffsetRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use rocketmq_remoting::{request_code, response_code, MessageQueue};

use super::Admin;
use crate::error::{Error, ErrorKind, Result};

/// What [`Admin::reset_offset_by_time`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetOffsetResult {
    /// The new offset of each queue, sorted by queue.
    pub offsets: Vec<(MessageQueue, i64)>,
    /// `false`: the brokers did the reset (INVOKE_BROKER_TO_RESET_OFFSET). A 5.x broker
    /// (`useServerSideResetOffset`, the default) stores the new offsets and hands them to the
    /// consumers on their next pull; a 4.x broker tells the online consumers to jump
    /// (RESET_CONSUMER_CLIENT_OFFSET). `true`: a 4.x broker found no consumer online
    /// (CONSUMER_NOT_ONLINE), so the stored offsets were rewritten here with
    /// UPDATE_CONSUMER_OFFSET (Java's `resetOffsetByTimestampOld`); the group starts there when
    /// it next starts.
    pub rewrote_stored_offsets: bool,
}

impl Admin {
    /// The master address of `mq`'s broker, from the route of `mq.topic`.
    pub(super) async fn queue_master(&self, mq: &MessageQueue) -> Result<String> {
        let route = self.topic_route(&mq.topic).await?;
        route.broker_data(&mq.broker_name).and_then(|b| b.master_addr()).map(str::to_owned).ok_or_else(|| {
            Error::new(ErrorKind::RouteNotFound, format!("broker {} has no master in the route", mq.broker_name))
                .with_topic(&mq.topic)
        })
    }

    /// The queues of `topic` (read queues of every broker in its route), sorted.
    pub async fn topic_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        let route = self.topic_route(topic).await?;
        let mut queues: Vec<MessageQueue> = route
            .queue_datas
            .iter()
            .flat_map(|q| (0..q.read_queue_nums).map(move |i| MessageQueue::new(topic, q.broker_name.clone(), i)))
            .collect();
        queues.sort();
        Ok(queues)
    }

    async fn queue_request(
        &self,
        mq: &MessageQueue,
        code: i32,
        what: &str,
    ) -> Result<rocketmq_remoting::RemotingCommand> {
        let addr = self.queue_master(mq).await?;
        let header = QueueOffsetRequestHeader { topic: mq.topic.clone(), queue_id: mq.queue_id, broker_name: None };
        self.broker(&addr, self.request(code, &header), what).await.map_err(|e| e.with_topic(&mq.topic))
    }

    /// GET_MAX_OFFSET: the next offset to be written in `mq`.
    pub async fn max_offset(&self, mq: &MessageQueue) -> Result<i64> {
        let response = self.queue_request(mq, request_code::GET_MAX_OFFSET, "max offset").await?;
        Ok(response.decode_header::<OffsetResponseHeader>()?.offset)
    }

    /// GET_MIN_OFFSET: the oldest offset still stored in `mq`.
    pub async fn min_offset(&self, mq: &MessageQueue) -> Result<i64> {
        let response = self.queue_request(mq, request_code::GET_MIN_OFFSET, "min offset").await?;
        Ok(response.decode_header::<OffsetResponseHeader>()?.offset)
    }

    /// GET_EARLIEST_MSG_STORETIME: the store time (ms) of the oldest message in `mq`.
    pub async fn earliest_msg_store_time(&self, mq: &MessageQueue) -> Result<i64> {
        let response = self.queue_request(mq, request_code::GET_EARLIEST_MSG_STORETIME, "earliest store time").await?;
        Ok(response.decode_header::<GetEarliestMsgStoretimeResponseHeader>()?.timestamp)
    }

    /// SEARCH_OFFSET_BY_TIMESTAMP: the offset of the first message of `mq` stored at or after
    /// `timestamp_ms` (the max offset when there is none).
    pub async fn search_offset(&self, mq: &MessageQueue, timestamp_ms: i64) -> Result<i64> {
        let addr = self.queue_master(mq).await?;
        let header = SearchOffsetRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            timestamp: timestamp_ms,
            broker_name: None,
        };
        let request = self.request(request_code::SEARCH_OFFSET_BY_TIMESTAMP, &header);
        let response = self.broker(&addr, request, "search offset").await.map_err(|e| e.with_topic(&mq.topic))?;
        Ok(response.decode_header::<OffsetResponseHeader>()?.offset)
    }

    /// Reset `group`'s offsets on `topic` to the first message stored at or after
    /// `timestamp_ms` (`mqadmin resetOffsetByTime`). Unless `force`, a queue only moves back
    /// (a new offset beyond the current one is not taken), as in Java.
    ///
    /// INVOKE_BROKER_TO_RESET_OFFSET goes to each master of the topic (see
    /// [`ResetOffsetResult::rewrote_stored_offsets`] for what the broker does). When a 4.x
    /// broker answers CONSUMER_NOT_ONLINE, the stored offsets are rewritten with
    /// UPDATE_CONSUMER_OFFSET instead (Java's `resetOffsetByTimestampOld` fallback).
    pub async fn reset_offset_by_time(
        &self,
        group: &str,
        topic: &str,
        timestamp_ms: i64,
        force: bool,
    ) -> Result<ResetOffsetResult> {
        crate::validation::check_group(group)?;
        let header = ResetOffsetRequestHeader {
            group: group.to_owned(),
            topic: topic.to_owned(),
            timestamp: Some(timestamp_ms),
            is_force: Some(force),
            queue_id: Some(-1),
            offset: None,
        };
        let mut offsets = Vec::new();
        for (_, addr) in self.route_masters(topic).await? {
            let request = self.request(request_code::INVOKE_BROKER_TO_RESET_OFFSET, &header);
            match self.broker(&addr, request, "reset offset").await {
                Ok(response) if !response.body.is_empty() => {
                    offsets.extend(ResetOffsetBody::decode(&response.body)?.offset_table);
                }
                Ok(_) => {}
                Err(e) if e.response_code() == Some(response_code::CONSUMER_NOT_ONLINE) => {
                    tracing::info!(%group, %topic, "no consumer online: rewriting the stored offsets");
                    return self.reset_offset_stored(group, topic, timestamp_ms, force).await;
                }
                Err(e) => return Err(e.with_topic(topic)),
            }
        }
        offsets.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(ResetOffsetResult { offsets, rewrote_stored_offsets: false })
    }

    /// `resetOffsetByTimestampOld`: for each queue the group has an offset on, search the
    /// offset of `timestamp_ms` and store it with UPDATE_CONSUMER_OFFSET.
    async fn reset_offset_stored(
        &self,
        group: &str,
        topic: &str,
        timestamp_ms: i64,
        force: bool,
    ) -> Result<ResetOffsetResult> {
        let stats = self.consume_stats(group, Some(topic)).await?;
        let mut offsets = Vec::new();
        for (mq, progress) in stats.offset_table.into_iter().filter(|(mq, _)| mq.topic == topic) {
            let found = self.search_offset(&mq, timestamp_ms).await?;
            let offset = if force || found < progress.consumer_offset { found } else { progress.consumer_offset };
            let addr = self.queue_master(&mq).await?;
            let header = UpdateConsumerOffsetRequestHeader {
                consumer_group: group.to_owned(),
                topic: mq.topic.clone(),
                queue_id: mq.queue_id,
                commit_offset: offset,
                broker_name: None,
            };
            let request = self.request(request_code::UPDATE_CONSUMER_OFFSET, &header);
            self.broker(&addr, request, "update consumer offset").await.map_err(|e| e.with_topic(topic))?;
            offsets.push((mq, offset));
        }
        Ok(ResetOffsetResult { offsets, rewrote_stored_offsets: true })
    }
}
