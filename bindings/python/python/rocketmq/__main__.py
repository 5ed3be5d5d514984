"""``python -m rocketmq``: the ``rocketmq`` command line (see :mod:`rocketmq.cli`)."""

from __future__ import annotations

import sys

from rocketmq.cli import main

if __name__ == "__main__":
    sys.exit(main())
