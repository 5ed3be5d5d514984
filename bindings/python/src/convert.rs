//! Python integers as option values. Only the conversion is checked here (a value the Rust type
//! cannot hold, e.g. a negative count); ranges are checked once, by the core's `validate()` at
//! start, so the binding never repeats them.

use rocketmq_client::Error;
use std::time::Duration;

/// `value` as the option's Rust type, or a Config error naming `what`.
pub fn narrow<T: TryFrom<i64>>(value: i64, what: &str) -> Result<T, Error> {
    T::try_from(value).map_err(|_| Error::config(format!("{what} {value} is out of range")))
}

/// Milliseconds as a Duration (negative values are out of range; zero is left to the core).
pub fn millis(value: i64, what: &str) -> Result<Duration, Error> {
    Ok(Duration::from_millis(narrow(value, what)?))
}

/// A per-call timeout (not an option: checked here, it must be positive).
pub fn positive_millis(value: i64, what: &str) -> Result<Duration, Error> {
    match u64::try_from(value) {
        Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
        _ => Err(Error::config(format!("{what} must be a positive number of milliseconds, got {value}"))),
    }
}
