//! When the periodic route refresh runs (`MQClientInstance.startScheduledTask`, the
//! `pollNameServerInterval` task), with a back-off Java does not have (issue #10).
//!
//! Java refreshes every 30 s whether the name servers answer or not. Here, once a refresh finds
//! no name server answering, the next try comes sooner and then less and less often: 1 s, 2 s,
//! 4 s, … capped at the poll interval, back to the poll interval after the first success. A
//! name server that comes back is noticed within seconds (and its route changes picked up), and
//! a long outage costs no more than one attempt per poll interval.

use std::time::Duration;

/// First retry after a refresh in which no name server answered.
pub const FIRST_RETRY: Duration = Duration::from_secs(1);

/// How a refresh went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// A name server answered (or there was nothing to refresh).
    Answered,
    /// No name server answered.
    Unreachable,
}

/// The delay before each refresh.
#[derive(Debug, Clone)]
pub struct RefreshSchedule {
    poll: Duration,
    next_retry: Duration,
    failures: u32,
}

impl RefreshSchedule {
    /// A schedule with the poll interval `poll` (also the back-off's cap).
    pub fn new(poll: Duration) -> Self {
        RefreshSchedule { poll, next_retry: FIRST_RETRY.min(poll), failures: 0 }
    }

    /// The delay before the first refresh.
    pub fn first(&self) -> Duration {
        self.poll
    }

    /// Consecutive refreshes in which no name server answered.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The delay before the next refresh, given how the last one went.
    pub fn after(&mut self, outcome: RefreshOutcome) -> Duration {
        match outcome {
            RefreshOutcome::Answered => {
                self.failures = 0;
                self.next_retry = FIRST_RETRY.min(self.poll);
                self.poll
            }
            RefreshOutcome::Unreachable => {
                self.failures = self.failures.saturating_add(1);
                let delay = self.next_retry;
                self.next_retry = (self.next_retry * 2).min(self.poll);
                delay
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RefreshOutcome::{Answered, Unreachable};

    fn secs(s: &[u64]) -> Vec<Duration> {
        s.iter().map(|&s| Duration::from_secs(s)).collect()
    }

    #[test]
    fn backs_off_exponentially_up_to_the_poll_interval_and_resets_on_success() {
        let mut s = RefreshSchedule::new(Duration::from_secs(30));
        assert_eq!(s.first(), Duration::from_secs(30));
        let outcomes = [Answered, Unreachable, Unreachable, Unreachable, Unreachable, Unreachable, Unreachable];
        let delays: Vec<Duration> = outcomes.iter().map(|&o| s.after(o)).collect();
        assert_eq!(delays, secs(&[30, 1, 2, 4, 8, 16, 30]));
        assert_eq!(s.after(Unreachable), Duration::from_secs(30), "capped at the poll interval");
        assert_eq!(s.failures(), 7);
        assert_eq!(s.after(Answered), Duration::from_secs(30));
        assert_eq!(s.failures(), 0);
        assert_eq!(s.after(Unreachable), Duration::from_secs(1), "the back-off starts over after a success");
        assert_eq!(s.after(Unreachable), Duration::from_secs(2));
    }

    #[test]
    fn a_poll_interval_shorter_than_the_first_retry_caps_it() {
        let mut s = RefreshSchedule::new(Duration::from_millis(300));
        assert_eq!(s.after(Unreachable), Duration::from_millis(300));
        assert_eq!(s.after(Unreachable), Duration::from_millis(300));
        assert_eq!(s.after(Answered), Duration::from_millis(300));
    }
}
