"""The trace page's hops: verdicts in words, the deciding hop marked, the hop panel (deep link ?hop=R.I, the partial,
its copy link), the legend, diagnoses in severity order with the hop each explains, details in words, not JSON."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tracer.diagram import layout, layout_vertical, request_verdicts
from tracer.models import Trace
from tracer.presenters import diagnosis_rows, human_label, present_value

from .base import BaseTestCase, make_snapshot, run_trace_now

# Service web selects nothing (its pods carry app=wbe): ingress-nginx answers 503 itself.
NO_ENDPOINTS = (Path(__file__).parent / "no_endpoints.yaml").read_bytes()
HOP_ROW = re.compile(r'<li class="hop[^"]*" id="hop-0-(\d+)".*?</li>', re.S)


def hop_rows_html(html: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(0) for m in HOP_ROW.finditer(html)}


def visible(html: str) -> str:
    """The text between tags (attributes left out)."""
    return re.sub(r"<[^>]+>", " ", html)


class HopPanelTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.broken = make_snapshot(self.workspace, self.alice, NO_ENDPOINTS, name="no endpoints")
        self.trace = run_trace_now(self.broken, self.alice, url="http://shop.example.com/")
        assert self.trace.result is not None
        self.req = self.trace.result["requests"][0]
        self.login(self.alice)

    def page(self, **params: str) -> str:
        r = self.client.get(self.trace.get_absolute_url(), params)
        assert r.status_code == 200
        return r.content.decode()

    def partial(self, i: int) -> str:
        r = self.client.get(f"/traces/{self.trace.pk}/hops/0/{i}/", headers={"HX-Request": "true"})
        assert r.status_code == 200
        return r.content.decode()

    def test_only_the_deciding_hop_carries_the_status_and_the_mark(self) -> None:
        assert self.req["status"] == 503 and self.req["decided_by"] == 3
        rows = hop_rows_html(self.page())
        assert len(rows) == len(self.req["hops"])
        decided = rows.pop(3)
        assert 'class="hop decided"' in decided and "◆ decided here" in decided
        assert 'class="badge server-error" data-testid="hop-status">503 Service Unavailable<' in decided
        assert '<span class="verdict-word">answered</span>' in decided
        for i, row in rows.items():
            assert "503" not in visible(row).replace(self.req["hops"][i]["summary"], ""), i
            assert "decided here" not in row and "server-error" not in row, i
        assert '<span class="verdict-word">forwarded</span>' in rows[0]
        # Behind the controller that answered: the lookups it made, said so.
        assert '<span class="verdict-word">looked up</span>' in rows[4] and 'class="hop consulted"' in rows[5]

    def test_hop_links_open_the_panel_and_push_the_deep_link(self) -> None:
        html = self.page()
        for i in range(len(self.req["hops"])):
            link = re.search(rf'<a [^>]*data-testid="hop-link-{i}"[^>]*>', html)
            assert link is not None
            tag = link.group(0)
            assert f'hx-get="/traces/{self.trace.pk}/hops/0/{i}/"' in tag
            assert 'hx-target="#hop-details-0"' in tag and f'hx-push-url="?hop=0.{i}"' in tag
            assert f'href="?hop=0.{i}#hop-details-0"' in tag
            # The diagram's arrow and the phone diagram's box open the same hop.
            assert re.search(rf'<a [^>]*hx-push-url="\?hop=0\.{i}"[^>]*data-testid="diagram-hop-{i}"', html)
            assert re.search(rf'<a [^>]*hx-push-url="\?hop=0\.{i}"[^>]*data-testid="vdiagram-hop-{i}"', html)
        # The panel is there, empty, until a hop is chosen.
        assert re.search(r'<div id="hop-details-0" class="hop-details" data-testid="hop-details"[^>]*></div>', html)
        assert 'data-testid="hop-detail"' not in html

    def test_a_deep_link_opens_the_hop_in_the_panel(self) -> None:
        html = self.page(hop="0.4")
        panel = html[html.index('<aside class="hop-panel"'):]
        panel = panel[: panel.index("</aside>")]
        assert 'data-testid="hop-detail" data-hop="4"' in panel
        assert 'id="hop-heading-0-4" tabindex="-1"' in panel
        row = hop_rows_html(html)[4]
        assert "selected" in row.split(">", 1)[0] and 'aria-current="true"' in row
        # Out of range or malformed: the page, without a panel.
        for bad in ("0.99", "x.1", "3.0"):
            assert 'data-testid="hop-detail"' not in self.page(hop=bad)

    def test_the_partial_has_a_heading_a_copy_link_a_close_button_and_words(self) -> None:
        html = self.partial(3)
        assert '<h2 class="hop-heading" id="hop-heading-0-3" tabindex="-1"' in html
        assert 'value="?hop=0.3" data-hop-url="?hop=0.3"' in html
        assert 'data-copy-target="#hop-url-0-3"' in html and "Copy link to this hop" in html
        assert "data-hop-close" in html
        assert "◆ decided here" in html and "answered: produced the answer itself" in html
        other = self.partial(0)
        assert '<span class="verdict-word" data-testid="hop-detail-status">forwarded</span>' in other
        assert "passed the request on, and the answer back" in other
        assert "503 Service Unavailable, decided at hop 4 (controller)" in other

    def test_every_rule_id_links_to_its_rules_page_with_its_title(self) -> None:
        html = self.partial(3)
        rules = self.req["hops"][3]["rules"]
        assert rules
        for rule in rules:
            assert re.search(rf'<a class="rule-link" href="/rules/[^"#]+#[^"]+" title="[^"]+"><code>{re.escape(rule)}</code></a>',
                             html), rule
        assert html.count('<span class="muted">') >= len(rules)  # each title in words next to the id

    def test_details_and_changes_are_words_and_tables_not_json(self) -> None:
        ok = self.make_trace()  # GET /cart on the working snapshot: 200, with headers, timeouts, endpoints
        hops = (ok.result or {})["requests"][0]["hops"]
        for trace, count in ((self.trace, len(self.req["hops"])), (ok, len(hops))):
            for i in range(count):
                r = self.client.get(f"/traces/{trace.pk}/hops/0/{i}/", headers={"HX-Request": "true"})
                html = r.content.decode()
                section = html[html.index("<article"):html.index('<div class="hop-share">')]
                text = visible(section)
                assert not re.search(r'[{\[]\s*"|"\s*:\s|\bNone\b|\bTrue\b|\bFalse\b', text), (trace.pk, i)
        controller = next(i for i, h in enumerate(hops) if h["component"] == "controller")
        html = self.client.get(f"/traces/{ok.pk}/hops/0/{controller}/").content.decode()
        # Nested dicts as nested definition lists, keys in words; header names as they are.
        assert "<dt>Timeouts</dt><dd><dl class=\"kv nested\">" in html and "<dt>Upstream</dt>" in html
        assert "<dt>Headers added</dt>" in html and "<dt>X-Forwarded-For</dt>" in html
        endpoints = next(i for i, h in enumerate(hops) if h["component"] == "endpoints")
        html = self.client.get(f"/traces/{ok.pk}/hops/0/{endpoints}/").content.decode()
        assert "<dt>Endpoints</dt>" in html and "<dt>Ready</dt><dd><span class=\"wrap\">yes</span>" in html

    def test_the_legend_explains_the_words(self) -> None:
        html = self.page()
        legend = html[html.index('data-testid="hop-legend"'):]
        legend = legend[: legend.index("</details>")]
        for word in ("forwarded", "answered", "redirected", "dropped", "assumed", "looked up", "decided here",
                     "from the snapshot", "inferred"):
            assert f"<dt>{word}</dt>" in legend, word

    def test_diagnoses_come_errors_first_each_linked_to_its_hop(self) -> None:
        # A stored trace in another order (an imported one, say) still shows errors first.
        result = dict(self.trace.result or {})
        req = dict(result["requests"][0])
        req["diagnoses"] = list(reversed(req["diagnoses"]))
        result["requests"] = [req]
        Trace.objects.filter(pk=self.trace.pk).update(result=result)
        html = self.page()
        severities = re.findall(r'data-testid="diagnosis" data-severity="(\w+)"', html)
        assert severities == sorted(severities, key=["error", "warning", "info"].index)
        assert severities[0] == "error" and "info" in severities
        codes = re.findall(r'data-testid="diagnosis" data-severity="\w+" data-hop="(\d+)"', html)
        assert len(codes) == len(severities)
        # SELECTOR_MATCHES_NOTHING names the Service: the Service hop; NOT_FOUND_VS_UNAVAILABLE the Ingress.
        assert codes == ["4", "3"]
        links = re.findall(r'<a [^>]*data-testid="diagnosis-hop-link">Explains hop (\d+)', html)
        assert links == ["5", "4"]
        assert f'hx-get="/traces/{self.trace.pk}/hops/0/4/" hx-target="#hop-details-0"' in html

    def test_a_stored_trace_without_verdicts_still_marks_the_deciding_hop(self) -> None:
        result = dict(self.trace.result or {})
        req = {k: v for k, v in result["requests"][0].items() if k != "decided_by"}
        req["hops"] = [{k: v for k, v in h.items() if k != "verdict"} for h in req["hops"]]
        result["requests"] = [req]
        Trace.objects.filter(pk=self.trace.pk).update(result=result)
        rows = hop_rows_html(self.page())
        assert "◆ decided here" in rows[3] and sum("decided here" in r for r in rows.values()) == 1
        assert "◆ decided here" in self.partial(3)

    def test_skip_link_and_result_anchor(self) -> None:
        html = self.page()
        assert '<a class="skip-link" href="#trace-result" data-skip-link' in html
        assert 'id="trace-result" tabindex="-1"' in html

    def test_the_phone_diagram_is_there_with_the_same_verdicts(self) -> None:
        html = self.page()
        assert 'data-testid="flow-svg-vertical"' in html and 'data-testid="vdiagram-decided"' in html
        assert html.count("◆ decided here") >= 3  # the row, the diagram, the phone diagram

    def test_the_share_page_opens_hops_the_same_way(self) -> None:
        link = self.trace.share_link(self.alice)
        html = self.client.get(link.get_absolute_url(), {"hop": "0.3"}).content.decode()
        assert 'data-testid="hop-detail" data-hop="3"' in html
        assert f'hx-get="/t/{link.token}/hops/0/3/"' in html and 'hx-push-url="?hop=0.3"' in html


class WordsTestCase(BaseTestCase):
    def test_keys_become_words_and_header_names_stay(self) -> None:
        assert human_label("headers_added") == "Headers added"
        assert human_label("clusterIP") == "Cluster IP"
        assert human_label("latency_ms") == "Latency (ms)"
        assert human_label("healthCheckNodePort") == "Health check node port"
        assert human_label("app_profile") == "App profile"
        assert human_label("X-Forwarded-For") == "X-Forwarded-For"
        assert human_label("nginx.ingress.kubernetes.io/rewrite-target") == "nginx.ingress.kubernetes.io/rewrite-target"

    def test_values_become_lists_tables_and_words(self) -> None:
        node = present_value({"mode": "iptables", "chains": ["A", "B"], "ok": True, "gone": None,
                              "endpoints": [{"ip": "10.0.0.1", "ready": True}, {"ip": "10.0.0.2", "ready": False}],
                              "limits": {"read_s": 60}, "notes": []})
        items = {i["label"]: i["value"] for i in node["items"]}
        assert items["Mode"] == {"kind": "text", "text": "iptables"}
        assert items["Chains"]["kind"] == "list" and [x["text"] for x in items["Chains"]["items"]] == ["A", "B"]
        assert items["Ok"]["text"] == "yes" and items["Gone"]["text"] == "—" and items["Notes"]["text"] == "none"
        assert items["Endpoints"] == {"kind": "table", "columns": ["IP", "Ready"],
                                      "rows": [["10.0.0.1", "yes"], ["10.0.0.2", "no"]]}
        assert items["Limits"]["kind"] == "dl" and items["Limits"]["items"][0]["label"] == "Read (s)"

    def test_diagnosis_rows_sort_by_severity_keep_the_trace_index_and_find_the_hop(self) -> None:
        hops: list[dict[str, Any]] = [
            {"component": "browser", "objects": [], "rules": []},
            {"component": "controller", "objects": [{"kind": "Ingress", "namespace": "a", "name": "web"}],
             "rules": ["ingress-nginx#6.4"]},
            {"component": "service", "objects": [{"kind": "Service", "namespace": "a", "name": "web"}], "rules": []},
        ]
        req = {"hops": hops, "diagnoses": [
            {"code": "I", "severity": "info", "objects": [{"kind": "Service", "namespace": "a", "name": "web"}]},
            {"code": "E", "severity": "error", "rule": "ingress-nginx#6.4", "objects": []},
            {"code": "W", "severity": "warning", "objects": [{"kind": "Secret", "namespace": "a", "name": "tls"}]},
            {"code": "E2", "severity": "error", "objects": []},
        ]}
        rows = diagnosis_rows(req, 0, lambda r, i: f"/h/{r}/{i}/", decided_by=1)
        assert [(x["d"]["code"], x["index"]) for x in rows] == [("E", 1), ("E2", 3), ("W", 2), ("I", 0)]
        where = {x["d"]["code"]: (x["hop"] or {}).get("index") for x in rows}
        # By rule, by the deciding hop when it names no object, by its objects; none when nothing fits.
        assert where == {"E": 1, "E2": 1, "W": None, "I": 2}
        assert rows[0]["hop"]["url"] == "/h/0/1/" and rows[0]["hop"]["link"] == "?hop=0.1"

    def test_diagrams_label_verdicts_and_mark_only_the_deciding_hop(self) -> None:
        req = {"request": {"method": "GET", "url": "http://a/"}, "status": None, "error": "timeout", "hops": [
            {"component": "browser", "name": "browser", "status": None, "outcome": "forward"},
            {"component": "dns", "name": "a", "status": None, "outcome": "forward", "confidence": "assumed"},
            {"component": "load-balancer", "name": "a-very-long-load-balancer-name-that-needs-two-lines.example",
             "status": None, "outcome": "timeout"},
        ]}
        assert request_verdicts(req) == (["forwarded", "forwarded", "dropped"], 2)
        d = layout(req)
        labels = [(a.label, a.css, a.decided) for a in d.arrows if a.hop >= 0]
        assert labels == [("forwarded", "calm", False), ("forwarded (assumed)", "calm", False),
                          ("timeout", "l4", True)]
        lb = d.arrows[2]
        assert len(lb.name_lines) == 2 and lb.name_lines[1].endswith("…") and lb.name in lb.title
        v = layout_vertical(req)
        assert [b.decided for b in v.boxes] == [False, False, True, False]
        assert v.width == 300 and v.boxes[-1].label_lines == ["timeout"]
