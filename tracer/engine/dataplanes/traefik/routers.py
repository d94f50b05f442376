"""Routers as Traefik v2/v3 builds them from Ingresses and IngressRoutes, and the index a request is routed with.

A router has a rule, a priority (its rule's length unless set, traefik#T8), entry points (traefik#T9), a TLS flag
(traefik#T10), middlewares and one or more Kubernetes Services. Routers are indexed by the exact host their rule
requires (``Host(`a`) && ...``); routers whose rule does not pin a host are tried for every request. Each list is
kept sorted by priority, so a request merges at most two short lists.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ...snapshot import K8sObject
from .crd import Problem, Resolved
from .rules import Rule

MIN_INT32 = -(2**31)


@dataclass(slots=True)
class BackendRef:
    """One Kubernetes Service a router sends to (an Ingress backend or an IngressRoute ``services`` entry)."""

    namespace: str
    name: str
    port: int | str | None
    weight: int = 1
    scheme: str = ""  # set on an IngressRoute service; "" = from the port (traefik#T29)
    transport: str = ""  # serversTransport as written
    pass_host: bool | None = None  # None: the default (true), or the Service annotation for Ingress backends
    native_lb: bool = False
    health_check: bool = False
    via: str = ""  # "TraefikService ns/name" when it came through one

    def label(self) -> str:
        port = f":{self.port}" if self.port not in (None, "", 0) else ""
        return f"Service {self.namespace}/{self.name}{port}"


@dataclass(slots=True)
class Router:
    name: str
    source: K8sObject
    where: str  # "spec.rules[0].http.paths[1]", "spec.routes[0]", "spec.defaultBackend"
    provider: str  # "kubernetesingress" | "kubernetescrd"
    rule_text: str
    rule: Rule | None
    priority: int
    explicit_priority: bool
    entry_points: tuple[str, ...]
    tls: bool  # the router itself asks for TLS (router.tls, IngressRoute spec.tls)
    tls_details: dict[str, Any] = field(default_factory=dict)
    middlewares: list[Resolved] = field(default_factory=list)
    backends: list[BackendRef] = field(default_factory=list)
    problem: Problem | None = None  # set: Traefik does not create or install this router
    order: tuple[str, ...] = ()
    path_type: str = ""  # the Ingress pathType it came from

    @property
    def label(self) -> str:
        return f"{self.source.kind} {self.source.namespace}/{self.source.name} {self.where}"

    def sort_key(self) -> tuple[int, tuple[str, ...]]:
        return (-self.priority, self.order)


@dataclass(slots=True)
class RouterIndex:
    by_host: dict[str, list[Router]] = field(default_factory=dict)
    any_host: list[Router] = field(default_factory=list)
    count: int = 0

    def add(self, router: Router) -> None:
        self.count += 1
        hosts = router.rule.hosts if router.rule is not None else None
        if hosts is None:
            self.any_host.append(router)
        else:
            for h in hosts:
                self.by_host.setdefault(h, []).append(router)

    def finish(self) -> None:
        for routers in self.by_host.values():
            routers.sort(key=Router.sort_key)
        self.any_host.sort(key=Router.sort_key)

    def candidates(self, host: str) -> Iterator[Router]:
        """Routers that can match ``host``, highest priority first."""
        exact = self.by_host.get(host)
        if not exact:
            return iter(self.any_host)
        if not self.any_host:
            return iter(exact)
        return heapq.merge(exact, self.any_host, key=Router.sort_key)

    def hosts(self) -> list[str]:
        return sorted(self.by_host)


__all__ = ["MIN_INT32", "BackendRef", "Router", "RouterIndex"]
