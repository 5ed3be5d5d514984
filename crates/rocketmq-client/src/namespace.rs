//! Namespaces: one broker cluster shared by several tenants, each seeing only its own topics
//! and groups.
//!
//! Two forms, as in the Java 5.x client:
//!
//! * **v1** (`ClientConfig.namespace`, deprecated in Java 5.x but what every 4.x cluster and
//!   cloud "instance" uses): the client rewrites names. `ns%topic`, `ns%group`,
//!   `%RETRY%ns%group`, `%DLQ%ns%group`; system topics and groups stay as they are
//!   (`remoting/protocol/NamespaceUtil.java`). Names are wrapped on the way out (topics of
//!   sends and subscriptions, producer and consumer groups, message queues) and unwrapped in
//!   what the user gets back (received messages, send results, queues).
//! * **v2** (`ClientConfig.namespaceV2`, Java 5.x): names are not rewritten; every request
//!   carries the ext fields `nsd=true` and `ns=<namespace>` (`client/rpchook/NamespaceRpcHook
//!   .java`) for a 5.x proxy or broker that maps them. The Apache broker itself ignores them.

use rocketmq_remoting::message::keys;
use rocketmq_remoting::message::stored::MessageExt;
use rocketmq_remoting::{MessageQueue, RemotingCommand, RpcHook};
use std::borrow::Cow;

use crate::message::Message;
use crate::send_result::SendResult;

/// `NamespaceUtil.NAMESPACE_SEPARATOR`.
pub const NAMESPACE_SEPARATOR: char = '%';
/// `MixAll.RETRY_GROUP_TOPIC_PREFIX`.
pub const RETRY_PREFIX: &str = "%RETRY%";
/// `MixAll.DLQ_GROUP_TOPIC_PREFIX`.
pub const DLQ_PREFIX: &str = "%DLQ%";
/// `MixAll.RPC_REQUEST_HEADER_NAMESPACED_FIELD`.
pub const NAMESPACED_FIELD: &str = "nsd";
/// `MixAll.RPC_REQUEST_HEADER_NAMESPACE_FIELD`.
pub const NAMESPACE_FIELD: &str = "ns";

/// `TopicValidator.SYSTEM_TOPIC_SET`.
const SYSTEM_TOPICS: [&str; 10] = [
    "TBW102",
    "SCHEDULE_TOPIC_XXXX",
    "BenchmarkTest",
    "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRACE_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
    "CHECKPOINT_TOPIC",
];
/// `TopicValidator.SYSTEM_TOPIC_PREFIX`.
const SYSTEM_TOPIC_PREFIX: &str = "rmq_sys_";
/// `MixAll.CID_RMQ_SYS_PREFIX`.
const SYSTEM_GROUP_PREFIX: &str = "CID_RMQ_SYS_";

/// `NamespaceUtil.isSystemResource`: a system topic or consumer group, never wrapped.
pub fn is_system_resource(resource: &str) -> bool {
    SYSTEM_TOPICS.contains(&resource)
        || resource.starts_with(SYSTEM_TOPIC_PREFIX)
        || resource.starts_with(SYSTEM_GROUP_PREFIX)
}

/// `NamespaceUtil.withOutRetryAndDLQ`: the name without a `%RETRY%` or `%DLQ%` prefix.
pub fn without_retry_and_dlq(resource: &str) -> &str {
    resource.strip_prefix(RETRY_PREFIX).or_else(|| resource.strip_prefix(DLQ_PREFIX)).unwrap_or(resource)
}

fn retry_or_dlq_prefix(resource: &str) -> &'static str {
    if resource.starts_with(RETRY_PREFIX) {
        RETRY_PREFIX
    } else if resource.starts_with(DLQ_PREFIX) {
        DLQ_PREFIX
    } else {
        ""
    }
}

/// `NamespaceUtil.isAlreadyWithNamespace`.
pub fn is_already_with_namespace(resource: &str, namespace: &str) -> bool {
    if namespace.is_empty() || resource.is_empty() || is_system_resource(resource) {
        return false;
    }
    without_retry_and_dlq(resource).strip_prefix(namespace).is_some_and(|rest| rest.starts_with(NAMESPACE_SEPARATOR))
}

/// `NamespaceUtil.wrapNamespace`: `ns%r`, `%RETRY%ns%r`, `%DLQ%ns%r`; unchanged when the
/// namespace or name is empty, the name is a system one, or it is wrapped already.
pub fn wrap_namespace(namespace: &str, resource: &str) -> String {
    if namespace.is_empty()
        || resource.is_empty()
        || is_system_resource(resource)
        || is_already_with_namespace(resource, namespace)
    {
        return resource.to_owned();
    }
    let prefix = retry_or_dlq_prefix(resource);
    format!("{prefix}{namespace}{NAMESPACE_SEPARATOR}{}", without_retry_and_dlq(resource))
}

/// `NamespaceUtil.withoutNamespace(resource)`: whatever namespace the name has, removed
/// (the `%RETRY%` / `%DLQ%` prefix stays).
pub fn without_any_namespace(resource: &str) -> String {
    if resource.is_empty() || is_system_resource(resource) {
        return resource.to_owned();
    }
    let bare = without_retry_and_dlq(resource);
    match bare.find(NAMESPACE_SEPARATOR) {
        Some(index) if index > 0 => format!("{}{}", retry_or_dlq_prefix(resource), &bare[index + 1..]),
        _ => resource.to_owned(),
    }
}

/// `NamespaceUtil.withoutNamespace(resource, namespace)`: `namespace` removed, if the name has
/// that one; any other name unchanged.
pub fn without_namespace(resource: &str, namespace: &str) -> String {
    if resource.is_empty() || namespace.is_empty() {
        return resource.to_owned();
    }
    let has_it = without_retry_and_dlq(resource)
        .strip_prefix(namespace)
        .is_some_and(|rest| rest.starts_with(NAMESPACE_SEPARATOR));
    if has_it {
        without_any_namespace(resource)
    } else {
        resource.to_owned()
    }
}

/// `NamespaceUtil.getNamespaceFromResource`: the namespace of a name, `""` when it has none.
pub fn namespace_of(resource: &str) -> &str {
    if resource.is_empty() || is_system_resource(resource) {
        return "";
    }
    let bare = without_retry_and_dlq(resource);
    match bare.find(NAMESPACE_SEPARATOR) {
        Some(index) if index > 0 => &bare[..index],
        _ => "",
    }
}

/// `NameServerAddressUtils.parseInstanceIdFromEndpoint` when the address matches
/// `INST_ENDPOINT_PATTERN` (`^(\w+://|)MQ_INST_\w+_\w+\..*`): the instance id of a cloud
/// endpoint such as `MQ_INST_123_abc.cn-hangzhou.mq.aliyuncs.com:80`, which Java uses as the
/// namespace when none is set.
pub fn instance_id_from_endpoint(endpoint: &str) -> Option<&str> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let rest = match endpoint.split_once("://") {
        Some((scheme, rest)) if !scheme.is_empty() && scheme.chars().all(word) => rest,
        _ => endpoint,
    };
    let (id, _) = rest.split_once('.')?;
    let inner = id.strip_prefix("MQ_INST_")?;
    // `\w+_\w+`: word characters with an underscore that is neither first nor last.
    let ok = inner.chars().all(word) && inner.char_indices().any(|(i, c)| c == '_' && i > 0 && i + 1 < inner.len());
    ok.then_some(id)
}

/// A client's v1 namespace (`ClientConfig.withNamespace` / `withoutNamespace` /
/// `queueWithNamespace`); the empty namespace changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespace(Option<String>);

impl Namespace {
    /// `None` or `""` is no namespace.
    pub fn new(namespace: Option<&str>) -> Self {
        Namespace(namespace.filter(|ns| !ns.is_empty()).map(str::to_owned))
    }

    /// The namespace of client options (Java `ClientConfig.getNamespace`): the one set, else
    /// the instance id of a cloud endpoint name server address; `Some("")` turns both off.
    pub fn of(options: &crate::options::ClientOptions) -> Self {
        match &options.namespace {
            Some(ns) => Namespace::new(Some(ns)),
            None => Namespace::new(options.namesrv_addrs.first().and_then(|a| instance_id_from_endpoint(a))),
        }
    }

    /// The namespace, if any.
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// A topic or group as the broker knows it.
    pub fn wrap(&self, resource: &str) -> String {
        match &self.0 {
            Some(ns) => wrap_namespace(ns, resource),
            None => resource.to_owned(),
        }
    }

    /// Whether a namespace is set (else wrapping and unwrapping change nothing).
    pub fn is_set(&self) -> bool {
        self.0.is_some()
    }

    /// A topic or group as the user knows it.
    pub fn unwrap(&self, resource: &str) -> String {
        match &self.0 {
            Some(ns) => without_namespace(resource, ns),
            None => resource.to_owned(),
        }
    }

    /// `queueWithNamespace`.
    pub fn wrap_queue(&self, mq: &MessageQueue) -> MessageQueue {
        MessageQueue { topic: self.wrap(&mq.topic), ..mq.clone() }
    }

    /// The queue with the user's topic name.
    pub fn unwrap_queue(&self, mq: &MessageQueue) -> MessageQueue {
        MessageQueue { topic: self.unwrap(&mq.topic), ..mq.clone() }
    }

    /// [`Namespace::wrap_queue`] of each.
    pub fn wrap_queues(&self, queues: &[MessageQueue]) -> Vec<MessageQueue> {
        queues.iter().map(|mq| self.wrap_queue(mq)).collect()
    }

    /// [`Namespace::unwrap_queue`] of each.
    pub fn unwrap_queues(&self, queues: Vec<MessageQueue>) -> Vec<MessageQueue> {
        if self.0.is_none() {
            return queues;
        }
        queues.iter().map(|mq| self.unwrap_queue(mq)).collect()
    }

    /// A message to send: its topic wrapped and `INSTANCE_ID` set to the namespace, as
    /// `DefaultMQProducerImpl.sendKernelImpl` does. Borrowed unchanged without a namespace.
    pub fn wrap_message<'a>(&self, msg: &'a Message) -> Cow<'a, Message> {
        let Some(ns) = &self.0 else { return Cow::Borrowed(msg) };
        let mut msg = msg.clone();
        msg.set_topic(wrap_namespace(ns, msg.topic()));
        let _ = msg.put_property(keys::INSTANCE_ID, ns);
        Cow::Owned(msg)
    }

    /// Received messages with the user's topic names (`resetRetryAndNamespace`).
    pub fn unwrap_messages(&self, msgs: &mut [MessageExt]) {
        if let Some(ns) = &self.0 {
            for msg in msgs {
                msg.topic = without_namespace(&msg.topic, ns);
            }
        }
    }

    /// A send result with the user's topic name in its queue.
    pub fn unwrap_result(&self, mut result: SendResult) -> SendResult {
        if self.0.is_some() {
            result.queue = self.unwrap_queue(&result.queue);
        }
        result
    }
}

/// The v2 hook (Java `NamespaceRpcHook`): `nsd=true` and `ns=<namespace>` on every request.
/// Registered before the ACL hook, so the signature covers them, as in Java.
#[derive(Debug)]
pub(crate) struct NamespaceV2Hook {
    namespace: String,
}

impl NamespaceV2Hook {
    pub(crate) fn new(namespace: impl Into<String>) -> Self {
        NamespaceV2Hook { namespace: namespace.into() }
    }
}

impl RpcHook for NamespaceV2Hook {
    fn before_request(&self, _addr: &str, request: &mut RemotingCommand) -> rocketmq_remoting::Result<()> {
        request.ext_fields.insert(NAMESPACED_FIELD, "true");
        request.ext_fields.insert(NAMESPACE_FIELD, self.namespace.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The cases of Java's `NamespaceUtilTest` (remoting/src/test/.../NamespaceUtilTest.java).
    const INSTANCE_ID: &str = "MQ_INST_XXX";
    const INSTANCE_ID_WRONG: &str = "MQ_INST_XXX1";
    const TOPIC: &str = "TOPIC_XXX";
    const GROUP_ID: &str = "GID_XXX";
    const SYSTEM_TOPIC: &str = "rmq_sys_topic";
    const GROUP_ID_WITH_NAMESPACE: &str = "MQ_INST_XXX%GID_XXX";
    const TOPIC_WITH_NAMESPACE: &str = "MQ_INST_XXX%TOPIC_XXX";
    const RETRY_TOPIC: &str = "%RETRY%GID_XXX";
    const RETRY_TOPIC_WITH_NAMESPACE: &str = "%RETRY%MQ_INST_XXX%GID_XXX";
    const DLQ_TOPIC: &str = "%DLQ%GID_XXX";
    const DLQ_TOPIC_WITH_NAMESPACE: &str = "%DLQ%MQ_INST_XXX%GID_XXX";

    #[test]
    fn java_without_namespace() {
        assert_eq!(without_namespace(TOPIC_WITH_NAMESPACE, INSTANCE_ID), TOPIC);
        assert_eq!(without_any_namespace(TOPIC_WITH_NAMESPACE), TOPIC);
        assert_eq!(without_namespace(GROUP_ID_WITH_NAMESPACE, INSTANCE_ID), GROUP_ID);
        assert_eq!(without_any_namespace(GROUP_ID_WITH_NAMESPACE), GROUP_ID);
        assert_eq!(without_namespace(RETRY_TOPIC_WITH_NAMESPACE, INSTANCE_ID), RETRY_TOPIC);
        assert_eq!(without_any_namespace(RETRY_TOPIC_WITH_NAMESPACE), RETRY_TOPIC);
        assert_eq!(without_namespace(RETRY_TOPIC_WITH_NAMESPACE, INSTANCE_ID_WRONG), RETRY_TOPIC_WITH_NAMESPACE);
    }

    #[test]
    fn java_wrap_namespace() {
        let topic = wrap_namespace(INSTANCE_ID, TOPIC);
        assert_eq!(topic, TOPIC_WITH_NAMESPACE);
        assert_eq!(wrap_namespace(INSTANCE_ID, &topic), TOPIC_WITH_NAMESPACE, "wrapping twice changes nothing");
        let retry = wrap_namespace(INSTANCE_ID, RETRY_TOPIC);
        assert_eq!(retry, RETRY_TOPIC_WITH_NAMESPACE);
        assert_eq!(wrap_namespace(INSTANCE_ID, &retry), RETRY_TOPIC_WITH_NAMESPACE);
        let dlq = wrap_namespace(INSTANCE_ID, DLQ_TOPIC);
        assert_eq!(dlq, DLQ_TOPIC_WITH_NAMESPACE);
        assert_eq!(wrap_namespace(INSTANCE_ID, &dlq), DLQ_TOPIC_WITH_NAMESPACE);
        assert_eq!(wrap_namespace(INSTANCE_ID, SYSTEM_TOPIC), SYSTEM_TOPIC);
    }

    #[test]
    fn java_namespace_from_resource() {
        assert_eq!(namespace_of(TOPIC), "");
        assert_eq!(namespace_of(TOPIC_WITH_NAMESPACE), INSTANCE_ID);
        assert_eq!(namespace_of(RETRY_TOPIC_WITH_NAMESPACE), INSTANCE_ID);
    }

    #[test]
    fn system_names_and_empty_values_are_left_alone() {
        for system in ["TBW102", "RMQ_SYS_TRACE_TOPIC", "SCHEDULE_TOPIC_XXXX", "rmq_sys_x", "CID_RMQ_SYS_TRANS"] {
            assert_eq!(wrap_namespace("ns", system), system);
            assert_eq!(without_any_namespace(system), system);
        }
        assert_eq!(wrap_namespace("", TOPIC), TOPIC);
        assert_eq!(wrap_namespace("ns", ""), "");
        assert_eq!(without_namespace(TOPIC_WITH_NAMESPACE, ""), TOPIC_WITH_NAMESPACE);
        // A leading separator is not a namespace (Java: `index > 0`).
        assert_eq!(without_any_namespace("%topic"), "%topic");
        // `ns` is a prefix of `nsx`, yet `nsx%t` is not in namespace `ns`.
        assert_eq!(wrap_namespace("ns", "nsx%t"), "ns%nsx%t");
        assert_eq!(without_namespace("nsx%t", "ns"), "nsx%t");
    }

    #[test]
    fn client_namespace_wraps_messages_queues_and_results() {
        let ns = Namespace::new(Some("A"));
        let msg = Message::new("T", "body");
        let wrapped = ns.wrap_message(&msg);
        assert_eq!(wrapped.topic(), "A%T");
        assert_eq!(wrapped.property(keys::INSTANCE_ID), Some("A"));
        assert_eq!(msg.topic(), "T", "the caller's message is untouched");
        let mq = MessageQueue::new("T", "broker-a", 3);
        assert_eq!(ns.wrap_queue(&mq).topic, "A%T");
        assert_eq!(ns.unwrap_queue(&ns.wrap_queue(&mq)), mq);
        let none = Namespace::new(Some(""));
        assert!(matches!(none.wrap_message(&msg), Cow::Borrowed(_)));
        assert_eq!(none.wrap("T"), "T");
        assert_eq!(Namespace::new(None), none);
    }

    #[test]
    fn cloud_endpoints_give_their_instance_id_as_java() {
        let id = instance_id_from_endpoint;
        assert_eq!(id("MQ_INST_123_abc.cn-hangzhou.mq.aliyuncs.com:80"), Some("MQ_INST_123_abc"));
        assert_eq!(id("http://MQ_INST_1_2.mq.example:80"), Some("MQ_INST_1_2"));
        for no in [
            "127.0.0.1:9876",
            "MQ_INST_abc.x:80",
            "MQ_INST__x.y:1",
            "MQ_INST_a_.y:1",
            "MQ_INST_a_b:80",
            "x.MQ_INST_a_b.y:1",
        ] {
            assert_eq!(id(no), None, "{no}");
        }
        let mut options = crate::options::ClientOptions {
            namesrv_addrs: vec!["MQ_INST_1_2.mq.example:80".to_owned()],
            ..Default::default()
        };
        assert_eq!(Namespace::of(&options).as_str(), Some("MQ_INST_1_2"));
        options.namespace = Some(String::new());
        assert_eq!(Namespace::of(&options).as_str(), None, "an explicit empty namespace wins");
        options.namespace = Some("mine".to_owned());
        assert_eq!(Namespace::of(&options).as_str(), Some("mine"));
    }

    #[test]
    fn v2_hook_adds_the_two_fields() -> rocketmq_remoting::Result<()> {
        let mut request = RemotingCommand::request(
            rocketmq_remoting::request_code::HEART_BEAT,
            &rocketmq_remoting::header::EmptyHeader,
        );
        NamespaceV2Hook::new("tenant").before_request("127.0.0.1:10911", &mut request)?;
        assert_eq!(request.ext_fields.get(NAMESPACED_FIELD), Some("true"));
        assert_eq!(request.ext_fields.get(NAMESPACE_FIELD), Some("tenant"));
        Ok(())
    }
}
