"""Iterating on a trace: edit and trace again (the form prefilled from a request or a journey), follow a
redirect (method and URL as a browser computes them), compare any two traces of a workspace, re-runs that
know their original, and the snapshot diff's list of saved requests whose outcome changes."""

from __future__ import annotations

from typing import Any
from unittest import mock

from tracer import compare
from tracer.models import Membership, Scenario, Snapshot, Trace
from tracer.scenario_prefill import follow_redirect
from tracer.tasks import execute_trace

from .base import MANIFEST, BaseTestCase, make_snapshot, run_trace_now

# The app behind shop.example.com answers these paths with redirects (docs/app-profiles.md).
PROFILE = b"""\
---
apiVersion: tracer.dev/v1alpha1
kind: AppProfile
metadata: {name: web, namespace: shop}
spec:
  selector: {service: web}
  routes:
  - path: {exact: /r301}
    respond: {status: 301, headers: {Location: /next}}
  - path: {exact: /a/r302}
    respond: {status: 302, headers: {Location: "next?from=302"}}
  - path: {exact: /r303}
    respond: {status: 303, headers: {Location: "https://other.example.com/done"}}
  - path: {exact: /r307}
    respond: {status: 307, headers: {Location: "/next?x=1"}}
  - path: {exact: /r308}
    respond: {status: 308, headers: {Location: "//shop.example.com/next"}}
  - path: {exact: /loop}
    respond: {status: 302, headers: {Location: /loop}}
  - path: {exact: /bare}
    respond: {status: 302}
  - path: {prefix: /}
    respond: {status: 200}
"""
# The same cluster with the Service's port moved: the Ingress's backend port no longer exists.
BROKEN = MANIFEST.replace(b"ports: [{port: 80, targetPort: 8080}]", b"ports: [{port: 81, targetPort: 8080}]")

JOURNEY = {
    "journey": {
        "start": "http://shop.example.com/r301",
        "method": "GET",
        "headers": ["X-Team: blue"],
        "httpVersion": "2",
        "clientIP": "198.51.100.9",
        "idleSeconds": 2,
        "followRedirects": False,
        "favicon": True,
        "cookies": {"sid": "abc"},
    }
}


class IterateBase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.redirects = make_snapshot(self.workspace, self.alice, MANIFEST + PROFILE, name="redirects")
        self.login(self.alice)

    def trace(self, request: dict[str, Any], snapshot: Snapshot | None = None, **options: Any) -> Trace:
        return run_trace_now(snapshot or self.redirects, self.alice, request=request, **options)

    def latest(self) -> Trace:
        return Trace.objects.latest("queued_at")


class EditAndTraceAgainTests(IterateBase):
    def test_the_form_is_prefilled_with_the_request(self) -> None:
        trace = self.trace(
            {"method": "PUT", "url": "http://shop.example.com/next", "headers": [["X-Canary", "always"]],
             "http_version": "1.0", "client_ip": "198.51.100.7", "body_bytes": 12},
            controller="ingress-nginx", seed=3, assume_endpoints=True,
        )
        r = self.client.get(f"/traces/{trace.id}/edit/")
        assert r.status_code == 200
        form = r.context["form"]
        assert form.initial == {
            "mode": "request", "url": "http://shop.example.com/next", "method": "PUT", "headers": "X-Canary: always",
            "http_version": "1.0", "client_ip": "198.51.100.7", "body_bytes": 12,
            "controller": "ingress-nginx", "assume_endpoints": True, "seed": 3,
        }
        html = r.content.decode()
        assert 'value="http://shop.example.com/next"' in html and "X-Canary: always</textarea>" in html
        assert '<option value="PUT" selected>' in html and '<option value="1.0" selected>' in html
        assert f'<option value="{self.redirects.id}" selected>' in html  # the trace's snapshot by default
        assert 'data-testid="edit-keep-extras"' not in html  # nothing the form cannot show

    def test_the_form_is_prefilled_with_the_journey_and_keeps_its_cookies(self) -> None:
        trace = self.trace(JOURNEY)
        r = self.client.get(f"/traces/{trace.id}/edit/")
        initial = r.context["form"].initial
        assert initial["mode"] == "journey" and initial["url"] == "http://shop.example.com/r301"
        assert initial["headers"] == "X-Team: blue" and initial["http_version"] == "2"
        assert initial["client_ip"] == "198.51.100.9" and initial["idle_seconds"] == 2
        assert (initial["follow_redirects"], initial["load_assets"], initial["favicon"], initial["strict_tls"]) == (
            False, True, True, False)
        self.assertContains(r, 'data-testid="edit-keep-extras"')
        self.assertContains(r, '<span class="mono">cookies</span>')
        form = {"snapshot": str(self.redirects.id), "mode": "journey", "url": "http://shop.example.com/next",
                "method": "GET", "headers": "X-Team: blue", "http_version": "2", "client_ip": "198.51.100.9",
                "idle_seconds": "2", "favicon": "on", "keep_extras": "1"}
        r = self.client.post(f"/traces/{trace.id}/edit/", form)
        new = self.latest()
        self.assertRedirects(r, new.get_absolute_url(), fetch_redirect_response=False)
        spec = new.scenario.journey
        assert spec is not None and spec["start"] == "http://shop.example.com/next"
        assert spec["cookies"] == {"sid": "abc"} and spec["followRedirects"] is False and spec["favicon"] is True
        assert new.before == trace and new.snapshot == self.redirects
        # Without the switch the kept fields go.
        del form["keep_extras"]
        self.client.post(f"/traces/{trace.id}/edit/", form)
        assert "cookies" not in (self.latest().scenario.journey or {})

    def test_an_edit_traces_on_the_chosen_snapshot_and_links_back(self) -> None:
        trace = self.trace({"method": "GET", "url": "http://shop.example.com/r301"})
        other = make_snapshot(self.workspace, self.alice, name="plain")
        r = self.client.post(f"/traces/{trace.id}/edit/", {
            "snapshot": str(other.id), "mode": "request", "url": "http://shop.example.com/next", "method": "GET",
            "http_version": "1.1"})
        new = self.latest()
        self.assertRedirects(r, new.get_absolute_url(), fetch_redirect_response=False)
        assert new.snapshot == other and new.before == trace and new.scenario != trace.scenario
        execute_trace(str(new.pk), "test-worker")
        page = self.client.get(new.get_absolute_url()).content.decode()
        assert 'data-testid="trace-origin"' in page and "Edited from" in page
        assert f'href="/traces/{new.id}/compare/"' in page
        compare_page = self.client.get(f"/traces/{new.id}/compare/").content.decode()
        assert "Side by side" in compare_page and 'data-testid="fix-applied"' not in compare_page
        assert "Original" in compare_page and "Edited" in compare_page
        # What the two ask differently: only the URL (the method, version and options are the same).
        assert compare_page.count('data-testid="compare-asked-row"') == 1
        assert "http://shop.example.com/r301" in compare_page and "301 Moved Permanently" in compare_page

    def test_an_unchanged_edit_reuses_the_scenario(self) -> None:
        trace = self.trace({"method": "GET", "url": "http://shop.example.com/next"})
        self.client.post(f"/traces/{trace.id}/edit/", {
            "snapshot": str(self.redirects.id), "mode": "request", "url": "http://shop.example.com/next",
            "method": "GET", "http_version": "1.1"})
        assert self.latest().scenario == trace.scenario

    def test_a_bad_edit_shows_the_form_again_with_the_error(self) -> None:
        trace = self.trace({"method": "GET", "url": "http://shop.example.com/next"})
        count = Trace.objects.count()
        r = self.client.post(f"/traces/{trace.id}/edit/", {
            "snapshot": str(self.redirects.id), "mode": "request", "url": "http://shop.example.com/a b",
            "method": "GET", "http_version": "1.1"})
        assert r.status_code == 400 and Trace.objects.count() == count
        self.assertContains(r, 'data-testid="edit-form"', status_code=400)

    def test_who_may_edit(self) -> None:
        trace = self.trace({"method": "GET", "url": "http://shop.example.com/next"})
        foreign = make_snapshot(self.charlie.memberships.get().workspace, self.charlie, name="foreign")
        form = {"snapshot": str(foreign.id), "mode": "request", "url": "http://shop.example.com/next",
                "method": "GET", "http_version": "1.1"}
        assert self.client.post(f"/traces/{trace.id}/edit/", form).status_code == 404  # not her snapshot
        self.login(self.charlie)
        assert self.client.get(f"/traces/{trace.id}/edit/").status_code == 404
        reader = self.bob
        Membership.objects.filter(user=reader, workspace=self.workspace).update(role=Membership.Role.READONLY)
        self.login(reader)
        assert self.client.get(f"/traces/{trace.id}/edit/").status_code == 403
        form["snapshot"] = str(self.redirects.id)
        assert self.client.post(f"/traces/{trace.id}/edit/", form).status_code == 403
        page = self.client.get(trace.get_absolute_url()).content.decode()
        assert 'data-testid="edit-retrace"' not in page


class FollowRedirectTests(IterateBase):
    def follow(self, method: str, path: str, **extra: Any) -> tuple[Trace, Trace]:
        trace = self.trace({"method": method, "url": f"http://shop.example.com{path}", **extra})
        r = self.client.post(f"/traces/{trace.id}/follow/")
        new = self.latest()
        self.assertRedirects(r, new.get_absolute_url(), fetch_redirect_response=False)
        assert new.before == trace and new.snapshot == trace.snapshot
        return trace, new

    def test_method_and_url_follow_rfc_9110_as_browsers_do(self) -> None:
        cases = [
            ("POST", "/r301", "GET", "http://shop.example.com/next"),
            ("PUT", "/r301", "PUT", "http://shop.example.com/next"),  # only POST becomes GET on 301/302
            ("POST", "/a/r302", "GET", "http://shop.example.com/a/next?from=302"),  # relative to the path
            ("PUT", "/r303", "GET", "https://other.example.com/done"),
            ("HEAD", "/r303", "HEAD", "https://other.example.com/done"),
            ("POST", "/r307", "POST", "http://shop.example.com/next?x=1"),
            ("POST", "/r308", "POST", "http://shop.example.com/next"),  # scheme-relative
        ]
        for method, path, want_method, want_url in cases:
            with self.subTest(f"{method} {path}"):
                _, new = self.follow(method, path)
                assert (new.scenario.request["method"], new.scenario.request["url"]) == (want_method, want_url)

    def test_a_method_turned_get_drops_the_body_and_another_host_the_credentials(self) -> None:
        headers = [["Content-Type", "application/json"], ["Authorization", "Bearer x"], ["X-Team", "blue"]]
        _, new = self.follow("POST", "/r303", headers=headers, body_bytes=20)
        assert new.scenario.request["headers"] == [["X-Team", "blue"]] and "body_bytes" not in new.scenario.request
        _, kept = self.follow("POST", "/r307", headers=headers, body_bytes=20)
        assert kept.scenario.request["headers"] == headers and kept.scenario.request["body_bytes"] == 20

    def test_the_trace_page_offers_the_next_request_and_the_new_one_links_back(self) -> None:
        trace = self.trace({"method": "POST", "url": "http://shop.example.com/r303"})
        page = self.client.get(trace.get_absolute_url()).content.decode()
        assert 'data-testid="follow-redirect"' in page and "303 See Other" in page
        assert "GET https://other.example.com/done" in page
        self.client.post(f"/traces/{trace.id}/follow/")
        new = self.latest()
        execute_trace(str(new.pk), "test-worker")
        page = self.client.get(new.get_absolute_url()).content.decode()
        assert "Redirected from" in page and f'href="{trace.get_absolute_url()}"' in page
        assert compare.pair_relation(trace, Trace.objects.get(pk=new.pk)) == "redirect"
        original = self.client.get(trace.get_absolute_url()).content.decode()
        assert 'data-testid="trace-later"' in original and "redirect followed" in original

    def test_nothing_to_follow(self) -> None:
        for request in ({"method": "GET", "url": "http://shop.example.com/next"},
                        {"method": "GET", "url": "http://shop.example.com/bare"}):
            trace = self.trace(request)
            assert follow_redirect(trace) is None
            page = self.client.get(trace.get_absolute_url()).content.decode()
            assert 'data-testid="follow-redirect"' not in page
            r = self.client.post(f"/traces/{trace.id}/follow/", follow=True)
            self.assertContains(r, "no redirect to follow")
        loop = self.trace({"method": "GET", "url": "http://shop.example.com/loop"})
        page = self.client.get(loop.get_absolute_url()).content.decode()
        assert 'data-testid="follow-redirect"' not in page and "leads back to this same request" in page
        # A journey follows redirects itself.
        journey = self.trace({"journey": {"start": "http://shop.example.com/r301", "followRedirects": False}})
        assert journey.result["requests"][-1]["status"] == 301 and follow_redirect(journey) is None
        page = self.client.get(journey.get_absolute_url()).content.decode()
        assert 'data-testid="follow-redirect"' not in page and 'data-testid="edit-retrace"' in page

    def test_outsiders_and_readers_cannot_follow(self) -> None:
        trace = self.trace({"method": "GET", "url": "http://shop.example.com/r301"})
        count = Trace.objects.count()
        self.login(self.charlie)
        assert self.client.post(f"/traces/{trace.id}/follow/").status_code == 404
        Membership.objects.filter(user=self.bob).update(role=Membership.Role.READONLY)
        self.login(self.bob)
        assert self.client.post(f"/traces/{trace.id}/follow/").status_code == 403
        assert Trace.objects.count() == count
        page = self.client.get(trace.get_absolute_url()).content.decode()
        assert 'data-testid="follow-redirect"' not in page and "301 Moved Permanently" in page


class CompareAnyTwoTests(IterateBase):
    def test_two_traces_of_the_workspace_side_by_side(self) -> None:
        a = self.trace({"method": "GET", "url": "http://shop.example.com/next"})
        b = self.trace({"method": "GET", "url": "http://shop.example.com/r301"})
        r = self.client.get(f"/traces/{b.id}/compare/?with={a.id}")
        assert r.status_code == 200
        html = r.content.decode()
        assert "Side by side" in html and 'data-testid="fix-applied"' not in html
        assert 'data-first="true"' in html and "200 OK" in html and "301 Moved Permanently" in html
        assert 'data-testid="compare-hops"' in html
        assert "Other trace" in html and "This trace" in html

    def test_it_polls_until_both_are_finished(self) -> None:
        a = self.trace({"method": "GET", "url": "http://shop.example.com/next"})
        r = self.client.post(f"/traces/{a.id}/rerun/", {"snapshot": str(self.snapshot.id)})
        b = self.latest()
        self.assertRedirects(r, f"/traces/{b.id}/compare/", fetch_redirect_response=False)
        pending = self.client.get(f"/traces/{a.id}/compare/?with={b.id}", headers={"HX-Request": "true"})
        assert pending.status_code == 200 and f"?with={b.id}" in pending.content.decode()
        execute_trace(str(b.pk), "test-worker")
        done = self.client.get(f"/traces/{a.id}/compare/?with={b.id}", headers={"HX-Request": "true"})
        assert done.status_code == 286

    def test_a_request_that_differs_only_in_its_hops_is_marked(self) -> None:
        """Same status on both sides, another Service behind it (a canary header): the row and the hop differ."""
        def result(service: str) -> dict[str, Any]:
            hops = [{"component": "controller", "name": "nginx", "status": 200, "outcome": "forward"},
                    {"component": "service", "name": service, "status": 200, "outcome": "forward"}]
            return {"requests": [{"request": {"method": "GET", "url": "https://x/"}, "status": 200, "hops": hops}]}

        same = compare.compare(result("shop/web"), result("shop/web"))
        assert same["first"] is None and same["hops"] == []
        found = compare.compare(result("shop/web"), result("shop/web-canary"))
        assert found["first"] == 0 and found["rows"][0]["first"]
        assert [h["first"] for h in found["hops"]] == [False, True]
        assert found["before"] == found["after"] == {"ok": True, "text": "200 OK"}

    def test_permissions(self) -> None:
        a = self.trace({"method": "GET", "url": "http://shop.example.com/next"})
        charlies = run_trace_now(make_snapshot(self.charlie.memberships.get().workspace, self.charlie), self.charlie)
        assert self.client.get(f"/traces/{a.id}/compare/?with={charlies.id}").status_code == 404
        assert self.client.get(f"/traces/{a.id}/compare/?with=not-a-uuid").status_code == 404
        self.login(self.charlie)
        assert self.client.get(f"/traces/{a.id}/compare/?with={a.id}").status_code == 404
        assert self.client.get(f"/traces/{charlies.id}/compare/?with={a.id}").status_code == 404
        self.login(self.bob)  # a member, even read-only, may look
        Membership.objects.filter(user=self.bob).update(role=Membership.Role.READONLY)
        assert self.client.get(f"/traces/{a.id}/compare/?with={a.id}").status_code == 200
        # Without ?with= and without an original there is nothing to compare with.
        r = self.client.get(f"/traces/{a.id}/compare/")
        self.assertRedirects(r, a.get_absolute_url(), fetch_redirect_response=False)


class RerunTests(IterateBase):
    def test_a_rerun_on_another_snapshot_opens_side_by_side(self) -> None:
        original = self.trace({"method": "GET", "url": "http://shop.example.com/r301"})
        r = self.client.post(f"/traces/{original.id}/rerun/", {"snapshot": str(self.snapshot.id)})
        new = self.latest()
        self.assertRedirects(r, f"/traces/{new.id}/compare/", fetch_redirect_response=False)
        assert new.before == original and new.scenario == original.scenario
        execute_trace(str(new.pk), "test-worker")
        html = self.client.get(f"/traces/{new.id}/compare/").content.decode()
        assert f"Side by side: {self.redirects.name} → {self.snapshot.name}" in html
        assert "301 Moved Permanently" in html and "200 OK" in html and 'data-first="true"' in html
        page = self.client.get(new.get_absolute_url()).content.decode()
        assert "Re-run of" in page and "Compare with the original" in page
        assert f'href="/traces/{new.id}/compare/"' in page

    def test_a_rerun_on_the_same_snapshot_opens_the_trace(self) -> None:
        original = self.trace({"method": "GET", "url": "http://shop.example.com/next"})
        r = self.client.post(f"/traces/{original.id}/rerun/", {"snapshot": str(self.redirects.id)})
        new = self.latest()
        self.assertRedirects(r, new.get_absolute_url(), fetch_redirect_response=False)
        assert new.before == original


class DiffOutcomesTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.broken = make_snapshot(self.workspace, self.alice, BROKEN, name="broken")
        self.cart = run_trace_now(self.snapshot, self.alice, "http://shop.example.com/cart")
        self.nowhere = run_trace_now(self.broken, self.alice, "http://nowhere.example.com/")  # 404 on both
        self.login(self.alice)

    def outcomes(self, **query: str) -> str:
        r = self.client.get(f"/snapshots/{self.snapshot.id}/diff/",
                            {"other": str(self.broken.id), "outcomes": "1", **query}, headers={"HX-Request": "true"})
        assert r.status_code == 200 and b"<html" not in r.content
        return r.content.decode()

    def test_the_page_asks_for_the_outcomes_on_its_own(self) -> None:
        r = self.client.get(f"/snapshots/{self.snapshot.id}/diff/", {"other": str(self.broken.id)})
        html = r.content.decode()
        assert 'data-testid="diff-result"' in html and 'data-testid="diff-outcomes"' in html
        assert 'hx-trigger="load"' in html and 'data-testid="outcome-change"' not in html
        # Without JavaScript the link runs them in the page itself.
        full = self.client.get(f"/snapshots/{self.snapshot.id}/diff/",
                               {"other": str(self.broken.id), "outcomes": "1"}).content.decode()
        assert 'data-testid="diff-result"' in full and 'data-testid="outcome-change"' in full

    def test_it_lists_the_requests_whose_outcome_changes(self) -> None:
        html = self.outcomes()
        assert "Ran 2 of the 2 requests" in html and 'data-testid="diff-outcomes-skipped"' not in html
        assert html.count('data-testid="outcome-change"') == 1
        assert "GET http://shop.example.com/cart" in html and "nowhere.example.com" not in html
        assert "200 OK" in html and "503 Service Unavailable" in html

    def test_it_respects_the_budget(self) -> None:
        with mock.patch.object(compare, "OUTCOME_SCENARIO_LIMIT", 1):
            html = self.outcomes()
        assert "Ran 1 of the 2 requests" in html and "1 skipped" in html
        # Newest first: the request traced last (nowhere, unchanged) is the one run.
        assert 'data-testid="outcome-change"' not in html
        with mock.patch.object(compare, "OUTCOME_SECONDS", 0.0):
            found = compare.outcome_changes(self.snapshot, self.broken)
        assert (found.total, found.compared, found.skipped) == (2, 1, 1)

    def test_trace_on_the_other_snapshot_and_compare(self) -> None:
        html = self.outcomes()
        assert 'data-testid="outcome-trace-compare"' in html and f"Trace on {self.broken.name} and compare" in html
        r = self.client.post(f"/snapshots/{self.snapshot.id}/diff/compare/",
                             {"other": str(self.broken.id), "scenario": str(self.cart.scenario_id)})
        right = Trace.objects.get(snapshot=self.broken, scenario=self.cart.scenario)
        self.assertRedirects(r, f"/traces/{right.id}/compare/?with={self.cart.id}", fetch_redirect_response=False)
        assert right.before == self.cart
        execute_trace(str(right.pk), "test-worker")
        # Now both exist: the list links straight to the comparison.
        assert f"/traces/{right.id}/compare/?with={self.cart.id}" in self.outcomes()
        page = self.client.get(f"/traces/{right.id}/compare/?with={self.cart.id}").content.decode()
        assert "200 OK" in page and "503 Service Unavailable" in page

    def test_permissions(self) -> None:
        post = {"other": str(self.broken.id), "scenario": str(self.cart.scenario_id)}
        self.login(self.charlie)
        assert self.client.post(f"/snapshots/{self.snapshot.id}/diff/compare/", post).status_code == 404
        Membership.objects.filter(user=self.bob).update(role=Membership.Role.READONLY)
        self.login(self.bob)
        assert self.client.post(f"/snapshots/{self.snapshot.id}/diff/compare/", post).status_code == 403
        assert 'data-testid="outcome-trace-compare"' not in self.outcomes()
        self.login(self.alice)
        foreign = Scenario.objects.create(workspace=self.charlie.memberships.get().workspace,
                                          request={"method": "GET", "url": "http://x/"})
        post["scenario"] = str(foreign.id)
        assert self.client.post(f"/snapshots/{self.snapshot.id}/diff/compare/", post).status_code == 404
