//! One connection per remote address, created on first use and recreated after it fails.
//!
//! The pool owns the client's transport choice ([`Connector`]) and its request hooks
//! ([`RpcHooks`]): every request and oneway through [`ConnectionPool::invoke`] and
//! [`ConnectionPool::invoke_oneway`] passes the hooks, whatever its target.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

use crate::command::RemotingCommand;
use crate::connection::{Connection, RequestHandler};
use crate::connector::Connector;
use crate::error::{Error, ErrorKind, Result};
use crate::hook::RpcHooks;
use crate::lock::lock;

/// Connection settings shared by a pool.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// TCP connect timeout (Java `connectTimeoutMillis`, default 3000 ms).
    pub connect_timeout: Duration,
    /// How streams are opened: plain TCP (default) or TLS (Java `useTLS`).
    pub connector: Connector,
    /// Hooks run on every request and response (Java `RPCHook`s), in order.
    pub hooks: RpcHooks,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions { connect_timeout: Duration::from_millis(3000), connector: Connector::Tcp, hooks: RpcHooks::new() }
    }
}

/// Connections keyed by `host:port`.
pub struct ConnectionPool {
    options: PoolOptions,
    handler: Arc<dyn RequestHandler>,
    live: Mutex<HashMap<String, Connection>>,
    connecting: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    counters: PoolCounters,
}

/// Connection counts of a pool (client statistics).
#[derive(Debug, Default)]
pub struct PoolCounters {
    /// Connections opened.
    pub connects: AtomicU64,
    /// Connections opened to replace one that had closed (a reconnect).
    pub reconnects: AtomicU64,
    /// Connection attempts that failed.
    pub connect_failures: AtomicU64,
}

impl std::fmt::Debug for ConnectionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionPool").field("options", &self.options).finish_non_exhaustive()
    }
}

impl ConnectionPool {
    /// A pool whose connections hand peer-initiated requests to `handler`.
    pub fn new(options: PoolOptions, handler: Arc<dyn RequestHandler>) -> Self {
        ConnectionPool {
            options,
            handler,
            live: Mutex::new(HashMap::new()),
            connecting: Mutex::new(HashMap::new()),
            counters: PoolCounters::default(),
        }
    }

    /// How many connections were opened, reopened, or failed to open.
    pub fn counters(&self) -> &PoolCounters {
        &self.counters
    }

    fn cached(&self, addr: &str) -> Option<Connection> {
        lock(&self.live).get(addr).filter(|c| !c.is_closed()).cloned()
    }

    /// The live connection to `addr`, connecting (once, even under concurrent callers) if needed.
    pub async fn get(&self, addr: &str, deadline: Instant) -> Result<Connection> {
        if let Some(conn) = self.cached(addr) {
            return Ok(conn);
        }
        // Boxed: the connect (and TLS handshake) state is kilobytes, and every request's future
        // would otherwise carry it, copied at each spawn and move, for a path taken once.
        Box::pin(self.connect(addr, deadline)).await
    }

    /// The slow path of [`get`](Self::get): connect, one at a time per address.
    async fn connect(&self, addr: &str, deadline: Instant) -> Result<Connection> {
        let gate = lock(&self.connecting).entry(addr.to_owned()).or_default().clone();
        let _serialized = match tokio::time::timeout_at(deadline, gate.lock()).await {
            Ok(guard) => guard,
            Err(_) => return Err(Error::new(ErrorKind::Connect, "timed out waiting to connect").with_addr(addr)),
        };
        if let Some(conn) = self.cached(addr) {
            return Ok(conn);
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        let conn = Connection::connect_with(
            &self.options.connector,
            addr,
            remaining.min(self.options.connect_timeout),
            self.handler.clone(),
        )
        .await
        .inspect_err(|_| {
            self.counters.connect_failures.fetch_add(1, Ordering::Relaxed);
        })?;
        self.counters.connects.fetch_add(1, Ordering::Relaxed);
        if let Some(old) = lock(&self.live).insert(addr.to_owned(), conn.clone()) {
            self.counters.reconnects.fetch_add(1, Ordering::Relaxed);
            old.close();
        }
        Ok(conn)
    }

    /// Send `request` to `addr` and wait for the response; `timeout` covers connecting too.
    pub async fn invoke(&self, addr: &str, mut request: RemotingCommand, timeout: Duration) -> Result<RemotingCommand> {
        let deadline = Instant::now() + timeout;
        let conn = self.get(addr, deadline).await?;
        let code = request.code;
        self.options.hooks.before_request(addr, &mut request)?;
        let mut response = conn.request(request, deadline.saturating_duration_since(Instant::now())).await?;
        self.options.hooks.after_response(addr, code, &mut response)?;
        Ok(response)
    }

    /// Send a oneway request to `addr`.
    pub async fn invoke_oneway(&self, addr: &str, mut request: RemotingCommand, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let conn = self.get(addr, deadline).await?;
        self.options.hooks.before_request(addr, &mut request)?;
        conn.oneway(request, deadline.saturating_duration_since(Instant::now())).await
    }

    /// Close and forget the connection to `addr` (e.g. a broker that left the route).
    pub fn close(&self, addr: &str) {
        if let Some(conn) = lock(&self.live).remove(addr) {
            conn.close();
        }
    }

    /// Close every connection.
    pub fn close_all(&self) {
        for (_, conn) in lock(&self.live).drain() {
            conn.close();
        }
    }

    /// Addresses with a live connection.
    pub fn addresses(&self) -> Vec<String> {
        lock(&self.live).iter().filter(|(_, c)| !c.is_closed()).map(|(a, _)| a.clone()).collect()
    }
}
