"""The journey summary of a trace page: one row per request a browser sent, like a browser's network panel.

Rows are read from trace-v1 (``step``, ``cookies_sent``, ``blocked``, ``websocket``), so a stored trace shows
the same table after an engine upgrade. The rule for a failing step is the engine's (docs/journeys.md): a
status of 400 or more, no answer, or an error; the favicon never fails its journey.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tracer.engine.journey.text import journey_step_ok

from .diagram import ERROR_TEXT, outcome_class, status_text

Json = dict[str, Any]

CAUSES = {"start": "start", "redirect": "redirect from", "asset": "asset of", "websocket": "WebSocket of"}
BLOCKED = {
    "status": "not used: failed status",
    "mime": "refused: wrong content type",
    "mixed-content": "refused: mixed content",
}


def is_journey_trace(requests: list[Json]) -> bool:
    return any(isinstance(r.get("step"), dict) for r in requests)


def _cause(step: Json) -> str:
    cause = str(step.get("cause") or "")
    words = CAUSES.get(cause, cause)
    parent = step.get("parent")
    return f"{words} #{parent}" if parent is not None and cause != "start" else words


def _where(url: str, start_host: str) -> str:
    """The path and query; scheme and host too when they differ from the journey's start."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    if parts.scheme in ("ws", "wss") or parts.netloc != start_host:
        return f"{parts.scheme}://{parts.netloc}{path}"
    return path


def socket_text(ws: Json | None) -> str:
    """"open", "closed after 60 s (1006)", "refused (1006)"; empty for a request that is no WebSocket."""
    if not ws:
        return ""
    if not ws.get("opened"):
        return f"refused ({ws.get('close_code')})" if ws.get("close_code") is not None else "refused"
    if ws.get("close_code") is None:
        return "open"
    seconds = ws.get("closed_after_s")
    after = f" after {float(seconds):g} s" if isinstance(seconds, int | float) else ""
    return f"closed{after} ({ws.get('close_code')})"


def journey_rows(requests: list[Json]) -> list[Json]:
    """One row per request, in sending order; ``first_failure`` marks the first that fails its journey."""
    rows: list[Json] = []
    start_host = ""
    failed = False
    for r, req in enumerate(requests):
        raw_step = req.get("step")
        step: Json = raw_step if isinstance(raw_step, dict) else {}
        request = req.get("request") or {}
        url = str(request.get("url") or "")
        if step.get("cause") == "start" or not start_host:
            start_host = urlsplit(url).netloc
        status, error = req.get("status"), req.get("error")
        answered = status is not None or bool(error)
        ok = journey_step_ok({**req, "request": request, "step": step or {"cause": ""}})
        # The status says it when there is one; an error beside it (a redirect loop) is a note.
        note = ERROR_TEXT.get(error, error) if error and status is not None and error != "websocket-closed" else ""
        rows.append(
            {
                "r": r,
                "number": step.get("index", r + 1),
                "cause": _cause(step),
                "method": request.get("method", "GET"),
                "where": _where(url, start_host),
                "url": url,
                "status": status_text(status, "respond", error) if answered else "no response",
                "css": outcome_class(status, "respond", error) if answered else "neutral",
                "note": note,
                "blocked": BLOCKED.get(req.get("blocked") or "", req.get("blocked") or ""),
                "cookies": ", ".join(str(c) for c in req.get("cookies_sent") or []),
                "websocket": socket_text(req.get("websocket")),
                "ok": ok,
                "first_failure": not ok and not failed,
            }
        )
        failed = failed or not ok
    return rows
