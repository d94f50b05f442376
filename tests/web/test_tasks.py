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

from tracer import queue, tasks
from tracer.celery import app
from tracer.models import Trace
from tracer.queue import requeue_stale_traces, submit_trace
from tracer.runner import clear_engine_cache

from .base import BaseTestCase, broker, published


class TaskTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        clear_engine_cache()

    def queued(self, url: str = "http://shop.example.com/cart", **options: object) -> Trace:
        trace, _ = submit_trace(
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
    def submit(self, url: str = "http://x") -> Trace:
        trace, _ = submit_trace(snapshot=self.snapshot, request={"url": url}, options={}, user=self.alice)
        return trace

    def test_the_published_name_is_the_registered_task(self) -> None:
        assert tasks.run_trace.name == queue.RUN_TRACE_TASK
        assert app.tasks[queue.RUN_TRACE_TASK].name == queue.RUN_TRACE_TASK

    def test_publish_failure_is_caught_and_recorded(self) -> None:
        down = kombu.exceptions.OperationalError("down")
        with broker(side_effect=down), self.captureOnCommitCallbacks(execute=True):
            trace = self.submit()
        trace.refresh_from_db()
        assert trace.state == "queued" and trace.enqueued_at is None

    def test_publish_happens_after_commit(self) -> None:
        with broker() as send_task:
            with self.captureOnCommitCallbacks(execute=False) as callbacks:
                trace = self.submit()
            send_task.assert_not_called()
            for callback in callbacks:
                callback()
            assert send_task.call_args_list == [published(trace)]
        trace.refresh_from_db()
        assert trace.enqueued_at is not None

    def test_sweep_requeues_stale_and_unpublished_traces(self) -> None:
        old = timezone.now() - timedelta(hours=1)
        never = self.submit("http://x")
        stuck = self.submit("http://y")
        stuck.claim("gone-host:1:x")
        Trace.objects.filter(pk=stuck.pk).update(started_at=old)
        fresh = self.submit("http://z")
        Trace.objects.filter(pk=fresh.pk).update(enqueued_at=timezone.now())
        with broker() as send_task:
            assert requeue_stale_traces() == 2
        assert sorted(map(str, send_task.call_args_list)) == sorted(map(str, [published(never), published(stuck)]))
        stuck.refresh_from_db()
        assert stuck.state == "queued"

    def test_sweep_releases_a_claim_of_a_dead_local_process(self) -> None:
        trace = self.submit()
        assert trace.claim(f"{socket.gethostname()}:{2**22 + 12345}:x")
        Trace.objects.filter(pk=trace.pk).update(enqueued_at=timezone.now())
        with broker() as send_task:
            assert requeue_stale_traces() == 1
        assert send_task.call_args_list == [published(trace)]

    def test_a_live_or_foreign_claim_is_not_released(self) -> None:
        for holder in (f"{socket.gethostname()}:{os.getpid()}:x", "other-host:1:x"):
            trace = self.submit()
            assert trace.claim(holder)
            assert not queue.release_if_abandoned(trace.pk)
            trace.refresh_from_db()
            assert trace.state == "running" and trace.claimed_by == holder

    def test_sweep_stops_when_the_broker_is_down(self) -> None:
        for url in ("http://a", "http://b"):
            self.submit(url)
        with broker(side_effect=kombu.exceptions.OperationalError("down")) as send_task:
            assert requeue_stale_traces() == 0
        assert send_task.call_count == 1


def test_worker_id_names_this_process() -> None:
    host, pid, task = queue.worker_id("t1").split(":")
    assert (host, int(pid), task) == (socket.gethostname(), os.getpid(), "t1")
    assert not queue.process_is_dead(queue.worker_id())
