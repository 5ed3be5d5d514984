"""Namespaces and the name-server lookup from Python (#9 §4, §5), against the real broker.
The full matrix (retry and DLQ topics, pull consumers, a lookup service that changes its
answer between two name servers) is tested in the Rust core (crates/rocketmq-client/tests/
namespace.rs, namesrv_lookup.rs); here: the setters and keyword options reach the core and
work end to end."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rocketmq import aio
from rocketmq import exceptions as exc
from rocketmq.client import Message, Producer, PushConsumer

from helpers import Inbox, unique, wait_until
from testkit import TestCluster


def send(p: Producer, topic: str, body: bytes) -> None:
    m = Message(topic)
    m.set_body(body)
    p.send_sync(m)


def test_two_namespaces_share_topic_and_group_names_without_crosstalk(
    cluster: TestCluster, namesrv_addr: str
) -> None:
    ns_a, ns_b, topic, group = unique("nsA"), unique("nsB"), unique("t"), unique("cg")
    for ns in (ns_a, ns_b):
        cluster.create_topic(f"{ns}%{topic}", queues=2)
    producers, consumers, inboxes = [], [], []
    try:
        for ns in (ns_a, ns_b):
            p = Producer(unique("pg"))
            p.set_name_server_address(namesrv_addr)
            p.set_namespace(ns)
            p.start()
            producers.append(p)
            inbox = Inbox()
            c = PushConsumer(group)
            c.set_name_server_address(namesrv_addr)
            c.set_namespace(ns)
            c.subscribe(topic, inbox)
            c.start()
            consumers.append(c)
            inboxes.append(inbox)
        assert "%" not in producers[0].group, "the group is shown as the user named it"
        for i in range(3):
            send(producers[0], topic, f"a-{i}".encode())
        send(producers[1], topic, b"b-0")
        inboxes[0].wait_for(3)
        inboxes[1].wait_for(1)
        assert sorted(inboxes[0].bodies()) == [b"a-0", b"a-1", b"a-2"]
        assert inboxes[1].bodies() == [b"b-0"]
        assert {m.topic for m in inboxes[0].snapshot() + inboxes[1].snapshot()} == {topic}
    finally:
        for c in consumers:
            c.shutdown()
        for p in producers:
            p.shutdown()


def test_aio_clients_take_namespace_keywords(cluster: TestCluster, namesrv_addr: str) -> None:
    ns, topic = unique("ns"), unique("t")
    cluster.create_topic(f"{ns}%{topic}", queues=1)

    async def run() -> None:
        async with aio.Producer(unique("pg"), namesrv_addr=namesrv_addr, namespace=ns) as p:
            m = Message(topic)
            m.set_body(b"aio")
            await p.send(m)
        consumer = aio.LitePullConsumer(unique("lite"), namesrv_addr=namesrv_addr, namespace=ns)
        async with consumer:
            queues = await consumer.fetch_message_queues(topic)
            assert [q.topic for q in queues] == [topic]
            await consumer.assign(queues)
            await consumer.seek_to_begin(queues[0])
            got = []
            for _ in range(40):
                got += await consumer.poll(timeout_ms=500)
                if got:
                    break
            assert [(m.topic, m.body) for m in got] == [(topic, b"aio")]

    asyncio.run(asyncio.wait_for(run(), 60))


class _AddressService:
    """The HTTP address service (Java ``TopAddressing``): GET /rocketmq/nsaddr answers the
    current list, or 500 when ``answer`` is None; counts the lookups."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.lookups = 0
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                assert self.path == "/rocketmq/nsaddr"
                body = (service.answer or "").encode()
                self.send_response(200 if service.answer is not None else 500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                service.lookups += 1

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_lookups(self, n: int) -> None:
        target = self.lookups + n
        wait_until(lambda: self.lookups >= target, what=f"{n} more lookups")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def address_service(namesrv_addr: str) -> Iterator[_AddressService]:
    service = _AddressService(namesrv_addr)
    yield service
    service.close()


def test_name_server_domain_follows_the_service_and_keeps_the_last_good_list(
    cluster: TestCluster, namesrv_addr: str, closed_addr: str, address_service: _AddressService
) -> None:
    topics = [unique("t") for _ in range(3)]
    for t in topics:
        cluster.create_topic(t, queues=1)
    p = Producer(unique("pg"), timeout=3_000)
    p.set_name_server_domain(f"127.0.0.1:{address_service.port}", refresh_interval_ms=200)
    p.start()
    try:
        send(p, topics[0], b"looked up")
        # The service now names a dead name server: once looked up, a new topic's route fails.
        address_service.answer = closed_addr
        address_service.wait_lookups(2)
        with pytest.raises(exc.ProducerSendSyncFailed):
            send(p, topics[1], b"nowhere")
        # Back to the real one: picked up at the next lookup.
        address_service.answer = namesrv_addr
        address_service.wait_lookups(2)
        send(p, topics[1], b"found again")
        # The service fails: the last good list stays in use.
        address_service.answer = None
        address_service.wait_lookups(2)
        send(p, topics[2], b"kept")
    finally:
        p.shutdown()
