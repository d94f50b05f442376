"""Integration tests on real parts: redis-server, a Celery worker process, the web server and a SQLite file
(or a fresh PostgreSQL database), talking HTTP to the JSON API and the HTML forms.

They check outcomes only; waiting loops have deadlines, but nothing asserts how long a step took
(bench/bench_queue.py measures that). A missing redis-server fails the suite, it is never skipped.

Run: .venv/bin/python -m pytest tests/integration -q
"""

from __future__ import annotations

import os
import re
import signal
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest_live import (
    OWNER,
    UUID_RE,
    LiveStack,
    WebSession,
    example_files,
    fresh_postgres_database,
    postgres_test_url,
    start_stack,
    wait_for,
)

pytestmark = pytest.mark.integration

URL = "https://shop.example.com/api/items?id=3"
BROKER_DOWN = "the worker will run it when the broker is back"


def assert_shop_api_trace(done: dict[str, Any]) -> None:
    assert done["state"] == "done", done.get("error")
    assert done["error"] is None
    req = done["trace"]["requests"][0]
    assert req["status"] == 200, req
    assert req["backend"]["service"] == "api", req["backend"]
    assert req["upstream"]["path"] == "/items?id=3"
    hops = req["hops"]
    assert hops and all(h.get("outcome") for h in hops), hops
    assert done["started_at"] and done["finished_at"]


def submit_until_done(stack: LiveStack, token: str, snapshot: str, runs: int = 5) -> None:
    """Submit ``runs`` traces one after the other; each is published at once and done on its first attempt."""
    for _ in range(runs):
        resp = stack.submit_trace(token, snapshot, URL)
        assert resp.status == 202, resp
        body = resp.json()
        assert body["state"] == "queued" and "note" not in body, body
        done = stack.wait_state(token, body["id"], interval=0.02)
        assert_shop_api_trace(done)
        assert done["attempts"] == 1, done


# -- a. submit -> worker -> done -------------------------------------------------------------------------


def test_submit_runs_on_worker_and_stores_the_trace(live: LiveStack, token: str, snapshot_id: str) -> None:
    live.start_worker()
    submit_until_done(live, token, snapshot_id)


# -- b. SIGKILL mid-task -------------------------------------------------------------------------------


def test_worker_sigkill_mid_task_loses_nothing(live: LiveStack, token: str, snapshot_id: str) -> None:
    doomed = live.start_worker({"TRACER_TASK_DELAY_SECONDS": "30"}, name="doomed")
    resp = live.submit_trace(token, snapshot_id, URL)
    assert resp.status == 202, resp
    trace_id = resp.json()["id"]
    running = live.wait_state(token, trace_id, ("running",))
    assert running["attempts"] == 1
    assert len(doomed.group_pids()) >= 2, "expected the worker and its pool process"
    doomed.kill()  # the worker and its pool, as when a pod is killed
    assert not doomed.group_pids()
    time.sleep(1)
    assert live.trace(token, trace_id)["state"] == "running", "nothing should have touched the trace yet"

    live.start_worker(name="rescuer")  # no delay: the sweep at worker start takes the trace over
    done = live.wait_state(token, trace_id)
    assert_shop_api_trace(done)
    assert done["attempts"] == 2, done


def test_pool_process_sigkill_is_redelivered_and_taken_over(live: LiveStack, token: str, snapshot_id: str) -> None:
    """Only the pool process dies: Celery rejects the task (reject_on_worker_lost), the redelivery takes it over."""
    worker = live.start_worker({"TRACER_TASK_DELAY_SECONDS": "3"}, name="pool")
    resp = live.submit_trace(token, snapshot_id, URL)
    assert resp.status == 202, resp
    trace_id = resp.json()["id"]
    live.wait_state(token, trace_id, ("running",))
    children = [pid for pid in worker.group_pids() if pid != worker.pid]
    assert children, "no pool process found"
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    done = live.wait_state(token, trace_id)
    assert_shop_api_trace(done)
    assert done["attempts"] >= 2, done
    assert worker.alive()


# -- c. Redis down -------------------------------------------------------------------------------------


def test_redis_down_submission_is_stored_and_runs_when_redis_is_back(
    live: LiveStack, token: str, snapshot_id: str
) -> None:
    live.start_worker()
    live.stop_redis()

    # The API: 202, queued, with a note.
    resp = live.submit_trace(token, snapshot_id, URL)
    assert resp.status == 202, resp
    body = resp.json()
    assert body["state"] == "queued", body
    assert BROKER_DOWN in body.get("note", ""), body
    api_trace = body["id"]

    # The scenario form: the user lands on the trace page and is told it is queued.
    session = WebSession(live.base)
    session.login(*OWNER)
    page = session.post_form(
        f"/snapshots/{snapshot_id}/traces/",
        {"method": "GET", "url": URL, "headers": "", "http_version": "1.1", "controller": ""},
    )
    assert page.status == 200, page
    path = urllib.parse.urlparse(page.url).path
    assert path.startswith("/traces/"), page.url
    match = UUID_RE.search(path)
    assert match
    form_trace = match.group(0)
    assert BROKER_DOWN in page.text, page.text[:2000]
    assert 'data-testid="broker-down"' in page.text
    assert 'data-state="queued"' in page.text

    # The worker's sweep cannot publish while Redis is down: both stay queued.
    time.sleep(5)
    for tid in (api_trace, form_trace):
        assert live.trace(token, tid)["state"] == "queued"

    live.start_redis()  # same port, empty: the traces live in the database
    for tid in (api_trace, form_trace):
        assert_shop_api_trace(live.wait_state(token, tid))

    # The web process publishes again once Redis is back.
    resp = live.submit_trace(token, snapshot_id, URL)
    assert resp.status == 202 and "note" not in resp.json(), resp
    assert_shop_api_trace(live.wait_state(token, resp.json()["id"]))


def test_requeue_stale_command_publishes_a_trace_left_unpublished(
    live: LiveStack, token: str, snapshot_id: str
) -> None:
    """No worker, Redis down at submit: `manage.py requeue_stale` publishes it once Redis is back."""
    live.stop_redis()
    resp = live.submit_trace(token, snapshot_id, URL)
    assert resp.status == 202 and "note" in resp.json(), resp
    trace_id = resp.json()["id"]
    live.start_redis()
    out = live.manage("requeue_stale")
    assert re.search(r"requeued [1-9]\d* trace", out), out
    assert live.trace(token, trace_id)["state"] == "queued"
    live.start_worker()
    assert_shop_api_trace(live.wait_state(token, trace_id))


# -- d. PostgreSQL -------------------------------------------------------------------------------------


@pytest.fixture
def postgres_stack(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveStack]:
    server = postgres_test_url()
    if server is None:
        pytest.skip("set TRACER_TEST_DATABASE_URL (or DATABASE_URL) to a PostgreSQL URL to run this test")
    with fresh_postgres_database(server) as url:
        stack = start_stack(tmp_path / "pg", dict([OWNER]), url)
        try:
            yield stack
            failed = any(getattr(getattr(request.node, f"rep_{w}", None), "failed", False) for w in ("setup", "call"))
            if failed:
                print(f"\n===== subprocess logs ({stack.dir}) =====\n{stack.logs()}")
        finally:
            stack.close()


def test_submit_runs_on_worker_with_postgresql(postgres_stack: LiveStack) -> None:
    stack = postgres_stack
    token = stack.api_token(OWNER[0])
    snapshot = str(stack.upload_snapshot(token, example_files("shop"), "shop")["id"])
    stack.start_worker()
    submit_until_done(stack, token, snapshot)


def test_stack_has_no_stray_processes_after_stop(tmp_path: Path) -> None:
    """The helpers' own promise: stopping a worker leaves no process of its group behind."""
    stack = LiveStack(tmp_path / "stray")
    try:
        stack.start_redis()
        stack.migrate()
        worker = stack.start_worker()
        assert len(worker.group_pids()) >= 2
        stack.stop_worker(worker)
        wait_for(lambda: not worker.group_pids(), timeout=15, what="the worker group to exit")
    finally:
        stack.close()
