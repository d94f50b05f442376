"""P7, the Lua rewrite phase: the HTTPS redirect (ingress-nginx#5.1), then the upstream and its endpoint.

The balancer picks the primary upstream's endpoint; without one the answer is 503 unless a
default-backend annotation takes over (#6.4, #6.7); with endpoints, a canary attached to the upstream
may take the request instead (#7.3). A location with no Service goes to the default backend (#6.7).
"""

from __future__ import annotations

from ....services import BackendResolution
from ..annotations import IngressAnnotations
from ..canary import decide
from ..misunderstandings import https_redirect_loop
from ..model import Location
from ..redirects import https_redirect
from .state import ChosenBackend, RouteState, backend_field


def lua_rewrite(s: RouteState, loc: Location, ann: IngressAnnotations) -> int | None:
    """P7; sets ``s.backend``. A status when the request ends here (redirect or 503)."""
    redirect = https_redirect(loc, loc.ann, s.req, s.scheme, s.config, s.ctx.servers)
    if redirect is not None:
        if s.scheme == "http":
            server = s.server
            first = server.first if server is not None else None
            diag = https_redirect_loop(s.req, s.config.use_forwarded_headers, loc.ingress or first)
            if diag is not None:
                s.trace.add_diagnosis(diag)
        return s.redirect(redirect)
    return _choose_backend(s, loc, ann)


def _choose_backend(s: RouteState, loc: Location, ann: IngressAnnotations) -> int | None:
    """Canary choice and endpoints (balancer.lua rewrite); returns a status when the request ends here."""
    backends = s.ctx.backends
    if loc.backend is None:
        default = backends.default
        if default is not None and backends.ready(default):
            s.backend = ChosenBackend(default, backends.pick(default, None, s.key))
            s.trace.backend = backend_field(default, s.backend.pick.resolution)
            s.details["upstream"] = "upstream-default-backend"
            s.cause = f"no rule matched, so the custom default backend {default} (--default-backend-service) answers"
        else:
            s.cause = _default_cause(s)
        return None
    primary = loc.backend
    pick = backends.pick(primary, ann, s.key)
    upstream_name = s.details["upstream"] = primary.upstream_name
    s.trace.backend = backend_field(primary, pick.resolution)
    if pick.endpoint is None and pick.via != "cluster-ip":
        # #7.3 step 1 / #6.4: no balancer for the upstream -> 503, canary rules are not consulted.
        fallback = backends.annotation_default(ann) if ann.backend.default_backend else None
        if fallback is not None and backends.ready(fallback):
            s.backend = ChosenBackend(fallback, backends.pick(fallback, None, s.key))
            s.extra_upstream_headers = s.error_headers(503, primary, loc)
            s.details["default_backend"] = (
                f"{primary} has no ready endpoints; the default-backend annotation's Service {fallback} gets the "
                "request with X-Code: 503"
            )
            s.rules.append("ingress-nginx#6.7")
            s.trace.backend = backend_field(fallback, backends.resolve(fallback))
            return None
        res = pick.resolution
        for diag in res.diagnoses:
            s.trace.add_diagnosis(diag)
        why = pick.reason or _unavailable_reason(res)
        s.cause = f"location matched but {why}"
        s.backend = ChosenBackend(primary, pick)
        s.rules.append("ingress-nginx#6.4")
        return s.respond(503, f"upstream {primary.upstream_name}: {why}", "ingress-nginx#6.4")
    s.backend = ChosenBackend(primary, pick)
    alt = s.ctx.alternatives.get(upstream_name)
    if alt is not None:
        canary_pick = backends.pick(alt.backend, ann, s.key)
        canary_ready = canary_pick.endpoint is not None or canary_pick.via == "cluster-ip"
        decision = decide(alt, s.hdrs, s.req.cookies(), canary_ready=canary_ready, seed=s.ctx.seed,
                          key=s.key, primary=primary)
        s.details["canary"] = {"ingress": f"{alt.ingress.namespace}/{alt.ingress.name}",
                               "backend": str(alt.backend), "chosen": decision.use_canary,
                               "reason": decision.reason}
        s.trace.split = decision.split
        s.rules.append("ingress-nginx#7.3")
        s.hop.objects.append(alt.ingress.ref())
        if decision.problem is not None:
            s.regex_problem(decision.problem)
        if decision.use_canary:
            s.backend = ChosenBackend(alt.backend, canary_pick, canary=True)
            s.details["upstream"] = alt.backend.upstream_name
            s.trace.backend = backend_field(alt.backend, canary_pick.resolution)
    return None


def _default_cause(s: RouteState) -> str:
    server = s.server
    assert server is not None
    if server.is_catch_all:
        if s.ctx.selection.dropped_by_host.get(s.host):
            return f"the Ingress for {s.host} is ignored by this controller, so the catch-all answers"
        return f"no server matches Host {s.host} and no hostless rule matches {s.uri}"
    return f"Host {server.hostname} matched but no path there matches {s.uri}"


def _unavailable_reason(res: BackendResolution) -> str:
    if res.service is None:
        return f"Service {res.namespace}/{res.service_name} does not exist"
    if res.service_port is None and res.kind != "external-name":
        return f"Service {res.namespace}/{res.service_name} has no port matching {res.requested_port!r}"
    return f"Service {res.namespace}/{res.service_name} has no ready endpoints"
