//! The one error type of the testkit.

use std::fmt;

/// What went wrong while installing, starting or talking to a test process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TestkitErrorKind {
    /// The rocketmq-rust binaries are not installed (run `scripts/install-broker.sh`).
    BinaryNotFound,
    /// A file, directory, socket or process operation failed.
    Io,
    /// A process did not become ready (or a route did not appear) in time.
    Timeout,
    /// A process exited while it was expected to run.
    ProcessExited,
    /// A name server or broker answered something unexpected.
    Protocol,
    /// A bad argument: index out of range, zero queues, process already running...
    InvalidArgument,
}

impl TestkitErrorKind {
    /// A short stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            TestkitErrorKind::BinaryNotFound => "binary not found",
            TestkitErrorKind::Io => "io",
            TestkitErrorKind::Timeout => "timeout",
            TestkitErrorKind::ProcessExited => "process exited",
            TestkitErrorKind::Protocol => "protocol",
            TestkitErrorKind::InvalidArgument => "invalid argument",
        }
    }
}

/// A testkit failure: kind, message, and the tail of the process log when one is involved.
#[derive(Debug)]
pub struct TestkitError {
    kind: TestkitErrorKind,
    message: String,
    log_tail: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// Result alias for this crate.
pub type Result<T, E = TestkitError> = std::result::Result<T, E>;

impl TestkitError {
    /// A new error of `kind`.
    pub fn new(kind: TestkitErrorKind, message: impl Into<String>) -> Self {
        TestkitError { kind, message: message.into(), log_tail: None, source: None }
    }

    /// An [`TestkitErrorKind::Io`] error with its cause.
    pub fn io(message: impl Into<String>, source: std::io::Error) -> Self {
        TestkitError::new(TestkitErrorKind::Io, message).with_source(source)
    }

    /// Attach the cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Attach the tail of a process log (shown by `Display`).
    pub fn with_log_tail(mut self, tail: impl Into<String>) -> Self {
        let tail = tail.into();
        if !tail.trim().is_empty() {
            self.log_tail = Some(tail);
        }
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> TestkitErrorKind {
        self.kind
    }

    /// The message, without the log tail.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The last lines of the process log, if the failure involves a process.
    pub fn log_tail(&self) -> Option<&str> {
        self.log_tail.as_deref()
    }
}

impl fmt::Display for TestkitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        if let Some(tail) = &self.log_tail {
            write!(f, "\n--- last lines of the process log ---\n{}", tail.trim_end())?;
        }
        Ok(())
    }
}

impl std::error::Error for TestkitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}
