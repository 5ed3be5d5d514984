"""The documentation site builds with ``mkdocs build --strict``: a broken link, a missing page,
a snippet file that does not exist or an API reference that does not resolve fails the build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]


def test_site_builds_strict(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(REPO / "mkdocs.yml"),
            "--site-dir",
            str(tmp_path / "site"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        # Material's banner about MkDocs 2.0 is printed on every build; it is not a warning.
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-6000:]
    pages = {
        p.relative_to(tmp_path / "site").as_posix() for p in (tmp_path / "site").rglob("*.html")
    }
    for page in ("index.html", "producing/index.html", "reference/client/index.html"):
        assert page in pages, sorted(pages)
    producing = (tmp_path / "site" / "producing" / "index.html").read_text()
    assert "send_orderly_with_sharding_key" in producing, "the snippet was included"
