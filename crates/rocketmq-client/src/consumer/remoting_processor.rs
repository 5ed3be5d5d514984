//! Requests brokers send to a consumer (Java `ClientRemotingProcessor`, the consumer half):
//! membership changes, offset resets, running info for `mqadmin consumerStatus`, direct
//! consumption, consumer status. This file decodes and answers; what each request does is
//! the consumer's ([`ProcessorTarget`]). The client instance routes a request here by group.

use rocketmq_remoting::body::consumer::{
    CMResult, ConsumeMessageDirectlyResult, ConsumerRunningInfo, GetConsumerStatusBody, ResetOffsetBody,
};
use rocketmq_remoting::header::{GetConsumerStatusRequestHeader, ResetOffsetRequestHeader};
use rocketmq_remoting::message::stored::{decode_messages, MessageExt};
use rocketmq_remoting::{request_code, response_code, MessageQueue, RemotingCommand};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Instant;

use super::consume_service::restore_retry_topic;
use super::listener::ConsumeResult;
use crate::namespace::Namespace;

/// What a consumer does for the broker's requests.
pub(crate) trait ProcessorTarget: Send + Sync {
    fn group(&self) -> &str;
    /// The consumer's v1 namespace (stripped from directly consumed messages).
    fn namespace(&self) -> Namespace {
        Namespace::default()
    }
    /// Whether the consumer is orderly (reported by direct consumption).
    fn orderly(&self) -> bool;
    /// NOTIFY_CONSUMER_IDS_CHANGED: rebalance soon.
    fn rebalance_soon(&self);
    /// RESET_CONSUMER_CLIENT_OFFSET: restart these queues of `topic` from these offsets.
    fn reset_offsets(&self, topic: &str, offsets: Vec<(MessageQueue, i64)>) -> impl Future<Output = ()> + Send;
    /// GET_CONSUMER_RUNNING_INFO.
    fn running_info(&self) -> ConsumerRunningInfo;
    /// GET_CONSUMER_STATUS_FROM_CLIENT: the offsets of the held queues of `topic`.
    fn queue_offsets(&self, topic: &str) -> Vec<(MessageQueue, i64)>;
    /// CONSUME_MESSAGE_DIRECTLY: run the listener once; an error remark when there is none, it
    /// could not run or it panicked.
    fn consume_directly(
        &self,
        msgs: Vec<MessageExt>,
        mq: MessageQueue,
    ) -> impl Future<Output = Result<ConsumeResult, String>> + Send;
}

fn error_response(request: &RemotingCommand, remark: String) -> RemotingCommand {
    RemotingCommand::response(response_code::SYSTEM_ERROR, request.opaque, Some(remark))
}

/// Serve one broker request addressed to `target`'s group.
pub(crate) async fn process(target: &impl ProcessorTarget, request: RemotingCommand) -> Option<RemotingCommand> {
    match request.code {
        request_code::NOTIFY_CONSUMER_IDS_CHANGED => {
            tracing::debug!(group = %target.group(), "consumer ids changed: rebalancing now");
            target.rebalance_soon();
            None
        }
        request_code::RESET_CONSUMER_CLIENT_OFFSET => {
            reset_offsets(target, &request).await;
            None
        }
        request_code::GET_CONSUMER_RUNNING_INFO => {
            let body = target.running_info().encode();
            Some(RemotingCommand::response(response_code::SUCCESS, request.opaque, None).with_body(body))
        }
        request_code::GET_CONSUMER_STATUS_FROM_CLIENT => Some(consumer_status(target, &request)),
        request_code::CONSUME_MESSAGE_DIRECTLY => Some(consume_directly(target, request).await),
        _ => Some(rocketmq_remoting::connection::not_supported(&request)),
    }
}

/// RESET_CONSUMER_CLIENT_OFFSET (`MQClientInstance.resetOffset`).
async fn reset_offsets(target: &impl ProcessorTarget, request: &RemotingCommand) {
    let header: ResetOffsetRequestHeader = match request.decode_header() {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, "bad reset-offset request");
            return;
        }
    };
    let table = match ResetOffsetBody::decode(&request.body) {
        Ok(b) => b.offset_table,
        Err(e) => {
            tracing::warn!(error = %e, "bad reset-offset body");
            return;
        }
    };
    tracing::info!(group = %target.group(), topic = %header.topic, queues = table.len(), "broker asked to reset offsets");
    let table: Vec<(MessageQueue, i64)> = table.into_iter().filter(|(mq, _)| mq.topic == header.topic).collect();
    target.reset_offsets(&header.topic, table).await;
}

fn consumer_status(target: &impl ProcessorTarget, request: &RemotingCommand) -> RemotingCommand {
    let header: GetConsumerStatusRequestHeader = match request.decode_header() {
        Ok(h) => h,
        Err(e) => return error_response(request, e.to_string()),
    };
    let body = GetConsumerStatusBody {
        message_queue_table: target.queue_offsets(&header.topic),
        consumer_table: BTreeMap::new(),
    };
    RemotingCommand::response(response_code::SUCCESS, request.opaque, None).with_body(body.encode())
}

/// CONSUME_MESSAGE_DIRECTLY (`mqadmin consumeMessage` / `queryMsgById -g -d`).
async fn consume_directly(target: &impl ProcessorTarget, request: RemotingCommand) -> RemotingCommand {
    let opaque = request.opaque;
    let mut msgs = match decode_messages(request.body.clone()) {
        Ok(m) if !m.is_empty() => m,
        Ok(_) => return error_response(&request, "no message in the request body".to_owned()),
        Err(e) => return error_response(&request, format!("undecodable message: {e}")),
    };
    restore_retry_topic(&mut msgs, &super::retry_topic(target.group()), &target.namespace());
    let broker_name = request.ext_fields.get("brokerName").unwrap_or_default().to_owned();
    let queue = MessageQueue::new(msgs[0].topic.clone(), broker_name, msgs[0].queue_id);
    let started = Instant::now();
    let (result, remark) = match target.consume_directly(msgs, queue).await {
        Ok(ConsumeResult::Success) => (CMResult::CrSuccess, None),
        Ok(ConsumeResult::Partial(_) | ConsumeResult::ReconsumeLater) => (CMResult::CrLater, None),
        Err(remark) => (CMResult::CrThrowException, Some(remark)),
    };
    let body = ConsumeMessageDirectlyResult {
        order: target.orderly(),
        auto_commit: true,
        consume_result: Some(result),
        remark,
        spent_time_mills: started.elapsed().as_millis() as i64,
    };
    RemotingCommand::response(response_code::SUCCESS, opaque, None).with_body(body.encode())
}
