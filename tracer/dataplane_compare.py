"""Two data planes of one snapshot side by side: the saved requests of a snapshot traced on both (for example
ingress-nginx and the portable Ingress semantics, or Traefik), each request's outcome on either and the first
hop where they part. Run in the web process within a budget, like the snapshot diff's outcome check."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from tracer.compare import OUTCOME_SCENARIO_LIMIT, OUTCOME_SECONDS, latest_trace, recent_scenarios
from tracer.engine.comparison import compare_traces
from tracer.engine.dataplanes import FAMILIES
from tracer.engine.errors import TracerError
from tracer.families import FAMILY_TITLES
from tracer.models import Scenario, Snapshot, Trace
from tracer.runner import get_engine

logger = logging.getLogger(__name__)
Json = dict[str, Any]

def family_choices(snapshot: Snapshot) -> list[Json]:
    """Every simulated family, the snapshot's detected ones first and marked."""
    detected = [f for f in snapshot.detected_controllers if f in FAMILIES]
    rest = [f for f in sorted(FAMILIES) if f not in detected]
    return [{"family": f, "title": FAMILY_TITLES.get(f, f), "detected": f in detected} for f in [*detected, *rest]]


def default_pair(snapshot: Snapshot) -> tuple[str, str]:
    """The detected controller against the portable semantics, or the second detected one when there are two."""
    choices = family_choices(snapshot)
    a = choices[0]["family"]
    detected = [c["family"] for c in choices if c["detected"]]
    b = detected[1] if len(detected) > 1 else ("ingress-spec" if a != "ingress-spec" else "ingress-nginx")
    return a, b


def _run(snapshot: Snapshot, scenario: Scenario, family: str) -> tuple[Json | None, str]:
    """trace-v1 JSON of the scenario on one family, or None and why it could not run."""
    try:
        engine = get_engine(snapshot, {**scenario.options, "controller": family})
        return engine.trace(dict(scenario.request)).to_dict(), ""
    except TracerError as exc:
        return None, f"cannot be traced on {FAMILY_TITLES.get(family, family)}: {exc}"
    except Exception as exc:  # an engine bug must not take the page down
        logger.exception("scenario %s on snapshot %s as %s", scenario.pk, snapshot.pk, family)
        return None, f"internal error in the engine: {type(exc).__name__}"


@dataclass
class ScenarioRows:
    scenario: Scenario
    rows: list[Json]  # engine/comparison.py rows, one per request of the scenario
    refused: str = ""  # why one side could not run at all
    trace: Trace | None = None  # the latest stored trace of the scenario on the snapshot

    @property
    def changed(self) -> bool:
        return bool(self.refused) or any(r["changed"] for r in self.rows)

    @property
    def first_change(self) -> Json | None:
        return next((r for r in self.rows if r["changed"]), None)


@dataclass
class DataplaneComparison:
    a: str
    b: str
    total: int = 0  # distinct scenarios traced on the snapshot
    results: list[ScenarioRows] = field(default_factory=list)
    note: str = ""
    limit: int = OUTCOME_SCENARIO_LIMIT
    seconds: float = OUTCOME_SECONDS

    @property
    def compared(self) -> int:
        return len(self.results)

    @property
    def skipped(self) -> int:
        return self.total - self.compared

    @property
    def changed(self) -> list[ScenarioRows]:
        return [r for r in self.results if r.changed]

    @property
    def titles(self) -> tuple[str, str]:
        return FAMILY_TITLES.get(self.a, self.a), FAMILY_TITLES.get(self.b, self.b)


def compare_dataplanes(snapshot: Snapshot, a: str, b: str, *, limit: int | None = None,
                       seconds: float | None = None) -> DataplaneComparison:
    """Every scenario traced on the snapshot (newest first, within the budget) on family ``a`` and ``b``."""
    found = DataplaneComparison(a, b, limit=OUTCOME_SCENARIO_LIMIT if limit is None else limit,
                                seconds=OUTCOME_SECONDS if seconds is None else seconds)
    if snapshot.source == Snapshot.Source.IMPORT:
        found.note = "An imported trace's snapshot holds no objects, so nothing can be run on it."
        return found
    found.total, chosen = recent_scenarios([snapshot], found.limit)
    deadline = time.monotonic() + found.seconds
    for scenario in chosen:
        if found.results and time.monotonic() >= deadline:
            break
        left, why_a = _run(snapshot, scenario, a)
        right, why_b = _run(snapshot, scenario, b)
        rows = compare_traces(left, right) if left is not None and right is not None else []
        found.results.append(ScenarioRows(scenario, rows, why_a or why_b, latest_trace(scenario, snapshot)))
    return found
