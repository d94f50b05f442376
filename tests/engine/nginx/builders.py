"""Small manifest builders for the ingress-nginx data plane tests."""

from __future__ import annotations

from typing import Any

from tracer.engine.dataplanes.ingress_nginx import IngressNginx, IngressNginxTable
from tracer.engine.options import Options
from tracer.engine.request import parse_request
from tracer.engine.result import RequestTrace
from tracer.engine.snapshot import K8sObject, Snapshot, Source

NS = "shop"
PREFIX = "nginx.ingress.kubernetes.io/"


def ingress_class(name: str = "nginx", controller: str = "k8s.io/ingress-nginx") -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": name},
            "spec": {"controller": controller}}


def path(p: str, svc: str = "web", port: int | str = 80, ptype: str | None = "Prefix") -> dict[str, Any]:
    entry: dict[str, Any] = {"path": p, "backend": {"service": {"name": svc, "port": (
        {"number": port} if isinstance(port, int) else {"name": port})}}}
    if ptype is not None:
        entry["pathType"] = ptype
    return entry


def ingress(
    name: str,
    host: str | None = "shop.example.com",
    paths: list[dict[str, Any]] | None = None,
    *,
    ns: str = NS,
    annotations: dict[str, str] | None = None,
    cls: str | None = "nginx",
    tls: list[dict[str, Any]] | None = None,
    created: str | None = None,
    default_backend: str | None = None,
    rules: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if annotations:
        meta["annotations"] = {k if "/" in k else PREFIX + k: v for k, v in annotations.items()}
    if created:
        meta["creationTimestamp"] = created
    spec: dict[str, Any] = {}
    if cls:
        spec["ingressClassName"] = cls
    if rules is None:
        rule: dict[str, Any] = {"http": {"paths": paths if paths is not None else [path("/")]}}
        if host:
            rule["host"] = host
        rules = [rule]
    if rules:
        spec["rules"] = rules
    if tls is not None:
        spec["tls"] = tls
    if default_backend:
        spec["defaultBackend"] = {"service": {"name": default_backend, "port": {"number": 80}}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def service(name: str = "web", *, ns: str = NS, port: int = 80, target: int | str = 8080,
            port_name: str | None = None, app_protocol: str | None = None, **spec: Any) -> dict[str, Any]:
    p: dict[str, Any] = {"port": port, "targetPort": target, "protocol": "TCP"}
    if port_name:
        p["name"] = port_name
    if app_protocol:
        p["appProtocol"] = app_protocol
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"app": name}, "ports": [p], "clusterIP": "10.96.0.10", **spec}}
    return body


def endpoints(svc: str = "web", *, ns: str = NS, ips: tuple[str, ...] = ("10.0.0.1",), port: int = 8080,
              port_name: str = "", ready: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": f"{svc}-abc", "namespace": ns, "labels": {"kubernetes.io/service-name": svc}},
        "addressType": "IPv4",
        "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
        "endpoints": [{"addresses": [ip], "conditions": {"ready": ready},
                       "targetRef": {"kind": "Pod", "name": f"{svc}-{i}", "namespace": ns}}
                      for i, ip in enumerate(ips)],
    }


def backend(name: str = "web", ns: str = NS, ip: str = "10.0.0.1", **kw: Any) -> list[dict[str, Any]]:
    """A Service with one ready endpoint."""
    return [service(name, ns=ns, **kw), endpoints(name, ns=ns, ips=(ip,))]


def configmap(data: dict[str, str], ns: str = "ingress-nginx") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ingress-nginx-controller", "namespace": ns},
            "data": data}


def controller(args: list[str] | None = None, ns: str = "ingress-nginx") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "ingress-nginx-controller", "namespace": ns},
        "spec": {"template": {"metadata": {"labels": {"app": "ingress-nginx"}}, "spec": {"containers": [{
            "name": "controller", "image": "registry.k8s.io/ingress-nginx/controller:v1.15.1",
            "args": ["/nginx-ingress-controller", *(args or [])]}]}}},
    }


def snapshot(*bodies: dict[str, Any] | list[dict[str, Any]]) -> Snapshot:
    flat: list[dict[str, Any]] = []
    for b in bodies:
        flat.extend(b if isinstance(b, list) else [b])
    return Snapshot.from_objects(K8sObject(body=b, source=Source("t.yaml", i, 1 + 10 * i)) for i, b in enumerate(flat))


def compile_(*bodies: dict[str, Any] | list[dict[str, Any]], **options: Any) -> IngressNginxTable:
    table = IngressNginx().compile(snapshot(*bodies), Options.from_kwargs(**options))
    assert isinstance(table, IngressNginxTable)
    return table


def route(table: IngressNginxTable, spec: str | dict[str, Any], **headers: str) -> RequestTrace:
    if isinstance(spec, str) and headers:
        method, url = spec.split(" ", 1)
        spec = {"method": method, "url": url, "headers": {k.replace("__", "-"): v for k, v in headers.items()}}
    return table.route(parse_request(spec))


def run(bodies: list[Any], spec: str | dict[str, Any], options: dict[str, Any] | None = None,
        **headers: str) -> RequestTrace:
    return route(compile_(*bodies, **(options or {})), spec, **headers)


def codes(trace: RequestTrace) -> list[str]:
    return [d.code for d in trace.diagnoses]
