"""P10: proxying to the pod (ingress-nginx#8, #6.6, #6.7, #10.3, #12.2).

Timeouts and WebSocket notes, the headers the pod receives (with the snippets' request headers,
ingress-nginx#11.6), the built-in default server's 404, the service-upstream ClusterIP, what the pod
answers to a protocol mismatch, and the affinity cookie.
"""

from __future__ import annotations

from ....services import Endpoint, describe_port
from ..annotations import IngressAnnotations
from ..backends import INTERNAL_DEFAULT
from ..locations import match_location
from ..misunderstandings import hostless_not_fallback, plain_http_to_https_port, websocket_idle_timeout
from ..model import Location
from ..policies import PolicyOutcome, affinity_set_cookie, backend_protocol_outcome, timeouts, upstream_headers
from .app_stage import app_answer
from .snippet_stage import upstream_headers as snippet_upstream_headers
from .state import RouteState


def proxy(s: RouteState, loc: Location, ann: IngressAnnotations) -> int:
    """P10 always answers: the pod's status, or the error nginx produces on the way."""
    backend = s.backend
    config = s.config
    limits = timeouts(ann, config)
    s.details["timeouts"] = limits
    s.rules.append("ingress-nginx#8.1")
    if s.hdrs.get("upgrade", "").lower() == "websocket":
        read = limits["read"]
        s.details["websocket"] = (
            f"Upgrade passed through (proxy_http_version 1.1); the tunnel closes after {read}s without backend "
            f"data (proxy-read-timeout) and on reloads after worker-shutdown-timeout "
            f"({config.worker_shutdown_timeout}s)"
        )
        s.rules.append("ingress-nginx#8.2")
        # Only a socket that can open is cut later: not one the default backend answers (response_stage drops
        # it too when the upgrade is refused).
        diag = websocket_idle_timeout(s.req, read, loc.ingress) if backend is not None and loc.ingress else None
        if diag is not None:
            s.trace.add_diagnosis(diag)
    if backend is None:
        # The built-in default server (127.0.0.1:8181) answers 404 (#6.7).
        s.details["upstream"] = "upstream-default-backend"
        s.details["default_backend"] = f"built-in default server {INTERNAL_DEFAULT}"
        _hostless_check(s)
        return s.respond(404, f"{s.cause}; the default backend answers 404", "ingress-nginx#6.7")
    pick = backend.pick
    res = pick.resolution
    _record_upstream_request(s, ann)
    if pick.endpoint is None:
        # service-upstream: the ClusterIP always "exists", kube-proxy refuses (#6.6).
        s.generated = True
        s.cause = f"service-upstream sends to the ClusterIP of {backend.ref}, which has no ready endpoints"
        return s.respond(502, s.cause + "; kube-proxy refuses the connection", "ingress-nginx#6.6", outcome="refused")
    s.generated = False
    protocol = _protocol_outcome(s, ann, res.service_port, pick.endpoint)
    if protocol is not None and protocol.status is not None:
        if protocol.status == 400:
            port_desc = describe_port(res.service_port) if res.service_port else str(backend.ref.port)
            s.trace.add_diagnosis(plain_http_to_https_port(loc.ingress, port_desc))
        return s.respond_with(protocol, generated=False)
    cookie = None
    if ann.affinity is not None:  # affinity_set_cookie would return None at once
        cookie = affinity_set_cookie(ann, loc.ingress_path, s.req, s.scheme, upstream_name=backend.ref.upstream_name)
    if cookie:
        s.headers["set-cookie"] = cookie
        s.rules.append("ingress-nginx#12.2")
    s.trace.pod = {
        "namespace": res.namespace,
        "name": pick.endpoint.pod_name,
        "ip": pick.endpoint.ip or None,
        "port": pick.endpoint.port,
    }
    profiles = s.ctx.profiles
    if profiles is not None:
        status = app_answer(s, profiles, ann, pick.endpoint)
        if status is not None:
            return status
    summary = f"proxied to {pick.endpoint.address} ({backend.ref}{', canary' if backend.canary else ''})"
    if pick.via == "cluster-ip":
        summary = f"proxied to the ClusterIP of {backend.ref} (service-upstream)"
    if s.hdrs.get("upgrade", "").lower() == "websocket":
        # No profile says what the app answers: nginx passed the Upgrade on (#8.2), so the app is assumed to accept
        # the handshake with 101 Switching Protocols (RFC 6455 section 4.2.2), as a WebSocket endpoint does.
        return s.respond(101, summary + "; the WebSocket upgrade is assumed accepted", "ingress-nginx#8.5",
                         outcome="forward", generated=False)
    return s.respond(200, summary, "ingress-nginx#8.5", outcome="forward", generated=False)


def _record_upstream_request(s: RouteState, ann: IngressAnnotations) -> None:
    """The request the pod receives (trace.upstream) and the header changes on the controller hop."""
    req = s.req
    host_header = req.host_header
    headers = upstream_headers(ann, s.config, req, scheme=s.scheme, host_header=host_header,
                               rewritten=s.rewritten, request_id=s.request_id())
    headers.update(s.extra_upstream_headers)
    snippet_upstream_headers(s, headers)
    upstream_host = headers.get("Host")  # upstream_headers always sets "Host" first
    if upstream_host is None:
        upstream_host = next((v for k, v in headers.items() if k.lower() == "host"), host_header)
    s.trace.upstream = {
        "host": upstream_host,
        "path": s.upstream_path or req.request_uri,
        "headers": headers,
    }
    hdrs = s.hdrs
    if hdrs:
        added = {k: v for k, v in headers.items() if hdrs.get(k.lower()) != v}
    else:
        added = dict(headers)  # the client sent no headers: every upstream header is new
    if added:
        s.changes["headers_added"] = added
    if req.headers:
        sent = {h.lower() for h in headers}
        removed = [k for k, _ in req.headers if k.lower() not in sent]
        if removed:
            s.changes["headers_removed"] = removed


def _protocol_outcome(
    s: RouteState, ann: IngressAnnotations, service_port: dict | None, endpoint: Endpoint
) -> PolicyOutcome | None:
    """policies.backend_protocol_outcome; the common "no mismatch" answer is memoised per (annotations,
    Service port, container port), any other outcome is built afresh for every request."""
    container = _container_port(s, endpoint)
    memo = s.ctx.memo
    key = ("protocol-ok", id(ann), id(service_port), id(container))
    if key in memo:
        return None
    outcome = backend_protocol_outcome(ann, service_port, container)
    if outcome is None:
        memo[key] = (ann, service_port, container)  # keeps the id()s valid
    return outcome


def _container_port(s: RouteState, endpoint: Endpoint) -> dict | None:
    if not endpoint.pod_name:
        return None
    ns = s.backend.ref.namespace if s.backend else None
    key = ("container-port", ns, endpoint.pod_name, endpoint.port)
    memo = s.ctx.memo
    if key in memo:
        found: dict | None = memo[key]
        return found
    found = None
    pod = s.ctx.snapshot.get("Pod", ns, endpoint.pod_name)
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


def _hostless_check(s: RouteState) -> None:
    """#14.9: a host with its own server does not fall back to the hostless rules."""
    server = s.server
    if server is None or server.is_catch_all:
        return
    other = match_location(s.ctx.servers.catch_all, s.uri).location
    if other is not None and other.ingress is not None and not other.root_default:
        s.near.append(f"hostless rule {other.ingress_path} of Ingress {other.ingress.namespace}/"
                      f"{other.ingress.name} would match, but Host {server.hostname} has its own server")
        s.trace.add_diagnosis(hostless_not_fallback(server, other, s.uri))
