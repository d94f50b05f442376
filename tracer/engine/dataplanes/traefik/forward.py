"""Forwarding to a backend, shared by Traefik 1.7 and v2/v3: the upstream request, the app's answer from its
AppProfile, and the status Traefik turns a failed connection into (traefik#T31, #T33).

Traefik's proxy answers 502 for a refused connection and 504 for a timeout; any other error, among them a backend
certificate it does not trust and a TLS handshake with a plain-HTTP port, is a 500 (traefik#T30, #T31). A backend
reached over HTTPS has its certificate verified unless insecureSkipVerify is set: tracer cannot see the pod's
certificate, so an app profile with ``tls: true`` is taken to present one no default trust store holds (the
self-signed certificate in-cluster HTTPS apps generate, such as the Kubernetes Dashboard's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...context import EngineContext
from ...options import Options
from ...profiles import Answer, merge_headers, profile_pod_hop
from ...request import Request, combined_headers
from ...result import Diagnosis, Hop, RequestTrace
from ...services import BackendResolution, Endpoint, backend_hops, pick_endpoint
from ...services.hops import split_app_assumption


@dataclass(slots=True)
class Outgoing:
    """What Traefik sends upstream and how."""

    scheme: str  # http | https | h2c
    scheme_why: str
    skip_verify: bool
    trust: str  # where the certificate check is decided, said in words
    root_cas: bool = False
    pass_host: bool = True
    uri: str = "/"
    set_headers: dict[str, str] = field(default_factory=dict)  # added by middlewares / annotations ("" removes)
    response_headers: dict[str, str] = field(default_factory=dict)
    native_lb: bool = False  # through the Service's ClusterIP (kube-proxy) instead of a pod address
    entry_port: int | None = None


def upstream_headers(request: Request, out: Outgoing, address: str) -> dict[str, str]:
    """The request headers the backend receives: the client's, Host by passHostHeader, the X-Forwarded-* set
    (traefik#T33), then what middlewares set."""
    headers = {k: v for k, v in combined_headers(request.headers).items() if k.lower() != "host"}
    forwarded_for = request.header("x-forwarded-for")
    upgrade = (request.header("upgrade") or "").lower() == "websocket"
    proto = ("wss" if upgrade else "https") if request.scheme in ("https", "wss") else ("ws" if upgrade else "http")
    headers.update({
        "X-Forwarded-For": f"{forwarded_for}, {request.client_ip}" if forwarded_for else request.client_ip,
        "X-Forwarded-Host": request.host_header,
        "X-Forwarded-Port": str(out.entry_port or request.port),
        "X-Forwarded-Proto": proto,
        "X-Real-Ip": request.client_ip,
    })
    for name, value in out.set_headers.items():
        for existing in [k for k in headers if k.lower() == name.lower()]:
            del headers[existing]
        if value != "":
            headers[name] = value
    return {"Host": request.host_header if out.pass_host else address, **headers}


def forward(trace: RequestTrace, request: Request, res: BackendResolution, out: Outgoing, hop: Hop, rules: list[str],
            context: EngineContext, options: Options, *, label: str) -> None:
    """Send the request to a ready server of ``res``; ``hop`` is the controller hop (appended by the caller)."""
    picked = pick_endpoint(res.endpoints, options.seed, f"{request.client_ip}|{request.server_name}{request.path}")
    assert picked is not None
    address = _address(res, picked, out)
    headers = upstream_headers(request, out, address)
    trace.backend = {"namespace": res.namespace, "service": res.service_name, "port": res.port_number}
    trace.upstream = {"host": headers["Host"], "path": out.uri, "headers": headers}
    if res.kind != "external-name":
        trace.pod = {"namespace": res.namespace, "name": picked.pod_name, "ip": picked.ip or None, "port": picked.port}
    for d in res.diagnoses:
        trace.add_diagnosis(d)
    hop.details["upstream"] = f"{out.scheme}://{address}{out.uri}"
    hop.details["scheme"] = out.scheme_why
    rules.append("traefik#T33")
    # Without a profile the app is assumed to answer: 101 to a WebSocket handshake (Traefik passes it on), else 200.
    upgrade = (request.header("upgrade") or "").lower() == "websocket"
    status, note, answer = (101 if upgrade else 200), "", None
    profiles = context.profiles
    if profiles is not None:
        answer = profiles.answer_for(res, picked, request.method, out.uri, headers, upstream_tls=out.scheme == "https")
    if answer is not None:
        hop.details["app_profile"] = f"{answer.profile.namespace}/{answer.profile.name}"
        status, note = _answered(trace, answer, out, rules, label)
    elif out.scheme == "https" and not out.skip_verify:
        trace.add_diagnosis(_cert_diagnosis(trace, out, label, known=False))
        rules.append("traefik#T30")
    trace.status = status
    hop.status = status
    hop.summary += f"; {out.scheme.upper()} to {address}" + (f": {note}" if note else "")
    hops = backend_hops(res, picked, via="cluster-ip" if out.native_lb else "direct", status=status)
    if status == 500 and answer is not None and not answer.refused and hops and hops[-1].component == "service":
        _tls_refused_pod_hop(hops[-1], hops[-1].summary, out)  # an ExternalName Service: no pod hop to carry it
    if answer is not None and hops and hops[-1].component == "pod":
        base = split_app_assumption(hops[-1].summary)[0]
        profile_pod_hop(hops[-1], answer)
        if status == 500 and not answer.refused:
            _tls_refused_pod_hop(hops[-1], base, out)
    merge_headers(trace.response_headers, list(out.response_headers.items()))
    for name, value in out.response_headers.items():
        if value == "":
            trace.response_headers.pop(name.lower(), None)
    trace.hops.append(hop)
    trace.hops.extend(hops)


def _address(res: BackendResolution, picked: Endpoint, out: Outgoing) -> str:
    if res.kind == "external-name":
        port = picked.port
        default = port == (443 if out.scheme == "https" else 80)
        return f"{picked.ip}{'' if default or port is None else f':{port}'}"
    if out.native_lb and res.service is not None:
        return f"{res.service.spec.get('clusterIP') or res.service_name}:{res.port_number}"
    shown = picked.port if picked.port is not None else "?"
    return picked.address if picked.ip else f"<a pod of {res.namespace}/{res.service_name}>:{shown}"


def _answered(trace: RequestTrace, answer: Answer, out: Outgoing, rules: list[str], label: str) -> tuple[int, str]:
    if answer.refused:
        if out.scheme == "https" and not answer.profile.tls:
            rules.append("traefik#T31")
            return 500, (f"the TLS handshake fails (the app speaks plain HTTP); {label} answers 500 Internal Server "
                         "Error")
        rules += ["traefik#T31", "dataplane#R25"]
        return 502, f"{answer.why}; {label} answers 502 Bad Gateway"
    if out.scheme == "https" and answer.profile.tls and not out.skip_verify and not out.root_cas:
        trace.add_diagnosis(_cert_diagnosis(trace, out, label, known=True))
        rules += ["traefik#T30", "traefik#T31"]
        return 500, f"the backend's certificate is not trusted ({out.trust}); {label} answers 500 Internal Server Error"
    merge_headers(trace.response_headers, answer.headers)
    trace.page = answer.page()
    status = answer.status or 200
    return status, f"the app answers {status}"


def _cert_diagnosis(trace: RequestTrace, out: Outgoing, label: str, *, known: bool) -> Diagnosis:
    backend = trace.backend or {}
    where = f"Service {backend.get('namespace')}/{backend.get('service')}"
    if known:
        message = (f"{label} speaks HTTPS to {where} ({out.scheme_why}) and verifies its certificate ({out.trust}); "
                   "the app's certificate is self-signed (tracer assumes so for an AppProfile with tls: true), so the "
                   f"handshake fails and {label} answers 500 Internal Server Error.")
    else:
        message = (f"{label} speaks HTTPS to {where} ({out.scheme_why}) and verifies its certificate ({out.trust}); "
                   f"if the backend's certificate is self-signed or issued by a private CA, {label} answers 500 "
                   "Internal Server Error (no app profile says which).")
    return Diagnosis(
        "TRAEFIK_BACKEND_CERT_UNTRUSTED",
        "error" if known else "warning",
        message,
        "Skip the check for this backend: a ServersTransport with insecureSkipVerify: true named by the route "
        "(v2/v3), or insecureSkipVerify = true in traefik.toml (1.7); or give Traefik the CA (rootCAs).",
        "traefik#T30",
        [],
    )


def _tls_refused_pod_hop(hop: Hop, base: str, out: Outgoing) -> None:
    """The last backend hop where the handshake fails (the pod, or an ExternalName Service)."""
    hop.outcome = "tls-error"
    hop.status = None
    hop.summary = f"{base}; the TLS handshake fails: Traefik does not trust the app's certificate ({out.trust})"
    hop.rules = list(dict.fromkeys([*hop.rules, "traefik#T30"]))


def respond_directly(trace: RequestTrace, status: int, *, content_type: str = "text/plain; charset=utf-8",
                     headers: dict[str, Any] | None = None) -> None:
    """Traefik's own answer (404 page, 503 no available server, a redirect)."""
    trace.status = status
    if content_type:
        trace.response_headers["content-type"] = content_type
    for k, v in (headers or {}).items():
        trace.response_headers[k.lower()] = v


__all__ = ["Outgoing", "forward", "respond_directly", "upstream_headers"]
