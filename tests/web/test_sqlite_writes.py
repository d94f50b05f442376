"""Concurrent writers on the default SQLite file: transactions that read before they write (as snapshot deletion,
applying a fix and membership changes do) must wait for the lock, never fail with "database is locked".

Runs in a subprocess on a real file (the test database of pytest-django lives in memory and has one writer).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THREADS = 12
ROUNDS = 8

# Each thread: several transactions that read the workspace's rows, then write one (the shape of
# tracer/views/manage.py snapshot_delete and tracer/fixing.py apply_fix), on its own connection.
WRITERS = f"""
import json, threading, time
from django.db import OperationalError, connection, transaction
from tracer.models import Scenario, Workspace
ws = Workspace.objects.create(name="burst")
errors, done = [], []
barrier = threading.Barrier({THREADS})

def writer(n):
    barrier.wait()
    try:
        for i in range({ROUNDS}):
            try:
                with transaction.atomic():
                    Scenario.objects.filter(workspace=ws).count()
                    time.sleep(0.005)
                    Scenario.objects.create(workspace=ws, request={{"n": n, "i": i}}, options={{}})
                done.append(1)
            except OperationalError as exc:
                errors.append(str(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=writer, args=(n,)) for n in range({THREADS})]
for t in threads: t.start()
for t in threads: t.join()
with connection.cursor() as cur:
    mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
print(json.dumps({{"done": len(done), "errors": errors[:3], "failed": len(errors),
                   "rows": Scenario.objects.filter(workspace=ws).count(), "journal_mode": mode}}))
"""


def run_writers(tmp_path: Path) -> dict[str, object]:
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'writes.sqlite3'}",
        "SECRET_KEY": "test-secret-key-not-for-production-0123456789",
        "DEBUG": "1",
    }
    for args in (["migrate", "--noinput", "-v0"], ["shell", "-c", WRITERS]):
        out = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
        )
        assert out.returncode == 0, out.stdout + out.stderr
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_read_then_write_transactions_wait_for_the_lock_instead_of_failing(tmp_path: Path) -> None:
    result = run_writers(tmp_path)
    assert result["failed"] == 0, result
    assert result["done"] == result["rows"] == THREADS * ROUNDS, result
    # Readers (the trace pages, the status polls) do not wait for a writer's commit.
    assert result["journal_mode"] == "wal", result
