"""Every code sample of the documentation site runs against the real broker.

The pages include their code from docs/site/snippets/*.py (pymdownx.snippets), so what readers
see is what runs here: each file runs in a fresh interpreter with NAMESRV_ADDR and TOPIC (a new
topic) set, and checks what it consumed itself (it exits non-zero otherwise).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import unique
from testkit import TestCluster

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[4]
SNIPPETS = REPO / "docs" / "site" / "snippets"
NAMES = sorted(p.name for p in SNIPPETS.glob("*.py"))


def test_every_sample_in_the_pages_is_a_snippet_that_runs() -> None:
    """Pages take code only from snippet files (so every sample is run below), and every
    snippet file is shown somewhere."""
    pages = list((REPO / "docs" / "site").rglob("*.md"))
    text = "\n".join(p.read_text() for p in pages)
    used = set(re.findall(r'--8<-- "docs/site/snippets/([a-z0-9_]+\.py)', text))
    assert used == set(NAMES)
    for page in pages:
        for block in re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S):
            assert block.strip().startswith("--8<--"), f"inline code in {page.name}: {block[:80]}"


@pytest.mark.parametrize("name", NAMES)
def test_snippet_runs(cluster: TestCluster, name: str) -> None:
    topic = unique("doctopic")
    cluster.create_topic(topic, queues=2)
    env = {**os.environ, "NAMESRV_ADDR": cluster.namesrv_addr, "TOPIC": topic}
    proc = subprocess.run(
        [sys.executable, str(SNIPPETS / name)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=SNIPPETS,
    )
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-4000:])
