//! `rocketmq._rocketmq.LitePullConsumerCore` (Java `DefaultLitePullConsumer`), behind
//! `rocketmq.client.LitePullConsumer` and `rocketmq.aio.LitePullConsumer`, and
//! `PullConsumerCore` (Java `DefaultMQPullConsumer`: one pull of one queue at an offset), behind
//! the 0.5.x-style `rocketmq.client.PullConsumer`.
//!
//! Settings are stored as given and checked by `start()` (`LitePullOptions::validate`), as for
//! the other cores. Subscriptions and assignments made before `start()` are applied at start;
//! after it they go to the running consumer. Every operation is one future, returned blocking
//! (GIL released) or as an awaitable with `aio=True` (`crate::drive`). Started consumers are
//! owned by their process (`crate::started`): in a forked child they raise ClientForkedError.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use rocketmq_client::consumer::allocate;
use rocketmq_client::consumer::options::{consume_from_where_from_code, message_model_from_code};
use rocketmq_client::consumer::{PullResult, PullStatus};
use rocketmq_client::{ClientOptions, Error, ErrorKind, LitePullConsumer, LitePullOptions, MessageQueue, PullConsumer};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::client_settings::{ClientSettings, Credentials};
use crate::convert::{millis, narrow};
use crate::drive::drive;
use crate::errors::{local, to_pyerr, Op};
use crate::logging;
use crate::message::text_arg;
use crate::received::PyReceivedMessage;
use crate::results::{Queues, Received, ToPython};
use crate::started::Started;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A `(topic, broker_name, queue_id)` sequence (a `MessageQueue`) as the Rust queue.
fn queue_arg(obj: &Bound<'_, PyAny>) -> PyResult<MessageQueue> {
    let (topic, broker_name, queue_id): (String, String, i32) = obj.extract().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err("a queue is a MessageQueue(topic, broker_name, queue_id)")
    })?;
    Ok(MessageQueue { topic, broker_name, queue_id })
}

fn queues_arg(obj: &Bound<'_, PyAny>) -> PyResult<Vec<MessageQueue>> {
    obj.try_iter()?.map(|item| queue_arg(&item?)).collect()
}

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
    client: ClientSettings,
    message_model: Option<i64>,
    consume_from_where: Option<i64>,
    strict_consume_from_where: bool,
    consume_timestamp_ms: Option<i64>,
    allocate_strategy: Option<String>,
    pull_batch_size: Option<i64>,
    pull_threshold_for_queue: Option<i64>,
    pull_threshold_size_mib: Option<i64>,
    pull_threshold_for_all: Option<i64>,
    auto_commit: Option<bool>,
    auto_commit_interval_ms: Option<i64>,
    poll_timeout_ms: Option<i64>,
    offset_store_dir: Option<String>,
    subscriptions: Vec<Subscription>,
    assignment: Option<Vec<MessageQueue>>,
}

impl Settings {
    fn build(&self) -> Result<(LitePullOptions, ClientOptions), Error> {
        let mut o = LitePullOptions::new(self.group.clone());
        let client = self.client.client_options()?;
        if let Some(model) = self.message_model {
            o.message_model = message_model_from_code(model)?;
        }
        if let Some(w) = self.consume_from_where {
            o.consume_from_where = consume_from_where_from_code(w)?;
        }
        o.strict_consume_from_where = self.strict_consume_from_where;
        o.consume_timestamp = self.consume_timestamp_ms;
        if let Some(name) = &self.allocate_strategy {
            o.allocate_strategy = allocate::strategy_by_name(name)?;
        }
        if let Some(n) = self.pull_batch_size {
            o.pull_batch_size = narrow(n, "pull batch size")?;
        }
        if let Some(n) = self.pull_threshold_for_queue {
            o.pull_threshold_for_queue = narrow(n, "pull threshold for queue")?;
        }
        if let Some(n) = self.pull_threshold_size_mib {
            o.pull_threshold_size_for_queue_mib = narrow(n, "pull threshold size for queue (MiB)")?;
        }
        if let Some(n) = self.pull_threshold_for_all {
            o.pull_threshold_for_all = narrow(n, "pull threshold for all")?;
        }
        if let Some(on) = self.auto_commit {
            o.auto_commit = on;
        }
        if let Some(ms) = self.auto_commit_interval_ms {
            o.auto_commit_interval = millis(ms, "auto commit interval")?;
        }
        if let Some(ms) = self.poll_timeout_ms {
            o.poll_timeout = millis(ms, "poll timeout")?;
        }
        o.offset_store_dir = self.offset_store_dir.as_ref().map(PathBuf::from);
        Ok((o, client))
    }
}

/// The native lite-pull consumer.
#[pyclass(module = "rocketmq._rocketmq", name = "LitePullConsumerCore", frozen)]
#[derive(Debug)]
pub struct LitePullConsumerCore {
    settings: Mutex<Settings>,
    consumer: Started<LitePullConsumer>,
    starting: Arc<AtomicBool>,
    stats_cb: crate::stats::StatsCallbackCell,
}

/// Resets `starting` when the start task ends, however it ends.
struct StartingGuard(Arc<AtomicBool>);

impl Drop for StartingGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl LitePullConsumerCore {
    fn settings(&self, py: Python<'_>) -> PyResult<MutexGuard<'_, Settings>> {
        if let Err(e) = self.consumer.here_or_forked("consumer") {
            return Err(to_pyerr(py, Op::Other, &e));
        }
        if self.consumer.is_started() || self.starting.load(Ordering::SeqCst) {
            return Err(to_pyerr(
                py,
                Op::Other,
                &Error::config("the consumer is already started: change settings before start()"),
            ));
        }
        Ok(lock(&self.settings))
    }

    /// The running consumer, or the NotStarted / Forked error.
    fn running(&self, py: Python<'_>) -> PyResult<LitePullConsumer> {
        logging::maybe_refresh_level(py);
        match self.consumer.here_or_forked("consumer") {
            Ok(Some(c)) => Ok(c.clone()),
            Ok(None) => Err(to_pyerr(
                py,
                Op::Other,
                &local(ErrorKind::NotStarted, "the consumer has not been started: call start() first"),
            )),
            Err(forked) => Err(to_pyerr(py, Op::Other, &forked)),
        }
    }

    fn started_here(&self, py: Python<'_>) -> PyResult<Option<LitePullConsumer>> {
        self.consumer.here_or_forked("consumer").map(|c| c.cloned()).map_err(|e| to_pyerr(py, Op::Other, &e))
    }
}

#[pymethods]
impl LitePullConsumerCore {
    #[new]
    fn new(group: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(LitePullConsumerCore {
            settings: Mutex::new(Settings { group: text_arg(group, "group")?, ..Settings::default() }),
            consumer: Started::default(),
            starting: Arc::new(AtomicBool::new(false)),
            stats_cb: Default::default(),
        })
    }

    fn __traverse__(&self, visit: pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        self.stats_cb.visit(&visit)
    }

    fn __clear__(&self) {
        self.stats_cb.clear();
    }

    #[getter]
    fn group(&self) -> String {
        match self.consumer.here() {
            Some(c) => c.namespace().unwrap(&c.options().group),
            None => lock(&self.settings).group.clone(),
        }
    }

    #[getter]
    fn client_id(&self) -> Option<String> {
        self.consumer.here().and_then(|c| c.client_id().map(str::to_owned))
    }

    #[getter]
    fn started(&self) -> bool {
        self.consumer.is_started()
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

    /// Message trace on or off, to `topic` (default `RMQ_SYS_TRACE_TOPIC`).
    #[pyo3(signature = (enabled, topic=None))]
    fn set_message_trace(&self, py: Python<'_>, enabled: bool, topic: Option<String>) -> PyResult<()> {
        self.settings(py)?.client.message_trace = crate::client_settings::trace_from_args(enabled, topic);
        Ok(())
    }

    /// Statistics as a plain dict (empty before start); see docs/stats.md.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        match self.consumer.here() {
            Some(c) => crate::stats::to_dict(py, &c.stats()),
            None => Ok(pyo3::types::PyDict::new(py)),
        }
    }

    /// Call `callback(stats_dict)` every `interval_s` seconds while the consumer runs.
    fn set_stats_callback(&self, py: Python<'_>, callback: Py<PyAny>, interval_s: f64) -> PyResult<()> {
        let interval = self.stats_cb.set(callback, interval_s).map_err(|e| to_pyerr(py, Op::Other, &e))?;
        if let Some(c) = self.consumer.here() {
            c.set_stats_callback(interval, self.stats_cb.core_callback()).map_err(|e| to_pyerr(py, Op::Other, &e))?;
        }
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

    /// Route snapshot file: routes are saved there and used while no name server answers.
    /// `None` or an empty path turns it off.
    #[pyo3(signature = (path))]
    fn set_route_snapshot_path(&self, py: Python<'_>, path: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let path = path.map(|p| text_arg(p, "route snapshot path")).transpose()?;
        self.settings(py)?.client.route_snapshot_path = path.filter(|p| !p.is_empty());
        Ok(())
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

    fn set_message_model(&self, py: Python<'_>, model: i64) -> PyResult<()> {
        self.settings(py)?.message_model = Some(model);
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

    fn set_allocate_strategy(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<()> {
        let name = text_arg(name, "allocation strategy")?;
        self.settings(py)?.allocate_strategy = Some(name);
        Ok(())
    }

    fn set_pull_batch_size(&self, py: Python<'_>, size: i64) -> PyResult<()> {
        self.settings(py)?.pull_batch_size = Some(size);
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

    fn set_pull_threshold_for_all(&self, py: Python<'_>, count: i64) -> PyResult<()> {
        self.settings(py)?.pull_threshold_for_all = Some(count);
        Ok(())
    }

    fn set_auto_commit(&self, py: Python<'_>, on: bool) -> PyResult<()> {
        self.settings(py)?.auto_commit = Some(on);
        Ok(())
    }

    fn set_auto_commit_interval_ms(&self, py: Python<'_>, ms: i64) -> PyResult<()> {
        self.settings(py)?.auto_commit_interval_ms = Some(ms);
        Ok(())
    }

    fn set_poll_timeout_ms(&self, py: Python<'_>, ms: i64) -> PyResult<()> {
        self.settings(py)?.poll_timeout_ms = Some(ms);
        Ok(())
    }

    fn set_offset_store_dir(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<()> {
        let path = text_arg(path, "offset store directory")?;
        self.settings(py)?.offset_store_dir = Some(path);
        Ok(())
    }

    /// Subscribe `topic` (tags, or SQL92 with `sql`); before or after `start()`.
    #[pyo3(signature = (topic, expression=None, sql=false, *, aio=false))]
    fn subscribe<'py>(
        &self,
        py: Python<'py>,
        topic: &Bound<'py, PyAny>,
        expression: Option<&Bound<'py, PyAny>>,
        sql: bool,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let topic = text_arg(topic, "topic")?;
        let expression = expression.map(|e| text_arg(e, "expression")).transpose()?.unwrap_or_else(|| "*".to_owned());
        let Some(consumer) = self.started_here(py)? else {
            let mut settings = self.settings(py)?;
            settings.subscriptions.retain(|s| s.topic != topic);
            settings.subscriptions.push(Subscription { topic, expression, sql });
            return drive(py, aio, Op::Other, async { Ok(()) });
        };
        drive(py, aio, Op::Other, async move {
            if sql {
                consumer.subscribe_sql(&topic, &expression).await
            } else {
                consumer.subscribe(&topic, &expression).await
            }
        })
    }

    /// Consume exactly these queues, without rebalance; before or after `start()`.
    #[pyo3(signature = (queues, *, aio=false))]
    fn assign<'py>(&self, py: Python<'py>, queues: &Bound<'py, PyAny>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let queues = queues_arg(queues)?;
        let Some(consumer) = self.started_here(py)? else {
            self.settings(py)?.assignment = Some(queues);
            return drive(py, aio, Op::Other, async { Ok(()) });
        };
        drive(py, aio, Op::Other, async move { consumer.assign(&queues).await })
    }

    /// Check the settings, reach the name server, take the queues, begin pulling.
    #[pyo3(signature = (*, aio=false))]
    fn start<'py>(&self, py: Python<'py>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        logging::refresh_level(py);
        if let Some(c) = self.started_here(py)? {
            return drive(py, aio, Op::ConsumerStart, async move { c.start().await });
        }
        if self.starting.swap(true, Ordering::SeqCst) {
            return Err(to_pyerr(py, Op::ConsumerStart, &local(ErrorKind::NotStarted, "start() is already running")));
        }
        let guard = StartingGuard(self.starting.clone());
        let settings = lock(&self.settings).clone();
        let (options, client) = settings.build().map_err(|e| to_pyerr(py, Op::ConsumerStart, &e))?;
        let consumer = LitePullConsumer::new(options, client);
        if let Some(interval) = self.stats_cb.interval() {
            consumer
                .set_stats_callback(interval, self.stats_cb.core_callback())
                .map_err(|e| to_pyerr(py, Op::Other, &e))?;
        }
        let slot = self.consumer.clone();
        // A task of its own: an interrupted wait (Ctrl-C, a cancelled awaitable) does not leave a
        // half-started consumer; the start completes in the background and is recorded.
        // Subscriptions and assignments before start only record (no I/O).
        let task = crate::runtime::get()?.spawn(async move {
            let _guard = guard;
            for sub in &settings.subscriptions {
                if sub.sql {
                    consumer.subscribe_sql(&sub.topic, &sub.expression).await?;
                } else {
                    consumer.subscribe(&sub.topic, &sub.expression).await?;
                }
            }
            if let Some(queues) = &settings.assignment {
                consumer.assign(queues).await?;
            }
            consumer.start().await?;
            slot.set(consumer);
            Ok(())
        });
        drive(py, aio, Op::ConsumerStart, async move {
            task.await.unwrap_or_else(|join_error| {
                Err(local(ErrorKind::NotStarted, format!("the consumer start task failed: {join_error}")))
            })
        })
    }

    /// Commit (when auto-commit is on) and persist the offsets, stop pulling, unregister.
    /// Idempotent; a no-op before start and in a forked child.
    #[pyo3(signature = (*, aio=false))]
    fn shutdown<'py>(&self, py: Python<'py>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let consumer = self.consumer.here().cloned();
        drive(py, aio, Op::Other, async move {
            if let Some(c) = consumer {
                c.shutdown().await;
            }
            Ok(())
        })
    }

    /// Up to `pull_batch_size` messages of one queue, waiting at most `timeout_ms` (default: the
    /// poll timeout, 5 s); an empty list on timeout.
    #[pyo3(signature = (timeout_ms=None, *, aio=false))]
    fn poll<'py>(&self, py: Python<'py>, timeout_ms: Option<i64>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let consumer = self.running(py)?;
        let timeout = match timeout_ms {
            Some(ms) => millis(ms, "poll timeout").map_err(|e| to_pyerr(py, Op::Other, &e))?,
            None => consumer.options().poll_timeout,
        };
        drive(py, aio, Op::Other, async move {
            let batch = consumer.poll_batch(timeout).await?;
            Ok(Polled { consumer, batch })
        })
    }

    #[pyo3(signature = (topic, *, aio=false))]
    fn fetch_message_queues<'py>(
        &self,
        py: Python<'py>,
        topic: &Bound<'py, PyAny>,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let topic = text_arg(topic, "topic")?;
        let consumer = self.running(py)?;
        drive(py, aio, Op::Other, async move { consumer.fetch_message_queues(&topic).await.map(Queues) })
    }

    fn assignment(&self) -> Vec<(String, String, i32)> {
        self.consumer.here().map_or_else(Vec::new, |c| {
            c.assignment().into_iter().map(|q| (q.topic, q.broker_name, q.queue_id)).collect()
        })
    }

    #[pyo3(signature = (queue, offset, *, aio=false))]
    fn seek<'py>(
        &self,
        py: Python<'py>,
        queue: &Bound<'py, PyAny>,
        offset: i64,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mq = queue_arg(queue)?;
        let consumer = self.running(py)?;
        drive(py, aio, Op::Other, async move { consumer.seek(&mq, offset).await })
    }

    #[pyo3(signature = (queue, *, aio=false))]
    fn seek_to_begin<'py>(&self, py: Python<'py>, queue: &Bound<'py, PyAny>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let mq = queue_arg(queue)?;
        let consumer = self.running(py)?;
        drive(py, aio, Op::Other, async move { consumer.seek_to_begin(&mq).await })
    }

    #[pyo3(signature = (queue, *, aio=false))]
    fn seek_to_end<'py>(&self, py: Python<'py>, queue: &Bound<'py, PyAny>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let mq = queue_arg(queue)?;
        let consumer = self.running(py)?;
        drive(py, aio, Op::Other, async move { consumer.seek_to_end(&mq).await })
    }

    #[pyo3(signature = (queue, timestamp_ms, *, aio=false))]
    fn offset_for_timestamp<'py>(
        &self,
        py: Python<'py>,
        queue: &Bound<'py, PyAny>,
        timestamp_ms: i64,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mq = queue_arg(queue)?;
        let consumer = self.running(py)?;
        drive(py, aio, Op::Other, async move { consumer.offset_for_timestamp(&mq, timestamp_ms).await })
    }

    /// Commit what was polled (from `queues`, or from every queue) and persist it now.
    #[pyo3(signature = (queues=None, *, aio=false))]
    fn commit<'py>(
        &self,
        py: Python<'py>,
        queues: Option<&Bound<'py, PyAny>>,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let queues = queues.map(queues_arg).transpose()?;
        let consumer = self.running(py)?;
        drive(py, aio, Op::Other, async move {
            match queues {
                Some(queues) => consumer.commit_queues(&queues).await,
                None => consumer.commit().await,
            }
        })
    }

    /// The committed offset of `queue` as stored (None when nothing is stored).
    #[pyo3(signature = (queue, *, aio=false))]
    fn committed<'py>(&self, py: Python<'py>, queue: &Bound<'py, PyAny>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let mq = queue_arg(queue)?;
        let consumer = self.running(py)?;
        drive(py, aio, Op::Other, async move { consumer.committed(&mq).await })
    }

    fn pause(&self, py: Python<'_>, queues: &Bound<'_, PyAny>) -> PyResult<()> {
        let queues = queues_arg(queues)?;
        self.running(py)?.pause(&queues).map_err(|e| to_pyerr(py, Op::Other, &e))
    }

    fn resume(&self, py: Python<'_>, queues: &Bound<'_, PyAny>) -> PyResult<()> {
        let queues = queues_arg(queues)?;
        self.running(py)?.resume(&queues).map_err(|e| to_pyerr(py, Op::Other, &e))
    }

    fn is_paused(&self, py: Python<'_>, queue: &Bound<'_, PyAny>) -> PyResult<bool> {
        let mq = queue_arg(queue)?;
        Ok(self.running(py)?.is_paused(&mq))
    }

    fn __repr__(&self) -> String {
        format!("<LitePullConsumerCore group={:?} client_id={:?}>", self.group(), self.client_id())
    }
}

// ---- PullConsumerCore ---------------------------------------------------------------------

/// One pull's outcome for Python: `{"status": str, "next_begin_offset", "min_offset",
/// "max_offset", "messages": [ReceivedMessage]}`.
struct Pulled(MessageQueue, PullResult);

impl ToPython for Pulled {
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let Pulled(mq, r) = self;
        let status = match r.status {
            PullStatus::Found => "FOUND",
            PullStatus::NoNewMsg => "NO_NEW_MSG",
            PullStatus::NoMatchedMsg => "NO_MATCHED_MSG",
            PullStatus::OffsetIllegal => "OFFSET_ILLEGAL",
        };
        let dict = PyDict::new(py);
        dict.set_item("status", status)?;
        dict.set_item("next_begin_offset", r.next_begin_offset)?;
        dict.set_item("min_offset", r.min_offset)?;
        dict.set_item("max_offset", r.max_offset)?;
        let msgs: Vec<Bound<'py, PyReceivedMessage>> = r
            .msgs
            .into_iter()
            .map(|m| Bound::new(py, PyReceivedMessage::new(m, mq.broker_name.clone())))
            .collect::<PyResult<_>>()?;
        dict.set_item("messages", msgs)?;
        Ok(dict.into_any())
    }
}

/// The native pull consumer: pulls one queue at a given offset, offsets kept by the caller.
#[pyclass(module = "rocketmq._rocketmq", name = "PullConsumerCore", frozen)]
#[derive(Debug)]
pub struct PullConsumerCore {
    group: Mutex<String>,
    client: Mutex<ClientSettings>,
    consumer: Started<Arc<PullConsumer>>,
}

impl PullConsumerCore {
    fn running(&self, py: Python<'_>) -> PyResult<Arc<PullConsumer>> {
        match self.consumer.here_or_forked("consumer") {
            Ok(Some(c)) => Ok(c.clone()),
            Ok(None) => Err(to_pyerr(
                py,
                Op::Other,
                &local(ErrorKind::NotStarted, "the consumer has not been started: call start() first"),
            )),
            Err(forked) => Err(to_pyerr(py, Op::Other, &forked)),
        }
    }

    fn unstarted(&self, py: Python<'_>) -> PyResult<()> {
        if self.consumer.is_started() {
            return Err(to_pyerr(
                py,
                Op::Other,
                &Error::config("the consumer is already started: change settings before start()"),
            ));
        }
        Ok(())
    }
}

#[pymethods]
impl PullConsumerCore {
    #[new]
    fn new(group: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PullConsumerCore {
            group: Mutex::new(text_arg(group, "group")?),
            client: Mutex::new(ClientSettings::default()),
            consumer: Started::default(),
        })
    }

    #[getter]
    fn group(&self) -> String {
        lock(&self.group).clone()
    }

    #[getter]
    fn client_id(&self) -> Option<String> {
        None
    }

    fn set_group(&self, py: Python<'_>, group: &Bound<'_, PyAny>) -> PyResult<()> {
        self.unstarted(py)?;
        *lock(&self.group) = text_arg(group, "group")?;
        Ok(())
    }

    fn set_namesrv_addr(&self, py: Python<'_>, addr: &Bound<'_, PyAny>) -> PyResult<()> {
        self.unstarted(py)?;
        lock(&self.client).namesrv_addr = Some(text_arg(addr, "name server address")?);
        Ok(())
    }

    #[pyo3(signature = (namespace, v2=false))]
    fn set_namespace(&self, py: Python<'_>, namespace: &Bound<'_, PyAny>, v2: bool) -> PyResult<()> {
        self.unstarted(py)?;
        lock(&self.client).set_namespace(text_arg(namespace, "namespace")?, v2);
        Ok(())
    }

    fn set_namesrv_domain(&self, py: Python<'_>, domain: &Bound<'_, PyAny>, refresh_interval_ms: i64) -> PyResult<()> {
        self.unstarted(py)?;
        let domain = text_arg(domain, "name server domain")?;
        lock(&self.client).set_namesrv_domain(domain, refresh_interval_ms).map_err(|e| to_pyerr(py, Op::Other, &e))
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
        self.unstarted(py)?;
        lock(&self.client).tls =
            crate::client_settings::tls_from_args(enabled, ca_file, cert_file, key_file, server_name, test_mode);
        Ok(())
    }

    fn set_session_credentials(
        &self,
        py: Python<'_>,
        access_key: &Bound<'_, PyAny>,
        access_secret: &Bound<'_, PyAny>,
        channel: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.unstarted(py)?;
        lock(&self.client).credentials = Some(Credentials::from_args(access_key, access_secret, channel)?);
        Ok(())
    }

    #[pyo3(signature = (*, aio=false))]
    fn start<'py>(&self, py: Python<'py>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        logging::refresh_level(py);
        if let Some(c) = self.consumer.here_or_forked("consumer").map_err(|e| to_pyerr(py, Op::ConsumerStart, &e))? {
            let c = c.clone();
            return drive(py, aio, Op::ConsumerStart, async move { c.start().await });
        }
        let client = lock(&self.client).client_options().map_err(|e| to_pyerr(py, Op::ConsumerStart, &e))?;
        let consumer = Arc::new(PullConsumer::new(lock(&self.group).clone(), client));
        let c = consumer.clone();
        crate::blocking::run(py, async move { c.start().await })?.map_err(|e| to_pyerr(py, Op::ConsumerStart, &e))?;
        self.consumer.set(consumer);
        drive(py, aio, Op::ConsumerStart, async { Ok(()) })
    }

    #[pyo3(signature = (*, aio=false))]
    fn shutdown<'py>(&self, py: Python<'py>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let consumer = self.consumer.here().cloned();
        drive(py, aio, Op::Other, async move {
            if let Some(c) = consumer {
                c.shutdown().await;
            }
            Ok(())
        })
    }

    #[pyo3(signature = (topic, *, aio=false))]
    fn fetch_message_queues<'py>(
        &self,
        py: Python<'py>,
        topic: &Bound<'py, PyAny>,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let topic = text_arg(topic, "topic")?;
        let consumer = self.running(py)?;
        drive(py, aio, Op::Other, async move { consumer.fetch_message_queues(&topic).await.map(Queues) })
    }

    /// Pull at most `max_nums` messages of `queue` from `offset` (no long poll).
    #[pyo3(signature = (queue, expression, offset, max_nums, *, aio=false))]
    fn pull<'py>(
        &self,
        py: Python<'py>,
        queue: &Bound<'py, PyAny>,
        expression: &Bound<'py, PyAny>,
        offset: i64,
        max_nums: i32,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mq = queue_arg(queue)?;
        let expression = text_arg(expression, "expression")?;
        let consumer = self.running(py)?;
        drive(py, aio, Op::Other, async move {
            let result = consumer.pull(&mq, &expression, offset, max_nums).await?;
            Ok(Pulled(mq, result))
        })
    }
}

/// A poll's messages on their way to Python. If nobody takes them (an asyncio poll cancelled
/// after it completed), they are given back to the consumer, which delivers them again: a
/// cancelled `await consumer.poll()` loses no message (see `LitePullConsumer::give_back`).
struct Polled {
    consumer: LitePullConsumer,
    batch: Option<(MessageQueue, Vec<rocketmq_client::MessageExt>)>,
}

impl ToPython for Polled {
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Received(self.batch).to_python(py)
    }

    fn discard(self) {
        let Some((queue, msgs)) = self.batch else { return };
        // On the loop thread: restarting the queue spawns its pull task on the runtime.
        let runtime = match crate::runtime::get() {
            Ok(rt) => rt,
            Err(e) => {
                tracing::warn!(%queue, count = msgs.len(), error = %e,
                    "a cancelled poll could not give its messages back; they were taken from the queue");
                return;
            }
        };
        let _in_runtime = runtime.enter();
        match self.consumer.give_back(&queue, &msgs) {
            Ok(()) => tracing::debug!(%queue, count = msgs.len(), "a cancelled poll gave its messages back"),
            Err(e) => tracing::warn!(%queue, count = msgs.len(), error = %e,
                "a cancelled poll could not give its messages back; they were taken from the queue"),
        }
    }
}
