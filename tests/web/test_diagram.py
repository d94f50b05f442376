"""The diagram layout and the Markdown summary are pure functions of trace-v1 JSON."""

from __future__ import annotations

from tracer.diagram import layout, outcome_class, status_text
from tracer.engine.http_status import status_text as http_status_text
from tracer.markdown_export import markdown_summary

REQ = {
    "request": {"method": "GET", "url": "http://a/"},
    "status": 503,
    "error": None,
    "hops": [
        {"component": "browser", "name": "client", "status": 503, "outcome": "forward"},
        {"component": "dns", "name": "a", "status": 503, "outcome": "forward", "confidence": "inferred"},
        {"component": "load-balancer", "name": "lb", "status": 503, "outcome": "forward"},
        {"component": "node", "name": "node", "status": 503, "outcome": "forward"},
        {"component": "controller", "name": "nginx", "status": 503, "outcome": "forward"},
        {"component": "auth", "name": "oauth2", "status": 200, "outcome": "forward"},
        {"component": "service", "name": "web", "status": 503, "outcome": "respond", "summary": "no endpoints"},
    ],
    "diagnoses": [{"code": "NO_ENDPOINTS", "severity": "error", "message": "0 | ready", "fix": "fix <it>"}],
}


def test_status_text_is_never_colour_alone() -> None:
    assert status_text(200) == "200 OK"
    assert status_text(503) == "503 Service Unavailable"
    assert status_text(None, "refused") == "connection refused"
    assert status_text(None, "respond", "timeout") == "timeout"
    assert status_text(None) == "forwarded"
    assert [outcome_class(s) for s in (200, 302, 404, 502)] == ["ok", "redirect", "client-error", "server-error"]
    assert outcome_class(None, "reset") == "l4"


def test_status_phrases_are_the_engines_rfc9110_ones() -> None:
    # http.HTTPStatus on Python 3.12 still says "Request Entity Too Large"; RFC 9110 renamed it.
    assert status_text(413) == "413 Content Too Large" == http_status_text(413)
    assert status_text(422, "respond") == "422 Unprocessable Content"
    assert status_text(499) == "499"  # nginx's own code has no phrase
    req = {**REQ, "status": 413, "hops": [{**REQ["hops"][-1], "status": 413}]}
    assert layout(req).final_label == "413 Content Too Large"
    assert "| **413 Content Too Large** (decided here) |" in markdown_summary({"requests": [req]})


def test_layout_lanes_and_arrows() -> None:
    d = layout(REQ)
    assert [lane.id for lane in d.lanes] == ["browser", "dns", "entry", "controller", "service"]
    assert len(d.arrows) == len(REQ["hops"]) + 1  # plus the response arrow
    browser, _dns, _lb, node, _ctrl, auth, svc, back = d.arrows
    assert browser.self_loop and node.self_loop  # same lane as the hop before
    assert auth.side_box and auth.label == "200 OK"
    assert svc.x1 == d.lanes[3].x and svc.x2 == d.lanes[4].x  # auth does not move the flow
    assert back.hop == -1 and back.x2 == d.lanes[0].x and back.label.startswith("503")
    assert d.final_label == "503 Service Unavailable" and d.final_css == "server-error"
    assert d.width == 16 * 2 + 160 * 5


def test_markdown_summary_escapes_cells() -> None:
    md = markdown_summary({"requests": [REQ]}, title="GET http://a/")
    assert "| 7 | service | web | **503 Service Unavailable** (decided here) | no endpoints |" in md
    # "<" is backslash-escaped (no tag for a renderer, still readable as text); ">" and "->" stay as written.
    assert "0 \\| ready" in md and "fix \\<it>" in md and "&lt;" not in md and "&gt;" not in md
