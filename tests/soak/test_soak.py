"""bench/soak.py, short: two web nodes, two workers, Redis, Kamailio, the sinks, and faults.

Runs the soak as an operator would (its own databases, processes and ports) with 20 orders
and five-second faults, and checks its verdict: exit status 0 and the one summary line.
Takes about three to four minutes on a two-core machine; only in the PostgreSQL pass.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.provisioning.kamailio_server import drop_database, missing, postgres_answers

pytestmark = [pytest.mark.kamailio, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(
    r"^soak: orders=(\d+) final=(\d+) lost=(\d+) duplicates=(\d+) drift=(\d+) p95_ms=(\d+)$",
    re.M,
)


def test_a_short_soak_loses_nothing_and_does_nothing_twice():
    absent = missing() or ("" if shutil.which("redis-server") else "redis-server is missing")
    if absent:
        require_service("kamailio", False, absent)
    if not postgres_answers():
        require_service("postgres", False, "the soak needs it on 127.0.0.1:5432")
    database = f"portal_bench_soak_test_{os.getpid()}"
    result = subprocess.run(
        [
            sys.executable,
            "bench/soak.py",
            *("--orders", "20", "--short-faults"),
            "--database",
            database,
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    drop_database(database)
    output = result.stdout + result.stderr
    lines = LINE.findall(result.stdout)
    assert len(lines) == 1, output[-4000:]
    orders, final, lost, duplicates, drift, _p95 = map(int, lines[0])
    assert (orders, final, lost, duplicates, drift) == (20, 20, 0, 0, 0), output[-4000:]
    assert result.returncode == 0, output[-4000:]
