"""Gateways: their listeners (k8s-routing#G-2, G-3), listener certificates (G-2), and the Service and addresses
that are the Gateway's entry.

Where a Gateway's data plane lives follows GEP-1762 (in-cluster deployments): generated objects carry the label
``gateway.networking.k8s.io/gateway-name`` and are named ``<gateway>-<class>`` in the Gateway's namespace (Istio's
``<gateway>-istio``). Envoy Gateway labels its Service ``gateway.envoyproxy.io/owning-gateway-name`` and
``-namespace`` (in its own namespace); Cilium names it ``cilium-gateway-<gateway>``. Without a Service the
Gateway's ``status.addresses`` (then ``spec.addresses``) say where it listens.
"""

from __future__ import annotations

from typing import Any

from ...certs import certificate_info
from ...entry import lb_addresses
from ...k8s import as_int
from ...snapshot import K8sObject, Snapshot
from .conformance import implementation_for
from .hostnames import normalise
from .listener_status import check_listeners
from .model import GATEWAY_GROUP, Condition, GatewayInfo, Listener
from .refs import Grants, check_certificate

GEP_LABEL = "gateway.networking.k8s.io/gateway-name"
ENVOY_NAME = "gateway.envoyproxy.io/owning-gateway-name"
ENVOY_NAMESPACE = "gateway.envoyproxy.io/owning-gateway-namespace"
CILIUM_LABEL = "io.cilium.gateway/owning-gateway"
HTTP_KINDS = {(GATEWAY_GROUP, "HTTPRoute"), (GATEWAY_GROUP, "GRPCRoute")}


class ServiceFinder:
    """The Services generated for Gateways, indexed once by the labels implementations put on them."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.by_label: dict[tuple[str, str], list[tuple[K8sObject, str]]] = {}
        for svc in snapshot.of_kind("Service"):
            labels = svc.labels
            ns = svc.namespace or "default"
            if GEP_LABEL in labels:
                self.by_label.setdefault((ns, labels[GEP_LABEL]), []).append((svc, f"label {GEP_LABEL} (GEP-1762)"))
            if ENVOY_NAME in labels:
                owner = (labels.get(ENVOY_NAMESPACE) or ns, labels[ENVOY_NAME])
                self.by_label.setdefault(owner, []).append((svc, f"Envoy Gateway's labels {ENVOY_NAME}/-namespace"))
            if CILIUM_LABEL in labels:
                self.by_label.setdefault((ns, labels[CILIUM_LABEL]), []).append((svc, f"Cilium's label {CILIUM_LABEL}"))

    def find(self, gw: K8sObject, class_name: str) -> tuple[K8sObject | None, str]:
        ns = gw.namespace or "default"
        generated = f"{gw.name}-{class_name}"
        found = self.by_label.get((ns, gw.name), [])
        if found:
            svc, how = min(found, key=lambda f: (f[0].name != generated, f[0].name))
            return svc, how
        for name, how in ((generated, "named <gateway>-<class> (GEP-1762)"), (f"cilium-gateway-{gw.name}", "Cilium's name")):
            named = self.snapshot.get("Service", ns, name)
            if named is not None:
                return named, how
        return None, ""


def addresses(gw: K8sObject, svc: K8sObject | None) -> tuple[list[str], str]:
    """Where the Gateway is reachable, and where that was read."""
    found: list[str] = []
    how = ""
    for source, fields in (("status", gw.status), ("spec", gw.spec)):
        values = [str(a.get("value")) for a in fields.get("addresses") or [] if isinstance(a, dict) and a.get("value")]
        if values and not found:
            how = f"{source}.addresses of Gateway {gw.namespace}/{gw.name}"
        found += values
    if svc is not None:
        extra = [*lb_addresses(svc), *(str(ip) for ip in svc.spec.get("externalIPs") or [])]
        cluster_ip = str(svc.spec.get("clusterIP") or "")
        if cluster_ip and cluster_ip != "None":
            extra.append(cluster_ip)
        if extra and not found:
            how = f"Service {svc.namespace}/{svc.name}"
        found += extra
    return list(dict.fromkeys(found)), how


def _mapping(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


def _kinds(raw: Any) -> list[tuple[str, str]] | None:
    if not isinstance(raw, list) or not raw:
        return None
    # group defaults to gateway.networking.k8s.io; "" is the core group
    return [(GATEWAY_GROUP if k.get("group") is None else str(k["group"]), str(k.get("kind") or ""))
            for k in raw if isinstance(k, dict)]


def _tls(lis: Listener, raw: dict[str, Any], gw: K8sObject, snapshot: Snapshot, grants: Grants) -> None:
    """Listener TLS (G-2): Terminate needs a usable certificate; Passthrough hands the bytes to TLSRoutes."""
    lis.tls_mode = str(raw.get("mode") or "Terminate")
    lis.cert_refs = [r for r in raw.get("certificateRefs") or [] if isinstance(r, dict)]
    if lis.protocol != "HTTPS" or lis.tls_mode != "Terminate":
        return
    if not lis.cert_refs:
        lis.tls_problem = "the HTTPS listener has no certificateRefs"
    usable = 0
    for ref in lis.cert_refs:
        problem, secret, label = check_certificate(ref, gw, snapshot, grants)
        if problem is not None:
            lis.tls_notes.append(problem)
            continue
        usable += 1
        if secret is None:
            lis.tls_notes.append(f"Secret {label} is not in the snapshot: assumed to exist")
            continue
        info = certificate_info(secret)
        if info is not None:
            lis.certificates.append((label, info))
            lis.tls_notes.append(f"Secret {label} certifies {', '.join(info.hosts) or 'no names'}")
    if lis.cert_refs and not usable:
        lis.tls_problem = "; ".join(lis.tls_notes)
    if lis.tls_problem:
        lis.problems.append(Condition("ResolvedRefs", "False", "InvalidCertificateRef", lis.tls_problem))


def compile_gateway(gw: K8sObject, classes: dict[str, K8sObject], snapshot: Snapshot, grants: Grants,
                    services: ServiceFinder) -> GatewayInfo:
    class_name = str(gw.spec.get("gatewayClassName") or "")
    cls = classes.get(class_name)
    controller = str(cls.spec.get("controllerName") or "") if cls is not None else ""
    info = GatewayInfo(gw, class_name, cls, controller, implementation_for(controller))
    info.service, info.service_how = services.find(gw, class_name)
    info.addresses, info.address_how = addresses(gw, info.service)
    for i, raw in enumerate(gw.spec.get("listeners") or []):
        if not isinstance(raw, dict):
            continue
        allowed = _mapping(raw.get("allowedRoutes"))
        namespaces = _mapping(allowed.get("namespaces"))
        lis = Listener(
            info, i, str(raw.get("name") or f"listeners[{i}]"), normalise(raw.get("hostname")) or None,
            as_int(raw.get("port")) or 0, str(raw.get("protocol") or ""),
            allowed_from=str(namespaces.get("from") or "Same"), allowed_selector=namespaces.get("selector"),
            kinds=_kinds(allowed.get("kinds")),
        )
        if lis.kinds is not None and lis.protocol in ("HTTP", "HTTPS"):
            bad = [f"{g}/{k}" for g, k in lis.kinds if (g, k) not in HTTP_KINDS]
            if bad:
                lis.problems.append(Condition("ResolvedRefs", "False", "InvalidRouteKinds",
                                              f"allowedRoutes.kinds names {', '.join(bad)}, which an {lis.protocol} "
                                              "listener cannot serve"))
        _tls(lis, _mapping(raw.get("tls")), gw, snapshot, grants)
        info.listeners.append(lis)
    check_listeners(info.listeners)
    return info
