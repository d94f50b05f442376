"""The GatewayClass, one Gateway per ingress-nginx installation (an HTTP listener, an HTTPS listener per host with a
certificate) and the ReferenceGrants its certificate references need.

The Gateway keeps the ingress-nginx entry's addresses in ``status.addresses``, which the gateway-api data plane
reads when the Gateway's own Service is not in the snapshot (tracer/engine/dataplanes/gateway_api/gateways.py),
so the same URLs reach it. Listener facts: k8s-routing#G-2, G-3 (allowedRoutes), G-30 (ReferenceGrant in the
target's namespace); TLS facts: ingress-nginx#2.6 (the first Ingress naming a host decides its certificate).
"""

from __future__ import annotations

import re
from typing import Any

from ..dataplanes.gateway_api.conformance import IMPLEMENTATIONS
from ..snapshot import Snapshot
from .model import GATEWAY_V1, Notification, marked, meta
from .source import NginxSource, ingress_key

SPEC_ONLY_CONTROLLER = "example.com/gateway-controller"  # a placeholder the user replaces with their implementation
MAX_LISTENERS = 64


def implementation_controller(key: str | None) -> str | None:
    if key is None:
        return None
    for controller, impl in IMPLEMENTATIONS.items():
        if impl.key == key:
            return controller
    return None


def implementation_keys() -> list[str]:
    return [impl.key for impl in IMPLEMENTATIONS.values()]


def gateway_class(snapshot: Snapshot, implementation: str | None, notes: list[Notification]
                  ) -> tuple[str, dict[str, Any] | None]:
    """The class the Gateways use: an existing one of the implementation, else a new one."""
    controller = implementation_controller(implementation)
    existing = [gc for gc in snapshot.of_kind("GatewayClass") if controller is None or
                str(gc.spec.get("controllerName") or "") == controller]
    existing = [gc for gc in existing if not marked(gc)]
    if existing:
        return existing[0].name, None
    name = implementation or "gateway"
    if controller is None:
        notes.append(Notification("info", f"GatewayClass {name}", None, f"no implementation chosen: controllerName "
                                  f"{SPEC_ONLY_CONTROLLER} stands for yours, and the trace follows the Gateway API "
                                  "specification without an implementation's support matrix", "translation"))
    return name, {"apiVersion": GATEWAY_V1, "kind": "GatewayClass", "metadata": meta(name, None),
                  "spec": {"controllerName": controller or SPEC_ONLY_CONTROLLER}}


def listener_name(host: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", host.replace("*", "wildcard").lower()).strip("-")
    return f"https-{slug}"[:63].rstrip("-")


def gateway_for(src: NginxSource, class_name: str, notes: list[Notification]) -> tuple[dict[str, Any],
                                                                                         list[dict[str, Any]]]:
    """The Gateway of one installation, and the ReferenceGrants for its certificates in other namespaces."""
    name = src.installation.classes[0] if src.installation.classes else "ingress-nginx"
    listeners: list[dict[str, Any]] = [{"name": "http", "port": 80, "protocol": "HTTP",
                                        "allowedRoutes": {"namespaces": {"from": "All"}}}]
    grants: dict[str, set[str]] = {}
    for host, (ing, secret) in sorted(src.tls_hosts.items()):
        obj = f"Ingress {ingress_key(ing)}"
        if secret is None:
            default = src.config.default_ssl_certificate
            if not default:
                notes.append(Notification("warning", obj, None, f"spec.tls for {host} names no Secret: ingress-nginx "
                                          "serves its default certificate, a Gateway listener needs certificateRefs; "
                                          "no HTTPS listener for it", "translation", ("ingress-nginx#2.6",), host))
                continue
            ns, _, secret_name = default.partition("/")
        else:
            ns, secret_name = ing.namespace or "default", secret
        if len(listeners) >= MAX_LISTENERS:
            notes.append(Notification("warning", obj, None, f"host {host}: a Gateway holds at most {MAX_LISTENERS} "
                                      "listeners; no HTTPS listener for it", "spec", (), host))
            continue
        ref: dict[str, Any] = {"kind": "Secret", "name": secret_name}
        if ns != src.namespace:
            ref["namespace"] = ns
            grants.setdefault(ns, set()).add(secret_name)
        listeners.append({"name": listener_name(host), "port": 443, "protocol": "HTTPS", "hostname": host,
                          "tls": {"mode": "Terminate", "certificateRefs": [ref]},
                          "allowedRoutes": {"namespaces": {"from": "All"}}})
    gw: dict[str, Any] = {"apiVersion": GATEWAY_V1, "kind": "Gateway",
                          "metadata": meta(name, src.namespace, source=src.installation.name),
                          "spec": {"gatewayClassName": class_name, "listeners": listeners}}
    if src.addresses:
        gw["status"] = {"addresses": [{"type": t, "value": v} for t, v in src.addresses]}
    else:
        notes.append(Notification("info", f"Gateway {src.namespace}/{name}", None, "the ingress-nginx entry has no "
                                  "load-balancer address in the snapshot; the Gateway's implementation assigns one, "
                                  "point the hosts' DNS at it", "translation"))
    out = [{"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
            "metadata": meta(f"{name}-gateway-certificates", ns),
            "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": src.namespace}],
                     "to": [{"group": "", "kind": "Secret", "name": s} for s in sorted(names)]}}
           for ns, names in sorted(grants.items())]
    return gw, out
