"""Per-Ingress settings that become HTTPRoute filters, timeouts or policies: upstream-vhost (URLRewrite hostname),
x-forwarded-prefix and the ConfigMap's proxy-set-headers (RequestHeaderModifier), custom-headers
(ResponseHeaderModifier), proxy-read/send-timeout (timeouts), backend-protocol (BackendTLSPolicy or a note).

Facts: ingress-nginx#4.2 (X-Forwarded-Prefix only with an active rewrite), #8.1 (timeouts in seconds, between two
reads or writes), #8.5 (Host, upstream-vhost, proxy-set-headers), #10.1 (backend-protocol values); Gateway API
k8s-routing#G-36, G-39, G-43, and BackendTLSPolicy (gateway.networking.k8s.io/v1 since v1.4).
"""

from __future__ import annotations

from typing import Any

from ..dataplanes.ingress_nginx.annotations import IngressAnnotations
from ..snapshot import K8sObject, Snapshot
from .model import Notification, meta
from .source import NginxSource


def _configmap_headers(snapshot: Snapshot, ref: str, namespace: str) -> tuple[dict[str, str], K8sObject | None]:
    ns, _, name = ref.partition("/") if "/" in ref else (namespace, "", ref)
    cm = snapshot.get("ConfigMap", ns or namespace, name)
    data = cm.body.get("data") if cm is not None else None
    return ({str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}), cm


def _header_filter(kind: str, headers: dict[str, str], obj: str, annotation: str | None,
                   notes: list[Notification]) -> dict[str, Any] | None:
    plain = {k: v for k, v in headers.items() if "$" not in v}
    for name, value in headers.items():
        if name not in plain:
            notes.append(Notification("warning", obj, annotation, f"header {name}: {value} uses nginx variables, which "
                                      f"a {kind} cannot; not translated", "spec"))
    if not plain:
        return None
    field = kind[0].lower() + kind[1:]
    return {"type": kind, field: {"set": [{"name": k, "value": v} for k, v in sorted(plain.items())]}}


def request_headers(src: NginxSource, snapshot: Snapshot, notes: list[Notification]) -> dict[str, Any] | None:
    """The ConfigMap's proxy-set-headers (a ConfigMap of extra upstream headers) for every rule (#8.5)."""
    ref = src.config.proxy_set_headers
    if not ref:
        return None
    headers, cm = _configmap_headers(snapshot, ref, src.config.controller_namespace or src.namespace)
    obj = f"ConfigMap {ref}"
    if cm is None:
        notes.append(Notification("warning", obj, None, "proxy-set-headers names this ConfigMap, which is not in the "
                                  "snapshot; its headers are not translated", "translation"))
        return None
    return _header_filter("RequestHeaderModifier", headers, obj, None, notes)


def ingress_filters(ing: K8sObject, ann: IngressAnnotations, snapshot: Snapshot, notes: list[Notification],
                    *, rewrite: dict[str, Any] | None, common: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The filters one path of the Ingress gets: header changes first, then the URL rewrite (G-34 order)."""
    obj = f"Ingress {ing.namespace}/{ing.name}"
    filters: list[dict[str, Any]] = []
    request: dict[str, str] = {}
    if common is not None:
        request.update({h["name"]: h["value"] for h in common["requestHeaderModifier"]["set"]})
    if rewrite is not None and ann.rewrite.x_forwarded_prefix:
        request["X-Forwarded-Prefix"] = ann.rewrite.x_forwarded_prefix
    if request:
        filters.append({"type": "RequestHeaderModifier",
                        "requestHeaderModifier": {"set": [{"name": k, "value": v} for k, v in request.items()]}})
    custom = ing.annotations.get(f"{ann.prefix}custom-headers")
    if custom:
        headers, cm = _configmap_headers(snapshot, custom, ing.namespace or "default")
        if cm is None:
            notes.append(Notification("warning", obj, f"{ann.prefix}custom-headers", f"ConfigMap {custom} is not in "
                                      "the snapshot; its response headers are not translated", "translation"))
        else:
            found = _header_filter("ResponseHeaderModifier", headers, obj, f"{ann.prefix}custom-headers", notes)
            if found is not None:
                filters.append(found)
    url: dict[str, Any] = {}
    if ann.backend.upstream_vhost:
        url["hostname"] = ann.backend.upstream_vhost
    if rewrite is not None:
        url["path"] = rewrite
    if url:
        filters.append({"type": "URLRewrite", "urlRewrite": url})
    return filters


def timeouts(ing: K8sObject, ann: IngressAnnotations, notes: list[Notification]) -> dict[str, str]:
    """Explicit proxy-read/send-timeout as timeouts.backendRequest (#8.1, G-43), with what differs."""
    raw = {s: ing.annotations.get(f"{ann.prefix}{s}") for s in ("proxy-read-timeout", "proxy-send-timeout")}
    given = {s: v for s, v in raw.items() if v is not None}
    if not given:
        return {}
    obj = f"Ingress {ing.namespace}/{ing.name}"
    seconds = [t for t in (ann.proxy.read_timeout, ann.proxy.send_timeout) if t]
    if not seconds:
        return {}
    value = f"{max(seconds)}s"
    for suffix in given:
        notes.append(Notification("info", obj, f"{ann.prefix}{suffix}", f"translated as timeouts.backendRequest "
                                  f"{value}: ingress-nginx counts it between two reads or writes, Gateway API bounds "
                                  "the whole backend request (long downloads and WebSockets may be cut)", "spec",
                                  ("ingress-nginx#8.1",)))
    return {"backendRequest": value}


def backend_protocol(ing: K8sObject, ann: IngressAnnotations, services: list[tuple[str, str, int]],
                     notes: list[Notification]) -> list[dict[str, Any]]:
    """backend-protocol HTTPS/GRPCS as BackendTLSPolicies, GRPC as a note (#10.1)."""
    protocol = ann.backend.protocol
    obj = f"Ingress {ing.namespace}/{ing.name}"
    key = f"{ann.prefix}backend-protocol"
    if protocol in ("HTTP", ""):
        return []
    if protocol in ("GRPC", "AUTO_HTTP", "FCGI"):
        words = {"GRPC": "cleartext HTTP/2 (gRPC): give the Service port appProtocol kubernetes.io/h2c, or use a "
                         "GRPCRoute", "AUTO_HTTP": "the client's scheme to the backend: Gateway API has no such choice",
                 "FCGI": "FastCGI to the backend: no Gateway API equivalent"}[protocol]
        notes.append(Notification("warning", obj, key, f"value {protocol}: {words}; not translated", "translation",
                                  ("ingress-nginx#10.1",)))
        return []
    out = []
    for ns, name, _port in dict.fromkeys(services):
        out.append({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "BackendTLSPolicy",
            "metadata": meta(f"{name}-backend-tls", ns, source=f"Ingress {ing.namespace}/{ing.name} {key}"),
            "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": name}],
                     "validation": {"wellKnownCACertificates": "System", "hostname": f"{name}.{ns}.svc"}},
        })
    notes.append(Notification("warning", obj, key, f"value {protocol}: TLS to the backend as a BackendTLSPolicy per "
                              "Service; ingress-nginx neither verified the backend's certificate nor sent SNI, "
                              "BackendTLSPolicy always verifies (set caCertificateRefs and hostname to what the backend "
                              "presents); tracer's Gateway API data plane does not simulate BackendTLSPolicy", "spec",
                              ("ingress-nginx#10.1", "ingress-nginx#10.2")))
    return out
