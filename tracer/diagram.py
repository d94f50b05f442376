"""Pure layout for the flow diagram and text summaries of a trace-v1 request (no Django imports).

The SVG itself is a Django template (templates/tracer/diagram.svg) fed with the numbers computed here:
one lane per component group, one arrow per hop, and the response arrow back to the browser. Each arrow says
in words what its hop did (its verdict: "forwarded", "answered", ...); only the hop that decided the answer
carries the status ("503 Service Unavailable", "connection refused") in its colour, with a "decided here"
mark, so colour is never the only signal. Names and labels wrap onto a second line and are never cut without
their full text in the arrow's <title>. :func:`layout_vertical` is the same flow top to bottom, for phones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracer.engine.http_status import status_text as http_status_text
from tracer.engine.printable import printable_tree
from tracer.engine.result import Hop, RequestTrace
from tracer.engine.verdicts import ANSWERED, ASSUMED, DROPPED, REDIRECTED, VERDICTS, assign_verdicts

# Lane id, title. Order is the order of the path into the cluster.
LANES: tuple[tuple[str, str], ...] = (
    ("browser", "Browser"),
    ("dns", "DNS"),
    ("entry", "Load balancer / Node"),
    ("kube-proxy", "kube-proxy"),
    ("controller", "Controller"),
    ("service", "Service"),
    ("pod", "Pod"),
)
COMPONENT_LANE = {
    "browser": "browser",
    "dns": "dns",
    "load-balancer": "entry",
    "node": "entry",
    "kube-proxy": "kube-proxy",
    "controller": "controller",
    "auth": "controller",
    "service": "service",
    "endpoints": "pod",
    "pod": "pod",
}
L4_OUTCOMES = {
    "refused": "connection refused",
    "timeout": "timeout",
    "reset": "connection reset",
    "tls-error": "TLS error",
    "websocket-closed": "WebSocket closed",
    "unknown": "not simulated",
}
ERROR_TEXT = {
    "connection-refused": "connection refused",
    "timeout": "timeout",
    "reset": "connection reset",
    "tls-error": "TLS error",
    "websocket-closed": "WebSocket closed",
    "not-simulated": "not simulated",
}

LANE_W = 160
MARGIN = 16
HEADER_H = 44
ROW_H = 58
LINE_H = 14  # one more line of 12px text
CHAR_W = 6.6  # average width of a 12px system-font character
MAX_LINES = 2  # a name or label wraps onto at most this many lines; the <title> has the whole text
CALM = "calm"  # the style of a hop that did not decide the answer
DECIDED_MARK = "decided here"
LOOKED_UP = "looked up"
# The vertical variant (phones): one box per hop, top to bottom, drawn at its native size in 300 px.
V_WIDTH = 300
V_BOX_X = 8
V_GAP = 22  # between boxes, with the arrow down
V_PAD = 8


def status_text(status: int | None, outcome: str = "forward", error: str | None = None) -> str:
    """What an arrow says: "200 OK", "503 Service Unavailable", "connection refused", "forwarded".

    Status lines come from the engine's one RFC 9110 table, as in the CLI's text report.
    """
    if outcome in L4_OUTCOMES:
        return L4_OUTCOMES[outcome]
    if status is not None:
        return http_status_text(status)
    if error:
        return ERROR_TEXT.get(error, error)
    return "forwarded" if outcome == "forward" else outcome


def outcome_class(status: int | None, outcome: str = "forward", error: str | None = None) -> str:
    """CSS class for the colour: ok, redirect, client-error, server-error, l4, neutral."""
    if outcome in L4_OUTCOMES or (status is None and error):
        return "l4"
    if status is None:
        return "neutral"
    if status < 300:
        return "ok"
    if status < 400:
        return "redirect"
    if status < 500:
        return "client-error"
    return "server-error"


def truncate(text: str, width: float) -> str:
    limit = max(4, int(width / CHAR_W))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _break_points(text: str) -> list[int]:
    """Where a line may end: after a space, or after "-", "/", "." inside a name."""
    return [i + 1 for i, c in enumerate(text) if c in " -/.:"]


def wrap(text: str, width: float, max_lines: int = MAX_LINES) -> list[str]:
    """``text`` on lines of at most ``width`` pixels, at most ``max_lines`` of them; the last one ends in "…"
    when the text is longer still (the caller puts the whole text in a <title>)."""
    limit = max(4, int(width / CHAR_W))
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines:
        if len(rest) <= limit:
            lines.append(rest)
            rest = ""
            break
        if len(lines) == max_lines - 1:
            lines.append(rest[: limit - 1].rstrip() + "…")
            rest = ""
            break
        cut = max((i for i in _break_points(rest[: limit + 1]) if i <= limit), default=limit)
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return lines or [""]


def request_verdicts(req: dict[str, Any]) -> tuple[list[str], int | None]:
    """Each hop's verdict and the deciding hop of a trace-v1 request.

    Taken from the JSON when it carries them; a trace stored before they existed (or imported without them) gets
    them from the engine's own rule (tracer.engine.verdicts), applied to its hops.
    """
    hops = [h for h in req.get("hops") or [] if isinstance(h, dict)]
    given = [h.get("verdict") for h in hops]
    decided = req.get("decided_by")
    if hops and all(v in VERDICTS for v in given) and isinstance(decided, int) and 0 <= decided < len(hops):
        return [str(v) for v in given], decided
    rebuilt = RequestTrace(request={}, hops=[
        Hop(
            str(h.get("component") or ""),
            str(h.get("name") or ""),
            str(h.get("summary") or ""),
            outcome=str(h.get("outcome") or "forward"),
            status=h["status"] if isinstance(h.get("status"), int) else None,
            confidence=str(h.get("confidence") or "from-snapshot"),
        )
        for h in hops
    ])
    assign_verdicts(rebuilt)
    return [h.verdict for h in rebuilt.hops], rebuilt.decided_by


def looked_up(verdicts: list[str], decided_by: int | None) -> set[int]:
    """Hops behind a deciding hop that answered itself: the lookups it made (the Service and Endpoints
    ingress-nginx reads itself, dataplane#R31; an auth service it asked), which the request did not pass through."""
    if decided_by is None or verdicts[decided_by] not in (ANSWERED, REDIRECTED, ASSUMED):
        return set()
    return set(range(decided_by + 1, len(verdicts)))


def hop_words(hop: dict[str, Any], verdict: str, *, decided: bool, consulted: bool) -> tuple[str, str]:
    """What a hop's arrow or row says, and its style: the status for the deciding hop ("503 Service
    Unavailable", "timeout"), the verdict in words otherwise."""
    status, outcome = hop.get("status"), str(hop.get("outcome") or "forward")
    if decided:
        words = status_text(status, outcome)
        if verdict == ASSUMED and outcome != "unknown":
            words += " (assumed)"
        return words, outcome_class(status, outcome)
    if verdict == DROPPED:
        return status_text(status, outcome), CALM
    return (LOOKED_UP if consulted else verdict), CALM


@dataclass
class Lane:
    id: str
    title: str
    x: float
    index: int

    @property
    def head_x(self) -> float:
        return self.x - 73


@dataclass
class Arrow:
    hop: int  # index into hops, -1 for the response arrow
    x1: float
    x2: float
    y: float
    name: str
    label: str
    css: str
    title: str
    dashed: bool = False
    self_loop: bool = False
    side_box: bool = False
    head: str = ""  # polygon points of the arrow head
    text_x: float = 0
    box_x: float = 0
    box_w: float = 0
    url: str = ""  # hop details partial (set by the page)
    href: str = ""  # no-JS fallback link (set by the page)
    target: str = ""  # element the partial is swapped into
    push: str = ""  # the page's own URL for this hop (?hop=R.I), pushed to the address bar
    verdict: str = ""
    decided: bool = False  # the hop whose decision determined the answer
    name_lines: list[str] = field(default_factory=list)
    label_lines: list[str] = field(default_factory=list)

    @property
    def boxed(self) -> bool:
        return self.side_box or self.self_loop

    @property
    def name_y(self) -> float:
        return self.y - 6 if self.boxed else self.y - 8 - LINE_H * (len(self.name_lines) - 1)

    @property
    def label_y(self) -> float:
        if self.boxed:
            return self.y + 10 + LINE_H * (len(self.name_lines) - 1)
        return self.y + 16

    @property
    def mark_y(self) -> float:
        """The baseline of the "decided here" mark, under the label."""
        return self.label_y + LINE_H * len(self.label_lines)

    @property
    def box_y(self) -> float:
        return self.y - 22

    @property
    def box_h(self) -> float:
        return 40 + LINE_H * self.extra_lines

    @property
    def extra_lines(self) -> int:
        """Lines beyond one name and one label line (wrapped text, the mark)."""
        return max(0, len(self.name_lines) - 1) + max(0, len(self.label_lines) - 1) + (1 if self.decided else 0)

    @property
    def name_tspans(self) -> list[tuple[float, str]]:
        return [(self.name_y + LINE_H * k, line) for k, line in enumerate(self.name_lines)]

    @property
    def label_tspans(self) -> list[tuple[float, str]]:
        return [(self.label_y + LINE_H * k, line) for k, line in enumerate(self.label_lines)]


@dataclass
class Diagram:
    width: float
    height: float
    lanes: list[Lane] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    request_label: str = ""
    final_label: str = ""
    final_css: str = "neutral"
    lane_bottom: float = 0
    decided_by: int | None = None
    verdicts: list[str] = field(default_factory=list)


def _head(x1: float, x2: float, y: float) -> str:
    d = 1 if x2 >= x1 else -1
    return f"{x2:.1f},{y:.1f} {x2 - 9 * d:.1f},{y - 5:.1f} {x2 - 9 * d:.1f},{y + 5:.1f}"


def layout(req: dict[str, Any]) -> Diagram:
    """Compute the diagram of one request of a trace-v1 document."""
    req = printable_tree(req)  # names and URLs from manifests: control characters would make the SVG invalid XML
    hops: list[dict[str, Any]] = list(req.get("hops") or [])
    used = {"browser"} | {COMPONENT_LANE.get(str(h.get("component")), "controller") for h in hops}
    lanes = [
        Lane(lid, title, MARGIN + LANE_W / 2 + i * LANE_W, i)
        for i, (lid, title) in enumerate(lane for lane in LANES if lane[0] in used)
    ]
    by_id = {lane.id: lane for lane in lanes}
    diagram = Diagram(width=MARGIN * 2 + LANE_W * len(lanes), height=0, lanes=lanes)
    method = (req.get("request") or {}).get("method", "GET")
    url = (req.get("request") or {}).get("url", "")
    diagram.request_label = f"{method} {url}"

    verdicts, decided_by = request_verdicts(req)
    consulted = looked_up(verdicts, decided_by)
    diagram.verdicts, diagram.decided_by = verdicts, decided_by
    y = HEADER_H + 34.0
    prev = by_id["browser"]
    last_lane = prev
    for i, hop in enumerate(hops):
        component = str(hop.get("component") or "")
        lane = by_id[COMPONENT_LANE.get(component, "controller")]
        status, outcome = hop.get("status"), str(hop.get("outcome") or "forward")
        decided = i == decided_by
        label, css = hop_words(hop, verdicts[i], decided=decided, consulted=i in consulted)
        if component == "auth" and not decided and status is not None:
            label = status_text(status, outcome)  # the auth service's own answer to the subrequest, not the client's
        if hop.get("confidence") == "assumed" and "assumed" not in label:
            label += " (assumed)"
        name = f"{i + 1}. {hop.get('name') or component}"
        summary = str(hop.get("summary") or "")
        arrow = Arrow(
            hop=i,
            x1=prev.x,
            x2=lane.x,
            y=y,
            name=name,
            label=label,
            css=css,
            title=f"{name}: {label}{'; ' + DECIDED_MARK if decided else ''}. {component}"
            + (f": {summary}" if summary else ""),
            dashed=hop.get("confidence") == "assumed",
            verdict=verdicts[i],
            decided=decided,
        )
        width: float  # the room for its name and label
        if component == "auth":
            # Auth is a side box next to the controller lane.
            arrow.side_box = True
            arrow.box_x, arrow.box_w = lane.x + 10, LANE_W - 24
            arrow.text_x = arrow.box_x + 6
            width = arrow.box_w - 10
        elif lane is prev:
            # Same lane (browser start, load balancer then node): an activation box on the lane.
            arrow.self_loop = True
            arrow.box_x, arrow.box_w = lane.x - LANE_W / 2 + 8, LANE_W - 16
            arrow.text_x = lane.x
            width = arrow.box_w - 8
        else:
            arrow.head = _head(prev.x, lane.x, y)
            arrow.text_x = (prev.x + lane.x) / 2
            width = abs(lane.x - prev.x) - 12
        arrow.name_lines = wrap(name, width)
        arrow.label_lines = wrap(label, width)
        if not arrow.boxed:
            # Wrapped names grow upwards: the arrow moves down by their extra lines.
            shift = LINE_H * (len(arrow.name_lines) - 1)
            arrow.y += shift
            arrow.head = _head(prev.x, lane.x, arrow.y)
        diagram.arrows.append(arrow)
        if component != "auth":
            prev = lane
        last_lane = lane if component != "auth" else last_lane
        y = arrow.y + ROW_H + LINE_H * (arrow.extra_lines - (0 if arrow.boxed else len(arrow.name_lines) - 1))

    status, error = req.get("status"), req.get("error")
    final = status_text(status, "respond", error) if (status is not None or error) else "no response"
    diagram.final_label = final
    diagram.final_css = outcome_class(status, "respond", error) if (status is not None or error) else "neutral"
    browser = by_id["browser"]
    if last_lane is not browser:
        width = abs(last_lane.x - browser.x) - 12
        back = Arrow(
            hop=-1,
            x1=last_lane.x,
            x2=browser.x,
            y=y,
            name="response",
            label=final,
            css=diagram.final_css,
            title=f"the client gets {final}",
            dashed=True,
            head=_head(last_lane.x, browser.x, y),
            text_x=(last_lane.x + browser.x) / 2,
            name_lines=["response"],
            label_lines=wrap(final, width),
        )
        diagram.arrows.append(back)
        y += ROW_H + LINE_H * back.extra_lines
    diagram.lane_bottom = y - ROW_H / 2 + 8
    diagram.height = y
    return diagram


# -- the vertical variant ------------------------------------------------------------------------------

COMPONENT_TITLE = {
    "browser": "Browser",
    "dns": "DNS",
    "load-balancer": "Load balancer",
    "node": "Node",
    "kube-proxy": "kube-proxy",
    "controller": "Controller",
    "auth": "Auth (subrequest)",
    "service": "Service",
    "endpoints": "Endpoints",
    "pod": "Pod",
}


@dataclass
class VBox:
    """One hop of the vertical diagram: a box with its number and component, its name, and what it did."""

    hop: int  # index into hops, -1 for the response box
    y: float
    head: str
    name_lines: list[str]
    label_lines: list[str]
    css: str
    title: str
    decided: bool = False
    dashed: bool = False
    url: str = ""
    href: str = ""
    target: str = ""
    push: str = ""

    @property
    def height(self) -> float:
        lines = 1 + len(self.name_lines) + len(self.label_lines) + (1 if self.decided else 0)
        return 2 * V_PAD + LINE_H * lines + 2

    @property
    def text_x(self) -> float:
        return V_BOX_X + 14

    @property
    def head_y(self) -> float:
        return self.y + V_PAD + 11

    @property
    def name_tspans(self) -> list[tuple[float, str]]:
        return [(self.head_y + LINE_H * (k + 1), line) for k, line in enumerate(self.name_lines)]

    @property
    def label_tspans(self) -> list[tuple[float, str]]:
        start = self.head_y + LINE_H * (len(self.name_lines) + 1)
        return [(start + LINE_H * k, line) for k, line in enumerate(self.label_lines)]

    @property
    def mark_y(self) -> float:
        return self.head_y + LINE_H * (len(self.name_lines) + len(self.label_lines) + 1)

    @property
    def bottom(self) -> float:
        return self.y + self.height


@dataclass
class VDiagram:
    width: float
    height: float
    boxes: list[VBox] = field(default_factory=list)
    # The arrows down between boxes: (x, y1, y2, arrow head points).
    links: list[tuple[float, float, float, str]] = field(default_factory=list)
    request_label: str = ""
    final_label: str = ""
    box_x: float = V_BOX_X
    box_w: float = V_WIDTH - 2 * V_BOX_X


def layout_vertical(req: dict[str, Any]) -> VDiagram:
    """The flow of one request top to bottom in 300 px, so a phone shows it at its native size (12 px text)."""
    req = printable_tree(req)
    hops: list[dict[str, Any]] = list(req.get("hops") or [])
    verdicts, decided_by = request_verdicts(req)
    consulted = looked_up(verdicts, decided_by)
    r = req.get("request") or {}
    diagram = VDiagram(width=V_WIDTH, height=0, request_label=f"{r.get('method', 'GET')} {r.get('url', '')}")
    text_w = diagram.box_w - 24
    y = 8.0
    for i, hop in enumerate(hops):
        component = str(hop.get("component") or "")
        decided = i == decided_by
        label, css = hop_words(hop, verdicts[i], decided=decided, consulted=i in consulted)
        if component == "auth" and not decided and hop.get("status") is not None:
            label = status_text(hop.get("status"), str(hop.get("outcome") or "forward"))
        if hop.get("confidence") == "assumed" and "assumed" not in label:
            label += " (assumed)"
        name = str(hop.get("name") or component)
        head = f"{i + 1}. {COMPONENT_TITLE.get(component, component)}"
        summary = str(hop.get("summary") or "")
        box = VBox(
            hop=i, y=y, head=head, name_lines=wrap(name, text_w), label_lines=wrap(label, text_w), css=css,
            title=f"{head} {name}: {label}{'; ' + DECIDED_MARK if decided else ''}." + (f" {summary}" if summary else ""),
            decided=decided, dashed=hop.get("confidence") == "assumed",
        )
        diagram.boxes.append(box)
        y = box.bottom + V_GAP
    status, error = req.get("status"), req.get("error")
    final = status_text(status, "respond", error) if (status is not None or error) else "no response"
    diagram.final_label = final
    css = outcome_class(status, "respond", error) if (status is not None or error) else "neutral"
    response = VBox(hop=-1, y=y, head="Response", name_lines=["the client gets"], label_lines=wrap(final, text_w),
                    css=css, title=f"the client gets {final}", dashed=True)
    diagram.boxes.append(response)
    x = V_WIDTH / 2
    for above, below in zip(diagram.boxes, diagram.boxes[1:], strict=False):
        y1, y2 = above.bottom + 2, below.y - 2
        diagram.links.append((x, y1, y2, f"{x:.1f},{y2:.1f} {x - 5:.1f},{y2 - 8:.1f} {x + 5:.1f},{y2 - 8:.1f}"))
    diagram.height = response.bottom + 8
    return diagram
