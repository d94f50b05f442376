"""The compiled shapes of Gateway API objects: Gateways with their listeners, HTTPRoutes with their rules,
matches and backendRefs, and the status conditions computed for each parentRef (k8s-routing#G-1..G-5, G-15)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...regexes import CompiledPattern, RegexProblem
from ...snapshot import K8sObject
from .conformance import Implementation

GATEWAY_GROUP = "gateway.networking.k8s.io"
Pattern = CompiledPattern | RegexProblem | None


@dataclass(slots=True)
class Condition:
    type: str
    status: str  # "True" | "False" | "Unknown", as the API writes them
    reason: str
    message: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "status": self.status, "reason": self.reason, "message": self.message}


@dataclass(slots=True, eq=False)
class Listener:
    gateway: GatewayInfo
    index: int
    name: str
    hostname: str | None
    port: int
    protocol: str  # HTTP | HTTPS | TLS | TCP | UDP | a domain-prefixed custom value
    tls_mode: str = "Terminate"
    cert_refs: list[dict[str, Any]] = field(default_factory=list)
    allowed_from: str = "Same"  # Same | All | Selector | None (G-3)
    allowed_selector: Any = None
    kinds: list[tuple[str, str]] | None = None  # None: the kinds that fit the protocol
    problems: list[Condition] = field(default_factory=list)  # listener conditions that are not fine
    tls_problem: str | None = None  # why the listener cannot complete a TLS handshake
    tls_notes: list[str] = field(default_factory=list)  # certificate facts for the hop
    certificates: list[tuple[str, Any]] = field(default_factory=list)  # (Secret label, certs.CertInfo)
    attached: int = 0  # accepted routes (status.listeners[].attachedRoutes)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.protocol} {self.port}{', ' + self.hostname if self.hostname else ', any host'})"

    @property
    def serves_http(self) -> bool:
        return self.protocol in ("HTTP", "HTTPS") and not (self.protocol == "HTTPS" and self.tls_mode == "Passthrough")


@dataclass(slots=True, eq=False)
class GatewayInfo:
    obj: K8sObject
    class_name: str
    gateway_class: K8sObject | None
    controller: str  # the class's controllerName ("" when the class is not in the snapshot)
    implementation: Implementation | None
    listeners: list[Listener] = field(default_factory=list)
    service: K8sObject | None = None
    service_how: str = ""
    addresses: list[str] = field(default_factory=list)
    address_how: str = ""

    @property
    def key(self) -> str:
        return f"{self.obj.namespace}/{self.obj.name}"


@dataclass(slots=True)
class BackendChoice:
    """One backendRef of a rule (G-4, G-29): where it points, its weight, and why it is invalid (or None)."""

    index: int
    group: str
    kind: str
    namespace: str
    name: str
    port: int | None
    weight: int
    filters: list[dict[str, Any]] = field(default_factory=list)
    problem: Condition | None = None  # ResolvedRefs=False with its reason

    @property
    def label(self) -> str:
        what = f"{self.namespace}/{self.name}" + (f":{self.port}" if self.port is not None else "")
        return what if (self.group, self.kind) == ("", "Service") else f"{self.kind} {what}"


@dataclass(slots=True)
class Mirror:
    backend: BackendChoice
    percent: float  # 0..100 (G-41)


@dataclass(slots=True, eq=False)
class Match:
    rule: Rule
    index: int
    path_type: str  # Exact | PathPrefix | RegularExpression
    path: str
    pattern: Pattern = None  # the compiled path regex
    headers: list[tuple[str, str, str, Pattern]] = field(default_factory=list)  # (lower name, type, value, regex)
    query: list[tuple[str, str, str, Pattern]] = field(default_factory=list)  # (name, type, value, regex)
    method: str | None = None
    key: tuple[Any, ...] = ()  # precedence, smaller wins (G-24..G-26)

    @property
    def where(self) -> str:
        return f"{self.rule.where}.matches[{self.index}]"

    def describe(self) -> str:
        parts = [f"{self.path_type} {self.path}"]
        if self.method:
            parts.append(f"method {self.method}")
        parts += [f"header {n}{' ~ ' if t == 'RegularExpression' else ': '}{v}" for n, t, v, _ in self.headers]
        parts += [f"query {n}{' ~ ' if t == 'RegularExpression' else '='}{v}" for n, t, v, _ in self.query]
        return ", ".join(parts)


@dataclass(slots=True, eq=False)
class Rule:
    route: RouteInfo
    index: int
    name: str | None
    matches: list[Match] = field(default_factory=list)
    filters: list[dict[str, Any]] = field(default_factory=list)
    backends: list[BackendChoice] = field(default_factory=list)
    mirrors: list[Mirror] = field(default_factory=list)
    timeouts: dict[str, str] = field(default_factory=dict)
    features: list[str] = field(default_factory=list)  # extended features this rule uses (conformance.py)
    notes: list[str] = field(default_factory=list)  # parts tracer does not simulate

    @property
    def where(self) -> str:
        return f"HTTPRoute {self.route.key} rules[{self.index}]" + (f" ({self.name})" if self.name else "")


@dataclass(slots=True, eq=False)
class ParentStatus:
    """One entry of status.parents[] as the implementation would write it (G-11..G-15)."""

    ref: dict[str, Any]
    gateway: GatewayInfo | None
    conditions: list[Condition] = field(default_factory=list)
    listeners: list[tuple[Listener, list[str]]] = field(default_factory=list)  # taken, with effective hostnames

    @property
    def accepted(self) -> bool:
        return any(c.type == "Accepted" and c.status == "True" for c in self.conditions)

    def label(self) -> str:
        ref = self.ref
        out = f"Gateway {ref['namespace']}/{ref['name']}"
        if ref.get("sectionName"):
            out += f" section {ref['sectionName']}"
        if ref.get("port") is not None:
            out += f" port {ref['port']}"
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "parentRef": {k: v for k, v in self.ref.items() if v is not None},
            "conditions": [c.to_dict() for c in self.conditions],
            "listeners": [{"name": lis.name, "hostnames": [h or "*" for h in hosts]} for lis, hosts in self.listeners],
        }


@dataclass(slots=True, eq=False)
class RouteInfo:
    obj: K8sObject
    hostnames: list[str]
    order: tuple[str, str, str]  # creationTimestamp ("~" when unknown: last), namespace, name (G-25)
    rules: list[Rule] = field(default_factory=list)
    rejected: str | None = None  # why the API server would refuse it (G-5); such a route never attaches
    parents: list[ParentStatus] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.obj.namespace}/{self.obj.name}"
