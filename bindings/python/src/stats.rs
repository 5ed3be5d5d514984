//! Client statistics for Python (issue #11 §2): the core's statistics map as a plain `dict`,
//! and the statistics callback, run on the `rocketmq-callbacks` thread (never on a runtime
//! worker, which must not wait for the GIL).

use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::PyTraverseError;
use rocketmq_client::stats::{StatValue, Stats, StatsCallback};
use rocketmq_client::Error;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::callbacks;

/// The Python statistics callback of one client object and its interval. The core's callback
/// holds this cell, not the callable: the garbage collector sees the callable through the
/// client's `__traverse__`, and `__clear__` empties the cell (the core's callback then does
/// nothing), so a cycle callback -> closure -> client can be collected.
#[derive(Debug, Clone, Default)]
pub(crate) struct StatsCallbackCell(Arc<Mutex<Option<IntervalCallback>>>);

/// How often, and whom to call.
type IntervalCallback = (Duration, Py<PyAny>);

impl StatsCallbackCell {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<IntervalCallback>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Check `interval_s` (seconds, positive and finite) and keep the callable; the interval.
    pub(crate) fn set(&self, callback: Py<PyAny>, interval_s: f64) -> Result<Duration, Error> {
        if !interval_s.is_finite() || interval_s <= 0.0 {
            return Err(Error::config(format!(
                "the statistics interval must be a positive number of seconds, not {interval_s}"
            )));
        }
        let interval = Duration::from_secs_f64(interval_s);
        let old = self.lock().replace((interval, callback));
        drop(old); // outside the lock: its __del__ may run
        Ok(interval)
    }

    /// The interval, when a callback is set.
    pub(crate) fn interval(&self) -> Option<Duration> {
        self.lock().as_ref().map(|(i, _)| *i)
    }

    /// `__traverse__`: visit the callable (never blocks: `try_lock`).
    pub(crate) fn visit(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Ok(slot) = self.0.try_lock() {
            if let Some((_, cb)) = slot.as_ref() {
                visit.call(cb)?;
            }
        }
        Ok(())
    }

    /// `__clear__`: forget the callable.
    pub(crate) fn clear(&self) {
        let old = self.lock().take();
        drop(old);
    }

    /// The core callback: hands each snapshot to the callback thread, which calls
    /// `callback(dict)`; an exception is logged and ignored.
    pub(crate) fn core_callback(&self) -> StatsCallback {
        let cell = self.clone();
        Arc::new(move |stats: Stats| {
            let cell = cell.clone();
            callbacks::submit(Box::new(move |py| {
                let Some(callback) = cell.lock().as_ref().map(|(_, cb)| cb.clone_ref(py)) else { return };
                match to_dict(py, &stats) {
                    Ok(d) => callbacks::call_logged(py, callback.bind(py), d.into_any(), "the statistics callback"),
                    Err(e) => crate::logging::log_exception(py, "cannot build the statistics dict", e),
                }
            }));
        })
    }
}

/// The map as a `dict` (nested maps as nested dicts).
pub(crate) fn to_dict<'py>(py: Python<'py>, stats: &Stats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in stats {
        match v {
            StatValue::Int(i) => d.set_item(k, i)?,
            StatValue::Float(f) => d.set_item(k, f)?,
            StatValue::Text(t) => d.set_item(k, t)?,
            StatValue::Map(m) => d.set_item(k, to_dict(py, m)?)?,
        }
    }
    Ok(d)
}
