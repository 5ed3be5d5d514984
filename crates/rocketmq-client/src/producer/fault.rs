//! Latency fault tolerance: after a failed or slow send, keep away from that broker for a
//! while (`client/latency/MQFaultStrategy.java`, `LatencyFaultToleranceImpl.java`, 5.x tables).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Latency thresholds in ms (5.x `latencyMax`).
const LATENCY_MAX_MS: [u64; 7] = [50, 100, 550, 1800, 3000, 5000, 15000];
/// Penalty for each threshold in ms (5.x `notAvailableDuration`).
const NOT_AVAILABLE_MS: [u64; 7] = [0, 0, 2000, 5000, 6000, 10000, 30000];
/// A failed send counts as this latency (5.x: 10 s penalty).
const ISOLATION_LATENCY_MS: u64 = 10_000;

#[derive(Debug, Clone, Copy)]
struct FaultItem {
    available_after: Instant,
    reachable: bool,
}

/// Per-broker penalties.
#[derive(Debug, Default)]
pub struct LatencyFaultTolerance {
    items: Mutex<HashMap<String, FaultItem>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The penalty a send of `latency` earns (largest threshold at or below it).
pub fn not_available_duration(latency: Duration) -> Duration {
    let ms = latency.as_millis() as u64;
    LATENCY_MAX_MS
        .iter()
        .zip(NOT_AVAILABLE_MS)
        .rev()
        .find(|(max, _)| ms >= **max)
        .map_or(Duration::ZERO, |(_, penalty)| Duration::from_millis(penalty))
}

impl LatencyFaultTolerance {
    /// Record the outcome of a send to `broker`. `failed` sends are isolated for 10 s;
    /// `reachable=false` marks a broker that could not even be connected to.
    pub fn record(&self, broker: &str, latency: Duration, failed: bool, reachable: bool) {
        let latency = if failed { Duration::from_millis(ISOLATION_LATENCY_MS) } else { latency };
        let penalty = not_available_duration(latency);
        let mut items = lock(&self.items);
        if penalty.is_zero() && reachable {
            items.remove(broker);
            return;
        }
        items.insert(broker.to_owned(), FaultItem { available_after: Instant::now() + penalty, reachable });
    }

    /// Whether `broker` is out of its penalty.
    pub fn is_available(&self, broker: &str) -> bool {
        lock(&self.items).get(broker).is_none_or(|item| Instant::now() >= item.available_after)
    }

    /// Whether `broker` was reachable at its last attempt (or is out of penalty).
    pub fn is_reachable(&self, broker: &str) -> bool {
        lock(&self.items).get(broker).is_none_or(|item| item.reachable || Instant::now() >= item.available_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalties_follow_the_java_table() {
        assert_eq!(not_available_duration(Duration::from_millis(10)), Duration::ZERO);
        assert_eq!(not_available_duration(Duration::from_millis(549)), Duration::ZERO);
        assert_eq!(not_available_duration(Duration::from_millis(550)), Duration::from_secs(2));
        assert_eq!(not_available_duration(Duration::from_millis(3500)), Duration::from_secs(6));
        assert_eq!(not_available_duration(Duration::from_secs(20)), Duration::from_secs(30));
    }

    #[test]
    fn failed_broker_is_avoided_and_recovers_on_success() {
        let f = LatencyFaultTolerance::default();
        assert!(f.is_available("a"));
        f.record("a", Duration::from_millis(1), true, false);
        assert!(!f.is_available("a"));
        assert!(!f.is_reachable("a"));
        assert!(f.is_available("b"));
        f.record("a", Duration::from_millis(1), false, true);
        assert!(f.is_available("a"), "a fast success clears the penalty");
    }
}
