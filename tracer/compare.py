"""Two traces of one scenario side by side (before and after a fix): request by request, then hop by hop.

Requests are aligned by position (a journey's step order); the first request whose method, URL, status,
error or refusal differs is marked, and its hops are laid side by side with the first differing hop marked.
"""

from __future__ import annotations

from typing import Any

from tracer.engine.fixes import request_failed
from tracer.engine.http_status import status_text

Json = dict[str, Any]


def _key(r: Json | None) -> tuple[Any, ...] | None:
    if r is None:
        return None
    req = r.get("request") or {}
    return (req.get("method"), req.get("url"), r.get("status"), r.get("error"), r.get("blocked"))


def _line(r: Json | None, i: int) -> Json | None:
    if r is None:
        return None
    req = r.get("request") or {}
    step = r.get("step") or {}
    status = status_text(r.get("status"), r.get("error"))
    if r.get("blocked"):
        status += f" (blocked: {r['blocked']})"
    return {
        "index": step.get("index", i + 1),
        "cause": step.get("cause", "request"),
        "method": req.get("method", ""),
        "url": req.get("url", ""),
        "status": status,
        "ok": not request_failed(r),
    }


def _hop(h: Json | None) -> Json | None:
    if h is None:
        return None
    status = h.get("status")
    return {"component": h.get("component", ""), "name": h.get("name", ""),
            "status": "" if status is None else str(status), "outcome": h.get("outcome", ""),
            "summary": h.get("summary", "")}


def outcome(result: Json | None) -> Json:
    """One line for a whole trace: succeeded, or where it first failed."""
    requests = (result or {}).get("requests") or []
    bad = next((i for i, r in enumerate(requests) if request_failed(r)), None)
    if not requests:
        return {"ok": False, "text": "no result yet"}
    if bad is None:
        return {"ok": True, "text": f"all {len(requests)} requests succeed" if len(requests) > 1 else "succeeds"}
    line = _line(requests[bad], bad)
    assert line is not None
    return {"ok": False, "text": f"request {line['index']} {line['method']} {line['url']}: {line['status']}"}


def compare(before: Json | None, after: Json | None) -> Json:
    b = (before or {}).get("requests") or []
    a = (after or {}).get("requests") or []
    rows = []
    first: int | None = None
    for i in range(max(len(a), len(b))):
        rb, ra = (b[i] if i < len(b) else None), (a[i] if i < len(a) else None)
        differs = _key(rb) != _key(ra)
        if differs and first is None:
            first = i
        rows.append({"before": _line(rb, i), "after": _line(ra, i), "differs": differs, "first": differs and first == i})
    hops: list[Json] = []
    first_hop: int | None = None
    if first is not None:
        hb = (b[first] if first < len(b) else {}).get("hops") or []
        ha = (a[first] if first < len(a) else {}).get("hops") or []
        for j in range(max(len(ha), len(hb))):
            xb = _hop(hb[j] if j < len(hb) else None)
            xa = _hop(ha[j] if j < len(ha) else None)
            same = xb is not None and xa is not None and all(
                xb[k] == xa[k] for k in ("component", "name", "status", "outcome"))
            if not same and first_hop is None:
                first_hop = j
            hops.append({"before": xb, "after": xa, "differs": not same, "first": not same and first_hop == j})
    return {"rows": rows, "first": first, "hops": hops, "before": outcome(before), "after": outcome(after)}
