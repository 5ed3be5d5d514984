//! Building trace records from sends and listener calls (Java `SendMessageTraceHookImpl`,
//! `ConsumeMessageTraceHookImpl`, and the hook calls of `DefaultMQProducerImpl.sendKernelImpl`
//! and `ConsumeMessageConcurrentlyService.ConsumeRequest`).

use rocketmq_remoting::message::keys;
use rocketmq_remoting::message::properties::Properties;
use rocketmq_remoting::message::stored::MessageExt;
use rocketmq_remoting::message::uniq_id;

use super::data::{
    or_null, ConsumeReturnType, MessageType, TraceBean, TraceContext, TraceType, DEFAULT_TRACE_REGION_ID,
};
use crate::consumer::ConsumeResult;
use crate::producer::PreparedMessage;
use crate::send_result::{SendResult, SendStatus};

/// Epoch milliseconds now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The Pub record of a send the broker answered (`sendMessageBefore` + `sendMessageAfter`):
/// `started_ms` is when the attempt began; `result` as the user gets it (names without a
/// namespace). `None` for sends to the trace topic itself. Failed
/// attempts get no record, as in Java (no send result).
pub fn pub_context(
    group: &str,
    trace_topic: &str,
    prepared: &PreparedMessage,
    result: &SendResult,
    started_ms: i64,
) -> Option<TraceContext> {
    // The result's topic is the user's (without a namespace, as Java's hook writes it).
    let topic = &result.queue.topic;
    if topic.starts_with(trace_topic) {
        return None;
    }
    let props = Properties::decode(&prepared.properties);
    let msg_type = if props.get(keys::DELAY).is_some()
        || props.get("__STARTDELIVERTIME").is_some()
        || props.get(keys::TIMER_DELIVER_MS).is_some()
        || props.get(keys::TIMER_DELAY_SEC).is_some()
        || props.get(keys::TIMER_DELAY_MS).is_some()
    {
        MessageType::Delay
    } else if props.get(keys::TRAN_MSG) == Some("true") {
        MessageType::TransHalf
    } else {
        MessageType::Normal
    };
    let mut ctx = TraceContext::new(TraceType::Pub, started_ms);
    ctx.group = group.to_owned();
    ctx.cost_time = i32::try_from(now_ms() - started_ms).unwrap_or(i32::MAX).max(0);
    ctx.success = result.status == SendStatus::Ok;
    ctx.region_id =
        result.region_id.clone().filter(|r| !r.is_empty()).unwrap_or_else(|| DEFAULT_TRACE_REGION_ID.to_owned());
    ctx.beans.push(TraceBean {
        topic: topic.clone(),
        msg_id: result.msg_id.clone(),
        offset_msg_id: result.offset_msg_id.clone(),
        tags: or_null(props.get(keys::TAGS)),
        keys: or_null(props.get(keys::KEYS)),
        store_host: result.broker_addr.clone(),
        body_length: i32::try_from(prepared.body.len()).unwrap_or(i32::MAX),
        msg_type,
        ..Default::default()
    });
    Some(ctx)
}

/// The SubBefore record of a listener call (`consumeMessageBefore`); `None` when every message
/// has tracing switched off (`TRACE_ON=false`).
pub fn sub_before<M: std::borrow::Borrow<MessageExt>>(group: &str, msgs: &[M]) -> Option<TraceContext> {
    let mut ctx = TraceContext::new(TraceType::SubBefore, now_ms());
    ctx.group = group.to_owned();
    ctx.request_id = uniq_id::create_uniq_id();
    for msg in msgs {
        let msg: &MessageExt = msg.borrow();
        if msg.property(keys::TRACE_ON) == Some("false") {
            continue;
        }
        ctx.region_id = or_null(msg.property(keys::MSG_REGION));
        ctx.beans.push(TraceBean {
            topic: msg.topic.clone(),
            msg_id: msg.msg_id(),
            tags: or_null(msg.tags()),
            keys: or_null(msg.keys()),
            body_length: msg.store_size,
            retry_times: msg.reconsume_times,
            ..Default::default()
        });
    }
    (!ctx.beans.is_empty()).then_some(ctx)
}

/// The SubAfter record matching `before` (`consumeMessageAfter`): `verdict` is `None` when the
/// listener panicked (or raised); the cost is per message of the call.
pub fn sub_after(before: &TraceContext, verdict: Option<ConsumeResult>, msgs_in_call: usize) -> TraceContext {
    let now = now_ms();
    let mut ctx = TraceContext::new(TraceType::SubAfter, now);
    ctx.region_id = before.region_id.clone();
    ctx.group = before.group.clone();
    ctx.request_id = before.request_id.clone();
    let (success, code) = match verdict {
        None => (false, ConsumeReturnType::Exception),
        Some(ConsumeResult::ReconsumeLater) => (false, ConsumeReturnType::Failed),
        // Java: CONSUME_SUCCESS (an ack index below the batch is still a success verdict).
        Some(ConsumeResult::Success | ConsumeResult::Partial(_)) => (true, ConsumeReturnType::Success),
    };
    ctx.success = success;
    ctx.context_code = code as i32;
    let per_msg = (now - before.timestamp) / msgs_in_call.max(1) as i64;
    ctx.cost_time = i32::try_from(per_msg).unwrap_or(i32::MAX).max(0);
    ctx.beans = before.beans.clone();
    ctx
}

/// What an EndTransaction record is made of (Java `EndTransactionContext`).
#[derive(Debug)]
pub struct EndTransaction<'a> {
    /// The producer group.
    pub group: &'a str,
    /// The half message (its topic, tags, keys, region).
    pub msg: &'a crate::message::Message,
    /// The broker END_TRANSACTION goes to.
    pub broker_addr: &'a str,
    /// The message's client id (`UNIQ_KEY`), which is also its transaction id in Java.
    pub msg_id: &'a str,
    /// The state sent.
    pub state: crate::producer::LocalTransactionState,
    /// Whether this answers a broker's check.
    pub from_check: bool,
}

/// The EndTransaction record of an END_TRANSACTION (`EndTransactionTraceHookImpl`).
pub fn end_transaction(e: &EndTransaction<'_>) -> TraceContext {
    let mut ctx = TraceContext::new(TraceType::EndTransaction, now_ms());
    ctx.group = e.group.to_owned();
    ctx.region_id =
        e.msg.property(keys::MSG_REGION).filter(|r| !r.is_empty()).unwrap_or(DEFAULT_TRACE_REGION_ID).to_owned();
    ctx.beans.push(TraceBean {
        topic: e.msg.topic().to_owned(),
        msg_id: e.msg_id.to_owned(),
        tags: or_null(e.msg.tags()),
        keys: or_null(e.msg.keys()),
        store_host: e.broker_addr.to_owned(),
        msg_type: MessageType::TransCommit,
        transaction_id: e.msg_id.to_owned(),
        transaction_state: e.state.java_name().to_owned(),
        from_transaction_check: e.from_check,
        ..Default::default()
    });
    ctx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::producer::LocalTransactionState;
    use crate::trace::data::encode;

    #[test]
    fn end_transaction_records_follow_javas_field_order() {
        let mut msg = crate::message::Message::new("TxTopic", "b");
        msg.set_tags("TagT");
        let mut ctx = end_transaction(&EndTransaction {
            group: "txg",
            msg: &msg,
            broker_addr: "127.0.0.1:10911",
            msg_id: "ID1",
            state: LocalTransactionState::RollbackMessage,
            from_check: true,
        });
        ctx.timestamp = 42;
        // EndTransaction, timestamp, region, group, topic, msgId, tags, keys, storeHost,
        // msgType, transactionId, transactionState, fromTransactionCheck.
        let want = "EndTransaction\u{1}42\u{1}DefaultRegion\u{1}txg\u{1}TxTopic\u{1}ID1\u{1}TagT\u{1}null\u{1}127.0.0.1:10911\u{1}2\u{1}ID1\u{1}ROLLBACK_MESSAGE\u{1}true\u{2}";
        assert_eq!(encode(&ctx).data, want);
        let back = crate::trace::data::decode(want).unwrap_or_default();
        assert_eq!(back, vec![ctx]);
    }
}
