//! One multiplexed connection to a name server or broker.
//!
//! A cloneable handle in front of two tasks: the writer drains the connection's queue of encoded
//! frames (coalescing bursts into one write; see `writer.rs`, which also lets a blocked
//! thread write its own frame without waking the task); the reader owns the read half,
//! routes responses to waiters by `opaque` and hands peer-initiated requests to a
//! [`RequestHandler`]. When either side fails, every pending waiter fails at once with
//! [`ErrorKind::ConnectionClosed`] and the handle reports [`Connection::is_closed`]; the pool
//! then reconnects on next use.
//!
//! The connection is stream-agnostic: a [`crate::connector::Connector`] opens the byte stream
//! (plain TCP or TLS) and [`Connection::from_stream`] runs the protocol over it. A frame is
//! queued as two buffers, the encoded head and the body, and written with vectored writes, so
//! a body is never copied into the frame nor into a coalesced batch.

use bytes::{Buf, Bytes, BytesMut};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::codes::response_code;
use crate::command::{RemotingCommand, FLAG_RESPONSE, MAX_FRAME_LENGTH};
use crate::connector::Connector;
use crate::error::{Error, ErrorKind, Result};
use crate::lock::lock;
use crate::writer::FrameWriter;

/// A boxed future, as returned by [`RequestHandler::handle`].
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Serves requests that the peer starts (transaction checks, consumer notifications, ...).
pub trait RequestHandler: Send + Sync + 'static {
    /// Handle `request` from `peer`. The returned command, if any, is sent back as the
    /// response (its opaque and response flag are set here); nothing is sent for oneway requests.
    fn handle(&self, peer: &str, request: RemotingCommand) -> BoxFuture<Option<RemotingCommand>>;
}

/// Answers every request with `REQUEST_CODE_NOT_SUPPORTED`, as a Java peer without a processor does.
#[derive(Debug, Default, Clone, Copy)]
pub struct NotSupportedHandler;

impl RequestHandler for NotSupportedHandler {
    fn handle(&self, _peer: &str, request: RemotingCommand) -> BoxFuture<Option<RemotingCommand>> {
        Box::pin(async move { Some(not_supported(&request)) })
    }
}

/// The standard answer to a request code nobody handles.
pub fn not_supported(request: &RemotingCommand) -> RemotingCommand {
    RemotingCommand::response(
        response_code::REQUEST_CODE_NOT_SUPPORTED,
        request.opaque,
        Some(format!(" request type {} not supported", request.code)),
    )
}

type Waiter = oneshot::Sender<Result<RemotingCommand>>;

struct Shared {
    addr: String,
    writer: FrameWriter,
    pending: Mutex<HashMap<i32, Waiter>>,
    closed: AtomicBool,
    closed_tx: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    /// Mark closed and fail every waiter. Idempotent.
    fn close(&self, reason: &str) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::debug!(peer = %self.addr, reason, "connection closed");
        self.closed_tx.send_replace(true);
        self.writer.fail(reason);
        let waiters: Vec<Waiter> = lock(&self.pending).drain().map(|(_, w)| w).collect();
        for waiter in waiters {
            let _ = waiter.send(Err(Error::new(ErrorKind::ConnectionClosed, format!("connection closed: {reason}"))
                .with_addr(self.addr.clone())));
        }
    }

    fn closed_error(&self) -> Error {
        Error::new(ErrorKind::ConnectionClosed, "connection is closed").with_addr(self.addr.clone())
    }

    /// Queue `frame` for writing (waiting while the queue is full); a write failure closes
    /// the connection.
    async fn write(&self, frame: (Bytes, Bytes)) -> Result<()> {
        // Outside a runtime task (a thread blocked on this call), write inline: see `writer`.
        let inline = tokio::task::try_id().is_none();
        match self.writer.push(frame, inline).await {
            Ok(()) => Ok(()),
            Err(reason) => {
                self.close(&reason);
                Err(self.closed_error())
            }
        }
    }
}

/// Removes a waiter when its request future is dropped (timeout, cancellation, Ctrl-C).
struct PendingGuard<'a> {
    shared: &'a Shared,
    opaque: i32,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(&self.shared.pending).remove(&self.opaque);
    }
}

/// A handle to one connection; cheap to clone.
#[derive(Clone)]
pub struct Connection {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("addr", &self.shared.addr).field("closed", &self.is_closed()).finish()
    }
}

impl Connection {
    /// Connect over plain TCP (no Nagle) within `connect_timeout`.
    pub async fn connect(addr: &str, connect_timeout: Duration, handler: Arc<dyn RequestHandler>) -> Result<Self> {
        Connection::connect_with(&Connector::Tcp, addr, connect_timeout, handler).await
    }

    /// Open the stream with `connector` (TCP or TLS) within `connect_timeout` and run the
    /// protocol over it.
    pub async fn connect_with(
        connector: &Connector,
        addr: &str,
        connect_timeout: Duration,
        handler: Arc<dyn RequestHandler>,
    ) -> Result<Self> {
        let stream = connector.connect(addr, connect_timeout).await?;
        tracing::debug!(peer = addr, transport = connector.name(), "connected");
        Ok(Connection::from_stream(stream, addr, handler))
    }

    /// Run the protocol over any byte stream (TCP, TLS, or an in-memory duplex in tests).
    pub fn from_stream<S>(stream: S, addr: &str, handler: Arc<dyn RequestHandler>) -> Self
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (read_half, write_half) = tokio::io::split(stream);
        let shared = Arc::new(Shared {
            addr: addr.to_owned(),
            writer: FrameWriter::new(write_half),
            pending: Mutex::new(HashMap::new()),
            closed: AtomicBool::new(false),
            closed_tx: watch::channel(false).0,
            tasks: Mutex::new(Vec::new()),
        });
        let writer = tokio::spawn(write_loop(shared.clone()));
        let reader = tokio::spawn(read_loop(read_half, shared.clone(), handler));
        lock(&shared.tasks).extend([writer, reader]);
        Connection { shared }
    }

    /// The peer address this connection was opened to.
    pub fn addr(&self) -> &str {
        &self.shared.addr
    }

    /// Whether the connection has failed or been closed.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::SeqCst)
    }

    /// Resolves once the connection is closed (by either side or by a failure).
    pub async fn closed(&self) {
        let mut rx = self.shared.closed_tx.subscribe();
        // `wait_for` checks the current value first, so a close that already happened counts.
        let _ = rx.wait_for(|closed| *closed).await;
    }

    /// Send `request` and wait for its response, at most `timeout`.
    pub async fn request(&self, request: RemotingCommand, timeout: Duration) -> Result<RemotingCommand> {
        let frame = request.encode_parts()?;
        let opaque = request.opaque;
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.pending).insert(opaque, tx);
        let _guard = PendingGuard { shared: &self.shared, opaque };
        if self.is_closed() {
            return Err(self.shared.closed_error());
        }
        let deadline = tokio::time::Instant::now() + timeout;
        match tokio::time::timeout_at(deadline, self.shared.write(frame)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(self.timeout_error(request.code, timeout)),
        }
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(self.shared.closed_error()),
            Err(_) => Err(self.timeout_error(request.code, timeout)),
        }
    }

    /// Send a oneway request (flag bit 1); no response is expected.
    pub async fn oneway(&self, mut request: RemotingCommand, timeout: Duration) -> Result<()> {
        request.mark_oneway();
        let frame = request.encode_parts()?;
        if self.is_closed() {
            return Err(self.shared.closed_error());
        }
        match tokio::time::timeout(timeout, self.shared.write(frame)).await {
            Ok(result) => result,
            Err(_) => Err(self.timeout_error(request.code, timeout)),
        }
    }

    /// Close the connection; pending requests fail with `ConnectionClosed`.
    pub fn close(&self) {
        self.shared.close("closed by client");
        for task in lock(&self.shared.tasks).drain(..) {
            task.abort();
        }
    }

    fn timeout_error(&self, code: i32, timeout: Duration) -> Error {
        Error::new(ErrorKind::Timeout, format!("request {code} got no response within {} ms", timeout.as_millis()))
            .with_addr(self.shared.addr.clone())
    }
}

/// The writer task: writes what senders queued without writing it themselves (see `writer`),
/// until a write fails or the connection closes.
async fn write_loop(shared: Arc<Shared>) {
    let reason = shared.writer.run().await;
    shared.close(&reason);
    shared.writer.shutdown().await;
}

async fn read_loop<R: AsyncRead>(read_half: R, shared: Arc<Shared>, handler: Arc<dyn RequestHandler>) {
    tokio::pin!(read_half);
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let reason = loop {
        match next_frame(&mut buf) {
            Ok(Some(frame)) => {
                match RemotingCommand::decode(frame) {
                    Ok(cmd) => dispatch(cmd, &shared, &handler),
                    Err(e) => break format!("undecodable frame: {e}"),
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => break e.to_string(),
        }
        match read_half.read_buf(&mut buf).await {
            Ok(0) if buf.is_empty() => break "peer closed the connection".to_owned(),
            Ok(0) => break format!("peer closed the connection inside a frame ({} bytes pending)", buf.len()),
            Ok(_) => {}
            Err(e) => break format!("read failed: {e}"),
        }
    };
    shared.close(&reason);
    if !reason.starts_with("peer closed") {
        tracing::warn!(peer = %shared.addr, %reason, "dropping connection");
    }
}

/// Split one whole frame (without its length prefix) off `buf`, if one is complete.
fn next_frame(buf: &mut BytesMut) -> Result<Option<Bytes>> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    if !(4..=MAX_FRAME_LENGTH).contains(&len) {
        return Err(Error::protocol(format!("frame length {len} outside 4..={MAX_FRAME_LENGTH}")));
    }
    if buf.len() < 4 + len {
        buf.reserve(4 + len - buf.len());
        return Ok(None);
    }
    buf.advance(4);
    Ok(Some(buf.split_to(len).freeze()))
}

fn dispatch(cmd: RemotingCommand, shared: &Arc<Shared>, handler: &Arc<dyn RequestHandler>) {
    if cmd.is_response() {
        match lock(&shared.pending).remove(&cmd.opaque) {
            Some(waiter) => {
                let _ = waiter.send(Ok(cmd));
            }
            None => {
                tracing::debug!(peer = %shared.addr, opaque = cmd.opaque, code = cmd.code, "response without waiter")
            }
        }
        return;
    }
    let handler = handler.clone();
    let shared = shared.clone();
    let peer = shared.addr.clone();
    tokio::spawn(async move {
        let opaque = cmd.opaque;
        let oneway = cmd.is_oneway();
        let serialize_type = cmd.serialize_type;
        let response = handler.handle(&peer, cmd).await;
        if oneway {
            return;
        }
        if let Some(mut response) = response {
            response.opaque = opaque;
            response.flag |= FLAG_RESPONSE;
            response.serialize_type = serialize_type;
            match response.encode_parts() {
                Ok(frame) => {
                    let _ = shared.write(frame).await;
                }
                Err(e) => tracing::warn!(%peer, error = %e, "cannot encode response to peer request"),
            }
        }
    });
}
