"""Apply fix and re-trace in the web app: a derived snapshot (the original untouched and linked), the same
scenario queued on it, and the before/after page; report 000 walked to green through the web."""

from __future__ import annotations

from pathlib import Path

from tracer.engine.fixes import first_fix
from tracer.models import Snapshot, SnapshotObject, Trace
from tracer.tasks import execute_trace

from .base import BaseTestCase, broker, run_trace_now

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _stage1(workspace: object, user: object) -> Snapshot:
    from tracer.uploads import load

    items = [(str(p.relative_to(EXAMPLES)), p.read_bytes()) for p in sorted((EXAMPLES / "vscode-1-prefix").glob("*.yaml"))]
    if not any(b"kind: AppProfile" in data for _, data in items):
        profile = EXAMPLES / "profiles" / "openvscode-server.yaml"
        items.append(("vscode-1-prefix/openvscode-server.yaml", profile.read_bytes()))
    return Snapshot.create_from_engine(load(items), workspace=workspace, name="vscode stage 1", created_by=user)


JOURNEY = {"journey": {"start": "http://198.51.100.20/vscode/?tkn=eomdZNpW"}}


class ApplyFixTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.stage1 = _stage1(self.workspace, self.alice)
        self.login(self.alice)

    def _fix_position(self, trace: Trace) -> tuple[int, int]:
        diag = first_fix(trace.result or {})
        assert diag is not None
        for r, req in enumerate(trace.result["requests"]):
            for d, found in enumerate(req["diagnoses"]):
                if found == diag:
                    return r, d
        raise AssertionError("the fix is not on any request")

    def _apply(self, trace: Trace) -> Trace:
        r, d = self._fix_position(trace)
        with broker():
            resp = self.client.post(f"/traces/{trace.id}/fix/", {"r": r, "d": d})
        assert resp.status_code == 302, resp.content[:300]
        after = Trace.objects.exclude(pk=trace.pk).latest("queued_at")
        assert resp["Location"] == f"/traces/{after.id}/compare/"
        execute_trace(str(after.pk), "test-worker")
        after.refresh_from_db()
        return after

    def test_trace_page_shows_the_patch_and_the_apply_button(self) -> None:
        trace = run_trace_now(self.stage1, self.alice, request=JOURNEY)
        html = self.client.get(f"/traces/{trace.id}/").content.decode()
        assert 'data-testid="patches"' in html and 'data-testid="apply-fix"' in html
        assert "rewrite-target" in html and "PREFIX_NOT_STRIPPED" in html

    def test_apply_fix_derives_a_snapshot_and_compares_before_and_after(self) -> None:
        before = run_trace_now(self.stage1, self.alice, request=JOURNEY)
        original_rows = list(SnapshotObject.objects.filter(snapshot=self.stage1).values_list("body_hash", flat=True))
        after = self._apply(before)
        derived = after.snapshot
        assert derived.pk != self.stage1.pk and derived.derived_from == self.stage1
        assert derived.derivation["code"] == "PREFIX_NOT_STRIPPED" and derived.derivation["trace"] == str(before.pk)
        assert after.before == before and after.state == Trace.State.DONE
        # The original is untouched.
        assert list(SnapshotObject.objects.filter(snapshot=self.stage1).values_list("body_hash", flat=True)) == original_rows
        ing = derived.k8s_objects.get(kind="Ingress", name="vscode").body
        assert ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/rewrite-target"] == "/$2"
        page = self.client.get(f"/traces/{after.id}/compare/").content.decode()
        assert 'data-testid="comparison"' in page and 'data-first="true"' in page
        assert "404 Not Found" in page and "302 Found" in page
        assert f'href="/snapshots/{self.stage1.id}/"' in page  # linked to the original

    def test_compare_polls_until_the_after_trace_is_done(self) -> None:
        before = run_trace_now(self.stage1, self.alice, request=JOURNEY)
        r, d = self._fix_position(before)
        with broker():
            self.client.post(f"/traces/{before.id}/fix/", {"r": r, "d": d})
        after = Trace.objects.exclude(pk=before.pk).latest("queued_at")
        pending = self.client.get(f"/traces/{after.id}/compare/", headers={"HX-Request": "true"})
        assert pending.status_code == 200 and "hx-trigger=" in pending.content.decode()
        execute_trace(str(after.pk), "test-worker")
        done = self.client.get(f"/traces/{after.id}/compare/", headers={"HX-Request": "true"})
        assert done.status_code == 286  # htmx: stop polling
        assert 'data-testid="after-outcome"' in done.content.decode()

    def test_000_walks_to_green_through_the_web(self) -> None:
        """Report 000_c153f9b53a907d82.txt: four fixes applied from the trace pages end with every request green."""
        trace = run_trace_now(self.stage1, self.alice, request=JOURNEY)
        codes = []
        for _ in range(6):
            if not any(r["status"] is None or r["status"] >= 400 or r.get("error") for r in trace.result["requests"]):
                break
            trace = self._apply(trace)
            codes.append(trace.snapshot.derivation["code"])
        assert codes == ["PREFIX_NOT_STRIPPED", "REDIRECT_ESCAPES_PREFIX", "ASSETS_OUTSIDE_PREFIX",
                         "COOKIE_PATH_NOT_COVERING"]
        statuses = [(r["step"]["cause"], r["status"]) for r in trace.result["requests"]]
        assert statuses == [("start", 302), ("redirect", 200), ("asset", 200), ("asset", 200), ("websocket", 101)]
        # The last fix moved the journey's start, and the scenario with it.
        assert trace.scenario.journey["start"].endswith("/stable-487e0b6eb726a84faf6b1a95c68a092fba078fd1/?tkn=eomdZNpW")

    def test_a_bad_fix_request_is_refused_with_a_message(self) -> None:
        trace = run_trace_now(self.stage1, self.alice, request=JOURNEY)
        resp = self.client.post(f"/traces/{trace.id}/fix/", {"r": 0, "d": 99}, follow=True)
        assert "no such diagnosis" in resp.content.decode()
        assert Snapshot.objects.filter(derived_from=self.stage1).count() == 0

    def test_outsiders_cannot_apply_fixes(self) -> None:
        trace = run_trace_now(self.stage1, self.alice, request=JOURNEY)
        self.login(self.charlie)
        assert self.client.post(f"/traces/{trace.id}/fix/", {"r": 0, "d": 0}).status_code == 404
        assert self.client.get(f"/traces/{trace.id}/compare/").status_code == 404
