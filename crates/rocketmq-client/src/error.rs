//! The one error type of the client crate.
//!
//! Every error carries a [`ErrorKind`] (what the caller should think happened), and where it
//! applies the broker's response code and remark, the broker address and the topic. The
//! producer's retry loop is driven by [`Error::is_retryable`], not by string matching.

use rocketmq_remoting::response_code as rc;
use std::fmt;

/// What went wrong, classified by what a caller can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad configuration (group name, name server address, option out of range).
    Config,
    /// Could not connect to a name server or broker.
    Connect,
    /// No answer within the deadline.
    Timeout,
    /// The connection dropped while a request was in flight.
    ConnectionClosed,
    /// The peer sent something that is not valid protocol.
    Protocol,
    /// The broker or name server answered with an error code (see [`Error::response_code`]).
    Broker,
    /// No route for the topic: it does not exist and cannot be auto-created.
    RouteNotFound,
    /// The message is invalid (topic, body, size, properties); nothing was sent.
    InvalidMessage,
    /// The client has not been started.
    NotStarted,
    /// The client has been shut down.
    Shutdown,
    /// Authentication or permission failure.
    Auth,
    /// The client was started by another process, of which this one is a `fork()` child: its
    /// connections and tasks belong to the parent. Give up on it and create a new client.
    Forked,
}

impl ErrorKind {
    /// A short stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::ConnectionClosed => "connection closed",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Broker => "broker",
            ErrorKind::RouteNotFound => "route not found",
            ErrorKind::InvalidMessage => "invalid message",
            ErrorKind::NotStarted => "not started",
            ErrorKind::Shutdown => "shut down",
            ErrorKind::Auth => "auth",
            ErrorKind::Forked => "forked",
        }
    }
}

/// A client failure. Boxed inside so `Result<T, Error>` stays small on hot paths.
#[derive(Debug)]
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    message: String,
    response_code: Option<i32>,
    remark: Option<String>,
    broker_addr: Option<String>,
    topic: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            response_code: None,
            remark: None,
            broker_addr: None,
            topic: None,
            source: None,
        }))
    }

    /// An error answer from a broker or name server.
    pub fn broker(code: i32, remark: Option<String>, addr: &str) -> Self {
        let acl = crate::acl::is_acl_refusal(code, remark.as_deref());
        let kind = if acl { ErrorKind::Auth } else { ErrorKind::Broker };
        let message = if acl {
            format!("access denied by ACL: {} (code {code})", response_code_name(code))
        } else {
            format!("{} (code {code})", response_code_name(code))
        };
        let mut e = Error::new(kind, message);
        e.0.response_code = Some(code);
        e.0.remark = remark;
        e.0.broker_addr = Some(addr.to_owned());
        e
    }

    /// A copy for another caller of the same failed request (an auto-batch): everything but
    /// the source, whose text joins the message.
    pub(crate) fn duplicate(&self) -> Error {
        let i = &self.0;
        let message = match &i.source {
            Some(source) => format!("{}: {source}", i.message),
            None => i.message.clone(),
        };
        Error(Box::new(Inner {
            kind: i.kind,
            message,
            response_code: i.response_code,
            remark: i.remark.clone(),
            broker_addr: i.broker_addr.clone(),
            topic: i.topic.clone(),
            source: None,
        }))
    }

    /// Shorthand for an [`ErrorKind::InvalidMessage`] error.
    pub fn invalid_message(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidMessage, message)
    }

    /// Shorthand for an [`ErrorKind::Config`] error.
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    /// Attach the topic.
    pub fn with_topic(mut self, topic: impl Into<String>) -> Self {
        self.0.topic = Some(topic.into());
        self
    }

    /// Attach the broker (or name server) address.
    pub fn with_addr(mut self, addr: impl Into<String>) -> Self {
        self.0.broker_addr = Some(addr.into());
        self
    }

    /// Attach a cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    /// Prefix the message with context ("send to broker-a failed: ...").
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.0.message = format!("{context}: {}", self.0.message);
        self
    }

    /// The classification.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The broker's response code, for [`ErrorKind::Broker`] / [`ErrorKind::Auth`] errors.
    pub fn response_code(&self) -> Option<i32> {
        self.0.response_code
    }

    /// The broker's remark (its error text), if any.
    pub fn remark(&self) -> Option<&str> {
        self.0.remark.as_deref()
    }

    /// The address of the broker or name server involved.
    pub fn broker_addr(&self) -> Option<&str> {
        self.0.broker_addr.as_deref()
    }

    /// The topic involved.
    pub fn topic(&self) -> Option<&str> {
        self.0.topic.as_deref()
    }

    /// The message without context fields.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Whether a send that failed this way may be retried on another broker: transport
    /// failures, and the codes of the 5.x `DefaultMQProducer.retryResponseCodes`.
    pub fn is_retryable(&self) -> bool {
        match self.0.kind {
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::ConnectionClosed => true,
            // An ACL refusal in SYSTEM_ERROR form (4.x AclException): every broker of the cluster
            // reads the same ACL file, so retrying it only triples the wait. NO_PERMISSION is
            // retried as Java 5.x does (it also means "this broker's topic is not writable").
            ErrorKind::Auth => self.0.response_code == Some(rc::NO_PERMISSION),
            ErrorKind::Broker => matches!(
                self.0.response_code,
                Some(
                    rc::TOPIC_NOT_EXIST
                        | rc::SERVICE_NOT_AVAILABLE
                        | rc::SYSTEM_ERROR
                        | rc::SYSTEM_BUSY
                        | rc::NO_PERMISSION
                        | rc::NO_BUYER_ID
                        | rc::NOT_IN_CURRENT_UNIT
                        | rc::GO_AWAY
                )
            ),
            _ => false,
        }
    }

    /// Whether the failure says the broker could not be reached at all (used to isolate it).
    pub fn is_unreachable(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Connect | ErrorKind::ConnectionClosed)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)?;
        if let Some(remark) = self.0.remark.as_deref().filter(|r| !r.is_empty()) {
            write!(f, ": {remark}")?;
        }
        if let Some(topic) = &self.0.topic {
            write!(f, " [topic {topic}]")?;
        }
        if let Some(addr) = &self.0.broker_addr {
            write!(f, " [peer {addr}]")?;
        }
        if let Some(source) = &self.0.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<rocketmq_remoting::Error> for Error {
    fn from(e: rocketmq_remoting::Error) -> Self {
        use rocketmq_remoting::ErrorKind as R;
        let kind = match e.kind() {
            R::Connect => ErrorKind::Connect,
            R::Timeout => ErrorKind::Timeout,
            R::ConnectionClosed => ErrorKind::ConnectionClosed,
            R::Encode => ErrorKind::InvalidMessage,
            _ => ErrorKind::Protocol,
        };
        let addr = e.addr().map(str::to_owned);
        let mut err = Error::new(kind, e.message().to_owned());
        err.0.broker_addr = addr;
        err.with_source(e)
    }
}

/// The Java name of a response code, for messages.
pub fn response_code_name(code: i32) -> &'static str {
    match code {
        rc::SUCCESS => "SUCCESS",
        rc::SYSTEM_ERROR => "SYSTEM_ERROR",
        rc::SYSTEM_BUSY => "SYSTEM_BUSY",
        rc::REQUEST_CODE_NOT_SUPPORTED => "REQUEST_CODE_NOT_SUPPORTED",
        rc::FLUSH_DISK_TIMEOUT => "FLUSH_DISK_TIMEOUT",
        rc::SLAVE_NOT_AVAILABLE => "SLAVE_NOT_AVAILABLE",
        rc::FLUSH_SLAVE_TIMEOUT => "FLUSH_SLAVE_TIMEOUT",
        rc::MESSAGE_ILLEGAL => "MESSAGE_ILLEGAL",
        rc::SERVICE_NOT_AVAILABLE => "SERVICE_NOT_AVAILABLE",
        rc::VERSION_NOT_SUPPORTED => "VERSION_NOT_SUPPORTED",
        rc::NO_PERMISSION => "NO_PERMISSION",
        rc::TOPIC_NOT_EXIST => "TOPIC_NOT_EXIST",
        rc::PULL_NOT_FOUND => "PULL_NOT_FOUND",
        rc::PULL_RETRY_IMMEDIATELY => "PULL_RETRY_IMMEDIATELY",
        rc::PULL_OFFSET_MOVED => "PULL_OFFSET_MOVED",
        rc::QUERY_NOT_FOUND => "QUERY_NOT_FOUND",
        rc::SUBSCRIPTION_PARSE_FAILED => "SUBSCRIPTION_PARSE_FAILED",
        rc::SUBSCRIPTION_NOT_EXIST => "SUBSCRIPTION_NOT_EXIST",
        rc::SUBSCRIPTION_NOT_LATEST => "SUBSCRIPTION_NOT_LATEST",
        rc::SUBSCRIPTION_GROUP_NOT_EXIST => "SUBSCRIPTION_GROUP_NOT_EXIST",
        rc::INVALID_PARAMETER => "INVALID_PARAMETER",
        rc::FLOW_CONTROL => "FLOW_CONTROL",
        rc::GO_AWAY => "GO_AWAY",
        _ => "broker error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_classification_follows_java_5x() {
        for code in [1, 2, 14, 16, 17, 204, 205, 1500] {
            assert!(Error::broker(code, None, "b:1").is_retryable(), "code {code}");
        }
        for code in [13, 29, 3, 23] {
            assert!(!Error::broker(code, None, "b:1").is_retryable(), "code {code}");
        }
        assert!(Error::new(ErrorKind::Timeout, "t").is_retryable());
        assert!(!Error::invalid_message("x").is_retryable());
    }

    #[test]
    fn display_carries_context() {
        let e = Error::broker(17, Some("no route".into()), "127.0.0.1:10911").with_topic("T");
        let text = e.to_string();
        assert!(text.contains("TOPIC_NOT_EXIST (code 17)"), "{text}");
        assert!(text.contains("no route") && text.contains("[topic T]") && text.contains("127.0.0.1:10911"), "{text}");
        assert_eq!(e.kind(), ErrorKind::Broker);
        assert_eq!(Error::broker(16, None, "a").kind(), ErrorKind::Auth);
    }
}
