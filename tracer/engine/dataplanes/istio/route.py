"""Routing one request through the ingress gateway (istio#S1..#S15): HTTP/1.0, the server for the port
and scheme, httpsRedirect, the virtual host, the first matching route, then redirect, direct response
or the destination (forward.py).

:class:`IstioRouter` is the routing half of the table; ``IstioTable`` (table.py) fills what it reads.
"""

from __future__ import annotations

from typing import Any

from ...context import EngineContext
from ...options import Options
from ...request import Request
from ...result import Diagnosis, Hop, RequestTrace
from ...snapshot import K8sObject, Snapshot
from ..base import RouteTable
from .analyze import Analysis
from .forward import forward
from .knative import Derived
from .matching import covers, domain_keys, match_request
from .model import Server
from .vhosts import RouteEntry, VHost, route_config

NAME = "istio-ingressgateway"
REDIRECT_CODES = (301, 302, 303, 307, 308)


class IstioRouter(RouteTable):
    snapshot: Snapshot
    options: Options
    context: EngineContext
    workload: K8sObject | None
    service: K8sObject | None
    servers: dict[int, list[Server]]
    port_alias: dict[int, int]
    vhosts: dict[str, dict[str, VHost]]
    http10: str
    analysis: Analysis
    ingress_hosts: set[str]
    subsets: dict[tuple[str, str], dict[str, dict[str, str]]]
    knative: Derived

    def route(self, request: Request) -> RequestTrace:
        trace = RequestTrace(request=request.to_dict(), controller="istio")
        host = request.server_name.lower()  # the port in Host is ignored since Istio 1.16 (istio#S4)
        for d in self.analysis.for_host(host):
            trace.add_diagnosis(d)
        objects = [o.ref() for o in self.controller_objects()]
        if request.http_version in ("1.0", "0.9") and not self.http10:
            trace.status = 426
            trace.add_diagnosis(Diagnosis(
                "HTTP10_UPGRADE_REQUIRED", "error",
                f"The client speaks HTTP/{request.http_version}; the gateway's Envoy refuses it with 426 Upgrade "
                "Required before any routing.",
                "Send HTTP/1.1 or newer, or set ISTIO_META_HTTP10=1 in the ingress gateway's environment (or "
                "PILOT_HTTP10=1 on istiod for every proxy).", "istio#S14", objects,
            ))
            trace.hops.append(self._hop(f"HTTP/{request.http_version} refused: 426 Upgrade Required", "respond", 426,
                                        objects, "Envoy accepts HTTP/1.0 only when the proxy enables it", ["istio#S14"]))
            return trace
        server, why = self._server(request, host)
        if server is None:
            return self._no_server(trace, request, why, objects)
        objects = [*objects, server.gateway.ref()]
        rules = ["istio#S1", "istio#S2"]
        if server.tls_mode.lower() == "istio_mutual" and request.scheme == "https":
            return self._end(trace, "tls-error", f"{server.label} uses tls mode ISTIO_MUTUAL: only clients with an Istio "
                             "workload certificate complete the handshake", objects, [*rules, "istio#S15"],
                             "ISTIO_MUTUAL_GATEWAY")
        if server.tls_mode == "PASSTHROUGH":
            return self._end(trace, "not-simulated", f"{server.label} passes TLS through by SNI to the VirtualService "
                             "tls routes, which tracer does not model", objects, [*rules, "istio#S15"],
                             "CONTROLLER_NOT_SIMULATED")
        if server.https_redirect and request.scheme == "http":
            location = f"https://{request.server_name}{request.request_uri}"
            trace.status = 301
            trace.response_headers["Location"] = location
            trace.hops.append(self._hop(f"{server.label} has httpsRedirect: 301 to {location}", "redirect", 301,
                                        objects, "tls.httpsRedirect makes the virtual host require TLS",
                                        [*rules, "istio#S9"]))
            return trace
        table = self.vhosts.get(route_config(server), {})
        vh = next((table[k] for k in domain_keys(host) if k in table), None)
        rules.append("istio#S4")
        if vh is None:
            return self._not_found(trace, request, objects, rules, f"no VirtualService host on {server.label} "
                                   f"covers {host}", server)
        rules.append("istio#S5")
        hit: RouteEntry | None = None
        tried = 0
        for entry in vh.routes:
            tried += 1
            if entry.match is None or match_request(entry.match, request, server.port):
                hit = entry
                break
        if hit is None:
            return self._not_found(trace, request, objects, rules, f"none of the {tried} route(s) of virtual host "
                                   f"{vh.domain} matches {request.method} {request.request_uri}", server)
        rules.append("istio#S6")
        if "serving.knative.dev/route" in hit.rule.vs.labels:
            rules.append("istio#S20")  # a Knative Service's route (derived or as net-istio wrote it)
            if len(hit.rule.destinations) > 1:
                rules.append("istio#S22")
        rule = hit.rule
        trace.route = {"kind": "VirtualService", "namespace": rule.vs.namespace or "default", "name": rule.vs.name,
                       "rule": f"http[{rule.index}]"}
        objects.append(rule.vs.ref())
        decision = (f"virtual host {vh.domain} on {server.label}; {rule.label} is the first route that matches "
                    f"({hit.match.describe() if hit.match else 'no match: every request'})")
        details: dict[str, Any] = {"virtual_host": vh.domain, "route_config": route_config(server)}
        if rule.timeout:
            details["timeout"] = rule.timeout
            rules.append("istio#S11")
        if rule.redirect:
            return self._redirect(trace, request, rule.redirect, objects, decision, [*rules, "istio#S9"], details)
        if rule.direct:
            status = int(rule.direct.get("status") or 200)
            trace.status = status
            trace.hops.append(self._hop(f"{rule.label}: direct response {status}", "respond", status, objects,
                                        decision, rules, details))
            return trace
        forward(self, trace, request, hit, server, objects, decision, rules, details)
        return trace

    def _server(self, request: Request, host: str) -> tuple[Server | None, str]:
        """The Gateway server the request reaches: by port (a Service port means its targetPort), plain HTTP or
        TLS by the scheme, and for TLS the server whose hosts cover the SNI (istio#S1, #S2, #S15)."""
        ports = [request.port] + ([self.port_alias[request.port]] if request.port in self.port_alias else [])
        on_port = [s for p in ports for s in self.servers.get(p, [])]
        if not on_port:
            return None, f"no Gateway server listens on port {request.port}"
        want_tls = request.scheme == "https"
        fitting = [s for s in on_port if s.is_tls == want_tls]
        if not fitting:
            kind = "TLS" if not want_tls else "plain HTTP"
            return None, f"the Gateway servers on port {request.port} expect {kind}"
        if want_tls:
            sni = request.tls_server_name or host
            for s in fitting:
                if any(covers(h, sni) for _, h in s.hosts):
                    return s, ""
            return None, f"no HTTPS server on port {request.port} has a host covering {sni}"
        return fitting[0], ""

    def _no_server(self, trace: RequestTrace, request: Request, why: str, objects: list[dict[str, Any]]) -> RequestTrace:
        host = request.server_name.lower()
        if host in self.ingress_hosts or "*" in self.ingress_hosts:
            return self._end(trace, "not-simulated", f"{why}; an Ingress of Istio's class has host {host}, which "
                             "Istio translates itself and tracer does not model", objects, ["istio#S19"],
                             "CONTROLLER_NOT_SIMULATED")
        outcome = "refused" if why.startswith("no Gateway server listens") else "reset"
        return self._end(trace, outcome, why, objects, ["istio#S1", "istio#S15"], "ISTIO_NO_SERVER")

    def _end(self, trace: RequestTrace, outcome: str, why: str, objects: list[dict[str, Any]], rules: list[str],
             code: str) -> RequestTrace:
        """The request ends without an HTTP answer: a socket error, or a part tracer does not model."""
        errors = {"refused": "connection-refused", "reset": "reset", "tls-error": "tls-error"}
        trace.status = None
        trace.error = errors.get(outcome, "not-simulated")
        fix = {
            "ISTIO_NO_SERVER": "Add a server for this port and protocol to a Gateway the ingress gateway runs.",
            "ISTIO_MUTUAL_GATEWAY": "Use tls mode SIMPLE (or MUTUAL) with a credentialName for clients outside "
                                    "the mesh.",
            "CONTROLLER_NOT_SIMULATED": "Check this part on the real gateway (istioctl proxy-config routes); tracer "
                                        "models Istio Gateway servers and VirtualService http routes.",
        }[code]
        trace.add_diagnosis(Diagnosis(code, "warning" if code == "CONTROLLER_NOT_SIMULATED" else "error",
                                      f"The ingress gateway ends the request: {why}.", fix, rules[-1], objects))
        unknown = trace.error == "not-simulated"
        summary = f"{why}: not simulated, so what the gateway answers is unknown" if unknown else why
        trace.hops.append(self._hop(summary, "unknown" if unknown else outcome, None, objects, why,
                                    rules, confidence="assumed" if unknown else "from-snapshot"))
        return trace

    def _not_found(self, trace: RequestTrace, request: Request, objects: list[dict[str, Any]], rules: list[str],
                   why: str, server: Server) -> RequestTrace:
        host = request.server_name.lower()
        if host in self.ingress_hosts or "*" in self.ingress_hosts:
            return self._end(trace, "not-simulated", f"{why}; an Ingress of Istio's class has host {host}, which "
                             "Istio translates itself and tracer does not model", objects, [*rules, "istio#S19"],
                             "CONTROLLER_NOT_SIMULATED")
        trace.status = 404
        knative = self.knative.hosts.get(host)
        if knative:  # a Knative host the external gateway does not serve (istio#S21, #S23)
            trace.add_diagnosis(Diagnosis(
                "KNATIVE_HOST_NOT_EXPOSED", "error", f"{knative}, so the ingress gateway has no route for {host}.",
                "Remove the networking.knative.dev/visibility: cluster-local label (or give the Service an external "
                "domain in config-domain), or create the ClusterDomainClaim of the DomainMapping in its namespace.",
                "istio#S23" if "DomainMapping" in knative else "istio#S21", objects))
        trace.add_diagnosis(Diagnosis(
            "ISTIO_NO_ROUTE", "error", f"The ingress gateway answers 404 with response flag NR: {why}.",
            f"Bind a VirtualService with host {host} to the Gateway of {server.label} (spec.gateways) with a route "
            f"matching {request.path}.", "istio#S13", objects,
        ))
        trace.hops.append(self._hop(f"{why}: 404 NR", "respond", 404, objects, why, [*rules, "istio#S13"],
                                    {"response_flags": "NR"}))
        return trace

    def _redirect(self, trace: RequestTrace, request: Request, redirect: dict[str, Any], objects: list[dict[str, Any]],
                  decision: str, rules: list[str], details: dict[str, Any]) -> RequestTrace:
        code = int(redirect.get("redirectCode") or 301)
        if code not in REDIRECT_CODES:
            code = 301
        scheme = str(redirect.get("scheme") or request.scheme)
        authority = str(redirect.get("authority") or request.server_name)
        port = redirect.get("port")
        if port and int(port) not in (80, 443):
            authority = f"{authority}:{port}"
        path = str(redirect.get("uri") or request.path)
        location = f"{scheme}://{authority}{path}" + (f"?{request.query}" if request.query and "?" not in path else "")
        trace.status = code
        trace.response_headers["Location"] = location
        trace.hops.append(self._hop(f"redirect {code} to {location}", "redirect", code, objects, decision, rules,
                                    details))
        return trace

    def _hop(self, summary: str, outcome: str, status: int | None, objects: list[dict[str, Any]], decision: str,
             rules: list[str], details: dict[str, Any] | None = None, confidence: str = "from-snapshot") -> Hop:
        name = f"{self.workload.namespace}/{self.workload.name}" if self.workload is not None else NAME
        return Hop("controller", name, summary, outcome=outcome, status=status, objects=objects, decision=decision,
                   details=details or {}, rules=list(dict.fromkeys(rules)), confidence=confidence)
