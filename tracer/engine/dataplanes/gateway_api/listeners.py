"""Which listener of a Gateway takes a request (k8s-routing#G-2, G-6..G-9): port and protocol, the most specific
hostname, and for HTTPS the TLS server name, the listener's certificate and the 421 for a Host another listener
serves."""

from __future__ import annotations

from typing import Any

from ...result import Diagnosis
from .flow import Flow
from .hostnames import best_listener_name
from .listener_status import is_programmed
from .model import GatewayInfo, Listener


def fits(lis: Listener, scheme: str) -> bool:
    """A listener that takes this scheme (G-6): HTTP for http, HTTPS terminating TLS for https."""
    return lis.serves_http and lis.protocol == ("HTTPS" if scheme == "https" else "HTTP")


def choose_listener(flow: Flow, gw: GatewayInfo) -> Listener | None:
    """The listener that takes the request (G-6..G-9), or None after ending the flow with its answer."""
    req = flow.request
    flow.cite("k8s-routing#G-6")
    on_port = [lis for lis in gw.listeners if lis.port == req.port and is_programmed(lis)]
    if not on_port:
        ports = ", ".join(str(p) for p in sorted({lis.port for lis in gw.listeners if is_programmed(lis)})) or "none"
        refused = [f"{lis.name}: {c.reason}" for lis in gw.listeners if lis.port == req.port for c in lis.problems
                   if not is_programmed(lis) and c.type in ("Accepted", "Conflicted")]
        flow.end(f"Gateway {gw.key} has no programmed listener on port {req.port}: nothing listens"
                 + (f" ({'; '.join(refused)})" if refused else ""), None,
                 outcome="refused", error="connection-refused", diagnosis=no_listener(
                     f"Gateway {gw.key} has no {'programmed ' if refused else ''}listener on port {req.port} "
                     f"(its ports: {ports}{'; refused: ' + '; '.join(refused) if refused else ''}); the connection "
                     "is refused.",
                     f"Add a listener for port {req.port}, or send the request to one of the Gateway's ports.",
                     "k8s-routing#G-6", [gw.obj.ref()]))
        return None
    usable = [lis for lis in on_port if fits(lis, req.scheme)]
    if not usable:
        _wrong_protocol(flow, gw, on_port)
        return None
    names = [lis.hostname for lis in usable]
    host = req.server_name
    if len(usable) > 1:
        flow.cite("k8s-routing#G-7", "k8s-routing#G-8")
    if req.scheme == "https":
        flow.cite("k8s-routing#G-9")
        sni = (req.tls_server_name or host).lower()
        by_sni = best_listener_name(names, sni)
        if by_sni is None:
            flow.end(f"no HTTPS listener on port {req.port} covers the server name {sni}: the TLS handshake fails",
                     None, outcome="tls-error", error="tls-error", diagnosis=_host_mismatch(
                         gw, f"No HTTPS listener of Gateway {gw.key} on port {req.port} covers the TLS server name "
                         f"{sni} ({_listing(usable)}), so the handshake fails.", "k8s-routing#G-9"))
            return None
        lis = usable[by_sni]
        _tls(flow, lis, sni)
        if lis.tls_problem:
            return None
        by_host = best_listener_name(names, host)
        if by_host is None:
            _no_listener_for_host(flow, gw, usable, 404)
            return None
        if usable[by_host] is not lis:
            other = usable[by_host]
            flow.features.append(("GatewayHTTPSListenerDetectMisdirectedRequests", f"Gateway {gw.key} port {req.port}"))
            flow.end(f"421 Misdirected Request: the TLS connection is for listener {lis.name} but Host {host} "
                     f"belongs to listener {other.name}", 421, diagnosis=Diagnosis(
                         "GATEWAY_MISDIRECTED_REQUEST", "error",
                         f"The TLS server name {sni} selected listener {lis.name} of Gateway {gw.key}, but the Host "
                         f"header {host} is served best by listener {other.name}; the Gateway answers 421.",
                         "Send the same name in SNI and Host (browsers do), or merge the listeners' hostnames.",
                         "k8s-routing#G-9", [gw.obj.ref()]))
            return None
    else:
        found = best_listener_name(names, host)
        if found is None:
            _no_listener_for_host(flow, gw, usable, 404)
            return None
        lis = usable[found]
    flow.listener = lis
    flow.details["listener"] = {"name": lis.name, "port": lis.port, "protocol": lis.protocol,
                                "hostname": lis.hostname or "any"}
    flow.decision.append(f"listener {lis.label} takes Host {host}")
    if lis.port == 8080:
        flow.features.append(("GatewayPort8080", f"Gateway {gw.key} listener {lis.name}"))
    return lis


def _tls(flow: Flow, lis: Listener, sni: str) -> None:
    gw = lis.gateway
    flow.cite("k8s-routing#G-2")
    flow.details["tls"] = {"sni": sni, "listener": lis.name, "terminated": "at the Gateway; plain HTTP to the backend",
                           "certificates": lis.tls_notes}
    if lis.tls_problem:
        flow.end(f"listener {lis.name} has no usable certificate: the TLS handshake fails", None,
                 outcome="tls-error", error="tls-error", diagnosis=Diagnosis(
                     "GATEWAY_TLS_CERT_INVALID", "error",
                     f"Listener {lis.name} of Gateway {gw.key} cannot terminate TLS: {lis.tls_problem}.",
                     "Point tls.certificateRefs at a kubernetes.io/tls Secret in the Gateway's namespace (or allow "
                     "the reference with a ReferenceGrant in the Secret's namespace).",
                     "k8s-routing#G-2", [gw.obj.ref()]))
        return
    missing = [n for n in lis.tls_notes if "not in the snapshot" in n]
    if lis.certificates and not any(info.covers(sni) for _, info in lis.certificates):
        names = "; ".join(f"{label}: {', '.join(info.hosts)}" for label, info in lis.certificates)
        flow.trace.add_diagnosis(Diagnosis(
            "GATEWAY_TLS_CERT_INVALID", "warning",
            f"No certificate of listener {lis.name} covers {sni} ({names}); browsers reject the connection.",
            f"Reference a Secret whose certificate names {sni}.", "k8s-routing#G-2", [gw.obj.ref()]))
    elif missing and not lis.certificates:
        flow.confidence = "inferred"
        flow.trace.add_diagnosis(Diagnosis(
            "GATEWAY_TLS_CERT_INVALID", "warning",
            f"The certificate of listener {lis.name} of Gateway {gw.key} is not in the snapshot ({missing[0]}); "
            "if the Secret does not exist, the listener cannot serve TLS.",
            "Include the Secret in the snapshot, or create it.", "k8s-routing#G-2", [gw.obj.ref()]))


def _wrong_protocol(flow: Flow, gw: GatewayInfo, on_port: list[Listener]) -> None:
    req = flow.request
    other = ", ".join(f"{lis.name} ({lis.protocol}{' passthrough' if lis.tls_mode == 'Passthrough' else ''})"
                      for lis in on_port)
    if req.scheme == "http":
        summary = f"plain HTTP sent to port {req.port}, where listener(s) {other} expect TLS: the connection is closed"
        outcome, error = "reset", "reset"
    else:
        summary = f"TLS sent to port {req.port}, where listener(s) {other} do not terminate it: the handshake fails"
        outcome, error = "tls-error", "tls-error"
    not_modelled = [lis.name for lis in on_port if lis.protocol not in ("HTTP", "HTTPS") or lis.tls_mode != "Terminate"]
    if not_modelled:
        flow.near.append(f"listener(s) {', '.join(not_modelled)} carry TLS passthrough, TCP or UDP routes, which "
                         "tracer does not simulate")
    flow.end(summary, None, outcome=outcome, error=error, diagnosis=no_listener(
        f"Gateway {gw.key} has no {req.scheme.upper()} listener on port {req.port}: {summary}.",
        f"Use {'https' if req.scheme == 'http' else 'http'} on this port, or add a listener of the right protocol.",
        "k8s-routing#G-6", [gw.obj.ref()]))


def _no_listener_for_host(flow: Flow, gw: GatewayInfo, usable: list[Listener], status: int) -> None:
    host = flow.request.server_name
    flow.end(f"no listener on port {flow.request.port} covers Host {host}: {status}", status,
             diagnosis=_host_mismatch(
                 gw, f"No listener of Gateway {gw.key} on port {flow.request.port} covers Host {host} "
                 f"({_listing(usable)}); the Gateway answers {status}.", "k8s-routing#G-8"))
    flow.cite("k8s-routing#G-7", "k8s-routing#G-8")


def _listing(listeners: list[Listener]) -> str:
    return "listeners: " + ", ".join(f"{lis.name} {lis.hostname or 'any host'}" for lis in listeners)


def no_listener(message: str, fix: str, rule: str, objects: list[dict[str, Any]]) -> Diagnosis:
    return Diagnosis("GATEWAY_NO_LISTENER", "error", message, fix, rule, objects)


def _host_mismatch(gw: GatewayInfo, message: str, rule: str) -> Diagnosis:
    return Diagnosis("GATEWAY_LISTENER_HOST_MISMATCH", "error", message,
                     "Add a listener whose hostname covers the name (or one without hostname), or use a name the "
                     "listeners cover.", rule, [gw.obj.ref()])
