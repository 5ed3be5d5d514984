//! A TCP fault proxy on loopback between a client and one server (name server or broker):
//! passes bytes through, or adds latency, stalls (a half-open peer that never answers), or closes
//! the connection in the middle of a response frame. The mode can change while connections are
//! open; dropping the proxy closes everything.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::error::{Result, TestkitError};

/// What the proxy does to the bytes it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Forward everything at once.
    Pass,
    /// Hold every chunk, in both directions, this long before forwarding it.
    Delay(Duration),
    /// Accept and read, forward nothing (both directions) until the mode changes: a hung or
    /// half-open peer.
    Stall,
    /// Forward requests; forward the first half of the next response chunk, then close both
    /// sides (a reset in the middle of a frame). New connections behave the same.
    CloseMidFrame,
}

/// A running proxy. See the module docs.
#[derive(Debug)]
pub struct FaultProxy {
    addr: String,
    mode: watch::Sender<ProxyMode>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Listen on a free loopback port and forward to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> Result<FaultProxy> {
        FaultProxy::start_on("127.0.0.1:0", upstream).await
    }

    /// Listen on `listen` (`ip:port`) and forward to `upstream`: in front of a broker that
    /// advertises `listen` ([`ClusterBuilder::broker_advertised_ip`](crate::ClusterBuilder::broker_advertised_ip)).
    pub async fn start_on(listen: &str, upstream: &str) -> Result<FaultProxy> {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| TestkitError::io(format!("cannot bind the fault proxy on {listen}"), e))?;
        let addr = listener.local_addr().map_err(|e| TestkitError::io("fault proxy address", e))?.to_string();
        let (mode, rx) = watch::channel(ProxyMode::Pass);
        let upstream = upstream.to_owned();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((client, _)) = accepted else { continue };
                        connections.spawn(carry(client, upstream.clone(), rx.clone()));
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        Ok(FaultProxy { addr, mode, task })
    }

    /// `ip:port`, the address clients use instead of the upstream's.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Change the mode; open connections follow it from their next chunk (a stalled chunk is
    /// released when the mode leaves [`ProxyMode::Stall`]).
    pub fn set_mode(&self, mode: ProxyMode) {
        self.mode.send_replace(mode);
    }

    /// The current mode.
    pub fn mode(&self) -> ProxyMode {
        *self.mode.borrow()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // Aborting the accept task drops its JoinSet, which aborts every connection.
        self.task.abort();
    }
}

async fn carry(client: TcpStream, upstream: String, mode: watch::Receiver<ProxyMode>) {
    let Ok(server) = TcpStream::connect(&upstream).await else { return };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    // Whichever direction ends first ends the connection (dropping both halves closes it).
    tokio::select! {
        _ = pump(client_read, server_write, mode.clone(), false) => {}
        _ = pump(server_read, client_write, mode, true) => {}
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut mode: watch::Receiver<ProxyMode>,
    response: bool,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        loop {
            let current = *mode.borrow_and_update();
            match current {
                ProxyMode::Pass => break,
                ProxyMode::Delay(d) => {
                    tokio::time::sleep(d).await;
                    break;
                }
                ProxyMode::Stall => {
                    if mode.changed().await.is_err() {
                        return;
                    }
                }
                ProxyMode::CloseMidFrame if response => {
                    let _ = to.write_all(&chunk[..n.div_ceil(2).min(n.saturating_sub(1)).max(1)]).await;
                    return;
                }
                ProxyMode::CloseMidFrame => break,
            }
        }
        if to.write_all(chunk).await.is_err() {
            return;
        }
    }
}
