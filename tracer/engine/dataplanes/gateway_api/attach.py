"""Attaching HTTPRoutes to listeners through their parentRefs, with the route status an implementation
writes for each parent (k8s-routing#G-11..G-16, G-29)."""

from __future__ import annotations

from typing import Any

from ...k8s import as_int
from ...services.labelselector import matches_partly_known
from ...snapshot import Snapshot
from .hostnames import intersect
from .listener_status import is_programmed
from .model import GATEWAY_GROUP, Condition, GatewayInfo, Listener, ParentStatus, RouteInfo

NAME_LABEL = "kubernetes.io/metadata.name"  # set on every Namespace by the API server (Kubernetes 1.21+)


def parent_ref(raw: dict[str, Any], route_ns: str) -> dict[str, Any]:
    """A parentRef with the defaults of G-4."""
    return {
        "group": GATEWAY_GROUP if raw.get("group") is None else str(raw["group"]),
        "kind": str(raw.get("kind") or "Gateway"),
        "namespace": str(raw.get("namespace") or route_ns),
        "name": str(raw.get("name") or ""),
        "sectionName": str(raw["sectionName"]) if raw.get("sectionName") else None,
        "port": as_int(raw.get("port")),
    }


def namespace_allowed(lis: Listener, route_ns: str, snapshot: Snapshot) -> tuple[bool, str]:
    """allowedRoutes.namespaces (G-3, G-12): whether the route's namespace may attach, and why not."""
    gw_ns = lis.gateway.obj.namespace or "default"
    how = lis.allowed_from
    if how == "All":
        return True, ""
    if how == "Same":
        return route_ns == gw_ns, f"listener {lis.name} admits routes from namespace {gw_ns} only (from: Same)"
    if how == "Selector":
        ns_obj = snapshot.get("Namespace", None, route_ns)
        labels = {**(ns_obj.labels if ns_obj is not None else {}), NAME_LABEL: route_ns}
        known = None if ns_obj is not None else {NAME_LABEL}
        verdict = matches_partly_known(lis.allowed_selector, labels, known)
        if verdict is None:
            return False, (f"listener {lis.name} selects namespaces by label and Namespace {route_ns} is not in the "
                           "snapshot, so its labels are unknown")
        return verdict, f"Namespace {route_ns} does not carry the labels listener {lis.name} selects"
    return False, f"listener {lis.name} admits no routes (from: {how})"


def kind_allowed(lis: Listener) -> tuple[bool, str]:
    if not lis.serves_http:
        return False, f"listener {lis.name} speaks {lis.protocol}{' passthrough' if lis.tls_mode == 'Passthrough' else ''}"
    if lis.kinds is not None and (GATEWAY_GROUP, "HTTPRoute") not in lis.kinds:
        return False, f"listener {lis.name} allowedRoutes.kinds does not list HTTPRoute"
    return True, ""


def _resolved(route: RouteInfo) -> Condition:
    """ResolvedRefs over every backendRef and mirror of the route (G-15, G-29): invalid refs do not un-accept it."""
    for rule in route.rules:
        for ref in [*rule.backends, *(m.backend for m in rule.mirrors)]:
            if ref.problem is not None:
                return Condition("ResolvedRefs", "False", ref.problem.reason, f"{rule.where}: {ref.problem.message}")
    return Condition("ResolvedRefs", "True", "ResolvedRefs", "")


def attach_route(route: RouteInfo, gateways: dict[tuple[str, str], GatewayInfo], snapshot: Snapshot) -> None:
    """Fill ``route.parents`` for the parentRefs that name Gateways of this table (G-11..G-15)."""
    route_ns = route.obj.namespace or "default"
    for raw in route.obj.spec.get("parentRefs") or []:
        if not isinstance(raw, dict):
            continue
        ref = parent_ref(raw, route_ns)
        if (ref["group"], ref["kind"]) != (GATEWAY_GROUP, "Gateway"):
            continue  # a Service parent (mesh) or another kind: not an ingress Gateway
        gw = gateways.get((ref["namespace"], ref["name"]))
        if gw is None:
            continue  # not in the snapshot, or a Gateway of another class (another installation's table)
        status = ParentStatus(ref, gw)
        route.parents.append(status)
        status.conditions = [_accepted(route, status, gw, snapshot), _resolved(route)]


def _accepted(route: RouteInfo, status: ParentStatus, gw: GatewayInfo, snapshot: Snapshot) -> Condition:
    ref = status.ref
    section, port = ref["sectionName"], ref["port"]
    candidates = [lis for lis in gw.listeners
                  if (section is None or lis.name == section) and (port is None or lis.port == port)]
    if not candidates:
        wanted = " and ".join(w for w in (f"sectionName {section}" if section else "",
                                          f"port {port}" if port is not None else "") if w)
        return Condition("Accepted", "False", "NoMatchingParent",
                         f"Gateway {gw.key} has no listener with {wanted}")
    refusals: list[str] = []
    allowed = []
    route_ns = route.obj.namespace or "default"
    for lis in candidates:
        if not is_programmed(lis):
            reasons = ', '.join(c.reason for c in lis.problems if c.type != "ResolvedRefs")
            refusals.append(f"listener {lis.name} is not programmed ({reasons})")
            continue
        ok_kind, why_kind = kind_allowed(lis)
        ok_ns, why_ns = namespace_allowed(lis, route_ns, snapshot)
        if ok_kind and ok_ns:
            allowed.append(lis)
        else:
            refusals.append(why_kind or why_ns)
    if not allowed:
        return Condition("Accepted", "False", "NotAllowedByListeners", "; ".join(dict.fromkeys(refusals)))
    for lis in allowed:
        hosts = intersect(lis.hostname, route.hostnames)
        if hosts:
            status.listeners.append((lis, hosts))
    if not status.listeners:
        listed = ", ".join(lis.hostname or "any" for lis in allowed)
        return Condition("Accepted", "False", "NoMatchingListenerHostname",
                         f"none of the route's hostnames ({', '.join(route.hostnames)}) falls under the listener "
                         f"hostnames ({listed})")
    return Condition("Accepted", "True", "Accepted", "")
