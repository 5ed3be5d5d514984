//! Talking to the name servers: one is used while it answers, the next on failure
//! (`NettyRemotingClient.getAndCreateNameserverChannel`).

use rocketmq_remoting::body::route::TopicRouteData;
use rocketmq_remoting::header::GetRouteInfoRequestHeader;
use rocketmq_remoting::{request_code, response_code, ConnectionPool, RemotingCommand, SerializeType};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result};

/// The name server list and which one is in use.
#[derive(Debug)]
pub struct NameServers {
    addrs: Vec<String>,
    current: AtomicUsize,
}

impl NameServers {
    /// Start at a random name server, as Java does, so clients spread over the list.
    pub fn new(addrs: Vec<String>) -> Self {
        let start = if addrs.is_empty() { 0 } else { fastrand::usize(..addrs.len()) };
        NameServers { addrs, current: AtomicUsize::new(start) }
    }

    /// The configured addresses.
    pub fn addrs(&self) -> &[String] {
        &self.addrs
    }

    /// Send a request built by `make` to the current name server, moving on to the next one on
    /// a transport failure, until every server was tried or `timeout` ran out.
    pub async fn invoke(
        &self,
        pool: &ConnectionPool,
        make: impl Fn() -> RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand> {
        if self.addrs.is_empty() {
            return Err(Error::config("no name server address configured"));
        }
        let deadline = Instant::now() + timeout;
        let start = self.current.load(Ordering::Relaxed);
        let mut failures: Vec<(String, Error)> = Vec::new();
        for step in 0..self.addrs.len() {
            let index = (start + step) % self.addrs.len();
            let addr = &self.addrs[index];
            if Instant::now() >= deadline {
                break;
            }
            // Share what is left among the servers not tried yet, so a hung (half-open) name
            // server costs its share, not the whole timeout (issue #10).
            let left = u32::try_from(self.addrs.len() - step).unwrap_or(u32::MAX).max(1);
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
