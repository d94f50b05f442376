"""One request through the compiled ingress-nginx configuration, stage by stage (ingress-nginx#0, P1..P11).

The first stage that answers wins. The controller hop records the server and location chosen, the
near misses, what changed and the settings in force; an auth hop is added for external auth, then
the Service/Endpoints/Pod hops of tracer.engine.services.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...regexes import RegexProblem, search
from ...request import Request
from ...result import Diagnosis, Hop, RequestTrace
from ...services import BackendResolution, Endpoint, backend_hops, describe_port
from . import misunderstandings as mis
from . import policies
from .annotations import IngressAnnotations
from .backends import INTERNAL_DEFAULT, Pick
from .canary import decide
from .locations import match_location, near_misses, normalise_uri
from .model import BackendRef, Location, Server
from .redirects import Redirect, annotation_redirect, app_root, from_to_www, https_redirect, trailing_slash
from .rewrite import apply_rewrite
from .servers import certificate_for, select_server, server_near_misses

if TYPE_CHECKING:
    from . import IngressNginxTable

MAX_NEAR_MISSES = 8
REASONS = {
    200: "OK",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
    414: "Request-URI Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Timeout",
}


@dataclass(slots=True)
class _Backend:
    """The upstream the request ends up proxied to."""

    ref: BackendRef
    pick: Pick
    canary: bool = False


@dataclass(slots=True)
class _State:
    server: Server | None = None
    server_how: str = ""
    loc: Location | None = None
    ann: IngressAnnotations | None = None
    uri: str = ""
    upstream_path: str = ""
    rewritten: bool = False
    backend: _Backend | None = None
    generated: bool = True  # the status was produced by nginx itself (matters for custom-http-errors)
    cause: str = ""  # why a 404/503 happened, for NOT_FOUND_VS_UNAVAILABLE
    extra_upstream_headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class LocationFacts:
    """What the controller hop says about a (server, location) pair whatever the request: computed once."""

    name: str
    directive: str
    mode_suffix: str
    location_note: str | None
    rules: list[str]
    diagnoses_before: list[Diagnosis]  # before the per-request REGEX_ORDER_BY_LENGTH check
    diagnoses_after: list[Diagnosis]
    ingress_ref: dict[str, Any] | None
    class_ref: dict[str, Any] | None
    annotations: dict[str, Any] | None
    route: dict[str, Any] | None
    no_access_rules: bool  # policies.check_access provably returns [] for every request (P9 has nothing to do)


def location_facts(table: IngressNginxTable, server: Server, loc: Location) -> LocationFacts:
    mode = server.regex_reason()
    directive = loc.directive(server.regex_mode)
    rules: list[str] = []
    note = None
    if loc.root_default:
        owner = loc.ingress
        note = (
            f"the host's default location /, inheriting the annotations of its first Ingress {owner.namespace}/"
            f"{owner.name}" if owner else "the catch-all's default location /"
        )
        rules.append("ingress-nginx#3.2")
    before: list[Diagnosis] = []
    after: list[Diagnosis] = []
    if server.regex_mode:
        rules.append("ingress-nginx#3.3")
        diag = mis.host_regex_mode(server, loc)
        if diag is not None:
            before.append(diag)
    diag = table.server_diagnosis(server)
    if diag is not None:
        after.append(diag)
    for hazard in server.hazards[:2]:
        after.append(Diagnosis("DUPLICATE_LOCATION", "error", hazard,
                               "Keep only one of the two paths (Prefix /foo already covers /foo/).",
                               "ingress-nginx#3.10", []))
    ingress_ref = class_ref = annotations = route = None
    if loc.ingress is not None:
        ingress_ref = loc.ingress.ref()
        ic = table.selection.class_of.get(loc.ingress.key)
        if ic is not None:
            class_ref = ic.ref()
        ann = loc.ann
        if ann is not None:
            after.extend(ann.diagnoses)
            if ann.used:
                annotations = dict(ann.used)
            if ann.proxy_ssl_name and not ann.proxy_ssl_secret:
                after.append(mis.proxy_ssl_without_secret(loc.ingress))
        if loc.rule:
            route = {"kind": "Ingress", "namespace": loc.ingress.namespace, "name": loc.ingress.name,
                     "rule": loc.rule}
    # check_access returns [] when there are no IP rules, no (global) auth and satisfy is "all".
    ann = loc.ann or table.blank
    config = table.config
    no_access_rules = (
        ann.denied is None and not (ann.allowlist or ann.denylist or config.block_cidrs) and ann.auth_type is None
        and ann.auth_url is None and not ann.satisfy_any and not (config.global_auth_url and ann.enable_global_auth)
    )
    return LocationFacts(
        name="_ (catch-all)" if server.is_catch_all else server.hostname,
        directive=directive,
        mode_suffix=f" ({mode})" if mode else "",
        location_note=note,
        rules=rules,
        diagnoses_before=before,
        diagnoses_after=after,
        ingress_ref=ingress_ref,
        class_ref=class_ref,
        annotations=annotations,
        route=route,
        no_access_rules=no_access_rules,
    )


class Router:
    """Routes one request; create one per request."""

    def __init__(self, table: IngressNginxTable, request: Request) -> None:
        self.t = table
        self.config = table.config
        self.req = request
        self.s = _State()
        self.trace = RequestTrace(request=request.to_dict(), controller="ingress-nginx")
        self.rules: list[str] = []
        self.near: list[str] = []
        self.changes: dict[str, Any] = {}
        self.details: dict[str, Any] = {}
        # All fields positional (cheaper than the dataclass defaults); _finish sets near_misses and rules.
        self.hop = Hop("controller", table.name, "", "forward", None, [*table.config_refs], "", [], self.changes,
                       self.details, [], "from-snapshot")
        self.auth_hops: list[Hop] = []
        self.headers: dict[str, str] = {}
        self.host = request.server_name  # computed once: the Host header without port, lower-case
        # lower-cased name -> value, first occurrence wins
        self.hdrs = {k.lower(): v for k, v in reversed(request.headers)} if request.headers else {}
        self.key = f"{request.method} {self.host}{request.request_uri} {request.client_ip}"

    # -- entry -------------------------------------------------------------------------------------

    def run(self) -> RequestTrace:
        status = self._stages()
        return self._finish(status)

    def _stages(self) -> int:
        req = self.req
        # P2: request line and header limits, underscores (large-client-header-buffers "4 8k").
        limit = self.config.large_client_header_buffer_size
        if len(req.method) + len(req.request_uri) + len(req.http_version) + 7 > limit:
            return self._respond(414, f"request line longer than {limit} bytes (large-client-header-buffers)",
                                 "ingress-nginx#0")
        for name, value in req.headers:
            if len(name) + 2 + len(value) > limit:
                return self._respond(400, f"header {name} is longer than {limit} bytes: \"400 Request Header Or "
                                     "Cookie Too Large\"", "ingress-nginx#0")
        if not self.config.enable_underscores_in_headers:
            kept = [(k, v) for k, v in req.headers if "_" not in k]
            if len(kept) != len(req.headers):
                dropped = sorted({k for k, _ in req.headers if "_" in k})
                self.changes["headers_dropped"] = dropped
                self.details["underscore_headers"] = (
                    f"{', '.join(dropped)} dropped: header names with '_' are ignored (enable-underscores-in-headers "
                    "is false)"
                )
                self.req = req = req.with_changes(headers=kept)
                self.hdrs = {k.lower(): v for k, v in reversed(kept)}
        uri = normalise_uri(req.path)
        if uri is None:
            return self._respond(400, f"URI {req.path} has a bad %-escape or climbs above / with ..",
                                 "ingress-nginx#3.5")
        self.s.uri = uri
        if uri != req.path:
            self.details["normalised_uri"] = uri
        self.scheme = policies.request_scheme(req, self.config)
        self._tls_handshake()

        # P3: server selection by Host.
        server, how = select_server(self.t.servers, self.host)
        self.s.server, self.s.server_how = server, how
        self.rules.append("ingress-nginx#2.2")
        self._dropped_for_host()
        self.near.extend(server_near_misses(self.t.servers, self.host, server))

        # P4: server-level rewrites.
        if server.redirect_to is not None:
            return self._redirect(from_to_www(server, req, self.config))
        blocked = self._blocked_agent()
        if blocked:
            return self._respond(403, blocked, "ingress-nginx#0")
        root = app_root(server, uri, req)
        if root is not None:
            return self._redirect(root)

        # P5: location selection, 413, trailing-slash 301.
        match = match_location(server, uri)
        self.rules.append("ingress-nginx#3.5")
        for problem in match.problems:
            self._regex_problem(problem)
        if match.kind == "healthz":
            self.hop.decision = f"server _ (catch-all), location {'/healthz'}"
            return self._respond(200, "/healthz on the catch-all server answers 200 with an empty body",
                                 "ingress-nginx#2.4")
        if match.kind == "nginx-status":
            if req.client_ip in ("127.0.0.1", "::1"):
                return self._respond(200, "/nginx_status answers localhost with stub_status", "ingress-nginx#2.4")
            return self._respond(403, "/nginx_status is only allowed from localhost", "ingress-nginx#2.4")
        loc = match.location
        if loc is None:
            self.s.cause = f"no location of server {server.hostname} matched {uri}"
            return self._respond(404, self.s.cause, "ingress-nginx#3.5")
        self.s.loc = loc
        ann = self.s.ann = loc.ann or self.t.blank
        facts = self._describe_location(server, loc)
        self.near.extend(near_misses(server, uri, loc, candidates=self.t.near_miss_candidates(server, loc)))
        body = policies.check_body_size(ann, self.config, req)
        if body is not None and body.status is not None:
            return self._outcome(body)
        if match.kind == "slash-redirect":
            self.trace.add_diagnosis(mis.prefix_trailing_slash_301(loc, uri))
            return self._redirect(trailing_slash(loc, req, ann, self.config))

        # P6: location rewrite phase, in config order.
        if ann.denied:
            self.s.cause = f"the location is denied because of a broken annotation on {ann.name}: {ann.denied}"
            return self._respond(503, self.s.cause, "ingress-nginx#11.2")
        preflight = policies.check_cors_preflight(ann, req)
        if preflight is not None and preflight.status is not None:
            return self._outcome(preflight)
        redirect = annotation_redirect(loc.ann, req, self.config)
        if redirect is not None:
            return self._redirect(redirect)
        self.s.upstream_path = req.request_uri
        rewrite = apply_rewrite(loc, uri, req, self.scheme)
        if rewrite is not None:
            if rewrite.problem is not None:
                self._regex_problem(rewrite.problem)
            if rewrite.redirect is not None:
                return self._redirect(Redirect(302, rewrite.redirect, f"rewrite-target {ann.rewrite_target} is an "
                                               "absolute URL, so nginx's rewrite answers with a redirect",
                                               "ingress-nginx#4.1"))
            if not rewrite.note:
                self.s.rewritten = True
                self.s.upstream_path = rewrite.upstream_path
                self.changes["path"] = {"before": req.request_uri, "after": rewrite.upstream_path}
                self.rules.append("ingress-nginx#4.1")
                diag = mis.rewrite_without_capture_group(loc, uri, rewrite.uri)
                if diag is not None:
                    self.trace.add_diagnosis(diag)

        # P7: Lua rewrite: HTTPS redirect, canary, endpoints.
        redirect = https_redirect(loc, loc.ann, req, self.scheme, self.config, self.t.servers)
        if redirect is not None:
            if self.scheme == "http":
                diag = mis.https_redirect_loop(req, self.config.use_forwarded_headers, loc.ingress or server.first)
                if diag is not None:
                    self.trace.add_diagnosis(diag)
            return self._redirect(redirect)
        failed = self._choose_backend(loc, ann)
        if failed is not None:
            return failed

        # P8: rate limits cannot trip on a single request.
        if ann.limit_rps or ann.limit_rpm or ann.limit_connections:
            self.details["rate_limits"] = {
                "limit_rps": ann.limit_rps, "limit_rpm": ann.limit_rpm, "limit_connections": ann.limit_connections,
                "note": "per client IP and per controller replica; excess requests get "
                f"{self.config.limit_req_status_code} (ingress-nginx#9.5)",
            }

        # P9: access phase (skipped when the annotations and ConfigMap restrict nothing: check_access returns []).
        outcomes = [] if facts.no_access_rules else policies.check_access(
            ann, self.config, req, self.t.snapshot, location_path=loc.ingress_path)
        for outcome in outcomes:
            for diag in outcome.diagnoses:
                self.trace.add_diagnosis(diag)
            self.rules.extend(r for r in outcome.rules if r not in self.rules)
            if outcome.component == "auth":
                self.auth_hops.append(self._auth_hop(ann, outcome))
            if outcome.status is not None:
                return self._outcome(outcome)

        # P10: proxy to the pod.
        return self._proxy(loc, ann)

    # -- P1 ------------------------------------------------------------------------------------------

    def _tls_handshake(self) -> None:
        if self.req.scheme != "https":
            return
        sni = self.req.tls_server_name
        tls = certificate_for(self.t.servers, sni)
        default = self.t.servers.default_cert
        if tls is None or tls.uses_default:
            served = f"default certificate ({default.name})"
            note = tls.note if tls is not None else f"no certificate is configured for {sni}"
            self.trace.add_diagnosis(
                Diagnosis(
                    "DEFAULT_CERTIFICATE",
                    "warning",
                    f"TLS for {sni}: {note}; nginx serves the {served}, so browsers show a certificate warning "
                    "(routing is unaffected: the Host header picks the server).",
                    "Add a spec.tls entry listing this host with a secretName whose certificate covers it (for "
                    "example via cert-manager), or set --default-ssl-certificate.",
                    "ingress-nginx#2.6",
                    [tls.ingress.ref()] if tls is not None and tls.ingress is not None else [],
                )
            )
        else:
            served = f"Secret {tls.ingress.namespace}/{tls.secret_name}" if tls.ingress else str(tls.secret_name)
            note = tls.note
        self.details["tls"] = {"sni": sni, "certificate": served, "note": note}
        self.rules.append("ingress-nginx#2.6")

    # -- P3/P4 helpers -----------------------------------------------------------------------------

    def _dropped_for_host(self) -> None:
        by_host = self.t.selection.dropped_by_host
        if not by_host:
            return  # the usual case: no Ingress was ignored
        host = self.host
        dropped = list(by_host.get(host, []))
        server = self.s.server
        if server is not None and server.is_catch_all:
            dropped += self.t.selection.dropped_by_host.get("", [])
        for d in dropped[:4]:
            self.near.append(f"{d.label} ignored: {d.reason}")
            self.trace.add_diagnosis(mis.dropped_ingress(d))
            self.rules.append(d.rule)

    def _blocked_agent(self) -> str | None:
        if not self.config.block_user_agents and not self.config.block_referers:
            return None
        for header, entries in (("user-agent", self.config.block_user_agents), ("referer", self.config.block_referers)):
            value = self.hdrs.get(header)
            if value is None or not entries:
                continue
            for entry in entries:
                if entry.startswith("~*"):
                    hit = search(entry[2:], value, ignore_case=True)
                elif entry.startswith("~"):
                    hit = search(entry[1:], value)
                else:
                    hit = entry == value
                if hit and not isinstance(hit, RegexProblem):
                    return f"{header} {value!r} matches block-{header}s entry {entry!r} in the controller ConfigMap"
        return None

    def _describe_location(self, server: Server, loc: Location) -> LocationFacts:
        facts = self.t.location_facts(server, loc)
        how = self.s.server_how
        via = f" (wildcard for {self.host})" if how == "wildcard" else " (server-alias)" if how == "alias" else ""
        self.hop.decision = f"server {facts.name}{via}, {facts.directive}{facts.mode_suffix}"
        self.details["location"] = facts.directive
        if facts.location_note is not None:
            self.details["location_note"] = facts.location_note
        self.rules.extend(facts.rules)
        trace = self.trace
        for diag in facts.diagnoses_before:
            trace.add_diagnosis(diag)
        if server.regex_mode:
            diag = mis.regex_order_by_length(server, loc, self.s.uri)
            if diag is not None:
                trace.add_diagnosis(diag)
        for diag in facts.diagnoses_after:
            trace.add_diagnosis(diag)
        if facts.ingress_ref is not None:
            self.hop.objects.insert(0, dict(facts.ingress_ref))
            if facts.class_ref is not None:
                self.hop.objects.append(dict(facts.class_ref))
            if facts.annotations is not None:
                self.details["annotations"] = dict(facts.annotations)
            if facts.route is not None:
                self.trace.route = dict(facts.route)
        return facts

    def _regex_problem(self, problem: RegexProblem) -> None:
        self.trace.add_diagnosis(
            Diagnosis(
                problem.code,
                "error",
                problem.message
                + ("; nginx would refuse the configuration and keep the previous one" if problem.code == "REGEX_INVALID"
                   else ""),
                "Simplify the regex: avoid nested quantifiers such as (a+)+ and make alternatives exclusive.",
                "ingress-nginx#3.4",
                [],
            )
        )

    # -- P7 ------------------------------------------------------------------------------------------

    def _choose_backend(self, loc: Location, ann: IngressAnnotations) -> int | None:
        """Canary choice and endpoints (balancer.lua rewrite); returns a status when the request ends here."""
        if loc.backend is None:
            default = self.t.backends.default
            if default is not None and self.t.backends.ready(default):
                self.s.backend = _Backend(default, self.t.backends.pick(default, None, self.key))
                self.trace.backend = self._backend_field(default, self.s.backend.pick.resolution)
                self.details["upstream"] = "upstream-default-backend"
                self.s.cause = f"no rule matched, so the custom default backend {default} (--default-backend-service) answers"
            else:
                self.s.cause = self._default_cause(loc)
            return None
        primary = loc.backend
        pick = self.t.backends.pick(primary, ann, self.key)
        upstream_name = self.details["upstream"] = primary.upstream_name
        self.trace.backend = self._backend_field(primary, pick.resolution)
        if pick.endpoint is None and pick.via != "cluster-ip":
            # #7.3 step 1 / #6.4: no balancer for the upstream -> 503, canary rules are not consulted.
            fallback = self.t.backends.annotation_default(ann) if ann.default_backend else None
            if fallback is not None and self.t.backends.ready(fallback):
                self.s.backend = _Backend(fallback, self.t.backends.pick(fallback, None, self.key))
                self.s.extra_upstream_headers = self._error_headers(503, primary, loc)
                self.details["default_backend"] = (
                    f"{primary} has no ready endpoints; the default-backend annotation's Service {fallback} gets the "
                    "request with X-Code: 503"
                )
                self.rules.append("ingress-nginx#6.7")
                self.trace.backend = self._backend_field(fallback, self.t.backends.resolve(fallback))
                return None
            res = pick.resolution
            for diag in res.diagnoses:
                self.trace.add_diagnosis(diag)
            why = pick.reason or self._unavailable_reason(res)
            self.s.cause = f"location matched but {why}"
            self.s.backend = _Backend(primary, pick)
            self.rules.append("ingress-nginx#6.4")
            return self._respond(503, f"upstream {primary.upstream_name}: {why}", "ingress-nginx#6.4")
        self.s.backend = _Backend(primary, pick)
        alt = self.t.alternatives.get(upstream_name)
        if alt is not None:
            canary_pick = self.t.backends.pick(alt.backend, ann, self.key)
            canary_ready = canary_pick.endpoint is not None or canary_pick.via == "cluster-ip"
            headers = self.hdrs
            decision = decide(alt, headers, self.req.cookies(), canary_ready=canary_ready, seed=self.t.seed,
                              key=self.key, primary=primary)
            self.details["canary"] = {"ingress": f"{alt.ingress.namespace}/{alt.ingress.name}",
                                      "backend": str(alt.backend), "chosen": decision.use_canary,
                                      "reason": decision.reason}
            self.trace.split = decision.split
            self.rules.append("ingress-nginx#7.3")
            self.hop.objects.append(alt.ingress.ref())
            if decision.problem is not None:
                self._regex_problem(decision.problem)
            if decision.use_canary:
                self.s.backend = _Backend(alt.backend, canary_pick, canary=True)
                self.details["upstream"] = alt.backend.upstream_name
                self.trace.backend = self._backend_field(alt.backend, canary_pick.resolution)
        return None

    def _default_cause(self, loc: Location) -> str:
        server = self.s.server
        assert server is not None
        if server.is_catch_all:
            if self.t.selection.dropped_by_host.get(self.host):
                return f"the Ingress for {self.host} is ignored by this controller, so the catch-all answers"
            return f"no server matches Host {self.host} and no hostless rule matches {self.s.uri}"
        return f"Host {server.hostname} matched but no path there matches {self.s.uri}"

    def _unavailable_reason(self, res: BackendResolution) -> str:
        if res.service is None:
            return f"Service {res.namespace}/{res.service_name} does not exist"
        if res.service_port is None and res.kind != "external-name":
            return f"Service {res.namespace}/{res.service_name} has no port matching {res.requested_port!r}"
        return f"Service {res.namespace}/{res.service_name} has no ready endpoints"

    @staticmethod
    def _backend_field(ref: BackendRef, res: BackendResolution) -> dict[str, Any]:
        port = res.port_number if res.port_number is not None else (ref.port if isinstance(ref.port, int) else None)
        return {"namespace": ref.namespace, "service": ref.service, "port": port}

    def _error_headers(self, code: int, ref: BackendRef | None, loc: Location | None) -> dict[str, str]:
        ing = loc.ingress if loc is not None else None
        return {
            "X-Code": str(code),
            "X-Format": self.hdrs.get("accept", ""),
            "X-Original-URI": self.req.request_uri,
            "X-Namespace": ing.namespace if ing else "",
            "X-Ingress-Name": ing.name if ing else "",
            "X-Service-Name": ref.service if ref else "",
            "X-Service-Port": str(ref.port) if ref else "",
            "X-Request-ID": self._request_id(),
        }

    def _request_id(self) -> str:
        return self.hdrs.get("x-request-id") or hashlib.sha256(self.key.encode()).hexdigest()[:32]

    # -- P9 ------------------------------------------------------------------------------------------

    def _auth_hop(self, ann: IngressAnnotations, outcome: policies.PolicyOutcome) -> Hop:
        url = ann.auth_url or self.config.global_auth_url
        return Hop(
            "auth",
            url or "external auth",
            outcome.summary,
            outcome="respond" if outcome.status is not None else "forward",
            status=outcome.status if outcome.status is not None else 200,
            objects=[ann.ingress.ref()] if ann.ingress is not None and ann is not self.t.blank else [],
            decision=f"auth subrequest {ann.auth_method or 'GET'} {url}",
            rules=list(outcome.rules) or ["ingress-nginx#9.3"],
            confidence="assumed",
        )

    # -- P10 -----------------------------------------------------------------------------------------

    def _proxy(self, loc: Location, ann: IngressAnnotations) -> int:
        backend = self.s.backend
        timeouts = policies.timeouts(ann, self.config)
        self.details["timeouts"] = timeouts
        self.rules.append("ingress-nginx#8.1")
        if self.hdrs.get("upgrade", "").lower() == "websocket":
            read = int(timeouts.get("read", timeouts.get("proxy_read_timeout", self.config.proxy_read_timeout)))
            self.details["websocket"] = (
                f"Upgrade passed through (proxy_http_version 1.1); the tunnel closes after {read}s without backend "
                f"data (proxy-read-timeout) and on reloads after worker-shutdown-timeout "
                f"({self.config.worker_shutdown_timeout}s)"
            )
            self.rules.append("ingress-nginx#8.2")
            diag = mis.websocket_idle_timeout(self.req, read, loc.ingress)
            if diag is not None:
                self.trace.add_diagnosis(diag)
        if backend is None:
            # The built-in default server (127.0.0.1:8181) answers 404 (#6.7).
            self.details["upstream"] = "upstream-default-backend"
            self.details["default_backend"] = f"built-in default server {INTERNAL_DEFAULT}"
            self._hostless_check(loc)
            return self._respond(404, f"{self.s.cause}; the default backend answers 404", "ingress-nginx#6.7")
        pick = backend.pick
        res = pick.resolution
        host_header = self.req.host_header
        headers = policies.upstream_headers(ann, self.config, self.req, scheme=self.scheme, host_header=host_header,
                                            rewritten=self.s.rewritten, request_id=self._request_id())
        headers.update(self.s.extra_upstream_headers)
        upstream_host = headers.get("Host")  # upstream_headers always sets "Host" first
        if upstream_host is None:
            upstream_host = next((v for k, v in headers.items() if k.lower() == "host"), host_header)
        self.trace.upstream = {
            "host": upstream_host,
            "path": self.s.upstream_path or self.req.request_uri,
            "headers": headers,
        }
        hdrs = self.hdrs
        if hdrs:
            added = {k: v for k, v in headers.items() if hdrs.get(k.lower()) != v}
        else:
            added = dict(headers)  # the client sent no headers: every upstream header is new
        if added:
            self.changes["headers_added"] = added
        if self.req.headers:
            sent = {h.lower() for h in headers}
            removed = [k for k, _ in self.req.headers if k.lower() not in sent]
            if removed:
                self.changes["headers_removed"] = removed
        if pick.endpoint is None:
            # service-upstream: the ClusterIP always "exists", kube-proxy refuses (#6.6).
            self.s.generated = True
            self.s.cause = f"service-upstream sends to the ClusterIP of {backend.ref}, which has no ready endpoints"
            return self._respond(502, self.s.cause + "; kube-proxy refuses the connection", "ingress-nginx#6.6",
                                 outcome="refused")
        self.s.generated = False
        protocol = self._protocol_outcome(ann, res.service_port, pick.endpoint)
        if protocol is not None and protocol.status is not None:
            if protocol.status == 400:
                port_desc = describe_port(res.service_port) if res.service_port else str(backend.ref.port)
                self.trace.add_diagnosis(mis.plain_http_to_https_port(loc.ingress, port_desc))
            return self._outcome(protocol, generated=False)
        cookie = None
        if ann.affinity is not None:  # affinity_set_cookie would return None at once
            cookie = policies.affinity_set_cookie(ann, loc.ingress_path, self.req, self.scheme,
                                                  upstream_name=backend.ref.upstream_name)
        if cookie:
            self.headers["set-cookie"] = cookie
            self.rules.append("ingress-nginx#12.2")
        self.trace.pod = {
            "namespace": res.namespace,
            "name": pick.endpoint.pod_name,
            "ip": pick.endpoint.ip or None,
            "port": pick.endpoint.port,
        }
        summary = f"proxied to {pick.endpoint.address} ({backend.ref}{', canary' if backend.canary else ''})"
        if backend.pick.via == "cluster-ip":
            summary = f"proxied to the ClusterIP of {backend.ref} (service-upstream)"
        return self._respond(200, summary, "ingress-nginx#8.5", outcome="forward", generated=False)

    def _protocol_outcome(self, ann: IngressAnnotations, service_port: dict | None,
                          endpoint: Endpoint) -> policies.PolicyOutcome | None:
        """policies.backend_protocol_outcome; the common "no mismatch" answer is memoised per (annotations,
        Service port, container port), any other outcome is built afresh for every request."""
        container = self._container_port(endpoint)
        memo = self.t.memo
        key = ("protocol-ok", id(ann), id(service_port), id(container))
        if key in memo:
            return None
        outcome = policies.backend_protocol_outcome(ann, service_port, container)
        if outcome is None:
            memo[key] = (ann, service_port, container)  # keeps the id()s valid
        return outcome

    def _container_port(self, endpoint: Endpoint) -> dict | None:
        if not endpoint.pod_name:
            return None
        ns = self.s.backend.ref.namespace if self.s.backend else None
        key = ("container-port", ns, endpoint.pod_name, endpoint.port)
        memo = self.t.memo
        if key in memo:
            return memo[key]
        found = None
        pod = self.t.snapshot.get("Pod", ns, endpoint.pod_name)
        if pod is not None:
            found = next(
                (
                    port
                    for container in pod.spec.get("containers") or []
                    for port in (container or {}).get("ports") or []
                    if isinstance(port, dict) and port.get("containerPort") == endpoint.port
                ),
                None,
            )
        memo[key] = found
        return found

    def _hostless_check(self, loc: Location) -> None:
        server = self.s.server
        if server is None or server.is_catch_all:
            return
        catch_all = self.t.servers.catch_all
        other = match_location(catch_all, self.s.uri).location
        if other is not None and other.ingress is not None and not other.root_default:
            self.near.append(f"hostless rule {other.ingress_path} of Ingress {other.ingress.namespace}/"
                             f"{other.ingress.name} would match, but Host {server.hostname} has its own server")
            self.trace.add_diagnosis(mis.hostless_not_fallback(server, other, self.s.uri))

    # -- responses -----------------------------------------------------------------------------------

    def _redirect(self, redirect: Redirect) -> int:
        self.headers["location"] = redirect.location
        return self._respond(redirect.status, redirect.reason + f" -> {redirect.location}", redirect.rule,
                             outcome="redirect")

    def _outcome(self, outcome: policies.PolicyOutcome, *, generated: bool = True) -> int:
        for k, v in outcome.headers.items():
            self.headers[k.lower()] = v
        for diag in outcome.diagnoses:
            self.trace.add_diagnosis(diag)
        rule = outcome.rules[0] if outcome.rules else "ingress-nginx#0"
        for r in outcome.rules[1:]:
            if r not in self.rules:
                self.rules.append(r)
        status = outcome.status or 200
        kind = "redirect" if 300 <= status < 400 else "respond"
        return self._respond(status, outcome.summary, rule, outcome=kind, generated=generated)

    def _respond(self, status: int, summary: str, rule: str, *, outcome: str = "respond",
                 generated: bool = True) -> int:
        self.hop.summary = summary
        self.hop.outcome = outcome
        self.s.generated = generated
        if rule not in self.rules:
            self.rules.append(rule)
        return status

    def _finish(self, status: int) -> RequestTrace:
        t, s = self.t, self.s
        ann = s.ann
        # P11: custom-http-errors replace the response with the error backend's (#6.7).
        if status >= 400 and s.loc is not None and t.backends.intercepts(status, ann, generated=s.generated):
            error_ref = t.backends.error_backend(ann)
            original = status
            if error_ref is not None:
                status = 200
                where = f"{error_ref} (its own status; 200 without an app profile)"
            else:
                status = 404
                where = f"the built-in default backend {INTERNAL_DEFAULT}, which answers 404"
            self.details["custom_http_errors"] = (
                f"{original} is in custom-http-errors: re-served by {where} with X-Code: {original}"
            )
            self.hop.summary += f"; custom-http-errors: {original} replaced by {status}"
            self.rules.append("ingress-nginx#6.7")
            self.trace.upstream = None if error_ref is None else {
                "host": self.req.host_header, "path": "/",
                "headers": self._error_headers(original, s.backend.ref if s.backend else None, s.loc),
            }
        if s.loc is not None and ann is not None and ann.enable_cors and status < 500:  # no CORS headers when off
            cors = policies.cors_response_headers(ann, self.req)
            for k, v in cors.items():
                self.headers.setdefault(k.lower(), v)
        if self.req.scheme == "https" and self.config.hsts:
            value = f"max-age={self.config.hsts_max_age}"
            if self.config.hsts_include_subdomains:
                value += "; includeSubDomains"
            if self.config.hsts_preload:
                value += "; preload"
            self.headers["strict-transport-security"] = value
            self.rules.append("ingress-nginx#8.8")
        if status in (404, 503) and s.cause:
            refs = [self.hop.objects[0]] if self.hop.objects else []
            diag = mis.not_found_vs_unavailable(status, s.cause, refs)
            if diag is not None:
                self.trace.add_diagnosis(diag)
        trace = self.trace
        trace.status = status
        trace.response_headers = {**self.headers}
        hop = self.hop
        hop.status = status
        if not hop.decision and s.server is not None:
            name = "_ (catch-all)" if s.server.is_catch_all else s.server.hostname
            hop.decision = f"server {name}"
        near = self.near
        hop.near_misses = [*dict.fromkeys(near)][:MAX_NEAR_MISSES] if near else []
        hop.changes = self.changes
        hop.details = self.details
        hop.rules = [*dict.fromkeys(self.rules)]
        hops = [hop, *self.auth_hops] if self.auth_hops else [hop]
        backend = s.backend
        outcome = hop.outcome
        if backend is not None and s.loc is not None and (
            outcome == "forward" or outcome == "refused" or status == 503 or not s.generated
        ):
            pick = backend.pick
            picked = pick.endpoint if outcome != "refused" else None
            hops += backend_hops(pick.resolution, picked, via=pick.via, status=status)
        trace.hops = hops
        return trace
