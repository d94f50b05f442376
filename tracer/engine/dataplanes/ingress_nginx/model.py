"""The compiled shapes of the generated nginx configuration: backends, locations, servers.

They mirror what ``controller.go`` hands to ``nginx.tmpl`` (ingress-nginx#2, #3): one Server per
host with its sorted, expanded Location list, plus the per-host regex mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...regexes import CompiledPattern, RegexProblem
from ...snapshot import K8sObject

if TYPE_CHECKING:
    from .annotations import ClientCertAuth, IngressAnnotations

CATCH_ALL = "_"


@dataclass(frozen=True, slots=True)
class BackendRef:
    """A Service reference as an Ingress writes it (port number or port name)."""

    namespace: str
    service: str
    port: int | str

    @property
    def upstream_name(self) -> str:
        # util.go upstreamName: <namespace>-<service>-<port number or name> (ingress-nginx#6.1)
        return f"{self.namespace}-{self.service}-{self.port}"

    def __str__(self) -> str:
        return f"{self.namespace}/{self.service}:{self.port}"


def ingress_backend(ingress: K8sObject, backend: Any) -> BackendRef | None:
    """The Service of an Ingress backend (v1 ``service:`` or v1beta1 ``serviceName``); None for ``resource:``."""
    if not isinstance(backend, dict):
        return None
    ns = ingress.namespace or "default"
    svc = backend.get("service")
    if isinstance(svc, dict) and svc.get("name"):
        port = svc.get("port") or {}
        value: int | str = ""
        if isinstance(port, dict):
            if port.get("number") not in (None, ""):
                value = int(port["number"]) if str(port["number"]).isdigit() else str(port["number"])
            elif port.get("name"):
                value = str(port["name"])
        return BackendRef(ns, str(svc["name"]), value)
    if backend.get("serviceName"):
        raw = backend.get("servicePort", "")
        value = int(raw) if isinstance(raw, int) or str(raw).isdigit() else str(raw)
        return BackendRef(ns, str(backend["serviceName"]), value)
    return None


@dataclass(slots=True)
class Location:
    """One nginx ``location`` block (ingress-nginx#3.2)."""

    path: str  # rendered path, after the Prefix expansion of #3.2.5
    ingress_path: str  # the Ingress path ("" already normalised to "/")
    path_type: str  # "Exact" | "Prefix" (ImplementationSpecific folded into Prefix, #3.1)
    declared_type: str  # pathType as written ("" when absent)
    ingress: K8sObject | None
    ann: IngressAnnotations | None
    rule: str | None  # "spec.rules[0].http.paths[1]", "spec.defaultBackend", or None (global default)
    backend: BackendRef | None  # None: the global default backend
    root_default: bool = False  # the host's implicit "/" (#3.2.1)
    exact_copy: bool = False  # the Exact twin inserted by the Prefix expansion (#3.2.5)
    rewrite: bool = False  # rewrite-target is effective here (non-empty, differs from the path, #4.1)
    pattern: CompiledPattern | RegexProblem | None = None  # ^<path>, case-insensitive (regex mode only)
    rewrite_pattern: CompiledPattern | RegexProblem | None = None  # (?i)<path>, unanchored (#4.1)

    def directive(self, regex_mode: bool) -> str:
        """The location line as nginx.tmpl renders it (template.go buildLocation, #3.4)."""
        escaped = self.path.replace("\\", "\\\\").replace('"', '\\"')
        if regex_mode:
            return f'location ~* "^{escaped}"'
        if self.path_type == "Exact":
            return f'location = "{escaped}"'
        return f'location "{escaped}"'

    def describe(self) -> str:
        """``Prefix /api (Ingress shop/api)``: for near misses and decisions."""
        owner = f" (Ingress {self.ingress.namespace}/{self.ingress.name})" if self.ingress else ""
        kind = self.declared_type or self.path_type
        if kind == "ImplementationSpecific" or (not self.declared_type and not self.root_default):
            kind = f"{kind or 'Prefix'}->Prefix"
        if self.root_default:
            return f"default location / of the host{owner}"
        return f"{kind} {self.ingress_path}{owner}"


@dataclass(slots=True)
class TlsConfig:
    """The certificate a host serves (ingress-nginx#2.6)."""

    ingress: K8sObject | None  # the Ingress whose spec.tls decided
    secret_name: str | None  # None: "no secret name" for this host
    secret: K8sObject | None
    status: str  # "ok" | "assumed" | "no-secret-name" | "missing-secret" | "not-valid-for-host" | "expired"
    uses_default: bool  # the default (or fake) certificate is served instead
    note: str = ""


@dataclass(slots=True)
class Server:
    """One nginx ``server`` block (ingress-nginx#2.1)."""

    hostname: str
    locations: list[Location] = field(default_factory=list)
    ingresses: list[K8sObject] = field(default_factory=list)  # contributors, #1.5 order
    first: K8sObject | None = None  # first non-canary Ingress naming the host (#2.7, #3.2.1)
    first_ann: IngressAnnotations | None = None
    regex_mode: bool = False
    regex_causes: list[tuple[K8sObject, str]] = field(default_factory=list)  # (Ingress, annotation)
    tls: TlsConfig | None = None
    aliases: tuple[str, ...] = ()
    redirect_to: str | None = None  # from-to-www counterpart server: answer everything with a redirect (#5.3)
    redirect_origin: K8sObject | None = None
    app_root: tuple[str, Location] | None = None  # first location carrying app-root (#4.3)
    # #9.7: client-certificate auth of the first Ingress with a usable CA, and the first auth-tls error (-> 403)
    client_cert: tuple[K8sObject, ClientCertAuth] | None = None
    client_cert_error: tuple[K8sObject, str] | None = None
    passthrough: K8sObject | None = None  # #2.8: the Ingress that asked for ssl-passthrough
    hazards: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # paths dropped while building (duplicates, resource backends)
    # non-regex index: exact path -> location; prefix path -> location; distinct prefix lengths, longest first
    exact: dict[str, Location] = field(default_factory=dict)
    prefixes: dict[str, Location] = field(default_factory=dict)
    prefix_lengths: list[int] = field(default_factory=list)

    @property
    def is_catch_all(self) -> bool:
        return self.hostname == CATCH_ALL

    def regex_reason(self) -> str:
        if not self.regex_causes:
            return ""
        causes = ", ".join(f"{a} on {i.namespace}/{i.name}" for i, a in self.regex_causes[:3])
        return f"regex mode: {causes}"
