"""The snapshot page's route table: rows, filters (plain GET and htmx), "show more", "Trace this" and the
scenario form's prefill and host suggestions."""

from __future__ import annotations

import re
from unittest import mock
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

from tracer.engine.errors import OptionError
from tracer.models import Membership

from .base import BaseTestCase, make_snapshot

PROBLEMS = b"""\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: first, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  ingressClassName: nginx
  tls: [{hosts: [shop.example.com], secretName: shop-tls}]
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /gone, pathType: Prefix, backend: {service: {name: nope, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: second, namespace: shop, creationTimestamp: "2026-01-02T00:00:00Z"}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
  - host: api.example.com
    http:
      paths:
      - {path: /v1, pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: stray, namespace: shop}
spec:
  ingressClassName: haproxy
  rules:
  - host: stray.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1}]}
"""

ROW = 'data-testid="route-row"'


def _many_paths(n: int) -> bytes:
    paths = "\n".join(
        f"      - {{path: /p{i:03d}, pathType: Exact, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}"
        for i in range(n)
    )
    return f"""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: many, namespace: shop}}
spec:
  ingressClassName: nginx
  rules:
  - host: many.example.com
    http:
      paths:
{paths}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: shop}}
spec: {{selector: {{app: web}}, ports: [{{port: 80}}]}}
""".encode()


class RouteTableTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.problems = make_snapshot(self.workspace, self.alice, PROBLEMS, name="problems")
        self.login(self.alice)

    def routes_url(self, snapshot=None) -> str:  # type: ignore[no-untyped-def]
        return reverse("tracer-snapshot-routes", args=[(snapshot or self.problems).pk])

    def test_the_page_lists_each_route_with_its_columns(self) -> None:
        r = self.client.get(self.snapshot.get_absolute_url())
        self.assertContains(r, 'data-testid="snapshot-routes"')
        self.assertContains(r, ROW, count=1)
        html = r.content.decode()
        row = html[html.index(ROW) : html.index("</tr>", html.index(ROW))]
        for text in ("ingress-nginx (class nginx)", "shop.example.com", "Prefix", "Service shop/web:80", "none"):
            assert text in row, text
        assert "None" not in row and "True" not in row
        trace = re.search(r'href="([^"]+)"[^>]*data-testid="route-trace"', row)
        assert trace is not None
        link = urlsplit(trace.group(1).replace("&amp;", "&"))
        assert link.path == self.snapshot.get_absolute_url() and link.fragment == "scenario"
        assert parse_qs(link.query) == {"url": ["http://shop.example.com/"], "method": ["GET"]}

    def test_problems_are_shown_by_kind(self) -> None:
        r = self.client.get(self.problems.get_absolute_url())
        self.assertContains(r, ROW, count=5)
        kinds = re.findall(r'data-testid="route-problem" data-kind="([a-z-]+)"', r.content.decode())
        assert sorted(kinds) == ["class", "service", "shadowed"]
        self.assertContains(r, "no such Service")
        self.assertContains(r, "already defined by Ingress shop/first")
        self.assertContains(r, "no controller serves it")
        self.assertContains(r, "shop/shop-tls")  # the TLS column, and the Secret is not in the snapshot
        self.assertContains(r, "the Secret is not in the snapshot: the default certificate is served", count=3)

    def test_plain_get_filters_work_without_javascript(self) -> None:
        url = self.problems.get_absolute_url()
        self.assertContains(self.client.get(url, {"rq": "api.example"}), ROW, count=1)
        self.assertContains(self.client.get(url, {"rq": "shop/nope"}), ROW, count=1)  # the backend
        self.assertContains(self.client.get(url, {"rproblems": "1"}), ROW, count=3)
        self.assertContains(self.client.get(url, {"rcontroller": "none"}), ROW, count=1)
        r = self.client.get(url, {"rcontroller": "ingress-nginx (class nginx)", "rproblems": "1"})
        self.assertContains(r, ROW, count=2)
        self.assertContains(r, "2 routes match the filters (5 in all)")
        self.assertContains(self.client.get(url, {"rq": "api.example"}), "1 route matches the filters (5 in all)")
        self.assertContains(r, 'value="1" checked')
        self.assertContains(self.client.get(url, {"rq": "nothing-like-this"}), "No route matches these filters.")

    def test_htmx_filter_returns_the_table_and_pushes_the_page_url(self) -> None:
        r = self.client.get(self.routes_url(), {"rq": "api.example"}, headers={"HX-Request": "true"})
        assert r.status_code == 200
        assert b"<html" not in r.content and b'data-testid="routes-filters"' not in r.content
        self.assertContains(r, 'id="routes-table"')
        self.assertContains(r, ROW, count=1)
        assert r["HX-Push-Url"] == f"{self.problems.get_absolute_url()}?rq=api.example#routes"
        assert "HX-Request" in r["Vary"]

    def test_control_characters_in_paths_are_shown_escaped_in_the_htmx_table(self) -> None:
        from .base import MANIFEST

        hostile = make_snapshot(self.workspace, self.alice,
                                MANIFEST.replace(b"{path: /, pathType: Prefix", b'{path: "/a\\u202eb", pathType: Prefix'),
                                name="hostile")
        r = self.client.get(self.routes_url(hostile), {"rq": "shop"}, headers={"HX-Request": "true"})
        assert r.status_code == 200 and "/a\\u202eb" in r.content.decode()  # shown as text
        assert "\u202e" not in r.content.decode()  # the character itself never reaches the page

    def test_the_filter_url_without_htmx_redirects_to_the_filtered_page(self) -> None:
        r = self.client.get(self.routes_url(), {"rproblems": "1"})
        self.assertRedirects(r, f"{self.problems.get_absolute_url()}?rproblems=1#routes", fetch_redirect_response=False)

    def test_show_more_pages_through_big_snapshots(self) -> None:
        big = make_snapshot(self.workspace, self.alice, _many_paths(250), name="many")
        r = self.client.get(big.get_absolute_url())
        self.assertContains(r, ROW, count=200)
        self.assertContains(r, "250 routes.")
        self.assertContains(r, "Showing 200 of 250.")
        self.assertContains(r, "Show 50 more")
        self.assertContains(r, f'href="{big.get_absolute_url()}?rshow=400#routes"')
        # htmx: only the rows past those shown, and the address of the page with all of them
        more = self.client.get(self.routes_url(big), {"rshow": "400", "rfrom": "200"}, headers={"HX-Request": "true"})
        self.assertContains(more, ROW, count=50)
        self.assertNotContains(more, "<table")
        self.assertNotContains(more, 'data-testid="routes-more"')
        assert more["HX-Push-Url"] == f"{big.get_absolute_url()}?rshow=400#routes"
        # without JavaScript: the whole page with more rows
        self.assertContains(self.client.get(big.get_absolute_url(), {"rshow": "400"}), ROW, count=250)

    def test_outsiders_get_404(self) -> None:
        self.login(self.charlie)
        assert self.client.get(self.routes_url(), headers={"HX-Request": "true"}).status_code == 404

    def test_read_only_members_see_routes_without_trace_links(self) -> None:
        Membership.objects.filter(workspace=self.workspace, user=self.bob).update(role=Membership.Role.READONLY)
        self.login(self.bob)
        r = self.client.get(self.problems.get_absolute_url())
        self.assertContains(r, ROW, count=5)
        self.assertNotContains(r, 'data-testid="route-trace"')

    def test_an_engine_error_is_shown_in_place(self) -> None:
        other = make_snapshot(self.workspace, self.alice, PROBLEMS.replace(b"stray", b"stray2"), name="broken")
        with mock.patch("tracer.snapshot_routes.get_engine", side_effect=OptionError("the snapshot is odd")):
            r = self.client.get(other.get_absolute_url())
        assert r.status_code == 200
        self.assertContains(r, "The routes cannot be listed: the snapshot is odd")
        self.assertContains(r, 'data-testid="scenario-form"')


class ScenarioPrefillTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.login(self.alice)

    def test_url_and_method_come_from_the_query(self) -> None:
        r = self.client.get(self.snapshot.get_absolute_url(), {"url": "https://shop.example.com/cart?x=1", "method": "post"})
        self.assertContains(r, 'value="https://shop.example.com/cart?x=1"')
        self.assertContains(r, '<option value="POST" selected>POST</option>', html=True)

    def test_an_unknown_method_is_ignored(self) -> None:
        r = self.client.get(self.snapshot.get_absolute_url(), {"url": "http://a.example/", "method": "BREW"})
        self.assertContains(r, '<option value="GET" selected>GET</option>', html=True)

    def test_trace_this_then_submit_traces_that_url(self) -> None:
        page = self.client.get(self.snapshot.get_absolute_url()).content.decode()
        href = re.search(r'href="([^"]+)"[^>]*data-testid="route-trace"', page)
        assert href is not None
        prefilled = self.client.get(href.group(1).replace("&amp;", "&")).content.decode()
        url = re.search(r'name="url" value="([^"]+)"', prefilled)
        assert url is not None and url.group(1) == "http://shop.example.com/"
        with mock.patch("tracer.queue.app.send_task"):
            r = self.client.post(
                reverse("tracer-trace-create", args=[self.snapshot.pk]),
                {"mode": "request", "url": url.group(1), "method": "GET", "http_version": "1.1"},
            )
        assert r.status_code == 302
        trace = self.snapshot.traces.get()
        assert trace.scenario.request["url"] == "http://shop.example.com/"

    def test_the_url_field_suggests_the_snapshot_hosts(self) -> None:
        snap = make_snapshot(self.workspace, self.alice, PROBLEMS, name="hosts")
        r = self.client.get(snap.get_absolute_url())
        html = r.content.decode()
        options = re.findall(r'<datalist id="scenario-url-suggestions"[^>]*>(.*?)</datalist>', html)
        assert len(options) == 1
        assert re.findall(r'<option value="([^"]+)">', options[0]) == [
            "http://api.example.com/",
            "https://shop.example.com/",
            "http://stray.example.com/",
        ]
        self.assertContains(r, 'list="scenario-url-suggestions"')
        self.assertContains(r, 'placeholder="http://api.example.com/"')
        self.assertNotContains(r, "https://shop.example.com/cart")

    def test_without_hosts_there_is_no_datalist(self) -> None:
        empty = make_snapshot(
            self.workspace, self.alice, b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\n", "cm"
        )
        r = self.client.get(empty.get_absolute_url())
        self.assertNotContains(r, "<datalist")
        self.assertNotContains(r, 'list="scenario-url-suggestions"')
        self.assertContains(r, "The snapshot has no Ingress paths.")
