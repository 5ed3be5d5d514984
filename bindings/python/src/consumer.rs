//! `rocketmq._rocketmq.PushConsumerCore`: the native push consumer behind
//! `rocketmq.client.PushConsumer`.
//!
//! **Settings** are stored as given and checked by `start()` (errors raise
//! `PushConsumerStartFailed` subclasses), as for the producer. Changing a setting or a
//! subscription after `start()` raises `InvalidConfigError`.
//!
//! **Callbacks.** One Python callable per subscribed topic, kept in a [`CallbackTable`] shared
//! with the [`PyListener`] registered on the Rust consumer (both in `listener.rs`). The core calls the listener on its
//! own OS threads (`rocketmq-consume-<group>-<n>`, not Python threads) with batches of at most
//! `set_message_batch_max_size` messages of one queue. For each message the listener takes the
//! GIL (through [`crate::interpreter::attach_pinned`], which keeps the thread's Python thread
//! state between calls: docs/adr/0004-python-push-consumer.md), looks up the callback of the
//! message's topic (retry-topic messages already carry their original topic), builds a
//! `ReceivedMessage` and calls the callback, then releases the GIL. Nothing else in the consumer touches the GIL, so
//! a slow callback never delays pulling. `None` or `ConsumeStatus.CONSUME_SUCCESS` means done;
//! `RECONSUME_LATER`, an exception (logged with its traceback at WARNING) or any other value
//! (logged) means redeliver. The first failure in a batch ends the call: the messages before
//! it are done, it and the rest are redelivered (`ConsumeResult::Partial`).
//!
//! **Shutdown** runs as a task on the runtime, once; every `shutdown()` call waits for that
//! task with the GIL released (consume threads need the GIL to finish their current
//! callback). Called on a consume thread (from inside a callback) it must not wait, since the
//! core waits for every consume thread, this one included, to finish its current call: it
//! starts the shutdown and returns at once; the shutdown completes after the callback returns.
//!
//! **Interpreter exit.** Once the exit hook has run, [`crate::interpreter::attach`] refuses:
//! a consume thread that gets a message then parks for good without acknowledging it (the
//! message is redelivered from the last committed offset, like after a crash). A callback
//! still running when the hook runs gets [`crate::interpreter::EXIT_GRACE`] to finish.
//!
//! **Garbage collection.** Callbacks are visited by `__traverse__`; `__clear__` (a cycle such
//! as callback -> closure -> consumer being collected) and dropping a started consumer that was
//! never shut down both start a background shutdown, then release the callbacks.

use pyo3::exceptions::PyTypeError;
use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::PyTraverseError;
use rocketmq_client::consumer::allocate;
use rocketmq_client::consumer::options::{consume_from_where_from_code, message_model_from_code};
use rocketmq_client::{ClientOptions, ConsumerOptions, Error, ErrorKind, PushConsumer};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

use crate::aio_listener::AioListener;
use crate::blocking;
use crate::client_settings::{ClientSettings, Credentials};
use crate::convert::{millis, narrow};
use crate::drive::drive;
use crate::errors::{local, to_pyerr, IntoPyResult, Op};
use crate::listener::{CallbackTable, PyListener};
use crate::logging;
use crate::message::text_arg;
use crate::runtime;
use crate::started::Started;

/// Prefix of the core's consume thread names (`consume.rs`).
const CONSUME_THREAD_PREFIX: &str = "rocketmq-consume-";

/// `PushConsumer.shutdown()` calls made on a consume thread return at once; see the module docs.
fn on_consume_thread() -> bool {
    std::thread::current().name().is_some_and(|n| n.starts_with(CONSUME_THREAD_PREFIX))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

// ---- settings -------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Subscription {
    topic: String,
    expression: String,
    sql: bool,
}

/// Settings as given by the user; turned into options (and checked) by `start()`.
#[derive(Debug, Clone, Default)]
struct Settings {
    group: String,
    orderly: bool,
    message_model: Option<i64>,
    client: ClientSettings,
    thread_count: Option<i64>,
    max_in_flight: Option<i64>,
    batch_max_size: Option<i64>,
    pull_batch_size: Option<i64>,
    consume_from_where: Option<i64>,
    strict_consume_from_where: bool,
    consume_timestamp_ms: Option<i64>,
    max_reconsume_times: Option<i64>,
    pull_threshold_for_queue: Option<i64>,
    pull_threshold_size_mib: Option<i64>,
    allocate_strategy: Option<String>,
    delay_level_when_next_consume: Option<i64>,
    suspend_current_queue_time_ms: Option<i64>,
    rebalance_interval_ms: Option<i64>,
    offset_store_dir: Option<String>,
    subscriptions: Vec<Subscription>,
}

impl Settings {
    fn build(&self) -> Result<(ConsumerOptions, ClientOptions), Error> {
        if self.subscriptions.is_empty() {
            return Err(Error::config("no subscription: call subscribe(topic, callback) before start()"));
        }
        let mut o = ConsumerOptions::new(self.group.clone());
        let client = self.client.client_options()?;
        o.orderly = self.orderly;
        if let Some(model) = self.message_model {
            o.message_model = message_model_from_code(model)?;
        }
        if let Some(n) = self.thread_count {
            o.consume_thread_count = narrow(n, "thread count")?;
        }
        if let Some(n) = self.max_in_flight {
            o.max_in_flight = narrow(n, "max in flight")?;
        }
        if let Some(n) = self.batch_max_size {
            o.consume_batch_max_size = narrow(n, "message batch max size")?;
        }
        if let Some(n) = self.pull_batch_size {
            o.pull_batch_size = narrow(n, "pull batch size")?;
        }
        if let Some(w) = self.consume_from_where {
            o.consume_from_where = consume_from_where_from_code(w)?;
        }
        o.strict_consume_from_where = self.strict_consume_from_where;
        o.consume_timestamp = self.consume_timestamp_ms;
        if let Some(n) = self.max_reconsume_times {
            o.max_reconsume_times = Some(narrow(n, "max reconsume times")?);
        }
        if let Some(n) = self.pull_threshold_for_queue {
            o.pull_threshold_for_queue = narrow(n, "pull threshold for queue")?;
        }
        if let Some(n) = self.pull_threshold_size_mib {
            o.pull_threshold_size_for_queue_mib = narrow(n, "pull threshold size for queue (MiB)")?;
        }
        if let Some(name) = &self.allocate_strategy {
            o.allocate_strategy = allocate::strategy_by_name(name)?;
        }
        if let Some(level) = self.delay_level_when_next_consume {
            o.delay_level_when_next_consume = narrow(level, "delay level when next consume")?;
        }
        if let Some(ms) = self.suspend_current_queue_time_ms {
            o.suspend_current_queue_time = millis(ms, "suspend current queue time")?;
        }
        if let Some(ms) = self.rebalance_interval_ms {
            o.rebalance_interval = millis(ms, "rebalance interval")?;
        }
        o.offset_store_dir = self.offset_store_dir.as_ref().map(PathBuf::from);
        Ok((o, client))
    }
}

// ---- the native class -----------------------------------------------------------------------

/// State shared with the tasks that start and shut down the consumer.
#[derive(Default)]
struct Shared {
    /// The started consumer (set by the start task when `start()` succeeded).
    consumer: Started<PushConsumer>,
    /// True while a start task runs (settings are frozen, a second start() is refused).
    starting: AtomicBool,
    /// Completion of the one shutdown task, once begun.
    shutdown: Mutex<Option<watch::Receiver<bool>>>,
}

impl Shared {
    /// Begin the shutdown (once) and return its completion; None if never started (or started
    /// by the process this one was forked from: its connections are the parent's).
    fn begin_shutdown(&self) -> Option<watch::Receiver<bool>> {
        let consumer = self.consumer.here()?.clone();
        let mut slot = lock(&self.shutdown);
        if let Some(rx) = slot.as_ref() {
            return Some(rx.clone());
        }
        let (tx, rx) = watch::channel(false);
        match runtime::get() {
            Ok(rt) => {
                rt.spawn(async move {
                    consumer.shutdown().await;
                    let _ = tx.send(true);
                });
            }
            Err(_) => {
                let _ = tx.send(true); // no runtime: nothing can be running
            }
        }
        *slot = Some(rx.clone());
        Some(rx)
    }

    fn shutdown_begun(&self) -> bool {
        lock(&self.shutdown).is_some()
    }
}

/// Resets `starting` when the start task ends, however it ends.
struct StartingGuard(Arc<Shared>);

impl Drop for StartingGuard {
    fn drop(&mut self) {
        self.0.starting.store(false, Ordering::SeqCst);
    }
}

/// The native push consumer.
#[pyclass(module = "rocketmq._rocketmq", name = "PushConsumerCore", frozen)]
pub struct PushConsumerCore {
    settings: Mutex<Settings>,
    callbacks: Arc<CallbackTable>,
    shared: Arc<Shared>,
    stats_cb: crate::stats::StatsCallbackCell,
}

impl std::fmt::Debug for PushConsumerCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushConsumerCore").field("group", &lock(&self.settings).group).finish()
    }
}

impl Drop for PushConsumerCore {
    fn drop(&mut self) {
        if self.shared.consumer.here().is_some() && !self.shared.shutdown_begun() {
            tracing::warn!(
                group = %lock(&self.settings).group,
                "a started PushConsumer was garbage-collected without shutdown(); shutting it down"
            );
            self.shared.begin_shutdown();
        }
    }
}

impl PushConsumerCore {
    fn settings(&self, py: Python<'_>) -> PyResult<MutexGuard<'_, Settings>> {
        if let Err(e) = self.shared.consumer.here_or_forked("consumer") {
            return Err(to_pyerr(py, Op::Other, &e));
        }
        if self.shared.consumer.is_started() || self.shared.starting.load(Ordering::SeqCst) {
            return Err(to_pyerr(
                py,
                Op::Other,
                &Error::config("the consumer is already started: change settings and subscriptions before start()"),
            ));
        }
        Ok(lock(&self.settings))
    }

    fn running(&self, py: Python<'_>) -> PyResult<PushConsumer> {
        match self.shared.consumer.here_or_forked("consumer") {
            Ok(Some(c)) => Ok(c.clone()),
            Ok(None) => Err(to_pyerr(
                py,
                Op::Other,
                &local(ErrorKind::NotStarted, "the consumer has not been started: call start() first"),
            )),
            Err(forked) => Err(to_pyerr(py, Op::Other, &forked)),
        }
    }

    /// Build the Rust consumer with its subscriptions and listener: the blocking one, or with
    /// `event_loop` the asyncio one (callbacks run as tasks on that loop).
    fn new_consumer(&self, py: Python<'_>, event_loop: Option<Bound<'_, PyAny>>) -> PyResult<PushConsumer> {
        let settings = lock(&self.settings).clone();
        let (mut options, client) = settings.build().map_err(|e| to_pyerr(py, Op::ConsumerStart, &e))?;
        // asyncio: the loop runs at most `max_in_flight` callbacks at once (the Python
        // `Spawner` enforces it), while the core may hand over a few times as many batches, so
        // the next ones already wait on the loop when a callback finishes instead of costing a
        // round trip through the runtime (see aio_listener).
        let running_limit = options.max_in_flight;
        if event_loop.is_some() {
            options.max_in_flight = running_limit.saturating_mul(AIO_PREFETCH).min(65535);
        }
        let built = (|| {
            let consumer = PushConsumer::new(options, client);
            for sub in &settings.subscriptions {
                if sub.sql {
                    consumer.subscribe_sql(&sub.topic, &sub.expression)?;
                } else {
                    consumer.subscribe(&sub.topic, &sub.expression)?;
                }
            }
            Ok(consumer)
        })();
        let consumer: PushConsumer = built.map_err(|e: Error| to_pyerr(py, Op::ConsumerStart, &e))?;
        if let Some(interval) = self.stats_cb.interval() {
            consumer
                .set_stats_callback(interval, self.stats_cb.core_callback())
                .map_err(|e| to_pyerr(py, Op::Other, &e))?;
        }
        let registered = match event_loop {
            None => consumer.register_listener(PyListener { table: self.callbacks.clone() }),
            Some(event_loop) => consumer.register_async_listener(AioListener::new(
                py,
                self.callbacks.clone(),
                event_loop,
                running_limit,
            )?),
        };
        registered.map_err(|e| to_pyerr(py, Op::ConsumerStart, &e))?;
        Ok(consumer)
    }
}

/// How many batches per running callback an asyncio consumer lets the core hand over ahead.
const AIO_PREFETCH: usize = 4;

#[pymethods]
impl PushConsumerCore {
    #[new]
    #[pyo3(signature = (group, orderly=false))]
    fn new(group: &Bound<'_, PyAny>, orderly: bool) -> PyResult<Self> {
        Ok(PushConsumerCore {
            settings: Mutex::new(Settings { group: text_arg(group, "group")?, orderly, ..Settings::default() }),
            callbacks: Arc::new(CallbackTable::default()),
            shared: Arc::new(Shared::default()),
            stats_cb: Default::default(),
        })
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // Never blocks: the lock is only held briefly by GIL holders, and the collector runs
        // with the GIL.
        if let Ok(map) = self.callbacks.map.try_lock() {
            for cb in map.values() {
                visit.call(cb)?;
            }
        }
        self.stats_cb.visit(&visit)
    }

    fn __clear__(&self) {
        if self.shared.consumer.here().is_some() {
            self.shared.begin_shutdown();
        }
        let callbacks = self.callbacks.take_all();
        drop(callbacks); // after the lock is released: a callback's __del__ may run here
        self.stats_cb.clear();
    }

    /// The consumer group.
    #[getter]
    fn group(&self) -> String {
        match self.shared.consumer.here() {
            Some(c) => c.namespace().unwrap(&c.options().group),
            None => lock(&self.settings).group.clone(),
        }
    }

    /// Whether the consumer is orderly.
    #[getter]
    fn orderly(&self) -> bool {
        lock(&self.settings).orderly
    }

    /// `ip@instance` once started, else None.
    #[getter]
    fn client_id(&self) -> Option<String> {
        self.shared.consumer.here().and_then(|c| c.client_id().map(str::to_owned))
    }

    /// Whether `start()` succeeded (stays true after shutdown).
    #[getter]
    fn started(&self) -> bool {
        self.shared.consumer.is_started()
    }

    /// Messages the callbacks acknowledged so far.
    #[getter]
    fn consumed_count(&self) -> u64 {
        self.shared.consumer.here().map_or(0, PushConsumer::consumed_count)
    }

    /// The subscribed topics, in subscription order.
    #[getter]
    fn topics(&self) -> Vec<String> {
        lock(&self.settings).subscriptions.iter().map(|s| s.topic.clone()).collect()
    }

    /// Whether ACL credentials were set (they sign every request).
    #[getter]
    fn has_credentials(&self) -> bool {
        lock(&self.settings).client.credentials.is_some()
    }

    /// The queues assigned to this consumer now: `(topic, broker_name, queue_id)` tuples,
    /// sorted (retry topics included). Empty before start.
    fn assigned_queues(&self) -> Vec<(String, String, i32)> {
        self.shared.consumer.here().map_or_else(Vec::new, |c| {
            c.assigned_queues().into_iter().map(|q| (q.topic, q.broker_name, q.queue_id)).collect()
        })
    }

    /// Subscribe `topic` with a tag (`sql=False`) or SQL92 expression; `callback(msg)` gets its
    /// messages. Subscribing a topic again replaces its expression and callback.
    #[pyo3(signature = (topic, callback, expression, sql=false))]
    fn subscribe(
        &self,
        py: Python<'_>,
        topic: &Bound<'_, PyAny>,
        callback: &Bound<'_, PyAny>,
        expression: &Bound<'_, PyAny>,
        sql: bool,
    ) -> PyResult<()> {
        let topic = text_arg(topic, "topic")?;
        let expression = text_arg(expression, "expression")?;
        if !callback.is_callable() {
            return Err(PyTypeError::new_err(
                "callback must be callable: callback(msg: ReceivedMessage) -> ConsumeStatus",
            ));
        }
        let mut settings = self.settings(py)?;
        let sub = Subscription { topic: topic.clone(), expression, sql };
        match settings.subscriptions.iter_mut().find(|s| s.topic == topic) {
            Some(existing) => *existing = sub,
            None => settings.subscriptions.push(sub),
        }
        let previous = self.callbacks.insert(topic, callback.clone().unbind());
        drop(settings);
        drop(previous); // outside every lock
        Ok(())
    }

    fn set_group(&self, py: Python<'_>, group: &Bound<'_, PyAny>) -> PyResult<()> {
        let group = text_arg(group, "group")?;
        self.settings(py)?.group = group;
        Ok(())
    }

    fn set_orderly(&self, py: Python<'_>, orderly: bool) -> PyResult<()> {
        self.settings(py)?.orderly = orderly;
        Ok(())
    }

    fn set_namesrv_addr(&self, py: Python<'_>, addr: &Bound<'_, PyAny>) -> PyResult<()> {
        let addr = text_arg(addr, "name server address")?;
        self.settings(py)?.client.namesrv_addr = Some(addr);
        Ok(())
    }

    fn set_instance_name(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<()> {
        let name = text_arg(name, "instance name")?;
        self.settings(py)?.client.set_instance_name(name);
        Ok(())
    }

    /// Namespace v1 (`v2=false`: names become `ns%name` on the wire) or v2 (`nsd` / `ns`
    /// request fields); "" unsets.
    #[pyo3(signature = (namespace, v2=false))]
    fn set_namespace(&self, py: Python<'_>, namespace: &Bound<'_, PyAny>, v2: bool) -> PyResult<()> {
        let namespace = text_arg(namespace, "namespace")?;
        self.settings(py)?.client.set_namespace(namespace, v2);
        Ok(())
    }

    /// Look the name servers up at `domain` (Java `TopAddressing`), again every
    /// `refresh_interval_ms`.
    fn set_namesrv_domain(&self, py: Python<'_>, domain: &Bound<'_, PyAny>, refresh_interval_ms: i64) -> PyResult<()> {
        let domain = text_arg(domain, "name server domain")?;
        self.settings(py)?
            .client
            .set_namesrv_domain(domain, refresh_interval_ms)
            .map_err(|e| to_pyerr(py, Op::Other, &e))
    }

    fn set_session_credentials(
        &self,
        py: Python<'_>,
        access_key: &Bound<'_, PyAny>,
        access_secret: &Bound<'_, PyAny>,
        channel: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let credentials = Credentials::from_args(access_key, access_secret, channel)?;
        self.settings(py)?.client.credentials = Some(credentials);
        Ok(())
    }

    /// Statistics as a plain dict (empty before start); see docs/stats.md.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        match self.shared.consumer.here() {
            Some(c) => crate::stats::to_dict(py, &c.stats()),
            None => Ok(pyo3::types::PyDict::new(py)),
        }
    }

    /// Call `callback(stats_dict)` every `interval_s` seconds while the consumer runs.
    fn set_stats_callback(&self, py: Python<'_>, callback: Py<PyAny>, interval_s: f64) -> PyResult<()> {
        let interval = self.stats_cb.set(callback, interval_s).map_err(|e| to_pyerr(py, Op::Other, &e))?;
        if let Some(c) = self.shared.consumer.here() {
            c.set_stats_callback(interval, self.stats_cb.core_callback()).map_err(|e| to_pyerr(py, Op::Other, &e))?;
        }
        Ok(())
    }

    /// Message trace on or off, to `topic` (default `RMQ_SYS_TRACE_TOPIC`).
    #[pyo3(signature = (enabled, topic=None))]
    fn set_message_trace(&self, py: Python<'_>, enabled: bool, topic: Option<String>) -> PyResult<()> {
        self.settings(py)?.client.message_trace = crate::client_settings::trace_from_args(enabled, topic);
        Ok(())
    }

    /// Route snapshot file: routes are saved there and used while no name server answers.
    /// `None` or an empty path turns it off.
    #[pyo3(signature = (path))]
    fn set_route_snapshot_path(&self, py: Python<'_>, path: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let path = path.map(|p| text_arg(p, "route snapshot path")).transpose()?;
        self.settings(py)?.client.route_snapshot_path = path.filter(|p| !p.is_empty());
        Ok(())
    }

    /// TLS on or off, trust roots (system or CA file), client certificate and key (mTLS),
    /// server name, Java's test mode (no verification).
    #[pyo3(signature = (enabled, ca_file=None, cert_file=None, key_file=None, server_name=None, test_mode=false))]
    #[allow(clippy::too_many_arguments)]
    fn set_tls(
        &self,
        py: Python<'_>,
        enabled: bool,
        ca_file: Option<String>,
        cert_file: Option<String>,
        key_file: Option<String>,
        server_name: Option<String>,
        test_mode: bool,
    ) -> PyResult<()> {
        self.settings(py)?.client.tls =
            crate::client_settings::tls_from_args(enabled, ca_file, cert_file, key_file, server_name, test_mode);
        Ok(())
    }

    fn set_message_model(&self, py: Python<'_>, model: i64) -> PyResult<()> {
        self.settings(py)?.message_model = Some(model);
        Ok(())
    }

    fn set_thread_count(&self, py: Python<'_>, count: i64) -> PyResult<()> {
        self.settings(py)?.thread_count = Some(count);
        Ok(())
    }

    /// asyncio consumers: callbacks (batches) in flight at once (default 20).
    fn set_max_in_flight(&self, py: Python<'_>, count: i64) -> PyResult<()> {
        self.settings(py)?.max_in_flight = Some(count);
        Ok(())
    }

    fn set_message_batch_max_size(&self, py: Python<'_>, size: i64) -> PyResult<()> {
        self.settings(py)?.batch_max_size = Some(size);
        Ok(())
    }

    fn set_pull_batch_size(&self, py: Python<'_>, size: i64) -> PyResult<()> {
        self.settings(py)?.pull_batch_size = Some(size);
        Ok(())
    }

    #[pyo3(signature = (value, strict=false))]
    fn set_consume_from_where(&self, py: Python<'_>, value: i64, strict: bool) -> PyResult<()> {
        let mut settings = self.settings(py)?;
        settings.consume_from_where = Some(value);
        settings.strict_consume_from_where = strict;
        Ok(())
    }

    fn set_consume_timestamp_ms(&self, py: Python<'_>, epoch_ms: i64) -> PyResult<()> {
        self.settings(py)?.consume_timestamp_ms = Some(epoch_ms);
        Ok(())
    }

    fn set_max_reconsume_times(&self, py: Python<'_>, times: i64) -> PyResult<()> {
        self.settings(py)?.max_reconsume_times = Some(times);
        Ok(())
    }

    fn set_pull_threshold_for_queue(&self, py: Python<'_>, count: i64) -> PyResult<()> {
        self.settings(py)?.pull_threshold_for_queue = Some(count);
        Ok(())
    }

    fn set_pull_threshold_size_for_queue(&self, py: Python<'_>, mib: i64) -> PyResult<()> {
        self.settings(py)?.pull_threshold_size_mib = Some(mib);
        Ok(())
    }

    fn set_allocate_strategy(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<()> {
        let name = text_arg(name, "allocate strategy")?;
        self.settings(py)?.allocate_strategy = Some(name);
        Ok(())
    }

    fn set_delay_level_when_next_consume(&self, py: Python<'_>, level: i64) -> PyResult<()> {
        self.settings(py)?.delay_level_when_next_consume = Some(level);
        Ok(())
    }

    fn set_suspend_current_queue_time_ms(&self, py: Python<'_>, ms: i64) -> PyResult<()> {
        self.settings(py)?.suspend_current_queue_time_ms = Some(ms);
        Ok(())
    }

    fn set_rebalance_interval_ms(&self, py: Python<'_>, ms: i64) -> PyResult<()> {
        self.settings(py)?.rebalance_interval_ms = Some(ms);
        Ok(())
    }

    fn set_offset_store_dir(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<()> {
        let path = text_arg(path, "offset store directory")?;
        self.settings(py)?.offset_store_dir = Some(path).filter(|p| !p.is_empty());
        Ok(())
    }

    /// Check the settings, reach the name server, and begin consuming. Starting a started
    /// consumer does nothing; one that was shut down cannot start again.
    ///
    /// With `aio`, it must be called from a coroutine: callbacks then run as tasks on the running
    /// event loop, and an awaitable is returned. The start runs as a task on the runtime; a
    /// blocking call waits for it with the GIL released. If the wait is interrupted (Ctrl-C, or
    /// the awaiting task is cancelled), the start still completes in the background.
    #[pyo3(signature = (*, aio=false))]
    fn start<'py>(&self, py: Python<'py>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        logging::refresh_level(py);
        if let Some(c) =
            self.shared.consumer.here_or_forked("consumer").map_err(|e| to_pyerr(py, Op::ConsumerStart, &e))?
        {
            let c = c.clone();
            return drive(py, aio, Op::ConsumerStart, async move { c.start().await });
        }
        let event_loop = if aio { Some(py.import("asyncio")?.call_method0("get_running_loop")?) } else { None };
        if self.shared.starting.swap(true, Ordering::SeqCst) {
            return Err(to_pyerr(py, Op::ConsumerStart, &local(ErrorKind::NotStarted, "start() is already running")));
        }
        let guard = StartingGuard(self.shared.clone());
        let consumer = self.new_consumer(py, event_loop)?;
        let rt = runtime::get()?;
        let task = rt.spawn(async move {
            let guard = guard;
            let result = consumer.start().await;
            if result.is_ok() {
                guard.0.consumer.set(consumer);
            }
            result
        });
        drive(py, aio, Op::ConsumerStart, async move {
            task.await.unwrap_or_else(|join_error| {
                Err(local(ErrorKind::NotStarted, format!("the consumer start task failed: {join_error}")))
            })
        })
    }

    /// Stop pulling, let callbacks in progress finish (at most 10 s), persist offsets and
    /// unregister. Idempotent; does nothing before start. On a consume thread (inside a
    /// callback) it only begins the shutdown and returns at once. An asyncio consumer is shut
    /// down with `aio` (awaited on its loop, whose tasks finish the callbacks in flight).
    #[pyo3(signature = (*, aio=false))]
    fn shutdown<'py>(&self, py: Python<'py>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        logging::maybe_refresh_level(py);
        let done = match self.shared.begin_shutdown() {
            Some(done) if aio || !on_consume_thread() => Some(done),
            _ => None,
        };
        drive(py, aio, Op::Other, async move {
            if let Some(mut done) = done {
                let _ = done.wait_for(|finished| *finished).await;
            }
            Ok(())
        })
    }

    /// Rebalance now (normally every 20 s and when the group's members change).
    fn rebalance_now(&self, py: Python<'_>) -> PyResult<()> {
        let consumer = self.running(py)?;
        blocking::run(py, async move { consumer.rebalance_now().await })?.or_raise(py, Op::Other)
    }

    fn __repr__(&self) -> String {
        format!("<PushConsumerCore group={:?} client_id={:?}>", self.group(), self.client_id())
    }
}
