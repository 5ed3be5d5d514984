//! Message lookups: by offset message id (VIEW_MESSAGE_BY_ID on the broker the id names), by
//! client message id (`UNIQ_KEY`, QUERY_MESSAGE with `_UNIQUE_KEY_QUERY`, Java
//! `MQAdminImpl.queryMessageByUniqKey`) and by key (QUERY_MESSAGE, `queryMessage`).

use std::collections::BTreeSet;

use rocketmq_remoting::header::{QueryMessageRequestHeader, ViewMessageRequestHeader};
use rocketmq_remoting::message::msg_id;
use rocketmq_remoting::message::stored::{decode_messages, MessageExt};
use rocketmq_remoting::{request_code, response_code};

use super::Admin;
use crate::error::{Error, ErrorKind, Result};

/// `maxNum` Java uses for a UNIQ_KEY query (`MQAdminImpl.queryMessageByUniqKey`: 32, which the
/// broker replaces by its `defaultQueryMaxNum` anyway).
const UNIQ_KEY_MAX_NUM: i32 = 32;

/// A message found by a lookup, with the broker it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundMessage {
    /// Name of the broker that stores it (empty when found by offset id on a broker the name
    /// servers do not list).
    pub broker_name: String,
    /// That broker's address.
    pub broker_addr: String,
    /// The stored message.
    pub message: MessageExt,
}

impl Admin {
    /// VIEW_MESSAGE_BY_ID: the message an offset message id (the broker id of SendResult's
    /// `offset_msg_id`) names, fetched from the broker address encoded in it.
    pub async fn view_message(&self, offset_msg_id: &str) -> Result<FoundMessage> {
        let (addr, offset) = msg_id::decode(offset_msg_id)
            .map_err(|e| Error::config(format!("{offset_msg_id:?} is not an offset message id: {}", e.message())))?;
        let addr = addr.to_string();
        let header = ViewMessageRequestHeader { topic: None, offset };
        let request = self.request(request_code::VIEW_MESSAGE_BY_ID, &header);
        let response = self.broker(&addr, request, "view message").await?;
        let message = decode_messages(response.body)?.into_iter().next().ok_or_else(|| {
            Error::new(ErrorKind::Protocol, "VIEW_MESSAGE_BY_ID answered without a message").with_addr(&addr)
        })?;
        let broker_name = self.broker_name_of(&addr).await.unwrap_or_default();
        Ok(FoundMessage { broker_name, broker_addr: addr, message })
    }

    async fn broker_name_of(&self, addr: &str) -> Option<String> {
        let info = self.cluster_info().await.ok()?;
        info.broker_addr_table
            .values()
            .find(|b| b.broker_addrs.values().any(|a| a == addr))
            .map(|b| b.broker_name.clone())
    }

    /// QUERY_MESSAGE on every master of `topic`: messages whose `KEYS` contain `key` (or, with
    /// `unique`, whose `UNIQ_KEY` is `key`), stored between `begin_ms` and `end_ms`. The
    /// broker's index is a hash, so results are filtered here, as Java does.
    pub async fn query_messages(
        &self,
        topic: &str,
        key: &str,
        unique: bool,
        max_num: i32,
        begin_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<FoundMessage>> {
        crate::validation::check_topic(topic)?;
        if key.is_empty() {
            return Err(Error::config("the key to look up is empty"));
        }
        let header = QueryMessageRequestHeader {
            topic: topic.to_owned(),
            key: key.to_owned(),
            max_num: if unique { UNIQ_KEY_MAX_NUM } else { max_num.max(1) },
            begin_timestamp: begin_ms,
            end_timestamp: end_ms,
            unique_key_query: Some(unique),
        };
        let mut found = Vec::new();
        let mut seen = BTreeSet::new();
        for (broker_name, addr) in self.route_masters(topic).await? {
            let request = self.request(request_code::QUERY_MESSAGE, &header);
            let response = match self.broker(&addr, request, "query message").await {
                Ok(r) => r,
                Err(e) if e.response_code() == Some(response_code::QUERY_NOT_FOUND) => continue,
                Err(e) => return Err(e.with_topic(topic)),
            };
            for message in decode_messages(response.body)? {
                let matches = if unique {
                    message.uniq_key() == Some(key)
                } else {
                    message.topic == topic && message.key_list().any(|k| k == key)
                };
                if matches && seen.insert((broker_name.clone(), message.commit_log_offset)) {
                    found.push(FoundMessage { broker_name: broker_name.clone(), broker_addr: addr.clone(), message });
                }
            }
        }
        found.sort_by_key(|f| f.message.store_timestamp);
        if !unique {
            found.truncate(usize::try_from(max_num.max(1)).unwrap_or(usize::MAX));
        }
        Ok(found)
    }

    /// Messages of `topic` whose keys contain `key` (`mqadmin queryMsgByKey`), oldest first,
    /// at most `max_num`. Empty when none.
    pub async fn messages_by_key(&self, topic: &str, key: &str, max_num: i32) -> Result<Vec<FoundMessage>> {
        self.query_messages(topic, key, false, max_num, 0, i64::MAX).await
    }

    /// The message whose client message id (`UNIQ_KEY`, SendResult's `msg_id`) is `uniq_key`
    /// (`queryMessageByUniqKey`). A Broker error with code QUERY_NOT_FOUND (22) when none.
    pub async fn message_by_uniq_key(&self, topic: &str, uniq_key: &str) -> Result<FoundMessage> {
        let found = self.query_messages(topic, uniq_key, true, UNIQ_KEY_MAX_NUM, 0, i64::MAX).await?;
        found.into_iter().next().ok_or_else(|| {
            Error::broker(
                response_code::QUERY_NOT_FOUND,
                Some(format!("no message with id {uniq_key} in topic {topic}")),
                "brokers",
            )
            .with_topic(topic)
        })
    }

    /// A message by either id (Java `DefaultMQAdminExtImpl.viewMessage(topic, msgId)`): as an
    /// offset message id when it names a broker the name servers know, else as a client
    /// message id in `topic` (which that needs).
    pub async fn message_by_id(&self, topic: Option<&str>, id: &str) -> Result<FoundMessage> {
        if let Ok((addr, _)) = msg_id::decode(id) {
            let addr = addr.to_string();
            let info = self.cluster_info().await?;
            let known = info.broker_addr_table.values().any(|b| b.broker_addrs.values().any(|a| *a == addr));
            if known {
                match self.view_message(id).await {
                    Ok(found) if topic.is_none_or(|t| t == found.message.topic) => return Ok(found),
                    Ok(_) => {}
                    // Without a topic there is nothing else to try: the broker's answer is the answer.
                    Err(e) if topic.is_none() => return Err(e),
                    Err(e) => tracing::debug!(%id, error = %e, "not an offset message id; trying it as a client id"),
                }
            }
        }
        match topic {
            Some(topic) => self.message_by_uniq_key(topic, id).await,
            None => Err(Error::config(format!(
                "{id} is not the offset message id of a broker the name servers know; to look it up as a client \
                 message id (UNIQ_KEY), give its topic"
            ))),
        }
    }
}
