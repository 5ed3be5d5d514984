//! The outgoing message (`common/message/Message.java`).

use bytes::Bytes;
use rocketmq_remoting::message::keys;
use rocketmq_remoting::message::properties::Properties;

use crate::error::{Error, Result};

/// A message to send: topic, body, flag and properties. Bodies are bytes; nothing is
/// truncated at NUL bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    topic: String,
    body: Bytes,
    flag: i32,
    properties: Properties,
}

impl Message {
    /// A message for `topic`. Like Java's constructors, it asks the broker to confirm the
    /// store (`WAIT=true`).
    pub fn new(topic: impl Into<String>, body: impl Into<Bytes>) -> Self {
        let mut properties = Properties::new();
        properties.insert(keys::WAIT, "true");
        Message { topic: topic.into(), body: body.into(), flag: 0, properties }
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Change the topic.
    pub fn set_topic(&mut self, topic: impl Into<String>) {
        self.topic = topic.into();
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Replace the body.
    pub fn set_body(&mut self, body: impl Into<Bytes>) {
        self.body = body.into();
    }

    /// The user flag (stored, never interpreted by the broker).
    pub fn flag(&self) -> i32 {
        self.flag
    }

    /// Set the user flag.
    pub fn set_flag(&mut self, flag: i32) {
        self.flag = flag;
    }

    /// The tag (`TAGS`), used by consumers' tag filters.
    pub fn tags(&self) -> Option<&str> {
        self.properties.get(keys::TAGS)
    }

    /// Set the tag. An empty tag removes it.
    pub fn set_tags(&mut self, tags: &str) {
        self.set_or_clear(keys::TAGS, tags);
    }

    /// The business keys, space-separated (`KEYS`).
    pub fn keys(&self) -> Option<&str> {
        self.properties.get(keys::KEYS)
    }

    /// Set the business keys; several keys are separated by spaces, as in Java.
    pub fn set_keys(&mut self, keys: &str) {
        self.set_or_clear(keys::KEYS, keys.trim());
    }

    /// The delay level, 0 when none (`DELAY`).
    pub fn delay_time_level(&self) -> i32 {
        self.properties.get(keys::DELAY).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    /// Delay delivery by a broker delay level (1 = 1 s ... 18 = 2 h with the default table);
    /// 0 clears it. Negative levels are rejected.
    pub fn set_delay_time_level(&mut self, level: i32) -> Result<()> {
        if level < 0 {
            return Err(Error::invalid_message(format!("delay level {level} is negative")));
        }
        if level == 0 {
            self.properties.remove(keys::DELAY);
        } else {
            self.properties.insert(keys::DELAY, level.to_string());
        }
        Ok(())
    }

    /// The absolute delivery time in epoch ms (`TIMER_DELIVER_MS`, 5.x timer messages).
    pub fn delivery_time_ms(&self) -> Option<i64> {
        self.properties.get(keys::TIMER_DELIVER_MS).and_then(|v| v.parse().ok())
    }

    /// Deliver at `epoch_ms` (5.x brokers with the timer wheel; 4.x brokers ignore it).
    pub fn set_delivery_time_ms(&mut self, epoch_ms: i64) -> Result<()> {
        if epoch_ms <= 0 {
            return Err(Error::invalid_message(format!("delivery time {epoch_ms} is not a positive epoch ms")));
        }
        self.properties.insert(keys::TIMER_DELIVER_MS, epoch_ms.to_string());
        Ok(())
    }

    /// Deliver after `seconds` (`TIMER_DELAY_SEC`, 5.x timer messages).
    pub fn set_delay_sec(&mut self, seconds: i64) -> Result<()> {
        if seconds <= 0 {
            return Err(Error::invalid_message(format!("delay of {seconds} s is not positive")));
        }
        self.properties.insert(keys::TIMER_DELAY_SEC, seconds.to_string());
        Ok(())
    }

    /// Whether the broker must confirm the store before answering (`WAIT`, default true).
    pub fn wait_store_msg_ok(&self) -> bool {
        self.properties.get(keys::WAIT).is_none_or(|v| v != "false")
    }

    /// Set `WAIT`.
    pub fn set_wait_store_msg_ok(&mut self, wait: bool) {
        self.properties.insert(keys::WAIT, if wait { "true" } else { "false" });
    }

    /// Set a user property. Names reserved by RocketMQ (`MessageConst.STRING_HASH_SET`), blank
    /// names or values, and the separator characters `\u0001`/`\u0002` are rejected.
    pub fn put_user_property(&mut self, name: &str, value: &str) -> Result<()> {
        if keys::is_reserved(name) {
            return Err(Error::invalid_message(format!("property name {name:?} is reserved by RocketMQ")));
        }
        self.put_property(name, value)
    }

    /// Set any property, reserved names included (for system use: retry, reply, transactions).
    pub fn put_property(&mut self, name: &str, value: &str) -> Result<()> {
        if name.trim().is_empty() || value.trim().is_empty() {
            return Err(Error::invalid_message("property names and values must not be blank"));
        }
        let separator = |s: &str| s.contains(['\u{1}', '\u{2}']);
        if separator(name) || separator(value) {
            return Err(Error::invalid_message("property names and values must not contain \\u0001 or \\u0002"));
        }
        self.properties.insert(name, value);
        Ok(())
    }

    /// A property by name.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties.get(name)
    }

    /// Remove a property.
    pub fn remove_property(&mut self, name: &str) -> Option<String> {
        self.properties.remove(name)
    }

    /// All properties.
    pub fn properties(&self) -> &Properties {
        &self.properties
    }

    fn set_or_clear(&mut self, key: &str, value: &str) {
        if value.is_empty() {
            self.properties.remove(key);
        } else {
            self.properties.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_setters() {
        let mut m = Message::new("T", &b"a\0b"[..]);
        assert_eq!(m.body().as_ref(), b"a\0b");
        assert!(m.wait_store_msg_ok());
        m.set_tags("TagA");
        m.set_keys(" k1 k2 ");
        assert_eq!((m.tags(), m.keys()), (Some("TagA"), Some("k1 k2")));
        m.set_tags("");
        assert_eq!(m.tags(), None);
        assert!(m.set_delay_time_level(3).is_ok());
        assert_eq!(m.delay_time_level(), 3);
        assert!(m.set_delay_time_level(-1).is_err());
        assert!(m.set_delivery_time_ms(1_700_000_000_000).is_ok());
        assert_eq!(m.delivery_time_ms(), Some(1_700_000_000_000));
    }

    #[test]
    fn user_properties_are_checked() {
        let mut m = Message::new("T", "x");
        assert!(m.put_user_property("color", "red").is_ok());
        assert_eq!(m.property("color"), Some("red"));
        assert!(m.put_user_property("UNIQ_KEY", "x").is_err());
        assert!(m.put_user_property("", "x").is_err());
        assert!(m.put_user_property("a", "b\u{1}c").is_err());
    }
}
