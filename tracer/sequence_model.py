"""The journey sequence diagram's view model: lanes, rows, sockets and their coordinates, and the shortening of
text to the widths it is drawn in (tracer/journey_sequence.py fills it from a trace; the SVG is the template
templates/tracer/_journey_sequence.svg). Pure layout, no Django."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]
MARGIN = 12
LANE_W = 180
HEAD_TOP = 8
HEAD_H = 40
FIRST_ROW = HEAD_TOP + HEAD_H + 12
ROW_H = 80
SEPARATOR_H = 30
FOOTER_LINE_H = 20
CHAR_W = 7.0  # average width of a 12 px character, generous: fonts differ between systems
SMALL_CHAR_W = 6.4  # the same at 11 px

CAUSES = {"start": "start", "redirect": "redirect from", "asset": "asset of", "websocket": "WebSocket of"}
BLOCKED = {"status": "blocked: failed status", "mime": "blocked: MIME type", "mixed-content": "blocked: mixed content"}
# Errors a journey adds beside the proxy's (docs/journeys.md "What the browser does").
JOURNEY_ERRORS = {
    "redirect-loop": "redirect loop",
    "too-many-redirects": "too many redirects",
    "bad-location": "Location is not http(s)",
    "mixed-content": "not sent: mixed content",
}
# Components that end a request before the controller, as the network lane names them.
ENTRY_WORDS = {"dns": "DNS", "load-balancer": "load balancer", "node": "node", "kube-proxy": "kube-proxy"}
CUT_BY = {"controller": "the controller", "load-balancer": "the load balancer"}
# A hop that passes the request on; a WebSocket cut comes after the handshake was answered (docs/journeys.md).
PASSING = {"forward", "websocket-closed"}


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters. A long URL keeps its scheme and host, the start of its path and its last
    segment (what it asks for); the middle gives way."""
    if len(text) <= limit:
        return text
    if limit < 8:
        return text[: max(1, limit - 1)] + "…"
    origin = ""
    if "://" in text:
        slash = text.find("/", text.find("://") + 3)
        if 0 < slash < limit // 2:
            origin = text[: slash + 1]
    rest, room = text[len(origin) :], limit - 1 - len(origin)
    cut = rest.rfind("/", 0, len(rest) - 1)
    tail = rest[cut:] if cut > 0 else ""
    if not tail or len(tail) > room * 2 // 3:
        tail = rest[-(room * 2 // 3) :]
    return origin + rest[: room - len(tail)] + "…" + tail


def shorten_url(where: str, limit: int) -> str:
    """A path (or URL) in ``limit`` characters: the query goes first, then the middle of the path."""
    if len(where) <= limit:
        return where
    path, sep, query = where.partition("?")
    if not sep:
        return shorten(path, limit)
    if len(path) + 3 <= limit:
        return f"{path}?{query[: limit - len(path) - 2]}…"
    return shorten(path, limit - 2) + "?…"


def short_name(where: str, limit: int) -> str:
    """``namespace/name`` in ``limit`` characters: the name alone when both do not fit."""
    if len(where) > limit and "/" in where:
        where = where.split("/", 1)[1]
    return shorten(where, limit)


def chars_for(width: float, char_w: float = CHAR_W) -> int:
    return max(4, int(width / char_w))


@dataclass(frozen=True, slots=True)
class SeqLane:
    key: str
    kind: str  # browser | network | controller | default-backend | service
    title: str
    subtitle: str
    full: str  # both lines untruncated, for the lane's tooltip
    x: float

    @property
    def head_w(self) -> float:
        return LANE_W - 16

    @property
    def head_x(self) -> float:
        return self.x - self.head_w / 2


@dataclass(slots=True)
class SeqSocket:
    """A WebSocket that opened: a bar on the lifeline of the lane that answered 101, down to the footer."""

    number: int
    x: float
    y1: float
    y2: float
    closed: bool
    text: str  # "closed 1006 after 60 s" / "open at the end of the journey"
    line: str  # the footer line: "#5 WebSocket closed 1006 after 60 s, cut by the controller"
    cut_by: str = ""
    text_x: float = 0
    anchor: str = "start"

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def text_y(self) -> float:
        return self.y2 + 4

    @property
    def mark(self) -> str:
        """The end of the bar: a cross where the socket was closed, an open triangle where it goes on."""
        x, y = self.x + 3, self.y2
        if self.closed:
            return _cross(x, y, 6)
        return f"M{x - 6:.1f},{y - 4:.1f} L{x:.1f},{y + 4:.1f} L{x + 6:.1f},{y - 4:.1f}"


@dataclass(slots=True)
class SeqRow:
    r: int  # index of the request in the trace: the page addresses it as #request-<r>
    number: int  # step.index
    cause: str  # start | redirect | asset | websocket
    cause_text: str  # "redirect from #1"
    method: str
    where: str  # shortened path (or URL when the host differs from the start's)
    url: str
    lane: str  # key of the lane the request reached
    top: float
    x1: float  # browser
    x2: float  # the lane that answered
    status: str  # "200 OK", "connection refused", "101 Switching Protocols"
    css: str  # outcome class of the response
    ok: bool
    first_failure: bool
    alerts: str  # "first failure · blocked: MIME type"
    cookies: str  # "cookies sent: sid · set: sid"
    cookies_full: str
    socket: SeqSocket | None = None
    via: list[float] = field(default_factory=list)  # lifelines the request passed on its way (a dot on each)

    @property
    def reached(self) -> bool:
        """False when the browser never sent it (mixed content): no arrows, a cross on the browser's lane."""
        return self.x2 != self.x1

    @property
    def label_y(self) -> float:
        return self.top + 17

    @property
    def req_y(self) -> float:
        return self.top + 28

    @property
    def status_y(self) -> float:
        return self.top + 47

    @property
    def resp_y(self) -> float:
        return self.top + 55

    @property
    def note_y(self) -> float:
        return self.top + 72

    @property
    def bottom(self) -> float:
        return self.top + ROW_H

    @property
    def band_y(self) -> float:
        return self.top + 2

    @property
    def band_h(self) -> float:
        return ROW_H - 4

    @property
    def hit_y(self) -> float:
        return self.top + 3

    @property
    def cross(self) -> str:
        """A cross on the browser's lifeline for a request it never sent."""
        return _cross(self.x1, self.req_y, 5)

    @property
    def text_x(self) -> float:
        return self.x1 + 10

    @property
    def req_head(self) -> str:
        return _head(self.x1, self.x2, self.req_y)

    @property
    def resp_head(self) -> str:
        return _head(self.x2, self.x1, self.resp_y)

    @property
    def failing(self) -> bool:
        return not self.ok


@dataclass(frozen=True, slots=True)
class SeqSeparator:
    """Where the next journey of a trace starts (its steps count from 1 again)."""

    y: float
    text: str


@dataclass(slots=True)
class Sequence:
    width: float
    height: float
    lanes: list[SeqLane] = field(default_factory=list)
    rows: list[SeqRow] = field(default_factory=list)
    sockets: list[SeqSocket] = field(default_factory=list)
    separators: list[SeqSeparator] = field(default_factory=list)
    title: str = ""
    desc: str = ""

    @property
    def lifeline_top(self) -> float:
        return HEAD_TOP + HEAD_H

    @property
    def lifeline_bottom(self) -> float:
        return self.height - 6

    @property
    def margin(self) -> float:
        return MARGIN

    @property
    def inner_w(self) -> float:
        return self.width - 2 * MARGIN

    @property
    def band_x(self) -> float:
        return MARGIN / 2

    @property
    def band_w(self) -> float:
        return self.width - MARGIN

    @property
    def label_x(self) -> float:
        return MARGIN + 4


def _cross(x: float, y: float, r: float) -> str:
    return f"M{x - r:.1f},{y - r:.1f} L{x + r:.1f},{y + r:.1f} M{x + r:.1f},{y - r:.1f} L{x - r:.1f},{y + r:.1f}"


def _head(x1: float, x2: float, y: float) -> str:
    d = 1 if x2 >= x1 else -1
    return f"{x2:.1f},{y:.1f} {x2 - 9 * d:.1f},{y - 5:.1f} {x2 - 9 * d:.1f},{y + 5:.1f}"
