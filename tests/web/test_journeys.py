"""Journeys in the web app: submitted by form and API, traced by the task, shown as a network-panel table.

The made-up app (journey_app.yaml, also uploaded by the browser walkthrough): notes.example.com behind ingress-nginx. /login redirects to /app and sets the cookie sid;
/app is a page with a script, a stylesheet the app does not serve (404) and a WebSocket that the
controller's 60 s read timeout cuts when the journey idles 90 s.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tracer.models import ApiToken, Scenario, Trace
from tracer.tasks import execute_trace

from .base import BaseTestCase, broker, make_snapshot, run_trace_now

NOTES_APP = (Path(__file__).parent / "journey_app.yaml").read_bytes()
START = "http://notes.example.com/login"
JOURNEY = {"start": START, "idleSeconds": 90}


def step_rows(html: str) -> list[str]:
    """The journey table's rows as text, tags stripped and spaces collapsed."""
    rows = re.findall(r'<tr data-testid="journey-step".*?</tr>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


class JourneyTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.notes = make_snapshot(self.workspace, self.alice, NOTES_APP, name="notes")
        self.login(self.alice)

    def form_data(self, **extra: Any) -> dict[str, Any]:
        data = {
            "mode": "journey",
            "url": START,
            "method": "GET",
            "http_version": "1.1",
            "idle_seconds": "90",
            "follow_redirects": "on",
            "load_assets": "on",
            "open_websockets": "on",
        }
        data.update(extra)
        return data


class SubmitTests(JourneyTestCase):
    def test_form_submits_a_journey_that_the_task_runs(self) -> None:
        with broker():
            r = self.client.post(f"/snapshots/{self.notes.id}/traces/", self.form_data())
        assert r.status_code == 302, r.content[:500]
        trace = Trace.objects.get(snapshot=self.notes)
        assert trace.scenario.request == {
            "journey": {
                "start": START,
                "method": "GET",
                "idleSeconds": 90.0,
                "followRedirects": True,
                "loadAssets": True,
                "openWebSockets": True,
                "favicon": False,
                "strictTLS": False,
            }
        }
        assert trace.scenario.label == f"Journey GET {START}"
        execute_trace(str(trace.pk), "w")
        trace.refresh_from_db()
        assert trace.state == Trace.State.DONE
        assert [r["step"]["cause"] for r in trace.result["requests"]] == [
            "start", "redirect", "asset", "asset", "websocket",
        ]

    def test_form_switches_reach_the_spec(self) -> None:
        with broker():
            self.client.post(f"/snapshots/{self.notes.id}/traces/", self.form_data(load_assets="", favicon="on"))
        spec = Scenario.objects.get().request["journey"]
        assert spec["loadAssets"] is False and spec["favicon"] is True

    def test_form_refuses_a_bad_start_on_its_field(self) -> None:
        r = self.client.post(f"/snapshots/{self.notes.id}/traces/", self.form_data(url="ftp://notes.example.com/"))
        assert r.status_code == 400
        assert "not ftp" in r.context["form"].errors["url"][0]
        assert not Trace.objects.filter(snapshot=self.notes).exists()

    def test_single_request_mode_is_unchanged(self) -> None:
        with broker():
            r = self.client.post(
                f"/snapshots/{self.notes.id}/traces/", {"url": START, "method": "GET", "http_version": "1.1"}
            )
        assert r.status_code == 302
        assert Scenario.objects.get().request == {"method": "GET", "url": START, "headers": [], "http_version": "1.1"}

    def api(self, payload: dict[str, Any]) -> Any:
        _, token = ApiToken.issue(self.alice, "t", self.workspace)
        with broker():
            return self.client.post(
                "/api/v1/traces",
                json.dumps(payload),
                content_type="application/json",
                headers={"Authorization": f"Token {token}"},
            )

    def test_api_accepts_a_journey(self) -> None:
        r = self.api({"snapshot": str(self.notes.id), "journey": {**JOURNEY, "favicon": True}})
        assert r.status_code == 202, r.content
        trace = Trace.objects.get(pk=r.json()["id"])
        assert trace.scenario.journey == {"start": START, "idleSeconds": 90, "favicon": True}
        execute_trace(str(trace.pk), "w")
        trace.refresh_from_db()
        body = trace.to_api()
        assert body["request"] is None and body["journey"]["start"] == START
        assert body["trace"]["requests"][-1]["request"]["url"] == "http://notes.example.com/favicon.ico"

    def test_api_names_the_bad_journey_field(self) -> None:
        cases = [
            ({**JOURNEY, "idleSeconds": -1}, "journey.idleSeconds"),
            ({**JOURNEY, "followRedirect": True}, "journey.followRedirect"),
            ({"idleSeconds": 1}, "journey.start"),
            ({**JOURNEY, "strictTLS": "yes"}, "journey.strictTLS"),
            ("http://notes.example.com/", "journey"),
        ]
        for journey, field in cases:
            r = self.api({"snapshot": str(self.notes.id), "journey": journey})
            assert r.status_code == 400, (journey, r.content)
            assert r.json()["field"] == field, r.json()
            assert "journey field" not in r.json()["error"]
        r = self.api({"snapshot": str(self.notes.id), "journey": JOURNEY, "request": {"url": START}})
        assert r.status_code == 400 and r.json()["field"] == "journey"
        assert not Trace.objects.filter(snapshot=self.notes).exists()


class ResultPageTests(JourneyTestCase):
    def test_steps_in_order_with_cause_status_blocked_cookies_and_socket(self) -> None:
        trace = run_trace_now(self.notes, self.alice, request={"journey": JOURNEY})
        r = self.client.get(trace.get_absolute_url())
        html = r.content.decode()
        assert 'data-testid="journey-table"' in html
        assert step_rows(html) == [
            "1 start GET /login 302 Found — — —",
            "2 redirect from #1 GET /app 200 OK — sid —",
            "3 asset of #2 GET /static/app.js 200 OK — sid —",
            "4 asset of #2 GET /static/app.css 404 Not Found first failure not used: failed status sid —",
            "5 WebSocket of #2 GET ws://notes.example.com/ws 101 Switching Protocols — sid closed after 60 s (1006)",
        ]
        # The table comes before the per-request sections, each of which it links to.
        assert html.index("journey-table") < html.index('data-testid="trace-request"')
        for r_index in range(5):
            assert f'id="request-{r_index}"' in html and f'href="#request-{r_index}"' in html
        # Only the first failure is highlighted and named; the closed socket fails too.
        assert html.count('class="failing first-failure"') == 1
        assert re.search(r'data-step="4" data-ok="no" class="failing first-failure"', html)
        assert re.search(r'data-step="5" data-ok="no" class="failing"', html)
        assert re.search(r'href="#request-3" data-testid="journey-first-failure">#4 GET /static/app.css', html)

    def test_a_journey_without_failure_says_so(self) -> None:
        journey = {"start": START, "loadAssets": False}  # the socket opens as if the scripts had run; idle 0
        trace = run_trace_now(self.notes, self.alice, request={"journey": journey})
        html = self.client.get(trace.get_absolute_url()).content.decode()
        rows = step_rows(html)
        assert rows[-1].endswith("sid open"), rows
        assert "Every request of the journey succeeded." in html and "first-failure" not in html

    def test_single_request_trace_page_has_no_journey_parts(self) -> None:
        trace = self.make_trace()
        html = self.client.get(trace.get_absolute_url()).content.decode()
        for part in ("journey-summary", "journey-table", 'id="request-', "request-step"):
            assert part not in html, part
        assert html.count('data-testid="trace-request"') == 1

    def test_shared_journey_page_shows_the_table(self) -> None:
        trace = run_trace_now(self.notes, self.alice, request={"journey": JOURNEY})
        link = trace.share_link(self.alice)
        html = self.client.get(link.get_absolute_url()).content.decode()
        assert len(step_rows(html)) == 5


class SnapshotJourneyTests(JourneyTestCase):
    def test_snapshot_page_lists_its_journeys(self) -> None:
        html = self.client.get(self.notes.get_absolute_url()).content.decode()
        assert 'data-testid="snapshot-journeys"' in html
        assert "login" in html and f"GET {START}" in html and "Trace this journey" in html

    def test_snapshot_without_journeys_shows_no_list(self) -> None:
        html = self.client.get(self.snapshot.get_absolute_url()).content.decode()
        assert "snapshot-journeys" not in html

    def test_trace_this_journey(self) -> None:
        with broker():
            r = self.client.post(f"/snapshots/{self.notes.id}/traces/", {"journey_document": "login"})
        trace = Trace.objects.get(snapshot=self.notes)
        assert r.status_code == 302 and r["Location"] == trace.get_absolute_url()
        assert trace.scenario.journey == {"start": START, "idleSeconds": 90}
        r = self.client.post(f"/snapshots/{self.notes.id}/traces/", {"journey_document": "nope"})
        assert r.status_code == 404
