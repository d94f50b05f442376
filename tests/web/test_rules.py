"""The rule catalog pages and the links to them from trace pages, share pages and hop details."""

from __future__ import annotations

import re
from typing import Any

from django.utils.html import escape

from tracer.engine.catalog import DIAGNOSES, RULE_FAMILIES, find_rule, load_rules, rule_anchor
from tracer.models import ShareLink, Trace
from tracer.rule_pages import render_markdown

from .base import BaseTestCase

KNOWN_RULE = "ingress-nginx#3.5"
KNOWN_CODE = "SERVICE_MISSING"


class RulePagesTestCase(BaseTestCase):
    def test_index_lists_families_and_codes_without_login(self) -> None:
        r = self.client.get("/rules/")
        assert r.status_code == 200
        for family, title in RULE_FAMILIES.items():
            self.assertContains(r, f'href="/rules/{family}/"')
            self.assertContains(r, escape(title))
        for code, kind in DIAGNOSES.items():
            self.assertContains(r, f'href="/rules/diagnoses/#{code}"')
            self.assertContains(r, escape(kind.title))

    def test_every_documented_rule_has_its_anchor(self) -> None:
        for family in RULE_FAMILIES:
            r = self.client.get(f"/rules/{family}/")
            assert r.status_code == 200, family
            html = r.content.decode()
            rules = load_rules(family)
            assert rules, family
            for rule_id in rules:
                assert f'id="{rule_anchor(rule_id)}"' in html, rule_id
            assert "<h1" in html and 'name="viewport"' in html  # the app's page, readable on a phone

    def test_every_registered_diagnosis_code_has_its_anchor(self) -> None:
        html = self.client.get("/rules/diagnoses/").content.decode()
        missing = [code for code in DIAGNOSES if f'id="{code}"' not in html]
        assert not missing, missing

    def test_signed_in_users_get_the_navigation(self) -> None:
        self.login(self.bob)
        self.assertContains(self.client.get("/rules/dataplane/"), 'data-testid="nav-rules"')

    def test_unknown_family_is_404(self) -> None:
        for path in ("/rules/nope/", "/rules/..%2Fsettings/", "/rules/ingress_nginx/"):
            assert self.client.get(path).status_code == 404, path

    def test_raw_html_is_escaped_and_unsafe_links_dropped(self) -> None:
        page = render_markdown(
            "dataplane",
            "# Title\n\n<div onclick=x>block</div>\n\nText <img src=x onerror=alert(1)> "
            "[a](javascript:alert(1)) [b](https://example.com/) ![c](javascript:alert(2))\n\n"
            "## Group\n\n### dataplane#R1 — ClusterIP\n\nSee dataplane#R2 and https://kubernetes.io/docs/x.\n",
        )
        assert "<div" not in page.html and "<img src=x" not in page.html and "&lt;div onclick=x&gt;" in page.html
        assert "javascript:" not in page.html
        assert '<a href="https://example.com/">b</a>' in page.html
        assert '<h3 class="rule-heading" id="dataplane-R1">' in page.html
        assert 'href="/rules/dataplane/#dataplane-R2"' in page.html
        assert '<a href="https://kubernetes.io/docs/x">https://kubernetes.io/docs/x</a>.' in page.html
        assert (page.title, page.sections, page.rule_count) == ("Title", (("group", "Group"),), 1)


class RuleLinksTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.trace = self.make_trace()
        result = self.trace.result
        req = result["requests"][0]
        self.hop = next(i for i, h in enumerate(req["hops"]) if h["component"] == "controller")
        req["hops"][self.hop]["rules"] = [KNOWN_RULE, "spec.defaultBackend", "ingress-nginx#999.9"]
        req["diagnoses"] = [
            {"code": KNOWN_CODE, "severity": "error", "message": "m1", "fix": "f1", "rule": "k8s-routing#C-4"},
            {"code": "NOT_A_CODE", "severity": "info", "message": "m2", "fix": "", "rule": "made-up#1"},
        ]
        Trace.objects.filter(pk=self.trace.pk).update(result=result)

    def assert_rule_links(self, html: str) -> None:
        rule = find_rule(KNOWN_RULE)
        assert rule is not None
        assert (
            f'<a class="rule-link" href="/rules/ingress-nginx/#ingress-nginx-3.5" title="{escape(rule.title)}">'
            f"<code>{KNOWN_RULE}</code></a>"
        ) in html
        assert "<code>spec.defaultBackend</code>" in html and "<code>ingress-nginx#999.9</code>" in html
        assert not re.search(r'href="[^"]*(defaultBackend|999\.9)', html)

    def assert_diagnosis_links(self, html: str) -> None:
        kind = DIAGNOSES[KNOWN_CODE]
        title = escape(kind.title)
        assert f'href="/rules/diagnoses/#{KNOWN_CODE}" title="{title}"><code>{KNOWN_CODE}</code></a>' in html
        assert f'<span class="diag-title">{title}</span>' in html
        assert 'href="/rules/k8s-routing/#k8s-routing-C-4"' in html
        assert "<code>NOT_A_CODE</code>" in html and "<code>made-up#1</code>" in html

    def hop_url(self, prefix: str) -> str:
        return f"{prefix}/hops/0/{self.hop}/"

    def test_trace_page_and_hop_partial_link_rules_and_codes(self) -> None:
        self.login(self.alice)
        page = self.client.get(self.trace.get_absolute_url(), {"hop": f"0.{self.hop}"}).content.decode()
        self.assert_diagnosis_links(page)
        self.assert_rule_links(page)  # the hop details rendered inline (no-JS fallback)
        partial = self.client.get(self.hop_url(f"/traces/{self.trace.pk}")).content.decode()
        self.assert_rule_links(partial)

    def test_public_share_page_links_work_without_login(self) -> None:
        link = ShareLink.objects.create(trace=self.trace, visibility="public")
        page = self.client.get(link.get_absolute_url()).content.decode()
        self.assert_diagnosis_links(page)
        partial = self.client.get(self.hop_url(f"/t/{link.token}")).content.decode()
        self.assert_rule_links(partial)
        for href in set(re.findall(r'href="(/rules/[^"#]*)#([^"]+)"', page + partial)):
            target = self.client.get(href[0])
            assert target.status_code == 200, href
            assert f'id="{href[1]}"' in target.content.decode(), href


class StatusPhraseTestCase(BaseTestCase):
    def test_pages_and_exports_use_the_rfc9110_phrases(self) -> None:
        trace = self.make_trace()
        result: dict[str, Any] = trace.result
        result["requests"][0]["status"] = 413
        for hop in result["requests"][0]["hops"]:
            hop["status"] = 413
        Trace.objects.filter(pk=trace.pk).update(result=result)
        self.login(self.alice)
        for path in (trace.get_absolute_url(), f"/traces/{trace.pk}.svg", f"/traces/{trace.pk}.md", "/traces/"):
            body = self.client.get(path).content.decode()
            assert "413 Content Too Large" in body, path
            assert "Request Entity Too Large" not in body, path
