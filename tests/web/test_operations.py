"""Operations endpoints and signals (docs/operations.md): /healthz, /readyz, /metrics, and JSON logs."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import redis
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import MiddlewareNotUsed
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.test import Client, override_settings

from tracer import metrics, tasks
from tracer.engine import TracerError
from tracer.logs import RequestLogMiddleware
from tracer.runner import clear_engine_cache

from .base import BaseTestCase

ROOT = Path(__file__).resolve().parents[2]
# A Redis database of its own for the queue-depth test; port 1 answers nothing (a broker that is down).
TEST_BROKER = "redis://127.0.0.1:6379/15"
DOWN_BROKER = "redis://127.0.0.1:1/0"
TOKEN = "metrics-token-0123456789"


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return metrics.LOCAL.get_sample_value(name, labels or {}) or 0.0


def scrape(client: Client, **headers: str) -> Any:
    return client.get("/metrics", **{f"HTTP_{k.upper()}": v for k, v in headers.items()})


class ProbeTests(BaseTestCase):
    def test_healthz_answers_without_database_session_or_login(self) -> None:
        with self.assertNumQueries(0):
            resp = self.client.get("/healthz")
        assert resp.status_code == 200 and resp.json() == {"status": "ok"}
        assert "Set-Cookie" not in resp.headers and not resp.cookies
        assert "no-cache" in resp["Cache-Control"]

    @override_settings(CELERY_BROKER_URL=TEST_BROKER)
    def test_readyz_is_ready_when_database_and_broker_answer(self) -> None:
        resp = self.client.get("/readyz")
        assert resp.status_code == 200, resp.content
        assert resp.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}

    @override_settings(CELERY_BROKER_URL=DOWN_BROKER)
    def test_readyz_names_the_broker_when_it_is_down(self) -> None:
        resp = self.client.get("/readyz")
        assert resp.status_code == 503
        body = resp.json()
        assert body["failed"] == ["broker"] and body["checks"]["database"] == "ok"
        assert body["checks"]["broker"].startswith("unreachable: ")

    @override_settings(CELERY_BROKER_URL=TEST_BROKER)
    def test_readyz_names_the_database_when_it_fails(self) -> None:
        with mock.patch.object(connection, "cursor", side_effect=OperationalError("server closed the connection")):
            resp = self.client.get("/readyz")
        assert resp.status_code == 503
        assert resp.json()["failed"] == ["database"]
        assert "server closed the connection" in resp.json()["checks"]["database"]

    @override_settings(SECURE_SSL_REDIRECT=True)
    def test_probes_are_not_redirected_to_https(self) -> None:
        client = Client()
        assert client.get("/login/").status_code == 301
        assert client.get("/healthz").status_code == 200


class MetricsTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        clear_engine_cache()

    def test_metrics_are_closed_without_a_token_or_the_public_setting(self) -> None:
        resp = scrape(self.client)
        assert resp.status_code == 403
        assert "TRACER_METRICS_TOKEN" in resp.content.decode()

    @override_settings(TRACER_METRICS_TOKEN=TOKEN, CELERY_BROKER_URL=TEST_BROKER)
    def test_metrics_need_the_bearer_token(self) -> None:
        assert scrape(self.client).status_code == 401
        assert scrape(self.client, authorization="Bearer wrong").status_code == 401
        assert scrape(self.client, authorization=f"Token {TOKEN}").status_code == 401
        resp = scrape(self.client, authorization=f"Bearer {TOKEN}")
        assert resp.status_code == 200
        assert resp["Content-Type"].startswith("text/plain")

    @override_settings(TRACER_METRICS_PUBLIC=True, CELERY_BROKER_URL=TEST_BROKER)
    def test_queue_depth_per_queue_read_from_redis_at_scrape_time(self) -> None:
        client = redis.Redis.from_url(TEST_BROKER)
        keys = ["traces.0", "traces.0\x06\x163", "ws.extra", "_kombu.binding.ws-exchange", "unacked"]
        client.delete(*keys)
        try:
            client.rpush("traces.0", "a", "b")
            client.rpush("traces.0\x06\x163", "c")  # the same queue at priority step 3
            # A queue declared at run time (not in the settings) is found through its binding.
            client.sadd("_kombu.binding.ws-exchange", "ws.extra\x06\x16\x06\x16ws.extra")
            client.rpush("ws.extra", "d", "e", "f", "g")
            client.hset("unacked", "tag", "x")
            text = scrape(self.client).content.decode()
        finally:
            client.delete(*keys)
        assert 'tracer_queue_depth{queue="traces.0"} 3.0' in text, text
        assert 'tracer_queue_depth{queue="ws.extra"} 4.0' in text, text
        assert 'tracer_queue_depth{queue="traces.heavy"} 0.0' in text, text
        assert "tracer_queue_unacked 1.0" in text
        assert "tracer_broker_up 1.0" in text and "tracer_database_up 1.0" in text
        assert not any("pidbox" in line for line in text.splitlines())

    @override_settings(TRACER_METRICS_PUBLIC=True, CELERY_BROKER_URL=DOWN_BROKER)
    def test_a_scrape_with_the_broker_down_still_answers(self) -> None:
        self.make_trace()
        resp = scrape(self.client)
        assert resp.status_code == 200
        text = resp.content.decode()
        assert "tracer_broker_up 0.0" in text and "tracer_database_up 1.0" in text
        assert 'tracer_traces_pending{state="queued"} 0.0' in text

    def test_the_worker_observes_duration_and_failures_by_reason(self) -> None:
        done_before = sample("tracer_trace_duration_seconds_count", {"outcome": "done"})
        waits_before = sample("tracer_trace_queue_wait_seconds_count")
        trace = self.make_trace()  # finished by execute_trace directly: not observed
        assert sample("tracer_trace_duration_seconds_count", {"outcome": "done"}) == done_before

        def run(exc: BaseException | None) -> None:
            from tracer.queue import submit_trace

            queued, _ = submit_trace(snapshot=self.snapshot, request=trace.scenario.request, options={}, user=None)
            failing = mock.patch("tracer.runner.run_engine", side_effect=exc) if exc else contextlib.nullcontext()
            with failing, mock.patch.object(tasks, "logger"):
                tasks.run_trace.apply(args=(str(queued.pk),)).get()

        run(None)
        assert sample("tracer_trace_duration_seconds_count", {"outcome": "done"}) == done_before + 1
        assert sample("tracer_trace_queue_wait_seconds_count") == waits_before + 1
        cases = {
            "time-limit": SoftTimeLimitExceeded(),
            "engine-error": RuntimeError("boom"),
            "input": TracerError("bad scenario"),
        }
        for reason, exc in cases.items():
            before = sample("tracer_trace_failures_total", {"reason": reason})
            run(exc)
            assert sample("tracer_trace_failures_total", {"reason": reason}) == before + 1, reason

    @override_settings(TRACER_METRICS_PUBLIC=True, CELERY_BROKER_URL=DOWN_BROKER)
    def test_the_exposition_carries_the_observed_metrics(self) -> None:
        metrics.TRACE_FAILURES.labels("input").inc(0)
        text = scrape(self.client).content.decode()
        for name in ("tracer_trace_duration_seconds", "tracer_trace_queue_wait_seconds", "tracer_trace_failures"):
            assert f"# TYPE {name}" in text, name


def test_json_logs_one_object_per_line_with_the_request_fields(tmp_path: Path) -> None:
    """The real LOGGING configuration in a fresh process with TRACER_LOG_FORMAT=json."""
    code = (
        "import logging\nfrom django.test import Client\n"
        "c = Client(HTTP_HOST='localhost')\n"
        "print(c.get('/healthz', HTTP_X_REQUEST_ID='req-123')['X-Request-ID'])\n"
        "print(c.get('/no-such-page').status_code)\n"
        "logging.getLogger('tracer.example').warning('hello %s', 'world')\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "TRACER_LOG_FORMAT": "json",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECRET_KEY": "test-secret-key-not-for-production-0123456789",
        "DEBUG": "1",
    }
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["req-123", "404"], out.stdout
    lines = [json.loads(line) for line in out.stderr.splitlines() if line.strip()]  # every line is one object
    health = next(r for r in lines if r["logger"] == "tracer.request" and r["path"] == "/healthz")
    assert health["request_id"] == "req-123" and health["status"] == 200 and health["method"] == "GET"
    assert health["level"] == "INFO" and health["time"].endswith("+00:00")
    missing = [r for r in lines if r.get("path") == "/no-such-page"]
    assert {r["logger"] for r in missing} == {"tracer.request", "django.request"}, missing
    assert len({r["request_id"] for r in missing}) == 1, "the lines of one request share its id"
    hello = next(r for r in lines if r["logger"] == "tracer.example")
    assert hello["message"] == "hello world" and hello["level"] == "WARNING" and "request_id" not in hello


@override_settings(TRACER_LOG_FORMAT="text")
def test_text_logs_leave_requests_to_the_server_log() -> None:
    with pytest.raises(MiddlewareNotUsed):
        RequestLogMiddleware(lambda request: HttpResponse())
