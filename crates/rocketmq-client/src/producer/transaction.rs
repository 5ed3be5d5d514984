//! Transactional producer (Java `TransactionMQProducer`, `DefaultMQProducerImpl.sendMessageInTransaction`,
//! `checkTransactionState`, `endTransaction`): a half message (`TRAN_MSG=true`, `PGROUP`, sysFlag
//! PREPARED), the local transaction, then a oneway END_TRANSACTION with COMMIT / ROLLBACK / UNKNOWN.
//! The broker's CHECK_TRANSACTION_STATE reaches the producer of the message's `PGROUP` through the
//! client instance and is answered on a bounded check queue (Java: one check thread, queue 2000),
//! so a slow checker never blocks the connection's reader.

use rocketmq_remoting::header::{CheckTransactionStateRequestHeader, EndTransactionRequestHeader};
use rocketmq_remoting::message::keys;
use rocketmq_remoting::message::msg_id::decode as msg_id_decode;
use rocketmq_remoting::message::stored::{decode_messages, MessageExt};
use rocketmq_remoting::{request_code, RemotingCommand};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Producer;
use crate::error::{Error, ErrorKind, Result};
use crate::message::Message;
use crate::options::{ClientOptions, ProducerOptions};
use crate::send_result::{SendResult, SendStatus};
use crate::trace::hooks as trace_hooks;

/// Java `checkRequestHoldMax` / the check pool's queue size (`TransactionMQProducer`).
pub const CHECK_QUEUE_CAPACITY: usize = 2000;

/// The outcome of a local transaction (Java `LocalTransactionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTransactionState {
    /// Deliver the message.
    CommitMessage,
    /// Discard the message.
    RollbackMessage,
    /// Not known yet: the broker will check later.
    Unknow,
}

impl LocalTransactionState {
    /// The `commitOrRollback` value of END_TRANSACTION (`MessageSysFlag.TRANSACTION_*_TYPE`).
    pub fn end_type(self) -> i32 {
        match self {
            LocalTransactionState::CommitMessage => 0x8,
            LocalTransactionState::RollbackMessage => 0xC,
            LocalTransactionState::Unknow => 0,
        }
    }

    /// Java's enum name (`COMMIT_MESSAGE`, `ROLLBACK_MESSAGE`, `UNKNOW`), as trace records write it.
    pub fn java_name(self) -> &'static str {
        match self {
            LocalTransactionState::CommitMessage => "COMMIT_MESSAGE",
            LocalTransactionState::RollbackMessage => "ROLLBACK_MESSAGE",
            LocalTransactionState::Unknow => "UNKNOW",
        }
    }
}

/// A boxed future of a transaction state.
pub type StateFuture = Pin<Box<dyn Future<Output = LocalTransactionState> + Send>>;

/// Answers the broker's checks (Java `TransactionListener.checkLocalTransaction`).
pub trait TransactionChecker: Send + Sync + 'static {
    /// The state of the transaction of `msg` (a stored half message, topic restored).
    fn check(&self, msg: MessageExt) -> StateFuture;
}

/// The result of [`TransactionProducer::send_message_in_transaction`] (Java `TransactionSendResult`).
#[derive(Debug, Clone)]
pub struct TransactionSendResult {
    /// The half message's send result.
    pub send_result: SendResult,
    /// The state sent with END_TRANSACTION.
    pub local_state: LocalTransactionState,
    /// The transaction id (the broker's, else the message's UNIQ_KEY).
    pub transaction_id: String,
}

/// What the client instance calls for a CHECK_TRANSACTION_STATE of a group.
pub(crate) trait CheckHook: Send + Sync + 'static {
    /// Queue the check; never waits.
    fn enqueue(&self, peer: String, request: RemotingCommand);
}

struct CheckQueue {
    tx: mpsc::Sender<(String, RemotingCommand)>,
}

impl CheckHook for CheckQueue {
    fn enqueue(&self, peer: String, request: RemotingCommand) {
        if let Err(e) = self.tx.try_send((peer, request)) {
            tracing::warn!(error = %e, "transaction check queue full or closed: check dropped (the broker checks again)");
        }
    }
}

/// A producer of transactional messages. Cheap to clone.
#[derive(Clone)]
pub struct TransactionProducer {
    producer: Producer,
    checker: Arc<dyn TransactionChecker>,
    hook: Arc<std::sync::Mutex<Option<Arc<dyn CheckHook>>>>,
}

impl std::fmt::Debug for TransactionProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionProducer").field("group", &self.producer.options().group).finish()
    }
}

impl TransactionProducer {
    /// A transactional producer; `checker` answers the broker's checks.
    pub fn new(options: ProducerOptions, client_options: ClientOptions, checker: Arc<dyn TransactionChecker>) -> Self {
        TransactionProducer {
            producer: Producer::new(options, client_options),
            checker,
            hook: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// The plain producer underneath (for ordinary sends of the same group).
    pub fn producer(&self) -> &Producer {
        &self.producer
    }

    /// Start, and register the check queue for this group with the client instance.
    pub async fn start(&self) -> Result<()> {
        self.producer.start().await?;
        let instance = self.producer.instance()?.clone();
        let (tx, rx) = mpsc::channel(CHECK_QUEUE_CAPACITY);
        let hook: Arc<dyn CheckHook> = Arc::new(CheckQueue { tx });
        instance.register_transaction_checker(&self.producer.options().group, &hook);
        *self.hook.lock().unwrap_or_else(|p| p.into_inner()) = Some(hook);
        tokio::spawn(check_worker(self.producer.clone(), self.checker.clone(), rx));
        Ok(())
    }

    /// Shut down (the check worker ends with the queue).
    pub async fn shutdown(&self) {
        self.hook.lock().unwrap_or_else(|p| p.into_inner()).take();
        self.producer.shutdown().await;
    }

    /// Send `msg` as a half message, run `local` (only when the broker stored it with SEND_OK),
    /// then end the transaction with its state (Java `sendMessageInTransaction`).
    pub async fn send_message_in_transaction<F, Fut>(&self, msg: &Message, local: F) -> Result<TransactionSendResult>
    where
        F: FnOnce(Message, SendResult) -> Fut,
        Fut: Future<Output = LocalTransactionState>,
    {
        if msg.delay_time_level() > 0 || msg.delivery_time_ms().is_some() {
            return Err(
                Error::invalid_message("delay is not supported for transactional messages").with_topic(msg.topic())
            );
        }
        let mut half = msg.clone();
        half.put_property(keys::TRAN_MSG, "true")?;
        half.put_property(keys::PGROUP, &self.producer.options().group)?;
        let send_result = self.producer.send(&half).await?;
        let state = match send_result.status {
            SendStatus::Ok => {
                let mut local_msg = half.clone();
                if let Some(id) = send_result.transaction_id.as_deref() {
                    let _ = local_msg.put_property("__transactionId__", id);
                }
                local(local_msg, send_result.clone()).await
            }
            // Java: a flush / slave timeout rolls back.
            _ => LocalTransactionState::RollbackMessage,
        };
        let transaction_id = send_result.transaction_id.clone().unwrap_or_else(|| send_result.msg_id.clone());
        if let Err(e) = self.end_transaction(&half, &send_result, state).await {
            tracing::warn!(topic = %msg.topic(), error = %e, "END_TRANSACTION failed: the broker will check");
        }
        Ok(TransactionSendResult { send_result, local_state: state, transaction_id })
    }

    async fn end_transaction(&self, msg: &Message, sent: &SendResult, state: LocalTransactionState) -> Result<()> {
        let instance = self.producer.instance()?;
        let (_, commit_log_offset) = msg_id_decode(&sent.offset_msg_id).map_err(Error::from)?;
        let header = EndTransactionRequestHeader {
            topic: Some(self.producer.namespace().wrap(&sent.queue.topic)),
            producer_group: self.producer.options().group.clone(),
            tran_state_table_offset: sent.queue_offset,
            commit_log_offset,
            commit_or_rollback: state.end_type(),
            from_transaction_check: Some(false),
            msg_id: sent.msg_id.clone(),
            transaction_id: sent.transaction_id.clone(),
            broker_name: Some(sent.queue.broker_name.clone()),
        };
        let deadline = Instant::now() + self.producer.options().send_timeout;
        let queue = self.producer.namespace().wrap_queue(&sent.queue);
        let addr = self.producer.master_addr(instance, &queue, deadline).await?;
        if let Some(trace) = self.producer.inner.trace.get() {
            // Java `doExecuteEndTransactionHook`: the transaction id is the message's UNIQ_KEY.
            trace.append(trace_hooks::end_transaction(&trace_hooks::EndTransaction {
                group: &self.producer.namespace().unwrap(&self.producer.options().group),
                msg,
                broker_addr: &addr,
                msg_id: &sent.msg_id,
                state,
                from_check: false,
            }));
        }
        let request = instance.request(request_code::END_TRANSACTION, &header);
        instance.invoke_oneway(&addr, request, super::remaining(deadline)).await
    }
}

/// The check pool: one worker per producer, answering checks in arrival order.
async fn check_worker(
    producer: Producer,
    checker: Arc<dyn TransactionChecker>,
    mut rx: mpsc::Receiver<(String, RemotingCommand)>,
) {
    while let Some((peer, request)) = rx.recv().await {
        if let Err(e) = answer_check(&producer, checker.as_ref(), &peer, request).await {
            if e.kind() == ErrorKind::Shutdown {
                return;
            }
            tracing::warn!(broker = %peer, error = %e, "transaction check not answered");
        }
    }
}

/// One CHECK_TRANSACTION_STATE (`DefaultMQProducerImpl.checkTransactionState`).
async fn answer_check(
    producer: &Producer,
    checker: &dyn TransactionChecker,
    peer: &str,
    request: RemotingCommand,
) -> Result<()> {
    let header: CheckTransactionStateRequestHeader = request.decode_header().map_err(Error::from)?;
    let msg = decode_messages(request.body.clone())
        .map_err(Error::from)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::new(ErrorKind::Protocol, "transaction check without a message"))?;
    let uniq = msg.property(keys::UNIQ_KEY).map(str::to_owned).or_else(|| header.msg_id.clone()).unwrap_or_default();
    let group = msg.property(keys::PGROUP).unwrap_or(&producer.options().group).to_owned();
    let mut msg = msg;
    producer.namespace().unwrap_messages(std::slice::from_mut(&mut msg));
    let traced = producer.inner.trace.get().map(|t| (t, msg.clone()));
    let state = checker.check(msg).await;
    let instance = producer.instance()?;
    if let Some((trace, msg)) = traced {
        let mut checked = Message::new(&msg.topic, msg.body.clone());
        for (k, v) in msg.properties.iter() {
            let _ = checked.put_property(k, v);
        }
        trace.append(trace_hooks::end_transaction(&trace_hooks::EndTransaction {
            group: &producer.namespace().unwrap(&group),
            msg: &checked,
            broker_addr: peer,
            msg_id: &uniq,
            state,
            from_check: true,
        }));
    }
    let end = EndTransactionRequestHeader {
        topic: header.topic.clone(),
        producer_group: group,
        tran_state_table_offset: header.tran_state_table_offset,
        commit_log_offset: header.commit_log_offset,
        commit_or_rollback: state.end_type(),
        from_transaction_check: Some(true),
        msg_id: uniq,
        transaction_id: header.transaction_id.clone(),
        broker_name: header.broker_name.clone(),
    };
    let request = instance.request(request_code::END_TRANSACTION, &end);
    instance.invoke_oneway(peer, request, producer.options().send_timeout).await
}
