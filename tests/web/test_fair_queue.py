"""Per-workspace fairness through Celery routing (tracer/queue.py): a queue per workspace hash, the heavy queue for
snapshots flagged at upload or whose trace used its budget up, and the worker's budget (tracer/runner.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from tracer import queue
from tracer.models import ApiToken, Snapshot, Trace, Workspace
from tracer.queue import HEAVY_MARK, submit_trace, workspace_queue
from tracer.runner import clear_engine_cache
from tracer.tasks import execute_trace, run_trace

from .base import BaseTestCase, broker, make_snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from regex_bomb import ATTACK_URL, bomb_manifests

BOMB = bomb_manifests(60).encode()


class FairQueueTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        clear_engine_cache()
        queue._flagged.clear()
        self.marks: list[str] = []

    def tearDown(self) -> None:
        client = queue._redis()
        if client is not None and self.marks:
            client.delete(*self.marks)
        clear_engine_cache()
        super().tearDown()

    def submit(self, snapshot: Snapshot, url: str = "http://shop.example.com/cart") -> tuple[Trace, Any]:
        with broker() as send_task, self.captureOnCommitCallbacks(execute=True):
            trace, _ = submit_trace(snapshot=snapshot, request={"method": "GET", "url": url}, options={}, user=self.alice)
        return trace, send_task

    def test_workspace_queue_is_stable_and_in_range(self) -> None:
        names = {workspace_queue(Workspace.objects.create(name=f"w{i}").pk) for i in range(40)}
        assert names <= {f"traces.{i}" for i in range(4)} and len(names) > 1
        assert workspace_queue(self.workspace.pk) == workspace_queue(str(self.workspace.pk))

    def test_a_light_trace_goes_to_its_workspace_queue(self) -> None:
        trace, send_task = self.submit(self.snapshot)
        send_task.assert_called_once_with(queue.RUN_TRACE_TASK, args=(str(trace.pk),),
                                          queue=workspace_queue(self.workspace.pk))

    def test_a_flagged_snapshot_goes_to_the_heavy_queue(self) -> None:
        bomb = make_snapshot(self.workspace, self.alice, BOMB, name="bomb")
        assert queue.flagged_at_load(bomb.warnings)
        trace, send_task = self.submit(bomb, ATTACK_URL)
        assert send_task.call_args.kwargs["queue"] == "traces.heavy"
        assert queue.queue_for_trace(trace.pk) == "traces.heavy"  # the sweep routes it the same way

    def test_upload_answer_and_snapshot_page_show_the_flag(self) -> None:
        _, token = ApiToken.issue(self.alice, "t", self.workspace)
        r = self.client.post("/api/v1/snapshots", {"files": SimpleUploadedFile("bomb.yaml", BOMB)},
                             headers={"Authorization": f"Token {token}"})
        assert r.status_code == 201
        flagged = [w for w in r.json()["warnings"] if w["message"].startswith("unbounded regex")]
        assert flagged and flagged[0]["file"] == "bomb.yaml" and flagged[0]["line"]
        self.login(self.alice)
        page = self.client.get(Snapshot.objects.get(pk=r.json()["id"]).get_absolute_url())
        assert "unbounded regex: Ingress bomb/bomb-0 has overlapping alternatives (a|aa)+" in page.content.decode()

    @override_settings(TRACER_TRACE_BUDGET_SECONDS=0.3)
    def test_a_trace_that_used_its_budget_sends_the_next_ones_to_the_heavy_queue(self) -> None:
        bomb = make_snapshot(self.workspace, self.alice, BOMB, name="bomb")
        Snapshot.objects.filter(pk=bomb.pk).update(warnings=[])  # as if the load-time check had missed it
        bomb.refresh_from_db()
        self.marks.append(HEAVY_MARK.format(bomb.pk))
        first, send_task = self.submit(bomb, ATTACK_URL)
        assert send_task.call_args.kwargs["queue"] == workspace_queue(self.workspace.pk)
        second, _ = self.submit(bomb, ATTACK_URL)  # published before the first one ran

        execute_trace(str(first.pk), "test-worker")
        first.refresh_from_db()
        request = first.result["requests"][0]
        assert first.state == Trace.State.DONE and request["error"] == "budget-exceeded"
        assert first.result["options"]["budget_seconds"] == 0.3
        assert "TRACE_BUDGET_EXCEEDED" in {d["code"] for d in request["diagnoses"]}

        _, send_task = self.submit(bomb, ATTACK_URL)
        assert send_task.call_args.kwargs["queue"] == "traces.heavy"
        # The one already on a light queue moves when a worker takes it, before it runs.
        run_trace.push_request(id="t-1", delivery_info={"routing_key": workspace_queue(self.workspace.pk)})
        try:
            with broker() as send_task:
                assert run_trace.run(str(second.pk)) == {"trace": str(second.pk), "moved": "traces.heavy"}
        finally:
            run_trace.pop_request()
        send_task.assert_called_once_with(queue.RUN_TRACE_TASK, args=(str(second.pk),), queue="traces.heavy")
        second.refresh_from_db()
        assert second.state == Trace.State.QUEUED
        third, _ = self.submit(bomb, ATTACK_URL)
        with broker() as send_task:
            assert queue.move_if_heavy(third.pk, workspace_queue(self.workspace.pk))
        send_task.assert_called_once_with(queue.RUN_TRACE_TASK, args=(str(third.pk),), queue="traces.heavy")
        assert not queue.move_if_heavy(third.pk, "traces.heavy")
        third.refresh_from_db()
        assert third.state == Trace.State.QUEUED

    def test_light_snapshots_are_never_moved(self) -> None:
        trace, _ = self.submit(self.snapshot)
        with mock.patch.object(queue.app, "send_task") as send_task:
            assert not queue.move_if_heavy(trace.pk, workspace_queue(self.workspace.pk))
        send_task.assert_not_called()
