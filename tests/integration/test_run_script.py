"""scripts/run as a user starts it: it supervises its children (a killed worker is started again and traces still
finish), keeps the port it was given or stops with a clear error, and stops everything when its own Redis dies.

Each run uses a temporary SQLite file and run folder (TRACER_RUN_DIR), a port of its own and, except in the Redis
test, a Redis of the test's own. Run: .venv/bin/python -m pytest -p no:cacheprovider -q tests/integration/test_run_script.py
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest_live import ROOT, LiveStack, example_files, free_port, port_open, wait_for

pytestmark = pytest.mark.integration

URL = "https://shop.example.com/api/items?id=3"
START_TIMEOUT = 240.0  # set-up included: pip checks the venv, migrate, collectstatic, the demo snapshot


class RunScript:
    """scripts/run in its own session, its output in a file."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.out = tmp / "run.out"
        self._file = self.out.open("wb")
        self.popen = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "run")],
            cwd=ROOT,
            env=env,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def text(self) -> str:
        return self.out.read_text(errors="replace")

    def pid_of(self, label: str, after: int = 0) -> int:
        """The pid scripts/run printed for ``label`` ("the Celery worker"), in a line after the first ``after``."""
        pattern = re.compile(rf"(?:started|restarted) {re.escape(label)} \(pid (\d+)\)")
        found = [int(m.group(1)) for m in pattern.finditer(self.text())]
        return found[after] if len(found) > after else 0

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(40)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        self._file.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):  # a zombie is dead too
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            return False
    return True


def run_env(tmp: Path, port: int, redis_url: str | None) -> dict[str, str]:
    scrub = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "TRACER_PORT", "DEBUG")
    env = {k: v for k, v in os.environ.items() if k not in scrub}
    env.update(
        {
            "TRACER_PORT": str(port),
            "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
            "TRACER_RUN_DIR": str(tmp / "run"),
            "SECRET_KEY": "run-script-test-" + "k" * 40,
            "PYTHONUNBUFFERED": "1",
        }
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@pytest.fixture
def redis_stack(tmp_path: Path) -> Iterator[LiveStack]:
    """A redis-server of the test's own (the LiveStack helper starts and stops it), plus its API helpers."""
    stack = LiveStack(tmp_path / "redis")
    try:
        stack.start_redis()
        yield stack
    finally:
        stack.close()


def test_a_killed_worker_is_restarted_and_traces_still_finish(tmp_path: Path, redis_stack: LiveStack) -> None:
    port = free_port()
    env = run_env(tmp_path, port, f"redis://127.0.0.1:{redis_stack.redis_port}/0")
    run = RunScript(tmp_path, env)
    try:
        wait_for(lambda: "tracer is running at" in run.text() or run.popen.poll() is not None,
                 timeout=START_TIMEOUT, what="scripts/run to start")
        assert run.popen.poll() is None, run.text()
        assert f"http://127.0.0.1:{port}/" in run.text()

        # The stack's HTTP helpers, pointed at the run's web server and database.
        client = redis_stack
        client.web_port, client.base = port, f"http://127.0.0.1:{port}"
        client.env.update({"DATABASE_URL": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"]})
        assert client.get("/healthz").status == 200
        ready = client.get("/readyz")
        assert ready.status == 200, ready
        token = client.api_token("admin")
        snapshot = str(client.upload_snapshot(token, example_files("shop"), "shop")["id"])

        worker = run.pid_of("the Celery worker")
        assert worker and alive(worker), run.text()
        os.kill(worker, signal.SIGKILL)  # a crash: the main worker process dies at once
        wait_for(lambda: run.pid_of("the Celery worker", after=1), timeout=60, what="the worker to be restarted")
        text = run.text()
        assert re.search(rf"the Celery worker \(pid {worker}\) exited with status \d+ .* restarting it in \d+ s", text), text
        restarted = run.pid_of("the Celery worker", after=1)
        assert restarted != worker and alive(restarted)
        assert run.popen.poll() is None, "scripts/run must keep running when a worker dies"

        resp = client.submit_trace(token, snapshot, URL)
        assert resp.status == 202, resp
        done = client.wait_state(token, resp.json()["id"], timeout=90)
        assert done["state"] == "done", done
        assert done["trace"]["requests"][0]["status"] == 200
        assert port_open(port)  # the web server kept its port

        # Observed in a Celery pool process, served by a gunicorn worker: prometheus-client's multiprocess mode.
        scraped = client.get("/metrics")
        assert scraped.status == 200, scraped
        count = re.search(r'^tracer_trace_duration_seconds_count\{outcome="done"\} (\S+)$', scraped.text, re.M)
        assert count and float(count.group(1)) >= 1, scraped.text
        assert re.search(r'^tracer_queue_depth\{queue="[^"]+"\} 0\.0$', scraped.text, re.M), scraped.text
    finally:
        run.stop()
    assert run.popen.returncode == 143, run.text()
    for label in ("the Celery worker", "the web server"):
        pid = run.pid_of(label, after=1) or run.pid_of(label)
        wait_for(lambda pid=pid: not alive(pid), timeout=20, what=f"{label} to stop")


def test_a_taken_tracer_port_stops_with_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "run")],
            cwd=ROOT,
            env=run_env(tmp_path, port, "redis://127.0.0.1:1/0"),
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert f"TRACER_PORT={port}" in out and "already in use" in out, out
    assert "starting" not in out.lower() and "running at" not in out, out  # nothing was started


def test_redis_exiting_stops_everything_with_a_message(tmp_path: Path) -> None:
    run = RunScript(tmp_path, run_env(tmp_path, free_port(), None))  # scripts/run starts its own Redis
    try:
        wait_for(lambda: "tracer is running at" in run.text() or run.popen.poll() is not None,
                 timeout=START_TIMEOUT, what="scripts/run to start")
        assert run.popen.poll() is None, run.text()
        match = re.search(r"Redis started \(pid (\d+)\)", run.text())
        assert match, run.text()
        children = [run.pid_of("the Celery worker"), run.pid_of("the web server")]
        os.kill(int(match.group(1)), signal.SIGKILL)
        assert run.popen.wait(60) == 1, run.text()
        assert re.search(r"Redis \(the broker, pid \d+\) exited .* Stopping the web server and the workers", run.text())
        for pid in children:
            wait_for(lambda pid=pid: not alive(pid), timeout=20, what=f"pid {pid} to stop")
    finally:
        run.stop()
