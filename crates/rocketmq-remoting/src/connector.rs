//! How a connection's byte stream is opened: plain TCP, or TLS over TCP.
//!
//! Chosen once per client (Java `NettyClientConfig.useTLS`) and handed to the pool; the
//! connection code only sees a [`BoxStream`], so it stays transport-agnostic (the shape of
//! async-nats `connector.rs`).

use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::error::{Error, ErrorKind, Result};
use crate::tls::TlsConnector;

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
    /// TLS over TCP (rustls), verified as its [`TlsConnector`] says.
    Tls(TlsConnector),
}

impl Connector {
    /// A short name for logs: `tcp` or `tls`.
    pub fn name(&self) -> &'static str {
        match self {
            Connector::Tcp => "tcp",
            Connector::Tls(_) => "tls",
        }
    }

    /// Open a stream to `addr` (`host:port`) within `timeout`, handshake included.
    pub async fn connect(&self, addr: &str, timeout: Duration) -> Result<BoxStream> {
        let deadline = tokio::time::Instant::now() + timeout;
        let tcp = connect_tcp(addr, timeout, deadline).await?;
        match self {
            Connector::Tcp => Ok(Box::new(tcp)),
            Connector::Tls(tls) => {
                let name = tls.server_name(addr)?;
                let handshake = tokio_rustls::TlsConnector::from(tls.config.clone()).connect(name, tcp);
                match tokio::time::timeout_at(deadline, handshake).await {
                    Ok(Ok(stream)) => Ok(Box::new(stream)),
                    Ok(Err(e)) => Err(Error::new(
                        ErrorKind::Connect,
                        "TLS handshake failed (is the peer serving TLS, and is its certificate trusted?)",
                    )
                    .with_addr(addr)
                    .with_source(e)),
                    Err(_) => Err(Error::new(
                        ErrorKind::Connect,
                        format!("TLS handshake timed out after {} ms (is the peer serving TLS?)", timeout.as_millis()),
                    )
                    .with_addr(addr)),
                }
            }
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
