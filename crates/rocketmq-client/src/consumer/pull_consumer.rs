//! The 0.5.x-style pull consumer (Java `DefaultMQPullConsumer`): the application picks the
//! queue and the offset and keeps its own position; each pull is one PULL_MESSAGE without
//! long-polling, nothing is cached or committed.

use rocketmq_remoting::body::heartbeat::ExpressionType;
use rocketmq_remoting::MessageQueue;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::lite_pull::fetch_queues;
use super::pull::{pull_queue, PullRequest, PullResult};
use super::push::build_subscription;
use crate::error::{Error, ErrorKind, Result};
use crate::instance::ClientInstance;
use crate::namespace::Namespace;
use crate::options::ClientOptions;

/// The 0.5.x-style pull consumer (Java `DefaultMQPullConsumer`): the application chooses the
/// queue and the offset and keeps its own position; each [`pull`](Self::pull) is one
/// PULL_MESSAGE without long-polling.
#[derive(Debug)]
pub struct PullConsumer {
    group: String,
    client_options: ClientOptions,
    instance: OnceLock<Arc<ClientInstance>>,
    shut_down: AtomicBool,
    namespace: Namespace,
}

impl PullConsumer {
    /// A pull consumer of `group` (`ns%group` with a namespace); [`start`](Self::start) it
    /// before pulling.
    pub fn new(group: impl Into<String>, client_options: ClientOptions) -> Self {
        let namespace = Namespace::of(&client_options);
        PullConsumer {
            group: namespace.wrap(&group.into()),
            client_options,
            instance: OnceLock::new(),
            shut_down: AtomicBool::new(false),
            namespace,
        }
    }

    /// The group.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// Check the group and set up the client instance.
    pub async fn start(&self) -> Result<()> {
        if self.shut_down.load(Ordering::SeqCst) {
            return Err(Error::new(ErrorKind::Shutdown, "the consumer was shut down and cannot restart"));
        }
        if self.instance.get().is_some() {
            return Ok(());
        }
        crate::validation::check_group(&self.group)?;
        let instance = ClientInstance::get_or_create(self.client_options.clone())?;
        if self.instance.set(instance.clone()).is_err() {
            instance.release(&[], &[]).await;
            return Ok(());
        }
        instance.start();
        Ok(())
    }

    fn instance(&self) -> Result<&Arc<ClientInstance>> {
        if self.shut_down.load(Ordering::SeqCst) {
            return Err(Error::new(ErrorKind::Shutdown, "the consumer was shut down"));
        }
        self.instance.get().ok_or_else(|| Error::new(ErrorKind::NotStarted, "the consumer is not started"))
    }

    /// The readable queues of `topic` (RouteNotFound when the topic does not exist).
    pub async fn fetch_message_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        let queues = fetch_queues(self.instance()?, &self.namespace.wrap(topic)).await?;
        Ok(self.namespace.unwrap_queues(queues))
    }

    /// Pull at most `max_nums` messages of `mq` from `offset` that match the tag `expression`;
    /// the answer says found / nothing new / nothing matched / offset illegal and where to
    /// continue.
    pub async fn pull(&self, mq: &MessageQueue, expression: &str, offset: i64, max_nums: i32) -> Result<PullResult> {
        let instance = self.instance()?;
        let mq = &self.namespace.wrap_queue(mq);
        let sub = build_subscription(&mq.topic, expression, ExpressionType::Tag)?;
        let request = PullRequest {
            group: &self.group,
            mq,
            subscription: &sub,
            offset,
            max_nums: max_nums.clamp(1, 1024),
            commit_offset: None,
            suspend: None,
            with_subscription: true,
            timeout: instance.options().request_timeout.max(Duration::from_secs(10)),
        };
        let mut result = pull_queue(instance, request).await?;
        self.namespace.unwrap_messages(&mut result.msgs);
        Ok(result)
    }

    /// Release the client instance. Idempotent.
    pub async fn shutdown(&self) {
        if self.shut_down.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(instance) = self.instance.get() {
            instance.release(&[], &[]).await;
        }
    }
}
