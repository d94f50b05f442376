"""One line of text per request of a journey (the CLI's text output): index, cause, method, URL, outcome, notes."""

from __future__ import annotations

from typing import Any

from ..http_status import status_text

Json = dict[str, Any]

_BLOCKED = {
    "status": "blocked: the browser does not use it (status)",
    "mime": "blocked: wrong content type for its kind (mime)",
    "mixed-content": "blocked: mixed content on an https page",
}


def _favicon(rt: Json) -> bool:
    """The favicon request, whose failure never fails a journey (also recognised in a trace read back)."""
    url = str(rt["request"].get("url", ""))
    return rt["step"]["cause"] == "asset" and url.split("?", 1)[0].endswith("/favicon.ico")


def journey_step_ok(rt: Json) -> bool:
    """A status below 400 (101 included) and no error; a favicon never fails its journey."""
    status = rt.get("status")
    return (rt.get("error") is None and status is not None and status < 400) or _favicon(rt)


def _socket_note(ws: Json) -> str:
    if not ws.get("opened"):
        return f"websocket: not opened (close code {ws.get('close_code')})"
    if ws.get("close_code") is None:
        return "websocket: open at the end of the journey"
    return f"websocket: closed after {ws.get('closed_after_s'):g} s (close code {ws.get('close_code')})"


def journey_line(rt: Json) -> str:
    """``3  asset     GET  http://h/app.js  ->  404 Not Found  (from 2; blocked: ...)``."""
    step = rt["step"]
    req = rt["request"]
    notes = []
    if step.get("parent") is not None:
        notes.append(f"from {step['parent']}")
    if rt.get("cookies_sent"):
        notes.append("cookies " + ", ".join(rt["cookies_sent"]))
    if rt.get("blocked"):
        notes.append(_BLOCKED.get(rt["blocked"], f"blocked: {rt['blocked']}"))
    if rt.get("websocket") is not None:
        notes.append(_socket_note(rt["websocket"]))
    tail = f"  ({'; '.join(notes)})" if notes else ""
    outcome = status_text(rt.get("status"), rt.get("error"))
    if rt.get("status") is not None and rt.get("error"):
        outcome = f"{status_text(rt['status'], None)}, then {rt['error']}"
    return f"{step['index']:>2}  {step['cause']:<9} {req.get('method')} {req.get('url')}  ->  {outcome}{tail}"
