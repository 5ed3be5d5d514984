//! How a connection's byte stream is opened: plain TCP, or TLS over TCP.
//!
//! Chosen once per client (Java `NettyClientConfig.useTLS`) and handed to the pool; the
//! connection code only sees a [`BoxStream`], so it stays transport-agnostic (the shape of
//! async-nats `connector.rs`).

use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::error::{Error, ErrorKind, Result};

/// A bidirectional byte stream a connection can run over.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// An opened stream of either transport.
pub type BoxStream = Box<dyn Stream>;

/// The transport of a client's connections.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Connector {
    /// Plain TCP, Nagle off (Java default).
    #[default]
    Tcp,
}

impl Connector {
    /// A short name for logs: `tcp` or `tls`.
    pub fn name(&self) -> &'static str {
        match self {
            Connector::Tcp => "tcp",
        }
    }

    /// Open a stream to `addr` (`host:port`) within `timeout`, handshake included.
    pub async fn connect(&self, addr: &str, timeout: Duration) -> Result<BoxStream> {
        let deadline = tokio::time::Instant::now() + timeout;
        let tcp = connect_tcp(addr, timeout, deadline).await?;
        match self {
            Connector::Tcp => Ok(Box::new(tcp)),
        }
    }
}

async fn connect_tcp(addr: &str, timeout: Duration, deadline: tokio::time::Instant) -> Result<TcpStream> {
    match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            Ok(stream)
        }
        Ok(Err(e)) => Err(Error::new(ErrorKind::Connect, "cannot connect").with_addr(addr).with_source(e)),
        Err(_) => Err(Error::new(ErrorKind::Connect, format!("connect timed out after {} ms", timeout.as_millis()))
            .with_addr(addr)),
    }
}
