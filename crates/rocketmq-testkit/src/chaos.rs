//! The ledger-based chaos harness (issue #10): a 2 name server + 2 broker cluster, one producer
//! sending at a fixed rate, one push consumer, a fault injected mid-stream, and a ledger of every
//! acknowledged send and every consumed message. Each run ends in a [`Verdict`].
//!
//! `rmq-chaos` (src/bin/rmq-chaos.rs, `make chaos`) runs every scenario at full length and writes
//! the table into docs/reliability.md; tests/chaos.rs runs short versions in `make test`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rocketmq_client::consumer::{ConsumeContext, ConsumeFromWhere};
use rocketmq_client::{
    ClientOptions, ConsumeResult, ConsumerOptions, Message, MessageExt, Producer, ProducerOptions, PushConsumer,
};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use crate::cluster::Cluster;
use crate::error::{Result, TestkitError, TestkitErrorKind};

/// Body prefix of every ledger message; the rest is its sequence number.
const BODY_PREFIX: &str = "chaos-";

/// What is broken during the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Broker 0 SIGKILLed, restarted after the fault duration.
    BrokerKill,
    /// Broker 0 SIGSTOPped for the fault duration, then SIGCONTed.
    BrokerHang,
    /// Name server 0 SIGKILLed for the rest of the run.
    NamesrvKill,
    /// Both name servers SIGKILLed for the fault duration, then restarted.
    NamesrvAllDown,
    /// A second consumer of the group joins at the fault time; the first one leaves (shuts
    /// down) after the fault duration. Rebalancing moves queues twice under load.
    ConsumerChurn,
}

impl Scenario {
    /// Every scenario, in table order.
    pub const ALL: [Scenario; 5] = [
        Scenario::BrokerKill,
        Scenario::BrokerHang,
        Scenario::NamesrvKill,
        Scenario::NamesrvAllDown,
        Scenario::ConsumerChurn,
    ];

    /// A short stable name (CLI argument, table row).
    pub fn name(self) -> &'static str {
        match self {
            Scenario::BrokerKill => "broker-kill",
            Scenario::BrokerHang => "broker-hang",
            Scenario::NamesrvKill => "namesrv-kill",
            Scenario::NamesrvAllDown => "namesrv-all-down",
            Scenario::ConsumerChurn => "consumer-churn",
        }
    }

    /// Parse [`Scenario::name`].
    pub fn parse(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Rates and times of one run.
#[derive(Debug, Clone)]
pub struct ChaosConfig {
    /// Sends per second (one producer, one send at a time, missed ticks caught up).
    pub rate: u32,
    /// How long the producer sends.
    pub duration: Duration,
    /// When the fault starts, from the first send.
    pub fault_at: Duration,
    /// How long the fault lasts (for [`Scenario::NamesrvKill`]: ignored, it lasts to the end).
    pub fault_for: Duration,
    /// How long, after the last send, every acknowledged message may take to be consumed.
    pub drain_timeout: Duration,
    /// Producer options (the group is replaced by a unique one).
    pub producer: ProducerOptions,
}

impl ChaosConfig {
    /// The `make chaos` figures: 200 msg/s for 30 s, fault at 5 s lasting 10 s (both name
    /// servers: 60 s at 100 msg/s over 80 s).
    pub fn full(scenario: Scenario) -> Self {
        let base = ChaosConfig {
            rate: 200,
            duration: Duration::from_secs(30),
            fault_at: Duration::from_secs(5),
            fault_for: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(120),
            producer: ProducerOptions::default(),
        };
        match scenario {
            Scenario::NamesrvAllDown => {
                ChaosConfig { rate: 100, duration: Duration::from_secs(80), fault_for: Duration::from_secs(60), ..base }
            }
            _ => base,
        }
    }

    /// The `make test` figures: 100 msg/s for 8 s, fault at 2 s lasting 3 s.
    pub fn short(_scenario: Scenario) -> Self {
        ChaosConfig {
            rate: 100,
            duration: Duration::from_secs(8),
            fault_at: Duration::from_secs(2),
            fault_for: Duration::from_secs(3),
            drain_timeout: Duration::from_secs(90),
            producer: ProducerOptions::default(),
        }
    }
}

#[derive(Debug, Default)]
struct Book {
    sent: u64,
    acked: HashMap<u64, String>,
    ack_times: Vec<Duration>,
    failed: BTreeMap<String, u64>,
    consumed: HashMap<u64, u32>,
    consume_times: Vec<Duration>,
    /// (what, when) of fault starts and ends.
    marks: Vec<(&'static str, Duration)>,
}

/// Every acknowledged send and every consumed message of a run, with times from its start.
#[derive(Debug)]
pub struct Ledger {
    start: Instant,
    book: Mutex<Book>,
    changed: watch::Sender<u64>,
}

fn lock(m: &Mutex<Book>) -> MutexGuard<'_, Book> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger { start: Instant::now(), book: Mutex::default(), changed: watch::channel(0).0 }
    }
}

impl Ledger {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// A send of `seq` was attempted.
    pub fn record_sent(&self) {
        lock(&self.book).sent += 1;
    }

    /// `seq` was acknowledged by `broker`.
    pub fn record_ack(&self, seq: u64, broker: &str) {
        let at = self.now();
        let mut book = lock(&self.book);
        book.acked.insert(seq, broker.to_owned());
        book.ack_times.push(at);
    }

    /// A send failed with an error of `kind`.
    pub fn record_failure(&self, kind: &str) {
        *lock(&self.book).failed.entry(kind.to_owned()).or_default() += 1;
    }

    /// `seq` was delivered to the consumer.
    pub fn record_consumed(&self, seq: u64) {
        let at = self.now();
        {
            let mut book = lock(&self.book);
            *book.consumed.entry(seq).or_default() += 1;
            book.consume_times.push(at);
        }
        self.changed.send_modify(|v| *v += 1);
    }

    /// A fault event (`"fault"`, `"healed"`).
    pub fn mark(&self, what: &'static str) {
        let at = self.now();
        lock(&self.book).marks.push((what, at));
    }

    /// Acknowledged sends not consumed (yet).
    pub fn lost(&self) -> u64 {
        let book = lock(&self.book);
        book.acked.keys().filter(|seq| !book.consumed.contains_key(seq)).count() as u64
    }

    /// Wait until every acknowledged send was consumed, at most `within`; the time it took.
    pub async fn wait_drained(&self, within: Duration) -> Option<Duration> {
        let started = Instant::now();
        let mut rx = self.changed.subscribe();
        let waited = tokio::time::timeout(within, rx.wait_for(|_| self.lost() == 0)).await;
        matches!(waited, Ok(Ok(_))).then(|| started.elapsed())
    }

    /// The verdict so far. `send_end` bounds the consume-gap window (the drain after the
    /// last send is no gap); `drain` is what [`Ledger::wait_drained`] returned.
    pub fn verdict(&self, scenario: &str, send_end: Duration, drain: Option<Duration>) -> Verdict {
        let book = lock(&self.book);
        let mut ack_times = book.ack_times.clone();
        ack_times.sort();
        let mut consume_times: Vec<Duration> = book.consume_times.iter().copied().filter(|t| *t <= send_end).collect();
        consume_times.sort();
        let fault_at = book.marks.iter().find(|(w, _)| *w == "fault").map(|(_, t)| *t);
        let healed_at = book.marks.iter().find(|(w, _)| *w == "healed").map(|(_, t)| *t);
        let first_ack_after = |t: Duration| ack_times.iter().find(|a| **a > t).map(|a| *a - t);
        let duplicates = book.consumed.values().map(|n| u64::from(n.saturating_sub(1))).sum();
        let lost = book.acked.keys().filter(|seq| !book.consumed.contains_key(seq)).count() as u64;
        Verdict {
            scenario: scenario.to_owned(),
            sent: book.sent,
            acked: book.acked.len() as u64,
            failed: book.failed.clone(),
            consumed_unique: book.consumed.len() as u64,
            duplicates,
            lost,
            max_publish_gap: max_gap(&ack_times),
            max_consume_gap: max_gap(&consume_times),
            publish_recovery: fault_at.and_then(first_ack_after),
            after_heal: healed_at.and_then(first_ack_after),
            drain,
        }
    }
}

fn max_gap(times: &[Duration]) -> Duration {
    times.windows(2).map(|w| w[1].saturating_sub(w[0])).max().unwrap_or_default()
}

/// The outcome of one run.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Scenario name.
    pub scenario: String,
    /// Sends attempted.
    pub sent: u64,
    /// Sends acknowledged.
    pub acked: u64,
    /// Failed sends by error kind.
    pub failed: BTreeMap<String, u64>,
    /// Distinct messages consumed.
    pub consumed_unique: u64,
    /// Deliveries beyond the first.
    pub duplicates: u64,
    /// Acknowledged but never consumed (must be 0).
    pub lost: u64,
    /// Longest time between two acknowledgements.
    pub max_publish_gap: Duration,
    /// Longest time between two deliveries while sending.
    pub max_consume_gap: Duration,
    /// From the fault to the first acknowledgement after it.
    pub publish_recovery: Option<Duration>,
    /// From the end of the fault to the first acknowledgement after it.
    pub after_heal: Option<Duration>,
    /// From the last send until everything acknowledged was consumed (None: not within the
    /// drain timeout).
    pub drain: Option<Duration>,
}

impl Verdict {
    /// Total failed sends.
    pub fn failed_total(&self) -> u64 {
        self.failed.values().sum()
    }

    /// The markdown table header matching [`Verdict::table_row`].
    pub fn table_header() -> &'static str {
        "| scenario | sent | acked | failed (by kind) | consumed unique | duplicates | acked, never consumed | longest publish gap | longest consume gap | first ack after fault | drain after last send |\n\
         |---|---|---|---|---|---|---|---|---|---|---|"
    }

    /// One markdown table row.
    pub fn table_row(&self) -> String {
        let failed = if self.failed.is_empty() {
            "0".to_owned()
        } else {
            self.failed.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")
        };
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            self.scenario,
            self.sent,
            self.acked,
            failed,
            self.consumed_unique,
            self.duplicates,
            self.lost,
            ms(Some(self.max_publish_gap)),
            ms(Some(self.max_consume_gap)),
            ms(self.publish_recovery),
            ms(self.drain),
        )
    }
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{} ms", d.as_millis()))
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "verdict {}: sent={} acked={} failed={} {:?} consumed_unique={} duplicates={} acked_never_consumed={} \
             max_publish_gap={} max_consume_gap={} first_ack_after_fault={} first_ack_after_heal={} drain={}",
            self.scenario,
            self.sent,
            self.acked,
            self.failed_total(),
            self.failed,
            self.consumed_unique,
            self.duplicates,
            self.lost,
            ms(Some(self.max_publish_gap)),
            ms(Some(self.max_consume_gap)),
            ms(self.publish_recovery),
            ms(self.after_heal),
            ms(self.drain),
        )
    }
}

fn client_error(what: &str, e: rocketmq_client::Error) -> TestkitError {
    TestkitError::new(TestkitErrorKind::Protocol, format!("{what}: {e}")).with_source(e)
}

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), fastrand::u64(..))
}

/// Start a 2 + 2 cluster and run `scenario` on it.
pub async fn run(scenario: Scenario, config: &ChaosConfig) -> Result<Verdict> {
    let cluster = Arc::new(Cluster::builder().namesrvs(2).brokers(2).start().await?);
    run_on(cluster, scenario, config).await
}

/// Run `scenario` on a started cluster of at least 2 name servers and 2 brokers.
pub async fn run_on(cluster: Arc<Cluster>, scenario: Scenario, config: &ChaosConfig) -> Result<Verdict> {
    if config.rate == 0 || config.fault_at >= config.duration {
        return Err(TestkitError::new(
            TestkitErrorKind::InvalidArgument,
            "rate must be > 0 and the fault inside the run",
        ));
    }
    let topic = unique("chaos");
    cluster.create_topic(&topic, 4).await?;
    let mut client = ClientOptions::default();
    client.set_namesrv_addr(&cluster.namesrv_addr()).map_err(|e| client_error("name server address", e))?;
    let ledger = Arc::new(Ledger::default());

    let group = unique("chaos_cg");
    let consumer = start_consumer(&group, &topic, &client, &ledger).await?;

    let producer_options = ProducerOptions { group: unique("chaos_pg"), ..config.producer.clone() };
    let producer = Producer::new(producer_options, client.clone());
    producer.start().await.map_err(|e| client_error("producer start", e))?;

    let faults = tokio::spawn(inject(
        cluster.clone(),
        scenario,
        config.clone(),
        ledger.clone(),
        Churn { group: group.clone(), topic: topic.clone(), client: client.clone(), first: consumer.clone() },
    ));
    let send_end = send_at_rate(&producer, &topic, config, &ledger).await;
    let (fault_result, joined) = match faults.await {
        Ok((r, joined)) => (r, joined),
        Err(e) => (Err(TestkitError::new(TestkitErrorKind::Io, format!("fault task failed: {e}"))), None),
    };
    let drain = match &fault_result {
        Ok(()) => ledger.wait_drained(config.drain_timeout).await,
        Err(_) => None,
    };
    let picked_up = match (&fault_result, scenario) {
        (Ok(()), Scenario::NamesrvAllDown) => new_route_after_heal(&cluster, &producer).await,
        _ => Ok(()),
    };
    producer.shutdown().await;
    consumer.shutdown().await;
    if let Some(joined) = joined {
        joined.shutdown().await;
    }
    fault_result?;
    picked_up?;
    let verdict = ledger.verdict(scenario.name(), send_end, drain);
    tracing::info!("{verdict}");
    Ok(verdict)
}

/// With the name servers back, a topic created after the outage is routed: the client asks
/// the name servers again (it kept its cached routes meanwhile).
async fn new_route_after_heal(cluster: &Cluster, producer: &Producer) -> Result<()> {
    let topic = unique("chaos_after");
    cluster.create_topic(&topic, 4).await?;
    producer
        .send(&Message::new(&topic, "after"))
        .await
        .map_err(|e| client_error("send to a topic created after the name servers returned", e))?;
    Ok(())
}

/// Send `rate` messages a second for `duration`, one at a time; returns when the last ended.
async fn send_at_rate(producer: &Producer, topic: &str, config: &ChaosConfig, ledger: &Ledger) -> Duration {
    let total = u64::from(config.rate) * config.duration.as_secs().max(1);
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / config.rate);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    for seq in 0..total {
        ticker.tick().await;
        ledger.record_sent();
        let msg = Message::new(topic, format!("{BODY_PREFIX}{seq}"));
        match producer.send(&msg).await {
            Ok(r) => ledger.record_ack(seq, &r.queue.broker_name),
            Err(e) => {
                tracing::warn!(seq, error = %e, "chaos send failed");
                ledger.record_failure(&format!("{:?}", e.kind()));
            }
        }
    }
    ledger.now()
}

/// What [`Scenario::ConsumerChurn`] needs to add a member and remove the first.
struct Churn {
    group: String,
    topic: String,
    client: ClientOptions,
    first: PushConsumer,
}

async fn start_consumer(
    group: &str,
    topic: &str,
    client: &ClientOptions,
    ledger: &Arc<Ledger>,
) -> Result<PushConsumer> {
    let mut options = ConsumerOptions::new(group);
    options.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let consumer = PushConsumer::new(options, client.clone());
    consumer.subscribe(topic, "*").map_err(|e| client_error("subscribe", e))?;
    let sink = ledger.clone();
    consumer
        .register_listener(move |msgs: &[MessageExt], _: &ConsumeContext| {
            for m in msgs {
                let seq = std::str::from_utf8(&m.body)
                    .ok()
                    .and_then(|b| b.strip_prefix(BODY_PREFIX))
                    .and_then(|s| s.parse::<u64>().ok());
                if let Some(seq) = seq {
                    sink.record_consumed(seq);
                }
            }
            ConsumeResult::Success
        })
        .map_err(|e| client_error("listener", e))?;
    consumer.start().await.map_err(|e| client_error("consumer start", e))?;
    Ok(consumer)
}

/// The fault schedule; returns the consumer that joined (churn), to be shut down by the caller.
async fn inject(
    cluster: Arc<Cluster>,
    scenario: Scenario,
    config: ChaosConfig,
    ledger: Arc<Ledger>,
    churn: Churn,
) -> (Result<()>, Option<PushConsumer>) {
    if scenario == Scenario::ConsumerChurn {
        tokio::time::sleep(config.fault_at).await;
        ledger.mark("fault");
        let joined = match start_consumer(&churn.group, &churn.topic, &churn.client, &ledger).await {
            Ok(c) => c,
            Err(e) => return (Err(e), None),
        };
        tokio::time::sleep(config.fault_for).await;
        ledger.mark("healed");
        churn.first.shutdown().await;
        return (Ok(()), Some(joined));
    }
    (inject_server_fault(&cluster, scenario, &config, &ledger).await, None)
}

async fn inject_server_fault(
    cluster: &Cluster,
    scenario: Scenario,
    config: &ChaosConfig,
    ledger: &Ledger,
) -> Result<()> {
    // The schedule of the experiment, not synchronisation.
    tokio::time::sleep(config.fault_at).await;
    ledger.mark("fault");
    match scenario {
        Scenario::BrokerKill => cluster.kill_broker(0)?,
        Scenario::BrokerHang => cluster.pause_broker(0)?,
        Scenario::NamesrvKill => cluster.kill_namesrv(0)?,
        Scenario::NamesrvAllDown => {
            cluster.kill_namesrv(0)?;
            cluster.kill_namesrv(1)?;
        }
        Scenario::ConsumerChurn => {}
    }
    if scenario == Scenario::NamesrvKill {
        return Ok(());
    }
    tokio::time::sleep(config.fault_for).await;
    ledger.mark("healed");
    match scenario {
        Scenario::BrokerKill => cluster.start_broker(0).await?,
        Scenario::BrokerHang => cluster.resume_broker(0)?,
        Scenario::NamesrvAllDown => {
            cluster.start_namesrv(0).await?;
            cluster.start_namesrv(1).await?;
        }
        Scenario::NamesrvKill | Scenario::ConsumerChurn => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_counts_duplicates_losses_and_gaps() {
        let ledger = Ledger::default();
        ledger.record_sent();
        ledger.record_ack(1, "a");
        ledger.record_ack(2, "b");
        ledger.record_failure("Timeout");
        ledger.record_consumed(1);
        ledger.record_consumed(1);
        let v = ledger.verdict("x", Duration::from_secs(60), None);
        assert_eq!((v.acked, v.consumed_unique, v.duplicates, v.lost, v.failed_total()), (2, 1, 1, 1, 1));
        assert!(v.table_row().contains("1 Timeout"));
        assert_eq!(
            max_gap(&[Duration::from_millis(1), Duration::from_millis(5), Duration::from_millis(7)]),
            Duration::from_millis(4)
        );
        assert_eq!(Scenario::parse("broker-hang"), Some(Scenario::BrokerHang));
    }
}
