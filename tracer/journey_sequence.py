"""The sequence diagram of a browser journey: lifelines across, one request and its response per step downward.

Pure layout (no Django): trace-v1 JSON in, a small view model with coordinates out. The SVG is the template
templates/tracer/_journey_sequence.svg. The layout never depends on the screen width: the diagram keeps its
native size (text of 11-12 px) and scrolls sideways inside its own box on a phone.

Lanes: the browser; "network" only when a request ends before the controller (DNS, load balancer, node); each
controller installation; each backend Service, or the controller's default backend when no rule matched
(ingress-nginx#6.7). A request's arrow goes to the first component on its path that answered or failed it
(docs/engine-internals.md: hop outcomes), so a 503 for a Service without endpoints ends at the controller that
answered it, and a refused pod at the Service's lane.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tracer.engine.journey.runner import JOURNEY_CLOCK
from tracer.engine.journey.set_cookie import parse_set_cookie
from tracer.engine.journey.text import journey_step_ok
from tracer.engine.printable import printable_tree

from .diagram import ERROR_TEXT, outcome_class, status_text
from .journey_table import is_journey_trace
from .sequence_model import (
    BLOCKED,
    CAUSES,
    CUT_BY,
    ENTRY_WORDS,
    FIRST_ROW,
    FOOTER_LINE_H,
    JOURNEY_ERRORS,
    LANE_W,
    MARGIN,
    PASSING,
    ROW_H,
    SEPARATOR_H,
    SMALL_CHAR_W,
    SeqLane,
    SeqRow,
    SeqSeparator,
    SeqSocket,
    Sequence,
    chars_for,
    short_name,
    shorten,
    shorten_url,
)

Json = dict[str, Any]


# -- which lane a request reaches ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    key: str
    kind: str
    title: str
    subtitle: str


def _answering_hop(hops: list[Json]) -> int:
    """The first hop that answered or failed the request; the last one when every hop passed it on."""
    for i, hop in enumerate(hops):
        if str(hop.get("outcome") or "forward") not in PASSING:
            return i
    return len(hops) - 1


def _controller_target(req: Json, hop: Json) -> _Target:
    installation = req.get("installation") or {}
    name = str(installation.get("name") or hop.get("name") or req.get("controller") or "controller")
    family, _, where = name.partition(" (")
    return _Target(f"controller:{name}", "controller", family, where.removesuffix(")") or "controller")


def _service_target(req: Json, hops: list[Json], default_backend: bool) -> _Target:
    backend = req.get("backend") or {}
    if backend.get("service"):
        where = f"{backend.get('namespace')}/{backend.get('service')}"
    else:
        where = next((str(h.get("name")) for h in hops if h.get("component") == "service"), "backend")
    # ingress-nginx#6.7: --default-backend-service answers what no rule matched.
    title = "default backend" if default_backend else "Service"
    return _Target(f"service:{where}", "service", title, where)


def _target(req: Json) -> _Target | None:
    """The lane of the component that answered the request; None when only the browser saw it."""
    hops = [h for h in req.get("hops") or [] if isinstance(h, dict)]
    if not hops:
        return None
    i = _answering_hop(hops)
    component = str(hops[i].get("component") or "")
    controller = next((h for h in hops[: i + 1] if h.get("component") == "controller"), None)
    details = (controller or {}).get("details") or {}
    default_backend = details.get("upstream") == "upstream-default-backend"
    if component == "browser":
        return None
    if controller is None and component in ENTRY_WORDS:
        return _Target("network", "network", "network", ENTRY_WORDS[component])
    if component in ("controller", "auth") and controller is not None:
        if default_backend and not req.get("backend"):
            # ingress-nginx#6.7: the controller's built-in default server answers 404.
            return _Target("default-backend", "default-backend", "default backend", "controller's built-in")
        return _controller_target(req, controller)
    return _service_target(req, hops, default_backend)


def _passed(req: Json, by_key: dict[str, SeqLane]) -> list[float]:
    """The x of each lane the request went through: the network in front of the controller, the controller."""
    hops = [h for h in req.get("hops") or [] if isinstance(h, dict)]
    xs = []
    if "network" in by_key and any(h.get("component") in ("dns", "load-balancer", "node") for h in hops):
        xs.append(by_key["network"].x)
    controller = next((h for h in hops if h.get("component") == "controller"), None)
    if controller is not None:
        lane = by_key.get(_controller_target(req, controller).key)
        if lane is not None:
            xs.append(lane.x)
    return xs


# -- texts --------------------------------------------------------------------------------------------------


def _where(url: str, start: str) -> str:
    """The path and query; scheme and host too when they differ from the journey's start (http, same host)."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    begin = urlsplit(start)
    if parts.scheme != begin.scheme or parts.netloc != begin.netloc:
        return f"{parts.scheme}://{parts.netloc}{path}"
    return path


def _cause(step: Json) -> str:
    cause = str(step.get("cause") or "")
    words = CAUSES.get(cause, cause)
    parent = step.get("parent")
    return f"{words} #{parent}" if parent is not None and cause != "start" else words


def _status(req: Json) -> tuple[str, str]:
    status, error = req.get("status"), req.get("error")
    if status is None and not error:
        return "no response", "neutral"
    if status is None and error in JOURNEY_ERRORS:
        return JOURNEY_ERRORS[str(error)], "l4"
    text, css = status_text(status, "respond", error), outcome_class(status, "respond", error)
    ws = req.get("websocket")
    if isinstance(ws, dict) and ws.get("opened") and ws.get("close_code") is not None:
        # The handshake's 101 and then the cut (docs/journeys.md "WebSockets"): both belong to the answer.
        return f"{text}, then {socket_end(ws)}", "l4"
    return text, css


def set_cookie_names(req: Json) -> list[str]:
    """Names of the cookies the response's Set-Cookie headers set. The browser reads them only from an answer
    without error (the journey runner's rule); one already expired on the journey clock deletes the cookie
    (RFC 6265 section 5.3)."""
    if req.get("status") is None or req.get("error"):
        return []
    raw = (req.get("response_headers") or {}).get("set-cookie")
    headers = raw if isinstance(raw, list) else [raw] if raw else []
    names = []
    for header in headers:
        parsed = parse_set_cookie(str(header), JOURNEY_CLOCK)
        if parsed is None:
            continue
        name = parsed.name or "(no name)"
        expired = parsed.expiry is not None and parsed.expiry <= JOURNEY_CLOCK
        names.append(f"{name} (deleted)" if expired else name)
    return names


def _cookies(req: Json) -> str:
    parts = []
    sent = [str(c) for c in req.get("cookies_sent") or []]
    if sent:
        parts.append("cookies sent: " + ", ".join(sent))
    set_names = set_cookie_names(req)
    if set_names:
        parts.append("set: " + ", ".join(set_names))
    return " · ".join(parts)


def socket_end(ws: Json) -> str:
    """ "closed 1006 after 60 s" or "open at the end of the journey" for a socket that opened."""
    if ws.get("close_code") is None:
        return "open at the end of the journey"
    seconds = ws.get("closed_after_s")
    after = f" after {float(seconds):g} s" if isinstance(seconds, int | float) else ""
    return f"closed {ws.get('close_code')}{after}"


def _alerts(req: Json, ok: bool, first: bool) -> list[str]:
    alerts = ["first failure" if first else "fails"] if not ok else []
    blocked = req.get("blocked")
    if blocked:
        alerts.append(BLOCKED.get(str(blocked), f"blocked: {blocked}"))
    ws = req.get("websocket")
    if isinstance(ws, dict) and not ws.get("opened"):
        code = ws.get("close_code")
        alerts.append(f"WebSocket refused ({code})" if code is not None else "WebSocket refused")
    error = req.get("error")
    if error and req.get("status") is not None and error != "websocket-closed":
        alerts.append("then " + JOURNEY_ERRORS.get(str(error), ERROR_TEXT.get(str(error), str(error))))
    return alerts


# -- layout -------------------------------------------------------------------------------------------------


def _lanes(requests: list[Json], targets: list[_Target | None]) -> list[SeqLane]:
    first = (requests[0].get("request") or {}) if requests else {}
    found: dict[str, _Target] = {}
    for req, target in zip(requests, targets, strict=True):
        hops = req.get("hops") or []
        controller = next((h for h in hops if isinstance(h, dict) and h.get("component") == "controller"), None)
        if controller is not None:
            t = _controller_target(req, controller)
            found.setdefault(t.key, t)
        if target is not None:
            found.setdefault(target.key, target)
    order = {"network": 0, "controller": 1, "default-backend": 2, "service": 3}
    ordered = sorted(found.values(), key=lambda t: order[t.kind])  # stable: first appearance within a kind
    network_words = sorted({t.subtitle for t in targets if t is not None and t.kind == "network"})
    client = str(first.get("client_ip") or "")
    lanes = [SeqLane("browser", "browser", "Browser", client, f"Browser {client}".strip(), MARGIN + LANE_W / 2)]
    for n, t in enumerate(ordered, start=1):
        subtitle = ", ".join(network_words) if t.kind == "network" else t.subtitle
        lanes.append(
            SeqLane(t.key, t.kind, t.title, subtitle, f"{t.title}: {subtitle}", MARGIN + LANE_W / 2 + n * LANE_W)
        )
    return [
        SeqLane(
            lane.key,
            lane.kind,
            shorten(lane.title, chars_for(lane.head_w - 8)),
            short_name(lane.subtitle, chars_for(lane.head_w - 8, SMALL_CHAR_W)),
            lane.full,
            lane.x,
        )
        for lane in lanes
    ]


def journey_sequence(result: Json | None) -> Sequence | None:
    """The sequence diagram of a trace-v1 document's journey(s); None for a trace of single requests."""
    # Indexes stay those of the trace: the page addresses request r as #request-<r>.
    result = printable_tree(result)  # control characters would make the SVG invalid XML
    requests = [r if isinstance(r, dict) else {} for r in (result or {}).get("requests") or []]
    if not requests or not is_journey_trace(requests):
        return None
    targets = [_target(req) for req in requests]
    lanes = _lanes(requests, targets)
    by_key = {lane.key: lane for lane in lanes}
    browser = lanes[0]
    width = 2 * MARGIN + LANE_W * len(lanes)
    seq = Sequence(width=width, height=0, lanes=lanes)
    label_chars = chars_for(width - 2 * MARGIN - 14)
    note_chars = chars_for(width - 2 * MARGIN - 14, SMALL_CHAR_W)

    y = float(FIRST_ROW)
    start_url = ""
    journeys = 0
    failed = False
    socket_slots: dict[str, int] = {}
    for r, (req, target) in enumerate(zip(requests, targets, strict=True)):
        raw_step = req.get("step")
        step: Json = raw_step if isinstance(raw_step, dict) else {}
        request = req.get("request") or {}
        url = str(request.get("url") or "")
        if step.get("cause") == "start" or not start_url:
            start_url = url
            journeys += 1
            if journeys > 1:
                seq.separators.append(SeqSeparator(y + SEPARATOR_H / 2, f"Journey {journeys}"))
                y += SEPARATOR_H
        number = int(step.get("index") or r + 1)
        cause_text = _cause(step)
        method = str(request.get("method") or "GET")
        ok = journey_step_ok({**req, "request": request, "step": step or {"cause": ""}})
        first = not ok and not failed
        failed = failed or not ok
        status, css = _status(req)
        alerts = " · ".join(_alerts(req, ok, first))
        cookies = _cookies(req)
        budget = label_chars - len(f"#{number} {cause_text} {method} ")
        lane = by_key[target.key] if target is not None else browser
        row = SeqRow(
            r=r,
            number=number,
            cause=str(step.get("cause") or ""),
            cause_text=cause_text,
            method=method,
            where=shorten_url(_where(url, start_url), budget),
            url=url,
            lane=lane.key,
            top=y,
            x1=browser.x,
            x2=lane.x,
            status=shorten(status, label_chars),
            css=css,
            ok=ok,
            first_failure=first,
            alerts=alerts,
            cookies=shorten(cookies, max(8, note_chars - len(alerts) - 3)) if cookies else "",
            cookies_full=cookies,
        )
        row.via = [x for x in _passed(req, by_key) if browser.x < x < lane.x]
        ws = req.get("websocket")
        if isinstance(ws, dict) and ws.get("opened") and row.reached:
            slot = socket_slots.get(lane.key, 0)
            socket_slots[lane.key] = slot + 1
            cut = next((h for h in req.get("hops") or [] if h.get("outcome") == "websocket-closed"), None)
            end = socket_end(ws)
            cut_by = CUT_BY.get(str(cut.get("component")), str(cut.get("component"))) if cut else ""
            row.socket = SeqSocket(
                number=number,
                x=lane.x - 3 + 8 * slot,
                y1=row.resp_y,
                y2=0,
                closed=ws.get("close_code") is not None,
                text=end,
                line=f"#{number} WebSocket {end}" + (f", cut by {cut_by}" if cut_by else ""),
                cut_by=str(cut.get("name") or "") if cut else "",
            )
            seq.sockets.append(row.socket)
        seq.rows.append(row)
        y += ROW_H

    for k, socket in enumerate(seq.sockets):
        socket.y2 = y + 14 + k * FOOTER_LINE_H
        socket.line = shorten(socket.line, chars_for(width - 2 * MARGIN, SMALL_CHAR_W))
        # The footer line beside the end of its bar: left of it when it fits there, else right, else anywhere.
        text_w = len(socket.line) * SMALL_CHAR_W
        if socket.x - 10 - text_w >= MARGIN:
            socket.text_x, socket.anchor = socket.x - 10, "end"
        elif socket.x + 16 + text_w <= width - MARGIN:
            socket.text_x = socket.x + 16
        else:
            socket.text_x = MARGIN
    if seq.sockets:
        y += 14 + len(seq.sockets) * FOOTER_LINE_H
    seq.height = y + 8
    seq.title, seq.desc = _words(seq, lanes)
    return seq


def _words(seq: Sequence, lanes: list[SeqLane]) -> tuple[str, str]:
    """The diagram's title and its description for screen readers: every step and its outcome in order."""
    n = len(seq.rows)
    title = f"Sequence of the journey: {n} request{'' if n == 1 else 's'}"
    failure = next((row for row in seq.rows if row.first_failure), None)
    verdict = (
        f"It fails at #{failure.number} {failure.method} {failure.url} ({failure.status})."
        if failure
        else "Every request succeeded."
    )
    between = ", ".join(lane.full for lane in lanes)
    steps = []
    lane_full = {lane.key: lane.full for lane in lanes}
    for row in seq.rows:
        where = f", answered by {lane_full.get(row.lane, '')}" if row.reached else ""  # else the status says so
        line = f"#{row.number} {row.cause_text}: {row.method} {row.url}{where}: {row.status}"
        extra = [part for part in (row.alerts, row.cookies_full, row.socket.line if row.socket else "") if part]
        steps.append(line + (f" ({'; '.join(extra)})" if extra else "") + ".")
    return title, " ".join([f"Lifelines: {between}.", verdict, *steps])
