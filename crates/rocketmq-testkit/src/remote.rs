//! Clusters run by a native `rmq-testkit serve` for test binaries that cannot start the
//! servers themselves: the Windows build of the tests under Wine (Wine cannot give a Windows
//! process a handle on a Linux child), see docs/platforms.md.
//!
//! With `RMQ_TESTKIT_REMOTE=127.0.0.1:PORT` set, [`crate::ClusterBuilder::start`] connects there
//! and sends its settings as one JSON line (the `rmq-testkit cluster` arguments); the server
//! starts the cluster and answers with `rmq-testkit`'s `info` JSON, then runs one command per
//! line (`kill-broker I`, `create-topic T Q`, `info`, ...). Closing the connection (dropping the
//! [`crate::Cluster`]) makes the server kill that cluster. The connection is a blocking std
//! socket: async callers go through `spawn_blocking`, so a current-thread test runtime keeps
//! running its client tasks during a restart.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::cluster::{BrokerInfo, NamesrvInfo};
use crate::error::{Result, TestkitError, TestkitErrorKind};

/// Address of a `rmq-testkit serve` that runs the clusters for this process.
pub const REMOTE_ENV: &str = "RMQ_TESTKIT_REMOTE";
/// Longest wait for one answer (a name server restart takes 10-40 s).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Debug)]
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn call(&mut self, line: &str) -> Result<Value> {
        let io = |what: &str, e: std::io::Error| TestkitError::io(format!("remote testkit: {what}"), e);
        self.writer.write_all(format!("{line}\n").as_bytes()).map_err(|e| io("cannot send", e))?;
        let mut answer = String::new();
        let n = self.reader.read_line(&mut answer).map_err(|e| io("cannot read the answer", e))?;
        if n == 0 {
            return Err(TestkitError::new(TestkitErrorKind::Io, "remote testkit closed the connection"));
        }
        let value: Value = serde_json::from_str(answer.trim()).map_err(|e| {
            TestkitError::new(TestkitErrorKind::Protocol, format!("remote testkit answered {answer:?}: {e}"))
        })?;
        if value.get("ok").and_then(Value::as_bool) == Some(true) {
            Ok(value)
        } else {
            let error = value.get("error").and_then(Value::as_str).unwrap_or("no error text").to_owned();
            Err(TestkitError::new(TestkitErrorKind::ProcessExited, format!("remote testkit: {error}")))
        }
    }
}

/// One cluster held by a remote `rmq-testkit serve`.
#[derive(Debug)]
pub(crate) struct Remote {
    conn: Arc<Mutex<Conn>>,
    info: Mutex<Value>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn str_of(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

impl Remote {
    /// Connect to `addr` and start a cluster with `args` (`rmq-testkit cluster` arguments).
    pub(crate) async fn start(addr: String, args: Vec<String>) -> Result<Remote> {
        let joined = tokio::task::spawn_blocking(move || -> Result<Remote> {
            let stream = TcpStream::connect(&addr)
                .map_err(|e| TestkitError::io(format!("cannot reach {REMOTE_ENV}={addr}"), e))?;
            let _ = stream.set_nodelay(true);
            stream
                .set_read_timeout(Some(ANSWER_TIMEOUT))
                .map_err(|e| TestkitError::io("remote testkit: set_read_timeout", e))?;
            let writer = stream.try_clone().map_err(|e| TestkitError::io("remote testkit: clone socket", e))?;
            let mut conn = Conn { reader: BufReader::new(stream), writer };
            let first = serde_json::to_string(&args).map_err(|e| {
                TestkitError::new(TestkitErrorKind::InvalidArgument, format!("cannot encode arguments: {e}"))
            })?;
            let info = conn.call(&first)?;
            Ok(Remote { conn: Arc::new(Mutex::new(conn)), info: Mutex::new(info) })
        })
        .await;
        joined.map_err(|e| TestkitError::new(TestkitErrorKind::Io, format!("remote testkit task failed: {e}")))?
    }

    /// A command that changes the cluster, then a fresh `info`; blocking (fast commands).
    pub(crate) fn command_blocking(&self, line: &str) -> Result<()> {
        let info = {
            let mut conn = lock(&self.conn);
            conn.call(line)?;
            conn.call("info")?
        };
        *lock(&self.info) = info;
        Ok(())
    }

    /// The same, off the runtime's threads (restarts, topic creation).
    pub(crate) async fn command(&self, line: String) -> Result<()> {
        let conn = Arc::clone(&self.conn);
        let joined = tokio::task::spawn_blocking(move || -> Result<Value> {
            let mut conn = lock(&conn);
            conn.call(&line)?;
            conn.call("info")
        })
        .await;
        let info = joined
            .map_err(|e| TestkitError::new(TestkitErrorKind::Io, format!("remote testkit task failed: {e}")))??;
        *lock(&self.info) = info;
        Ok(())
    }

    fn list(&self, key: &str) -> Vec<Value> {
        lock(&self.info).get(key).and_then(Value::as_array).cloned().unwrap_or_default()
    }

    pub(crate) fn namesrv_addrs(&self) -> Vec<String> {
        self.list("namesrvs").iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
    }

    pub(crate) fn namesrvs(&self) -> Vec<NamesrvInfo> {
        self.list("namesrv_details")
            .iter()
            .map(|n| NamesrvInfo {
                addr: str_of(n, "addr"),
                dir: PathBuf::from(str_of(n, "dir")),
                log: PathBuf::from(str_of(n, "log")),
            })
            .collect()
    }

    pub(crate) fn brokers(&self) -> Vec<BrokerInfo> {
        self.list("brokers")
            .iter()
            .map(|b| BrokerInfo {
                name: str_of(b, "name"),
                addr: str_of(b, "addr"),
                fast_addr: str_of(b, "fast_addr"),
                ha_addr: str_of(b, "ha_addr"),
                dir: PathBuf::from(str_of(b, "dir")),
                store_dir: PathBuf::from(str_of(b, "store_dir")),
                log: PathBuf::from(str_of(b, "log")),
            })
            .collect()
    }

    fn field(&self, list: &str, i: usize, key: &str) -> Option<Value> {
        self.list(list).get(i).and_then(|v| v.get(key)).cloned()
    }

    pub(crate) fn pid(&self, list: &str, i: usize) -> Option<u32> {
        self.field(list, i, "pid").and_then(|v| v.as_u64()).and_then(|p| u32::try_from(p).ok())
    }

    pub(crate) fn running(&self, list: &str, i: usize) -> bool {
        self.field(list, i, "running").and_then(|v| v.as_bool()).unwrap_or(false)
    }

    pub(crate) fn count(&self, list: &str) -> usize {
        self.list(list).len()
    }
}
