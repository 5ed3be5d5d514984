//! The one error type of the remoting layer.
//!
//! Classified by what went wrong on the wire, not by business meaning: the client crate
//! decides what a broker's response code means for a send or a pull.

use std::fmt;

/// What kind of failure a remoting [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The TCP connection could not be established (refused, unreachable, connect timeout).
    Connect,
    /// No response arrived within the request's deadline.
    Timeout,
    /// The connection closed (or was closed) while the request was pending or being written.
    ConnectionClosed,
    /// The peer sent bytes that are not a valid frame, header or body.
    Protocol,
    /// A value cannot be encoded (too long for the format, invalid header value, ...).
    Encode,
    /// A response header field is missing or has the wrong format.
    Header,
}

impl ErrorKind {
    /// A short stable name, used in log lines and in Python exception messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::ConnectionClosed => "connection closed",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Encode => "encode",
            ErrorKind::Header => "header",
        }
    }
}

/// A remoting failure: its kind, a message, the peer address when known, and the cause.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    addr: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), addr: None, source: None }
    }

    /// Shorthand for a [`ErrorKind::Protocol`] error.
    pub fn protocol(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, message)
    }

    /// Attach the remote address the error concerns.
    pub fn with_addr(mut self, addr: impl Into<String>) -> Self {
        self.addr = Some(addr.into());
        self
    }

    /// Attach the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without address or cause.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The remote address, when known.
    pub fn addr(&self) -> Option<&str> {
        self.addr.as_deref()
    }

    /// Whether the request may have reached the peer and the same call can reasonably be
    /// retried elsewhere (transport failures are; malformed input is not).
    pub fn is_transport(&self) -> bool {
        matches!(self.kind, ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::ConnectionClosed)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(addr) = &self.addr {
            write!(f, " (peer {addr})")?;
        }
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}
