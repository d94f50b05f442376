"""The trace a request produces: hops, diagnoses, and the trace-v1 JSON contract."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "tracer/trace-v1"
ENGINE_VERSION = "0.1.0"

# Components a hop can be, in the order they usually appear on the way in. The web UI draws one
# lane per component group (see COMPONENT_LANES).
COMPONENTS = (
    "browser",
    "dns",
    "load-balancer",
    "node",
    "kube-proxy",
    "controller",
    "auth",
    "service",
    "endpoints",
    "pod",
)

# Hop outcomes. "forward": passed the request on; "respond": this hop produced the response;
# L4 outcomes for hops that fail below HTTP; "unknown": a controller tracer does not simulate yet.
OUTCOMES = (
    "forward", "respond", "redirect", "refused", "timeout", "reset", "tls-error", "websocket-closed", "unknown"
)
SEVERITIES = ("error", "warning", "info")

_new_hop = object.__new__


@dataclass(slots=True)
class Hop:
    """One component on the request path and what it decided.

    ``status`` is the HTTP status this hop passes back towards the client (for a forwarding hop,
    the status that came back through it), or ``None`` for an L4 outcome.
    """

    component: str
    name: str
    summary: str
    outcome: str = "forward"
    status: int | None = None
    objects: list[dict[str, Any]] = field(default_factory=list)
    decision: str = ""
    near_misses: list[str] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    confidence: str = "from-snapshot"  # from-snapshot | inferred | assumed
    # What this hop did with the request: forwarded | answered | redirected | dropped | assumed; set with the
    # request's decided_by once its hops are final (tracer.engine.verdicts).
    verdict: str = ""

    def copy(self) -> Hop:
        """A copy the caller may change (the API fills in statuses) without touching a memoised hop.

        The hop's own lists and dicts are copied, so setting a field, appending to ``objects`` or ``rules`` or
        setting a ``details`` key stays on the copy. What they hold (object refs, detail values) is shared:
        those are records nobody writes in place; a caller that wants another one puts a new one there.
        This runs several times per routed request: a deeper copy (a dict per object ref) made routing in
        bench/bench_engine.py about a tenth slower, and building the copy on a bare instance saves the
        ``__init__`` call.
        """
        h = _new_hop(Hop)
        h.component = self.component
        h.name = self.name
        h.summary = self.summary
        h.outcome = self.outcome
        h.status = self.status
        h.objects = [*self.objects]
        h.decision = self.decision
        h.near_misses = [*self.near_misses]
        h.changes = {**self.changes}
        h.details = {**self.details}
        h.rules = [*self.rules]
        h.confidence = self.confidence
        h.verdict = self.verdict
        return h

    def to_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "name": self.name,
            "status": self.status,
            "outcome": self.outcome,
            "verdict": self.verdict,
            "summary": self.summary,
            "objects": self.objects,
            "decision": self.decision,
            "near_misses": self.near_misses,
            "changes": self.changes,
            "details": self.details,
            "rules": self.rules,
            "confidence": self.confidence,
        }


@dataclass(slots=True)
class Diagnosis:
    """A known failure pattern or risk, with a fix."""

    code: str
    severity: str
    message: str
    fix: str
    rule: str = ""
    objects: list[dict[str, Any]] = field(default_factory=list)
    # The fix as manifest patches (tracer.engine.fixes.Patch.to_dict), applied in order; only when known.
    patches: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "rule": self.rule,
            "objects": self.objects,
        }
        if self.patches:
            out["patches"] = self.patches
        return out


@dataclass(slots=True)
class RequestTrace:
    """Everything that happened to one HTTP request."""

    request: dict[str, Any]
    controller: str | None = None
    status: int | None = None
    error: str | None = None
    close_code: int | None = None
    # With several controller installations: which one the request reached, and why (tracer.engine.choice).
    installation: dict[str, Any] | None = None
    route: dict[str, Any] | None = None
    backend: dict[str, Any] | None = None
    pod: dict[str, Any] | None = None
    upstream: dict[str, Any] | None = None
    response_headers: dict[str, Any] = field(default_factory=dict)
    hops: list[Hop] = field(default_factory=list)
    # The index in ``hops`` of the hop whose decision determined the answer (tracer.engine.verdicts).
    decided_by: int | None = None
    diagnoses: list[Diagnosis] = field(default_factory=list)
    branches: list[dict[str, Any]] = field(default_factory=list)
    split: list[dict[str, Any]] = field(default_factory=list)
    # Not serialized: what the app's page is (content type; html assets, websockets, base) when an AppProfile
    # answered, for the journey runner.
    page: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    # Set only on the requests of a journey (tracer.engine.journey.runner); serialized only when set, so a
    # single request's trace is unchanged. ``blocked`` is written on asset entries (null when used).
    step: dict[str, Any] | None = None
    cookies_sent: list[str] | None = None
    blocked: str | None = None
    websocket: dict[str, Any] | None = None
    # Not serialized: a request whose failure never fails its journey (the favicon).
    optional: bool = field(default=False, repr=False, compare=False)

    def add_diagnosis(self, diagnosis: Diagnosis) -> None:
        if all(d.code != diagnosis.code or d.message != diagnosis.message for d in self.diagnoses):
            self.diagnoses.append(diagnosis)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "request": self.request,
            "status": self.status,
            "error": self.error,
            "controller": self.controller,
            "route": self.route,
            "backend": self.backend,
            "pod": self.pod,
            "upstream": self.upstream,
            "response_headers": self.response_headers,
            "hops": [h.to_dict() for h in self.hops],
            "decided_by": self.decided_by,
            "diagnoses": [d.to_dict() for d in self.diagnoses],
            "branches": self.branches,
            "split": self.split,
        }
        if self.close_code is not None:
            out["close_code"] = self.close_code
        if self.installation is not None:
            out["installation"] = self.installation
        if self.step is not None:
            out["step"] = self.step
            out["cookies_sent"] = self.cookies_sent or []
            if self.step.get("cause") == "asset" or self.blocked is not None:
                out["blocked"] = self.blocked
            if self.websocket is not None:
                out["websocket"] = self.websocket
        return out

    @property
    def succeeded(self) -> bool:
        """A status below 400 (101 included) and no error: what a journey asks of each of its requests."""
        return self.error is None and self.status is not None and self.status < 400


@dataclass(slots=True)
class Trace:
    """The result of tracing a scenario against a snapshot."""

    requests: list[RequestTrace]
    snapshot: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def final(self) -> RequestTrace:
        return self.requests[-1]

    @property
    def ok(self) -> bool:
        """The CLI's exit status 0: the final response is below 400; for journeys, every request of every
        journey succeeded (a favicon's failure aside)."""
        if any(r.step is not None for r in self.requests):
            return all(r.succeeded or r.optional for r in self.requests)
        status = self.final.status
        return status is not None and status < 400

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "engine_version": ENGINE_VERSION,
            "snapshot": self.snapshot,
            "options": self.options,
            "warnings": self.warnings,
            "requests": [r.to_dict() for r in self.requests],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False, ensure_ascii=False)
