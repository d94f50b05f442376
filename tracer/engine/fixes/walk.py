"""Applying fixes in turn: trace, take the first failed request's fix, derive the snapshot, trace again.

The shell's ``trace --fix`` and the tests that walk a field report to green use it; the web applies one
fix at a time the same way (``first_fix`` and ``apply_patches``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..result import Trace
from ..snapshot import Snapshot
from .patch import Patch, apply_patches

MAX_FIXES = 10


def request_failed(r: dict[str, Any]) -> bool:
    """A request of a trace-v1 document that makes the trace fail (optional ones, such as the favicon, never do)."""
    if r.get("optional"):
        return False
    status = r.get("status")
    return r.get("error") is not None or status is None or status >= 400 or r.get("blocked") is not None


def first_fix(trace: dict[str, Any], code: str | None = None) -> dict[str, Any] | None:
    """The diagnosis (as in the trace JSON) whose patches fix the first failed request, or None."""
    for r in trace.get("requests") or []:
        if not request_failed(r):
            continue
        for d in r.get("diagnoses") or []:
            if d.get("patches") and (code is None or d.get("code") == code):
                return dict(d)
    return None


def patches_of(diagnosis: dict[str, Any]) -> list[Patch]:
    return [Patch.from_dict(p, f"patches[{i}]") for i, p in enumerate(diagnosis.get("patches") or [])]


@dataclass(slots=True)
class FixStep:
    """One trace in a walk: the fix applied to get here (None for the first), and the result."""

    applied: dict[str, Any] | None
    snapshot: Snapshot
    trace: Trace


def walk(snapshot: Snapshot, run: Callable[[Snapshot], Trace], code: str | None = None,
         limit: int = MAX_FIXES) -> list[FixStep]:
    """Trace, then apply the first failed request's fix (of ``code``, or any) and trace again, until the trace is
    green, no fix is known, or ``limit`` fixes were applied (``code`` given: that one fix at most)."""
    steps = [FixStep(None, snapshot, run(snapshot))]
    while len(steps) <= limit and not steps[-1].trace.ok:
        diagnosis = first_fix(steps[-1].trace.to_dict(), code)
        if diagnosis is None:
            break
        derived = apply_patches(steps[-1].snapshot, patches_of(diagnosis))
        if derived.content_hash == steps[-1].snapshot.content_hash:
            break  # the fix is already in place and did not help: offering it again would loop
        steps.append(FixStep(diagnosis, derived, run(derived)))
        if code is not None:
            break
    return steps
