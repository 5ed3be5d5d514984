//! Counters behind GET_CONSUMER_RUNNING_INFO's status table (pull/consume RT and TPS) and the
//! consumers' `stats()` (issue #11 §2: counts, latency histograms, consume TPS).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::stats::{LatencyHistogram, Rate, Stats, StatsExt};

#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    pulls: u64,
    pull_rt_us: u64,
    pulled_msgs: u64,
    consumed_ok: u64,
    consumed_failed: u64,
    consume_rt_us: u64,
    consume_calls: u64,
}

/// Cumulative counters; rates are computed between two snapshots.
#[derive(Debug)]
pub struct ConsumeStats {
    pulls: AtomicU64,
    pull_rt_us: AtomicU64,
    pulled_msgs: AtomicU64,
    consumed_ok: AtomicU64,
    consumed_failed: AtomicU64,
    consume_rt_us: AtomicU64,
    consume_calls: AtomicU64,
    undecodable: AtomicU64,
    last: Mutex<(Instant, Totals)>,
    pull_latency: LatencyHistogram,
    consume_latency: LatencyHistogram,
    /// Consume TPS between two `to_stats` calls (apart from the running-info rates).
    consume_rate: Rate,
}

/// Rates since the previous snapshot (Java `ConsumeStatus`).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct StatsSnapshot {
    pub pull_rt_ms: f64,
    pub pull_tps: f64,
    pub consume_rt_ms: f64,
    pub consume_ok_tps: f64,
    pub consume_failed_tps: f64,
    pub consume_failed_msgs: u64,
}

impl Default for ConsumeStats {
    fn default() -> Self {
        ConsumeStats {
            pulls: AtomicU64::new(0),
            pull_rt_us: AtomicU64::new(0),
            pulled_msgs: AtomicU64::new(0),
            consumed_ok: AtomicU64::new(0),
            consumed_failed: AtomicU64::new(0),
            consume_rt_us: AtomicU64::new(0),
            consume_calls: AtomicU64::new(0),
            undecodable: AtomicU64::new(0),
            last: Mutex::new((Instant::now(), Totals::default())),
            pull_latency: LatencyHistogram::default(),
            consume_latency: LatencyHistogram::default(),
            consume_rate: Rate::default(),
        }
    }
}

impl ConsumeStats {
    pub fn record_pull(&self, rt_us: u64, msgs: u64) {
        self.pulls.fetch_add(1, Ordering::Relaxed);
        self.pull_rt_us.fetch_add(rt_us, Ordering::Relaxed);
        self.pulled_msgs.fetch_add(msgs, Ordering::Relaxed);
        self.pull_latency.record(Duration::from_micros(rt_us));
    }

    pub fn record_consume(&self, rt_us: u64, ok: u64, failed: u64) {
        self.consume_calls.fetch_add(1, Ordering::Relaxed);
        self.consume_rt_us.fetch_add(rt_us, Ordering::Relaxed);
        self.consumed_ok.fetch_add(ok, Ordering::Relaxed);
        self.consumed_failed.fetch_add(failed, Ordering::Relaxed);
        self.consume_latency.record(Duration::from_micros(rt_us));
    }

    /// `pulls`, `pulled_msgs`, `consumed_ok`, `consumed_failed`, `undecodable`, `consume_tps`
    /// (acknowledged messages per second since the previous call), `pull_latency` and
    /// `consume_latency` (one listener call) histograms.
    pub fn to_stats(&self) -> Stats {
        let t = self.totals();
        let mut s = Stats::new();
        s.int("pulls", t.pulls);
        s.int("pulled_msgs", t.pulled_msgs);
        s.int("consumed_ok", t.consumed_ok);
        s.int("consumed_failed", t.consumed_failed);
        s.int("undecodable", self.undecodable());
        s.float("consume_tps", self.consume_rate.per_second(t.consumed_ok));
        s.map("pull_latency", self.pull_latency.to_stats());
        s.map("consume_latency", self.consume_latency.to_stats());
        s
    }

    fn totals(&self) -> Totals {
        Totals {
            pulls: self.pulls.load(Ordering::Relaxed),
            pull_rt_us: self.pull_rt_us.load(Ordering::Relaxed),
            pulled_msgs: self.pulled_msgs.load(Ordering::Relaxed),
            consumed_ok: self.consumed_ok.load(Ordering::Relaxed),
            consumed_failed: self.consumed_failed.load(Ordering::Relaxed),
            consume_rt_us: self.consume_rt_us.load(Ordering::Relaxed),
            consume_calls: self.consume_calls.load(Ordering::Relaxed),
        }
    }

    /// Rates since the previous call.
    pub fn snapshot(&self) -> StatsSnapshot {
        let now = Instant::now();
        let cur = self.totals();
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let (then, prev) = *last;
        *last = (now, cur);
        let secs = now.duration_since(then).as_secs_f64().max(1e-3);
        let avg_ms = |us: u64, n: u64| if n == 0 { 0.0 } else { us as f64 / n as f64 / 1000.0 };
        StatsSnapshot {
            pull_rt_ms: avg_ms(cur.pull_rt_us - prev.pull_rt_us, cur.pulls - prev.pulls),
            pull_tps: (cur.pulled_msgs - prev.pulled_msgs) as f64 / secs,
            consume_rt_ms: avg_ms(cur.consume_rt_us - prev.consume_rt_us, cur.consume_calls - prev.consume_calls),
            consume_ok_tps: (cur.consumed_ok - prev.consumed_ok) as f64 / secs,
            consume_failed_tps: (cur.consumed_failed - prev.consumed_failed) as f64 / secs,
            consume_failed_msgs: cur.consumed_failed,
        }
    }

    /// Count messages whose body could not be decoded (never given to a listener).
    pub fn record_undecodable(&self, msgs: u64) {
        self.undecodable.fetch_add(msgs, Ordering::Relaxed);
    }

    /// Messages so far whose body could not be decoded (sent back, then to the DLQ).
    pub fn undecodable(&self) -> u64 {
        self.undecodable.load(Ordering::Relaxed)
    }

    /// Messages consumed successfully so far.
    pub fn consumed_ok(&self) -> u64 {
        self.consumed_ok.load(Ordering::Relaxed)
    }
}
