"""P9: the access phase (ingress-nginx#9).

The access checks themselves are policies.check_access; this stage records their outcomes on the
controller hop and adds an auth hop for the external auth subrequest.
"""

from __future__ import annotations

from ....result import Hop
from ..annotations import IngressAnnotations
from ..model import Location
from ..policies import PolicyOutcome, check_access
from .state import RouteState


def access_phase(s: RouteState, loc: Location, ann: IngressAnnotations) -> int | None:
    """P9; a status when access is refused (403, 401, a sign-in redirect, 500 from the auth subrequest).

    Callers skip it when LocationFacts.no_access_rules says check_access would return no outcome.
    """
    outcomes = check_access(ann, s.config, s.req, s.ctx.snapshot, location_path=loc.ingress_path)
    for outcome in outcomes:
        for diag in outcome.diagnoses:
            s.trace.add_diagnosis(diag)
        s.rules.extend(r for r in outcome.rules if r not in s.rules)
        if outcome.component == "auth":
            s.auth_hops.append(_auth_hop(s, ann, outcome))
        if outcome.status is not None:
            return s.respond_with(outcome)
    return None


def _auth_hop(s: RouteState, ann: IngressAnnotations, outcome: PolicyOutcome) -> Hop:
    url = ann.external_auth.url or s.config.global_auth_url
    return Hop(
        component="auth",
        name=url or "external auth",
        summary=outcome.summary,
        outcome="respond" if outcome.status is not None else "forward",
        status=outcome.status if outcome.status is not None else 200,
        objects=[ann.ingress.ref()] if ann.ingress is not None and ann is not s.ctx.blank else [],
        decision=f"auth subrequest {ann.external_auth.method or 'GET'} {url}",
        rules=list(outcome.rules) or ["ingress-nginx#9.3"],
        confidence="assumed",
    )
