"""The Markdown export of a trace (the .md download and "Copy as Markdown"): a journey's network table, then
per request its hops (the deciding one with its status, the others with what they did) and its diagnoses with
fixes and patches. Cells escape pipes and "<" with a backslash (CommonMark), so the file reads well as text.
"""

from __future__ import annotations

from typing import Any

import yaml

from tracer.engine.printable import printable, printable_tree

from .diagram import request_verdicts, status_text
from .journey_table import is_journey_trace, journey_rows


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
    # Control characters and bidi overrides from manifests shown as \x1b, \u202e (tracer/engine/printable.py).
    result, title, url = printable_tree(result), printable(title), printable(url)
    if title:
        lines += [f"## {_md(title)}", ""]
    if url:
        lines += [f"Trace: {url}", ""]
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
        verdicts, decided = request_verdicts(req)
        for i, hop in enumerate(req.get("hops") or []):
            objs = ", ".join(
                f"{o.get('kind')} {o.get('namespace') + '/' if o.get('namespace') else ''}{o.get('name')}"
                + (f" ({o.get('file')}:{o.get('line')})" if o.get("file") else "")
                for o in hop.get("objects") or []
            )
            # Only the deciding hop carries the status; the others say what they did (their verdict).
            if i == decided:
                cell = f"**{_md(status_text(hop.get('status'), str(hop.get('outcome') or 'forward')))}** (decided here)"
            else:
                cell = _md(verdicts[i] if i < len(verdicts) else "")
            lines.append(
                f"| {i + 1} | {_md(hop.get('component'))} | {_md(hop.get('name'))} | {cell} | "
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
