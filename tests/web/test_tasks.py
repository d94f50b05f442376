from __future__ import annotations

import os
import socket
from datetime import timedelta
from unittest.mock import patch

import kombu.exceptions
import pytest
from celery.exceptions import Retry
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone

from tracer import tasks
from tracer.models import Trace
from tracer.runner import clear_engine_cache

from .base import BaseTestCase


class TaskTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        clear_engine_cache()

    def queued(self, url: str = "http://shop.example.com/cart", **options: object) -> Trace:
        trace, _ = Trace.submit(
            snapshot=self.snapshot, request={"method": "GET", "url": url}, options=dict(options), user=self.alice
        )
        return trace

    def test_it_runs_the_engine_and_stores_the_result(self) -> None:
        trace = self.queued()
        assert tasks.execute_trace(str(trace.pk), "w") == {"trace": str(trace.pk), "state": "done"}
        trace.refresh_from_db()
        assert trace.state == "done"
        assert trace.result["schema"] == "tracer/trace-v1"
        assert trace.result["requests"][0]["status"] == 200
        assert trace.started_at and trace.finished_at and trace.engine_ms is not None
        assert trace.attempts == 1

    def test_it_is_idempotent(self) -> None:
        trace = self.queued()
        tasks.execute_trace(str(trace.pk), "w1")
        again = tasks.execute_trace(str(trace.pk), "w2")
        assert again["skipped"] == "claimed or finished"
        trace.refresh_from_db()
        assert trace.claimed_by == "w1" and trace.attempts == 1

    def test_it_returns_quietly_for_a_missing_trace(self) -> None:
        assert tasks.execute_trace("00000000-0000-0000-0000-000000000000", "w")["skipped"] == "gone"

    def test_engine_errors_fail_the_trace_without_retry(self) -> None:
        trace = self.queued(url="http://shop.example.com/", controller="ingress-nginx")
        trace.scenario.options = {"controller": "no-such-controller"}
        trace.scenario.save()
        assert tasks.execute_trace(str(trace.pk), "w")["state"] == "failed"
        trace.refresh_from_db()
        assert trace.state == "failed" and "no-such-controller" in trace.error

    def test_bad_request_fails_the_trace(self) -> None:
        trace = self.queued(url="ftp://nope")
        tasks.execute_trace(str(trace.pk), "w")
        trace.refresh_from_db()
        assert trace.state == "failed" and "scheme" in trace.error

    def test_transient_errors_release_and_retry(self) -> None:
        trace = self.queued()
        with patch("tracer.runner.run_engine", side_effect=OperationalError("db gone")), pytest.raises(Retry):
            tasks.run_trace.apply(args=[str(trace.pk)], throw=True)
        trace.refresh_from_db()
        assert trace.state == "queued" and trace.claimed_by == ""

    @override_settings(TRACER_TASK_DELAY_SECONDS=0.01)
    def test_delay_hook_sleeps_inside_the_task(self) -> None:
        trace = self.queued()
        with patch("tracer.tasks.time.sleep") as sleep:
            tasks.execute_trace(str(trace.pk), "w")
        sleep.assert_called_once_with(0.01)

    def test_stale_running_trace_is_taken_over(self) -> None:
        trace = self.queued()
        assert trace.claim("other-host:1:x")
        Trace.objects.filter(pk=trace.pk).update(started_at=timezone.now() - timedelta(hours=1))
        assert tasks.execute_trace(str(trace.pk), "w2")["state"] == "done"

    def test_trace_claimed_by_a_dead_local_process_is_taken_over(self) -> None:
        trace = self.queued()
        dead_pid = 2**22 + 12345
        assert trace.claim(f"{socket.gethostname()}:{dead_pid}:x")
        assert tasks.execute_trace(str(trace.pk), "w2")["state"] == "done"

    def test_live_claim_is_respected(self) -> None:
        trace = self.queued()
        assert trace.claim(f"{socket.gethostname()}:{os.getpid()}:x")
        assert tasks.execute_trace(str(trace.pk), "w2")["skipped"]


class PublishTestCase(BaseTestCase):
    def test_publish_failure_is_caught_and_recorded(self) -> None:
        down = kombu.exceptions.OperationalError("down")
        with (
            patch.object(tasks.run_trace, "apply_async", side_effect=down),
            self.captureOnCommitCallbacks(execute=True),
        ):
            trace, _ = Trace.submit(snapshot=self.snapshot, request={"url": "http://x"}, options={}, user=self.alice)
        trace.refresh_from_db()
        assert trace.state == "queued" and trace.enqueued_at is None

    def test_publish_happens_after_commit(self) -> None:
        with patch.object(tasks.run_trace, "apply_async") as apply_async:
            with self.captureOnCommitCallbacks(execute=False) as callbacks:
                trace, _ = Trace.submit(
                    snapshot=self.snapshot, request={"url": "http://x"}, options={}, user=self.alice
                )
            apply_async.assert_not_called()
            for callback in callbacks:
                callback()
            apply_async.assert_called_once_with(args=[str(trace.pk)])

    def test_sweep_requeues_stale_and_unpublished_traces(self) -> None:
        old = timezone.now() - timedelta(hours=1)
        never, _ = Trace.submit(snapshot=self.snapshot, request={"url": "http://x"}, options={}, user=self.alice)
        stuck, _ = Trace.submit(snapshot=self.snapshot, request={"url": "http://y"}, options={}, user=self.alice)
        stuck.claim("gone-host:1:x")
        Trace.objects.filter(pk=stuck.pk).update(started_at=old)
        fresh, _ = Trace.submit(snapshot=self.snapshot, request={"url": "http://z"}, options={}, user=self.alice)
        Trace.objects.filter(pk=fresh.pk).update(enqueued_at=timezone.now())
        with patch.object(tasks.run_trace, "apply_async") as apply_async:
            assert tasks.requeue_stale_traces() == 2
        sent = {c.kwargs["args"][0] for c in apply_async.call_args_list}
        assert sent == {str(never.pk), str(stuck.pk)}
        stuck.refresh_from_db()
        assert stuck.state == "queued"

    def test_sweep_stops_when_the_broker_is_down(self) -> None:
        for url in ("http://a", "http://b"):
            Trace.submit(snapshot=self.snapshot, request={"url": url}, options={}, user=self.alice)
        with patch.object(tasks.run_trace, "apply_async", side_effect=kombu.exceptions.OperationalError("down")) as m:
            assert tasks.requeue_stale_traces() == 0
        assert m.call_count == 1
