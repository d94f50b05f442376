from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tracer.models import ApiToken, Scenario, ShareLink, Snapshot, Trace
from tracer.tasks import execute_trace

from .base import MANIFEST, BaseTestCase, broker, make_snapshot


class ApiTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        _, self.alice_token = ApiToken.issue(self.alice, "t", self.workspace)
        _, self.bob_token = ApiToken.issue(self.bob, "t", self.workspace)
        _, self.charlie_token = ApiToken.issue(self.charlie, "t")

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Token {token}"}

    def test_no_or_bad_token_is_401(self) -> None:
        for headers in ({}, self.auth("nope"), {"Authorization": "Basic abc"}):
            r = self.client.post(
                "/api/v1/snapshots", {"files": SimpleUploadedFile("m.yaml", MANIFEST)}, headers=headers
            )
            assert r.status_code == 401
        self.login(self.alice)  # a session is not enough
        assert self.client.get("/api/v1/snapshots").status_code == 401

    def test_upload_multipart(self) -> None:
        r = self.client.post(
            "/api/v1/snapshots",
            {"files": SimpleUploadedFile("m.yaml", MANIFEST), "name": "ci"},
            headers=self.auth(self.bob_token),
        )
        assert r.status_code == 201
        body = r.json()
        snap = Snapshot.objects.get(pk=body["id"])
        assert (body["name"], body["objects"], snap.workspace, snap.source) == ("ci", 4, self.workspace, "api")
        assert body["url"].endswith(snap.get_absolute_url())

    def test_upload_raw_body(self) -> None:
        r = self.client.post(
            "/api/v1/snapshots?name=raw", MANIFEST, content_type="application/yaml", headers=self.auth(self.alice_token)
        )
        assert r.status_code == 201 and r.json()["name"] == "raw"

    def test_upload_errors_are_400_with_location(self) -> None:
        r = self.client.post(
            "/api/v1/snapshots",
            {"files": SimpleUploadedFile("bad.yaml", b"kind: Service\nmetadata:\n  name: [x\n")},
            headers=self.auth(self.alice_token),
        )
        assert r.status_code == 400
        err = r.json()["errors"][0]
        assert set(err) == {"file", "document", "line", "field", "message"} and err["file"] == "bad.yaml"

    def test_list_and_get_snapshots(self) -> None:
        r = self.client.get("/api/v1/snapshots", headers=self.auth(self.bob_token))
        assert [s["id"] for s in r.json()["snapshots"]] == [str(self.snapshot.pk)]
        r = self.client.get(f"/api/v1/snapshots/{self.snapshot.pk}", headers=self.auth(self.bob_token))
        assert r.json()["objects"] == 4
        assert (
            self.client.get(f"/api/v1/snapshots/{self.snapshot.pk}", headers=self.auth(self.charlie_token)).status_code
            == 404
        )

    def test_create_and_get_trace(self) -> None:
        payload = {
            "snapshot": str(self.snapshot.pk),
            "request": {"method": "GET", "url": "http://shop.example.com/cart", "headers": {"X-A": "1"}},
            "options": {"assume_endpoints": True},
        }
        with broker() as send_task, self.captureOnCommitCallbacks(execute=True):
            r = self.client.post(
                "/api/v1/traces",
                json.dumps(payload),
                content_type="application/json",
                headers=self.auth(self.alice_token),
            )
        assert r.status_code == 202
        body = r.json()
        assert body["state"] == "queued" and body["url"].endswith(f"/traces/{body['id']}/")
        send_task.assert_called_once()
        url = f"/api/v1/traces/{body['id']}"
        r = self.client.get(url, headers=self.auth(self.bob_token))
        assert r.json()["trace"] is None and r.json()["state"] == "queued"
        execute_trace(body["id"], "w")
        got = self.client.get(url, headers=self.auth(self.alice_token)).json()
        assert got["state"] == "done" and got["trace"]["requests"][0]["status"] == 200
        assert got["request"]["headers"] == [["X-A", "1"]]
        # The POST made the private link; reading reports it.
        link = Trace.objects.get(pk=body["id"]).share_links.get()
        assert link.visibility == "workspace"
        assert got["share_url"] == body["share_url"] == f"http://testserver{link.get_absolute_url()}"
        self.client.logout()
        assert self.client.get(link.get_absolute_url()).status_code == 302  # private: anonymous -> login
        assert self.client.get(url, headers=self.auth(self.charlie_token)).status_code == 404

    def get_trace(self, trace_id: object) -> dict[str, object]:
        return self.client.get(f"/api/v1/traces/{trace_id}", headers=self.auth(self.alice_token)).json()

    def test_get_reports_the_existing_share_link_and_never_writes(self) -> None:
        trace = self.make_trace()
        assert self.get_trace(trace.pk)["share_url"] is None
        assert not ShareLink.objects.exists()
        link = trace.share_link(self.bob)
        rows = (ShareLink.objects.count(), Trace.objects.count(), Scenario.objects.count())
        for _ in range(2):
            assert self.get_trace(trace.pk)["share_url"] == f"http://testserver{link.get_absolute_url()}"
        assert (ShareLink.objects.count(), Trace.objects.count(), Scenario.objects.count()) == rows

    def test_get_leaves_a_revoked_link_revoked(self) -> None:
        trace_id = self.post_trace("http://shop.example.com/cart").json()["id"]
        link = ShareLink.objects.get(trace_id=trace_id)
        self.login(self.bob)
        assert self.client.post(f"/share/{link.token}/revoke/").status_code == 302  # a member revokes it
        for _ in range(2):
            assert self.get_trace(trace_id)["share_url"] is None
        assert ShareLink.objects.count() == 1
        link.refresh_from_db()
        assert link.revoked_at is not None

    def post_trace(self, request: object) -> Any:
        return self.client.post(
            "/api/v1/traces",
            json.dumps({"snapshot": str(self.snapshot.pk), "request": request}),
            content_type="application/json",
            headers=self.auth(self.alice_token),
        )

    def test_request_line_with_http_version_is_honoured(self) -> None:
        r = self.post_trace("GET https://shop.example.com/cart HTTP/1.0")
        assert r.status_code == 202, r.json()
        request = Trace.objects.get(pk=r.json()["id"]).scenario.request
        assert request == {"method": "GET", "url": "https://shop.example.com/cart", "http_version": "1.0"}
        execute_trace(r.json()["id"], "w")
        assert self.get_trace(r.json()["id"])["trace"]["requests"][0]["request"]["http_version"] == "1.0"

    def test_url_with_spaces_is_refused(self) -> None:
        for request in (
            {"url": "https://shop.example.com/my cart"},
            "GET https://shop.example.com/my cart HTTP/1.1",
            {"url": "GET https://shop.example.com/cart HTTP/1.0"},
        ):
            r = self.post_trace(request)
            assert r.status_code == 400, request
            assert "contains a space" in r.json()["error"] and r.json()["field"] == "url"
        assert not Trace.objects.exists()

    def test_trace_validation(self) -> None:
        def post(payload: object) -> int:
            return self.client.post(
                "/api/v1/traces",
                json.dumps(payload),
                content_type="application/json",
                headers=self.auth(self.alice_token),
            ).status_code

        assert post({"snapshot": str(self.snapshot.pk), "request": {"url": "ftp://x"}}) == 400
        assert (
            post({"snapshot": str(self.snapshot.pk), "request": {"url": "http://x"}, "options": {"controller": "nope"}})
            == 400
        )
        assert post({"snapshot": "not-a-uuid", "request": {"url": "http://x"}}) == 404
        foreign = make_snapshot(self.charlie.memberships.get().workspace, self.charlie)
        assert post({"snapshot": str(foreign.pk), "request": {"url": "http://x"}}) == 404
        assert (
            self.client.post(
                "/api/v1/traces", "{", content_type="application/json", headers=self.auth(self.alice_token)
            ).status_code
            == 400
        )

    def test_wrong_method(self) -> None:
        assert self.client.get("/api/v1/traces", headers=self.auth(self.alice_token)).status_code == 405
