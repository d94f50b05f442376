"""Small manifests for the Traefik tests: a Traefik workload with its Service, and apps with their Services."""

from __future__ import annotations

from typing import Any

from tracer.engine import Engine, RequestTrace

Doc = dict[str, Any]
LB_IP = "198.51.100.7"


def traefik(*args: str, image: str = "traefik:v3.6.2", namespace: str = "traefik") -> list[Doc]:
    """Traefik as its Helm chart runs it: entry points web :8000 and websecure :8443 (TLS) behind a LoadBalancer
    Service on 80 and 443, both Kubernetes providers on, plus ``args``."""
    base = ["--entrypoints.web.address=:8000/tcp", "--entrypoints.websecure.address=:8443/tcp",
            "--entrypoints.websecure.http.tls=true", "--providers.kubernetescrd", "--providers.kubernetesingress"]
    labels = {"app.kubernetes.io/name": "traefik"}
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "traefik", "namespace": namespace},
         "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {
             "containers": [{"name": "traefik", "image": image, "args": [*base, *args],
                             "ports": [{"name": "web", "containerPort": 8000},
                                       {"name": "websecure", "containerPort": 8443}]}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "traefik", "namespace": namespace},
         "spec": {"type": "LoadBalancer", "selector": labels,
                  "ports": [{"name": "web", "port": 80, "targetPort": "web"},
                            {"name": "websecure", "port": 443, "targetPort": "websecure"}]},
         "status": {"loadBalancer": {"ingress": [{"ip": LB_IP}]}}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "traefik"},
         "spec": {"controller": "traefik.io/ingress-controller"}},
    ]


def app(name: str, namespace: str = "default", *, port: int = 80, port_name: str = "http", target: int = 8080,
        pods: bool = True, service_type: str | None = None, external_name: str = "",
        annotations: dict[str, str] | None = None) -> list[Doc]:
    """A Service and (with ``pods``) a Deployment whose pods it selects."""
    spec: dict[str, Any] = {"selector": {"app": name}, "ports": [{"name": port_name, "port": port, "targetPort": target}]}
    if external_name:
        spec = {"type": "ExternalName", "externalName": external_name, "ports": [{"name": port_name, "port": port}]}
    elif service_type:
        spec["type"] = service_type
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if annotations:
        meta["annotations"] = annotations
    out = [{"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}]
    if pods and not external_name:
        out.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
                    "spec": {"selector": {"matchLabels": {"app": name}}, "template": {
                        "metadata": {"labels": {"app": name}},
                        "spec": {"containers": [{"name": name, "image": "example/app",
                                                 "ports": [{"containerPort": target}]}]}}}})
    return out


def profile(service: str, namespace: str = "default", *, tls: bool = False, ports: list[int] | None = None,
            routes: list[Doc] | None = None) -> Doc:
    spec: dict[str, Any] = {"selector": {"service": service}, "tls": tls,
                            "routes": routes or [{"path": {"prefix": "/"}, "respond": {"status": 200}}]}
    if ports is not None:
        spec["ports"] = ports
    return {"apiVersion": "tracer.dev/v1alpha1", "kind": "AppProfile",
            "metadata": {"name": service, "namespace": namespace}, "spec": spec}


def ingress(name: str, paths: list[tuple[str, str, str, int | str]], *, host: str | None = "example.com",
            namespace: str = "default", annotations: dict[str, str] | None = None, class_name: str | None = "traefik",
            api: str = "networking.k8s.io/v1", tls: list[Doc] | None = None) -> Doc:
    """``paths``: (path, pathType, service, port)."""
    if api == "extensions/v1beta1":
        entries = [{"path": p, "backend": {"serviceName": s, "servicePort": port}} for p, _, s, port in paths]
    else:
        entries = [{"path": p, "pathType": t,
                    "backend": {"service": {"name": s, "port": {"number": port} if isinstance(port, int) else
                                            {"name": port}}}} for p, t, s, port in paths]
    rule: dict[str, Any] = {"http": {"paths": entries}}
    if host:
        rule["host"] = host
    spec: dict[str, Any] = {"rules": [rule]}
    if class_name and api != "extensions/v1beta1":
        spec["ingressClassName"] = class_name
    if tls:
        spec["tls"] = tls
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": api, "kind": "Ingress", "metadata": meta, "spec": spec}


def ingress_route(name: str, routes: list[Doc], *, namespace: str = "default", entry_points: list[str] | None = None,
                  tls: Doc | None = None, group: str = "traefik.io") -> Doc:
    spec: dict[str, Any] = {"routes": routes}
    if entry_points is not None:
        spec["entryPoints"] = entry_points
    if tls is not None:
        spec["tls"] = tls
    return {"apiVersion": f"{group}/v1alpha1", "kind": "IngressRoute",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def route(match: str, service: str, port: int | str = 80, **extra: Any) -> Doc:
    out: dict[str, Any] = {"match": match, "kind": "Rule", "services": [{"name": service, "port": port}]}
    out.update(extra)
    return out


def middleware(name: str, spec: Doc, namespace: str = "default", group: str = "traefik.io") -> Doc:
    return {"apiVersion": f"{group}/v1alpha1", "kind": "Middleware", "metadata": {"name": name, "namespace": namespace},
            "spec": spec}


def run(docs: list[Doc], request: str | Doc, **options: Any) -> RequestTrace:
    return Engine(docs, **options).route(request)


def controller_hop(rt: RequestTrace) -> Any:
    return next(h for h in rt.hops if h.component == "controller")


def codes(rt: RequestTrace) -> list[str]:
    return [d.code for d in rt.diagnoses]
