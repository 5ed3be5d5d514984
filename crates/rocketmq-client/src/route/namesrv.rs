//! Talking to the name servers: one is used while it answers, the next on failure
//! (`NettyRemotingClient.getAndCreateNameserverChannel`). The list is fixed, or looked up over
//! HTTP ([`super::nsaddr`]) and replaced when a lookup returns another one
//! (`MQClientAPIImpl.fetchNameServerAddr` / `updateNameServerAddressList`).

use rocketmq_remoting::body::route::TopicRouteData;
use rocketmq_remoting::header::GetRouteInfoRequestHeader;
use rocketmq_remoting::{request_code, response_code, ConnectionPool, RemotingCommand, SerializeType};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::time::Instant;

use super::nsaddr::LookupUrl;
use crate::error::{Error, ErrorKind, Result};

/// The name server list and which one is in use.
#[derive(Debug)]
pub struct NameServers {
    addrs: RwLock<Arc<Vec<String>>>,
    current: AtomicUsize,
    lookup: Option<Lookup>,
}

#[derive(Debug)]
struct Lookup {
    url: LookupUrl,
    /// One lookup at a time.
    running: tokio::sync::Mutex<()>,
}

impl NameServers {
    /// Start at a random name server, as Java does, so clients spread over the list.
    pub fn new(addrs: Vec<String>) -> Self {
        let start = if addrs.is_empty() { 0 } else { fastrand::usize(..addrs.len()) };
        NameServers { addrs: RwLock::new(Arc::new(addrs)), current: AtomicUsize::new(start), lookup: None }
    }

    /// A list looked up at `url` (empty until the first lookup succeeds).
    pub fn with_lookup(url: LookupUrl) -> Self {
        NameServers {
            addrs: RwLock::new(Arc::new(Vec::new())),
            current: AtomicUsize::new(0),
            lookup: Some(Lookup { url, running: tokio::sync::Mutex::new(()) }),
        }
    }

    /// The list the options give: their addresses, else a lookup at their domain.
    pub fn from_options(options: &crate::options::ClientOptions) -> Result<Self> {
        match &options.namesrv_domain {
            Some(domain) if options.namesrv_addrs.is_empty() => {
                Ok(NameServers::with_lookup(LookupUrl::parse(domain, options.unit_name.as_deref())?))
            }
            _ => Ok(NameServers::new(options.namesrv_addrs.clone())),
        }
    }

    /// The addresses in use now.
    pub fn addrs(&self) -> Arc<Vec<String>> {
        self.addrs.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether the list comes from an HTTP lookup.
    pub fn is_looked_up(&self) -> bool {
        self.lookup.is_some()
    }

    /// Replace the list when it changed; the server in use is picked anew.
    pub fn update(&self, addrs: Vec<String>) -> bool {
        let mut current = self.addrs.write().unwrap_or_else(|p| p.into_inner());
        if **current == addrs || addrs.is_empty() {
            return false;
        }
        tracing::info!(old = ?**current, new = ?addrs, "name server address list changed");
        self.current.store(fastrand::usize(..addrs.len()), Ordering::Relaxed);
        *current = Arc::new(addrs);
        true
    }

    /// Look the list up now (no-op without a lookup URL). A failure keeps the last list and
    /// is logged; it is returned too, for the caller that has no list at all.
    pub async fn lookup_now(&self, timeout: Duration) -> Result<()> {
        let Some(lookup) = &self.lookup else { return Ok(()) };
        let _one = lookup.running.lock().await;
        self.fetch(lookup, timeout).await
    }

    /// The first list, for a request that finds none: one lookup at a time, and none when a
    /// concurrent caller's lookup just succeeded; the wait is bounded by `deadline`.
    async fn first_list(&self, lookup: &Lookup, deadline: Instant) -> Result<()> {
        let _one = tokio::time::timeout_at(deadline, lookup.running.lock())
            .await
            .map_err(|_| Error::new(ErrorKind::Timeout, "timed out waiting for the name server lookup"))?;
        if !self.addrs().is_empty() {
            return Ok(());
        }
        self.fetch(lookup, deadline.saturating_duration_since(Instant::now())).await
    }

    async fn fetch(&self, lookup: &Lookup, timeout: Duration) -> Result<()> {
        match super::nsaddr::fetch(&lookup.url, timeout).await {
            Ok(addrs) => {
                self.update(addrs);
                Ok(())
            }
            Err(e) => {
                tracing::warn!(url = %lookup.url.url(), error = %e, kept = ?*self.addrs(), "name server lookup failed; keeping the last list");
                Err(e)
            }
        }
    }

    /// Send a request built by `make` to the current name server, moving on to the next one on
    /// a transport failure, until every server was tried or `timeout` ran out.
    pub async fn invoke(
        &self,
        pool: &ConnectionPool,
        make: impl Fn() -> RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand> {
        let deadline = Instant::now() + timeout;
        if self.addrs().is_empty() {
            if let Some(lookup) = &self.lookup {
                // No list yet: the first lookup decides (Java looks up at start).
                self.first_list(lookup, deadline).await.map_err(|e| {
                    Error::new(e.kind(), format!("no name server address: lookup at {} failed: {e}", lookup.url.url()))
                })?;
            }
        }
        let addrs = self.addrs();
        if addrs.is_empty() {
            return Err(Error::config("no name server address configured"));
        }
        let start = self.current.load(Ordering::Relaxed);
        let mut failures: Vec<(String, Error)> = Vec::new();
        for step in 0..addrs.len() {
            let index = (start + step) % addrs.len();
            let addr = &addrs[index];
            if Instant::now() >= deadline {
                break;
            }
            // Share what is left among the servers not tried yet, so a hung (half-open) name
            // server costs its share, not the whole timeout (issue #10).
            let left = u32::try_from(addrs.len() - step).unwrap_or(u32::MAX).max(1);
            let budget = deadline.saturating_duration_since(Instant::now()) / left;
            match pool.invoke(addr, make(), budget).await {
                Ok(response) => {
                    if step > 0 {
                        self.current.store(index, Ordering::Relaxed);
                        tracing::info!(namesrv = %addr, "switched to another name server");
                    }
                    return Ok(response);
                }
                Err(e) => {
                    tracing::debug!(namesrv = %addr, error = %e, "name server request failed");
                    failures.push((addr.clone(), e.into()));
                }
            }
        }
        // Keep the failures' own kind: all timed out → Timeout; any refused/unreachable → Connect.
        let kind = if failures.iter().any(|(_, e)| e.kind() == ErrorKind::Connect) {
            ErrorKind::Connect
        } else if failures.iter().any(|(_, e)| e.kind() == ErrorKind::ConnectionClosed) {
            ErrorKind::ConnectionClosed
        } else {
            ErrorKind::Timeout
        };
        let detail = if failures.is_empty() {
            format!("no time left within {} ms", timeout.as_millis())
        } else {
            failures.iter().map(|(addr, e)| format!("{addr}: {e}")).collect::<Vec<_>>().join("; ")
        };
        Err(Error::new(kind, format!("no name server answered ({detail})")))
    }

    /// GET_ROUTEINFO_BY_TOPIC. `Ok(None)` when the name server does not know the topic.
    pub async fn topic_route(
        &self,
        pool: &ConnectionPool,
        topic: &str,
        timeout: Duration,
        serialize_type: SerializeType,
    ) -> Result<Option<TopicRouteData>> {
        let header = GetRouteInfoRequestHeader { topic: topic.to_owned(), accept_standard_json_only: Some(true) };
        let make = || {
            RemotingCommand::request(request_code::GET_ROUTEINFO_BY_TOPIC, &header).with_serialize_type(serialize_type)
        };
        let response = self.invoke(pool, make, timeout).await?;
        match response.code {
            response_code::SUCCESS => {
                let route = TopicRouteData::decode(&response.body)
                    .map_err(|e| Error::from(e).context(format!("route of topic {topic}")))?;
                Ok(Some(route))
            }
            response_code::TOPIC_NOT_EXIST => Ok(None),
            code => Err(Error::broker(code, response.remark, "name server").with_topic(topic)),
        }
    }
}
