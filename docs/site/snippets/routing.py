"""Name-server lookup over HTTP, namespaces and the route snapshot (docs/site/configuration.md)."""

import os
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
TOPIC = os.environ.get("TOPIC", "MyTopic")


class AddressService(BaseHTTPRequestHandler):
    """Stands in for the address service (Java TopAddressing): GET /rocketmq/nsaddr."""

    lookups = 0

    def do_GET(self) -> None:
        body = NAMESRV.encode()
        self.send_response(200 if self.path == "/rocketmq/nsaddr" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        AddressService.lookups += 1

    def log_message(self, format: str, *args: object) -> None:
        pass


service = ThreadingHTTPServer(("127.0.0.1", 0), AddressService)
threading.Thread(target=service.serve_forever, daemon=True).start()
address_service = f"127.0.0.1:{service.server_address[1]}"
snapshot = Path(tempfile.mkdtemp()) / "routes.json"

# --8<-- [start:domain]
from rocketmq.client import Message, Producer

producer = Producer("routing_producer")
# GET http://<address_service>/rocketmq/nsaddr answers "host:port;host2:port", looked up again
# every 2 minutes; an explicit set_name_server_address() would win over it.
producer.set_name_server_domain(address_service)
# Routes saved as they change; a producer started while no name server answers uses them.
producer.set_route_snapshot_path(snapshot)
producer.start()
msg = Message(TOPIC)
msg.set_body(b"found through the address service")
producer.send_sync(msg)
producer.shutdown()
# --8<-- [end:domain]

assert AddressService.lookups >= 1, "the name servers came from the address service"
assert snapshot.exists(), "the route was saved by the time the send returned"

# --8<-- [start:namespace]
from rocketmq.admin import Admin
from rocketmq.client import LitePullConsumer

with Admin(NAMESRV) as admin:  # on the broker the topic is "shop%<topic>"
    cluster = next(iter(admin.cluster_info().clusters))
    admin.create_topic(f"shop%{TOPIC}", cluster=cluster, queues=2)

shop = Producer("orders")  # on the broker: group "shop%orders"
shop.set_name_server_address(NAMESRV)
shop.set_namespace("shop")
shop.start()
msg = Message(TOPIC)  # the bare name: the namespace is added on the wire
msg.set_body(b"in the shop namespace")
shop.send_sync(msg)
shop.shutdown()

with LitePullConsumer("orders_reader", namesrv_addr=NAMESRV, namespace="shop") as reader:
    queues = reader.fetch_message_queues(TOPIC)
    reader.assign(queues)
    for queue in queues:
        reader.seek_to_begin(queue)
    got = []
    for _ in range(40):
        got.extend(reader.poll(timeout_ms=500))
        if got:
            break
print([(m.topic, m.body) for m in got])  # the bare topic again: [(TOPIC, b'in the shop ...')]
# --8<-- [end:namespace]

assert [(m.topic, m.body) for m in got] == [(TOPIC, b"in the shop namespace")], got
service.shutdown()
