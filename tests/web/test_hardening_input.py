"""Issue 11: strict API validation (400 with field errors), control characters escaped in every output,
manifests with impossible numbers refused at upload, and caps with "show the rest" on huge names and values."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from xml.etree import ElementTree

from django.core.files.uploadedfile import SimpleUploadedFile

from tracer.engine.comparison import render_comparison
from tracer.engine.printable import printable
from tracer.engine.textreport import render_text
from tracer.forms import ScenarioForm
from tracer.models import ApiToken, Snapshot, Trace

from .base import BaseTestCase, make_snapshot, run_trace_now


class StrictApiTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        _, self.token = ApiToken.issue(self.alice, "t", self.workspace)

    def post_raw(self, body: str | bytes) -> Any:
        return self.client.post(
            "/api/v1/traces", body, content_type="application/json", headers={"Authorization": f"Token {self.token}"}
        )

    def post(self, request: Any = None, options: Any = None, **extra: Any) -> Any:
        payload: dict[str, Any] = {"snapshot": str(self.snapshot.pk), **extra}
        if request is not None:
            payload["request"] = request
        if options is not None:
            payload["options"] = options
        return self.post_raw(json.dumps(payload))

    def assert_refused(self, response: Any, field: str) -> dict[str, Any]:
        assert response.status_code == 400, (response.status_code, response.content[:300])
        body = response.json()
        fields = [e["field"] for e in body["errors"]]
        assert field in fields, body
        assert body["field"] == fields[0] and body["error"] == body["errors"][0]["message"]
        for e in body["errors"]:  # people's words: never a Python literal
            assert not any(word in e["message"] for word in ("None", "True", "False", "'abc'")), e
        return body

    def test_non_finite_numbers_are_refused_with_their_field(self) -> None:
        snap = str(self.snapshot.pk)
        cases = {
            "body_bytes": f'{{"snapshot": "{snap}", "request": {{"url": "http://shop.example.com/", "body_bytes": Infinity}}}}',
            "options.seed": f'{{"snapshot": "{snap}", "request": "GET http://shop.example.com/", "options": {{"seed": Infinity}}}}',
            "options.seed ": f'{{"snapshot": "{snap}", "request": "GET http://shop.example.com/", "options": {{"seed": NaN}}}}',
            "body_bytes ": f'{{"snapshot": "{snap}", "request": {{"url": "http://shop.example.com/", "body_bytes": 1e999}}}}',
        }
        for field, body in cases.items():
            self.assert_refused(self.post_raw(body), field.strip())
        huge = f'{{"snapshot": "{snap}", "request": "GET http://shop.example.com/", "options": {{"seed": {"9" * 5000}}}}}'
        self.assert_refused(self.post_raw(huge), "options.seed")
        assert not Trace.objects.filter(scenario__request__url="http://shop.example.com/").exists()

    def test_wrong_types_are_refused_not_accepted_or_crashing(self) -> None:
        url = "http://shop.example.com/cart"
        before = Trace.objects.count()
        self.assert_refused(self.post({"url": url}, {"app_profiles": "abc"}), "options.app_profiles")
        self.assert_refused(self.post({"url": url}, {"app_profiles": "/etc"}), "options.app_profiles")  # no server paths
        self.assert_refused(self.post({"url": url}, {"faults": 5}), "options.faults")
        self.assert_refused(self.post({"url": url, "sni": 5}), "sni")
        body = self.assert_refused(self.post({"url": url}, {"assume_endpoints": "no"}), "options.assume_endpoints")
        assert 'not the text "no"' in body["error"]
        self.assert_refused(self.post({"url": url, "headers": {"X-A": {"nested": 1}}}), "headers.X-A")
        self.assert_refused(self.post({"url": url, "headers": [["X-A", 1, 2]]}), "headers[0]")
        self.assert_refused(self.post({"url": url, "headers": 5}), "headers")
        self.assert_refused(self.post({"url": url, "headers": [True]}), "headers[0]")
        self.assert_refused(self.post({"url": url, "bodybytes": 5}), "bodybytes")  # a misspelt field
        self.assert_refused(self.post({"url": url}, ignored=1), "ignored")
        self.assert_refused(self.post({"url": url}, {"seed": 2**64}), "options.seed")
        self.assert_refused(self.post({"url": url, "body_bytes": -1}), "body_bytes")
        self.assert_refused(self.post(journey={"start": url, "idleSeconds": "soon"}), "journey.idleSeconds")
        assert Trace.objects.count() == before

    def test_all_problems_are_listed(self) -> None:
        r = self.post({"url": "http://shop.example.com/", "sni": 5}, {"seed": "x", "assume_endpoints": "no"})
        body = self.assert_refused(r, "sni")
        assert {e["field"] for e in body["errors"]} == {"sni", "options.seed", "options.assume_endpoints"}

    def test_deep_body_is_400_not_500(self) -> None:
        self.assert_refused(self.post_raw(b"[" * 100_000 + b"]" * 100_000), "body")
        deep = '{"a": ' * 200 + "1" + "}" * 200  # parses, then refused by depth
        self.assert_refused(self.post_raw(deep), "body")

    def test_urls_have_a_cap(self) -> None:
        long = "http://shop.example.com/" + "a" * 9000
        self.assert_refused(self.post({"url": long}), "url")
        self.assert_refused(self.post(f"GET {long}"), "request")
        self.assert_refused(self.post(journey={"start": long}), "journey.start")
        self.assert_refused(self.post({"url": "http://shop.example.com/" + "a" * 1_000_000}), "url")

    def test_body_size_cap(self) -> None:
        r = self.post({"url": "http://shop.example.com/", "headers": {"X": "a" * 3_000_000}})
        self.assert_refused(r, "body")

    def test_a_good_request_still_passes(self) -> None:
        r = self.post(
            {"url": "http://shop.example.com/", "headers": [["X-A", "1"], "X-B: 2"], "body_bytes": 10, "sni": "a"},
            {"seed": 3, "assume_endpoints": True, "controller": None},
        )
        assert r.status_code == 202, r.json()


class FormValidationTestCase(BaseTestCase):
    def form(self, **data: Any) -> ScenarioForm:
        base = {"mode": "request", "url": "http://shop.example.com/", "method": "GET", "http_version": "1.1"}
        return ScenarioForm({**base, **data})

    def test_form_caps_whole_numbers_as_the_api_does(self) -> None:
        assert self.form().is_valid()
        for field in ("seed", "body_bytes"):
            form = self.form(**{field: str(2**64)})
            assert not form.is_valid() and field in form.errors, form.errors
        assert not self.form(body_bytes="Infinity").is_valid()

    def test_form_refuses_a_url_over_the_cap_in_the_shared_validator(self) -> None:
        from tracer.request_spec import SpecError, clean_request

        try:
            clean_request("GET http://a.example.com/" + "a" * 9000)
        except SpecError as exc:
            assert exc.field == "url" and "8192" in exc.message
        else:
            raise AssertionError("a 9 KB URL was accepted")


class ImpossibleNumbersUploadTestCase(BaseTestCase):
    BAD = {
        "inf.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec:\n  replicas: .inf\n",
        "big.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec:\n  n: " + b"9" * 5000 + b"\n",
        "nan.json": b'{"apiVersion": "v1", "kind": "ConfigMap",\n "metadata": {"name": "a"}, "spec": {"v": NaN}}',
    }

    def test_upload_page_names_file_and_line_and_stores_nothing(self) -> None:
        self.login(self.alice)
        before = Snapshot.objects.count()
        for name, content in self.BAD.items():
            r = self.client.post("/snapshots/upload/", {"files": [SimpleUploadedFile(name, content)]})
            assert r.status_code in (400, 422), (name, r.status_code)
            self.assertContains(r, name, status_code=r.status_code)
            self.assertContains(r, 'data-testid="upload-error-location"', status_code=r.status_code)
        assert Snapshot.objects.count() == before

    def test_api_upload_is_400_with_location(self) -> None:
        _, token = ApiToken.issue(self.alice, "t", self.workspace)
        for name, content in self.BAD.items():
            r = self.client.post(
                "/api/v1/snapshots", {"files": SimpleUploadedFile(name, content)}, headers={"Authorization": f"Token {token}"}
            )
            assert r.status_code == 400, name
            err = r.json()["errors"][0]
            assert err["file"] == name and err["line"] in (2, 5) and err["field"].startswith("spec."), err


ESC, RLO = "\x1b[2J", "\u202e"
CONTROL = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: "web\\e[2J\\u202eevil"
  namespace: shop
  annotations: {note: "bell\\a and \\u2066isolate"}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: "/", pathType: Prefix, backend: {service: {name: "web\\e[2J\u202e", port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: "web\\e[2J\u202e", namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
""".encode()
RAW = ("\x1b", "\u202e", "\u2066", "\x07")


def assert_no_raw_controls(text: str, where: str) -> None:
    assert not any(c in text for c in RAW), where


class ControlCharactersTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.snap = make_snapshot(self.workspace, self.alice, CONTROL, name="evil")
        self.trace = run_trace_now(self.snap, self.alice, url="http://shop.example.com/")
        assert self.trace.state == "done", self.trace.error
        assert self.snap.k8s_objects.get(kind="Ingress").name == f"web{ESC}{RLO}evil"  # stored as written
        self.login(self.alice)

    def test_svg_stays_valid_xml_and_shows_the_escape(self) -> None:
        r = self.client.get(f"/traces/{self.trace.pk}.svg")
        assert r.status_code == 200
        text = r.content.decode()
        ElementTree.fromstring(r.content)  # invalid XML before: ESC is not allowed in XML 1.0
        assert_no_raw_controls(text, "svg")
        assert "\\x1b[2J" in text and "\\u202e" in text

    def test_journey_sequence_svg_is_valid_xml(self) -> None:
        journey = run_trace_now(self.snap, self.alice, request={"journey": {"start": "http://shop.example.com/"}})
        assert journey.state == "done", journey.error
        r = self.client.get(f"/traces/{journey.pk}.svg")
        ElementTree.fromstring(r.content)
        assert_no_raw_controls(r.content.decode(), "sequence svg")

    def test_markdown_html_and_object_page_escape_them(self) -> None:
        md = self.client.get(f"/traces/{self.trace.pk}.md").content.decode()
        assert_no_raw_controls(md, "md")
        assert "\\x1b" in md  # the Markdown shows the escape (its own backslash doubled)
        page = self.client.get(self.trace.get_absolute_url()).content.decode()
        assert_no_raw_controls(page, "trace page")
        hop = self.client.get(f"/traces/{self.trace.pk}/hops/0/0/").content.decode()
        assert_no_raw_controls(hop, "hop panel")
        obj = self.snap.k8s_objects.get(kind="Ingress")
        for url in (obj.get_absolute_url(), self.snap.get_absolute_url()):
            r = self.client.get(url)
            assert r.status_code == 200
            # The new-profile form keeps what it prefills as typed (it is sent back); everything else is shown.
            shown = re.sub(r"<textarea.*?</textarea>", "", r.content.decode(), flags=re.S)
            assert_no_raw_controls(shown, url)
        assert "\\u202e" in self.client.get(obj.get_absolute_url()).content.decode()

    def test_cli_text_comparison_and_fix_walk_escape_them(self) -> None:
        text = render_text(self.trace.result)
        assert_no_raw_controls(text, "text")
        assert "\\x1b[2J" in text
        row = {"index": 1, "changed": True, "request": f"GET http://a/{ESC}", "a": "200", "b": f"404{RLO}",
               "first_hop_difference": None}
        assert_no_raw_controls(render_comparison([row], f"A{ESC}", "B"), "comparison")

    def test_printable_escapes_exactly_the_unsafe_characters(self) -> None:
        assert printable("a\tb\nc") == "a\tb\nc"
        assert printable("\x00\x1b\x7f\x85\u202a\u202e\u2066\u2069\ud800\uffff") == (
            "\\x00\\x1b\\x7f\\x85\\u202a\\u202e\\u2066\\u2069\\ud800\\uffff"
        )
        assert printable("héllo → 世界 \u200d") == "héllo → 世界 \u200d"


class CapsTestCase(BaseTestCase):
    def upload(self, text: str) -> Snapshot:
        return make_snapshot(self.workspace, self.alice, text.encode(), name="caps")

    def test_a_20000_character_name_is_refused_at_load_naming_the_field(self) -> None:
        # The API server allows 253 characters (a DNS subdomain); PostgreSQL's column refused more with a 500.
        self.login(self.alice)
        before = Snapshot.objects.count()
        manifest = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {'n' * 20_000}, namespace: default}}\n"
        r = self.client.post("/snapshots/upload/", {"name": "long", "pasted": manifest})
        assert r.status_code in (400, 422), r.status_code
        body = r.content.decode()
        assert "metadata.name is 20,000 characters long; Kubernetes allows at most 253" in body
        assert Snapshot.objects.count() == before

    def test_the_longest_name_is_reachable_and_shown_cut(self) -> None:
        name = "n" * 253
        snap = self.upload(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: default}}\n")
        self.login(self.alice)
        detail = self.client.get(snap.get_absolute_url()).content.decode()
        link = re.search(r'href="([^"]*)" data-testid="object-link"', detail)
        assert link is not None
        assert f">{name}<" not in detail  # the list shows it cut
        r = self.client.get(html.unescape(link.group(1)))
        assert r.status_code == 200
        body = r.content.decode()
        title = re.search(r'data-testid="object-title"[^>]*>(.*?)</h1>', body, re.S)
        assert title is not None and len(title.group(1)) < 400
        assert 'data-testid="object-full-name"' in body and name in body  # the whole name, a click away

    def test_a_huge_value_renders_a_small_page_with_the_rest_as_download(self) -> None:
        big = "x" * 5_000_000
        snap = self.upload(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big, namespace: default}}\ndata:\n  v: {big}\n")
        obj = snap.k8s_objects.get()
        self.login(self.alice)
        r = self.client.get(obj.get_absolute_url())
        assert r.status_code == 200 and len(r.content) < 100_000, len(r.content)
        self.assertContains(r, "more characters")
        self.assertContains(r, 'data-testid="object-download"')
        full = self.client.get(obj.get_absolute_url() + "&download=1")
        assert full["Content-Disposition"].startswith("attachment") and big.encode() in full.content

    def test_long_yaml_is_shown_64_kib_at_a_time(self) -> None:
        data = "\n".join(f"  key{i}: {'v' * 100}" for i in range(2000))
        snap = self.upload(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: many, namespace: default}}\ndata:\n{data}\n")
        obj = snap.k8s_objects.get()
        self.login(self.alice)
        first = self.client.get(obj.get_absolute_url())
        assert len(first.content) < 150_000
        assert "key1999" not in first.content.decode()
        more = re.search(r'href="([^"]*)" data-testid="object-show-rest"', first.content.decode())
        assert more is not None
        pages, url = 1, html.unescape(more.group(1))
        seen = first.content.decode()
        while url and pages < 10:
            r = self.client.get(url)
            seen += r.content.decode()
            nxt = re.search(r'href="([^"]*)" data-testid="object-show-rest"', r.content.decode())
            url, pages = (html.unescape(nxt.group(1)) if nxt else ""), pages + 1
        assert "key1999" in seen and 2 <= pages < 10

    def test_object_by_id_stays_in_its_snapshot(self) -> None:
        obj = self.snapshot.k8s_objects.first()
        assert obj is not None
        other = make_snapshot(self.charlie.memberships.get().workspace, self.charlie)
        self.login(self.alice)
        assert self.client.get(f"/snapshots/{self.snapshot.pk}/object/?id={obj.pk}").status_code == 200
        assert self.client.get(f"/snapshots/{self.snapshot.pk}/object/?id=abc").status_code == 404
        foreign = other.k8s_objects.first()
        assert foreign is not None
        assert self.client.get(f"/snapshots/{self.snapshot.pk}/object/?id={foreign.pk}").status_code == 404
