"""A Service's ports: its kind, which ``spec.ports`` entry a route's port reference selects, and named
container ports (dataplane#R9, R10; k8s-routing#I-22, C-4; ingress-nginx#6.2)."""

from __future__ import annotations

from typing import Any

from ..k8s import as_int
from ..snapshot import K8sObject

_KIND_BY_TYPE = {"NodePort": "node-port", "LoadBalancer": "load-balancer"}


def service_kind(svc: K8sObject) -> str:
    """``cluster-ip``, ``headless``, ``external-name``, ``node-port`` or ``load-balancer``."""
    stype = str(svc.spec.get("type") or "ClusterIP")
    if stype == "ExternalName":
        return "external-name"
    if str(svc.spec.get("clusterIP") or "") == "None":
        return "headless"
    return _KIND_BY_TYPE.get(stype, "cluster-ip")


def service_ports(svc: K8sObject) -> list[dict[str, Any]]:
    return [p for p in svc.spec.get("ports") or [] if isinstance(p, dict)]


def port_phrase(port: int | None) -> str:
    """``port 8080``, or words for a port nobody knows (a named targetPort no container in the snapshot declares)."""
    return f"port {port}" if port is not None else "a port the snapshot does not give"


def describe_port(p: dict[str, Any]) -> str:
    """``80/http -> 8080`` style, for messages."""
    name = f"/{p['name']}" if p.get("name") else ""
    tp = p.get("targetPort")
    return f"{p.get('port')}{name}" + (f" -> {tp}" if tp not in (None, "", p.get("port")) else "")


def match_service_port(ports: list[dict[str, Any]], port: int | str, port_match: str) -> dict[str, Any] | None:
    """The spec.ports entry a route's port reference selects.

    ``service-port``: number == port, or name == name (k8s-routing#I-22, C-4). A digit string that
    names no port is tried as a number. ``ingress-nginx``: the first entry where port == N, or
    str(targetPort) == N, or name == N (ingress-nginx#6.2).
    """
    text = str(port)
    number = as_int(port)
    if port_match == "ingress-nginx":
        for p in ports:
            if (number is not None and as_int(p.get("port")) == number) or str(p.get("targetPort", "")) == text:
                return p
            if p.get("name") is not None and str(p.get("name")) == text:
                return p
        return None
    if isinstance(port, str):
        for p in ports:
            if str(p.get("name") or "") == port:
                return p
    if number is not None:
        for p in ports:
            if as_int(p.get("port")) == number:
                return p
    return None


def container_port(containers: list[Any], name: str) -> int | None:
    """Named port lookup across all containers of a pod (dataplane#R10)."""
    for c in containers:
        if not isinstance(c, dict):
            continue
        for p in c.get("ports") or []:
            if isinstance(p, dict) and str(p.get("name") or "") == name:
                return as_int(p.get("containerPort"))
    return None


def service_port_string(namespace: str, name: str, port_name: str | None) -> str:
    """``ns/svc:port`` or ``ns/svc`` for an unnamed port, as kube-proxy names a Service port (dataplane#R59)."""
    return f"{namespace}/{name}:{port_name}" if port_name else f"{namespace}/{name}"
