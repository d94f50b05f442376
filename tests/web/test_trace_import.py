"""A trace-v1 JSON file imported as a trace: checked against the schema, viewed, downloaded and shared."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from tracer.engine import trace as engine_trace
from tracer.models import ShareLink, Snapshot, Trace

from .base import BaseTestCase

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _file(doc: object, name: str = "ci-trace.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(doc).encode(), content_type="application/json")


class TraceImportTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.login(self.alice)
        self.doc = engine_trace(str(EXAMPLES / "vscode-2-rewrite")).to_dict()

    def test_import_a_cli_trace_and_view_it(self) -> None:
        r = self.client.post("/traces/import/", {"file": _file(self.doc)})
        trace = Trace.objects.get(snapshot__source=Snapshot.Source.IMPORT)
        assert r.status_code == 302 and r["Location"] == trace.get_absolute_url()
        assert trace.state == Trace.State.DONE and trace.result == self.doc
        assert trace.scenario.journey == {"start": "http://198.51.100.20/vscode/?tkn=eomdZNpW", "method": "GET"}
        page = self.client.get(trace.get_absolute_url()).content.decode()
        assert 'data-testid="journey-summary"' in page and "404 Not Found" in page
        assert self.client.get(f"/traces/{trace.id}.md").status_code == 200
        assert self.client.get(f"/traces/{trace.id}.svg").status_code == 200
        snap = self.client.get(trace.snapshot.get_absolute_url()).content.decode()
        assert 'data-testid="imported-note"' in snap

    def test_an_imported_trace_is_shared_like_any_other(self) -> None:
        self.client.post("/traces/import/", {"file": _file(self.doc)})
        trace = Trace.objects.get(snapshot__source=Snapshot.Source.IMPORT)
        link = ShareLink.objects.create(trace=trace, visibility=ShareLink.Visibility.PUBLIC, created_by=self.alice)
        self.client.logout()
        assert self.client.get(link.get_absolute_url()).status_code == 200

    def test_not_json_names_line_and_column(self) -> None:
        r = self.client.post("/traces/import/", {"file": SimpleUploadedFile("x.json", b'{"schema": ')})
        assert r.status_code == 400 and "is not JSON" in r.content.decode() and "line 1" in r.content.decode()
        assert not Trace.objects.filter(snapshot__source=Snapshot.Source.IMPORT).exists()

    def test_infinity_and_deep_nesting_are_refused_not_a_server_error(self) -> None:
        text = json.dumps(self.doc).replace('"status": 404', '"status": Infinity', 1)
        assert "Infinity" in text
        r = self.client.post("/traces/import/", {"file": SimpleUploadedFile("x.json", text.encode())})
        assert r.status_code == 400 and "holds Infinity, which is not a JSON number" in r.content.decode()
        deep = b"[" * 100_000 + b"]" * 100_000
        r = self.client.post("/traces/import/", {"file": SimpleUploadedFile("deep.json", deep)})
        assert r.status_code == 400 and "nests its JSON too deeply" in r.content.decode()
        assert not Trace.objects.filter(snapshot__source=Snapshot.Source.IMPORT).exists()

    def test_a_schema_error_names_the_json_path(self) -> None:
        bad = json.loads(json.dumps(self.doc))
        bad["requests"][0]["hops"][0]["status"] = "four hundred"
        r = self.client.post("/traces/import/", {"file": _file(bad)})
        assert r.status_code == 400 and "requests[0].hops[0].status" in r.content.decode()

    def test_another_document_is_refused_with_what_it_is(self) -> None:
        r = self.client.post("/traces/import/", {"file": _file({"schema": "tracer/fix-walk-v1", "steps": []})})
        assert r.status_code == 400 and "is not a tracer/trace-v1 trace" in r.content.decode()

    def test_fixes_need_the_manifests(self) -> None:
        self.client.post("/traces/import/", {"file": _file(self.doc)})
        trace = Trace.objects.get(snapshot__source=Snapshot.Source.IMPORT)
        r = self.client.post(f"/traces/{trace.id}/fix/", {"r": 1, "d": 0}, follow=True)
        assert "without its manifests" in r.content.decode()


class ApiImportTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        from tracer.models import ApiToken

        _, self.token = ApiToken.issue(self.alice, "t", self.workspace)
        self.doc = engine_trace(str(EXAMPLES / "vscode-1-prefix")).to_dict()

    def test_api_import_answers_201_with_the_trace(self) -> None:
        r = self.client.post("/api/v1/traces/import?name=ci.json", json.dumps(self.doc),
                             content_type="application/json", headers={"Authorization": f"Token {self.token}"})
        assert r.status_code == 201, r.content
        body = r.json()
        assert body["state"] == "done" and body["trace"] == self.doc
        assert Trace.objects.get(pk=body["id"]).snapshot.name == "Imported: ci.json"

    def test_api_import_errors_name_the_field(self) -> None:
        bad = dict(self.doc, requests="nope")
        r = self.client.post("/api/v1/traces/import", json.dumps(bad), content_type="application/json",
                             headers={"Authorization": f"Token {self.token}"})
        assert r.status_code == 400 and r.json()["field"] == "requests"

    def test_api_import_needs_a_token(self) -> None:
        r = self.client.post("/api/v1/traces/import", json.dumps(self.doc), content_type="application/json")
        assert r.status_code == 401
