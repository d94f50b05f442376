from __future__ import annotations

import json
from unittest.mock import patch

from django.core.files.uploadedfile import SimpleUploadedFile

from tracer import tasks
from tracer.models import ApiToken, Snapshot, Trace
from tracer.tasks import execute_trace

from .base import MANIFEST, BaseTestCase, make_snapshot


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
        with patch.object(tasks.run_trace, "apply_async") as apply_async, self.captureOnCommitCallbacks(execute=True):
            r = self.client.post(
                "/api/v1/traces",
                json.dumps(payload),
                content_type="application/json",
                headers=self.auth(self.alice_token),
            )
        assert r.status_code == 202
        body = r.json()
        assert body["state"] == "queued" and body["url"].endswith(f"/traces/{body['id']}/")
        apply_async.assert_called_once()
        url = f"/api/v1/traces/{body['id']}"
        r = self.client.get(url, headers=self.auth(self.bob_token))
        assert r.json()["trace"] is None and r.json()["state"] == "queued"
        execute_trace(body["id"], "w")
        got = self.client.get(url, headers=self.auth(self.alice_token)).json()
        assert got["state"] == "done" and got["trace"]["requests"][0]["status"] == 200
        assert got["request"]["headers"] == [["X-A", "1"]]
        assert "/t/" in got["share_url"]
        link = Trace.objects.get(pk=body["id"]).share_links.get()
        assert link.visibility == "workspace"
        # The same link is reused, and it is private.
        assert self.client.get(url, headers=self.auth(self.alice_token)).json()["share_url"] == got["share_url"]
        self.client.logout()
        assert self.client.get(link.get_absolute_url()).status_code == 302
        assert self.client.get(url, headers=self.auth(self.charlie_token)).status_code == 404

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
