//! Bridge from `tracing` (used by the Rust crates) to Python's `logging.getLogger("rocketmq")`.
//!
//! * Filtering without the GIL: records below INFO (DEBUG, TRACE) pass only if the cached
//!   effective level of the Python logger lets them through. The cache is refreshed on Python
//!   threads that already hold the GIL (every blocking or asyncio call, at most once per
//!   [`REFRESH_INTERVAL`], `start()`, and every forwarded record), never by taking the GIL just
//!   to look. The decision is folded into tracing's per-callsite interest cache and max-level
//!   hint (rebuilt when the level changes), so a disabled DEBUG record costs one relaxed load.
//! * INFO and above are always handed to `Logger.log`, which applies the logger's current level
//!   (and its handlers' and filters'), so those levels are respected exactly. The client emits
//!   few of them (start, shutdown, warnings).
//! * The GIL is taken on the thread that emits the record (through `interpreter::attach`); no
//!   Rust lock is held while calling into Python, and once the interpreter is exiting records
//!   are dropped.
//! * Records carry the event's message and fields (`key=value`) plus the Rust target as the
//!   `rocketmq_target` attribute of the LogRecord. The crates never put message bodies or
//!   credentials in fields; this module adds nothing of the kind.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// How stale the cached DEBUG/TRACE decision may get before an API call refreshes it.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// Python's numeric level for TRACE records (below `logging.DEBUG`).
const PY_TRACE: u32 = 5;

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// The Python logger's effective level, as last seen. WARNING (Python's default) until read.
static EFFECTIVE_LEVEL: AtomicU32 = AtomicU32::new(30);
/// When the level was last read, in ms since [`epoch`]; `u64::MAX` means never.
static LAST_REFRESH_MS: AtomicU64 = AtomicU64::new(u64::MAX);
static EPOCH: OnceLock<Instant> = OnceLock::new();

fn epoch() -> Instant {
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX - 1)
}

fn py_level(level: &Level) -> u32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => PY_TRACE,
    }
}

fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    LOGGER
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py.import("logging")?.call_method1("getLogger", ("rocketmq",))?.unbind())
        })
        .map(|l| l.bind(py))
}

/// Read the logger's effective level now (GIL held by the caller).
pub fn refresh_level(py: Python<'_>) {
    LAST_REFRESH_MS.store(now_ms(), Ordering::Relaxed);
    let level = logger(py).and_then(|l| l.call_method0("getEffectiveLevel")).and_then(|l| l.extract::<u32>());
    if let Ok(level) = level {
        let before = EFFECTIVE_LEVEL.swap(level, Ordering::Relaxed);
        // Only DEBUG/TRACE decisions depend on the level; rebuild tracing's callsite cache
        // when one of them flips. This takes tracing's registry lock, never the GIL.
        if before.min(20) != level.min(20) {
            tracing::callsite::rebuild_interest_cache();
        }
    }
}

/// Refresh the cached level if it is older than [`REFRESH_INTERVAL`]. Called from API entry
/// points, which hold the GIL anyway; costs one atomic load when fresh.
pub fn maybe_refresh_level(py: Python<'_>) {
    let last = LAST_REFRESH_MS.load(Ordering::Relaxed);
    let stale = last == u64::MAX || now_ms().saturating_sub(last) >= REFRESH_INTERVAL.as_millis() as u64;
    if stale {
        refresh_level(py);
    }
}

fn enabled(level: &Level) -> bool {
    let level = py_level(level);
    level >= 20 || level >= EFFECTIVE_LEVEL.load(Ordering::Relaxed)
}

#[derive(Default)]
struct Formatter {
    message: String,
    fields: String,
}

impl Visit for Formatter {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

struct PyLoggingLayer;

impl<S: Subscriber> Layer<S> for PyLoggingLayer {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if metadata.is_event() && enabled(metadata.level()) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(match EFFECTIVE_LEVEL.load(Ordering::Relaxed) {
            0..=PY_TRACE => LevelFilter::TRACE,
            6..=10 => LevelFilter::DEBUG,
            _ => LevelFilter::INFO,
        })
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        // Spans are not forwarded; not recording them keeps instrumented code cheap.
        metadata.is_event() && enabled(metadata.level())
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut f = Formatter::default();
        event.record(&mut f);
        let text = if f.message.is_empty() { f.fields.trim_start().to_owned() } else { f.message + &f.fields };
        emit(py_level(meta.level()), &text, meta.target());
    }
}

fn emit(level: u32, text: &str, target: &str) {
    // Records emitted while the interpreter exits are dropped (see `interpreter`).
    let _ = crate::interpreter::attach(|py| {
        let result = (|| -> PyResult<()> {
            let logger = logger(py)?;
            let extra = PyDict::new(py);
            extra.set_item("rocketmq_target", target)?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("extra", extra)?;
            logger.call_method("log", (level, text), Some(&kwargs))?;
            Ok(())
        })();
        // A failing handler must not take the client down; Python's own handlers report their
        // errors through `Handler.handleError`, so this is only reached for broken loggers.
        if let Err(e) = result {
            e.write_unraisable(py, None);
        }
        maybe_refresh_level(py);
    });
}

/// Python's `logging.WARNING`.
pub const WARNING: u32 = 30;
/// Python's `logging.ERROR`.
pub const ERROR: u32 = 40;

/// Log `err` with its traceback at ERROR level (a user callback raised).
pub fn log_exception(py: Python<'_>, message: &str, err: PyErr) {
    log_exception_at(py, ERROR, message, err);
}

/// Log `err` with its traceback at `level` (a Python `logging` level).
pub fn log_exception_at(py: Python<'_>, level: u32, message: &str, err: PyErr) {
    let result = (|| -> PyResult<()> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("exc_info", err.clone_ref(py).into_value(py))?;
        logger(py)?.call_method("log", (level, message), Some(&kwargs))?;
        Ok(())
    })();
    if let Err(e) = result {
        e.write_unraisable(py, None);
        err.write_unraisable(py, None);
    }
}

/// Log `message` at `level` from a thread holding the GIL (no traceback).
pub fn log_at(py: Python<'_>, level: u32, message: &str) {
    if let Err(e) = logger(py).and_then(|l| l.call_method1("log", (level, message))) {
        e.write_unraisable(py, None);
    }
}

/// Install the bridge as this extension's global tracing subscriber (once, at import).
pub fn install(py: Python<'_>) {
    refresh_level(py);
    let subscriber = tracing_subscriber::registry().with(PyLoggingLayer);
    // Err means a subscriber is already installed (module imported twice in one process via
    // different interpreters); the first one stays.
    let _ = tracing::subscriber::set_global_default(subscriber);
}
