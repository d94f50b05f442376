"""The journey's sequence diagram: the view model on real journeys, the SVG it renders, the trace page and the
SVG download that show it.

The examples are traced through the engine as they are on disk; a vscode folder without its own AppProfile
gets examples/profiles/openvscode-server.yaml, as its README stage does on the command line.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from tracer.engine import trace
from tracer.journey_sequence import LANE_W, MARGIN, Sequence, journey_sequence, set_cookie_names, shorten_url

from .base import BaseTestCase, make_snapshot, run_trace_now
from .test_journeys import JOURNEY, NOTES_APP

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PROFILE = EXAMPLES / "profiles" / "openvscode-server.yaml"
NOTES = str(Path(__file__).parent / "journey_app.yaml")  # the made-up app of test_journeys.py
SVG = "{http://www.w3.org/2000/svg}"


@cache
def traced(folder: str) -> dict[str, Any]:
    """The trace-v1 document of the folder's Journey documents."""
    path = EXAMPLES / folder
    has_profile = any("kind: AppProfile" in f.read_text() for f in path.glob("*.yaml"))
    options = {} if has_profile else {"app_profiles": str(PROFILE)}
    return trace(str(path), **options).to_dict()


def sequence(result: dict[str, Any]) -> Sequence:
    seq = journey_sequence(result)
    assert seq is not None
    return seq


def render(result: dict[str, Any], **ctx: Any) -> str:
    return render_to_string("tracer/_journey_sequence.svg", {"result": result, "standalone": True, **ctx})


def lane_of(seq: Sequence, key: str) -> float:
    return next(lane.x for lane in seq.lanes if lane.key == key)


# -- the view model ---------------------------------------------------------------------------------------------


def test_green_vscode_journey_lanes_rows_and_open_socket() -> None:
    result = traced("vscode-6-green")
    seq = sequence(result)
    assert [(lane.kind, lane.title, lane.subtitle) for lane in seq.lanes] == [
        ("browser", "Browser", "203.0.113.10"),
        ("controller", "ingress-nginx", "ingress-nginx-controller"),  # ns/name does not fit: the name alone
        ("service", "Service", "default/vscode-01"),
    ]
    assert seq.lanes[1].full == "ingress-nginx: ingress-nginx/ingress-nginx-controller"
    assert seq.width == 2 * MARGIN + 3 * LANE_W  # a lane per participant, whatever the screen
    rows = seq.rows
    assert [(row.number, row.cause_text) for row in rows] == [
        (1, "start"),
        (2, "redirect from #1"),
        (3, "asset of #2"),
        (4, "asset of #2"),
        (5, "WebSocket of #2"),
    ]
    assert [row.r for row in rows] == list(range(5))
    assert all(a.bottom <= b.top for a, b in pairwise(rows))  # steps downward in order
    assert [row.status for row in rows] == ["302 Found", "200 OK", "200 OK", "200 OK", "101 Switching Protocols"]
    assert [row.css for row in rows] == ["redirect", "ok", "ok", "ok", "ok"]
    service = lane_of(seq, "service:default/vscode-01")
    controller = lane_of(seq, seq.lanes[1].key)
    for row in rows:
        assert row.ok and not row.first_failure and not row.alerts
        assert (row.x1, row.x2) == (seq.lanes[0].x, service)  # the pod answered every request
        assert row.via == [controller]  # through the controller
    # Cookie jar: the start sets the token cookie, every later request sends it.
    assert rows[0].cookies == "set: vscode-tkn"
    assert all(row.cookies == "cookies sent: vscode-tkn" for row in rows[1:])
    # A long path keeps its start and the file it asks for; the full URL stays on the row.
    asset = rows[2]
    assert asset.where.startswith("/stable-487e0b6e") and asset.where.endswith("…/workbench.js")
    assert asset.url.endswith("/static/out/vs/code/browser/workbench/workbench.js")
    assert rows[4].where.startswith("ws://198.51.100.20/stable-")  # another scheme: the URL, not the path
    # The socket is still open: a bar from its handshake down past the last step, open-ended.
    (socket,) = seq.sockets
    assert rows[4].socket is socket and not socket.closed
    assert socket.text == "open at the end of the journey"
    assert socket.y1 == rows[4].resp_y and socket.y2 > rows[-1].bottom
    assert socket.x == service - 3
    assert seq.title == "Sequence of the journey: 5 requests"
    assert "Every request succeeded." in seq.desc


def test_rewrite_journey_ends_at_the_default_backend() -> None:
    seq = sequence(traced("vscode-2-rewrite"))
    assert [lane.key for lane in seq.lanes] == [
        "browser",
        "controller:ingress-nginx (ingress-nginx/ingress-nginx-controller)",
        "default-backend",
        "service:default/vscode-01",
    ]
    start, redirect = seq.rows
    assert (start.status, start.lane, start.ok, start.cookies) == (
        "302 Found",
        "service:default/vscode-01",
        True,
        "set: vscode-tkn",
    )
    # The app redirects to "/", which no rule serves: ingress-nginx's default backend answers 404.
    assert (redirect.cause_text, redirect.where, redirect.status) == ("redirect from #1", "/", "404 Not Found")
    assert redirect.lane == "default-backend" and redirect.x2 == lane_of(seq, "default-backend")
    assert not redirect.ok and redirect.first_failure and redirect.alerts == "first failure"
    assert not seq.sockets
    assert "It fails at #2 GET http://198.51.100.20/ (404 Not Found)." in seq.desc


def test_idle_websocket_cut_is_highlighted_with_its_bar() -> None:
    seq = sequence(traced("ws-idle-timeout"))
    page, ws = seq.rows
    assert page.ok and page.status == "200 OK"
    assert ws.cause == "websocket" and ws.where == "ws://tornado-ws.example.com/ws"
    assert ws.status == "101 Switching Protocols, then closed 1006 after 60 s" and ws.css == "l4"
    assert not ws.ok and ws.first_failure and ws.alerts == "first failure"
    (socket,) = seq.sockets
    assert socket.closed and socket.text == "closed 1006 after 60 s"
    assert socket.line == "#2 WebSocket closed 1006 after 60 s, cut by the controller"
    assert socket.x == lane_of(seq, "service:default/tornado-socket") - 3
    assert socket.y1 == ws.resp_y and socket.y2 > ws.bottom


def test_notes_journey_marks_the_blocked_asset_and_the_failures() -> None:
    result = trace(NOTES, {"journey": JOURNEY}).to_dict()
    seq = sequence(result)
    rows = seq.rows
    assert [row.ok for row in rows] == [True, True, True, False, False]
    assert [row.first_failure for row in rows] == [False, False, False, True, False]
    assert rows[3].alerts == "first failure · blocked: failed status" and rows[3].status == "404 Not Found"
    assert rows[4].alerts == "fails"
    assert rows[0].cookies == "set: sid" and rows[3].cookies == "cookies sent: sid"


def test_a_refused_entry_ends_on_the_network_lane() -> None:
    result = trace(NOTES, {"journey": JOURNEY}, faults=[{"kind": "controller-down"}]).to_dict()
    seq = sequence(result)
    assert [(lane.key, lane.subtitle) for lane in seq.lanes] == [
        ("browser", "203.0.113.10"),
        ("network", "load balancer"),
    ]
    (row,) = seq.rows
    assert (row.lane, row.status, row.css, row.first_failure) == ("network", "connection refused", "l4", True)


def test_journeys_of_one_trace_follow_each_other() -> None:
    first, second = traced("ws-idle-timeout"), traced("vscode-2-rewrite")
    seq = sequence({"requests": first["requests"] + second["requests"]})
    assert [row.number for row in seq.rows] == [1, 2, 1, 2]
    assert [row.r for row in seq.rows] == [0, 1, 2, 3]
    (separator,) = seq.separators
    assert separator.text == "Journey 2" and seq.rows[1].bottom < separator.y < seq.rows[2].top
    # Each journey shows paths against its own start; the first failure is the journey trace's first.
    assert seq.rows[3].where == "/"
    assert [row.first_failure for row in seq.rows] == [False, True, False, False]


def test_a_request_the_browser_never_sent() -> None:
    page = {
        "request": {"method": "GET", "url": "https://a.example/"},
        "status": 200,
        "step": {"index": 1, "cause": "start", "parent": None},
        "cookies_sent": [],
        "response_headers": {"set-cookie": ["a=1; Path=/", "old=; Max-Age=0"]},
        "hops": [{"component": "pod", "name": "web", "status": 200, "outcome": "respond"}],
        "backend": {"namespace": "web", "service": "web", "port": 80},
    }
    script = {
        "request": {"method": "GET", "url": "http://a.example/app.js"},
        "status": None,
        "error": "mixed-content",
        "blocked": "mixed-content",
        "step": {"index": 2, "cause": "asset", "parent": 1},
        "cookies_sent": [],
        "hops": [{"component": "browser", "name": "client", "status": None, "outcome": "forward"}],
    }
    seq = sequence({"requests": [page, script]})
    assert set_cookie_names(page) == ["a", "old (deleted)"]
    assert seq.rows[0].cookies == "set: a, old (deleted)"
    blocked = seq.rows[1]
    assert not blocked.reached and blocked.lane == "browser"
    assert blocked.status == "not sent: mixed content"
    assert blocked.where == "http://a.example/app.js"  # another scheme than the start's
    assert blocked.alerts == "first failure · blocked: mixed content"
    assert "#2 asset of #1: GET http://a.example/app.js: not sent: mixed content (first failure" in seq.desc


def test_single_request_traces_have_no_sequence() -> None:
    single = trace(NOTES, "GET http://notes.example.com/login").to_dict()
    assert journey_sequence(single) is None
    assert journey_sequence(None) is None and journey_sequence({"requests": []}) is None


def test_shorten_url_drops_the_query_first() -> None:
    assert shorten_url("/a/b?x=1", 20) == "/a/b?x=1"
    assert shorten_url("/app/?token=abcdefghijklmnop", 16) == "/app/?token=abc…"
    assert shorten_url("/" + "s" * 40 + "/file.js?q=1", 24) == "/ssssssssssss…/file.js?…"


# -- the SVG ------------------------------------------------------------------------------------------------------


def test_rendered_svg_is_xml_with_labels_links_and_readable_text() -> None:
    result = traced("ws-idle-timeout")
    svg = render(result, page_url="https://tracer.example/traces/1/")
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    root = ET.fromstring(svg.encode())
    assert root.get("role") == "img"
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    labelled = root.get("aria-labelledby", "").split()
    ids = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert [ids[i].tag for i in labelled] == [f"{SVG}title", f"{SVG}desc"]
    assert ids[labelled[0]].text == "Sequence of the journey: 2 requests"
    assert "It fails at #2 GET ws://tornado-ws.example.com/ws" in (ids[labelled[1]].text or "")
    text = " ".join(" ".join(el.itertext()) for el in root.iter(f"{SVG}text"))
    for label in (
        "Browser",
        "ingress-nginx",
        "default/tornado-socket",
        "200 OK",
        "101 Switching Protocols, then closed 1006 after 60 s",
        "first failure",
        "#2 WebSocket closed 1006 after 60 s, cut by the controller",
    ):
        assert label in text, label
    links = list(root.iter(f"{SVG}a"))
    assert [a.get("href") for a in links] == [
        "https://tracer.example/traces/1/#request-0",
        "https://tracer.example/traces/1/#request-1",
    ]
    assert [a.findtext(f"{SVG}title") for a in links] == [
        "#1 start: GET http://tornado-ws.example.com/",
        "#2 WebSocket of #1: GET ws://tornado-ws.example.com/ws",
    ]
    # Drawn at its native size, no text is smaller than 11 px.
    assert root.get("font-size") == "12"
    sizes = [float(el.get("font-size", "12")) for el in root.iter() if el.get("font-size")]
    assert sizes and min(sizes) >= 11
    steps = [g for g in root.iter(f"{SVG}g") if g.get("data-testid") == "journey-sequence-step"]
    assert [(g.get("data-step"), g.get("data-ok")) for g in steps] == [("1", "yes"), ("2", "no")]
    assert len([el for el in root.iter(f"{SVG}rect") if "seq-band" in (el.get("class") or "")]) == 1


def test_long_labels_are_shortened_with_the_full_url_in_the_title() -> None:
    svg = render(traced("vscode-6-green"), page_url="")
    root = ET.fromstring(svg.encode())
    titles = [a.findtext(f"{SVG}title") or "" for a in root.iter(f"{SVG}a")]
    assert titles[2].endswith(
        "GET http://198.51.100.20/stable-487e0b6eb726a84faf6b1a95c68a092fba078fd1"
        "/static/out/vs/code/browser/workbench/workbench.js"
    )
    labels = [
        " ".join("".join(el.itertext()).split()) for el in root.iter(f"{SVG}text") if el.get("class") == "seq-label"
    ]
    assert labels[2].startswith("#3 asset of #2 GET /stable-") and labels[2].endswith("…/workbench.js")
    width = float(root.get("width") or 0)
    assert all(len(label) * 7.0 <= width - 2 * MARGIN for label in labels)
    assert [a.get("href") for a in root.iter(f"{SVG}a")] == [f"#request-{r}" for r in range(5)]
    sockets = [g for g in root.iter(f"{SVG}g") if g.get("data-testid") == "journey-sequence-socket"]
    assert len(sockets) == 1 and "open at the end of the journey" in "".join(sockets[0].itertext())


def test_nothing_is_rendered_for_a_single_request() -> None:
    single = trace(NOTES, "GET http://notes.example.com/login").to_dict()
    assert render(single).strip() == ""


# -- the trace page and the download --------------------------------------------------------------------------------


def svg_of(html: str) -> ET.Element:
    match = re.search(r"<svg [^>]*data-testid=\"journey-sequence-svg\".*?</svg>", html, re.S)
    assert match, "no sequence diagram on the page"
    return ET.fromstring(match.group(0))


class SequencePageTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.notes = make_snapshot(self.workspace, self.alice, NOTES_APP, name="notes")
        self.login(self.alice)

    def test_trace_page_shows_the_sequence_above_the_table(self) -> None:
        trace_row = run_trace_now(self.notes, self.alice, request={"journey": JOURNEY})
        html = self.client.get(trace_row.get_absolute_url()).content.decode()
        assert html.count('data-testid="journey-sequence"') == 1
        assert html.index('data-testid="journey-sequence"') < html.index('data-testid="journey-table"')
        assert 'class="sequence-scroll" tabindex="0" role="region"' in html
        root = svg_of(html)
        hrefs = [a.get("href") for a in root.iter(f"{SVG}a")]
        assert hrefs == [f"#request-{r}" for r in range(5)]
        for r in range(5):  # each link lands on its request's section
            assert f'id="request-{r}"' in html
        statuses = [el.text for el in root.iter(f"{SVG}text") if el.get("data-testid") == "journey-sequence-status"]
        assert statuses == [
            "302 Found",
            "200 OK",
            "200 OK",
            "404 Not Found",
            "101 Switching Protocols, then closed 1006 after 60 s",
        ]
        for literal in ("None", "True", "False"):
            assert literal not in " ".join(root.itertext()), literal

    def test_single_request_page_has_no_sequence(self) -> None:
        html = self.client.get(self.make_trace().get_absolute_url()).content.decode()
        assert "journey-sequence" not in html

    def test_shared_page_shows_the_sequence(self) -> None:
        trace_row = run_trace_now(self.notes, self.alice, request={"journey": JOURNEY})
        link = trace_row.share_link(self.alice)
        html = self.client.get(link.get_absolute_url()).content.decode()
        assert len(list(svg_of(html).iter(f"{SVG}a"))) == 5

    def test_svg_download_of_a_journey_is_the_sequence(self) -> None:
        trace_row = run_trace_now(self.notes, self.alice, request={"journey": JOURNEY})
        r = self.client.get(f"/traces/{trace_row.id}.svg")
        assert r.status_code == 200 and r["Content-Type"] == "image/svg+xml; charset=utf-8"
        assert r["Content-Disposition"] == f'attachment; filename="trace-{trace_row.id}.svg"'
        root = ET.fromstring(r.content)
        assert root.get("data-testid") == "journey-sequence-svg"
        page = f"http://testserver/traces/{trace_row.id}/"
        assert [a.get("href") for a in root.iter(f"{SVG}a")] == [f"{page}#request-{r}" for r in range(5)]
        # One request's own flow diagram stays addressable.
        flow = ET.fromstring(self.client.get(f"/traces/{trace_row.id}.svg?request=3").content)
        assert flow.get("data-testid") == "flow-svg" and "static/app.css" in (flow.findtext(f"{SVG}title") or "")

    def test_svg_download_of_a_single_request_is_unchanged(self) -> None:
        root = ET.fromstring(self.client.get(f"/traces/{self.make_trace().id}.svg").content)
        assert root.get("data-testid") == "flow-svg"

    def test_shared_svg_download_links_to_the_share_page(self) -> None:
        trace_row = run_trace_now(self.notes, self.alice, request={"journey": JOURNEY})
        link = trace_row.share_link(self.alice)
        root = ET.fromstring(self.client.get(f"{link.get_absolute_url()}.svg").content)
        hrefs = [a.get("href") for a in root.iter(f"{SVG}a")]
        assert hrefs[0] == f"http://testserver{link.get_absolute_url()}#request-0"
