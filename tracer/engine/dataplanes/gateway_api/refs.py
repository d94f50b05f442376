"""ReferenceGrants and the validity of backendRefs and certificateRefs (k8s-routing#G-29, G-30).

A reference into another namespace is allowed only by a ReferenceGrant *in the target namespace* whose
``from`` names the referring kind and namespace and whose ``to`` names the target kind (and name, or all
names). Not permitted is checked before existence, so a route cannot probe for objects it may not use.
"""

from __future__ import annotations

from typing import Any

from ...k8s import as_int
from ...snapshot import K8sObject, Snapshot
from .model import GATEWAY_GROUP, BackendChoice, Condition


class Grants:
    """ReferenceGrants by namespace: (from entries, to entries, the grant)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._by_ns: dict[str, list[tuple[set[tuple[str, str, str]], list[tuple[str, str, str]], K8sObject]]] = {}
        for grant in snapshot.of_kind("ReferenceGrant"):
            if grant.group != GATEWAY_GROUP:
                continue
            froms = {
                (str(f.get("group") or ""), str(f.get("kind") or ""), str(f.get("namespace") or ""))
                for f in grant.spec.get("from") or [] if isinstance(f, dict)
            }
            tos = [
                (str(t.get("group") or ""), str(t.get("kind") or ""), str(t.get("name") or ""))
                for t in grant.spec.get("to") or [] if isinstance(t, dict)
            ]
            self._by_ns.setdefault(grant.namespace or "default", []).append((froms, tos, grant))

    def permits(self, source: tuple[str, str, str], target: tuple[str, str, str, str]) -> K8sObject | None:
        """The grant allowing ``source`` (group, kind, namespace) to reference ``target`` (group, kind, namespace,
        name), or None."""
        group, kind, namespace, name = target
        for froms, tos, grant in self._by_ns.get(namespace, ()):
            if source in froms and any(g == group and k == kind and (n in ("", name)) for g, k, n in tos):
                return grant
        return None


def backend_choice(raw: dict[str, Any], index: int, route: K8sObject) -> BackendChoice:
    """A backendRef with the defaults of G-4 (group "", kind Service, the route's namespace, weight 1)."""
    weight = as_int(raw.get("weight"))
    return BackendChoice(
        index=index,
        group=str(raw.get("group") or ""),
        kind=str(raw.get("kind") or "Service"),
        namespace=str(raw.get("namespace") or route.namespace or "default"),
        name=str(raw.get("name") or ""),
        port=as_int(raw.get("port")),
        weight=1 if raw.get("weight") is None else max(weight or 0, 0),
        filters=[f for f in raw.get("filters") or [] if isinstance(f, dict)],
    )


def check_backend(ref: BackendChoice, route: K8sObject, snapshot: Snapshot, grants: Grants) -> Condition | None:
    """ResolvedRefs=False with the first reason that applies (G-29), or None when the reference is valid."""
    if (ref.group, ref.kind) != ("", "Service"):
        return Condition("ResolvedRefs", "False", "InvalidKind",
                         f"backendRef {ref.label} is a {ref.group + '/' if ref.group else ''}{ref.kind}; only core "
                         "Services are portable backends")
    route_ns = route.namespace or "default"
    if ref.namespace != route_ns and grants.permits((GATEWAY_GROUP, route.kind, route_ns),
                                                    ("", "Service", ref.namespace, ref.name)) is None:
        return Condition("ResolvedRefs", "False", "RefNotPermitted",
                         f"backendRef {ref.label} is in namespace {ref.namespace} and no ReferenceGrant there allows "
                         f"HTTPRoutes from namespace {route_ns} to reference it")
    svc = snapshot.get("Service", ref.namespace, ref.name)
    if svc is None:
        return Condition("ResolvedRefs", "False", "BackendNotFound", f"Service {ref.namespace}/{ref.name} does not exist")
    if str(svc.spec.get("type") or "") != "ExternalName":
        ports = [as_int(p.get("port")) for p in svc.spec.get("ports") or [] if isinstance(p, dict)]
        if ref.port not in ports:
            shown = ", ".join(str(p) for p in ports if p is not None) or "none"
            return Condition("ResolvedRefs", "False", "BackendNotFound",
                             f"Service {ref.namespace}/{ref.name} has no port {ref.port} (its ports: {shown})")
    return None


def check_certificate(ref: dict[str, Any], gateway: K8sObject, snapshot: Snapshot, grants: Grants
                      ) -> tuple[str | None, K8sObject | None, str]:
    """A listener certificateRef: (why it is invalid or None, the Secret when in the snapshot, its label)."""
    group, kind = str(ref.get("group") or ""), str(ref.get("kind") or "Secret")
    ns = str(ref.get("namespace") or gateway.namespace or "default")
    name = str(ref.get("name") or "")
    label = f"{ns}/{name}"
    if (group, kind) != ("", "Secret"):
        return f"certificateRef {label} is a {kind}, not a Secret (InvalidCertificateRef)", None, label
    gw_ns = gateway.namespace or "default"
    if ns != gw_ns and grants.permits((GATEWAY_GROUP, "Gateway", gw_ns), ("", "Secret", ns, name)) is None:
        return (f"certificateRef {label} is in another namespace and no ReferenceGrant there allows Gateways from "
                f"namespace {gw_ns} (RefNotPermitted)"), None, label
    secret = snapshot.get("Secret", ns, name)
    if secret is not None and str(secret.body.get("type") or "kubernetes.io/tls") != "kubernetes.io/tls":
        return f"Secret {label} has type {secret.body.get('type')}, not kubernetes.io/tls (InvalidCertificateRef)", secret, label
    return None, secret, label
