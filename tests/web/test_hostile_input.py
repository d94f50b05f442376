"""Names, annotations, labels, hosts and paths containing HTML/JS are rendered inert everywhere."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from tracer.models import ShareLink

from .base import BaseTestCase, make_snapshot, run_trace_now

PAYLOAD = "<img src=x onerror=alert(1)>"
HOSTILE = f"""\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {{name: nginx}}
spec: {{controller: k8s.io/ingress-nginx}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  labels: {{team: "{PAYLOAD}"}}
  annotations:
    note: "{PAYLOAD}"
    nginx.ingress.kubernetes.io/configuration-snippet: "add_header X-Evil '{PAYLOAD}';"
spec:
  ingressClassName: nginx
  rules:
  - host: "{PAYLOAD}.example.com"
    http:
      paths:
      - {{path: "/{PAYLOAD}", pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
  - host: shop.example.com
    http:
      paths:
      - {{path: "/{PAYLOAD}", pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: shop, annotations: {{x: "{PAYLOAD}"}}}}
spec: {{selector: {{app: web}}, ports: [{{port: 80, targetPort: 8080}}]}}
""".encode()


class HostileInputTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.evil = make_snapshot(self.workspace, self.alice, HOSTILE, name=PAYLOAD)
        self.trace = run_trace_now(self.evil, self.alice, url=f"http://shop.example.com/{PAYLOAD}")
        assert self.trace.state == "done", self.trace.error

    def assert_inert(self, content: bytes, where: str) -> None:
        if where.endswith(".md"):
            # Markdown escapes "<" with a backslash (CommonMark): a renderer shows it as text, never as a tag.
            assert re.search(rb"(?<!\\)<", content) is None, where
            return
        assert PAYLOAD.encode() not in content, where
        assert b"<img" not in content, where

    def test_pages_escape_it(self) -> None:
        self.login(self.alice)
        hops = self.trace.result["requests"][0]["hops"]
        urls = [
            "/",
            "/snapshots/",
            "/traces/",
            self.evil.get_absolute_url(),
            self.trace.get_absolute_url(),
            f"/traces/{self.trace.pk}/status/",
            f"/traces/{self.trace.pk}.svg",
            f"/traces/{self.trace.pk}.md",
            *(f"/traces/{self.trace.pk}/hops/0/{i}/" for i in range(len(hops))),
            *(o.get_absolute_url() for o in self.evil.k8s_objects.all()),
        ]
        for url in urls:
            r = self.client.get(url)
            assert r.status_code in (200, 286), url
            self.assert_inert(r.content, url)
        # The payload really is in the data, escaped on the pages.
        r = self.client.get(self.trace.get_absolute_url())
        assert b"&lt;img src=x onerror=alert(1)&gt;" in r.content

    def test_share_view_and_svg_escape_it(self) -> None:
        link = ShareLink.objects.create(trace=self.trace, visibility="public")
        for url in (link.get_absolute_url(), f"/t/{link.token}.svg", f"/t/{link.token}/hops/0/0/"):
            r = self.client.get(url)
            assert r.status_code == 200
            self.assert_inert(r.content, url)

    def test_upload_errors_escape_it(self) -> None:
        self.login(self.alice)
        bad = f'kind: Service\nmetadata:\n  name: "{PAYLOAD}\n'.encode()
        r = self.client.post("/snapshots/upload/", {"files": [SimpleUploadedFile(f"{PAYLOAD}.yaml", bad)]})
        assert r.status_code == 400
        self.assert_inert(r.content, "upload error")
