"""The plain-text account of a fix walk (``trace --fix``): each fix applied, what it changed, the outcome after it."""

from __future__ import annotations

from typing import Any

from ..http_status import status_text
from ..printable import printable
from ..textreport import render_text
from .walk import FixStep, request_failed


def _outcome(trace: dict[str, Any]) -> str:
    requests = trace.get("requests") or []
    bad = next((r for r in requests if request_failed(r)), None)
    if bad is None:
        return f"all {len(requests)} request(s) succeed" if len(requests) > 1 else "the request succeeds"
    step = (bad.get("step") or {}).get("index")
    where = f"request {step} " if step is not None else ""
    return f"{where}{bad['request'].get('method')} {bad['request'].get('url')} fails: {status_text(bad.get('status'), bad.get('error'))}"


def render_walk(steps: list[FixStep], asked: str, width: int | None = None) -> str:
    lines = [f"before: {_outcome(steps[0].trace.to_dict())}"]
    for i, step in enumerate(steps[1:], 1):
        applied = step.applied or {}
        lines.append(f"fix {i}: {applied.get('code')} — {applied.get('fix')}")
        for p in applied.get("patches") or []:
            lines.append(f"  {p.get('op')} {p.get('file')}: {p.get('summary')}")
        lines.append(f"after fix {i}: {_outcome(step.trace.to_dict())}")
    if len(steps) == 1:
        lines.append("no fix to apply: no failed request has a diagnosis with a patch"
                     + ("" if asked == "all" else f" of code {asked}"))
    lines += ["", render_text(steps[-1].trace, width=width)]
    return printable("\n".join(lines))  # patch summaries quote manifest text
