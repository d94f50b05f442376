"""Traefik's custom resources in a snapshot: which API group each version reads, and references between them.

IngressRoute, Middleware, ServersTransport, TLSOption and TraefikService exist in two API groups:
traefik.containo.us/v1alpha1 (read up to v2.11) and traefik.io/v1alpha1 (read from v2.10 on; the only one in v3),
traefik#T13. References name an object in the same namespace, another namespace (only with allowCrossNamespace,
traefik#T14), or another provider (``name@file``, ``ns-name@kubernetescrd``), traefik#T19.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...snapshot import K8sObject, Snapshot
from .workload import Version

GROUPS = ("traefik.io", "traefik.containo.us")
KINDS = ("IngressRoute", "Middleware", "ServersTransport", "TLSOption", "TraefikService", "TLSStore")
CRD_PROVIDER = "kubernetescrd"


def groups_read(version: Version) -> tuple[str, ...]:
    """The API groups the CRD provider of this version watches (traefik#T13)."""
    if version >= (3, 0, 0):
        return ("traefik.io",)
    if version >= (2, 10, 0):
        return ("traefik.io", "traefik.containo.us")
    return ("traefik.containo.us",)


@dataclass(slots=True)
class Problem:
    """Why a router is not created or not installed: a diagnosis code, the text, the rule it rests on."""

    code: str
    message: str
    rule: str
    fix: str = ""


@dataclass(slots=True)
class Resolved:
    """A reference resolved: the object (None for another provider's, which the snapshot cannot show)."""

    key: str  # the name Traefik gives it: "ns-name@kubernetescrd", "name@file"
    obj: K8sObject | None
    external: bool = False


@dataclass(slots=True)
class CrdIndex:
    """The Traefik objects of the groups this version reads, by kind and (namespace, name) and by provider key."""

    version: Version
    by_kind: dict[str, dict[tuple[str, str], K8sObject]] = field(default_factory=dict)
    by_key: dict[str, dict[str, K8sObject]] = field(default_factory=dict)
    unread: list[tuple[K8sObject, str]] = field(default_factory=list)  # objects of a group this version ignores

    @classmethod
    def build(cls, snapshot: Snapshot, version: Version) -> CrdIndex:
        index = cls(version)
        read = groups_read(version)
        for kind in KINDS:
            index.by_kind[kind] = {}
            index.by_key[kind] = {}
            for obj in snapshot.of_kind(kind):
                if obj.group not in GROUPS:
                    continue
                if obj.group not in read:
                    index.unread.append((obj, f"{obj.api_version} is not read by Traefik v{version[0]}.{version[1]} "
                                               f"(it reads {' and '.join(read)}, traefik#T13)"))
                    continue
                ns = obj.namespace or "default"
                # The traefik.io copy wins over an old traefik.containo.us one of the same name (v2.10, v2.11).
                if (ns, obj.name) in index.by_kind[kind] and obj.group != "traefik.io":
                    continue
                index.by_kind[kind][(ns, obj.name)] = obj
                index.by_key[kind][f"{ns}-{obj.name}"] = obj
        return index

    def get(self, kind: str, namespace: str, name: str) -> K8sObject | None:
        return self.by_kind.get(kind, {}).get((namespace, name))

    def of_kind(self, kind: str) -> list[K8sObject]:
        return list(self.by_kind.get(kind, {}).values())


def resolve_reference(index: CrdIndex, kind: str, parent_ns: str, ref_ns: str, name: str,
                      allow_cross: bool) -> Resolved | Problem:
    """A Middleware, ServersTransport, TLSOption or TraefikService named from an IngressRoute (traefik#T14, #T19)."""
    if "@" in name:
        base, _, provider = name.rpartition("@")
        if provider != CRD_PROVIDER:
            return Resolved(name, None, external=True)
        if not allow_cross:
            return Problem(
                "TRAEFIK_CROSS_NAMESPACE_REFUSED",
                f"{kind} reference {name} uses the @kubernetescrd form, which Traefik refuses while "
                "allowCrossNamespace is off",
                "traefik#T14",
                f"Name the {kind} without @kubernetescrd (same namespace), or start Traefik with "
                "--providers.kubernetescrd.allowCrossNamespace=true.",
            )
        obj = index.by_key.get(kind, {}).get(base)
        return Resolved(name, obj) if obj is not None else _missing(kind, name)
    ns = ref_ns or parent_ns
    if ns != parent_ns and not allow_cross:
        return Problem(
            "TRAEFIK_CROSS_NAMESPACE_REFUSED",
            f"{kind} {ns}/{name} is in another namespace than the {parent_ns} object that names it, and "
            "allowCrossNamespace is off, so Traefik skips the route",
            "traefik#T14",
            f"Move the {kind} to namespace {parent_ns}, or start Traefik with "
            "--providers.kubernetescrd.allowCrossNamespace=true.",
        )
    obj = index.get(kind, ns, name)
    key = f"{ns}-{name}@{CRD_PROVIDER}"
    return Resolved(key, obj) if obj is not None else _missing(kind, f"{ns}/{name}")


def resolve_key(index: CrdIndex, kind: str, key: str, provider_enabled: bool) -> Resolved | Problem:
    """A provider-qualified name from an Ingress annotation: ``ns-name@kubernetescrd`` or ``name@file`` (traefik#T19).
    A name without ``@`` belongs to the Ingress provider, which defines no middleware."""
    base, at, provider = key.rpartition("@")
    if not at:
        return _missing(kind, f"{key}@kubernetes")
    if provider != CRD_PROVIDER:
        return Resolved(key, None, external=True)
    obj = index.by_key.get(kind, {}).get(base) if provider_enabled else None
    if obj is None:
        return _missing(kind, key, "" if provider_enabled else " (the kubernetescrd provider is not enabled)")
    return Resolved(key, obj)


def _missing(kind: str, name: str, why: str = "") -> Problem:
    return Problem(
        "TRAEFIK_ROUTER_SKIPPED",
        f"{kind} {name} does not exist{why}; Traefik does not install a router that names it",
        "traefik#T19",
        f"Create the {kind}, or fix the reference (a Middleware in namespace ns named n is ns-n@kubernetescrd in an "
        "Ingress annotation).",
    )


__all__ = ["CRD_PROVIDER", "GROUPS", "CrdIndex", "Problem", "Resolved", "groups_read", "resolve_key",
           "resolve_reference"]
