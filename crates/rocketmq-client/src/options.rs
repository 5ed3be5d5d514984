//! Client and producer options. Defaults equal the Java client's; each cites its source.

pub use rocketmq_remoting::message::compression::CompressionType;
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
    /// ACL credentials; `Some` signs every request (Java `AclClientRPCHook`).
    pub credentials: Option<SessionCredentials>,
    /// TLS settings; `None` is plain TCP (Java `useTLS`, default false).
    pub tls: Option<TlsOptions>,
    /// Message trace of this client's sends and listener calls; `None` is off (Java 5.x
    /// `enableTrace`, default false). The 0.5-style pull consumer ignores it.
    pub message_trace: Option<crate::trace::TraceOptions>,
    /// Namespace v1 (Java `ClientConfig.namespace`): topics and groups become `ns%name` on the
    /// wire, and lose it again in what the user gets back ([`crate::namespace`]).
    pub namespace: Option<String>,
    /// Namespace v2 (Java 5.x `ClientConfig.namespaceV2`): names unchanged, every request
    /// carries `nsd=true`, `ns=<namespace>` for a 5.x proxy/broker that maps them.
    pub namespace_v2: Option<String>,
    /// Where to look the name server list up when [`ClientOptions::namesrv_addrs`] is empty
    /// (Java `TopAddressing`, the 2.x `set_name_server_domain`): a domain (`host` or
    /// `host:port`, giving `http://host:8080/rocketmq/nsaddr`) or a full `http://` URL
    /// ([`crate::route::nsaddr`]).
    pub namesrv_domain: Option<String>,
    /// How often the list is looked up again (Java: every 2 minutes, `MQClientInstance`).
    pub namesrv_lookup_interval: Duration,
    /// Java `ClientConfig.unitName`: the lookup URL gets `-<unit>?nofix=1`.
    pub unit_name: Option<String>,
    /// Route snapshot file (no Java equivalent; default none): routes are saved there as they
    /// change, and a client that finds no name server answering uses the saved route of a
    /// topic it has not cached yet (see [`crate::route::snapshot`]).
    pub route_snapshot_path: Option<std::path::PathBuf>,
}

/// ACL credentials (Java `org.apache.rocketmq.acl.common.SessionCredentials`). `Debug`
/// prints the access key only: the secret never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCredentials {
    /// `AccessKey` ext field.
    pub access_key: String,
    /// HMAC-SHA1 key of the signature; never sent, never logged.
    pub secret_key: String,
    /// `SecurityToken` ext field (STS tokens), sent when set.
    pub security_token: Option<String>,
    /// `OnsChannel` ext field of the 2.x C++ client (`ClientRPCHook`), sent when set.
    pub channel: Option<String>,
}

impl SessionCredentials {
    /// Credentials with an access key and secret, no token, no channel.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        SessionCredentials {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            security_token: None,
            channel: None,
        }
    }
}

impl std::fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("security_token", &self.security_token.as_ref().map(|_| "<redacted>"))
            .field("channel", &self.channel)
            .finish()
    }
}

/// Where the TLS client finds the certificates it trusts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TlsTrust {
    /// The operating system's trust store (rustls-native-certs: the OpenSSL cert dirs and
    /// `SSL_CERT_FILE` on Linux, Keychain on macOS, the Windows store), as Java's default
    /// trust manager uses the JDK's store: an operator's private CA installed system-wide works.
    #[default]
    System,
    /// PEM file of CA certificates (Java `tls.client.trustCertPath`).
    CaFile(std::path::PathBuf),
    /// No verification at all (Java `tls.test.mode.enable`): for tests only, logged as a warning.
    InsecureTestMode,
}

/// TLS settings (Java `TlsSystemConfig` client side, `tls.client.*`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsOptions {
    /// Trusted roots.
    pub trust: TlsTrust,
    /// Client certificate chain, PEM (`tls.client.certPath`), for mutual TLS.
    pub client_cert: Option<std::path::PathBuf>,
    /// Client private key, PEM (`tls.client.keyPath`), with `client_cert`.
    pub client_key: Option<std::path::PathBuf>,
    /// Name to verify the server certificate against; `None` means the host of the address.
    pub server_name: Option<String>,
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
            credentials: None,
            tls: None,
            message_trace: None,
            namespace: None,
            namespace_v2: None,
            namesrv_domain: None,
            namesrv_lookup_interval: Duration::from_secs(120),
            unit_name: None,
            route_snapshot_path: None,
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
        if self.namesrv_addrs.is_empty() && self.namesrv_domain.is_none() {
            return Err(Error::config(
                "no name server address: call set_name_server_address(\"host:port\") or set_name_server_domain(...)",
            ));
        }
        if let Some(domain) = &self.namesrv_domain {
            crate::route::nsaddr::LookupUrl::parse(domain, self.unit_name.as_deref())?;
        }
        for (what, d) in [
            ("request_timeout", self.request_timeout),
            ("connect_timeout", self.connect_timeout),
            ("poll_namesrv_interval", self.poll_namesrv_interval),
            ("heartbeat_interval", self.heartbeat_interval),
            ("namesrv_lookup_interval", self.namesrv_lookup_interval),
        ] {
            if d.is_zero() {
                return Err(Error::config(format!("{what} must be positive")));
            }
        }
        if let Some(c) = &self.credentials {
            if c.access_key.is_empty() || c.secret_key.is_empty() {
                return Err(Error::config("ACL credentials need a non-empty access key and secret key"));
            }
        }
        if let Some(tls) = &self.tls {
            if tls.client_cert.is_some() != tls.client_key.is_some() {
                return Err(Error::config("TLS client certificate and key must be given together"));
            }
        }
        if let Some(trace) = &self.message_trace {
            crate::validation::check_topic(&trace.topic)
                .map_err(|e| Error::config(format!("trace topic: {}", e.message())))?;
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
    /// Compression level (`compressLevel`, 5): zlib 0-9; ZSTD 1-22; LZ4 ignores it.
    pub compress_level: u32,
    /// Body compression (`rocketmq.message.compressType`, default ZLIB as in Java; LZ4 and
    /// ZSTD need 4.9.4+ consumers, which decode all three).
    pub compress_type: CompressionType,
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
    /// Hold single sends (`send`, `send_async`) briefly and send them as batches
    /// (`autoBatch`, off by default as in Java; `producer::accumulator`).
    pub auto_batch: bool,
    /// Longest time a held message waits for its batch to fill (`batchMaxDelayMs`, 10 ms;
    /// 1 ms to 30 s).
    pub batch_max_delay: Duration,
    /// A batch goes out once its bodies exceed this (`batchMaxBytes`, 32 KiB; 1 B to 2 MiB);
    /// a larger body is sent alone.
    pub batch_max_bytes: usize,
    /// While the bodies held by the producer reach this, messages are sent alone
    /// (`totalBatchMaxBytes`, 32 MiB).
    pub total_batch_max_bytes: usize,
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
            compress_type: CompressionType::Zlib,
            max_message_size: 4 * 1024 * 1024,
            create_topic_key: "TBW102".to_owned(),
            default_topic_queue_nums: 4,
            latency_fault_enable: true,
            send_attempt_timeout: Duration::from_millis(1000),
            auto_batch: false,
            batch_max_delay: Duration::from_millis(10),
            batch_max_bytes: 32 * 1024,
            total_batch_max_bytes: 32 * 1024 * 1024,
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
        if self.compress_type == CompressionType::Zlib && self.compress_level > 9 {
            return Err(Error::config(format!("compress level {} is outside 0..=9", self.compress_level)));
        }
        if self.max_message_size == 0 {
            return Err(Error::config("max message size must be positive"));
        }
        if self.default_topic_queue_nums <= 0 {
            return Err(Error::config("default topic queue nums must be positive"));
        }
        // The bounds of Java's `ProduceAccumulator` setters.
        if self.batch_max_delay.is_zero() || self.batch_max_delay > Duration::from_secs(30) {
            return Err(Error::config(format!(
                "batch max delay must be between 1 ms and 30 s, not {} ms",
                self.batch_max_delay.as_millis()
            )));
        }
        if self.batch_max_bytes == 0 || self.batch_max_bytes > 2 * 1024 * 1024 {
            return Err(Error::config(format!(
                "batch max bytes must be between 1 B and 2 MiB, not {}",
                self.batch_max_bytes
            )));
        }
        if self.total_batch_max_bytes == 0 {
            return Err(Error::config("total batch max bytes must be positive"));
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
        let pg = || ProducerOptions::new("pg");
        assert!(ProducerOptions { batch_max_delay: Duration::ZERO, ..pg() }.validate().is_err());
        assert!(ProducerOptions { batch_max_delay: Duration::from_secs(31), ..pg() }.validate().is_err());
        assert!(ProducerOptions { batch_max_bytes: 0, ..pg() }.validate().is_err());
        assert!(ProducerOptions { batch_max_bytes: 2 * 1024 * 1024 + 1, ..pg() }.validate().is_err());
        assert!(ProducerOptions { total_batch_max_bytes: 0, ..pg() }.validate().is_err());
    }
}
