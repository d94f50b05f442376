"""The plain-text rendering of a trace-v1 dict (the CLI's text output), fitted to a terminal width.

Long texts (hop summaries, facts, diagnoses, warnings) wrap onto continuation lines indented under where they
start, so a table row stays readable in an 80- or 100-column terminal instead of running off the right edge.
"""

from __future__ import annotations

import textwrap
from typing import Any

from .http_status import status_text
from .journey.text import journey_line, journey_step_ok
from .printable import printable, printable_tree
from .result import Trace

Json = dict[str, Any]

DEFAULT_WIDTH = 100
NAME_MAX = 40  # longer hop names (controller + its Service) are cut with an ellipsis
NAME_MIN = 12
SUMMARY_MIN = 30  # below this the summary goes on its own lines under the row instead of in a column
GAP = "  "
HEADER = ("#", "COMPONENT", "STATUS", "OUTCOME", "NAME", "SUMMARY")


def _wrap(text: str, width: int | None, first: str, rest: str) -> list[str]:
    """``text`` after the prefix ``first``, continuation lines after ``rest``; one line when width is None."""
    if width is None:
        return [first + text]
    # Identifiers such as KUBE-SVC-… stay whole where they fit; words longer than a line are still split so
    # nothing runs past the width.
    lines = textwrap.wrap(
        text,
        width=max(width, len(first) + 1, len(rest) + 1),
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
    )
    return [line.rstrip() for line in lines] or [first.rstrip()]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _headline(rt: Json) -> str:
    req = rt["request"]
    return f"{req.get('method')} {req.get('url')}  ->  {status_text(rt['status'], rt['error'])}  [{rt['controller']}]"


def _facts(rt: Json) -> list[tuple[str, str]]:
    facts = []
    if inst := rt.get("installation"):
        facts.append(("controller", inst["reason"]))
    for branch in rt.get("branches") or []:
        if branch.get("kind") == "controller":
            if branch.get("error") == "not-simulated":
                outcome = "something tracer cannot tell (not simulated)"
            else:
                outcome = status_text(branch.get("status"), branch.get("error"))
            facts.append(("also", f"{branch['installation']} would answer {outcome}: {branch['reason']}"))
        else:  # node, networkpolicy, fault: the case the snapshot cannot rule out
            outcome = status_text(branch.get("status"), branch.get("error"))
            facts.append(("or", f"{outcome}: {branch.get('reason') or 'another case'}"))
    if r := rt.get("route"):
        facts.append(("route", f"{r['kind']} {r['namespace']}/{r['name']} {r.get('rule') or ''}".rstrip()))
    if b := rt.get("backend"):
        port = f"port {b['port']}" if b.get("port") is not None else "(port not resolved)"
        facts.append(("backend", f"Service {b['namespace']}/{b['service']} {port}"))
    if p := rt.get("pod"):
        port = p.get("port") if p.get("port") is not None else "?"
        facts.append(("pod", f"{p['namespace']}/{p.get('name') or '?'} {p.get('ip') or '?'}:{port}"))
    if u := rt.get("upstream"):
        facts.append(("upstream", f"Host {u['host']}  path {u['path']}"))
    headers = rt.get("response_headers") or {}
    for name in ("location", "set-cookie", "www-authenticate"):
        if name in headers:
            facts.append((name, str(headers[name])))
    for part in rt.get("split") or []:
        facts.append(("split", f"{part.get('backend')}: {part.get('percent')}%"))
    return facts


def _hop_table(hops: list[Json], width: int | None) -> list[str]:
    rows = [HEADER] + [
        (str(n), hop["component"], str(hop["status"] or "-"), hop["outcome"], hop["name"], hop["summary"])
        for n, hop in enumerate(hops, 1)
    ]
    widths = [max(len(r[c]) for r in rows) for c in range(5)]
    stacked = False
    if width is not None:
        room = width - sum(widths[:4]) - len(GAP) * 5  # what NAME and SUMMARY share
        widths[4] = min(widths[4], NAME_MAX, max(NAME_MIN, room * 2 // 5))
        if room - widths[4] < SUMMARY_MIN:  # too narrow for a summary column: summaries go under their row
            stacked = True
            widths[4] = max(1, min(max(len(r[4]) for r in rows), NAME_MAX, room + len(GAP)))
    out = []
    for n, r in enumerate(rows):
        cells = [r[0], r[1], r[2], r[3], r[4] if width is None else _clip(r[4], widths[4])]
        head = GAP.join(cells[c].ljust(widths[c]) for c in range(5))
        if stacked:
            out.append(_clip(head.rstrip(), width or 0))
            if n:
                out.extend(_wrap(r[5], width, "     ", "     "))
        else:
            out.extend(_wrap(r[5], width, head + GAP, " " * (len(head) + len(GAP))))
    return out


def _as_dict(trace: Trace | Json) -> Json:
    return trace.to_dict() if isinstance(trace, Trace) else trace


def _request_block(rt: Json, width: int | None) -> list[str]:
    """One request: its headline, hop table, near misses, facts and diagnoses."""
    out = _wrap(_headline(rt), width, "", "    ")
    out.extend(_hop_table(rt["hops"], width))
    for hop in rt["hops"]:
        for miss in (hop.get("near_misses") or [])[:5]:
            out.extend(_wrap(str(miss), width, f"   near miss ({hop['component']}): ", "     "))
    facts = _facts(rt)
    if facts:
        out.append("")
        key_width = max(len(k) for k, _ in facts)
        for k, v in facts:
            out.extend(_wrap(v, width, f"{k.ljust(key_width)}{GAP}", " " * (key_width + len(GAP))))
    if rt["diagnoses"]:
        out.append("")
        out.append("diagnoses:")
        for d in rt["diagnoses"]:
            out.extend(_wrap(f"{d['code']}: {d['message']}", width, f"  [{d['severity']}] ", "      "))
            out.extend(_wrap(d["fix"], width, "      fix: ", "           "))
    return out


def _journeys(requests: list[Json], width: int | None) -> list[str]:
    """Each journey: one line per request, then the hop table of its first failing request (or of its page)."""
    groups: list[list[Json]] = []
    for rt in requests:
        if rt.get("step", {}).get("index") == 1 or not groups:
            groups.append([])
        groups[-1].append(rt)
    out: list[str] = []
    for n, group in enumerate(groups):
        if n:
            out.append("")
        failing = next((rt for rt in group if not journey_step_ok(rt)), None)
        verdict = "failed" if failing is not None else "succeeded"
        out.append(f"journey from {group[0]['request']['url']}: {len(group)} requests, {verdict}")
        for rt in group:
            out.extend(_wrap(journey_line(rt), width, "  ", "      "))
        shown = failing or next((rt for rt in reversed(group) if rt["step"]["cause"] in ("start", "redirect")), group[0])
        out.append("")
        out.append(f"request {shown['step']['index']}{' (the first that failed)' if failing is not None else ''}:")
        out.extend(_request_block(shown, width))
    return out


def render_text(trace: Trace | Json, width: int | None = DEFAULT_WIDTH) -> str:
    """The trace as text no wider than ``width`` columns (``None``: one line per item, however long)."""
    data = printable_tree(_as_dict(trace))  # escaped before wrapping, so the widths hold
    out: list[str] = []
    if any("step" in rt for rt in data["requests"]):
        out.extend(_journeys(data["requests"], width))
    else:
        for i, rt in enumerate(data["requests"]):
            if i:
                out.append("")
            out.extend(_request_block(rt, width))
    warnings = data.get("warnings") or []
    if warnings:
        out.append("")
        out.append("warnings:")
        for w in warnings[:20]:
            out.extend(_wrap(str(w), width, "  ", "    "))
        if len(warnings) > 20:
            out.append(f"  ... and {len(warnings) - 20} more")
    # Names, hosts and headers come from manifests and requests: a terminal must never receive their escapes.
    return printable("\n".join(out))
