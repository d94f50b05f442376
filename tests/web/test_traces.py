from __future__ import annotations

import json
from datetime import timedelta
from unittest.mock import patch

import kombu.exceptions
from django.utils import timezone

from tracer.models import Scenario, Trace
from tracer.queue import submit_trace

from .base import BaseTestCase, broker, make_snapshot, published


class TraceCreateTestCase(BaseTestCase):
    def url(self) -> str:
        return f"/snapshots/{self.snapshot.pk}/traces/"

    def form(self, **extra: str) -> dict[str, str]:
        return {
            "url": "https://shop.example.com/cart",
            "method": "GET",
            "headers": "Cookie: a=b\nX-Test: 1",
            "http_version": "2",
            "client_ip": "198.51.100.7",
            "body_bytes": "10",
            "controller": "",
            "assume_endpoints": "on",
            **extra,
        }

    def test_it_stores_scenario_and_queued_trace_and_publishes_after_commit(self) -> None:
        self.login(self.alice)
        with broker() as send_task, self.captureOnCommitCallbacks(execute=True):
            r = self.client.post(self.url(), self.form())
        trace = Trace.objects.get()
        self.assertRedirects(r, trace.get_absolute_url(), fetch_redirect_response=False)
        assert trace.state == "queued" and trace.snapshot == self.snapshot
        assert trace.scenario.request == {
            "method": "GET",
            "url": "https://shop.example.com/cart",
            "headers": [["Cookie", "a=b"], ["X-Test", "1"]],
            "http_version": "2",
            "client_ip": "198.51.100.7",
            "body_bytes": 10,
        }
        assert trace.scenario.options == {"assume_endpoints": True}
        assert send_task.call_args_list == [published(trace)]

    def test_member_can_trace(self) -> None:
        self.login(self.bob)
        self.client.post(self.url(), self.form())
        assert Trace.objects.get().created_by == self.bob

    def test_it_checks_ownership(self) -> None:
        self.login(self.charlie)
        assert self.client.post(self.url(), self.form()).status_code == 404
        assert not Trace.objects.exists()

    def test_get_goes_to_the_form_and_creates_nothing(self) -> None:
        self.login(self.alice)
        before = Trace.objects.count()
        r = self.client.get(self.url())
        assert r.status_code == 302 and r["Location"] == self.snapshot.get_absolute_url()
        assert Trace.objects.count() == before

    def test_it_validates_headers_and_url(self) -> None:
        self.login(self.alice)
        r = self.client.post(self.url(), self.form(headers="no colon here"))
        self.assertContains(r, "Name: value", status_code=400)
        r = self.client.post(self.url(), self.form(url="ftp://x"))
        self.assertContains(r, "scheme", status_code=400)
        assert not Scenario.objects.exists()

    def test_a_request_line_in_the_url_box_is_honoured_as_the_api_does(self) -> None:
        self.login(self.alice)
        r = self.client.post(self.url(), self.form(url="GET https://shop.example.com/cart HTTP/1.0", headers=""))
        assert r.status_code == 302
        request = Trace.objects.get().scenario.request
        assert (request["method"], request["url"], request["http_version"]) == (
            "GET",
            "https://shop.example.com/cart",
            "1.0",
        )

    def test_url_with_spaces_is_refused(self) -> None:
        self.login(self.alice)
        for url in ("https://shop.example.com/my cart", "GET https://shop.example.com/my cart HTTP/1.1"):
            r = self.client.post(self.url(), self.form(url=url))
            self.assertContains(r, "contains a space; write it as %20", status_code=400)
        assert not Scenario.objects.exists()

    def test_broker_down_still_stores_and_says_so(self) -> None:
        self.login(self.alice)
        # Outside a test transaction on_commit runs at once; emulate that by executing callbacks inline.
        with (
            broker(side_effect=kombu.exceptions.OperationalError("down")),
            patch("tracer.queue.transaction.on_commit", side_effect=lambda fn: fn()),
        ):
            r = self.client.post(self.url(), self.form(), follow=True)
        trace = Trace.objects.get()
        assert trace.state == "queued" and trace.enqueued_at is None
        self.assertContains(r, "the worker will run it when the broker is back")


class TraceDetailTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.trace = self.make_trace()

    def test_it_shows_the_diagram_hops_and_downloads(self) -> None:
        for user in (self.alice, self.bob):
            self.login(user)
            r = self.client.get(self.trace.get_absolute_url())
            self.assertContains(r, 'data-testid="flow-svg"')
            self.assertContains(r, "200 OK")
            self.assertContains(r, 'data-testid="hop-link-0"')
            self.assertContains(r, f"/traces/{self.trace.pk}/hops/0/0/")
            self.assertContains(r, 'data-testid="download-json"')
            self.assertContains(r, 'data-testid="copy-markdown"')
            self.assertNotContains(r, 'hx-trigger="load delay')

    def test_it_checks_ownership(self) -> None:
        self.login(self.charlie)
        for suffix in ("/", "/status/", "/hops/0/0/", ".json", ".svg", ".md"):
            url = f"/traces/{self.trace.pk}{suffix}"
            assert self.client.get(url).status_code == 404, url

    def test_queued_trace_polls(self) -> None:
        trace, _ = submit_trace(snapshot=self.snapshot, request={"url": "http://x"}, options={}, user=self.alice)
        self.login(self.alice)
        r = self.client.get(trace.get_absolute_url())
        # A new trace is asked for every 150 ms: the result shows within a poll of the engine finishing.
        self.assertContains(r, 'hx-trigger="load delay:150ms"')
        r = self.client.get(f"/traces/{trace.pk}/status/", headers={"HX-Request": "true"})
        assert r.status_code == 200
        self.assertContains(r, 'hx-trigger="load delay:150ms"')
        assert b"<html" not in r.content

    def test_polling_backs_off_for_a_trace_that_waits(self) -> None:
        trace, _ = submit_trace(snapshot=self.snapshot, request={"url": "http://x"}, options={}, user=self.alice)
        self.login(self.alice)
        Trace.objects.filter(pk=trace.pk).update(queued_at=timezone.now() - timedelta(seconds=10))
        self.assertContains(self.client.get(trace.get_absolute_url()), 'hx-trigger="load delay:500ms"')
        Trace.objects.filter(pk=trace.pk).update(queued_at=timezone.now() - timedelta(minutes=5))
        self.assertContains(self.client.get(trace.get_absolute_url()), 'hx-trigger="load delay:2000ms"')

    def test_finished_status_stops_polling_with_286(self) -> None:
        self.login(self.bob)
        r = self.client.get(f"/traces/{self.trace.pk}/status/", headers={"HX-Request": "true"})
        assert r.status_code == 286
        assert b'hx-trigger="load delay' not in r.content
        assert b'data-testid="flow-svg"' in r.content

    def test_failed_trace_shows_the_error(self) -> None:
        Trace.objects.filter(pk=self.trace.pk).update(state="failed", error="Ingress x: boom")
        self.login(self.alice)
        self.assertContains(self.client.get(self.trace.get_absolute_url()), "Ingress x: boom")

    def test_hop_partial(self) -> None:
        self.login(self.bob)
        hops = self.trace.result["requests"][0]["hops"]
        controller = next(i for i, h in enumerate(hops) if h["component"] == "controller")
        r = self.client.get(f"/traces/{self.trace.pk}/hops/0/{controller}/", headers={"HX-Request": "true"})
        self.assertContains(r, 'data-testid="hop-detail"')
        self.assertContains(r, "m.yaml:6")  # the Ingress that decided it, with file:line
        self.assertContains(r, "shop.example.com")  # its YAML excerpt
        assert self.client.get(f"/traces/{self.trace.pk}/hops/0/99/").status_code == 404

    def test_hop_fallback_without_js(self) -> None:
        self.login(self.alice)
        r = self.client.get(self.trace.get_absolute_url(), {"hop": "0.1"})
        self.assertContains(r, 'data-testid="hop-detail"')

    def test_downloads(self) -> None:
        self.login(self.alice)
        r = self.client.get(f"/traces/{self.trace.pk}.json")
        assert json.loads(r.content)["schema"] == "tracer/trace-v1"
        assert "attachment" in r["Content-Disposition"]
        r = self.client.get(f"/traces/{self.trace.pk}.svg")
        assert r["Content-Type"].startswith("image/svg+xml") and "attachment" in r["Content-Disposition"]
        assert r.content.startswith(b"<?xml") and b"200 OK" in r.content and b"hx-get" not in r.content
        r = self.client.get(f"/traces/{self.trace.pk}.md")
        text = r.content.decode()
        assert "| # | Component |" in text and "200 OK" in text

    def test_rerun_on_another_snapshot(self) -> None:
        other = make_snapshot(self.workspace, self.alice, name="other")
        self.login(self.bob)
        r = self.client.post(f"/traces/{self.trace.pk}/rerun/", {"snapshot": str(other.pk)})
        new = Trace.objects.exclude(pk=self.trace.pk).get()
        # On another snapshot the re-run opens side by side with the original (tests/web/test_iterate.py).
        self.assertRedirects(r, f"/traces/{new.pk}/compare/", fetch_redirect_response=False)
        assert new.snapshot == other and new.scenario == self.trace.scenario and new.state == "queued"

    def test_rerun_refuses_foreign_snapshot(self) -> None:
        foreign = make_snapshot(self.charlie.memberships.get().workspace, self.charlie, name="foreign")
        self.login(self.alice)
        assert self.client.post(f"/traces/{self.trace.pk}/rerun/", {"snapshot": str(foreign.pk)}).status_code == 404
        self.login(self.charlie)
        assert self.client.post(f"/traces/{self.trace.pk}/rerun/", {"snapshot": str(foreign.pk)}).status_code == 404

    def test_trace_list(self) -> None:
        self.login(self.alice)
        self.assertContains(self.client.get("/traces/"), self.trace.get_absolute_url())
        self.assertContains(self.client.get("/"), self.trace.get_absolute_url())
        self.login(self.charlie)
        self.assertNotContains(self.client.get("/traces/"), self.trace.get_absolute_url())
        self.assertNotContains(self.client.get("/"), self.trace.get_absolute_url())
