//! Request-reply (Java `DefaultMQProducer.request`, `RequestFutureHolder`,
//! `MessageUtil.createReplyMessage`, `ClientRemotingProcessor.receiveReplyMessage`): the
//! requester tags its message with CORRELATION_ID, REPLY_TO_CLIENT and TTL and waits; the broker
//! pushes the replier's reply (PUSH_REPLY_MESSAGE_TO_CLIENT) to this client id, and the instance's
//! [`ReplyTable`] completes the waiter of that correlation id. A waiter leaves the table when its
//! request returns (reply, timeout or error), so expired waiters never accumulate.

use rocketmq_remoting::message::compression::{decompress, CompressionType};
use rocketmq_remoting::message::keys;
use rocketmq_remoting::message::properties::Properties;
use rocketmq_remoting::message::stored::MessageExt;
use rocketmq_remoting::message::sysflag::MessageSysFlag;
use rocketmq_remoting::{response_code, RemotingCommand};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::oneshot;

use super::Producer;
use crate::error::{Error, ErrorKind, Result};
use crate::message::Message;

/// Pending requests by correlation id.
#[derive(Default, Debug)]
pub struct ReplyTable {
    waiters: Mutex<HashMap<String, oneshot::Sender<MessageExt>>>,
}

impl ReplyTable {
    fn insert(&self, id: String) -> oneshot::Receiver<MessageExt> {
        let (tx, rx) = oneshot::channel();
        self.waiters.lock().unwrap_or_else(|p| p.into_inner()).insert(id, tx);
        rx
    }

    fn remove(&self, id: &str) {
        self.waiters.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }

    /// How many requests are waiting.
    pub fn len(&self) -> usize {
        self.waiters.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether none is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// PUSH_REPLY_MESSAGE_TO_CLIENT: complete the waiter, answer SUCCESS (SYSTEM_ERROR when the
    /// push carries no correlation id).
    pub(crate) fn on_push(&self, request: &RemotingCommand) -> RemotingCommand {
        let ext = &request.ext_fields;
        let properties = Properties::decode(ext.get("properties").unwrap_or_default());
        let Some(id) = properties.get(keys::CORRELATION_ID).map(str::to_owned) else {
            return RemotingCommand::response(
                response_code::SYSTEM_ERROR,
                request.opaque,
                Some("reply message without CORRELATION_ID".to_owned()),
            );
        };
        let parse = |k: &str| ext.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        let sys_flag = parse("sysFlag") as i32;
        let mut body = request.body.clone();
        if sys_flag & MessageSysFlag::COMPRESSED_FLAG != 0 {
            let inflated = CompressionType::from_sys_flag(sys_flag).and_then(|kind| decompress(&body, kind));
            match inflated {
                Ok(b) => body = b.into(),
                Err(e) => {
                    return RemotingCommand::response(
                        response_code::SYSTEM_ERROR,
                        request.opaque,
                        Some(format!("undecodable reply body: {e}")),
                    )
                }
            }
        }
        let msg = MessageExt {
            topic: ext.get("topic").unwrap_or_default().to_owned(),
            queue_id: parse("queueId") as i32,
            flag: parse("flag") as i32,
            sys_flag: sys_flag & !MessageSysFlag::COMPRESSED_FLAG,
            born_timestamp: parse("bornTimestamp"),
            store_timestamp: parse("storeTimestamp"),
            body,
            properties,
            ..MessageExt::default()
        };
        match self.waiters.lock().unwrap_or_else(|p| p.into_inner()).remove(&id) {
            Some(tx) => {
                let _ = tx.send(msg);
            }
            None => tracing::warn!(correlation_id = %id, "reply for no pending request (timed out?)"),
        }
        RemotingCommand::response(response_code::SUCCESS, request.opaque, None)
    }
}

struct Waiting<'a>(&'a ReplyTable, String);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.remove(&self.1);
    }
}

impl Producer {
    /// Send `msg` as a request and wait up to `timeout` for its reply (Java `request(msg, timeout)`).
    pub async fn request(&self, msg: &Message, timeout: Duration) -> Result<MessageExt> {
        let instance = self.instance()?.clone();
        let deadline = tokio::time::Instant::now() + timeout;
        let id = rocketmq_remoting::message::uniq_id::create_uniq_id();
        let mut request = msg.clone();
        request.put_property(keys::CORRELATION_ID, &id)?;
        request.put_property(keys::REPLY_TO_CLIENT, instance.client_id())?;
        request.put_property(keys::TTL, &timeout.as_millis().to_string())?;
        let table = instance.replies();
        let rx = table.insert(id.clone());
        let _waiting = Waiting(table, id.clone());
        // Every broker must know this client id before the reply comes (Java sends a heartbeat).
        self.publish_info(&instance, &self.namespace().wrap(msg.topic()), deadline).await?;
        instance.send_heartbeat_to_all().await;
        self.send_with_timeout(&request, super::remaining(deadline)).await?;
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(mut reply)) => {
                self.namespace().unwrap_messages(std::slice::from_mut(&mut reply));
                Ok(reply)
            }
            Ok(Err(_)) => Err(Error::new(ErrorKind::Shutdown, "the client shut down before the reply came")),
            Err(_) => Err(Error::new(
                ErrorKind::Timeout,
                format!("no reply within {} ms (correlation id {id})", timeout.as_millis()),
            )
            .with_topic(msg.topic())),
        }
    }
}

/// Build the reply to a received request (Java `MessageUtil.createReplyMessage`): topic
/// `<CLUSTER>_REPLY_TOPIC`, `MSG_TYPE=reply`, CORRELATION_ID, REPLY_TO_CLIENT and TTL copied.
/// Send it with any producer.
pub fn create_reply_message(request: &MessageExt, body: impl Into<bytes::Bytes>) -> Result<Message> {
    let cluster = request.property(keys::CLUSTER).ok_or_else(|| {
        Error::invalid_message("the request has no CLUSTER property: it was not a stored request message")
    })?;
    let mut reply = Message::new(format!("{cluster}_REPLY_TOPIC"), body);
    reply.put_property(keys::MSG_TYPE, keys::MSG_TYPE_REPLY)?;
    for key in [keys::CORRELATION_ID, keys::REPLY_TO_CLIENT, keys::TTL] {
        if let Some(v) = request.property(key) {
            reply.put_property(key, v)?;
        }
    }
    Ok(reply)
}
