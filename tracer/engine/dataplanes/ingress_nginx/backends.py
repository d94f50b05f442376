"""Upstreams: Service resolution, the default backend, error interception (ingress-nginx#6).

Port matching uses ingress-nginx's rule (#6.2) through tracer.engine.services; resolutions are
memoised there, so routing the same Service twice costs a dict look-up.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ...options import Options
from ...services import BackendResolution, Endpoint, ServiceIndex, pick_ordered
from ...snapshot import K8sObject, Snapshot
from .annotations import IngressAnnotations
from .config import ControllerConfig
from .model import BackendRef

INTERNAL_DEFAULT = "127.0.0.1:8181"  # the controller's built-in default server: 404 for everything (#6.7)


@dataclass(slots=True)
class Pick:
    """What the balancer connects to for one upstream."""

    resolution: BackendResolution
    endpoint: Endpoint | None  # None -> no usable endpoint
    via: str  # "direct" | "cluster-ip"
    status_without_endpoint: int  # 503 (no balancer) or 502 (service-upstream: kube-proxy refuses)
    reason: str = ""


class Backends:
    def __init__(self, snapshot: Snapshot, config: ControllerConfig, options: Options, services: ServiceIndex) -> None:
        self.snapshot = snapshot
        self.config = config
        self.assume = options.assume_endpoints
        self.seed = options.seed
        self.default: BackendRef | None = None
        self._index = services  # the compiling Engine's own index
        self._resolved: dict[BackendRef, BackendResolution] = {}
        if config.default_backend_service:
            ns, _, name = config.default_backend_service.rpartition("/")
            ns = ns or "default"
            self.default = BackendRef(ns, name, _first_port(snapshot.get("Service", ns, name)))

    def resolve(self, ref: BackendRef) -> BackendResolution:
        """The memoised resolution (shared: read-only for callers), one dict look-up after the first time."""
        res = self._resolved.get(ref)
        if res is None:
            res = self._index.resolve_shared(
                ref.namespace, ref.service, ref.port, assume_endpoints=self.assume, port_match="ingress-nginx"
            )
            self._resolved[ref] = res
        return res

    def ready(self, ref: BackendRef | None) -> bool:
        if ref is None:
            return False
        res = self.resolve(ref)
        return res.ok() and (res.kind != "external-name" or self._external_name_problem(res) is None)

    def _external_name_problem(self, res: BackendResolution) -> str | None:
        if self.config.disable_svc_external_name:
            return "the controller runs with --disable-svc-external-name, so ExternalName Services get no endpoints"
        name = (res.external_name or "").strip(".").lower()
        if name == "localhost":
            return f"ExternalName {name} is loopback, which the controller rejects"
        try:
            if ipaddress.ip_address(name).is_loopback:
                return f"ExternalName {name} is loopback, which the controller rejects"
        except ValueError:
            pass
        return None

    def pick(self, ref: BackendRef, ann: IngressAnnotations | None, key: str) -> Pick:
        """Endpoint for an upstream: endpoints read by the controller, or the ClusterIP with service-upstream."""
        res = self.resolve(ref)
        if res.kind == "external-name":
            problem = self._external_name_problem(res)
            if problem or not res.endpoints:
                return Pick(res, None, "direct", 503, problem or "the ExternalName Service has no externalName")
            return Pick(res, res.endpoints[0], "direct", 503, f"ExternalName endpoint {res.endpoints[0].address}")
        service_upstream = (ann is not None and ann.backend.service_upstream) or self.config.service_upstream
        if service_upstream:
            cluster_ip = str(res.service.spec.get("clusterIP") or "") if res.service is not None else ""
        if service_upstream and res.service_port is not None and res.kind != "headless" and cluster_ip != "None":
            # #6.6: the only endpoint is ClusterIP:port, which always exists; kube-proxy then picks a pod.
            return Pick(
                res,
                pick_ordered(res.ready_in_order(), self.seed, key),
                "cluster-ip",
                502,
                f"service-upstream: the controller connects to the ClusterIP {cluster_ip or '(unknown)'}:"
                f"{res.port_number}; kube-proxy picks the pod",
            )
        return Pick(res, pick_ordered(res.ready_in_order(), self.seed, key), "direct", 503)

    def intercepts(self, status: int, ann: IngressAnnotations | None, *, generated: bool) -> bool:
        """custom-http-errors: is this status replaced by the error backend's response (#6.7)?"""
        codes = ann.backend.custom_http_errors if ann is not None else None
        if codes is None:
            codes = self.config.custom_http_errors
        if status not in codes:
            return False
        if generated:
            return True  # error_page applies to codes nginx produces itself
        disabled = (
            ann.backend.disable_proxy_intercept_errors
            if ann is not None and ann.backend.disable_proxy_intercept_errors is not None
            else self.config.disable_proxy_intercept_errors
        )
        return not disabled

    def error_backend(self, ann: IngressAnnotations | None) -> BackendRef | None:
        """The Service that renders error pages: the default-backend annotation if ready, else the global
        --default-backend-service if ready, else None (the built-in 404 server)."""
        if ann is not None and ann.backend.default_backend:
            ref = self.annotation_default(ann)
            if ref is not None and self.ready(ref):
                return ref
        if self.default is not None and self.ready(self.default):
            return self.default
        return None

    def annotation_default(self, ann: IngressAnnotations) -> BackendRef | None:
        if not ann.backend.default_backend:
            return None
        ns = ann.ingress.namespace or "default"
        svc = self.snapshot.get("Service", ns, ann.backend.default_backend)
        return BackendRef(ns, ann.backend.default_backend, _first_port(svc))


def _first_port(svc: K8sObject | None) -> int | str:
    """A default backend's port: the Service's first port (#6.7), 80 when there is none."""
    ports = [p for p in (svc.spec.get("ports") or []) if isinstance(p, dict)] if svc else []
    port = str(ports[0].get("port") if ports else 80)
    return int(port) if port.isdigit() else port
