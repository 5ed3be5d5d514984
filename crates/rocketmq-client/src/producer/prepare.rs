//! Turning a [`Message`] into what goes on the wire: UNIQ_KEY, compression, sysFlag,
//! properties string (`DefaultMQProducerImpl.sendKernelImpl`, `tryToCompressMessage`).

use bytes::Bytes;
use rocketmq_remoting::message::sysflag::MessageSysFlag;
use rocketmq_remoting::message::{batch, compression, keys, uniq_id};

use crate::error::{Error, Result};
use crate::message::Message;
use crate::options::ProducerOptions;
use crate::validation;

/// A message ready to be sent, computed once and reused by every retry.
#[derive(Debug, Clone)]
pub struct PreparedMessage {
    pub topic: String,
    pub body: Bytes,
    pub flag: i32,
    pub sys_flag: i32,
    pub properties: String,
    /// `UNIQ_KEY`s, one per message (several for a batch).
    pub uniq_ids: Vec<String>,
    pub batch: bool,
    pub reconsume_times: Option<i32>,
    pub max_reconsume_times: Option<i32>,
}

/// Check what Java's `Validators.checkMessage` checks, before any I/O.
pub fn validate(msg: &Message, options: &ProducerOptions) -> Result<()> {
    validation::check_send_topic(msg.topic())?;
    if msg.body().is_empty() {
        return Err(Error::invalid_message("message body is empty").with_topic(msg.topic()));
    }
    if msg.body().len() > options.max_message_size {
        return Err(Error::invalid_message(format!(
            "message body is {} bytes, more than the maximum {}",
            msg.body().len(),
            options.max_message_size
        ))
        .with_topic(msg.topic()));
    }
    Ok(())
}

fn parse_i32(msg: &Message, key: &str) -> Option<i32> {
    msg.property(key).and_then(|v| v.parse().ok())
}

/// Prepare one message. The message is not copied: its properties are encoded once, with the
/// edits Java makes to its copy (`UNIQ_KEY` added when missing; for retry topics the reconsume
/// counters moved into header fields j / l), and the body is shared.
pub fn prepare_single(msg: &Message, options: &ProducerOptions) -> Result<PreparedMessage> {
    validate(msg, options)?;
    let existing = msg.property(keys::UNIQ_KEY);
    let uniq = existing.map_or_else(uniq_id::create_uniq_id, str::to_owned);
    let mut sys_flag = 0;
    let mut body = msg.body().clone();
    if body.len() >= options.compress_over {
        body = Bytes::from(compression::compress(&body, options.compress_type, options.compress_level)?);
        sys_flag |= MessageSysFlag::COMPRESSED_FLAG | options.compress_type.compression_flag();
    }
    if msg.property(keys::TRAN_MSG).is_some_and(|v| v == "true") {
        sys_flag |= MessageSysFlag::TRANSACTION_PREPARED_TYPE;
    }
    // For retry topics Java moves these two properties into header fields j / l.
    let retry = msg.topic().starts_with("%RETRY%");
    let moved: &[&str] = if retry { &[keys::RECONSUME_TIME, keys::MAX_RECONSUME_TIMES] } else { &[] };
    let (reconsume_times, max_reconsume_times) = if retry {
        (parse_i32(msg, keys::RECONSUME_TIME), parse_i32(msg, keys::MAX_RECONSUME_TIMES))
    } else {
        (None, None)
    };
    let properties =
        msg.properties().encode_edited(moved, existing.is_none().then_some((keys::UNIQ_KEY, uniq.as_str())));
    Ok(PreparedMessage {
        topic: msg.topic().to_owned(),
        body,
        flag: msg.flag(),
        sys_flag,
        properties,
        uniq_ids: vec![uniq],
        batch: false,
        reconsume_times,
        max_reconsume_times,
    })
}

/// Prepare a batch (`DefaultMQProducer.batch`): same topic, no delay, no retry topic, same
/// `WAIT`; each message gets its own UNIQ_KEY; the body is the §3.5 encoding, never compressed.
pub fn prepare_batch<M: std::borrow::Borrow<Message>>(
    msgs: &[M],
    options: &ProducerOptions,
) -> Result<PreparedMessage> {
    let first = msgs.first().ok_or_else(|| Error::invalid_message("batch is empty"))?.borrow();
    let topic = first.topic();
    if topic.starts_with("%RETRY%") {
        return Err(Error::invalid_message("retry topics are not supported in a batch").with_topic(topic));
    }
    let mut entries = Vec::with_capacity(msgs.len());
    let mut uniq_ids = Vec::with_capacity(msgs.len());
    for msg in msgs {
        let msg = msg.borrow();
        validate(msg, options)?;
        if msg.topic() != topic {
            return Err(Error::invalid_message(format!(
                "all messages of a batch must share one topic ({topic} vs {})",
                msg.topic()
            )));
        }
        if msg.delay_time_level() > 0 {
            return Err(Error::invalid_message("delay messages are not supported in a batch").with_topic(topic));
        }
        if msg.wait_store_msg_ok() != first.wait_store_msg_ok() {
            return Err(Error::invalid_message("all messages of a batch must share the WAIT flag").with_topic(topic));
        }
        let mut props = msg.properties().clone();
        let uniq = match props.get(keys::UNIQ_KEY) {
            Some(existing) => existing.to_owned(),
            None => {
                let id = uniq_id::create_uniq_id();
                props.insert(keys::UNIQ_KEY, id.clone());
                id
            }
        };
        uniq_ids.push(uniq);
        entries.push((msg.flag(), msg.body().clone(), props.encode()));
    }
    let body = batch::encode_batch(entries.iter().map(|(flag, body, props)| batch::BatchEntry {
        flag: *flag,
        body,
        properties: props,
    }))?;
    if body.len() > options.max_message_size {
        return Err(Error::invalid_message(format!(
            "batch body is {} bytes, more than the maximum {}",
            body.len(),
            options.max_message_size
        ))
        .with_topic(topic));
    }
    let mut wrapper = rocketmq_remoting::message::properties::Properties::new();
    wrapper.insert(keys::WAIT, if first.wait_store_msg_ok() { "true" } else { "false" });
    Ok(PreparedMessage {
        topic: topic.to_owned(),
        body,
        flag: 0,
        sys_flag: 0,
        properties: wrapper.encode(),
        uniq_ids,
        batch: true,
        reconsume_times: None,
        max_reconsume_times: None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rocketmq_remoting::message::properties::Properties;

    #[test]
    fn a_single_message_gets_a_uniq_key_last_and_is_left_unchanged() {
        let mut msg = Message::new("T", "body");
        msg.set_tags("A");
        let before = msg.clone();
        let prepared = prepare_single(&msg, &ProducerOptions::new("G")).unwrap();
        assert_eq!(msg, before, "the caller's message is not edited");
        let props = Properties::decode(&prepared.properties);
        let names: Vec<&str> = props.iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["WAIT", "TAGS", "UNIQ_KEY"]);
        assert_eq!(props.get(keys::UNIQ_KEY), Some(prepared.uniq_ids[0].as_str()));
        assert_eq!((prepared.reconsume_times, prepared.max_reconsume_times), (None, None));
    }

    #[test]
    fn a_retry_message_moves_its_counters_into_the_header_and_keeps_its_uniq_key() {
        let mut msg = Message::new("%RETRY%G", "body");
        for (k, v) in [(keys::UNIQ_KEY, "ID1"), (keys::RECONSUME_TIME, "2"), (keys::MAX_RECONSUME_TIMES, "16")] {
            msg.put_property(k, v).unwrap();
        }
        let prepared = prepare_single(&msg, &ProducerOptions::new("G")).unwrap();
        assert_eq!(prepared.properties, "WAIT\u{1}true\u{2}UNIQ_KEY\u{1}ID1");
        assert_eq!(prepared.uniq_ids, ["ID1"]);
        assert_eq!((prepared.reconsume_times, prepared.max_reconsume_times), (Some(2), Some(16)));
    }
}
