"""First use from several requests at once creates one of each: a user's own workspace (default_workspace) and a
trace's workspace share link (Trace.share_link). Both read, then create; without a lock two concurrent calls
create two. Runs in a subprocess on a real SQLite file, and on PostgreSQL when one is given."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_live import fresh_postgres_database, postgres_test_url

ROOT = Path(__file__).resolve().parents[2]
THREADS = 10

RACE = f"""
import json, threading
from django.contrib.auth.models import User
from django.db import connection
from tracer.models import Membership, ShareLink, Snapshot, Trace, Workspace, default_workspace
from tracer.queue import submit_trace
from tracer.uploads import load
MANIFEST = b"apiVersion: v1\\nkind: Service\\nmetadata: {{name: web, namespace: shop}}\\nspec: {{ports: [{{port: 80}}]}}\\n"
owner = User.objects.create_user("owner")
ws = default_workspace(owner)
snap = Snapshot.create_from_engine(load([("m.yaml", MANIFEST)]), workspace=ws, name="s", created_by=owner)
from unittest import mock
from tracer import queue
with mock.patch.object(queue.app, "send_task"):
    trace, _ = submit_trace(snapshot=snap, request={{"method": "GET", "url": "http://a/"}}, options={{}}, user=owner)
newcomer = User.objects.create_user("newcomer")
barrier = threading.Barrier({THREADS})
errors = []

def first_use(kind):
    barrier.wait()
    try:
        if kind == "workspace":
            default_workspace(User.objects.get(pk=newcomer.pk))
        else:
            Trace.objects.get(pk=trace.pk).share_link(owner)
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

for kind in ("workspace", "link"):
    threads = [threading.Thread(target=first_use, args=(kind,)) for _ in range({THREADS})]
    for t in threads: t.start()
    for t in threads: t.join()
print(json.dumps({{"workspaces": Membership.objects.filter(user=newcomer).count(),
                   "links": ShareLink.objects.filter(trace=trace).count(), "errors": errors[:3]}}))
"""


def run_race(database_url: str) -> dict[str, object]:
    env = {**{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")},
           "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key-not-for-production-0123456789", "DEBUG": "1"}
    for args in (["migrate", "--noinput", "-v0"], ["shell", "-c", RACE]):
        out = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=240)
        assert out.returncode == 0, out.stdout + out.stderr
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_first_use_creates_one_workspace_and_one_link_on_sqlite(tmp_path: Path) -> None:
    assert run_race(f"sqlite:///{tmp_path / 'race.sqlite3'}") == {"workspaces": 1, "links": 1, "errors": []}


def test_first_use_creates_one_workspace_and_one_link_on_postgresql() -> None:
    server = postgres_test_url()
    if server is None:
        pytest.skip("no PostgreSQL given (TRACER_TEST_DATABASE_URL)")
    with fresh_postgres_database(server, prefix="tracer_race") as url:
        assert run_race(url) == {"workspaces": 1, "links": 1, "errors": []}
