"""Bugs of the trace page and forms found in the walkthrough (issue 9): each test failed before its fix."""

from __future__ import annotations

from tracer.models import Trace

from .base import BaseTestCase, broker


class TracePageBugTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.login(self.alice)

    def test_no_queued_message_above_the_finished_result(self) -> None:
        with broker():
            r = self.client.post(f"/snapshots/{self.snapshot.id}/traces/",
                                 {"mode": "request", "url": "http://shop.example.com/cart", "method": "GET",
                                  "http_version": "1.1"}, follow=True)
        html = r.content.decode()
        # The status partial says "Queued"; no flash message repeats it where it would stay after the result.
        assert 'data-testid="messages"' not in html
        assert 'data-testid="trace-status"' in html

    def test_reloading_a_form_error_page_goes_back_to_the_form(self) -> None:
        bad = self.client.post(f"/snapshots/{self.snapshot.id}/traces/", {"mode": "request", "url": "not a url"})
        assert bad.status_code == 400
        again = self.client.get(f"/snapshots/{self.snapshot.id}/traces/")  # what a reload after navigating does
        assert again.status_code == 302 and again["Location"] == self.snapshot.get_absolute_url()

    def test_a_journey_start_with_a_space_is_refused(self) -> None:
        r = self.client.post(f"/snapshots/{self.snapshot.id}/traces/",
                             {"mode": "journey", "url": "http://shop.example.com/a b", "method": "GET",
                              "http_version": "1.1", "follow_redirects": "on"})
        assert r.status_code == 400 and "contains a space" in r.content.decode()
        assert not Trace.objects.filter(snapshot=self.snapshot).exists()

    def test_api_journey_start_with_a_space_is_a_field_error(self) -> None:
        from tracer.request_spec import SpecError, clean_journey

        try:
            clean_journey({"start": "http://shop.example.com/a b"})
        except SpecError as exc:
            assert exc.field == "journey.start" and "space" in exc.message
        else:
            raise AssertionError("a start URL with a space was accepted")


class WaitForFinishTests(BaseTestCase):
    def test_a_finished_trace_is_not_waited_for(self) -> None:
        import time

        from tracer.views.traces import wait_for_finish

        trace = self.make_trace()
        start = time.monotonic()
        wait_for_finish(trace, 2.0)
        assert time.monotonic() - start < 0.1

    def test_a_queued_trace_is_waited_for_at_most_the_budget(self) -> None:
        import time

        from tracer.queue import submit_trace
        from tracer.views.traces import wait_for_finish

        trace, _ = submit_trace(snapshot=self.snapshot, request={"url": "http://x"}, options={}, user=self.alice)
        start = time.monotonic()
        wait_for_finish(trace, 0.2)
        assert 0.2 <= time.monotonic() - start < 0.6 and trace.state == Trace.State.QUEUED

    def test_a_long_queued_trace_is_not_waited_for(self) -> None:
        import time
        from datetime import timedelta

        from django.utils import timezone

        from tracer.queue import submit_trace
        from tracer.views.traces import wait_for_finish

        trace, _ = submit_trace(snapshot=self.snapshot, request={"url": "http://x"}, options={}, user=self.alice)
        trace.queued_at = timezone.now() - timedelta(minutes=2)
        start = time.monotonic()
        wait_for_finish(trace, 2.0)
        assert time.monotonic() - start < 0.1
