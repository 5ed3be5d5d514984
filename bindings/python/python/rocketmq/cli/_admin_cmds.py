"""CLI commands built on :mod:`rocketmq.admin`: cluster, topics, route, create-topic,
delete-topic, topic-status, progress, status, msg, reset-offset."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..admin import Admin
from ..exceptions import RocketMQException
from ._errors import NOT_FOUND, OK, CliError
from ._output import fmt_time, json_line, message_dict, parse_time, print_message, table


def _admin(args: argparse.Namespace) -> Admin:
    if not args.namesrv:
        raise CliError("no name server: pass --namesrv host:port or set NAMESRV_ADDR")
    return Admin(args.namesrv, timeout_ms=args.timeout_ms)


def cmd_cluster(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        info = admin.cluster_info()
        rows: list[list[Any]] = []
        for cluster in sorted(info.clusters):
            for name in sorted(info.clusters[cluster]):
                broker = info.brokers.get(name)
                for bid, addr in sorted((broker.addrs if broker else {}).items()):
                    try:
                        rt = admin.broker_runtime_info(addr)
                    except RocketMQException:
                        rt = {}
                    rows.append(
                        [
                            cluster,
                            name,
                            bid,
                            addr,
                            rt.get("brokerVersionDesc"),
                            rt.get("putTps", "").split(" ")[0] or None,
                            rt.get("getTransferedTps", "").split(" ")[0] or None,
                            rt.get("msgPutTotalTodayNow"),
                            rt.get("msgGetTotalTodayNow"),
                        ]
                    )
    keys = [
        "cluster",
        "broker",
        "id",
        "addr",
        "version",
        "in_tps",
        "out_tps",
        "in_today",
        "out_today",
    ]
    if args.json:
        json_line([dict(zip(keys, r)) for r in rows])
    else:
        table(
            [
                "#Cluster",
                "#Broker",
                "#BID",
                "#Addr",
                "#Version",
                "#InTPS",
                "#OutTPS",
                "#InToday",
                "#OutToday",
            ],
            rows,
        )
    return OK


def cmd_topics(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        topics = admin.topic_list()
    if not args.all:
        topics = [t for t in topics if not t.startswith(("%RETRY%", "%DLQ%", "rmq_sys_"))]
    if args.json:
        json_line(topics)
    else:
        for t in topics:
            print(t)
    return OK


def cmd_route(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        route = admin.topic_route(args.topic)
    queues = {q.broker_name: q for q in route.queues}
    if args.json:
        json_line(
            {
                "topic": route.topic,
                "brokers": [
                    {
                        "name": b.name,
                        "cluster": b.cluster,
                        "addrs": {str(k): v for k, v in b.addrs.items()},
                    }
                    for b in route.brokers
                ],
                "queues": [q.__dict__ for q in route.queues],
                "order_topic_conf": route.order_topic_conf,
            }
        )
        return OK
    rows = []
    for b in sorted(route.brokers, key=lambda b: b.name):
        q = queues.get(b.name)
        rows.append(
            [
                b.cluster,
                b.name,
                b.master_addr,
                ",".join(f"{i}={a}" for i, a in sorted(b.addrs.items()) if i != 0) or None,
                q.read_queue_nums if q else None,
                q.write_queue_nums if q else None,
                q.perm if q else None,
            ]
        )
    table(["#Cluster", "#Broker", "#Master", "#Slaves", "#Read", "#Write", "#Perm"], rows)
    return OK


def cmd_create_topic(args: argparse.Namespace) -> int:
    if (args.cluster is None) == (args.broker is None):
        raise CliError("give exactly one of --cluster NAME and --broker HOST:PORT")
    with _admin(args) as admin:
        addrs = admin.create_topic(
            args.topic,
            cluster=args.cluster,
            broker_addr=args.broker,
            queues=args.queues,
            perm=args.perm,
            order=args.order,
        )
    if args.json:
        json_line({"topic": args.topic, "brokers": addrs})
    else:
        print(f"created {args.topic} ({args.queues} queues) on {', '.join(addrs)}")
    return OK


def cmd_delete_topic(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        addrs = admin.delete_topic(args.topic, cluster=args.cluster)
    if args.json:
        json_line({"topic": args.topic, "brokers": addrs})
    else:
        print(f"deleted {args.topic} from {', '.join(addrs)} and the name servers")
    return OK


def cmd_topic_status(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        stats = admin.topic_stats(args.topic)
    if args.json:
        json_line(
            [
                {
                    "broker_name": s.queue.broker_name,
                    "queue_id": s.queue.queue_id,
                    "min_offset": s.min_offset,
                    "max_offset": s.max_offset,
                    "last_update_timestamp": s.last_update_timestamp,
                }
                for s in stats
            ]
        )
        return OK
    rows = [
        [
            s.queue.broker_name,
            s.queue.queue_id,
            s.min_offset,
            s.max_offset,
            fmt_time(s.last_update_timestamp),
        ]
        for s in stats
    ]
    table(["#Broker", "#QID", "#Min Offset", "#Max Offset", "#Last Updated"], rows)
    return OK


def cmd_progress(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        stats = admin.consume_stats(args.group, args.topic)
    queues = [q for q in stats.queues if args.all or not q.queue.topic.startswith("%RETRY%")]
    if args.json:
        json_line(
            {
                "group": args.group,
                "consume_tps": stats.consume_tps,
                "total_lag": sum(q.lag for q in queues),
                "queues": [
                    {
                        "topic": q.queue.topic,
                        "broker_name": q.queue.broker_name,
                        "queue_id": q.queue.queue_id,
                        "broker_offset": q.broker_offset,
                        "consumer_offset": q.consumer_offset,
                        "lag": q.lag,
                        "last_timestamp": q.last_timestamp,
                    }
                    for q in queues
                ],
            }
        )
        return OK
    rows = [
        [
            q.queue.topic,
            q.queue.broker_name,
            q.queue.queue_id,
            q.broker_offset,
            q.consumer_offset,
            q.lag,
            fmt_time(q.last_timestamp),
        ]
        for q in queues
    ]
    table(
        [
            "#Topic",
            "#Broker",
            "#QID",
            "#Broker Offset",
            "#Consumer Offset",
            "#Lag",
            "#Last Consumed",
        ],
        rows,
    )
    print(f"\nConsume TPS: {stats.consume_tps:.2f}")
    print(f"Total lag: {sum(q.lag for q in queues)}")
    return OK


def cmd_status(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        conns = admin.consumer_connections(args.group)
        clients = [c for c in conns.connections if args.client in (None, c.client_id)]
        if not clients:
            raise CliError(
                f"client {args.client} is not connected in group {args.group}", NOT_FOUND
            )
        infos = [
            (c, admin.consumer_running_info(args.group, c.client_id, jstack=args.jstack))
            for c in clients
        ]
    if args.json:
        json_line(
            {
                "group": args.group,
                "consume_type": conns.consume_type,
                "message_model": conns.message_model,
                "consume_from_where": conns.consume_from_where,
                "subscriptions": {t: s.expression for t, s in conns.subscriptions.items()},
                "clients": [
                    {
                        "client_id": c.client_id,
                        "client_addr": c.client_addr,
                        "language": c.language,
                        "version": c.version,
                        "properties": info.properties,
                        "queues": [
                            {
                                "topic": q.queue.topic,
                                "broker_name": q.queue.broker_name,
                                "queue_id": q.queue.queue_id,
                                "commit_offset": q.commit_offset,
                                "cached_msg_count": q.cached_msg_count,
                                "last_pull_timestamp": q.last_pull_timestamp,
                                "last_consume_timestamp": q.last_consume_timestamp,
                            }
                            for q in info.queues
                        ],
                    }
                    for c, info in infos
                ],
            }
        )
        return OK
    print(f"Group:        {args.group}")
    print(f"Model:        {conns.message_model or '-'} ({conns.consume_type or '-'})")
    print(f"Start from:   {conns.consume_from_where or '-'}")
    print("Subscriptions:")
    for t, s in sorted(conns.subscriptions.items()):
        print(f"  {t}: {s.expression} ({s.expression_type})")
    print()
    table(
        ["#ClientId", "#Addr", "#Language", "#Version"],
        [[c.client_id, c.client_addr, c.language, c.version] for c in conns.connections],
    )
    for c, info in infos:
        print(f"\n== {c.client_id}")
        for k in sorted(info.properties):
            print(f"  {k}={info.properties[k]}")
        rows = [
            [
                q.queue.topic,
                q.queue.broker_name,
                q.queue.queue_id,
                q.commit_offset,
                q.cached_msg_count,
                fmt_time(q.last_pull_timestamp),
                fmt_time(q.last_consume_timestamp),
            ]
            for q in info.queues
        ]
        if rows:
            table(
                [
                    "  #Topic",
                    "#Broker",
                    "#QID",
                    "#Committed",
                    "#Cached",
                    "#Last Pull",
                    "#Last Consume",
                ],
                rows,
            )
    return OK


def cmd_msg(args: argparse.Namespace) -> int:
    if (args.id is None) == (args.key is None):
        raise CliError("give a message id, or --key KEY with --topic TOPIC")
    with _admin(args) as admin:
        if args.key is not None:
            if not args.topic:
                raise CliError("--key needs --topic TOPIC")
            msgs = admin.messages_by_key(args.topic, args.key, max_num=args.max)
            if not msgs:
                raise CliError(f"no message with key {args.key!r} in topic {args.topic}", NOT_FOUND)
        else:
            msgs = [admin.message_by_id(args.id, args.topic)]
    if args.json:
        for m in msgs:
            json_line(message_dict(m))
        return OK
    for i, m in enumerate(msgs):
        if i:
            print()
        print_message(m)
    return OK


def cmd_reset_offset(args: argparse.Namespace) -> int:
    ts = parse_time(args.time)
    with _admin(args) as admin:
        result = admin.reset_offset_by_time(args.group, args.topic, ts, force=not args.no_force)
    items = sorted(result.offsets.items())
    if args.json:
        json_line(
            {
                "group": args.group,
                "topic": args.topic,
                "timestamp": ts,
                "rewrote_stored_offsets": result.rewrote_stored_offsets,
                "offsets": [
                    {"broker_name": q.broker_name, "queue_id": q.queue_id, "offset": o}
                    for q, o in items
                ],
            }
        )
        return OK
    when = fmt_time(ts) if ts > 0 else "the beginning"
    print(f"reset {args.group} on {args.topic} to {when} ({ts})")
    table(["#Broker", "#QID", "#New Offset"], [[q.broker_name, q.queue_id, o] for q, o in items])
    if result.rewrote_stored_offsets:
        print("no consumer was online: the stored offsets were rewritten", file=sys.stderr)
    return OK
