"""The public entry points: :func:`trace` and :class:`Engine`.

``Engine`` loads and compiles once and then routes any number of requests, which is what the
CLI, the web worker and the benchmark use; ``trace`` is the one-shot convenience of the contract.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .budget import Budget, BudgetExceeded, exceeded_diagnosis, exceeded_hop, limit
from .budget import check as check_budget
from .choice import Chooser
from .context import EngineContext
from .dataplanes import RouteTable, get_dataplane
from .entry import EntryPlan, entry_failure_diagnosis, entry_hops, plan_entry
from .errors import OptionError, RequestError
from .faults.apply import apply_faults
from .faults.hops import finish_trace
from .fixes import FixContext, find_fixes
from .installations import PORTABLE, Installation, find_installations
from .journey.runner import run_journey
from .journey.spec import JourneySpec, is_journey, journey_from_request, parse_document
from .loader import load_manifests
from .options import Options
from .profiles import AppProfile
from .request import Request, parse_request
from .result import Diagnosis, Hop, RequestTrace, Trace
from .routes import list_routes
from .snapshot import Snapshot
from .verdicts import assign_verdicts

FREEZE_OBJECTS = 20_000
Manifests = str | bytes | Path | Snapshot | list[Any]


MAX_TRACE_WARNINGS = 25
# Entry-hop outcomes that end the request, and the trace-v1 `error` the client sees.
L4_FAILURES = {"timeout": "timeout", "refused": "connection-refused", "reset": "reset", "tls-error": "tls-error"}
FORCED = "forced with the controller option"


def _resolve_class(snapshot: Snapshot, installations: list[Installation], value: str) -> str:
    """The spec.controller value meant by ``controller_class``: an IngressClass name or a controller value."""
    for ic in snapshot.of_kind("IngressClass"):
        if ic.name == value:
            return str(ic.spec.get("controller") or "")
    known = {str(ic.spec.get("controller") or "") for ic in snapshot.of_kind("IngressClass")}
    known |= {i.controller for i in installations}
    known.discard("")
    if value in known:
        return value
    names = sorted({ic.name for ic in snapshot.of_kind("IngressClass")} | known)
    raise OptionError(
        f"controller class {value!r} is neither an IngressClass name nor a controller in the snapshot"
        + (f"; known: {', '.join(names)}" if names else "; the snapshot has no IngressClass or controller")
    )


def select_installations(snapshot: Snapshot, options: Options) -> list[Installation]:
    """The installations this Engine simulates: every one found, or those the options pick."""
    found = find_installations(snapshot)
    wanted = options.controller
    if wanted == PORTABLE:
        # The portable semantics stand in for whatever controller owns the classes (one table for all).
        return [Installation(PORTABLE, PORTABLE, options.controller_class or "", reason=FORCED)]
    if wanted is not None:
        get_dataplane(wanted)  # a family that is not simulated yet is refused here, with the list
        found = [i for i in found if i.family == wanted] or [Installation(wanted, wanted, reason=FORCED, assumed=True)]
    if options.controller_class is not None:
        controller = _resolve_class(snapshot, found, options.controller_class)
        picked = [i for i in found if i.controller == controller or options.controller_class in i.classes]
        if picked:
            found = picked
        elif wanted is not None:
            found = [Installation(wanted, wanted, controller, reason=FORCED, assumed=True)]
        else:
            raise OptionError(f"no controller installation in the snapshot claims controller class {controller}")
    return found


@dataclass(slots=True)
class _Compiled:
    table: RouteTable | None  # None: a family tracer does not simulate yet
    entry: EntryPlan


class Engine:
    """A snapshot compiled for the controller installations it holds.

    Each installation gets its own route table (compiled when a request first reaches it; the first
    installation at once) and entry plan; a request goes to the installation it reaches (tracer.engine.choice).
    Everything indexed or memoised while routing lives in the Engine's own :class:`EngineContext`: engines
    never share state.
    """

    def __init__(self, manifests: Manifests, **options: Any) -> None:
        self.options = Options.from_kwargs(**options)
        loaded = manifests if isinstance(manifests, Snapshot) else load_manifests(manifests)
        # What-if faults give a derived snapshot; the one passed in stays untouched (docs/faults.md).
        self.snapshot, self.fault_notes = apply_faults(loaded, self.options.faults)
        self.context = EngineContext(self.snapshot, self.options.app_profiles)
        self.installations = select_installations(self.snapshot, self.options)
        self.family = self.installations[0].family
        self._compiled: dict[str, _Compiled] = {}
        self._warnings: list[str] | None = None
        self._snapshot_info: dict[str, Any] | None = None
        self.chooser = Chooser(self.snapshot, self.installations, lambda inst: self._compile(inst).entry)
        self._compile(self.installations[0])
        # A large compiled snapshot is a long-lived graph of over a million objects (10k Ingresses); move it
        # out of the cyclic GC's generations so the collections that routing triggers do not walk it again.
        # Small snapshots (the web app compiles many) stay collectable as usual.
        if len(self.snapshot) >= FREEZE_OBJECTS:
            gc.freeze()

    @property
    def table(self) -> RouteTable | None:
        """The first installation's route table."""
        return self._compile(self.installations[0]).table

    @property
    def entry(self) -> EntryPlan:
        """The first installation's entry plan."""
        return self._compile(self.installations[0]).entry

    def _compile(self, inst: Installation) -> _Compiled:
        compiled = self._compiled.get(inst.name)
        if compiled is not None:
            return compiled
        table: RouteTable | None = None
        if inst.simulated:
            options = self.options
            if inst.family != PORTABLE and inst.controller:
                options = replace(options, controller_class=inst.controller)
            # Compiling allocates hundreds of thousands of long-lived objects and no garbage cycles worth
            # collecting; the cyclic GC would otherwise walk the growing graph again and again (about half the
            # compile time at 10k Ingresses).
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                table = get_dataplane(inst.family).compile(self.snapshot, options, self.context)
            finally:
                if gc_was_enabled:
                    gc.enable()
        objects = table.controller_objects() if table is not None else list(inst.objects)
        compiled = self._compiled[inst.name] = _Compiled(table, plan_entry(self.context, objects))
        self._warnings = None
        return compiled

    def route(self, request: str | dict[str, Any] | Request) -> RequestTrace:
        req = parse_request(request)
        try:
            check_budget()  # per request: once the trace's budget is spent, every later request ends at once
            choice = self.chooser.choose(req)
        except BudgetExceeded as exc:
            return self._over_budget(self.installations[0], req, [], exc.budget)
        result = self._route_on(choice.chosen, req)
        if len(self.installations) > 1:
            result.installation = {"name": choice.chosen.name, "reason": choice.reason}
            for inst, why in choice.others:
                other = self._route_on(inst, req)
                result.branches.append(
                    {
                        "kind": "controller",
                        "controller": inst.family,
                        "installation": inst.name,
                        "status": other.status,
                        "error": other.error,
                        "route": other.route,
                        "reason": why,
                    }
                )
        return result

    def _route_on(self, inst: Installation, req: Request) -> RequestTrace:
        compiled = self._compile(inst)
        front = entry_hops(compiled.entry, req, inst.family)
        if front and front[-1].outcome in L4_FAILURES:
            # Dropped or refused before the controller (source ranges, no controller endpoints): the client
            # sees a socket error, not an HTTP status (dataplane#R21, #R27).
            last = front[-1]
            return assign_verdicts(RequestTrace(
                request=req.to_dict(),
                controller=inst.family,
                status=None,
                error=L4_FAILURES[last.outcome],
                hops=front,
                diagnoses=[entry_failure_diagnosis(last)],
            ))
        if compiled.table is None:
            return assign_verdicts(_not_simulated(inst, req, front))
        try:
            result = compiled.table.route(req)  # every data plane sets result.request from req.to_dict()
        except BudgetExceeded as exc:
            return self._over_budget(inst, req, front, exc.budget)
        result.controller = result.controller or inst.family
        for hop in front:
            if hop.status is None and hop.outcome == "forward" and result.error is None:
                hop.status = result.status
        result.hops = front + result.hops
        finish_trace(result)  # a pod behind a deny-all fault: the enforced case, the other as a branch
        return assign_verdicts(result)

    def _over_budget(self, inst: Installation, req: Request, front: list[Hop], budget: Budget) -> RequestTrace:
        """The request the trace's budget stopped: no status, error budget-exceeded, the slow rule named."""
        diagnosis = exceeded_diagnosis(self.snapshot, budget)
        return assign_verdicts(RequestTrace(
            request=req.to_dict(),
            controller=inst.family,
            status=None,
            error="budget-exceeded",
            hops=[*front, exceeded_hop(inst.name, budget, diagnosis.objects)],
            diagnoses=[diagnosis],
        ))

    def _find_fixes(self, requests: list[RequestTrace], journey: str = "", start: str = "") -> None:
        """Fix search re-traces derived snapshots under the same budget; once it has run out, no search."""
        if any(r.error == "budget-exceeded" for r in requests):
            return
        with contextlib.suppress(BudgetExceeded):
            find_fixes(FixContext(self.snapshot, self._profiles(), requests, journey, start))

    def trace(self, request: str | dict[str, Any] | Request | JourneySpec) -> Trace:
        if isinstance(request, JourneySpec) or (isinstance(request, dict) and is_journey(request)):
            return self.journey(request)
        return self.trace_many([request])

    def journey(self, spec: dict[str, Any] | JourneySpec) -> Trace:
        """One browser journey: ``{"journey": {...spec...}}``, a Journey document or a JourneySpec."""
        return self.journeys([journey_from_request(spec)])

    def journeys(self, specs: Iterable[JourneySpec] | None = None) -> Trace:
        """Several journeys in one trace (their steps each start at 1); by default the snapshot's Journeys."""
        wanted = list(specs) if specs is not None else self.snapshot_journeys()
        routed = []
        with limit(self.options.budget_seconds):
            for spec in wanted:
                requests = run_journey(self, spec)
                self._find_fixes(requests, spec.name, spec.start)
                routed += requests
        return Trace(
            requests=routed,
            snapshot=self.snapshot_info(),
            options=self.options.to_dict(),
            warnings=self.warnings(),
        )

    def snapshot_journeys(self) -> list[JourneySpec]:
        """The Journey documents of the snapshot, validated; an error when there is none."""
        found = [parse_document(obj) for obj in self.snapshot.of_kind("Journey")]
        if not found:
            raise RequestError("no request given and the snapshot holds no Journey document to trace")
        return found

    def trace_many(self, requests: Iterable[str | dict[str, Any] | Request]) -> Trace:
        with limit(self.options.budget_seconds):
            routed = [self.route(r) for r in requests]  # before the warnings: routing may compile more tables
            for rt in routed:
                self._find_fixes([rt])
        return Trace(
            requests=routed,
            snapshot=self.snapshot_info(),
            options=self.options.to_dict(),
            warnings=self.warnings(),
        )

    def describe(self) -> list[dict[str, Any]]:
        """What each installation's compiled table says of itself: for Gateway API its Gateways, listeners and
        routes with their status conditions; for Istio its analyze-style warnings; and so on per family."""
        out = []
        for inst in self.installations:
            table = self._compile(inst).table
            out.append({"installation": inst.name, "family": inst.family, "simulated": table is not None,
                        **(table.describe() if table is not None else {})})
        return out

    def routes(self) -> list[dict[str, Any]]:
        """One row per (installation, host, path) with the problems found without a request (tracer.engine.routes);
        compiles every installation's table. Not memoised: callers that show it repeatedly keep the list."""
        compiled = [(inst, self._compile(inst)) for inst in self.installations]
        return list_routes(self.snapshot, self.options, self.context, [(i, c.table, c.entry) for i, c in compiled])

    def _profiles(self) -> list[AppProfile]:
        return self.context.profiles.profiles if self.context.profiles is not None else []

    def warnings(self) -> list[str]:
        """Load warnings, then what the controller models assumed or ignored (config fallbacks, default class)."""
        if self._warnings is None:
            compiled = [
                str(w) for c in self._compiled.values() if c.table is not None for w in c.table.describe().get("warnings", [])
            ]
            found = [*self.fault_notes, *(str(w) for w in self.snapshot.warnings), *dict.fromkeys(compiled)]
            # Every trace carries them: keep a trace readable (and small) on a snapshot with thousands.
            self._warnings = found[:MAX_TRACE_WARNINGS]
            if len(found) > MAX_TRACE_WARNINGS:
                self._warnings.append(f"... and {len(found) - MAX_TRACE_WARNINGS} more warnings about this snapshot")
        return self._warnings

    def snapshot_info(self) -> dict[str, Any]:
        if self._snapshot_info is None:
            self._snapshot_info = self._describe_snapshot()
        return {**self._snapshot_info}

    def _describe_snapshot(self) -> dict[str, Any]:
        first = self.installations[0]
        return {
            "hash": self.snapshot.content_hash,
            "objects": len(self.snapshot),
            "controller": self.family,
            "controller_reason": FORCED if self.options.controller else first.reason,
            "controllers_detected": list(dict.fromkeys(i.family for i in self.installations)),
            "installations": [i.to_dict() for i in self.installations],
        }


def _not_simulated(inst: Installation, req: Request, front: list[Hop]) -> RequestTrace:
    """The request reaches a controller tracer does not model yet: say so instead of guessing an answer."""
    refs = [o.ref() for o in inst.objects]
    hop = Hop(
        "controller",
        inst.name,
        f"{inst.family} is not simulated yet, so what it answers is unknown",
        outcome="unknown",
        objects=refs,
        decision=inst.reason,
        rules=["k8s-routing#I-1"],
        confidence="assumed",
    )
    diagnosis = Diagnosis(
        "CONTROLLER_NOT_SIMULATED",
        "warning",
        f"The request reaches {inst.name}, a {inst.family} controller tracer does not simulate yet; its answer "
        "is unknown.",
        "Trace with the controller option set to ingress-spec for the portable Ingress semantics, or name another "
        "entry with via if the client reaches a different controller.",
        "k8s-routing#I-1",
        refs,
    )
    return RequestTrace(
        request=req.to_dict(), controller=inst.family, status=None, error="not-simulated", hops=[*front, hop],
        diagnoses=[diagnosis],
    )


def trace(
    manifests: Manifests, request: str | dict[str, Any] | Request | JourneySpec | None = None, **options: Any
) -> Trace:
    """Trace one request, or one journey (docs/journeys.md), through the snapshot; the contract is docs/engine.md.

    Without a request, every Journey document in the snapshot is traced.
    """
    engine = Engine(manifests, **options)
    return engine.journeys() if request is None else engine.trace(request)
