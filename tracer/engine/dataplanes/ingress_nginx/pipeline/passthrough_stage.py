"""ssl-passthrough (ingress-nginx#2.8): TLS connections routed by SNI before nginx sees any HTTP.

With ``--enable-ssl-passthrough`` the controller's own TCP proxy owns the HTTPS port. A connection
whose SNI names a passthrough host is piped, still encrypted, to the ClusterIP of the Service behind
the host's ``/`` path; every other connection goes on to nginx. The pod terminates TLS, so it gets
the request exactly as the client sent it and no HTTP-level setting of the host applies.
"""

from __future__ import annotations

from ....request import combined_headers
from ....result import Diagnosis, RequestTrace
from ....services import backend_hops, pick_ordered
from ..model import Location, Server
from .state import RouteState, backend_field


def passthrough_server(s: RouteState) -> Server | None:
    """The passthrough server an HTTPS connection's SNI selects (exact name), or None for nginx."""
    sni = s.req.tls_server_name
    if not sni:
        return None  # no SNI: the TCP proxy hands the connection to nginx
    memo = s.ctx.memo
    hosts: dict[str, Server] | None = memo.get("passthrough-hosts")
    if hosts is None:
        hosts = {srv.hostname: srv for srv in s.ctx.servers.servers() if srv.passthrough is not None}
        memo["passthrough-hosts"] = hosts
    return hosts.get(sni.rstrip(".").lower()) if hosts else None


def _root(server: Server) -> Location | None:
    return next((loc for loc in server.locations if loc.path == "/" and loc.path_type == "Prefix"), None)


def passthrough_trace(s: RouteState, server: Server) -> RequestTrace | None:
    """The whole trace of a passthrough connection; None when the controller would not pass it through."""
    loc = _root(server)
    if loc is None or loc.backend is None:
        s.details["ssl_passthrough"] = (f"host {server.hostname} asks for ssl-passthrough but its / path has no "
                                        "Service, so the controller ignores passthrough for it")
        return None
    ref = loc.backend
    res = s.ctx.backends.resolve(ref)
    if res.service is None:
        s.details["ssl_passthrough"] = (f"Service {ref.namespace}/{ref.service} of the passthrough host is not in the "
                                        "snapshot, so the TCP proxy has no entry for it and nginx handles the request")
        return None
    req, trace, hop = s.req, s.trace, s.hop
    ing = server.passthrough
    assert ing is not None
    cluster_ip = str(res.service.spec.get("clusterIP") or "(unknown)")
    port = res.port_number if res.port_number is not None else ref.port
    endpoint = pick_ordered(res.ready_in_order(), s.ctx.seed, s.key)
    hop.objects.append(ing.ref())
    hop.decision = f"ssl-passthrough for SNI {req.tls_server_name}"
    hop.details = {
        "ssl_passthrough": {
            "ingress": f"{ing.namespace}/{ing.name}",
            "sni": req.tls_server_name,
            "target": f"{cluster_ip}:{port} (ClusterIP of {ref})",
            "note": "TLS is not terminated here: the encrypted stream is piped to the Service and the pod "
                    "terminates TLS; other paths and every HTTP annotation of the host are ignored",
        }
    }
    hop.rules = ["ingress-nginx#2.8"]
    trace.backend = backend_field(ref, res)
    # What the pod receives is the client's request itself (the controller never decrypts it).
    trace.upstream = {"host": req.host_header, "path": req.request_uri, "headers": combined_headers(req.headers)}
    if endpoint is None:
        status, hop.outcome = 502, "refused"
        hop.summary = (f"TLS passed through to the ClusterIP {cluster_ip}:{port} of {ref}, which has no ready "
                       "endpoints: the connection is refused (the client sees no HTTP answer)")
        trace.add_diagnosis(Diagnosis(
            "SSL_PASSTHROUGH_NO_ENDPOINTS", "error", hop.summary,
            f"Make the pods behind {ref} ready.", "ingress-nginx#2.8", [ing.ref()]))
    else:
        status, hop.outcome = 200, "forward"
        hop.summary = (f"TLS passed through (SNI {req.tls_server_name}) to the ClusterIP {cluster_ip}:{port} of {ref}; "
                       "the pod terminates TLS and answers")
        trace.pod = {"namespace": res.namespace, "name": endpoint.pod_name, "ip": endpoint.ip or None,
                     "port": endpoint.port}
    hop.status = trace.status = status
    trace.response_headers = {}
    trace.hops = [hop, *backend_hops(res, endpoint, via="cluster-ip", status=status)]
    return trace


def passthrough_ignored(s: RouteState, server: Server) -> None:
    """The annotation without --enable-ssl-passthrough: nginx terminates TLS as for any host (#2.8)."""
    ing = server.passthrough
    assert ing is not None
    s.rules.append("ingress-nginx#2.8")
    s.trace.add_diagnosis(Diagnosis(
        "SSL_PASSTHROUGH_DISABLED", "warning",
        f"Ingress {ing.namespace}/{ing.name} sets ssl-passthrough for {server.hostname}, but the controller runs "
        "without --enable-ssl-passthrough: the annotation is ignored and nginx terminates TLS.",
        "Add --enable-ssl-passthrough to the controller's arguments, or drop the annotation.",
        "ingress-nginx#2.8", [ing.ref()]))
