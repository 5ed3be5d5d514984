//! Requests the broker sends to a consumer (`ClientRemotingProcessor`): membership changes,
//! offset resets, running info for `mqadmin consumerStatus`, direct consumption, status.

use rocketmq_remoting::body::consumer::{
    CMResult, ConsumeMessageDirectlyResult, ConsumeStatus, ConsumerRunningInfo, GetConsumerStatusBody, ResetOffsetBody,
};
use rocketmq_remoting::header::{GetConsumerStatusRequestHeader, ResetOffsetRequestHeader};
use rocketmq_remoting::message::stored::decode_messages;
use rocketmq_remoting::{request_code, response_code, MessageQueue, RemotingCommand};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use super::consume::restore_retry_topic;
use super::core::{lock, retry_topic, Core};
use super::listener::{ConsumeContext, ConsumeResult};

fn error_response(request: &RemotingCommand, remark: String) -> RemotingCommand {
    RemotingCommand::response(response_code::SYSTEM_ERROR, request.opaque, Some(remark))
}

impl Core {
    /// Serve one broker request addressed to this consumer.
    pub(crate) async fn handle_broker_request(self: Arc<Self>, request: RemotingCommand) -> Option<RemotingCommand> {
        match request.code {
            request_code::NOTIFY_CONSUMER_IDS_CHANGED => {
                tracing::debug!(group = %self.group(), "consumer ids changed: rebalancing now");
                self.rebalance_now.notify_one();
                None
            }
            request_code::RESET_CONSUMER_CLIENT_OFFSET => {
                self.reset_offsets(&request).await;
                None
            }
            request_code::GET_CONSUMER_RUNNING_INFO => {
                let body = self.running_info().encode();
                Some(RemotingCommand::response(response_code::SUCCESS, request.opaque, None).with_body(body))
            }
            request_code::GET_CONSUMER_STATUS_FROM_CLIENT => Some(self.consumer_status(&request)),
            request_code::CONSUME_MESSAGE_DIRECTLY => Some(self.consume_directly(request).await),
            _ => Some(rocketmq_remoting::connection::not_supported(&request)),
        }
    }

    /// RESET_CONSUMER_CLIENT_OFFSET (`MQClientInstance.resetOffset`): drop the affected queues,
    /// store the new offsets on the broker, let the next rebalance recreate the queues.
    async fn reset_offsets(self: &Arc<Self>, request: &RemotingCommand) {
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
        tracing::info!(group = %self.group(), topic = %header.topic, queues = table.len(), "broker asked to reset offsets");
        for (mq, offset) in table {
            if mq.topic != header.topic {
                continue;
            }
            if let Some(pq) = self.process_queue(&mq) {
                pq.set_dropped(true);
                if let Some(a) = lock(&self.assigned).remove(&mq) {
                    a.pull_task.abort();
                }
            }
            self.offsets.update(&mq, offset, false);
            self.persist_offset(&mq, false).await;
            self.offsets.remove(&mq);
        }
        self.rebalance_now.notify_one();
    }

    /// GET_CONSUMER_RUNNING_INFO: what `mqadmin consumerStatus` prints.
    pub(crate) fn running_info(&self) -> ConsumerRunningInfo {
        let mut properties = BTreeMap::new();
        properties.insert(
            ConsumerRunningInfo::PROP_NAMESERVER_ADDR.to_owned(),
            self.instance.options().namesrv_addrs.join(";"),
        );
        properties.insert(ConsumerRunningInfo::PROP_CONSUME_TYPE.to_owned(), "CONSUME_PASSIVELY".to_owned());
        properties.insert(ConsumerRunningInfo::PROP_CONSUME_ORDERLY.to_owned(), self.options.orderly.to_string());
        properties.insert(
            ConsumerRunningInfo::PROP_THREADPOOL_CORE_SIZE.to_owned(),
            self.options.consume_thread_count.to_string(),
        );
        properties.insert(
            ConsumerRunningInfo::PROP_CLIENT_VERSION.to_owned(),
            format!("rocketmq-py {}", env!("CARGO_PKG_VERSION")),
        );
        properties
            .insert(ConsumerRunningInfo::PROP_CONSUMER_START_TIMESTAMP.to_owned(), self.started_at_ms.to_string());
        properties.insert("messageModel".to_owned(), self.options.message_model.as_str().to_owned());
        properties.insert("consumeFromWhere".to_owned(), self.options.consume_from_where.as_str().to_owned());
        properties.insert("consumeMessageBatchMaxSize".to_owned(), self.options.consume_batch_max_size.to_string());
        properties.insert("pullBatchSize".to_owned(), self.options.pull_batch_size.to_string());
        properties.insert("maxReconsumeTimes".to_owned(), self.options.effective_max_reconsume_times().to_string());
        properties.insert("allocateMessageQueueStrategy".to_owned(), self.options.allocate_strategy.name().to_owned());
        let mut mq_table: Vec<_> = lock(&self.assigned)
            .iter()
            .map(|(mq, a)| (mq.clone(), a.pq.info(self.offsets.read(mq).unwrap_or(-1))))
            .collect();
        mq_table.sort_by(|a, b| a.0.cmp(&b.0));
        let snapshot = self.stats.snapshot();
        let status = ConsumeStatus {
            pull_rt: snapshot.pull_rt_ms,
            pull_tps: snapshot.pull_tps,
            consume_rt: snapshot.consume_rt_ms,
            consume_ok_tps: snapshot.consume_ok_tps,
            consume_failed_tps: snapshot.consume_failed_tps,
            consume_failed_msgs: snapshot.consume_failed_msgs as i64,
        };
        let status_table = self.subscribed_topics().into_iter().map(|t| (t, status.clone())).collect();
        ConsumerRunningInfo {
            properties,
            subscription_set: self.consumer_data().subscription_data_set,
            mq_table,
            status_table,
            jstack: None,
        }
    }

    fn consumer_status(&self, request: &RemotingCommand) -> RemotingCommand {
        let header: GetConsumerStatusRequestHeader = match request.decode_header() {
            Ok(h) => h,
            Err(e) => return error_response(request, e.to_string()),
        };
        let table: Vec<(MessageQueue, i64)> = lock(&self.assigned)
            .keys()
            .filter(|mq| mq.topic == header.topic)
            .map(|mq| (mq.clone(), self.offsets.read(mq).unwrap_or(-1)))
            .collect();
        let body = GetConsumerStatusBody { message_queue_table: table, consumer_table: BTreeMap::new() };
        RemotingCommand::response(response_code::SUCCESS, request.opaque, None).with_body(body.encode())
    }

    /// CONSUME_MESSAGE_DIRECTLY (`mqadmin consumeMessage` / `queryMsgById -g -d`): run the
    /// listener on one message outside the normal flow; nothing is committed or sent back.
    async fn consume_directly(self: &Arc<Self>, request: RemotingCommand) -> RemotingCommand {
        let opaque = request.opaque;
        let mut msgs = match decode_messages(request.body.clone()) {
            Ok(m) if !m.is_empty() => m,
            Ok(_) => return error_response(&request, "no message in the request body".to_owned()),
            Err(e) => return error_response(&request, format!("undecodable message: {e}")),
        };
        restore_retry_topic(&mut msgs, &retry_topic(self.group()));
        let broker_name = request.ext_fields.get("brokerName").unwrap_or_default().to_owned();
        let queue = MessageQueue::new(msgs[0].topic.clone(), broker_name, msgs[0].queue_id);
        let core = self.clone();
        let started = Instant::now();
        let outcome = tokio::task::spawn_blocking(move || {
            let context = ConsumeContext { queue, orderly: core.options.orderly };
            catch_unwind(AssertUnwindSafe(|| core.listener.consume(&msgs, &context)))
        })
        .await;
        let (result, remark) = match outcome {
            Ok(Ok(ConsumeResult::Success)) => (CMResult::CrSuccess, None),
            Ok(Ok(ConsumeResult::Partial(_))) | Ok(Ok(ConsumeResult::ReconsumeLater)) => (CMResult::CrLater, None),
            Ok(Err(_)) | Err(_) => (CMResult::CrThrowException, Some("the listener panicked".to_owned())),
        };
        let body = ConsumeMessageDirectlyResult {
            order: self.options.orderly,
            auto_commit: true,
            consume_result: Some(result),
            remark,
            spent_time_mills: started.elapsed().as_millis() as i64,
        };
        RemotingCommand::response(response_code::SUCCESS, opaque, None).with_body(body.encode())
    }
}
