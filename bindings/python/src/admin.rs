//! `rocketmq._rocketmq.AdminCore`: the native admin client behind `rocketmq.admin.Admin`
//! (blocking) and `rocketmq.admin.AsyncAdmin` (awaitables). Each operation is written once and
//! driven by [`crate::drive::drive`]: blocking with the GIL released, or an awaitable with
//! `aio=True`. Results come back as plain tuples, lists and dicts, which `rocketmq/admin.py`
//! turns into dataclasses; messages come back as `ReceivedMessage`. Failures raise
//! `rocketmq.exceptions.AdminFailed` subclasses (also `TimeoutError`, `ConnectionError`,
//! `ValueError` ... by kind).

use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use rocketmq_client::admin::{Admin, BrokerData, FoundMessage, TopicConfig};
use rocketmq_client::process::ProcessOwned;
use rocketmq_client::{ClientOptions, Error, MessageQueue};
use std::collections::BTreeMap;
use std::time::Duration;

use crate::drive::drive;
use crate::errors::{to_pyerr, Op};
use crate::received::PyReceivedMessage;
use crate::results::ToPython;

/// Environment variable read when no name server address is given (as the Java tools do).
const NAMESRV_ADDR_ENV: &str = "NAMESRV_ADDR";

/// A result made of plain values (numbers, strings, tuples, lists, dicts).
struct Plain<T>(T);

impl<T> ToPython for Plain<T>
where
    T: Send + 'static + for<'py> IntoPyObject<'py>,
{
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.into_bound_py_any(py)
    }
}

fn received(py: Python<'_>, found: FoundMessage) -> PyResult<Bound<'_, PyAny>> {
    Ok(Bound::new(py, PyReceivedMessage::new(found.message, found.broker_name))?.into_any())
}

/// One found message.
struct OneMessage(FoundMessage);

impl ToPython for OneMessage {
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        received(py, self.0)
    }
}

/// Found messages, as a list.
struct Messages(Vec<FoundMessage>);

impl ToPython for Messages {
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let items = self.0.into_iter().map(|f| received(py, f)).collect::<PyResult<Vec<_>>>()?;
        items.into_bound_py_any(py)
    }
}

/// `(topic, broker_name, queue_id)`.
type Queue = (String, String, i32);

fn queue(mq: MessageQueue) -> Queue {
    (mq.topic, mq.broker_name, mq.queue_id)
}

/// A running consumer's queue: `(queue, commit_offset, cached_msg_count, cached_msg_size_mib,
/// last_pull_timestamp, last_consume_timestamp, dropped, locked)`.
type ProcessQueueRow = (Queue, i64, i32, i32, i64, i64, bool, bool);

/// `(broker_name, cluster, {broker_id: addr})`.
type Broker = (String, String, BTreeMap<i64, String>);

fn broker(b: BrokerData) -> Broker {
    (b.broker_name, b.cluster, b.broker_addrs)
}

/// The native admin client. Thread-safe; clones of the core client share connections.
#[pyclass(module = "rocketmq._rocketmq", name = "AdminCore", frozen)]
#[derive(Debug)]
pub struct AdminCore {
    admin: ProcessOwned<Admin>,
    namesrv_addr: String,
}

impl AdminCore {
    fn admin(&self, py: Python<'_>) -> PyResult<Admin> {
        match self.admin.get() {
            Some(admin) => Ok(admin.clone()),
            None => Err(to_pyerr(py, Op::Admin, &crate::errors::forked("admin client", self.admin.owner_pid()))),
        }
    }
}

fn options(namesrv_addr: Option<&str>, timeout_ms: Option<i64>) -> Result<ClientOptions, Error> {
    let mut options = ClientOptions::default();
    let env_addr = std::env::var(NAMESRV_ADDR_ENV).ok().filter(|a| !a.trim().is_empty());
    match namesrv_addr.filter(|a| !a.trim().is_empty()).or(env_addr.as_deref()) {
        Some(addr) => options.set_namesrv_addr(addr)?,
        None => {
            return Err(Error::config("no name server address: pass namesrv_addr=\"host:port\" or set NAMESRV_ADDR"))
        }
    }
    if let Some(ms) = timeout_ms {
        let ms = u64::try_from(ms)
            .ok()
            .filter(|ms| *ms > 0)
            .ok_or_else(|| Error::config(format!("timeout must be a positive number of milliseconds, got {ms}")))?;
        options.request_timeout = Duration::from_millis(ms);
        options.connect_timeout = options.connect_timeout.min(options.request_timeout);
    }
    Ok(options)
}

fn mq(topic: String, broker_name: String, queue_id: i32) -> MessageQueue {
    MessageQueue::new(topic, broker_name, queue_id)
}

#[pymethods]
impl AdminCore {
    #[new]
    #[pyo3(signature = (namesrv_addr=None, timeout_ms=None))]
    fn new(py: Python<'_>, namesrv_addr: Option<&str>, timeout_ms: Option<i64>) -> PyResult<Self> {
        let options = options(namesrv_addr, timeout_ms).map_err(|e| to_pyerr(py, Op::Admin, &e))?;
        let namesrv_addr = options.namesrv_addrs.join(";");
        let admin = Admin::new(options).map_err(|e| to_pyerr(py, Op::Admin, &e))?;
        Ok(AdminCore { admin: ProcessOwned::new(admin), namesrv_addr })
    }

    /// The name servers in use, `"host:port;host:port"`.
    #[getter]
    fn namesrv_addr(&self) -> &str {
        &self.namesrv_addr
    }

    /// The per-request timeout in ms.
    #[getter]
    fn timeout_ms(&self, py: Python<'_>) -> PyResult<u128> {
        Ok(self.admin(py)?.options().request_timeout.as_millis())
    }

    /// Close the connections (reopened by the next call).
    fn close(&self) {
        if let Some(admin) = self.admin.get() {
            admin.close();
        }
    }

    /// `({cluster: [broker_name]}, [(broker_name, cluster, {id: addr})])`.
    #[pyo3(signature = (*, aio=false))]
    fn cluster_info<'py>(&self, py: Python<'py>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        drive(py, aio, Op::Admin, async move {
            let info = admin.cluster_info().await?;
            let clusters: BTreeMap<String, Vec<String>> =
                info.cluster_addr_table.into_iter().map(|(c, names)| (c, names.into_iter().collect())).collect();
            let brokers: Vec<Broker> = info.broker_addr_table.into_values().map(broker).collect();
            Ok(Plain((clusters, brokers)))
        })
    }

    /// `{key: value}` runtime statistics of the broker at `broker_addr`.
    #[pyo3(signature = (broker_addr, *, aio=false))]
    fn broker_runtime_info<'py>(&self, py: Python<'py>, broker_addr: String, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        drive(py, aio, Op::Admin, async move { Ok(Plain(admin.broker_runtime_info(&broker_addr).await?)) })
    }

    /// Every topic name, sorted.
    #[pyo3(signature = (*, aio=false))]
    fn topic_list<'py>(&self, py: Python<'py>, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        drive(py, aio, Op::Admin, async move { Ok(Plain(admin.topic_list().await?)) })
    }

    /// `([(broker_name, cluster, {id: addr})], [(broker_name, read, write, perm, sys_flag)], order_conf)`.
    #[pyo3(signature = (topic, *, aio=false))]
    fn topic_route<'py>(&self, py: Python<'py>, topic: String, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        drive(py, aio, Op::Admin, async move {
            let route = admin.topic_route(&topic).await?;
            let brokers: Vec<Broker> = route.broker_datas.into_iter().map(broker).collect();
            let queues: Vec<(String, i32, i32, i32, i32)> = route
                .queue_datas
                .into_iter()
                .map(|q| (q.broker_name, q.read_queue_nums, q.write_queue_nums, q.perm, q.topic_sys_flag))
                .collect();
            Ok(Plain((brokers, queues, route.order_topic_conf)))
        })
    }

    /// Create or update `topic` on every master of `cluster`, or on the broker `broker_addr`.
    /// Returns the broker addresses.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (topic, cluster=None, broker_addr=None, read_queue_nums=8, write_queue_nums=8, perm=6, order=false, *, aio=false))]
    fn create_topic<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        cluster: Option<String>,
        broker_addr: Option<String>,
        read_queue_nums: i32,
        write_queue_nums: i32,
        perm: i32,
        order: bool,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        let config = TopicConfig { read_queue_nums, write_queue_nums, perm, order };
        drive(py, aio, Op::Admin, async move {
            match (cluster, broker_addr) {
                (Some(cluster), None) => Ok(Plain(admin.create_topic_on_cluster(&cluster, &topic, &config).await?)),
                (None, Some(addr)) => {
                    admin.create_topic_on_broker(&addr, &topic, &config).await?;
                    Ok(Plain(vec![addr]))
                }
                _ => Err(Error::config("give exactly one of cluster and broker_addr")),
            }
        })
    }

    /// Delete `topic` from the brokers (of `cluster`, or of its route) and the name servers.
    #[pyo3(signature = (topic, cluster=None, *, aio=false))]
    fn delete_topic<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        cluster: Option<String>,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        drive(py, aio, Op::Admin, async move { Ok(Plain(admin.delete_topic(&topic, cluster.as_deref()).await?)) })
    }

    /// `[(queue, min_offset, max_offset, last_update_timestamp)]`.
    #[pyo3(signature = (topic, *, aio=false))]
    fn topic_stats<'py>(&self, py: Python<'py>, topic: String, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        drive(py, aio, Op::Admin, async move {
            let stats = admin.topic_stats(&topic).await?;
            let rows: Vec<(Queue, i64, i64, i64)> = stats
                .offset_table
                .into_iter()
                .map(|(q, o)| (queue(q), o.min_offset, o.max_offset, o.last_update_timestamp))
                .collect();
            Ok(Plain(rows))
        })
    }

    /// The queues of `topic`: `[(topic, broker_name, queue_id)]`.
    #[pyo3(signature = (topic, *, aio=false))]
    fn topic_queues<'py>(&self, py: Python<'py>, topic: String, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        drive(py, aio, Op::Admin, async move {
            Ok(Plain(admin.topic_queues(&topic).await?.into_iter().map(queue).collect::<Vec<_>>()))
        })
    }

    /// `(consume_tps, [(queue, broker_offset, consumer_offset, last_timestamp)])`.
    #[pyo3(signature = (group, topic=None, *, aio=false))]
    fn consume_stats<'py>(
        &self,
        py: Python<'py>,
        group: String,
        topic: Option<String>,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        drive(py, aio, Op::Admin, async move {
            let stats = admin.consume_stats(&group, topic.as_deref()).await?;
            let rows: Vec<(Queue, i64, i64, i64)> = stats
                .offset_table
                .into_iter()
                .map(|(q, o)| (queue(q), o.broker_offset, o.consumer_offset, o.last_timestamp))
                .collect();
            Ok(Plain((stats.consume_tps, rows)))
        })
    }

    /// `([(client_id, client_addr, language, version)], {topic: (expression, type)},
    /// consume_type, message_model, consume_from_where)`.
    #[pyo3(signature = (group, *, aio=false))]
    fn consumer_connections<'py>(&self, py: Python<'py>, group: String, aio: bool) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        drive(py, aio, Op::Admin, async move {
            let cc = admin.consumer_connections(&group).await?;
            let connections: Vec<(String, String, String, i32)> =
                cc.connection_set.into_iter().map(|c| (c.client_id, c.client_addr, c.language, c.version)).collect();
            let subscriptions: BTreeMap<String, (String, String)> = cc
                .subscription_table
                .into_iter()
                .map(|(t, s)| (t, (s.sub_string, s.expression_type.as_str().to_owned())))
                .collect();
            Ok(Plain((
                connections,
                subscriptions,
                cc.consume_type.map(|t| t.as_str().to_owned()),
                cc.message_model.map(|m| m.as_str().to_owned()),
                cc.consume_from_where.map(|w| w.as_str().to_owned()),
            )))
        })
    }

    /// `({property: value}, [(topic, expression, type)], [(queue, commit_offset,
    /// cached_msg_count, cached_msg_size_mib, last_pull_timestamp, last_consume_timestamp,
    /// dropped, locked)])` of one consumer client, relayed by a broker.
    #[pyo3(signature = (group, client_id, jstack=false, *, aio=false))]
    fn consumer_running_info<'py>(
        &self,
        py: Python<'py>,
        group: String,
        client_id: String,
        jstack: bool,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        drive(py, aio, Op::Admin, async move {
            let info = admin.consumer_running_info(&group, &client_id, jstack).await?;
            let subscriptions: Vec<(String, String, String)> = info
                .subscription_set
                .into_iter()
                .map(|s| (s.topic, s.sub_string, s.expression_type.as_str().to_owned()))
                .collect();
            let queues: Vec<ProcessQueueRow> = info
                .mq_table
                .into_iter()
                .map(|(q, p)| {
                    (
                        queue(q),
                        p.commit_offset,
                        p.cached_msg_count,
                        p.cached_msg_size_in_mib,
                        p.last_pull_timestamp,
                        p.last_consume_timestamp,
                        p.dropped,
                        p.locked,
                    )
                })
                .collect();
            Ok(Plain((info.properties, subscriptions, queues)))
        })
    }

    /// Reset `group` on `topic` to `timestamp_ms`: `([(queue, offset)], rewrote_stored_offsets)`.
    #[pyo3(signature = (group, topic, timestamp_ms, force=true, *, aio=false))]
    fn reset_offset_by_time<'py>(
        &self,
        py: Python<'py>,
        group: String,
        topic: String,
        timestamp_ms: i64,
        force: bool,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        drive(py, aio, Op::Admin, async move {
            let r = admin.reset_offset_by_time(&group, &topic, timestamp_ms, force).await?;
            let offsets: Vec<(Queue, i64)> = r.offsets.into_iter().map(|(q, o)| (queue(q), o)).collect();
            Ok(Plain((offsets, r.rewrote_stored_offsets)))
        })
    }

    /// A message by offset message id, or by client message id within `topic`.
    #[pyo3(signature = (msg_id, topic=None, *, aio=false))]
    fn message_by_id<'py>(
        &self,
        py: Python<'py>,
        msg_id: String,
        topic: Option<String>,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        drive(
            py,
            aio,
            Op::Admin,
            async move { Ok(OneMessage(admin.message_by_id(topic.as_deref(), msg_id.trim()).await?)) },
        )
    }

    /// Messages of `topic` with `key` among their keys, oldest first.
    #[pyo3(signature = (topic, key, max_num=64, *, aio=false))]
    fn messages_by_key<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        key: String,
        max_num: i32,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        drive(py, aio, Op::Admin, async move { Ok(Messages(admin.messages_by_key(&topic, &key, max_num).await?)) })
    }

    /// SEARCH_OFFSET_BY_TIMESTAMP on one queue.
    #[pyo3(signature = (topic, broker_name, queue_id, timestamp_ms, *, aio=false))]
    fn search_offset<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        broker_name: String,
        queue_id: i32,
        timestamp_ms: i64,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        let q = mq(topic, broker_name, queue_id);
        drive(py, aio, Op::Admin, async move { Ok(Plain(admin.search_offset(&q, timestamp_ms).await?)) })
    }

    /// GET_MIN_OFFSET (`which="min"`), GET_MAX_OFFSET (`"max"`) or GET_EARLIEST_MSG_STORETIME
    /// (`"earliest_store_time"`) of one queue.
    #[pyo3(signature = (which, topic, broker_name, queue_id, *, aio=false))]
    fn queue_offset<'py>(
        &self,
        py: Python<'py>,
        which: String,
        topic: String,
        broker_name: String,
        queue_id: i32,
        aio: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin(py)?;
        let q = mq(topic, broker_name, queue_id);
        drive(py, aio, Op::Admin, async move {
            let value = match which.as_str() {
                "min" => admin.min_offset(&q).await?,
                "max" => admin.max_offset(&q).await?,
                "earliest_store_time" => admin.earliest_msg_store_time(&q).await?,
                other => {
                    return Err(Error::config(format!("which must be min, max or earliest_store_time, got {other:?}")))
                }
            };
            Ok(Plain(value))
        })
    }
}
