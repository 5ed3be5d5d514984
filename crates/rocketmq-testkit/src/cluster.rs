//! A cluster of real name servers and brokers on loopback.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;

use crate::admin::{self, TopicRoute, TBW102};
use crate::config::{broker_toml, BrokerConfigInput, BrokerPorts, ConfigOverride};
use crate::error::{Result, TestkitError, TestkitErrorKind};
use crate::install::Binaries;
use crate::ports;
use crate::process::{ProcessSpec, Slot};
use crate::remote::{Remote, REMOTE_ENV};
use crate::tempdir::TempDir;

/// Default time allowed for each process to become ready.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default `brokerClusterName` (Java's default too).
pub const DEFAULT_CLUSTER_NAME: &str = "DefaultCluster";
/// Upper bound on processes of one kind, to catch typos like `brokers(100)`.
pub const MAX_PROCESSES: usize = 16;
/// How many times an initial start is retried on fresh ports after "address in use".
const BIND_RETRIES: usize = 3;
/// Per-request deadline of readiness probes.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
const POLL: Duration = Duration::from_millis(100);
/// How long a restart waits for name servers to forget the killed broker.
const STALE_ROUTE_WAIT: Duration = Duration::from_secs(5);

/// A name server's address and files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamesrvInfo {
    /// `127.0.0.1:port`.
    pub addr: String,
    /// Its private directory (HOME, ROCKETMQ_HOME, kv.json).
    pub dir: PathBuf,
    /// Its stdout+stderr log, appended across restarts.
    pub log: PathBuf,
}

/// A broker's name, addresses and files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    /// `brokerName`.
    pub name: String,
    /// `127.0.0.1:listenPort`, the address in routes.
    pub addr: String,
    /// `127.0.0.1:listenPort-2`, the "fast"/VIP remoting listener.
    pub fast_addr: String,
    /// `127.0.0.1:haListenPort`.
    pub ha_addr: String,
    /// Its private directory (HOME, ROCKETMQ_HOME, broker.toml, store/).
    pub dir: PathBuf,
    /// The store root (`storePathRootDir`), kept across restarts.
    pub store_dir: PathBuf,
    /// Its stdout+stderr log, appended across restarts.
    pub log: PathBuf,
}

#[derive(Debug)]
struct NamesrvNode {
    port: u16,
    slot: Slot,
}

impl NamesrvNode {
    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

#[derive(Debug)]
struct BrokerNode {
    name: String,
    ports: BrokerPorts,
    store_dir: PathBuf,
    slot: Slot,
    /// `brokerIp1`: the IP routes show (127.0.0.1 unless advertised elsewhere).
    advertised_ip: String,
}

impl BrokerNode {
    /// The address routes show (`brokerIp1:listenPort`).
    fn addr(&self) -> String {
        format!("{}:{}", self.advertised_ip, self.ports.listen)
    }

    /// The address it listens on.
    fn bind_addr(&self) -> String {
        format!("127.0.0.1:{}", self.ports.listen)
    }
}

/// Configures and starts a [`Cluster`].
#[derive(Debug, Clone)]
pub struct ClusterBuilder {
    namesrvs: usize,
    brokers: usize,
    cluster_name: String,
    rocketmq_home: Option<PathBuf>,
    timeout: Duration,
    overrides: Vec<ConfigOverride>,
    advertised_ips: BTreeMap<usize, String>,
    acl: Option<(String, String)>,
    namesrv_tls: Option<NamesrvTls>,
}

/// Where the name servers' TLS certificate and key come from.
#[derive(Debug, Clone)]
enum NamesrvTls {
    /// PEM files on this machine.
    Files(PathBuf, PathBuf),
    /// The PEM text itself, written into the cluster directory: what a remote cluster gets,
    /// since the test's paths mean nothing on the `rmq-testkit serve` side (a Windows path
    /// under Wine).
    Pem(String, String),
}

impl Default for ClusterBuilder {
    fn default() -> Self {
        ClusterBuilder {
            namesrvs: 1,
            brokers: 1,
            cluster_name: DEFAULT_CLUSTER_NAME.to_owned(),
            rocketmq_home: None,
            timeout: DEFAULT_TIMEOUT,
            overrides: Vec::new(),
            advertised_ips: BTreeMap::new(),
            acl: None,
            namesrv_tls: None,
        }
    }
}

impl ClusterBuilder {
    /// Number of name servers (default 1, at least 1).
    pub fn namesrvs(mut self, n: usize) -> Self {
        self.namesrvs = n;
        self
    }

    /// Number of brokers, each its own broker name and master (default 1; 0 is allowed).
    pub fn brokers(mut self, m: usize) -> Self {
        self.brokers = m;
        self
    }

    /// `brokerClusterName` of every broker (default `DefaultCluster`).
    pub fn cluster_name(mut self, name: impl Into<String>) -> Self {
        self.cluster_name = name.into();
        self
    }

    /// Take the binaries from this install root instead of `ROCKETMQ_RUST_HOME` / the default cache.
    pub fn rocketmq_home(mut self, dir: impl Into<PathBuf>) -> Self {
        self.rocketmq_home = Some(dir.into());
        self
    }

    /// Time each process gets to become ready (default 60 s); also bounds route waits.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Add or replace one broker setting: `section` is a TOML table (`broker`, `store`,
    /// `broker.brokerServerConfig`...), `value` a TOML literal (`true`, `42`, `"text"`).
    pub fn broker_config(mut self, section: &str, key: &str, value: &str) -> Self {
        self.overrides.push(ConfigOverride {
            section: section.to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
        });
        self
    }

    /// Turn on the brokers' authentication (rocketmq-rust's ACL 2.0: `authenticationEnabled`)
    /// with one user, `access_key` / `secret`, a super user (`initAuthenticationUser`), stored
    /// under the cluster directory (`authConfigPath`). Every broker request must then carry a
    /// valid ACL signature; the name servers stay open, as in Java. [`Cluster::create_topic`]
    /// sends unsigned requests and is refused: let topics be auto-created by a signed send.
    pub fn acl(mut self, access_key: impl Into<String>, secret: impl Into<String>) -> Self {
        self.acl = Some((access_key.into(), secret.into()));
        self
    }

    /// Serve TLS only on every name server (`tls.server.mode=enforcing`, Java's key, with this
    /// PEM certificate chain and private key), through the name server's `-c` file of `tls.*`
    /// properties. rocketmq-rust's broker 1.0.0, as installed (without its `tls` cargo feature),
    /// speaks no TLS and so cannot register with such a name server: use it with `brokers(0)`.
    /// With `RMQ_TESTKIT_REMOTE` the two files are read here and their text sent to the server.
    pub fn namesrv_tls(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.namesrv_tls = Some(NamesrvTls::Files(cert.into(), key.into()));
        self
    }

    /// [`namesrv_tls`](Self::namesrv_tls) from the PEM text of the certificate chain and the
    /// private key, written into the cluster's directory (`rmq-testkit --namesrv-tls-pem`).
    pub fn namesrv_tls_pem(mut self, cert_pem: impl Into<String>, key_pem: impl Into<String>) -> Self {
        self.namesrv_tls = Some(NamesrvTls::Pem(cert_pem.into(), key_pem.into()));
        self
    }

    /// Make broker `i` advertise `ip` (its `brokerIp1`) while still listening on 127.0.0.1 with
    /// the same port, so that a [`FaultProxy`](crate::proxy::FaultProxy) started with
    /// [`start_on`](crate::proxy::FaultProxy::start_on) at `ip:port` sits between clients and it
    /// (the advertised port is always the one bound, in Java too). `ip` must be a loopback
    /// address other than 127.0.0.1, e.g. `127.0.0.2`. Until that proxy runs, clients cannot
    /// reach the broker. Not available with `RMQ_TESTKIT_REMOTE`.
    pub fn broker_advertised_ip(mut self, i: usize, ip: impl Into<String>) -> Self {
        self.advertised_ips.insert(i, ip.into());
        self
    }

    /// Start every name server, then every broker, and wait until each broker is registered
    /// (listed in the `TBW102` route) on every name server.
    pub async fn start(self) -> Result<Cluster> {
        if self.namesrvs == 0 || self.namesrvs > MAX_PROCESSES || self.brokers > MAX_PROCESSES {
            return Err(TestkitError::new(
                TestkitErrorKind::InvalidArgument,
                format!(
                    "a cluster needs 1..={MAX_PROCESSES} name servers and 0..={MAX_PROCESSES} brokers, got {} and {}",
                    self.namesrvs, self.brokers
                ),
            ));
        }
        if self.cluster_name.trim().is_empty() {
            return Err(TestkitError::new(TestkitErrorKind::InvalidArgument, "cluster name is empty"));
        }
        if let Some(addr) = std::env::var(REMOTE_ENV).ok().filter(|a| !a.trim().is_empty()) {
            if !self.advertised_ips.is_empty() {
                return Err(TestkitError::new(
                    TestkitErrorKind::InvalidArgument,
                    "broker_advertised_ip is not available with RMQ_TESTKIT_REMOTE",
                ));
            }
            return self.start_remote(addr.trim().to_owned()).await;
        }
        let binaries = match &self.rocketmq_home {
            Some(home) => Binaries::in_home(home)?,
            None => Binaries::locate()?,
        };
        let dir = TempDir::new("rmq-testkit")?;
        let mut overrides = self.overrides.clone();
        if let Some((access_key, secret)) = &self.acl {
            overrides.extend(acl_overrides(&dir.path().join("auth"), access_key, secret));
        }
        let namesrv_tls = match &self.namesrv_tls {
            None => None,
            Some(NamesrvTls::Files(cert, key)) => Some((cert.clone(), key.clone())),
            Some(NamesrvTls::Pem(cert, key)) => {
                let write = |name: &str, text: &str| -> Result<PathBuf> {
                    let path = dir.path().join(name);
                    std::fs::write(&path, text)
                        .map_err(|e| TestkitError::io(format!("cannot write {}", path.display()), e))?;
                    Ok(path)
                };
                Some((write("namesrv-tls-cert.pem", cert)?, write("namesrv-tls-key.pem", key)?))
            }
        };
        let mut cluster = Cluster {
            binaries,
            cluster_name: self.cluster_name.clone(),
            timeout: self.timeout,
            overrides,
            advertised_ips: self.advertised_ips.clone(),
            namesrv_tls,
            namesrvs: Vec::new(),
            brokers: Vec::new(),
            remote: None,
            dir,
        };
        // On any error below, dropping `cluster` kills what was started and removes the dir.
        cluster.start_initial_namesrvs(self.namesrvs).await?;
        cluster.start_initial_brokers(self.brokers).await?;
        Ok(cluster)
    }

    /// The cluster from a native `rmq-testkit serve` at `addr` (`RMQ_TESTKIT_REMOTE`).
    async fn start_remote(self, addr: String) -> Result<Cluster> {
        let mut args = vec![
            "cluster".to_owned(),
            "--namesrvs".to_owned(),
            self.namesrvs.to_string(),
            "--brokers".to_owned(),
            self.brokers.to_string(),
            "--cluster-name".to_owned(),
            self.cluster_name.clone(),
            "--timeout".to_owned(),
            self.timeout.as_secs().max(1).to_string(),
        ];
        for o in &self.overrides {
            args.push("--broker-config".to_owned());
            args.push(format!("{}.{}={}", o.section, o.key, o.value));
        }
        if let Some((access_key, secret)) = &self.acl {
            args.push("--acl".to_owned());
            args.push(format!("{access_key}:{secret}"));
        }
        match &self.namesrv_tls {
            None => {}
            Some(NamesrvTls::Files(cert, key)) => {
                let read = |path: &Path| {
                    std::fs::read_to_string(path)
                        .map_err(|e| TestkitError::io(format!("cannot read {}", path.display()), e))
                };
                args.extend(["--namesrv-tls-pem".to_owned(), read(cert)?, read(key)?]);
            }
            Some(NamesrvTls::Pem(cert, key)) => {
                args.extend(["--namesrv-tls-pem".to_owned(), cert.clone(), key.clone()]);
            }
        }
        let remote = Remote::start(addr, args).await?;
        Ok(Cluster {
            binaries: Binaries { namesrv: PathBuf::new(), broker: PathBuf::new() },
            cluster_name: self.cluster_name,
            timeout: self.timeout,
            overrides: self.overrides,
            advertised_ips: BTreeMap::new(),
            namesrv_tls: None,
            namesrvs: Vec::new(),
            brokers: Vec::new(),
            remote: Some(remote),
            dir: TempDir::new("rmq-testkit-remote")?,
        })
    }
}

/// The broker settings of [`ClusterBuilder::acl`] (rocketmq-rust's `rocketmq-auth`: a blank
/// `authConfigPath` is refused when authentication is on; `initAuthenticationUser` in its
/// `user:password` form seeds a super user at start).
fn acl_overrides(auth_dir: &std::path::Path, access_key: &str, secret: &str) -> [ConfigOverride; 3] {
    let entry = |key: &str, value: String| ConfigOverride { section: "broker".to_owned(), key: key.to_owned(), value };
    [
        entry("authenticationEnabled", "true".to_owned()),
        entry("authConfigPath", crate::config::toml_string(&auth_dir.to_string_lossy())),
        entry("initAuthenticationUser", crate::config::toml_string(&format!("{access_key}:{secret}"))),
    ]
}

/// Real name servers and brokers on 127.0.0.1, each with free ports, a fresh directory and a
/// log file. Dropping it SIGKILLs every process and removes the directory (unless
/// `RMQ_TESTKIT_KEEP=1`).
///
/// All methods take `&self`, so a cluster can sit in an `Arc` and be faulted from another task.
#[derive(Debug)]
pub struct Cluster {
    binaries: Binaries,
    cluster_name: String,
    timeout: Duration,
    overrides: Vec<ConfigOverride>,
    advertised_ips: BTreeMap<usize, String>,
    /// PEM certificate and key of [`ClusterBuilder::namesrv_tls`].
    namesrv_tls: Option<(PathBuf, PathBuf)>,
    namesrvs: Vec<NamesrvNode>,
    brokers: Vec<BrokerNode>,
    /// Set when a native `rmq-testkit serve` runs the processes (`RMQ_TESTKIT_REMOTE`).
    remote: Option<Remote>,
    // Declared last: dropped after the processes are gone.
    dir: TempDir,
}

/// Whether a start failed because another process took one of our ports. rocketmq-rust exits
/// with status 70 and a bare "Service lifecycle operation failed" whatever the cause, so look at
/// the ports instead of the log: after our process died, a port we cannot bind belongs to
/// someone else.
fn lost_port_race(error: &TestkitError, ports: &[u16]) -> bool {
    error.kind() == TestkitErrorKind::ProcessExited && ports.iter().any(|p| !ports::bindable(*p))
}

/// Send `SIG<name>` to a running broker's PID with `kill(1)` (no libc binding needed).
fn signal(pid: Option<u32>, name: &str, i: usize) -> Result<()> {
    let pid =
        pid.ok_or_else(|| TestkitError::new(TestkitErrorKind::InvalidArgument, format!("broker {i} is not running")))?;
    let status = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .map_err(|e| TestkitError::io(format!("cannot run kill -{name} {pid}"), e))?;
    if !status.success() {
        return Err(TestkitError::new(TestkitErrorKind::Io, format!("kill -{name} {pid} exited with {status}")));
    }
    Ok(())
}

fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| TestkitError::io(format!("cannot create {}", path.display()), e))
}

impl Cluster {
    /// A builder: 1 name server, 1 broker, cluster `DefaultCluster`, 60 s timeout.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::default()
    }

    /// `127.0.0.1:p1;127.0.0.1:p2`, the client's name server address list.
    pub fn namesrv_addr(&self) -> String {
        self.namesrv_addrs().join(";")
    }

    /// Each name server's `127.0.0.1:port`.
    pub fn namesrv_addrs(&self) -> Vec<String> {
        if let Some(r) = &self.remote {
            return r.namesrv_addrs();
        }
        self.namesrvs.iter().map(NamesrvNode::addr).collect()
    }

    /// Each name server's address and files.
    pub fn namesrvs(&self) -> Vec<NamesrvInfo> {
        if let Some(r) = &self.remote {
            return r.namesrvs();
        }
        self.namesrvs
            .iter()
            .map(|n| NamesrvInfo { addr: n.addr(), dir: n.slot.spec.home.clone(), log: n.slot.spec.log.clone() })
            .collect()
    }

    /// Each broker's name, addresses and files.
    pub fn brokers(&self) -> Vec<BrokerInfo> {
        if let Some(r) = &self.remote {
            return r.brokers();
        }
        self.brokers
            .iter()
            .map(|b| BrokerInfo {
                name: b.name.clone(),
                addr: b.addr(),
                fast_addr: format!("127.0.0.1:{}", b.ports.fast),
                ha_addr: format!("127.0.0.1:{}", b.ports.ha),
                dir: b.slot.spec.home.clone(),
                store_dir: b.store_dir.clone(),
                log: b.slot.spec.log.clone(),
            })
            .collect()
    }

    /// `brokerClusterName` of the brokers.
    pub fn cluster_name(&self) -> &str {
        &self.cluster_name
    }

    /// The cluster's directory (one sub-directory per process).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Keep the directory after drop (also set by `RMQ_TESTKIT_KEEP=1`).
    pub fn keep_dir(&mut self, keep: bool) {
        self.dir.set_keep(keep);
    }

    /// PID of broker `i` while it runs.
    pub fn broker_pid(&self, i: usize) -> Option<u32> {
        if let Some(r) = &self.remote {
            return r.pid("brokers", i);
        }
        self.brokers.get(i).and_then(|b| b.slot.pid())
    }

    /// PID of name server `i` while it runs.
    pub fn namesrv_pid(&self, i: usize) -> Option<u32> {
        if let Some(r) = &self.remote {
            return r.pid("namesrv_details", i);
        }
        self.namesrvs.get(i).and_then(|n| n.slot.pid())
    }

    /// PIDs of every running process.
    pub fn pids(&self) -> Vec<u32> {
        if let Some(r) = &self.remote {
            let brokers = (0..r.count("brokers")).filter_map(|i| r.pid("brokers", i));
            return brokers
                .chain((0..r.count("namesrv_details")).filter_map(|i| r.pid("namesrv_details", i)))
                .collect();
        }
        let brokers = self.brokers.iter().filter_map(|b| b.slot.pid());
        brokers.chain(self.namesrvs.iter().filter_map(|n| n.slot.pid())).collect()
    }

    /// Whether broker `i` runs.
    pub fn is_broker_running(&self, i: usize) -> bool {
        if let Some(r) = &self.remote {
            return r.running("brokers", i);
        }
        self.brokers.get(i).is_some_and(|b| b.slot.is_running())
    }

    /// Whether name server `i` runs.
    pub fn is_namesrv_running(&self, i: usize) -> bool {
        if let Some(r) = &self.remote {
            return r.running("namesrv_details", i);
        }
        self.namesrvs.get(i).is_some_and(|n| n.slot.is_running())
    }

    fn broker(&self, i: usize) -> Result<&BrokerNode> {
        self.brokers.get(i).ok_or_else(|| {
            TestkitError::new(
                TestkitErrorKind::InvalidArgument,
                format!("no broker {i}: the cluster has {} brokers", self.brokers.len()),
            )
        })
    }

    fn namesrv(&self, i: usize) -> Result<&NamesrvNode> {
        self.namesrvs.get(i).ok_or_else(|| {
            TestkitError::new(
                TestkitErrorKind::InvalidArgument,
                format!("no name server {i}: the cluster has {} name servers", self.namesrvs.len()),
            )
        })
    }

    /// SIGKILL broker `i` (through its child handle) and reap it; its ports then refuse
    /// connections. The name servers drop it from routes when they notice the closed channel.
    /// No-op when it is not running.
    pub fn kill_broker(&self, i: usize) -> Result<()> {
        if let Some(r) = &self.remote {
            return r.command_blocking(&format!("kill-broker {i}"));
        }
        self.broker(i)?.slot.kill()
    }

    /// Restart broker `i` with the same ports, config and store, and wait until it is ready
    /// (accepts TCP and is listed on every running name server). No-op when it is running.
    pub async fn start_broker(&self, i: usize) -> Result<()> {
        if let Some(r) = &self.remote {
            return r.command(format!("start-broker {i}")).await;
        }
        let broker = self.broker(i)?;
        if !broker.slot.is_running() {
            // Name servers drop a dead broker when its channel closes (~50 ms after the kill).
            // Wait for that first, so that "listed" below means "registered again", not a stale
            // entry of the killed process.
            self.wait_unlisted(broker, STALE_ROUTE_WAIT).await;
        }
        broker.slot.start()?;
        self.wait_broker_ready(broker).await
    }

    /// SIGSTOP broker `i`: it keeps its sockets open but answers nothing (a hung broker).
    /// [`Cluster::resume_broker`] undoes it; dropping the cluster still kills it.
    pub fn pause_broker(&self, i: usize) -> Result<()> {
        signal(self.broker_pid(i), "STOP", i)
    }

    /// SIGCONT broker `i` after [`Cluster::pause_broker`].
    pub fn resume_broker(&self, i: usize) -> Result<()> {
        signal(self.broker_pid(i), "CONT", i)
    }

    /// SIGKILL name server `i` and reap it. No-op when it is not running.
    pub fn kill_namesrv(&self, i: usize) -> Result<()> {
        if let Some(r) = &self.remote {
            return r.command_blocking(&format!("kill-namesrv {i}"));
        }
        self.namesrv(i)?.slot.kill()
    }

    /// Restart name server `i` on the same port and wait until it accepts TCP and every
    /// running broker has re-registered with it: within 10 s (the registration period here) for
    /// brokers that did not try to reach it while it was down, up to ~40 s for those that did
    /// (rocketmq-rust skips an unreachable name server until its 30 s rescan).
    pub async fn start_namesrv(&self, i: usize) -> Result<()> {
        if let Some(r) = &self.remote {
            return r.command(format!("start-namesrv {i}")).await;
        }
        let namesrv = self.namesrv(i)?;
        namesrv.slot.start()?;
        let deadline = Instant::now() + self.timeout;
        wait_tcp(&namesrv.slot, namesrv.port, deadline).await?;
        for broker in self.brokers.iter().filter(|b| b.slot.is_running()) {
            self.wait_listed(broker, &[namesrv], deadline).await?;
        }
        Ok(())
    }

    /// Create `topic` with `queues` read and write queues on every running broker
    /// (UPDATE_AND_CREATE_TOPIC), then wait until every running name server routes it to
    /// every running broker. Needed because an auto-created topic exists only on the broker
    /// that received its first message.
    pub async fn create_topic(&self, topic: &str, queues: u32) -> Result<()> {
        if let Some(r) = &self.remote {
            return r.command(format!("create-topic {topic} {queues}")).await;
        }
        let queues_i32 = i32::try_from(queues).ok().filter(|q| (1..=1024).contains(q)).ok_or_else(|| {
            TestkitError::new(TestkitErrorKind::InvalidArgument, format!("queues must be 1..=1024, got {queues}"))
        })?;
        if topic.is_empty()
            || topic.len() > 127
            || !topic.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '%' | '-' | '_' | '|'))
        {
            return Err(TestkitError::new(
                TestkitErrorKind::InvalidArgument,
                format!("invalid topic name {topic:?}: use 1..=127 of [A-Za-z0-9%_|-]"),
            ));
        }
        let running: Vec<&BrokerNode> = self.brokers.iter().filter(|b| b.slot.is_running()).collect();
        if running.is_empty() {
            return Err(TestkitError::new(TestkitErrorKind::InvalidArgument, "no broker is running"));
        }
        for broker in &running {
            admin::create_topic_on(&broker.bind_addr(), topic, queues_i32, PROBE_TIMEOUT * 3).await?;
        }
        let deadline = Instant::now() + self.timeout;
        let expected = i64::from(queues_i32);
        for namesrv in self.namesrvs.iter().filter(|n| n.slot.is_running()) {
            let addr = namesrv.addr();
            loop {
                let last = match admin::topic_route(&addr, topic, PROBE_TIMEOUT).await {
                    Ok(Some(route)) => {
                        let missing: Vec<&str> = running
                            .iter()
                            .filter(|b| {
                                !route.lists(&b.name, &b.addr())
                                    || route.queues_of(&b.name).map(|q| q.write_queue_nums) != Some(expected)
                            })
                            .map(|b| b.name.as_str())
                            .collect();
                        if missing.is_empty() {
                            break;
                        }
                        format!("route lacks {missing:?} with {queues} queues: {route:?}")
                    }
                    Ok(None) => "no route yet".to_owned(),
                    Err(e) => e.to_string(),
                };
                if Instant::now() >= deadline {
                    return Err(TestkitError::new(
                        TestkitErrorKind::Timeout,
                        format!("topic {topic} not routed by name server {addr} within {:?}: {last}", self.timeout),
                    ));
                }
                tokio::time::sleep(POLL * 2).await;
            }
        }
        Ok(())
    }

    /// The route of `topic` on name server `i` (`None` when it has none).
    pub async fn topic_route(&self, i: usize, topic: &str) -> Result<Option<TopicRoute>> {
        let addr =
            match &self.remote {
                Some(r) => r.namesrv_addrs().get(i).cloned().ok_or_else(|| {
                    TestkitError::new(TestkitErrorKind::InvalidArgument, format!("no name server {i}"))
                })?,
                None => self.namesrv(i)?.addr(),
            };
        admin::topic_route(&addr, topic, PROBE_TIMEOUT).await
    }

    /// Kill everything now (what drop does).
    pub fn shutdown(self) {
        drop(self);
    }

    fn kill_all(&self) {
        for broker in &self.brokers {
            let _ = broker.slot.kill();
        }
        for namesrv in &self.namesrvs {
            let _ = namesrv.slot.kill();
        }
    }

    fn namesrv_spec(&self, i: usize, port: u16) -> Result<ProcessSpec> {
        let home = self.dir.path().join(format!("namesrv-{i}"));
        create_dir(&home)?;
        let mut args: Vec<std::ffi::OsString> = vec![
            "--listenPort".into(),
            port.to_string().into(),
            "--bindAddress".into(),
            "127.0.0.1".into(),
            "--kvConfigPath".into(),
            home.join("kv.json").into_os_string(),
        ];
        if let Some((cert, key)) = &self.namesrv_tls {
            // The name server reads its `-c` file three ways (NamesrvConfig and transport
            // overrides through the `config` crate, chosen by extension, and `tls.*` as Java
            // properties): an `.ini` of bare `key=value` lines satisfies all three.
            let file = home.join("namesrv-tls.ini");
            let text = format!(
                "tls.enable=true\ntls.server.mode=enforcing\ntls.server.certPath={}\ntls.server.keyPath={}\n",
                cert.display(),
                key.display()
            );
            std::fs::write(&file, text).map_err(|e| TestkitError::io(format!("cannot write {}", file.display()), e))?;
            args.push("-c".into());
            args.push(file.into_os_string());
        }
        Ok(ProcessSpec {
            label: format!("name server {i} (127.0.0.1:{port})"),
            program: self.binaries.namesrv.clone(),
            args,
            log: home.join("namesrv.log"),
            home,
        })
    }

    async fn start_initial_namesrvs(&mut self, n: usize) -> Result<()> {
        for i in 0..n {
            let port = ports::reserve_block(1)?;
            let slot = Slot::new(self.namesrv_spec(i, port)?);
            slot.start()?;
            self.namesrvs.push(NamesrvNode { port, slot });
        }
        for i in 0..n {
            let mut attempt = 0;
            loop {
                let deadline = Instant::now() + self.timeout;
                let node = &self.namesrvs[i];
                match wait_tcp(&node.slot, node.port, deadline).await {
                    Ok(()) => break,
                    Err(e) if attempt < BIND_RETRIES && lost_port_race(&e, &[self.namesrvs[i].port]) => {
                        attempt += 1;
                        let port = ports::reserve_block(1)?;
                        let slot = Slot::new(self.namesrv_spec(i, port)?);
                        slot.start()?;
                        let old = std::mem::replace(&mut self.namesrvs[i], NamesrvNode { port, slot });
                        ports::release([old.port]);
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    fn broker_spec(&self, i: usize, name: &str, ports: BrokerPorts) -> Result<(ProcessSpec, PathBuf)> {
        let home = self.dir.path().join(format!("broker-{i}"));
        let store_dir = home.join("store");
        create_dir(&store_dir)?;
        let namesrv_addr = self.namesrv_addr();
        let mut overrides = self.overrides.clone();
        if let Some(ip) = self.advertised_ips.get(&i) {
            overrides.push(ConfigOverride {
                section: "broker".into(),
                key: "brokerIp1".into(),
                value: crate::config::toml_string(ip),
            });
        }
        let toml = broker_toml(&BrokerConfigInput {
            name,
            cluster: &self.cluster_name,
            namesrv_addr: &namesrv_addr,
            ports,
            store_dir: &store_dir,
            overrides: &overrides,
        });
        let config = home.join("broker.toml");
        std::fs::write(&config, toml).map_err(|e| TestkitError::io(format!("cannot write {}", config.display()), e))?;
        let spec = ProcessSpec {
            label: format!("broker {i} {name} (127.0.0.1:{})", ports.listen),
            program: self.binaries.broker.clone(),
            args: vec!["-c".into(), config.into_os_string()],
            log: home.join("broker.log"),
            home,
        };
        Ok((spec, store_dir))
    }

    fn new_broker_node(&self, i: usize) -> Result<BrokerNode> {
        let name = format!("broker-{i}");
        let ports = BrokerPorts::from_block(ports::reserve_block(4)?);
        let (spec, store_dir) = match self.broker_spec(i, &name, ports) {
            Ok(v) => v,
            Err(e) => {
                ports::release(ports.block());
                return Err(e);
            }
        };
        let advertised_ip = self.advertised_ips.get(&i).cloned().unwrap_or_else(|| "127.0.0.1".to_owned());
        Ok(BrokerNode { name, ports, store_dir, slot: Slot::new(spec), advertised_ip })
    }

    async fn start_initial_brokers(&mut self, m: usize) -> Result<()> {
        for i in 0..m {
            let node = self.new_broker_node(i)?;
            self.brokers.push(node);
            self.brokers[i].slot.start()?;
        }
        for i in 0..m {
            let mut attempt = 0;
            loop {
                match self.wait_broker_ready(&self.brokers[i]).await {
                    Ok(()) => break,
                    Err(e) if attempt < BIND_RETRIES && lost_port_race(&e, &self.brokers[i].ports.block()) => {
                        attempt += 1;
                        let node = self.new_broker_node(i)?;
                        let old = std::mem::replace(&mut self.brokers[i], node);
                        drop(old.slot);
                        ports::release(old.ports.block());
                        // A fresh store for the fresh ports.
                        let _ = std::fs::remove_dir_all(&old.store_dir);
                        let _ = std::fs::create_dir_all(&self.brokers[i].store_dir);
                        self.brokers[i].slot.start()?;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    async fn wait_broker_ready(&self, broker: &BrokerNode) -> Result<()> {
        let deadline = Instant::now() + self.timeout;
        wait_tcp(&broker.slot, broker.ports.listen, deadline).await?;
        let running: Vec<&NamesrvNode> = self.namesrvs.iter().filter(|n| n.slot.is_running()).collect();
        self.wait_listed(broker, &running, deadline).await
    }

    /// Best effort, at most `limit`: wait until no running name server lists `broker`.
    async fn wait_unlisted(&self, broker: &BrokerNode, limit: Duration) {
        let deadline = Instant::now() + limit;
        let addr = broker.addr();
        for namesrv in self.namesrvs.iter().filter(|n| n.slot.is_running()) {
            let ns_addr = namesrv.addr();
            while Instant::now() < deadline {
                match admin::topic_route(&ns_addr, TBW102, PROBE_TIMEOUT).await {
                    Ok(Some(route))
                        if route.brokers.iter().any(|b| b.master_addr.as_deref() == Some(addr.as_str())) =>
                    {
                        tokio::time::sleep(POLL / 2).await;
                    }
                    _ => break,
                }
            }
        }
    }

    /// Wait until each of `namesrvs` lists `broker` in the TBW102 route.
    async fn wait_listed(&self, broker: &BrokerNode, namesrvs: &[&NamesrvNode], deadline: Instant) -> Result<()> {
        let addr = broker.addr();
        for namesrv in namesrvs {
            let ns_addr = namesrv.addr();
            loop {
                broker.slot.check_running("while registering with the name servers")?;
                let last = match admin::topic_route(&ns_addr, TBW102, PROBE_TIMEOUT).await {
                    Ok(Some(route)) if route.lists(&broker.name, &addr) => break,
                    Ok(Some(route)) => format!("TBW102 route does not list it yet: {route:?}"),
                    Ok(None) => "no TBW102 route yet".to_owned(),
                    Err(e) => e.to_string(),
                };
                if Instant::now() >= deadline {
                    return Err(TestkitError::new(
                        TestkitErrorKind::Timeout,
                        format!(
                            "{} not registered with name server {ns_addr} within {:?} ({last}); broker log {}",
                            broker.slot.spec.label,
                            self.timeout,
                            broker.slot.log_location()
                        ),
                    )
                    .with_log_tail(broker.slot.log_tail()));
                }
                tokio::time::sleep(POLL * 2).await;
            }
        }
        Ok(())
    }
}

/// Wait until `127.0.0.1:port` accepts a TCP connection, failing early if the process exits.
async fn wait_tcp(slot: &Slot, port: u16, deadline: Instant) -> Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let started = Instant::now();
    loop {
        slot.check_running("during startup")?;
        if let Ok(Ok(stream)) = tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(addr)).await
        {
            drop(stream);
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(TestkitError::new(
                TestkitErrorKind::Timeout,
                format!(
                    "{} did not accept TCP on {addr} within {:?} (log: {})",
                    slot.spec.label,
                    started.elapsed(),
                    slot.log_location()
                ),
            )
            .with_log_tail(slot.log_tail()));
        }
        tokio::time::sleep(POLL).await;
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.kill_all();
        let brokers = self.brokers.iter().flat_map(|b| b.ports.block());
        let all: Vec<u16> = brokers.chain(self.namesrvs.iter().map(|n| n.port)).collect();
        ports::release(all);
        // `dir` (a TempDir) is dropped after this and removes the files unless kept.
    }
}
