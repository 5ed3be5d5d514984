//! Name and message validation (`client/Validators.java`, `common/topic/TopicValidator.java`),
//! done before any I/O so bad input fails fast with a typed error.

use crate::error::{Error, Result};

/// Longest topic name (Java `TopicValidator.TOPIC_MAX_LENGTH`, 127).
pub const TOPIC_MAX_LENGTH: usize = 127;
/// Longest group name (5.x `Validators.CHARACTER_MAX_LENGTH` for groups, 120, so retry/DLQ names fit).
pub const GROUP_MAX_LENGTH: usize = 120;

/// Topics a producer may never send to (`TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET`).
pub const NOT_ALLOWED_SEND_TOPICS: [&str; 6] = [
    "SCHEDULE_TOPIC_XXXX",
    "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
];

fn valid_chars(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-'))
}

/// Check a topic name: non-blank, `^[%|a-zA-Z0-9_-]+$`, at most 127 characters.
pub fn check_topic(topic: &str) -> Result<()> {
    if topic.trim().is_empty() {
        return Err(Error::invalid_message("topic is blank"));
    }
    if topic.len() > TOPIC_MAX_LENGTH {
        return Err(Error::invalid_message(format!(
            "topic is {} characters long, more than {TOPIC_MAX_LENGTH}",
            topic.len()
        ))
        .with_topic(topic));
    }
    if !valid_chars(topic) {
        return Err(
            Error::invalid_message("topic contains characters outside ^[%|a-zA-Z0-9_-]+$".to_owned()).with_topic(topic)
        );
    }
    Ok(())
}

/// Check a topic a producer wants to send to: valid, and not a broker-internal topic.
pub fn check_send_topic(topic: &str) -> Result<()> {
    check_topic(topic)?;
    if NOT_ALLOWED_SEND_TOPICS.contains(&topic) {
        return Err(Error::invalid_message("topic is reserved for the broker's own use").with_topic(topic));
    }
    Ok(())
}

/// Check a producer or consumer group name.
pub fn check_group(group: &str) -> Result<()> {
    if group.trim().is_empty() {
        return Err(Error::config("group name is blank"));
    }
    if group.len() > GROUP_MAX_LENGTH {
        return Err(Error::config(format!(
            "group name is {} characters long, more than {GROUP_MAX_LENGTH}",
            group.len()
        )));
    }
    if !valid_chars(group) {
        return Err(Error::config(format!("group name {group:?} contains characters outside ^[%|a-zA-Z0-9_-]+$")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn topics() {
        assert!(check_topic("Topic_A-1%|x").is_ok());
        assert_eq!(check_topic("").map_err(|e| e.kind()), Err(ErrorKind::InvalidMessage));
        assert!(check_topic("   ").is_err());
        assert!(check_topic("a b").is_err());
        assert!(check_topic("tópico").is_err());
        assert!(check_topic(&"t".repeat(127)).is_ok());
        assert!(check_topic(&"t".repeat(128)).is_err());
        assert!(check_send_topic("SCHEDULE_TOPIC_XXXX").is_err());
        assert!(check_send_topic("TBW102").is_ok(), "sending to TBW102 is allowed by Java's client check");
    }

    #[test]
    fn groups() {
        assert!(check_group("group_1").is_ok());
        assert!(check_group("").is_err());
        assert!(check_group(&"g".repeat(121)).is_err());
        assert!(check_group("g:1").is_err());
    }
}
