"""P10, what the pod answers when backend-protocol does not fit its port (ingress-nginx#10.3).

Inferred from port names, numbers and appProtocol of the Service and container ports; when the
evidence is mixed or missing nothing is predicted.
"""

from __future__ import annotations

from typing import Any

from ....result import Diagnosis
from ..annotations import IngressAnnotations
from .outcome import PolicyOutcome, ingress_ref

_TLS_WORDS = ("https", "tls", "ssl")


def _port_facts(pod_port: dict | None, container: dict | None) -> dict[str, Any]:
    """Name, number and appProtocol of the backend port, from the Service port and/or the container port."""
    facts: dict[str, Any] = {"names": [], "numbers": [], "app_protocols": []}
    if pod_port:
        for key in ("name",):
            if pod_port.get(key):
                facts["names"].append(str(pod_port[key]).lower())
        target = pod_port.get("targetPort")
        if isinstance(target, str) and not target.isdigit():
            facts["names"].append(target.lower())
        # The pod's port: targetPort (defaults to port), or containerPort for a container port entry. The
        # Service's own port number says nothing about what the pod speaks once a targetPort is given.
        value = pod_port.get("targetPort", pod_port.get("containerPort", pod_port.get("port")))
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            facts["numbers"].append(int(value))
        if pod_port.get("appProtocol"):
            facts["app_protocols"].append(str(pod_port["appProtocol"]).lower())
    if container:
        wanted_names = set(facts["names"])
        wanted_numbers = set(facts["numbers"])
        for cp in container.get("ports") or []:
            if not isinstance(cp, dict):
                continue
            name = str(cp.get("name") or "").lower()
            number = cp.get("containerPort")
            if (
                (name and name in wanted_names)
                or (number in wanted_numbers)
                or (not wanted_names and not wanted_numbers)
            ):
                if name:
                    facts["names"].append(name)
                if isinstance(number, int):
                    facts["numbers"].append(number)
    return facts


def _tls_evidence(facts: dict[str, Any]) -> str | None:
    for proto in facts["app_protocols"]:
        if proto in ("https", "tls", "kubernetes.io/wss") or proto.endswith("/https"):
            return f"appProtocol {proto}"
    for name in facts["names"]:
        if any(w in name for w in _TLS_WORDS):
            return f"port name {name!r}"
    for number in facts["numbers"]:
        if number in (443, 8443):
            return f"port {number}"
    return None


def _plain_evidence(facts: dict[str, Any]) -> str | None:
    for proto in facts["app_protocols"]:
        if proto in ("http", "kubernetes.io/h2c", "h2c", "kubernetes.io/ws"):
            return f"appProtocol {proto}"
    for name in facts["names"]:
        if name in ("http", "web", "http-web", "http1") or (name.startswith("http-") and "https" not in name):
            return f"port name {name!r}"
    for number in facts["numbers"]:
        if number in (80, 8080):
            return f"port {number}"
    return None


def backend_protocol_outcome(
    ann: IngressAnnotations, pod_port: dict | None, container: dict | None
) -> PolicyOutcome | None:
    """What the pod answers when backend-protocol does not fit its port (ingress-nginx#10.3); None when fine or
    unknowable. ``pod_port`` is the Service port entry (name/port/targetPort/appProtocol) or a container port;
    ``container`` the container spec whose ports are matched by name/number."""
    facts = _port_facts(pod_port, container)
    proto = ann.backend.protocol
    tls = _tls_evidence(facts)
    plain = _plain_evidence(facts)
    if proto in ("HTTP", "AUTO_HTTP", "GRPC", "FCGI") and tls is not None and plain is None:
        if proto == "AUTO_HTTP":
            return None  # depends on the client scheme; the caller decides per request
        status = 400 if proto == "HTTP" else 502
        text = (
            "The plain HTTP request was sent to HTTPS port"
            if proto == "HTTP"
            else f"{proto} to a TLS port fails the upstream exchange"
        )
        return PolicyOutcome(
            status,
            f"{text} (backend speaks TLS: {tls}; backend-protocol is {proto})",
            component="pod",
            stage="backend-protocol",
            confidence="inferred",
            body=f"400 Bad Request: {text}" if status == 400 else "502 Bad Gateway",  # page text (not RFC 9110 phrases)
            rules=["ingress-nginx#10.3"],
            details={"backend_protocol": proto, "evidence": tls},
            diagnoses=[
                Diagnosis(
                    "PLAIN_HTTP_TO_HTTPS_PORT",
                    "error",
                    f"Ingress {ann.name}: the backend port looks TLS-only ({tls}) but the controller speaks "
                    f'{proto} to it; the pod answers {status} ("The plain HTTP request was sent to HTTPS port" '
                    "or similar).",
                    f'Add {ann.prefix}backend-protocol: "{"GRPCS" if proto == "GRPC" else "HTTPS"}".',
                    "ingress-nginx#10.3",
                    ingress_ref(ann),
                )
            ],
        )
    if proto in ("HTTPS", "GRPCS") and plain is not None and tls is None:
        return PolicyOutcome(
            502,
            f"TLS handshake with a plaintext port fails ({plain}; backend-protocol is {proto})",
            component="pod",
            stage="backend-protocol",
            confidence="inferred",
            body="502 Bad Gateway",
            rules=["ingress-nginx#10.3"],
            details={"backend_protocol": proto, "evidence": plain},
            diagnoses=[
                Diagnosis(
                    "HTTPS_TO_PLAIN_PORT",
                    "error",
                    f"Ingress {ann.name}: backend-protocol {proto} makes nginx start TLS, but the port is plain "
                    f"({plain}); the handshake fails and the client gets 502.",
                    f'Remove {ann.prefix}backend-protocol or set it to "{"GRPC" if proto == "GRPCS" else "HTTP"}".',
                    "ingress-nginx#10.3",
                    ingress_ref(ann),
                )
            ],
        )
    if proto == "GRPC" and any(p in ("http", "kubernetes.io/http") for p in facts["app_protocols"]):
        return PolicyOutcome(
            502,
            "gRPC (HTTP/2 cleartext) to a port declared HTTP/1 (appProtocol http) fails",
            component="pod",
            stage="backend-protocol",
            confidence="inferred",
            body="502 Bad Gateway",
            rules=["ingress-nginx#10.3"],
            details={"backend_protocol": proto, "evidence": "appProtocol http"},
            diagnoses=[
                Diagnosis(
                    "GRPC_TO_HTTP1_BACKEND",
                    "error",
                    f"Ingress {ann.name}: backend-protocol GRPC speaks h2c, but the port is declared HTTP/1; "
                    "the client gets 502.",
                    f'Use {ann.prefix}backend-protocol: "HTTP", or serve gRPC on that port.',
                    "ingress-nginx#10.3",
                    ingress_ref(ann),
                )
            ],
        )
    return None


def backend_protocol_risk(ann: IngressAnnotations, pod_port: dict | None, container: dict | None) -> Diagnosis | None:
    """A "risk" diagnosis when the port hints at TLS but not clearly enough for :func:`backend_protocol_outcome`
    (e.g. port 9443/6443, or TLS and plain hints at once) while backend-protocol is HTTP."""
    if ann.backend.protocol != "HTTP" or backend_protocol_outcome(ann, pod_port, container) is not None:
        return None
    facts = _port_facts(pod_port, container)
    hint = _tls_evidence(facts)
    if hint is None:
        hint = next((f"port {n}" for n in facts["numbers"] if str(n).endswith("443")), None)
    if hint is None:
        return None
    return Diagnosis(
        "BACKEND_MAY_EXPECT_TLS",
        "warning",
        f"Ingress {ann.name}: the backend port hints at TLS ({hint}) but backend-protocol is HTTP. If the pod only "
        'speaks TLS it answers 400 "The plain HTTP request was sent to HTTPS port" (ingress-nginx#10.3).',
        f'If the pod serves TLS on that port, add {ann.prefix}backend-protocol: "HTTPS".',
        "ingress-nginx#10.3",
        ingress_ref(ann),
    )
