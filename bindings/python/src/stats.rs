//! Client statistics for Python (issue #11 §2): the core's statistics map as a plain `dict`,
//! and the statistics callback, run on the `rocketmq-callbacks` thread (never on a runtime
//! worker, which must not wait for the GIL).

use pyo3::prelude::*;
use pyo3::types::PyDict;
use rocketmq_client::stats::{StatValue, Stats, StatsCallback};
use rocketmq_client::Error;
use std::sync::Arc;
use std::time::Duration;

use crate::callbacks;

/// A statistics callback as set from Python: interval and callable.
pub(crate) type PyStatsCallback = (Duration, Arc<Py<PyAny>>);

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

/// Check `interval_s` (seconds, positive and finite) and pair it with `callback`.
pub(crate) fn callback_arg(callback: Py<PyAny>, interval_s: f64) -> Result<PyStatsCallback, Error> {
    if !interval_s.is_finite() || interval_s <= 0.0 {
        return Err(Error::config(format!(
            "the statistics interval must be a positive number of seconds, not {interval_s}"
        )));
    }
    Ok((Duration::from_secs_f64(interval_s), Arc::new(callback)))
}

/// The core callback: hands each snapshot to the callback thread, which calls
/// `callback(dict)`; an exception is logged and ignored.
pub(crate) fn core_callback(callback: &Arc<Py<PyAny>>) -> StatsCallback {
    let callback = callback.clone();
    Arc::new(move |stats: Stats| {
        let callback = callback.clone();
        callbacks::submit(Box::new(move |py| match to_dict(py, &stats) {
            Ok(d) => callbacks::call_logged(py, callback.bind(py), d.into_any(), "the statistics callback"),
            Err(e) => crate::logging::log_exception(py, "cannot build the statistics dict", e),
        }));
    })
}
