"""Exceptions of rocketmq-py.

One tree rooted at :class:`RocketMQException`, keeping every rocketmq-client-python 2.x name,
with two axes (docs/adr/0002-python-exceptions.md):

* the **operation** class, as in 2.x: ``ProducerStartFailed``, ``ProducerSendSyncFailed``,
  ``ProducerSendOnewayFailed``, ``ProducerSendOrderlyFailed``, ``ProducerSendAsyncFailed``,
  ``ProducerSendTransactionFailed``, ``ProducerRequestFailed``,
  ``PushConsumerStartFailed``, ``AdminFailed`` (:mod:`rocketmq.admin`), ... -- ``except
  ProducerSendSyncFailed`` catches every failure of ``send_sync``;
* the **kind** class, which also subclasses the natural builtin:

  ============================  =====================  ===========================================
  kind class                    also a                 raised when
  ============================  =====================  ===========================================
  ``RocketMQTimeoutError``      ``TimeoutError``       no answer within the deadline
  ``RocketMQConnectionError``   ``ConnectionError``    name server / broker unreachable, or the
                                                       connection dropped mid-request
  ``InvalidMessageError``       ``ValueError``         invalid topic, empty or oversized body,
                                                       bad property; nothing was sent
  ``InvalidConfigError``        ``ValueError``         invalid setting (group, address, ...)
  ``BrokerError``                                      the broker answered with an error code
                                                       (``code``, ``remark``)
  ``AuthError``                 ``PermissionError``    the broker refused for ACL reasons (4.x:
                                                       code 1 + AclException remark; 5.x: 16);
                                                       a ``BrokerError`` too
  ``RouteNotFoundError``                               the topic has no route and is not
                                                       auto-created
  ``ProtocolError``                                    the peer sent invalid protocol
  ``NotStartedError``           ``RuntimeError``       not started yet, or already shut down
  ``ClientForkedError``         ``RuntimeError``       a client started in a parent process used
                                                       in a child forked from it (a
                                                       ``NotStartedError`` too)
  ``UnsupportedFeatureError``   ``NotImplementedError``  kept for 2.x code that catches it; no
                                                       call raises it now
  ============================  =====================  ===========================================

What is raised derives from both: e.g. a ``send_sync`` timeout raises
:class:`ProducerSendSyncTimeout`, a subclass of ``ProducerSendSyncFailed`` *and*
``RocketMQTimeoutError`` (so also ``TimeoutError``). Every combination is defined below, named
``<operation prefix><kind suffix>``. Failures outside an operation (e.g. a bad property in
``Message.set_property``) raise the kind class itself.

Every exception raised by the client carries ``code`` (broker response code or None),
``remark`` (broker text or None), ``broker_addr``, ``topic`` and ``kind`` (a short stable
string: ``"timeout"``, ``"connect"``, ``"connection_closed"``, ``"invalid_message"``,
``"config"``, ``"broker"``, ``"auth"``, ``"route_not_found"``, ``"protocol"``,
``"not_started"``, ``"shutdown"``, ``"forked"``).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "RocketMQException",
    "NullPointerException",
    "MallocFailed",
    "ProducerException",
    "ProducerStartFailed",
    "ProducerSendSyncFailed",
    "ProducerSendOnewayFailed",
    "ProducerSendOrderlyFailed",
    "ProducerSendAsyncFailed",
    "ProducerSendTransactionFailed",
    "ProducerRequestFailed",
    "ConsumerException",
    "PushConsumerStartFailed",
    "PullConsumerStartFailed",
    "PullConsumerFetchMQFailed",
    "PullConsumerFetchMessageFailed",
    "RocketMQTimeoutError",
    "RocketMQConnectionError",
    "InvalidMessageError",
    "InvalidConfigError",
    "BrokerError",
    "AuthError",
    "RouteNotFoundError",
    "ProtocolError",
    "NotStartedError",
    "ClientForkedError",
    "UnsupportedFeatureError",
    "ProducerStartTimeout",
    "ProducerStartConnectionError",
    "ProducerStartInvalidMessage",
    "ProducerStartInvalidConfig",
    "ProducerStartBrokerError",
    "ProducerStartAuthError",
    "ProducerStartRouteNotFound",
    "ProducerStartProtocolError",
    "ProducerStartNotStarted",
    "ProducerStartForked",
    "ProducerSendSyncTimeout",
    "ProducerSendSyncConnectionError",
    "ProducerSendSyncInvalidMessage",
    "ProducerSendSyncInvalidConfig",
    "ProducerSendSyncBrokerError",
    "ProducerSendSyncAuthError",
    "ProducerSendSyncRouteNotFound",
    "ProducerSendSyncProtocolError",
    "ProducerSendSyncNotStarted",
    "ProducerSendSyncForked",
    "ProducerSendOnewayTimeout",
    "ProducerSendOnewayConnectionError",
    "ProducerSendOnewayInvalidMessage",
    "ProducerSendOnewayInvalidConfig",
    "ProducerSendOnewayBrokerError",
    "ProducerSendOnewayAuthError",
    "ProducerSendOnewayRouteNotFound",
    "ProducerSendOnewayProtocolError",
    "ProducerSendOnewayNotStarted",
    "ProducerSendOnewayForked",
    "ProducerSendOrderlyTimeout",
    "ProducerSendOrderlyConnectionError",
    "ProducerSendOrderlyInvalidMessage",
    "ProducerSendOrderlyInvalidConfig",
    "ProducerSendOrderlyBrokerError",
    "ProducerSendOrderlyAuthError",
    "ProducerSendOrderlyRouteNotFound",
    "ProducerSendOrderlyProtocolError",
    "ProducerSendOrderlyNotStarted",
    "ProducerSendOrderlyForked",
    "ProducerSendAsyncTimeout",
    "ProducerSendAsyncConnectionError",
    "ProducerSendAsyncInvalidMessage",
    "ProducerSendAsyncInvalidConfig",
    "ProducerSendAsyncBrokerError",
    "ProducerSendAsyncAuthError",
    "ProducerSendAsyncRouteNotFound",
    "ProducerSendAsyncProtocolError",
    "ProducerSendAsyncNotStarted",
    "ProducerSendAsyncForked",
    "ProducerSendTransactionTimeout",
    "ProducerSendTransactionConnectionError",
    "ProducerSendTransactionInvalidMessage",
    "ProducerSendTransactionInvalidConfig",
    "ProducerSendTransactionBrokerError",
    "ProducerSendTransactionAuthError",
    "ProducerSendTransactionRouteNotFound",
    "ProducerSendTransactionProtocolError",
    "ProducerSendTransactionNotStarted",
    "ProducerSendTransactionForked",
    "ProducerRequestTimeout",
    "ProducerRequestConnectionError",
    "ProducerRequestInvalidMessage",
    "ProducerRequestInvalidConfig",
    "ProducerRequestBrokerError",
    "ProducerRequestAuthError",
    "ProducerRequestRouteNotFound",
    "ProducerRequestProtocolError",
    "ProducerRequestNotStarted",
    "ProducerRequestForked",
    "PushConsumerStartTimeout",
    "PushConsumerStartConnectionError",
    "PushConsumerStartInvalidMessage",
    "PushConsumerStartInvalidConfig",
    "PushConsumerStartBrokerError",
    "PushConsumerStartAuthError",
    "PushConsumerStartRouteNotFound",
    "PushConsumerStartProtocolError",
    "PushConsumerStartNotStarted",
    "PushConsumerStartForked",
    "AdminFailed",
    "AdminTimeout",
    "AdminConnectionError",
    "AdminInvalidMessage",
    "AdminInvalidConfig",
    "AdminBrokerError",
    "AdminAuthError",
    "AdminRouteNotFound",
    "AdminProtocolError",
    "AdminNotStarted",
    "AdminForked",
]


class RocketMQException(Exception):
    """RocketMQ exception base class.

    Attributes (None when not applicable): ``code`` (broker response code), ``remark`` (broker
    error text), ``broker_addr`` (broker or name server involved), ``topic``, ``kind`` (short
    stable classification, see the module docstring).
    """

    code: int | None = None
    remark: str | None = None
    broker_addr: str | None = None
    topic: str | None = None
    kind: str | None = None

    def __init__(
        self,
        *args: Any,
        code: int | None = None,
        remark: str | None = None,
        broker_addr: str | None = None,
        topic: str | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(*args)
        self.code = code
        self.remark = remark
        self.broker_addr = broker_addr
        self.topic = topic
        self.kind = kind


# ---- 2.x names --------------------------------------------------------------------------------


class NullPointerException(RocketMQException):
    """2.x name, kept for compatibility; never raised by rocketmq-py."""


class MallocFailed(RocketMQException):
    """2.x name, kept for compatibility; never raised by rocketmq-py."""


class ProducerException(RocketMQException):
    """Base of producer failures."""


class ProducerStartFailed(ProducerException):
    """``start()`` failed (invalid settings, or the producer was shut down)."""


class ProducerSendSyncFailed(ProducerException):
    """``send_sync()`` failed (also ``send_batch()`` and the asyncio ``send()``)."""


class ProducerSendOnewayFailed(ProducerException):
    """``send_oneway()`` failed."""


class ProducerSendOrderlyFailed(ProducerException):
    """``send_orderly()`` or ``send_orderly_with_sharding_key()`` failed."""


class ProducerSendAsyncFailed(ProducerException):
    """A ``send_async()`` failed; passed to its ``exception_callback``.

    The 2.x constructor ``ProducerSendAsyncFailed(msg, error, file, line, type)`` and its
    attributes keep working (rocketmq-py sets ``error`` to the broker code, the others to None).
    """

    error: int | None = None
    file: str | None = None
    line: int | None = None
    type: str | None = None

    def __init__(
        self,
        msg: Any = None,
        error: Any = None,
        file: Any = None,
        line: Any = None,
        type: Any = None,
        **fields: Any,
    ) -> None:
        if msg is None:
            super().__init__(**fields)
        else:
            super().__init__(msg, **fields)
        self.error = error if error is not None else self.code
        self.file = file
        self.line = line
        self.type = type


class ProducerSendTransactionFailed(ProducerException):
    """``send_message_in_transaction()`` failed: the half message was not stored (nothing was
    committed; the local transaction did not run)."""


class ProducerRequestFailed(ProducerException):
    """``request()`` / ``request_async()`` failed: the request was not sent, or no reply came
    within the timeout (``ProducerRequestTimeout``, also a ``TimeoutError``)."""


class ConsumerException(RocketMQException):
    """Base of consumer failures."""


class PushConsumerStartFailed(ConsumerException):
    """``PushConsumer.start()`` failed: invalid settings, no subscription, no name server
    reachable, a subscription the broker rejects, or the consumer was shut down."""


class PullConsumerStartFailed(ConsumerException):
    """2.x name, kept for compatibility."""


class PullConsumerFetchMQFailed(ConsumerException):
    """2.x name, kept for compatibility."""


class PullConsumerFetchMessageFailed(ConsumerException):
    """2.x name, kept for compatibility."""


class AdminFailed(RocketMQException):
    """A :mod:`rocketmq.admin` call failed (cluster, topic, group, offset or message lookup
    requests)."""


# ---- kinds ------------------------------------------------------------------------------------


class RocketMQTimeoutError(RocketMQException, TimeoutError):
    """No answer within the deadline (the send timeout, or the name-server request timeout)."""


class RocketMQConnectionError(RocketMQException, ConnectionError):
    """A name server or broker could not be reached, or the connection dropped mid-request."""


class InvalidMessageError(RocketMQException, ValueError):
    """The message is invalid (topic, body, size, property); nothing was sent."""


class InvalidConfigError(RocketMQException, ValueError):
    """A setting is invalid (group, name server address, timeout, sizes), or was changed after
    ``start()``."""


class BrokerError(RocketMQException):
    """The broker or name server answered with an error; see ``code`` and ``remark``."""


class AuthError(BrokerError, PermissionError):
    """The broker refused the request for ACL reasons (``kind == "auth"``): a Java 4.x broker
    answers SYSTEM_ERROR (``code`` 1) with an ``AclException`` remark such as "Check signature
    failed" or "No accessKey is configured"; 5.x brokers answer NO_PERMISSION (16). The message
    names the access key used, never the secret."""


class RouteNotFoundError(RocketMQException):
    """The topic has no route: it does not exist and the brokers do not auto-create it."""


class ProtocolError(RocketMQException):
    """The peer sent something that is not valid RocketMQ protocol."""


class NotStartedError(RocketMQException, RuntimeError):
    """The client is not running: ``start()`` was not called, or it was shut down
    (``kind`` is ``"not_started"`` or ``"shutdown"``)."""


class ClientForkedError(NotStartedError):
    """A client started in one process was used in a process forked from it (``kind ==
    "forked"``). Its connections and threads belong to the parent: create and start a new
    client in the child (e.g. in gunicorn's ``post_fork`` or a Celery ``worker_process_init``
    hook). ``shutdown()`` of such a client is a no-op in the child."""


class UnsupportedFeatureError(RocketMQException, NotImplementedError):
    """A rocketmq-client-python 2.x feature this release does not provide. Kept for code that
    catches it: every 2.x feature is implemented now (the HTTP name-server lookup was the last),
    so no call raises it."""


# ---- operation x kind (what the client raises) ------------------------------------------------

# ProducerStartFailed: start()


class ProducerStartTimeout(ProducerStartFailed, RocketMQTimeoutError):
    pass


class ProducerStartConnectionError(ProducerStartFailed, RocketMQConnectionError):
    pass


class ProducerStartInvalidMessage(ProducerStartFailed, InvalidMessageError):
    pass


class ProducerStartInvalidConfig(ProducerStartFailed, InvalidConfigError):
    pass


class ProducerStartBrokerError(ProducerStartFailed, BrokerError):
    pass


class ProducerStartAuthError(ProducerStartFailed, AuthError):
    pass


class ProducerStartRouteNotFound(ProducerStartFailed, RouteNotFoundError):
    pass


class ProducerStartProtocolError(ProducerStartFailed, ProtocolError):
    pass


class ProducerStartNotStarted(ProducerStartFailed, NotStartedError):
    pass


class ProducerStartForked(ProducerStartFailed, ClientForkedError):
    pass


# ProducerSendSyncFailed: send_sync() / send_batch() / asyncio send()


class ProducerSendSyncTimeout(ProducerSendSyncFailed, RocketMQTimeoutError):
    pass


class ProducerSendSyncConnectionError(ProducerSendSyncFailed, RocketMQConnectionError):
    pass


class ProducerSendSyncInvalidMessage(ProducerSendSyncFailed, InvalidMessageError):
    pass


class ProducerSendSyncInvalidConfig(ProducerSendSyncFailed, InvalidConfigError):
    pass


class ProducerSendSyncBrokerError(ProducerSendSyncFailed, BrokerError):
    pass


class ProducerSendSyncAuthError(ProducerSendSyncFailed, AuthError):
    pass


class ProducerSendSyncRouteNotFound(ProducerSendSyncFailed, RouteNotFoundError):
    pass


class ProducerSendSyncProtocolError(ProducerSendSyncFailed, ProtocolError):
    pass


class ProducerSendSyncNotStarted(ProducerSendSyncFailed, NotStartedError):
    pass


class ProducerSendSyncForked(ProducerSendSyncFailed, ClientForkedError):
    pass


# ProducerSendOnewayFailed: send_oneway()


class ProducerSendOnewayTimeout(ProducerSendOnewayFailed, RocketMQTimeoutError):
    pass


class ProducerSendOnewayConnectionError(ProducerSendOnewayFailed, RocketMQConnectionError):
    pass


class ProducerSendOnewayInvalidMessage(ProducerSendOnewayFailed, InvalidMessageError):
    pass


class ProducerSendOnewayInvalidConfig(ProducerSendOnewayFailed, InvalidConfigError):
    pass


class ProducerSendOnewayBrokerError(ProducerSendOnewayFailed, BrokerError):
    pass


class ProducerSendOnewayAuthError(ProducerSendOnewayFailed, AuthError):
    pass


class ProducerSendOnewayRouteNotFound(ProducerSendOnewayFailed, RouteNotFoundError):
    pass


class ProducerSendOnewayProtocolError(ProducerSendOnewayFailed, ProtocolError):
    pass


class ProducerSendOnewayNotStarted(ProducerSendOnewayFailed, NotStartedError):
    pass


class ProducerSendOnewayForked(ProducerSendOnewayFailed, ClientForkedError):
    pass


# ProducerSendOrderlyFailed: send_orderly*()


class ProducerSendOrderlyTimeout(ProducerSendOrderlyFailed, RocketMQTimeoutError):
    pass


class ProducerSendOrderlyConnectionError(ProducerSendOrderlyFailed, RocketMQConnectionError):
    pass


class ProducerSendOrderlyInvalidMessage(ProducerSendOrderlyFailed, InvalidMessageError):
    pass


class ProducerSendOrderlyInvalidConfig(ProducerSendOrderlyFailed, InvalidConfigError):
    pass


class ProducerSendOrderlyBrokerError(ProducerSendOrderlyFailed, BrokerError):
    pass


class ProducerSendOrderlyAuthError(ProducerSendOrderlyFailed, AuthError):
    pass


class ProducerSendOrderlyRouteNotFound(ProducerSendOrderlyFailed, RouteNotFoundError):
    pass


class ProducerSendOrderlyProtocolError(ProducerSendOrderlyFailed, ProtocolError):
    pass


class ProducerSendOrderlyNotStarted(ProducerSendOrderlyFailed, NotStartedError):
    pass


class ProducerSendOrderlyForked(ProducerSendOrderlyFailed, ClientForkedError):
    pass


# ProducerSendAsyncFailed: send_async() (passed to exception_callback)


class ProducerSendAsyncTimeout(ProducerSendAsyncFailed, RocketMQTimeoutError):
    pass


class ProducerSendAsyncConnectionError(ProducerSendAsyncFailed, RocketMQConnectionError):
    pass


class ProducerSendAsyncInvalidMessage(ProducerSendAsyncFailed, InvalidMessageError):
    pass


class ProducerSendAsyncInvalidConfig(ProducerSendAsyncFailed, InvalidConfigError):
    pass


class ProducerSendAsyncBrokerError(ProducerSendAsyncFailed, BrokerError):
    pass


class ProducerSendAsyncAuthError(ProducerSendAsyncFailed, AuthError):
    pass


class ProducerSendAsyncRouteNotFound(ProducerSendAsyncFailed, RouteNotFoundError):
    pass


class ProducerSendAsyncProtocolError(ProducerSendAsyncFailed, ProtocolError):
    pass


class ProducerSendAsyncNotStarted(ProducerSendAsyncFailed, NotStartedError):
    pass


class ProducerSendAsyncForked(ProducerSendAsyncFailed, ClientForkedError):
    pass


# ProducerSendTransactionFailed: send_message_in_transaction() (the half message was not sent)


class ProducerSendTransactionTimeout(ProducerSendTransactionFailed, RocketMQTimeoutError):
    pass


class ProducerSendTransactionConnectionError(
    ProducerSendTransactionFailed, RocketMQConnectionError
):
    pass


class ProducerSendTransactionInvalidMessage(ProducerSendTransactionFailed, InvalidMessageError):
    pass


class ProducerSendTransactionInvalidConfig(ProducerSendTransactionFailed, InvalidConfigError):
    pass


class ProducerSendTransactionBrokerError(ProducerSendTransactionFailed, BrokerError):
    pass


class ProducerSendTransactionAuthError(ProducerSendTransactionFailed, AuthError):
    pass


class ProducerSendTransactionRouteNotFound(ProducerSendTransactionFailed, RouteNotFoundError):
    pass


class ProducerSendTransactionProtocolError(ProducerSendTransactionFailed, ProtocolError):
    pass


class ProducerSendTransactionNotStarted(ProducerSendTransactionFailed, NotStartedError):
    pass


class ProducerSendTransactionForked(ProducerSendTransactionFailed, ClientForkedError):
    pass


# ProducerRequestFailed: request() / request_async() / asyncio request() (timeout: no reply)


class ProducerRequestTimeout(ProducerRequestFailed, RocketMQTimeoutError):
    pass


class ProducerRequestConnectionError(ProducerRequestFailed, RocketMQConnectionError):
    pass


class ProducerRequestInvalidMessage(ProducerRequestFailed, InvalidMessageError):
    pass


class ProducerRequestInvalidConfig(ProducerRequestFailed, InvalidConfigError):
    pass


class ProducerRequestBrokerError(ProducerRequestFailed, BrokerError):
    pass


class ProducerRequestAuthError(ProducerRequestFailed, AuthError):
    pass


class ProducerRequestRouteNotFound(ProducerRequestFailed, RouteNotFoundError):
    pass


class ProducerRequestProtocolError(ProducerRequestFailed, ProtocolError):
    pass


class ProducerRequestNotStarted(ProducerRequestFailed, NotStartedError):
    pass


class ProducerRequestForked(ProducerRequestFailed, ClientForkedError):
    pass


# PushConsumerStartFailed: PushConsumer.start()


class PushConsumerStartTimeout(PushConsumerStartFailed, RocketMQTimeoutError):
    pass


class PushConsumerStartConnectionError(PushConsumerStartFailed, RocketMQConnectionError):
    pass


class PushConsumerStartInvalidMessage(PushConsumerStartFailed, InvalidMessageError):
    pass


class PushConsumerStartInvalidConfig(PushConsumerStartFailed, InvalidConfigError):
    pass


class PushConsumerStartBrokerError(PushConsumerStartFailed, BrokerError):
    pass


class PushConsumerStartAuthError(PushConsumerStartFailed, AuthError):
    pass


class PushConsumerStartRouteNotFound(PushConsumerStartFailed, RouteNotFoundError):
    pass


class PushConsumerStartProtocolError(PushConsumerStartFailed, ProtocolError):
    pass


class PushConsumerStartNotStarted(PushConsumerStartFailed, NotStartedError):
    pass


class PushConsumerStartForked(PushConsumerStartFailed, ClientForkedError):
    pass


# AdminFailed: rocketmq.admin.Admin / AsyncAdmin calls


class AdminTimeout(AdminFailed, RocketMQTimeoutError):
    pass


class AdminConnectionError(AdminFailed, RocketMQConnectionError):
    pass


class AdminInvalidMessage(AdminFailed, InvalidMessageError):
    pass


class AdminInvalidConfig(AdminFailed, InvalidConfigError):
    pass


class AdminBrokerError(AdminFailed, BrokerError):
    pass


class AdminAuthError(AdminFailed, AuthError):
    pass


class AdminRouteNotFound(AdminFailed, RouteNotFoundError):
    pass


class AdminProtocolError(AdminFailed, ProtocolError):
    pass


class AdminNotStarted(AdminFailed, NotStartedError):
    pass


class AdminForked(AdminFailed, ClientForkedError):
    pass
