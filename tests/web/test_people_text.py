"""The trace page and its hop partials say missing values and options in words, never as Python literals."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .base import BaseTestCase, make_snapshot, run_trace_now

# The Ingress names a Service port ("http") the Service does not have (its only port is unnamed), so the
# backend has no port number; the Service's named targetPort matches no container port either.
MANIFEST = b"""\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{port: 80, targetPort: api}]}
"""
LITERAL_WORD = re.compile(r"\b(?:None|True|False)\b")


class VisibleText(HTMLParser):
    """The text a browser shows (scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style") and self._hidden > 0

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


class PeopleTextTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.snapshot = make_snapshot(self.workspace, self.alice, MANIFEST, name="unnamed-port")

    def assert_no_literal(self, html: str, where: str) -> None:
        text = visible_text(html)
        found = [text[max(0, m.start() - 60) : m.end() + 20] for m in LITERAL_WORD.finditer(text)]
        assert not found, f"{where}: {found}"

    def test_trace_page_and_hops_show_words_not_literals(self) -> None:
        self.login(self.alice)
        for url in ("http://shop.example.com/", "http://shop.example.com/api"):
            trace = run_trace_now(self.snapshot, self.alice, url=url, assume_endpoints=True)
            assert trace.result is not None
            req = trace.result["requests"][0]
            if url.endswith("/"):
                assert req["backend"]["port"] is None  # the case this page used to show as "shop/web:None"
            page = self.client.get(trace.get_absolute_url())
            self.assertContains(page, "endpoints assumed")
            self.assert_no_literal(page.content.decode(), url)
            for i in range(len(req["hops"])):
                hop = self.client.get(f"/traces/{trace.pk}/hops/0/{i}/", headers={"HX-Request": "true"})
                assert hop.status_code == 200
                self.assert_no_literal(hop.content.decode(), f"{url} hop {i}")

    def test_backend_without_a_port_number_says_so(self) -> None:
        self.login(self.alice)
        trace = run_trace_now(self.snapshot, self.alice, url="http://shop.example.com/", assume_endpoints=True)
        page = self.client.get(trace.get_absolute_url())
        self.assertContains(page, "shop/web (port not resolved)")


def test_options_in_words_keep_a_zero_seed_and_leave_out_unset_ones() -> None:
    from tracer.presenters import option_words

    words = option_words({"seed": 0, "assume_endpoints": True, "controller": None, "controller_class": "nginx"})
    assert words == ["seed 0", "endpoints assumed", "controller class nginx"]
    assert option_words({"app_profiles": {"web": {}}, "faults": [{}, {}]}) == [
        "app profiles for web",
        "2 faults injected",
    ]
