"""The compiled host/path index: one bucket per host with per-path dictionaries (I-10..I-17, I-21).

A request costs a few dict look-ups however many Ingresses the snapshot holds: the host picks at
most three buckets (exact, wildcard parent, host-less) and the path's element prefixes pick entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...result import Diagnosis
from ...snapshot import K8sObject
from .paths import path_priority, prefix_key, request_prefix_keys


@dataclass(slots=True)
class Backend:
    """A path's or defaultBackend's target: a Service port or a resource reference (I-8)."""

    service: str | None = None
    port: int | str | None = None
    resource: dict[str, Any] | None = None

    def describe(self) -> str:
        if self.service is not None:
            return f"Service {self.service}:{self.port}"
        r = self.resource or {}
        group = f"{r.get('apiGroup')}/" if r.get("apiGroup") else ""
        return f"resource {group}{r.get('kind')} {r.get('name')}"


@dataclass(slots=True)
class PathEntry:
    ingress: K8sObject
    rule_index: int
    path_index: int
    host: str | None
    path: str
    path_type: str
    backend: Backend
    order: tuple[str, str, str, int, int]

    @property
    def rule_ref(self) -> str:
        return f"rules[{self.rule_index}].http.paths[{self.path_index}]"

    @property
    def effective_type(self) -> str:
        return "Exact" if self.path_type == "Exact" else "Prefix"

    def sort_key(self) -> tuple[tuple[int, int], tuple[str, str, str, int, int]]:
        return (path_priority(self.path, self.effective_type), self.order)

    @property
    def label(self) -> str:
        return f"{self.path_type} {self.path}"


@dataclass(slots=True)
class HostBucket:
    label: str  # "shop.example.com", "*.example.com" or "*" (host-less)
    host_class: str  # precise | wildcard | any
    exact: dict[str, list[PathEntry]] = field(default_factory=dict)
    prefix: dict[str, list[PathEntry]] = field(default_factory=dict)
    entries: list[PathEntry] = field(default_factory=list)
    no_http: list[tuple[K8sObject, int]] = field(default_factory=list)  # I-21

    def add(self, entry: PathEntry) -> None:
        self.entries.append(entry)
        if entry.effective_type == "Exact":
            self.exact.setdefault(entry.path, []).append(entry)
        else:
            self.prefix.setdefault(prefix_key(entry.path), []).append(entry)

    def candidates(self, path: str) -> list[PathEntry]:
        found = list(self.exact.get(path, ()))
        for key in request_prefix_keys(path):
            found.extend(self.prefix.get(key, ()))
        found.sort(key=PathEntry.sort_key)
        return found


@dataclass(slots=True)
class Unserved:
    """An Ingress this controller ignores, kept for near misses and diagnoses."""

    ingress: K8sObject
    reason: str
    diagnosis: Diagnosis


@dataclass(slots=True)
class HostIndex:
    exact: dict[str, HostBucket] = field(default_factory=dict)
    wildcard: dict[str, HostBucket] = field(default_factory=dict)  # keyed by parent domain
    hostless: HostBucket | None = None

    def bucket(self, host: str | None) -> HostBucket:
        if not host:
            if self.hostless is None:
                self.hostless = HostBucket("*", "any")
            return self.hostless
        if host.startswith("*."):
            parent = host[2:]
            if parent not in self.wildcard:
                self.wildcard[parent] = HostBucket(host, "wildcard")
            return self.wildcard[parent]
        if host not in self.exact:
            self.exact[host] = HostBucket(host, "precise")
        return self.exact[host]

    def lookup(self, host: str) -> list[HostBucket]:
        """Matching buckets, most specific class first (I-13)."""
        out = []
        b = self.exact.get(host)
        if b is not None:
            out.append(b)
        head, dot, parent = host.partition(".")
        if head and dot:
            w = self.wildcard.get(parent)
            if w is not None:
                out.append(w)
        if self.hostless is not None:
            out.append(self.hostless)
        return out
