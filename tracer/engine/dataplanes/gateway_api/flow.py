"""The state of one request on its way through a Gateway, and the controller hop made from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...request import Request
from ...result import Diagnosis, Hop, RequestTrace
from .conformance import FEATURE_USES, REPORTS
from .model import GatewayInfo, Listener, Match

MAX_NEAR_MISSES = 12


@dataclass(slots=True)
class Flow:
    request: Request
    trace: RequestTrace
    gateway: GatewayInfo | None = None
    listener: Listener | None = None
    match: Match | None = None
    hostname: str = ""  # the effective hostname (bucket) the winning match was found under
    rules: list[str] = field(default_factory=list)
    near: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    features: list[tuple[str, str]] = field(default_factory=list)  # (feature, the manifest part that uses it)
    objects: list[dict[str, Any]] = field(default_factory=list)
    decision: list[str] = field(default_factory=list)
    summary: str = ""
    outcome: str = "forward"
    status: int | None = None
    error: str | None = None
    confidence: str = "from-snapshot"
    after: list[Hop] = field(default_factory=list)  # the backend hops

    def cite(self, *rule_ids: str) -> None:
        self.rules.extend(rule_ids)

    def end(self, summary: str, status: int | None, *, outcome: str = "respond", error: str | None = None,
            diagnosis: Diagnosis | None = None) -> None:
        self.summary, self.status, self.outcome, self.error = summary, status, outcome, error
        if diagnosis is not None:
            self.trace.add_diagnosis(diagnosis)

    def hop(self) -> Hop:
        gw = self.gateway
        name = f"Gateway {gw.key}" if gw is not None else "gateway-api"
        return Hop("controller", name, self.summary, outcome=self.outcome, status=self.status, objects=self.objects,
                   decision="; ".join(self.decision), near_misses=self.near[:MAX_NEAR_MISSES], details=self.details,
                   rules=list(dict.fromkeys(self.rules)), confidence=self.confidence)

    def feature_warnings(self) -> None:
        """GATEWAY_FEATURE_UNSUPPORTED for each extended feature on this request's path that the Gateway's
        implementation does not list as supported in its conformance report (k8s-routing#G-35)."""
        gw = self.gateway
        impl = gw.implementation if gw is not None else None
        if impl is None or not self.features:
            return
        support: dict[str, str] = {}
        for feature, where in self.features:
            if feature in support:
                continue
            found = support[feature] = impl.support(feature)
            if found == "supported":
                continue
            newer = " (the feature was added to the conformance suite after v1.4.0)" if found == "newer" else ""
            self.trace.add_diagnosis(Diagnosis(
                "GATEWAY_FEATURE_UNSUPPORTED",
                "warning",
                f"{where} uses {FEATURE_USES.get(feature, feature)} (conformance feature {feature}); the "
                f"{impl.label()} conformance report does not list it as supported{newer}, so this part may not "
                "behave as traced.",
                f"Check the {impl.title} documentation for {feature}, or avoid the feature on this GatewayClass.",
                "k8s-routing#G-35",
                [gw.obj.ref()] if gw is not None else [],
            ))
        self.details["conformance"] = {
            "implementation": impl.label(),
            "report": f"{REPORTS}/{impl.report}",
            "features": support,
        }
