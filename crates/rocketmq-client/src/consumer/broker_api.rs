//! The consumer's requests to brokers (`MQClientAPIImpl`): pull, offsets, send-back, group
//! membership, queue locks. Thin typed wrappers: no policy here.

use bytes::Bytes;
use rocketmq_remoting::body::consumer::{
    CheckClientRequestBody, ConsumerListBody, LockBatchRequestBody, LockBatchResponseBody, UnlockBatchRequestBody,
};
use rocketmq_remoting::header::{
    ConsumerGroupHeader, ConsumerSendMsgBackRequestHeader, EmptyHeader, OffsetResponseHeader, PullMessageRequestHeader,
    PullMessageResponseHeader, QueryConsumerOffsetRequestHeader, QueueOffsetRequestHeader, SearchOffsetRequestHeader,
    UpdateConsumerOffsetRequestHeader,
};
use rocketmq_remoting::{request_code, response_code, MessageQueue, RemotingCommand};
use std::collections::HashSet;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::instance::ClientInstance;

/// Timeout of offset, send-back and membership calls (Java: 5000 ms / 3000 ms).
pub const ADMIN_TIMEOUT: Duration = Duration::from_millis(5000);
/// Timeout of LOCK/UNLOCK_BATCH_MQ (Java: 1000 ms).
pub const LOCK_TIMEOUT: Duration = Duration::from_millis(1000);

/// What a pull returned (`PullStatus`).
#[derive(Debug)]
pub enum PullOutcome {
    /// Messages (still encoded: decoding happens in the pull task).
    Found { body: Bytes, header: PullMessageResponseHeader },
    /// Nothing new (after the long-poll hold).
    NoNewMsg(PullMessageResponseHeader),
    /// Everything was filtered out: pull again from `next_begin_offset`.
    NoMatchedMsg(PullMessageResponseHeader),
    /// The requested offset is illegal: restart from `next_begin_offset`.
    OffsetIllegal(PullMessageResponseHeader),
}

/// The master address of `mq`'s broker, refreshing the route once if unknown.
pub async fn master_addr(inst: &std::sync::Arc<ClientInstance>, mq: &MessageQueue) -> Result<String> {
    if let Some(addr) = inst.routes().master_addr(&mq.broker_name) {
        return Ok(addr);
    }
    inst.update_route(&mq.topic, inst.options().request_timeout).await?;
    inst.routes().master_addr(&mq.broker_name).ok_or_else(|| {
        Error::new(crate::error::ErrorKind::RouteNotFound, format!("broker {} has no master address", mq.broker_name))
            .with_topic(&mq.topic)
    })
}

fn expect_success(response: RemotingCommand, addr: &str) -> Result<RemotingCommand> {
    if response.code == response_code::SUCCESS {
        Ok(response)
    } else {
        Err(Error::broker(response.code, response.remark, addr))
    }
}

/// PULL_MESSAGE (11), long-polled by the broker.
pub async fn pull(
    inst: &ClientInstance,
    addr: &str,
    header: PullMessageRequestHeader,
    timeout: Duration,
) -> Result<PullOutcome> {
    let topic = header.topic.clone();
    let response = inst.invoke(addr, inst.request(request_code::PULL_MESSAGE, &header), timeout).await?;
    let decode = |r: &RemotingCommand| -> Result<PullMessageResponseHeader> {
        r.decode_header().map_err(|e| Error::from(e).context("pull response header").with_addr(addr))
    };
    match response.code {
        response_code::SUCCESS => {
            let header = decode(&response)?;
            Ok(PullOutcome::Found { body: response.body, header })
        }
        response_code::PULL_NOT_FOUND => Ok(PullOutcome::NoNewMsg(decode(&response)?)),
        response_code::PULL_RETRY_IMMEDIATELY => Ok(PullOutcome::NoMatchedMsg(decode(&response)?)),
        response_code::PULL_OFFSET_MOVED => Ok(PullOutcome::OffsetIllegal(decode(&response)?)),
        code => Err(Error::broker(code, response.remark, addr).with_topic(topic)),
    }
}

/// QUERY_CONSUMER_OFFSET (14): `Ok(None)` when the broker has no offset for the group.
/// `set_zero_if_not_found: Some(false)` asks a 5.x broker not to answer 0 for a group it has
/// no offset for (`None` leaves the header field out, as Java's push consumer does).
pub async fn query_consumer_offset(
    inst: &ClientInstance,
    addr: &str,
    group: &str,
    mq: &MessageQueue,
    set_zero_if_not_found: Option<bool>,
) -> Result<Option<i64>> {
    let header = QueryConsumerOffsetRequestHeader {
        consumer_group: group.to_owned(),
        topic: mq.topic.clone(),
        queue_id: mq.queue_id,
        set_zero_if_not_found,
        broker_name: Some(mq.broker_name.clone()),
    };
    let response = inst.invoke(addr, inst.request(request_code::QUERY_CONSUMER_OFFSET, &header), ADMIN_TIMEOUT).await?;
    if response.code == response_code::QUERY_NOT_FOUND {
        return Ok(None);
    }
    let response = expect_success(response, addr)?;
    let header: OffsetResponseHeader = response.decode_header().map_err(Error::from)?;
    Ok(Some(header.offset))
}

/// UPDATE_CONSUMER_OFFSET (15); `oneway` as Java's periodic persistence does.
pub async fn update_consumer_offset(
    inst: &ClientInstance,
    addr: &str,
    group: &str,
    mq: &MessageQueue,
    offset: i64,
    oneway: bool,
) -> Result<()> {
    let header = UpdateConsumerOffsetRequestHeader {
        consumer_group: group.to_owned(),
        topic: mq.topic.clone(),
        queue_id: mq.queue_id,
        commit_offset: offset,
        broker_name: Some(mq.broker_name.clone()),
    };
    let request = inst.request(request_code::UPDATE_CONSUMER_OFFSET, &header);
    if oneway {
        return inst.invoke_oneway(addr, request, ADMIN_TIMEOUT).await;
    }
    expect_success(inst.invoke(addr, request, ADMIN_TIMEOUT).await?, addr).map(|_| ())
}

async fn offset_call(
    inst: &ClientInstance,
    addr: &str,
    code: i32,
    header: &impl rocketmq_remoting::header::CommandHeader,
) -> Result<i64> {
    let response = expect_success(inst.invoke(addr, inst.request(code, header), ADMIN_TIMEOUT).await?, addr)?;
    let header: OffsetResponseHeader = response.decode_header().map_err(Error::from)?;
    Ok(header.offset)
}

/// GET_MAX_OFFSET (30): the next offset to be written.
pub async fn max_offset(inst: &ClientInstance, addr: &str, mq: &MessageQueue) -> Result<i64> {
    let header = QueueOffsetRequestHeader {
        topic: mq.topic.clone(),
        queue_id: mq.queue_id,
        broker_name: Some(mq.broker_name.clone()),
    };
    offset_call(inst, addr, request_code::GET_MAX_OFFSET, &header).await
}

/// GET_MIN_OFFSET (31): the smallest offset still stored.
pub async fn min_offset(inst: &ClientInstance, addr: &str, mq: &MessageQueue) -> Result<i64> {
    let header = QueueOffsetRequestHeader {
        topic: mq.topic.clone(),
        queue_id: mq.queue_id,
        broker_name: Some(mq.broker_name.clone()),
    };
    offset_call(inst, addr, request_code::GET_MIN_OFFSET, &header).await
}

/// SEARCH_OFFSET_BY_TIMESTAMP (29).
pub async fn search_offset(inst: &ClientInstance, addr: &str, mq: &MessageQueue, timestamp_ms: i64) -> Result<i64> {
    let header = SearchOffsetRequestHeader {
        topic: mq.topic.clone(),
        queue_id: mq.queue_id,
        timestamp: timestamp_ms,
        broker_name: Some(mq.broker_name.clone()),
    };
    offset_call(inst, addr, request_code::SEARCH_OFFSET_BY_TIMESTAMP, &header).await
}

/// CONSUMER_SEND_MSG_BACK (36): hand a failed message to the broker's retry machinery.
pub async fn send_back(inst: &ClientInstance, addr: &str, header: ConsumerSendMsgBackRequestHeader) -> Result<()> {
    let request = inst.request(request_code::CONSUMER_SEND_MSG_BACK, &header);
    expect_success(inst.invoke(addr, request, ADMIN_TIMEOUT).await?, addr).map(|_| ())
}

/// GET_CONSUMER_LIST_BY_GROUP (38): the client ids of the group's members.
pub async fn consumer_ids(inst: &ClientInstance, addr: &str, group: &str) -> Result<Vec<String>> {
    let header = ConsumerGroupHeader { consumer_group: group.to_owned() };
    let response =
        inst.invoke(addr, inst.request(request_code::GET_CONSUMER_LIST_BY_GROUP, &header), ADMIN_TIMEOUT).await?;
    let response = expect_success(response, addr)?;
    Ok(ConsumerListBody::decode(&response.body).map_err(Error::from)?.consumer_id_list)
}

/// CHECK_CLIENT_CONFIG (46): let the broker validate a non-TAG subscription before consuming
/// (`MQClientAPIImpl.checkClientInBroker`).
pub async fn check_client_config(
    inst: &ClientInstance,
    addr: &str,
    group: &str,
    subscription: &rocketmq_remoting::body::heartbeat::SubscriptionData,
) -> Result<()> {
    let body = CheckClientRequestBody {
        client_id: inst.client_id().to_owned(),
        group: group.to_owned(),
        namespace: None,
        subscription_data: subscription.clone(),
    };
    let request = inst.request(request_code::CHECK_CLIENT_CONFIG, &EmptyHeader).with_body(body.encode());
    expect_success(inst.invoke(addr, request, ADMIN_TIMEOUT).await?, addr).map(|_| ())
}

/// LOCK_BATCH_MQ (41): returns the queues actually locked for this client.
///
/// The body always carries `onlyThisBroker` (false): Java 5.x sends it, 4.9.x brokers ignore
/// it, and rocketmq-rust 1.0 rejects a body without it (code 29, docs/rocketmq-rust-broker.md).
pub async fn lock_batch(
    inst: &ClientInstance,
    addr: &str,
    group: &str,
    mqs: &[MessageQueue],
) -> Result<HashSet<MessageQueue>> {
    let body = LockBatchRequestBody {
        consumer_group: group.to_owned(),
        client_id: inst.client_id().to_owned(),
        only_this_broker: false,
        mq_set: mqs.to_vec(),
    };
    let request = inst.request(request_code::LOCK_BATCH_MQ, &EmptyHeader).with_body(body.encode());
    let response = expect_success(inst.invoke(addr, request, LOCK_TIMEOUT).await?, addr)?;
    Ok(LockBatchResponseBody::decode(&response.body).map_err(Error::from)?.lock_ok_mq_set.into_iter().collect())
}

/// UNLOCK_BATCH_MQ (42); oneway when a rebalance drops queues, synchronous at shutdown.
pub async fn unlock_batch(
    inst: &ClientInstance,
    addr: &str,
    group: &str,
    mqs: &[MessageQueue],
    oneway: bool,
) -> Result<()> {
    let body = UnlockBatchRequestBody {
        consumer_group: group.to_owned(),
        client_id: inst.client_id().to_owned(),
        only_this_broker: false,
        mq_set: mqs.to_vec(),
    };
    let request = inst.request(request_code::UNLOCK_BATCH_MQ, &EmptyHeader).with_body(body.encode());
    if oneway {
        return inst.invoke_oneway(addr, request, LOCK_TIMEOUT).await;
    }
    expect_success(inst.invoke(addr, request, LOCK_TIMEOUT).await?, addr).map(|_| ())
}
