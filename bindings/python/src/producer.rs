//! `rocketmq._rocketmq.ProducerCore`: the native producer behind `rocketmq.client.Producer`
//! (blocking, 2.x API) and `rocketmq.aio.Producer` (awaitables), and, given a checker, behind
//! `rocketmq.client.TransactionMQProducer` and `rocketmq.aio.TransactionProducer` (the core's
//! `TransactionProducer`; its Python callbacks are in `transaction`). Request-reply
//! (`request`, `request_async`) is in every producer (Java `DefaultMQProducer.request`).
//!
//! Settings are stored as given and validated by `start()`, so every configuration error
//! surfaces as `ProducerStartFailed` (and `ValueError`), as with the 2.x C++ core. Blocking
//! calls release the GIL through [`crate::blocking::run`]; with `aio=True` the same methods return awaitables
//! driven by the shared runtime. Messages are copied (cheaply: the body is reference-counted)
//! and their borrow released before the GIL is, so other threads may reuse or change a
//! `Message` while it is being sent.

use pyo3::exceptions::PyTypeError;
use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::types::PyInt;
use pyo3::PyTraverseError;
use rocketmq_client::{
    ClientOptions, Error, ErrorKind, Message, MessageQueue, Producer, ProducerOptions, TransactionProducer,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::blocking;
use crate::callbacks;
use crate::client_settings::{ClientSettings, Credentials};
use crate::convert::{millis, narrow, positive_millis};
use crate::drive::drive;
use crate::errors::{local, to_pyerr, IntoPyResult, Op};
use crate::logging;
use crate::message::{text_arg, PyMessage};
use crate::results::{self, ToPython};
use crate::runtime;
use crate::started::Started;
use crate::transaction::{run_local, CheckerSlot, Escaped, PyChecker, Runner};

/// Settings as given by the user; turned into options (and checked) by `start()`.
#[derive(Debug, Clone, Default)]
struct Settings {
    group: String,
    client: ClientSettings,
    send_timeout_ms: Option<i64>,
    compress_level: Option<i64>,
    compress_type: Option<rocketmq_client::options::CompressionType>,
    compress_over: Option<i64>,
    max_message_size: Option<i64>,
    retry_times: Option<i64>,
    send_attempt_timeout_ms: Option<i64>,
    auto_batch: Option<bool>,
    batch_max_delay_ms: Option<i64>,
    batch_max_bytes: Option<i64>,
    total_batch_max_bytes: Option<i64>,
}

impl Settings {
    fn build(&self) -> Result<(ProducerOptions, ClientOptions), Error> {
        let mut producer = ProducerOptions::new(self.group.clone());
        let client = self.client.client_options()?;
        if let Some(ms) = self.send_timeout_ms {
            producer.send_timeout = millis(ms, "send timeout")?;
        }
        if let Some(level) = self.compress_level {
            producer.compress_level = narrow(level, "compress level")?;
        }
        if let Some(kind) = self.compress_type {
            producer.compress_type = kind;
        }
        if let Some(over) = self.compress_over {
            producer.compress_over = narrow(over, "compress threshold")?;
        }
        if let Some(size) = self.max_message_size {
            producer.max_message_size = narrow(size, "max message size")?;
        }
        if let Some(ms) = self.send_attempt_timeout_ms {
            producer.send_attempt_timeout = millis(ms, "send attempt timeout")?;
        }
        if let Some(on) = self.auto_batch {
            producer.auto_batch = on;
        }
        if let Some(ms) = self.batch_max_delay_ms {
            producer.batch_max_delay = millis(ms, "batch max delay")?;
        }
        if let Some(n) = self.batch_max_bytes {
            producer.batch_max_bytes = narrow(n, "batch max bytes")?;
        }
        if let Some(n) = self.total_batch_max_bytes {
            producer.total_batch_max_bytes = narrow(n, "total batch max bytes")?;
        }
        if let Some(n) = self.retry_times {
            producer.retry_times_when_send_failed = narrow(n, "retry times")?;
            producer.retry_times_when_send_async_failed = producer.retry_times_when_send_failed;
        }
        Ok((producer, client))
    }
}

/// An optional per-call timeout in ms, as a Duration (a Config error naming `op` otherwise).
fn timeout_arg(py: Python<'_>, op: Op, timeout_ms: Option<i64>) -> PyResult<Option<Duration>> {
    timeout_ms.map(|ms| positive_millis(ms, "timeout").map_err(|e| to_pyerr(py, op, &e))).transpose()
}

/// The native producer. Thread-safe: any number of Python threads may send at once.
#[pyclass(module = "rocketmq._rocketmq", name = "ProducerCore", frozen)]
pub struct ProducerCore {
    settings: Mutex<Settings>,
    producer: Started<Producer>,
    starting: AtomicBool,
    stats_cb: crate::stats::StatsCallbackCell,
    /// The transaction checker (set: a transactional producer).
    checker: Arc<CheckerSlot>,
    /// The transactional producer around `producer`, once started with a checker.
    transaction: Started<TransactionProducer>,
}

impl std::fmt::Debug for ProducerCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProducerCore").field("group", &self.group()).field("started", &self.started()).finish()
    }
}

fn lock(m: &Mutex<Settings>) -> MutexGuard<'_, Settings> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Resets the `starting` flag when `start()` returns, however it returns.
struct StartingGuard<'a>(&'a AtomicBool);

impl Drop for StartingGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// Messages of a batch: any iterable of `Message`.
fn messages_arg(msgs: &Bound<'_, PyAny>) -> PyResult<Vec<Message>> {
    let mut out = Vec::new();
    for item in msgs.try_iter()? {
        let item = item?;
        let msg = item.cast::<PyMessage>().map_err(|_| {
            PyTypeError::new_err(format!(
                "send_batch() wants Message objects, got {}",
                item.get_type().name().map_or_else(|_| "?".to_owned(), |n| n.to_string())
            ))
        })?;
        out.push(msg.borrow().core().clone());
    }
    Ok(out)
}

impl ProducerCore {
    fn settings(&self, py: Python<'_>) -> PyResult<MutexGuard<'_, Settings>> {
        if let Err(e) = self.producer.here_or_forked("producer") {
            return Err(to_pyerr(py, Op::Other, &e));
        }
        if self.producer.is_started() || self.starting.load(Ordering::SeqCst) {
            return Err(to_pyerr(
                py,
                Op::Other,
                &Error::config("the producer is already started: change settings before start()"),
            ));
        }
        Ok(lock(&self.settings))
    }

    /// The running producer, or a NotStarted (or Forked) error for `op`.
    fn running(&self, py: Python<'_>, op: Op) -> PyResult<Producer> {
        logging::maybe_refresh_level(py);
        match self.producer.here_or_forked("producer") {
            Ok(Some(p)) => Ok(p.clone()),
            Ok(None) => Err(to_pyerr(
                py,
                op,
                &local(ErrorKind::NotStarted, "the producer has not been started: call start() first"),
            )),
            Err(forked) => Err(to_pyerr(py, op, &forked)),
        }
    }

    /// Run a client future with the GIL released and convert its result.
    fn block_on<T, F>(py: Python<'_>, op: Op, fut: F) -> PyResult<T>
    where
        F: std::future::Future<Output = Result<T, Error>> + Send,
        T: Send,
    {
        blocking::run(py, fut)?.or_raise(py, op)
    }

    /// `runner`: where a transaction checker runs (the loop of an asyncio start).
    fn start_now(&self, py: Python<'_>, runner: Runner) -> PyResult<()> {
        logging::refresh_level(py);
        if let Some(p) = self.producer.here_or_forked("producer").map_err(|e| to_pyerr(py, Op::ProducerStart, &e))? {
            let p = p.clone();
            return Self::block_on(py, Op::ProducerStart, async move { p.start().await });
        }
        if self.starting.swap(true, Ordering::SeqCst) {
            return Err(to_pyerr(py, Op::ProducerStart, &local(ErrorKind::NotStarted, "start() is already running")));
        }
        let _guard = StartingGuard(&self.starting);
        if self.checker.is_set() {
            let built = lock(&self.settings).build();
            let (options, client) = built.map_err(|e| to_pyerr(py, Op::ProducerStart, &e))?;
            let checker = Arc::new(PyChecker { slot: self.checker.clone(), runner });
            let txn = TransactionProducer::new(options, client, checker);
            if let Some(interval) = self.stats_cb.interval() {
                txn.producer()
                    .set_stats_callback(interval, self.stats_cb.core_callback())
                    .map_err(|e| to_pyerr(py, Op::Other, &e))?;
            }
            let t = txn.clone();
            Self::block_on(py, Op::ProducerStart, async move { t.start().await })?;
            self.producer.set(txn.producer().clone());
            self.transaction.set(txn);
            return Ok(());
        }
        let producer = self.new_producer(py)?;
        let p = producer.clone();
        Self::block_on(py, Op::ProducerStart, async move { p.start().await })?;
        self.producer.set(producer);
        Ok(())
    }

    /// The running transactional producer, or the error of `op`.
    fn running_transaction(&self, py: Python<'_>, op: Op) -> PyResult<TransactionProducer> {
        self.running(py, op)?;
        match self.transaction.here() {
            Some(t) => Ok(t.clone()),
            None => Err(to_pyerr(
                py,
                op,
                &local(
                    ErrorKind::Config,
                    "send_message_in_transaction needs a transactional producer (TransactionMQProducer, \
                     or rocketmq.aio.TransactionProducer)",
                ),
            )),
        }
    }

    fn new_producer(&self, py: Python<'_>) -> PyResult<Producer> {
        let settings = lock(&self.settings).clone();
        let (options, client) = settings.build().map_err(|e| to_pyerr(py, Op::ProducerStart, &e))?;
        let producer = Producer::new(options, client);
        if let Some(interval) = self.stats_cb.interval() {
            producer
                .set_stats_callback(interval, self.stats_cb.core_callback())
                .map_err(|e| to_pyerr(py, Op::Other, &e))?;
        }
        Ok(producer)
    }
}

#[pymethods]
impl ProducerCore {
    /// `ProducerCore(group)`; with `checker` (a callable answering the broker's transaction
    /// checks) a transactional producer.
    #[new]
    #[pyo3(signature = (group, checker=None))]
    fn new(group: &Bound<'_, PyAny>, checker: Option<Bound<'_, PyAny>>) -> PyResult<Self> {
        let checker = checker.filter(|c| !c.is_none());
        if checker.as_ref().is_some_and(|c| !c.is_callable()) {
            return Err(PyTypeError::new_err("checker_callback must be callable: checker(msg) -> TransactionStatus"));
        }
        Ok(ProducerCore {
            settings: Mutex::new(Settings { group: text_arg(group, "group")?, ..Settings::default() }),
            producer: Started::default(),
            starting: AtomicBool::new(false),
            stats_cb: Default::default(),
            checker: Arc::new(CheckerSlot::new(checker.map(Bound::unbind))),
            transaction: Started::default(),
        })
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.stats_cb.visit(&visit)?;
        self.checker.traverse(&visit)
    }

    fn __clear__(&self) {
        self.stats_cb.clear();
        self.checker.clear();
    }

    /// Whether this producer was created with a transaction checker.
    #[getter]
    fn transactional(&self) -> bool {
        self.checker.is_set() || self.transaction.is_started()
    }

    /// The producer group.
    #[getter]
    fn group(&self) -> String {
        match self.producer.here() {
            Some(p) => p.namespace().unwrap(&p.options().group),
            None => lock(&self.settings).group.clone(),
        }
    }

    /// `ip@instance` once started, else None. Unique per producer object.
    #[getter]
    fn client_id(&self) -> Option<String> {
        self.producer.here().and_then(|p| p.client_id().map(str::to_owned))
    }

    /// Whether `start()` succeeded (stays true after shutdown, and in a forked child).
    #[getter]
    fn started(&self) -> bool {
        self.producer.is_started()
    }

    fn set_group(&self, py: Python<'_>, group: &Bound<'_, PyAny>) -> PyResult<()> {
        let group = text_arg(group, "group")?;
        self.settings(py)?.group = group;
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

    fn set_send_timeout_ms(&self, py: Python<'_>, timeout_ms: i64) -> PyResult<()> {
        self.settings(py)?.send_timeout_ms = Some(timeout_ms);
        Ok(())
    }

    fn set_compress_level(&self, py: Python<'_>, level: i64) -> PyResult<()> {
        self.settings(py)?.compress_level = Some(level);
        Ok(())
    }

    /// `"ZLIB"` (default), `"LZ4"` or `"ZSTD"` (Java `rocketmq.message.compressType`).
    fn set_compress_type(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        let kind = rocketmq_client::options::CompressionType::from_name(&name.to_ascii_uppercase()).map_err(|_| {
            to_pyerr(
                py,
                Op::Other,
                &local(ErrorKind::Config, format!("compression type {name:?}: expected ZLIB, LZ4 or ZSTD")),
            )
        })?;
        self.settings(py)?.compress_type = Some(kind);
        Ok(())
    }

    fn set_compress_over(&self, py: Python<'_>, size: i64) -> PyResult<()> {
        self.settings(py)?.compress_over = Some(size);
        Ok(())
    }

    fn set_max_message_size(&self, py: Python<'_>, size: i64) -> PyResult<()> {
        self.settings(py)?.max_message_size = Some(size);
        Ok(())
    }

    fn set_retry_times(&self, py: Python<'_>, times: i64) -> PyResult<()> {
        self.settings(py)?.retry_times = Some(times);
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

    fn set_send_attempt_timeout_ms(&self, py: Python<'_>, ms: i64) -> PyResult<()> {
        self.settings(py)?.send_attempt_timeout_ms = Some(ms);
        Ok(())
    }

    /// Auto-batching of single sends (Java `autoBatch`; `producer::accumulator` in the core).
    fn set_auto_batch(&self, py: Python<'_>, enabled: bool) -> PyResult<()> {
        self.settings(py)?.auto_batch = Some(enabled);
        Ok(())
    }

    fn set_batch_max_delay_ms(&self, py: Python<'_>, ms: i64) -> PyResult<()> {
        self.settings(py)?.batch_max_delay_ms = Some(ms);
        Ok(())
    }

    fn set_batch_max_bytes(&self, py: Python<'_>, n: i64) -> PyResult<()> {
        self.settings(py)?.batch_max_bytes = Some(n);
        Ok(())
    }

    fn set_total_batch_max_bytes(&self, py: Python<'_>, n: i64) -> PyResult<()> {
        self.settings(py)?.total_batch_max_bytes = Some(n);
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

    /// Statistics as a plain dict (empty before start); see docs/stats.md.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        match self.producer.here() {
            Some(c) => crate::stats::to_dict(py, &c.stats()),
            None => Ok(pyo3::types::PyDict::new(py)),
        }
    }

    /// Call `callback(stats_dict)` every `interval_s` seconds while the producer runs.
    fn set_stats_callback(&self, py: Python<'_>, callback: Py<PyAny>, interval_s: f64) -> PyResult<()> {
        let interval = self.stats_cb.set(callback, interval_s).map_err(|e| to_pyerr(py, Op::Other, &e))?;
        if let Some(c) = self.producer.here() {
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

    /// Whether ACL credentials were set (they sign every request).
    #[getter]
    fn has_credentials(&self) -> bool {
        lock(&self.settings).client.credentials.is_some()
    }

    /// Validate the settings and start (no network I/O). Starting a started producer does
    /// nothing; a producer that was shut down cannot start again. With `aio`, returns a
    /// finished awaitable.
    ///
    /// The checker of a transactional producer runs on a thread of the library (blocking), or
    /// with `aio` as tasks on the running event loop.
    #[pyo3(signature = (*, aio=false))]
    fn start<'py>(&self, py: Python<'py>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let runner = if aio && self.checker.is_set() { Runner::running_loop(py)? } else { Runner::Thread };
        self.start_now(py, runner)?;
        drive(py, aio, Op::ProducerStart, async { Ok(()) })
    }

    /// Unregister from the brokers and close connections. Idempotent; does nothing before
    /// start, nor in a process forked from the one that started it (the connections are the
    /// parent's).
    #[pyo3(signature = (*, aio=false))]
    fn shutdown<'py>(&self, py: Python<'py>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        logging::maybe_refresh_level(py);
        let producer = self.producer.here().cloned();
        let transaction = self.transaction.here().cloned();
        drive(py, aio, Op::Other, async move {
            if let Some(t) = transaction {
                t.shutdown().await;
            } else if let Some(p) = producer {
                p.shutdown().await;
            }
            Ok(())
        })
    }

    /// Send `msg` as a half message, run `local_execute(msg, user_args)` (blocking: on this
    /// thread; `aio`: as a task on the running loop, `async def` allowed), then commit, roll
    /// back or leave it UNKNOWN as it answers (Java `sendMessageInTransaction`). Returns a
    /// `TransactionSendResult` (the transaction id and the local state).
    #[pyo3(signature = (msg, local_execute, user_args=None, *, aio=false))]
    fn send_message_in_transaction<'py>(
        &self,
        py: Python<'py>,
        msg: &Bound<'py, PyMessage>,
        local_execute: &Bound<'py, PyAny>,
        user_args: Option<Bound<'py, PyAny>>,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        if !local_execute.is_callable() {
            return Err(PyTypeError::new_err(
                "local_execute must be callable: local_execute(msg, user_args) -> TransactionStatus",
            ));
        }
        let txn = self.running_transaction(py, Op::SendTransaction)?;
        let runner = if aio { Runner::running_loop(py)? } else { Runner::Thread };
        let local_execute = local_execute.clone().unbind();
        let user_args = user_args.map_or_else(|| py.None(), Bound::unbind);
        let msg = msg.borrow().shared();
        let escaped = Escaped::default();
        let escaped_here = escaped.clone();
        let fut = async move {
            let result = txn
                .send_message_in_transaction(&msg, move |half, sent| {
                    run_local(runner, local_execute, user_args, half, sent, escaped)
                })
                .await?;
            Ok(results::Transaction(result))
        };
        if aio {
            return drive(py, true, Op::SendTransaction, fut);
        }
        let result = Self::block_on(py, Op::SendTransaction, fut)?;
        // A Ctrl-C in local_execute: the transaction ended UNKNOWN (the broker will check);
        // the interrupt goes on.
        if let Some(interrupt) = escaped_here.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Err(interrupt);
        }
        result.to_python(py)
    }

    /// Send `msg` as a request and wait up to `timeout_ms` (default: the send timeout's
    /// default, 3000) for the reply (Java
    /// `DefaultMQProducer.request`): a `ReceivedMessage`. No reply in time raises
    /// `ProducerRequestTimeout` (also `TimeoutError`).
    #[pyo3(signature = (msg, timeout_ms=3000, *, aio=false))]
    fn request<'py>(
        &self,
        py: Python<'py>,
        msg: &Bound<'py, PyMessage>,
        timeout_ms: i64,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let producer = self.running(py, Op::Request)?;
        let timeout = positive_millis(timeout_ms, "request timeout").map_err(|e| to_pyerr(py, Op::Request, &e))?;
        let msg = msg.borrow().shared();
        drive(py, aio, Op::Request, async move { Ok(results::Reply(producer.request(&msg, timeout).await?)) })
    }

    /// Request in the background: later `callback(reply)` or `exception_callback(exc)`
    /// (`ProducerRequestFailed`; logged when None) runs on the `rocketmq-callbacks` thread.
    #[pyo3(signature = (msg, callback, timeout_ms=3000, exception_callback=None))]
    fn request_async(
        &self,
        py: Python<'_>,
        msg: &Bound<'_, PyMessage>,
        callback: Option<Bound<'_, PyAny>>,
        timeout_ms: i64,
        exception_callback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        for (cb, what) in [(&callback, "callback"), (&exception_callback, "exception_callback")] {
            if cb.as_ref().is_some_and(|cb| !cb.is_none() && !cb.is_callable()) {
                return Err(PyTypeError::new_err(format!("{what} must be callable or None")));
            }
        }
        let on_reply = callback.filter(|cb| !cb.is_none()).map(Bound::unbind);
        let on_exception = exception_callback.filter(|cb| !cb.is_none()).map(Bound::unbind);
        let producer = self.running(py, Op::Request)?;
        let timeout = positive_millis(timeout_ms, "request timeout").map_err(|e| to_pyerr(py, Op::Request, &e))?;
        let rt = runtime::get()?;
        let msg = msg.borrow().shared();
        rt.spawn(async move {
            let result = producer.request(&msg, timeout).await;
            let job: callbacks::Job = Box::new(move |py| match result {
                Ok(reply) => {
                    let Some(cb) = on_reply else { return };
                    match results::Reply(reply).to_python(py) {
                        Ok(obj) => callbacks::call_logged(py, cb.bind(py), obj, "request_async callback"),
                        Err(e) => logging::log_exception(py, "cannot build the reply of request_async", e),
                    }
                }
                Err(e) => {
                    let exc = to_pyerr(py, Op::Request, &e);
                    match on_exception {
                        Some(cb) => {
                            let value = exc.into_value(py).into_bound(py).into_any();
                            callbacks::call_logged(py, cb.bind(py), value, "request_async exception_callback");
                        }
                        None => {
                            logging::log_exception(py, "request_async failed and no exception_callback was given", exc)
                        }
                    }
                }
            });
            if !callbacks::submit(job) {
                tracing::error!("request_async completion dropped: the callback thread is not running");
            }
        });
        Ok(())
    }

    #[pyo3(signature = (msg, timeout_ms=None, *, aio=false))]
    fn send<'py>(
        &self,
        py: Python<'py>,
        msg: &Bound<'py, PyMessage>,
        timeout_ms: Option<i64>,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let producer = self.running(py, Op::SendSync)?;
        let msg = msg.borrow().shared();
        let timeout = timeout_arg(py, Op::SendSync, timeout_ms)?;
        drive(py, aio, Op::SendSync, async move {
            match timeout {
                Some(t) => producer.send_with_timeout(&msg, t).await,
                None => producer.send(&msg).await,
            }
        })
    }

    #[pyo3(signature = (msg, *, aio=false))]
    fn send_oneway<'py>(&self, py: Python<'py>, msg: &Bound<'py, PyMessage>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let producer = self.running(py, Op::SendOneway)?;
        let msg = msg.borrow().shared();
        drive(py, aio, Op::SendOneway, async move { producer.send_oneway(&msg).await })
    }

    #[pyo3(signature = (msgs, *, aio=false))]
    fn send_batch<'py>(&self, py: Python<'py>, msgs: &Bound<'py, PyAny>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let msgs = messages_arg(msgs)?;
        let producer = self.running(py, Op::SendSync)?;
        drive(py, aio, Op::SendSync, async move { producer.send_batch(&msgs).await })
    }

    #[pyo3(signature = (msg, sharding_key, *, aio=false))]
    fn send_orderly_by_sharding_key<'py>(
        &self,
        py: Python<'py>,
        msg: &Bound<'py, PyMessage>,
        sharding_key: &Bound<'py, PyAny>,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let key = text_arg(sharding_key, "sharding key")?;
        let producer = self.running(py, Op::SendOrderly)?;
        let msg = msg.borrow().shared();
        drive(py, aio, Op::SendOrderly, async move { producer.send_orderly_by_sharding_key(&msg, &key).await })
    }

    /// Ordered send through a Python selector: `selector(queue_count, msg, arg) -> int` runs on
    /// the calling thread (with the GIL) between fetching the topic's queues and sending. Its
    /// exceptions propagate unchanged.
    fn send_with_selector<'py>(
        &self,
        py: Python<'py>,
        msg: &Bound<'py, PyMessage>,
        selector: &Bound<'py, PyAny>,
        arg: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if !selector.is_callable() {
            return Err(PyTypeError::new_err("queue_selector must be callable: selector(mq_size, msg, arg) -> int"));
        }
        let producer = self.running(py, Op::SendOrderly)?;
        let core_msg = msg.borrow().shared();
        let topic = core_msg.topic().to_owned();
        let p = producer.clone();
        let queues: Vec<MessageQueue> =
            Self::block_on(py, Op::SendOrderly, async move { p.publish_queues(&topic).await })?;
        if queues.is_empty() {
            return Err(to_pyerr(
                py,
                Op::SendOrderly,
                &local(ErrorKind::RouteNotFound, "the topic has no writable queue").with_topic(core_msg.topic()),
            ));
        }
        let picked = selector.call1((queues.len(), msg, arg))?;
        if !picked.is_instance_of::<PyInt>() {
            return Err(PyTypeError::new_err(format!(
                "queue_selector must return an int, got {}",
                picked.get_type().name().map_or_else(|_| "?".to_owned(), |n| n.to_string())
            )));
        }
        let index: i64 = picked.extract()?;
        let Some(mq) = usize::try_from(index).ok().and_then(|i| queues.get(i)).cloned() else {
            let e = Error::invalid_message(format!(
                "queue_selector returned {index}, but the topic has {} queues (valid: 0..{})",
                queues.len(),
                queues.len()
            ))
            .with_topic(core_msg.topic());
            return Err(to_pyerr(py, Op::SendOrderly, &e));
        };
        let result = Self::block_on(py, Op::SendOrderly, async move { producer.send_to_queue(&core_msg, &mq).await })?;
        results::send_result(py, &result)
    }

    /// Send in the background; exactly one of the callbacks is later called on the
    /// `rocketmq-callbacks` thread: `success_callback(SendResult)` or
    /// `exception_callback(ProducerSendAsyncFailed)`. Raises at once only if the producer is
    /// not started or a callback is not callable.
    #[pyo3(signature = (msg, success_callback=None, exception_callback=None))]
    fn send_async(
        &self,
        py: Python<'_>,
        msg: &Bound<'_, PyMessage>,
        success_callback: Option<Bound<'_, PyAny>>,
        exception_callback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        for (cb, what) in [(&success_callback, "success_callback"), (&exception_callback, "exception_callback")] {
            if cb.as_ref().is_some_and(|cb| !cb.is_none() && !cb.is_callable()) {
                return Err(PyTypeError::new_err(format!("{what} must be callable or None")));
            }
        }
        let on_success = success_callback.filter(|cb| !cb.is_none()).map(Bound::unbind);
        let on_exception = exception_callback.filter(|cb| !cb.is_none()).map(Bound::unbind);
        let producer = self.running(py, Op::SendAsync)?;
        let rt = runtime::get()?;
        let msg = msg.borrow().shared();
        // The core calls back from a runtime thread (no task per message held for a batch);
        // the callback only queues the Python work for the callback thread.
        let _in_runtime = rt.enter();
        producer.send_async_with(msg, move |result| {
            let job: callbacks::Job = Box::new(move |py| match result {
                Ok(r) => {
                    let Some(cb) = on_success else { return };
                    match results::send_result(py, &r) {
                        Ok(obj) => callbacks::call_logged(py, cb.bind(py), obj, "send_async success_callback"),
                        Err(e) => logging::log_exception(py, "cannot build the SendResult of send_async", e),
                    }
                }
                Err(e) => {
                    let exc = to_pyerr(py, Op::SendAsync, &e);
                    match on_exception {
                        Some(cb) => {
                            let value = exc.into_value(py).into_bound(py).into_any();
                            callbacks::call_logged(py, cb.bind(py), value, "send_async exception_callback");
                        }
                        None => {
                            logging::log_exception(py, "send_async failed and no exception_callback was given", exc)
                        }
                    }
                }
            });
            if !callbacks::submit(job) {
                tracing::error!("send_async completion dropped: the callback thread is not running");
            }
        });
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!("<ProducerCore group={:?} client_id={:?}>", self.group(), self.client_id())
    }
}
