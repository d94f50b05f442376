"""The plain-text rendering of a trace-v1 dict (the CLI's text output)."""

from __future__ import annotations

from typing import Any

from .http_status import status_text
from .result import Trace

Json = dict[str, Any]


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


def _as_dict(trace: Trace | Json) -> Json:
    return trace.to_dict() if isinstance(trace, Trace) else trace


def render_text(trace: Trace | Json) -> str:
    data = _as_dict(trace)
    out: list[str] = []
    for i, rt in enumerate(data["requests"]):
        if i:
            out.append("")
        out.append(_headline(rt))
        rows = [("#", "COMPONENT", "STATUS", "OUTCOME", "NAME", "SUMMARY")]
        for n, hop in enumerate(rt["hops"], 1):
            rows.append(
                (str(n), hop["component"], str(hop["status"] or "-"), hop["outcome"], hop["name"], hop["summary"])
            )
        widths = [max(len(r[c]) for r in rows) for c in range(5)]
        for r in rows:
            out.append("  ".join(r[c].ljust(widths[c]) for c in range(5)) + "  " + r[5])
        for hop in rt["hops"]:
            for miss in (hop.get("near_misses") or [])[:5]:
                out.append(f"   near miss ({hop['component']}): {miss}")
        facts = _facts(rt)
        if facts:
            out.append("")
            width = max(len(k) for k, _ in facts)
            out.extend(f"{k.ljust(width)}  {v}" for k, v in facts)
        if rt["diagnoses"]:
            out.append("")
            out.append("diagnoses:")
            for d in rt["diagnoses"]:
                out.append(f"  [{d['severity']}] {d['code']}: {d['message']}")
                out.append(f"      fix: {d['fix']}")
    warnings = data.get("warnings") or []
    if warnings:
        out.append("")
        out.append("warnings:")
        out.extend(f"  {w}" for w in warnings[:20])
        if len(warnings) > 20:
            out.append(f"  ... and {len(warnings) - 20} more")
    return "\n".join(out)
