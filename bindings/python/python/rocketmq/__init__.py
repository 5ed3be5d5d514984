"""rocketmq-py: an Apache RocketMQ client with a Rust core.

* :mod:`rocketmq.client` -- drop-in for rocketmq-client-python 2.x (blocking API);
* :mod:`rocketmq.aio` -- the same producer for asyncio;
* :mod:`rocketmq.exceptions` -- the exception tree;
* :mod:`rocketmq.consts` -- ``MessageProperty``;
* :mod:`rocketmq.stats` -- ``stats()`` dicts as Prometheus samples or text.

Logging goes to ``logging.getLogger("rocketmq")``.
"""

from __future__ import annotations

from ._rocketmq import __version__

__all__ = ["__version__"]
