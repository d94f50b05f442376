"""Routing one request through a compiled Traefik v2/v3 table: entry point, entry point redirection, the router
with the highest priority whose rule matches (traefik#T8), its middlewares, then its Service.

:class:`TraefikRouting` is the routing half of :class:`~.table.TraefikTable`.
"""

from __future__ import annotations

from itertools import islice
from typing import Any
from urllib.parse import parse_qs

from ...context import EngineContext
from ...options import Options
from ...request import Request
from ...result import Hop, RequestTrace
from ..base import RouteTable
from . import diagnoses as dx
from .backends import Backends, BackendState, ServerSet, pick_weighted
from .crd import Problem
from .forward import Outgoing, forward, respond_directly
from .gotext import redirect_status
from .ingress_v2 import Ignored
from .middlewares import Flow, MiddlewareRunner
from .ports import PortMap
from .routers import Router, RouterIndex
from .rules import RuleRequest
from .settings import EntryPoint, Settings
from .tls import Certificates

MAX_NEAR = 5
NOT_FOUND = "404 page not found"


def rule_request(request: Request) -> RuleRequest:
    headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers.setdefault(name.lower(), []).append(value)
    query = parse_qs(request.query, keep_blank_values=True) if request.query else {}
    return RuleRequest(request.server_name, request.path, request.method, headers, query, request.client_ip)


class TraefikRouting(RouteTable):
    """State filled by the table: settings, indexes, backends, certificates, ports."""

    family = "traefik"
    hop_name: str
    label: str  # "Traefik v3.6", with "(version assumed)" when the image names none
    short_label: str
    settings: Settings
    index: RouterIndex
    broken: RouterIndex
    ignored_by_host: dict[str, list[Ignored]]
    backends: Backends
    certs: Certificates
    ports: PortMap
    runner: MiddlewareRunner
    context: EngineContext
    options: Options

    def _entry_point(self, request: Request) -> tuple[EntryPoint | None, str]:
        port, how = self.ports.container_port(request.port)
        for ep in self.settings.entry_points.values():
            if ep.port == port:
                return ep, f"entry point {ep.name} ({how})"
        if not self.settings.assumed:
            return None, how
        https = request.scheme in ("https", "wss")
        for ep in self.settings.entry_points.values():
            if ep.tls == https:
                return ep, f"entry point {ep.name} (assumed for {request.scheme} on port {request.port})"
        return None, how

    def route(self, request: Request) -> RequestTrace:
        trace = RequestTrace(request=request.to_dict(), controller=self.family)
        rules = ["traefik#T9"]
        ep, how = self._entry_point(request)
        details: dict[str, Any] = {"settings": self.settings.source, "version": self.label}
        if ep is None:
            trace.error = "connection-refused"
            trace.add_diagnosis(dx.no_entry_point(request.port, how, list(self.settings.entry_points.values())))
            trace.hops.append(self._hop(f"no entry point listens on {how}: connection refused", "refused", None,
                                        [], how, [], rules, details))
            return trace
        details["entry_point"] = how
        tls = self.certs.check(request, trace, "traefik#T10", self.label)
        if tls is not None:
            details["tls"] = tls
            rules.append("traefik#T10")
        if ep.redirect_to and request.scheme not in ("https", "wss") and request.server_name:
            return self._entry_redirect(trace, request, ep, rules, details)
        rr = rule_request(request)
        is_tls = request.scheme in ("https", "wss")
        winner: Router | None = None
        near: list[str] = []
        elsewhere: list[tuple[Router, bool]] = []
        skipped: list[tuple[Router, Problem]] = []
        for router in self.index.candidates(rr.host):
            if winner is not None and router.priority < winner.priority:
                break
            if router.rule is None or not router.rule.match(rr):
                continue
            if ep.name not in router.entry_points and ep.name.lower() not in {e.lower() for e in router.entry_points}:
                elsewhere.append((router, False))
                continue
            if (router.tls or ep.tls) != is_tls:
                elsewhere.append((router, True))
                continue
            state = self.backends.state(router)
            if state.problem is not None:
                skipped.append((router, state.problem))
                continue
            if winner is None:
                winner = router
                continue
            trace.add_diagnosis(dx.tie(winner, router))
            break
        for router in self.broken.candidates(rr.host):
            if winner is not None and router.priority < winner.priority:
                break
            if router.rule is not None and router.rule.match(rr) and router.problem is not None:
                skipped.append((router, router.problem))
        for router, problem in skipped[:3]:
            trace.add_diagnosis(dx.problem_diagnosis(problem, router, severity="warning" if winner else "error"))
            near.append(f"{router.label} would match, but {problem.message}")
            rules.append(problem.rule)
        for router, tls_mismatch in elsewhere[:2]:
            if winner is None:
                trace.add_diagnosis(dx.other_entry_point(router, ep.name, tls_mismatch, is_tls))
            near.append(f"{router.label} matches, but on another entry point or TLS mode")
        if winner is None:
            for rec in (self.ignored_by_host.get(rr.host) or [])[:2] + (self.ignored_by_host.get("") or [])[:1]:
                trace.add_diagnosis(dx.ignored(rec, self.label))
                near.append(f"{rec.obj.kind} {rec.obj.namespace}/{rec.obj.name} is not read: {rec.reason}")
            return self._not_found(trace, request, near, rules, details, bool(skipped or elsewhere))
        return self._routed(trace, request, winner, near, rules, details)

    def _entry_redirect(self, trace: RequestTrace, request: Request, ep: EntryPoint, rules: list[str],
                        details: dict[str, Any]) -> RequestTrace:
        """traefik#T11: the router Traefik adds on the entry point, RedirectScheme to the target's port."""
        target = ep.redirect_to or ""
        if target.startswith(":"):
            port = target[1:]
        else:
            other = self.settings.entry_points.get(target) or next(
                (e for n, e in self.settings.entry_points.items() if n.lower() == target.lower()), None)
            port = str(other.port) if other is not None and other.port else ""
        scheme = ep.redirect_scheme
        keep = port and (scheme, port) not in (("http", "80"), ("https", "443"))
        location = f"{scheme}://{request.server_name}{':' + port if keep else ''}{request.request_uri}"
        status = redirect_status(request.method, ep.redirect_permanent)
        respond_directly(trace, status, content_type="", headers={"location": location})
        rules += ["traefik#T11", "traefik#T24"]
        trace.hops.append(self._hop(
            f"entry point {ep.name} redirects every request to {target}: {status} -> {location}", "redirect", status,
            [], f"http.redirections.entryPoint.to {target} on entry point {ep.name} (scheme {scheme}, "
            f"{'permanent' if ep.redirect_permanent else 'temporary'})", [], rules, details))
        return trace

    def _not_found(self, trace: RequestTrace, request: Request, near: list[str], rules: list[str],
                   details: dict[str, Any], explained: bool) -> RequestTrace:
        rules.append("traefik#T32")
        respond_directly(trace, 404, headers={"x-content-type-options": "nosniff"})
        if not explained:
            for router in islice(self.index.candidates(request.server_name), 2):
                near.append(f"{router.label}: {router.rule_text} does not match {request.server_name}{request.path}")
            trace.add_diagnosis(dx.no_router(request.server_name, request.path, self.label, near))
        trace.hops.append(self._hop(
            f"no router matches {request.server_name}{request.path}: 404 ({NOT_FOUND})", "respond", 404, [],
            "no router on this entry point has a rule that matches the request", near, rules, details))
        return trace

    def _routed(self, trace: RequestTrace, request: Request, router: Router, near: list[str], rules: list[str],
                details: dict[str, Any]) -> RequestTrace:
        src = router.source
        trace.route = {"kind": src.kind, "namespace": src.namespace, "name": src.name,
                       "rule": router.where.removeprefix("spec.")}
        rules += ["traefik#T8", "traefik#T12" if router.provider == "kubernetescrd" else "traefik#T2"]
        how = "priority" if router.explicit_priority else "priority = rule length"
        decision = f"rule {router.rule_text} matches ({how} {router.priority})"
        details["router"] = {"rule": router.rule_text, "priority": router.priority, "entry_points":
                             list(router.entry_points), "tls": router.tls}
        if router.tls_details:
            details["router"]["tls_options"] = {k: v for k, v in router.tls_details.items()}
        self._prefix_note(trace, request, router)
        flow = Flow(request.path, request.query)
        self.runner.run(router.middlewares, request, flow)
        rules += flow.rules
        if flow.applied:
            details["middlewares"] = flow.applied
        if flow.not_modelled:
            trace.add_diagnosis(dx.not_modelled(flow.not_modelled))
        objects = [src.ref()] + [m.obj.ref() for m in router.middlewares if m.obj is not None]
        summary = f"{router.label}"
        if flow.problem is not None:
            trace.add_diagnosis(dx.problem_diagnosis(flow.problem, router))
            respond_directly(trace, 404)
            trace.hops.append(self._hop(f"{summary}: {flow.problem.message}; the router is not installed, 404",
                                        "respond", 404, objects, decision, near, [*rules, flow.problem.rule], details))
            return trace
        if flow.refuse is not None:
            status, why = flow.refuse
            respond_directly(trace, status)
            trace.hops.append(self._hop(f"{summary}: {why}", "respond", status, objects, decision, near, rules, details))
            return trace
        if flow.redirect is not None:
            status, location = flow.redirect
            respond_directly(trace, status, content_type="", headers={"location": location})
            trace.hops.append(self._hop(f"{summary}: redirect {status} -> {location}", "redirect", status, objects,
                                        decision, near, rules, details))
            return trace
        state = self.backends.state(router)
        server = pick_weighted(state.servers, self.options.seed, f"{request.client_ip}|{request.path}")
        return self._to_server(trace, request, router, state, server, flow, objects, decision, near, rules, details)

    def _prefix_note(self, trace: RequestTrace, request: Request, router: Router) -> None:
        if router.rule is None:
            return
        for matcher, value in router.rule.paths:
            if matcher == "PathPrefix" and not value.endswith("/") and request.path.startswith(value) \
                    and len(request.path) > len(value) and request.path[len(value)] != "/":
                trace.add_diagnosis(dx.prefix_character_match(router, value, request.path))
                return

    def _to_server(self, trace: RequestTrace, request: Request, router: Router, state: BackendState,
                   server: ServerSet, flow: Flow, objects: list[dict[str, Any]], decision: str, near: list[str],
                   rules: list[str], details: dict[str, Any]) -> RequestTrace:
        ref = server.ref
        rules.append("traefik#T16")
        if server.res is None:
            respond_directly(trace, 200, content_type="")
            hop = self._hop(f"{router.label} -> {ref.name}: served by Traefik or another provider, not simulated; "
                            "assumed 200", "respond", 200, objects, decision, near, rules, details)
            hop.confidence = "assumed"
            trace.hops.append(hop)
            return trace
        res = server.res
        if server.transport is not None:
            objects.append(server.transport.ref())
        label = self.short_label
        if not res.ready_endpoints():
            respond_directly(trace, 503)
            trace.backend = {"namespace": res.namespace, "service": res.service_name, "port": res.port_number}
            for d in res.diagnoses:
                trace.add_diagnosis(d)
            hop = self._hop(f"{router.label} -> {ref.label()}: no available server (allowEmptyServices keeps the "
                            "router), 503", "respond", 503, objects, decision, near, rules, details)
            trace.hops.append(hop)
            return trace
        out = Outgoing(server.scheme, server.scheme_why, server.skip_verify, server.trust, server.root_cas,
                       server.pass_host, flow.uri, dict(flow.set_headers), dict(flow.response_headers),
                       server.native_lb, request.port)
        hop = self._hop(f"{router.label} -> {ref.label()}" + (f" via {ref.via}" if ref.via else ""), "forward",
                        None, objects, decision, near, rules, details)
        if flow.path != request.path:
            hop.changes["path"] = f"{request.path} -> {flow.uri}"
        forward(trace, request, res, out, hop, rules, self.context, self.options, label=label)
        hop.rules = list(dict.fromkeys(rules))
        return trace

    def _hop(self, summary: str, outcome: str, status: int | None, objects: list[dict[str, Any]], decision: str,
             near: list[str], rules: list[str], details: dict[str, Any]) -> Hop:
        return Hop("controller", self.hop_name, summary, outcome=outcome, status=status, objects=objects,
                   decision=decision, near_misses=near[:MAX_NEAR], details=details, rules=list(dict.fromkeys(rules)))


__all__ = ["TraefikRouting", "rule_request"]
