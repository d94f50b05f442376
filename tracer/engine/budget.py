"""A per-trace time budget: one monotonic deadline shared by every regex evaluation and request of a trace.

Each user regex already has its own timeout (tracer.engine.regexes), but a snapshot with thousands of
slow regexes multiplies it: one trace could run for minutes. :func:`limit` starts a budget for the
duration of one trace; :mod:`tracer.engine.regexes` checks it before each evaluation (and caps the
evaluation's own timeout at what is left), and the Engine checks it before each request. When it runs
out, :class:`BudgetExceeded` unwinds to the Engine, which ends the request with ``error:
"budget-exceeded"`` and a diagnosis naming the slowest rule (:func:`exceeded_diagnosis`).

The budget is per call, not per snapshot: it lives in a ContextVar, not in the EngineContext, because one
compiled Engine is shared by the threads (and tasks) that trace on it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from time import monotonic
from typing import Any

from .errors import OptionError
from .result import Diagnosis, Hop
from .snapshot import Snapshot

# Evaluations at least this slow are remembered by pattern, to name the rule that used the budget up. Fast
# evaluations (microseconds) are not recorded, so a budget costs two clock reads per regex and no allocation.
SLOW_EVALUATION = 0.001  # seconds
# Kinds whose fields hold the route regexes tracer evaluates (paths, hosts, header and query matches).
ROUTE_KINDS = frozenset(
    {"Ingress", "HTTPRoute", "GRPCRoute", "VirtualService", "IngressRoute", "Middleware", "Service", "Route"}
)
MAX_LOCATED = 5


@dataclass(slots=True)
class Budget:
    """The time one trace may spend routing, and where it went."""

    seconds: float
    deadline: float = 0.0
    slow: dict[str, float] = field(default_factory=dict)  # pattern -> seconds spent in its slow evaluations
    evaluations: dict[str, int] = field(default_factory=dict)  # pattern -> slow evaluations
    exceeded: bool = False
    located: dict[str, list[tuple[dict[str, Any], str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.deadline:
            self.deadline = monotonic() + self.seconds

    def check(self) -> None:
        """Raise :class:`BudgetExceeded` once the deadline has passed (a clock read)."""
        if monotonic() >= self.deadline:
            self.exceeded = True
            raise BudgetExceeded(self)

    def note(self, pattern: str, seconds: float) -> None:
        """Record a slow evaluation of ``pattern``."""
        self.slow[pattern] = self.slow.get(pattern, 0.0) + seconds
        self.evaluations[pattern] = self.evaluations.get(pattern, 0) + 1

    def slowest(self) -> tuple[str, float] | None:
        """The pattern whose slow evaluations took the most time, with that time."""
        if not self.slow:
            return None
        pattern = max(self.slow, key=lambda p: self.slow[p])
        return pattern, self.slow[pattern]


class BudgetExceeded(Exception):
    """The trace's budget ran out; the Engine ends the current request with ``budget-exceeded``."""

    def __init__(self, budget: Budget) -> None:
        super().__init__(f"the trace's time budget of {budget.seconds:g} s ran out")
        self.budget = budget


_ACTIVE: ContextVar[Budget | None] = ContextVar("tracer_trace_budget", default=None)


def active() -> Budget | None:
    """The budget of the trace running in this context, if any."""
    return _ACTIVE.get()


def check() -> None:
    """Per request or stage: raise :class:`BudgetExceeded` when the active budget has run out."""
    budget = _ACTIVE.get()
    if budget is not None and monotonic() >= budget.deadline:
        budget.exceeded = True
        raise BudgetExceeded(budget)


@contextmanager
def limit(seconds: float | None) -> Iterator[Budget | None]:
    """Run a trace under a budget of ``seconds`` (None: unbounded). A budget already running stays in force, so
    the traces a trace makes inside itself (fix search on derived snapshots) share the outer deadline."""
    outer = _ACTIVE.get()
    if outer is not None or seconds is None:
        yield outer
        return
    token = _ACTIVE.set(Budget(seconds))
    try:
        yield _ACTIVE.get()
    finally:
        _ACTIVE.reset(token)


def budget_seconds(value: Any) -> float | None:
    """The ``budget_seconds`` option: a positive finite number of seconds, or None for no budget."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise OptionError("budget_seconds must be a number of seconds")
    try:
        seconds = float(value)
    except (TypeError, ValueError) as exc:
        raise OptionError(f"budget_seconds {value!r} is not a number of seconds") from exc
    if not math.isfinite(seconds) or seconds <= 0:
        raise OptionError(f"budget_seconds must be a positive number of seconds, not {value!r}")
    return seconds


# -- naming the slow rule -------------------------------------------------------------------------------


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def locate(snapshot: Snapshot, pattern: str) -> list[tuple[dict[str, Any], str]]:
    """Where ``pattern`` was written: (object ref, field) of the route objects whose field holds the longest text
    the compiled pattern contains (data planes anchor or wrap what the user wrote: ``^`` + path for nginx).
    Walks the route objects once, so it runs only when a budget has run out."""
    best = 0
    found: list[tuple[dict[str, Any], str]] = []
    for obj in snapshot.objects:
        if obj.kind not in ROUTE_KINDS:
            continue
        for where, text in _strings(obj.body.get("spec"), "spec"):
            size = len(text)
            if size < 2 or size < best or text not in pattern:
                continue
            if size > best:
                best, found = size, []
            found.append((obj.ref(), where))
    return found


def _where(snapshot: Snapshot, budget: Budget, pattern: str) -> tuple[list[dict[str, Any]], str]:
    located = budget.located.get(pattern)
    if located is None:
        located = budget.located[pattern] = locate(snapshot, pattern)
    if not located:
        return [], ""
    ref, where = located[0]
    text = f" in {ref['kind']} {ref['namespace'] + '/' if ref.get('namespace') else ''}{ref['name']}, field {where}"
    if ref.get("file"):
        text += f" ({ref['file']}{', line ' + str(ref['line']) if ref.get('line') else ''})"
    if len(located) > 1:
        text += f"; {len(located) - 1} more object{'s' if len(located) > 2 else ''} hold the same text"
    return [r for r, _ in located[:MAX_LOCATED]], text


def exceeded_diagnosis(snapshot: Snapshot, budget: Budget) -> Diagnosis:
    """TRACE_BUDGET_EXCEEDED naming the slowest regex and where it is written."""
    slowest = budget.slowest()
    message = f"The trace used up its time budget of {budget.seconds:g} s and stopped"
    objects: list[dict[str, Any]] = []
    if slowest is not None:
        pattern, spent = slowest
        objects, where = _where(snapshot, budget, pattern)
        slow_count = budget.evaluations[pattern]
        message += (
            f": the slowest rule is the regex {pattern!r}{where}, which took {spent * 1000:.0f} ms over "
            f"{slow_count} evaluation{'s' if slow_count != 1 else ''}"
        )
        others = len(budget.slow) - 1
        if others:
            message += f" ({others} other regex{'es were' if others != 1 else ' was'} slow too)"
    message += "."
    return Diagnosis(
        "TRACE_BUDGET_EXCEEDED",
        "error",
        message,
        "Simplify the regex: avoid nested quantifiers such as (a|aa)+ or (a+)+ and make alternatives exclusive, "
        "or use Prefix and Exact paths, which need no regex.",
        "ingress-nginx#3.4",
        objects,
    )


def exceeded_hop(name: str, budget: Budget, refs: list[dict[str, Any]]) -> Hop:
    """The controller hop of a request the budget stopped: what the controller answers is unknown."""
    return Hop(
        "controller",
        name,
        f"tracer stopped: the trace's time budget of {budget.seconds:g} s ran out, so what the controller answers "
        "to this request is unknown",
        outcome="unknown",
        objects=refs,
        rules=["ingress-nginx#3.4"],
        confidence="assumed",
    )
