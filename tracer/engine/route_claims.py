"""Hosts that installations claim through their own route objects rather than Ingresses, for the choice of
controller (docs/controller-choice.md): an HTTPRoute's hostnames belong to the installation running the Gateway it
attaches to (k8s-routing#G-1), a VirtualService bound to a gateway to Istio, an IngressRoute's ``Host(...)`` rule
to Traefik v2/v3. A route that names no host claims the hosts of its Gateway's listeners, else every host ("")."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .installations import Installation
from .snapshot import K8sObject, Snapshot

# Traefik v2/v3 rule matchers that name a host: Host(`a`, `b`) and HostSNI(`a`) (doc.traefik.io routers rules).
_TRAEFIK_HOST = re.compile(r"Host(?:SNI)?\(([^)]*)\)")
_BACKTICKED = re.compile(r"`([^`]*)`")


def _norm(host: str) -> str:
    return host.rstrip(".").lower()


def _gateway_routes(snapshot: Snapshot, inst: Installation) -> Iterator[tuple[str, K8sObject, str]]:
    gateways = {(o.namespace, o.name): o for o in inst.objects if o.kind == "Gateway"}
    if not gateways:
        return
    for route in snapshot.of_kind("HTTPRoute"):
        for ref in route.spec.get("parentRefs") or []:
            if not isinstance(ref, dict) or str(ref.get("kind") or "Gateway") != "Gateway":
                continue
            gw = gateways.get((str(ref.get("namespace") or route.namespace), str(ref.get("name") or "")))
            if gw is None:
                continue
            hosts = [_norm(str(h)) for h in route.spec.get("hostnames") or [] if h]
            if not hosts:
                hosts = [_norm(str(lis.get("hostname"))) for lis in gw.spec.get("listeners") or []
                         if isinstance(lis, dict) and lis.get("hostname")] or [""]
            for host in hosts:
                yield host, route, f"attached to Gateway {gw.namespace}/{gw.name}"
            break


def _virtual_services(snapshot: Snapshot) -> Iterator[tuple[str, K8sObject, str]]:
    for vs in snapshot.of_kind("VirtualService"):
        gateways = [g for g in vs.spec.get("gateways") or [] if g != "mesh"]
        if not gateways:
            continue  # sidecars only: no gateway serves it
        for host in vs.spec.get("hosts") or []:
            yield ("" if host == "*" else _norm(str(host))), vs, f"bound to gateway {', '.join(map(str, gateways))}"


def _ingress_routes(snapshot: Snapshot) -> Iterator[tuple[str, K8sObject, str]]:
    for ir in snapshot.of_kind("IngressRoute"):
        for route in ir.spec.get("routes") or []:
            rule = str(route.get("match") or "") if isinstance(route, dict) else ""
            hosts = [_norm(h) for m in _TRAEFIK_HOST.findall(rule) for h in _BACKTICKED.findall(m)]
            for host in hosts or [""]:
                yield host, ir, f"rule {rule}"


def route_claims(snapshot: Snapshot, installations: list[Installation]
                 ) -> Iterator[tuple[str, Installation, K8sObject, str]]:
    """(host, installation, route object, why) for every route object an installation serves."""
    for inst in installations:
        if inst.family == "gateway-api":
            for host, obj, why in _gateway_routes(snapshot, inst):
                yield host, inst, obj, why
    istio = [i for i in installations if i.family == "istio"]
    if len(istio) == 1:
        for host, obj, why in _virtual_services(snapshot):
            yield host, istio[0], obj, why
    traefik = [i for i in installations if i.family == "traefik"]
    if len(traefik) == 1:
        for host, obj, why in _ingress_routes(snapshot):
            yield host, traefik[0], obj, why
