//! Client and producer options. Defaults equal the Java client's; each cites its source.

use rocketmq_remoting::SerializeType;
use std::time::Duration;

use crate::error::{Error, Result};

/// Settings shared by every kind of client (Java `ClientConfig`).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Name server addresses, `host:port` each (Java `namesrvAddr`, given as `"a:9876;b:9876"`).
    pub namesrv_addrs: Vec<String>,
    /// Instance name; `None` means a fresh `<pid>#<nanos>` per client object, so two clients in
    /// one process never share a client id (Java `changeInstanceNameToPID`).
    pub instance_name: Option<String>,
    /// IP written into the client id (Java `clientIP`, default the first non-loopback IPv4).
    pub client_ip: Option<String>,
    /// Timeout of name-server and admin calls (Java `mqClientApiTimeout`, 3000 ms).
    pub request_timeout: Duration,
    /// TCP connect timeout (Java `connectTimeoutMillis`, 3000 ms).
    pub connect_timeout: Duration,
    /// How often routes are refreshed from the name server (Java `pollNameServerInterval`, 30 s).
    pub poll_namesrv_interval: Duration,
    /// How often heartbeats go to brokers (Java `heartbeatBrokerInterval`, 30 s).
    pub heartbeat_interval: Duration,
    /// Header serialization used for requests (Java default JSON).
    pub serialize_type: SerializeType,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            namesrv_addrs: Vec::new(),
            instance_name: None,
            client_ip: None,
            request_timeout: Duration::from_millis(3000),
            connect_timeout: Duration::from_millis(3000),
            poll_namesrv_interval: Duration::from_secs(30),
            heartbeat_interval: Duration::from_secs(30),
            serialize_type: SerializeType::Json,
        }
    }
}

impl ClientOptions {
    /// Parse `"host:port;host:port"` (also `,`-separated, `http://` prefixes stripped) into
    /// [`ClientOptions::namesrv_addrs`].
    pub fn set_namesrv_addr(&mut self, addrs: &str) -> Result<()> {
        self.namesrv_addrs = parse_namesrv_addrs(addrs)?;
        Ok(())
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.namesrv_addrs.is_empty() {
            return Err(Error::config("no name server address: call set_name_server_address(\"host:port\")"));
        }
        for (what, d) in [
            ("request_timeout", self.request_timeout),
            ("connect_timeout", self.connect_timeout),
            ("poll_namesrv_interval", self.poll_namesrv_interval),
            ("heartbeat_interval", self.heartbeat_interval),
        ] {
            if d.is_zero() {
                return Err(Error::config(format!("{what} must be positive")));
            }
        }
        Ok(())
    }
}

/// Split and check a name server list.
pub fn parse_namesrv_addrs(addrs: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for raw in addrs.split([';', ',']) {
        let addr = raw.trim();
        let addr = addr.strip_prefix("http://").or_else(|| addr.strip_prefix("https://")).unwrap_or(addr);
        let addr = addr.trim_end_matches('/');
        if addr.is_empty() {
            continue;
        }
        let valid = addr
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
        if !valid {
            return Err(Error::config(format!("invalid name server address {addr:?}: expected host:port")));
        }
        out.push(addr.to_owned());
    }
    if out.is_empty() {
        return Err(Error::config(format!("no name server address in {addrs:?}")));
    }
    Ok(out)
}

/// Producer settings (Java `DefaultMQProducer`).
#[derive(Debug, Clone)]
pub struct ProducerOptions {
    /// Producer group.
    pub group: String,
    /// Whole-send deadline, retries included (`sendMsgTimeout`, 3000 ms).
    pub send_timeout: Duration,
    /// Extra attempts of a failed sync send (`retryTimesWhenSendFailed`, 2).
    pub retry_times_when_send_failed: u32,
    /// Extra attempts of a failed async send (`retryTimesWhenSendAsyncFailed`, 2).
    pub retry_times_when_send_async_failed: u32,
    /// Resend to another broker when the store reports a flush/slave problem
    /// (`retryAnotherBrokerWhenNotStoreOK`, false).
    pub retry_another_broker_when_not_store_ok: bool,
    /// Bodies at least this long are compressed (`compressMsgBodyOverHowmuch`, 4096).
    pub compress_over: usize,
    /// zlib level 0-9 (`compressLevel`, 5).
    pub compress_level: u32,
    /// Largest body accepted (`maxMessageSize`, 4 MiB).
    pub max_message_size: usize,
    /// Topic used to auto-create unknown topics (`createTopicKey`, `TBW102`).
    pub create_topic_key: String,
    /// Queues an auto-created topic gets (`defaultTopicQueueNums`, 4).
    pub default_topic_queue_nums: i32,
    /// Avoid brokers that just failed or answer slowly (`sendLatencyFaultEnable`). Java
    /// defaults to false; we default to true because avoiding a dead broker is what a
    /// user expects from retries (issue #2).
    pub latency_fault_enable: bool,
    /// Longest wait for one attempt of a sync or async send while another attempt still
    /// fits in [`ProducerOptions::send_timeout`]; the last attempt gets whatever is left.
    /// Java has no such bound (one hung broker eats the whole send timeout, then the send
    /// fails); 1000 ms lets a send to a hung broker move to another broker within the
    /// default 3000 ms deadline (issue #10). A value >= `send_timeout` restores Java's
    /// behaviour. A timed-out attempt may still be stored by the slow broker: at-least-once.
    pub send_attempt_timeout: Duration,
}

impl Default for ProducerOptions {
    fn default() -> Self {
        ProducerOptions {
            group: "DEFAULT_PRODUCER".to_owned(),
            send_timeout: Duration::from_millis(3000),
            retry_times_when_send_failed: 2,
            retry_times_when_send_async_failed: 2,
            retry_another_broker_when_not_store_ok: false,
            compress_over: 4096,
            compress_level: 5,
            max_message_size: 4 * 1024 * 1024,
            create_topic_key: "TBW102".to_owned(),
            default_topic_queue_nums: 4,
            latency_fault_enable: true,
            send_attempt_timeout: Duration::from_millis(1000),
        }
    }
}

impl ProducerOptions {
    /// Options for `group`, everything else default.
    pub fn new(group: impl Into<String>) -> Self {
        ProducerOptions { group: group.into(), ..Default::default() }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        crate::validation::check_group(&self.group)?;
        if self.group == "DEFAULT_PRODUCER" {
            return Err(Error::config("producer group DEFAULT_PRODUCER is reserved; choose your own group"));
        }
        if self.send_timeout.is_zero() {
            return Err(Error::config("send timeout must be positive"));
        }
        if self.send_attempt_timeout.is_zero() {
            return Err(Error::config("send attempt timeout must be positive"));
        }
        if self.compress_level > 9 {
            return Err(Error::config(format!("compress level {} is outside 0..=9", self.compress_level)));
        }
        if self.max_message_size == 0 {
            return Err(Error::config("max message size must be positive"));
        }
        if self.default_topic_queue_nums <= 0 {
            return Err(Error::config("default topic queue nums must be positive"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namesrv_list_parsing() {
        assert_eq!(parse_namesrv_addrs("a:1;b:2").ok(), Some(vec!["a:1".to_owned(), "b:2".to_owned()]));
        assert_eq!(parse_namesrv_addrs(" http://a:1/ ; ").ok(), Some(vec!["a:1".to_owned()]));
        assert!(parse_namesrv_addrs("").is_err());
        assert!(parse_namesrv_addrs("nohost").is_err());
        assert!(parse_namesrv_addrs("a:0").is_err());
        assert!(parse_namesrv_addrs("a:99999").is_err());
    }

    #[test]
    fn producer_validation() {
        assert!(ProducerOptions::default().validate().is_err(), "DEFAULT_PRODUCER is reserved");
        assert!(ProducerOptions::new("pg").validate().is_ok());
        assert!(ProducerOptions { compress_level: 10, ..ProducerOptions::new("pg") }.validate().is_err());
        assert!(ProducerOptions::new("bad group!").validate().is_err());
    }
}
