"""Pure layout for the flow diagram and text summaries of a trace-v1 request (no Django imports).

The SVG itself is a Django template (templates/tracer/diagram.svg) fed with the numbers computed here:
one lane per component group, one arrow per hop, and the response arrow back to the browser. Every arrow
carries its status as text ("200 OK", "refused"), so colour is never the only signal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from tracer.engine.http_status import status_text as http_status_text

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
CHAR_W = 6.6  # average width of a 12px system-font character


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

    @property
    def name_y(self) -> float:
        return self.y - 6 if (self.side_box or self.self_loop) else self.y - 8

    @property
    def label_y(self) -> float:
        return self.y + 10 if (self.side_box or self.self_loop) else self.y + 16

    @property
    def box_y(self) -> float:
        return self.y - 22


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


def _head(x1: float, x2: float, y: float) -> str:
    d = 1 if x2 >= x1 else -1
    return f"{x2:.1f},{y:.1f} {x2 - 9 * d:.1f},{y - 5:.1f} {x2 - 9 * d:.1f},{y + 5:.1f}"


def layout(req: dict[str, Any]) -> Diagram:
    """Compute the diagram of one request of a trace-v1 document."""
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

    y = HEADER_H + 34.0
    prev = by_id["browser"]
    last_lane = prev
    for i, hop in enumerate(hops):
        component = str(hop.get("component") or "")
        lane = by_id[COMPONENT_LANE.get(component, "controller")]
        status, outcome = hop.get("status"), str(hop.get("outcome") or "forward")
        label = status_text(status, outcome)
        css = outcome_class(status, outcome)
        name = str(hop.get("name") or component)
        dashed = hop.get("confidence") == "assumed"
        summary = str(hop.get("summary") or "")
        arrow = Arrow(
            hop=i,
            x1=prev.x,
            x2=lane.x,
            y=y,
            name=f"{i + 1}. {name}",
            label=label + (" (assumed)" if hop.get("confidence") == "assumed" else ""),
            css=css,
            title=f"{component}: {summary}" if summary else component,
            dashed=dashed,
        )
        if component == "auth":
            # Auth is a side box next to the controller lane.
            arrow.side_box = True
            arrow.box_x, arrow.box_w = lane.x + 10, LANE_W - 24
            arrow.text_x = arrow.box_x + 6
            arrow.name = truncate(arrow.name, arrow.box_w - 10)
            arrow.label = truncate(arrow.label, arrow.box_w - 10)
        elif lane is prev:
            # Same lane (browser start, load balancer then node): an activation box on the lane.
            arrow.self_loop = True
            arrow.box_x, arrow.box_w = lane.x - LANE_W / 2 + 8, LANE_W - 16
            arrow.text_x = lane.x
            arrow.name = truncate(arrow.name, arrow.box_w - 8)
            arrow.label = truncate(arrow.label, arrow.box_w - 8)
        else:
            span = abs(lane.x - prev.x)
            arrow.head = _head(prev.x, lane.x, y)
            arrow.text_x = (prev.x + lane.x) / 2
            arrow.name = truncate(arrow.name, span - 12)
            arrow.label = truncate(arrow.label, span - 12)
        diagram.arrows.append(arrow)
        if component != "auth":
            prev = lane
        last_lane = lane if component != "auth" else last_lane
        y += ROW_H

    status, error = req.get("status"), req.get("error")
    final = status_text(status, "respond", error) if (status is not None or error) else "no response"
    diagram.final_label = final
    diagram.final_css = outcome_class(status, "respond", error) if (status is not None or error) else "neutral"
    browser = by_id["browser"]
    if last_lane is not browser:
        back = Arrow(
            hop=-1,
            x1=last_lane.x,
            x2=browser.x,
            y=y,
            name="response",
            label=truncate(final, abs(last_lane.x - browser.x) - 12),
            css=diagram.final_css,
            title=f"the client gets {final}",
            dashed=True,
            head=_head(last_lane.x, browser.x, y),
            text_x=(last_lane.x + browser.x) / 2,
        )
        diagram.arrows.append(back)
        y += ROW_H
    diagram.lane_bottom = y - ROW_H / 2 + 8
    diagram.height = y
    return diagram


# -- Markdown ------------------------------------------------------------------------------------------


def _md(text: Any) -> str:
    """Escape a value for a Markdown table cell (pipes, newlines, HTML)."""
    s = "" if text is None else str(text)
    return (
        s.replace("\\", "\\\\")
        .replace("|", "\\|")
        # A backslash escape, not an entity: the .md file stays readable as text ("->" and not "-&gt;"), and
        # a renderer cannot take "<x>" for an HTML tag (CommonMark: any ASCII punctuation may be escaped).
        .replace("<", "\\<")
        .replace("\r", " ")
        .replace("\n", " ")
    )


def markdown_summary(result: dict[str, Any], title: str = "", url: str = "") -> str:
    """A Markdown summary: per request, the hop table and the diagnoses with fixes."""
    lines: list[str] = []
    if title:
        lines += [f"## {_md(title)}", ""]
    if url:
        lines += [f"Trace: {url}", ""]
    from tracer.journey_table import is_journey_trace  # it builds on this module's status words

    requests = result.get("requests") or []
    if is_journey_trace(requests):
        lines += _journey_markdown(requests)
    for n, req in enumerate(requests):
        r = req.get("request") or {}
        step = req.get("step") or {}
        if step:
            lines.append(f"### Request {step.get('index', n + 1)} ({_md(step.get('cause'))})")
            lines.append("")
        final = status_text(req.get("status"), "respond", req.get("error"))
        lines.append(f"**{_md(r.get('method', 'GET'))} {_md(r.get('url', ''))}** → **{_md(final)}**")
        if req.get("controller"):
            lines.append(f"Controller: {_md(req['controller'])}")
        lines.append("")
        lines.append("| # | Component | Name | Result | Summary | Objects |")
        lines.append("|---|---|---|---|---|---|")
        for i, hop in enumerate(req.get("hops") or []):
            objs = ", ".join(
                f"{o.get('kind')} {o.get('namespace') + '/' if o.get('namespace') else ''}{o.get('name')}"
                + (f" ({o.get('file')}:{o.get('line')})" if o.get("file") else "")
                for o in hop.get("objects") or []
            )
            lines.append(
                f"| {i + 1} | {_md(hop.get('component'))} | {_md(hop.get('name'))} | "
                f"{_md(status_text(hop.get('status'), str(hop.get('outcome') or 'forward')))} | "
                f"{_md(hop.get('summary'))} | {_md(objs)} |"
            )
        diagnoses = req.get("diagnoses") or []
        if diagnoses:
            lines += ["", "Diagnoses:", ""]
            for d in diagnoses:
                lines.append(f"- **{_md(d.get('severity'))} {_md(d.get('code'))}**: {_md(d.get('message'))}")
                if d.get("fix"):
                    lines.append(f"  - Fix: {_md(d.get('fix'))}")
                for p in d.get("patches") or []:
                    lines.append(f"  - Patch ({_md(p.get('op'))} in {_md(p.get('file'))}): {_md(p.get('summary'))}")
                    body = yaml.safe_dump(p.get("patch"), sort_keys=False, default_flow_style=False, allow_unicode=True)
                    lines += ["", "    ```yaml", *("    " + x for x in body.splitlines()), "    ```", ""]
        if n < len(result.get("requests") or []) - 1:
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _journey_markdown(requests: list[dict[str, Any]]) -> list[str]:
    """The journey as a network-panel table: every request in order, the first failure in bold."""
    from tracer.journey_table import journey_rows

    lines = ["| # | Cause | Request | Result | Notes |", "|---|---|---|---|---|"]
    for row in journey_rows(requests):
        notes = "; ".join(x for x in (row["note"], row["blocked"], f"cookies {row['cookies']}" if row["cookies"] else "",
                                      row["websocket"]) if x)
        result = f"**{_md(row['status'])} (first failure)**" if row["first_failure"] else _md(row["status"])
        lines.append(f"| {row['number']} | {_md(row['cause'])} | {_md(row['method'])} {_md(row['url'])} | {result} | "
                     f"{_md(notes)} |")
    ok = all(row["ok"] for row in journey_rows(requests))
    lines += ["", "The journey succeeds." if ok else "The journey fails.", ""]
    return lines
