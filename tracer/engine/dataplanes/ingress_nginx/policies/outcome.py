"""What a request-time check decides: pass, or answer with a status (PolicyOutcome).

Every phase module returns these; the pipeline turns them into hop summaries, headers and diagnoses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ....result import Diagnosis
from ..annotations import IngressAnnotations


@dataclass(slots=True)
class PolicyOutcome:
    status: int | None  # None = passes
    summary: str
    headers: dict[str, str] = field(default_factory=dict)  # response headers it adds
    component: str = "controller"  # "auth" for the external-auth subrequest hop, "pod" for backend answers
    rules: list[str] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    stage: str = ""  # block-cidrs | ip-access | basic-auth | external-auth | body-size | cors-preflight | ...
    confidence: str = "from-snapshot"  # from-snapshot | inferred | assumed (as on Hop)
    details: dict[str, Any] = field(default_factory=dict)
    # The first line of the error page nginx (or the pod) sends, as it prints it ("413 Request Entity Too Large"):
    # response fidelity, so not the RFC 9110 phrases of tracer.engine.http_status.
    body: str = ""


def ingress_ref(ann: IngressAnnotations) -> list[dict[str, Any]]:
    return [ann.ingress.ref()]


def annotation_key(ann: IngressAnnotations, suffix: str) -> str:
    return f"{ann.prefix}{suffix}"
