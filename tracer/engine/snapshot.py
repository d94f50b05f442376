"""Snapshot model: typed, indexed Kubernetes objects with their provenance.

A snapshot is immutable once built. Objects are indexed by (group, kind, namespace, name);
namespaced kinds without a namespace get ``default`` (what kubectl applies would do).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# Kinds that live outside namespaces; everything else is namespaced (CRDs included, which is
# true for every CRD the engine models: Gateway API routes, Traefik, Istio, Knative).
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "IngressClass",
        "GatewayClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
        "ClusterIssuer",
        "ClusterIngressClass",
        "ClusterDomainClaim",  # Knative networking.internal.knative.dev
    }
)

# Kinds the engine understands; others are kept and reported as "not modelled".
KNOWN_KINDS = frozenset(
    {
        "Ingress",
        "IngressClass",
        "AppProfile",  # tracer's own: what a backend answers (tracer.engine.profiles)
        "Journey",  # tracer's own: what a browser does (tracer.engine.journey.spec)
        "Service",
        "Endpoints",
        "EndpointSlice",
        "Pod",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "ReplicationController",
        "Fault",
        "Job",
        "CronJob",
        "Rollout",
        "ConfigMap",
        "Secret",
        "Namespace",
        "Node",
        "Gateway",
        "GatewayClass",
        "HTTPRoute",
        "GRPCRoute",
        "ReferenceGrant",
        "IngressRoute",
        "Middleware",
        "ServersTransport",
        "TLSOption",
        "VirtualService",
        "DestinationRule",
        "EnvoyFilter",
        "PeerAuthentication",
        "NetworkPolicy",
        "DomainMapping",  # Knative Serving (tracer.engine.dataplanes.istio.knative)
        "ClusterDomainClaim",
    }
)


# Kind names that several API groups use (Knative Service/Ingress, Istio Gateway). A bare kind name means the
# group listed here; the others are reached as "<group>/<Kind>", e.g. "serving.knative.dev/Service".
DEFAULT_GROUPS: dict[str, frozenset[str]] = {
    "Service": frozenset({""}),
    "Endpoints": frozenset({""}),
    "Pod": frozenset({""}),
    "ConfigMap": frozenset({""}),
    "Secret": frozenset({""}),
    "Namespace": frozenset({""}),
    "Ingress": frozenset({"networking.k8s.io", "extensions"}),
    "IngressClass": frozenset({"networking.k8s.io"}),
    "Gateway": frozenset({"gateway.networking.k8s.io"}),
    "Route": frozenset({"route.openshift.io"}),
}


def index_kind(obj: K8sObject) -> str:
    """The key an object is indexed under: its kind, or "<group>/<kind>" for a kind another group owns."""
    groups = DEFAULT_GROUPS.get(obj.kind)
    if groups is None or obj.group in groups:
        return obj.kind
    return f"{obj.group}/{obj.kind}"


@dataclass(frozen=True, slots=True)
class Source:
    """Where an object came from: file, zero-based document index, one-based line."""

    file: str
    document: int
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "document": self.document, "line": self.line}

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(slots=True)
class K8sObject:
    """One Kubernetes object. ``body`` is the full manifest as a plain dict."""

    body: dict[str, Any]
    source: Source
    api_version: str = ""
    kind: str = ""
    name: str = ""
    namespace: str | None = None

    def __post_init__(self) -> None:
        meta = self.body.get("metadata") or {}
        self.api_version = str(self.body.get("apiVersion") or "")
        self.kind = str(self.body.get("kind") or "")
        self.name = str(meta.get("name") or meta.get("generateName") or "")
        ns = meta.get("namespace")
        if self.kind in CLUSTER_SCOPED_KINDS:
            self.namespace = None
        else:
            self.namespace = str(ns) if ns else "default"

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @property
    def key(self) -> tuple[str, str, str | None, str]:
        return (self.group, self.kind, self.namespace, self.name)

    @property
    def metadata(self) -> dict[str, Any]:
        return self.body.get("metadata") or {}

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.body.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def status(self) -> dict[str, Any]:
        status = self.body.get("status")
        return status if isinstance(status, dict) else {}

    @property
    def annotations(self) -> dict[str, str]:
        ann = self.metadata.get("annotations") or {}
        return {str(k): "" if v is None else str(v) for k, v in ann.items()}

    @property
    def labels(self) -> dict[str, str]:
        labels = self.metadata.get("labels") or {}
        return {str(k): "" if v is None else str(v) for k, v in labels.items()}

    @property
    def creation_timestamp(self) -> str:
        return str(self.metadata.get("creationTimestamp") or "")

    def ref(self) -> dict[str, Any]:
        """The object reference carried on hops: kind, namespace, name, file, line."""
        return {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "file": self.source.file,
            "line": self.source.line,
        }

    def display(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@dataclass(frozen=True, slots=True)
class LoadWarning:
    """Something in the input the engine kept going past (unknown kind, dropped secret data...)."""

    message: str
    file: str | None = None
    document: int | None = None
    line: int | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "file": self.file,
            "document": self.document,
            "line": self.line,
            "field": self.field,
        }

    def __str__(self) -> str:
        loc = ", ".join(
            p
            for p in (
                self.file,
                f"document {self.document}" if self.document is not None else None,
                f"line {self.line}" if self.line is not None else None,
                f"field {self.field}" if self.field else None,
            )
            if p
        )
        return f"{loc}: {self.message}" if loc else self.message


@dataclass(slots=True)
class Snapshot:
    """An immutable, indexed set of objects with a stable content hash."""

    objects: list[K8sObject]
    warnings: list[LoadWarning] = field(default_factory=list)
    _by_key: dict[tuple[str, str, str | None, str], K8sObject] = field(default_factory=dict, repr=False)
    _by_kind: dict[str, list[K8sObject]] = field(default_factory=dict, repr=False)
    _by_name: dict[tuple[str, str | None, str], K8sObject] = field(default_factory=dict, repr=False)
    _hash: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for obj in self.objects:
            # Later duplicates replace earlier ones, as a later `kubectl apply` would.
            previous = self._by_key.get(obj.key)
            if previous is not None:
                self.warnings.append(
                    LoadWarning(
                        f"{obj.display()} appears again; this later copy replaces the one at {previous.source}",
                        file=obj.source.file,
                        document=obj.source.document,
                        line=obj.source.line,
                    )
                )
                self._by_kind[index_kind(previous)].remove(previous)
            self._by_key[obj.key] = obj
            self._by_kind.setdefault(index_kind(obj), []).append(obj)
        self.objects = [o for objs in self._by_kind.values() for o in objs]
        for obj in self.objects:
            self._by_name.setdefault((index_kind(obj), obj.namespace, obj.name), obj)

    @classmethod
    def from_objects(cls, objects: Iterable[K8sObject], warnings: Iterable[LoadWarning] = ()) -> Snapshot:
        return cls(list(objects), list(warnings))

    def __iter__(self) -> Iterator[K8sObject]:
        return iter(self.objects)

    def __len__(self) -> int:
        return len(self.objects)

    def of_kind(self, kind: str, namespace: str | None = None) -> list[K8sObject]:
        """Objects of a kind (see DEFAULT_GROUPS: "Service" is core v1, "serving.knative.dev/Service" Knative's)."""
        objs = self._by_kind.get(kind, [])
        if namespace is None:
            return list(objs)
        return [o for o in objs if o.namespace == namespace]

    def kinds(self) -> list[str]:
        """The keys :meth:`of_kind` answers for (see DEFAULT_GROUPS), without a pass over the objects."""
        return list(self._by_kind)

    def get(self, kind: str, namespace: str | None, name: str, group: str | None = None) -> K8sObject | None:
        if group is not None:
            return self._by_key.get((group, kind, namespace, name))
        return self._by_name.get((kind, namespace, name))

    def counts_by_kind(self) -> dict[str, int]:
        return dict(sorted(Counter(o.kind for o in self.objects).items()))

    def unknown_kinds(self) -> list[str]:
        return sorted({o.kind for o in self.objects if o.kind not in KNOWN_KINDS})

    @property
    def content_hash(self) -> str:
        """sha256 over the canonical JSON of every object, independent of input order."""
        if self._hash is None:
            digests = sorted(
                hashlib.sha256(
                    json.dumps(o.body, sort_keys=True, separators=(",", ":"), default=str).encode()
                ).hexdigest()
                for o in self.objects
            )
            self._hash = hashlib.sha256("\n".join(digests).encode()).hexdigest()
        return self._hash
