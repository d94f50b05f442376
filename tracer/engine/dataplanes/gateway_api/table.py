"""Compiling a snapshot into the Gateway API route table (k8s-routing#G-1..G-16): the Gateways of the classes this
installation's controller owns, every HTTPRoute with its status per parent, and the per-listener indexes."""

from __future__ import annotations

from typing import Any

from ...context import EngineContext
from ...options import Options
from ...snapshot import K8sObject, Snapshot
from .attach import attach_route, parent_ref
from .gateways import ServiceFinder, compile_gateway
from .hostnames import ANY
from .index import ListenerIndex
from .listener_status import listener_conditions
from .model import GATEWAY_GROUP, GatewayInfo, RouteInfo
from .refs import Grants
from .route import GatewayRouter
from .rules import compile_route


class GatewayApiTable(GatewayRouter):
    family = "gateway-api"

    def __init__(self, snapshot: Snapshot, options: Options, context: EngineContext) -> None:
        self.snapshot = snapshot
        self.options = options
        self.context = context
        self.warnings: list[str] = []
        grants = Grants(snapshot)
        classes = {gc.name: gc for gc in snapshot.of_kind("GatewayClass")}
        finder = ServiceFinder(snapshot)
        ours = [gw for gw in snapshot.of_kind("Gateway") if _owned(gw, classes, options.controller_class)]
        self.gateways = [compile_gateway(gw, classes, snapshot, grants, finder)
                         for gw in sorted(ours, key=lambda g: (g.namespace or "", g.name))]
        self.by_key = {(gw.obj.namespace or "default", gw.obj.name): gw for gw in self.gateways}
        self.by_address = {}
        for gw in self.gateways:
            for address in gw.addresses:
                self.by_address.setdefault(address, gw)
        http_routes = [r for r in snapshot.of_kind("HTTPRoute") if r.group == GATEWAY_GROUP]
        self.routes = [compile_route(r, snapshot, grants) for r in sorted(http_routes, key=_order)]
        with_service = [gw for gw in self.gateways if gw.service is not None]
        with_service.sort(key=lambda gw: str((gw.service.spec if gw.service else {}).get("type")) != "LoadBalancer")
        # The Gateway whose Service the entry hops in front show (controller_objects): first on ties.
        self.entry_gateway = with_service[0] if with_service else None
        self.indexes: dict[int, ListenerIndex] = {}
        self.unattached = {}
        for route in self.routes:
            self._attach(route)
        for gw in self.gateways:
            for lis in gw.listeners:
                for cond in lis.problems:
                    self.warnings.append(f"Gateway {gw.key} listener {lis.name}: {cond.reason}: {cond.message}")

    def _attach(self, route: RouteInfo) -> None:
        if route.rejected is not None:
            named = {f"{p['namespace']}/{p['name']}" for p in (parent_ref(r, route.obj.namespace or "default")
                                                              for r in route.obj.spec.get("parentRefs") or []
                                                              if isinstance(r, dict))}
            if named & {gw.key for gw in self.gateways}:
                self.warnings.append(f"HTTPRoute {route.key} would be rejected by the API server: {route.rejected}")
                self._remember(route, named, f"the API server would reject it ({route.rejected})")
            return
        attach_route(route, self.by_key, self.snapshot)
        counted: set[int] = set()
        for parent in route.parents:
            if not parent.accepted:
                cond = parent.conditions[0]
                self.warnings.append(f"HTTPRoute {route.key} is not accepted by {parent.label()}: {cond.reason}")
                self._remember(route, {parent.gateway.key} if parent.gateway else set(),
                               f"{parent.label()} does not accept it ({cond.reason}: {cond.message})")
                continue
            for lis, hosts in parent.listeners:
                if id(lis) not in counted:
                    counted.add(id(lis))
                    lis.attached += 1
                index = self.indexes.setdefault(id(lis), ListenerIndex())
                for host in hosts:
                    bucket = index.bucket(host)
                    for rule in route.rules:
                        for m in rule.matches:
                            bucket.add(m)

    def _remember(self, route: RouteInfo, gateways: set[str], why: str) -> None:
        for host in route.hostnames or [ANY]:
            self.unattached.setdefault(host, []).append((route, gateways, why))

    # -- RouteTable API ---------------------------------------------------------------------------

    def controller_objects(self) -> list[K8sObject]:
        """The entry Service of the first Gateway that has one (a LoadBalancer first), then the Gateways and classes:
        the entry hops in front of the Gateway follow that Service (tracer.engine.entry)."""
        entry = self.entry_gateway
        out: list[K8sObject] = [entry.service] if entry is not None and entry.service is not None else []
        out += [gw.obj for gw in self.gateways]
        out += list({id(gw.gateway_class): gw.gateway_class for gw in self.gateways if gw.gateway_class}.values())
        return out

    def describe(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "gateways": [_gateway(gw) for gw in self.gateways],
            "routes": [
                {
                    "namespace": r.obj.namespace, "name": r.obj.name, "hostnames": r.hostnames,
                    "rejected": r.rejected, "parents": [p.to_dict() for p in r.parents],
                }
                for r in self.routes
            ],
            "warnings": list(self.warnings),
        }


def _gateway(gw: GatewayInfo) -> dict[str, Any]:
    return {
        "namespace": gw.obj.namespace,
        "name": gw.obj.name,
        "gateway_class": gw.class_name,
        "controller": gw.controller,
        "implementation": gw.implementation.label() if gw.implementation else None,
        "service": f"{gw.service.namespace}/{gw.service.name}" if gw.service else None,
        "addresses": gw.addresses,
        "listeners": [
            {"name": lis.name, "port": lis.port, "protocol": lis.protocol, "hostname": lis.hostname,
             "attachedRoutes": lis.attached, "conditions": [c.to_dict() for c in listener_conditions(lis)]}
            for lis in gw.listeners
        ],
    }


def _owned(gw: K8sObject, classes: dict[str, K8sObject], wanted: str | None) -> bool:
    """Whether this installation serves the Gateway (G-1): its class's controllerName is the installation's; a
    class missing from the snapshot is named by the installation instead (tracer.engine.installations)."""
    if wanted is None:
        return True
    name = str(gw.spec.get("gatewayClassName") or "")
    cls = classes.get(name)
    if cls is None:
        return name == wanted
    return str(cls.spec.get("controllerName") or "") == wanted


def _order(route: K8sObject) -> tuple[str, str, str]:
    return (route.creation_timestamp or "~", route.namespace or "default", route.name)
